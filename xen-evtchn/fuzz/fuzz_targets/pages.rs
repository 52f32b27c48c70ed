// SPDX-License-Identifier: MIT OR Apache-2.0
//! Static, page-aligned pages of atomics for the targets: allocated once,
//! so an input leaks nothing; zeroed before each input.

use core::ptr::NonNull;
use core::sync::atomic::AtomicU64;

use xen_abi::io::shm::SharedMem;

#[repr(C, align(4096))]
struct Pages([[AtomicU64; 512]; 4]);

static PAGES: Pages = Pages([const { [const { AtomicU64::new(0) }; 512] }; 4]);

/// The four pages, zeroed.
pub fn zeroed() -> [SharedMem<'static>; 4] {
    core::array::from_fn(|i| {
        // SAFETY: a static, 4096 bytes, page-aligned, only ever accessed
        // atomically (through these handles).
        let mem = unsafe { SharedMem::new(NonNull::from(&PAGES.0[i]).cast(), 4096) }.unwrap();
        mem.fill(0, 4096, 0).unwrap();
        mem
    })
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The in-guest grant-table manager against a grantee and a Xen that write
//! any flags into the entries, any status words (v2), any table bytes,
//! between grants, ends and version switches: typed errors, no grant in use
//! ever ended, the books always the caller's.
#![no_main]

use core::ptr::NonNull;
use core::sync::atomic::AtomicU64;

use libfuzzer_sys::fuzz_target;
use xen_abi::io::shm::SharedMem;
use xen_grant::fuzzing::{table, PAGES};

#[repr(C, align(4096))]
struct Pages([[AtomicU64; 512]; PAGES]);

/// Allocated once, so an input leaks nothing (the entry point zeroes the
/// table and status frames itself).
static POOL: Pages = Pages([const { [const { AtomicU64::new(0) }; 512] }; PAGES]);

fuzz_target!(|data: &[u8]| {
    let pages = core::array::from_fn(|i| {
        // SAFETY: a static, 4096 bytes, page-aligned, only ever accessed
        // atomically (through these handles).
        unsafe { SharedMem::new(NonNull::from(&POOL.0[i]).cast(), 4096) }.unwrap()
    });
    table(pages, data);
});

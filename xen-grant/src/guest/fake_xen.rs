// SPDX-License-Identifier: MIT OR Apache-2.0
//! A stand-in for Xen's grant-table hypercall, for the unit tests and the
//! fuzzing entry points of the table manager (real Xen runs it in the guest
//! and dom0 tiers): it keeps a version and a frame count and writes its
//! answers through the addresses the wrappers pass, as Xen does.

// The fake writes through the argument addresses, as Xen does.
#![allow(unsafe_code)]

use core::cell::Cell;

use xen_abi::grant_table::{op, GrantStatus};
use xen_abi::xen::HypercallOp;
use xen_hypercall::Hypercall;

/// Plays Xen's grant-table op for one domain.
#[derive(Debug)]
pub(crate) struct FakeXen {
    pub(crate) version: Cell<u32>,
    pub(crate) nr_frames: Cell<u32>,
    pub(crate) max_frames: u32,
}

impl FakeXen {
    pub(crate) fn new(max_frames: u32) -> Self {
        Self {
            version: Cell::new(1),
            nr_frames: Cell::new(1),
            max_frames,
        }
    }
}

unsafe fn put<T>(p: *mut u8, off: usize, v: T) {
    // SAFETY: the caller passes the argument struct Xen would write.
    unsafe { p.add(off).cast::<T>().write_unaligned(v) }
}

unsafe fn get<T>(p: *mut u8, off: usize) -> T {
    // SAFETY: as `put`.
    unsafe { p.add(off).cast::<T>().read_unaligned() }
}

// SAFETY: writes only into the argument structs and lists the wrappers pass.
unsafe impl Hypercall for FakeXen {
    unsafe fn hypercall5(&self, hop: HypercallOp, args: [u64; 5]) -> isize {
        assert_eq!(hop, HypercallOp::GRANT_TABLE_OP);
        let p = args[1] as *mut u8;
        // SAFETY: each arm writes the fields of the struct the sub-op takes.
        unsafe {
            match args[0] as u32 {
                op::GET_VERSION => put(p, 4, self.version.get()),
                op::QUERY_SIZE => {
                    put(p, 4, self.nr_frames.get());
                    put(p, 8, self.max_frames);
                }
                op::SETUP_TABLE => {
                    let nr: u32 = get(p, 4);
                    if nr > self.max_frames {
                        put(p, 8, GrantStatus::GENERAL_ERROR);
                        return 0;
                    }
                    self.nr_frames.set(self.nr_frames.get().max(nr));
                    let list: u64 = get(p, 16);
                    for i in 0..nr as usize {
                        put(list as *mut u8, i * 8, 0x1000 + i as u64);
                    }
                }
                op::SET_VERSION => {
                    let v: u32 = get(p, 0);
                    if v != 1 && v != 2 {
                        return -22;
                    }
                    self.version.set(v);
                }
                op::GET_STATUS_FRAMES => {
                    if self.version.get() != 2 {
                        put(p, 6, GrantStatus::GENERAL_ERROR);
                        return 0;
                    }
                    let nr: u32 = get(p, 0);
                    let list: u64 = get(p, 8);
                    for i in 0..nr as usize {
                        put(list as *mut u8, i * 8, 0x2000 + i as u64);
                    }
                }
                _ => return -38,
            }
        }
        0
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! aarch64 guests: `hvc #0xEA1`.
//!
//! The hypercall number goes in `x16`, arguments in `x0..x4`, the result
//! comes back in `x0`; Xen may clobber `x1..x4`.

use core::arch::asm;

use xen_abi::xen::HypercallOp;

use crate::Hypercall;

/// The aarch64 hypercall instruction's immediate (`XEN_HYPERCALL_TAG`).
pub const XEN_HYPERCALL_TAG: u16 = 0xEA1;

/// The `hvc` backend for guest kernels at EL1.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hvc;

// SAFETY: issues `hvc #0xEA1` with the arguments unchanged, as Xen's Arm ABI
// defines; `with_buffer` is the default identity.
unsafe impl Hypercall for Hvc {
    #[inline]
    unsafe fn hypercall5(&self, op: HypercallOp, args: [u64; 5]) -> isize {
        let ret: u64;
        // SAFETY: the caller vouches for the arguments; the clobbers are the
        // ones the Arm hypercall ABI allows Xen.
        unsafe {
            asm!(
                "hvc #0xEA1",
                in("x16") u64::from(op.get()),
                inlateout("x0") args[0] => ret,
                inlateout("x1") args[1] => _,
                inlateout("x2") args[2] => _,
                inlateout("x3") args[3] => _,
                inlateout("x4") args[4] => _,
                options(nostack),
            );
        }
        ret as isize
    }

    #[inline]
    unsafe fn hypercall2(&self, op: HypercallOp, a0: u64, a1: u64) -> isize {
        let ret: u64;
        // SAFETY: as `hypercall5`, with x2..x4 left as they are (Xen ignores
        // them) but declared clobbered.
        unsafe {
            asm!(
                "hvc #0xEA1",
                in("x16") u64::from(op.get()),
                inlateout("x0") a0 => ret,
                inlateout("x1") a1 => _,
                lateout("x2") _,
                lateout("x3") _,
                lateout("x4") _,
                options(nostack),
            );
        }
        ret as isize
    }

    #[inline]
    unsafe fn hypercall3(&self, op: HypercallOp, a0: u64, a1: u64, a2: u64) -> isize {
        let ret: u64;
        // SAFETY: as `hypercall5`, with x3..x4 left as they are but declared
        // clobbered.
        unsafe {
            asm!(
                "hvc #0xEA1",
                in("x16") u64::from(op.get()),
                inlateout("x0") a0 => ret,
                inlateout("x1") a1 => _,
                inlateout("x2") a2 => _,
                lateout("x3") _,
                lateout("x4") _,
                options(nostack),
            );
        }
        ret as isize
    }
}

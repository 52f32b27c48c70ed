// SPDX-License-Identifier: MIT OR Apache-2.0
//! The self-tests: every in-guest wrapper of xen-hypercall, against real Xen.

use xen_hypercall::Hypercall;

use crate::{println, Tester};

/// How the kernel was booted.
#[derive(Debug, Clone, Copy)]
pub enum Platform {
    /// x86_64 PV: `start_info` as Xen passed it.
    Pv {
        /// Xen's start_info page.
        start_info: *const xen_abi::xen::StartInfo,
    },
    /// x86_64 PVH: `hvm_start_info` (identity-mapped).
    Pvh {
        /// Xen's hvm_start_info.
        start_info: *const xen_abi::hvm::start_info::StartInfo,
        /// Xen's CPUID leaves.
        cpuid: xen_hypercall::arch::x86_64::XenCpuid,
    },
}

/// Number of checks `run` makes.
pub const PLAN: u32 = 1;

/// Runs every check; true when all passed.
pub fn run(hc: &impl Hypercall, platform: Platform) -> bool {
    println!("xen-test-kernel: {platform:?}");
    if let Platform::Pv { .. } = platform {
        // I/O privilege for QEMU's debug-exit port (PHYSDEVOP_set_iopl).
        let mut iopl = 1u32.to_ne_bytes();
        let r = hc.with_buffer(&mut iopl, |a| {
            // SAFETY: PHYSDEVOP_set_iopl reads a u32 at `a`.
            unsafe { hc.hypercall5(33, [6, a, 0, 0, 0]) }
        });
        println!("set_iopl -> {r}");
    }
    let mut t = Tester::new(PLAN);
    // SAFETY: XENVER_version takes no buffer.
    let v = unsafe { hc.hypercall5(17, [0, 0, 0, 0, 0]) };
    t.check("xen_version", v > 0, format_args!("{}.{}", v >> 16, v & 0xffff));
    t.finish()
}

/// Shuts the machine down (dom0 `SCHEDOP_shutdown`, reboot: with QEMU's
/// `-no-reboot` that ends QEMU).
pub fn power_off(hc: &impl Hypercall) -> ! {
    let mut reason = 1u32.to_ne_bytes(); // SHUTDOWN_reboot
    hc.with_buffer(&mut reason, |a| {
        // SAFETY: SCHEDOP_shutdown reads a `sched_shutdown` (u32) at `a`.
        unsafe { hc.hypercall5(29, [2, a, 0, 0, 0]) }
    });
    loop {
        core::hint::spin_loop();
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The arm64 test kernel: booted by Xen on Arm as dom0.
//!
//! Built for `aarch64-unknown-none` only (`cargo xtask guest --arch
//! aarch64`); everything is in `xen_test_kernel::arch::aarch64`. On other
//! targets this binary is an empty stub, so that a build of the x86 kernels
//! (which builds every binary of the package) still links.
#![no_std]
#![no_main]

#[cfg(target_arch = "aarch64")]
mod kernel {
    use xen_test_kernel::arch::aarch64::{self, selftest};

    xen_test_kernel::arm64_entry!(arm64_main);

    extern "C" fn arm64_main(dtb: usize, unknown_relocations: u64) -> ! {
        xen_test_kernel::set_writer(aarch64::console_write);
        let ok = selftest::run(dtb, unknown_relocations);
        aarch64::shutdown(if ok {
            xen_abi::sched::ShutdownReason::POWEROFF
        } else {
            xen_abi::sched::ShutdownReason::CRASH
        })
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
        aarch64::report_panic(info)
    }
}

#[cfg(not(target_arch = "aarch64"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

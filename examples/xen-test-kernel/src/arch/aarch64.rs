// SPDX-License-Identifier: MIT OR Apache-2.0
//! The arm64 test kernel: booted by Xen on Arm as dom0 from a raw image with
//! the Linux arm64 Image header, entered at EL1 with the MMU off and `x0` =
//! the device tree Xen made for it; once the tree is read it turns on a
//! 1:1 map with the caches.
//!
//! - [`boot`]: the entry (self-relocation, FP/SIMD on, exception vectors,
//!   stack) and the trap handler that reports a fault and crashes the domain;
//! - [`fdt`]: a bounds-checked reader of the device tree (peer input);
//! - [`gic`]: just enough GICv3 to take the event-channel PPI;
//! - [`mmu`]: the identity map that makes shared memory Normal write-back;
//! - [`pages`]: the platform hooks of xen-grant and the test pages;
//! - [`selftest`]: the checks.

pub mod boot;
pub mod fdt;
pub mod gic;
pub mod mmu;
pub mod pages;
pub mod selftest;

use xen_abi::sched::ShutdownReason;
use xen_hypercall::arch::aarch64::Hvc;

/// Writes through `CONSOLEIO_write` (dom0's console reaches the serial line).
pub fn console_write(b: &[u8]) {
    crate::console_io_write(&Hvc, b);
}

/// Shuts the domain down with `reason` (dom0: Xen ends the machine; with
/// QEMU's `-no-reboot` a reboot or power-off ends QEMU at once).
pub fn shutdown(reason: ShutdownReason) -> ! {
    let _ = xen_hypercall::sched::shutdown(&Hvc, reason);
    loop {
        // SAFETY: waits for an interrupt; nothing else.
        unsafe { core::arch::asm!("wfi", options(nomem, nostack)) };
    }
}

/// Prints a panic and crashes the domain.
pub fn report_panic(info: &core::panic::PanicInfo<'_>) -> ! {
    crate::println!("PANIC: {info}");
    crate::println!("XENRS-END");
    shutdown(ShutdownReason::CRASH)
}

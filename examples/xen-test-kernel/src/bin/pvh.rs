// SPDX-License-Identifier: MIT OR Apache-2.0
//! The PVH test kernel (placeholder while the PV one comes up).
#![no_std]
#![no_main]

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    xen_test_kernel::report_panic(info)
}

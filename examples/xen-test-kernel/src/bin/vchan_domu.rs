// SPDX-License-Identifier: MIT OR Apache-2.0
//! The vchan domU: a PV guest created by `xl` in a Linux dom0 that serves
//! and connects vchans (see `xen_test_kernel::vchan_domu`). Output goes to
//! the PV console ring; each step's outcome also goes into xenstore, where
//! dom0's scenario reads it.
#![no_std]
#![no_main]

use xen_hypercall::sched;
use xen_test_kernel::{domu, vchan_domu};

xen_test_kernel::pv_entry!(domu_main);

fn console_write(b: &[u8]) {
    domu::console_write(&hc(), b);
}

extern "C" fn domu_main(start_info: *const xen_abi::xen::StartInfo) -> ! {
    let hc = hc();
    // SAFETY: Xen passed its start_info page.
    unsafe { domu::console_init(&hc, start_info) };
    xen_test_kernel::set_writer(console_write);
    xen_test_kernel::println!("xen-test-kernel: vchan domU");
    // SAFETY: as above.
    let ok = unsafe { vchan_domu::run(&hc, start_info) };
    let reason = if ok {
        xen_abi::sched::ShutdownReason::POWEROFF
    } else {
        xen_abi::sched::ShutdownReason::CRASH
    };
    let _ = sched::shutdown(&hc, reason);
    loop {
        let _ = sched::block(&hc);
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    xen_test_kernel::println!("PANIC: {info}");
    xen_test_kernel::println!("XENRS-END");
    let _ = sched::shutdown(&hc(), xen_abi::sched::ShutdownReason::CRASH);
    loop {
        core::hint::spin_loop();
    }
}

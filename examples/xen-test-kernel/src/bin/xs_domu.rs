// SPDX-License-Identifier: MIT OR Apache-2.0
//! The xenstore domU: a PV guest created by `xl` in a Linux dom0, checking
//! xen-store's ring client against the real xenstored as an unprivileged
//! domain (see `xen_test_kernel::domu`). Output goes to the PV console ring;
//! the report also goes into xenstore, where dom0's test reads it.
#![no_std]
#![no_main]

use xen_hypercall::sched;
use xen_test_kernel::domu;

xen_test_kernel::pv_entry!(domu_main);

fn console_write(b: &[u8]) {
    domu::console_write(&hc(), b);
}

extern "C" fn domu_main(start_info: *const xen_abi::xen::StartInfo) -> ! {
    let hc = hc();
    // SAFETY: Xen passed its start_info page.
    unsafe { domu::console_init(&hc, start_info) };
    xen_test_kernel::set_writer(console_write);
    xen_test_kernel::println!("xen-test-kernel: xenstore domU");
    // SAFETY: as above.
    let ok = unsafe { domu::run(&hc, start_info) };
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

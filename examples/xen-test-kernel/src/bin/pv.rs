// SPDX-License-Identifier: MIT OR Apache-2.0
//! The PV test kernel: booted by Xen as a paravirtualised dom0.
//!
//! Xen reads the ELF notes below, loads us at VIRT_BASE, fills the page named
//! by `HYPERCALL_PAGE` with hypercall stubs and enters `_start` in long mode
//! with `rsi` pointing at `start_info`.
#![no_std]
#![no_main]

use xen_test_kernel::selftest::{self, Platform};

xen_test_kernel::pv_entry!(pv_main);

fn console_write(b: &[u8]) {
    xen_test_kernel::console_io_write(&hc(), b);
}

extern "C" fn pv_main(start_info: *const xen_abi::xen::StartInfo) -> ! {
    xen_test_kernel::set_writer(console_write);
    let hc = hc();
    let platform = Platform::Pv { start_info };
    let ok = selftest::run(&hc, platform);
    xen_test_kernel::debug_exit(if ok { 0 } else { 1 });
    selftest::power_off(&hc)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    xen_test_kernel::report_panic(info)
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The PV test kernel: booted by Xen as a paravirtualised dom0.
//!
//! Xen reads the ELF notes below, loads us at VIRT_BASE, fills the page named
//! by `HYPERCALL_PAGE` with hypercall stubs and enters `_start` in long mode
//! with `rsi` pointing at `start_info`.
#![no_std]
#![no_main]

use xen_hypercall::arch::x86_64::HypercallPage;
use xen_test_kernel::selftest::{self, Platform};

core::arch::global_asm!(
    r#"
    .macro XEN_NOTE_STR type, str
        .balign 4
        .long 4
        .long 2f - 1f
        .long \type
        .asciz "Xen"
        .balign 4
    1:  .asciz "\str"
    2:  .balign 4
    .endm
    .macro XEN_NOTE_QUAD type, val
        .balign 4
        .long 4
        .long 8
        .long \type
        .asciz "Xen"
        .balign 4
        .quad \val
    .endm

    .pushsection .note.Xen, "a", @note
    XEN_NOTE_STR 6, "xen-rs-test-kernel"
    XEN_NOTE_STR 7, "0.1"
    XEN_NOTE_STR 5, "xen-3.0"
    XEN_NOTE_QUAD 3, 0xffffffff80000000
    XEN_NOTE_QUAD 4, 0xffffffff80000000
    XEN_NOTE_QUAD 1, _start
    XEN_NOTE_QUAD 2, hypercall_page
    XEN_NOTE_STR 8, "generic"
    XEN_NOTE_STR 9, "yes"
    XEN_NOTE_STR 10, "!writable_page_tables"
    .popsection

    .pushsection .text.entry, "ax"
    .global _start
    _start:
        lea rsp, [rip + {stack} + {stack_size}]
        mov rdi, rsi
        call {main}
        ud2
    .popsection
    "#,
    stack = sym STACK,
    stack_size = const STACK_SIZE,
    main = sym pv_main,
);

const STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);

#[unsafe(no_mangle)]
static mut STACK: Stack = Stack([0; STACK_SIZE]);

extern "C" {
    /// The page Xen fills with hypercall stubs (placed by pv.ld).
    static hypercall_page: [u8; 4096];
}

fn hc() -> HypercallPage {
    // SAFETY: `hypercall_page` is the page our HYPERCALL_PAGE note names;
    // Xen filled it before entering `_start`.
    unsafe { HypercallPage::new((&raw const hypercall_page).cast()) }
}

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

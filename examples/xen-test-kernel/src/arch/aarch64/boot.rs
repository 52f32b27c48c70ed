// SPDX-License-Identifier: MIT OR Apache-2.0
//! The arm64 kernel's entry and exception vectors.
//!
//! Xen loads the image at a 2 MiB-aligned address of its choosing (dom0's
//! RAM is mapped 1:1) and enters at offset 0, the header's branch, at EL1
//! with the MMU and caches off, `x0` = the device tree. The image is linked
//! at 0 as a PIE (`arm64.ld`): the entry applies its `R_AARCH64_RELATIVE`
//! relocations against the load address before any Rust code runs, turns
//! the FP/SIMD unit on (Rust uses its registers), installs the exception
//! vectors and a stack, and calls `main(dtb, unknown_relocations)`.
//!
//! Every exception but the IRQ one is a fault: [`trap`] prints the syndrome
//! and crashes the domain, so a fault is a failing run with a console line,
//! never a silent hang.

use core::sync::atomic::{AtomicUsize, Ordering};

use xen_abi::sched::ShutdownReason;

/// Registers saved by the vectors: `x0..x30`, then `ELR_EL1`, `SPSR_EL1`.
#[repr(C)]
#[derive(Debug)]
pub struct Frame {
    /// `x0..x30`.
    pub x: [u64; 31],
    /// The interrupted instruction.
    pub elr: u64,
    /// The interrupted state.
    pub spsr: u64,
    pad: u64,
}

/// The IRQ handler (a `fn()`, as usize; 0: none).
static IRQ_HANDLER: AtomicUsize = AtomicUsize::new(0);

/// Installs the function IRQ exceptions call (it acknowledges the GIC).
pub fn set_irq_handler(f: fn()) {
    IRQ_HANDLER.store(f as usize, Ordering::SeqCst);
}

/// What the 16 vector slots are (`VBAR_EL1` + 0x80 * kind).
fn kind_name(kind: u64) -> &'static str {
    const NAMES: [&str; 4] = ["synchronous", "IRQ", "FIQ", "SError"];
    NAMES[(kind % 4) as usize]
}

/// Called by every vector with the slot number and the saved registers.
///
/// # Safety
/// Only the vectors call it, with `frame` on the exception stack.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xen_rs_trap(kind: u64, frame: *mut Frame) {
    // Current EL with SP_ELx, IRQ: the one exception we expect.
    if kind == 5 {
        let p = IRQ_HANDLER.load(Ordering::SeqCst);
        if p != 0 {
            // SAFETY: only `set_irq_handler` stores here, always a `fn()`.
            let f: fn() = unsafe { core::mem::transmute::<usize, fn()>(p) };
            f();
            return;
        }
    }
    let (esr, far): (u64, u64);
    // SAFETY: reads of EL1 syndrome registers.
    unsafe {
        core::arch::asm!("mrs {}, esr_el1", out(reg) esr, options(nomem, nostack));
        core::arch::asm!("mrs {}, far_el1", out(reg) far, options(nomem, nostack));
    }
    // SAFETY: the vectors pass their frame.
    let f = unsafe { &*frame };
    crate::println!(
        "PANIC: {} exception (vector {kind}) ESR_EL1={esr:#x} (EC {:#x}) ELR_EL1={:#x} FAR_EL1={far:#x} SPSR={:#x} x30={:#x}",
        kind_name(kind),
        esr >> 26,
        f.elr,
        f.spsr,
        f.x[30],
    );
    crate::println!("XENRS-END");
    super::shutdown(ShutdownReason::CRASH)
}

/// The entry point, the exception vectors and a 64 KiB stack; `$main` is an
/// `extern "C" fn(dtb: usize, unknown_relocations: u64) -> !`.
#[macro_export]
macro_rules! arm64_entry {
    ($main:ident) => {
        const STACK_SIZE: usize = 64 * 1024;

        #[repr(C, align(16))]
        struct Stack([u8; STACK_SIZE]);

        #[unsafe(no_mangle)]
        static mut STACK: Stack = Stack([0; STACK_SIZE]);

        core::arch::global_asm!(
            r#"
            .pushsection .text.entry, "ax"
            .global _start_arm64
            _start_arm64:
                mov x19, x0
                // Relocate: every R_AARCH64_RELATIVE entry gets the load
                // address added; other types are counted in x21.
                adrp x20, _head
                add x20, x20, :lo12:_head
                adrp x1, __rela_start
                add x1, x1, :lo12:__rela_start
                adrp x2, __rela_end
                add x2, x2, :lo12:__rela_end
                mov x21, #0
            1:  cmp x1, x2
                b.hs 3f
                ldp x3, x4, [x1]
                ldr x5, [x1, #16]
                add x1, x1, #24
                cmp x4, #0x403
                b.eq 2f
                add x21, x21, #1
                b 1b
            2:  add x5, x5, x20
                str x5, [x20, x3]
                b 1b
            3:  // FP/SIMD: CPACR_EL1.FPEN = 0b11 (no traps).
                mov x1, #(3 << 20)
                msr cpacr_el1, x1
                isb
                adrp x1, xen_rs_vectors
                add x1, x1, :lo12:xen_rs_vectors
                msr vbar_el1, x1
                isb
                adrp x1, {stack}
                add x1, x1, :lo12:{stack}
                mov x2, #{stack_size}
                add x1, x1, x2
                mov sp, x1
                mov x0, x19
                mov x1, x21
                bl {main}
            4:  wfi
                b 4b

            .popsection

            .pushsection .text.xen_rs_vectors, "ax"
            .macro xen_rs_vector kind
                .balign 128
                sub sp, sp, #272
                stp x0, x1, [sp, #0]
                mov x0, #\kind
                b xen_rs_trap_common
            .endm

                .balign 2048
            xen_rs_vectors:
                xen_rs_vector 0
                xen_rs_vector 1
                xen_rs_vector 2
                xen_rs_vector 3
                xen_rs_vector 4
                xen_rs_vector 5
                xen_rs_vector 6
                xen_rs_vector 7
                xen_rs_vector 8
                xen_rs_vector 9
                xen_rs_vector 10
                xen_rs_vector 11
                xen_rs_vector 12
                xen_rs_vector 13
                xen_rs_vector 14
                xen_rs_vector 15

            xen_rs_trap_common:
                stp x2, x3, [sp, #16]
                stp x4, x5, [sp, #32]
                stp x6, x7, [sp, #48]
                stp x8, x9, [sp, #64]
                stp x10, x11, [sp, #80]
                stp x12, x13, [sp, #96]
                stp x14, x15, [sp, #112]
                stp x16, x17, [sp, #128]
                stp x18, x19, [sp, #144]
                stp x20, x21, [sp, #160]
                stp x22, x23, [sp, #176]
                stp x24, x25, [sp, #192]
                stp x26, x27, [sp, #208]
                stp x28, x29, [sp, #224]
                mrs x2, elr_el1
                stp x30, x2, [sp, #240]
                mrs x3, spsr_el1
                str x3, [sp, #256]
                mov x1, sp
                bl xen_rs_trap
                ldr x3, [sp, #256]
                msr spsr_el1, x3
                ldp x30, x2, [sp, #240]
                msr elr_el1, x2
                ldp x28, x29, [sp, #224]
                ldp x26, x27, [sp, #208]
                ldp x24, x25, [sp, #192]
                ldp x22, x23, [sp, #176]
                ldp x20, x21, [sp, #160]
                ldp x18, x19, [sp, #144]
                ldp x16, x17, [sp, #128]
                ldp x14, x15, [sp, #112]
                ldp x12, x13, [sp, #96]
                ldp x10, x11, [sp, #80]
                ldp x8, x9, [sp, #64]
                ldp x6, x7, [sp, #48]
                ldp x4, x5, [sp, #32]
                ldp x2, x3, [sp, #16]
                ldp x0, x1, [sp, #0]
                add sp, sp, #272
                eret
            .popsection
            "#,
            stack = sym STACK,
            stack_size = const STACK_SIZE,
            main = sym $main,
        );
    };
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Event upcalls: the entry points Xen (PV) or the CPU (PVH, through the
//! `HVM_PARAM_CALLBACK_IRQ` vector) jumps to when an event is pending, and
//! the Rust handler they call.
//!
//! PV: Xen bounces to [`pv_event_entry`] on the guest stack with `rcx` and
//! `r11` above an interrupt frame, events masked; the entry saves the
//! caller-saved registers, calls the handler, and returns through the
//! `iret` hypercall (which unmasks events again from the saved `IF`).
//!
//! PVH: an IDT whose vector [`PVH_VECTOR`] is an interrupt gate to
//! [`pvh_upcall_entry`], which saves registers, calls the handler and
//! `iretq`s. The global callback vector needs no EOI.

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// The vector PVH upcalls arrive on.
pub const PVH_VECTOR: u8 = 0xf3;

/// Upcalls taken so far.
static UPCALLS: AtomicU32 = AtomicU32::new(0);
/// The handler (a `fn()`, as usize; 0: none).
static HANDLER: AtomicUsize = AtomicUsize::new(0);

/// Installs the function each upcall calls (it must take the pending
/// events, or the upcall comes straight back).
pub fn set_handler(f: fn()) {
    HANDLER.store(f as usize, Ordering::SeqCst);
}

/// Upcalls taken so far.
pub fn count() -> u32 {
    UPCALLS.load(Ordering::SeqCst)
}

/// Called by both entry points, with events masked (PV) or interrupts off
/// (PVH).
extern "C" fn upcall_rust() {
    UPCALLS.fetch_add(1, Ordering::SeqCst);
    let p = HANDLER.load(Ordering::SeqCst);
    if p != 0 {
        // SAFETY: only `set_handler` stores here, always a `fn()`.
        let f: fn() = unsafe { core::mem::transmute::<usize, fn()>(p) };
        f();
    }
}

core::arch::global_asm!(
    r#"
    .pushsection .text, "ax"
    // Saves the caller-saved registers, calls the Rust handler on an
    // aligned stack, restores them: the body both entries share.
    .macro xen_rs_call_handler
        push rax
        push rcx
        push rdx
        push rsi
        push rdi
        push r8
        push r9
        push r10
        push r11
        push rbp
        mov rbp, rsp
        and rsp, -16
        cld
        call {handler}
        mov rsp, rbp
        pop rbp
        pop r11
        pop r10
        pop r9
        pop r8
        pop rdi
        pop rsi
        pop rdx
        pop rcx
        pop rax
    .endm

    .global xen_rs_pv_event_entry
    xen_rs_pv_event_entry:
        pop rcx
        pop r11
        xen_rs_call_handler
        push 0
        jmp hypercall_page + {iret} * 32

    .global xen_rs_pvh_upcall_entry
    xen_rs_pvh_upcall_entry:
        xen_rs_call_handler
        iretq
    .popsection
    "#,
    handler = sym upcall_rust,
    iret = const xen_abi::xen::HypercallOp::IRET.get(),
);

extern "C" {
    fn xen_rs_pv_event_entry();
    fn xen_rs_pvh_upcall_entry();
}

/// The PV event callback's address (for `CALLBACKOP_register`).
pub fn pv_event_entry() -> u64 {
    xen_rs_pv_event_entry as *const () as usize as u64
}

/// An IDT gate (16 bytes).
#[repr(C, align(16))]
struct Idt([u64; 512]);

static mut IDT: Idt = Idt([0; 512]);

/// Loads an IDT whose only gate is [`PVH_VECTOR`] to the PVH upcall entry
/// (code segment 0x08 of the PVH kernel's GDT). Interrupts stay as they
/// are (off until the caller's `sti`).
pub fn install_pvh_idt() {
    let addr = xen_rs_pvh_upcall_entry as *const () as usize as u64;
    let v = usize::from(PVH_VECTOR);
    let low = (addr & 0xffff) | (0x08 << 16) | (0x8e << 40) | ((addr >> 16) & 0xffff) << 48;
    let high = addr >> 32;
    let idt = &raw mut IDT;
    // SAFETY: the PVH kernel is single-threaded and interrupts are off: no
    // one else touches the table while it is written; the gate points at
    // code that stays mapped.
    unsafe {
        (*idt).0[2 * v] = low;
        (*idt).0[2 * v + 1] = high;
    }
    #[repr(C, packed)]
    struct Ptr {
        limit: u16,
        base: u64,
    }
    let ptr = Ptr {
        limit: (core::mem::size_of::<Idt>() - 1) as u16,
        base: idt as u64,
    };
    // SAFETY: a valid IDT descriptor for a static table.
    unsafe { core::arch::asm!("lidt [{}]", in(reg) &ptr, options(readonly, nostack)) };
}

/// Enables interrupts (PVH).
pub fn enable_interrupts() {
    // SAFETY: the IDT has a gate for every vector Xen may inject here (the
    // callback vector); the kernel has no other interrupt sources.
    unsafe { core::arch::asm!("sti", options(nomem, nostack)) };
}

/// Disables interrupts (PVH).
pub fn disable_interrupts() {
    // SAFETY: turning interrupts off is always safe.
    unsafe { core::arch::asm!("cli", options(nomem, nostack)) };
}

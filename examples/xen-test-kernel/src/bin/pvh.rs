// SPDX-License-Identifier: MIT OR Apache-2.0
//! The PVH test kernel: booted by Xen as a PVH dom0.
//!
//! Xen enters `_start32` (named by the `PHYS32_ENTRY` ELF note) in 32-bit
//! protected mode with paging off and `ebx` = the physical address of
//! `hvm_start_info`. We identity-map the first GiB, switch to long mode, ask
//! Xen for a hypercall page through the MSR its CPUID leaves name, and run
//! the same self-tests as the PV kernel.
#![no_std]
#![no_main]

use xen_hypercall::arch::x86_64::{HypercallPage, XenCpuid};
use xen_test_kernel::selftest::{self, Platform};

// The PHYS32_ENTRY note: xen-hypercall's published macro, proven here.
xen_hypercall::pvh_entry_note!(_start32);

core::arch::global_asm!(
    r#"
    .pushsection .text.entry, "ax"
    .code32
    .global _start32
    _start32:
        cld
        mov esp, offset {stack} + {stack_size}
        // PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB (present, rw, large).
        mov eax, offset {pdpt}
        or eax, 3
        mov dword ptr [{pml4}], eax
        mov eax, offset {pd}
        or eax, 3
        mov dword ptr [{pdpt}], eax
        xor ecx, ecx
    1:  mov eax, ecx
        shl eax, 21
        or eax, 0x83
        mov dword ptr [{pd} + ecx * 8], eax
        mov dword ptr [{pd} + ecx * 8 + 4], 0
        inc ecx
        cmp ecx, 512
        jne 1b
        mov eax, offset {pml4}
        mov cr3, eax
        mov eax, cr4
        or eax, 0x20            // PAE
        mov cr4, eax
        mov ecx, 0xC0000080     // EFER
        rdmsr
        or eax, 0x100           // LME
        wrmsr
        mov eax, cr0
        or eax, 0x80000001      // PG | PE
        mov cr0, eax
        lgdt [{gdt_ptr}]
        push 0x08
        mov eax, offset pvh_long_mode
        push eax
        retf
    .code64
    pvh_long_mode:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        xor eax, eax
        mov fs, ax
        mov gs, ax
        mov edi, ebx
        call {main}
        ud2
    .popsection

    .pushsection .rodata
    .balign 16
    pvh_gdt:
        .quad 0
        .quad 0x00af9a000000ffff    // 64-bit code
        .quad 0x00cf92000000ffff    // data
    pvh_gdt_end:
    .balign 16
    .global pvh_gdt_ptr
    pvh_gdt_ptr:
        .word pvh_gdt_end - pvh_gdt - 1
        .quad pvh_gdt
    .popsection
    "#,
    stack = sym STACK,
    stack_size = const STACK_SIZE,
    pml4 = sym PML4,
    pdpt = sym PDPT,
    pd = sym PD,
    gdt_ptr = sym pvh_gdt_ptr,
    main = sym pvh_main,
);

const STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);

#[repr(C, align(4096))]
struct PageTable([u64; 512]);

#[unsafe(no_mangle)]
static mut STACK: Stack = Stack([0; STACK_SIZE]);
#[unsafe(no_mangle)]
static mut PML4: PageTable = PageTable([0; 512]);
#[unsafe(no_mangle)]
static mut PDPT: PageTable = PageTable([0; 512]);
#[unsafe(no_mangle)]
static mut PD: PageTable = PageTable([0; 512]);

extern "C" {
    /// The page Xen fills with hypercall stubs (placed by pvh.ld).
    static hypercall_page: [u8; 4096];
    /// The GDT descriptor in the assembly above.
    static pvh_gdt_ptr: u8;
}

fn hc() -> HypercallPage {
    // SAFETY: `pvh_main` installs the page (through Xen's MSR) before the
    // first call; it is identity-mapped and executable.
    unsafe { HypercallPage::new((&raw const hypercall_page).cast()) }
}

/// Early output: port 0xE9 reaches Xen's console as "(d0) ..." even before
/// the hypercall page exists.
fn e9_write(b: &[u8]) {
    for &c in b {
        // SAFETY: an `out` to Xen's debug port, which the hypervisor traps.
        unsafe { core::arch::asm!("out 0xe9, al", in("al") c, options(nomem, nostack)) };
    }
}

fn console_write(b: &[u8]) {
    xen_test_kernel::console_io_write(&hc(), b);
}

extern "C" fn pvh_main(start_info: u32) -> ! {
    xen_test_kernel::set_writer(e9_write);
    let Some(cpuid) = XenCpuid::detect() else {
        panic!("no Xen CPUID leaves");
    };
    let page = (&raw const hypercall_page) as u64;
    // SAFETY: we run at CPL 0 in a PVH guest; the page is ours, identity
    // mapped, and used for nothing else.
    unsafe { cpuid.install_hypercall_page(page) };
    xen_test_kernel::set_writer(console_write);
    let hc = hc();
    let platform = Platform::Pvh {
        start_info: start_info as usize as *const xen_abi::hvm::start_info::StartInfo,
        cpuid,
    };
    let ok = selftest::run(&hc, platform);
    xen_test_kernel::debug_exit(if ok { 0 } else { 1 });
    selftest::power_off(&hc)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    xen_test_kernel::report_panic(info)
}

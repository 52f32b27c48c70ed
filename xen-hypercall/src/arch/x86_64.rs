// SPDX-License-Identifier: MIT OR Apache-2.0
//! x86_64 guests: the hypercall page (PV, PVH, HVM) and Xen's CPUID leaves.
//!
//! Xen fills a 4 KiB hypercall page with one 32-byte stub per hypercall;
//! hypercall `N` is `call page + N * 32`, arguments in `rdi, rsi, rdx, r10,
//! r8`, result in `rax`. A PV guest names the page in its `HYPERCALL_PAGE`
//! ELF note and finds it filled at boot; a PVH or HVM guest asks Xen to fill
//! it by writing the page's physical address to the MSR that CPUID leaf
//! `base + 2` names ([`XenCpuid::install_hypercall_page`]).

use core::arch::asm;

use xen_abi::xen::HypercallOp;

use crate::Hypercall;

/// Entries in a hypercall page (4096 / 32).
pub const HYPERCALL_PAGE_ENTRIES: u32 = 128;

/// The hypercall-page backend.
#[derive(Debug, Clone, Copy)]
pub struct HypercallPage {
    base: usize,
}

impl HypercallPage {
    /// A backend calling through the page at virtual address `page`.
    ///
    /// # Safety
    /// `page` must be a 4 KiB page that Xen has filled with hypercall stubs
    /// (the PV `HYPERCALL_PAGE` note's page after boot, or a page installed
    /// with [`XenCpuid::install_hypercall_page`]), mapped executable for as
    /// long as the backend is used.
    pub unsafe fn new(page: *const u8) -> Self {
        Self {
            base: page as usize,
        }
    }

    /// The page's virtual address.
    pub fn page(&self) -> *const u8 {
        self.base as *const u8
    }
}

// SAFETY: `hypercall5` calls Xen's stub for `op` with the arguments unchanged
// (the stubs are what Xen defines as the hypercall ABI); `with_buffer` is the
// default identity (guest memory is what Xen sees).
unsafe impl Hypercall for HypercallPage {
    #[inline]
    unsafe fn hypercall5(&self, op: HypercallOp, args: [u64; 5]) -> isize {
        let op = op.get();
        if op >= HYPERCALL_PAGE_ENTRIES {
            return -(xen_abi::Errno::ENOSYS.get() as isize);
        }
        let entry = self.base + op as usize * 32;
        let ret: isize;
        // SAFETY: `entry` is Xen's stub for `op` inside the page (checked
        // above); the caller vouches for the arguments. Xen may clobber the
        // argument registers (debug builds do) and the stub's `syscall`
        // clobbers rcx and r11, so all of them are declared clobbered.
        unsafe {
            asm!(
                "call {entry}",
                entry = in(reg) entry,
                inlateout("rdi") args[0] => _,
                inlateout("rsi") args[1] => _,
                inlateout("rdx") args[2] => _,
                inlateout("r10") args[3] => _,
                inlateout("r8") args[4] => _,
                lateout("rax") ret,
                lateout("rcx") _,
                lateout("r11") _,
            );
        }
        ret
    }

    #[inline]
    unsafe fn hypercall1(&self, op: HypercallOp, a0: u64) -> isize {
        // SAFETY: as `hypercall5`, with four fewer live argument registers.
        unsafe { self.short(op.get(), a0, 0, 0, 1) }
    }

    #[inline]
    unsafe fn hypercall2(&self, op: HypercallOp, a0: u64, a1: u64) -> isize {
        // SAFETY: as `hypercall5`, with three fewer live argument registers.
        unsafe { self.short(op.get(), a0, a1, 0, 2) }
    }

    #[inline]
    unsafe fn hypercall3(&self, op: HypercallOp, a0: u64, a1: u64, a2: u64) -> isize {
        // SAFETY: as `hypercall5`, with two fewer live argument registers.
        unsafe { self.short(op.get(), a0, a1, a2, 3) }
    }
}

impl HypercallPage {
    /// A hypercall with `n` (1..=3) live arguments; the other argument
    /// registers are left as they are (Xen ignores them) but still declared
    /// clobbered.
    ///
    /// # Safety
    /// As [`Hypercall::hypercall5`].
    #[inline(always)]
    unsafe fn short(&self, op: u32, a0: u64, a1: u64, a2: u64, n: u8) -> isize {
        if op >= HYPERCALL_PAGE_ENTRIES {
            return -(xen_abi::Errno::ENOSYS.get() as isize);
        }
        let entry = self.base + op as usize * 32;
        let ret: isize;
        // SAFETY: `entry` is Xen's stub for `op` inside the page; the caller
        // vouches for the arguments; every register Xen may clobber is
        // declared clobbered. `n` is a constant after inlining, so only one
        // arm survives.
        unsafe {
            match n {
                1 => asm!(
                    "call {entry}",
                    entry = in(reg) entry,
                    inlateout("rdi") a0 => _,
                    lateout("rsi") _, lateout("rdx") _, lateout("r10") _, lateout("r8") _,
                    lateout("rax") ret, lateout("rcx") _, lateout("r11") _,
                ),
                2 => asm!(
                    "call {entry}",
                    entry = in(reg) entry,
                    inlateout("rdi") a0 => _,
                    inlateout("rsi") a1 => _,
                    lateout("rdx") _, lateout("r10") _, lateout("r8") _,
                    lateout("rax") ret, lateout("rcx") _, lateout("r11") _,
                ),
                _ => asm!(
                    "call {entry}",
                    entry = in(reg) entry,
                    inlateout("rdi") a0 => _,
                    inlateout("rsi") a1 => _,
                    inlateout("rdx") a2 => _,
                    lateout("r10") _, lateout("r8") _,
                    lateout("rax") ret, lateout("rcx") _, lateout("r11") _,
                ),
            }
        }
        ret
    }
}

/// Xen's CPUID leaves, as an x86 guest finds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XenCpuid {
    /// The base leaf (0x40000000 + k * 0x100) whose signature is "XenVMMXenVMM".
    pub base: u32,
    /// The largest Xen leaf (`eax` of the base leaf).
    pub max_leaf: u32,
}

fn cpuid(leaf: u32, subleaf: u32) -> [u32; 4] {
    // SAFETY: CPUID exists on every x86_64 CPU (the intrinsic is an unsafe
    // fn on older compilers, a safe one on newer).
    #[allow(unused_unsafe)]
    let r = unsafe { core::arch::x86_64::__cpuid_count(leaf, subleaf) };
    [r.eax, r.ebx, r.ecx, r.edx]
}

impl XenCpuid {
    /// Scans the hypervisor CPUID range (0x40000000..0x40010000, in steps of
    /// 0x100) for Xen's signature. Xen moves its leaves up when it also offers
    /// Viridian (Hyper-V) leaves, so the base is never assumed.
    pub fn detect() -> Option<Self> {
        (0x4000_0000u32..0x4001_0000)
            .step_by(0x100)
            .find_map(|base| {
                let [max, b, c, d] = cpuid(base, 0);
                let sig = *b"XenVMMXenVMM";
                let found = [b, c, d]
                    .iter()
                    .zip(sig.chunks_exact(4))
                    .all(|(r, w)| r.to_le_bytes()[..] == *w);
                (found && max >= base + 2).then_some(Self {
                    base,
                    max_leaf: max,
                })
            })
    }

    /// Xen's version from leaf `base + 1`.
    pub fn version(&self) -> xen_abi::version::XenVersion {
        let [eax, ..] = cpuid(self.base + 1, 0);
        xen_abi::version::XenVersion::from_packed(eax)
    }

    /// Leaf `base + 2`: (number of hypercall pages, the MSR to install them).
    pub fn hypercall_msr(&self) -> (u32, u32) {
        let [eax, ebx, ..] = cpuid(self.base + 2, 0);
        (eax, ebx)
    }

    /// Asks Xen to fill the page at guest-physical address `page_phys` with
    /// hypercall stubs, by writing it to the MSR leaf `base + 2` names.
    ///
    /// # Safety
    /// Must run at CPL 0 in a PVH or HVM guest. `page_phys` must be the
    /// 4 KiB-aligned guest-physical address of a page the caller owns and
    /// will not otherwise use: Xen overwrites it.
    pub unsafe fn install_hypercall_page(&self, page_phys: u64) {
        let (_, msr) = self.hypercall_msr();
        // SAFETY: the caller vouches for CPL 0 and for the page; the MSR is
        // the one Xen advertises for exactly this write.
        unsafe {
            asm!(
                "wrmsr",
                in("ecx") msr,
                in("eax") page_phys as u32,
                in("edx") (page_phys >> 32) as u32,
                options(nostack, preserves_flags),
            );
        }
    }
}

/// The entry of a PV guest kernel on x86_64: the Xen ELF notes that Xen's
/// (or the toolstack's) domain builder reads, a 64 KiB boot stack, and
/// `_start`, which calls `$main(start_info)` (`extern "C" fn(*const
/// StartInfo) -> !`, the address Xen passes in `rsi`). Also defines `hc()`,
/// the [`HypercallPage`] backend over the page Xen filled.
///
/// The notes say: a 64-bit kernel linked at `VIRT_BASE` =
/// `0xffffffff80000000` (`PADDR_OFFSET` the same, so physical 0 is
/// `VIRT_BASE`), entered at `_start`, the hypercall page at the symbol
/// `hypercall_page`, `LOADER` "generic", `PAE_MODE` "yes", `FEATURES`
/// "!writable_page_tables", `XEN_VERSION` "xen-3.0", and the given
/// `GUEST_OS` name (default "xen-rs").
///
/// The linker script must place the image at `0xffffffff80000000` (code
/// model `kernel`) and define `hypercall_page`: one page-aligned 4 KiB page
/// in a loaded section, which Xen fills with its hypercall stubs before
/// entering `_start`. The workspace's PV test kernel
/// (`examples/xen-test-kernel`, its `pv.ld`) boots through this macro on
/// Xen 4.17 and 4.20 in `cargo xtask test`.
///
/// ```ignore
/// xen_hypercall::pv_entry!(kernel_main, guest_os = "my-unikernel");
///
/// extern "C" fn kernel_main(start_info: *const xen_abi::xen::StartInfo) -> ! {
///     let hc = hc();
///     // ...
/// }
/// ```
#[doc(alias = "XEN_ELFNOTE_ENTRY")]
#[doc(alias = "XEN_ELFNOTE_HYPERCALL_PAGE")]
#[macro_export]
macro_rules! pv_entry {
    ($main:ident) => {
        $crate::pv_entry!($main, guest_os = "xen-rs");
    };
    ($main:ident, guest_os = $guest_os:literal) => {
        const XEN_PV_STACK_SIZE: usize = 64 * 1024;

        #[repr(C, align(16))]
        struct XenPvStack([u8; XEN_PV_STACK_SIZE]);

        #[no_mangle]
        static mut XEN_PV_STACK: XenPvStack = XenPvStack([0; XEN_PV_STACK_SIZE]);

        extern "C" {
            /// The page Xen fills with hypercall stubs (placed by the
            /// linker script).
            static hypercall_page: [u8; 4096];
        }

        /// The hypercall backend over our hypercall page.
        fn hc() -> $crate::arch::x86_64::HypercallPage {
            // SAFETY: `hypercall_page` is the page our HYPERCALL_PAGE note
            // names; Xen filled it before entering `_start`.
            unsafe {
                $crate::arch::x86_64::HypercallPage::new(
                    ::core::ptr::addr_of!(hypercall_page).cast(),
                )
            }
        }

        ::core::arch::global_asm!(
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

            .pushsection .note.Xen, "a", @note"#,
            concat!("XEN_NOTE_STR {guest_os}, \"", $guest_os, "\""),
            r#"
            XEN_NOTE_STR {guest_version}, "0.1"
            XEN_NOTE_STR {xen_version}, "xen-3.0"
            XEN_NOTE_QUAD {virt_base}, 0xffffffff80000000
            XEN_NOTE_QUAD {paddr_offset}, 0xffffffff80000000
            XEN_NOTE_QUAD {entry}, _start
            XEN_NOTE_QUAD {note_hypercall_page}, hypercall_page
            XEN_NOTE_STR {loader}, "generic"
            XEN_NOTE_STR {pae_mode}, "yes"
            XEN_NOTE_STR {features}, "!writable_page_tables"
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
            stack = sym XEN_PV_STACK,
            stack_size = const XEN_PV_STACK_SIZE,
            main = sym $main,
            guest_os = const $crate::xen_abi::elfnote::ElfNote::GUEST_OS.get(),
            guest_version = const $crate::xen_abi::elfnote::ElfNote::GUEST_VERSION.get(),
            xen_version = const $crate::xen_abi::elfnote::ElfNote::XEN_VERSION.get(),
            virt_base = const $crate::xen_abi::elfnote::ElfNote::VIRT_BASE.get(),
            paddr_offset = const $crate::xen_abi::elfnote::ElfNote::PADDR_OFFSET.get(),
            entry = const $crate::xen_abi::elfnote::ElfNote::ENTRY.get(),
            note_hypercall_page = const $crate::xen_abi::elfnote::ElfNote::HYPERCALL_PAGE.get(),
            loader = const $crate::xen_abi::elfnote::ElfNote::LOADER.get(),
            pae_mode = const $crate::xen_abi::elfnote::ElfNote::PAE_MODE.get(),
            features = const $crate::xen_abi::elfnote::ElfNote::FEATURES.get(),
        );
    };
}

/// The one ELF note a PVH guest kernel needs: `XEN_ELFNOTE_PHYS32_ENTRY`,
/// naming its 32-bit entry symbol. Xen enters it in 32-bit protected mode,
/// paging off, with `ebx` = the physical address of `hvm_start_info`; the
/// kernel switches to long mode itself, then installs its hypercall page
/// with [`XenCpuid::install_hypercall_page`].
///
/// The workspace's PVH test kernel (`examples/xen-test-kernel`, linked at
/// 1 MiB) boots through this note on Xen 4.17 and 4.20 in `cargo xtask test`.
///
/// ```ignore
/// xen_hypercall::pvh_entry_note!(_start32);
/// // _start32: .code32 entry in the kernel's own assembly.
/// ```
#[doc(alias = "XEN_ELFNOTE_PHYS32_ENTRY")]
#[macro_export]
macro_rules! pvh_entry_note {
    ($entry:ident) => {
        ::core::arch::global_asm!(
            ".pushsection .note.Xen, \"a\", @note",
            ".balign 4",
            ".long 4",
            ".long 4",
            ".long {phys32_entry}",
            ".asciz \"Xen\"",
            ".balign 4",
            concat!(".long ", stringify!($entry)),
            ".popsection",
            phys32_entry = const $crate::xen_abi::elfnote::ElfNote::PHYS32_ENTRY.get(),
        );
    };
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `arch-x86/xen.h` and `arch-x86/xen-x86_64.h`: the x86-64 part of the ABI.
//!
//! CPU context ([`CpuUserRegs`], [`VcpuGuestContext`]), the virtual IDT
//! ([`TrapInfo`]), the arch parts of the shared structures ([`ArchVcpuInfo`],
//! [`ArchSharedInfo`]), the flat segment selectors of PV guests ([`flat`]) and
//! the fixed hypervisor address-space layout.
//!
//! This module is compiled on every target; its types have the same layout
//! everywhere (all 64-bit targets align 64-bit integers to 8).

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::debug::debug_flags;
use crate::xen::Mfn;

/// Number of vCPUs whose [`VcpuInfo`](crate::xen::VcpuInfo) lives in the
/// shared-info page.
#[doc(alias = "XEN_LEGACY_MAX_VCPUS")]
pub const LEGACY_MAX_VCPUS: usize = 32;

/// The Xen-reserved tail of every PV guest's GDT (`FIRST_RESERVED_GDT_*`).
///
/// The LDT is set with [`MmuextCmd::SET_LDT`](crate::xen::MmuextCmd::SET_LDT).
pub mod gdt {
    /// First GDT page reserved by Xen (entries from here on are Xen's).
    #[doc(alias = "FIRST_RESERVED_GDT_PAGE")]
    pub const FIRST_RESERVED_PAGE: u32 = 14;
    /// First GDT byte offset reserved by Xen.
    #[doc(alias = "FIRST_RESERVED_GDT_BYTE")]
    pub const FIRST_RESERVED_BYTE: u32 = FIRST_RESERVED_PAGE * 4096;
    /// First GDT entry reserved by Xen.
    #[doc(alias = "FIRST_RESERVED_GDT_ENTRY")]
    pub const FIRST_RESERVED_ENTRY: u32 = FIRST_RESERVED_BYTE / 8;
}

/// The "port E9 hack" debug console: bytes written to this I/O port go to
/// the hypervisor console.
#[doc(alias = "XEN_HVM_DEBUGCONS_IOPORT")]
pub const HVM_DEBUGCONS_IOPORT: u16 = 0xe9;

/// The instruction prefix that makes Xen emulate the following instruction
/// (currently only `cpuid`) for a PV guest: `ud2; .ascii "xen"`.
#[doc(alias = "XEN_EMULATE_PREFIX")]
pub const EMULATE_PREFIX: [u8; 5] = [0x0f, 0x0b, 0x78, 0x65, 0x6e];

/// [`EMULATE_PREFIX`] followed by `cpuid`: a CPUID instruction that Xen
/// intercepts and answers with the guest's policy (x86 PV).
#[doc(alias = "XEN_CPUID")]
pub const EMULATED_CPUID: [u8; 7] = [0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2];

/// The fixed layout of the Xen-reserved part of a PV guest's address space.
pub mod layout {
    /// Start of the virtual address range reserved for Xen.
    #[doc(alias = "HYPERVISOR_VIRT_START")]
    pub const HYPERVISOR_START: u64 = 0xFFFF_8000_0000_0000;
    /// End of the virtual address range reserved for Xen.
    #[doc(alias = "HYPERVISOR_VIRT_END")]
    pub const HYPERVISOR_END: u64 = 0xFFFF_8800_0000_0000;
    /// Start of the read-only machine-to-physical (M2P) table mapping.
    #[doc(alias = "MACH2PHYS_VIRT_START")]
    pub const M2P_START: u64 = 0xFFFF_8000_0000_0000;
    /// End of the M2P table mapping.
    #[doc(alias = "MACH2PHYS_VIRT_END")]
    pub const M2P_END: u64 = 0xFFFF_8040_0000_0000;
    /// Number of 8-byte entries in the M2P table mapping.
    #[doc(alias = "MACH2PHYS_NR_ENTRIES")]
    pub const M2P_NR_ENTRIES: u64 = (M2P_END - M2P_START) >> 3;
}

/// `xen_callback_t`: a callback address (x86-64: just the `rip`).
#[doc(alias = "xen_callback_t")]
pub type XenCallback = u64;

/// `tsc_timestamp_t`: an `RDTSC` value.
#[doc(alias = "tsc_timestamp_t")]
pub type TscTimestamp = u64;

/// The `cr3` value of the page table at machine frame `mfn` (a PV guest's
/// `cr3` holds machine frames).
#[doc(alias = "xen_pfn_to_cr3")]
pub const fn pfn_to_cr3(mfn: Mfn) -> u64 {
    mfn.addr()
}

/// The page-table machine frame a `cr3` value points at.
#[doc(alias = "xen_cr3_to_pfn")]
pub const fn cr3_to_pfn(cr3: u64) -> Mfn {
    Mfn::containing(cr3)
}

/// The flat segment selectors in the Xen-reserved part of every PV GDT
/// (`FLAT_*`).
pub mod flat {
    /// 32-bit ring-3 code (GDT index 260).
    #[doc(alias = "FLAT_RING3_CS32")]
    pub const RING3_CS32: u16 = 0xe023;
    /// 64-bit ring-3 code (GDT index 262).
    #[doc(alias = "FLAT_RING3_CS64")]
    pub const RING3_CS64: u16 = 0xe033;
    /// 32-bit ring-3 data (GDT index 261).
    #[doc(alias = "FLAT_RING3_DS32")]
    pub const RING3_DS32: u16 = 0xe02b;
    /// 64-bit ring-3 data: the null selector.
    #[doc(alias = "FLAT_RING3_DS64")]
    pub const RING3_DS64: u16 = 0x0000;
    /// 32-bit ring-3 stack (GDT index 261).
    #[doc(alias = "FLAT_RING3_SS32")]
    pub const RING3_SS32: u16 = 0xe02b;
    /// 64-bit ring-3 stack (GDT index 261).
    #[doc(alias = "FLAT_RING3_SS64")]
    pub const RING3_SS64: u16 = 0xe02b;

    /// Kernel 64-bit data.
    #[doc(alias = "FLAT_KERNEL_DS64")]
    pub const KERNEL_DS64: u16 = RING3_DS64;
    /// Kernel 32-bit data.
    #[doc(alias = "FLAT_KERNEL_DS32")]
    pub const KERNEL_DS32: u16 = RING3_DS32;
    /// Kernel data.
    #[doc(alias = "FLAT_KERNEL_DS")]
    pub const KERNEL_DS: u16 = KERNEL_DS64;
    /// Kernel 64-bit code.
    #[doc(alias = "FLAT_KERNEL_CS64")]
    pub const KERNEL_CS64: u16 = RING3_CS64;
    /// Kernel 32-bit code.
    #[doc(alias = "FLAT_KERNEL_CS32")]
    pub const KERNEL_CS32: u16 = RING3_CS32;
    /// Kernel code.
    #[doc(alias = "FLAT_KERNEL_CS")]
    pub const KERNEL_CS: u16 = KERNEL_CS64;
    /// Kernel 64-bit stack.
    #[doc(alias = "FLAT_KERNEL_SS64")]
    pub const KERNEL_SS64: u16 = RING3_SS64;
    /// Kernel 32-bit stack.
    #[doc(alias = "FLAT_KERNEL_SS32")]
    pub const KERNEL_SS32: u16 = RING3_SS32;
    /// Kernel stack.
    #[doc(alias = "FLAT_KERNEL_SS")]
    pub const KERNEL_SS: u16 = KERNEL_SS64;

    /// User 64-bit data.
    #[doc(alias = "FLAT_USER_DS64")]
    pub const USER_DS64: u16 = RING3_DS64;
    /// User 32-bit data.
    #[doc(alias = "FLAT_USER_DS32")]
    pub const USER_DS32: u16 = RING3_DS32;
    /// User data.
    #[doc(alias = "FLAT_USER_DS")]
    pub const USER_DS: u16 = USER_DS64;
    /// User 64-bit code.
    #[doc(alias = "FLAT_USER_CS64")]
    pub const USER_CS64: u16 = RING3_CS64;
    /// User 32-bit code.
    #[doc(alias = "FLAT_USER_CS32")]
    pub const USER_CS32: u16 = RING3_CS32;
    /// User code.
    #[doc(alias = "FLAT_USER_CS")]
    pub const USER_CS: u16 = USER_CS64;
    /// User 64-bit stack.
    #[doc(alias = "FLAT_USER_SS64")]
    pub const USER_SS64: u16 = RING3_SS64;
    /// User 32-bit stack.
    #[doc(alias = "FLAT_USER_SS32")]
    pub const USER_SS32: u16 = RING3_SS32;
    /// User stack.
    #[doc(alias = "FLAT_USER_SS")]
    pub const USER_SS: u16 = USER_SS64;
}

/// Which base `HYPERVISOR_set_segment_base` sets (`SEGBASE_*`).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
)]
#[repr(transparent)]
pub struct SegmentBase(u32);

impl SegmentBase {
    /// The `%fs` base.
    #[doc(alias = "SEGBASE_FS")]
    pub const FS: Self = Self(0);
    /// The user `%gs` base.
    #[doc(alias = "SEGBASE_GS_USER")]
    pub const GS_USER: Self = Self(1);
    /// The kernel `%gs` base.
    #[doc(alias = "SEGBASE_GS_KERNEL")]
    pub const GS_KERNEL: Self = Self(2);
    /// Load the user `%gs` selector given in `base[15:0]`.
    #[doc(alias = "SEGBASE_GS_USER_SEL")]
    pub const GS_USER_SEL: Self = Self(3);

    /// Wraps a raw value.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for SegmentBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Self::FS => "FS",
            Self::GS_USER => "GS_USER",
            Self::GS_KERNEL => "GS_KERNEL",
            Self::GS_USER_SEL => "GS_USER_SEL",
            _ => return write!(f, "SegmentBase({})", self.0),
        };
        write!(f, "SegmentBase::{name}")
    }
}

/// One entry of the virtual IDT (`trap_info_t`), for
/// `HYPERVISOR_set_trap_table` (the array ends with an entry whose `address`
/// is 0) and [`VcpuGuestContext::trap_ctxt`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "trap_info")]
#[doc(alias = "trap_info_t")]
pub struct TrapInfo {
    /// Exception vector.
    pub vector: u8,
    /// Bits 1:0: privilege level allowed to raise it with `int`; bit 2:
    /// events are disabled on entry.
    pub flags: u8,
    /// Code selector.
    pub cs: u16,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Handler address.
    pub address: u64,
}
assert_layout!(TrapInfo, size = 16, align = 8, { vector: 0, flags: 1, cs: 2, address: 8 });

impl TrapInfo {
    /// Bit of `flags` that disables event delivery on entry.
    const IF_BIT: u8 = 1 << 2;

    /// A trap entry: `vector` handled at `cs:address`, callable with `int`
    /// from privilege level `dpl` (0..=3) and up, masking events on entry
    /// when `disable_events`.
    pub const fn new(vector: u8, dpl: u8, disable_events: bool, cs: u16, address: u64) -> Self {
        let flags = (dpl & 3) | if disable_events { Self::IF_BIT } else { 0 };
        Self {
            vector,
            flags,
            cs,
            _pad0: [0; 4],
            address,
        }
    }

    /// The privilege level in bits 1:0 of `flags`.
    #[doc(alias = "TI_GET_DPL")]
    pub const fn dpl(&self) -> u8 {
        self.flags & 3
    }

    /// Sets the privilege level (only its low two bits are used).
    #[doc(alias = "TI_SET_DPL")]
    pub fn set_dpl(&mut self, dpl: u8) {
        self.flags = (self.flags & !3) | (dpl & 3);
    }

    /// True when events are disabled on entry (bit 2 of `flags`).
    #[doc(alias = "TI_GET_IF")]
    pub const fn disables_events(&self) -> bool {
        self.flags & Self::IF_BIT != 0
    }

    /// Sets whether events are disabled on entry.
    #[doc(alias = "TI_SET_IF")]
    pub fn set_disables_events(&mut self, on: bool) {
        if on {
            self.flags |= Self::IF_BIT;
        } else {
            self.flags &= !Self::IF_BIT;
        }
    }
}

/// The kernel-stack frame `HYPERVISOR_iret` pops (`struct iret_context`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "iret_context")]
pub struct IretContext {
    /// Saved `rax` (top of stack).
    pub rax: u64,
    /// Saved `r11`.
    pub r11: u64,
    /// Saved `rcx`.
    pub rcx: u64,
    /// `VGCF_*` flags ([`VcpuGuestContextFlags::IN_SYSCALL`]).
    pub flags: u64,
    /// Return `rip`.
    pub rip: u64,
    /// Return `cs`.
    pub cs: u64,
    /// Return `rflags`.
    pub rflags: u64,
    /// Return `rsp`.
    pub rsp: u64,
    /// Return `ss`.
    pub ss: u64,
}
assert_layout!(IretContext, size = 72, align = 8, {
    rax: 0, r11: 8, rcx: 16, flags: 24, rip: 32, cs: 40, rflags: 48, rsp: 56, ss: 64,
});

/// The general-purpose register state of a vCPU (`cpu_user_regs_t`).
///
/// In C each of `rbp`, `rbx`, `rax`, `rcx`, `rdx`, `rsi`, `rdi`, `rip`,
/// `rflags` and `rsp` is a union with its 32-bit name; the accessors
/// [`Self::eax`] etc. read and write the low half.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "cpu_user_regs")]
#[doc(alias = "cpu_user_regs_t")]
pub struct CpuUserRegs {
    /// `r15`.
    pub r15: u64,
    /// `r14`.
    pub r14: u64,
    /// `r13`.
    pub r13: u64,
    /// `r12`.
    pub r12: u64,
    /// `rbp` (union with `ebp`).
    pub rbp: u64,
    /// `rbx` (union with `ebx`).
    pub rbx: u64,
    /// `r11`.
    pub r11: u64,
    /// `r10`.
    pub r10: u64,
    /// `r9`.
    pub r9: u64,
    /// `r8`.
    pub r8: u64,
    /// `rax` (union with `eax`).
    pub rax: u64,
    /// `rcx` (union with `ecx`).
    pub rcx: u64,
    /// `rdx` (union with `edx`).
    pub rdx: u64,
    /// `rsi` (union with `esi`).
    pub rsi: u64,
    /// `rdi` (union with `edi`).
    pub rdi: u64,
    /// Exception error code (Xen-private).
    pub error_code: u32,
    /// Exception vector (Xen-private).
    pub entry_vector: u32,
    /// `rip` (union with `eip`).
    pub rip: u64,
    /// Code selector.
    pub cs: u16,
    /// Padding (named in C).
    pub _pad0: [u16; 1],
    /// Saved event-upcall mask (`rflags.IF == !saved_upcall_mask`).
    pub saved_upcall_mask: u8,
    /// Padding (named in C).
    pub _pad1: [u8; 3],
    /// `rflags` (union with `eflags`).
    pub rflags: u64,
    /// `rsp` (union with `esp`).
    pub rsp: u64,
    /// Stack selector.
    pub ss: u16,
    /// Padding (named in C).
    pub _pad2: [u16; 3],
    /// `es` selector.
    pub es: u16,
    /// Padding (named in C).
    pub _pad3: [u16; 3],
    /// `ds` selector.
    pub ds: u16,
    /// Padding (named in C).
    pub _pad4: [u16; 3],
    /// `fs` selector.
    pub fs: u16,
    /// Padding (named in C).
    pub _pad5: [u16; 3],
    /// `gs` selector.
    pub gs: u16,
    /// Padding (named in C).
    pub _pad6: [u16; 3],
}
assert_layout!(CpuUserRegs, size = 200, align = 8, {
    r15: 0, r14: 8, r13: 16, r12: 24, rbp: 32, rbx: 40, r11: 48, r10: 56, r9: 64, r8: 72,
    rax: 80, rcx: 88, rdx: 96, rsi: 104, rdi: 112, error_code: 120, entry_vector: 124,
    rip: 128, cs: 136, saved_upcall_mask: 140, rflags: 144, rsp: 152, ss: 160, es: 168,
    ds: 176, fs: 184, gs: 192,
});

/// Low-32-bit accessors for the register unions of [`CpuUserRegs`].
macro_rules! low32_accessors {
    ($($get:ident, $set:ident, $field:ident, $alias:literal;)*) => {
        impl CpuUserRegs {
            $(
                #[doc = concat!("The low 32 bits of `", stringify!($field), "` (C `", $alias, "`).")]
                #[doc(alias = $alias)]
                pub const fn $get(&self) -> u32 {
                    self.$field as u32
                }

                #[doc = concat!("Sets `", stringify!($field), "` to the zero-extended `v`.")]
                pub fn $set(&mut self, v: u32) {
                    self.$field = u64::from(v);
                }
            )*
        }
    };
}

low32_accessors! {
    ebp, set_ebp, rbp, "_ebp";
    ebx, set_ebx, rbx, "_ebx";
    eax, set_eax, rax, "_eax";
    ecx, set_ecx, rcx, "_ecx";
    edx, set_edx, rdx, "_edx";
    esi, set_esi, rsi, "_esi";
    edi, set_edi, rdi, "_edi";
    eip, set_eip, rip, "_eip";
    eflags, set_eflags, rflags, "_eflags";
    esp, set_esp, rsp, "_esp";
}

/// Flags of [`VcpuGuestContext::flags`] (`VGCF_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct VcpuGuestContextFlags(u64);

bitflags::bitflags! {
    impl VcpuGuestContextFlags: u64 {
        /// `fpu_ctxt` holds valid state.
        #[doc(alias = "VGCF_i387_valid")]
        const I387_VALID = 1 << 0;
        /// The vCPU is in kernel mode.
        #[doc(alias = "VGCF_in_kernel")]
        const IN_KERNEL = 1 << 2;
        /// The failsafe callback is entered with events disabled.
        #[doc(alias = "VGCF_failsafe_disables_events")]
        const FAILSAFE_DISABLES_EVENTS = 1 << 3;
        /// The syscall callback is entered with events disabled.
        #[doc(alias = "VGCF_syscall_disables_events")]
        const SYSCALL_DISABLES_EVENTS = 1 << 4;
        /// The vCPU is online.
        #[doc(alias = "VGCF_online")]
        const ONLINE = 1 << 5;
        /// The guest exited in `SYSCALL` context (return with `SYSRET`);
        /// used in [`IretContext::flags`].
        #[doc(alias = "VGCF_in_syscall")]
        const IN_SYSCALL = 1 << 8;
        const _ = !0;
    }
}

impl VcpuGuestContextFlags {
    /// [`Self::I387_VALID`] under its upper-case C spelling.
    #[doc(alias = "VGCF_I387_VALID")]
    pub const I387_VALID_UPPER: Self = Self::I387_VALID;
    /// [`Self::IN_KERNEL`] under its upper-case C spelling.
    #[doc(alias = "VGCF_IN_KERNEL")]
    pub const IN_KERNEL_UPPER: Self = Self::IN_KERNEL;
    /// [`Self::IN_SYSCALL`] under its upper-case C spelling.
    #[doc(alias = "VGCF_IN_SYSCALL")]
    pub const IN_SYSCALL_UPPER: Self = Self::IN_SYSCALL;

    /// Bit number of [`Self::I387_VALID`].
    #[doc(alias = "_VGCF_i387_valid")]
    pub const I387_VALID_BIT: u32 = 0;
    /// Bit number of [`Self::IN_KERNEL`].
    #[doc(alias = "_VGCF_in_kernel")]
    pub const IN_KERNEL_BIT: u32 = 2;
    /// Bit number of [`Self::FAILSAFE_DISABLES_EVENTS`].
    #[doc(alias = "_VGCF_failsafe_disables_events")]
    pub const FAILSAFE_DISABLES_EVENTS_BIT: u32 = 3;
    /// Bit number of [`Self::SYSCALL_DISABLES_EVENTS`].
    #[doc(alias = "_VGCF_syscall_disables_events")]
    pub const SYSCALL_DISABLES_EVENTS_BIT: u32 = 4;
    /// Bit number of [`Self::ONLINE`].
    #[doc(alias = "_VGCF_online")]
    pub const ONLINE_BIT: u32 = 5;
    /// Bit number of [`Self::IN_SYSCALL`].
    #[doc(alias = "_VGCF_in_syscall")]
    pub const IN_SYSCALL_BIT: u32 = 8;
}

impl fmt::Debug for VcpuGuestContextFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags("VcpuGuestContextFlags", self, f)
    }
}

/// The full state of an x86 vCPU (`vcpu_guest_context_t`), for
/// `VCPUOP_initialise` (PV) and `XEN_DOMCTL_{get,set}vcpucontext`.
///
/// Too large for `Default`; start from
/// [`FromZeros::new_zeroed`](zerocopy::FromZeros::new_zeroed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
#[doc(alias = "vcpu_guest_context")]
#[doc(alias = "vcpu_guest_context_t")]
pub struct VcpuGuestContext {
    /// FPU state in `FXSAVE` format (C: `struct { char x[512]; }`).
    pub fpu_ctxt: [u8; 512],
    /// `VGCF_*` flags.
    pub flags: VcpuGuestContextFlags,
    /// General-purpose registers.
    pub user_regs: CpuUserRegs,
    /// The virtual IDT.
    pub trap_ctxt: [TrapInfo; 256],
    /// LDT linear address.
    pub ldt_base: u64,
    /// LDT entries.
    pub ldt_ents: u64,
    /// GDT machine frames.
    pub gdt_frames: [u64; 16],
    /// GDT entries.
    pub gdt_ents: u64,
    /// Kernel stack selector (virtual TSS SS1).
    pub kernel_ss: u64,
    /// Kernel stack pointer (virtual TSS SP1).
    pub kernel_sp: u64,
    /// CR0-CR7 (the user page table is in `ctrlreg[1]`).
    pub ctrlreg: [u64; 8],
    /// DR0-DR7.
    pub debugreg: [u64; 8],
    /// Event callback address.
    pub event_callback_eip: u64,
    /// Failsafe callback address.
    pub failsafe_callback_eip: u64,
    /// Syscall callback address.
    pub syscall_callback_eip: u64,
    /// Bitmap of enabled [`VmAssistType`](crate::xen::VmAssistType)s.
    pub vm_assist: u64,
    /// `%fs` base.
    pub fs_base: u64,
    /// Kernel `%gs` base.
    pub gs_base_kernel: u64,
    /// User `%gs` base.
    pub gs_base_user: u64,
}
assert_layout!(VcpuGuestContext, size = 5168, align = 8, {
    fpu_ctxt: 0, flags: 512, user_regs: 520, trap_ctxt: 720, ldt_base: 4816, ldt_ents: 4824,
    gdt_frames: 4832, gdt_ents: 4960, kernel_ss: 4968, kernel_sp: 4976, ctrlreg: 4984,
    debugreg: 5048, event_callback_eip: 5112, failsafe_callback_eip: 5120,
    syscall_callback_eip: 5128, vm_assist: 5136, fs_base: 5144, gs_base_kernel: 5152,
    gs_base_user: 5160,
});

/// The x86 part of [`VcpuInfo`](crate::xen::VcpuInfo) (`arch_vcpu_info_t`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "arch_vcpu_info")]
#[doc(alias = "arch_vcpu_info_t")]
pub struct ArchVcpuInfo {
    /// Faulting address of the last page fault (PV).
    pub cr2: u64,
    /// Padding (named in C), keeping `vcpu_info` at 64 bytes.
    pub pad: u64,
}
assert_layout!(ArchVcpuInfo, size = 16, align = 8, { cr2: 0, pad: 8 });

/// The x86 part of [`SharedInfo`](crate::xen::SharedInfo)
/// (`arch_shared_info_t`): where PV guests publish their P2M.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "arch_shared_info")]
#[doc(alias = "arch_shared_info_t")]
pub struct ArchSharedInfo {
    /// Number of valid entries in the P2M.
    pub max_pfn: u64,
    /// Frame of the list of frames of lists of P2M frames (0: not set up;
    /// `!0`: invalid, use `p2m_vaddr`).
    pub pfn_to_mfn_frame_list_list: Mfn,
    /// NMI reason bits.
    pub nmi_reason: u64,
    /// `cr3` of the address space where `p2m_vaddr` is valid (0: the three
    /// fields below are unused).
    pub p2m_cr3: u64,
    /// Virtual address of the linear P2M list.
    pub p2m_vaddr: u64,
    /// Generation count of the P2M mapping (odd while it changes).
    pub p2m_generation: u64,
}
assert_layout!(ArchSharedInfo, size = 48, align = 8, {
    max_pfn: 0, pfn_to_mfn_frame_list_list: 8, nmi_reason: 16, p2m_cr3: 24, p2m_vaddr: 32,
    p2m_generation: 40,
});

/// Devices Xen emulates for an x86 domain: `emulation_flags` of the
/// toolstack-only `xen_arch_domainconfig` (`XEN_X86_EMU_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct EmulationFlags(u32);

bitflags::bitflags! {
    impl EmulationFlags: u32 {
        /// Local APIC.
        #[doc(alias = "XEN_X86_EMU_LAPIC")]
        const LAPIC = 1 << 0;
        /// HPET.
        #[doc(alias = "XEN_X86_EMU_HPET")]
        const HPET = 1 << 1;
        /// ACPI PM timer and registers.
        #[doc(alias = "XEN_X86_EMU_PM")]
        const PM = 1 << 2;
        /// RTC.
        #[doc(alias = "XEN_X86_EMU_RTC")]
        const RTC = 1 << 3;
        /// IO-APIC.
        #[doc(alias = "XEN_X86_EMU_IOAPIC")]
        const IOAPIC = 1 << 4;
        /// PIC.
        #[doc(alias = "XEN_X86_EMU_PIC")]
        const PIC = 1 << 5;
        /// VGA.
        #[doc(alias = "XEN_X86_EMU_VGA")]
        const VGA = 1 << 6;
        /// IOMMU.
        #[doc(alias = "XEN_X86_EMU_IOMMU")]
        const IOMMU = 1 << 7;
        /// PIT.
        #[doc(alias = "XEN_X86_EMU_PIT")]
        const PIT = 1 << 8;
        /// Route legacy interrupts through PIRQs.
        #[doc(alias = "XEN_X86_EMU_USE_PIRQ")]
        const USE_PIRQ = 1 << 9;
        /// Virtual PCI.
        #[doc(alias = "XEN_X86_EMU_VPCI")]
        const VPCI = 1 << 10;
        /// Everything (a full HVM guest).
        #[doc(alias = "XEN_X86_EMU_ALL")]
        const ALL = 0x7ff;
        const _ = !0;
    }
}

impl EmulationFlags {
    /// Bit number of [`Self::LAPIC`].
    #[doc(alias = "_XEN_X86_EMU_LAPIC")]
    pub const LAPIC_BIT: u32 = 0;
    /// Bit number of [`Self::HPET`].
    #[doc(alias = "_XEN_X86_EMU_HPET")]
    pub const HPET_BIT: u32 = 1;
    /// Bit number of [`Self::PM`].
    #[doc(alias = "_XEN_X86_EMU_PM")]
    pub const PM_BIT: u32 = 2;
    /// Bit number of [`Self::RTC`].
    #[doc(alias = "_XEN_X86_EMU_RTC")]
    pub const RTC_BIT: u32 = 3;
    /// Bit number of [`Self::IOAPIC`].
    #[doc(alias = "_XEN_X86_EMU_IOAPIC")]
    pub const IOAPIC_BIT: u32 = 4;
    /// Bit number of [`Self::PIC`].
    #[doc(alias = "_XEN_X86_EMU_PIC")]
    pub const PIC_BIT: u32 = 5;
    /// Bit number of [`Self::VGA`].
    #[doc(alias = "_XEN_X86_EMU_VGA")]
    pub const VGA_BIT: u32 = 6;
    /// Bit number of [`Self::IOMMU`].
    #[doc(alias = "_XEN_X86_EMU_IOMMU")]
    pub const IOMMU_BIT: u32 = 7;
    /// Bit number of [`Self::PIT`].
    #[doc(alias = "_XEN_X86_EMU_PIT")]
    pub const PIT_BIT: u32 = 8;
    /// Bit number of [`Self::USE_PIRQ`].
    #[doc(alias = "_XEN_X86_EMU_USE_PIRQ")]
    pub const USE_PIRQ_BIT: u32 = 9;
    /// Bit number of [`Self::VPCI`].
    #[doc(alias = "_XEN_X86_EMU_VPCI")]
    pub const VPCI_BIT: u32 = 10;
}

impl fmt::Debug for EmulationFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags("EmulationFlags", self, f)
    }
}

/// `misc_flags` of the toolstack-only `xen_arch_domainconfig`.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct MiscFlags(u32);

bitflags::bitflags! {
    impl MiscFlags: u32 {
        /// Unhandled MSR accesses read as zero / ignore writes instead of
        /// raising `#GP`.
        #[doc(alias = "XEN_X86_MSR_RELAXED")]
        const MSR_RELAXED = 1 << 0;
        const _ = !0;
    }
}

impl MiscFlags {
    /// The highest flag defined (for ABI checks).
    #[doc(alias = "XEN_X86_MISC_FLAGS_MAX")]
    pub const MAX: Self = Self::MSR_RELAXED;
}

impl fmt::Debug for MiscFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags("MiscFlags", self, f)
    }
}

/// An x86 domain's architecture configuration (the toolstack-only
/// `struct xen_arch_domainconfig`), part of `XEN_DOMCTL_createdomain` and
/// `XEN_DOMCTL_getdomaininfo` (see [`crate::domctl`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_arch_domainconfig")]
pub struct ArchDomainConfig {
    /// The devices Xen emulates (empty for a PV domain).
    pub emulation_flags: EmulationFlags,
    /// Other settings.
    pub misc_flags: MiscFlags,
}
assert_layout!(ArchDomainConfig, size = 8, align = 4, { emulation_flags: 0, misc_flags: 4 });

/// `subleaf` value of a CPUID leaf that has no subleaves.
#[doc(alias = "XEN_CPUID_NO_SUBLEAF")]
pub const CPUID_NO_SUBLEAF: u32 = 0xffff_ffff;

/// One CPUID leaf of a serialised CPU policy (`xen_cpuid_leaf_t`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_cpuid_leaf")]
#[doc(alias = "xen_cpuid_leaf_t")]
pub struct CpuidLeaf {
    /// Leaf (`eax` input).
    pub leaf: u32,
    /// Subleaf (`ecx` input), or [`CPUID_NO_SUBLEAF`].
    pub subleaf: u32,
    /// `eax` output.
    pub a: u32,
    /// `ebx` output.
    pub b: u32,
    /// `ecx` output.
    pub c: u32,
    /// `edx` output.
    pub d: u32,
}
assert_layout!(CpuidLeaf, size = 24, align = 4, {
    leaf: 0, subleaf: 4, a: 8, b: 12, c: 16, d: 20,
});

/// One MSR of a serialised CPU policy (`xen_msr_entry_t`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_msr_entry")]
#[doc(alias = "xen_msr_entry_t")]
pub struct MsrEntry {
    /// MSR index.
    pub idx: u32,
    /// Reserved, must be zero.
    pub flags: u32,
    /// MSR value.
    pub val: u64,
}
assert_layout!(MsrEntry, size = 16, align = 8, { idx: 0, flags: 4, val: 8 });

mod sub_ops {
    use super::VcpuGuestContext;
    use crate::vcpu::op;

    sub_op!(VCPU_OP: VcpuGuestContext => INITIALISE);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn trap_info_flags() {
        let mut t = TrapInfo::new(14, 3, true, flat::KERNEL_CS, 0xffff_ffff_8100_0000);
        assert_eq!((t.dpl(), t.disables_events(), t.flags), (3, true, 7));
        t.set_dpl(1);
        t.set_disables_events(false);
        assert_eq!((t.dpl(), t.disables_events(), t.flags), (1, false, 1));
    }

    #[test]
    fn low_halves() {
        let mut r = CpuUserRegs {
            rax: 0x1234_5678_9abc_def0,
            ..Default::default()
        };
        assert_eq!(r.eax(), 0x9abc_def0);
        r.set_esp(0x8000);
        assert_eq!(r.rsp, 0x8000);
        assert_eq!(&r.as_bytes()[152..156], &0x8000u32.to_ne_bytes());
    }

    #[test]
    fn constants() {
        assert_eq!(gdt::FIRST_RESERVED_ENTRY, 7168);
        assert_eq!(layout::M2P_NR_ENTRIES, 0x8_0000_0000);
        assert_eq!(flat::KERNEL_CS, 0xe033);
        assert_eq!(
            cr3_to_pfn(pfn_to_cr3(Mfn::new_unchecked(0x1234))).get(),
            0x1234
        );
        assert_eq!(
            VcpuGuestContextFlags::IN_SYSCALL.bits(),
            1 << VcpuGuestContextFlags::IN_SYSCALL_BIT
        );
        let f = VcpuGuestContextFlags::I387_VALID | VcpuGuestContextFlags::ONLINE;
        assert_eq!(
            format!("{f:?}"),
            "VcpuGuestContextFlags(I387_VALID | ONLINE)"
        );
        assert_eq!(
            format!("{:?}", SegmentBase::GS_USER_SEL),
            "SegmentBase::GS_USER_SEL"
        );
        let all = EmulationFlags::from_bits_retain((1 << (EmulationFlags::VPCI_BIT + 1)) - 1);
        assert_eq!(all, EmulationFlags::ALL);
        assert_eq!(&EMULATED_CPUID[..5], &EMULATE_PREFIX);
    }

    #[test]
    fn guest_context_zeroed() {
        use zerocopy::FromZeros;
        let mut c = VcpuGuestContext::new_zeroed();
        c.user_regs.cs = flat::KERNEL_CS;
        c.trap_ctxt[3] = TrapInfo::new(3, 3, false, flat::KERNEL_CS, 0x1000);
        assert_eq!(c.as_bytes().len(), 5168);
        assert_eq!(c.as_bytes()[720 + 3 * 16], 3);
    }
}

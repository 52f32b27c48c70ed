// SPDX-License-Identifier: MIT OR Apache-2.0
//! `elfnote.h`: the ELF note types a Xen guest kernel (or a crash or core
//! dump) carries.
//!
//! The notes live in a `PT_NOTE` segment with `"Xen"` as the note name. A
//! numeric value is 4 or 8 bytes, as the note's descriptor size says; a
//! string value is NUL-terminated ASCII.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A Xen ELF note type (`XEN_ELFNOTE_*`), the `n_type` of a note named
/// `"Xen"`.
///
/// Unknown values stay representable.
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
pub struct ElfNote(u32);

impl ElfNote {
    /// `NAME=VALUE` pair (string).
    #[doc(alias = "XEN_ELFNOTE_INFO")]
    pub const INFO: Self = Self(0);
    /// Virtual address of the entry point (numeric). Legacy: `VIRT_ENTRY`.
    #[doc(alias = "XEN_ELFNOTE_ENTRY")]
    pub const ENTRY: Self = Self(1);
    /// Virtual address of the hypercall page (numeric). Legacy:
    /// `HYPERCALL_PAGE`, a page number.
    #[doc(alias = "XEN_ELFNOTE_HYPERCALL_PAGE")]
    pub const HYPERCALL_PAGE: Self = Self(2);
    /// Virtual address the kernel image is mapped at (numeric, default 0).
    /// Legacy: `VIRT_BASE`.
    #[doc(alias = "XEN_ELFNOTE_VIRT_BASE")]
    pub const VIRT_BASE: Self = Self(3);
    /// Offset of the ELF `paddr` fields from the pseudo-physical addresses
    /// (numeric, default 0). Legacy: `ELF_PADDR_OFFSET`.
    #[doc(alias = "XEN_ELFNOTE_PADDR_OFFSET")]
    pub const PADDR_OFFSET: Self = Self(4);
    /// Version of Xen the kernel works with (string). Legacy: `XEN_VER`.
    #[doc(alias = "XEN_ELFNOTE_XEN_VERSION")]
    pub const XEN_VERSION: Self = Self(5);
    /// Name of the guest OS (string). Legacy: `GUEST_OS`.
    #[doc(alias = "XEN_ELFNOTE_GUEST_OS")]
    pub const GUEST_OS: Self = Self(6);
    /// Version of the guest OS (string). Legacy: `GUEST_VER`.
    #[doc(alias = "XEN_ELFNOTE_GUEST_VERSION")]
    pub const GUEST_VERSION: Self = Self(7);
    /// Loader type (string). Legacy: `LOADER`.
    #[doc(alias = "XEN_ELFNOTE_LOADER")]
    pub const LOADER: Self = Self(8);
    /// PAE support, x86_32 only (string: `"yes"`, `"no"` or `"bimodal"`).
    /// Legacy: `PAE`.
    #[doc(alias = "XEN_ELFNOTE_PAE_MODE")]
    pub const PAE_MODE: Self = Self(9);
    /// Features supported or (with a `!` prefix) required, `|`-separated
    /// `XENFEAT_` names without the prefix (string). Legacy: `FEATURES`.
    #[doc(alias = "XEN_ELFNOTE_FEATURES")]
    pub const FEATURES: Self = Self(10);
    /// The kernel needs its symbol table loaded (string: `"yes"` or `"no"`).
    /// Legacy: `BSD_SYMTAB`.
    #[doc(alias = "XEN_ELFNOTE_BSD_SYMTAB")]
    pub const BSD_SYMTAB: Self = Self(11);
    /// Lowest address the hypervisor hole may start at (numeric).
    #[doc(alias = "XEN_ELFNOTE_HV_START_LOW")]
    pub const HV_START_LOW: Self = Self(12);
    /// Mask/value pairs recognising non-present L1 entries that carry valid
    /// MFNs (numeric).
    #[doc(alias = "XEN_ELFNOTE_L1_MFN_VALID")]
    pub const L1_MFN_VALID: Self = Self(13);
    /// The guest supports cooperative suspend cancellation (numeric,
    /// default 0).
    #[doc(alias = "XEN_ELFNOTE_SUSPEND_CANCEL")]
    pub const SUSPEND_CANCEL: Self = Self(14);
    /// Where the initial physical-to-machine map should be placed (numeric,
    /// x86_64 only).
    #[doc(alias = "XEN_ELFNOTE_INIT_P2M")]
    pub const INIT_P2M: Self = Self(15);
    /// The guest accepts an initrd not mapped by its initial page tables.
    #[doc(alias = "XEN_ELFNOTE_MOD_START_PFN")]
    pub const MOD_START_PFN: Self = Self(16);
    /// Features supported, as a `XENFEAT_*` bitmap (numeric).
    #[doc(alias = "XEN_ELFNOTE_SUPPORTED_FEATURES")]
    pub const SUPPORTED_FEATURES: Self = Self(17);
    /// 32-bit physical entry point used to start the kernel in an HVM/PVH
    /// container (protected mode, paging off).
    #[doc(alias = "XEN_ELFNOTE_PHYS32_ENTRY")]
    pub const PHYS32_ENTRY: Self = Self(18);
    /// The highest guest note type defined.
    #[doc(alias = "XEN_ELFNOTE_MAX")]
    pub const MAX: Self = Self::PHYS32_ENTRY;

    /// Crash note: system information (one per crash).
    #[doc(alias = "XEN_ELFNOTE_CRASH_INFO")]
    pub const CRASH_INFO: Self = Self(0x100_0001);
    /// Crash note: architecture-specific registers (one per CPU).
    #[doc(alias = "XEN_ELFNOTE_CRASH_REGS")]
    pub const CRASH_REGS: Self = Self(0x100_0002);

    /// Dump-core note marking a Xen dump-core file (no content).
    #[doc(alias = "XEN_ELFNOTE_DUMPCORE_NONE")]
    pub const DUMPCORE_NONE: Self = Self(0x200_0000);
    /// Dump-core header note.
    #[doc(alias = "XEN_ELFNOTE_DUMPCORE_HEADER")]
    pub const DUMPCORE_HEADER: Self = Self(0x200_0001);
    /// Dump-core note with the Xen version (from `XENVER_*`).
    #[doc(alias = "XEN_ELFNOTE_DUMPCORE_XEN_VERSION")]
    pub const DUMPCORE_XEN_VERSION: Self = Self(0x200_0002);
    /// Dump-core note with the format version.
    #[doc(alias = "XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION")]
    pub const DUMPCORE_FORMAT_VERSION: Self = Self(0x200_0003);

    /// The note type with raw value `raw`.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw note type.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The C name of a known note type.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "XEN_ELFNOTE_INFO",
            1 => "XEN_ELFNOTE_ENTRY",
            2 => "XEN_ELFNOTE_HYPERCALL_PAGE",
            3 => "XEN_ELFNOTE_VIRT_BASE",
            4 => "XEN_ELFNOTE_PADDR_OFFSET",
            5 => "XEN_ELFNOTE_XEN_VERSION",
            6 => "XEN_ELFNOTE_GUEST_OS",
            7 => "XEN_ELFNOTE_GUEST_VERSION",
            8 => "XEN_ELFNOTE_LOADER",
            9 => "XEN_ELFNOTE_PAE_MODE",
            10 => "XEN_ELFNOTE_FEATURES",
            11 => "XEN_ELFNOTE_BSD_SYMTAB",
            12 => "XEN_ELFNOTE_HV_START_LOW",
            13 => "XEN_ELFNOTE_L1_MFN_VALID",
            14 => "XEN_ELFNOTE_SUSPEND_CANCEL",
            15 => "XEN_ELFNOTE_INIT_P2M",
            16 => "XEN_ELFNOTE_MOD_START_PFN",
            17 => "XEN_ELFNOTE_SUPPORTED_FEATURES",
            18 => "XEN_ELFNOTE_PHYS32_ENTRY",
            0x100_0001 => "XEN_ELFNOTE_CRASH_INFO",
            0x100_0002 => "XEN_ELFNOTE_CRASH_REGS",
            0x200_0000 => "XEN_ELFNOTE_DUMPCORE_NONE",
            0x200_0001 => "XEN_ELFNOTE_DUMPCORE_HEADER",
            0x200_0002 => "XEN_ELFNOTE_DUMPCORE_XEN_VERSION",
            0x200_0003 => "XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION",
            _ => return None,
        })
    }
}

impl fmt::Debug for ElfNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "ElfNote({:#x})", self.0),
        }
    }
}

impl From<ElfNote> for u32 {
    fn from(n: ElfNote) -> u32 {
        n.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn names() {
        assert_eq!(ElfNote::MAX, ElfNote::PHYS32_ENTRY);
        assert_eq!(
            format!("{:?}", ElfNote::new(18)),
            "XEN_ELFNOTE_PHYS32_ENTRY"
        );
        assert_eq!(format!("{:?}", ElfNote::new(99)), "ElfNote(0x63)");
        assert_eq!(
            ElfNote::DUMPCORE_HEADER.name(),
            Some("XEN_ELFNOTE_DUMPCORE_HEADER")
        );
    }
}

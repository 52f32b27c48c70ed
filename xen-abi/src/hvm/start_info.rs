// SPDX-License-Identifier: MIT OR Apache-2.0
//! `arch-x86/hvm/start_info.h`: the start-of-day structure Xen hands a PVH
//! guest (and an HVM guest) in `%ebx`.
//!
//! The layout is x86's, but it is plain fixed-width little-endian data, so it
//! is defined (and its layout asserted) on every target. A zero address in
//! any field means "not present": nothing is loaded at physical address 0.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The value of [`StartInfo::magic`]: `"xEn3"` with the 0x80 bit of the `E`
/// set.
#[doc(alias = "XEN_HVM_START_MAGIC_VALUE")]
pub const START_MAGIC_VALUE: u32 = 0x336e_c578;

/// `XEN_HVM_MEMMAP_TYPE_*`: the [`MemmapTableEntry::kind`] values (the ACPI
/// address-range types).
pub mod memmap_type {
    /// Usable RAM.
    #[doc(alias = "XEN_HVM_MEMMAP_TYPE_RAM")]
    pub const RAM: u32 = 1;
    /// Reserved.
    #[doc(alias = "XEN_HVM_MEMMAP_TYPE_RESERVED")]
    pub const RESERVED: u32 = 2;
    /// ACPI reclaimable memory.
    #[doc(alias = "XEN_HVM_MEMMAP_TYPE_ACPI")]
    pub const ACPI: u32 = 3;
    /// ACPI NVS memory.
    #[doc(alias = "XEN_HVM_MEMMAP_TYPE_NVS")]
    pub const NVS: u32 = 4;
    /// Unusable memory.
    #[doc(alias = "XEN_HVM_MEMMAP_TYPE_UNUSABLE")]
    pub const UNUSABLE: u32 = 5;
    /// Disabled memory.
    #[doc(alias = "XEN_HVM_MEMMAP_TYPE_DISABLED")]
    pub const DISABLED: u32 = 6;
    /// Persistent memory.
    #[doc(alias = "XEN_HVM_MEMMAP_TYPE_PMEM")]
    pub const PMEM: u32 = 7;
}

/// The PVH start-of-day structure.
///
/// Version 0 ends after `rsdp_paddr`; version 1 added the memory map (and
/// the trailing reserved word).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "hvm_start_info")]
pub struct StartInfo {
    /// [`START_MAGIC_VALUE`].
    pub magic: u32,
    /// Version of the structure (backwards compatible; currently 1).
    pub version: u32,
    /// `SIF_*` flags (see `xen.h`).
    pub flags: u32,
    /// Number of entries at `modlist_paddr`.
    pub nr_modules: u32,
    /// Physical address of an array of [`ModlistEntry`].
    pub modlist_paddr: u64,
    /// Physical address of the NUL-terminated command line.
    pub cmdline_paddr: u64,
    /// Physical address of the ACPI RSDP.
    pub rsdp_paddr: u64,
    /// Version 1: physical address of an array of [`MemmapTableEntry`].
    pub memmap_paddr: u64,
    /// Version 1: number of entries at `memmap_paddr` (0: no memory map).
    pub memmap_entries: u32,
    /// Version 1: zero.
    pub reserved: u32,
}
assert_layout!(StartInfo, size = 56, align = 8, {
    magic: 0,
    version: 4,
    flags: 8,
    nr_modules: 12,
    modlist_paddr: 16,
    cmdline_paddr: 24,
    rsdp_paddr: 32,
    memmap_paddr: 40,
    memmap_entries: 48,
    reserved: 52,
});

impl StartInfo {
    /// True if `magic` is [`START_MAGIC_VALUE`].
    pub const fn has_magic(&self) -> bool {
        self.magic == START_MAGIC_VALUE
    }

    /// The memory map's physical address and entry count, if this structure
    /// is version 1 or newer and carries one.
    pub const fn memmap(&self) -> Option<(u64, u32)> {
        if self.version >= 1 && self.memmap_entries != 0 && self.memmap_paddr != 0 {
            Some((self.memmap_paddr, self.memmap_entries))
        } else {
            None
        }
    }
}

/// A module (initrd, ...) passed to a PVH guest.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "hvm_modlist_entry")]
pub struct ModlistEntry {
    /// Physical address of the module.
    pub paddr: u64,
    /// Size of the module in bytes.
    pub size: u64,
    /// Physical address of the module's NUL-terminated command line.
    pub cmdline_paddr: u64,
    /// Reserved.
    pub reserved: u64,
}
assert_layout!(ModlistEntry, size = 32, align = 8, {
    paddr: 0,
    size: 8,
    cmdline_paddr: 16,
    reserved: 24,
});

/// An entry of a PVH guest's memory map.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "hvm_memmap_table_entry")]
pub struct MemmapTableEntry {
    /// Base address of the region.
    pub addr: u64,
    /// Size of the region in bytes.
    pub size: u64,
    /// The region's type (one of [`memmap_type`]).
    #[doc(alias = "type")]
    pub kind: u32,
    /// Zero (version 1).
    pub reserved: u32,
}
assert_layout!(MemmapTableEntry, size = 24, align = 8, {
    addr: 0,
    size: 8,
    kind: 16,
    reserved: 20,
});

impl MemmapTableEntry {
    /// True for usable RAM.
    pub const fn is_ram(&self) -> bool {
        self.kind == memmap_type::RAM
    }

    /// One past the region's last byte, or `None` on overflow.
    pub const fn end(&self) -> Option<u64> {
        self.addr.checked_add(self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_info_from_bytes() {
        let mut bytes = [0u8; 56];
        bytes[..4].copy_from_slice(&START_MAGIC_VALUE.to_le_bytes());
        bytes[4] = 1;
        bytes[40] = 0x10;
        bytes[48] = 3;
        let si = StartInfo::read_from_bytes(&bytes).expect("56 bytes");
        assert!(si.has_magic());
        assert_eq!(si.memmap(), Some((0x10, 3)));
        let v0 = StartInfo { version: 0, ..si };
        assert_eq!(v0.memmap(), None);
    }

    #[test]
    fn memmap_entry() {
        let e = MemmapTableEntry {
            addr: u64::MAX,
            size: 2,
            kind: memmap_type::RAM,
            reserved: 0,
        };
        assert!(e.is_ram());
        assert_eq!(e.end(), None);
    }
}

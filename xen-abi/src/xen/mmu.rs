// SPDX-License-Identifier: MIT OR Apache-2.0
//! x86 PV memory management: `mmu_update`, `mmuext_op` and
//! `update_va_mapping` (`MMU_*`, `MMUEXT_*`, `UVMF_*`).

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::{DomId, GuestHandle, Mfn};
use crate::debug::debug_flags;

/// The command in bits 1:0 of [`MmuUpdate::ptr`] (`MMU_*`).
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
pub struct MmuUpdateCmd(u32);

impl MmuUpdateCmd {
    /// Checked `*ptr = val`; `ptr` is the machine address of a PTE.
    #[doc(alias = "MMU_NORMAL_PT_UPDATE")]
    pub const NORMAL_PT_UPDATE: Self = Self(0);
    /// Update the machine-to-physical entry of the frame holding `ptr`.
    #[doc(alias = "MMU_MACHPHYS_UPDATE")]
    pub const MACHPHYS_UPDATE: Self = Self(1);
    /// As [`Self::NORMAL_PT_UPDATE`], keeping the PTE's accessed/dirty bits.
    #[doc(alias = "MMU_PT_UPDATE_PRESERVE_AD")]
    pub const PT_UPDATE_PRESERVE_AD: Self = Self(2);
    /// As [`Self::NORMAL_PT_UPDATE`], without translating `val` through the
    /// foreign domain's page tables.
    #[doc(alias = "MMU_PT_UPDATE_NO_TRANSLATE")]
    pub const PT_UPDATE_NO_TRANSLATE: Self = Self(3);
}

code_newtype!(
    MmuUpdateCmd,
    u32,
    [
        NORMAL_PT_UPDATE,
        MACHPHYS_UPDATE,
        PT_UPDATE_PRESERVE_AD,
        PT_UPDATE_NO_TRANSLATE
    ]
);

/// The `foreigndom` argument of `HYPERVISOR_mmu_update`: `fd` (owner of the
/// data pages) in bits 15:0 and `pfd` (owner of the page-table pages) in bits
/// 31:16, where [`DomId::SELF`] is encoded as 0 and any other id as `id + 1`.
pub const fn mmu_update_foreigndom(fd: DomId, pfd: DomId) -> u32 {
    let hi = if pfd.get() == DomId::SELF.get() {
        0
    } else {
        pfd.get() as u32 + 1
    };
    (hi << 16) | fd.get() as u32
}

/// One page-table update for `HYPERVISOR_mmu_update` (`mmu_update_t`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "mmu_update")]
#[doc(alias = "mmu_update_t")]
pub struct MmuUpdate {
    /// Machine address of the PTE (or frame), with the [`MmuUpdateCmd`] in
    /// bits 1:0.
    pub ptr: u64,
    /// The new contents.
    pub val: u64,
}
assert_layout!(MmuUpdate, size = 16, align = 8, { ptr: 0, val: 8 });

impl MmuUpdate {
    /// An update of `val` at machine address `addr` (its low two bits are
    /// replaced by `cmd`).
    pub const fn new(cmd: MmuUpdateCmd, addr: u64, val: u64) -> Self {
        Self {
            ptr: (addr & !3) | (cmd.0 as u64 & 3),
            val,
        }
    }

    /// The command in bits 1:0 of `ptr`.
    pub const fn cmd(&self) -> MmuUpdateCmd {
        MmuUpdateCmd((self.ptr & 3) as u32)
    }

    /// The machine address in `ptr` (command bits cleared).
    pub const fn addr(&self) -> u64 {
        self.ptr & !3
    }
}

/// A command of `HYPERVISOR_mmuext_op` (`MMUEXT_*`, [`MmuextOp::cmd`]).
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
#[doc(alias = "mmuext_cmd")]
pub struct MmuextCmd(u32);

impl MmuextCmd {
    /// Pin `mfn` as an L1 page table.
    #[doc(alias = "MMUEXT_PIN_L1_TABLE")]
    pub const PIN_L1_TABLE: Self = Self(0);
    /// Pin `mfn` as an L2 page table.
    #[doc(alias = "MMUEXT_PIN_L2_TABLE")]
    pub const PIN_L2_TABLE: Self = Self(1);
    /// Pin `mfn` as an L3 page table.
    #[doc(alias = "MMUEXT_PIN_L3_TABLE")]
    pub const PIN_L3_TABLE: Self = Self(2);
    /// Pin `mfn` as an L4 page table.
    #[doc(alias = "MMUEXT_PIN_L4_TABLE")]
    pub const PIN_L4_TABLE: Self = Self(3);
    /// Unpin the page table `mfn`.
    #[doc(alias = "MMUEXT_UNPIN_TABLE")]
    pub const UNPIN_TABLE: Self = Self(4);
    /// Install `mfn` as the page-table base.
    #[doc(alias = "MMUEXT_NEW_BASEPTR")]
    pub const NEW_BASEPTR: Self = Self(5);
    /// Flush the local TLB.
    #[doc(alias = "MMUEXT_TLB_FLUSH_LOCAL")]
    pub const TLB_FLUSH_LOCAL: Self = Self(6);
    /// Flush `linear_addr` from the local TLB.
    #[doc(alias = "MMUEXT_INVLPG_LOCAL")]
    pub const INVLPG_LOCAL: Self = Self(7);
    /// Flush the TLBs of the vCPUs in `vcpumask`.
    #[doc(alias = "MMUEXT_TLB_FLUSH_MULTI")]
    pub const TLB_FLUSH_MULTI: Self = Self(8);
    /// Flush `linear_addr` from the TLBs of the vCPUs in `vcpumask`.
    #[doc(alias = "MMUEXT_INVLPG_MULTI")]
    pub const INVLPG_MULTI: Self = Self(9);
    /// Flush all vCPUs' TLBs.
    #[doc(alias = "MMUEXT_TLB_FLUSH_ALL")]
    pub const TLB_FLUSH_ALL: Self = Self(10);
    /// Flush `linear_addr` from all vCPUs' TLBs.
    #[doc(alias = "MMUEXT_INVLPG_ALL")]
    pub const INVLPG_ALL: Self = Self(11);
    /// Write back and flush the local cache.
    #[doc(alias = "MMUEXT_FLUSH_CACHE")]
    pub const FLUSH_CACHE: Self = Self(12);
    /// Install an LDT at `linear_addr` with `nr_ents` entries.
    #[doc(alias = "MMUEXT_SET_LDT")]
    pub const SET_LDT: Self = Self(13);
    /// Install `mfn` as the user-mode page-table base (x86-64).
    #[doc(alias = "MMUEXT_NEW_USER_BASEPTR")]
    pub const NEW_USER_BASEPTR: Self = Self(15);
    /// Zero the frame `mfn`.
    #[doc(alias = "MMUEXT_CLEAR_PAGE")]
    pub const CLEAR_PAGE: Self = Self(16);
    /// Copy frame `src_mfn` to `mfn`.
    #[doc(alias = "MMUEXT_COPY_PAGE")]
    pub const COPY_PAGE: Self = Self(17);
    /// Write back and flush the caches of all CPUs.
    #[doc(alias = "MMUEXT_FLUSH_CACHE_GLOBAL")]
    pub const FLUSH_CACHE_GLOBAL: Self = Self(18);
    /// Mark `mfn` as the head of a superpage.
    #[doc(alias = "MMUEXT_MARK_SUPER")]
    pub const MARK_SUPER: Self = Self(19);
    /// Unmark the superpage headed by `mfn`.
    #[doc(alias = "MMUEXT_UNMARK_SUPER")]
    pub const UNMARK_SUPER: Self = Self(20);
}

code_newtype!(
    MmuextCmd,
    u32,
    [
        PIN_L1_TABLE,
        PIN_L2_TABLE,
        PIN_L3_TABLE,
        PIN_L4_TABLE,
        UNPIN_TABLE,
        NEW_BASEPTR,
        TLB_FLUSH_LOCAL,
        INVLPG_LOCAL,
        TLB_FLUSH_MULTI,
        INVLPG_MULTI,
        TLB_FLUSH_ALL,
        INVLPG_ALL,
        FLUSH_CACHE,
        SET_LDT,
        NEW_USER_BASEPTR,
        CLEAR_PAGE,
        COPY_PAGE,
        FLUSH_CACHE_GLOBAL,
        MARK_SUPER,
        UNMARK_SUPER,
    ]
);

/// One extended MMU operation for `HYPERVISOR_mmuext_op` (`mmuext_op_t`).
///
/// `arg1` and `arg2` are C unions; use the typed accessors for the member the
/// [`MmuextCmd`] calls for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "mmuext_op")]
#[doc(alias = "mmuext_op_t")]
pub struct MmuextOp {
    /// The operation.
    pub cmd: MmuextCmd,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Union of `mfn` (`xen_pfn_t`) and `linear_addr` (`unsigned long`).
    pub arg1: u64,
    /// Union of `nr_ents` (`unsigned int`), `vcpumask`
    /// (`XEN_GUEST_HANDLE(const_void)`) and `src_mfn` (`xen_pfn_t`).
    pub arg2: u64,
}
assert_layout!(MmuextOp, size = 24, align = 8, { cmd: 0, arg1: 8, arg2: 16 });

impl MmuextOp {
    /// An operation with both arguments zero.
    pub const fn new(cmd: MmuextCmd) -> Self {
        Self {
            cmd,
            _pad0: [0; 4],
            arg1: 0,
            arg2: 0,
        }
    }

    /// `arg1.mfn`: the frame for the pin, base-pointer, page and superpage
    /// commands.
    pub const fn mfn(&self) -> Mfn {
        Mfn::new_unchecked(self.arg1)
    }

    /// Sets `arg1.mfn`.
    pub fn set_mfn(&mut self, mfn: Mfn) {
        self.arg1 = mfn.get();
    }

    /// `arg1.linear_addr`: the address for `INVLPG_*` and `SET_LDT`.
    pub const fn linear_addr(&self) -> u64 {
        self.arg1
    }

    /// Sets `arg1.linear_addr`.
    pub fn set_linear_addr(&mut self, addr: u64) {
        self.arg1 = addr;
    }

    /// `arg2.nr_ents`: the LDT size for `SET_LDT` (the low 32 bits of
    /// `arg2`; both supported architectures are little-endian).
    pub const fn nr_ents(&self) -> u32 {
        self.arg2 as u32
    }

    /// Sets `arg2.nr_ents` (and clears the rest of `arg2`).
    pub fn set_nr_ents(&mut self, n: u32) {
        self.arg2 = u64::from(n);
    }

    /// `arg2.vcpumask`: the vCPU bitmap for `TLB_FLUSH_MULTI` and
    /// `INVLPG_MULTI`.
    pub const fn vcpumask(&self) -> GuestHandle<u8> {
        GuestHandle::from_addr(self.arg2)
    }

    /// Sets `arg2.vcpumask`.
    pub fn set_vcpumask(&mut self, mask: GuestHandle<u8>) {
        self.arg2 = mask.addr();
    }

    /// `arg2.src_mfn`: the source frame for `COPY_PAGE`.
    pub const fn src_mfn(&self) -> Mfn {
        Mfn::new_unchecked(self.arg2)
    }

    /// Sets `arg2.src_mfn`.
    pub fn set_src_mfn(&mut self, mfn: Mfn) {
        self.arg2 = mfn.get();
    }
}

/// Flags of `HYPERVISOR_update_va_mapping` (`UVMF_*`).
///
/// The low two bits are the flush type ([`Self::FLUSHTYPE_MASK`]); for a
/// multi-vCPU flush, the pointer to a vCPU bitmap is ORed in as well (it is
/// at least 8-byte aligned, so it does not collide with the flag bits).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
#[doc(alias = "uvm_flags")]
pub struct UvmFlags(u64);

bitflags::bitflags! {
    impl UvmFlags: u64 {
        /// Flush entire TLB(s).
        #[doc(alias = "UVMF_TLB_FLUSH")]
        const TLB_FLUSH = 1 << 0;
        /// Flush only the one entry.
        #[doc(alias = "UVMF_INVLPG")]
        const INVLPG = 2;
        /// Mask of the flush-type bits.
        #[doc(alias = "UVMF_FLUSHTYPE_MASK")]
        const FLUSHTYPE_MASK = 3;
        /// Flush all vCPUs' TLBs.
        #[doc(alias = "UVMF_ALL")]
        const ALL = 1 << 2;
        const _ = !0;
    }
}

impl UvmFlags {
    /// No flushing at all.
    #[doc(alias = "UVMF_NONE")]
    pub const NONE: Self = Self::empty();
    /// Flush a subset of TLBs (OR in the vCPU bitmap pointer); zero.
    #[doc(alias = "UVMF_MULTI")]
    pub const MULTI: Self = Self::empty();
    /// Flush the local TLB only (a multi flush with a null bitmap); zero.
    #[doc(alias = "UVMF_LOCAL")]
    pub const LOCAL: Self = Self::empty();
}

impl fmt::Debug for UvmFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags("UvmFlags", self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn mmu_update_cmd_bits() {
        let u = MmuUpdate::new(MmuUpdateCmd::PT_UPDATE_PRESERVE_AD, 0x1234_5003, 7);
        assert_eq!(u.ptr, 0x1234_5002);
        assert_eq!(u.cmd(), MmuUpdateCmd::PT_UPDATE_PRESERVE_AD);
        assert_eq!(u.addr(), 0x1234_5000);
    }

    #[test]
    fn foreigndom_encoding() {
        assert_eq!(mmu_update_foreigndom(DomId::SELF, DomId::SELF), 0x7FF0);
        let d5 = DomId::new_unchecked(5);
        assert_eq!(mmu_update_foreigndom(d5, DomId::DOM0), (1 << 16) | 5);
    }

    #[test]
    fn mmuext_accessors() {
        let mut op = MmuextOp::new(MmuextCmd::SET_LDT);
        op.set_linear_addr(0xffff_8000_0000_0000);
        op.set_nr_ents(42);
        assert_eq!(op.linear_addr(), 0xffff_8000_0000_0000);
        assert_eq!(op.nr_ents(), 42);
        assert_eq!(&op.as_bytes()[16..20], &42u32.to_ne_bytes());
        op.set_vcpumask(GuestHandle::from_addr(0x1000));
        assert_eq!(op.vcpumask().addr(), 0x1000);
        assert_eq!(op.src_mfn(), Mfn::new_unchecked(0x1000));
        assert_eq!(format!("{:?}", op.cmd), "MmuextCmd::SET_LDT");
        assert_eq!(format!("{:?}", MmuextCmd::new(14)), "MmuextCmd(14)");
    }
}

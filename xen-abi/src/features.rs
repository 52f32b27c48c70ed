// SPDX-License-Identifier: MIT OR Apache-2.0
//! `features.h`: the feature bits `XENVER_get_features` reports (`XENFEAT_*`).
//!
//! Each constant is a bit number in the feature bitmap; submap `i` (see
//! [`FeatureInfo`](crate::version::FeatureInfo)) holds bits `32 * i ..
//! 32 * i + 31`.

/// The guest may write its page tables directly (Xen emulates the
/// writes).
#[doc(alias = "XENFEAT_writable_page_tables")]
pub const WRITABLE_PAGE_TABLES: u32 = 0;
/// The guest may update its segment descriptor tables by direct writes.
#[doc(alias = "XENFEAT_writable_descriptor_tables")]
pub const WRITABLE_DESCRIPTOR_TABLES: u32 = 1;
/// Xen translates between the guest's pseudo-physical and machine address
/// spaces (the guest needs no p2m/m2p translation).
#[doc(alias = "XENFEAT_auto_translated_physmap")]
pub const AUTO_TRANSLATED_PHYSMAP: u32 = 2;
/// The guest runs in supervisor mode (x86 ring 0).
#[doc(alias = "XENFEAT_supervisor_mode_kernel")]
pub const SUPERVISOR_MODE_KERNEL: u32 = 3;
/// x86 PAE page directories need not be allocated below 4 GiB.
#[doc(alias = "XENFEAT_pae_pgdir_above_4gb")]
pub const PAE_PGDIR_ABOVE_4GB: u32 = 4;
/// x86: `MMU_PT_UPDATE_PRESERVE_AD` is supported.
#[doc(alias = "XENFEAT_mmu_pt_update_preserve_ad")]
pub const MMU_PT_UPDATE_PRESERVE_AD: u32 = 5;
/// x86: `MMUEXT_CLEAR_PAGE` and `MMUEXT_COPY_PAGE` are supported.
#[doc(alias = "XENFEAT_highmem_assist")]
pub const HIGHMEM_ASSIST: u32 = 6;
/// `GNTTABOP_map_grant_ref` honours the `GNTMAP_guest_avail_mask` bits.
#[doc(alias = "XENFEAT_gnttab_map_avail_bits")]
pub const GNTTAB_MAP_AVAIL_BITS: u32 = 7;
/// x86: the HVM callback-vector type is supported.
#[doc(alias = "XENFEAT_hvm_callback_vector")]
pub const HVM_CALLBACK_VECTOR: u32 = 8;
/// x86: the pvclock algorithm is safe to use in HVM guests.
#[doc(alias = "XENFEAT_hvm_safe_pvclock")]
pub const HVM_SAFE_PVCLOCK: u32 = 9;
/// x86: HVM guests may use PIRQs (physical IRQs over event channels).
#[doc(alias = "XENFEAT_hvm_pirqs")]
pub const HVM_PIRQS: u32 = 10;
/// Operation as dom0 is supported.
#[doc(alias = "XENFEAT_dom0")]
pub const DOM0: u32 = 11;
/// Memory ops accept `XENMEMF_vnode` to name a virtual NUMA node.
///
/// (Bit 12, `XENFEAT_grant_map_identity`, is deprecated and no longer
/// defined.)
#[doc(alias = "XENFEAT_memory_op_vnode_supported")]
pub const MEMORY_OP_VNODE_SUPPORTED: u32 = 13;
/// Arm: the hypervisor supports the SMC calling convention.
#[doc(alias = "XENFEAT_ARM_SMCCC_supported")]
pub const ARM_SMCCC_SUPPORTED: u32 = 14;
/// x86/PVH: the ACPI RSDP may be placed at any address, not only below
/// 1 MiB (consulted only for guests whose `XEN_ELFNOTE_GUEST_OS` says
/// "linux").
#[doc(alias = "XENFEAT_linux_rsdp_unrestricted")]
pub const LINUX_RSDP_UNRESTRICTED: u32 = 15;
/// The domain is not direct-mapped (its gfn ≠ mfn).
#[doc(alias = "XENFEAT_not_direct_mapped")]
pub const NOT_DIRECT_MAPPED: u32 = 16;
/// The domain is direct-mapped (1:1: its gfn = mfn). If neither this nor
/// [`NOT_DIRECT_MAPPED`] is set (older Xen), see `features.h` for the
/// defaults.
#[doc(alias = "XENFEAT_direct_mapped")]
pub const DIRECT_MAPPED: u32 = 17;

/// Number of 32-bit submaps of the feature bitmap.
#[doc(alias = "XENFEAT_NR_SUBMAPS")]
pub const NR_SUBMAPS: u32 = 1;

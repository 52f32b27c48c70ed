// SPDX-License-Identifier: MIT OR Apache-2.0
//! `memory.h`: memory reservations, the physmap, memory maps and resource
//! mapping.
//!
//! The hypercall is `memory_op(cmd, arg)`, with `cmd` one of [`op`].
//! The tools-only parts of the header (paging, sharing, access and
//! reserved-device-memory operations) are not part of the guest ABI and are
//! not mirrored.

use core::ffi::c_void;
use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::xen::{DomId, Gfn, GuestHandle, Mfn, XenUlong};

/// `XENMEM_*`: the sub-operations of `HYPERVISOR_memory_op`.
pub mod op {
    /// Grow a domain's reservation; the argument is a
    /// [`Reservation`](super::Reservation). Returns the number of extents
    /// allocated.
    #[doc(alias = "XENMEM_increase_reservation")]
    pub const INCREASE_RESERVATION: u32 = 0;
    /// Shrink a domain's reservation; the argument is a
    /// [`Reservation`](super::Reservation). Returns the number of extents
    /// freed.
    #[doc(alias = "XENMEM_decrease_reservation")]
    pub const DECREASE_RESERVATION: u32 = 1;
    /// Returns the highest machine frame number. No argument.
    #[doc(alias = "XENMEM_maximum_ram_page")]
    pub const MAXIMUM_RAM_PAGE: u32 = 2;
    /// Returns a domain's current reservation in pages; the argument is a
    /// [`MemoryDomain`](super::MemoryDomain).
    #[doc(alias = "XENMEM_current_reservation")]
    pub const CURRENT_RESERVATION: u32 = 3;
    /// Returns a domain's maximum reservation in pages; the argument is a
    /// [`MemoryDomain`](super::MemoryDomain).
    #[doc(alias = "XENMEM_maximum_reservation")]
    pub const MAXIMUM_RESERVATION: u32 = 4;
    /// List the frames holding the machine-to-physical table; the argument
    /// is a [`MachphysMfnList`](super::MachphysMfnList).
    #[doc(alias = "XENMEM_machphys_mfn_list")]
    pub const MACHPHYS_MFN_LIST: u32 = 5;
    /// Populate the physmap; the argument is a
    /// [`Reservation`](super::Reservation).
    #[doc(alias = "XENMEM_populate_physmap")]
    pub const POPULATE_PHYSMAP: u32 = 6;
    /// Map a page into the physmap; the argument is an
    /// [`AddToPhysmap`](super::AddToPhysmap).
    #[doc(alias = "XENMEM_add_to_physmap")]
    pub const ADD_TO_PHYSMAP: u32 = 7;
    /// Read the domain's pseudo-physical memory map; the argument is a
    /// [`MemoryMap`](super::MemoryMap).
    #[doc(alias = "XENMEM_memory_map")]
    pub const MEMORY_MAP: u32 = 9;
    /// Read the machine memory map; the argument is a
    /// [`MemoryMap`](super::MemoryMap).
    #[doc(alias = "XENMEM_machine_memory_map")]
    pub const MACHINE_MEMORY_MAP: u32 = 10;
    /// Exchange extents for others; the argument is a
    /// [`MemoryExchange`](super::MemoryExchange).
    #[doc(alias = "XENMEM_exchange")]
    pub const EXCHANGE: u32 = 11;
    /// Locate the machine-to-physical table; the argument is a
    /// [`MachphysMapping`](super::MachphysMapping).
    #[doc(alias = "XENMEM_machphys_mapping")]
    pub const MACHPHYS_MAPPING: u32 = 12;
    /// Set a domain's pseudo-physical memory map; the argument is a
    /// [`ForeignMemoryMap`](super::ForeignMemoryMap).
    #[doc(alias = "XENMEM_set_memory_map")]
    pub const SET_MEMORY_MAP: u32 = 13;
    /// Returns the highest GFN a domain uses; the argument is a
    /// [`MemoryDomain`](super::MemoryDomain).
    #[doc(alias = "XENMEM_maximum_gpfn")]
    pub const MAXIMUM_GPFN: u32 = 14;
    /// Unmap a page from the physmap; the argument is a
    /// [`RemoveFromPhysmap`](super::RemoveFromPhysmap).
    #[doc(alias = "XENMEM_remove_from_physmap")]
    pub const REMOVE_FROM_PHYSMAP: u32 = 15;
    /// Set a domain's populate-on-demand target; the argument is a
    /// [`PodTarget`](super::PodTarget).
    #[doc(alias = "XENMEM_set_pod_target")]
    pub const SET_POD_TARGET: u32 = 16;
    /// Read a domain's populate-on-demand target; the argument is a
    /// [`PodTarget`](super::PodTarget).
    #[doc(alias = "XENMEM_get_pod_target")]
    pub const GET_POD_TARGET: u32 = 17;
    /// Map a batch of pages into the physmap; the argument is an
    /// [`AddToPhysmapBatch`](super::AddToPhysmapBatch).
    #[doc(alias = "XENMEM_add_to_physmap_batch")]
    pub const ADD_TO_PHYSMAP_BATCH: u32 = 23;
    /// Like [`MACHPHYS_MFN_LIST`], for the compatibility (32-bit) table.
    #[doc(alias = "XENMEM_machphys_compat_mfn_list")]
    pub const MACHPHYS_COMPAT_MFN_LIST: u32 = 25;
    /// Read a domain's vNUMA topology; the argument is a
    /// [`VnumaTopologyInfo`](super::VnumaTopologyInfo).
    #[doc(alias = "XENMEM_get_vnumainfo")]
    pub const GET_VNUMAINFO: u32 = 26;
    /// Map a domain's resource (ioreq server pages, grant table, ...); the
    /// argument is a [`MemAcquireResource`](super::MemAcquireResource).
    #[doc(alias = "XENMEM_acquire_resource")]
    pub const ACQUIRE_RESOURCE: u32 = 28;
}

/// `XENMEMF_*`: the `mem_flags` word of a [`Reservation`].
///
/// Besides the flag bits, bits 7:0 hold an address-width limit and bits 15:8
/// a NUMA node plus one; see [`MemFlags::with_address_bits`] and
/// [`MemFlags::with_node`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct MemFlags(u32);

bitflags::bitflags! {
    impl MemFlags: u32 {
        /// Populate the physmap with populate-on-demand entries.
        #[doc(alias = "XENMEMF_populate_on_demand")]
        const POPULATE_ON_DEMAND = 1 << 16;
        /// Allocate only from the node given (no fallback).
        #[doc(alias = "XENMEMF_exact_node_request")]
        const EXACT_NODE_REQUEST = 1 << 17;
        /// The node given is a virtual (vNUMA) node.
        #[doc(alias = "XENMEMF_vnode")]
        const VNODE = 1 << 18;
        const _ = !0;
    }
}

impl MemFlags {
    /// These flags with the address-width limit set to `bits` (the allocated
    /// memory must be addressable with `bits` bits; 0 means no limit).
    #[doc(alias = "XENMEMF_address_bits")]
    pub const fn with_address_bits(self, bits: u8) -> Self {
        Self((self.0 & !0xff) | bits as u32)
    }

    /// The address-width limit (0: none).
    #[doc(alias = "XENMEMF_get_address_bits")]
    pub const fn address_bits(self) -> u8 {
        (self.0 & 0xff) as u8
    }

    /// These flags asking for memory from NUMA node `node` (0..=254).
    #[doc(alias = "XENMEMF_node")]
    pub const fn with_node(self, node: u8) -> Self {
        Self((self.0 & !0xff00) | ((node.wrapping_add(1) as u32) << 8))
    }

    /// These flags asking for memory from node `node` only.
    #[doc(alias = "XENMEMF_exact_node")]
    pub const fn with_exact_node(self, node: u8) -> Self {
        Self(self.with_node(node).0 | Self::EXACT_NODE_REQUEST.bits())
    }

    /// The NUMA node asked for, if any.
    #[doc(alias = "XENMEMF_get_node")]
    pub const fn node(self) -> Option<u8> {
        match (self.0 >> 8) & 0xff {
            0 => None,
            n => Some((n - 1) as u8),
        }
    }
}

impl fmt::Debug for MemFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemFlags(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// Argument of `XENMEM_increase_reservation`, `XENMEM_decrease_reservation`
/// and `XENMEM_populate_physmap`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_memory_reservation")]
#[doc(alias = "xen_memory_reservation_t")]
pub struct Reservation {
    /// The extents' base frames: OUT machine frames (increase), IN guest
    /// frames to free (decrease), IN guest frames to populate and OUT the
    /// frames allocated (populate). Must be null for `XENMEM_claim_pages`.
    pub extent_start: GuestHandle<Gfn>,
    /// Number of extents.
    pub nr_extents: XenUlong,
    /// Each extent is `2^extent_order` pages, aligned to its size.
    pub extent_order: u32,
    /// Flags, address-width limit and NUMA node.
    pub mem_flags: MemFlags,
    /// The domain whose reservation changes (unprivileged callers:
    /// [`DomId::SELF`] only).
    pub domid: DomId,
    /// Padding.
    pub _pad0: [u8; 6],
}
assert_layout!(Reservation, size = 32, align = 8, {
    extent_start: 0,
    nr_extents: 8,
    extent_order: 16,
    mem_flags: 20,
    domid: 24,
});

impl Reservation {
    /// A reservation change of `nr_extents` extents of `2^extent_order`
    /// pages for `domid`, with the frame list at `extent_start`.
    pub const fn new(
        domid: DomId,
        extent_start: GuestHandle<Gfn>,
        nr_extents: XenUlong,
        extent_order: u32,
        mem_flags: MemFlags,
    ) -> Self {
        Self {
            extent_start,
            nr_extents,
            extent_order,
            mem_flags,
            domid,
            _pad0: [0; 6],
        }
    }
}

/// Argument of `XENMEM_exchange`: give back the `in` extents and receive the
/// `out` ones (same domain, same total number of pages).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_memory_exchange")]
#[doc(alias = "xen_memory_exchange_t")]
pub struct MemoryExchange {
    /// IN: the extents to give up (guest frame bases).
    #[doc(alias = "in")]
    pub input: Reservation,
    /// IN/OUT: the extents to receive (guest frames to populate, overwritten
    /// with the frames allocated).
    pub out: Reservation,
    /// OUT: number of input extents exchanged. Must be zero on entry.
    pub nr_exchanged: XenUlong,
}
assert_layout!(MemoryExchange, size = 72, align = 8, { input: 0, out: 32, nr_exchanged: 64 });

/// Argument of `XENMEM_current_reservation`, `XENMEM_maximum_reservation`
/// and `XENMEM_maximum_gpfn`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_memory_domain")]
pub struct MemoryDomain {
    /// IN: the domain queried (may be [`DomId::SELF`]).
    pub domid: DomId,
}
assert_layout!(MemoryDomain, size = 2, align = 2, { domid: 0 });

/// Argument of `XENMEM_machphys_mfn_list` and
/// `XENMEM_machphys_compat_mfn_list`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_machphys_mfn_list")]
#[doc(alias = "xen_machphys_mfn_list_t")]
pub struct MachphysMfnList {
    /// IN: capacity of `extent_start`.
    pub max_extents: u32,
    /// Padding.
    pub _pad0: [u8; 4],
    /// OUT: the base frame of each 2 MiB extent of the table (0 for a gap).
    pub extent_start: GuestHandle<Mfn>,
    /// OUT: number of entries written.
    pub nr_extents: u32,
    /// Padding.
    pub _pad1: [u8; 4],
}
assert_layout!(MachphysMfnList, size = 24, align = 8, {
    max_extents: 0,
    extent_start: 8,
    nr_extents: 16,
});

/// Argument of `XENMEM_machphys_mapping`: where the machine-to-physical
/// table is mapped.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_machphys_mapping")]
#[doc(alias = "xen_machphys_mapping_t")]
pub struct MachphysMapping {
    /// OUT: start virtual address.
    pub v_start: XenUlong,
    /// OUT: end virtual address.
    pub v_end: XenUlong,
    /// OUT: largest machine frame that can be looked up.
    pub max_mfn: XenUlong,
}
assert_layout!(MachphysMapping, size = 24, align = 8, { v_start: 0, v_end: 8, max_mfn: 16 });

/// A space `XENMEM_add_to_physmap` maps pages from (`XENMAPSPACE_*`).
///
/// A newtype, not an enum: a space this crate does not know stays
/// representable.
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
pub struct MapSpace(u32);

impl MapSpace {
    /// The shared-info page.
    #[doc(alias = "XENMAPSPACE_shared_info")]
    pub const SHARED_INFO: Self = Self(0);
    /// A grant-table frame (OR [`Self::GRANT_TABLE_STATUS_IDX`] into the
    /// index for a status frame).
    #[doc(alias = "XENMAPSPACE_grant_table")]
    pub const GRANT_TABLE: Self = Self(1);
    /// A guest frame.
    #[doc(alias = "XENMAPSPACE_gmfn")]
    pub const GMFN: Self = Self(2);
    /// A range of guest frames (`XENMEM_add_to_physmap` only).
    #[doc(alias = "XENMAPSPACE_gmfn_range")]
    pub const GMFN_RANGE: Self = Self(3);
    /// A frame of another domain (`XENMEM_add_to_physmap_batch` only).
    #[doc(alias = "XENMAPSPACE_gmfn_foreign")]
    pub const GMFN_FOREIGN: Self = Self(4);
    /// Device MMIO (Arm only; mapped normal write-back cacheable).
    #[doc(alias = "XENMAPSPACE_dev_mmio")]
    pub const DEV_MMIO: Self = Self(5);
    /// Index flag for [`Self::GRANT_TABLE`]: map a status frame rather than
    /// a shared frame.
    #[doc(alias = "XENMAPIDX_grant_table_status")]
    pub const GRANT_TABLE_STATUS_IDX: u64 = 0x8000_0000;
}

code_newtype!(
    MapSpace,
    u32,
    [
        SHARED_INFO,
        GRANT_TABLE,
        GMFN,
        GMFN_RANGE,
        GMFN_FOREIGN,
        DEV_MMIO
    ]
);

/// Argument of `XENMEM_add_to_physmap`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_add_to_physmap")]
#[doc(alias = "xen_add_to_physmap_t")]
pub struct AddToPhysmap {
    /// The domain whose physmap changes.
    pub domid: DomId,
    /// Number of pages, for [`MapSpace::GMFN_RANGE`].
    pub size: u16,
    /// The space mapped from.
    pub space: MapSpace,
    /// Index into the space.
    pub idx: XenUlong,
    /// The guest frame where the page appears.
    pub gpfn: Gfn,
}
assert_layout!(AddToPhysmap, size = 24, align = 8, {
    domid: 0,
    size: 2,
    space: 4,
    idx: 8,
    gpfn: 16,
});

/// The `u` member of [`AddToPhysmapBatch`]: the foreign domain for
/// [`MapSpace::GMFN_FOREIGN`], zero for every other space.
///
/// Both C union members are 16-bit; the value is kept in [`Self::raw`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_add_to_physmap_batch_extra")]
pub struct AddToPhysmapBatchExtra {
    /// The union's 16 bits (`foreign_domid` or `res0`).
    pub raw: u16,
}
assert_layout!(AddToPhysmapBatchExtra, size = 2, align = 2);

impl AddToPhysmapBatchExtra {
    /// The `foreign_domid` member.
    pub const fn foreign(domid: DomId) -> Self {
        Self { raw: domid.get() }
    }

    /// The `foreign_domid` member, unchecked (Xen validates it).
    pub const fn foreign_domid(self) -> DomId {
        DomId::new_unchecked(self.raw)
    }

    /// The `res0` member.
    pub const fn res0(self) -> u16 {
        self.raw
    }
}

/// Argument of `XENMEM_add_to_physmap_batch`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_add_to_physmap_batch")]
#[doc(alias = "xen_add_to_physmap_batch_t")]
pub struct AddToPhysmapBatch {
    /// IN: the domain whose physmap changes.
    pub domid: DomId,
    /// IN: the space mapped from: a [`MapSpace`], in 16 bits here
    /// ([`Self::map_space`]).
    pub space: u16,
    /// IN: number of pages.
    pub size: u16,
    /// IN: the foreign domain, for [`MapSpace::GMFN_FOREIGN`].
    pub u: AddToPhysmapBatchExtra,
    /// IN: indexes into the space.
    pub idxs: GuestHandle<XenUlong>,
    /// IN: the guest frames where the pages appear.
    pub gpfns: GuestHandle<Gfn>,
    /// OUT: an error code per index.
    pub errs: GuestHandle<i32>,
}
impl AddToPhysmapBatch {
    /// `space` as a [`MapSpace`].
    pub const fn map_space(&self) -> MapSpace {
        MapSpace(self.space as u32)
    }
}

assert_layout!(AddToPhysmapBatch, size = 32, align = 8, {
    domid: 0,
    space: 2,
    size: 4,
    u: 6,
    idxs: 8,
    gpfns: 16,
    errs: 24,
});

/// Argument of `XENMEM_remove_from_physmap`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_remove_from_physmap")]
#[doc(alias = "xen_remove_from_physmap_t")]
pub struct RemoveFromPhysmap {
    /// The domain whose physmap changes.
    pub domid: DomId,
    /// Padding.
    pub _pad0: [u8; 6],
    /// The guest frame to unmap.
    pub gpfn: Gfn,
}
assert_layout!(RemoveFromPhysmap, size = 16, align = 8, { domid: 0, gpfn: 8 });

impl RemoveFromPhysmap {
    /// Unmaps `gpfn` from `domid`'s physmap.
    pub const fn new(domid: DomId, gpfn: Gfn) -> Self {
        Self {
            domid,
            _pad0: [0; 6],
            gpfn,
        }
    }
}

/// Argument of `XENMEM_memory_map` and `XENMEM_machine_memory_map`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_memory_map")]
#[doc(alias = "xen_memory_map_t")]
pub struct MemoryMap {
    /// IN: capacity of `buffer` in entries; OUT: entries stored.
    pub nr_entries: u32,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Entries in the BIOS E820 format (20 bytes each: address, size, type).
    pub buffer: GuestHandle<c_void>,
}
assert_layout!(MemoryMap, size = 16, align = 8, { nr_entries: 0, buffer: 8 });

/// Argument of `XENMEM_set_memory_map`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_foreign_memory_map")]
#[doc(alias = "xen_foreign_memory_map_t")]
pub struct ForeignMemoryMap {
    /// The domain whose map is set.
    pub domid: DomId,
    /// Padding.
    pub _pad0: [u8; 6],
    /// The map.
    pub map: MemoryMap,
}
assert_layout!(ForeignMemoryMap, size = 24, align = 8, { domid: 0, map: 8 });

/// Argument of `XENMEM_set_pod_target` and `XENMEM_get_pod_target`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_pod_target")]
#[doc(alias = "xen_pod_target_t")]
pub struct PodTarget {
    /// IN: target number of pages.
    pub target_pages: u64,
    /// OUT: total pages.
    pub tot_pages: u64,
    /// OUT: pages in the populate-on-demand cache.
    pub pod_cache_pages: u64,
    /// OUT: populate-on-demand entries.
    pub pod_entries: u64,
    /// IN: the domain.
    pub domid: DomId,
    /// Padding.
    pub _pad0: [u8; 6],
}
assert_layout!(PodTarget, size = 40, align = 8, {
    target_pages: 0,
    tot_pages: 8,
    pod_cache_pages: 16,
    pod_entries: 24,
    domid: 32,
});

/// `XENMEM_resource_*`: resource types and ids of a [`MemAcquireResource`].
pub mod resource {
    /// `type`: the pages of an ioreq server (`id` is the server id).
    #[doc(alias = "XENMEM_resource_ioreq_server")]
    pub const IOREQ_SERVER: u16 = 0;
    /// `type`: the grant table (`id` is `GRANT_TABLE_ID_*`).
    #[doc(alias = "XENMEM_resource_grant_table")]
    pub const GRANT_TABLE: u16 = 1;
    /// `type`: a vCPU's trace buffer.
    #[doc(alias = "XENMEM_resource_vmtrace_buf")]
    pub const VMTRACE_BUF: u16 = 2;
    /// `id` for [`GRANT_TABLE`]: the shared frames.
    #[doc(alias = "XENMEM_resource_grant_table_id_shared")]
    pub const GRANT_TABLE_ID_SHARED: u32 = 0;
    /// `id` for [`GRANT_TABLE`]: the status frames.
    #[doc(alias = "XENMEM_resource_grant_table_id_status")]
    pub const GRANT_TABLE_ID_STATUS: u32 = 1;
    /// `frame` for [`IOREQ_SERVER`]: the buffered-ioreq page.
    #[doc(alias = "XENMEM_resource_ioreq_server_frame_bufioreq")]
    pub const IOREQ_SERVER_FRAME_BUFIOREQ: u64 = 0;

    /// `frame` for [`IOREQ_SERVER`]: the `n`th synchronous ioreq page.
    #[doc(alias = "XENMEM_resource_ioreq_server_frame_ioreq")]
    pub const fn ioreq_server_frame_ioreq(n: u64) -> u64 {
        1 + n
    }
}

/// Argument of `XENMEM_acquire_resource`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_mem_acquire_resource")]
#[doc(alias = "xen_mem_acquire_resource_t")]
pub struct MemAcquireResource {
    /// IN: the domain whose resource is mapped.
    pub domid: DomId,
    /// IN: the resource type (`resource::IOREQ_SERVER`, ...).
    #[doc(alias = "type")]
    pub kind: u16,
    /// IN: type-specific id (zero unless stated otherwise).
    pub id: u32,
    /// IN/OUT: number of frames to map. With a null `frame_list` and 0
    /// here, Xen returns the resource's size.
    pub nr_frames: u32,
    /// Must be zero.
    pub pad: u32,
    /// IN: index of the first frame to map.
    pub frame: u64,
    /// IN/OUT: PV callers get the resource's machine frames here; HVM callers
    /// pass the guest frames to map them at.
    pub frame_list: GuestHandle<Gfn>,
}
assert_layout!(MemAcquireResource, size = 32, align = 8, {
    domid: 0,
    kind: 2,
    id: 4,
    nr_frames: 8,
    pad: 12,
    frame: 16,
    frame_list: 24,
});

/// A vNUMA memory range (an element of
/// [`VnumaTopologyInfo::vmemrange`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_vmemrange")]
#[doc(alias = "xen_vmemrange_t")]
pub struct Vmemrange {
    /// Start address.
    pub start: u64,
    /// End address.
    pub end: u64,
    /// Flags (none defined).
    pub flags: u32,
    /// The virtual node the range belongs to.
    pub nid: u32,
}
assert_layout!(Vmemrange, size = 24, align = 8, { start: 0, end: 8, flags: 16, nid: 20 });

/// Argument of `XENMEM_get_vnumainfo`.
///
/// Each array pointer is a C union of a guest handle and a `uint64_t` pad,
/// which are one 64-bit word: it is mirrored as the handle.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_vnuma_topology_info")]
#[doc(alias = "xen_vnuma_topology_info_t")]
pub struct VnumaTopologyInfo {
    /// IN: the domain.
    pub domid: DomId,
    /// Must be zero.
    pub pad: u16,
    /// IN/OUT: number of virtual nodes.
    pub nr_vnodes: u32,
    /// IN/OUT: number of vCPUs.
    pub nr_vcpus: u32,
    /// IN/OUT: number of memory ranges.
    pub nr_vmemranges: u32,
    /// OUT: the `nr_vnodes * nr_vnodes` distance table.
    pub vdistance: GuestHandle<u32>,
    /// OUT: the node of each vCPU.
    pub vcpu_to_vnode: GuestHandle<u32>,
    /// OUT: the memory ranges.
    pub vmemrange: GuestHandle<Vmemrange>,
}
assert_layout!(VnumaTopologyInfo, size = 40, align = 8, {
    domid: 0,
    pad: 2,
    nr_vnodes: 4,
    nr_vcpus: 8,
    nr_vmemranges: 12,
    vdistance: 16,
    vcpu_to_vnode: 24,
    vmemrange: 32,
});

sub_op! {
    MEMORY_OP:
    Reservation => INCREASE_RESERVATION | DECREASE_RESERVATION | POPULATE_PHYSMAP,
    MemoryDomain => CURRENT_RESERVATION | MAXIMUM_RESERVATION | MAXIMUM_GPFN,
    MachphysMfnList => MACHPHYS_MFN_LIST | MACHPHYS_COMPAT_MFN_LIST,
    AddToPhysmap => ADD_TO_PHYSMAP,
    MemoryMap => MEMORY_MAP | MACHINE_MEMORY_MAP,
    MemoryExchange => EXCHANGE,
    MachphysMapping => MACHPHYS_MAPPING,
    ForeignMemoryMap => SET_MEMORY_MAP,
    RemoveFromPhysmap => REMOVE_FROM_PHYSMAP,
    PodTarget => SET_POD_TARGET | GET_POD_TARGET,
    AddToPhysmapBatch => ADD_TO_PHYSMAP_BATCH,
    VnumaTopologyInfo => GET_VNUMAINFO,
    MemAcquireResource => ACQUIRE_RESOURCE,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn mem_flags_fields() {
        let f = MemFlags::POPULATE_ON_DEMAND
            .with_address_bits(32)
            .with_exact_node(3);
        assert_eq!(f.bits(), (1 << 16) | (1 << 17) | (4 << 8) | 32);
        assert_eq!(f.address_bits(), 32);
        assert_eq!(f.node(), Some(3));
        assert_eq!(MemFlags::empty().node(), None);
        assert_eq!(format!("{:?}", MemFlags::VNODE), "MemFlags(VNODE)");
    }

    #[test]
    fn batch_extra_and_resource() {
        let x = AddToPhysmapBatchExtra::foreign(DomId::DOM0);
        assert_eq!(x.foreign_domid(), DomId::DOM0);
        assert_eq!(x.res0(), 0);
        assert_eq!(resource::ioreq_server_frame_ioreq(0), 1);
        let r = Reservation::new(DomId::SELF, GuestHandle::NULL, 1, 0, MemFlags::empty());
        assert_eq!(&r.as_bytes()[24..26], &0x7ff0u16.to_ne_bytes());
    }
}

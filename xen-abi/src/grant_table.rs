// SPDX-License-Identifier: MIT OR Apache-2.0
//! `grant_table.h`: grant entries (v1 and v2) and grant-table operations.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::decode::{read_prefix, write_prefix};
use crate::xen::{DomId, Gfn, GuestHandle, Mfn};
use crate::{Error, Result};

/// A grant reference (`grant_ref_t`): an index into a domain's grant table.
///
/// Validated when built with `new`; a value read from bytes (it derives
/// `FromBytes`) is unchecked: see
/// [what "validated" means](crate::xen::ids#what-validated-means).
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
#[doc(alias = "grant_ref_t")]
pub struct GrantRef(u32);

impl GrantRef {
    /// The invalid reference (0xffffffff; Linux calls it `INVALID_GRANT_REF`).
    pub const INVALID: Self = Self(0xffff_ffff);

    /// Any reference but [`GrantRef::INVALID`].
    ///
    /// # Errors
    /// [`Error::InvalidGrantRef`] for `0xffffffff`.
    pub const fn new(raw: u32) -> Result<Self> {
        if raw != Self::INVALID.0 {
            Ok(Self(raw))
        } else {
            Err(Error::InvalidGrantRef(raw))
        }
    }

    /// Wraps `raw` without checking it (a bad reference only makes Xen fail).
    pub const fn new_unchecked(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw reference.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for GrantRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantRef({})", self.0)
    }
}

impl fmt::Display for GrantRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Grant references Xen reserves at the start of every table (for the
/// toolstack's use).
#[doc(alias = "GNTTAB_NR_RESERVED_ENTRIES")]
pub const NR_RESERVED_ENTRIES: u32 = 8;
/// The reserved reference granting the console ring to the backend.
#[doc(alias = "GNTTAB_RESERVED_CONSOLE")]
pub const RESERVED_CONSOLE: GrantRef = GrantRef::new_unchecked(0);
/// The reserved reference granting the xenstore ring to xenstored.
#[doc(alias = "GNTTAB_RESERVED_XENSTORE")]
pub const RESERVED_XENSTORE: GrantRef = GrantRef::new_unchecked(1);

/// The `flags` word of a grant entry (`GTF_*`): the grant's type (low two
/// bits, see [`GrantEntryFlags::grant_type`]) and its permission and status
/// bits.
///
/// The type is a 2-bit field: [`TRANSITIVE`](Self::TRANSITIVE) is both type
/// bits, so test the type with [`grant_type`](Self::grant_type), not
/// `contains`. Bits 2 and 3 have other names in transfer grants.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct GrantEntryFlags(u16);

bitflags::bitflags! {
    impl GrantEntryFlags: u16 {
        /// Type: `@domid` may use this domain's grant `gref` (v2 only).
        #[doc(alias = "GTF_transitive")]
        const TRANSITIVE = 3;
        /// Type: `@domid` may map and access `frame`.
        #[doc(alias = "GTF_permit_access")]
        const PERMIT_ACCESS = 1;
        /// Type: `@domid` may transfer a page into `frame`.
        #[doc(alias = "GTF_accept_transfer")]
        const ACCEPT_TRANSFER = 2;
        /// Mask of the type field.
        #[doc(alias = "GTF_type_mask")]
        const TYPE_MASK = 3;
        /// Type: unused entry (no bits).
        #[doc(alias = "GTF_invalid")]
        const INVALID = 0;
        /// Access grants: restrict to read-only mappings.
        #[doc(alias = "GTF_readonly")]
        const READONLY = 1 << 2;
        /// Access grants, set by Xen: the grant is in use for reading.
        #[doc(alias = "GTF_reading")]
        const READING = 1 << 3;
        /// Access grants, set by Xen: the grant is in use for writing.
        #[doc(alias = "GTF_writing")]
        const WRITING = 1 << 4;
        /// Access grants: map with PWT (write-through) caching.
        #[doc(alias = "GTF_PWT")]
        const PWT = 1 << 5;
        /// Access grants: map with PCD (cache disable).
        #[doc(alias = "GTF_PCD")]
        const PCD = 1 << 6;
        /// Access grants: map with the PAT bit.
        #[doc(alias = "GTF_PAT")]
        const PAT = 1 << 7;
        /// Access grants (v2): only part of the page is granted.
        #[doc(alias = "GTF_sub_page")]
        const SUB_PAGE = 1 << 8;
        /// Transfer grants, set by Xen: the transfer is committed.
        #[doc(alias = "GTF_transfer_committed")]
        const TRANSFER_COMMITTED = 1 << 2;
        /// Transfer grants, set by Xen: the transfer is complete and `frame`
        /// holds the new frame.
        #[doc(alias = "GTF_transfer_completed")]
        const TRANSFER_COMPLETED = 1 << 3;
        const _ = !0;
    }
}

impl GrantEntryFlags {
    /// The type field alone: one of [`INVALID`](Self::INVALID),
    /// [`PERMIT_ACCESS`](Self::PERMIT_ACCESS),
    /// [`ACCEPT_TRANSFER`](Self::ACCEPT_TRANSFER) or
    /// [`TRANSITIVE`](Self::TRANSITIVE).
    pub const fn grant_type(self) -> Self {
        self.intersection(Self::TYPE_MASK)
    }
}

impl fmt::Debug for GrantEntryFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags(f, "GrantEntryFlags", self.is_empty(), |w| {
            bitflags::parser::to_writer(self, w)
        })
    }
}

/// Bit numbers of the grant-entry flags (the `_GTF_*` macros); the flags
/// themselves are [`GrantEntryFlags`].
pub mod gtf_bit {
    /// Bit of [`READONLY`](super::GrantEntryFlags::READONLY).
    #[doc(alias = "_GTF_readonly")]
    pub const READONLY: u32 = 2;
    /// Bit of [`READING`](super::GrantEntryFlags::READING).
    #[doc(alias = "_GTF_reading")]
    pub const READING: u32 = 3;
    /// Bit of [`WRITING`](super::GrantEntryFlags::WRITING).
    #[doc(alias = "_GTF_writing")]
    pub const WRITING: u32 = 4;
    /// Bit of [`PWT`](super::GrantEntryFlags::PWT).
    #[doc(alias = "_GTF_PWT")]
    pub const PWT: u32 = 5;
    /// Bit of [`PCD`](super::GrantEntryFlags::PCD).
    #[doc(alias = "_GTF_PCD")]
    pub const PCD: u32 = 6;
    /// Bit of [`PAT`](super::GrantEntryFlags::PAT).
    #[doc(alias = "_GTF_PAT")]
    pub const PAT: u32 = 7;
    /// Bit of [`SUB_PAGE`](super::GrantEntryFlags::SUB_PAGE).
    #[doc(alias = "_GTF_sub_page")]
    pub const SUB_PAGE: u32 = 8;
    /// Bit of [`TRANSFER_COMMITTED`](super::GrantEntryFlags::TRANSFER_COMMITTED).
    #[doc(alias = "_GTF_transfer_committed")]
    pub const TRANSFER_COMMITTED: u32 = 2;
    /// Bit of [`TRANSFER_COMPLETED`](super::GrantEntryFlags::TRANSFER_COMPLETED).
    #[doc(alias = "_GTF_transfer_completed")]
    pub const TRANSFER_COMPLETED: u32 = 3;
}

/// An entry of a v2 grant table's status frames (`grant_status_t`): only
/// [`GrantEntryFlags::READING`] and [`GrantEntryFlags::WRITING`] are used.
#[doc(alias = "grant_status_t")]
pub type GrantStatusEntry = GrantEntryFlags;

/// Writes `Name(A | B)`, or `Name(empty)` for no bits.
fn debug_flags(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    empty: bool,
    body: impl FnOnce(&mut fmt::Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    f.write_str(name)?;
    f.write_str("(")?;
    if empty {
        f.write_str("empty")?;
    } else {
        body(f)?;
    }
    f.write_str(")")
}

/// `grant_entry_v1`: an entry of a version-1 grant table, shared with Xen
/// and the grantee.
///
/// The granting domain writes `domid` and `frame` before `flags`; Xen sets
/// the reading/writing and transfer bits of `flags`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "grant_entry_v1")]
#[doc(alias = "grant_entry_v1_t")]
pub struct GrantEntryV1 {
    /// Type and flags (`GTF_*`).
    pub flags: GrantEntryFlags,
    /// The domain granted access.
    pub domid: DomId,
    /// The granted frame (access), the frame to transfer into (accept
    /// transfer), or the transferred MFN (transfer completed).
    pub frame: u32,
}
assert_layout!(GrantEntryV1, size = 8, align = 4, { flags: 0, domid: 2, frame: 4 });

/// `grant_entry_header`: the first four bytes of every v2 grant entry.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "grant_entry_header")]
#[doc(alias = "grant_entry_header_t")]
pub struct GrantEntryHeader {
    /// Type and flags (`GTF_*`; v2 keeps reading/writing in the status
    /// frames instead).
    pub flags: GrantEntryFlags,
    /// The domain granted access.
    pub domid: DomId,
}
assert_layout!(GrantEntryHeader, size = 4, align = 2, { flags: 0, domid: 2 });

/// The `full_page` member of [`GrantEntryV2`]: a whole-page access grant or
/// an accept-transfer grant.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct FullPage {
    /// The common header.
    pub hdr: GrantEntryHeader,
    /// Padding (C's `pad0`).
    pub pad0: u32,
    /// The frame, as in [`GrantEntryV1::frame`].
    pub frame: u64,
}
assert_layout!(FullPage, size = 16, align = 8, { hdr: 0, pad0: 4, frame: 8 });

/// The `sub_page` member of [`GrantEntryV2`]: bytes
/// `page_off..page_off + length` of `frame` (with
/// [`GrantEntryFlags::SUB_PAGE`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SubPage {
    /// The common header.
    pub hdr: GrantEntryHeader,
    /// First granted byte in the page.
    pub page_off: u16,
    /// Number of granted bytes.
    pub length: u16,
    /// The granted frame.
    pub frame: u64,
}
assert_layout!(SubPage, size = 16, align = 8, { hdr: 0, page_off: 4, length: 6, frame: 8 });

/// The `transitive` member of [`GrantEntryV2`]: `hdr.domid` may use grant
/// `gref` of `trans_domid` as if it were this domain.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Transitive {
    /// The common header.
    pub hdr: GrantEntryHeader,
    /// The domain holding the original grant.
    pub trans_domid: DomId,
    /// Padding (C's `pad0`).
    pub pad0: u16,
    /// The original grant in `trans_domid`'s table.
    pub gref: GrantRef,
}
assert_layout!(Transitive, size = 12, align = 4, { hdr: 0, trans_domid: 4, pad0: 6, gref: 8 });

/// `grant_entry_v2`: an entry of a version-2 grant table (a C union, kept as
/// 16 bytes of storage; read and write it through the typed accessors).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "grant_entry_v2")]
#[doc(alias = "grant_entry_v2_t")]
pub struct GrantEntryV2 {
    /// The raw storage (C's `__spacer` member is the same 16 bytes).
    pub raw: [u64; 2],
}
assert_layout!(GrantEntryV2, size = 16, align = 8);

impl GrantEntryV2 {
    /// The `hdr` member, common to all kinds.
    pub fn hdr(&self) -> GrantEntryHeader {
        read_prefix(self.raw.as_bytes())
    }

    /// Overwrites only the `hdr` member (the first four bytes).
    pub fn set_hdr(&mut self, hdr: GrantEntryHeader) {
        self.raw.as_mut_bytes()[..4].copy_from_slice(hdr.as_bytes());
    }

    /// The `full_page` member.
    pub fn full_page(&self) -> FullPage {
        read_prefix(self.raw.as_bytes())
    }

    /// Replaces the whole entry with a `full_page` member.
    pub fn set_full_page(&mut self, v: FullPage) {
        write_prefix(self.raw.as_mut_bytes(), &v);
    }

    /// The `sub_page` member.
    pub fn sub_page(&self) -> SubPage {
        read_prefix(self.raw.as_bytes())
    }

    /// Replaces the whole entry with a `sub_page` member.
    pub fn set_sub_page(&mut self, v: SubPage) {
        write_prefix(self.raw.as_mut_bytes(), &v);
    }

    /// The `transitive` member.
    pub fn transitive(&self) -> Transitive {
        read_prefix(self.raw.as_bytes())
    }

    /// Replaces the whole entry with a `transitive` member (the last four
    /// bytes are zeroed).
    pub fn set_transitive(&mut self, v: Transitive) {
        write_prefix(self.raw.as_mut_bytes(), &v);
    }
}

impl From<FullPage> for GrantEntryV2 {
    fn from(v: FullPage) -> Self {
        let mut e = Self::default();
        e.set_full_page(v);
        e
    }
}

impl From<SubPage> for GrantEntryV2 {
    fn from(v: SubPage) -> Self {
        let mut e = Self::default();
        e.set_sub_page(v);
        e
    }
}

impl From<Transitive> for GrantEntryV2 {
    fn from(v: Transitive) -> Self {
        let mut e = Self::default();
        e.set_transitive(v);
        e
    }
}

/// `GNTTABOP_*`: the sub-op numbers of `HYPERVISOR_grant_table_op`.
pub mod op {
    /// Map granted frames ([`MapGrantRef`](super::MapGrantRef)).
    #[doc(alias = "GNTTABOP_map_grant_ref")]
    pub const MAP_GRANT_REF: u32 = 0;
    /// Unmap granted frames ([`UnmapGrantRef`](super::UnmapGrantRef)).
    #[doc(alias = "GNTTABOP_unmap_grant_ref")]
    pub const UNMAP_GRANT_REF: u32 = 1;
    /// Get the frames of a grant table ([`SetupTable`](super::SetupTable)).
    #[doc(alias = "GNTTABOP_setup_table")]
    pub const SETUP_TABLE: u32 = 2;
    /// Dump a grant table to Xen's console ([`DumpTable`](super::DumpTable)).
    #[doc(alias = "GNTTABOP_dump_table")]
    pub const DUMP_TABLE: u32 = 3;
    /// Transfer pages to another domain ([`Transfer`](super::Transfer)).
    #[doc(alias = "GNTTABOP_transfer")]
    pub const TRANSFER: u32 = 4;
    /// Copy between granted and local frames ([`GrantCopy`](super::GrantCopy)).
    #[doc(alias = "GNTTABOP_copy")]
    pub const COPY: u32 = 5;
    /// Query a table's size ([`QuerySize`](super::QuerySize)).
    #[doc(alias = "GNTTABOP_query_size")]
    pub const QUERY_SIZE: u32 = 6;
    /// Unmap a grant, replacing the mapping
    /// ([`UnmapAndReplace`](super::UnmapAndReplace)).
    #[doc(alias = "GNTTABOP_unmap_and_replace")]
    pub const UNMAP_AND_REPLACE: u32 = 7;
    /// Choose the table version ([`SetVersion`](super::SetVersion)).
    #[doc(alias = "GNTTABOP_set_version")]
    pub const SET_VERSION: u32 = 8;
    /// Get the v2 status frames ([`GetStatusFrames`](super::GetStatusFrames)).
    #[doc(alias = "GNTTABOP_get_status_frames")]
    pub const GET_STATUS_FRAMES: u32 = 9;
    /// Query the table version ([`GetVersion`](super::GetVersion)).
    #[doc(alias = "GNTTABOP_get_version")]
    pub const GET_VERSION: u32 = 10;
    /// Swap two grant entries ([`SwapGrantRef`](super::SwapGrantRef)).
    #[doc(alias = "GNTTABOP_swap_grant_ref")]
    pub const SWAP_GRANT_REF: u32 = 11;
    /// Clean/invalidate caches for a grant ([`CacheFlush`](super::CacheFlush)).
    #[doc(alias = "GNTTABOP_cache_flush")]
    pub const CACHE_FLUSH: u32 = 12;
}

/// The status a grant-table operation reports in its `status` field
/// (`GNTST_*`: 0 or a negative code).
///
/// A newtype, not an enum: a code this crate does not know stays
/// representable and prints as its number.
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
pub struct GrantStatus(i16);

impl GrantStatus {
    /// Success.
    #[doc(alias = "GNTST_okay")]
    pub const OKAY: Self = Self(0);
    /// Undefined error.
    #[doc(alias = "GNTST_general_error")]
    pub const GENERAL_ERROR: Self = Self(-1);
    /// Unrecognised domain id.
    #[doc(alias = "GNTST_bad_domain")]
    pub const BAD_DOMAIN: Self = Self(-2);
    /// Unrecognised or inappropriate grant reference.
    #[doc(alias = "GNTST_bad_gntref")]
    pub const BAD_GNTREF: Self = Self(-3);
    /// Unrecognised or inappropriate handle.
    #[doc(alias = "GNTST_bad_handle")]
    pub const BAD_HANDLE: Self = Self(-4);
    /// Inappropriate virtual address to map.
    #[doc(alias = "GNTST_bad_virt_addr")]
    pub const BAD_VIRT_ADDR: Self = Self(-5);
    /// Inappropriate device address to unmap.
    #[doc(alias = "GNTST_bad_dev_addr")]
    pub const BAD_DEV_ADDR: Self = Self(-6);
    /// Out of space in the I/O MMU.
    #[doc(alias = "GNTST_no_device_space")]
    pub const NO_DEVICE_SPACE: Self = Self(-7);
    /// Not enough privilege for the operation.
    #[doc(alias = "GNTST_permission_denied")]
    pub const PERMISSION_DENIED: Self = Self(-8);
    /// The specified page was invalid for the operation.
    #[doc(alias = "GNTST_bad_page")]
    pub const BAD_PAGE: Self = Self(-9);
    /// Copy arguments cross a page boundary.
    #[doc(alias = "GNTST_bad_copy_arg")]
    pub const BAD_COPY_ARG: Self = Self(-10);
    /// Transfer page address too large.
    #[doc(alias = "GNTST_address_too_big")]
    pub const ADDRESS_TOO_BIG: Self = Self(-11);
    /// Operation not done; try again.
    #[doc(alias = "GNTST_eagain")]
    pub const EAGAIN: Self = Self(-12);
    /// Out of space (handles etc.).
    #[doc(alias = "GNTST_no_space")]
    pub const NO_SPACE: Self = Self(-13);

    /// Xen's messages (`GNTTABOP_error_msgs`), indexed by `-status`.
    const MESSAGES: [&'static str; 14] = [
        "okay",
        "undefined error",
        "unrecognised domain id",
        "invalid grant reference",
        "invalid mapping handle",
        "invalid virtual address",
        "invalid device address",
        "no spare translation slot in the I/O MMU",
        "permission denied",
        "bad page",
        "copy arguments cross page boundary",
        "page address size too large",
        "operation not done; try again",
        "out of space",
    ];

    /// Wraps a raw status.
    pub const fn new(raw: i16) -> Self {
        Self(raw)
    }

    /// The raw status.
    pub const fn get(self) -> i16 {
        self.0
    }

    /// True for [`GrantStatus::OKAY`].
    pub const fn is_okay(self) -> bool {
        self.0 == 0
    }

    /// `Ok(())` for [`GrantStatus::OKAY`], `Err(self)` otherwise.
    ///
    /// # Errors
    /// The status itself when it is not `OKAY`.
    pub const fn ok(self) -> core::result::Result<(), Self> {
        if self.is_okay() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// Xen's message for a known status.
    pub fn message(self) -> Option<&'static str> {
        let idx = usize::try_from(-i32::from(self.0)).ok()?;
        Self::MESSAGES.get(idx).copied()
    }
}

impl fmt::Display for GrantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message() {
            Some(msg) => f.write_str(msg),
            None => write!(f, "unknown grant status {}", self.0),
        }
    }
}

impl fmt::Debug for GrantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantStatus({}", self.0)?;
        if let Some(msg) = self.message() {
            write!(f, ": {msg}")?;
        }
        f.write_str(")")
    }
}

/// A handle to a grant mapping (`grant_handle_t`), returned by
/// `GNTTABOP_map_grant_ref` and needed to unmap.
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
#[doc(alias = "grant_handle_t")]
pub struct GrantHandle(u32);

impl GrantHandle {
    /// Wraps a raw handle.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw handle.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for GrantHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantHandle({})", self.0)
    }
}

/// The `flags` word of [`MapGrantRef`] (`GNTMAP_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct GntMapFlags(u32);

bitflags::bitflags! {
    impl GntMapFlags: u32 {
        /// Map for access by I/O devices (`dev_bus_addr` is returned).
        #[doc(alias = "GNTMAP_device_map")]
        const DEVICE_MAP = 1 << 0;
        /// Map for access by host CPUs at `host_addr`.
        #[doc(alias = "GNTMAP_host_map")]
        const HOST_MAP = 1 << 1;
        /// Map read-only.
        #[doc(alias = "GNTMAP_readonly")]
        const READONLY = 1 << 2;
        /// With `HOST_MAP`: the mapping is usable by applications too, not
        /// only the guest kernel.
        #[doc(alias = "GNTMAP_application_map")]
        const APPLICATION_MAP = 1 << 3;
        /// `host_addr` is the machine address of the PTE to update, not a
        /// virtual address.
        #[doc(alias = "GNTMAP_contains_pte")]
        const CONTAINS_PTE = 1 << 4;
        /// Bits left to the guest (copied into PTE available bits when
        /// `XENFEAT_gnttab_map_avail_bits` is present).
        #[doc(alias = "GNTMAP_guest_avail_mask")]
        const GUEST_AVAIL_MASK = !0 << 16;
        const _ = !0;
    }
}

impl fmt::Debug for GntMapFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags(f, "GntMapFlags", self.is_empty(), |w| {
            bitflags::parser::to_writer(self, w)
        })
    }
}

/// Bit numbers of the map flags (the `_GNTMAP_*` macros); the flags
/// themselves are [`GntMapFlags`].
pub mod gntmap_bit {
    /// Bit of [`DEVICE_MAP`](super::GntMapFlags::DEVICE_MAP).
    #[doc(alias = "_GNTMAP_device_map")]
    pub const DEVICE_MAP: u32 = 0;
    /// Bit of [`HOST_MAP`](super::GntMapFlags::HOST_MAP).
    #[doc(alias = "_GNTMAP_host_map")]
    pub const HOST_MAP: u32 = 1;
    /// Bit of [`READONLY`](super::GntMapFlags::READONLY).
    #[doc(alias = "_GNTMAP_readonly")]
    pub const READONLY: u32 = 2;
    /// Bit of [`APPLICATION_MAP`](super::GntMapFlags::APPLICATION_MAP).
    #[doc(alias = "_GNTMAP_application_map")]
    pub const APPLICATION_MAP: u32 = 3;
    /// Bit of [`CONTAINS_PTE`](super::GntMapFlags::CONTAINS_PTE).
    #[doc(alias = "_GNTMAP_contains_pte")]
    pub const CONTAINS_PTE: u32 = 4;
    /// First bit of [`GUEST_AVAIL_MASK`](super::GntMapFlags::GUEST_AVAIL_MASK).
    #[doc(alias = "_GNTMAP_guest_avail0")]
    pub const GUEST_AVAIL0: u32 = 16;
}

/// `GNTTABOP_map_grant_ref`: map grant `gref` of domain `dom`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_map_grant_ref")]
#[doc(alias = "gnttab_map_grant_ref_t")]
pub struct MapGrantRef {
    /// IN: where to map (virtual address, PTE address or GFN address,
    /// depending on `flags` and the guest type).
    pub host_addr: u64,
    /// IN: `GNTMAP_*`.
    pub flags: GntMapFlags,
    /// IN: the grant reference in `dom`'s table.
    #[doc(alias = "ref")]
    pub gref: GrantRef,
    /// IN: the granting domain.
    pub dom: DomId,
    /// OUT: the result.
    pub status: GrantStatus,
    /// OUT: the handle to unmap with.
    pub handle: GrantHandle,
    /// OUT: the bus address (with [`GntMapFlags::DEVICE_MAP`]).
    pub dev_bus_addr: u64,
}
assert_layout!(MapGrantRef, size = 32, align = 8, {
    host_addr: 0,
    flags: 8,
    gref: 12,
    dom: 16,
    status: 18,
    handle: 20,
    dev_bus_addr: 24,
});

/// `GNTTABOP_unmap_grant_ref`: undo a mapping made by
/// `GNTTABOP_map_grant_ref`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_unmap_grant_ref")]
#[doc(alias = "gnttab_unmap_grant_ref_t")]
pub struct UnmapGrantRef {
    /// IN: the host address mapped (0: none).
    pub host_addr: u64,
    /// IN: the device address mapped (0: none).
    pub dev_bus_addr: u64,
    /// IN: the mapping's handle.
    pub handle: GrantHandle,
    /// OUT: the result.
    pub status: GrantStatus,
    /// Padding.
    pub _pad0: [u8; 2],
}
assert_layout!(UnmapGrantRef, size = 24, align = 8, {
    host_addr: 0,
    dev_bus_addr: 8,
    handle: 16,
    status: 20,
});

/// `GNTTABOP_setup_table`: get the frame list of `dom`'s grant table, growing
/// it to `nr_frames` frames if needed.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_setup_table")]
#[doc(alias = "gnttab_setup_table_t")]
pub struct SetupTable {
    /// IN: the domain.
    pub dom: DomId,
    /// Padding.
    pub _pad0: [u8; 2],
    /// IN: number of frames wanted.
    pub nr_frames: u32,
    /// OUT: the result.
    pub status: GrantStatus,
    /// Padding.
    pub _pad1: [u8; 6],
    /// OUT: array of `nr_frames` frame numbers Xen fills: machine frames
    /// for a PV caller, for an HVM/PVH caller the guest frames where the
    /// table frames are mapped (Xen's "gmfn": a [`Gfn`] in the caller's
    /// own frame space either way).
    pub frame_list: GuestHandle<Gfn>,
}
assert_layout!(SetupTable, size = 24, align = 8, {
    dom: 0,
    nr_frames: 4,
    status: 8,
    frame_list: 16,
});

/// `GNTTABOP_dump_table`: dump `dom`'s grant table to Xen's console
/// (debugging).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_dump_table")]
#[doc(alias = "gnttab_dump_table_t")]
pub struct DumpTable {
    /// IN: the domain.
    pub dom: DomId,
    /// OUT: the result.
    pub status: GrantStatus,
}
assert_layout!(DumpTable, size = 4, align = 2, { dom: 0, status: 2 });

/// `GNTTABOP_transfer`: give page `mfn` to `domid`, into its
/// accept-transfer grant `gref`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_transfer")]
#[doc(alias = "gnttab_transfer_t")]
pub struct Transfer {
    /// IN: the frame to give away (PV only, so a machine frame).
    pub mfn: Mfn,
    /// IN: the receiving domain.
    pub domid: DomId,
    /// Padding.
    pub _pad0: [u8; 2],
    /// IN: the receiver's accept-transfer grant.
    #[doc(alias = "ref")]
    pub gref: GrantRef,
    /// OUT: the result.
    pub status: GrantStatus,
    /// Padding.
    pub _pad1: [u8; 6],
}
assert_layout!(Transfer, size = 24, align = 8, { mfn: 0, domid: 8, gref: 12, status: 16 });

/// The `flags` word of [`GrantCopy`] (`GNTCOPY_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct GntCopyFlags(u16);

bitflags::bitflags! {
    impl GntCopyFlags: u16 {
        /// `source.u` is a grant reference (else a GFN).
        #[doc(alias = "GNTCOPY_source_gref")]
        const SOURCE_GREF = 1 << 0;
        /// `dest.u` is a grant reference (else a GFN).
        #[doc(alias = "GNTCOPY_dest_gref")]
        const DEST_GREF = 1 << 1;
        const _ = !0;
    }
}

impl fmt::Debug for GntCopyFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags(f, "GntCopyFlags", self.is_empty(), |w| {
            bitflags::parser::to_writer(self, w)
        })
    }
}

/// Bit numbers of the copy flags (the `_GNTCOPY_*` macros); the flags
/// themselves are [`GntCopyFlags`].
pub mod gntcopy_bit {
    /// Bit of [`SOURCE_GREF`](super::GntCopyFlags::SOURCE_GREF).
    #[doc(alias = "_GNTCOPY_source_gref")]
    pub const SOURCE_GREF: u32 = 0;
    /// Bit of [`DEST_GREF`](super::GntCopyFlags::DEST_GREF).
    #[doc(alias = "_GNTCOPY_dest_gref")]
    pub const DEST_GREF: u32 = 1;
}

/// `gnttab_copy_ptr`: one side of a [`GrantCopy`]: a grant reference or a
/// local frame, and a byte offset in it.
///
/// `u` is C's union of `ref` and `gmfn`; use the accessors.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_copy_ptr")]
pub struct CopyPtr {
    /// The grant reference or frame (C union `u`).
    pub u: u64,
    /// The domain owning the grant or frame.
    pub domid: DomId,
    /// Byte offset in the page.
    pub offset: u16,
    /// Padding.
    pub _pad0: [u8; 4],
}
assert_layout!(CopyPtr, size = 16, align = 8, { u: 0, domid: 8, offset: 10 });

impl CopyPtr {
    /// A grant reference of `domid` (set the matching `GNTCOPY_*_gref`
    /// flag).
    pub fn from_gref(gref: GrantRef, domid: DomId, offset: u16) -> Self {
        let mut p = Self {
            domid,
            offset,
            ..Self::default()
        };
        p.set_gref(gref);
        p
    }

    /// A local frame (`domid` is normally [`DomId::SELF`]).
    pub fn from_gmfn(gmfn: Gfn, domid: DomId, offset: u16) -> Self {
        Self {
            u: gmfn.get(),
            domid,
            offset,
            ..Self::default()
        }
    }

    /// `u.ref`.
    pub fn gref(&self) -> GrantRef {
        read_prefix(self.u.as_bytes())
    }

    /// Sets `u.ref` (the rest of `u` is zeroed).
    pub fn set_gref(&mut self, gref: GrantRef) {
        write_prefix(self.u.as_mut_bytes(), &gref);
    }

    /// `u.gmfn`.
    pub fn gmfn(&self) -> Gfn {
        Gfn::new_unchecked(self.u)
    }

    /// Sets `u.gmfn`.
    pub fn set_gmfn(&mut self, gmfn: Gfn) {
        self.u = gmfn.get();
    }
}

/// `GNTTABOP_copy`: copy `len` bytes from `source` to `dest`, either of
/// which may be a grant.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_copy")]
#[doc(alias = "gnttab_copy_t")]
pub struct GrantCopy {
    /// IN: where to copy from.
    pub source: CopyPtr,
    /// IN: where to copy to.
    pub dest: CopyPtr,
    /// IN: number of bytes (neither side may cross a page boundary).
    pub len: u16,
    /// IN: `GNTCOPY_*`.
    pub flags: GntCopyFlags,
    /// OUT: the result.
    pub status: GrantStatus,
    /// Padding.
    pub _pad0: [u8; 2],
}
assert_layout!(GrantCopy, size = 40, align = 8, {
    source: 0,
    dest: 16,
    len: 32,
    flags: 34,
    status: 36,
});

/// `GNTTABOP_query_size`: the current and maximum number of frames of
/// `dom`'s grant table.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_query_size")]
#[doc(alias = "gnttab_query_size_t")]
pub struct QuerySize {
    /// IN: the domain.
    pub dom: DomId,
    /// Padding.
    pub _pad0: [u8; 2],
    /// OUT: current number of frames.
    pub nr_frames: u32,
    /// OUT: maximum number of frames.
    pub max_nr_frames: u32,
    /// OUT: the result.
    pub status: GrantStatus,
    /// Padding.
    pub _pad1: [u8; 2],
}
assert_layout!(QuerySize, size = 16, align = 4, {
    dom: 0,
    nr_frames: 4,
    max_nr_frames: 8,
    status: 12,
});

/// `GNTTABOP_unmap_and_replace`: unmap the grant at `host_addr` and move
/// the mapping at `new_addr` there (PV guests).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_unmap_and_replace")]
#[doc(alias = "gnttab_unmap_and_replace_t")]
pub struct UnmapAndReplace {
    /// IN: the address of the grant mapping.
    pub host_addr: u64,
    /// IN: the address whose mapping replaces it (and is then cleared).
    pub new_addr: u64,
    /// IN: the mapping's handle.
    pub handle: GrantHandle,
    /// OUT: the result.
    pub status: GrantStatus,
    /// Padding.
    pub _pad0: [u8; 2],
}
assert_layout!(UnmapAndReplace, size = 24, align = 8, {
    host_addr: 0,
    new_addr: 8,
    handle: 16,
    status: 20,
});

/// `GNTTABOP_set_version`: switch the calling domain's grant table to
/// `version` (1 or 2); returns the version in use.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_set_version")]
#[doc(alias = "gnttab_set_version_t")]
pub struct SetVersion {
    /// IN/OUT: the version.
    pub version: u32,
}
assert_layout!(SetVersion, size = 4, align = 4, { version: 0 });

/// `GNTTABOP_get_status_frames`: the frames of `dom`'s v2 status array.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_get_status_frames")]
#[doc(alias = "gnttab_get_status_frames_t")]
pub struct GetStatusFrames {
    /// IN: number of frames wanted.
    pub nr_frames: u32,
    /// IN: the domain.
    pub dom: DomId,
    /// OUT: the result.
    pub status: GrantStatus,
    /// OUT: array of `nr_frames` frame numbers Xen fills.
    pub frame_list: GuestHandle<u64>,
}
assert_layout!(GetStatusFrames, size = 16, align = 8, {
    nr_frames: 0,
    dom: 4,
    status: 6,
    frame_list: 8,
});

/// `GNTTABOP_get_version`: the grant-table version `dom` uses.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_get_version")]
#[doc(alias = "gnttab_get_version_t")]
pub struct GetVersion {
    /// IN: the domain.
    pub dom: DomId,
    /// Padding (C's `pad`).
    pub pad: u16,
    /// OUT: the version.
    pub version: u32,
}
assert_layout!(GetVersion, size = 8, align = 4, { dom: 0, pad: 2, version: 4 });

/// `GNTTABOP_swap_grant_ref`: atomically swap two entries of the caller's
/// grant table.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_swap_grant_ref")]
#[doc(alias = "gnttab_swap_grant_ref_t")]
pub struct SwapGrantRef {
    /// IN: one entry.
    pub ref_a: GrantRef,
    /// IN: the other entry.
    pub ref_b: GrantRef,
    /// OUT: the result.
    pub status: GrantStatus,
    /// Padding.
    pub _pad0: [u8; 2],
}
assert_layout!(SwapGrantRef, size = 12, align = 4, { ref_a: 0, ref_b: 4, status: 8 });

/// The `op` word of [`CacheFlush`] (`GNTTAB_CACHE_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct CacheFlushOp(u32);

bitflags::bitflags! {
    impl CacheFlushOp: u32 {
        /// Clean (write back) the range.
        #[doc(alias = "GNTTAB_CACHE_CLEAN")]
        const CLEAN = 1 << 0;
        /// Invalidate the range.
        #[doc(alias = "GNTTAB_CACHE_INVAL")]
        const INVAL = 1 << 1;
        /// `a` holds a grant reference (else a device bus address).
        #[doc(alias = "GNTTAB_CACHE_SOURCE_GREF")]
        const SOURCE_GREF = 1 << 31;
        const _ = !0;
    }
}

impl fmt::Debug for CacheFlushOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags(f, "CacheFlushOp", self.is_empty(), |w| {
            bitflags::parser::to_writer(self, w)
        })
    }
}

/// `GNTTABOP_cache_flush`: clean or invalidate the cache for `length` bytes
/// at `offset` of a granted page (Arm).
///
/// `a` is C's union of `dev_bus_addr` and `ref`; use the accessors.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "gnttab_cache_flush")]
#[doc(alias = "gnttab_cache_flush_t")]
pub struct CacheFlush {
    /// The bus address or grant reference (C union `a`).
    pub a: u64,
    /// Offset from the start of the grant.
    pub offset: u16,
    /// Number of bytes.
    pub length: u16,
    /// `GNTTAB_CACHE_*`.
    pub op: CacheFlushOp,
}
assert_layout!(CacheFlush, size = 16, align = 8, { a: 0, offset: 8, length: 10, op: 12 });

impl CacheFlush {
    /// `a.dev_bus_addr`.
    pub fn dev_bus_addr(&self) -> u64 {
        self.a
    }

    /// Sets `a.dev_bus_addr`.
    pub fn set_dev_bus_addr(&mut self, addr: u64) {
        self.a = addr;
    }

    /// `a.ref` (with [`CacheFlushOp::SOURCE_GREF`]).
    pub fn gref(&self) -> GrantRef {
        read_prefix(self.a.as_bytes())
    }

    /// Sets `a.ref` (the rest of `a` is zeroed).
    pub fn set_gref(&mut self, gref: GrantRef) {
        write_prefix(self.a.as_mut_bytes(), &gref);
    }
}

sub_op! {
    GRANT_TABLE_OP:
    MapGrantRef => MAP_GRANT_REF,
    UnmapGrantRef => UNMAP_GRANT_REF,
    SetupTable => SETUP_TABLE,
    DumpTable => DUMP_TABLE,
    Transfer => TRANSFER,
    GrantCopy => COPY,
    QuerySize => QUERY_SIZE,
    UnmapAndReplace => UNMAP_AND_REPLACE,
    SetVersion => SET_VERSION,
    GetStatusFrames => GET_STATUS_FRAMES,
    GetVersion => GET_VERSION,
    SwapGrantRef => SWAP_GRANT_REF,
    CacheFlush => CACHE_FLUSH,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn entry_flags() {
        let f = GrantEntryFlags::PERMIT_ACCESS | GrantEntryFlags::READONLY;
        assert_eq!(
            format!("{f:?}"),
            "GrantEntryFlags(PERMIT_ACCESS | READONLY)"
        );
        assert_eq!(
            format!("{:?}", GrantEntryFlags::TRANSITIVE),
            "GrantEntryFlags(TRANSITIVE)"
        );
        assert_eq!(
            format!("{:?}", GrantEntryFlags::empty()),
            "GrantEntryFlags(empty)"
        );
        assert_eq!(
            format!("{:?}", GrantEntryFlags::from_bits_retain(0x8001)),
            "GrantEntryFlags(PERMIT_ACCESS | 0x8000)"
        );
        assert_eq!(f.grant_type(), GrantEntryFlags::PERMIT_ACCESS);
        assert_eq!(GrantEntryFlags::READING.bits(), 1 << gtf_bit::READING);
    }

    #[test]
    fn other_flags() {
        let m = GntMapFlags::HOST_MAP | GntMapFlags::READONLY;
        assert_eq!(format!("{m:?}"), "GntMapFlags(HOST_MAP | READONLY)");
        assert_eq!(GntMapFlags::GUEST_AVAIL_MASK.bits(), 0xffff_0000);
        assert_eq!(
            format!("{:?}", GntCopyFlags::all()),
            "GntCopyFlags(SOURCE_GREF | DEST_GREF | 0xfffc)"
        );
        assert_eq!(
            format!("{:?}", CacheFlushOp::CLEAN | CacheFlushOp::SOURCE_GREF),
            "CacheFlushOp(CLEAN | SOURCE_GREF)"
        );
    }

    #[test]
    fn status_display() {
        assert_eq!(format!("{}", GrantStatus::OKAY), "okay");
        assert_eq!(format!("{}", GrantStatus::NO_SPACE), "out of space");
        assert_eq!(
            format!("{}", GrantStatus::new(-14)),
            "unknown grant status -14"
        );
        assert_eq!(format!("{}", GrantStatus::new(1)), "unknown grant status 1");
        assert_eq!(
            format!("{:?}", GrantStatus::BAD_GNTREF),
            "GrantStatus(-3: invalid grant reference)"
        );
        assert_eq!(GrantStatus::EAGAIN.ok(), Err(GrantStatus::EAGAIN));
        assert_eq!(GrantStatus::OKAY.ok(), Ok(()));
    }

    #[test]
    fn entry_v2_accessors() {
        let hdr = GrantEntryHeader {
            flags: GrantEntryFlags::TRANSITIVE,
            domid: DomId::DOM0,
        };
        let t = Transitive {
            hdr,
            trans_domid: DomId::new_unchecked(5),
            pad0: 0,
            gref: GrantRef::new_unchecked(9),
        };
        let mut e = GrantEntryV2::from(t);
        assert_eq!(e.transitive(), t);
        assert_eq!(e.hdr(), hdr);
        assert_eq!(&e.raw.as_bytes()[8..], &[9, 0, 0, 0, 0, 0, 0, 0]);
        let s = SubPage {
            hdr,
            page_off: 16,
            length: 32,
            frame: 0x1234,
        };
        e.set_sub_page(s);
        assert_eq!(e.sub_page(), s);
        assert_eq!(e.full_page().frame, 0x1234);
        assert_eq!(e.full_page().pad0, 16 | (32 << 16));
        let hdr2 = GrantEntryHeader {
            flags: GrantEntryFlags::PERMIT_ACCESS,
            domid: DomId::new_unchecked(1),
        };
        e.set_hdr(hdr2);
        assert_eq!(e.sub_page(), SubPage { hdr: hdr2, ..s });
    }

    #[test]
    fn union_fields() {
        let p = CopyPtr::from_gref(GrantRef::new_unchecked(0x1234_5678), DomId::DOM0, 8);
        assert_eq!(p.gref().get(), 0x1234_5678);
        assert_eq!(p.u.as_bytes(), &[0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0]);
        let mut q = CopyPtr::from_gmfn(Gfn::new_unchecked(0xabc), DomId::SELF, 0);
        assert_eq!(q.gmfn().get(), 0xabc);
        q.set_gref(GrantRef::new_unchecked(1));
        assert_eq!(
            (q.gref().get(), q.gmfn().get()),
            (1, u64::from_ne_bytes([1, 0, 0, 0, 0, 0, 0, 0]))
        );
        let mut c = CacheFlush::default();
        c.set_gref(GrantRef::new_unchecked(3));
        assert_eq!(c.gref().get(), 3);
        c.set_dev_bus_addr(0x1000);
        assert_eq!(c.dev_bus_addr(), 0x1000);
        assert_eq!(
            <GrantCopy as crate::xen::SubOp<{ op::COPY }>>::HYPERCALL,
            crate::xen::HypercallOp::GRANT_TABLE_OP
        );
    }
}

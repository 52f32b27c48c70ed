// SPDX-License-Identifier: MIT OR Apache-2.0
//! `io/blkif.h`: the PV block device protocol (blkfront/blkback).
//!
//! The frontend puts [`Request`]s (or, by [`Request::operation`], a
//! [`RequestDiscard`] or [`RequestIndirect`] in the same slot) on a shared
//! [`Sring`]; the backend answers each with a [`Response`] carrying the same
//! `id`. Data moves through granted pages named by [`RequestSegment`]s.
//! Sectors are 512 bytes unless the frontend negotiated
//! `feature-large-sector-size`.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::grant_table::GrantRef;
use crate::io::ring::{self, PAGE_SIZE};

/// A virtual device handle (`blkif_vdev_t`).
#[doc(alias = "blkif_vdev_t")]
pub type Vdev = u16;

/// A sector number (`blkif_sector_t`).
#[doc(alias = "blkif_sector_t")]
pub type Sector = u64;

/// Maximum number of segments of a direct [`Request`].
#[doc(alias = "BLKIF_MAX_SEGMENTS_PER_REQUEST")]
pub const MAX_SEGMENTS_PER_REQUEST: usize = 11;

/// Maximum number of indirect pages of a [`RequestIndirect`].
#[doc(alias = "BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST")]
pub const MAX_INDIRECT_PAGES_PER_REQUEST: usize = 8;

/// How many [`RequestSegment`]s one indirect page holds
/// (`PAGE_SIZE / sizeof(struct blkif_request_segment)`).
pub const SEGMENTS_PER_INDIRECT_PAGE: usize = PAGE_SIZE / core::mem::size_of::<RequestSegment>();

/// A request's operation code (`BLKIF_OP_*`).
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
pub struct Operation(u8);

impl Operation {
    /// Wraps a raw operation code.
    pub const fn new(raw: u8) -> Self {
        Self(raw)
    }

    /// The raw operation code.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// Read sectors into the segments.
    #[doc(alias = "BLKIF_OP_READ")]
    pub const READ: Self = Self(0);
    /// Write sectors from the segments.
    #[doc(alias = "BLKIF_OP_WRITE")]
    pub const WRITE: Self = Self(1);
    /// Write after all earlier writes complete, before any later one starts
    /// (optional: `feature-barrier`).
    #[doc(alias = "BLKIF_OP_WRITE_BARRIER")]
    pub const WRITE_BARRIER: Self = Self(2);
    /// Commit the device's volatile write cache to stable storage
    /// (optional: `feature-flush-cache`).
    #[doc(alias = "BLKIF_OP_FLUSH_DISKCACHE")]
    pub const FLUSH_DISKCACHE: Self = Self(3);
    /// Reserved (device-specific command packets in SLES).
    #[doc(alias = "BLKIF_OP_RESERVED_1")]
    pub const RESERVED_1: Self = Self(4);
    /// Discard (trim/unmap) a range: the slot holds a [`RequestDiscard`]
    /// (optional: `feature-discard`).
    #[doc(alias = "BLKIF_OP_DISCARD")]
    pub const DISCARD: Self = Self(5);
    /// Indirect read or write: the slot holds a [`RequestIndirect`]
    /// (optional: `feature-max-indirect-segments`).
    #[doc(alias = "BLKIF_OP_INDIRECT")]
    pub const INDIRECT: Self = Self(6);

    /// The name of a known operation (`"READ"`), or `None`.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "READ",
            1 => "WRITE",
            2 => "WRITE_BARRIER",
            3 => "FLUSH_DISKCACHE",
            4 => "RESERVED_1",
            5 => "DISCARD",
            6 => "INDIRECT",
            _ => return None,
        })
    }
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "Operation({n})"),
            None => write!(f, "Operation({})", self.0),
        }
    }
}

/// A response's status (`BLKIF_RSP_*`).
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
pub struct Status(i16);

impl Status {
    /// Wraps a raw status.
    pub const fn new(raw: i16) -> Self {
        Self(raw)
    }

    /// The raw status.
    pub const fn get(self) -> i16 {
        self.0
    }

    /// Operation not supported (only happens on barrier writes).
    #[doc(alias = "BLKIF_RSP_EOPNOTSUPP")]
    pub const EOPNOTSUPP: Self = Self(-2);
    /// Operation failed for some unspecified reason (-EIO).
    #[doc(alias = "BLKIF_RSP_ERROR")]
    pub const ERROR: Self = Self(-1);
    /// Operation completed successfully.
    #[doc(alias = "BLKIF_RSP_OKAY")]
    pub const OKAY: Self = Self(0);

    /// Whether the operation succeeded.
    pub const fn is_ok(self) -> bool {
        self.0 == Self::OKAY.0
    }

    /// The name of a known status (`"OKAY"`), or `None`.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            -2 => "EOPNOTSUPP",
            -1 => "ERROR",
            0 => "OKAY",
            _ => return None,
        })
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "Status({n})"),
            None => write!(f, "Status({})", self.0),
        }
    }
}

/// Flags of a [`RequestDiscard`] (`flag`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct DiscardFlags(u8);

bitflags::bitflags! {
    impl DiscardFlags: u8 {
        /// Make every copy of the discarded range unrecoverable (ignored
        /// unless the backend advertises `discard-secure`).
        #[doc(alias = "BLKIF_DISCARD_SECURE")]
        const SECURE = 1 << 0;
        const _ = !0;
    }
}

impl fmt::Debug for DiscardFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DiscardFlags(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// `VDISK_*`: the disk's `info` bits, as the backend publishes them in
/// xenstore.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct VdiskInfo(u32);

bitflags::bitflags! {
    impl VdiskInfo: u32 {
        /// The disk is a CD-ROM.
        #[doc(alias = "VDISK_CDROM")]
        const CDROM = 0x1;
        /// The disk is removable.
        #[doc(alias = "VDISK_REMOVABLE")]
        const REMOVABLE = 0x2;
        /// The disk is read-only.
        #[doc(alias = "VDISK_READONLY")]
        const READONLY = 0x4;
        const _ = !0;
    }
}

impl fmt::Debug for VdiskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VdiskInfo(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// One segment of a request: a granted page and the inclusive range of
/// sectors in it (`struct blkif_request_segment`).
///
/// Indirect pages are arrays of these.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "blkif_request_segment")]
pub struct RequestSegment {
    /// Grant of the I/O buffer page.
    pub gref: GrantRef,
    /// First sector in the page to transfer (inclusive).
    pub first_sect: u8,
    /// Last sector in the page to transfer (inclusive).
    pub last_sect: u8,
    /// Padding.
    pub _pad0: [u8; 2],
}
assert_layout!(RequestSegment, size = 8, align = 4, { gref: 0, first_sect: 4, last_sect: 5 });

/// A block request: the first ring element of any I/O
/// (`struct blkif_request`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "blkif_request")]
#[doc(alias = "blkif_request_t")]
pub struct Request {
    /// The operation ([`Operation::DISCARD`] and [`Operation::INDIRECT`]
    /// mean the slot is a [`RequestDiscard`] or [`RequestIndirect`]).
    pub operation: Operation,
    /// Number of valid entries of `seg`.
    pub nr_segments: u8,
    /// The device (only for read/write requests).
    pub handle: Vdev,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Private frontend value, echoed in the response.
    pub id: u64,
    /// Start sector on the disk (read/write only).
    pub sector_number: Sector,
    /// The data pages.
    pub seg: [RequestSegment; MAX_SEGMENTS_PER_REQUEST],
}
assert_layout!(Request, size = 112, align = 8, {
    operation: 0,
    nr_segments: 1,
    handle: 2,
    id: 8,
    sector_number: 16,
    seg: 24,
});

/// A discard request (`struct blkif_request_discard`), in a slot whose
/// operation is [`Operation::DISCARD`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "blkif_request_discard")]
#[doc(alias = "blkif_request_discard_t")]
pub struct RequestDiscard {
    /// [`Operation::DISCARD`].
    pub operation: Operation,
    /// [`DiscardFlags::SECURE`] or empty.
    pub flag: DiscardFlags,
    /// The device.
    pub handle: Vdev,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Private frontend value, echoed in the response.
    pub id: u64,
    /// Start sector on the disk.
    pub sector_number: Sector,
    /// Number of contiguous sectors to discard.
    pub nr_sectors: u64,
}
assert_layout!(RequestDiscard, size = 32, align = 8, {
    operation: 0,
    flag: 1,
    handle: 2,
    id: 8,
    sector_number: 16,
    nr_sectors: 24,
});

/// An indirect request (`struct blkif_request_indirect`), in a slot whose
/// operation is [`Operation::INDIRECT`]: the segments live in granted
/// pages, [`SEGMENTS_PER_INDIRECT_PAGE`] [`RequestSegment`]s each.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "blkif_request_indirect")]
#[doc(alias = "blkif_request_indirect_t")]
pub struct RequestIndirect {
    /// [`Operation::INDIRECT`].
    pub operation: Operation,
    /// The real operation: [`Operation::READ`] or [`Operation::WRITE`].
    pub indirect_op: Operation,
    /// Number of segments (up to the backend's
    /// `feature-max-indirect-segments`).
    pub nr_segments: u16,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Private frontend value, echoed in the response.
    pub id: u64,
    /// Start sector on the disk.
    pub sector_number: Sector,
    /// The device.
    pub handle: Vdev,
    /// Padding.
    pub _pad1: [u8; 2],
    /// Grants of the pages holding the segments.
    pub indirect_grefs: [GrantRef; MAX_INDIRECT_PAGES_PER_REQUEST],
    /// Padding (the i386 `pad` field is not part of the 64-bit ABIs).
    pub _pad2: [u8; 4],
}
assert_layout!(RequestIndirect, size = 64, align = 8, {
    operation: 0,
    indirect_op: 1,
    nr_segments: 2,
    id: 8,
    sector_number: 16,
    handle: 24,
    indirect_grefs: 28,
});

/// A block response (`struct blkif_response`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "blkif_response")]
#[doc(alias = "blkif_response_t")]
pub struct Response {
    /// Copied from the request.
    pub id: u64,
    /// Copied from the request.
    pub operation: Operation,
    /// Padding.
    pub _pad0: u8,
    /// The outcome.
    pub status: Status,
    /// Padding.
    pub _pad1: [u8; 4],
}
assert_layout!(Response, size = 16, align = 8, { id: 0, operation: 8, status: 10 });

/// One slot of the block ring (`union blkif_sring_entry`): a [`Request`]
/// (or its discard/indirect variants) or a [`Response`].
///
/// Raw storage with typed accessors; the setters zero the rest of the slot.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "blkif_sring_entry")]
pub struct SringEntry {
    /// The union's bytes (C members `req` and `rsp`).
    pub raw: [u64; 14],
}
assert_layout!(SringEntry, size = 112, align = 8);

impl SringEntry {
    /// A slot holding `req`.
    pub fn from_request(req: Request) -> Self {
        let mut e = Self::default();
        e.set_request(req);
        e
    }

    /// A slot holding `rsp`.
    pub fn from_response(rsp: Response) -> Self {
        let mut e = Self::default();
        e.set_response(rsp);
        e
    }

    /// The slot as a request (C `req`).
    pub fn request(&self) -> Request {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores a request (C `req`).
    pub fn set_request(&mut self, req: Request) {
        ring::write_prefix(self.raw.as_mut_bytes(), &req);
    }

    /// The slot as a discard request (when the operation is
    /// [`Operation::DISCARD`]).
    pub fn discard(&self) -> RequestDiscard {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores a discard request.
    pub fn set_discard(&mut self, req: RequestDiscard) {
        ring::write_prefix(self.raw.as_mut_bytes(), &req);
    }

    /// The slot as an indirect request (when the operation is
    /// [`Operation::INDIRECT`]).
    pub fn indirect(&self) -> RequestIndirect {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores an indirect request.
    pub fn set_indirect(&mut self, req: RequestIndirect) {
        ring::write_prefix(self.raw.as_mut_bytes(), &req);
    }

    /// The slot as a response (C `rsp`).
    pub fn response(&self) -> Response {
        ring::read_prefix(self.raw.as_bytes())
    }

    /// Stores a response (C `rsp`).
    pub fn set_response(&mut self, rsp: Response) {
        ring::write_prefix(self.raw.as_mut_bytes(), &rsp);
    }
}

ring::sring! {
    /// The shared block ring as C declares it (`struct blkif_sring`): the
    /// [`ring::SringHeader`] fields, then `ring[1]`.
    #[doc(alias = "blkif_sring")]
    #[doc(alias = "blkif_sring_t")]
    pub struct Sring([SringEntry; 1]), size = 176, align = 8, entries = 32;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use zerocopy::FromZeros;

    #[test]
    fn ring_size_from_c() {
        // __CONST_RING_SIZE(blkif, 4096) == 32
        assert_eq!(Sring::ENTRIES_PER_PAGE, 32);
        assert_eq!(
            ring::ring_size(8192, core::mem::size_of::<SringEntry>()),
            64
        );
        assert_eq!(SEGMENTS_PER_INDIRECT_PAGE, 512);
    }

    #[test]
    fn entry_accessors() {
        let mut req = Request {
            operation: Operation::WRITE,
            nr_segments: 1,
            handle: 0x51,
            id: 0xdead_beef,
            sector_number: 2048,
            ..Request::default()
        };
        req.seg[0] = RequestSegment {
            gref: GrantRef::new_unchecked(9),
            first_sect: 0,
            last_sect: 7,
            _pad0: [0; 2],
        };
        let mut e = SringEntry::from_request(req);
        assert_eq!(e.request(), req);
        assert_eq!(e.raw[1], 0xdead_beef);

        let rsp = Response {
            id: 0xdead_beef,
            operation: Operation::WRITE,
            status: Status::ERROR,
            ..Response::default()
        };
        e.set_response(rsp);
        assert_eq!(e.response(), rsp);
        assert!(!e.response().status.is_ok());
        // The rest of the slot was zeroed.
        assert!(e.raw[2..].iter().all(|w| *w == 0));

        let d = RequestDiscard {
            operation: Operation::DISCARD,
            flag: DiscardFlags::SECURE,
            nr_sectors: 8,
            ..RequestDiscard::default()
        };
        e.set_discard(d);
        assert_eq!(e.request().operation, Operation::DISCARD);
        assert_eq!(e.discard(), d);

        let mut ind = RequestIndirect {
            operation: Operation::INDIRECT,
            indirect_op: Operation::READ,
            nr_segments: 600,
            handle: 3,
            ..RequestIndirect::default()
        };
        ind.indirect_grefs[1] = GrantRef::new_unchecked(77);
        e.set_indirect(ind);
        assert_eq!(e.indirect(), ind);
    }

    #[test]
    fn header_and_names() {
        let mut s = Sring::new_zeroed();
        s.req_event = 1;
        s.rsp_event = 1;
        let h = s.header();
        assert_eq!((h.req_event, h.rsp_event, h.req_prod), (1, 1, 0));
        assert_eq!(
            format!("{:?}", Operation::FLUSH_DISKCACHE),
            "Operation(FLUSH_DISKCACHE)"
        );
        assert_eq!(format!("{:?}", Status::new(5)), "Status(5)");
        assert_eq!(
            format!("{:?}", VdiskInfo::CDROM | VdiskInfo::READONLY),
            "VdiskInfo(CDROM | READONLY)"
        );
    }
}

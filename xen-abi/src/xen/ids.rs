// SPDX-License-Identifier: MIT OR Apache-2.0
//! Ids and frame numbers: domain ids (`domid_t`), vCPU ids, guest and
//! machine frames (`xen_pfn_t` in its two meanings), domain handles and
//! UUIDs.
//!
//! # What "validated" means
//! An id built with `new` (or `TryFrom`) is checked against the ABI's range
//! and carries the bad value in its error. The id types also derive
//! zerocopy's `FromBytes`, because they sit in structs Xen and peers write:
//! a value read from bytes (a reply from Xen, a slot of a shared ring) is
//! whatever those bytes say and has not been checked. Re-validate such a
//! value with `new(x.get())` before trusting it; for Xen's own replies the
//! crates above take Xen at its word. Nothing in this crate relies on the
//! range for memory safety: an out-of-range id only makes Xen return an
//! error.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Error, Result};

/// A domain id (`domid_t`).
///
/// Values `0..DOMID_FIRST_RESERVED` name real domains; the reserved values
/// above are special ids ([`DomId::SELF`], [`DomId::IO`], ...).
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
#[doc(alias = "domid_t")]
pub struct DomId(u16);

impl DomId {
    /// Domain 0.
    pub const DOM0: Self = Self(0);
    /// First reserved id; every id from here on is special.
    #[doc(alias = "DOMID_FIRST_RESERVED")]
    pub const FIRST_RESERVED: Self = Self(0x7FF0);
    /// The calling domain.
    #[doc(alias = "DOMID_SELF")]
    pub const SELF: Self = Self(0x7FF0);
    /// I/O pseudo-domain (privileged callers map I/O memory through it).
    #[doc(alias = "DOMID_IO")]
    pub const IO: Self = Self(0x7FF1);
    /// Xen itself.
    #[doc(alias = "DOMID_XEN")]
    pub const XEN: Self = Self(0x7FF2);
    /// Copy-on-write pseudo-domain.
    #[doc(alias = "DOMID_COW")]
    pub const COW: Self = Self(0x7FF3);
    /// An invalid domain id (not a real domain).
    #[doc(alias = "DOMID_INVALID")]
    pub const INVALID: Self = Self(0x7FF4);
    /// The idle domain.
    #[doc(alias = "DOMID_IDLE")]
    pub const IDLE: Self = Self(0x7FFF);
    /// Mask of the bits a domain id may use.
    #[doc(alias = "DOMID_MASK")]
    pub const MASK: Self = Self(0x7FFF);

    /// Any id Xen accepts in a `domid_t` field: a real domain or a special id
    /// (`0..=0x7FFF`).
    ///
    /// # Errors
    /// [`Error::InvalidDomId`] with the value when it is above `DOMID_MASK`.
    pub const fn new(raw: u16) -> Result<Self> {
        if raw <= Self::MASK.0 {
            Ok(Self(raw))
        } else {
            Err(Error::InvalidDomId(raw))
        }
    }

    /// A real domain (below `DOMID_FIRST_RESERVED`), as needed where a special
    /// id makes no sense (a peer's id read from xenstore, say).
    ///
    /// # Errors
    /// [`Error::InvalidDomId`] with the value when it is a special or
    /// out-of-range id.
    pub const fn new_domain(raw: u16) -> Result<Self> {
        if raw < Self::FIRST_RESERVED.0 {
            Ok(Self(raw))
        } else {
            Err(Error::InvalidDomId(raw))
        }
    }

    /// Wraps `raw` without checking it.
    ///
    /// Not `unsafe`: a bad id only makes Xen return an error.
    pub const fn new_unchecked(raw: u16) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// True for a real domain, false for a special id.
    pub const fn is_domain(self) -> bool {
        self.0 < Self::FIRST_RESERVED.0
    }
}

impl fmt::Debug for DomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let special = match *self {
            Self::SELF => "DOMID_SELF",
            Self::IO => "DOMID_IO",
            Self::XEN => "DOMID_XEN",
            Self::COW => "DOMID_COW",
            Self::INVALID => "DOMID_INVALID",
            Self::IDLE => "DOMID_IDLE",
            _ => return write!(f, "DomId({})", self.0),
        };
        f.write_str(special)
    }
}

impl fmt::Display for DomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl TryFrom<u16> for DomId {
    type Error = Error;
    fn try_from(raw: u16) -> Result<Self> {
        Self::new(raw)
    }
}

impl From<DomId> for u16 {
    fn from(d: DomId) -> u16 {
        d.0
    }
}

assert_layout!(DomId, size = 2, align = 2);

/// A virtual CPU of a domain (the `vcpu`/`vcpuid` of `vcpu_op`,
/// `EVTCHNOP_bind_virq`, ...).
///
/// There is no ABI-wide limit (each domain has its own `max_vcpus`), so
/// every value is representable; Xen answers `ENOENT` (or `EINVAL`) for a
/// vCPU the domain does not have.
#[derive(
    Clone,
    Copy,
    Debug,
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
#[doc(alias = "vcpuid")]
pub struct VcpuId(u32);

impl VcpuId {
    /// vCPU 0, the one every domain has (and the boot vCPU).
    pub const BOOT: Self = Self(0);

    /// vCPU `raw`.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for VcpuId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<u32> for VcpuId {
    fn from(raw: u32) -> Self {
        Self(raw)
    }
}

impl From<VcpuId> for u32 {
    fn from(v: VcpuId) -> u32 {
        v.0
    }
}
assert_layout!(VcpuId, size = 4, align = 4);

macro_rules! frame_newtype {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        #[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
        #[repr(transparent)]
        pub struct $name(u64);

        impl $name {
            /// The invalid frame (`~0`), as Xen uses it for "none".
            pub const INVALID: Self = Self(u64::MAX);
            /// Largest frame number whose byte address fits in 64 bits.
            pub const MAX: Self = Self(u64::MAX >> 12);

            /// A frame number whose byte address (`frame << 12`) fits in 64 bits.
            ///
            /// # Errors
            /// [`Error::InvalidFrame`] with the value otherwise.
            pub const fn new(raw: u64) -> Result<Self> {
                if raw <= Self::MAX.0 {
                    Ok(Self(raw))
                } else {
                    Err(Error::InvalidFrame(raw))
                }
            }

            /// The frame that holds byte address `addr`.
            pub const fn containing(addr: u64) -> Self {
                Self(addr >> 12)
            }

            /// Wraps `raw` without checking (a bad frame only makes Xen fail).
            pub const fn new_unchecked(raw: u64) -> Self {
                Self(raw)
            }

            /// The raw frame number.
            pub const fn get(self) -> u64 {
                self.0
            }

            /// The byte address of the frame's first byte.
            ///
            /// Exact for a frame built with [`Self::new`]; for one above
            /// [`Self::MAX`] (built unchecked, or read from bytes) the high
            /// bits are shifted out.
            pub const fn addr(self) -> u64 {
                self.0 << 12
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:#x})"), self.0)
            }
        }

        /// The raw frame number in hex (`{:#x}` prints `0x1234`).
        impl fmt::LowerHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::LowerHex::fmt(&self.0, f)
            }
        }
    };
}

frame_newtype!(
    /// A guest frame number: a page of the guest's (pseudo-)physical address
    /// space, in 4 KiB units.
    ///
    /// This is also what Xen's ABI calls a "gmfn" (and most `xen_pfn_t`s
    /// naming the caller's own memory): the guest-physical frame of a
    /// translated (HVM/PVH) guest, and for a PV guest, which has no
    /// translation, the machine frame.
    #[doc(alias = "gfn")]
    #[doc(alias = "pfn")]
    Gfn
);
frame_newtype!(
    /// A machine frame number: a page of host physical memory (what PV guests
    /// see in their page tables), in 4 KiB units. Used where the ABI means a
    /// machine frame whatever the guest type (start_info's ring pages, PV
    /// page-table operations).
    #[doc(alias = "mfn")]
    Mfn
);

/// domain.
#[doc(alias = "xen_domain_handle_t")]
pub type XenDomainHandle = [u8; 16];

/// A UUID as Xen passes it (`xen_uuid_t`), bytes in RFC 4122 (big-endian)
/// order.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_uuid_t")]
pub struct XenUuid {
    /// The 16 bytes.
    pub a: [u8; 16],
}
assert_layout!(XenUuid, size = 16, align = 1, { a: 0 });

impl XenUuid {
    /// The UUID `a-b-c-d-e` (as `XEN_DEFINE_UUID` builds it).
    pub const fn new(a: u32, b: u16, c: u16, d: u16, e: [u8; 6]) -> Self {
        let [a0, a1, a2, a3] = a.to_be_bytes();
        let [b0, b1] = b.to_be_bytes();
        let [c0, c1] = c.to_be_bytes();
        let [d0, d1] = d.to_be_bytes();
        Self {
            a: [
                a0, a1, a2, a3, b0, b1, c0, c1, d0, d1, e[0], e[1], e[2], e[3], e[4], e[5],
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domid_validation_carries_value() {
        assert_eq!(DomId::new(0x8000), Err(Error::InvalidDomId(0x8000)));
        assert_eq!(DomId::new(0x7FF0), Ok(DomId::SELF));
        assert_eq!(DomId::new_domain(0x7FF0), Err(Error::InvalidDomId(0x7FF0)));
        assert_eq!(DomId::new_domain(0x7FEF).map(DomId::get), Ok(0x7FEF));
        assert!(DomId::DOM0.is_domain() && !DomId::SELF.is_domain());
    }

    #[test]
    fn uuid_layout() {
        let u = XenUuid::new(
            0x0011_2233,
            0x4455,
            0x6677,
            0x8899,
            [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff],
        );
        assert_eq!(u.a[0], 0x00);
        assert_eq!(u.a[3], 0x33);
        assert_eq!(u.a[9], 0x99);
        assert_eq!(u.a[15], 0xff);
    }
}

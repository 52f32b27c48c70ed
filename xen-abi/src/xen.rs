// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xen.h`: hypercall numbers, domain ids, guest handles and the core shared
//! structures (`start_info`, `shared_info`, `vcpu_info`, ...).

use core::fmt;
use core::marker::PhantomData;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Error, Result};

/// A domain id (`domid_t`).
///
/// Values `0..DOMID_FIRST_RESERVED` name real domains; the reserved values
/// above are special ids ([`DomId::SELF`], [`DomId::IO`], ...).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
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

/// A guest handle (`XEN_GUEST_HANDLE(T)`): the guest-virtual address of a `T`
/// (or an array of them) that Xen reads or writes.
///
/// On x86_64 the C type is a struct holding a pointer; on Arm it is a union of
/// a pointer and a `uint64_t`. Both are 8 bytes with 8-byte alignment, which is
/// what this `u64` wrapper is. A handle is only an address: building one is
/// safe, handing it to Xen is what the caller must vouch for.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(transparent)]
#[doc(alias = "XEN_GUEST_HANDLE")]
#[doc(alias = "XEN_GUEST_HANDLE_64")]
pub struct GuestHandle<T> {
    addr: u64,
    _ty: PhantomData<T>,
}

impl<T> GuestHandle<T> {
    /// The null handle.
    pub const NULL: Self = Self::from_addr(0);

    /// A handle from a raw guest address.
    pub const fn from_addr(addr: u64) -> Self {
        Self { addr, _ty: PhantomData }
    }

    /// A handle to `ptr` (in the caller's address space).
    pub fn from_ptr(ptr: *const T) -> Self {
        Self::from_addr(ptr as usize as u64)
    }

    /// A handle to `ptr` (in the caller's address space).
    pub fn from_mut_ptr(ptr: *mut T) -> Self {
        Self::from_addr(ptr as usize as u64)
    }

    /// The raw guest address.
    pub const fn addr(self) -> u64 {
        self.addr
    }

    /// True for the null handle.
    pub const fn is_null(self) -> bool {
        self.addr == 0
    }
}

impl<T> Clone for GuestHandle<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for GuestHandle<T> {}
impl<T> Default for GuestHandle<T> {
    fn default() -> Self {
        Self::NULL
    }
}
impl<T> PartialEq for GuestHandle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.addr == other.addr
    }
}
impl<T> Eq for GuestHandle<T> {}
impl<T> fmt::Debug for GuestHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GuestHandle({:#x})", self.addr)
    }
}

assert_layout!(DomId, size = 2, align = 2);
assert_layout!(GuestHandle<u8>, size = 8, align = 8);

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
}

/// `xen_pfn_t`: a frame number as Xen's structures carry it (64 bits on both
/// supported architectures).
#[doc(alias = "xen_pfn_t")]
pub type XenPfn = u64;

/// `xen_ulong_t`: an unsigned long in the ABI (64 bits on both supported
/// architectures).
#[doc(alias = "xen_ulong_t")]
pub type XenUlong = u64;

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
            /// # Panics
            /// Never for a validated frame; for an unchecked one above
            /// [`Self::MAX`] the high bits are lost.
            pub const fn addr(self) -> u64 {
                self.0 << 12
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:#x})"), self.0)
            }
        }
    };
}

frame_newtype!(
    /// A guest frame number: a page of the guest's (pseudo-)physical address
    /// space, in 4 KiB units.
    #[doc(alias = "gfn")]
    #[doc(alias = "pfn")]
    Gfn
);
frame_newtype!(
    /// A machine frame number: a page of host physical memory (what PV guests
    /// see in their page tables), in 4 KiB units.
    #[doc(alias = "mfn")]
    Mfn
);

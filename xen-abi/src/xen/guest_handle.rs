// SPDX-License-Identifier: MIT OR Apache-2.0
//! Guest handles (`XEN_GUEST_HANDLE`): addresses of guest memory Xen reads
//! or writes.

use core::fmt;
use core::marker::PhantomData;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

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
        Self {
            addr,
            _ty: PhantomData,
        }
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

assert_layout!(GuestHandle<u8>, size = 8, align = 8);

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `io/console.h`: the PV console's shared page.
//!
//! The console page holds two byte rings: `in` carries input from the
//! console backend to the guest, `out` the guest's output to the backend.
//! Each ring has a consumer and a producer index; the indices run freely and
//! are reduced to a byte offset with [`mask_in_idx`]/[`mask_out_idx`]
//! (C's `MASK_XENCONS_IDX`). The guest is notified through the console
//! event channel.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A free-running index into a console ring (`XENCONS_RING_IDX`).
#[doc(alias = "XENCONS_RING_IDX")]
pub type RingIdx = u32;

/// Size of the input ring ([`Interface::input`], C `in`), in bytes.
pub const IN_RING_SIZE: usize = 1024;

/// Size of the output ring ([`Interface::out`]), in bytes.
pub const OUT_RING_SIZE: usize = 2048;

/// Reduces an index to an offset into the input ring
/// (`MASK_XENCONS_IDX(idx, intf->in)`).
#[doc(alias = "MASK_XENCONS_IDX")]
pub const fn mask_in_idx(idx: RingIdx) -> usize {
    idx as usize & (IN_RING_SIZE - 1)
}

/// Reduces an index to an offset into the output ring
/// (`MASK_XENCONS_IDX(idx, intf->out)`).
pub const fn mask_out_idx(idx: RingIdx) -> usize {
    idx as usize & (OUT_RING_SIZE - 1)
}

/// The PV console's shared page (the first 3088 bytes of it).
///
/// Both ends write it concurrently: touch it only through volatile or
/// atomic accessors, never through a `&` into shared memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
#[doc(alias = "xencons_interface")]
pub struct Interface {
    /// Input ring: bytes from the backend to the guest (C `in`).
    #[doc(alias = "in")]
    pub input: [u8; IN_RING_SIZE],
    /// Output ring: bytes from the guest to the backend.
    pub out: [u8; OUT_RING_SIZE],
    /// Input consumer index (advanced by the guest).
    pub in_cons: RingIdx,
    /// Input producer index (advanced by the backend).
    pub in_prod: RingIdx,
    /// Output consumer index (advanced by the backend).
    pub out_cons: RingIdx,
    /// Output producer index (advanced by the guest).
    pub out_prod: RingIdx,
}
assert_layout!(Interface, size = 3088, align = 4, {
    input: 0,
    out: 1024,
    in_cons: 3072,
    in_prod: 3076,
    out_cons: 3080,
    out_prod: 3084,
});

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    #[test]
    fn masks_wrap() {
        assert_eq!(mask_in_idx(1023), 1023);
        assert_eq!(mask_in_idx(1024), 0);
        assert_eq!(mask_in_idx(u32::MAX), 1023);
        assert_eq!(mask_out_idx(2049), 1);
    }

    #[test]
    fn zeroed_page_is_empty() {
        let intf = Interface::new_zeroed();
        assert_eq!(intf.out_prod.wrapping_sub(intf.out_cons), 0);
        assert_eq!(intf.as_bytes().len(), 3088);
    }
}

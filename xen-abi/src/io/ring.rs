// SPDX-License-Identifier: MIT OR Apache-2.0
//! `io/ring.h`: the layout of Xen's shared request/response rings.
//!
//! A split driver (block, network, ...) shares one page between its frontend
//! and backend. C's `DEFINE_RING_TYPES(name, req, rsp)` lays that page out as
//! a 64-byte header ([`SringHeader`]: the producer indices, the event
//! thresholds and a private area) followed by an array of slots, each a union
//! of one request and one response (`union name_sring_entry`).
//!
//! The number of slots is whatever fits in the page after the header,
//! rounded down to a power of two so that an index is reduced to a slot with
//! a mask: [`ring_size`] computes it exactly as C's `__RING_SIZE` does. The C
//! declaration of `struct name_sring` ends in a one-element `ring[1]` array,
//! so the `*Sring` mirrors of this crate ([`crate::io::blkif::Sring`],
//! [`crate::io::netif::TxSring`], ...) also declare one slot; the real ring
//! continues to the end of the shared page.
//!
//! On top of the layout, [`FrontRing`] and [`BackRing`] are the two ends of
//! the protocol for any zerocopy request/response pair, over a
//! [`SharedMem`] region (one page or several): the producer publishes with
//! the notify decision (`RING_PUSH_*_AND_CHECK_NOTIFY`), the consumer reads
//! the peer's producer index once per batch, validates it
//! ([`ProdOverflow`]) and copies every slot out before anyone looks at it,
//! and both sides have the final check before sleeping
//! (`RING_FINAL_CHECK_FOR_*`). The barriers are the ones `ring.h` has: a
//! release store for `wmb`, an acquire load for `rmb`, a full fence for
//! `mb`. Ready-made instances: [`BlkifFrontRing`], [`NetifTxFrontRing`], ...
//!
//! The indices are free-running 32-bit counters ([`RingIdx`]): a slot is
//! `idx & (size - 1)`, and `prod - cons` (wrapping) is the number of
//! outstanding entries. `req_event`/`rsp_event` hold the index at which the
//! other end wants an event-channel notification.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::io::{blkif, netif};

mod typed;

pub use super::shm::{SharedMem, SHARED_MEM_ALIGN};
pub use typed::{entry_size, BackRing, Batch, FrontRing, ProdOverflow, RingFull};

/// The frontend of a block ring (`blkif_front_ring`).
#[doc(alias = "blkif_front_ring")]
pub type BlkifFrontRing<'a> = FrontRing<'a, blkif::Request, blkif::Response>;
/// The backend of a block ring (`blkif_back_ring`).
#[doc(alias = "blkif_back_ring")]
pub type BlkifBackRing<'a> = BackRing<'a, blkif::Request, blkif::Response>;
/// The frontend of a network transmit ring (`netif_tx_front_ring`).
#[doc(alias = "netif_tx_front_ring")]
pub type NetifTxFrontRing<'a> = FrontRing<'a, netif::TxRequest, netif::TxResponse>;
/// The backend of a network transmit ring (`netif_tx_back_ring`).
#[doc(alias = "netif_tx_back_ring")]
pub type NetifTxBackRing<'a> = BackRing<'a, netif::TxRequest, netif::TxResponse>;
/// The frontend of a network receive ring (`netif_rx_front_ring`).
#[doc(alias = "netif_rx_front_ring")]
pub type NetifRxFrontRing<'a> = FrontRing<'a, netif::RxRequest, netif::RxResponse>;
/// The backend of a network receive ring (`netif_rx_back_ring`).
#[doc(alias = "netif_rx_back_ring")]
pub type NetifRxBackRing<'a> = BackRing<'a, netif::RxRequest, netif::RxResponse>;
/// The frontend of a network control ring (`xen_netif_ctrl_front_ring`).
#[doc(alias = "xen_netif_ctrl_front_ring")]
pub type NetifCtrlFrontRing<'a> = FrontRing<'a, netif::CtrlRequest, netif::CtrlResponse>;
/// The backend of a network control ring (`xen_netif_ctrl_back_ring`).
#[doc(alias = "xen_netif_ctrl_back_ring")]
pub type NetifCtrlBackRing<'a> = BackRing<'a, netif::CtrlRequest, netif::CtrlResponse>;

// The generic slot is exactly the C union of each protocol.
const _: () = {
    use core::mem::size_of;
    assert!(entry_size::<blkif::Request, blkif::Response>() == size_of::<blkif::SringEntry>());
    assert!(
        entry_size::<netif::TxRequest, netif::TxResponse>() == size_of::<netif::TxSringEntry>()
    );
    assert!(
        entry_size::<netif::RxRequest, netif::RxResponse>() == size_of::<netif::RxSringEntry>()
    );
    assert!(
        entry_size::<netif::CtrlRequest, netif::CtrlResponse>()
            == size_of::<netif::CtrlSringEntry>()
    );
};

/// Whether the peer must now be sent an event (on the ring's event
/// channel): the answer of every call that publishes to a shared ring
/// ([`FrontRing::publish`], [`BackRing::push`], the byte rings' writes and
/// reads, ...).
///
/// It cannot be dropped by accident: ignoring it is a lost wake-up, a peer
/// asleep with work pending. Test it with [`needed`](Self::needed); several
/// decisions combine with `|`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use = "send the peer an event when `needed()` says so"]
pub struct Notify(bool);

impl Notify {
    /// No event is needed.
    pub const NOT_NEEDED: Self = Self(false);
    /// An event is needed.
    pub const NEEDED: Self = Self(true);

    /// The decision `needed`.
    pub const fn new(needed: bool) -> Self {
        Self(needed)
    }

    /// True when the peer must be notified now.
    #[must_use]
    pub const fn needed(self) -> bool {
        self.0
    }
}

impl core::ops::BitOr for Notify {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl core::ops::BitOrAssign for Notify {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

/// A free-running ring index (`RING_IDX`, a C `unsigned int`).
#[doc(alias = "RING_IDX")]
pub type RingIdx = u32;

/// log2 of the page size ring protocols use: always 4 KiB, whatever the
/// architecture's or the guest's own page size.
#[doc(alias = "XEN_PAGE_SHIFT")]
pub const PAGE_SHIFT: u32 = 12;

/// The page size ring protocols use (`1 << XEN_PAGE_SHIFT` = 4096 bytes).
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;

/// Size of the [`SringHeader`] that starts every shared ring page; the slots
/// start at this offset (`offsetof(struct name_sring, ring)`).
pub const SRING_HEADER_SIZE: usize = core::mem::size_of::<SringHeader>();

/// The 64-byte header of every shared ring page (the fields
/// `DEFINE_RING_TYPES` puts before `ring[]` in `struct name_sring`).
///
/// The frontend zeroes the page and sets `req_event` and `rsp_event` to 1
/// (C's `SHARED_RING_INIT`). Both ends write parts of it concurrently: read
/// it only through volatile or atomic accessors, never through a `&` into
/// shared memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct SringHeader {
    /// Requests produced so far by the frontend.
    pub req_prod: RingIdx,
    /// The backend wants an event when `req_prod` passes this index.
    pub req_event: RingIdx,
    /// Responses produced so far by the backend.
    pub rsp_prod: RingIdx,
    /// The frontend wants an event when `rsp_prod` passes this index.
    pub rsp_event: RingIdx,
    /// Private area of specific protocols (C union `pvt`: netif's
    /// `smartpoll_active`, tapif's `msg`, or `pvt_pad[4]`).
    pub pvt: [u8; 4],
    /// Reserved, zero (C `__pad`): pads the header to 64 bytes.
    #[doc(alias = "__pad")]
    pub pad: [u8; 44],
}
assert_layout!(SringHeader, size = 64, align = 4, {
    req_prod: 0,
    req_event: 4,
    rsp_prod: 8,
    rsp_event: 12,
    pvt: 16,
    pad: 20,
});

/// Declares a protocol's `struct name_sring` (C `DEFINE_RING_TYPES`): the
/// [`SringHeader`] fields, then the one-slot `ring[1]` of `$entry`, with its
/// layout asserted, `ENTRIES_PER_PAGE` (checked against the number given)
/// and `header()`.
///
/// The invocation reads like the struct it declares, and the layout proof
/// (`cargo xtask layout`) reads it as one: the first `doc(alias)` is the C
/// name, and the fields are the ones written out below.
macro_rules! sring {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident([$entry:ty; 1]), size = $size:literal, align = $align:literal,
        entries = $entries:literal;
    ) => {
        $(#[$attr])*
        ///
        /// The real ring continues past this one-slot declaration to the end
        #[doc = concat!("of the shared page: [`", stringify!($name), "::ENTRIES_PER_PAGE`] = ", $entries)]
        /// slots in 4 KiB, or [`ring_size`](crate::io::ring::ring_size) for
        /// larger rings.
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            ::zerocopy::FromBytes,
            ::zerocopy::IntoBytes,
            ::zerocopy::Immutable,
            ::zerocopy::KnownLayout,
        )]
        #[repr(C)]
        $vis struct $name {
            /// Requests produced so far.
            $vis req_prod: $crate::io::ring::RingIdx,
            /// The backend wants an event when `req_prod` passes this.
            $vis req_event: $crate::io::ring::RingIdx,
            /// Responses produced so far.
            $vis rsp_prod: $crate::io::ring::RingIdx,
            /// The frontend wants an event when `rsp_prod` passes this.
            $vis rsp_event: $crate::io::ring::RingIdx,
            /// Private area (C union `pvt`; netif's `smartpoll_active` is
            /// byte 0).
            $vis pvt: [u8; 4],
            /// Reserved (C `__pad`).
            #[doc(alias = "__pad")]
            $vis pad: [u8; 44],
            /// The first slot (C `ring[1]`, variable-length).
            $vis ring: [$entry; 1],
        }
        assert_layout!($name, size = $size, align = $align, {
            req_prod: 0,
            req_event: 4,
            rsp_prod: 8,
            rsp_event: 12,
            pvt: 16,
            pad: 20,
            ring: 64,
        });

        impl $name {
            #[doc = concat!("Slots of a one-page (4 KiB) ring: ", $entries, ".")]
            pub const ENTRIES_PER_PAGE: u32 = $crate::io::ring::ring_size(
                $crate::io::ring::PAGE_SIZE,
                ::core::mem::size_of::<$entry>(),
            );

            /// A copy of the header fields.
            pub fn header(&self) -> $crate::io::ring::SringHeader {
                $crate::io::ring::read_prefix(::zerocopy::IntoBytes::as_bytes(self))
            }
        }
        const _: () = assert!($name::ENTRIES_PER_PAGE == $entries);
    };
}
pub(crate) use sring;

/// The number of slots of a shared ring of `page_bytes` bytes whose slots
/// (the `name_sring_entry` union) are `entry_bytes` long, as C's
/// `__RING_SIZE`/`__CONST_RING_SIZE` compute it: the slots that fit after
/// the 64-byte header, rounded down to a power of two.
///
/// Returns 0 when not even one slot fits (or `entry_bytes` is 0). Counts
/// beyond `u32::MAX` saturate before the rounding (C's `__RD32` only
/// considers 32 bits).
///
/// ```
/// use xen_abi::io::ring::{ring_size, PAGE_SIZE};
/// // blkif: 112-byte slots, 36 fit in a page, rounded down to 32.
/// assert_eq!(ring_size(PAGE_SIZE, 112), 32);
/// ```
pub const fn ring_size(page_bytes: usize, entry_bytes: usize) -> u32 {
    if entry_bytes == 0 || page_bytes < SRING_HEADER_SIZE {
        return 0;
    }
    let fit = (page_bytes - SRING_HEADER_SIZE) / entry_bytes;
    let fit = if fit > u32::MAX as usize {
        u32::MAX
    } else {
        fit as u32
    };
    if fit == 0 {
        0
    } else {
        1 << (u32::BITS - 1 - fit.leading_zeros())
    }
}

/// Copies a `T` out of the start of `bytes` (a C union's raw storage, which
/// the callers' layout assertions prove large enough).
pub(crate) fn read_prefix<T: FromBytes>(bytes: &[u8]) -> T {
    T::read_from_prefix(bytes).map_or_else(|_| T::new_zeroed(), |(v, _)| v)
}

/// Zeroes `bytes` (a C union's raw storage), then writes `v` at its start.
pub(crate) fn write_prefix<T: IntoBytes + Immutable>(bytes: &mut [u8], v: &T) {
    bytes.fill(0);
    let src = v.as_bytes();
    if let Some(dst) = bytes.get_mut(..src.len()) {
        dst.copy_from_slice(src);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_sizes_match_c() {
        // Numbers from C's __CONST_RING_SIZE over the installed headers.
        assert_eq!(ring_size(4096, 112), 32); // blkif
        assert_eq!(ring_size(8192, 112), 64); // blkif, order-1 ring
        assert_eq!(ring_size(4096, 12), 256); // netif tx
        assert_eq!(ring_size(65536, 12), 4096); // netif tx, 64 KiB
        assert_eq!(ring_size(4096, 8), 256); // netif rx
        assert_eq!(ring_size(4096, 16), 128); // netif ctrl
    }

    #[test]
    fn ring_size_edges() {
        assert_eq!(ring_size(0, 8), 0);
        assert_eq!(ring_size(63, 8), 0);
        assert_eq!(ring_size(64, 8), 0);
        assert_eq!(ring_size(72, 8), 1);
        assert_eq!(ring_size(4096, 0), 0);
        assert_eq!(ring_size(4096, 4032), 1);
        assert_eq!(ring_size(usize::MAX, 1), 1 << 31);
    }

    #[test]
    fn prefix_helpers() {
        let mut raw = [0xffu8; 8];
        write_prefix(&mut raw, &0x0102u16);
        assert_eq!(raw, [2, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(read_prefix::<u16>(&raw), 0x0102);
        assert_eq!(read_prefix::<u64>(&raw[..4]), 0);
    }
}

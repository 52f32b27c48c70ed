// SPDX-License-Identifier: MIT OR Apache-2.0
//! `io/libxenvchan.h`: the shared control page of a vchan, the byte-stream
//! channel between two domains of Xen's libxenvchan.
//!
//! The server grants the client one control page ([`Interface`] at its
//! start) and publishes its grant reference and an unbound event channel in
//! xenstore. The page holds two byte rings' indices, one per direction:
//! `left` carries client-to-server bytes, `right` server-to-client bytes.
//! Each ring's size is `2^order` bytes. A ring of order
//! [`SMALL_RING_ORDER`] or [`LARGE_RING_ORDER`] lives inside the control page
//! (at [`SMALL_RING_OFFSET`] or [`LARGE_RING_OFFSET`]); a ring of order
//! [`PAGE_ORDER`] or more lives in `2^(order - 12)` separately granted
//! pages, whose references follow the header ([`GRANTS_OFFSET`]), the left
//! ring's first. [`ring_location`] says which.
//!
//! `cli_live`/`srv_live` tell whether each end is there ([`Live`]); each
//! end asks the other for an event on its next write or read by setting a
//! bit ([`NotifyBits`]) in the peer's notify byte (`cli_notify` is what the
//! client must do for the server, `srv_notify` the reverse).
//!
//! The orders, sizes and offsets beyond the header's struct are libxenvchan's
//! (`tools/libs/vchan/init.c`), which defines the protocol in practice.

use core::fmt;
use core::mem::offset_of;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// One direction's indices (`struct ring_shared`). The consumer index is
/// advanced by the reader, the producer index by the writer; both run freely
/// and are reduced modulo the ring's size.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "ring_shared")]
pub struct RingShared {
    /// Bytes consumed so far (free-running).
    pub cons: u32,
    /// Bytes produced so far (free-running).
    pub prod: u32,
}
assert_layout!(RingShared, size = 8, align = 4, { cons: 0, prod: 4 });

/// The header of a vchan's control page (`struct vchan_interface`).
///
/// Both ends write it concurrently: touch it only through
/// [`SharedMem`](super::shm::SharedMem) at the `*_OFFSET` constants of this
/// module, never through a reference.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vchan_interface")]
pub struct Interface {
    /// Client-to-server ring (the client writes, the server reads).
    pub left: RingShared,
    /// Server-to-client ring (the server writes, the client reads).
    pub right: RingShared,
    /// Order of the left ring (its size is `2^left_order` bytes).
    pub left_order: u16,
    /// Order of the right ring.
    pub right_order: u16,
    /// The client's [`Live`] state.
    pub cli_live: u8,
    /// The server's [`Live`] state.
    pub srv_live: u8,
    /// [`NotifyBits`] the server asks of the client (the client clears a
    /// bit and sends an event when it does that).
    pub cli_notify: u8,
    /// [`NotifyBits`] the client asks of the server.
    pub srv_notify: u8,
    /// The grant list (C's flexible array member): the references of the
    /// left ring's pages, then the right ring's, from [`GRANTS_OFFSET`].
    pub grants: [u32; 0],
}
assert_layout!(Interface, size = 24, align = 4, {
    left: 0,
    right: 8,
    left_order: 16,
    right_order: 18,
    cli_live: 20,
    srv_live: 21,
    cli_notify: 22,
    srv_notify: 23,
    grants: 24,
});

/// Byte offset of the left ring's consumer index.
pub const LEFT_CONS_OFFSET: usize = offset_of!(Interface, left) + offset_of!(RingShared, cons);
/// Byte offset of the left ring's producer index.
pub const LEFT_PROD_OFFSET: usize = offset_of!(Interface, left) + offset_of!(RingShared, prod);
/// Byte offset of the right ring's consumer index.
pub const RIGHT_CONS_OFFSET: usize = offset_of!(Interface, right) + offset_of!(RingShared, cons);
/// Byte offset of the right ring's producer index.
pub const RIGHT_PROD_OFFSET: usize = offset_of!(Interface, right) + offset_of!(RingShared, prod);
/// Byte offset of `left_order`.
pub const LEFT_ORDER_OFFSET: usize = offset_of!(Interface, left_order);
/// Byte offset of `right_order`.
pub const RIGHT_ORDER_OFFSET: usize = offset_of!(Interface, right_order);
/// Byte offset of `cli_live` (what the client's unmap notification clears).
pub const CLI_LIVE_OFFSET: usize = offset_of!(Interface, cli_live);
/// Byte offset of `srv_live` (what the server's unmap notification clears).
pub const SRV_LIVE_OFFSET: usize = offset_of!(Interface, srv_live);
/// Byte offset of `cli_notify`.
pub const CLI_NOTIFY_OFFSET: usize = offset_of!(Interface, cli_notify);
/// Byte offset of `srv_notify`.
pub const SRV_NOTIFY_OFFSET: usize = offset_of!(Interface, srv_notify);
/// Byte offset of the grant list.
pub const GRANTS_OFFSET: usize = offset_of!(Interface, grants);

/// The order of a ring at [`SMALL_RING_OFFSET`] of the control page (1 KiB).
pub const SMALL_RING_ORDER: u16 = 10;
/// Where a ring of [`SMALL_RING_ORDER`] starts in the control page.
pub const SMALL_RING_OFFSET: usize = 1024;
/// The order of a ring at [`LARGE_RING_OFFSET`] of the control page (2 KiB).
pub const LARGE_RING_ORDER: u16 = 11;
/// Where a ring of [`LARGE_RING_ORDER`] starts in the control page.
pub const LARGE_RING_OFFSET: usize = 2048;
/// The smallest order of a ring in its own granted pages (one 4 KiB page).
pub const PAGE_ORDER: u16 = 12;
/// The largest order libxenvchan accepts (1 MiB: 256 pages, whose grants
/// still fit in the control page with the other ring's).
pub const MAX_RING_ORDER: u16 = 20;
/// The size of the control page (and of each granted ring page).
pub const PAGE_SIZE: usize = 4096;

/// Where a ring of a given order lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingLocation {
    /// Inside the control page, at this byte offset.
    InPage {
        /// Byte offset of the ring's first byte in the control page.
        offset: usize,
    },
    /// In this many granted pages of its own (their grants are in the list).
    Granted {
        /// Number of pages (`2^(order - 12)`).
        pages: usize,
    },
}

/// Where a ring of `order` lives, or `None` for an order libxenvchan does
/// not accept (below [`SMALL_RING_ORDER`] or above [`MAX_RING_ORDER`]).
pub const fn ring_location(order: u16) -> Option<RingLocation> {
    match order {
        SMALL_RING_ORDER => Some(RingLocation::InPage {
            offset: SMALL_RING_OFFSET,
        }),
        LARGE_RING_ORDER => Some(RingLocation::InPage {
            offset: LARGE_RING_OFFSET,
        }),
        PAGE_ORDER..=MAX_RING_ORDER => Some(RingLocation::Granted {
            pages: 1 << (order - PAGE_ORDER),
        }),
        _ => None,
    }
}

/// An end's presence (`cli_live`, `srv_live`). Values come from the peer:
/// any byte is representable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(transparent)]
pub struct Live(u8);

impl Live {
    /// The end has exited (or its mapping went away: the unmap
    /// notification clears the byte).
    pub const EXITED: Self = Self(0);
    /// The end is connected.
    pub const CONNECTED: Self = Self(1);
    /// The client has not connected yet (only in `cli_live`).
    pub const WAITING: Self = Self(2);
}

code_newtype!(Live, u8, [EXITED, CONNECTED, WAITING]);

/// The notify bits (`VCHAN_NOTIFY_*`) of `cli_notify`/`srv_notify`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(transparent)]
pub struct NotifyBits(u8);

bitflags::bitflags! {
    impl NotifyBits: u8 {
        /// Send an event when data is written.
        #[doc(alias = "VCHAN_NOTIFY_WRITE")]
        const WRITE = 0x1;
        /// Send an event when data is read (room is made).
        #[doc(alias = "VCHAN_NOTIFY_READ")]
        const READ = 0x2;
        const _ = !0;
    }
}

impl fmt::Debug for NotifyBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NotifyBits(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    #[test]
    fn locations_follow_libxenvchan() {
        assert_eq!(
            ring_location(10),
            Some(RingLocation::InPage { offset: 1024 })
        );
        assert_eq!(
            ring_location(11),
            Some(RingLocation::InPage { offset: 2048 })
        );
        assert_eq!(ring_location(12), Some(RingLocation::Granted { pages: 1 }));
        assert_eq!(
            ring_location(20),
            Some(RingLocation::Granted { pages: 256 })
        );
        assert_eq!(ring_location(9), None);
        assert_eq!(ring_location(21), None);
        assert_eq!(ring_location(u16::MAX), None);
    }

    #[test]
    fn header_is_24_bytes_and_grants_follow() {
        let i = Interface::new_zeroed();
        assert_eq!(i.as_bytes().len(), 24);
        assert_eq!(GRANTS_OFFSET, 24);
        assert_eq!(SRV_LIVE_OFFSET, 21);
        assert_eq!(RIGHT_PROD_OFFSET, 12);
    }

    #[test]
    fn live_and_bits_print_names() {
        extern crate std;
        use std::format;
        assert_eq!(format!("{:?}", Live::WAITING), "Live::WAITING");
        assert_eq!(format!("{:?}", Live::new(7)), "Live(7)");
        assert_eq!(format!("{:?}", NotifyBits::WRITE), "NotifyBits(WRITE)");
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`Orders`]: the sizes and places of a vchan's two rings, validated.

use xen_abi::io::vchan::{
    ring_location, RingLocation, GRANTS_OFFSET, LARGE_RING_ORDER, MAX_RING_ORDER, PAGE_ORDER,
    PAGE_SIZE, SMALL_RING_ORDER,
};

use crate::{Error, Result};

/// The largest ring libxenvchan makes (`2^MAX_RING_ORDER` bytes).
pub const MAX_RING_SIZE: usize = 1 << MAX_RING_ORDER;

/// The orders of a vchan's rings: `left` (client to server) and `right`
/// (server to client), each `2^order` bytes.
///
/// Only layouts libxenvchan itself makes or accepts exist: each order in
/// `10..=20`; at most one ring of each in-page order (10 at byte 1024, 11 at
/// byte 2048 of the control page); the grant list of the paged rings
/// (24 + 4 bytes a page) ending before the first in-page ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Orders {
    left: u16,
    right: u16,
}

/// Where one ring lives, with its place in the grant list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// In the control page at this byte offset.
    InPage(usize),
    /// In `pages` granted pages, whose references are entries
    /// `first..first + pages` of the grant list.
    Granted {
        /// Index of the first reference in the grant list.
        first: usize,
        /// Number of pages.
        pages: usize,
    },
}

impl Orders {
    /// Checks a pair of orders, as a client reads them from the control
    /// page.
    ///
    /// # Errors
    ///
    /// [`Error::BadOrders`] for a layout libxenvchan does not define.
    pub fn new(left: u16, right: u16) -> Result<Self> {
        let bad = Error::BadOrders { left, right };
        let (Some(l), Some(r)) = (ring_location(left), ring_location(right)) else {
            return Err(bad);
        };
        let pages = |loc| match loc {
            RingLocation::Granted { pages } => pages,
            RingLocation::InPage { .. } => 0,
        };
        let in_page = |loc| match loc {
            RingLocation::InPage { offset } => offset,
            RingLocation::Granted { .. } => PAGE_SIZE,
        };
        if left == right && left < PAGE_ORDER {
            return Err(bad);
        }
        let grants_end = GRANTS_OFFSET + 4 * (pages(l) + pages(r));
        if grants_end > in_page(l).min(in_page(r)) {
            return Err(bad);
        }
        Ok(Self { left, right })
    }

    /// The orders a server picks for rings of at least `read_min` bytes
    /// (the left ring, which the server reads) and `write_min` bytes (the
    /// right ring), as `libxenvchan_server_init` does: both rings in the
    /// control page when they fit (1 KiB and 2 KiB, either way round), else
    /// the smaller in the page's 2 KiB slot when it fits there, and every
    /// other ring in the fewest whole pages.
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`] above [`MAX_RING_SIZE`].
    pub fn for_sizes(read_min: usize, write_min: usize) -> Result<Self> {
        for requested in [read_min, write_min] {
            if requested > MAX_RING_SIZE {
                return Err(Error::TooLarge {
                    requested,
                    max: MAX_RING_SIZE,
                });
            }
        }
        let small = 1usize << SMALL_RING_ORDER;
        let large = 1usize << LARGE_RING_ORDER;
        let (mut left, mut right) = (min_order(read_min), min_order(write_min));
        if read_min <= small && write_min <= large {
            (left, right) = (SMALL_RING_ORDER, LARGE_RING_ORDER);
        } else if read_min <= large && write_min <= small {
            (left, right) = (LARGE_RING_ORDER, SMALL_RING_ORDER);
        } else if read_min <= large {
            left = LARGE_RING_ORDER;
        } else if write_min <= large {
            right = LARGE_RING_ORDER;
        }
        Self::new(left, right)
    }

    /// The left (client-to-server) ring's order.
    pub const fn left(self) -> u16 {
        self.left
    }

    /// The right (server-to-client) ring's order.
    pub const fn right(self) -> u16 {
        self.right
    }

    /// The left ring's size in bytes.
    pub const fn left_size(self) -> usize {
        1 << self.left
    }

    /// The right ring's size in bytes.
    pub const fn right_size(self) -> usize {
        1 << self.right
    }

    /// Where the left ring lives.
    pub fn left_place(self) -> Place {
        place(self.left, 0)
    }

    /// Where the right ring lives (its grants follow the left ring's).
    pub fn right_place(self) -> Place {
        place(self.right, self.left_pages())
    }

    /// Pages granted for the left ring (0 when it is in the control page).
    pub fn left_pages(self) -> usize {
        pages_of(self.left)
    }

    /// Pages granted for the right ring.
    pub fn right_pages(self) -> usize {
        pages_of(self.right)
    }

    /// Entries in the grant list.
    pub fn grant_count(self) -> usize {
        self.left_pages() + self.right_pages()
    }
}

fn pages_of(order: u16) -> usize {
    match ring_location(order) {
        Some(RingLocation::Granted { pages }) => pages,
        _ => 0,
    }
}

fn place(order: u16, first: usize) -> Place {
    match ring_location(order) {
        Some(RingLocation::InPage { offset }) => Place::InPage(offset),
        Some(RingLocation::Granted { pages }) => Place::Granted { first, pages },
        // `Orders::new` admits only orders with a location.
        None => Place::Granted { first, pages: 0 },
    }
}

/// The smallest order of at least a page whose ring holds `size` bytes.
fn min_order(size: usize) -> u16 {
    let mut order = PAGE_ORDER;
    while order < MAX_RING_ORDER && (1usize << order) < size {
        order += 1;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_choices_match_libxenvchan() {
        let o = |r, w| {
            let o = Orders::for_sizes(r, w).unwrap();
            (o.left(), o.right())
        };
        assert_eq!(o(0, 0), (10, 11));
        assert_eq!(o(1024, 2048), (10, 11));
        assert_eq!(o(2048, 1024), (11, 10));
        assert_eq!(o(2048, 2048), (11, 12));
        assert_eq!(o(4096, 2048), (12, 11));
        assert_eq!(o(5000, 100_000), (13, 17));
        assert_eq!(o(1 << 20, 1 << 20), (20, 20));
        assert!(Orders::for_sizes((1 << 20) + 1, 0).is_err());
    }

    #[test]
    fn places_and_grants() {
        let o = Orders::new(13, 12).unwrap();
        assert_eq!(o.left_place(), Place::Granted { first: 0, pages: 2 });
        assert_eq!(o.right_place(), Place::Granted { first: 2, pages: 1 });
        assert_eq!(o.grant_count(), 3);
        let o = Orders::new(10, 11).unwrap();
        assert_eq!(o.left_place(), Place::InPage(1024));
        assert_eq!(o.right_place(), Place::InPage(2048));
        assert_eq!(o.grant_count(), 0);
    }

    #[test]
    fn hostile_orders_are_refused() {
        for (l, r) in [
            (9, 11),
            (10, 10),
            (11, 11),
            (21, 12),
            (0, 0),
            (u16::MAX, 12),
            // 256 grants (1 KiB) would run into the ring at 1024.
            (20, 10),
            (10, 20),
        ] {
            assert!(
                matches!(Orders::new(l, r), Err(Error::BadOrders { .. })),
                "{l} {r}"
            );
        }
        assert!(Orders::new(20, 20).is_ok());
        assert!(Orders::new(20, 11).is_ok());
        assert!(Orders::new(19, 10).is_ok());
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the grant devices answer, checked before it is used: the mmap
//! offset `IOCTL_GNTDEV_MAP_GRANT_REF` and `IOCTL_GNTALLOC_ALLOC_GREF`
//! write back (with the mapping length it must carry), the grant refs
//! gntalloc fills in, and the per-segment statuses of
//! `IOCTL_GNTDEV_GRANT_COPY`. Pure functions over the words the kernel left
//! in our buffers, so the fuzz target (`fuzzing::device_reply`) and Miri
//! drive them without a device.
//!
//! A bad answer is a [`BadReply`] carrying the values seen; the device
//! types report it as [`Error::Device`](crate::Error::Device) with
//! `ErrorKind::InvalidData`, after giving back what the call reserved.

use core::fmt;
use std::vec::Vec;

use xen_abi::grant_table::{GrantRef, GrantStatus, NR_RESERVED_ENTRIES};

use super::sys::PAGE_SIZE;

/// A device answer this crate refuses to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadReply {
    /// The ioctl header's page count changed under the call.
    CountChanged {
        /// The count we asked for.
        asked: u32,
        /// The count the header holds after the call.
        seen: u32,
    },
    /// The reply is shorter than its header and `count` refs.
    Truncated {
        /// 32-bit words needed.
        needed: usize,
        /// 32-bit words there are.
        words: usize,
    },
    /// An mmap offset that is not a multiple of the page size.
    Misaligned(u64),
    /// `offset + len` overflows, or passes what `mmap` takes (`off_t`).
    OutOfRange {
        /// The offset the device answered.
        offset: u64,
        /// The mapping's length in bytes.
        len: usize,
    },
    /// A grant ref no domain hands out (reserved, or `INVALID`).
    BadRef {
        /// Its position among the refs.
        page: usize,
        /// The ref.
        gref: u32,
    },
    /// A copy segment's status outside Xen's `GNTST_*` range.
    UnknownStatus {
        /// The segment's index in the batch.
        segment: usize,
        /// The status.
        status: i16,
    },
}

impl fmt::Display for BadReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::CountChanged { asked, seen } => {
                write!(
                    f,
                    "the device changed the page count from {asked} to {seen}"
                )
            }
            Self::Truncated { needed, words } => {
                write!(f, "a reply of {words} words where {needed} were due")
            }
            Self::Misaligned(offset) => {
                write!(
                    f,
                    "the device answered mmap offset {offset:#x}, not page-aligned"
                )
            }
            Self::OutOfRange { offset, len } => write!(
                f,
                "the device answered mmap offset {offset:#x}, which cannot carry \
                 {len:#x} bytes"
            ),
            Self::BadRef { page, gref } => {
                write!(f, "the device answered grant ref {gref} for page {page}")
            }
            Self::UnknownStatus { segment, status } => {
                write!(
                    f,
                    "copy segment {segment} came back with unknown status {status}"
                )
            }
        }
    }
}

impl core::error::Error for BadReply {}

impl From<BadReply> for std::io::Error {
    fn from(e: BadReply) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }
}

/// Where a reservation of `pages` pages lies in the device file: the mmap
/// offset and length. `offset + len` fits `off_t` and the offset is
/// page-aligned, so `offset + n` for any `n < len` is a valid file offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MmapRange {
    /// Byte offset in the device file (the ioctl's `index`).
    pub(crate) offset: u64,
    /// Length in bytes (`pages * PAGE_SIZE`).
    pub(crate) len: usize,
}

/// The 64-bit field whose two 32-bit halves are `first`, `second` in
/// memory order.
pub(crate) fn join_u64(first: u32, second: u32) -> u64 {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&first.to_ne_bytes());
    b[4..].copy_from_slice(&second.to_ne_bytes());
    u64::from_ne_bytes(b)
}

/// The mmap range of `pages` pages at the device's `offset`.
///
/// # Errors
/// [`BadReply::Misaligned`], or [`BadReply::OutOfRange`] when `offset +
/// pages * PAGE_SIZE` overflows or passes `off_t::MAX`.
pub(crate) fn mmap_range(offset: u64, pages: u32) -> Result<MmapRange, BadReply> {
    let out = |len| BadReply::OutOfRange { offset, len };
    let len = (pages as usize)
        .checked_mul(PAGE_SIZE)
        .ok_or(out(usize::MAX))?;
    if offset % PAGE_SIZE as u64 != 0 {
        return Err(BadReply::Misaligned(offset));
    }
    let end = offset.checked_add(len as u64).ok_or(out(len))?;
    if libc::off_t::try_from(end).is_err() {
        return Err(out(len));
    }
    Ok(MmapRange { offset, len })
}

/// Checks the header count the kernel left against the one we asked for.
fn same_count(asked: u32, seen: u32) -> Result<(), BadReply> {
    if asked == seen {
        Ok(())
    } else {
        Err(BadReply::CountChanged { asked, seen })
    }
}

/// `IOCTL_GNTDEV_MAP_GRANT_REF`'s answer for `pages` refs: the header
/// words (`count`, `pad`, the two halves of `index`) as the call left them.
///
/// # Errors
/// [`BadReply::CountChanged`], or the range's errors ([`mmap_range`]).
pub(crate) fn gntdev_map(header: [u32; 4], pages: u32) -> Result<MmapRange, BadReply> {
    same_count(pages, header[0])?;
    mmap_range(join_u64(header[2], header[3]), pages)
}

/// `IOCTL_GNTALLOC_ALLOC_GREF`'s answer for `pages` pages: the whole
/// buffer (`domid` and `flags`, `count`, the two halves of `index`, then
/// the refs) as the call left it. Returns the range and one ref per page.
///
/// # Errors
/// [`BadReply::Truncated`], [`BadReply::CountChanged`], the range's errors
/// ([`mmap_range`]), or [`BadReply::BadRef`] for a reserved or invalid ref.
pub(crate) fn gntalloc_alloc(
    words: &[u32],
    pages: u32,
) -> Result<(MmapRange, Vec<GrantRef>), BadReply> {
    let needed = 4usize.saturating_add(pages as usize);
    let (Some(header), Some(refs)) = (words.get(..4), words.get(4..needed)) else {
        return Err(BadReply::Truncated {
            needed,
            words: words.len(),
        });
    };
    same_count(pages, header[1])?;
    let range = mmap_range(join_u64(header[2], header[3]), pages)?;
    let refs = refs
        .iter()
        .enumerate()
        .map(|(page, &gref)| {
            if gref < NR_RESERVED_ENTRIES || gref == GrantRef::INVALID.get() {
                Err(BadReply::BadRef { page, gref })
            } else {
                Ok(GrantRef::new_unchecked(gref))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((range, refs))
}

/// `IOCTL_GNTDEV_GRANT_COPY`'s statuses, one per segment in order: the
/// first segment Xen refused (with its status), or `None` if all copied.
///
/// # Errors
/// [`BadReply::UnknownStatus`] for the first status outside `GNTST_*`
/// (wherever it lies: a batch with one is not trusted at all).
pub(crate) fn copy_statuses(
    statuses: impl IntoIterator<Item = GrantStatus>,
) -> Result<Option<(usize, GrantStatus)>, BadReply> {
    let mut failed = None;
    for (segment, status) in statuses.into_iter().enumerate() {
        if status.message().is_none() {
            return Err(BadReply::UnknownStatus {
                segment,
                status: status.get(),
            });
        }
        if failed.is_none() && !status.is_okay() {
            failed = Some((segment, status));
        }
    }
    Ok(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    /// The two memory-order halves of `v`.
    fn halves(v: u64) -> (u32, u32) {
        let b = v.to_ne_bytes();
        (
            u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        )
    }

    fn map_header(count: u32, index: u64) -> [u32; 4] {
        let (lo, hi) = halves(index);
        [count, 0, lo, hi]
    }

    #[test]
    fn join_u64_is_memory_order() {
        let v: u64 = 0x1122_3344_5566_7788;
        let (first, second) = halves(v);
        assert_eq!(join_u64(first, second), v);
    }

    #[test]
    fn a_good_map_reply_gives_its_range() {
        assert_eq!(
            gntdev_map(map_header(3, 0x5000), 3),
            Ok(MmapRange {
                offset: 0x5000,
                len: 3 * 4096
            })
        );
    }

    #[test]
    fn an_offset_off_a_page_is_refused() {
        assert_eq!(
            gntdev_map(map_header(1, 0x5008), 1),
            Err(BadReply::Misaligned(0x5008))
        );
        assert_eq!(mmap_range(1, 1), Err(BadReply::Misaligned(1)));
    }

    #[test]
    fn an_offset_that_overflows_with_the_length_is_refused() {
        // Page-aligned, but offset + count * 4096 wraps u64.
        let offset = u64::MAX - 4095;
        assert_eq!(
            gntdev_map(map_header(2, offset), 2),
            Err(BadReply::OutOfRange { offset, len: 8192 })
        );
        // No wrap, but past what mmap's off_t takes.
        let offset = i64::MAX as u64 - 4095;
        assert_eq!(
            mmap_range(offset, 1),
            Err(BadReply::OutOfRange { offset, len: 4096 })
        );
        // Up to the last whole page below off_t::MAX is fine (the end,
        // one past the last byte, is an off_t too).
        let offset = (i64::MAX as u64 + 1) - 8192;
        assert_eq!(mmap_range(offset, 1), Ok(MmapRange { offset, len: 4096 }));
        // The largest count.
        assert!(mmap_range(0, u32::MAX).is_ok());
    }

    #[test]
    fn a_changed_count_is_refused() {
        assert_eq!(
            gntdev_map(map_header(7, 0), 1),
            Err(BadReply::CountChanged { asked: 1, seen: 7 })
        );
    }

    fn alloc_words(count: u32, index: u64, refs: &[u32]) -> Vec<u32> {
        let (lo, hi) = halves(index);
        let mut w = vec![0x0001_0001, count, lo, hi];
        w.extend_from_slice(refs);
        w
    }

    #[test]
    fn a_good_alloc_reply_gives_range_and_refs() {
        let (range, refs) = gntalloc_alloc(&alloc_words(2, 0x2000, &[8, 9]), 2).unwrap();
        assert_eq!(
            range,
            MmapRange {
                offset: 0x2000,
                len: 8192
            }
        );
        assert_eq!(
            refs,
            [GrantRef::new_unchecked(8), GrantRef::new_unchecked(9)]
        );
        // Room beyond the refs (the buffer is at least the struct) is ignored.
        let (_, refs) = gntalloc_alloc(&alloc_words(1, 0, &[10, 0]), 1).unwrap();
        assert_eq!(refs, [GrantRef::new_unchecked(10)]);
    }

    #[test]
    fn alloc_replies_with_the_wrong_refs_are_refused() {
        // Fewer refs than pages.
        assert_eq!(
            gntalloc_alloc(&alloc_words(3, 0, &[8, 9]), 3),
            Err(BadReply::Truncated {
                needed: 7,
                words: 6
            })
        );
        assert_eq!(
            gntalloc_alloc(&[1, 2], 1),
            Err(BadReply::Truncated {
                needed: 5,
                words: 2
            })
        );
        // The header's count does not match the refs asked for.
        assert_eq!(
            gntalloc_alloc(&alloc_words(1, 0, &[8, 9]), 2),
            Err(BadReply::CountChanged { asked: 2, seen: 1 })
        );
        // A reserved ref, and the invalid one.
        assert_eq!(
            gntalloc_alloc(&alloc_words(2, 0, &[8, 7]), 2),
            Err(BadReply::BadRef { page: 1, gref: 7 })
        );
        assert_eq!(
            gntalloc_alloc(&alloc_words(1, 0, &[u32::MAX]), 1),
            Err(BadReply::BadRef {
                page: 0,
                gref: u32::MAX
            })
        );
        // A hostile index, as for gntdev.
        assert_eq!(
            gntalloc_alloc(&alloc_words(1, 0x800, &[8]), 1),
            Err(BadReply::Misaligned(0x800))
        );
        assert!(matches!(
            gntalloc_alloc(&alloc_words(1, u64::MAX - 4095, &[8]), 1),
            Err(BadReply::OutOfRange { .. })
        ));
    }

    #[test]
    fn copy_statuses_name_the_first_failure() {
        let s = |v: &[i16]| copy_statuses(v.iter().copied().map(GrantStatus::new));
        assert_eq!(s(&[]), Ok(None));
        assert_eq!(s(&[0, 0]), Ok(None));
        assert_eq!(s(&[0, -3, -1]), Ok(Some((1, GrantStatus::BAD_GNTREF))));
        assert_eq!(s(&[-13]), Ok(Some((0, GrantStatus::NO_SPACE))));
    }

    #[test]
    fn copy_statuses_out_of_range_are_refused() {
        let s = |v: &[i16]| copy_statuses(v.iter().copied().map(GrantStatus::new));
        assert_eq!(
            s(&[0, 1]),
            Err(BadReply::UnknownStatus {
                segment: 1,
                status: 1
            })
        );
        // Even after a known failure.
        assert_eq!(
            s(&[-1, -14]),
            Err(BadReply::UnknownStatus {
                segment: 1,
                status: -14
            })
        );
        assert_eq!(
            s(&[i16::MIN]),
            Err(BadReply::UnknownStatus {
                segment: 0,
                status: i16::MIN
            })
        );
    }

    #[test]
    fn bad_replies_are_invalid_data() {
        let e = std::io::Error::from(BadReply::Misaligned(8));
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(std::string::ToString::to_string(&e).contains("0x8"));
    }
}

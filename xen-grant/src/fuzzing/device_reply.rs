// SPDX-License-Identifier: MIT OR Apache-2.0
//! The grant devices' answers as a hostile (or buggy) kernel might write
//! them, through the checks the device types run before using them
//! (`linux::reply`): any mmap offset and page count from
//! `IOCTL_GNTDEV_MAP_GRANT_REF` and `IOCTL_GNTALLOC_ALLOC_GREF`, any refs
//! and reply length from gntalloc, any statuses from
//! `IOCTL_GNTDEV_GRANT_COPY`. Every answer is either used with an offset
//! that is page-aligned and carries the mapping within `off_t`, refs that
//! no domain reserves, one per page, or refused with the error that names
//! what was wrong; nothing panics or overflows.

use std::vec::Vec;

use xen_abi::grant_table::{GrantStatus, NR_RESERVED_ENTRIES};

use super::Input;
use crate::linux::reply::{self, BadReply, MmapRange};
use crate::linux::PAGE_SIZE;

/// Most refs or statuses one input supplies.
const MAX_WORDS: usize = 4096;

/// The offset and count as the device gave them: page-aligned offsets and
/// small counts half the time, so the later checks are reached.
fn offset_and_pages(input: &mut Input<'_>) -> (u64, u32) {
    let shape = input.u8();
    let mut offset = input.u64();
    if shape & 1 == 0 {
        offset &= !(PAGE_SIZE as u64 - 1);
    }
    if shape & 2 == 0 {
        // Near the top of off_t or of u64, where the sums wrap.
        offset = (if shape & 4 == 0 {
            i64::MAX as u64
        } else {
            u64::MAX
        })
        .wrapping_sub(offset % (1 << 24));
    }
    let pages = if shape & 8 == 0 {
        u32::from(input.u8())
    } else {
        u32::from_le_bytes(input.bytes())
    };
    (offset, pages)
}

/// The range for `pages` at `offset`, or the error, against the rules
/// worked out here in wide arithmetic.
fn check_range(offset: u64, pages: u32, r: Result<MmapRange, BadReply>) {
    let len = u128::from(pages) * PAGE_SIZE as u128;
    let end = u128::from(offset) + len;
    let fits = len <= usize::MAX as u128 && end <= i64::MAX as u128;
    let aligned = offset % PAGE_SIZE as u64 == 0;
    match r {
        Ok(range) => {
            assert!(aligned && fits, "{offset:#x} + {pages} pages accepted");
            assert_eq!(range.offset, offset);
            assert_eq!(range.len as u128, len);
        }
        Err(BadReply::Misaligned(o)) => assert!(o == offset && !aligned),
        Err(BadReply::OutOfRange { offset: o, .. }) => assert!(o == offset && !fits),
        Err(e) => panic!("{offset:#x} + {pages} pages: {e:?}"),
    }
}

/// Runs `data` as one device answer (the first byte picks which).
pub fn device_reply(data: &[u8]) {
    let mut input = Input(data);
    match input.u8() % 4 {
        0 => {
            let (offset, pages) = offset_and_pages(&mut input);
            check_range(offset, pages, reply::mmap_range(offset, pages));
        }
        1 => {
            // IOCTL_GNTDEV_MAP_GRANT_REF's header.
            let (offset, pages) = offset_and_pages(&mut input);
            let seen = match input.u8() {
                0 => u32::from_le_bytes(input.bytes()),
                _ => pages,
            };
            let b = offset.to_ne_bytes();
            let lo = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            let hi = u32::from_ne_bytes([b[4], b[5], b[6], b[7]]);
            let r = reply::gntdev_map([seen, input.u8().into(), lo, hi], pages);
            match r {
                Err(BadReply::CountChanged { asked, seen: s }) => {
                    assert!(asked == pages && s == seen && seen != pages);
                }
                r => {
                    assert_eq!(seen, pages, "a changed count accepted");
                    check_range(offset, pages, r);
                }
            }
        }
        2 => {
            // IOCTL_GNTALLOC_ALLOC_GREF's buffer: any length and words,
            // with the count the header should echo at times.
            let pages = u32::from(input.u16() % 1024);
            let echo = input.u8() & 1 == 0;
            let mut words: Vec<u32> = Vec::new();
            while !input.0.is_empty() && words.len() < MAX_WORDS {
                words.push(u32::from_le_bytes(input.bytes()));
            }
            if echo && words.len() > 1 {
                words[1] = pages;
            }
            let r = reply::gntalloc_alloc(&words, pages);
            let needed = 4 + pages as usize;
            match r {
                Ok((range, refs)) => {
                    assert!(words.len() >= needed);
                    assert_eq!(words[1], pages);
                    assert_eq!(refs.len(), pages as usize);
                    for (r, &w) in refs.iter().zip(&words[4..]) {
                        assert_eq!(r.get(), w);
                        assert!(w >= NR_RESERVED_ENTRIES && w != u32::MAX);
                    }
                    let offset = reply::join_u64(words[2], words[3]);
                    check_range(offset, pages, Ok(range));
                }
                Err(BadReply::Truncated {
                    needed: n,
                    words: w,
                }) => {
                    assert!(n == needed && w == words.len() && w < needed);
                }
                Err(BadReply::CountChanged { asked, seen }) => {
                    assert!(asked == pages && seen == words[1] && seen != pages);
                }
                Err(BadReply::BadRef { page, gref }) => {
                    assert_eq!(words[4 + page], gref);
                    assert!(gref < NR_RESERVED_ENTRIES || gref == u32::MAX);
                    assert!(words[4..4 + page]
                        .iter()
                        .all(|&w| w >= NR_RESERVED_ENTRIES && w != u32::MAX));
                }
                Err(e) => {
                    let offset = reply::join_u64(words[2], words[3]);
                    check_range(offset, pages, Err(e));
                }
            }
        }
        _ => {
            // IOCTL_GNTDEV_GRANT_COPY's statuses, mostly known ones.
            let mut statuses: Vec<i16> = Vec::new();
            while !input.0.is_empty() && statuses.len() < MAX_WORDS {
                let b = input.u8();
                statuses.push(match b {
                    0..=0x7f => 0,
                    0x80..=0xef => -i16::from(b % 14),
                    _ => input.u16() as i16,
                });
            }
            let known = |s: i16| (-13..=0).contains(&s);
            let r = reply::copy_statuses(statuses.iter().copied().map(GrantStatus::new));
            match r {
                Ok(None) => assert!(statuses.iter().all(|&s| s == 0)),
                Ok(Some((i, status))) => {
                    assert_eq!(status.get(), statuses[i]);
                    assert!(status.get() != 0 && statuses[..i].iter().all(|&s| s == 0));
                    assert!(statuses.iter().all(|&s| known(s)));
                }
                Err(BadReply::UnknownStatus { segment, status }) => {
                    assert!(statuses[segment] == status && !known(status));
                    assert!(statuses[..segment].iter().all(|&s| known(s)));
                }
                Err(e) => panic!("copy statuses: {e:?}"),
            }
        }
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Fuzzing entry points: built for this crate's own tests and under
//! `--cfg fuzzing` (which cargo-fuzz sets), never part of the API.
//!
//! The input plays the grantee and Xen against the in-guest table manager:
//! between grants, ends and version switches it writes any flags into the
//! grant entries (v1: `GTF_reading`/`GTF_writing` or any other bits), any
//! word into the v2 status frames, any bytes anywhere in the table frames.
//! Whatever it writes, every call returns a value or a typed error, a grant
//! still in use is never ended (its reference is not handed out again),
//! and the table's count of outstanding grants is the caller's.
//!
//! [`device_reply`] (Linux) plays the grant devices: whatever the kernel
//! answers an ioctl goes through the checks before it is used.

#[cfg(target_os = "linux")]
mod device_reply;
#[cfg(target_os = "linux")]
pub use device_reply::device_reply;

use std::vec::Vec;

use xen_abi::grant_table::GrantRef;
use xen_abi::io::shm::{Ordering, ReadOnly, SharedMem};
use xen_abi::xen::{DomId, Gfn};

use crate::guest::fake_xen::FakeXen;
use crate::guest::{Access, FrameOf, Grant, GrantTable, TablePages, Version};
use crate::{Error, Result};

/// Most operations one input runs.
const MAX_OPS: usize = 256;
/// Most grants the input holds at once.
const MAX_HELD: usize = 48;
/// Table frames the fake Xen allows (so growth and `TableFull` happen).
const TABLE_FRAMES: usize = 2;
/// Status frames (v2: 512 entries of 8 per 4 KiB table frame, 2048 status
/// words per frame: one covers both table frames).
const STATUS_FRAMES: usize = 1;
/// The pages the entry point needs: table frames, status frames, one page
/// to grant.
pub const PAGES: usize = TABLE_FRAMES + STATUS_FRAMES + 1;

/// Reads the input front to back; zeros once it is used up.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0; N];
        let n = N.min(self.0.len());
        b[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        b
    }
    fn u8(&mut self) -> u8 {
        self.bytes::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }
}

/// The platform: table and status frames from the given pages.
#[derive(Debug)]
pub struct GivenPages {
    pages: [SharedMem<'static>; PAGES],
}

impl FrameOf for GivenPages {
    fn frame_of(&self, page: &SharedMem<'static>) -> Result<Gfn> {
        Ok(Gfn::new_unchecked(u64::from((page.addr() >> 12) as u32)))
    }
}

impl TablePages for GivenPages {
    fn map_shared(&mut self, index: u32, _: Gfn) -> Result<SharedMem<'static>> {
        self.pages[..TABLE_FRAMES]
            .get(index as usize)
            .copied()
            .ok_or(Error::Xen(xen_abi::Errno::ENOMEM))
    }
    fn map_status(&mut self, index: u32, _: Gfn) -> Result<SharedMem<'static, ReadOnly>> {
        self.pages[TABLE_FRAMES..TABLE_FRAMES + STATUS_FRAMES]
            .get(index as usize)
            .map(SharedMem::read_only)
            .ok_or(Error::Xen(xen_abi::Errno::ENOMEM))
    }
    fn unmap_status(&mut self, _: u32) -> Result<()> {
        Ok(())
    }
}

/// The table manager over `pages` (each a zeroed or not, page-aligned
/// 4 KiB page), driven by `data`.
/// Returns how many grants it still holds at the end (refused ends).
pub fn table(pages: [SharedMem<'static>; PAGES], data: &[u8]) -> usize {
    let mut input = Input(data);
    for p in &pages[..TABLE_FRAMES + STATUS_FRAMES] {
        let _ = p.fill(0, p.len(), 0);
    }
    let page = pages[PAGES - 1];
    let xen = FakeXen::new(TABLE_FRAMES as u32);
    let mut t = GrantTable::new(xen, GivenPages { pages }).expect("a fresh table");
    let peer = DomId::new_unchecked(1 + u16::from(input.u8() % 8));
    let mut held: Vec<Grant> = Vec::new();
    for _ in 0..MAX_OPS {
        if input.0.is_empty() {
            break;
        }
        match input.u8() % 8 {
            0 | 1 if held.len() < MAX_HELD => {
                let access = if input.u8() & 1 == 0 {
                    Access::ReadOnly
                } else {
                    Access::ReadWrite
                };
                match t.grant_access(peer, page, access) {
                    Ok(g) => held.push(g),
                    Err(Error::TableFull { .. }) => {}
                    Err(e) => panic!("grant_access: {e:?}"),
                }
            }
            2 if held.len() < MAX_HELD => {
                let (off, len) = (input.u16() % 5000, input.u16() % 5000);
                let r = t.grant_sub_page(peer, page, off, len, Access::ReadOnly);
                match r {
                    Ok(g) => {
                        assert!(usize::from(off) + usize::from(len) <= 4096);
                        held.push(g);
                    }
                    Err(Error::NeedsV2) => assert_eq!(t.version(), Version::V1),
                    Err(Error::BadRange { .. }) => {
                        assert!(usize::from(off) + usize::from(len) > 4096);
                    }
                    Err(Error::TableFull { .. }) => {}
                    Err(e) => panic!("grant_sub_page: {e:?}"),
                }
            }
            3 if !held.is_empty() => {
                let i = usize::from(input.u8()) % held.len();
                let g = held.swap_remove(i);
                let r = g.gref();
                let (page, off) = flags_at(t.version(), r, 0);
                match t.end_access(g) {
                    // Ended: the entry's flags are cleared (no new use).
                    Ok(()) => assert_eq!(pages[page].load_u16(off, Ordering::SeqCst), Ok(0)),
                    Err(busy) => {
                        assert_eq!(busy.grant.gref(), r);
                        held.push(busy.grant);
                    }
                }
            }
            4 => scribble_entry(&pages, &t, &held, &mut input),
            5 => {
                // Any word anywhere in the table or status frames.
                let p = pages[usize::from(input.u8()) % (TABLE_FRAMES + STATUS_FRAMES)];
                let off = usize::from(input.u16() % 512) * 8;
                let _ = p.store_u64(off, input.u64(), Ordering::SeqCst);
            }
            6 => {
                let v = if input.u8() & 1 == 0 {
                    Version::V1
                } else {
                    Version::V2
                };
                match t.set_version(v) {
                    Ok(()) => assert_eq!(t.version(), v),
                    Err(Error::GrantsOutstanding(n)) => assert_eq!(n as usize, held.len()),
                    Err(e) => panic!("set_version: {e:?}"),
                }
            }
            _ => {
                for g in &held {
                    let _ = t.in_use(g);
                }
            }
        }
        // The table's books are the caller's: every grant held is
        // outstanding, and no reference is handed out twice.
        assert_eq!(t.outstanding() as usize, held.len());
        let mut refs: Vec<GrantRef> = held.iter().map(Grant::gref).collect();
        refs.sort_unstable_by_key(|r| r.get());
        refs.dedup();
        assert_eq!(refs.len(), held.len(), "a reference handed out twice");
    }
    held.len()
}

/// The page and offset of grant `r`'s flags word (`status` 0), or on v2
/// of its status word (`status` 1).
fn flags_at(version: Version, r: GrantRef, status: u8) -> (usize, usize) {
    let r = r.get() as usize;
    match (version, status & 1) {
        (Version::V1, _) => (r * 8 / 4096, r * 8 % 4096),
        (Version::V2, 0) => (r * 16 / 4096, r * 16 % 4096),
        (Version::V2, _) => (TABLE_FRAMES + r * 2 / 4096, r * 2 % 4096),
    }
}

/// The grantee sets (or Xen writes) flags of a held grant: its entry's
/// flags word, or on v2 its status word.
fn scribble_entry(
    pages: &[SharedMem<'static>; PAGES],
    t: &GrantTable<FakeXen, GivenPages>,
    held: &[Grant],
    input: &mut Input<'_>,
) {
    let Some(g) = held.get(usize::from(input.u8()) % held.len().max(1)) else {
        return;
    };
    let bits = input.u16();
    let (page, off) = flags_at(t.version(), g.gref(), input.u8());
    if let Some(p) = pages.get(page) {
        let _ = p.store_u16(off, bits, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zeroed, leaked, page-aligned pages.
    fn pages() -> [SharedMem<'static>; PAGES] {
        core::array::from_fn(|_| {
            let v = Vec::leak(std::vec![0u8; 2 * 4096]);
            let off = v.as_ptr().align_offset(4096);
            SharedMem::from_mut(&mut v[off..off + 4096]).unwrap()
        })
    }

    /// Deterministic pseudo-random inputs (xorshift), so the Miri run of
    /// these tests covers the same ground every time.
    fn inputs(n: usize, len: usize) -> impl Iterator<Item = Vec<u8>> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..n).map(move |_| {
            (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect()
        })
    }

    #[test]
    fn fuzzing_table_against_a_hostile_grantee() {
        let rounds = if cfg!(miri) { 2 } else { 200 };
        let p = pages();
        for data in inputs(rounds, 700) {
            table(p, &data);
        }
    }

    /// Through the entry point's own operations (v1): a grant whose entry
    /// the grantee marks reading|writing is not ended; one with other bits
    /// is.
    #[test]
    fn fuzzing_table_refuses_to_end_a_grant_in_use() {
        // Peer 1; grant read-write; the grantee writes `flags` into the
        // entry's flags word; end it.
        let run = |flags: u8| table(pages(), &[0, 1, 1, 4, 0, flags, 0, 0, 3, 0]);
        assert_eq!(run(0x18), 1, "GTF_reading|GTF_writing: still held");
        assert_eq!(run(0x08), 1, "GTF_reading: still held");
        assert_eq!(run(0x03), 0, "no in-use bit: ended");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn fuzzing_device_replies() {
        let rounds = if cfg!(miri) { 40 } else { 2000 };
        for (i, mut data) in inputs(rounds, 48).enumerate() {
            // Each kind of answer in turn.
            data[0] = i as u8;
            device_reply(&data);
        }
        // A map reply that is fine: offset 0x3000 (shape 2: as given),
        // 2 pages, count echoed.
        let mut ok = std::vec![1, 2];
        ok.extend_from_slice(&0x3000u64.to_le_bytes());
        ok.extend_from_slice(&[2, 1, 0]);
        device_reply(&ok);
        // Statuses: okay, bad ref, then one beyond GNTST_*.
        device_reply(&[3, 0, 0x81, 0xff, 0x40, 0x00]);
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Unit tests of the table manager over plain memory and a fake Xen.

// The fake Xen writes its answers through the addresses the wrappers pass,
// as the real one does.
#![allow(unsafe_code)]

use core::cell::{Cell, RefCell};
use core::sync::atomic::{AtomicBool, AtomicU32};
use std::string::ToString;
use std::vec::Vec;

use xen_abi::grant_table::{GrantEntryFlags, GrantRef, GrantStatus};
use xen_abi::io::shm::{Ordering, ReadOnly, SharedMem};
use xen_abi::xen::{DomId, Gfn};
use xen_abi::Errno;

use super::fake_xen::FakeXen;
use super::*;
use crate::Error;

/// Zeroed, leaked, page-aligned pages.
fn leaked_page() -> SharedMem<'static> {
    let v = std::vec::Vec::leak(std::vec![0u8; 2 * PAGE]);
    let off = v.as_ptr().align_offset(PAGE);
    SharedMem::from_mut(&mut v[off..off + PAGE]).unwrap()
}

/// Pages from the heap; keeps writable handles on the status frames so the
/// tests can play Xen there.
#[derive(Default)]
struct FakePages {
    shared: RefCell<Vec<SharedMem<'static>>>,
    status: RefCell<Vec<SharedMem<'static>>>,
    unmapped: Cell<u32>,
}

impl FrameOf for &FakePages {
    fn frame_of(&self, page: &SharedMem<'static>) -> crate::Result<Gfn> {
        Ok(Gfn::new_unchecked(fake_frame(page)))
    }
}

impl TablePages for &FakePages {
    fn map_shared(&mut self, index: u32, frame: Gfn) -> crate::Result<SharedMem<'static>> {
        assert_eq!(frame.get(), 0x1000 + u64::from(index));
        let mut s = self.shared.borrow_mut();
        assert_eq!(s.len(), index as usize);
        s.push(leaked_page());
        Ok(s[index as usize])
    }

    fn map_status(
        &mut self,
        index: u32,
        frame: Gfn,
    ) -> crate::Result<SharedMem<'static, ReadOnly>> {
        assert_eq!(frame.get(), 0x2000 + u64::from(index));
        let page = leaked_page();
        self.status.borrow_mut().push(page);
        Ok(page.read_only())
    }

    fn unmap_status(&mut self, _index: u32) -> crate::Result<()> {
        self.status.borrow_mut().pop();
        self.unmapped.set(self.unmapped.get() + 1);
        Ok(())
    }
}

/// The frame the fake platform says a page has (v1 entries hold 32 bits).
fn fake_frame(page: &SharedMem<'static>) -> u64 {
    u64::from((page.addr() >> 12) as u32)
}

const PEER: DomId = DomId::new_unchecked(3);

fn flags_of(pages: &FakePages, r: GrantRef, size: usize) -> u16 {
    let per = PAGE / size;
    let mem = pages.shared.borrow()[r.get() as usize / per];
    mem.load_u16(r.get() as usize % per * size, Ordering::SeqCst)
        .unwrap()
}

fn set_bits(mem: SharedMem<'static>, off: usize, bits: GrantEntryFlags) {
    mem.fetch_or_u16(off, bits.bits(), Ordering::SeqCst)
        .unwrap();
}

#[test]
fn v1_grant_writes_entry_and_skips_reserved() {
    let pages = FakePages::default();
    let mut t = GrantTable::new(FakeXen::new(4), &pages).unwrap();
    assert_eq!(
        (t.version(), t.frames(), t.capacity()),
        (Version::V1, 1, 512)
    );
    let page = leaked_page();
    let g = t.grant_access(PEER, page, Access::ReadOnly).unwrap();
    assert_eq!(g.gref().get(), 8);
    let mem = pages.shared.borrow()[0];
    let e = 8 * 8;
    assert_eq!(
        mem.load_u16(e, Ordering::SeqCst).unwrap(),
        (GrantEntryFlags::PERMIT_ACCESS | GrantEntryFlags::READONLY).bits()
    );
    assert_eq!(mem.load_u16(e + 2, Ordering::SeqCst).unwrap(), 3);
    assert_eq!(
        u64::from(mem.load_u32(e + 4, Ordering::SeqCst).unwrap()),
        fake_frame(&page)
    );
    // The reserved entries are never touched.
    for r in 0..8 {
        assert_eq!(mem.load_u64(r * 8, Ordering::SeqCst).unwrap(), 0);
    }
    t.end_access(g).unwrap();
    assert_eq!(mem.load_u16(e, Ordering::SeqCst).unwrap(), 0);
    assert_eq!(t.outstanding(), 0);
}

#[test]
fn exhaustion_grows_then_fails_then_reuses() {
    let pages = FakePages::default();
    let mut t = GrantTable::new(FakeXen::new(2), &pages).unwrap();
    let page = leaked_page();
    let mut grants = Vec::new();
    for _ in 0..(1024 - 8) {
        grants.push(t.grant_access(PEER, page, Access::ReadWrite).unwrap());
    }
    assert_eq!(t.frames(), 2);
    assert!(grants.iter().all(|g| g.gref().get() >= 8));
    let mut refs: Vec<u32> = grants.iter().map(|g| g.gref().get()).collect();
    refs.sort_unstable();
    refs.dedup();
    assert_eq!(refs.len(), 1016);
    assert!(matches!(
        t.grant_access(PEER, page, Access::ReadWrite),
        Err(Error::TableFull { limit: 1024 })
    ));
    assert_eq!(t.outstanding(), 1016);
    let g = grants.swap_remove(100);
    let r = g.gref();
    t.end_access(g).unwrap();
    let again = t.grant_access(PEER, page, Access::ReadWrite).unwrap();
    assert_eq!(again.gref(), r);
    assert!(matches!(t.grow_to(3), Err(Error::TableFull { .. })));
}

#[test]
fn end_access_refused_while_in_use_v1() {
    let pages = FakePages::default();
    let mut t = GrantTable::new(FakeXen::new(4), &pages).unwrap();
    let page = leaked_page();
    let g = t.grant_access(PEER, page, Access::ReadWrite).unwrap();
    let r = g.gref();
    let mem = pages.shared.borrow()[0];
    let off = r.get() as usize * 8;
    for bit in [GrantEntryFlags::READING, GrantEntryFlags::WRITING] {
        set_bits(mem, off, bit);
        assert!(t.in_use(&g));
    }
    let busy = t.end_access(g).unwrap_err();
    assert!(busy
        .flags
        .contains(GrantEntryFlags::READING | GrantEntryFlags::WRITING));
    // Still in force, and the reference is not handed out again.
    assert_eq!(t.outstanding(), 1);
    assert_ne!(flags_of(&pages, r, 8), 0);
    let other = t.grant_access(PEER, page, Access::ReadWrite).unwrap();
    assert_ne!(other.gref(), r);
    mem.fetch_and_u16(off, !GrantEntryFlags::WRITING.bits(), Ordering::SeqCst)
        .unwrap();
    let busy = t.end_access(busy.grant).unwrap_err();
    assert_eq!(
        busy.flags & GrantEntryFlags::WRITING,
        GrantEntryFlags::empty()
    );
    mem.fetch_and_u16(off, !GrantEntryFlags::READING.bits(), Ordering::SeqCst)
        .unwrap();
    t.end_access(busy.grant).unwrap();
    assert_eq!(flags_of(&pages, r, 8), 0);
    t.end_access(other).unwrap();
}

#[test]
fn hostile_flags_values() {
    let pages = FakePages::default();
    let mut t = GrantTable::new(FakeXen::new(4), &pages).unwrap();
    let page = leaked_page();
    let mem = pages.shared.borrow()[0];
    // Every bit set: in use, refused, no panic.
    let g = t.grant_access(PEER, page, Access::ReadWrite).unwrap();
    let off = g.gref().get() as usize * 8;
    mem.store_u16(off, 0xffff, Ordering::SeqCst).unwrap();
    let busy = t.end_access(g).unwrap_err();
    assert_eq!(busy.flags.bits(), 0xffff);
    // Unknown bits but no in-use bits: ended (swapped to zero).
    mem.store_u16(off, 0x8001, Ordering::SeqCst).unwrap();
    t.end_access(busy.grant).unwrap();
    assert_eq!(mem.load_u16(off, Ordering::SeqCst).unwrap(), 0);
}

#[test]
fn version_switch_rules_and_v2_status() {
    let pages = FakePages::default();
    let mut t = GrantTable::new(FakeXen::new(8), &pages).unwrap();
    let page = leaked_page();
    assert!(matches!(
        t.grant_sub_page(PEER, page, 0, 16, Access::ReadOnly),
        Err(Error::NeedsV2)
    ));
    let g = t.grant_access(PEER, page, Access::ReadOnly).unwrap();
    assert!(matches!(
        t.set_version(Version::V2),
        Err(Error::GrantsOutstanding(1))
    ));
    t.end_access(g).unwrap();
    t.set_version(Version::V2).unwrap();
    assert_eq!(
        (t.version(), t.capacity(), t.status_frames()),
        (Version::V2, 256, 1)
    );
    // A sub-page grant: header, offset, length, frame.
    assert!(matches!(
        t.grant_sub_page(PEER, page, 4000, 100, Access::ReadOnly),
        Err(Error::BadRange {
            offset: 4000,
            len: 100
        })
    ));
    let g = t
        .grant_sub_page(PEER, page, 64, 128, Access::ReadOnly)
        .unwrap();
    let mem = pages.shared.borrow()[0];
    let off = g.gref().get() as usize * 16;
    let flags = GrantEntryFlags::from_bits_retain(mem.load_u16(off, Ordering::SeqCst).unwrap());
    assert_eq!(
        flags,
        GrantEntryFlags::PERMIT_ACCESS | GrantEntryFlags::SUB_PAGE | GrantEntryFlags::READONLY
    );
    assert_eq!(mem.load_u16(off + 4, Ordering::SeqCst).unwrap(), 64);
    assert_eq!(mem.load_u16(off + 6, Ordering::SeqCst).unwrap(), 128);
    assert_eq!(
        mem.load_u64(off + 8, Ordering::SeqCst).unwrap(),
        fake_frame(&page)
    );
    // In use per the status frame: refused, but no new mapping can start.
    let status = pages.status.borrow()[0];
    let soff = g.gref().get() as usize * 2;
    set_bits(status, soff, GrantEntryFlags::READING);
    let busy = t.end_access(g).unwrap_err();
    assert_eq!(mem.load_u16(off, Ordering::SeqCst).unwrap(), 0);
    assert!(matches!(
        t.set_version(Version::V1),
        Err(Error::GrantsOutstanding(1))
    ));
    status.store_u16(soff, 0, Ordering::SeqCst).unwrap();
    t.end_access(busy.grant).unwrap();
    // Transitive.
    let tr = t
        .grant_transitive(PEER, DomId::new_unchecked(7), GrantRef::new_unchecked(42))
        .unwrap();
    let off = tr.gref().get() as usize * 16;
    assert_eq!(
        mem.load_u16(off, Ordering::SeqCst).unwrap(),
        GrantEntryFlags::TRANSITIVE.bits()
    );
    assert_eq!(mem.load_u16(off + 4, Ordering::SeqCst).unwrap(), 7);
    assert_eq!(mem.load_u32(off + 8, Ordering::SeqCst).unwrap(), 42);
    t.end_access(tr).unwrap();
    // Back to v1: status frames handed back first.
    t.set_version(Version::V1).unwrap();
    assert_eq!(
        (t.version(), t.status_frames(), pages.unmapped.get()),
        (Version::V1, 0, 1)
    );
    assert_eq!(t.capacity(), 512);
}

#[test]
fn bad_input_is_typed() {
    let pages = FakePages::default();
    let mut t = GrantTable::new(FakeXen::new(4), &pages).unwrap();
    let page = leaked_page();
    assert!(matches!(
        t.grant_access(PEER, page.sub(8, 64).unwrap(), Access::ReadOnly),
        Err(Error::NotAPage { len: 64, .. })
    ));
    assert!(matches!(t.set_version(Version::V1), Ok(())));
    assert_eq!(t.outstanding(), 0);
}

/// A peer that takes and drops the grant (as Xen does for a map or a copy)
/// while the granter ends it: once `end_access` says yes, the peer never
/// holds the grant again.
#[test]
fn end_access_races_a_peer() {
    for _ in 0..50 {
        let pages = FakePages::default();
        let mut t = GrantTable::new(FakeXen::new(4), &pages).unwrap();
        let g = t
            .grant_access(PEER, leaked_page(), Access::ReadWrite)
            .unwrap();
        let mem = pages.shared.borrow()[0];
        let off = g.gref().get() as usize * 8;
        let ended = AtomicBool::new(false);
        let takes = AtomicU32::new(0);
        let permit = GrantEntryFlags::PERMIT_ACCESS.bits();
        let reading = GrantEntryFlags::READING.bits();
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..10_000 {
                    // Xen's pin: only from a valid, idle entry.
                    if mem
                        .compare_exchange_u16(
                            off,
                            permit,
                            permit | reading,
                            Ordering::SeqCst,
                            Ordering::SeqCst,
                        )
                        .unwrap()
                        .is_ok()
                    {
                        assert!(!ended.load(Ordering::SeqCst), "peer took an ended grant");
                        takes.fetch_add(1, Ordering::Relaxed);
                        mem.fetch_and_u16(off, !reading, Ordering::SeqCst).unwrap();
                    }
                }
            });
            let mut g = g;
            loop {
                match t.end_access(g) {
                    Ok(()) => break,
                    Err(busy) => g = busy.grant,
                }
            }
            ended.store(true, Ordering::SeqCst);
        });
        assert_eq!(mem.load_u16(off, Ordering::SeqCst).unwrap(), 0);
        assert_eq!(t.outstanding(), 0);
    }
}

#[test]
fn set_version_errors_from_xen() {
    let pages = FakePages::default();
    let xen = FakeXen::new(4);
    xen.version.set(2);
    let t = GrantTable::new(xen, &pages).unwrap();
    assert_eq!((t.version(), t.status_frames()), (Version::V2, 1));
    assert_eq!(
        Error::from(xen_hypercall::grant_table::GrantError::Errno(Errno::EBUSY)).to_string(),
        "Xen refused the grant-table operation: EBUSY (device or resource busy)"
    );
}

/// Plays the backend hypercalls: copies report a status per op (a gref
/// `>= 1000` is bad), maps hand out one page, unmaps are counted.
#[derive(Default)]
struct FakeForeign {
    calls: RefCell<Vec<usize>>,
    page: RefCell<Option<SharedMem<'static>>>,
    mapped: Cell<u32>,
    unmapped: Cell<u32>,
}

impl FrameOf for FakeForeign {
    fn frame_of(&self, page: &SharedMem<'static>) -> crate::Result<Gfn> {
        Ok(Gfn::new_unchecked(fake_frame(page)))
    }
}

impl ForeignPages for FakeForeign {
    fn copy(&self, ops: &mut [xen_abi::grant_table::GrantCopy]) -> Result<(), Errno> {
        self.calls.borrow_mut().push(ops.len());
        for op in ops {
            let bad = op
                .flags
                .contains(xen_abi::grant_table::GntCopyFlags::SOURCE_GREF)
                && op.source.gref().get() >= 1000;
            op.status = if bad {
                GrantStatus::BAD_GNTREF
            } else {
                GrantStatus::OKAY
            };
        }
        Ok(())
    }

    fn map(&self, op: &mut xen_abi::grant_table::MapGrantRef) -> crate::Result<SharedMem<'static>> {
        if op.gref.get() >= 1000 {
            return Err(Error::Status(GrantStatus::BAD_GNTREF));
        }
        let page = *self.page.borrow_mut().get_or_insert_with(leaked_page);
        op.host_addr = page.addr() as u64;
        op.handle = xen_abi::grant_table::GrantHandle::new(7);
        op.status = GrantStatus::OKAY;
        self.mapped.set(self.mapped.get() + 1);
        Ok(page)
    }

    fn unmap(&self, op: &mut xen_abi::grant_table::UnmapGrantRef) -> crate::Result<()> {
        assert_eq!(op.handle.get(), 7);
        op.status = GrantStatus::OKAY;
        self.unmapped.set(self.unmapped.get() + 1);
        Ok(())
    }
}

#[test]
fn copy_batches_and_statuses() {
    let f = Foreign::new(FakeForeign::default());
    let local = leaked_page();
    let grant = |gref: u32| Side::Grant {
        domid: PEER,
        gref: GrantRef::new_unchecked(gref),
        offset: 0,
    };
    let mut segs = Vec::new();
    for i in 0..40u32 {
        segs.push(Segment {
            source: grant(if i % 13 == 5 { 1000 + i } else { i }),
            dest: Side::Local {
                page: local,
                offset: 64,
            },
            len: 64,
        });
    }
    let mut st = [GrantStatus::GENERAL_ERROR; 40];
    f.copy(&segs, &mut st).unwrap();
    assert_eq!(*f.pages().calls.borrow(), [16, 16, 8]);
    for (i, s) in st.iter().enumerate() {
        assert_eq!(s.is_okay(), i % 13 != 5, "segment {i}");
    }
    // A range leaving its page: refused before anything is copied.
    segs[39].len = 4096 - 63;
    assert!(matches!(
        f.copy(&segs, &mut st),
        Err(Error::BadRange { offset: 64, .. })
    ));
    assert_eq!(f.pages().calls.borrow().len(), 3);
    // Too few status slots, or a local region that is not a page.
    assert!(matches!(
        f.copy(&segs, &mut st[..3]),
        Err(Error::Xen(Errno::EINVAL))
    ));
    segs[39].len = 8;
    segs[0].dest = Side::Local {
        page: local.sub(8, 128).unwrap(),
        offset: 0,
    };
    assert!(matches!(
        f.copy(&segs, &mut st),
        Err(Error::NotAPage { .. })
    ));
}

#[test]
fn mappings_unmap_on_drop_and_read_only_stays_read_only() {
    let f = Foreign::new(FakeForeign::default());
    {
        let m = f.map_read_write(PEER, GrantRef::new_unchecked(9)).unwrap();
        m.mem().store_u8(0, 1, Ordering::SeqCst).unwrap();
        assert_eq!(m.handle().get(), 7);
    }
    assert_eq!((f.pages().mapped.get(), f.pages().unmapped.get()), (1, 1));
    let m = f.map_read_only(PEER, GrantRef::new_unchecked(9)).unwrap();
    let mem: SharedMem<'_, ReadOnly> = m.mem();
    assert_eq!(mem.load_u8(0, Ordering::SeqCst).unwrap(), 1);
    m.unmap().unwrap();
    assert_eq!(f.pages().unmapped.get(), 2);
    // A refused map leaves nothing to unmap.
    assert!(matches!(
        f.map_read_only(PEER, GrantRef::new_unchecked(1000)),
        Err(Error::Status(GrantStatus::BAD_GNTREF))
    ));
    assert_eq!((f.pages().mapped.get(), f.pages().unmapped.get()), (2, 2));
}

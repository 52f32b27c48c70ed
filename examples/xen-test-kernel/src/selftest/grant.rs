// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests of xen-grant's in-guest half, through its API: the table
//! manager (growth, exhaustion and reuse, version switches, v2 status
//! frames, sub-page and transitive grants), `GNTTABOP_copy` through our own
//! grants, and mappings of our own grants (end_access refused while one is
//! mapped).
//!
//! Runs after the raw `grants` group, which leaves the table at v1 with no
//! entry of its own in use.

use alloc::vec::Vec;

use xen_abi::grant_table::{GrantEntryFlags, GrantRef, GrantStatus};
use xen_abi::io::shm::{Ordering, ReadOnly, SharedMem};
use xen_abi::xen::DomId;
use xen_abi::Errno;
use xen_grant::guest::{
    Access, Foreign, Grant, GrantTable, InUse, Segment, Side, TablePages, Version,
};
use xen_grant::Error;
use xen_hypercall::grant_table as gnttab;
use xen_hypercall::Hypercall;

use super::grant_pages::{slot, GrantPages};
use super::memory::{page_mem, TestPage};
use super::Ctx;
use crate::{page_addr, Tester};

/// Checks this group makes.
pub const PLAN: u32 = 17;

/// Pages we grant, and copy into; 4.. are the ones we map (on PVH, Xen
/// moves a page of our own that we map to the mapping's frame: its own
/// frame is empty afterwards, so each is used once).
static mut DATA: [TestPage; 8] = [const { TestPage::new() }; 8];

/// Data page `i`.
fn data(i: usize) -> SharedMem<'static> {
    page_mem(slot(page_addr!(DATA), i))
}

fn pattern(page: SharedMem<'static>, seed: u8) {
    for i in 0..4096 {
        let _ = page.store_u8(
            i,
            (i as u8).wrapping_mul(7).wrapping_add(seed),
            Ordering::Relaxed,
        );
    }
}

/// Whether `mem` holds the pattern `pattern(_, seed)` wrote.
fn is_pattern(mem: SharedMem<'_, impl xen_abi::io::shm::Mode>, seed: u8) -> bool {
    (0..4096).all(|i| {
        mem.load_u8(i, Ordering::Relaxed) == Ok((i as u8).wrapping_mul(7).wrapping_add(seed))
    })
}

fn same(
    a: SharedMem<'_, impl xen_abi::io::shm::Mode>,
    ao: usize,
    b: SharedMem<'static>,
    bo: usize,
    n: usize,
) -> bool {
    (0..n).all(|i| {
        a.load_u8(ao + i, Ordering::Relaxed).ok() == b.load_u8(bo + i, Ordering::Relaxed).ok()
    })
}

fn seg(source: Side, dest: Side, len: u16) -> Segment {
    Segment { source, dest, len }
}

fn own(gref: GrantRef, offset: u16) -> Side {
    Side::Grant {
        domid: DomId::SELF,
        gref,
        offset,
    }
}

fn local(page: SharedMem<'static>, offset: u16) -> Side {
    Side::Local { page, offset }
}

/// Ends `g`, retrying a bounded number of times (a peer that keeps the
/// grant forever gets the grant handed back).
fn end<H: Hypercall, P: TablePages>(t: &mut GrantTable<H, P>, g: Grant) -> Result<(), InUse> {
    let mut g = g;
    for _ in 0..4 {
        match t.end_access(g) {
            Ok(()) => return Ok(()),
            Err(busy) => g = busy.grant,
        }
    }
    t.end_access(g)
}

/// Runs the group.
pub fn run<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    let pages = GrantPages::new(cx.hc, cx.platform);
    let foreign_pages = GrantPages::new(cx.hc, cx.platform);
    let foreign = Foreign::new(foreign_pages);

    // 1. Take over the table.
    let table = GrantTable::new(cx.hc, pages);
    t.check(
        "grant: GrantTable::new",
        matches!(&table, Ok(g) if g.version() == Version::V1 && g.frames() >= 1),
        format_args!("{table:?}"),
    );
    let Ok(mut table) = table else {
        // Nothing else can run; keep the plan.
        for _ in 1..PLAN {
            t.check("grant: skipped", false, format_args!("no table"));
        }
        return;
    };

    let (src, dst, rw, aux) = (data(0), data(1), data(2), data(3));
    pattern(src, 1);
    let _ = dst.fill(0, 4096, 0);
    pattern(rw, 9);
    let _ = aux.fill(0, 4096, 0);

    // 2. A read-only grant to ourselves, copied by Xen through the API.
    let ro = table.grant_access(DomId::DOM0, src, Access::ReadOnly);
    let ro = match ro {
        Ok(g) => Some(g),
        Err(e) => {
            t.check("grant: grant_access", false, format_args!("{e:?}"));
            None
        }
    };
    let ro_ref = ro.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    if ro.is_some() {
        let mut st = [GrantStatus::GENERAL_ERROR; 1];
        let r = foreign.copy(&[seg(own(ro_ref, 100), local(dst, 200), 300)], &mut st);
        let ok = r.is_ok() && st[0].is_okay() && same(dst, 200, src, 100, 300);
        t.check(
            "grant: grant_access + copy from it",
            ok && ro_ref.get() >= 8,
            format_args!("ref {ro_ref}: {r:?}, status {:?}", st[0]),
        );
    }

    // 3. A batch of 20 segments (two hypercalls), two of them bad: a ref
    // never granted and a domain that does not exist; each has its status.
    let never = GrantRef::new_unchecked(ro_ref.get() + 1000);
    let mut segs = [seg(own(ro_ref, 0), local(aux, 0), 64); 20];
    for (i, s) in segs.iter_mut().enumerate() {
        *s = seg(
            own(ro_ref, (i * 64) as u16),
            local(aux, (i * 64) as u16),
            64,
        );
    }
    segs[5].source = own(never, 0);
    segs[17].source = Side::Grant {
        domid: DomId::new_unchecked(0x7000),
        gref: ro_ref,
        offset: 0,
    };
    let mut st = [GrantStatus::OKAY; 20];
    let r = foreign.copy(&segs, &mut st);
    let good = (0..20)
        .filter(|&i| i != 5 && i != 17)
        .all(|i| st[i].is_okay() && same(aux, i * 64, src, i * 64, 64));
    let untouched = (0..64).all(|i| aux.load_u8(5 * 64 + i, Ordering::Relaxed) == Ok(0));
    t.check(
        "grant: copy batch, per-segment status",
        r.is_ok() && good && untouched && !st[5].is_okay() && st[17] == GrantStatus::BAD_DOMAIN,
        format_args!(
            "{r:?}; never-granted ref: {:?}, bad domain: {:?}",
            st[5], st[17]
        ),
    );

    // 4. A read-only grant is no copy destination; a read-write one is.
    let rwg = table.grant_access(DomId::DOM0, rw, Access::ReadWrite);
    let rw_ref = rwg.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    let mut st = [GrantStatus::OKAY; 2];
    let r = foreign.copy(
        &[
            seg(local(dst, 0), own(ro_ref, 0), 16),
            seg(local(src, 0), own(rw_ref, 512), 16),
        ],
        &mut st,
    );
    let e = rwg.map(|g| end(&mut table, g).map_err(|b| b.flags));
    t.check(
        "grant: copy into read-only / read-write grants",
        r.is_ok()
            && !st[0].is_okay()
            && st[1].is_okay()
            && same(rw, 512, src, 0, 16)
            && matches!(e, Ok(Ok(()))),
        format_args!("{r:?}, statuses {:?}, end {e:?}", st),
    );

    // 5. Our own grant mapped read-write: Xen marks it in use, end_access
    // refuses (bounded), the mapping shows the page; after the unmap (on
    // drop) it ends.
    let mapped = data(4);
    pattern(mapped, 3);
    let rwg = table.grant_access(DomId::DOM0, mapped, Access::ReadWrite);
    let rw_ref = rwg.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    let m = foreign.map_read_write(DomId::DOM0, rw_ref);
    let mut rwg = rwg.ok();
    if let (Ok(m), Some(g)) = (&m, rwg.take()) {
        let seen = is_pattern(m.mem(), 3);
        let _ = m.mem().store_u8(4000, 0xa5, Ordering::SeqCst);
        // PV: the write shows in our own page; PVH: our page now lives at
        // the mapping only (see `DATA`).
        let through = if cx.platform.is_pv() { mapped } else { m.mem() }
            .load_u8(4000, Ordering::SeqCst)
            == Ok(0xa5);
        let in_use = table.in_use(&g);
        let flags = match end(&mut table, g) {
            Ok(()) => None,
            Err(busy) => {
                rwg = Some(busy.grant);
                Some(busy.flags)
            }
        };
        t.check(
            "grant: end_access refused while mapped",
            seen && through
                && in_use
                && flags.is_some_and(|f| {
                    f.contains(GrantEntryFlags::READING | GrantEntryFlags::WRITING)
                }),
            format_args!(
                "handle {:?}: contents {seen}, write-through {through}, refused with {flags:?}",
                m.handle()
            ),
        );
    } else {
        t.check(
            "grant: end_access refused while mapped",
            false,
            format_args!("map: {m:?}"),
        );
    }
    let unmapped = m.map(|m| m.unmap());
    let ended = rwg.map(|g| end(&mut table, g).map_err(|b| b.flags));
    t.check(
        "grant: unmap, then end_access",
        matches!(unmapped, Ok(Ok(()))) && matches!(ended, Some(Ok(()))),
        format_args!("unmap {unmapped:?}, end_access {ended:?}"),
    );

    // 7. Mapping what was never granted, beyond the table, from a domain
    // that does not exist, or a read-only grant writable: typed errors.
    let bad = [
        foreign.map_read_only(DomId::DOM0, never).map(drop),
        foreign
            .map_read_only(DomId::DOM0, GrantRef::new_unchecked(0xfff_fff0))
            .map(drop),
        foreign
            .map_read_only(DomId::new_unchecked(0x7000), ro_ref)
            .map(drop),
        foreign.map_read_write(DomId::DOM0, ro_ref).map(drop),
    ];
    t.check(
        "grant: map bad refs and domains",
        bad[0].is_err()
            && matches!(bad[1], Err(Error::Status(GrantStatus::BAD_GNTREF)))
            && matches!(bad[2], Err(Error::Status(GrantStatus::BAD_DOMAIN)))
            && bad[3].is_err()
            && pages_free(&foreign),
        format_args!(
            "never granted {:?}, beyond {:?}, no domain {:?}, rw of ro {:?}",
            bad[0], bad[1], bad[2], bad[3]
        ),
    );

    // 8. A revoked grant cannot be mapped or copied.
    let revoked = table.grant_access(DomId::DOM0, aux, Access::ReadOnly);
    let rref = revoked.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    let ended = revoked.map(|g| end(&mut table, g).is_ok());
    let m = foreign.map_read_only(DomId::DOM0, rref).map(drop);
    let mut st = [GrantStatus::OKAY; 1];
    let c = foreign.copy(&[seg(own(rref, 0), local(dst, 0), 8)], &mut st);
    t.check(
        "grant: revoked grant refused",
        matches!(ended, Ok(true)) && m.is_err() && c.is_ok() && !st[0].is_okay(),
        format_args!("ref {rref}: ended {ended:?}, map {m:?}, copy {:?}", st[0]),
    );

    // 9. A read-only mapping hands out read-only memory (the type says so).
    let page = data(5);
    pattern(page, 4);
    let g = table.grant_access(DomId::DOM0, page, Access::ReadOnly);
    let gref = g.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    let m = foreign.map_read_only(DomId::DOM0, gref);
    let ok = m.as_ref().is_ok_and(|m| {
        let mem: SharedMem<'_, ReadOnly> = m.mem();
        is_pattern(mem, 4)
    });
    let un = m.map(|m| m.unmap());
    let e = g.map(|g| end(&mut table, g).map_err(|b| b.flags));
    t.check(
        "grant: read-only mapping",
        ok && matches!(un, Ok(Ok(()))) && matches!(e, Ok(Ok(()))),
        format_args!("ref {gref}: contents {ok}, unmap {un:?}, end {e:?}"),
    );
    let ro_end = ro.map(|g| end(&mut table, g).map_err(|b| b.flags));

    // 10. Exhaustion: the table grows frame by frame to its maximum, then
    // says TableFull; every reference handed out once, none reserved.
    let before = table.frames();
    let mut all = Vec::with_capacity(table.max_frames() as usize * 512);
    let full = loop {
        match table.grant_access(DomId::DOM0, aux, Access::ReadOnly) {
            Ok(g) => all.push(g),
            Err(e) => break e,
        }
        if all.len() > 9000 {
            break Error::Xen(Errno::E2BIG);
        }
    };
    let size = table.query_size();
    let low = all.iter().map(|g| g.gref().get()).min().unwrap_or(0);
    t.check(
        "grant: table growth to exhaustion",
        matches!(full, Error::TableFull { .. })
            && table.frames() == table.max_frames()
            && all.len() as u32 == table.capacity() - 8
            && low >= 8
            && matches!(size, Ok(s) if s.nr_frames == table.frames())
            && matches!(ro_end, Some(Ok(()))),
        format_args!(
            "{} grants, frames {before} -> {} of {}, then {full}; Xen says {size:?}",
            all.len(),
            table.frames(),
            table.max_frames()
        ),
    );

    // 11. Reuse: a freed reference is the next one handed out.
    let freed = all.swap_remove(1234.min(all.len().saturating_sub(1)));
    let fref = freed.gref();
    let e = end(&mut table, freed).map_err(|b| b.flags);
    let again = table.grant_access(DomId::DOM0, aux, Access::ReadOnly);
    let reused = again.as_ref().is_ok_and(|g| g.gref() == fref);
    if let Ok(g) = again {
        all.push(g);
    }
    t.check(
        "grant: reference reuse",
        e.is_ok() && reused,
        format_args!("ended {fref}: {e:?}, handed out again: {reused}"),
    );

    // 12. Version switch rules: not while grants are outstanding.
    let refused = table.set_version(Version::V2);
    let n = all.len();
    let ended = all
        .drain(..)
        .map(|g| end(&mut table, g))
        .filter(Result::is_ok)
        .count();
    let v2 = table.set_version(Version::V2);
    let got = gnttab::get_version(cx.hc, DomId::SELF);
    t.check(
        "grant: set_version(V2) only with no grant outstanding",
        matches!(refused, Err(Error::GrantsOutstanding(_)))
            && ended == n
            && v2.is_ok()
            && got == Ok(2)
            && table.status_frames() >= 1,
        format_args!(
            "with {n} out: {refused:?}; after ending {ended}: {v2:?}, Xen says v{got:?}, {} status frames",
            table.status_frames()
        ),
    );

    v2_checks(t, &mut table, &foreign);

    // 17. Back to v1: the status frames go.
    let v1 = table.set_version(Version::V1);
    let got = gnttab::get_version(cx.hc, DomId::SELF);
    t.check(
        "grant: set_version(V1)",
        v1.is_ok() && got == Ok(1) && table.status_frames() == 0 && table.outstanding() == 0,
        format_args!("{v1:?}, Xen says v{got:?}; {table:?}"),
    );
}

/// No mapping slot is held.
fn pages_free<H: Hypercall>(f: &Foreign<GrantPages<'_, H>>) -> bool {
    f.pages().no_mapping_held()
}

/// Checks 13-16, on a v2 table.
fn v2_checks<H: Hypercall, T: Hypercall, P: TablePages>(
    t: &mut Tester,
    table: &mut GrantTable<T, P>,
    foreign: &Foreign<GrantPages<'_, H>>,
) {
    let (src, dst) = (data(0), data(1));
    let _ = dst.fill(0, 4096, 0);

    // 13. A v2 full-page grant, copied.
    let g = table.grant_access(DomId::DOM0, src, Access::ReadOnly);
    let gref = g.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    let mut st = [GrantStatus::GENERAL_ERROR; 1];
    let r = foreign.copy(&[seg(own(gref, 8), local(dst, 8), 100)], &mut st);
    let e = g.map(|g| end(table, g).map_err(|b| b.flags));
    t.check(
        "grant: v2 grant_access + copy",
        r.is_ok() && st[0].is_okay() && same(dst, 8, src, 8, 100) && matches!(e, Ok(Ok(()))),
        format_args!("ref {gref}: {r:?}, status {:?}, end {e:?}", st[0]),
    );

    // 14. v2 status frames: a mapped grant shows in them; end_access
    // refuses until the unmap.
    let g = table.grant_access(DomId::DOM0, data(6), Access::ReadWrite);
    let gref = g.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    let m = foreign.map_read_write(DomId::DOM0, gref);
    let (in_use, busy) = match g {
        Ok(g) => {
            let in_use = table.in_use(&g);
            match end(table, g) {
                Ok(()) => (in_use, None),
                Err(b) => (in_use, Some(b)),
            }
        }
        Err(_) => (false, None),
    };
    let flags = busy.as_ref().map(|b| b.flags);
    let un = m.map(|m| m.unmap());
    let after = busy.map(|b| end(table, b.grant).map_err(|b| b.flags));
    t.check(
        "grant: v2 end_access refused while mapped (status frame)",
        in_use
            && flags
                .is_some_and(|f| f.contains(GrantEntryFlags::READING | GrantEntryFlags::WRITING))
            && matches!(un, Ok(Ok(())))
            && matches!(after, Some(Ok(()))),
        format_args!(
            "ref {gref}: in use {in_use}, refused with {flags:?}, unmap {un:?}, then {after:?}"
        ),
    );

    // 15. A sub-page grant: bytes 1024..1280 only.
    let g = table.grant_sub_page(DomId::DOM0, src, 1024, 256, Access::ReadOnly);
    let gref = g.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    let mut st = [GrantStatus::GENERAL_ERROR; 2];
    let r = foreign.copy(
        &[
            seg(own(gref, 1024), local(dst, 1024), 256),
            seg(own(gref, 1000), local(dst, 2000), 64),
        ],
        &mut st,
    );
    let e = g.map(|g| end(table, g).map_err(|b| b.flags));
    t.check(
        "grant: v2 sub-page grant",
        r.is_ok()
            && st[0].is_okay()
            && !st[1].is_okay()
            && same(dst, 1024, src, 1024, 256)
            && matches!(e, Ok(Ok(()))),
        format_args!(
            "ref {gref}: {r:?}, inside {:?}, outside {:?}, end {e:?}",
            st[0], st[1]
        ),
    );

    // 16. A transitive grant: in one domain it can only point at our own
    // table, which Xen refuses ("transitive grants cannot be
    // self-referential": general_error), leaving the destination alone and
    // both grants free to end. The working path needs a second domain (the
    // dom0 tier).
    let _ = dst.fill(0, 4096, 0);
    let inner = table.grant_access(DomId::DOM0, src, Access::ReadOnly);
    let iref = inner.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    let outer = table.grant_transitive(DomId::DOM0, DomId::DOM0, iref);
    let oref = outer.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    let mut st = [GrantStatus::OKAY; 1];
    let r = foreign.copy(&[seg(own(oref, 0), local(dst, 0), 64)], &mut st);
    let untouched = (0..64).all(|i| dst.load_u8(i, Ordering::Relaxed) == Ok(0));
    let e1 = outer.map(|g| end(table, g).map_err(|b| b.flags));
    let e2 = inner.map(|g| end(table, g).map_err(|b| b.flags));
    t.check(
        "grant: v2 transitive grant to ourselves refused",
        r.is_ok()
            && st[0] == GrantStatus::GENERAL_ERROR
            && untouched
            && matches!(e1, Ok(Ok(())))
            && matches!(e2, Ok(Ok(()))),
        format_args!(
            "ref {oref} -> {iref}: {r:?}, status {:?}, destination untouched {untouched}, end {e1:?} {e2:?}",
            st[0]
        ),
    );
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests: grant tables on Arm, raw (`grant_table_op`: query_size,
//! versions; Arm has v1 only) and through xen-grant's in-guest half over
//! the device tree's grant-table region: the table's frames mapped there
//! with `XENMAPSPACE_grant_table`, a grant to ourselves copied by Xen and
//! mapped at a slot of the region, `end_access` refused while mapped.

use xen_abi::grant_table::GrantRef;
use xen_abi::io::shm::{Ordering, SharedMem};
use xen_abi::xen::DomId;
use xen_abi::Errno;
use xen_grant::guest::{Access, Foreign, Grant, GrantTable, InUse, Segment, Side, TablePages};
use xen_hypercall::arch::aarch64::Hvc;
use xen_hypercall::grant_table as gnttab;
use xen_hypercall::Hypercall;

use super::super::pages::{page_mem, ArmPages, TestPage};
use super::Ctx;
use crate::{arm_page_addr, Tester};

/// Checks this group makes.
pub const PLAN: u32 = 10;

/// Pages we grant and copy into.
static mut DATA: [TestPage; 3] = [const { TestPage::new() }; 3];

fn data(i: usize) -> SharedMem<'static> {
    let addr = arm_page_addr!(DATA) + (i as u64) * 4096;
    // SAFETY: our static pages, reached only through such handles.
    unsafe { page_mem(addr) }.expect("a static page")
}

fn pattern(m: SharedMem<'static>, seed: u8) {
    for i in 0..4096 {
        let _ = m.store_u8(
            i,
            (i as u8).wrapping_mul(7).wrapping_add(seed),
            Ordering::Relaxed,
        );
    }
}

fn is_pattern(m: SharedMem<'_>, seed: u8, from: usize, len: usize, shift: usize) -> bool {
    (from..from + len).all(|i| {
        m.load_u8(i, Ordering::Relaxed)
            == Ok(((i + shift) as u8).wrapping_mul(7).wrapping_add(seed))
    })
}

/// `end_access`, retried a few times (Xen may still be letting go).
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
pub fn run(t: &mut Tester, cx: &Ctx) {
    let hc = &cx.hc;
    let size = gnttab::query_size(hc, DomId::SELF);
    t.check(
        "grant_table_op: GNTTABOP_query_size",
        matches!(size, Ok(s) if s.nr_frames >= 1 && s.max_nr_frames >= s.nr_frames),
        format_args!("{size:?}"),
    );
    let v = gnttab::get_version(hc, DomId::SELF);
    let v2 = gnttab::set_version(hc, 2);
    let v1 = gnttab::set_version(hc, 1);
    t.check(
        "grant_table_op: v1 only on Arm",
        v == Ok(1) && v2 == Err(Errno::ENOSYS) && v1 == Ok(1),
        format_args!("get_version {v:?}, set_version(2) {v2:?}, set_version(1) {v1:?}"),
    );

    let Some((base, _)) = cx.dt.grant_region else {
        for _ in 2..PLAN {
            t.check(
                "grants",
                false,
                format_args!("no grant-table region in the device tree"),
            );
        }
        return;
    };
    let table = GrantTable::new(Hvc, ArmPages::new(hc, base));
    t.check(
        "xen-grant: table over the device tree's region",
        table.is_ok(),
        format_args!(
            "region at {base:#x}: {:?}",
            table
                .as_ref()
                .map(|t| (t.version(), t.frames(), t.max_frames()))
        ),
    );
    let Ok(mut table) = table else {
        for _ in 3..PLAN {
            t.check("grants", false, format_args!("no grant table"));
        }
        return;
    };
    let foreign = Foreign::new(ArmPages::new(hc, base));
    let (src, dst, mapped) = (data(0), data(1), data(2));
    pattern(src, 1);
    let _ = dst.fill(0, 4096, 0);
    pattern(mapped, 3);

    // A read-only grant to ourselves, copied by Xen.
    let ro = table.grant_access(DomId::DOM0, src, Access::ReadOnly);
    let ro_ref = ro.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    let seg = Segment {
        source: Side::Grant {
            domid: DomId::DOM0,
            gref: ro_ref,
            offset: 100,
        },
        dest: Side::Local {
            page: dst,
            offset: 200,
        },
        len: 300,
    };
    let mut st = [xen_abi::grant_table::GrantStatus::GENERAL_ERROR; 1];
    let r = foreign.copy(&[seg], &mut st);
    t.check(
        "xen-grant: grant_access, GNTTABOP_copy from it",
        ro.is_ok()
            && r.is_ok()
            && st[0].is_okay()
            && is_pattern(dst.sub(200, 300).unwrap_or(dst), 1, 0, 300, 100),
        format_args!("ref {ro_ref}: {r:?}, status {:?}", st[0]),
    );
    // Copying into a read-only grant is refused per segment.
    let back = Segment {
        source: Side::Local {
            page: dst,
            offset: 0,
        },
        dest: Side::Grant {
            domid: DomId::DOM0,
            gref: ro_ref,
            offset: 0,
        },
        len: 16,
    };
    let mut st2 = [xen_abi::grant_table::GrantStatus::OKAY; 1];
    let r2 = foreign.copy(&[back], &mut st2);
    t.check(
        "xen-grant: no copy into a read-only grant",
        r2.is_ok() && !st2[0].is_okay() && is_pattern(src, 1, 0, 16, 0),
        format_args!("{r2:?}, status {:?}", st2[0]),
    );
    let e = ro.map(|g| end(&mut table, g).map_err(|b| b.flags));
    t.check(
        "xen-grant: end_access of an unused grant",
        matches!(e, Ok(Ok(()))),
        format_args!("{e:?}"),
    );

    // Our own grant mapped read-write at a slot of the region: Xen marks
    // it in use, end_access refuses; after the unmap it ends.
    let rw = table.grant_access(DomId::DOM0, mapped, Access::ReadWrite);
    let rw_ref = rw.as_ref().map_or(GrantRef::INVALID, Grant::gref);
    let m = foreign.map_read_write(DomId::DOM0, rw_ref);
    let mut rw = rw.ok();
    match (&m, rw.take()) {
        (Ok(m), Some(g)) => {
            let seen = is_pattern(m.mem(), 3, 0, 4096, 0);
            let _ = m.mem().store_u8(4000, 0xa5, Ordering::SeqCst);
            let back = m.mem().load_u8(4000, Ordering::SeqCst);
            let flags = match end(&mut table, g) {
                Ok(()) => None,
                Err(busy) => {
                    rw = Some(busy.grant);
                    Some(busy.flags)
                }
            };
            t.check(
                "xen-grant: own grant mapped, end_access refused while mapped",
                seen && back == Ok(0xa5) && flags.is_some(),
                format_args!(
                    "at {:#x}: contents {seen}, write {back:?}, refused with {flags:?}",
                    m.mem().addr()
                ),
            );
        }
        (m, g) => {
            rw = g;
            t.check(
                "xen-grant: own grant mapped, end_access refused while mapped",
                false,
                format_args!("map: {:?}", m.as_ref().map(|m| m.handle())),
            );
        }
    }
    let unmapped = m.map(|m| m.unmap());
    let ended = rw.map(|g| end(&mut table, g).map_err(|b| b.flags));
    t.check(
        "xen-grant: unmap, then end_access",
        matches!(unmapped, Ok(Ok(())))
            && matches!(ended, Some(Ok(())))
            && foreign.pages().no_mapping_held(),
        format_args!("unmap {unmapped:?}, end_access {ended:?}"),
    );
    // Never granted, and a domain that does not exist: typed refusals.
    let never = foreign.map_read_only(DomId::DOM0, GrantRef::new_unchecked(ro_ref.get() + 1000));
    let nobody = foreign.map_read_only(DomId::new_unchecked(0x7000), ro_ref);
    t.check(
        "xen-grant: mapping a never-granted ref or a missing domain",
        never.is_err() && nobody.is_err(),
        format_args!(
            "{:?}, {:?}",
            never.map(|m| m.handle()),
            nobody.map(|m| m.handle())
        ),
    );
    // Growing the table maps frame 1 at the next slot of the region.
    let before = table.frames();
    let grown = table.grow_to(before + 1);
    let size = table.query_size();
    t.check(
        "xen-grant: grow_to maps one more frame (XENMAPSPACE_grant_table)",
        grown.is_ok()
            && table.frames() == before + 1
            && matches!(size, Ok(s) if s.nr_frames == before + 1),
        format_args!(
            "{before} -> {}: {grown:?}, Xen says {size:?}",
            table.frames()
        ),
    );
}

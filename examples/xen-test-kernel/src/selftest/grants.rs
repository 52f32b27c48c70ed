// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests: grant tables (`GNTTABOP_*`), including a grant to ourselves
//! that Xen copies from.

use core::mem::offset_of;

use xen_abi::grant_table::{
    CacheFlush, CacheFlushOp, CopyPtr, GntCopyFlags, GntMapFlags, GrantCopy, GrantEntryFlags,
    GrantEntryV1, GrantHandle, GrantRef, GrantStatus, MapGrantRef, SwapGrantRef, Transfer,
    UnmapGrantRef,
};
use xen_abi::io::shm::Ordering;
use xen_abi::memory::MapSpace;
use xen_abi::xen::{DomId, Gfn, Mfn, UvmFlags};
use xen_abi::Errno;
use xen_hypercall::grant_table::{self as gnttab, GrantError};
use xen_hypercall::{memory, mmu, Hypercall};

use super::memory::{fill, frame_of, page_mem, peek, TestPage, PTE_RW};
use super::{Ctx, Platform};
use crate::{page_addr, Tester};

/// Checks this group makes.
pub const PLAN: u32 = 16;

/// Where grant-table frame 0 is mapped.
static mut TABLE_PAGE: TestPage = TestPage::new();
/// The page we grant to ourselves.
static mut SOURCE_PAGE: TestPage = TestPage::new();
/// Where Xen copies the granted bytes.
static mut DEST_PAGE: TestPage = TestPage::new();

/// Where a PVH guest maps status frame 0 (never touched).
static mut STATUS_PAGE: TestPage = TestPage::new();

/// The reference of our self-grant (past the reserved ones).
const SELF_REF: u32 = 10;

/// Byte offset of v1 entry `r` in the mapped table frame.
fn entry_at(r: u32) -> usize {
    r as usize * core::mem::size_of::<GrantEntryV1>()
}

/// Writes v1 entry `r` of the mapped table: domid and frame, then flags
/// with release ordering (Xen must see a valid entry once the flags say so).
fn write_entry(table: u64, r: u32, flags: GrantEntryFlags, domid: DomId, frame: u32) {
    let (t, e) = (page_mem(table), entry_at(r));
    let _ = t.store_u16(
        e + offset_of!(GrantEntryV1, domid),
        domid.get(),
        Ordering::Relaxed,
    );
    let _ = t.store_u32(
        e + offset_of!(GrantEntryV1, frame),
        frame,
        Ordering::Relaxed,
    );
    let _ = t.store_u16(
        e + offset_of!(GrantEntryV1, flags),
        flags.bits(),
        Ordering::Release,
    );
}

/// Reads v1 entry `r`'s (flags, domid, frame).
fn read_entry(table: u64, r: u32) -> (u16, u16, u32) {
    let (t, e) = (page_mem(table), entry_at(r));
    let flags = t.load_u16(e + offset_of!(GrantEntryV1, flags), Ordering::Acquire);
    let domid = t.load_u16(e + offset_of!(GrantEntryV1, domid), Ordering::Relaxed);
    let frame = t.load_u32(e + offset_of!(GrantEntryV1, frame), Ordering::Relaxed);
    (
        flags.unwrap_or(u16::MAX),
        domid.unwrap_or(u16::MAX),
        frame.unwrap_or(u32::MAX),
    )
}

/// Runs the group.
pub fn run<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    let hc = cx.hc;
    let pv = cx.platform.is_pv();

    // 1. query_size.
    let size = gnttab::query_size(hc, DomId::SELF);
    t.check(
        "grants: query_size",
        matches!(size, Ok(s) if s.nr_frames >= 1 && s.nr_frames <= s.max_nr_frames),
        format_args!("asked for our table's size, Xen said {size:?}"),
    );

    // 2. get_version: a fresh table is v1.
    let v = gnttab::get_version(hc, DomId::SELF);
    t.check(
        "grants: get_version",
        v == Ok(1),
        format_args!("Xen said {v:?}, wanted 1"),
    );

    // 3. setup_table for one frame.
    let mut frames = [Gfn::default(); 1];
    let r = gnttab::setup_table(hc, DomId::SELF, &mut frames);
    let frame0 = frames[0].get();
    t.check(
        "grants: setup_table",
        r.is_ok()
            && (if pv {
                frame0 != 0 && frame0 != u64::MAX
            } else {
                frame0 == u64::MAX
            }),
        format_args!(
            "asked for 1 frame, Xen said {r:?}, frame {frame0:#x} ({})",
            if pv {
                "a machine frame"
            } else {
                "not mapped yet: INVALID"
            }
        ),
    );

    // 4. Map table frame 0 over our page.
    let table = page_addr!(TABLE_PAGE);
    let mapped = match cx.platform {
        Platform::Pv { .. } => {
            // SAFETY: TABLE_PAGE is used for nothing else.
            let r = unsafe {
                mmu::update_va_mapping(hc, table, (frame0 << 12) | PTE_RW, UvmFlags::INVLPG)
            };
            t.check(
                "grants: map table frame",
                r.is_ok() && read_entry(table, 0).1 == 0,
                format_args!(
                    "update_va_mapping to mfn {frame0:#x}: {r:?}; entry 0 {:?}",
                    read_entry(table, 0)
                ),
            );
            r.is_ok()
        }
        Platform::Pvh { .. } => {
            let gfn = Gfn::containing(table);
            // SAFETY: TABLE_PAGE is used for nothing else; its RAM goes away.
            let r = unsafe {
                memory::add_to_physmap(hc, DomId::SELF, MapSpace::GRANT_TABLE, 0, gfn, 0)
            };
            let mut again = [Gfn::default(); 1];
            let s = gnttab::setup_table(hc, DomId::SELF, &mut again);
            t.check(
                "grants: map table frame",
                r.is_ok() && s.is_ok() && again[0] == gfn,
                format_args!("add_to_physmap(grant_table 0) at gfn {gfn:#x}: {r:?}; setup_table now says {:#x}", again[0]),
            );
            r.is_ok()
        }
    };

    // 5. A grant to ourselves, copied by Xen.
    let src = page_addr!(SOURCE_PAGE);
    let dst = page_addr!(DEST_PAGE);
    let source = page_mem(src);
    for i in 0..4096 {
        let _ = source.store_u8(i, (i * 7) as u8, Ordering::Relaxed);
    }
    fill(dst, 0);
    let src_frame = frame_of(cx.platform, src);
    let dst_frame = frame_of(cx.platform, dst);
    if mapped {
        write_entry(
            table,
            SELF_REF,
            GrantEntryFlags::PERMIT_ACCESS | GrantEntryFlags::READONLY,
            DomId::DOM0,
            src_frame as u32,
        );
    }
    let mut op = [GrantCopy {
        source: CopyPtr::from_gref(GrantRef::new_unchecked(SELF_REF), DomId::SELF, 100),
        dest: CopyPtr::from_gmfn(Gfn::new_unchecked(dst_frame), DomId::SELF, 200),
        len: 300,
        flags: GntCopyFlags::SOURCE_GREF,
        ..GrantCopy::default()
    }];
    // SAFETY: the destination is our dedicated page.
    let r = unsafe { gnttab::copy(hc, &mut op) };
    let same = (0..300).all(|i| peek(dst, 200 + i) == peek(src, 100 + i));
    let untouched = peek(dst, 199) == 0 && peek(dst, 500) == 0;
    t.check(
        "grants: copy from a self-grant",
        mapped && r.is_ok() && op[0].status == GrantStatus::OKAY && same && untouched,
        format_args!(
            "300 bytes from gref {SELF_REF} (frame {src_frame:#x}) to frame {dst_frame:#x}: {r:?}, status {:?}, bytes {}",
            op[0].status,
            if same && untouched { "match" } else { "differ" }
        ),
    );

    // 6. copy from a reference past the table: per-op status.
    let mut bad = op;
    bad[0].source.set_gref(GrantRef::new_unchecked(0xfff_fff0));
    bad[0].status = GrantStatus::OKAY;
    // SAFETY: as above.
    let r = unsafe { gnttab::copy(hc, &mut bad) };
    t.check(
        "grants: copy from a bad gref",
        r.is_ok() && bad[0].status == GrantStatus::BAD_GNTREF,
        format_args!(
            "hypercall {r:?}, status {:?} (wanted bad_gntref)",
            bad[0].status
        ),
    );

    // 7. map_grant_ref of a bad reference: status, not errno.
    let mut map = [MapGrantRef {
        host_addr: dst,
        flags: GntMapFlags::HOST_MAP,
        gref: GrantRef::new_unchecked(0xfff_fff0),
        dom: DomId::DOM0,
        ..MapGrantRef::default()
    }];
    // SAFETY: the reference is refused before anything is mapped.
    let r = unsafe { gnttab::map_grant_ref(hc, &mut map) };
    t.check(
        "grants: map_grant_ref(bad ref)",
        r.is_ok() && map[0].status == GrantStatus::BAD_GNTREF,
        format_args!(
            "hypercall {r:?}, status {:?} (wanted bad_gntref)",
            map[0].status
        ),
    );

    // 8. unmap_grant_ref of a handle we never got.
    let mut unmap = [UnmapGrantRef {
        host_addr: dst,
        handle: GrantHandle::new(12345),
        ..UnmapGrantRef::default()
    }];
    // SAFETY: the handle is refused before anything is unmapped.
    let r = unsafe { gnttab::unmap_grant_ref(hc, &mut unmap) };
    t.check(
        "grants: unmap_grant_ref(bad handle)",
        r.is_ok() && unmap[0].status == GrantStatus::BAD_HANDLE,
        format_args!(
            "hypercall {r:?}, status {:?} (wanted bad_handle)",
            unmap[0].status
        ),
    );

    // 9. swap_grant_ref of two unused entries, read back from the table.
    let (a, b) = (11, 12);
    if mapped {
        write_entry(
            table,
            a,
            GrantEntryFlags::empty(),
            DomId::new_unchecked(1),
            0x1111,
        );
        write_entry(
            table,
            b,
            GrantEntryFlags::empty(),
            DomId::new_unchecked(2),
            0x2222,
        );
    }
    let mut swap = [SwapGrantRef {
        ref_a: GrantRef::new_unchecked(a),
        ref_b: GrantRef::new_unchecked(b),
        ..SwapGrantRef::default()
    }];
    let r = gnttab::swap_grant_ref(hc, &mut swap);
    let (ea, eb) = (read_entry(table, a), read_entry(table, b));
    t.check(
        "grants: swap_grant_ref",
        mapped
            && r.is_ok()
            && swap[0].status == GrantStatus::OKAY
            && ea == (0, 2, 0x2222)
            && eb == (0, 1, 0x1111),
        format_args!(
            "swapped refs {a} and {b}: {r:?}, status {:?}; now {ea:x?} / {eb:x?}",
            swap[0].status
        ),
    );

    // 10. dump_table: in the header, but Xen implements it only as a
    // debug key, not as a hypercall.
    let r = gnttab::dump_table(hc, DomId::SELF);
    t.check(
        "grants: dump_table",
        r == Err(GrantError::Errno(Errno::ENOSYS)),
        format_args!("Xen said {r:?} (not implemented as a hypercall)"),
    );

    // 11. transfer of a frame we do not have.
    let mut xfer = [Transfer {
        mfn: Mfn::new_unchecked(0xf_ffff_ffff),
        domid: DomId::DOM0,
        gref: GrantRef::new_unchecked(SELF_REF),
        ..Transfer::default()
    }];
    // SAFETY: the frame is not ours (nor RAM): Xen refuses it.
    let r = unsafe { gnttab::transfer(hc, &mut xfer) };
    if pv {
        t.check(
            "grants: transfer(bad frame)",
            r.is_ok() && xfer[0].status == GrantStatus::BAD_PAGE,
            format_args!(
                "hypercall {r:?}, status {:?} (wanted bad_page)",
                xfer[0].status
            ),
        );
    } else {
        t.check_err("grants: transfer on PVH", &r, Errno::ENOSYS);
    }

    // 12. cache_flush: an Arm operation.
    let mut flush = [CacheFlush::default()];
    flush[0].set_gref(GrantRef::new_unchecked(SELF_REF));
    flush[0].length = 64;
    flush[0].op = CacheFlushOp::CLEAN | CacheFlushOp::SOURCE_GREF;
    // SAFETY: a clean only writes back; the grant is our own page.
    let r = unsafe { gnttab::cache_flush(hc, &mut flush) };
    if pv {
        t.check_err(
            "grants: cache_flush(SOURCE_GREF) on x86 PV",
            &r,
            Errno::EINVAL,
        );
    } else {
        t.check_err("grants: cache_flush on PVH", &r, Errno::ENOSYS);
    }

    // Clear our entries before switching versions.
    if mapped {
        for r in [SELF_REF, a, b] {
            write_entry(table, r, GrantEntryFlags::empty(), DomId::DOM0, 0);
        }
    }

    // 13. v1 -> v2.
    let set = gnttab::set_version(hc, 2);
    let got = gnttab::get_version(hc, DomId::SELF);
    t.check(
        "grants: set_version(2)",
        set == Ok(2) && got == Ok(2),
        format_args!("set_version said {set:?}, get_version {got:?}"),
    );

    // 14. Status frames exist on v2.
    let mut status = [0u64; 1];
    let r = gnttab::get_status_frames(hc, DomId::SELF, &mut status);
    if pv {
        t.check(
            "grants: get_status_frames on v2",
            r.is_ok() && status[0] != 0 && status[0] != u64::MAX,
            format_args!("Xen said {r:?}, frame {:#x}", status[0]),
        );
    } else {
        // PVH maps status frames with add_to_physmap instead.
        let gfn = Gfn::containing(page_addr!(STATUS_PAGE));
        // SAFETY: STATUS_PAGE is never touched; its RAM goes away.
        let m = unsafe {
            memory::add_to_physmap(
                hc,
                DomId::SELF,
                MapSpace::GRANT_TABLE,
                MapSpace::GRANT_TABLE_STATUS_IDX,
                gfn,
                0,
            )
        };
        t.check(
            "grants: status frame on v2 (PVH: add_to_physmap)",
            r == Err(GrantError::Errno(Errno::ENOSYS)) && m.is_ok(),
            format_args!(
                "get_status_frames said {r:?}; add_to_physmap(status 0) at gfn {gfn:#x} said {m:?}"
            ),
        );
    }

    // 15. v2 -> v1.
    let set = gnttab::set_version(hc, 1);
    let got = gnttab::get_version(hc, DomId::SELF);
    t.check(
        "grants: set_version(1)",
        set == Ok(1) && got == Ok(1),
        format_args!("set_version said {set:?}, get_version {got:?}"),
    );

    // 16. ... and not on v1.
    let r = gnttab::get_status_frames(hc, DomId::SELF, &mut status);
    let want = if pv {
        GrantError::Status(GrantStatus::GENERAL_ERROR)
    } else {
        GrantError::Errno(Errno::ENOSYS)
    };
    t.check(
        "grants: get_status_frames on v1",
        r == Err(want),
        format_args!("Xen said {r:?}, wanted {want:?}"),
    );
}

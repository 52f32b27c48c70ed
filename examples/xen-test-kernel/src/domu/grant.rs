// SPDX-License-Identifier: MIT OR Apache-2.0
//! Grants across two domains, through xen-grant's in-guest half (dom0's
//! side, `xen-store/tests/dom0_domu.rs`, uses its gntdev/gntalloc half).
//!
//! 1. We take over our grant table ([`GrantTable`], PV frames), grant dom0
//!    one page read-write with a pattern, and publish the reference in
//!    [`REF`]. Dom0 maps it with gntdev, checks the pattern, writes its
//!    reply and, still holding the mapping, writes [`MAPPED`].
//! 2. `end_access` must then be refused ([`InUse`](xen_grant::guest::InUse):
//!    the XSA-396 check, across domains); we say so in [`BUSY`]. Dom0
//!    unmaps, shares a page of its own with gntalloc and publishes its
//!    reference in [`DOM0_REF`]; our page must hold dom0's reply, and
//!    `end_access` must now succeed.
//! 3. We map dom0's page ([`Foreign::map_read_write`], a PV host mapping),
//!    check dom0's pattern, write ours, unmap, and copy the page with
//!    `GNTTABOP_copy` from dom0's grant into a page of ours.
//! 4. We switch our table to v2 and grant dom0 transitive access to dom0's
//!    own grant to us ([`TRANS_REF`]); dom0 copies through it (a grant
//!    issued by dom0, handed on to us, granted back to dom0), says so in
//!    [`TRANS_DONE`], and we end the transitive grant.
//!
//! The outcome goes into [`RESULT`]: `ok ...` or `fail: ...`. Every wait is
//! bounded.

use alloc::format;
use alloc::string::String;

use xen_abi::grant_table::{GrantRef, GrantStatus};
use xen_abi::io::shm::Ordering;
use xen_abi::io::shm::{Mode, SharedMem};
use xen_abi::xen::{DomId, StartInfo};
use xen_grant::guest::{Access, Foreign, GrantTable, Segment, Side, Version};
use xen_hypercall::{hvm, sched, Hypercall};
use xen_store::Store;

use crate::page_addr;
use crate::selftest::grant_pages::GrantPages;
use crate::selftest::memory::{page_mem, TestPage};
use crate::selftest::Platform;

/// Our grant's reference, relative to our home.
pub const REF: &str = "data/xenrs-grant/ref";
/// Dom0 writes it once it holds our grant mapped.
pub const MAPPED: &str = "data/xenrs-grant/mapped";
/// We write it once `end_access` was refused while dom0 held the mapping.
pub const BUSY: &str = "data/xenrs-grant/busy";
/// Dom0's gntalloc reference (written after dom0 unmapped ours).
pub const DOM0_REF: &str = "data/xenrs-grant/dom0-ref";
/// Our transitive grant of dom0's grant, back to dom0.
pub const TRANS_REF: &str = "data/xenrs-grant/trans-ref";
/// Dom0's verdict on its copy through [`TRANS_REF`]: `ok` or what it saw.
pub const TRANS_DONE: &str = "data/xenrs-grant/trans-done";
/// Our outcome, relative to our home.
pub const RESULT: &str = "data/xenrs-grant/result";

/// Pattern seeds: our page, dom0's reply in it, dom0's page, our reply.
pub const SEED_DOMU: u8 = 0x11;
/// Dom0's reply in our page.
pub const SEED_DOM0_REPLY: u8 = 0x22;
/// Dom0's own page.
pub const SEED_DOM0: u8 = 0x33;
/// Our reply in dom0's page.
pub const SEED_DOMU_REPLY: u8 = 0x44;

/// How long any one wait may take, in ns of Xen's system time.
const PATIENCE_NS: u64 = 60_000_000_000;

/// The page we grant dom0.
static mut GRANTED: TestPage = TestPage::new();
/// Where we copy dom0's page to.
static mut COPY: TestPage = TestPage::new();

/// The byte at `i` of pattern `seed`.
pub fn pattern_byte(i: usize, seed: u8) -> u8 {
    (i as u8).wrapping_mul(7).wrapping_add(seed)
}

fn fill(page: &SharedMem<'_>, seed: u8) {
    for i in 0..4096 {
        let _ = page.store_u8(i, pattern_byte(i, seed), Ordering::Relaxed);
    }
}

/// The first byte that differs from pattern `seed`, if any.
fn mismatch(page: &SharedMem<'_, impl Mode>, seed: u8) -> Option<(usize, u8)> {
    (0..4096).find_map(|i| {
        let b = page.load_u8(i, Ordering::Relaxed).unwrap_or(0);
        (b != pattern_byte(i, seed)).then_some((i, b))
    })
}

/// Waits (bounded) until `node` reads as something.
fn wait_node<H: Hypercall, S: Store>(hc: &H, xs: &S, node: &str) -> Result<String, String> {
    let start = hvm::get_time(hc).map_err(|e| format!("get_time: {e:?}"))?;
    for _ in 0..1_000_000 {
        if let Ok(v) = xs.read(node) {
            return Ok(String::from_utf8_lossy(&v).into_owned());
        }
        let now = hvm::get_time(hc).map_err(|e| format!("get_time: {e:?}"))?;
        if now.saturating_sub(start) > PATIENCE_NS {
            break;
        }
        let _ = sched::yield_now(hc);
    }
    Err(format!("{node} never appeared (60 s)"))
}

fn exchange<H: Hypercall, S: Store>(
    hc: &H,
    si: *const StartInfo,
    xs: &S,
) -> Result<String, String> {
    let platform = Platform::Pv { start_info: si };
    let pages = GrantPages::new(hc, platform);
    let mut table =
        GrantTable::new(hc, pages).map_err(|e| format!("take over the table: {e:?}"))?;

    // 1. Our page to dom0.
    let page = page_mem(page_addr!(GRANTED));
    fill(&page, SEED_DOMU);
    let grant = table
        .grant_access(DomId::DOM0, page, Access::ReadWrite)
        .map_err(|e| format!("grant_access(dom0): {e:?}"))?;
    let gref = grant.gref();
    xs.write(REF, format!("{}", gref.get()).as_bytes())
        .map_err(|e| format!("write {REF}: {e:?}"))?;
    wait_node(hc, xs, MAPPED)?;

    // 2. Dom0 holds it mapped: end_access must be refused.
    let grant = match table.end_access(grant) {
        Ok(()) => {
            return Err(format!(
                "end_access of ref {gref} succeeded while dom0 mapped it"
            ))
        }
        Err(busy) => busy.grant,
    };
    xs.write(BUSY, b"1")
        .map_err(|e| format!("write {BUSY}: {e:?}"))?;
    let dom0_ref = wait_node(hc, xs, DOM0_REF)?;
    let page = page_mem(page_addr!(GRANTED));
    if let Some((i, b)) = mismatch(&page, SEED_DOM0_REPLY) {
        return Err(format!("dom0's reply: byte {i} is {b:#x}"));
    }
    let mut grant = grant;
    let mut ended = false;
    for _ in 0..1000 {
        match table.end_access(grant) {
            Ok(()) => {
                ended = true;
                break;
            }
            Err(busy) => {
                grant = busy.grant;
                let _ = sched::yield_now(hc);
            }
        }
    }
    if !ended {
        return Err(format!(
            "end_access of ref {gref} still refused after dom0 unmapped"
        ));
    }

    // 3. Dom0's page to us.
    let dom0_ref = dom0_ref
        .parse::<u32>()
        .ok()
        .and_then(|r| GrantRef::new(r).ok())
        .ok_or_else(|| format!("{DOM0_REF} = {dom0_ref:?}"))?;
    let foreign = Foreign::new(GrantPages::new(hc, platform));
    {
        let m = foreign
            .map_read_write(DomId::DOM0, dom0_ref)
            .map_err(|e| format!("map dom0's ref {dom0_ref}: {e:?}"))?;
        let mem = m.mem();
        if let Some((i, b)) = mismatch(&mem, SEED_DOM0) {
            return Err(format!("dom0's page: byte {i} is {b:#x}"));
        }
        fill(&mem, SEED_DOMU_REPLY);
        m.unmap()
            .map_err(|e| format!("unmap dom0's ref {dom0_ref}: {e:?}"))?;
    }
    let copy = page_mem(page_addr!(COPY));
    let seg = Segment {
        source: Side::Grant {
            domid: DomId::DOM0,
            gref: dom0_ref,
            offset: 0,
        },
        dest: Side::Local {
            page: copy,
            offset: 0,
        },
        len: 4096,
    };
    let mut status = [GrantStatus::GENERAL_ERROR];
    foreign
        .copy(&[seg], &mut status)
        .map_err(|e| format!("copy from dom0's ref {dom0_ref}: {e:?}"))?;
    if status[0] != GrantStatus::OKAY {
        return Err(format!("copy from dom0's ref {dom0_ref}: {:?}", status[0]));
    }
    if let Some((i, b)) = mismatch(&page_mem(page_addr!(COPY)), SEED_DOMU_REPLY) {
        return Err(format!("copied page: byte {i} is {b:#x}"));
    }

    // 4. Dom0's grant, granted back to dom0 transitively (v2).
    table
        .set_version(Version::V2)
        .map_err(|e| format!("set_version(v2): {e:?}"))?;
    let trans = table
        .grant_transitive(DomId::DOM0, DomId::DOM0, dom0_ref)
        .map_err(|e| format!("grant_transitive: {e:?}"))?;
    let tref = trans.gref();
    xs.write(TRANS_REF, format!("{}", tref.get()).as_bytes())
        .map_err(|e| format!("write {TRANS_REF}: {e:?}"))?;
    let done = wait_node(hc, xs, TRANS_DONE)?;
    if done != "ok" {
        return Err(format!("dom0's copy through transitive ref {tref}: {done}"));
    }
    table
        .end_access(trans)
        .map_err(|b| format!("end_access of transitive ref {tref}: {:?}", b.flags))?;
    Ok(format!(
        "ok ref {gref} mapped by dom0, end_access refused while mapped then ended; \
         dom0's ref {dom0_ref} mapped, written, unmapped, copied; \
         v2 transitive ref {tref} copied by dom0"
    ))
}

/// Runs the exchange and writes [`RESULT`]; true when it passed.
///
/// # Safety
///
/// `si` is Xen's start_info page of a PV domU.
pub unsafe fn run<H: Hypercall, S: Store>(hc: &H, si: *const StartInfo, xs: &S) -> bool {
    let outcome = exchange(hc, si, xs);
    let line = match &outcome {
        Ok(s) => s.clone(),
        Err(e) => format!("fail: {e}"),
    };
    crate::println!("grants with dom0: {line}");
    if let Err(e) = xs.write(RESULT, line.as_bytes()) {
        crate::println!("could not write {RESULT}: {e:?}");
    }
    outcome.is_ok()
}

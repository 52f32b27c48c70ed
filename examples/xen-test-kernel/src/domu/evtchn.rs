// SPDX-License-Identifier: MIT OR Apache-2.0
//! An interdomain event channel with dom0, through xen-evtchn's in-guest
//! half (dom0's side, `xen-store/tests/dom0_domu.rs`, uses its
//! `/dev/xen/evtchn` half).
//!
//! After the xenstore checks we allocate a port that dom0 may bind
//! ([`EventChannel::alloc_unbound`]), publish it in [`PORT`], and answer
//! each of dom0's [`ROUNDS`] notifications with one of our own, taking
//! events from shared_info through [`TwoLevel`] (waiting in `SCHEDOP_poll`,
//! every wait bounded). Then dom0 drops its port, and our end must turn
//! unbound again. The outcome goes into [`RESULT`]: `ok <rounds> ...` or
//! `fail: ...` (a node of its own: the xenstore report is near the 2048-byte
//! cap of an unprivileged domain's node).

use alloc::format;
use alloc::string::String;
use core::cell::UnsafeCell;
use core::ptr::NonNull;

use xen_abi::event_channel::{ChannelState, EvtchnPort};
use xen_abi::io::shm::SharedMem;
use xen_abi::xen::{DomId, StartInfo, UvmFlags, VcpuId};
use xen_evtchn::guest::{Demux, EventChannel, TwoLevel};
use xen_hypercall::{hvm, mmu, sched, Hypercall};
use xen_store::Store;

/// Where we publish our port, relative to our home.
pub const PORT: &str = "data/xenrs-evtchn/port";
/// Our outcome, relative to our home.
pub const RESULT: &str = "data/xenrs-evtchn/result";
/// Round trips dom0 starts (and we answer).
pub const ROUNDS: u32 = 10;

/// How long any one step may take, in ns of Xen's system time.
const PATIENCE_NS: u64 = 20_000_000_000;
/// One `SCHEDOP_poll`'s timeout, in ns.
const POLL_NS: u64 = 100_000_000;

#[repr(C, align(4096))]
struct Page(UnsafeCell<[u8; 4096]>);

// SAFETY: the page is only reached through `SharedMem` (atomic accesses).
unsafe impl Sync for Page {}

static SHARED_INFO: Page = Page(UnsafeCell::new([0; 4096]));

/// Maps shared_info (PV: its machine frame from start_info) over our page.
pub(crate) fn map_shared_info(
    hc: &impl Hypercall,
    si: *const StartInfo,
) -> Option<SharedMem<'static>> {
    // SAFETY: the caller's start_info stays mapped.
    let ma = unsafe { (*si).shared_info };
    let va = SHARED_INFO.0.get().cast::<u8>();
    // PTE bits of a data page: present, rw, user, accessed, dirty.
    let pte = (ma & !0xfff) | 0x67;
    // SAFETY: remaps our own static page, which nothing else references
    // (every access goes through the `SharedMem` made below).
    unsafe { mmu::update_va_mapping(hc, va as u64, pte, UvmFlags::INVLPG) }.ok()?;
    // SAFETY: the page stays mapped for the kernel's life; Xen writes it
    // concurrently, which `SharedMem`'s atomic accesses tolerate.
    unsafe { SharedMem::new(NonNull::new(va)?, 4096) }.ok()
}

/// Waits (bounded) until `port` fired, taking pending events from `events`.
fn wait_for<H: Hypercall>(hc: &H, events: &mut TwoLevel, port: EvtchnPort) -> Result<(), String> {
    let start = hvm::get_time(hc).map_err(|e| format!("get_time: {e:?}"))?;
    let mut out = [EvtchnPort::ZERO; 16];
    // Each pass polls at most POLL_NS; the pass count bounds a clock that
    // does not move.
    for _ in 0..(2 * PATIENCE_NS / POLL_NS) {
        let n = events
            .take_pending(&mut out)
            .map_err(|e| format!("take_pending: {e:?}"))?;
        if out[..n].contains(&port) {
            return Ok(());
        }
        let now = hvm::get_time(hc).map_err(|e| format!("get_time: {e:?}"))?;
        if now.saturating_sub(start) > PATIENCE_NS {
            break;
        }
        let _ = sched::poll(hc, &[port], now + POLL_NS);
    }
    Err(format!("no event on {port} within 20 s"))
}

/// The exchange; the number of round trips, or what went wrong.
fn exchange<H: Hypercall, S: Store>(hc: &H, si: *const StartInfo, xs: &S) -> Result<u32, String> {
    let shared = map_shared_info(hc, si).ok_or("could not map shared_info")?;
    let mut events = TwoLevel::new(shared, VcpuId::BOOT).map_err(|e| format!("{e:?}"))?;
    let ev = EventChannel::new(hc);
    let port = ev
        .alloc_unbound(DomId::DOM0)
        .map_err(|e| format!("alloc_unbound(dom0): {e:?}"))?;
    let _ = events.clear_pending(port);
    xs.write(PORT, format!("{port}").as_bytes())
        .map_err(|e| format!("write {PORT}: {e:?}"))?;

    let mut rounds = 0;
    while rounds < ROUNDS {
        wait_for(hc, &mut events, port).map_err(|e| format!("round {rounds}: {e}"))?;
        if rounds == 0 {
            let st = ev.status(port).map_err(|e| format!("status: {e:?}"))?;
            let peer = st.interdomain().dom;
            if st.status != ChannelState::INTERDOMAIN || peer != DomId::DOM0 {
                return Err(format!(
                    "bound, but status {:?} with domain {peer:?}",
                    st.status
                ));
            }
        }
        ev.send(port)
            .map_err(|e| format!("round {rounds}: send: {e:?}"))?;
        rounds += 1;
    }

    // Dom0 unbinds (drops its port): our end becomes unbound again.
    let start = hvm::get_time(hc).map_err(|e| format!("get_time: {e:?}"))?;
    let mut last = None;
    for _ in 0..100_000 {
        let st = ev.status(port).map_err(|e| format!("status: {e:?}"))?;
        last = Some(st.status);
        if st.status == ChannelState::UNBOUND && st.unbound().dom == DomId::DOM0 {
            let _ = ev.close(port);
            return Ok(rounds);
        }
        let now = hvm::get_time(hc).map_err(|e| format!("get_time: {e:?}"))?;
        if now.saturating_sub(start) > PATIENCE_NS {
            break;
        }
        let _ = sched::yield_now(hc);
    }
    let _ = ev.close(port);
    Err(format!(
        "{rounds} rounds, but our end stayed {last:?} after dom0's unbind"
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
        Ok(n) => format!("ok {n} round trips with dom0, unbound after dom0's unbind"),
        Err(e) => format!("fail: {e}"),
    };
    crate::println!("evtchn with dom0: {line}");
    if let Err(e) = xs.write(RESULT, line.as_bytes()) {
        crate::println!("could not write {RESULT}: {e:?}");
    }
    outcome.is_ok()
}

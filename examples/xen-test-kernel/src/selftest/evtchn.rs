// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests of xen-evtchn's in-guest half: the typed [`EventChannel`] API
//! and both pending-event ABIs through the [`Demux`] trait, 2-level first,
//! then FIFO (over pages this kernel hands to Xen through [`FifoPages`]),
//! then `EVTCHNOP_reset` back to 2-level.
//!
//! Event upcalls stay masked here: events are taken by polling the
//! demultiplexer.

use alloc::vec::Vec;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use xen_abi::callback::{kind, CallbackFlags};
use xen_abi::hvm::params::{callback_type, callback_via, HvmParam};

use xen_abi::event_channel::{ChannelState, EvtchnPort};
use xen_abi::io::shm::SharedMem;
use xen_abi::xen::{DomId, VcpuId, Virq};
use xen_abi::Errno;
use xen_evtchn::guest::{Demux, EventChannel, Fifo, FifoPages, Priority, TwoLevel};
use xen_evtchn::Error;
use xen_hypercall::{callback, event_channel as evtchn_op, hvm, sched, timer, Hypercall};

use super::events::{gfn_of, page_mem, Page, ZERO};
use super::{Ctx, Platform};
use crate::{upcall, Tester};

/// Checks this group makes.
pub const PLAN: u32 = 24;

/// A port no domain here has (below the 2-level limit).
const BOGUS: EvtchnPort = EvtchnPort::new_unchecked(4000);

static FIFO_CONTROL: Page = Page([ZERO; 1024]);
static FIFO_ARRAY: [Page; 2] = [Page([ZERO; 1024]), Page([ZERO; 1024])];

/// This kernel's [`FifoPages`]: static zeroed pages, each given to Xen once.
struct StaticPages<'a, H: Hypercall> {
    hc: &'a H,
    platform: Platform,
    control_used: bool,
    array_used: usize,
}

impl<H: Hypercall> FifoPages for StaticPages<'_, H> {
    fn init_control(&mut self, vcpu: VcpuId) -> xen_evtchn::Result<SharedMem<'static>> {
        if self.control_used {
            return Err(Error::Xen(Errno::ENOMEM));
        }
        let gfn = gfn_of(self.platform, &FIFO_CONTROL);
        // SAFETY: a static, zeroed page of atomics that nothing else uses,
        // given to Xen once (`control_used`); the reset at the end of the
        // group takes it back, and it is never reused.
        unsafe { evtchn_op::init_control(self.hc, gfn, 0, vcpu) }?;
        self.control_used = true;
        Ok(page_mem(&FIFO_CONTROL))
    }

    fn expand_array(&mut self) -> xen_evtchn::Result<SharedMem<'static>> {
        let page = FIFO_ARRAY
            .get(self.array_used)
            .ok_or(Error::Xen(Errno::ENOMEM))?;
        // SAFETY: as for the control block: each array page is given once.
        unsafe { evtchn_op::expand_array(self.hc, gfn_of(self.platform, page)) }?;
        self.array_used += 1;
        Ok(page_mem(page))
    }
}

/// Takes up to `max` pending ports.
fn take(d: &mut impl Demux, max: usize) -> Result<Vec<EvtchnPort>, Error> {
    let mut out = [EvtchnPort::ZERO; 64];
    let n = d.take_pending(&mut out[..max.min(64)])?;
    Ok(out[..n].to_vec())
}

/// Takes everything pending (a bounded number of rounds).
fn drain(d: &mut impl Demux) {
    for _ in 0..64 {
        if !matches!(take(d, 64), Ok(v) if !v.is_empty()) {
            break;
        }
    }
}

fn count(v: &Result<Vec<EvtchnPort>, Error>, p: EvtchnPort) -> usize {
    v.as_ref()
        .map_or(0, |v| v.iter().filter(|&&q| q == p).count())
}

/// Xen's system time in ns.
fn now(hc: &impl Hypercall) -> u64 {
    hvm::get_time(hc).unwrap_or(0)
}

/// The checks both ABIs share: a self-bound pair, IPI to self, VIRQ_TIMER,
/// masking, a flood, closing. Makes 7 checks.
fn common<H: Hypercall>(
    t: &mut Tester,
    hc: &H,
    ev: &EventChannel<&H>,
    d: &mut impl Demux,
    abi: &str,
) {
    let pair = ev
        .alloc_unbound(DomId::SELF)
        .and_then(|a| Ok((a, ev.bind_interdomain(DomId::SELF, a)?)));
    let st = pair.as_ref().map(|&(_, b)| ev.status(b));
    let ok = matches!((&pair, &st), (Ok((a, _)), Ok(Ok(s)))
        if s.status == ChannelState::INTERDOMAIN && s.interdomain().port == *a);
    t.check(
        &alloc::format!("evtchn {abi}: self-bound interdomain pair"),
        ok,
        format_args!("alloc_unbound + bind_interdomain -> {pair:?}"),
    );
    let (a, b) = pair.unwrap_or((BOGUS, BOGUS));
    let _ = d.clear_pending(a);
    let _ = d.clear_pending(b);
    drain(d);

    let sent = ev.send(a);
    let first = take(d, 64);
    let second = take(d, 64);
    t.check(
        &alloc::format!("evtchn {abi}: send delivers once"),
        sent.is_ok() && count(&first, b) == 1 && count(&first, a) == 0 && count(&second, b) == 0,
        format_args!("send({a}) -> {sent:?}; take -> {first:?}, again -> {second:?}"),
    );

    let ip = ev.bind_ipi(VcpuId::BOOT);
    let ipp = *ip.as_ref().unwrap_or(&BOGUS);
    drain(d);
    let sent = ev.send(ipp);
    let got = take(d, 64);
    t.check(
        &alloc::format!("evtchn {abi}: IPI to self"),
        sent.is_ok() && count(&got, ipp) == 1,
        format_args!("bind_ipi -> {ip:?}; send -> {sent:?}; take -> {got:?}"),
    );

    let tp = ev.bind_virq(Virq::TIMER, VcpuId::BOOT);
    let tpp = *tp.as_ref().unwrap_or(&BOGUS);
    let _ = d.clear_pending(tpp);
    drain(d);
    let start = now(hc);
    let armed = timer::set_timer_op(hc, start + 1_000_000);
    let polled = sched::poll(hc, &[tpp], start + 1_000_000_000);
    let got = take(d, 64);
    let _ = timer::cancel_timer(hc);
    t.check(
        &alloc::format!("evtchn {abi}: VIRQ_TIMER with set_timer_op"),
        armed.is_ok() && polled.is_ok() && count(&got, tpp) == 1,
        format_args!(
            "bind_virq -> {tp:?}; set_timer_op(+1 ms) -> {armed:?}; poll -> {polled:?}; take -> {got:?}"
        ),
    );

    let masked = d.mask(b);
    let sent = ev.send(a);
    let held = take(d, 64);
    let still = d.is_pending(b);
    let unmasked = ev.unmask(b);
    let got = take(d, 64);
    t.check(
        &alloc::format!("evtchn {abi}: mask holds back, unmask delivers"),
        masked.is_ok()
            && sent.is_ok()
            && count(&held, b) == 0
            && matches!(still, Ok(true))
            && unmasked.is_ok()
            && count(&got, b) == 1,
        format_args!(
            "mask({b}) -> {masked:?}; send -> {sent:?}; take -> {held:?} (pending {still:?}); unmask -> {unmasked:?}; take -> {got:?}"
        ),
    );

    // The IPI port floods (signalled three times before every take of one
    // port); b, signalled once, still gets its turn. The timer port is
    // masked first: a PV vCPU's periodic timer can raise VIRQ_TIMER in the
    // middle, which took one of the six turns (seen once in the guest tier).
    let _ = d.mask(tpp);
    drain(d);
    let mut seen = Vec::new();
    let mut sends_ok = ev.send(a).is_ok();
    for _ in 0..6 {
        for _ in 0..3 {
            sends_ok &= ev.send(ipp).is_ok();
        }
        if let Ok(v) = take(d, 1) {
            seen.extend(v);
        }
    }
    let nb = seen.iter().filter(|&&p| p == b).count();
    let nip = seen.iter().filter(|&&p| p == ipp).count();
    drain(d);
    t.check(
        &alloc::format!("evtchn {abi}: a flood on one port does not starve another"),
        sends_ok && nb == 1 && nip == 5,
        format_args!("one port a take, {ipp} flooding, {b} sent once: {seen:?}"),
    );

    let closed = ev.close(b);
    let sent = ev.send(a);
    let got = take(d, 64);
    let st = ev.status(b);
    t.check(
        &alloc::format!("evtchn {abi}: closing a port stops delivery"),
        closed.is_ok()
            && count(&got, b) == 0
            && matches!(st, Ok(s) if s.status == ChannelState::CLOSED),
        format_args!(
            "close({b}) -> {closed:?}; send({a}) -> {sent:?}; take -> {got:?}; status {:?}",
            st.map(|s| s.status)
        ),
    );
    for p in [a, ipp, tpp] {
        let _ = ev.close(p);
    }
    drain(d);
}

/// The shared_info page's address, for the upcall handler.
static SHARED_ADDR: AtomicUsize = AtomicUsize::new(0);
/// Ports the upcall handler took, and how many.
static SEEN: [AtomicU32; 8] = [const { AtomicU32::new(0) }; 8];
static SEEN_N: AtomicUsize = AtomicUsize::new(0);

/// The upcall handler: takes the pending ports through a 2-level demux
/// over shared_info (clearing `evtchn_upcall_pending`) and records them.
fn on_upcall() {
    let Some(ptr) = NonNull::new(SHARED_ADDR.load(Ordering::SeqCst) as *mut u8) else {
        return;
    };
    // SAFETY: the shared_info page `selftest::run` mapped, which stays
    // mapped for the kernel's lifetime and is only touched atomically.
    let Ok(mem) = (unsafe { SharedMem::new(ptr, 4096) }) else {
        return;
    };
    let Ok(mut d) = TwoLevel::new(mem, VcpuId::BOOT) else {
        return;
    };
    let mut out = [EvtchnPort::ZERO; 8];
    for _ in 0..8 {
        let n = d.take_pending(&mut out).unwrap_or(0);
        for p in &out[..n] {
            let i = SEEN_N.fetch_add(1, Ordering::SeqCst);
            if let Some(slot) = SEEN.get(i) {
                slot.store(p.get(), Ordering::SeqCst);
            }
        }
        if n < out.len() {
            break;
        }
    }
}

/// The upcall really fires: PV through the event callback
/// (`CALLBACKOP_register`), PVH through the `HVM_PARAM_CALLBACK_IRQ`
/// vector; the handler takes the IPI we send ourselves. One check.
fn upcall_check<H: Hypercall>(
    t: &mut Tester,
    cx: &Ctx<'_, H>,
    ev: &EventChannel<&H>,
    two: &mut TwoLevel,
) {
    let hc = cx.hc;
    let Some(shared) = cx.shared else { return };
    SHARED_ADDR.store(shared.mem().addr(), Ordering::SeqCst);
    SEEN_N.store(0, Ordering::SeqCst);
    upcall::set_handler(on_upcall);
    let ip = ev.bind_ipi(VcpuId::BOOT);
    let ipp = *ip.as_ref().unwrap_or(&BOGUS);
    drain(two);
    let before = upcall::count();
    let (route, sent) = if cx.platform.is_pv() {
        // SAFETY: the entry point handles Xen's PV event bounce frame and
        // returns through HYPERVISOR_iret; it is kernel text, always mapped.
        let r = unsafe {
            callback::register(
                hc,
                kind::EVENT,
                CallbackFlags::empty(),
                upcall::pv_event_entry(),
            )
        };
        shared.set_upcall_mask(false);
        // Xen bounces to the callback as this hypercall returns.
        let sent = ev.send(ipp);
        shared.set_upcall_mask(true);
        (r, sent)
    } else {
        upcall::install_pvh_idt();
        let via = callback_via(callback_type::VECTOR, u64::from(upcall::PVH_VECTOR));
        // SAFETY: the IDT's gate for the vector leads to the upcall entry.
        let r = unsafe { hvm::set_param(hc, DomId::SELF, HvmParam::CALLBACK_IRQ, via) };
        upcall::enable_interrupts();
        let sent = ev.send(ipp);
        for _ in 0..1_000_000 {
            if upcall::count() != before {
                break;
            }
            core::hint::spin_loop();
        }
        upcall::disable_interrupts();
        // SAFETY: 0 turns the callback off.
        let _ = unsafe { hvm::set_param(hc, DomId::SELF, HvmParam::CALLBACK_IRQ, 0) };
        (r, sent)
    };
    let fired = upcall::count() - before;
    let n = SEEN_N.load(Ordering::SeqCst).min(SEEN.len());
    let seen: Vec<u32> = SEEN[..n].iter().map(|s| s.load(Ordering::SeqCst)).collect();
    let _ = ev.close(ipp);
    t.check(
        "evtchn: the upcall fires and its handler takes the event",
        route.is_ok() && sent.is_ok() && fired >= 1 && seen.contains(&ipp.get()),
        format_args!(
            "{} -> {route:?}; IPI {ip:?} send -> {sent:?}; upcalls {fired}, handler took {seen:?}",
            if cx.platform.is_pv() {
                "CALLBACKOP_register(event)"
            } else {
                "HVM_PARAM_CALLBACK_IRQ vector 0xf3"
            }
        ),
    );
}

/// Runs the group.
pub fn run<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    let Some(shared) = cx.shared else {
        for _ in 0..PLAN {
            t.check("evtchn", false, format_args!("shared_info is not mapped"));
        }
        return;
    };
    let hc = cx.hc;
    let ev = EventChannel::new(hc);

    // 2-level: 1 + 7 + 5 checks.
    let two = TwoLevel::new(shared.mem(), VcpuId::BOOT);
    t.check(
        "evtchn 2-level: TwoLevel::new over shared_info",
        two.is_ok(),
        format_args!("{two:?}"),
    );
    let Ok(mut two) = two else {
        for _ in 1..PLAN {
            t.check("evtchn", false, format_args!("no 2-level demux"));
        }
        return;
    };
    drain(&mut two);
    common(t, hc, &ev, &mut two, "2-level");

    let far = two.mask(EvtchnPort::new_unchecked(4096));
    let prio = Priority::new(16);
    let bogus = ev.send(BOGUS);
    t.check(
        "evtchn 2-level: bad input gives typed errors",
        matches!(
            far,
            Err(Error::PortOutOfRange {
                port: 4096,
                limit: 4096
            })
        ) && matches!(prio, Err(Error::BadPriority(16)))
            && matches!(bogus, Err(Error::Xen(Errno::EINVAL))),
        format_args!(
            "mask(4096) -> {far:?}; Priority::new(16) -> {prio:?}; send({BOGUS}) -> {bogus:?}"
        ),
    );
    let ip = ev.bind_ipi(VcpuId::BOOT).unwrap_or(BOGUS);
    let r = ev.set_priority(ip, Priority::HIGHEST);
    t.check(
        "evtchn 2-level: set_priority needs FIFO",
        matches!(r, Err(Error::Xen(Errno::ENOSYS))),
        format_args!("set_priority({ip}, 0) -> {r:?}"),
    );
    let a = ev.alloc_unbound(DomId::SELF).unwrap_or(BOGUS);
    let bound = ev.bind_vcpu(a, VcpuId::BOOT);
    let pirq = ev.bind_pirq(0x7fff_ffff, Default::default());
    t.check(
        "evtchn 2-level: bind_vcpu, bind_pirq of a PIRQ we lack",
        bound.is_ok() && matches!(pirq, Err(Error::Xen(Errno::EINVAL))),
        format_args!("bind_vcpu({a}, 0) -> {bound:?}; bind_pirq(0x7fffffff) -> {pirq:?}"),
    );
    upcall_check(t, cx, &ev, &mut two);
    let reset = ev.reset();
    let st = ev.status(a);
    t.check(
        "evtchn: reset closes every port",
        reset.is_ok() && matches!(st, Ok(s) if s.status == ChannelState::CLOSED),
        format_args!(
            "reset -> {reset:?}; status({a}) -> {:?}",
            st.map(|s| s.status)
        ),
    );

    // FIFO: 1 + 7 + 3 checks.
    let pages = StaticPages {
        hc,
        platform: cx.platform,
        control_used: false,
        array_used: 0,
    };
    let fifo = Fifo::new(pages, VcpuId::BOOT);
    t.check(
        "evtchn FIFO: Fifo::new (init_control, expand_array)",
        matches!(&fifo, Ok(f) if f.port_limit() == 1024),
        format_args!("{fifo:?}"),
    );
    let Ok(mut fifo) = fifo else {
        for _ in 0..PLAN - 14 {
            t.check("evtchn FIFO", false, format_args!("no FIFO demux"));
        }
        return;
    };
    drain(&mut fifo);
    common(t, hc, &ev, &mut fifo, "FIFO");

    // Three IPI ports at priorities 10, 2 and 5, signalled in that order,
    // come out highest priority first.
    let ports: Vec<_> = (0..3).map(|_| ev.bind_ipi(VcpuId::BOOT)).collect();
    let ps: Vec<EvtchnPort> = ports
        .iter()
        .map(|p| *p.as_ref().unwrap_or(&BOGUS))
        .collect();
    let prios = [10, 2, 5].map(|q| Priority::new(q).unwrap_or(Priority::DEFAULT));
    let set: Vec<_> = ps
        .iter()
        .zip(prios)
        .map(|(&p, q)| ev.set_priority(p, q))
        .collect();
    drain(&mut fifo);
    let sent: Vec<_> = ps.iter().map(|&p| ev.send(p)).collect();
    let got = take(&mut fifo, 64);
    let order: Vec<EvtchnPort> = got
        .as_ref()
        .map(|v| v.iter().copied().filter(|p| ps.contains(p)).collect())
        .unwrap_or_default();
    t.check(
        "evtchn FIFO: priorities order delivery",
        set.iter().all(Result::is_ok)
            && sent.iter().all(Result::is_ok)
            && order == [ps[1], ps[2], ps[0]],
        format_args!(
            "ports {ps:?} at priorities 10, 2, 5 -> {set:?}; sent in that order; taken {got:?}"
        ),
    );
    for p in ps {
        let _ = ev.close(p);
    }

    let far = EvtchnPort::new_unchecked(1500);
    let before = fifo.mask(far);
    let grown = fifo.cover(far);
    let after = fifo.mask(far);
    let _ = fifo.clear_pending(far);
    t.check(
        "evtchn FIFO: cover grows the event array",
        matches!(
            before,
            Err(Error::PortOutOfRange {
                port: 1500,
                limit: 1024
            })
        ) && grown.is_ok()
            && after.is_ok()
            && fifo.port_limit() == 2048,
        format_args!(
            "mask(1500) -> {before:?}; cover(1500) -> {grown:?}, limit {}; mask -> {after:?}",
            fifo.port_limit()
        ),
    );

    let reset = ev.reset();
    let prio = ev.set_priority(EvtchnPort::new_unchecked(1), Priority::DEFAULT);
    let ip = ev.bind_ipi(VcpuId::BOOT);
    let ipp = *ip.as_ref().unwrap_or(&BOGUS);
    let _ = two.clear_pending(ipp);
    let sent = ev.send(ipp);
    let got = take(&mut two, 64);
    let _ = ev.close(ipp);
    drain(&mut two);
    t.check(
        "evtchn: reset returns to 2-level",
        reset.is_ok()
            && matches!(prio, Err(Error::Xen(Errno::ENOSYS)))
            && sent.is_ok()
            && count(&got, ipp) == 1,
        format_args!(
            "reset -> {reset:?}; set_priority -> {prio:?}; IPI {ip:?} send -> {sent:?}, 2-level take -> {got:?}"
        ),
    );
}

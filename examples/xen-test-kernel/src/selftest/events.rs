// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests: event channels (`event_channel_op`), with `SCHEDOP_poll` and
//! `set_timer_op`, read back through shared_info; at the end, a switch to
//! the FIFO ABI and back (`EVTCHNOP_reset`).
//!
//! Event upcalls stay masked throughout, so events are only ever seen as
//! pending bits.

use core::fmt::{self, Debug};
use core::mem::offset_of;
use core::ptr::NonNull;
use core::sync::atomic::AtomicU32;

use xen_abi::event_channel::{fifo, ChannelState, EvtchnPort, FifoControlBlock, Status};
use xen_abi::io::shm::{Ordering, SharedMem};
use xen_abi::xen::{DomId, Gfn, VcpuId, Virq};
use xen_abi::Errno;
use xen_hypercall::event_channel as evtchn;
use xen_hypercall::{hvm, sched, timer, Hypercall};

use super::{Ctx, Platform};
use crate::Tester;

/// Checks this group makes.
pub const PLAN: u32 = 31;

/// A port no domain here has (below the 2-level limit, above any port
/// allocated).
const BOGUS: EvtchnPort = EvtchnPort::new_unchecked(4000);

/// Checks `r` failed with exactly `want`, saying what was asked.
fn expect_err<T: Debug>(
    t: &mut Tester,
    name: &str,
    asked: fmt::Arguments<'_>,
    r: &Result<T, Errno>,
    want: Errno,
) {
    let ok = matches!(r, Err(e) if *e == want);
    if ok {
        t.check(name, true, format_args!("{asked} -> {r:?}"));
    } else {
        t.check(
            name,
            false,
            format_args!("{asked} -> {r:?}, wanted {want:?}"),
        );
    }
}

/// Xen's system time in ns (`HVMOP_get_time` answers PV guests too, and
/// unlike shared_info it is current).
fn now(hc: &impl Hypercall) -> u64 {
    hvm::get_time(hc).unwrap_or(0)
}

fn show(s: &Result<Status, Errno>) -> impl fmt::Display + '_ {
    struct Show<'a>(&'a Result<Status, Errno>);
    impl fmt::Display for Show<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.0 {
                Ok(s) => write!(f, "{} on vcpu {}", s.status, s.vcpu),
                Err(e) => write!(f, "{e:?}"),
            }
        }
    }
    Show(s)
}

/// Runs the group.
pub fn run<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    let Some(shared) = cx.shared else {
        for _ in 0..PLAN {
            t.check("events", false, format_args!("shared_info is not mapped"));
        }
        return;
    };
    let hc = cx.hc;
    let me = DomId::SELF;

    // A local interdomain pair: a (unbound, for ourselves), b bound to it.
    let a = evtchn::alloc_unbound(hc, me, me);
    t.check(
        "EVTCHNOP_alloc_unbound",
        matches!(a, Ok(p) if p.get() > 0),
        format_args!("EVTCHNOP_alloc_unbound(self, self) -> {a:?}"),
    );
    let a = a.unwrap_or(BOGUS);
    let st = evtchn::status(hc, me, a);
    t.check(
        "EVTCHNOP_status unbound",
        matches!(st, Ok(s) if s.status == ChannelState::UNBOUND && s.unbound().dom == DomId::DOM0),
        format_args!(
            "EVTCHNOP_status({a}) -> {}, for {:?}",
            show(&st),
            st.map(|s| s.unbound().dom)
        ),
    );

    let b = evtchn::bind_interdomain(hc, me, a);
    t.check(
        "EVTCHNOP_bind_interdomain",
        matches!(b, Ok(p) if p != a && p.get() > 0),
        format_args!("EVTCHNOP_bind_interdomain(self, {a}) -> {b:?}"),
    );
    let b = b.unwrap_or(BOGUS);
    let sa = evtchn::status(hc, me, a);
    let sb = evtchn::status(hc, me, b);
    let peer = |s: &Result<Status, Errno>| {
        s.map(|s| (s.status, s.interdomain().dom, s.interdomain().port))
    };
    t.check(
        "EVTCHNOP_status interdomain",
        peer(&sa) == Ok((ChannelState::INTERDOMAIN, DomId::DOM0, b))
            && peer(&sb) == Ok((ChannelState::INTERDOMAIN, DomId::DOM0, a)),
        format_args!(
            "EVTCHNOP_status({a}) -> {:?}; ({b}) -> {:?}",
            peer(&sa),
            peer(&sb)
        ),
    );

    // A freshly bound port may be pending already; start clean.
    for p in [a, b] {
        shared.clear_pending(p.get());
    }
    let r = evtchn::send(hc, a);
    let (pa, pb) = (shared.pending(a.get()), shared.pending(b.get()));
    t.check(
        "EVTCHNOP_send reaches the peer",
        r.is_ok() && pb && !pa,
        format_args!("EVTCHNOP_send({a}) -> {r:?}; pending: {b} {pb}, {a} {pa}"),
    );
    let r = evtchn::send(hc, b);
    let pa = shared.pending(a.get());
    t.check(
        "EVTCHNOP_send back",
        r.is_ok() && pa,
        format_args!("EVTCHNOP_send({b}) -> {r:?}; {a} pending {pa}"),
    );

    let r = sched::poll(hc, &[b], 0);
    t.check(
        "SCHEDOP_poll pending port",
        r.is_ok(),
        format_args!("SCHEDOP_poll([{b}], no timeout) with {b} pending -> {r:?}"),
    );
    shared.clear_pending(a.get());
    let start = now(hc);
    let deadline = start + 2_000_000;
    let r = sched::poll(hc, &[a], deadline);
    let end = now(hc);
    let pa = shared.pending(a.get());
    t.check(
        "SCHEDOP_poll timeout",
        r.is_ok() && !pa && end >= deadline,
        format_args!(
            "SCHEDOP_poll([{a}], now + 2 ms) -> {r:?} after {} us; pending {pa}",
            end.saturating_sub(start) / 1000
        ),
    );
    let r = sched::poll(hc, &[BOGUS], 0);
    expect_err(
        t,
        "SCHEDOP_poll bogus port",
        format_args!("SCHEDOP_poll([{BOGUS}])"),
        &r,
        Errno::EINVAL,
    );

    // VIRQ_TIMER and set_timer_op.
    let tp = evtchn::bind_virq(hc, Virq::TIMER, VcpuId::BOOT);
    let st = tp.and_then(|p| evtchn::status(hc, me, p));
    t.check(
        "EVTCHNOP_bind_virq timer",
        matches!(st, Ok(s) if s.status == ChannelState::VIRQ && s.virq() == Virq::TIMER.get() && s.vcpu == VcpuId::BOOT),
        format_args!(
            "EVTCHNOP_bind_virq(VIRQ_TIMER, vcpu 0) -> {tp:?}, status {}",
            show(&st)
        ),
    );
    let r = evtchn::bind_virq(hc, Virq::TIMER, VcpuId::BOOT);
    expect_err(
        t,
        "EVTCHNOP_bind_virq twice",
        format_args!("EVTCHNOP_bind_virq(VIRQ_TIMER, vcpu 0) again"),
        &r,
        Errno::EEXIST,
    );
    let tp = tp.unwrap_or(BOGUS);
    shared.clear_pending(tp.get());
    let start = now(hc);
    let armed = timer::set_timer_op(hc, start + 1_000_000);
    let polled = sched::poll(hc, &[tp], start + 1_000_000_000);
    let end = now(hc);
    let fired = shared.pending(tp.get());
    let _ = timer::cancel_timer(hc);
    t.check(
        "set_timer_op fires VIRQ_TIMER",
        armed.is_ok() && polled.is_ok() && fired && end < start + 1_000_000_000,
        format_args!(
            "set_timer_op(now + 1 ms) -> {armed:?}; poll -> {polled:?} after {} us; port {tp} pending {fired}",
            end.saturating_sub(start) / 1000
        ),
    );

    // IPIs come back to the sender's own port.
    let ip = evtchn::bind_ipi(hc, VcpuId::BOOT);
    let ipp = ip.unwrap_or(BOGUS);
    shared.clear_pending(ipp.get());
    let sent = evtchn::send(hc, ipp);
    let st = evtchn::status(hc, me, ipp);
    let pend = shared.pending(ipp.get());
    t.check(
        "EVTCHNOP_bind_ipi and send",
        sent.is_ok() && pend && matches!(st, Ok(s) if s.status == ChannelState::IPI),
        format_args!(
            "EVTCHNOP_bind_ipi(vcpu 0) -> {ip:?}; send -> {sent:?}; pending {pend}; status {}",
            show(&st)
        ),
    );

    let r = evtchn::bind_vcpu(hc, a, VcpuId::BOOT);
    let st = evtchn::status(hc, me, a);
    t.check(
        "EVTCHNOP_bind_vcpu",
        r.is_ok() && matches!(st, Ok(s) if s.vcpu == VcpuId::BOOT),
        format_args!("EVTCHNOP_bind_vcpu({a}, 0) -> {r:?}; status {}", show(&st)),
    );
    let r = evtchn::bind_vcpu(hc, a, VcpuId::new(5));
    expect_err(
        t,
        "EVTCHNOP_bind_vcpu missing vcpu",
        format_args!("EVTCHNOP_bind_vcpu({a}, 5) with one vCPU"),
        &r,
        Errno::ENOENT,
    );
    let r = evtchn::bind_vcpu(hc, ipp, VcpuId::BOOT);
    expect_err(
        t,
        "EVTCHNOP_bind_vcpu IPI",
        format_args!("EVTCHNOP_bind_vcpu({ipp} (IPI), 0)"),
        &r,
        Errno::EINVAL,
    );

    // Mask b, send to it: pending but masked; unmask makes Xen clear the
    // mask, leaving the event pending.
    shared.mask(b.get());
    shared.clear_pending(b.get());
    let sent = evtchn::send(hc, a);
    let masked_pending = shared.pending(b.get()) && shared.masked(b.get());
    let r = evtchn::unmask(hc, b);
    let unmasked = !shared.masked(b.get());
    let still = shared.pending(b.get());
    t.check(
        "EVTCHNOP_unmask",
        sent.is_ok() && masked_pending && r.is_ok() && unmasked && still,
        format_args!(
            "send to masked {b}: pending+masked {masked_pending}; EVTCHNOP_unmask({b}) -> {r:?}: mask cleared {unmasked}, still pending {still}"
        ),
    );

    let r = evtchn::set_priority(hc, a, 3);
    expect_err(
        t,
        "EVTCHNOP_set_priority 2-level",
        format_args!("EVTCHNOP_set_priority({a}, 3) under the 2-level ABI"),
        &r,
        Errno::ENOSYS,
    );

    // Closing b leaves a unbound again.
    let r = evtchn::close(hc, b);
    let sb = evtchn::status(hc, me, b);
    let sa = evtchn::status(hc, me, a);
    t.check(
        "EVTCHNOP_close",
        r.is_ok()
            && matches!(sb, Ok(s) if s.status == ChannelState::CLOSED)
            && matches!(sa, Ok(s) if s.status == ChannelState::UNBOUND),
        format_args!(
            "EVTCHNOP_close({b}) -> {r:?}; status {b}: {}, {a}: {}",
            show(&sb),
            show(&sa)
        ),
    );
    let r = evtchn::send(hc, b);
    expect_err(
        t,
        "EVTCHNOP_send closed port",
        format_args!("EVTCHNOP_send({b}) after close"),
        &r,
        Errno::EINVAL,
    );
    let r = evtchn::send(hc, BOGUS);
    expect_err(
        t,
        "EVTCHNOP_send bogus port",
        format_args!("EVTCHNOP_send({BOGUS})"),
        &r,
        Errno::EINVAL,
    );
    let r = evtchn::close(hc, BOGUS);
    expect_err(
        t,
        "EVTCHNOP_close bogus port",
        format_args!("EVTCHNOP_close({BOGUS})"),
        &r,
        Errno::EINVAL,
    );
    let r = evtchn::bind_interdomain(hc, me, tp);
    expect_err(
        t,
        "EVTCHNOP_bind_interdomain to a VIRQ port",
        format_args!("EVTCHNOP_bind_interdomain(self, {tp} (VIRQ))"),
        &r,
        Errno::EINVAL,
    );
    let nobody = DomId::new_unchecked(1);
    let r = evtchn::alloc_unbound(hc, nobody, me);
    expect_err(
        t,
        "EVTCHNOP_alloc_unbound missing domain",
        format_args!("EVTCHNOP_alloc_unbound(dom1, self)"),
        &r,
        Errno::ESRCH,
    );
    let r = evtchn::status(hc, nobody, a);
    expect_err(
        t,
        "EVTCHNOP_status missing domain",
        format_args!("EVTCHNOP_status(dom1, {a})"),
        &r,
        Errno::ESRCH,
    );
    let r = evtchn::bind_pirq(hc, 0x7fff_ffff, Default::default());
    expect_err(
        t,
        "EVTCHNOP_bind_pirq bad pirq",
        format_args!("EVTCHNOP_bind_pirq(0x7fffffff)"),
        &r,
        Errno::EINVAL,
    );

    fifo_checks(t, cx, a);
}

/// A page-aligned page handed to Xen.
#[repr(C, align(4096))]
pub(super) struct Page(pub(super) [AtomicU32; 1024]);

#[allow(clippy::declare_interior_mutable_const)]
pub(super) const ZERO: AtomicU32 = AtomicU32::new(0);
static CONTROL_PAGE: Page = Page([ZERO; 1024]);
static EVENT_ARRAY: Page = Page([ZERO; 1024]);

/// One of the pages handed to Xen, as shared memory.
pub(super) fn page_mem(page: &'static Page) -> SharedMem<'static> {
    // SAFETY: a static, page-aligned page of atomics: always mapped, and
    // only ever accessed atomically (here, through the handle, and by Xen).
    unsafe { SharedMem::new(NonNull::from(page).cast(), 4096) }.expect("a page-aligned page")
}

/// The frame Xen knows one of our pages by: its gfn on PVH, and on PV
/// (not translated, so Xen's "gfn" is the machine frame) its mfn.
pub(super) fn gfn_of(platform: Platform, page: &Page) -> Gfn {
    Gfn::new_unchecked(super::memory::frame_of(
        platform,
        page as *const Page as u64,
    ))
}

/// The FIFO ABI, last: it changes where pending events show; the reset at
/// the end closes every port and returns to the 2-level ABI for the groups
/// that follow.
fn fifo_checks<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>, a: EvtchnPort) {
    let hc = cx.hc;
    let me = DomId::SELF;
    // SAFETY: Xen must refuse the array before any control block.
    let r = unsafe { evtchn::expand_array(hc, gfn_of(cx.platform, &EVENT_ARRAY)) };
    expect_err(
        t,
        "EVTCHNOP_expand_array before init_control",
        format_args!("EVTCHNOP_expand_array under the 2-level ABI"),
        &r,
        Errno::EOPNOTSUPP,
    );
    // SAFETY: a frame far beyond dom0's memory, which Xen must refuse.
    let r = unsafe { evtchn::init_control(hc, Gfn::new_unchecked(0xf_ffff_ffff), 0, VcpuId::BOOT) };
    expect_err(
        t,
        "EVTCHNOP_init_control bad frame",
        format_args!("EVTCHNOP_init_control(gfn 0xfffffffff)"),
        &r,
        Errno::EINVAL,
    );

    let control = gfn_of(cx.platform, &CONTROL_PAGE);
    let array = gfn_of(cx.platform, &EVENT_ARRAY);
    // SAFETY: both pages are ours, static and used for nothing else; Xen
    // writes them only through atomics-compatible accesses, and the reset
    // below takes them back.
    let bits = unsafe { evtchn::init_control(hc, control, 0, VcpuId::BOOT) };
    // SAFETY: as above.
    let grown = unsafe { evtchn::expand_array(hc, array) };
    t.check(
        "EVTCHNOP_init_control and expand_array",
        bits == Ok(fifo::LINK_BITS as u8) && grown.is_ok(),
        format_args!(
            "EVTCHNOP_init_control({control:?}) -> link bits {bits:?}; EVTCHNOP_expand_array({array:?}) -> {grown:?}"
        ),
    );

    // Binding b to a notifies b at once (Xen's guard against lost events),
    // queueing it at the default priority (behind the timer VIRQ, pending
    // since the switch). With a on queue 3, sending to a makes it the head
    // of queue 3.
    let (words, blk) = (page_mem(&EVENT_ARRAY), page_mem(&CONTROL_PAGE));
    let word = |p: EvtchnPort| {
        let off = p.get() as usize % 1024 * 4;
        words.load_u32(off, Ordering::SeqCst).unwrap_or(0)
    };
    let head = |q: u32| {
        let off = offset_of!(FifoControlBlock, head) + q as usize * 4;
        blk.load_u32(off, Ordering::SeqCst).unwrap_or(0)
    };
    let b = evtchn::bind_interdomain(hc, me, a);
    let prio = evtchn::set_priority(hc, a, 3);
    let b = b.unwrap_or(BOGUS);
    let sent = evtchn::send(hc, b);
    let (wa, wb) = (word(a), word(b));
    let ready = blk
        .load_u32(offset_of!(FifoControlBlock, ready), Ordering::SeqCst)
        .unwrap_or(0);
    let queued = 1 << fifo::PENDING | 1 << fifo::LINKED;
    let dflt = fifo::PRIORITY_DEFAULT;
    t.check(
        "FIFO queues and set_priority",
        prio.is_ok()
            && sent.is_ok()
            && wa & queued == queued
            && wb & queued == queued
            && ready == (1 << 3 | 1 << dflt)
            && head(3) == a.get()
            && head(dflt) != 0,
        format_args!(
            "bind {b}; EVTCHNOP_set_priority({a}, 3) -> {prio:?}; send({b}) -> {sent:?}: words {a}={wa:#x} {b}={wb:#x}, READY {ready:#x}, head[3] {}, head[{dflt}] {}",
            head(3),
            head(dflt)
        ),
    );

    let r = evtchn::reset(hc, me);
    let sa = evtchn::status(hc, me, a);
    let prio = evtchn::set_priority(hc, a, 3);
    t.check(
        "EVTCHNOP_reset",
        r.is_ok()
            && matches!(sa, Ok(s) if s.status == ChannelState::CLOSED)
            && prio == Err(Errno::ENOSYS),
        format_args!(
            "EVTCHNOP_reset(self) -> {r:?}; {a} now {}; set_priority -> {prio:?} (2-level again)",
            show(&sa)
        ),
    );
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests: event channels through xen-evtchn's in-guest half
//! (`EventChannel`, the 2-level `Demux` over shared_info), and their
//! delivery on Arm: Xen raises the PPI the device tree's `hypervisor` node
//! names; our IRQ vector acknowledges it at the GIC and the handler takes
//! the pending ports through the same `Demux`. At the end, the FIFO ABI
//! (`Fifo` over static pages of ours) and back (`EVTCHNOP_reset`).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, Ordering};

use xen_abi::event_channel::{ChannelState, EvtchnPort};
use xen_abi::io::shm::SharedMem;
use xen_abi::xen::Gfn;
use xen_abi::xen::{DomId, VcpuId};
use xen_abi::Errno;
use xen_evtchn::guest::{Demux, EventChannel, Fifo, FifoPages, TwoLevel};
use xen_hypercall::arch::aarch64::Hvc;
use xen_hypercall::event_channel as evtchn_op;

use super::super::pages::{page_mem, TestPage};
use super::super::{boot, gic};
use super::Ctx;
use crate::{arm_page_addr, Tester};

/// Checks this group makes.
pub const PLAN: u32 = 15;

/// The FIFO control block and event-array pages, each given to Xen once.
static mut FIFO_CONTROL: TestPage = TestPage::new();
static mut FIFO_ARRAY: [TestPage; 2] = [const { TestPage::new() }; 2];

/// xen-evtchn's FIFO platform: our static pages, known by their guest
/// frame, each handed to Xen once (the reset at the end takes them back;
/// they are never reused).
#[derive(Debug, Default)]
struct StaticPages {
    control_used: bool,
    array_used: usize,
}

impl FifoPages for StaticPages {
    fn init_control(&mut self, vcpu: VcpuId) -> xen_evtchn::Result<SharedMem<'static>> {
        if self.control_used {
            return Err(xen_evtchn::Error::Xen(Errno::ENOMEM));
        }
        let addr = arm_page_addr!(FIFO_CONTROL);
        // SAFETY: a static, zeroed page nothing else uses, given to Xen once.
        unsafe { evtchn_op::init_control(&Hvc, Gfn::containing(addr), 0, vcpu) }?;
        self.control_used = true;
        // SAFETY: our static page, reached only through this handle.
        unsafe { page_mem(addr) }.ok_or(xen_evtchn::Error::Xen(Errno::EFAULT))
    }

    fn expand_array(&mut self) -> xen_evtchn::Result<SharedMem<'static>> {
        if self.array_used >= 2 {
            return Err(xen_evtchn::Error::Xen(Errno::ENOMEM));
        }
        let addr = arm_page_addr!(FIFO_ARRAY) + self.array_used as u64 * 4096;
        // SAFETY: as for the control block.
        unsafe { evtchn_op::expand_array(&Hvc, Gfn::containing(addr)) }?;
        self.array_used += 1;
        // SAFETY: as for the control block.
        unsafe { page_mem(addr) }.ok_or(xen_evtchn::Error::Xen(Errno::EFAULT))
    }
}

/// The FIFO ABI: switch, a pair through the FIFO demux (masking too), and
/// back to 2-level with `EVTCHNOP_reset`.
fn fifo(t: &mut Tester, ch: &EventChannel<Hvc>) {
    let f = Fifo::new(StaticPages::default(), VcpuId::new(0));
    t.check(
        "evtchn FIFO: EVTCHNOP_init_control + expand_array",
        f.is_ok(),
        format_args!("{f:?}"),
    );
    let Ok(mut f) = f else {
        for _ in 1..4 {
            t.check("evtchn FIFO", false, format_args!("no FIFO ABI"));
        }
        return;
    };
    let a = ch.alloc_unbound(DomId::SELF).unwrap_or(BOGUS);
    let b = ch.bind_interdomain(DomId::SELF, a).unwrap_or(BOGUS);
    let mut out = [EvtchnPort::new_unchecked(0); 8];
    let sent = ch.send(a);
    let took = f.take_pending(&mut out);
    let again = f.take_pending(&mut out[1..]);
    t.check(
        "evtchn FIFO: send, take_pending once",
        sent.is_ok() && matches!(took, Ok(1)) && matches!(again, Ok(0)) && out[0] == b,
        format_args!(
            "pair {a}/{b}: send {sent:?}, taken {took:?} ({}), again {again:?}",
            out[0]
        ),
    );
    let m = f.mask(b);
    let s = ch.send(a);
    let while_masked = f.take_pending(&mut out);
    let u = ch.unmask(b);
    let after = f.take_pending(&mut out);
    t.check(
        "evtchn FIFO: masked port waits for EVTCHNOP_unmask",
        m.is_ok()
            && s.is_ok()
            && matches!(while_masked, Ok(0))
            && u.is_ok()
            && matches!(after, Ok(1))
            && out[0] == b,
        format_args!(
            "(mask, send, take, unmask, take) {:?}",
            (m, s, while_masked, u, after)
        ),
    );
    let r = ch.reset();
    let st = ch.status(a);
    // Back on 2-level: a fresh pair works through shared_info again.
    let a2 = ch.alloc_unbound(DomId::SELF).unwrap_or(BOGUS);
    let b2 = ch.bind_interdomain(DomId::SELF, a2).unwrap_or(BOGUS);
    let sent = ch.send(a2);
    // SAFETY: IRQs are masked.
    let took = unsafe { demux() }.map(|d| d.take_pending(&mut out));
    let closed = ch.close(b2).and(ch.close(a2));
    t.check(
        "evtchn: EVTCHNOP_reset closes every port, back to 2-level",
        r.is_ok()
            && matches!(st, Ok(s) if s.status == ChannelState::CLOSED)
            && f.bad_links() == 0
            && sent.is_ok()
            && matches!(took, Some(Ok(1)))
            && out[0] == b2
            && closed.is_ok(),
        format_args!(
            "reset {r:?}; status of {a}: {:?}; new pair {a2}/{b2} on 2-level: send {sent:?}, taken {took:?} ({}), closed {closed:?}",
            st.map(|s| s.status),
            out[0]
        ),
    );
}

/// A port no one has.
const BOGUS: EvtchnPort = EvtchnPort::new_unchecked(4000);

/// The demultiplexer, shared by the checks (IRQs masked) and the IRQ
/// handler (which runs only inside `gic::with_irqs`).
struct IrqShared(UnsafeCell<Option<TwoLevel>>);

// SAFETY: one vCPU; the main code touches the cell only with IRQs masked,
// the handler only while they are unmasked and the main code waits.
unsafe impl Sync for IrqShared {}

static DEMUX: IrqShared = IrqShared(UnsafeCell::new(None));
/// The last port the handler took, +1 (0: none).
static HANDLER_PORT: AtomicU32 = AtomicU32::new(0);

/// The IRQ handler: acknowledge, take the pending ports, end.
fn on_irq() {
    gic::handle(|_intid| {
        // SAFETY: see `IrqShared`: the main code is waiting with IRQs on.
        let demux = unsafe { &mut *DEMUX.0.get() };
        if let Some(d) = demux {
            let mut out = [EvtchnPort::new_unchecked(0); 8];
            if let Ok(n) = d.take_pending(&mut out) {
                for p in &out[..n] {
                    HANDLER_PORT.store(p.get() + 1, Ordering::SeqCst);
                }
            }
        }
    });
}

/// The demultiplexer, from the main code.
///
/// # Safety
/// IRQs must be masked (outside `gic::with_irqs`).
unsafe fn demux() -> Option<&'static mut TwoLevel> {
    // SAFETY: see `IrqShared`.
    unsafe { (*DEMUX.0.get()).as_mut() }
}

/// Runs the group.
pub fn run(t: &mut Tester, cx: &Ctx) {
    let ch = EventChannel::new(Hvc);
    let Some(shared) = cx.shared else {
        for _ in 0..PLAN {
            t.check("events", false, format_args!("shared_info is not mapped"));
        }
        return;
    };
    let two_level = TwoLevel::new(shared, VcpuId::new(0));
    t.check(
        "evtchn: 2-level demux over shared_info",
        two_level.is_ok(),
        format_args!("{:?}", two_level.as_ref().map(|_| ())),
    );
    // SAFETY: IRQs are masked; the handler is not installed yet.
    unsafe { *DEMUX.0.get() = two_level.ok() };

    let a = ch.alloc_unbound(DomId::SELF);
    t.check(
        "evtchn: EVTCHNOP_alloc_unbound",
        matches!(a, Ok(p) if p.get() > 0),
        format_args!("{a:?}"),
    );
    let a = a.unwrap_or(BOGUS);
    let b = ch.bind_interdomain(DomId::SELF, a);
    let st = ch.status(a);
    let ok = matches!((&b, &st), (Ok(b), Ok(s)) if *b != a
        && s.status == ChannelState::INTERDOMAIN
        && s.interdomain().port == *b);
    t.check(
        "evtchn: EVTCHNOP_bind_interdomain, status",
        ok,
        format_args!(
            "{b:?}; status of {a}: {:?}",
            st.as_ref().map(|s| (s.status, s.interdomain().port))
        ),
    );
    let b = b.unwrap_or(BOGUS);

    // Polled: send a -> b pending; the demux hands b out once.
    // SAFETY: IRQs are masked.
    let d = unsafe { demux() };
    let sent = ch.send(a);
    let pending = d.as_ref().map(|d| d.is_pending(b));
    let mut out = [EvtchnPort::new_unchecked(0); 8];
    let took = d.map(|d| (d.take_pending(&mut out), d.take_pending(&mut out[1..])));
    t.check(
        "evtchn: send, pending, take_pending once",
        sent.is_ok()
            && matches!(pending, Some(Ok(true)))
            && matches!(took, Some((Ok(1), Ok(0))))
            && out[0] == b,
        format_args!(
            "send {sent:?}, pending {pending:?}, taken {took:?}: {}",
            out[0]
        ),
    );

    // Masked: the event stays pending and is not handed out; unmask (the
    // hypercall) lets it through.
    // SAFETY: IRQs are masked.
    let d = unsafe { demux() };
    let r = d.map(|d| {
        let m = d.mask(b);
        let s = ch.send(a);
        let while_masked = d.take_pending(&mut out);
        let still = d.is_pending(b);
        let u = ch.unmask(b);
        let after = d.take_pending(&mut out);
        (m, s, while_masked, still, u, after)
    });
    t.check(
        "evtchn: masked port stays pending until EVTCHNOP_unmask",
        matches!(r, Some((Ok(()), Ok(()), Ok(0), Ok(true), Ok(()), Ok(1)))) && out[0] == b,
        format_args!("(mask, send, take, pending, unmask, take) {r:?}"),
    );

    // Delivery: Xen raises the device tree's PPI; the IRQ handler takes b.
    match (cx.dt.gic, cx.dt.evtchn_ppi) {
        (Some(g), Some((intid, _))) => {
            boot::set_irq_handler(on_irq);
            let sre = g.enable_ppi(intid);
            t.check(
                "gic: system-register interface on, event PPI enabled",
                sre & 1 == 1 && g.ppi_enabled(intid),
                format_args!("ICC_SRE_EL1 {sre:#x}, interrupt {intid}"),
            );
            let (before, _) = gic::taken();
            HANDLER_PORT.store(0, Ordering::SeqCst);
            let sent = ch.send(a);
            let (after, last) = gic::with_irqs(|| {
                for _ in 0..1_000_000 {
                    if gic::taken().0 != before {
                        break;
                    }
                    core::hint::spin_loop();
                }
                gic::taken()
            });
            let port = HANDLER_PORT.load(Ordering::SeqCst);
            t.check(
                "evtchn: delivered on the device tree's PPI",
                sent.is_ok() && after > before && last == intid && port == b.get() + 1,
                format_args!(
                    "send {sent:?}: {} interrupts, last id {last} (want {intid}), handler took port {}",
                    after - before,
                    port.wrapping_sub(1)
                ),
            );
            // A masked port raises nothing.
            // SAFETY: IRQs are masked.
            let m = unsafe { demux() }.map(|d| d.mask(b));
            let sent = ch.send(a);
            let (quiet, _) = gic::with_irqs(|| {
                for _ in 0..200_000 {
                    core::hint::spin_loop();
                }
                gic::taken()
            });
            // SAFETY: IRQs are masked.
            let cleared = unsafe { demux() }.map(|d| d.clear_pending(b));
            let u = ch.unmask(b);
            t.check(
                "evtchn: a masked port raises no interrupt",
                matches!(m, Some(Ok(()))) && sent.is_ok() && quiet == after,
                format_args!(
                    "{} interrupts while masked; clear {cleared:?}, unmask {u:?}",
                    quiet - after
                ),
            );
            g.disable_ppi(intid);
        }
        (gic, ppi) => {
            for name in ["gic", "delivery", "masked"] {
                t.check(
                    "evtchn: PPI delivery",
                    false,
                    format_args!(
                        "{name}: no GIC ({gic:?}) or event PPI ({ppi:?}) in the device tree"
                    ),
                );
            }
        }
    }

    // Closing: b goes, a is unbound again; then both go; bad ports refused.
    let rb = ch.close(b);
    let sa = ch.status(a);
    t.check(
        "evtchn: EVTCHNOP_close, the peer turns unbound",
        rb.is_ok() && matches!(sa, Ok(s) if s.status == ChannelState::UNBOUND),
        format_args!("close {rb:?}; status of {a}: {:?}", sa.map(|s| s.status)),
    );
    let ra = ch.close(a);
    let again = ch.close(a);
    t.check(
        "evtchn: close twice",
        ra.is_ok() && matches!(again, Err(xen_evtchn::Error::Xen(Errno::EINVAL))),
        format_args!("{ra:?}, then {again:?}"),
    );
    let r = ch.send(BOGUS);
    t.check(
        "evtchn: EVTCHNOP_send(bad port)",
        matches!(r, Err(xen_evtchn::Error::Xen(Errno::EINVAL))),
        format_args!("{r:?}"),
    );
    fifo(t, &ch);
}

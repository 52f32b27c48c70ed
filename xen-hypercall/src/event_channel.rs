// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_event_channel_op`: allocating, binding, signalling and
//! closing event channels, and the FIFO ABI's setup.
//!
//! Ports Xen returns are wrapped as [`EvtchnPort`] without a range check:
//! they come from Xen, which is trusted.

use xen_abi::event_channel::{
    op, AllocUnbound, BindInterdomain, BindIpi, BindPirq, BindPirqFlags, BindVcpu, BindVirq, Close,
    EvtchnPort, ExpandArray, InitControl, Reset, SendEvent, SetPriority, Status, Unmask,
};
use xen_abi::xen::{DomId, Gfn, VcpuId, Virq};

use crate::{call, call_unchecked, no_guest_memory, Hypercall, Result};

no_guest_memory!(
    AllocUnbound => op::ALLOC_UNBOUND,
    BindInterdomain => op::BIND_INTERDOMAIN,
    BindVirq => op::BIND_VIRQ,
    BindPirq => op::BIND_PIRQ,
    BindIpi => op::BIND_IPI,
    Close => op::CLOSE,
    SendEvent => op::SEND,
    Status => op::STATUS,
    BindVcpu => op::BIND_VCPU,
    Unmask => op::UNMASK,
    Reset => op::RESET,
    SetPriority => op::SET_PRIORITY,
);

/// Allocates a port in `dom` that `remote_dom` may connect to with
/// [`bind_interdomain`] (`EVTCHNOP_alloc_unbound`).
///
/// # Errors
/// Xen's errno: `ESRCH` for no such domain, `EPERM` for a `dom` other than
/// the caller without privilege, `ENOSPC` when no port is free.
#[doc(alias = "EVTCHNOP_alloc_unbound")]
#[doc(alias = "HYPERVISOR_event_channel_op")]
pub fn alloc_unbound(hc: &impl Hypercall, dom: DomId, remote_dom: DomId) -> Result<EvtchnPort> {
    let mut arg = AllocUnbound {
        dom,
        remote_dom,
        port: EvtchnPort::ZERO,
    };
    call(hc, &mut arg)?;
    Ok(arg.port)
}

/// Connects a new local port to `remote_port`, an unbound port of
/// `remote_dom` allocated for this domain; returns the local port
/// (`EVTCHNOP_bind_interdomain`).
///
/// # Errors
/// Xen's errno: `EINVAL` when `remote_port` is not unbound for this domain,
/// `ESRCH` for no such domain, `ENOSPC` when no port is free.
#[doc(alias = "EVTCHNOP_bind_interdomain")]
pub fn bind_interdomain(
    hc: &impl Hypercall,
    remote_dom: DomId,
    remote_port: EvtchnPort,
) -> Result<EvtchnPort> {
    let mut arg = BindInterdomain {
        remote_dom,
        _pad0: [0; 2],
        remote_port,
        local_port: EvtchnPort::ZERO,
    };
    call(hc, &mut arg)?;
    Ok(arg.local_port)
}

/// Binds virtual IRQ `virq` on `vcpu` to a new port
/// (`EVTCHNOP_bind_virq`).
///
/// # Errors
/// Xen's errno: `EEXIST` when `virq` is already bound on `vcpu`, `EINVAL`
/// for an unknown VIRQ or a global VIRQ on a vCPU other than 0, `ENOENT`
/// for no such vCPU.
#[doc(alias = "EVTCHNOP_bind_virq")]
pub fn bind_virq(hc: &impl Hypercall, virq: Virq, vcpu: VcpuId) -> Result<EvtchnPort> {
    let mut arg = BindVirq {
        virq,
        vcpu,
        port: EvtchnPort::ZERO,
    };
    call(hc, &mut arg)?;
    Ok(arg.port)
}

/// Binds physical IRQ `pirq` to a new port (`EVTCHNOP_bind_pirq`).
///
/// # Errors
/// Xen's errno: `EINVAL` for a PIRQ this domain does not have, `EEXIST`
/// when it is already bound, `EBUSY` when another domain holds it
/// unshared.
#[doc(alias = "EVTCHNOP_bind_pirq")]
pub fn bind_pirq(hc: &impl Hypercall, pirq: u32, flags: BindPirqFlags) -> Result<EvtchnPort> {
    let mut arg = BindPirq {
        pirq,
        flags,
        port: EvtchnPort::ZERO,
    };
    call(hc, &mut arg)?;
    Ok(arg.port)
}

/// Allocates a port for inter-vCPU notifications, delivered to `vcpu`
/// (`EVTCHNOP_bind_ipi`).
///
/// # Errors
/// Xen's errno: `ENOENT` for no such vCPU, `ENOSPC` when no port is free.
#[doc(alias = "EVTCHNOP_bind_ipi")]
pub fn bind_ipi(hc: &impl Hypercall, vcpu: VcpuId) -> Result<EvtchnPort> {
    let mut arg = BindIpi {
        vcpu,
        port: EvtchnPort::ZERO,
    };
    call(hc, &mut arg)?;
    Ok(arg.port)
}

/// Closes `port`; an interdomain peer's end becomes unbound
/// (`EVTCHNOP_close`).
///
/// # Errors
/// Xen's errno (`EINVAL` for a port this domain does not have).
#[doc(alias = "EVTCHNOP_close")]
pub fn close(hc: &impl Hypercall, port: EvtchnPort) -> Result<()> {
    call(hc, &mut Close { port }).map(drop)
}

/// Signals `port`: the remote end of an interdomain channel, or the port
/// itself for an IPI (`EVTCHNOP_send`).
///
/// # Errors
/// Xen's errno (`EINVAL` for a port that is closed or cannot be sent on).
#[doc(alias = "EVTCHNOP_send")]
pub fn send(hc: &impl Hypercall, port: EvtchnPort) -> Result<()> {
    call(hc, &mut SendEvent { port }).map(drop)
}

/// The state of `port` of domain `dom` (`EVTCHNOP_status`); read the
/// details with [`Status::interdomain`] and its siblings according to
/// [`Status::status`].
///
/// # Errors
/// Xen's errno: `EINVAL` for a port beyond the domain's range, `ESRCH` for
/// no such domain, `EPERM` for another domain without privilege.
#[doc(alias = "EVTCHNOP_status")]
pub fn status(hc: &impl Hypercall, dom: DomId, port: EvtchnPort) -> Result<Status> {
    let mut arg = Status {
        dom,
        port,
        ..Status::default()
    };
    call(hc, &mut arg)?;
    Ok(arg)
}

/// Delivers `port`'s notifications to `vcpu` from now on
/// (`EVTCHNOP_bind_vcpu`).
///
/// # Errors
/// Xen's errno: `ENOENT` for no such vCPU, `EINVAL` for a port whose vCPU
/// is fixed (a per-vCPU VIRQ, an IPI) or that is closed.
#[doc(alias = "EVTCHNOP_bind_vcpu")]
pub fn bind_vcpu(hc: &impl Hypercall, port: EvtchnPort, vcpu: VcpuId) -> Result<()> {
    call(hc, &mut BindVcpu { port, vcpu }).map(drop)
}

/// Unmasks `port`, redelivering an event that became pending while it was
/// masked (`EVTCHNOP_unmask`).
///
/// # Errors
/// Xen's errno (`EINVAL` for a port beyond the domain's range).
#[doc(alias = "EVTCHNOP_unmask")]
pub fn unmask(hc: &impl Hypercall, port: EvtchnPort) -> Result<()> {
    call(hc, &mut Unmask { port }).map(drop)
}

/// Closes every port of `dom` and returns it to the 2-level ABI
/// (`EVTCHNOP_reset`).
///
/// # Errors
/// Xen's errno: `ESRCH` for no such domain, `EPERM` for another domain
/// without privilege.
#[doc(alias = "EVTCHNOP_reset")]
pub fn reset(hc: &impl Hypercall, dom: DomId) -> Result<()> {
    call(hc, &mut Reset { dom }).map(drop)
}

/// Registers `vcpu`'s FIFO control block, at byte `offset` of frame
/// `control_gfn`, switching the domain to the FIFO ABI on its first call;
/// returns the number of link bits in an event word
/// (`EVTCHNOP_init_control`).
///
/// # Errors
/// Xen's errno: `EINVAL` for a bad offset or frame, `EEXIST` when `vcpu`
/// already has a control block, `ENOENT` for no such vCPU.
///
/// # Safety
/// The control block, a
/// [`FifoControlBlock`](xen_abi::event_channel::FifoControlBlock) at
/// `offset` of `control_gfn`, must be the caller's memory to hand to Xen:
/// Xen maps the frame and writes it until [`reset`], and from then on
/// pending events are found in the FIFO structures, not shared_info.
#[doc(alias = "EVTCHNOP_init_control")]
pub unsafe fn init_control(
    hc: &impl Hypercall,
    control_gfn: Gfn,
    offset: u32,
    vcpu: VcpuId,
) -> Result<u8> {
    let mut arg = InitControl {
        control_gfn,
        offset,
        vcpu,
        ..InitControl::default()
    };
    // SAFETY: the caller gives Xen the frame; the struct itself is handed
    // to Xen by `call_unchecked`.
    unsafe { call_unchecked(hc, &mut arg) }?;
    Ok(arg.link_bits)
}

/// Adds the page at frame `array_gfn` to the FIFO event array
/// (`EVTCHNOP_expand_array`).
///
/// # Errors
/// Xen's errno: `EINVAL` before [`init_control`] or for a bad frame,
/// `ENOSPC` when the array is at its largest.
///
/// # Safety
/// The page at `array_gfn` must be the caller's to give: Xen maps it as
/// part of the event array and writes it until [`reset`].
#[doc(alias = "EVTCHNOP_expand_array")]
pub unsafe fn expand_array(hc: &impl Hypercall, array_gfn: Gfn) -> Result<()> {
    let mut arg = ExpandArray { array_gfn };
    // SAFETY: the caller gives Xen the page; the struct itself is handed to
    // Xen by `call_unchecked`.
    unsafe { call_unchecked(hc, &mut arg) }.map(drop)
}

/// Puts `port` on FIFO queue `priority`
/// ([`fifo::PRIORITY_MAX`](xen_abi::event_channel::fifo::PRIORITY_MAX) = 0
/// is served first) (`EVTCHNOP_set_priority`).
///
/// # Errors
/// Xen's errno: `ENOSYS` under the 2-level ABI, `EINVAL` for a bad port or
/// priority.
#[doc(alias = "EVTCHNOP_set_priority")]
pub fn set_priority(hc: &impl Hypercall, port: EvtchnPort, priority: u32) -> Result<()> {
    call(hc, &mut SetPriority { port, priority }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;
    use crate::Errno;

    #[test]
    fn alloc_unbound_reads_back_the_port() {
        let hc = Fake::new(0);
        hc.reply(|b| b[4..].copy_from_slice(&7u32.to_ne_bytes()));
        let port = alloc_unbound(&hc, DomId::SELF, DomId::DOM0).unwrap();
        assert_eq!(port.get(), 7);
        let c = hc.last();
        assert_eq!((c.op, &c.args[..2]), (32, &[6, c.addrs[0]][..]));
        assert_eq!(c.buffers[0], [0xf0, 0x7f, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn sub_op_numbers_and_bytes() {
        let hc = Fake::new(0);
        let p = EvtchnPort::new_unchecked(3);
        send(&hc, p).unwrap();
        bind_vcpu(&hc, p, VcpuId::new(1)).unwrap();
        set_priority(&hc, p, 2).unwrap();
        bind_virq(&hc, Virq::CONSOLE, VcpuId::BOOT).unwrap();
        let got: std::vec::Vec<_> = hc
            .calls()
            .into_iter()
            .map(|c| (c.args[0], c.buffers[0].clone()))
            .collect();
        assert_eq!(got[0], (4, [3, 0, 0, 0].into()));
        assert_eq!(got[1], (8, [3, 0, 0, 0, 1, 0, 0, 0].into()));
        assert_eq!(got[2], (13, [3, 0, 0, 0, 2, 0, 0, 0].into()));
        assert_eq!(got[3], (1, [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].into()));
    }

    #[test]
    fn init_control_and_errors() {
        let hc = Fake::new(0);
        hc.reply(|b| b[16] = 17);
        // SAFETY: the fake maps nothing.
        let bits = unsafe { init_control(&hc, Gfn::new_unchecked(0x1234), 8, VcpuId::BOOT) };
        assert_eq!(bits, Ok(17));
        let c = hc.last();
        assert_eq!(c.args[0], 11);
        assert_eq!(
            c.buffers[0][..16],
            [0x34, 0x12, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0]
        );
        let hc = Fake::new(-22);
        assert_eq!(close(&hc, EvtchnPort::ZERO), Err(Errno::EINVAL));
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_sched_op`: yielding, blocking, polling ports, shutting down
//! and the domain watchdog.

use xen_abi::event_channel::EvtchnPort;
use xen_abi::sched::{op, PinOverride, Poll, RemoteShutdown, Shutdown, ShutdownReason, Watchdog};
use xen_abi::xen::{DomId, GuestHandle, HypercallOp};
use zerocopy::IntoBytes;

use crate::{call, call_null, call_unchecked, no_guest_memory, Errno, Hypercall, Result};

/// Most ports one [`poll`] may name (Xen refuses more with `EINVAL`).
pub const POLL_MAX_PORTS: usize = 128;

no_guest_memory!(
    Shutdown => op::SHUTDOWN | op::SHUTDOWN_CODE,
    RemoteShutdown => op::REMOTE_SHUTDOWN,
    Watchdog => op::WATCHDOG,
    PinOverride => op::PIN_OVERRIDE,
);

/// Gives up the CPU to another vCPU that can run (`SCHEDOP_yield`).
///
/// # Errors
/// Xen's errno (none in practice).
#[doc(alias = "SCHEDOP_yield")]
#[doc(alias = "HYPERVISOR_sched_op")]
pub fn yield_now(hc: &impl Hypercall) -> Result<()> {
    // SAFETY: SCHEDOP_yield takes no argument and touches no memory.
    unsafe { call_null(hc, HypercallOp::SCHED_OP, op::YIELD) }.map(drop)
}

/// Blocks this vCPU until an event is pending (`SCHEDOP_block`).
///
/// Called with event delivery masked, Xen re-enables it atomically and
/// checks for pending events first, so no wakeup is lost; events are
/// delivered (upcall) before this returns.
///
/// # Errors
/// Xen's errno (none in practice).
#[doc(alias = "SCHEDOP_block")]
pub fn block(hc: &impl Hypercall) -> Result<()> {
    // SAFETY: SCHEDOP_block takes no argument and touches no memory.
    unsafe { call_null(hc, HypercallOp::SCHED_OP, op::BLOCK) }.map(drop)
}

/// Shuts this domain (all vCPUs) down for `reason` (`SCHEDOP_shutdown`).
///
/// Normally this does not return. For [`ShutdownReason::SUSPEND`] a PV
/// guest must instead pass its start_info frame, which this wrapper does
/// not; use it for the other reasons.
///
/// # Errors
/// Xen's errno (`EINVAL` for an unknown reason).
#[doc(alias = "SCHEDOP_shutdown")]
pub fn shutdown(hc: &impl Hypercall, reason: ShutdownReason) -> Result<()> {
    call::<{ op::SHUTDOWN }, _>(hc, &mut Shutdown { reason }).map(drop)
}

/// Blocks until one of `ports` is pending, or until system time `timeout`
/// (ns since boot, as in `vcpu_time_info`; 0: no timeout) (`SCHEDOP_poll`).
///
/// Returns as soon as a port is pending, whether or not it is masked, so
/// it works with event delivery disabled.
///
/// # Errors
/// `EINVAL` for more than [`POLL_MAX_PORTS`] ports or a port beyond this
/// domain's event-channel limit; Xen's errno otherwise.
#[doc(alias = "SCHEDOP_poll")]
pub fn poll(hc: &impl Hypercall, ports: &[EvtchnPort], timeout: u64) -> Result<()> {
    let mut list = [EvtchnPort::ZERO; POLL_MAX_PORTS];
    let list = list.get_mut(..ports.len()).ok_or(Errno::EINVAL)?;
    list.copy_from_slice(ports);
    let ret = hc.with_buffer(list.as_mut_bytes(), |ports_addr| {
        let mut arg = Poll {
            ports: GuestHandle::from_addr(ports_addr),
            nr_ports: ports.len() as u32,
            _pad0: [0; 4],
            timeout,
        };
        // SAFETY: Xen reads the `nr_ports` ports the handle names, which
        // the enclosing `with_buffer` made visible to Xen for this call.
        unsafe { call_unchecked(hc, &mut arg) }
    });
    ret.map(drop)
}

/// Records `reason` as the one this domain will report when it later shuts
/// down, without shutting down (`SCHEDOP_shutdown_code`).
///
/// # Errors
/// Xen's errno (`EINVAL` for an unknown reason).
#[doc(alias = "SCHEDOP_shutdown_code")]
pub fn shutdown_code(hc: &impl Hypercall, reason: ShutdownReason) -> Result<()> {
    call::<{ op::SHUTDOWN_CODE }, _>(hc, &mut Shutdown { reason }).map(drop)
}

/// Shuts domain `domid` down for `reason`, as a device model does for the
/// guest it serves (`SCHEDOP_remote_shutdown`).
///
/// # Errors
/// Xen's errno: `ESRCH` for no such domain, `EPERM` without the privilege,
/// `EINVAL` for an unknown reason.
#[doc(alias = "SCHEDOP_remote_shutdown")]
pub fn remote_shutdown(hc: &impl Hypercall, domid: DomId, reason: ShutdownReason) -> Result<()> {
    let mut arg = RemoteShutdown {
        domain_id: domid,
        _pad0: [0; 2],
        reason,
    };
    call(hc, &mut arg).map(drop)
}

/// Creates a domain watchdog that shuts the domain down
/// ([`ShutdownReason::WATCHDOG`]) unless kicked within `timeout_s` seconds;
/// returns its id (`SCHEDOP_watchdog` with id 0).
///
/// # Errors
/// Xen's errno (`ENOSPC` when every watchdog slot is taken).
#[doc(alias = "SCHEDOP_watchdog")]
pub fn watchdog_create(hc: &impl Hypercall, timeout_s: u32) -> Result<u32> {
    let mut arg = Watchdog {
        id: 0,
        timeout: timeout_s,
    };
    call(hc, &mut arg).map(|id| id as u32)
}

/// Kicks watchdog `id`, giving it a new timeout of `timeout_s` seconds
/// (`SCHEDOP_watchdog`; a timeout of 0 would destroy it, see
/// [`watchdog_destroy`]).
///
/// # Errors
/// Xen's errno (`EINVAL` for no such watchdog).
#[doc(alias = "SCHEDOP_watchdog")]
pub fn watchdog_kick(hc: &impl Hypercall, id: u32, timeout_s: u32) -> Result<()> {
    if id == 0 || timeout_s == 0 {
        return Err(Errno::EINVAL);
    }
    let mut arg = Watchdog {
        id,
        timeout: timeout_s,
    };
    call(hc, &mut arg).map(drop)
}

/// Destroys watchdog `id` (`SCHEDOP_watchdog` with timeout 0).
///
/// # Errors
/// Xen's errno (`EINVAL` for no such watchdog).
#[doc(alias = "SCHEDOP_watchdog")]
pub fn watchdog_destroy(hc: &impl Hypercall, id: u32) -> Result<()> {
    if id == 0 {
        return Err(Errno::EINVAL);
    }
    call(hc, &mut Watchdog { id, timeout: 0 }).map(drop)
}

/// Pins the calling vCPU to physical CPU `pcpu`, or with `None` undoes an
/// earlier pin (`SCHEDOP_pin_override`; hardware domain only).
///
/// # Errors
/// Xen's errno: `EPERM` outside the hardware domain, `EINVAL` for a CPU
/// outside the domain's cpupool.
#[doc(alias = "SCHEDOP_pin_override")]
pub fn pin_override(hc: &impl Hypercall, pcpu: Option<u32>) -> Result<()> {
    let pcpu = match pcpu {
        Some(cpu) => i32::try_from(cpu).map_err(|_| Errno::EINVAL)?,
        None => -1,
    };
    call(hc, &mut PinOverride { pcpu }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;

    #[test]
    fn null_and_struct_sub_ops() {
        let hc = Fake::new(0);
        yield_now(&hc).unwrap();
        block(&hc).unwrap();
        remote_shutdown(&hc, DomId::new_unchecked(3), ShutdownReason::REBOOT).unwrap();
        let calls = hc.calls();
        assert_eq!((calls[0].op, calls[0].args), (29, [0; 5]));
        assert_eq!(calls[1].args, [1, 0, 0, 0, 0]);
        assert_eq!(calls[2].args[..2], [4, calls[2].addrs[0]]);
        assert_eq!(calls[2].buffers[0], [3, 0, 0, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn poll_nests_the_port_array() {
        let hc = Fake::new(0);
        let ports = [EvtchnPort::new_unchecked(5), EvtchnPort::new_unchecked(9)];
        poll(&hc, &ports, 1234).unwrap();
        let c = hc.last();
        assert_eq!(c.args[..2], [3, c.addrs[1]]);
        assert_eq!(c.buffers[0], [5, 0, 0, 0, 9, 0, 0, 0]);
        let mut want = c.addrs[0].to_ne_bytes().to_vec();
        want.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&1234u64.to_ne_bytes());
        assert_eq!(c.buffers[1], want);
        let many = [EvtchnPort::ZERO; POLL_MAX_PORTS + 1];
        assert_eq!(poll(&hc, &many, 0), Err(Errno::EINVAL));
        assert_eq!(hc.calls().len(), 1);
    }

    #[test]
    fn watchdog_returns_the_id() {
        let hc = Fake::new(2);
        assert_eq!(watchdog_create(&hc, 30), Ok(2));
        assert_eq!(hc.last().buffers[0], [0, 0, 0, 0, 30, 0, 0, 0]);
        assert_eq!(watchdog_kick(&hc, 0, 5), Err(Errno::EINVAL));
        pin_override(&hc, None).unwrap();
        assert_eq!(hc.last().buffers[0], [0xff; 4]);
    }
}

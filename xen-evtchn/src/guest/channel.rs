// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`EventChannel`]: the typed `EVTCHNOP_*` operations of the calling domain.

use core::fmt;

use xen_abi::event_channel::{fifo, BindPirqFlags, EvtchnPort, Status};
use xen_abi::xen::{DomId, VcpuId, Virq};
use xen_hypercall::{event_channel as op, Hypercall};

use crate::{Error, Result};

/// A FIFO priority: `0` ([`Priority::HIGHEST`]) is served first, `15`
/// ([`Priority::LOWEST`]) last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Priority(u32);

impl Priority {
    /// Queue 0, served first (`EVTCHN_FIFO_PRIORITY_MAX`).
    #[doc(alias = "EVTCHN_FIFO_PRIORITY_MAX")]
    pub const HIGHEST: Self = Self(fifo::PRIORITY_MAX);
    /// The priority of a newly bound port (`EVTCHN_FIFO_PRIORITY_DEFAULT`).
    #[doc(alias = "EVTCHN_FIFO_PRIORITY_DEFAULT")]
    pub const DEFAULT: Self = Self(fifo::PRIORITY_DEFAULT);
    /// Queue 15, served last (`EVTCHN_FIFO_PRIORITY_MIN`).
    #[doc(alias = "EVTCHN_FIFO_PRIORITY_MIN")]
    pub const LOWEST: Self = Self(fifo::PRIORITY_MIN);

    /// A priority in `0..=15`.
    ///
    /// # Errors
    /// [`Error::BadPriority`] with the value otherwise.
    pub const fn new(raw: u32) -> Result<Self> {
        if raw <= fifo::PRIORITY_MIN {
            Ok(Self(raw))
        } else {
            Err(Error::BadPriority(raw))
        }
    }

    /// The queue number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The event-channel operations of the calling domain, over a hypercall
/// backend `H`.
///
/// Ports are plain [`EvtchnPort`] values, closed explicitly with
/// [`close`](Self::close) (or all at once with [`reset`](Self::reset)): a
/// no_std kernel keeps ports in its device structures and interrupt
/// tables, and a close that can fail needs a caller to report to, which a
/// `Drop` does not have. The Linux half, where a process owns its ports
/// through a file descriptor, closes them with it.
pub struct EventChannel<H: Hypercall> {
    hc: H,
}

impl<H: Hypercall> fmt::Debug for EventChannel<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventChannel").finish_non_exhaustive()
    }
}

impl<H: Hypercall> EventChannel<H> {
    /// Event channels through the backend `hc` (a hypercall page, `hvc`, or
    /// a reference to one).
    pub const fn new(hc: H) -> Self {
        Self { hc }
    }

    /// The backend.
    pub const fn hypercall(&self) -> &H {
        &self.hc
    }

    /// Allocates a port of this domain that `remote` may connect to with
    /// [`bind_interdomain`](Self::bind_interdomain) ([`DomId::SELF`] for a
    /// pair within this domain).
    ///
    /// # Errors
    /// [`Error::Xen`]: `ESRCH` for no such domain, `ENOSPC` when no port is
    /// free.
    #[doc(alias = "EVTCHNOP_alloc_unbound")]
    pub fn alloc_unbound(&self, remote: DomId) -> Result<EvtchnPort> {
        Ok(op::alloc_unbound(&self.hc, DomId::SELF, remote)?)
    }

    /// Connects a new local port to `remote_port`, an unbound port that
    /// `remote` allocated for this domain; returns the local port.
    ///
    /// # Errors
    /// [`Error::Xen`]: `EINVAL` when `remote_port` is not unbound for this
    /// domain, `ESRCH` for no such domain.
    #[doc(alias = "EVTCHNOP_bind_interdomain")]
    pub fn bind_interdomain(&self, remote: DomId, remote_port: EvtchnPort) -> Result<EvtchnPort> {
        Ok(op::bind_interdomain(&self.hc, remote, remote_port)?)
    }

    /// Binds virtual IRQ `virq` on `vcpu` to a new port.
    ///
    /// # Errors
    /// [`Error::Xen`]: `EEXIST` when already bound, `EINVAL` for an unknown
    /// VIRQ, `ENOENT` for no such vCPU.
    #[doc(alias = "EVTCHNOP_bind_virq")]
    pub fn bind_virq(&self, virq: Virq, vcpu: VcpuId) -> Result<EvtchnPort> {
        Ok(op::bind_virq(&self.hc, virq, vcpu)?)
    }

    /// Binds a port for inter-vCPU notifications delivered to `vcpu` (a
    /// [`send`](Self::send) on it signals the port itself).
    ///
    /// # Errors
    /// [`Error::Xen`]: `ENOENT` for no such vCPU, `ENOSPC` when no port is
    /// free.
    #[doc(alias = "EVTCHNOP_bind_ipi")]
    pub fn bind_ipi(&self, vcpu: VcpuId) -> Result<EvtchnPort> {
        Ok(op::bind_ipi(&self.hc, vcpu)?)
    }

    /// Binds physical IRQ `pirq` (a domain with hardware: dom0 or a driver
    /// domain) to a new port.
    ///
    /// # Errors
    /// [`Error::Xen`]: `EINVAL` for a PIRQ this domain does not have,
    /// `EEXIST` when bound already, `EBUSY` when held unshared elsewhere.
    #[doc(alias = "EVTCHNOP_bind_pirq")]
    pub fn bind_pirq(&self, pirq: u32, flags: BindPirqFlags) -> Result<EvtchnPort> {
        Ok(op::bind_pirq(&self.hc, pirq, flags)?)
    }

    /// Closes `port` (a connected peer's end becomes unbound); no event is
    /// delivered on it afterwards.
    ///
    /// # Errors
    /// [`Error::Xen`]: `EINVAL` for a port this domain does not have.
    #[doc(alias = "EVTCHNOP_close")]
    pub fn close(&self, port: EvtchnPort) -> Result<()> {
        Ok(op::close(&self.hc, port)?)
    }

    /// Signals `port`: the remote end of an interdomain channel, or the
    /// port itself for an IPI.
    ///
    /// # Errors
    /// [`Error::Xen`]: `EINVAL` for a closed port or one that cannot send.
    #[doc(alias = "EVTCHNOP_send")]
    pub fn send(&self, port: EvtchnPort) -> Result<()> {
        Ok(op::send(&self.hc, port)?)
    }

    /// The state of this domain's `port`.
    ///
    /// # Errors
    /// [`Error::Xen`]: `EINVAL` for a port beyond the domain's range.
    #[doc(alias = "EVTCHNOP_status")]
    pub fn status(&self, port: EvtchnPort) -> Result<Status> {
        Ok(op::status(&self.hc, DomId::SELF, port)?)
    }

    /// Unmasks `port`, redelivering (Xen re-raises it) an event that
    /// became pending while it was masked. Works under both ABIs; mask with
    /// the demultiplexer's [`mask`](super::Demux::mask).
    ///
    /// # Errors
    /// [`Error::Xen`]: `EINVAL` for a port beyond the domain's range.
    #[doc(alias = "EVTCHNOP_unmask")]
    pub fn unmask(&self, port: EvtchnPort) -> Result<()> {
        Ok(op::unmask(&self.hc, port)?)
    }

    /// Delivers `port`'s notifications to `vcpu` from now on.
    ///
    /// # Errors
    /// [`Error::Xen`]: `ENOENT` for no such vCPU, `EINVAL` for a port whose
    /// vCPU is fixed (per-vCPU VIRQ, IPI).
    #[doc(alias = "EVTCHNOP_bind_vcpu")]
    pub fn bind_vcpu(&self, port: EvtchnPort, vcpu: VcpuId) -> Result<()> {
        Ok(op::bind_vcpu(&self.hc, port, vcpu)?)
    }

    /// Puts `port` on FIFO queue `priority` (FIFO ABI only).
    ///
    /// # Errors
    /// [`Error::Xen`]: `ENOSYS` under the 2-level ABI, `EINVAL` for a bad
    /// port.
    #[doc(alias = "EVTCHNOP_set_priority")]
    pub fn set_priority(&self, port: EvtchnPort, priority: Priority) -> Result<()> {
        Ok(op::set_priority(&self.hc, port, priority.get())?)
    }

    /// Closes every port of this domain and returns it to the 2-level ABI
    /// (a [`Fifo`](super::Fifo) demultiplexer is stale afterwards).
    ///
    /// # Errors
    /// [`Error::Xen`].
    #[doc(alias = "EVTCHNOP_reset")]
    pub fn reset(&self) -> Result<()> {
        Ok(op::reset(&self.hc, DomId::SELF)?)
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! In-guest event channels (no_std): the typed `EVTCHNOP_*` API, the
//! 2-level and FIFO pending-event ABIs behind one demultiplexer.
//!
//! - [`EventChannel`]: allocate, bind, signal, query, unmask and close the
//!   calling domain's ports over any [`Hypercall`](xen_hypercall::Hypercall)
//!   backend. Ports are [`EvtchnPort`](crate::EvtchnPort) values, closed
//!   explicitly (see [`EventChannel`] for why not on drop).
//! - [`Demux`]: "give me the pending ports, in priority order, each once,
//!   fairly", implemented by [`TwoLevel`] (shared_info's bitmaps) and
//!   [`Fifo`] (control block and event array, pages from the platform's
//!   [`FifoPages`]), and by [`AnyDemux`] over both.
//!
//! Every access to memory Xen writes goes through xen-abi's
//! [`SharedMem`](xen_abi::io::shm::SharedMem); this module has no `unsafe`.
//! The one step it cannot vouch for, giving pages of the guest's memory to
//! Xen, is the platform's ([`FifoPages`]).
//!
//! ```no_run
//! use xen_abi::io::shm::SharedMem;
//! use xen_abi::xen::VcpuId;
//! use xen_abi::DomId;
//! use xen_evtchn::guest::{Demux, EventChannel, TwoLevel};
//! use xen_evtchn::EvtchnPort;
//! # fn f(hc: impl xen_hypercall::Hypercall, shared_info: SharedMem<'static>)
//! # -> xen_evtchn::Result<()> {
//! let evtchn = EventChannel::new(hc);
//! // A pair within this domain: `a` signals `b` and back.
//! let a = evtchn.alloc_unbound(DomId::SELF)?;
//! let b = evtchn.bind_interdomain(DomId::SELF, a)?;
//! let mut events = TwoLevel::new(shared_info, VcpuId::BOOT)?;
//! evtchn.send(a)?;
//! // In the upcall handler (or polling with upcalls masked):
//! let mut ports = [EvtchnPort::ZERO; 32];
//! let n = events.take_pending(&mut ports)?;
//! assert!(ports[..n].contains(&b));
//! evtchn.close(b)?;
//! evtchn.close(a)?;
//! # Ok(()) }
//! ```

mod channel;
mod demux;
mod fifo;
mod two_level;

pub use channel::{EventChannel, Priority};
pub use demux::{AnyDemux, Demux};
pub use fifo::{Fifo, FifoPages, MAX_ARRAY_PAGES, WORDS_PER_PAGE};
pub use two_level::TwoLevel;

/// Zeroed, leaked, 8-aligned memory for the unit tests.
#[cfg(test)]
pub(crate) fn leaked(len: usize) -> xen_abi::io::shm::SharedMem<'static> {
    let v = std::vec::Vec::leak(std::vec![0u8; len + 8]);
    let off = v.as_ptr().align_offset(8);
    xen_abi::io::shm::SharedMem::from_mut(&mut v[off..off + len]).unwrap()
}

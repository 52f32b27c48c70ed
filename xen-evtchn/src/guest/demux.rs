// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`Demux`]: "give me the pending ports", whatever the ABI.

use xen_abi::event_channel::EvtchnPort;

use super::{Fifo, FifoPages, TwoLevel};
use crate::Result;

/// A demultiplexer of one vCPU's pending events.
///
/// [`take_pending`](Self::take_pending) hands out pending, unmasked ports,
/// clearing each one's pending state as it goes (an event arriving after
/// that is delivered by a later call): in priority order (FIFO), each port
/// at most once per call, and fairly: a call resumes where the previous
/// one stopped, so a port that is signalled without pause cannot starve
/// the others. Every call does bounded work, whatever the shared memory
/// holds.
pub trait Demux {
    /// Fills `out` with pending, unmasked ports (clearing their pending
    /// state) and returns how many it wrote; `0` when none is pending.
    ///
    /// Call it from the upcall handler (and again until it returns fewer
    /// than `out.len()`), or poll it with upcalls masked.
    ///
    /// # Errors
    /// [`Error::SharedMem`](crate::Error::SharedMem) if a shared page is
    /// unusable (never for values Xen or a peer wrote there).
    fn take_pending(&mut self, out: &mut [EvtchnPort]) -> Result<usize>;

    /// Masks `port`: its events stay pending and are not handed out until
    /// [`EventChannel::unmask`](super::EventChannel::unmask).
    ///
    /// # Errors
    /// [`Error::PortOutOfRange`](crate::Error::PortOutOfRange) for a port
    /// the ABI does not cover.
    fn mask(&self, port: EvtchnPort) -> Result<()>;

    /// Whether `port` is masked.
    ///
    /// # Errors
    /// As [`mask`](Self::mask).
    fn is_masked(&self, port: EvtchnPort) -> Result<bool>;

    /// Whether an event is pending on `port`.
    ///
    /// # Errors
    /// As [`mask`](Self::mask).
    fn is_pending(&self, port: EvtchnPort) -> Result<bool>;

    /// Clears `port`'s pending state without handing it out (a freshly
    /// bound port may be pending already).
    ///
    /// # Errors
    /// As [`mask`](Self::mask).
    fn clear_pending(&self, port: EvtchnPort) -> Result<()>;

    /// One past the largest port covered now.
    fn port_limit(&self) -> u32;
}

/// Either ABI, chosen at run time (FIFO when Xen offers it and the
/// platform has pages, 2-level otherwise).
///
/// The FIFO variant holds the event-array page table in place (no_std
/// without an allocator has nothing to box it into); one per vCPU.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum AnyDemux<P: FifoPages> {
    /// The 2-level ABI over shared_info.
    TwoLevel(TwoLevel),
    /// The FIFO ABI.
    Fifo(Fifo<P>),
}

impl<P: FifoPages> Demux for AnyDemux<P> {
    fn take_pending(&mut self, out: &mut [EvtchnPort]) -> Result<usize> {
        match self {
            Self::TwoLevel(d) => d.take_pending(out),
            Self::Fifo(d) => d.take_pending(out),
        }
    }

    fn mask(&self, port: EvtchnPort) -> Result<()> {
        match self {
            Self::TwoLevel(d) => d.mask(port),
            Self::Fifo(d) => d.mask(port),
        }
    }

    fn is_masked(&self, port: EvtchnPort) -> Result<bool> {
        match self {
            Self::TwoLevel(d) => d.is_masked(port),
            Self::Fifo(d) => d.is_masked(port),
        }
    }

    fn is_pending(&self, port: EvtchnPort) -> Result<bool> {
        match self {
            Self::TwoLevel(d) => d.is_pending(port),
            Self::Fifo(d) => d.is_pending(port),
        }
    }

    fn clear_pending(&self, port: EvtchnPort) -> Result<()> {
        match self {
            Self::TwoLevel(d) => d.clear_pending(port),
            Self::Fifo(d) => d.clear_pending(port),
        }
    }

    fn port_limit(&self) -> u32 {
        match self {
            Self::TwoLevel(d) => d.port_limit(),
            Self::Fifo(d) => d.port_limit(),
        }
    }
}

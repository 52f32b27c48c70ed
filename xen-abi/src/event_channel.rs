// SPDX-License-Identifier: MIT OR Apache-2.0
//! `event_channel.h`: event-channel operations and the FIFO ABI.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Error, Result};

/// An event-channel port (`evtchn_port_t`).
///
/// Ports are below [`EvtchnPort::LIMIT`] (`EVTCHN_FIFO_NR_CHANNELS`, the
/// largest ABI Xen offers). Port 0 is never bound, and serves as "none".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(transparent)]
#[doc(alias = "evtchn_port_t")]
pub struct EvtchnPort(u32);

impl EvtchnPort {
    /// Port 0: never a bound channel; Xen's "no port".
    pub const ZERO: Self = Self(0);
    /// One past the largest port any event-channel ABI allows (2^17, FIFO).
    pub const LIMIT: u32 = 1 << 17;

    /// A port below [`Self::LIMIT`].
    ///
    /// # Errors
    /// [`Error::InvalidPort`] with the value otherwise.
    pub const fn new(raw: u32) -> Result<Self> {
        if raw < Self::LIMIT {
            Ok(Self(raw))
        } else {
            Err(Error::InvalidPort(raw))
        }
    }

    /// Wraps `raw` without checking it (a bad port only makes Xen fail).
    pub const fn new_unchecked(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw port number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for EvtchnPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EvtchnPort({})", self.0)
    }
}

impl fmt::Display for EvtchnPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl TryFrom<u32> for EvtchnPort {
    type Error = Error;
    fn try_from(raw: u32) -> Result<Self> {
        Self::new(raw)
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The crate's error type, shared by the core and both halves.

use core::fmt;

use alloc::string::String;

/// Which ring of a vchan an error is about, from this end's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The ring this end reads (server: left; client: right).
    Rx,
    /// The ring this end writes (server: right; client: left).
    Tx,
}

/// Errors of a vchan: a hostile or broken peer, the platform's refusals,
/// time-outs.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The peer's index puts more than the ring's size between the consumer
    /// and the producer (or runs backwards): a corrupt or hostile peer.
    /// Nothing was transferred; the channel is unusable.
    BadIndex {
        /// The ring.
        ring: Direction,
        /// The producer index seen (ours, for `Tx`).
        prod: u32,
        /// The consumer index seen (ours, for `Rx`).
        cons: u32,
        /// The ring's size in bytes.
        size: u32,
    },
    /// The ring orders in the control page (or asked of a server) are not a
    /// layout libxenvchan defines: each in `10..=20`, the two in-page
    /// orders different, the grant list clear of the in-page rings.
    BadOrders {
        /// Order of the left (client-to-server) ring.
        left: u16,
        /// Order of the right (server-to-client) ring.
        right: u16,
    },
    /// A ring size larger than libxenvchan's largest ring (1 MiB).
    TooLarge {
        /// The size asked for.
        requested: usize,
        /// The largest size.
        max: usize,
    },
    /// A `*_live` byte holds a value that is not a live state (0, 1, 2).
    BadLive(u8),
    /// A grant reference in the control page's list is the invalid one.
    BadGrant {
        /// Its index in the list.
        index: usize,
        /// The raw value.
        raw: u32,
    },
    /// A xenstore node of the vchan holds something that is not what
    /// libxenvchan writes there (a non-zero decimal number).
    BadNode {
        /// The node.
        path: String,
        /// Its value (lossy UTF-8, at most 64 bytes).
        value: String,
    },
    /// The peer has closed the channel (or died): nothing more will come.
    PeerClosed,
    /// The operation did not complete within its time-out.
    TimedOut,
    /// A [`SharedMem`](xen_abi::io::shm::SharedMem) access was refused (a
    /// page smaller or less aligned than the layout needs).
    SharedMem(xen_abi::Error),
    /// An id read from a peer (port, grant ref, domain) is out of range.
    Abi(xen_abi::Error),
    /// The grant platform refused (gntalloc/gntdev, or the guest's table).
    Grant(xen_grant::Error),
    /// The event-channel platform refused.
    Evtchn(xen_evtchn::Error),
    /// xenstore refused, or its connection broke.
    Store(xen_store::Error),
    /// The guest platform refused (page allocation, waiting): its message.
    Platform(&'static str),
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Rx => "receive",
            Direction::Tx => "send",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadIndex {
                ring,
                prod,
                cons,
                size,
            } => write!(
                f,
                "vchan {ring} ring indices prod {prod} cons {cons} are more than {size} apart \
                 (corrupt or hostile peer)"
            ),
            Error::BadOrders { left, right } => write!(
                f,
                "vchan ring orders left {left} right {right} are not a libxenvchan layout"
            ),
            Error::TooLarge { requested, max } => {
                write!(f, "vchan ring of {requested} bytes asked; at most {max}")
            }
            Error::BadLive(v) => write!(f, "vchan live byte holds {v} (not 0, 1 or 2)"),
            Error::BadGrant { index, raw } => {
                write!(f, "vchan grant list entry {index} is {raw:#x}")
            }
            Error::BadNode { path, value } => {
                write!(f, "xenstore node {path} holds {value:?}, not a vchan value")
            }
            Error::PeerClosed => f.write_str("the vchan peer has closed the channel"),
            Error::TimedOut => f.write_str("vchan operation timed out"),
            Error::SharedMem(e) => write!(f, "vchan shared memory: {e}"),
            Error::Abi(e) => write!(f, "vchan peer value: {e}"),
            Error::Grant(e) => write!(f, "vchan grants: {e}"),
            Error::Evtchn(e) => write!(f, "vchan event channel: {e}"),
            Error::Store(e) => write!(f, "vchan xenstore: {e}"),
            Error::Platform(m) => write!(f, "vchan guest platform: {m}"),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::SharedMem(e) | Error::Abi(e) => Some(e),
            Error::Grant(e) => Some(e),
            Error::Evtchn(e) => Some(e),
            Error::Store(e) => Some(e),
            _ => None,
        }
    }
}

impl From<xen_grant::Error> for Error {
    fn from(e: xen_grant::Error) -> Self {
        Error::Grant(e)
    }
}

impl From<xen_evtchn::Error> for Error {
    fn from(e: xen_evtchn::Error) -> Self {
        Error::Evtchn(e)
    }
}

impl From<xen_store::Error> for Error {
    fn from(e: xen_store::Error) -> Self {
        Error::Store(e)
    }
}

#[cfg(feature = "std")]
impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        use std::io::ErrorKind;
        let kind = match &e {
            Error::PeerClosed => ErrorKind::BrokenPipe,
            Error::TimedOut => ErrorKind::TimedOut,
            Error::BadIndex { .. }
            | Error::BadOrders { .. }
            | Error::BadLive(_)
            | Error::BadGrant { .. }
            | Error::BadNode { .. }
            | Error::Abi(_) => ErrorKind::InvalidData,
            _ => ErrorKind::Other,
        };
        std::io::Error::new(kind, e)
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`Transport`]: the byte pipe under a [`Client`](crate::Client), the only
//! part that differs between a guest's ring page and dom0's socket or
//! xenbus device.

use crate::error::Result;
use crate::wire::{HEADER_LEN, PAYLOAD_MAX};

/// Moves the xenstore byte stream between a [`Client`](crate::Client) and
/// xenstored. The client does everything else: request ids, framing,
/// matching replies, watch queues, transactions.
///
/// Implementations in this crate: `StreamTransport`
/// (feature `std`: xenstored's Unix socket, Linux's xenbus device, any
/// `Read`/`Write` pair) and [`RingTransport`](crate::ring::RingTransport)
/// (the guest's shared page, notify/wait through
/// [`RingHooks`](crate::ring::RingHooks)).
///
/// A transport may block or not:
/// - a blocking one (`StreamTransport`) takes all
///   of a write, blocks in [`Transport::read`] until bytes arrive, reports
///   the end of the stream as [`Error::Disconnected`](crate::Error), and is
///   never asked to [`Transport::wait`];
/// - a polling one ([`RingTransport`](crate::ring::RingTransport)) returns
///   0 from either call when it cannot make progress now; the client then
///   reads (the peer may be waiting for room for its replies) and calls
///   [`Transport::wait`] when nothing came.
///
/// The client serialises writes (one writer at a time, whole messages in
/// order) and reads (one reader at a time); a read and a write may run at
/// once on a shared std client.
///
/// No method may call back into the client that owns the transport (a
/// single-threaded no_std client panics if a read re-enters it).
pub trait Transport: core::fmt::Debug {
    /// Writes a prefix of `bytes` (one or more whole messages, or the rest
    /// of one) and returns its length; 0 means no room now.
    ///
    /// # Errors
    ///
    /// Any: the client declares the connection broken.
    fn write(&self, bytes: &[u8]) -> Result<usize>;

    /// Reads what arrived into `buf` (at least 8 KiB) and returns its
    /// length; 0 means nothing now.
    ///
    /// # Errors
    ///
    /// Any, [`Error::Disconnected`](crate::Error) at the end of the stream:
    /// the client declares the connection broken.
    fn read(&self, buf: &mut [u8]) -> Result<usize>;

    /// Blocks until the peer may have made progress (its notification, a
    /// poll interval); spurious returns are fine. Called after a 0 from
    /// [`Transport::read`] or [`Transport::write`].
    fn wait(&self);

    /// The longest message, header included, the transport takes (default:
    /// a header and `XENSTORE_PAYLOAD_MAX` bytes).
    fn max_message(&self) -> usize {
        HEADER_LEN + PAYLOAD_MAX
    }

    /// Whether each request must wait for every earlier reply before it is
    /// written (Linux's xenbus device: it sends a request's body from one
    /// per-file buffer after `write()` returned). Default: no.
    fn one_request_at_a_time(&self) -> bool {
        false
    }
}

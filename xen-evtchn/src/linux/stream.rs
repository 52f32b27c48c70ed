// SPDX-License-Identifier: MIT OR Apache-2.0
//! The device under tokio: an [`AsyncEvtchn`] waits on the handle with
//! `AsyncFd`, and [`PendingStream`] yields pending ports one by one while
//! reading them from the driver in batches.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::boxed::Box;
use std::path::Path;

use futures_core::Stream;
use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};
use tokio::io::Interest;

use super::{Evtchn, EVTCHN_DEVICE};
use crate::{Error, EvtchnPort, Result};

/// How many ports a [`PendingStream`] reads per `read(2)`.
const STREAM_BATCH: usize = 64;

/// An [`Evtchn`] opened non-blocking and registered with tokio's reactor.
///
/// Binds, notifies, unmasks and resets go through [`evtchn`](Self::evtchn)
/// (they never block); waiting for events is async.
pub struct AsyncEvtchn {
    fd: AsyncFd<Evtchn>,
}

impl fmt::Debug for AsyncEvtchn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncEvtchn")
            .field("evtchn", self.fd.get_ref())
            .finish()
    }
}

impl AsyncEvtchn {
    /// Opens [`EVTCHN_DEVICE`] non-blocking, inside a tokio runtime with I/O
    /// enabled.
    ///
    /// # Errors
    /// As [`Evtchn::open`]; [`Error::Device`] with op `AsyncFd::new` if the
    /// reactor refuses the descriptor.
    ///
    /// # Panics
    /// Outside a tokio runtime with I/O enabled (tokio's own rule).
    pub fn open() -> Result<Self> {
        Self::open_at(Path::new(EVTCHN_DEVICE))
    }

    /// Opens the device at `path` non-blocking.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    ///
    /// # Panics
    /// As [`open`](Self::open).
    pub fn open_at(path: &Path) -> Result<Self> {
        let dev = Evtchn::open_with(path, libc::O_NONBLOCK)?;
        // `with_interest` is deprecated since tokio 1.53 for types whose
        // `as_raw_fd` could change or close; an `Evtchn` owns its descriptor
        // for its whole life and always returns it, which is what the
        // (unsafe) successor `register_with_interest` asks. The safe call
        // keeps every tokio 1.x working.
        #[allow(deprecated)]
        let fd = AsyncFd::with_interest(dev, Interest::READABLE | Interest::ERROR).map_err(
            |source| Error::Device {
                path: path.to_path_buf(),
                op: "AsyncFd::new",
                source,
            },
        )?;
        Ok(Self { fd })
    }

    /// The handle, for binds, notifies, unmasks and resets.
    pub fn evtchn(&self) -> &Evtchn {
        self.fd.get_ref()
    }

    /// Waits until ports are pending and reads them into `buf`: how many
    /// (at least one unless `buf` is empty).
    ///
    /// # Errors
    /// As [`Evtchn::pending`].
    pub async fn pending(&self, buf: &mut [EvtchnPort]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let guard = self.ready().await?;
            if let Some(n) = self.read_or_clear(guard, buf)? {
                return Ok(n);
            }
        }
    }

    /// A stream of the pending ports, read in batches.
    pub fn pending_stream(&self) -> PendingStream<'_> {
        PendingStream {
            dev: self,
            wait: None,
            buf: [EvtchnPort::ZERO; STREAM_BATCH],
            next: 0,
            len: 0,
        }
    }

    /// Readable, or in error (an overflowed queue polls as `POLLERR` only).
    async fn ready(&self) -> Result<AsyncFdReadyGuard<'_, Evtchn>> {
        self.fd
            .ready(Interest::READABLE | Interest::ERROR)
            .await
            .map_err(|e| self.evtchn().dev.err("poll", e))
    }

    /// One read after a readiness event; `None` (readiness cleared) when
    /// there was nothing after all.
    fn read_or_clear(
        &self,
        mut guard: AsyncFdReadyGuard<'_, Evtchn>,
        buf: &mut [EvtchnPort],
    ) -> Result<Option<usize>> {
        match self.evtchn().dev.read(buf)? {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => {
                guard.clear_ready();
                Ok(None)
            }
        }
    }
}

type Ready<'a> = Pin<Box<dyn Future<Output = Result<AsyncFdReadyGuard<'a, Evtchn>>> + Send + 'a>>;

/// The pending ports of an [`AsyncEvtchn`], as a [`Stream`]: each port
/// once per event, masked until [`Evtchn::unmask`]ed.
///
/// Reads up to 64 ports per system call. An overflow comes out as
/// [`Error::Overflow`] and keeps coming until the handle is
/// [`reset`](Evtchn::reset).
pub struct PendingStream<'a> {
    dev: &'a AsyncEvtchn,
    wait: Option<Ready<'a>>,
    buf: [EvtchnPort; STREAM_BATCH],
    next: usize,
    len: usize,
}

impl fmt::Debug for PendingStream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingStream")
            .field("dev", self.dev)
            .field("buffered", &&self.buf[self.next..self.len])
            .finish_non_exhaustive()
    }
}

impl Stream for PendingStream<'_> {
    type Item = Result<EvtchnPort>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(&port) = this.buf.get(this.next..this.len).and_then(|b| b.first()) {
                this.next += 1;
                return Poll::Ready(Some(Ok(port)));
            }
            let dev = this.dev;
            let wait = this.wait.get_or_insert_with(|| Box::pin(dev.ready()));
            let guard = match wait.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(r) => {
                    this.wait = None;
                    match r {
                        Ok(g) => g,
                        Err(e) => return Poll::Ready(Some(Err(e))),
                    }
                }
            };
            match dev.read_or_clear(guard, &mut this.buf) {
                Ok(Some(n)) => {
                    this.next = 0;
                    this.len = n.min(STREAM_BATCH);
                }
                Ok(None) => {}
                Err(e) => return Poll::Ready(Some(Err(e))),
            }
        }
    }
}

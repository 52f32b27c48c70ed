// SPDX-License-Identifier: MIT OR Apache-2.0
//! Watches as an async [`Stream`] (feature `tokio`).

use alloc::string::String;
use alloc::sync::Arc;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::mpsc;

use xen_abi::io::xs_wire::TxId;

use super::Xenstore;
use crate::error::Result;
use crate::session::WatchEvent;
use crate::wire::Request;

/// Events buffered between the reader thread and the stream.
const CHANNEL_DEPTH: usize = 64;

/// A registered watch whose events arrive as an async [`Stream`]
/// (`Item = Result<WatchEvent>`); see [`Xenstore::watch_stream`].
///
/// The stream ends after yielding the error that broke the connection.
/// Dropping it unwatches.
///
/// Design: the std client has no background thread; whoever waits becomes
/// the reader. A [`WatchStream`] therefore gets one thread of its own that
/// waits for the watch's events exactly like [`Watch::next_event`]
/// (taking its turn as the connection's reader) and hands each one to the
/// stream through a bounded tokio channel. The thread blocks only in the
/// socket read, on the client's condition variable, or on a full channel
/// (backpressure), never inside an async runtime, so the stream works on
/// any executor and other users of the connection are not held up.
///
/// Dropping the stream sets a stop flag, unwatches (without waiting) and
/// wakes the thread; the unwatch's reply, or the next event, wakes it if
/// it is the one reading. It then exits without touching the stream.
///
/// [`Watch::next_event`]: crate::Watch::next_event
/// [`Xenstore::watch`]: crate::Client::watch
#[derive(Debug)]
#[cfg_attr(docsrs, doc(cfg(all(feature = "tokio", target_os = "linux"))))]
pub struct WatchStream {
    xs: Arc<Xenstore>,
    path: String,
    token: String,
    stop: Arc<AtomicBool>,
    rx: mpsc::Receiver<Result<WatchEvent>>,
}

impl Xenstore {
    /// Watches `path` like [`Xenstore::watch`], delivering events as an
    /// async [`Stream`] fed by a thread this call spawns (see
    /// [`WatchStream`] for the design).
    ///
    /// ```no_run
    /// # async fn f() -> xen_store::Result<()> {
    /// use std::sync::Arc;
    /// use xen_store::Xenstore;
    /// let xs = Arc::new(Xenstore::open()?);
    /// let mut w = xs.watch_stream("/local/domain/0/memory", "mem")?;
    /// while let Some(ev) = w.next_event().await {
    ///     println!("{} changed", ev?.path);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Xenstore::watch`]; [`Error::Io`](crate::Error::Io) if the
    /// thread cannot be spawned.
    #[cfg_attr(docsrs, doc(cfg(all(feature = "tokio", target_os = "linux"))))]
    pub fn watch_stream(self: &Arc<Self>, path: &str, token: &str) -> Result<WatchStream> {
        let mut watch = self.watch(path, token)?;
        // From here the stream owns the registration: it unwatches on drop.
        watch.active = false;
        drop(watch);
        let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
        let stop = Arc::new(AtomicBool::new(false));
        let stream = WatchStream {
            xs: Arc::clone(self),
            path: path.into(),
            token: token.into(),
            stop: Arc::clone(&stop),
            rx,
        };
        let xs = Arc::clone(self);
        let tok = String::from(token);
        std::thread::Builder::new()
            .name(alloc::format!("xenstore-watch-{token}"))
            .spawn(move || forward(&xs, &tok, &stop, &tx))?;
        Ok(stream)
    }
}

/// The thread: waits for events and sends them until stopped, the stream
/// is gone, or the connection breaks (whose error is sent last).
fn forward(xs: &Xenstore, token: &str, stop: &AtomicBool, tx: &mpsc::Sender<Result<WatchEvent>>) {
    loop {
        let got = xs.wait_until(|s| {
            if stop.load(Ordering::Acquire) {
                Some(Ok(None))
            } else {
                s.pop_event(token).map(|e| Ok(Some(e)))
            }
        });
        let item = match got {
            Ok(Some(ev)) => Ok(ev),
            Ok(None) => return,
            Err(e) => Err(e),
        };
        let last = item.is_err();
        if tx.blocking_send(item).is_err() || last {
            return;
        }
    }
}

impl WatchStream {
    /// The watched path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The next event; `None` once the stream has ended (after the error
    /// that broke the connection).
    pub async fn next_event(&mut self) -> Option<Result<WatchEvent>> {
        self.rx.recv().await
    }
}

impl Stream for WatchStream {
    type Item = Result<WatchEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for WatchStream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.xs.state.lock().session.remove_watch(&self.token);
        let req = Request::Unwatch {
            path: &self.path,
            token: self.token.as_bytes(),
        };
        // Fire and forget; on a broken connection the thread is woken by
        // the broken state anyway.
        let _: Result<()> = self.xs.submit(TxId::NONE, &req).map(drop);
        // Wake the thread if it waits on the condition variable (taking
        // the lock so the wake-up cannot slip between its check and wait).
        let _st = self.xs.state.lock();
        self.xs.signal.notify_all();
    }
}

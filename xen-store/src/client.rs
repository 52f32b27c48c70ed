// SPDX-License-Identifier: MIT OR Apache-2.0
//! The std client: xenstored's Unix socket or Linux's `/dev/xen/xenbus`,
//! many requests in flight at once, shared between threads.
//!
//! There is no background thread. Whoever waits for a reply (or a watch
//! event) and finds nobody reading becomes the reader for one read, files
//! every message it got under its request id or watch token, and wakes the
//! others. So a single thread can keep 64 requests in flight
//! ([`Xenstore::submit`] then [`Xenstore::wait`]), and many threads can
//! share one connection.

#[cfg(feature = "tokio")]
mod watch_stream;

#[cfg(feature = "tokio")]
pub use watch_stream::WatchStream;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::borrow::Borrow;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};

use xen_abi::io::xs_wire::MsgType;

use crate::error::{Error, Result};
use crate::session::{Session, WatchEvent};
use crate::store::Store;
use crate::wire::{self, Message, Request, HEADER_LEN, PAYLOAD_MAX};

/// The socket path used when `XENSTORED_PATH` is not set.
pub const DEFAULT_SOCKET: &str = "/var/run/xenstored/socket";
/// The xenbus device (driver domains, or dom0 without a socket).
pub const XENBUS_DEVICE: &str = "/dev/xen/xenbus";
/// The older xenfs location of the xenbus device.
pub const XENBUS_PROC: &str = "/proc/xen/xenbus";

/// How many times [`Xenstore::transaction`] retries on `EAGAIN`.
const TX_RETRIES: u32 = 64;

/// Which transport a [`Xenstore`] uses.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// xenstored's Unix socket at this path.
    Socket(PathBuf),
    /// The Linux xenbus device at this path.
    Xenbus(PathBuf),
    /// Caller-supplied streams ([`Xenstore::from_stream`],
    /// [`Xenstore::from_io`]).
    Custom,
}

struct State {
    session: Session,
    reading: bool,
}

/// A connection to xenstored.
///
/// ```no_run
/// use xen_store::{Store, Xenstore};
/// let xs = Xenstore::open()?;
/// xs.write("/test/hello", b"world")?;
/// assert_eq!(xs.read("/test/hello")?, b"world");
/// # Ok::<(), xen_store::Error>(())
/// ```
pub struct Xenstore {
    state: Mutex<State>,
    cond: Condvar,
    reader: Mutex<Box<dyn Read + Send>>,
    writer: Mutex<Box<dyn Write + Send>>,
    transport: Transport,
}

impl core::fmt::Debug for Xenstore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Xenstore")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Xenstore {
    /// Opens a connection the way libxenstore's `xs_open(0)` does: with
    /// `XENSTORED_PATH` set, that path as a socket, then as a device (a
    /// driver domain may point it at `/dev/xen/xenbus`); otherwise
    /// [`DEFAULT_SOCKET`], then [`XENBUS_DEVICE`] if it exists, else
    /// [`XENBUS_PROC`].
    ///
    /// # Errors
    ///
    /// The device's error if neither opens.
    #[doc(alias = "xs_open")]
    pub fn open() -> Result<Self> {
        if let Ok(xs) = Self::open_socket() {
            return Ok(xs);
        }
        Self::open_xenbus()
    }

    /// Connects to xenstored's socket at `XENSTORED_PATH`, else
    /// [`DEFAULT_SOCKET`] (libxenstore's `xs_daemon_socket`).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the socket cannot be reached.
    pub fn open_socket() -> Result<Self> {
        let sock = std::env::var_os("XENSTORED_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET));
        Self::open_socket_at(&sock)
    }

    /// Connects to a xenstored socket at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`].
    pub fn open_socket_at(path: &Path) -> Result<Self> {
        let s = UnixStream::connect(path)?;
        let mut xs = Self::from_stream(s)?;
        xs.transport = Transport::Socket(path.into());
        Ok(xs)
    }

    /// Opens the xenbus device at `XENSTORED_PATH`, else [`XENBUS_DEVICE`]
    /// if it exists, else [`XENBUS_PROC`] (libxenstore's `xs_domain_dev`).
    ///
    /// # Errors
    ///
    /// [`Error::Io`].
    pub fn open_xenbus() -> Result<Self> {
        if let Some(p) = std::env::var_os("XENSTORED_PATH") {
            return Self::open_xenbus_at(Path::new(&p));
        }
        if Path::new(XENBUS_DEVICE).exists() {
            Self::open_xenbus_at(Path::new(XENBUS_DEVICE))
        } else {
            Self::open_xenbus_at(Path::new(XENBUS_PROC))
        }
    }

    /// Opens a xenbus device at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`].
    pub fn open_xenbus_at(path: &Path) -> Result<Self> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        let r = f.try_clone()?;
        let mut xs = Self::from_io(Box::new(r), Box::new(f));
        xs.transport = Transport::Xenbus(path.into());
        Ok(xs)
    }

    /// A connection over a connected Unix stream (a socketpair in tests, a
    /// socket passed by a supervisor).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the stream cannot be cloned.
    pub fn from_stream(s: UnixStream) -> Result<Self> {
        let r = s.try_clone()?;
        Ok(Self::from_io(Box::new(r), Box::new(s)))
    }

    /// A connection over any byte streams carrying the xenstore framing.
    /// Each message, or each batch ([`Xenstore::submit_batch`]), is
    /// written with one `write_all`.
    pub fn from_io(reader: Box<dyn Read + Send>, writer: Box<dyn Write + Send>) -> Self {
        Self {
            state: Mutex::new(State {
                session: Session::new(),
                reading: false,
            }),
            cond: Condvar::new(),
            reader: Mutex::new(reader),
            writer: Mutex::new(writer),
            transport: Transport::Custom,
        }
    }

    /// The transport in use.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Whether requests must go one at a time (the xenbus device).
    fn one_at_a_time(&self) -> bool {
        matches!(self.transport, Transport::Xenbus(_))
    }

    /// The longest message (header included) the transport takes: Linux's
    /// xenbus device buffers a whole message, header included, in
    /// `XENSTORE_PAYLOAD_MAX` bytes.
    fn max_message(&self) -> usize {
        if matches!(self.transport, Transport::Xenbus(_)) {
            PAYLOAD_MAX
        } else {
            HEADER_LEN + PAYLOAD_MAX
        }
    }

    /// Requests sent whose replies were not yet collected.
    pub fn in_flight(&self) -> usize {
        lock(&self.state).session.in_flight()
    }

    /// Watch events that arrived for no registered token (dropped).
    pub fn stray_events(&self) -> u64 {
        lock(&self.state).session.stray_events()
    }

    /// Sends a request in transaction `tx_id` (0: none) without waiting;
    /// collect the reply with [`Xenstore::wait`]. Dropping the ticket
    /// discards the reply. To send many requests at once, with one write,
    /// see [`Xenstore::submit_batch`].
    ///
    /// # Errors
    ///
    /// Validation errors; [`Error::Broken`]; [`Error::Io`] (which breaks
    /// the connection).
    pub fn submit(&self, tx_id: u32, req: &Request<'_>) -> Result<Pending<'_>> {
        let mut writer = lock(&self.writer);
        if self.one_at_a_time() {
            // Linux's xenbus device sends a request's body from its
            // per-file buffer after write() returned: the next write would
            // overwrite it. Wait for every earlier reply first.
            self.wait_until(|s| (s.outstanding() == 0).then_some(Ok(())))?;
        }
        let (id, bytes) = self.register(&mut lock(&self.state).session, tx_id, req)?;
        let pending = Pending {
            xs: self,
            id,
            kind: req.kind(),
        };
        let w = writer.write_all(&bytes);
        drop(writer);
        w.map_err(|e| self.write_failed(e))?;
        Ok(pending)
    }

    /// Sends several requests in transaction `tx_id` (0: none) with one
    /// write, without waiting. The tickets come back in the order of
    /// `reqs`; collect each reply with [`Xenstore::wait`], in any order.
    /// `reqs` may yield requests or references to them.
    ///
    /// Every request is checked and encoded before anything is sent: if
    /// one is refused, none goes out and nothing stays in flight. Then the
    /// whole batch goes out with one `write_all` (one system call on a
    /// socket with room for it, where [`Xenstore::submit`] makes one per
    /// request). On the xenbus device, which takes one request at a time,
    /// the requests go out one by one, each after the previous reply.
    ///
    /// No reply is read while the batch is written, so the peer must be
    /// able to queue the replies to all of it (as for the same requests
    /// sent with [`Xenstore::submit`]): keep batches to tens or hundreds
    /// of requests, not megabytes.
    ///
    /// Against a xenstored on the same CPU, a batch gains most when this
    /// thread does not preempt xenstored on wakeup (e.g. `SCHED_BATCH`):
    /// see [the crate docs](crate#pipelining-and-the-scheduler).
    ///
    /// ```no_run
    /// use xen_store::wire::Request;
    /// use xen_store::Xenstore;
    /// let xs = Xenstore::open()?;
    /// let paths: Vec<String> = (0..64).map(|i| format!("/test/{i}")).collect();
    /// let reads = paths.iter().map(|p| Request::Read { path: p });
    /// for p in xs.submit_batch(0, reads)? {
    ///     println!("{:?}", xs.wait(p)?.payload);
    /// }
    /// # Ok::<(), xen_store::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The first refused request's validation error (nothing sent);
    /// [`Error::Broken`]; [`Error::Io`] (which breaks the connection).
    pub fn submit_batch<'a, R>(
        &self,
        tx_id: u32,
        reqs: impl IntoIterator<Item = R>,
    ) -> Result<Vec<Pending<'_>>>
    where
        R: Borrow<Request<'a>>,
    {
        // Collected before any lock is taken: the iterator may be any
        // caller code.
        let reqs: Vec<R> = reqs.into_iter().collect();
        let mut writer = lock(&self.writer);
        // (id, kind, end of its bytes in `bytes`) per request.
        let mut sent: Vec<(u32, MsgType, usize)> = Vec::with_capacity(reqs.len());
        let mut bytes = Vec::new();
        {
            let mut st = lock(&self.state);
            for req in &reqs {
                let req = req.borrow();
                match self.register(&mut st.session, tx_id, req) {
                    Ok((id, b)) => {
                        bytes.extend_from_slice(&b);
                        sent.push((id, req.kind(), bytes.len()));
                    }
                    Err(e) => {
                        for &(id, ..) in &sent {
                            st.session.cancel(id);
                        }
                        return Err(e);
                    }
                }
            }
        }
        let r = if self.one_at_a_time() {
            self.write_one_at_a_time(&mut **writer, &bytes, &sent)
        } else {
            writer.write_all(&bytes).map_err(|e| self.write_failed(e))
        };
        drop(writer);
        if let Err(e) = r {
            // The connection is broken: no reply will be filed.
            let mut st = lock(&self.state);
            for &(id, ..) in &sent {
                st.session.cancel(id);
            }
            return Err(e);
        }
        Ok(sent
            .into_iter()
            .map(|(id, kind, _)| Pending { xs: self, id, kind })
            .collect())
    }

    /// Writes a batch's messages (`sent`: id, type and where each ends in
    /// `bytes`) as [`Xenstore::submit`] would on the xenbus device: each
    /// after every earlier reply. The batch's own unsent requests are
    /// registered but not outstanding on the wire.
    fn write_one_at_a_time(
        &self,
        writer: &mut dyn Write,
        bytes: &[u8],
        sent: &[(u32, MsgType, usize)],
    ) -> Result<()> {
        let mut start = 0;
        for (i, &(.., end)) in sent.iter().enumerate() {
            let unsent = sent.len() - i;
            self.wait_until(|s| (s.outstanding() <= unsent).then_some(Ok(())))?;
            writer
                .write_all(&bytes[start..end])
                .map_err(|e| self.write_failed(e))?;
            start = end;
        }
        Ok(())
    }

    /// Breaks the connection after a failed write; every waiter sees it.
    fn write_failed(&self, e: std::io::Error) -> Error {
        let e = Error::from(e);
        lock(&self.state).session.fail(&e);
        self.cond.notify_all();
        e
    }

    /// Registers a request id for `req` and encodes it; nothing stays
    /// registered if the request is refused.
    fn register(
        &self,
        session: &mut Session,
        tx_id: u32,
        req: &Request<'_>,
    ) -> Result<(u32, Vec<u8>)> {
        let id = session.start()?;
        match req.encode(id, tx_id) {
            Ok(b) if b.len() > self.max_message() => {
                session.cancel(id);
                Err(Error::PayloadTooLong(b.len() - HEADER_LEN))
            }
            Ok(b) => Ok((id, b)),
            Err(e) => {
                session.cancel(id);
                Err(e)
            }
        }
    }

    /// Waits for a submitted request's reply (an `XS_ERROR` reply becomes
    /// [`Error::Xenstore`]).
    ///
    /// # Errors
    ///
    /// [`Error::Xenstore`]; [`Error::Broken`] if the connection broke
    /// before the reply came.
    pub fn wait(&self, pending: Pending<'_>) -> Result<Message> {
        let (id, kind) = (pending.id, pending.kind);
        core::mem::forget(pending);
        let m = self.wait_until(|s| s.take(id))?;
        wire::check_reply(&m, kind)?;
        Ok(m)
    }

    /// Blocks until `ready` yields, reading (as the one reader) when nobody
    /// else is.
    fn wait_until<T>(&self, mut ready: impl FnMut(&mut Session) -> Option<Result<T>>) -> Result<T> {
        let mut st = lock(&self.state);
        loop {
            if let Some(r) = ready(&mut st.session) {
                return r;
            }
            st.session.check()?;
            if st.reading {
                st = self
                    .cond
                    .wait(st)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                continue;
            }
            st.reading = true;
            drop(st);
            let mut buf = [0u8; 2 * (HEADER_LEN + PAYLOAD_MAX)];
            let got = lock(&self.reader).read(&mut buf);
            st = lock(&self.state);
            st.reading = false;
            match got {
                Ok(0) => st.session.fail(&Error::Disconnected),
                Ok(n) => {
                    // A protocol violation breaks the session; waiters
                    // see it through `take`/`check`.
                    let _ = st.session.feed(&buf[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => st.session.fail(&Error::from(e)),
            }
            self.cond.notify_all();
        }
    }

    /// Starts a transaction; it aborts when dropped uncommitted.
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_transaction_start")]
    pub fn transaction_start(&self) -> Result<Transaction<'_>> {
        let m = self.call(0, &Request::TransactionStart)?;
        let id = wire::decode_number(&m.payload)?;
        let id = u32::try_from(id).map_err(|_| Error::Malformed("transaction id"))?;
        Ok(Transaction {
            xs: self,
            id,
            done: false,
        })
    }

    /// Runs `f` in a transaction and commits; on `EAGAIN` (a conflict, from
    /// `f` or from the commit) it starts over, up to 64 times.
    ///
    /// # Errors
    ///
    /// `f`'s error; the commit's error; [`Error::TooManyRetries`].
    pub fn transaction<T>(&self, mut f: impl FnMut(&Transaction<'_>) -> Result<T>) -> Result<T> {
        for _ in 0..TX_RETRIES {
            let tx = self.transaction_start()?;
            match f(&tx) {
                Ok(v) => match tx.commit() {
                    Ok(()) => return Ok(v),
                    Err(e) if e.is_again() => continue,
                    Err(e) => return Err(e),
                },
                Err(e) if e.is_again() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::TooManyRetries(TX_RETRIES))
    }

    /// Watches `path` (or `@introduceDomain`/`@releaseDomain`); events carry
    /// `token`, which must be unique on this connection. xenstored fires
    /// one event at once. Dropping the [`Watch`] unwatches.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateToken`]; as [`Store::request`].
    #[doc(alias = "xs_watch")]
    pub fn watch(&self, path: &str, token: &str) -> Result<Watch<'_>> {
        lock(&self.state).session.add_watch(token)?;
        let req = Request::Watch {
            path,
            token: token.as_bytes(),
        };
        if let Err(e) = self.call(0, &req) {
            lock(&self.state).session.remove_watch(token);
            return Err(e);
        }
        Ok(Watch {
            xs: self,
            path: path.into(),
            token: token.into(),
            active: true,
        })
    }

    /// The next event of any of `watches`, in the order xenstored sent
    /// them, blocking until one arrives: several watches read as one
    /// stream, as `xs_read_watch` does. Events of other watches stay
    /// queued for them.
    ///
    /// # Errors
    ///
    /// [`Error::Broken`] when the connection breaks (with no watches, that
    /// is the only way it returns).
    ///
    /// # Panics
    ///
    /// If a watch belongs to another connection.
    #[doc(alias = "xs_read_watch")]
    pub fn next_event_of(&self, watches: &[Watch<'_>]) -> Result<WatchEvent> {
        assert!(
            watches.iter().all(|w| core::ptr::eq(w.xs, self)),
            "a watch of another connection"
        );
        let tokens = || watches.iter().map(|w| w.token.as_str());
        self.wait_until(|s| s.pop_oldest_event(tokens()).map(Ok))
    }

    /// Removes every watch and transaction of the connection
    /// (`XS_RESET_WATCHES`); needs a xenstored that supports it.
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    pub fn reset_watches(&self) -> Result<()> {
        wire::decode_ok(&self.call(0, &Request::ResetWatches)?.payload)
    }

    fn call(&self, tx_id: u32, req: &Request<'_>) -> Result<Message> {
        let p = self.submit(tx_id, req)?;
        self.wait(p)
    }
}

impl Store for Xenstore {
    fn request(&self, req: &Request<'_>) -> Result<Message> {
        self.call(0, req)
    }
}

/// A request in flight ([`Xenstore::submit`]); pass it to
/// [`Xenstore::wait`]. Dropped unwaited, its reply is discarded.
#[derive(Debug)]
#[must_use = "a request's reply is discarded unless waited for"]
pub struct Pending<'a> {
    xs: &'a Xenstore,
    id: u32,
    kind: MsgType,
}

impl Pending<'_> {
    /// The request id on the wire.
    pub fn req_id(&self) -> u32 {
        self.id
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        lock(&self.xs.state).session.discard(self.id);
    }
}

/// A transaction: operations through it see a snapshot and commit
/// atomically. Dropped without [`Transaction::commit`], it aborts.
#[derive(Debug)]
#[doc(alias = "xs_transaction_t")]
pub struct Transaction<'a> {
    xs: &'a Xenstore,
    id: u32,
    done: bool,
}

impl Transaction<'_> {
    /// The transaction id xenstored assigned.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Commits. `EAGAIN` means another writer conflicted: start over.
    ///
    /// # Errors
    ///
    /// [`Error::Xenstore`] with `EAGAIN` on a conflict; as
    /// [`Store::request`].
    #[doc(alias = "xs_transaction_end")]
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.end(true)
    }

    /// Aborts, waiting for xenstored's answer.
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    pub fn abort(mut self) -> Result<()> {
        self.done = true;
        self.end(false)
    }

    fn end(&self, commit: bool) -> Result<()> {
        let m = self.xs.call(self.id, &Request::TransactionEnd { commit })?;
        wire::decode_ok(&m.payload)
    }
}

impl Store for Transaction<'_> {
    fn request(&self, req: &Request<'_>) -> Result<Message> {
        self.xs.call(self.id, req)
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Fire and forget: the reply is discarded when it arrives.
            let _ = self
                .xs
                .submit(self.id, &Request::TransactionEnd { commit: false });
        }
    }
}

/// A registered watch: iterate for its events (blocking). Dropping it
/// unwatches and discards the events still queued.
#[derive(Debug)]
pub struct Watch<'a> {
    xs: &'a Xenstore,
    path: String,
    token: String,
    active: bool,
}

impl Watch<'_> {
    /// The watched path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Events already received and not yet taken.
    pub fn queued(&self) -> usize {
        lock(&self.xs.state).session.queued_events(&self.token)
    }

    /// The next event, blocking until one arrives.
    ///
    /// # Errors
    ///
    /// [`Error::Broken`] when the connection breaks.
    pub fn next_event(&self) -> Result<WatchEvent> {
        let token = self.token.as_str();
        self.xs.wait_until(|s| s.pop_event(token).map(Ok))
    }

    /// The next event if one is already queued (no I/O).
    pub fn try_next_event(&self) -> Option<WatchEvent> {
        lock(&self.xs.state).session.pop_event(&self.token)
    }

    /// Unwatches (`XS_UNWATCH`), dropping queued events; later events
    /// for the token are dropped as strays.
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_unwatch")]
    pub fn unwatch(mut self) -> Result<()> {
        self.active = false;
        self.do_unwatch(true)
    }

    fn do_unwatch(&self, wait: bool) -> Result<()> {
        lock(&self.xs.state).session.remove_watch(&self.token);
        let req = Request::Unwatch {
            path: &self.path,
            token: self.token.as_bytes(),
        };
        if wait {
            wire::decode_ok(&self.xs.call(0, &req)?.payload)
        } else {
            self.xs.submit(0, &req).map(drop)
        }
    }
}

impl Iterator for Watch<'_> {
    type Item = Result<WatchEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_event() {
            Err(Error::Broken(_)) if !self.active => None,
            r => Some(r),
        }
    }
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        if self.active {
            let _ = self.do_unwatch(false);
        }
    }
}

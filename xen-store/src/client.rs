// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`Client`]: one xenstore client over any [`Transport`], in a guest
//! (no_std, the shared ring) and in dom0 (std, the socket or xenbus).
//!
//! There is no background thread. Whoever waits for a reply (or a watch
//! event) and finds nobody reading becomes the reader for one read, files
//! every message it got under its request id or watch token, and wakes the
//! others. So a single thread can keep 64 requests in flight
//! ([`Client::submit`] then [`Client::wait`]), and with `std` many threads
//! can share one connection. The locking is chosen once, in `sync.rs`: a
//! mutex and a condition variable with `std`, a `RefCell` without (a
//! single-threaded guest).

#[cfg(all(feature = "std", target_os = "linux"))]
mod stream;
#[cfg(all(feature = "tokio", target_os = "linux"))]
mod watch_stream;

#[cfg(all(feature = "std", target_os = "linux"))]
pub use stream::{Endpoint, StreamTransport, Xenstore, DEFAULT_SOCKET, XENBUS_DEVICE, XENBUS_PROC};
#[cfg(all(feature = "tokio", target_os = "linux"))]
pub use watch_stream::WatchStream;

use alloc::string::String;
use alloc::vec::Vec;
use core::borrow::Borrow;
use core::sync::atomic::{AtomicBool, Ordering};

use xen_abi::io::xs_wire::{MsgType, ReqId, TxId};

use crate::error::{Error, Result};
use crate::session::{Session, WatchEvent};
use crate::store::Store;
use crate::sync::{Guard, Lock, Signal};
use crate::transport::Transport;
use crate::wire::{self, Message, Request, HEADER_LEN, PAYLOAD_MAX};

/// How many times [`Client::transaction`] retries on `EAGAIN`.
const TX_RETRIES: u32 = 64;

/// The read buffer: two whole messages.
const READ_CHUNK: usize = 2 * (HEADER_LEN + PAYLOAD_MAX);

#[derive(Debug, Default)]
struct State {
    session: Session,
    /// Someone is inside [`Transport::read`] (with `buf`).
    reading: bool,
    buf: Vec<u8>,
}

/// A xenstore connection over the transport `T`: pipelined requests
/// ([`Pending`]), transactions that abort on drop with a retry-on-`EAGAIN`
/// helper ([`Transaction`]), watches that unwatch on drop ([`Watch`]), and
/// every operation of [`Store`].
///
/// `Xenstore` (feature `std`) is the client over xenstored's socket or
/// the xenbus device; [`RingClient`](crate::ring::RingClient) the guest's
/// over its ring page. Both are this type.
///
/// ```no_run
/// use xen_store::{Store, Xenstore};
/// let xs = Xenstore::open()?;
/// xs.write("/test/hello", b"world")?;
/// assert_eq!(xs.read("/test/hello")?, b"world");
/// xs.transaction(|tx| tx.write("/test/a", b"1"))?;
/// let w = xs.watch("/test", "t")?;
/// println!("{}", w.next_event()?.path);
/// # Ok::<(), xen_store::Error>(())
/// ```
#[derive(Debug)]
pub struct Client<T: Transport> {
    state: Lock<State>,
    signal: Signal,
    /// Held from registering a request's id to the end of its write (and,
    /// on a one-request-at-a-time transport, across the wait for earlier
    /// replies): messages go out whole and in id order.
    sending: Lock<()>,
    transport: T,
}

impl<T: Transport> Client<T> {
    /// A client over `transport`.
    pub fn from_transport(transport: T) -> Self {
        Self {
            state: Lock::new(State::default()),
            signal: Signal::new(),
            sending: Lock::new(()),
            transport,
        }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Requests sent whose replies were not yet collected.
    pub fn in_flight(&self) -> usize {
        self.state.lock().session.in_flight()
    }

    /// Sets how many events each watch of this connection queues before
    /// it drops new ones (at least 1; default
    /// [`DEFAULT_WATCH_QUEUE`](crate::DEFAULT_WATCH_QUEUE)). A peer that
    /// fires a watched path faster than the caller takes the events cannot
    /// grow memory past it; [`Watch::dropped`] counts what was lost.
    pub fn set_watch_queue_limit(&self, events: usize) {
        self.state.lock().session.set_watch_queue_limit(events);
    }

    /// Watch events that arrived for no registered token (dropped).
    pub fn stray_events(&self) -> u64 {
        self.state.lock().session.stray_events()
    }

    /// The error that broke the connection (the transport's own error,
    /// with its OS cause, where it had one), if it is broken: later calls
    /// fail with [`Error::Broken`].
    pub fn broken_by(&self) -> Option<Error> {
        self.state.lock().session.broken_by()
    }

    /// Sends a request in transaction `tx` ([`TxId::NONE`]: none) without
    /// waiting; collect the reply with [`Client::wait`]. Dropping the
    /// ticket discards the reply. To send many requests at once, with one
    /// write, see [`Client::submit_batch`].
    ///
    /// # Errors
    ///
    /// Validation errors; [`Error::Broken`]; the transport's error (which
    /// breaks the connection).
    pub fn submit(&self, tx: TxId, req: &Request<'_>) -> Result<Pending<'_, T>> {
        let _sending = self.sending.lock();
        if self.transport.one_request_at_a_time() {
            self.wait_until(|s| (s.outstanding() == 0).then_some(Ok(())))?;
        }
        let (id, bytes) = self.register(&mut self.state.lock().session, tx, req)?;
        let pending = Pending {
            client: self,
            id,
            kind: req.kind(),
        };
        self.send(&bytes)?;
        Ok(pending)
    }

    /// Sends several requests in transaction `tx` ([`TxId::NONE`]: none)
    /// with one write, without waiting. The tickets come back in the order
    /// of `reqs`; collect each reply with [`Client::wait`], in any order.
    /// `reqs` may yield requests or references to them.
    ///
    /// Every request is checked and encoded before anything is sent: if
    /// one is refused, none goes out and nothing stays in flight. Then the
    /// whole batch goes out at once (one system call on a socket with room
    /// for it, where [`Client::submit`] makes one per request). On the
    /// xenbus device, which takes one request at a time, the requests go
    /// out one by one, each after the previous reply.
    ///
    /// No reply is read while a blocking transport writes the batch, so
    /// the peer must be able to queue the replies to all of it (as for the
    /// same requests sent with [`Client::submit`]): keep batches to tens or
    /// hundreds of requests, not megabytes.
    ///
    /// Against a xenstored on the same CPU, a batch gains most when this
    /// thread does not preempt xenstored on wakeup (e.g. `SCHED_BATCH`):
    /// see [the crate docs](crate#pipelining-and-the-scheduler).
    ///
    /// ```no_run
    /// use xen_abi::io::xs_wire::TxId;
    /// use xen_store::wire::Request;
    /// use xen_store::Xenstore;
    /// let xs = Xenstore::open()?;
    /// let paths: Vec<String> = (0..64).map(|i| format!("/test/{i}")).collect();
    /// let reads = paths.iter().map(|p| Request::Read { path: p });
    /// for p in xs.submit_batch(TxId::NONE, reads)? {
    ///     println!("{:?}", xs.wait(p)?.payload);
    /// }
    /// # Ok::<(), xen_store::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The first refused request's validation error (nothing sent);
    /// [`Error::Broken`]; the transport's error (which breaks the
    /// connection).
    pub fn submit_batch<'a, R>(
        &self,
        tx: TxId,
        reqs: impl IntoIterator<Item = R>,
    ) -> Result<Vec<Pending<'_, T>>>
    where
        R: Borrow<Request<'a>>,
    {
        // Collected before any lock is taken: the iterator may be any
        // caller code.
        let reqs: Vec<R> = reqs.into_iter().collect();
        let _sending = self.sending.lock();
        // (id, kind, end of its bytes in `bytes`) per request.
        let mut sent: Vec<(ReqId, MsgType, usize)> = Vec::with_capacity(reqs.len());
        let mut bytes = Vec::new();
        {
            let mut st = self.state.lock();
            for req in &reqs {
                let req = req.borrow();
                match self.register(&mut st.session, tx, req) {
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
        let r = if self.transport.one_request_at_a_time() {
            self.send_one_at_a_time(&bytes, &sent)
        } else {
            self.send(&bytes)
        };
        if let Err(e) = r {
            // The connection is broken: no reply will be filed.
            let mut st = self.state.lock();
            for &(id, ..) in &sent {
                st.session.cancel(id);
            }
            return Err(e);
        }
        Ok(sent
            .into_iter()
            .map(|(id, kind, _)| Pending {
                client: self,
                id,
                kind,
            })
            .collect())
    }

    /// Writes a batch's messages (`sent`: id, type and where each ends in
    /// `bytes`) as [`Client::submit`] would on a one-request-at-a-time
    /// transport: each after every earlier reply. The batch's own unsent
    /// requests are registered but not outstanding on the wire.
    fn send_one_at_a_time(&self, bytes: &[u8], sent: &[(ReqId, MsgType, usize)]) -> Result<()> {
        let mut start = 0;
        for (i, &(.., end)) in sent.iter().enumerate() {
            let unsent = sent.len() - i;
            self.wait_until(|s| (s.outstanding() <= unsent).then_some(Ok(())))?;
            self.send(&bytes[start..end])?;
            start = end;
        }
        Ok(())
    }

    /// Writes all of `bytes`; while the transport has no room, reads
    /// (filing replies) or waits. A failed write breaks the connection.
    fn send(&self, bytes: &[u8]) -> Result<()> {
        let mut at = 0;
        while at < bytes.len() {
            match self.transport.write(&bytes[at..]) {
                Ok(0) => {
                    let st = self.progress(self.state.lock());
                    st.session.check()?;
                }
                Ok(n) => at += n,
                Err(e) => {
                    self.state.lock().session.fail(&e);
                    self.signal.notify_all();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Registers a request id for `req` and encodes it; nothing stays
    /// registered if the request is refused.
    fn register(
        &self,
        session: &mut Session,
        tx: TxId,
        req: &Request<'_>,
    ) -> Result<(ReqId, Vec<u8>)> {
        let id = session.start()?;
        match req.encode(id, tx) {
            Ok(b) if b.len() > self.transport.max_message() => {
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
    pub fn wait(&self, pending: Pending<'_, T>) -> Result<Message> {
        let (id, kind) = (pending.id, pending.kind);
        core::mem::forget(pending);
        let m = self.wait_until(|s| s.take(id))?;
        wire::check_reply(&m, kind)?;
        Ok(m)
    }

    /// Sends `req` in transaction `tx` and waits for its reply.
    ///
    /// # Errors
    ///
    /// As [`Client::submit`] and [`Client::wait`].
    pub fn call(&self, tx: TxId, req: &Request<'_>) -> Result<Message> {
        let p = self.submit(tx, req)?;
        self.wait(p)
    }

    /// Blocks until `ready` yields, reading (as the one reader) when nobody
    /// else is.
    fn wait_until<R>(&self, mut ready: impl FnMut(&mut Session) -> Option<Result<R>>) -> Result<R> {
        let mut st = self.state.lock();
        loop {
            if let Some(r) = ready(&mut st.session) {
                return r;
            }
            st.session.check()?;
            st = self.progress(st);
        }
    }

    /// One round of I/O for a waiter: waits for another thread's read, or
    /// reads and files what arrived, or (if nothing did) waits for the
    /// peer. A failed read breaks the connection; every waiter sees it.
    fn progress<'s>(&'s self, st: Guard<'s, State>) -> Guard<'s, State> {
        if st.reading {
            return self.signal.wait(st);
        }
        let buf = Self::become_reader(st);
        self.read_and_file(buf)
    }

    /// Makes the caller the one reader and hands it the read buffer; the
    /// state is unlocked. End with [`Client::read_and_file`] or
    /// [`Client::stop_reading`].
    fn become_reader(mut st: Guard<'_, State>) -> Vec<u8> {
        st.reading = true;
        core::mem::take(&mut st.buf)
    }

    /// The reader's half of [`Client::progress`]: one read, its messages
    /// filed, the others woken.
    fn read_and_file(&self, mut buf: Vec<u8>) -> Guard<'_, State> {
        buf.resize(READ_CHUNK, 0);
        let got = self.transport.read(&mut buf);
        if let Ok(0) = got {
            self.transport.wait();
        }
        let mut st = self.state.lock();
        st.reading = false;
        match got {
            Ok(n) => {
                // A protocol violation breaks the session; waiters see it
                // through `take`/`check`.
                let _ = st.session.feed(&buf[..n]);
            }
            Err(e) => st.session.fail(&e),
        }
        st.buf = buf;
        self.signal.notify_all();
        st
    }

    /// Gives up the reader's role without reading: another waiter may
    /// read next.
    #[cfg(all(feature = "std", target_os = "linux"))]
    fn stop_reading(&self, buf: Vec<u8>) -> Guard<'_, State> {
        let mut st = self.state.lock();
        st.reading = false;
        st.buf = buf;
        self.signal.notify_all();
        st
    }

    /// Starts a transaction; it aborts when dropped uncommitted.
    ///
    /// # Errors
    ///
    /// As [`Store::request`]; [`Error::NullTransaction`] if xenstored
    /// answers with id 0.
    #[doc(alias = "xs_transaction_start")]
    pub fn transaction_start(&self) -> Result<Transaction<'_, T>> {
        let m = self.call(TxId::NONE, &Request::TransactionStart)?;
        let id = wire::decode_number(&m.payload)?;
        let id = u32::try_from(id).map_err(|_| Error::Malformed("transaction id"))?;
        // XBT_NULL: "no transaction". Requests tagged with it would write
        // outside any transaction; there is nothing to abort either.
        if id == 0 {
            return Err(Error::NullTransaction);
        }
        Ok(Transaction {
            client: self,
            id: TxId::new(id),
            done: false,
            conflicted: AtomicBool::new(false),
        })
    }

    /// Runs `f` in a transaction and commits; on `EAGAIN` (a conflict, from
    /// the commit or from a request of `f`'s transaction that `f` passed on
    /// as its error) it starts over, up to 64 times.
    ///
    /// `f` may return its own error type: anything `From<`[`Error`]`>`
    /// (`anyhow::Error`, `Box<dyn Error>`, an application enum), so `?`
    /// works on both xenstore calls and the caller's own.
    ///
    /// ```no_run
    /// # #[cfg(all(feature = "std", target_os = "linux"))]
    /// # fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// use xen_store::{Store, Xenstore};
    ///
    /// let xs = Xenstore::open()?;
    /// let n: u32 = xs.transaction(|tx| {
    ///     let n: u32 = tx.read_string("/local/domain/0/data/count")?.parse()?;
    ///     tx.write("/local/domain/0/data/count", (n + 1).to_string())?;
    ///     Ok::<_, Box<dyn std::error::Error>>(n + 1)
    /// })?;
    /// # let _ = n; Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// `f`'s error; the commit's error; [`Error::TooManyRetries`]; as
    /// [`Client::transaction_start`].
    pub fn transaction<R, E: From<Error>>(
        &self,
        mut f: impl FnMut(&Transaction<'_, T>) -> Result<R, E>,
    ) -> Result<R, E> {
        for _ in 0..TX_RETRIES {
            let tx = self.transaction_start()?;
            match f(&tx) {
                Ok(v) => match tx.commit() {
                    Ok(()) => return Ok(v),
                    Err(e) if e.is_again() => continue,
                    Err(e) => return Err(e.into()),
                },
                Err(_) if tx.conflicted.load(Ordering::Relaxed) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::TooManyRetries(TX_RETRIES).into())
    }

    /// Watches `path` (or `@introduceDomain`/`@releaseDomain`); events carry
    /// `token`, which must be unique on this connection. xenstored fires
    /// one event at once. Dropping the [`Watch`] unwatches.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateToken`]; as [`Store::request`].
    #[doc(alias = "xs_watch")]
    pub fn watch(&self, path: &str, token: &str) -> Result<Watch<'_, T>> {
        self.state.lock().session.add_watch(token)?;
        let req = Request::Watch {
            path,
            token: token.as_bytes(),
        };
        if let Err(e) = self.call(TxId::NONE, &req) {
            self.state.lock().session.remove_watch(token);
            return Err(e);
        }
        Ok(Watch {
            client: self,
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
    pub fn next_event_of(&self, watches: &[Watch<'_, T>]) -> Result<WatchEvent> {
        assert!(
            watches.iter().all(|w| core::ptr::eq(w.client, self)),
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
    #[doc(alias = "XS_RESET_WATCHES")]
    pub fn reset_watches(&self) -> Result<()> {
        wire::decode_ok(&self.call(TxId::NONE, &Request::ResetWatches)?.payload)
    }

    /// Unregisters `token` and sends `XS_UNWATCH`, waiting for the reply
    /// or not.
    fn unwatch(&self, path: &str, token: &str, wait: bool) -> Result<()> {
        self.state.lock().session.remove_watch(token);
        let req = Request::Unwatch {
            path,
            token: token.as_bytes(),
        };
        if wait {
            wire::decode_ok(&self.call(TxId::NONE, &req)?.payload)
        } else {
            self.submit(TxId::NONE, &req).map(drop)
        }
    }
}

impl<T: Transport> Store for Client<T> {
    fn request(&self, req: &Request<'_>) -> Result<Message> {
        self.call(TxId::NONE, req)
    }
}

/// A request in flight ([`Client::submit`]); pass it to [`Client::wait`].
/// Dropped unwaited, its reply is discarded.
#[derive(Debug)]
#[must_use = "a request's reply is discarded unless waited for"]
pub struct Pending<'a, T: Transport> {
    client: &'a Client<T>,
    id: ReqId,
    kind: MsgType,
}

impl<T: Transport> Pending<'_, T> {
    /// The request id on the wire.
    pub fn req_id(&self) -> ReqId {
        self.id
    }
}

impl<T: Transport> Drop for Pending<'_, T> {
    fn drop(&mut self) {
        self.client.state.lock().session.discard(self.id);
    }
}

/// A transaction: operations through it see a snapshot and commit
/// atomically. Dropped without [`Transaction::commit`], it aborts.
#[derive(Debug)]
#[doc(alias = "xs_transaction_t")]
pub struct Transaction<'a, T: Transport> {
    client: &'a Client<T>,
    id: TxId,
    done: bool,
    /// A request in it got `EAGAIN`: [`Client::transaction`] starts over
    /// whatever error type `f` turned that into.
    conflicted: AtomicBool,
}

impl<T: Transport> Transaction<'_, T> {
    /// The transaction id xenstored assigned.
    pub fn id(&self) -> TxId {
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
        let m = self
            .client
            .call(self.id, &Request::TransactionEnd { commit })?;
        wire::decode_ok(&m.payload)
    }
}

impl<T: Transport> Store for Transaction<'_, T> {
    fn request(&self, req: &Request<'_>) -> Result<Message> {
        let r = self.client.call(self.id, req);
        if r.as_ref().is_err_and(Error::is_again) {
            self.conflicted.store(true, Ordering::Relaxed);
        }
        r
    }
}

impl<T: Transport> Drop for Transaction<'_, T> {
    fn drop(&mut self) {
        if !self.done {
            // Fire and forget: the reply is discarded when it arrives.
            let _ = self
                .client
                .submit(self.id, &Request::TransactionEnd { commit: false });
        }
    }
}

/// A registered watch: iterate for its events (blocking). Dropping it
/// unwatches and discards the events still queued.
#[derive(Debug)]
pub struct Watch<'a, T: Transport> {
    client: &'a Client<T>,
    path: String,
    token: String,
    active: bool,
}

impl<T: Transport> Watch<'_, T> {
    /// The watched path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The connection the watch is registered on.
    pub fn client(&self) -> &Client<T> {
        self.client
    }

    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Events already received and not yet taken.
    pub fn queued(&self) -> usize {
        self.client.state.lock().session.queued_events(&self.token)
    }

    /// Events dropped because this watch's queue was full (see
    /// [`Client::set_watch_queue_limit`]). When it grows, events were lost:
    /// re-read the watched nodes rather than rely on the events queued.
    pub fn dropped(&self) -> u64 {
        self.client.state.lock().session.dropped_events(&self.token)
    }

    /// The next event, blocking until one arrives.
    ///
    /// # Errors
    ///
    /// [`Error::Broken`] when the connection breaks.
    pub fn next_event(&self) -> Result<WatchEvent> {
        let token = self.token.as_str();
        self.client.wait_until(|s| s.pop_event(token).map(Ok))
    }

    /// The next event if one is already queued (no I/O).
    pub fn try_next_event(&self) -> Option<WatchEvent> {
        self.client.state.lock().session.pop_event(&self.token)
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
        self.client.unwatch(&self.path, &self.token, true)
    }
}

impl<T: Transport> Iterator for Watch<'_, T> {
    type Item = Result<WatchEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_event() {
            Err(Error::Broken(_)) if !self.active => None,
            r => Some(r),
        }
    }
}

impl<T: Transport> Drop for Watch<'_, T> {
    fn drop(&mut self) {
        if self.active {
            let _ = self.client.unwatch(&self.path, &self.token, false);
        }
    }
}

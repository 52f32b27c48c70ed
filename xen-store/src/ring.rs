// SPDX-License-Identifier: MIT OR Apache-2.0
//! The guest's client over the xenstore ring page (no_std + alloc).
//!
//! The page is `xenstore_domain_interface` (start_info's `store_mfn`, or
//! `HVM_PARAM_STORE_PFN`): two 1 KiB byte rings with free-running indices,
//! driven through xen-abi's hostile-peer-safe [`XenstoreFront`]. The
//! platform supplies [`RingHooks`]: notify xenstored over the event
//! channel, and wait for its notification.
//!
//! The client is single-threaded (`!Sync`) and blocking; several requests
//! may still be in flight ([`RingClient::submit`], [`RingClient::wait`]).

use alloc::string::String;
use core::cell::RefCell;

use xen_abi::io::byte_ring::XenstoreFront;
use xen_abi::io::ring::SharedMem;
use xen_abi::io::xs_wire::MsgType;

use crate::error::{Error, Result};
use crate::session::{Session, WatchEvent};
use crate::store::Store;
use crate::wire::{self, Message, Request};

/// What the ring client needs from the platform.
pub trait RingHooks {
    /// Signals xenstored (`EVTCHNOP_send` on the xenstore event channel).
    fn notify(&self);
    /// Blocks until xenstored may have moved an index (its event arrived,
    /// or a poll interval passed). Spurious returns are fine.
    fn wait(&self);
}

struct Inner<'a> {
    ring: XenstoreFront<'a>,
    session: Session,
}

/// A xenstore client over the shared ring page.
pub struct RingClient<'a, H: RingHooks> {
    inner: RefCell<Inner<'a>>,
    hooks: H,
}

impl<H: RingHooks> core::fmt::Debug for RingClient<'_, H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RingClient").finish_non_exhaustive()
    }
}

impl<'a, H: RingHooks> RingClient<'a, H> {
    /// Attaches to the page in `mem` (the guest's end).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if `mem` is smaller than the interface.
    pub fn new(mem: SharedMem<'a>, hooks: H) -> Result<Self> {
        let ring =
            XenstoreFront::attach(mem).map_err(|_| Error::Malformed("ring page too small"))?;
        Ok(Self {
            inner: RefCell::new(Inner {
                ring,
                session: Session::new(),
            }),
            hooks,
        })
    }

    /// The hooks.
    pub fn hooks(&self) -> &H {
        &self.hooks
    }

    /// Reads whatever the ring holds into the session; `Ok(false)` if it
    /// was empty.
    fn pump(&self, inner: &mut Inner<'a>) -> Result<bool> {
        inner.session.check()?;
        let mut buf = [0u8; 1024];
        let got = match inner.ring.read(&mut buf) {
            Ok(t) => t,
            Err(b) => {
                let e = Error::BadRingIndex(b);
                inner.session.fail(&e);
                return Err(e);
            }
        };
        if got.is_empty() {
            return Ok(false);
        }
        if got.notify().needed() {
            self.hooks.notify();
        }
        inner.session.feed(&buf[..got.len()])?;
        Ok(true)
    }

    /// Sends a request in transaction `tx_id` (0: none) and returns its
    /// request id, for [`RingClient::wait`].
    ///
    /// # Errors
    ///
    /// Validation errors; [`Error::BadRingIndex`]; [`Error::Broken`].
    pub fn submit(&self, tx_id: u32, req: &Request<'_>) -> Result<u32> {
        let mut inner = self.inner.borrow_mut();
        let id = inner.session.start()?;
        let bytes = match req.encode(id, tx_id) {
            Ok(b) => b,
            Err(e) => {
                inner.session.cancel(id);
                return Err(e);
            }
        };
        let mut at = 0;
        while at < bytes.len() {
            match inner.ring.write(&bytes[at..]) {
                Ok(t) if t.is_empty() => {
                    // Full: drain replies (xenstored may be blocked on
                    // them), then wait for room.
                    if !self.pump(&mut inner)? {
                        self.hooks.wait();
                    }
                }
                Ok(t) => {
                    at += t.len();
                    if t.notify().needed() {
                        self.hooks.notify();
                    }
                }
                Err(b) => {
                    let e = Error::BadRingIndex(b);
                    inner.session.fail(&e);
                    return Err(e);
                }
            }
        }
        Ok(id)
    }

    /// Waits for the reply to request `id` of type `kind`.
    ///
    /// # Errors
    ///
    /// [`Error::Xenstore`]; [`Error::Broken`]; [`Error::BadRingIndex`].
    pub fn wait(&self, id: u32, kind: MsgType) -> Result<Message> {
        let m = self.wait_until(|s| s.take(id))?;
        wire::check_reply(&m, kind)?;
        Ok(m)
    }

    fn wait_until<T>(&self, mut ready: impl FnMut(&mut Session) -> Option<Result<T>>) -> Result<T> {
        loop {
            let mut inner = self.inner.borrow_mut();
            if let Some(r) = ready(&mut inner.session) {
                return r;
            }
            if !self.pump(&mut inner)? {
                drop(inner);
                self.hooks.wait();
            }
        }
    }

    /// Sends `req` in transaction `tx_id` and waits for its reply.
    ///
    /// # Errors
    ///
    /// As [`RingClient::wait`].
    pub fn call(&self, tx_id: u32, req: &Request<'_>) -> Result<Message> {
        let id = self.submit(tx_id, req)?;
        self.wait(id, req.kind())
    }

    /// Starts a transaction; it aborts when dropped uncommitted.
    ///
    /// # Errors
    ///
    /// As [`RingClient::call`].
    pub fn transaction_start(&self) -> Result<RingTransaction<'_, 'a, H>> {
        let m = self.call(0, &Request::TransactionStart)?;
        let id = u32::try_from(wire::decode_number(&m.payload)?)
            .map_err(|_| Error::Malformed("transaction id"))?;
        Ok(RingTransaction {
            client: self,
            id,
            done: false,
        })
    }

    /// Watches `path` with `token` (unique on the connection).
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateToken`]; as [`RingClient::call`].
    pub fn watch(&self, path: &str, token: &str) -> Result<()> {
        self.inner.borrow_mut().session.add_watch(token)?;
        let r = self.call(
            0,
            &Request::Watch {
                path,
                token: token.as_bytes(),
            },
        );
        if let Err(e) = r {
            self.inner.borrow_mut().session.remove_watch(token);
            return Err(e);
        }
        Ok(())
    }

    /// Removes a watch and the events queued for it.
    ///
    /// # Errors
    ///
    /// As [`RingClient::call`].
    pub fn unwatch(&self, path: &str, token: &str) -> Result<()> {
        self.inner.borrow_mut().session.remove_watch(token);
        let req = Request::Unwatch {
            path,
            token: token.as_bytes(),
        };
        wire::decode_ok(&self.call(0, &req)?.payload)
    }

    /// The next event of the watch with `token`, blocking.
    ///
    /// # Errors
    ///
    /// [`Error::Broken`]; [`Error::BadRingIndex`].
    pub fn next_event(&self, token: &str) -> Result<WatchEvent> {
        self.wait_until(|s| s.pop_event(token).map(Ok))
    }

    /// Events queued for the watch with `token`.
    pub fn queued_events(&self, token: &str) -> usize {
        self.inner.borrow().session.queued_events(token)
    }

    /// Watch events that arrived for no registered token (dropped).
    pub fn stray_events(&self) -> u64 {
        self.inner.borrow().session.stray_events()
    }

    /// Requests sent and not yet collected.
    pub fn in_flight(&self) -> usize {
        self.inner.borrow().session.in_flight()
    }
}

impl<H: RingHooks> Store for RingClient<'_, H> {
    fn request(&self, req: &Request<'_>) -> Result<Message> {
        self.call(0, req)
    }
}

/// A transaction on a [`RingClient`]; aborts on drop unless committed.
pub struct RingTransaction<'c, 'a, H: RingHooks> {
    client: &'c RingClient<'a, H>,
    id: u32,
    done: bool,
}

impl<H: RingHooks> core::fmt::Debug for RingTransaction<'_, '_, H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RingTransaction")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<H: RingHooks> RingTransaction<'_, '_, H> {
    /// The transaction id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Commits (`EAGAIN`: conflict, start over).
    ///
    /// # Errors
    ///
    /// As [`RingClient::call`].
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        let m = self
            .client
            .call(self.id, &Request::TransactionEnd { commit: true })?;
        wire::decode_ok(&m.payload)
    }
}

impl<H: RingHooks> Store for RingTransaction<'_, '_, H> {
    fn request(&self, req: &Request<'_>) -> Result<Message> {
        self.client.call(self.id, req)
    }
}

impl<H: RingHooks> Drop for RingTransaction<'_, '_, H> {
    fn drop(&mut self) {
        if !self.done {
            if let Ok(id) = self
                .client
                .submit(self.id, &Request::TransactionEnd { commit: false })
            {
                self.client.inner.borrow_mut().session.discard(id);
            }
        }
    }
}

/// Formats a token for a numbered watch (`"w<n>"`), for callers without
/// `format!`.
pub fn token(n: u32) -> String {
    let mut s = String::from("w");
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[i..] {
        s.push(char::from(*d));
    }
    s
}

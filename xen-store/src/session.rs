// SPDX-License-Identifier: MIT OR Apache-2.0
//! The transport-independent half of a client connection: request ids in
//! flight, replies matched to them, watch events queued by token, and the
//! broken state every waiter sees.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;

use xen_abi::io::xs_wire::{MsgType, ReqId};

use crate::error::{BrokenReason, Error, Result};
use crate::path;
use crate::wire::{self, Framer, Message};

/// A watch event delivered to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    /// The path that changed (at or below the watched path), or the special
    /// path itself (`@releaseDomain`).
    pub path: String,
    /// The token the watch was registered with.
    pub token: String,
}

/// How many events each watch queues by default before it drops new ones
/// (see [`Client::set_watch_queue_limit`](crate::Client::set_watch_queue_limit)).
pub const DEFAULT_WATCH_QUEUE: usize = 1024;

#[derive(Debug)]
enum Slot {
    Waiting,
    Done(Message),
    /// Nobody will collect the reply (an abort sent from `Drop`).
    Discard,
    /// The reply came but cannot be delivered (it was oversized).
    Failed(Error),
}

/// One watch's events, oldest first, and how many did not fit.
#[derive(Debug, Default)]
struct WatchQueue {
    /// Each event with its arrival number, so the oldest of several
    /// queues can be found.
    events: VecDeque<(u64, WatchEvent)>,
    dropped: u64,
}

/// The most events a watch queues (at least 1).
#[derive(Debug, Clone, Copy)]
struct WatchLimit(usize);

impl Default for WatchLimit {
    fn default() -> Self {
        Self(DEFAULT_WATCH_QUEUE)
    }
}

/// Request ids, replies and watch queues of one connection.
#[derive(Debug, Default)]
pub(crate) struct Session {
    framer: Framer,
    next_id: ReqId,
    pending: BTreeMap<ReqId, Slot>,
    /// Each watch's queue, by token.
    watches: BTreeMap<String, WatchQueue>,
    /// The bound on each queue: a peer firing a watched path while nobody
    /// takes the events cannot grow memory past it (the XSA-349 class).
    watch_limit: WatchLimit,
    events_routed: u64,
    broken: Option<BrokenReason>,
    /// The error behind `broken`, with its cause.
    broken_by: Option<Error>,
    stray_events: u64,
}

impl Session {
    pub(crate) fn check(&self) -> Result<()> {
        match self.broken {
            Some(r) => Err(Error::Broken(r)),
            None => Ok(()),
        }
    }

    /// A fresh request id, registered as waiting.
    pub(crate) fn start(&mut self) -> Result<ReqId> {
        self.check()?;
        loop {
            let id = self.next_id;
            self.next_id = self.next_id.next();
            if let alloc::collections::btree_map::Entry::Vacant(e) = self.pending.entry(id) {
                e.insert(Slot::Waiting);
                return Ok(id);
            }
        }
    }

    /// Forgets a request whose reply nobody will collect.
    pub(crate) fn discard(&mut self, id: ReqId) {
        match self.pending.get_mut(&id) {
            Some(s @ Slot::Waiting) => *s = Slot::Discard,
            Some(Slot::Done(_)) => {
                self.pending.remove(&id);
            }
            _ => {}
        }
    }

    /// Forgets a request that was never sent.
    pub(crate) fn cancel(&mut self, id: ReqId) {
        self.pending.remove(&id);
    }

    /// The reply to `id` if it arrived; the broken error if it never will.
    pub(crate) fn take(&mut self, id: ReqId) -> Option<Result<Message>> {
        match self.pending.get(&id) {
            Some(Slot::Done(_) | Slot::Failed(_)) => match self.pending.remove(&id) {
                Some(Slot::Done(m)) => Some(Ok(m)),
                Some(Slot::Failed(e)) => Some(Err(e)),
                _ => None,
            },
            Some(_) | None => {
                let r = self.broken?;
                self.pending.remove(&id);
                Some(Err(Error::Broken(r)))
            }
        }
    }

    /// Declares the connection broken: every waiter gets the reason.
    pub(crate) fn fail(&mut self, e: &Error) {
        if self.broken.is_none() {
            self.broken = Some(e.broken_reason());
            self.broken_by = Some(e.clone());
        }
    }

    /// The error that broke the connection, if it is broken.
    pub(crate) fn broken_by(&self) -> Option<Error> {
        self.broken_by.clone()
    }

    /// Feeds received bytes; dispatches every complete message. A protocol
    /// violation breaks the connection (and is returned).
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        self.check()?;
        self.framer.push(bytes);
        loop {
            let r = match self.framer.next_message() {
                Ok(Some(m)) => self.dispatch(m),
                Ok(None) => return Ok(()),
                Err(e @ Error::PayloadTooLong(_)) => self.skip_oversized_reply(e),
                Err(e) => Err(e),
            };
            if let Err(e) = r {
                self.fail(&e);
                return Err(e);
            }
        }
    }

    /// An oversized reply to a request we sent (oxenstored answers
    /// `XS_DIRECTORY` on a large directory so, where C xenstored says
    /// `E2BIG`): the framing is intact, so that request fails with `e` and
    /// the connection lives on. Anything else oversized breaks it.
    fn skip_oversized_reply(&mut self, e: Error) -> Result<()> {
        let Some(h) = self.framer.oversized() else {
            return Err(e);
        };
        if h.kind == MsgType::WATCH_EVENT || h.kind == MsgType::INVALID {
            return Err(e);
        }
        match self.pending.get(&h.req_id) {
            Some(Slot::Waiting) => {
                self.pending.insert(h.req_id, Slot::Failed(e));
            }
            Some(Slot::Discard) => {
                self.pending.remove(&h.req_id);
            }
            _ => return Err(e),
        }
        self.framer.skip_oversized();
        Ok(())
    }

    /// Routes one message: a reply to its waiter, a watch event to its
    /// token's queue.
    fn dispatch(&mut self, m: Message) -> Result<()> {
        if m.header.kind == MsgType::WATCH_EVENT {
            // An unknown token is not fatal: events for a watch just
            // removed may still be on the way.
            if let Err(Error::UnknownWatchToken | Error::Malformed(_)) = self.route_event(&m) {
                self.stray_events += 1;
            }
            return Ok(());
        }
        match self.pending.get_mut(&m.header.req_id) {
            Some(s @ Slot::Waiting) => {
                *s = Slot::Done(m);
                Ok(())
            }
            Some(Slot::Discard) => {
                self.pending.remove(&m.header.req_id);
                Ok(())
            }
            _ => Err(Error::UnknownReqId(m.header.req_id)),
        }
    }

    fn route_event(&mut self, m: &Message) -> Result<()> {
        let e = wire::decode_watch_event(&m.payload)?;
        let token = core::str::from_utf8(e.token).map_err(|_| Error::UnknownWatchToken)?;
        // A path no watch could fire for (empty, bad characters, too long)
        // is not an event of any watch: dropped as a stray. Special paths
        // (`@...`) pass, so newer daemons' specials still arrive.
        if !(e.path.len() > 1 && e.path.starts_with('@')) {
            path::validate(e.path).map_err(|_| Error::Malformed("watch event path"))?;
        }
        let q = self
            .watches
            .get_mut(token)
            .ok_or(Error::UnknownWatchToken)?;
        // Full: drop the newest and count it. The events queued stay in
        // order; the caller, seeing `dropped` grow, re-reads.
        if q.events.len() >= self.watch_limit.0 {
            q.dropped += 1;
            return Ok(());
        }
        q.events.push_back((
            self.events_routed,
            WatchEvent {
                path: e.path.into(),
                token: token.into(),
            },
        ));
        self.events_routed += 1;
        Ok(())
    }

    pub(crate) fn add_watch(&mut self, token: &str) -> Result<()> {
        if self.watches.contains_key(token) {
            return Err(Error::DuplicateToken);
        }
        self.watches.insert(token.into(), WatchQueue::default());
        Ok(())
    }

    /// Removes a watch's queue and the events still in it.
    pub(crate) fn remove_watch(&mut self, token: &str) {
        self.watches.remove(token);
    }

    pub(crate) fn pop_event(&mut self, token: &str) -> Option<WatchEvent> {
        Some(self.watches.get_mut(token)?.events.pop_front()?.1)
    }

    /// The event that arrived first among those queued for `tokens`.
    pub(crate) fn pop_oldest_event<'t>(
        &mut self,
        tokens: impl IntoIterator<Item = &'t str>,
    ) -> Option<WatchEvent> {
        let oldest = tokens
            .into_iter()
            .filter_map(|t| Some((self.watches.get(t)?.events.front()?.0, t)))
            .min()?
            .1;
        self.pop_event(oldest)
    }

    pub(crate) fn queued_events(&self, token: &str) -> usize {
        self.watches.get(token).map_or(0, |q| q.events.len())
    }

    /// Bounds every watch's queue to `events` (at least 1); events already
    /// queued beyond it stay.
    pub(crate) fn set_watch_queue_limit(&mut self, events: usize) {
        self.watch_limit = WatchLimit(events.max(1));
    }

    pub(crate) fn dropped_events(&self, token: &str) -> u64 {
        self.watches.get(token).map_or(0, |q| q.dropped)
    }

    pub(crate) fn stray_events(&self) -> u64 {
        self.stray_events
    }

    /// Requests whose replies have not arrived yet.
    pub(crate) fn outstanding(&self) -> usize {
        self.pending
            .values()
            .filter(|s| !matches!(s, Slot::Done(_) | Slot::Failed(_)))
            .count()
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{encode_watch_event, Response};
    use xen_abi::io::xs_wire::TxId;

    #[test]
    fn replies_route_by_id_and_events_by_token() {
        let mut s = Session::default();
        let a = s.start().unwrap();
        let b = s.start().unwrap();
        assert_ne!(a, b);
        s.add_watch("t").unwrap();
        assert_eq!(s.add_watch("t"), Err(Error::DuplicateToken));
        let mut bytes = Response::Ok.encode(MsgType::WRITE, b, TxId::NONE).unwrap();
        bytes.extend(encode_watch_event("/x", b"t").unwrap());
        bytes.extend(encode_watch_event("/x", b"other").unwrap());
        bytes.extend(Response::Ok.encode(MsgType::WRITE, a, TxId::NONE).unwrap());
        s.feed(&bytes).unwrap();
        assert_eq!(s.take(a).unwrap().unwrap().header.req_id, a);
        assert_eq!(s.take(b).unwrap().unwrap().header.req_id, b);
        assert!(s.take(a).is_none());
        assert_eq!(s.pop_event("t").unwrap().path, "/x");
        assert_eq!(s.stray_events(), 1);
        // Unwatch drops what is queued.
        s.feed(&encode_watch_event("/y", b"t").unwrap()).unwrap();
        assert_eq!(s.queued_events("t"), 1);
        s.remove_watch("t");
        assert_eq!(s.pop_event("t"), None);
    }

    #[test]
    fn the_oldest_event_of_several_watches_comes_first() {
        let mut s = Session::default();
        for t in ["a", "b", "c"] {
            s.add_watch(t).unwrap();
        }
        for (path, token) in [("/1", "b"), ("/2", "a"), ("/3", "b"), ("/4", "c")] {
            s.feed(&encode_watch_event(path, token.as_bytes()).unwrap())
                .unwrap();
        }
        for want in [("/1", "b"), ("/2", "a"), ("/3", "b")] {
            let e = s.pop_oldest_event(["a", "b", "nope"]).unwrap();
            assert_eq!((e.path.as_str(), e.token.as_str()), want);
        }
        assert_eq!(s.pop_oldest_event(["a", "b"]), None);
        assert_eq!(s.queued_events("c"), 1);
        assert_eq!(s.pop_oldest_event([]), None);
    }

    #[test]
    fn protocol_violations_break_the_connection() {
        let mut s = Session::default();
        let a = s.start().unwrap();
        let d = s.start().unwrap();
        s.discard(d);
        s.feed(&Response::Ok.encode(MsgType::WRITE, d, TxId::NONE).unwrap())
            .unwrap();
        assert!(s.take(a).is_none());
        let e = s.feed(
            &Response::Ok
                .encode(MsgType::WRITE, ReqId::new(999), TxId::NONE)
                .unwrap(),
        );
        assert_eq!(e, Err(Error::UnknownReqId(ReqId::new(999))));
        assert_eq!(
            s.take(a).unwrap(),
            Err(Error::Broken(BrokenReason::UnknownReqId))
        );
        assert!(s.start().is_err());
        assert_eq!(s.in_flight(), 0);
    }
}

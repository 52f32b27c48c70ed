// SPDX-License-Identifier: MIT OR Apache-2.0
//! A vchan in a guest kernel (no_std + alloc): [`Server`] and [`Client`],
//! wire-compatible with libxenvchan, over xen-grant's in-guest grant table
//! ([`GrantTable`], [`Foreign`]), xen-evtchn's [`EventChannel`] and
//! xen-store's [`Client`](xen_store::Client) (the ring client in a guest).
//!
//! What the crates above cannot do is the platform's:
//!
//! - memory: a server's control page and ring pages are the caller's
//!   (`SharedMem<'static>`: granted memory never turns back into plain
//!   memory); [`Server::ring_pages`] says how many ring pages to bring;
//! - waiting: [`Wait`] blocks until an event may have come on a port (an
//!   upcall, `SCHEDOP_poll`, or polling), with a clock for time-outs.
//!
//! A server's pages are granted with [`GrantTable::grant_access`] and
//! published in xenstore in one transaction; [`Server::close`] ends the
//! grants only once the client let go of them ([`Closed`] keeps the rest).
//! A client maps the server's pages one by one through [`Foreign`] (its
//! read ring read-only): a ring in several pages is read across them
//! without needing them contiguous.
//!
//! A guest has no unmap notification: when a guest end dies, its Linux peer
//! learns it from xenstore (`xen_vchan::linux` checks that the domain's
//! home still exists while it waits).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use xen_abi::event_channel::EvtchnPort;
use xen_abi::grant_table::GrantRef;
use xen_abi::io::shm::{Mode, ReadOnly, ReadWrite, SharedMem};
use xen_abi::io::vchan::PAGE_SIZE;
use xen_abi::{DomId, Errno};
use xen_evtchn::guest::EventChannel;
use xen_grant::guest::{Access, Foreign, ForeignPages, Grant, GrantTable, Mapping, TablePages};
use xen_hypercall::Hypercall;
use xen_store::{Client as Xenstore, Perm, Store, Transport};

use crate::endpoint::{each_page, RingBuffer, RingBufferMut};
use crate::xs::{parse_number, EVENT_CHANNEL, RING_REF};
use crate::{Endpoint, Error, Orders, Pages, PeerState, Place, Result};

/// How a guest waits for events, and tells the time.
pub trait Wait {
    /// Nanoseconds on a monotonic clock (Xen's system time will do).
    fn now_ns(&mut self) -> u64;

    /// Blocks until an event may have arrived on `port`, or the clock
    /// passed `until_ns`. Waking early (for another port, or for nothing)
    /// is fine: callers look at the rings again and wait again.
    /// [`EvtchnPort::ZERO`] (no port) means: only the clock (a client
    /// polling for the server's xenstore nodes).
    ///
    /// # Errors
    ///
    /// The platform's ([`Error::Platform`], [`Error::Evtchn`]).
    fn wait(&mut self, port: EvtchnPort, until_ns: u64) -> Result<()>;
}

fn own_domid<T: Transport>(xs: &Xenstore<T>) -> Result<DomId> {
    let raw = xs.read("domid")?;
    let digits = raw.strip_suffix(b"\0").unwrap_or(&raw);
    let n = if digits == b"0" {
        0
    } else {
        parse_number("domid", &raw)?
    };
    let bad = || Error::BadNode {
        path: "domid".into(),
        value: String::from_utf8_lossy(&raw).into_owned(),
    };
    let n = u16::try_from(n).map_err(|_| bad())?;
    DomId::new(n).map_err(Error::Abi)
}

fn until(w: &mut impl Wait, timeout_ns: Option<u64>) -> u64 {
    match timeout_ns {
        Some(t) => w.now_ns().saturating_add(t),
        None => u64::MAX,
    }
}

/// The I/O both roles share, over `pages()`.
macro_rules! guest_io {
    () => {
        /// What the peer's live byte says.
        ///
        /// # Errors
        ///
        /// [`Error::BadLive`] for a byte that is no live state.
        pub fn peer_state(&self) -> Result<PeerState> {
            if self.closed {
                return Ok(PeerState::Gone);
            }
            self.endpoint.peer_state(self.ctrl_mem())
        }

        /// Whether the peer is (or, for a server, may still come) there.
        pub fn is_open(&self) -> bool {
            matches!(
                self.peer_state(),
                Ok(PeerState::Connected | PeerState::Waiting)
            )
        }

        /// The ring orders.
        pub fn orders(&self) -> Orders {
            self.endpoint.orders()
        }

        /// Our event-channel port (wait on it).
        pub fn port(&self) -> EvtchnPort {
            self.port
        }

        /// Events sent to the peer so far.
        pub fn events_sent(&self) -> u64 {
            self.sent
        }

        fn notify(&mut self, needed: bool) -> Result<()> {
            if needed {
                self.sent += 1;
                self.evtchn.send(self.port)?;
            }
            Ok(())
        }

        /// Bytes ready to read (asks the peer for an event on its next
        /// write).
        ///
        /// # Errors
        ///
        /// [`Error::BadIndex`] for a hostile peer index.
        pub fn data_ready(&mut self) -> Result<usize> {
            let (endpoint, pages) = self.parts();
            endpoint.data_ready(&pages)
        }

        /// Room to write (asks the peer for an event on its next read).
        ///
        /// # Errors
        ///
        /// [`Error::BadIndex`] for a hostile peer index.
        pub fn buffer_space(&mut self) -> Result<usize> {
            let (endpoint, pages) = self.parts();
            endpoint.buffer_space(&pages)
        }

        fn read_now(&mut self, buf: &mut [u8]) -> Result<usize> {
            if self.closed {
                return Err(Error::PeerClosed);
            }
            let (endpoint, pages) = self.parts();
            let t = endpoint.read(&pages, buf)?;
            self.notify(t.notify().needed())?;
            Ok(t.len())
        }

        /// Reads what is ready, up to `buf.len()` bytes, without waiting
        /// (0: nothing ready yet), and tells the peer if it asked.
        ///
        /// # Errors
        ///
        /// [`Error::PeerClosed`] when nothing is ready and the peer is
        /// gone (or after close); [`Error::BadIndex`]; the event
        /// channel's errors.
        pub fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
            let n = self.read_now(buf)?;
            if n == 0 && !buf.is_empty() && self.peer_state()? == PeerState::Gone {
                return Err(Error::PeerClosed);
            }
            Ok(n)
        }

        /// Writes what fits, up to `data.len()` bytes, without waiting
        /// (0: the ring is full), and tells the peer if it asked.
        ///
        /// # Errors
        ///
        /// [`Error::PeerClosed`] once the peer is gone; as
        /// [`read`](Self::read).
        pub fn write(&mut self, data: &[u8]) -> Result<usize> {
            if self.closed || self.peer_state()? == PeerState::Gone {
                return Err(Error::PeerClosed);
            }
            let (endpoint, pages) = self.parts();
            let t = endpoint.write(&pages, data)?;
            self.notify(t.notify().needed())?;
            Ok(t.len())
        }

        /// Reads at least one byte, waiting up to `timeout_ns` (`None`:
        /// as long as the peer is there); 0 once the peer closed and
        /// everything it sent was read.
        ///
        /// # Errors
        ///
        /// [`Error::TimedOut`]; as [`read`](Self::read).
        pub fn recv(
            &mut self,
            w: &mut impl Wait,
            buf: &mut [u8],
            timeout_ns: Option<u64>,
        ) -> Result<usize> {
            if buf.is_empty() {
                return Ok(0);
            }
            let end = until(w, timeout_ns);
            loop {
                let n = self.read_now(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                if self.peer_state()? == PeerState::Gone {
                    return self.read_now(buf);
                }
                if w.now_ns() >= end {
                    return Err(Error::TimedOut);
                }
                w.wait(self.port, end)?;
            }
        }

        /// Writes at least one byte, waiting for room up to `timeout_ns`.
        ///
        /// # Errors
        ///
        /// [`Error::PeerClosed`] once the peer is gone;
        /// [`Error::TimedOut`]; as [`write`](Self::write).
        pub fn send(
            &mut self,
            w: &mut impl Wait,
            data: &[u8],
            timeout_ns: Option<u64>,
        ) -> Result<usize> {
            if data.is_empty() {
                return Ok(0);
            }
            let end = until(w, timeout_ns);
            loop {
                if self.peer_state()? == PeerState::Gone {
                    return Err(Error::PeerClosed);
                }
                let n = self.write(data)?;
                if n > 0 {
                    return Ok(n);
                }
                if w.now_ns() >= end {
                    return Err(Error::TimedOut);
                }
                w.wait(self.port, end)?;
            }
        }

        /// Reads exactly `buf.len()` bytes, all within `timeout_ns`.
        ///
        /// # Errors
        ///
        /// As [`recv`](Self::recv); [`Error::PeerClosed`] if the peer
        /// closes first.
        pub fn recv_exact(
            &mut self,
            w: &mut impl Wait,
            mut buf: &mut [u8],
            timeout_ns: Option<u64>,
        ) -> Result<()> {
            let end = until(w, timeout_ns);
            while !buf.is_empty() {
                let left = end.saturating_sub(w.now_ns());
                match self.recv(w, buf, Some(left))? {
                    0 => return Err(Error::PeerClosed),
                    n => buf = &mut buf[n..],
                }
            }
            Ok(())
        }

        /// Writes all of `data`, within `timeout_ns`.
        ///
        /// # Errors
        ///
        /// As [`send`](Self::send).
        pub fn send_all(
            &mut self,
            w: &mut impl Wait,
            mut data: &[u8],
            timeout_ns: Option<u64>,
        ) -> Result<()> {
            let end = until(w, timeout_ns);
            while !data.is_empty() {
                let left = end.saturating_sub(w.now_ns());
                let n = self.send(w, data, Some(left))?;
                data = &data[n..];
            }
            Ok(())
        }
    };
}

/// The server end in a guest: grants the pages and publishes them.
#[doc(alias = "libxenvchan_server_init")]
pub struct Server<H: Hypercall> {
    endpoint: Endpoint,
    evtchn: EventChannel<H>,
    port: EvtchnPort,
    ctrl: SharedMem<'static>,
    rings: SharedMem<'static>,
    grants: Vec<Grant>,
    path: String,
    closed: bool,
    sent: u64,
}

impl<H: Hypercall> fmt::Debug for Server<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("endpoint", &self.endpoint)
            .field("port", &self.port)
            .field("path", &self.path)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl<H: Hypercall> Server<H> {
    /// How many ring pages a server with rings of at least `read_min` and
    /// `write_min` bytes needs besides the control page.
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`].
    pub fn ring_pages(read_min: usize, write_min: usize) -> Result<usize> {
        Ok(Orders::for_sizes(read_min, write_min)?.grant_count())
    }

    /// Serves a vchan for domain `peer` at xenstore `path`: grants `ctrl`
    /// (one page) and the first [`ring_pages`](Self::ring_pages) pages of
    /// `rings` (contiguous, page-aligned; may be empty when both rings fit
    /// in the control page) to `peer`, allocates an unbound port for it,
    /// writes the control page, and publishes `ring-ref` and
    /// `event-channel` (readable by `peer` only) in one transaction.
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`]; [`Error::SharedMem`] when `ctrl` or `rings`
    /// is too small; the grant table's, event channel's and xenstore's
    /// errors (grants made before the failure stay outstanding: their pages
    /// are `'static`).
    #[allow(clippy::too_many_arguments)]
    pub fn new<TH: Hypercall, P: TablePages, T: Transport>(
        table: &mut GrantTable<TH, P>,
        evtchn: EventChannel<H>,
        xs: &Xenstore<T>,
        ctrl: SharedMem<'static>,
        rings: SharedMem<'static>,
        peer: DomId,
        path: &str,
        read_min: usize,
        write_min: usize,
    ) -> Result<Self> {
        let orders = Orders::for_sizes(read_min, write_min)?;
        let need = orders.grant_count() * PAGE_SIZE;
        if ctrl.len() < PAGE_SIZE || rings.len() < need {
            return Err(Error::SharedMem(xen_abi::Error::BadLength {
                expected: need.max(PAGE_SIZE),
                actual: rings.len().min(ctrl.len()),
            }));
        }
        let own = own_domid(xs)?;
        let ctrl = ctrl.sub(0, PAGE_SIZE).map_err(Error::SharedMem)?;
        let rings = rings.sub(0, need).map_err(Error::SharedMem)?;
        let port = evtchn.alloc_unbound(peer)?;
        let mut set_up = || -> Result<(Endpoint, Vec<Grant>)> {
            let mut grants = Vec::with_capacity(1 + orders.grant_count());
            let mut refs: Vec<GrantRef> = Vec::with_capacity(orders.grant_count());
            for i in 0..orders.grant_count() {
                let page = rings
                    .sub(i * PAGE_SIZE, PAGE_SIZE)
                    .map_err(Error::SharedMem)?;
                let g = table.grant_access(peer, page, Access::ReadWrite)?;
                refs.push(g.gref());
                grants.push(g);
            }
            let endpoint = Endpoint::server(ctrl, orders, &refs)?;
            let g = table.grant_access(peer, ctrl, Access::ReadWrite)?;
            let ring_ref = g.gref();
            grants.push(g);
            let perms = [
                Perm::new(xen_store::Access::None, own),
                Perm::new(xen_store::Access::Read, peer),
            ];
            let ring_ref_node = format!("{path}/{RING_REF}");
            let event_node = format!("{path}/{EVENT_CHANNEL}");
            let ring_ref_value = format!("{}", ring_ref.get());
            let event_value = format!("{}", port.get());
            xs.transaction(|t| {
                t.write(&ring_ref_node, ring_ref_value.as_bytes())?;
                t.set_perms(&ring_ref_node, &perms)?;
                t.write(&event_node, event_value.as_bytes())?;
                t.set_perms(&event_node, &perms)
            })?;
            Ok((endpoint, grants))
        };
        let (endpoint, grants) = match set_up() {
            Ok(v) => v,
            Err(e) => {
                // The port goes back; grants made stay (their pages are
                // 'static, and the peer may already map them).
                let _ = evtchn.close(port);
                return Err(e);
            }
        };
        Ok(Self {
            endpoint,
            evtchn,
            port,
            ctrl,
            rings,
            grants,
            path: path.into(),
            closed: false,
            sent: 0,
        })
    }

    fn ctrl_mem(&self) -> SharedMem<'static> {
        self.ctrl
    }

    fn ring(&self, place: Place, size: usize) -> SharedMem<'static> {
        // `new` checked both regions against these orders: in range.
        match place {
            Place::InPage(off) => self.ctrl.sub(off, size),
            Place::Granted { first, pages } => self.rings.sub(first * PAGE_SIZE, pages * PAGE_SIZE),
        }
        .unwrap_or(self.ctrl)
    }

    fn parts(&mut self) -> (&mut Endpoint, Pages<'static>) {
        let rx = self.ring(self.endpoint.rx_place(), self.endpoint.rx_size());
        let tx = self.ring(self.endpoint.tx_place(), self.endpoint.tx_size());
        let pages = Pages {
            ctrl: self.ctrl,
            rx: rx.read_only(),
            tx,
        };
        (&mut self.endpoint, pages)
    }

    guest_io!();

    /// Waits until the client has connected, at most `timeout_ns`.
    ///
    /// # Errors
    ///
    /// [`Error::TimedOut`]; [`Error::PeerClosed`] if the client came and
    /// left already; [`Error::BadLive`].
    pub fn wait_connected(&mut self, w: &mut impl Wait, timeout_ns: Option<u64>) -> Result<()> {
        let end = until(w, timeout_ns);
        loop {
            match self.peer_state()? {
                PeerState::Connected => return Ok(()),
                PeerState::Gone => return Err(Error::PeerClosed),
                PeerState::Waiting => {
                    if w.now_ns() >= end {
                        return Err(Error::TimedOut);
                    }
                    w.wait(self.port, end)?;
                }
            }
        }
    }

    /// Closes the channel: `srv_live` 0 and an event to the client, the
    /// xenstore nodes removed, the port closed, and every grant the client
    /// no longer holds ended. The grants it still maps come back in
    /// [`Closed`], to end later.
    ///
    /// # Errors
    ///
    /// The event channel's or xenstore's (the grants are ended first, or
    /// kept, either way).
    pub fn close<TH: Hypercall, P: TablePages, T: Transport>(
        mut self,
        table: &mut GrantTable<TH, P>,
        xs: &Xenstore<T>,
    ) -> Result<Closed> {
        let mut closed = Closed {
            pending: core::mem::take(&mut self.grants),
        };
        closed.retry(table);
        if !self.closed {
            self.closed = true;
            let _ = self.endpoint.close(self.ctrl)?;
            self.sent += 1;
            self.evtchn.send(self.port)?;
        }
        match xs.rm(&self.path) {
            Err(e) if e.errno() != Some(Errno::ENOENT) => return Err(e.into()),
            _ => {}
        }
        self.evtchn.close(self.port)?;
        Ok(closed)
    }
}

/// A closed server's grants that its client still held.
#[derive(Debug)]
#[must_use = "grants still in force: retry later, or leak them knowingly"]
pub struct Closed {
    pending: Vec<Grant>,
}

impl Closed {
    /// Ends the grants the client no longer holds: whether none is left.
    pub fn retry<TH: Hypercall, P: TablePages>(&mut self, table: &mut GrantTable<TH, P>) -> bool {
        let mut still = Vec::new();
        for g in self.pending.drain(..) {
            if let Err(busy) = table.end_access(g) {
                still.push(busy.grant);
            }
        }
        self.pending = still;
        self.pending.is_empty()
    }

    /// How many grants are still in force.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// One ring of a guest client: in the control page or mapped pages.
enum ClientRing<'a, 'f, F: ForeignPages, M: Mode> {
    InPage(SharedMem<'a, M>),
    Mapped(&'a [Mapping<'f, F, M>]),
}

/// A mapped page's memory in its mode, so that one `RingBuffer` impl
/// serves the client's read-only and read-write rings.
trait PageMem<M: Mode> {
    fn page_mem(&self) -> SharedMem<'_, M>;
}

impl<F: ForeignPages> PageMem<ReadOnly> for Mapping<'_, F, ReadOnly> {
    fn page_mem(&self) -> SharedMem<'_, ReadOnly> {
        self.mem()
    }
}

impl<F: ForeignPages> PageMem<ReadWrite> for Mapping<'_, F, ReadWrite> {
    fn page_mem(&self) -> SharedMem<'_> {
        self.mem()
    }
}

impl<'f, F: ForeignPages, M: Mode> RingBuffer for ClientRing<'_, 'f, F, M>
where
    Mapping<'f, F, M>: PageMem<M>,
{
    fn len(&self) -> usize {
        match self {
            Self::InPage(m) => m.len(),
            Self::Mapped(p) => p.len() * PAGE_SIZE,
        }
    }

    fn copy_out(&self, off: usize, dst: &mut [u8]) -> Result<()> {
        match self {
            Self::InPage(m) => RingBuffer::copy_out(m, off, dst),
            Self::Mapped(p) => each_page(p.len(), off, dst.len(), |i, o, r| {
                RingBuffer::copy_out(&p[i].page_mem(), o, &mut dst[r])
            }),
        }
    }
}

impl<F: ForeignPages> RingBufferMut for ClientRing<'_, '_, F, ReadWrite> {
    fn copy_in(&self, off: usize, src: &[u8]) -> Result<()> {
        match self {
            Self::InPage(m) => RingBufferMut::copy_in(m, off, src),
            Self::Mapped(p) => each_page(p.len(), off, src.len(), |i, o, r| {
                RingBufferMut::copy_in(&p[i].mem(), o, &src[r])
            }),
        }
    }
}

/// The client end in a guest: maps the server's pages through
/// [`Foreign`] (borrowed for `'f`).
#[doc(alias = "libxenvchan_client_init")]
pub struct Client<'f, F: ForeignPages, H: Hypercall> {
    endpoint: Endpoint,
    evtchn: EventChannel<H>,
    port: EvtchnPort,
    // Rings before the control page: unmapped first.
    rx: Vec<Mapping<'f, F, ReadOnly>>,
    tx: Vec<Mapping<'f, F, ReadWrite>>,
    ctrl: Mapping<'f, F, ReadWrite>,
    closed: bool,
    sent: u64,
}

impl<F: ForeignPages, H: Hypercall> fmt::Debug for Client<'_, F, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("port", &self.port)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl<'f, F: ForeignPages, H: Hypercall> Client<'f, F, H> {
    /// Connects to the vchan domain `peer` serves at xenstore `path`:
    /// reads `ring-ref` and `event-channel` (waiting up to `timeout_ns` for
    /// them to appear), binds the port, maps the control page, checks its
    /// orders and grant list, maps the rings (ours to write read-write,
    /// the server's read-only), and says it is there.
    ///
    /// # Errors
    ///
    /// [`Error::TimedOut`] when the nodes do not appear;
    /// [`Error::BadNode`], [`Error::BadOrders`], [`Error::BadGrant`] for
    /// what is not a vchan; the grant, event-channel and xenstore errors.
    pub fn connect<T: Transport>(
        foreign: &'f Foreign<F>,
        evtchn: EventChannel<H>,
        xs: &Xenstore<T>,
        w: &mut impl Wait,
        peer: DomId,
        path: &str,
        timeout_ns: Option<u64>,
    ) -> Result<Self> {
        let end = until(w, timeout_ns);
        let ring_ref_node = format!("{path}/{RING_REF}");
        let event_node = format!("{path}/{EVENT_CHANNEL}");
        let read = |node: &str| -> Result<Option<u32>> {
            match xs.read(node) {
                Ok(v) => parse_number(node, &v).map(Some),
                Err(e) if e.errno() == Some(Errno::ENOENT) => Ok(None),
                Err(e) => Err(e.into()),
            }
        };
        let (ring_ref, remote) = loop {
            if let (Some(r), Some(p)) = (read(&ring_ref_node)?, read(&event_node)?) {
                break (r, p);
            }
            let now = w.now_ns();
            if now >= end {
                return Err(Error::TimedOut);
            }
            // Nothing to wait on yet: poll every 10 ms.
            let next = now.saturating_add(10_000_000).min(end);
            while w.now_ns() < next {
                w.wait(EvtchnPort::ZERO, next)?;
            }
        };
        let ring_ref = GrantRef::new(ring_ref).map_err(Error::Abi)?;
        let remote = EvtchnPort::new(remote).map_err(Error::Abi)?;
        let ctrl = foreign.map_read_write(peer, ring_ref)?;
        let endpoint = Endpoint::client(ctrl.mem())?;
        let mut refs = alloc::vec![GrantRef::INVALID; endpoint.orders().grant_count()];
        endpoint.grants(ctrl.mem(), &mut refs)?;
        let mut tx = Vec::new();
        if let Place::Granted { first, pages } = endpoint.tx_place() {
            for r in &refs[first..first + pages] {
                tx.push(foreign.map_read_write(peer, *r)?);
            }
        }
        let mut rx = Vec::new();
        if let Place::Granted { first, pages } = endpoint.rx_place() {
            for r in &refs[first..first + pages] {
                rx.push(foreign.map_read_only(peer, *r)?);
            }
        }
        let port = evtchn.bind_interdomain(peer, remote)?;
        let mut client = Self {
            endpoint,
            evtchn,
            port,
            rx,
            tx,
            ctrl,
            closed: false,
            sent: 0,
        };
        let needed = client.endpoint.connect(client.ctrl.mem())?.needed();
        client.notify(needed)?;
        Ok(client)
    }

    fn ctrl_mem(&self) -> SharedMem<'_> {
        self.ctrl.mem()
    }

    #[allow(clippy::type_complexity)]
    fn parts(
        &mut self,
    ) -> (
        &mut Endpoint,
        Pages<'_, ClientRing<'_, 'f, F, ReadOnly>, ClientRing<'_, 'f, F, ReadWrite>>,
    ) {
        let ctrl = self.ctrl.mem();
        let rx = match self.endpoint.rx_place() {
            Place::InPage(off) => ClientRing::InPage(
                ctrl.sub(off, self.endpoint.rx_size())
                    .unwrap_or(ctrl)
                    .read_only(),
            ),
            Place::Granted { .. } => ClientRing::Mapped(&self.rx[..]),
        };
        let tx = match self.endpoint.tx_place() {
            Place::InPage(off) => {
                ClientRing::InPage(ctrl.sub(off, self.endpoint.tx_size()).unwrap_or(ctrl))
            }
            Place::Granted { .. } => ClientRing::Mapped(&self.tx[..]),
        };
        (&mut self.endpoint, Pages { ctrl, rx, tx })
    }

    guest_io!();

    /// Closes the channel: `cli_live` 0, an event to the server, the port
    /// closed, the pages unmapped.
    ///
    /// # Errors
    ///
    /// The event channel's; unmapping errors (the mapping then stays).
    pub fn close(mut self) -> Result<()> {
        if !self.closed {
            self.closed = true;
            let _ = self.endpoint.close(self.ctrl.mem())?;
            self.sent += 1;
            self.evtchn.send(self.port)?;
        }
        self.evtchn.close(self.port)?;
        for m in self.rx.drain(..) {
            m.unmap()?;
        }
        for m in self.tx.drain(..) {
            m.unmap()?;
        }
        self.ctrl.unmap()?;
        Ok(())
    }
}

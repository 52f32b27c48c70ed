// SPDX-License-Identifier: MIT OR Apache-2.0
//! A vchan in a Linux process (dom0 or a driver domain): [`Server`] and
//! [`Client`], wire-compatible with libxenvchan's.
//!
//! - The server shares its pages through `/dev/xen/gntalloc`, allocates an
//!   unbound port on `/dev/xen/evtchn` and publishes `ring-ref` and
//!   `event-channel` under the vchan's xenstore path in one transaction,
//!   readable by the client domain only (as libxenvchan); it removes the
//!   path when it closes.
//! - The client maps them through `/dev/xen/gntdev` (its read ring
//!   read-only) and binds the port.
//! - Each end asks the kernel to clear its live byte and signal the port
//!   when its mapping goes away (gntalloc/gntdev unmap notification): a
//!   process that dies still tells the peer. A peer *domain* that is
//!   destroyed cannot do that; while waiting, an end also checks every
//!   [`LIVENESS_POLL`] that the peer's xenstore home still exists.
//!
//! Both types are `std::io::Read + Write` (blocking, with an optional
//! time-out: [`Server::set_timeout`]) and `AsFd` (the event channel's file,
//! readable when an event is pending, for poll loops).
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use std::time::Duration;
//! use xen_abi::DomId;
//! use xen_vchan::linux::{Client, Server};
//! use xen_vchan::xs::default_path;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // dom0 to itself: a server and a client in one process.
//! let path = default_path(DomId::DOM0, DomId::DOM0, 1);
//! let mut server = Server::new(DomId::DOM0, &path, 4096, 4096)?;
//! let mut client = Client::connect(DomId::DOM0, &path, Duration::from_secs(5))?;
//! server.wait_connected(Some(Duration::from_secs(5)))?;
//! client.write_all(b"ping")?;
//! let mut buf = [0; 4];
//! server.read_exact(&mut buf)?;
//! assert_eq!(&buf, b"ping");
//! # Ok(()) }
//! ```

use core::time::Duration;
use std::format;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::string::String;
use std::sync::OnceLock;
use std::time::Instant;
use std::vec::Vec;

use xen_abi::event_channel::EvtchnPort;
use xen_abi::grant_table::GrantRef;
use xen_abi::io::shm::{ReadOnly, SharedMem};
use xen_abi::io::vchan::{CLI_LIVE_OFFSET, SRV_LIVE_OFFSET};
use xen_abi::{DomId, Errno};
use xen_evtchn::linux::{Evtchn, Port};
use xen_grant::linux::{Access, Gntalloc, Gntdev, GrantMapping, SharedPages, UnmapNotify};
use xen_store::{Perm, Store, Xenstore};

use crate::xs::{parse_number, EVENT_CHANNEL, RING_REF};
use crate::{Endpoint, Error, Orders, Pages, PeerState, Place, Result};

/// How often a blocked end checks that the peer domain still exists.
pub const LIVENESS_POLL: Duration = Duration::from_millis(200);

/// How often [`Client::connect`] looks for the server's nodes.
const CONNECT_POLL: Duration = Duration::from_millis(20);

/// The process-wide gntalloc handle behind [`Server::new`].
///
/// # Errors
///
/// [`Error::Grant`] if the device cannot be opened.
pub fn shared_gntalloc() -> Result<&'static Gntalloc> {
    static DEV: OnceLock<Gntalloc> = OnceLock::new();
    if let Some(d) = DEV.get() {
        return Ok(d);
    }
    let d = Gntalloc::open()?;
    Ok(DEV.get_or_init(|| d))
}

/// The process-wide gntdev handle behind [`Client::connect`].
///
/// # Errors
///
/// [`Error::Grant`] if the device cannot be opened.
pub fn shared_gntdev() -> Result<&'static Gntdev> {
    static DEV: OnceLock<Gntdev> = OnceLock::new();
    if let Some(d) = DEV.get() {
        return Ok(d);
    }
    let d = Gntdev::open()?;
    Ok(DEV.get_or_init(|| d))
}

/// Counters of one end: how many events it sent the peer and how many it
/// took (what a benchmark reports per MiB).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events sent to the peer.
    pub events_sent: u64,
    /// Events received (pending-port reads of our port).
    pub events_received: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Bytes written.
    pub bytes_written: u64,
}

/// The pages of one end: ours (server) or mapped (client).
#[derive(Debug)]
enum Region<'d> {
    /// In the control page.
    InCtrl(usize),
    /// Shared by us through gntalloc.
    Shared(SharedPages<'d>),
    /// A peer's grants mapped through gntdev.
    Mapped(GrantMapping<'d>),
}

#[derive(Debug)]
struct Mem<'d> {
    // Field order is drop order: the rings before the control page, whose
    // unmap notification tells the peer.
    rx: Region<'d>,
    tx: Region<'d>,
    ctrl: Region<'d>,
}

impl Mem<'_> {
    fn ctrl(&self) -> Result<SharedMem<'_>> {
        match &self.ctrl {
            Region::Shared(p) => Ok(p.shared_mem(..)?),
            Region::Mapped(m) => Ok(m.shared_mem(..)?),
            Region::InCtrl(_) => Err(Error::Platform("control page missing")),
        }
    }

    fn pages(&self, rx_size: usize, tx_size: usize) -> Result<Pages<'_>> {
        let ctrl = self.ctrl()?;
        let rx: SharedMem<'_, ReadOnly> = match &self.rx {
            Region::InCtrl(off) => Pages::in_page(ctrl, *off, rx_size)?.read_only(),
            Region::Shared(p) => p.shared_mem_read_only(..)?,
            Region::Mapped(m) => m.shared_mem_read_only(..)?,
        };
        let tx = match &self.tx {
            Region::InCtrl(off) => Pages::in_page(ctrl, *off, tx_size)?,
            Region::Shared(p) => p.shared_mem(..)?,
            Region::Mapped(m) => m.shared_mem(..)?,
        };
        Ok(Pages { ctrl, rx, tx })
    }
}

/// What both roles share: the endpoint, its memory and event channel.
#[derive(Debug)]
struct Conn<'d> {
    endpoint: Endpoint,
    // Drop order: memory (whose unmap notifications signal `port`), then
    // the port, then the device handle and the xenstore connection.
    mem: Mem<'d>,
    port: Port,
    evtchn: Evtchn,
    xs: Xenstore,
    peer: DomId,
    own: DomId,
    path: String,
    timeout: Option<Duration>,
    closed: bool,
    peer_dead: bool,
    stats: Stats,
}

fn own_domid(xs: &Xenstore) -> Result<DomId> {
    let raw = xs.read("domid")?;
    let n = parse_number("domid", &raw).or_else(|e| {
        // Dom0's `domid` is "0", which `parse_number` refuses as absent.
        if raw.strip_suffix(b"\0").unwrap_or(&raw) == b"0" {
            Ok(0)
        } else {
            Err(e)
        }
    })?;
    let n = u16::try_from(n).map_err(|_| Error::BadNode {
        path: "domid".into(),
        value: String::from_utf8_lossy(&raw).into_owned(),
    })?;
    DomId::new(n).map_err(Error::Abi)
}

fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|t| Instant::now() + t)
}

impl Conn<'_> {
    fn pages(&self) -> Result<Pages<'_>> {
        self.mem
            .pages(self.endpoint.rx_size(), self.endpoint.tx_size())
    }

    fn notify(&mut self) -> Result<()> {
        self.stats.events_sent += 1;
        self.port.notify()?;
        Ok(())
    }

    /// Whether the peer's domain still exists (its xenstore home does).
    fn peer_domain_alive(&self) -> bool {
        if self.peer == self.own {
            return true;
        }
        match self.xs.read(&format!("/local/domain/{}", self.peer.get())) {
            Err(e) => e.errno() != Some(Errno::ENOENT),
            Ok(_) => true,
        }
    }

    /// Waits for an event on our port until `deadline`, draining and
    /// re-arming it.
    ///
    /// # Errors
    ///
    /// [`Error::TimedOut`]; [`Error::PeerClosed`] once the peer's domain is
    /// gone; [`Error::Evtchn`].
    fn wait(&mut self, deadline: Option<Instant>) -> Result<()> {
        loop {
            let step = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Error::TimedOut);
                    }
                    left.min(LIVENESS_POLL)
                }
                None => LIVENESS_POLL,
            };
            if self.evtchn.wait(Some(step))? {
                let mut ports = [EvtchnPort::ZERO; 16];
                let n = self.evtchn.pending(&mut ports)?;
                self.stats.events_received += n as u64;
                self.evtchn.unmask(&ports[..n])?;
                return Ok(());
            }
            if !self.peer_domain_alive() {
                self.peer_dead = true;
                return Err(Error::PeerClosed);
            }
        }
    }

    fn state(&self) -> Result<PeerState> {
        if self.closed || self.peer_dead {
            return Ok(PeerState::Gone);
        }
        self.endpoint.peer_state(self.pages()?.ctrl)
    }

    fn is_open(&self) -> bool {
        matches!(self.state(), Ok(PeerState::Connected | PeerState::Waiting))
    }

    /// Reads what is ready (0: nothing), telling the peer if it asked.
    fn read_now(&mut self, buf: &mut [u8]) -> Result<usize> {
        if self.closed {
            return Err(Error::PeerClosed);
        }
        let pages = self
            .mem
            .pages(self.endpoint.rx_size(), self.endpoint.tx_size())?;
        let t = self.endpoint.read(&pages, buf)?;
        if t.notify().needed() {
            self.notify()?;
        }
        self.stats.bytes_read += t.len() as u64;
        Ok(t.len())
    }

    /// Writes what fits (0: full), telling the peer if it asked.
    fn write_now(&mut self, data: &[u8]) -> Result<usize> {
        if self.closed {
            return Err(Error::PeerClosed);
        }
        let pages = self
            .mem
            .pages(self.endpoint.rx_size(), self.endpoint.tx_size())?;
        let t = self.endpoint.write(&pages, data)?;
        if t.notify().needed() {
            self.notify()?;
        }
        self.stats.bytes_written += t.len() as u64;
        Ok(t.len())
    }

    fn try_recv(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.read_now(buf)?;
        if n == 0 && !buf.is_empty() && self.state()? == PeerState::Gone {
            // Nothing left and nothing more will come.
            return Err(Error::PeerClosed);
        }
        Ok(n)
    }

    fn try_send(&mut self, data: &[u8]) -> Result<usize> {
        if self.state()? == PeerState::Gone {
            return Err(Error::PeerClosed);
        }
        self.write_now(data)
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let end = deadline(self.timeout);
        loop {
            let n = self.read_now(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if self.state()? == PeerState::Gone {
                // Look once more: the peer may have written, then left.
                return self.read_now(buf);
            }
            match self.wait(end) {
                Err(Error::PeerClosed) => return self.read_now(buf),
                r => r?,
            }
        }
    }

    fn send(&mut self, data: &[u8]) -> Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let end = deadline(self.timeout);
        loop {
            if self.state()? == PeerState::Gone {
                return Err(Error::PeerClosed);
            }
            let n = self.write_now(data)?;
            if n > 0 {
                return Ok(n);
            }
            self.wait(end)?;
        }
    }

    fn recv_exact(&mut self, mut buf: &mut [u8]) -> Result<()> {
        while !buf.is_empty() {
            match self.recv(buf)? {
                0 => return Err(Error::PeerClosed),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    fn send_all(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let n = self.send(data)?;
            data = &data[n..];
        }
        Ok(())
    }

    fn data_ready(&mut self) -> Result<usize> {
        let pages = self
            .mem
            .pages(self.endpoint.rx_size(), self.endpoint.tx_size())?;
        self.endpoint.data_ready(&pages)
    }

    fn buffer_space(&mut self) -> Result<usize> {
        let pages = self
            .mem
            .pages(self.endpoint.rx_size(), self.endpoint.tx_size())?;
        self.endpoint.buffer_space(&pages)
    }

    fn wait_event(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.wait(deadline(timeout))
    }

    /// Marks our end closed and tells the peer (once).
    fn shut(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        let ctrl = self.mem.ctrl()?;
        let _ = self.endpoint.close(ctrl)?;
        self.notify()
    }
}

/// The methods both roles have, over their `conn`.
macro_rules! vchan_methods {
    ($ty:ident) => {
        impl $ty<'_> {
            /// Sets the time-out of blocking reads and writes (`None`, the
            /// default: wait as long as the peer is there).
            pub fn set_timeout(&mut self, timeout: Option<Duration>) {
                self.conn.timeout = timeout;
            }

            /// The time-out of blocking reads and writes.
            pub fn timeout(&self) -> Option<Duration> {
                self.conn.timeout
            }

            /// Whether the peer is (or, for a server, may still come)
            /// there: its live byte is set and its domain exists, as far as
            /// this end has seen (`libxenvchan_is_open`).
            #[doc(alias = "libxenvchan_is_open")]
            pub fn is_open(&self) -> bool {
                self.conn.is_open()
            }

            /// What the peer's live byte says ([`PeerState::Gone`] also
            /// once this end closed, or saw the peer's domain disappear).
            ///
            /// # Errors
            ///
            /// [`Error::BadLive`] for a byte that is no live state.
            pub fn peer_state(&self) -> Result<PeerState> {
                self.conn.state()
            }

            /// Bytes ready to read now (asks the peer for an event on its
            /// next write).
            ///
            /// # Errors
            ///
            /// [`Error::BadIndex`] for a hostile peer index.
            #[doc(alias = "libxenvchan_data_ready")]
            pub fn data_ready(&mut self) -> Result<usize> {
                self.conn.data_ready()
            }

            /// Room to write now (asks the peer for an event on its next
            /// read).
            ///
            /// # Errors
            ///
            /// [`Error::BadIndex`] for a hostile peer index.
            #[doc(alias = "libxenvchan_buffer_space")]
            pub fn buffer_space(&mut self) -> Result<usize> {
                self.conn.buffer_space()
            }

            /// Reads what is ready, up to `buf.len()` bytes, without
            /// waiting (0: nothing ready yet).
            ///
            /// # Errors
            ///
            /// [`Error::PeerClosed`] when nothing is ready and the peer is
            /// gone (or after [`close`](Self::close)); [`Error::BadIndex`]
            /// for a hostile peer index.
            pub fn try_recv(&mut self, buf: &mut [u8]) -> Result<usize> {
                self.conn.try_recv(buf)
            }

            /// Writes what fits, up to `data.len()` bytes, without waiting
            /// (0: the ring is full).
            ///
            /// # Errors
            ///
            /// [`Error::PeerClosed`] once the peer is gone (as
            /// `libxenvchan_write`); [`Error::BadIndex`].
            pub fn try_send(&mut self, data: &[u8]) -> Result<usize> {
                self.conn.try_send(data)
            }

            /// Reads at least one byte, waiting for the peer up to the
            /// time-out; 0 once the peer closed and everything it sent was
            /// read (as `libxenvchan_read` in blocking mode).
            ///
            /// # Errors
            ///
            /// [`Error::TimedOut`]; [`Error::BadIndex`]; the event
            /// channel's errors.
            #[doc(alias = "libxenvchan_read")]
            pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize> {
                self.conn.recv(buf)
            }

            /// Writes at least one byte, waiting for room up to the
            /// time-out.
            ///
            /// # Errors
            ///
            /// [`Error::PeerClosed`] once the peer is gone;
            /// [`Error::TimedOut`]; [`Error::BadIndex`].
            #[doc(alias = "libxenvchan_write")]
            pub fn send(&mut self, data: &[u8]) -> Result<usize> {
                self.conn.send(data)
            }

            /// Reads exactly `buf.len()` bytes (each wait up to the
            /// time-out).
            ///
            /// # Errors
            ///
            /// As [`recv`](Self::recv); [`Error::PeerClosed`] if the peer
            /// closes first.
            #[doc(alias = "libxenvchan_recv")]
            pub fn recv_exact(&mut self, buf: &mut [u8]) -> Result<()> {
                self.conn.recv_exact(buf)
            }

            /// Writes all of `data` (each wait up to the time-out).
            ///
            /// # Errors
            ///
            /// As [`send`](Self::send).
            #[doc(alias = "libxenvchan_send")]
            pub fn send_all(&mut self, data: &[u8]) -> Result<()> {
                self.conn.send_all(data)
            }

            /// Waits for the next event from the peer (data, room, or a
            /// state change), at most `timeout` (`libxenvchan_wait`).
            ///
            /// # Errors
            ///
            /// [`Error::TimedOut`]; [`Error::PeerClosed`] once the peer's
            /// domain is gone.
            #[doc(alias = "libxenvchan_wait")]
            pub fn wait_event(&mut self, timeout: Option<Duration>) -> Result<()> {
                self.conn.wait_event(timeout)
            }

            /// The ring orders.
            pub fn orders(&self) -> Orders {
                self.conn.endpoint.orders()
            }

            /// The peer domain.
            pub fn peer(&self) -> DomId {
                self.conn.peer
            }

            /// The vchan's xenstore path.
            pub fn path(&self) -> &str {
                &self.conn.path
            }

            /// Our local event-channel port.
            pub fn port(&self) -> EvtchnPort {
                self.conn.port.port()
            }

            /// Events and bytes so far.
            pub fn stats(&self) -> Stats {
                self.conn.stats
            }

            /// Closes the channel: this end's live byte 0, an event to the
            /// peer, then (on drop) the pages unmapped and the port
            /// unbound. Dropping closes too, ignoring errors.
            ///
            /// # Errors
            ///
            /// The event channel's, when the event cannot be sent.
            #[doc(alias = "libxenvchan_close")]
            pub fn close(mut self) -> Result<()> {
                self.conn.shut()
            }
        }

        impl io::Read for $ty<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                Ok(self.conn.recv(buf)?)
            }
        }

        impl io::Write for $ty<'_> {
            fn write(&mut self, data: &[u8]) -> io::Result<usize> {
                Ok(self.conn.send(data)?)
            }

            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }

        impl AsFd for $ty<'_> {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.conn.evtchn.as_fd()
            }
        }
    };
}

/// The server end: shares the pages and publishes them.
#[derive(Debug)]
#[doc(alias = "libxenvchan_server_init")]
pub struct Server<'d> {
    conn: Conn<'d>,
}

/// The client end: maps the server's pages.
#[derive(Debug)]
#[doc(alias = "libxenvchan_client_init")]
pub struct Client<'d> {
    conn: Conn<'d>,
}

vchan_methods!(Server);
vchan_methods!(Client);

impl Server<'static> {
    /// Serves a vchan for domain `peer` at xenstore `path`, with a read
    /// (left) ring of at least `read_min` bytes and a write (right) ring of
    /// at least `write_min` bytes ([`Orders::for_sizes`]), over the
    /// process-wide gntalloc handle ([`shared_gntalloc`]).
    ///
    /// The client may connect from now on; [`wait_connected`](Server::wait_connected)
    /// waits for it, and writes before then fill
    /// the ring.
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`]; the devices' and xenstore's errors.
    pub fn new(peer: DomId, path: &str, read_min: usize, write_min: usize) -> Result<Self> {
        Server::with_gntalloc(shared_gntalloc()?, peer, path, read_min, write_min)
    }
}

impl<'d> Server<'d> {
    /// [`Server::new`] over the caller's gntalloc handle.
    ///
    /// # Errors
    ///
    /// As [`Server::new`].
    pub fn with_gntalloc(
        gntalloc: &'d Gntalloc,
        peer: DomId,
        path: &str,
        read_min: usize,
        write_min: usize,
    ) -> Result<Self> {
        let orders = Orders::for_sizes(read_min, write_min)?;
        let xs = Xenstore::open()?;
        let own = own_domid(&xs)?;
        let evtchn = Evtchn::open()?;
        let port = evtchn.bind_unbound_port(peer)?;
        let ctrl = gntalloc.share(peer, 1, Access::ReadWrite)?;
        ctrl.set_unmap_notify(
            UnmapNotify::clear_byte(SRV_LIVE_OFFSET).and_send_event(port.port()),
        )?;
        let share = |place: Place| -> Result<Region<'d>> {
            Ok(match place {
                Place::InPage(off) => Region::InCtrl(off),
                Place::Granted { pages, .. } => {
                    Region::Shared(gntalloc.share(peer, pages, Access::ReadWrite)?)
                }
            })
        };
        let rx = share(orders.left_place())?;
        let tx = share(orders.right_place())?;
        let mut grants: Vec<GrantRef> = Vec::with_capacity(orders.grant_count());
        for p in [&rx, &tx] {
            if let Region::Shared(s) = p {
                grants.extend_from_slice(s.refs());
            }
        }
        let ring_ref = ctrl.refs()[0];
        let endpoint = Endpoint::server(ctrl.shared_mem(..)?, orders, &grants)?;
        let perms = [
            Perm::new(xen_store::Access::None, own),
            Perm::new(xen_store::Access::Read, peer),
        ];
        let ring_ref_node = format!("{path}/{RING_REF}");
        let event_node = format!("{path}/{EVENT_CHANNEL}");
        let ring_ref_value = format!("{}", ring_ref.get());
        let event_value = format!("{}", port.port().get());
        xs.transaction(|t| {
            t.write(&ring_ref_node, ring_ref_value.as_bytes())?;
            t.set_perms(&ring_ref_node, &perms)?;
            t.write(&event_node, event_value.as_bytes())?;
            t.set_perms(&event_node, &perms)
        })?;
        Ok(Server {
            conn: Conn {
                endpoint,
                mem: Mem {
                    rx,
                    tx,
                    ctrl: Region::Shared(ctrl),
                },
                port,
                evtchn,
                xs,
                peer,
                own,
                path: path.into(),
                timeout: None,
                closed: false,
                peer_dead: false,
                stats: Stats::default(),
            },
        })
    }

    /// Waits until the client has connected (`cli_live` set), at most
    /// `timeout`.
    ///
    /// # Errors
    ///
    /// [`Error::TimedOut`]; [`Error::PeerClosed`] if the client connected
    /// and left already, or its domain is gone; [`Error::BadLive`].
    pub fn wait_connected(&mut self, timeout: Option<Duration>) -> Result<()> {
        let end = deadline(timeout);
        loop {
            match self.conn.state()? {
                PeerState::Connected => return Ok(()),
                PeerState::Gone => return Err(Error::PeerClosed),
                PeerState::Waiting => self.conn.wait(end)?,
            }
        }
    }
}

impl Drop for Server<'_> {
    fn drop(&mut self) {
        let _ = self.conn.shut();
        // As libxenvchan: the server removes its nodes when it closes.
        let _ = self.conn.xs.rm(&self.conn.path);
    }
}

impl Client<'static> {
    /// Connects to the vchan that domain `peer` serves at xenstore `path`,
    /// over the process-wide gntdev handle ([`shared_gntdev`]); waits up to
    /// `timeout` for the server's nodes to appear.
    ///
    /// # Errors
    ///
    /// [`Error::TimedOut`] if the nodes did not appear; [`Error::BadNode`],
    /// [`Error::BadOrders`], [`Error::BadGrant`] for a server's page or
    /// nodes that are not a vchan's; the devices' and xenstore's errors.
    pub fn connect(peer: DomId, path: &str, timeout: Duration) -> Result<Self> {
        Client::with_gntdev(shared_gntdev()?, peer, path, timeout)
    }
}

impl<'d> Client<'d> {
    /// [`Client::connect`] over the caller's gntdev handle.
    ///
    /// # Errors
    ///
    /// As [`Client::connect`].
    pub fn with_gntdev(
        gntdev: &'d Gntdev,
        peer: DomId,
        path: &str,
        timeout: Duration,
    ) -> Result<Self> {
        let end = Instant::now() + timeout;
        let xs = Xenstore::open()?;
        let own = own_domid(&xs)?;
        let ring_ref_node = format!("{path}/{RING_REF}");
        let event_node = format!("{path}/{EVENT_CHANNEL}");
        let (ring_ref, remote_port) = loop {
            let read = |node: &str| -> Result<Option<u32>> {
                match xs.read(node) {
                    Ok(v) => parse_number(node, &v).map(Some),
                    Err(e) if e.errno() == Some(Errno::ENOENT) => Ok(None),
                    Err(e) => Err(e.into()),
                }
            };
            if let (Some(r), Some(p)) = (read(&ring_ref_node)?, read(&event_node)?) {
                break (r, p);
            }
            if Instant::now() >= end {
                return Err(Error::TimedOut);
            }
            std::thread::sleep(CONNECT_POLL);
        };
        let ring_ref = GrantRef::new(ring_ref).map_err(Error::Abi)?;
        let remote_port = EvtchnPort::new(remote_port).map_err(Error::Abi)?;
        let evtchn = Evtchn::open()?;
        let port = evtchn.bind_interdomain(peer, remote_port)?;
        let ctrl = gntdev.map(peer, &[ring_ref], Access::ReadWrite)?;
        ctrl.set_unmap_notify(
            UnmapNotify::clear_byte(CLI_LIVE_OFFSET).and_send_event(port.port()),
        )?;
        let ctrl_mem = ctrl.shared_mem(..)?;
        let endpoint = Endpoint::client(ctrl_mem)?;
        let mut grants = std::vec![GrantRef::INVALID; endpoint.orders().grant_count()];
        endpoint.grants(ctrl_mem, &mut grants)?;
        let map = |place: Place, access: Access| -> Result<Region<'d>> {
            Ok(match place {
                Place::InPage(off) => Region::InCtrl(off),
                Place::Granted { first, pages } => {
                    Region::Mapped(gntdev.map(peer, &grants[first..first + pages], access)?)
                }
            })
        };
        // The client writes the left ring and only reads the right one.
        let tx = map(endpoint.tx_place(), Access::ReadWrite)?;
        let rx = map(endpoint.rx_place(), Access::ReadOnly)?;
        let mut conn = Conn {
            endpoint,
            mem: Mem {
                rx,
                tx,
                ctrl: Region::Mapped(ctrl),
            },
            port,
            evtchn,
            xs,
            peer,
            own,
            path: path.into(),
            timeout: None,
            closed: false,
            peer_dead: false,
            stats: Stats::default(),
        };
        let ctrl = conn.mem.ctrl()?;
        if conn.endpoint.connect(ctrl)?.needed() {
            conn.notify()?;
        }
        Ok(Client { conn })
    }
}

impl Drop for Client<'_> {
    fn drop(&mut self) {
        let _ = self.conn.shut();
    }
}

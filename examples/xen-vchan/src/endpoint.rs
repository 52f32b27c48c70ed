// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`Endpoint`]: the protocol core of one end of a vchan, over any memory.
//!
//! An endpoint holds no memory: each call takes the [`Pages`] (the control
//! page and the two rings as [`SharedMem`] handles), so the same core runs
//! over pages a guest granted, pages Linux's gntalloc or gntdev mapped, or a
//! plain buffer in a test.
//!
//! Hostile-peer rules: this end's own indices (the consumer index of the
//! ring it reads, the producer index of the ring it writes) are kept here
//! and only ever stored to the page, never read back; the peer's index is
//! loaded once per call and checked against the ring's size
//! ([`Error::BadIndex`] otherwise, nothing moved); bytes are copied out of
//! the ring once, into the caller's buffer, before the consumer index is
//! released. Orders and grants are read once at attach and validated.

use core::fmt;
use core::sync::atomic::{fence, Ordering};

use xen_abi::grant_table::GrantRef;
use xen_abi::io::ring::Notify;
use xen_abi::io::shm::{ReadOnly, SharedMem};
use xen_abi::io::vchan::{
    Live, NotifyBits, CLI_LIVE_OFFSET, CLI_NOTIFY_OFFSET, GRANTS_OFFSET, LEFT_CONS_OFFSET,
    LEFT_ORDER_OFFSET, LEFT_PROD_OFFSET, PAGE_SIZE, RIGHT_CONS_OFFSET, RIGHT_ORDER_OFFSET,
    RIGHT_PROD_OFFSET, SRV_LIVE_OFFSET, SRV_NOTIFY_OFFSET,
};

use crate::error::Direction;
use crate::orders::{Orders, Place};
use crate::{Error, Result};

/// Which end of the vchan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Grants the pages, publishes them in xenstore, reads the left ring.
    Server,
    /// Maps the server's pages, reads the right ring.
    Client,
}

/// What the peer's live byte says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerState {
    /// The client has not connected yet (a server's view only).
    Waiting,
    /// The peer is there.
    Connected,
    /// The peer closed the channel or went away (its unmap notification
    /// cleared the byte).
    Gone,
}

/// The memory of one vchan, as one end sees it.
///
/// `rx` is the ring this end reads (read-only suffices: a client maps the
/// server's ring that way), `tx` the ring it writes. For an in-page ring,
/// the handle is a sub-region of `ctrl` ([`Pages::in_page`]).
#[derive(Clone, Copy, Debug)]
pub struct Pages<'m> {
    /// The control page (at least [`PAGE_SIZE`] bytes).
    pub ctrl: SharedMem<'m>,
    /// The ring this end reads.
    pub rx: SharedMem<'m, ReadOnly>,
    /// The ring this end writes.
    pub tx: SharedMem<'m>,
}

impl<'m> Pages<'m> {
    /// The handle on an in-page ring at `offset` of `ctrl`, `size` bytes.
    ///
    /// # Errors
    ///
    /// [`Error::SharedMem`] if the ring leaves the control page.
    pub fn in_page(ctrl: SharedMem<'m>, offset: usize, size: usize) -> Result<SharedMem<'m>> {
        ctrl.sub(offset, size).map_err(Error::SharedMem)
    }
}

/// What one [`Endpoint::read`] or [`Endpoint::write`] moved: a byte count,
/// and whether the peer asked to be told (send it an event then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "use `len()`, and notify the peer when `notify()` says so"]
pub struct Transfer {
    len: usize,
    notify: Notify,
}

impl Transfer {
    /// Bytes moved (0: the ring was empty, or full).
    #[must_use]
    pub const fn len(self) -> usize {
        self.len
    }

    /// True when nothing moved.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.len == 0
    }

    /// Whether the peer must now be sent an event.
    pub const fn notify(self) -> Notify {
        self.notify
    }
}

/// Byte offsets of the fields one role uses.
#[derive(Clone, Copy, Debug)]
struct Fields {
    /// Peer's producer index of the ring we read.
    rx_prod: usize,
    /// Our consumer index of the ring we read.
    rx_cons: usize,
    /// Our producer index of the ring we write.
    tx_prod: usize,
    /// Peer's consumer index of the ring we write.
    tx_cons: usize,
    /// Our live byte.
    live: usize,
    /// The peer's live byte.
    peer_live: usize,
    /// Where we ask the peer for events.
    ask: usize,
    /// Where the peer asks us for events.
    asked: usize,
}

const SERVER: Fields = Fields {
    rx_prod: LEFT_PROD_OFFSET,
    rx_cons: LEFT_CONS_OFFSET,
    tx_prod: RIGHT_PROD_OFFSET,
    tx_cons: RIGHT_CONS_OFFSET,
    live: SRV_LIVE_OFFSET,
    peer_live: CLI_LIVE_OFFSET,
    ask: CLI_NOTIFY_OFFSET,
    asked: SRV_NOTIFY_OFFSET,
};

const CLIENT: Fields = Fields {
    rx_prod: RIGHT_PROD_OFFSET,
    rx_cons: RIGHT_CONS_OFFSET,
    tx_prod: LEFT_PROD_OFFSET,
    tx_cons: LEFT_CONS_OFFSET,
    live: CLI_LIVE_OFFSET,
    peer_live: SRV_LIVE_OFFSET,
    ask: SRV_NOTIFY_OFFSET,
    asked: CLI_NOTIFY_OFFSET,
};

/// One end of a vchan: its role, the ring orders, and its own indices.
pub struct Endpoint {
    role: Role,
    orders: Orders,
    f: Fields,
    rx_size: u32,
    tx_size: u32,
    rx_cons: u32,
    tx_prod: u32,
    /// Set once the peer broke the protocol: every later call fails.
    broken: Option<(Direction, u32, u32)>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("role", &self.role)
            .field("orders", &self.orders)
            .field("rx_cons", &self.rx_cons)
            .field("tx_prod", &self.tx_prod)
            .field("broken", &self.broken)
            .finish()
    }
}

fn shm(e: xen_abi::Error) -> Error {
    Error::SharedMem(e)
}

impl Endpoint {
    fn with(role: Role, orders: Orders, rx_cons: u32, tx_prod: u32) -> Self {
        let (rx, tx) = match role {
            Role::Server => (orders.left_size(), orders.right_size()),
            Role::Client => (orders.right_size(), orders.left_size()),
        };
        Self {
            role,
            orders,
            f: match role {
                Role::Server => SERVER,
                Role::Client => CLIENT,
            },
            rx_size: rx as u32,
            tx_size: tx as u32,
            rx_cons,
            tx_prod,
            broken: None,
        }
    }

    /// A server's end: writes a fresh header into `ctrl` (the whole page
    /// zeroed, the orders, `cli_live` waiting, `srv_live` connected, a
    /// request for the client's writes) and the grant list `grants` (the
    /// left ring's pages, then the right ring's). Publish the page only
    /// after this.
    ///
    /// # Errors
    ///
    /// [`Error::SharedMem`] if `ctrl` is smaller than a page;
    /// [`Error::BadOrders`] if `grants` is not
    /// [`Orders::grant_count`] long.
    pub fn server(ctrl: SharedMem<'_>, orders: Orders, grants: &[GrantRef]) -> Result<Self> {
        if grants.len() != orders.grant_count() {
            return Err(Error::BadOrders {
                left: orders.left(),
                right: orders.right(),
            });
        }
        ctrl.fill(0, PAGE_SIZE, 0).map_err(shm)?;
        ctrl.store_u16(LEFT_ORDER_OFFSET, orders.left(), Ordering::Relaxed)
            .map_err(shm)?;
        ctrl.store_u16(RIGHT_ORDER_OFFSET, orders.right(), Ordering::Relaxed)
            .map_err(shm)?;
        for (i, g) in grants.iter().enumerate() {
            ctrl.store_u32(GRANTS_OFFSET + 4 * i, g.get(), Ordering::Relaxed)
                .map_err(shm)?;
        }
        ctrl.store_u8(CLI_LIVE_OFFSET, Live::WAITING.get(), Ordering::Relaxed)
            .map_err(shm)?;
        ctrl.store_u8(
            CLI_NOTIFY_OFFSET,
            NotifyBits::WRITE.bits(),
            Ordering::Relaxed,
        )
        .map_err(shm)?;
        // Release: everything above is visible before the server says it
        // is there.
        ctrl.store_u8(SRV_LIVE_OFFSET, Live::CONNECTED.get(), Ordering::Release)
            .map_err(shm)?;
        Ok(Self::with(Role::Server, orders, 0, 0))
    }

    /// A client's end over a server's control page: reads the orders once
    /// and validates them, and takes the indices as they are. Map the rings
    /// ([`grants`](Self::grants) says which pages), then
    /// [`connect`](Self::connect).
    ///
    /// # Errors
    ///
    /// [`Error::BadOrders`] for a layout libxenvchan does not define;
    /// [`Error::SharedMem`] for a control page smaller than a page.
    pub fn client(ctrl: SharedMem<'_>) -> Result<Self> {
        if ctrl.len() < PAGE_SIZE {
            return Err(Error::SharedMem(xen_abi::Error::BadLength {
                expected: PAGE_SIZE,
                actual: ctrl.len(),
            }));
        }
        let left = ctrl
            .load_u16(LEFT_ORDER_OFFSET, Ordering::Acquire)
            .map_err(shm)?;
        let right = ctrl
            .load_u16(RIGHT_ORDER_OFFSET, Ordering::Acquire)
            .map_err(shm)?;
        let orders = Orders::new(left, right)?;
        let rx_cons = ctrl
            .load_u32(CLIENT.rx_cons, Ordering::Acquire)
            .map_err(shm)?;
        let tx_prod = ctrl
            .load_u32(CLIENT.tx_prod, Ordering::Acquire)
            .map_err(shm)?;
        Ok(Self::with(Role::Client, orders, rx_cons, tx_prod))
    }

    /// Copies the grant list out of `ctrl` once into `out` (which must be
    /// [`Orders::grant_count`] long): the left ring's references, then the
    /// right ring's.
    ///
    /// # Errors
    ///
    /// [`Error::BadGrant`] for the invalid reference;
    /// [`Error::BadOrders`] if `out` has the wrong length.
    pub fn grants(&self, ctrl: SharedMem<'_>, out: &mut [GrantRef]) -> Result<()> {
        if out.len() != self.orders.grant_count() {
            return Err(Error::BadOrders {
                left: self.orders.left(),
                right: self.orders.right(),
            });
        }
        for (index, slot) in out.iter_mut().enumerate() {
            let raw = ctrl
                .load_u32(GRANTS_OFFSET + 4 * index, Ordering::Relaxed)
                .map_err(shm)?;
            *slot = GrantRef::new(raw).map_err(|_| Error::BadGrant { index, raw })?;
        }
        Ok(())
    }

    /// The client announces itself: `cli_live` connected and a request for
    /// the server's writes. Send the server an event when this returns
    /// (the returned decision is always "needed").
    ///
    /// # Errors
    ///
    /// [`Error::SharedMem`] if `ctrl` is too small.
    pub fn connect(&self, ctrl: SharedMem<'_>) -> Result<Notify> {
        ctrl.store_u8(
            SRV_NOTIFY_OFFSET,
            NotifyBits::WRITE.bits(),
            Ordering::Relaxed,
        )
        .map_err(shm)?;
        ctrl.store_u8(CLI_LIVE_OFFSET, Live::CONNECTED.get(), Ordering::Release)
            .map_err(shm)?;
        Ok(Notify::NEEDED)
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The ring orders.
    pub fn orders(&self) -> Orders {
        self.orders
    }

    /// Size of the ring this end reads.
    pub fn rx_size(&self) -> usize {
        self.rx_size as usize
    }

    /// Size of the ring this end writes.
    pub fn tx_size(&self) -> usize {
        self.tx_size as usize
    }

    /// Where the ring this end reads lives.
    pub fn rx_place(&self) -> Place {
        match self.role {
            Role::Server => self.orders.left_place(),
            Role::Client => self.orders.right_place(),
        }
    }

    /// Where the ring this end writes lives.
    pub fn tx_place(&self) -> Place {
        match self.role {
            Role::Server => self.orders.right_place(),
            Role::Client => self.orders.left_place(),
        }
    }

    /// What the peer's live byte says.
    ///
    /// # Errors
    ///
    /// [`Error::BadLive`] for a value that is no live state (a client
    /// seeing "waiting" in `srv_live` is one too).
    pub fn peer_state(&self, ctrl: SharedMem<'_>) -> Result<PeerState> {
        let v = ctrl
            .load_u8(self.f.peer_live, Ordering::Acquire)
            .map_err(shm)?;
        match Live::new(v) {
            Live::EXITED => Ok(PeerState::Gone),
            Live::CONNECTED => Ok(PeerState::Connected),
            Live::WAITING if self.role == Role::Server => Ok(PeerState::Waiting),
            _ => Err(Error::BadLive(v)),
        }
    }

    /// Marks this end closed (its live byte 0). Send the peer an event
    /// afterwards (always "needed").
    ///
    /// # Errors
    ///
    /// [`Error::SharedMem`] if `ctrl` is too small.
    pub fn close(&self, ctrl: SharedMem<'_>) -> Result<Notify> {
        ctrl.store_u8(self.f.live, Live::EXITED.get(), Ordering::Release)
            .map_err(shm)?;
        Ok(Notify::NEEDED)
    }

    fn check(&self) -> Result<()> {
        match self.broken {
            Some((ring, prod, cons)) => Err(Error::BadIndex {
                ring,
                prod,
                cons,
                size: match ring {
                    Direction::Rx => self.rx_size,
                    Direction::Tx => self.tx_size,
                },
            }),
            None => Ok(()),
        }
    }

    fn fail(&mut self, ring: Direction, prod: u32, cons: u32) -> Error {
        self.broken = Some((ring, prod, cons));
        let size = match ring {
            Direction::Rx => self.rx_size,
            Direction::Tx => self.tx_size,
        };
        Error::BadIndex {
            ring,
            prod,
            cons,
            size,
        }
    }

    /// Asks the peer for an event on `bit`, then a full barrier, so that
    /// the index read after it sees anything written before the peer saw
    /// the request.
    fn ask(&self, ctrl: SharedMem<'_>, bit: NotifyBits) -> Result<()> {
        ctrl.fetch_or_u8(self.f.ask, bit.bits(), Ordering::SeqCst)
            .map_err(shm)?;
        fence(Ordering::SeqCst);
        Ok(())
    }

    /// After moving our index: whether the peer asked for `bit` (taking
    /// its request back).
    fn asked(&self, ctrl: SharedMem<'_>, bit: NotifyBits) -> Result<Notify> {
        fence(Ordering::SeqCst);
        let prev = ctrl
            .fetch_and_u8(self.f.asked, !bit.bits(), Ordering::SeqCst)
            .map_err(shm)?;
        Ok(Notify::new(prev & bit.bits() != 0))
    }

    fn readable(&mut self, ctrl: SharedMem<'_>) -> Result<u32> {
        let prod = ctrl
            .load_u32(self.f.rx_prod, Ordering::Acquire)
            .map_err(shm)?;
        let avail = prod.wrapping_sub(self.rx_cons);
        if avail > self.rx_size {
            return Err(self.fail(Direction::Rx, prod, self.rx_cons));
        }
        Ok(avail)
    }

    fn writable(&mut self, ctrl: SharedMem<'_>) -> Result<u32> {
        let cons = ctrl
            .load_u32(self.f.tx_cons, Ordering::Acquire)
            .map_err(shm)?;
        let used = self.tx_prod.wrapping_sub(cons);
        if used > self.tx_size {
            return Err(self.fail(Direction::Tx, self.tx_prod, cons));
        }
        Ok(self.tx_size - used)
    }

    /// Bytes ready to read, asking the peer for an event on its next write
    /// (as `libxenvchan_data_ready`).
    ///
    /// # Errors
    ///
    /// [`Error::BadIndex`] for a hostile producer index.
    pub fn data_ready(&mut self, pages: &Pages<'_>) -> Result<usize> {
        self.check()?;
        self.ask(pages.ctrl, NotifyBits::WRITE)?;
        Ok(self.readable(pages.ctrl)? as usize)
    }

    /// Room in the ring this end writes, asking the peer for an event on
    /// its next read (as `libxenvchan_buffer_space`).
    ///
    /// # Errors
    ///
    /// [`Error::BadIndex`] for a hostile consumer index.
    pub fn buffer_space(&mut self, pages: &Pages<'_>) -> Result<usize> {
        self.check()?;
        self.ask(pages.ctrl, NotifyBits::READ)?;
        Ok(self.writable(pages.ctrl)? as usize)
    }

    /// Reads up to `buf.len()` bytes (fewer when fewer are ready; 0 when
    /// the ring is empty, having asked the peer for an event on its next
    /// write). Each byte is copied out of shared memory once.
    ///
    /// # Errors
    ///
    /// [`Error::BadIndex`] for a hostile producer index (and for every
    /// later call).
    pub fn read(&mut self, pages: &Pages<'_>, buf: &mut [u8]) -> Result<Transfer> {
        self.check()?;
        let ctrl = pages.ctrl;
        let mut avail = self.readable(ctrl)?;
        if (avail as usize) < buf.len() {
            // We mean to take everything: ask to be told of more, then look
            // again (a write between the two reads would not notify us).
            self.ask(ctrl, NotifyBits::WRITE)?;
            avail = self.readable(ctrl)?;
        }
        let n = buf.len().min(avail as usize);
        if n == 0 {
            return Ok(Transfer {
                len: 0,
                notify: Notify::NOT_NEEDED,
            });
        }
        let size = self.rx_size as usize;
        if pages.rx.len() < size {
            return Err(Error::SharedMem(xen_abi::Error::BadLength {
                expected: size,
                actual: pages.rx.len(),
            }));
        }
        let at = self.rx_cons as usize & (size - 1);
        let first = n.min(size - at);
        let (a, b) = buf[..n].split_at_mut(first);
        pages.rx.copy_out(at, a).map_err(shm)?;
        pages.rx.copy_out(0, b).map_err(shm)?;
        // n <= rx_size <= 2^20 fits in u32.
        self.rx_cons = self.rx_cons.wrapping_add(n as u32);
        // Release: the bytes are read before the peer may overwrite them.
        ctrl.store_u32(self.f.rx_cons, self.rx_cons, Ordering::Release)
            .map_err(shm)?;
        let notify = self.asked(ctrl, NotifyBits::READ)?;
        Ok(Transfer { len: n, notify })
    }

    /// Writes up to `data.len()` bytes (fewer when the ring has less room;
    /// 0 when it is full, having asked the peer for an event on its next
    /// read).
    ///
    /// # Errors
    ///
    /// [`Error::BadIndex`] for a hostile consumer index (and for every
    /// later call).
    pub fn write(&mut self, pages: &Pages<'_>, data: &[u8]) -> Result<Transfer> {
        self.check()?;
        let ctrl = pages.ctrl;
        let mut room = self.writable(ctrl)?;
        if (room as usize) < data.len() {
            self.ask(ctrl, NotifyBits::READ)?;
            room = self.writable(ctrl)?;
        }
        let n = data.len().min(room as usize);
        if n == 0 {
            return Ok(Transfer {
                len: 0,
                notify: Notify::NOT_NEEDED,
            });
        }
        let size = self.tx_size as usize;
        if pages.tx.len() < size {
            return Err(Error::SharedMem(xen_abi::Error::BadLength {
                expected: size,
                actual: pages.tx.len(),
            }));
        }
        let at = self.tx_prod as usize & (size - 1);
        let first = n.min(size - at);
        pages.tx.copy_in(at, &data[..first]).map_err(shm)?;
        pages.tx.copy_in(0, &data[first..n]).map_err(shm)?;
        self.tx_prod = self.tx_prod.wrapping_add(n as u32);
        // Release: the bytes are written before the peer sees the index.
        ctrl.store_u32(self.f.tx_prod, self.tx_prod, Ordering::Release)
            .map_err(shm)?;
        let notify = self.asked(ctrl, NotifyBits::WRITE)?;
        Ok(Transfer { len: n, notify })
    }
}

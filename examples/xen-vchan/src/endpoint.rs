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
use xen_abi::io::shm::{Mode, ReadOnly, ReadWrite, SharedMem};
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

/// A ring's bytes: one region, or pages mapped one by one ([`Paged`]).
///
/// Offsets are below [`len`](Self::len); the core never asks for a range
/// that leaves the ring.
pub trait RingBuffer {
    /// The ring's size in bytes.
    fn len(&self) -> usize;

    /// Whether the ring has no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies bytes `[off, off + dst.len())` out.
    ///
    /// # Errors
    ///
    /// [`Error::SharedMem`] for a range that leaves the ring.
    fn copy_out(&self, off: usize, dst: &mut [u8]) -> Result<()>;
}

/// A ring this end writes.
pub trait RingBufferMut: RingBuffer {
    /// Copies `src` into bytes `[off, off + src.len())`.
    ///
    /// # Errors
    ///
    /// [`Error::SharedMem`] for a range that leaves the ring.
    fn copy_in(&self, off: usize, src: &[u8]) -> Result<()>;
}

/// Splits `[off, off + n)` into a head up to the next 8-byte boundary, a
/// middle of whole 8-byte words and a tail, so that each part is copied
/// with the widest accesses its alignment allows (`SharedMem` picks one
/// width for a whole range: an odd offset would make every access a byte).
fn split8(off: usize, n: usize) -> [(usize, usize); 3] {
    let head = ((8 - off % 8) % 8).min(n);
    let middle = (n - head) / 8 * 8;
    [(0, head), (head, head + middle), (head + middle, n)]
}

impl<M: Mode> RingBuffer for SharedMem<'_, M> {
    fn len(&self) -> usize {
        SharedMem::len(self)
    }

    fn copy_out(&self, off: usize, dst: &mut [u8]) -> Result<()> {
        for (a, b) in split8(off, dst.len()) {
            if a < b {
                SharedMem::copy_out(self, off + a, &mut dst[a..b]).map_err(shm)?;
            }
        }
        Ok(())
    }
}

impl RingBufferMut for SharedMem<'_> {
    fn copy_in(&self, off: usize, src: &[u8]) -> Result<()> {
        for (a, b) in split8(off, src.len()) {
            if a < b {
                SharedMem::copy_in(self, off + a, &src[a..b]).map_err(shm)?;
            }
        }
        Ok(())
    }
}

/// A ring in separately mapped pages of [`PAGE_SIZE`] bytes each (a guest
/// maps each granted page wherever its platform chooses).
#[derive(Clone, Copy, Debug)]
pub struct Paged<'a, 'm, M: Mode = ReadWrite>(pub &'a [SharedMem<'m, M>]);

/// Runs `f(page index, offset in page, range of the caller's buffer)` over
/// the pages `[off, off + n)` spans in a ring of `pages` pages of
/// [`PAGE_SIZE`] bytes (after checking the range lies in the ring): the
/// one page walk of [`Paged`] and of the guest client's mapped rings.
pub(crate) fn each_page(
    pages: usize,
    off: usize,
    n: usize,
    mut f: impl FnMut(usize, usize, core::ops::Range<usize>) -> Result<()>,
) -> Result<()> {
    let len = pages * PAGE_SIZE;
    if n > len || off > len - n {
        return Err(Error::SharedMem(xen_abi::Error::OutOfBounds {
            offset: off,
            len: n,
            size: len,
        }));
    }
    let mut done = 0;
    while done < n {
        let at = off + done;
        let (page, in_page) = (at / PAGE_SIZE, at % PAGE_SIZE);
        let k = (n - done).min(PAGE_SIZE - in_page);
        f(page, in_page, done..done + k)?;
        done += k;
    }
    Ok(())
}

impl<M: Mode> RingBuffer for Paged<'_, '_, M> {
    fn len(&self) -> usize {
        self.0.len() * PAGE_SIZE
    }

    fn copy_out(&self, off: usize, dst: &mut [u8]) -> Result<()> {
        each_page(self.0.len(), off, dst.len(), |i, o, r| {
            RingBuffer::copy_out(&self.0[i], o, &mut dst[r])
        })
    }
}

impl RingBufferMut for Paged<'_, '_, ReadWrite> {
    fn copy_in(&self, off: usize, src: &[u8]) -> Result<()> {
        each_page(self.0.len(), off, src.len(), |i, o, r| {
            RingBufferMut::copy_in(&self.0[i], o, &src[r])
        })
    }
}

/// The memory of one vchan, as one end sees it.
///
/// `rx` is the ring this end reads (read-only suffices: a client maps the
/// server's ring that way), `tx` the ring it writes. For an in-page ring,
/// the handle is a sub-region of `ctrl` ([`Pages::in_page`]); a ring in
/// pages mapped one by one is a [`Paged`].
#[derive(Clone, Copy, Debug)]
pub struct Pages<'m, R = SharedMem<'m, ReadOnly>, W = SharedMem<'m>> {
    /// The control page (at least [`PAGE_SIZE`] bytes).
    pub ctrl: SharedMem<'m>,
    /// The ring this end reads.
    pub rx: R,
    /// The ring this end writes.
    pub tx: W,
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
    pub fn data_ready<R, W>(&mut self, pages: &Pages<'_, R, W>) -> Result<usize> {
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
    pub fn buffer_space<R, W>(&mut self, pages: &Pages<'_, R, W>) -> Result<usize> {
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
    pub fn read<R: RingBuffer, W>(
        &mut self,
        pages: &Pages<'_, R, W>,
        buf: &mut [u8],
    ) -> Result<Transfer> {
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
        if RingBuffer::len(&pages.rx) < size {
            return Err(Error::SharedMem(xen_abi::Error::BadLength {
                expected: size,
                actual: RingBuffer::len(&pages.rx),
            }));
        }
        let at = self.rx_cons as usize & (size - 1);
        let first = n.min(size - at);
        let (a, b) = buf[..n].split_at_mut(first);
        pages.rx.copy_out(at, a)?;
        if !b.is_empty() {
            pages.rx.copy_out(0, b)?;
        }
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
    pub fn write<R, W: RingBufferMut>(
        &mut self,
        pages: &Pages<'_, R, W>,
        data: &[u8],
    ) -> Result<Transfer> {
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
        if RingBuffer::len(&pages.tx) < size {
            return Err(Error::SharedMem(xen_abi::Error::BadLength {
                expected: size,
                actual: RingBuffer::len(&pages.tx),
            }));
        }
        let at = self.tx_prod as usize & (size - 1);
        let first = n.min(size - at);
        pages.tx.copy_in(at, &data[..first])?;
        if first < n {
            pages.tx.copy_in(0, &data[first..n])?;
        }
        self.tx_prod = self.tx_prod.wrapping_add(n as u32);
        // Release: the bytes are written before the peer sees the index.
        ctrl.store_u32(self.f.tx_prod, self.tx_prod, Ordering::Release)
            .map_err(shm)?;
        let notify = self.asked(ctrl, NotifyBits::WRITE)?;
        Ok(Transfer { len: n, notify })
    }
}

#[cfg(test)]
mod split_tests {
    use super::split8;

    #[test]
    fn splits_cover_the_range_in_order() {
        for off in 0..20 {
            for n in 0..40 {
                let parts = split8(off, n);
                assert_eq!(parts[0].0, 0);
                assert_eq!(parts[2].1, n);
                assert!(parts[0].1 == parts[1].0 && parts[1].1 == parts[2].0);
                let (a, b) = parts[1];
                assert_eq!((b - a) % 8, 0);
                if a < b {
                    assert_eq!((off + a) % 8, 0, "middle aligned: off {off} n {n}");
                }
                assert!(parts[2].1 - parts[2].0 < 8 || a == b);
            }
        }
    }
}

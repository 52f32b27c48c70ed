// SPDX-License-Identifier: MIT OR Apache-2.0
//! The byte rings of the xenstore page (`io/xs_wire.h`) and the PV console
//! page (`io/console.h`), both ends of each.
//!
//! Each page holds two rings of bytes, one per direction, with a free-running
//! producer and consumer index per ring (reduced to an offset with a mask).
//! Unlike `io/ring.h` rings there are no event thresholds: after moving an
//! index, an end notifies the peer whenever it transferred anything.
//!
//! | page | end | writes | reads |
//! |---|---|---|---|
//! | xenstore | [`XenstoreFront`] (guest) | `req` | `rsp` |
//! | xenstore | [`XenstoreBack`] (xenstored) | `rsp` | `req` |
//! | console | [`ConsoleFront`] (guest) | `out` | `in` |
//! | console | [`ConsoleBack`] (xenconsoled) | `in` | `out` |
//!
//! Each end keeps its own index privately and reads the peer's index once
//! per call, checking that at most the ring's size lies between the two
//! ([`BadIndex`] otherwise, as xenstored's and Linux's `check_indexes` do).
//! Bytes are copied out before the consumer index is released (release
//! store), and written after the consumer index is read (acquire load) and
//! before the producer index is released. Each field keeps one access
//! width: the indices are 4-byte words, the data bytes are single bytes.
//!
//! ```
//! use xen_abi::io::byte_ring::{XenstoreBack, XenstoreFront};
//! use xen_abi::io::shm::SharedMem;
//! # fn main() -> Result<(), Box<dyn core::error::Error>> {
//! let mut page = vec![0u64; 512];
//! let ptr = core::ptr::NonNull::from(&mut page[..]).cast::<u8>();
//! // SAFETY: `page` outlives both handles and is only accessed through them.
//! let (a, b) = unsafe { (SharedMem::new(ptr, 4096)?, SharedMem::new(ptr, 4096)?) };
//! let (mut guest, mut store) = (XenstoreFront::attach(a)?, XenstoreBack::attach(b)?);
//! let sent = guest.write(b"hello")?;
//! assert_eq!(sent.len(), 5);
//! assert!(sent.notify().needed()); // then send xenstored an event
//! let mut buf = [0; 16];
//! assert_eq!(store.read(&mut buf)?.len(), 5);
//! assert_eq!(&buf[..5], b"hello");
//! # Ok(()) }
//! ```

use core::fmt;
use core::mem::{offset_of, size_of};

use super::console::Interface;
use super::ring::Notify;
use super::shm::{Ordering, SharedMem};
use super::xs_wire::DomainInterface;
use crate::{Error, Result};

/// A free-running byte-ring index (`XENSTORE_RING_IDX`, `XENCONS_RING_IDX`).
pub type RingIdx = u32;

/// The peer's index puts more than the ring's size between the consumer and
/// the producer index (or runs backwards): a corrupt or hostile peer.
/// Nothing was transferred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadIndex {
    /// The producer index seen.
    pub prod: RingIdx,
    /// The consumer index seen.
    pub cons: RingIdx,
    /// The ring's size in bytes.
    pub size: u32,
}

impl fmt::Display for BadIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "byte ring indices prod {} cons {} are more than {} apart",
            self.prod, self.cons, self.size
        )
    }
}

impl core::error::Error for BadIndex {}

/// What one byte-ring [`read`](XenstoreFront::read) or
/// [`write`](XenstoreFront::write) moved: the number of bytes, and with it
/// the obligation to notify the peer when anything moved (it may be waiting
/// for data, or for room).
///
/// It cannot be dropped by accident, not even through `?`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "use `len()`, and notify the peer when `notify()` says so"]
pub struct Transfer(usize);

impl Transfer {
    /// The number of bytes moved (0: the ring was full, or empty).
    #[must_use]
    pub const fn len(self) -> usize {
        self.0
    }

    /// True when nothing moved.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the peer must now be sent an event: whenever anything moved.
    pub const fn notify(self) -> Notify {
        Notify::new(self.0 != 0)
    }
}

/// Where one direction's ring lives in its page.
#[derive(Clone, Copy, Debug)]
struct Lane {
    data: usize,
    size: u32,
    cons: usize,
    prod: usize,
}

const XS_REQ: Lane = Lane {
    data: offset_of!(DomainInterface, req),
    size: super::xs_wire::RING_SIZE as u32,
    cons: offset_of!(DomainInterface, req_cons),
    prod: offset_of!(DomainInterface, req_prod),
};
const XS_RSP: Lane = Lane {
    data: offset_of!(DomainInterface, rsp),
    size: super::xs_wire::RING_SIZE as u32,
    cons: offset_of!(DomainInterface, rsp_cons),
    prod: offset_of!(DomainInterface, rsp_prod),
};
const CONS_IN: Lane = Lane {
    data: offset_of!(Interface, input),
    size: super::console::IN_RING_SIZE as u32,
    cons: offset_of!(Interface, in_cons),
    prod: offset_of!(Interface, in_prod),
};
const CONS_OUT: Lane = Lane {
    data: offset_of!(Interface, out),
    size: super::console::OUT_RING_SIZE as u32,
    cons: offset_of!(Interface, out_cons),
    prod: offset_of!(Interface, out_prod),
};

/// One end of a page: writes one lane, reads the other.
struct Duplex<'a> {
    mem: SharedMem<'a>,
    tx: Lane,
    rx: Lane,
    /// Our producer index on `tx`.
    tx_prod: RingIdx,
    /// Our consumer index on `rx`.
    rx_cons: RingIdx,
}

impl fmt::Debug for Duplex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Duplex")
            .field("mem", &self.mem)
            .field("tx_prod", &self.tx_prod)
            .field("rx_cons", &self.rx_cons)
            .finish()
    }
}

impl<'a> Duplex<'a> {
    fn attach(mem: SharedMem<'a>, page: usize, tx: Lane, rx: Lane) -> Result<Self> {
        if mem.len() < page {
            return Err(Error::BadLength {
                expected: page,
                actual: mem.len(),
            });
        }
        let tx_prod = mem.load32(tx.prod, Ordering::Relaxed);
        let rx_cons = mem.load32(rx.cons, Ordering::Relaxed);
        Ok(Self {
            mem,
            tx,
            rx,
            tx_prod,
            rx_cons,
        })
    }

    fn readable(&self) -> Result<(RingIdx, u32), BadIndex> {
        // Acquire: the bytes are read after the index.
        let prod = self.mem.load32(self.rx.prod, Ordering::Acquire);
        let avail = prod.wrapping_sub(self.rx_cons);
        if avail > self.rx.size {
            return Err(BadIndex {
                prod,
                cons: self.rx_cons,
                size: self.rx.size,
            });
        }
        Ok((prod, avail))
    }

    fn writable(&self) -> Result<u32, BadIndex> {
        // Acquire: our bytes are written after the peer's reads finished.
        let cons = self.mem.load32(self.tx.cons, Ordering::Acquire);
        let used = self.tx_prod.wrapping_sub(cons);
        if used > self.tx.size {
            return Err(BadIndex {
                prod: self.tx_prod,
                cons,
                size: self.tx.size,
            });
        }
        Ok(self.tx.size - used)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<Transfer, BadIndex> {
        let (_, avail) = self.readable()?;
        let n = buf.len().min(avail as usize);
        if n == 0 {
            return Ok(Transfer(0));
        }
        let size = self.rx.size as usize;
        let start = self.rx_cons as usize & (size - 1);
        let first = n.min(size - start);
        let (a, b) = buf[..n].split_at_mut(first);
        // One access width per field: the data is a byte array, so bytes,
        // never a wider word that the peer may access byte by byte.
        self.mem.copy_out_words::<1>(self.rx.data + start, a);
        self.mem.copy_out_words::<1>(self.rx.data, b);
        self.rx_cons = self.rx_cons.wrapping_add(n as u32);
        // Release: the bytes were copied before the peer may reuse them.
        self.mem
            .store32(self.rx.cons, self.rx_cons, Ordering::Release);
        Ok(Transfer(n))
    }

    fn write(&mut self, buf: &[u8]) -> Result<Transfer, BadIndex> {
        let free = self.writable()?;
        let n = buf.len().min(free as usize);
        if n == 0 {
            return Ok(Transfer(0));
        }
        let size = self.tx.size as usize;
        let start = self.tx_prod as usize & (size - 1);
        let first = n.min(size - start);
        let (a, b) = buf[..n].split_at(first);
        // Bytes only, as in `read`.
        self.mem.copy_in_words::<1>(self.tx.data + start, a);
        self.mem.copy_in_words::<1>(self.tx.data, b);
        self.tx_prod = self.tx_prod.wrapping_add(n as u32);
        // Release: the peer sees the bytes before the index.
        self.mem
            .store32(self.tx.prod, self.tx_prod, Ordering::Release);
        Ok(Transfer(n))
    }
}

macro_rules! byte_ring_end {
    (
        $(#[$doc:meta])*
        $name:ident, $page:ty, tx = $tx:ident ($txname:literal), rx = $rx:ident ($rxname:literal)
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<'a>(Duplex<'a>);

        impl<'a> $name<'a> {
            #[doc = concat!("Attaches to the page in `mem` (at least `size_of::<", stringify!($page), ">()` bytes),")]
            /// taking this end's own indices from the page.
            ///
            /// # Errors
            ///
            /// [`Error::BadLength`] if `mem` is too short.
            pub fn attach(mem: SharedMem<'a>) -> Result<Self> {
                Duplex::attach(mem, size_of::<$page>(), $tx, $rx).map(Self)
            }

            #[doc = concat!("Copies as much of `buf` as fits into the `", $txname, "` ring;")]
            /// returns the number of bytes written (0 when the ring is full)
            /// and whether to notify the peer (whenever it is not 0).
            ///
            /// # Errors
            ///
            /// [`BadIndex`] if the peer's consumer index is inconsistent.
            pub fn write(&mut self, buf: &[u8]) -> Result<Transfer, BadIndex> {
                self.0.write(buf)
            }

            #[doc = concat!("Copies up to `buf.len()` bytes out of the `", $rxname, "` ring;")]
            /// returns the number of bytes read (0 when the ring is empty)
            /// and whether to notify the peer (whenever it is not 0: room
            /// was freed).
            ///
            /// # Errors
            ///
            /// [`BadIndex`] if the peer's producer index is inconsistent.
            pub fn read(&mut self, buf: &mut [u8]) -> Result<Transfer, BadIndex> {
                self.0.read(buf)
            }

            #[doc = concat!("Bytes waiting in the `", $rxname, "` ring.")]
            ///
            /// # Errors
            ///
            /// [`BadIndex`] if the peer's producer index is inconsistent.
            pub fn readable(&self) -> Result<u32, BadIndex> {
                self.0.readable().map(|(_, n)| n)
            }

            #[doc = concat!("Free bytes in the `", $txname, "` ring.")]
            ///
            /// # Errors
            ///
            /// [`BadIndex`] if the peer's consumer index is inconsistent.
            pub fn writable(&self) -> Result<u32, BadIndex> {
                self.0.writable()
            }
        }
    };
}

byte_ring_end!(
    /// The guest's end of the xenstore page ([`DomainInterface`]): writes
    /// requests into `req`, reads replies and watch events from `rsp`.
    #[doc(alias = "xenstore_domain_interface")]
    XenstoreFront, DomainInterface, tx = XS_REQ ("req"), rx = XS_RSP ("rsp")
);

byte_ring_end!(
    /// xenstored's end of a domain's xenstore page ([`DomainInterface`]):
    /// reads requests from `req`, writes replies and watch events into `rsp`.
    XenstoreBack, DomainInterface, tx = XS_RSP ("rsp"), rx = XS_REQ ("req")
);

byte_ring_end!(
    /// The guest's end of the PV console page ([`Interface`],
    /// `xencons_interface`): writes output into `out`, reads input from `in`.
    #[doc(alias = "xencons_interface")]
    ConsoleFront, Interface, tx = CONS_OUT ("out"), rx = CONS_IN ("in")
);

byte_ring_end!(
    /// The console backend's end of the PV console page ([`Interface`]):
    /// reads the guest's output from `out`, writes input into `in`.
    ConsoleBack, Interface, tx = CONS_IN ("in"), rx = CONS_OUT ("out")
);

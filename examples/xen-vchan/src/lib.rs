// SPDX-License-Identifier: MIT OR Apache-2.0
//! vchan: the byte-stream channel between two Xen domains of libxenvchan,
//! both roles, wire-compatible with it.
//!
//! A vchan has a **server**, which grants a control page (and, for rings
//! of 4 KiB or more, the rings' pages) to the client domain, allocates an
//! unbound event channel for it and publishes both in xenstore under a
//! path (`ring-ref`, `event-channel`; conventionally
//! [`xs::default_path`]), and a **client**, which maps those pages, binds
//! the channel and says it is there. Then each end writes its ring and
//! reads the other's, and asks for an event when it waits
//! (`xen_abi::io::vchan` has the page's layout).
//!
//! - The protocol core ([`Endpoint`], [`Orders`]) is `no_std` and holds no
//!   memory: it works over [`Pages`] of any origin. Everything the peer can
//!   write is checked: ring orders and the grant list once when a client
//!   attaches, the peer's index on every call ([`Error::BadIndex`]), the
//!   live bytes ([`Error::BadLive`]); bytes are copied out once.
//! - [`guest`] (no_std + alloc): a server and a client in a guest kernel,
//!   over xen-grant's grant table, xen-evtchn's event channels and
//!   xen-store's ring client, with the platform's page allocation and
//!   waiting as hooks.
//! - `linux` (feature `std`): a server and a client in a Linux process
//!   (gntalloc/gntdev, `/dev/xen/evtchn`, xenstored), `std::io::Read` and
//!   `Write` with time-outs.
//!
//! Two ends over one plain page (what the unit tests do):
//!
//! ```
//! use xen_abi::io::shm::SharedMem;
//! use xen_vchan::{Endpoint, Orders, Pages};
//! # fn main() -> Result<(), Box<dyn core::error::Error>> {
//! let mut page = vec![0u64; 512];
//! let ptr = core::ptr::NonNull::from(&mut page[..]).cast::<u8>();
//! // SAFETY: `page` outlives the handles and is only accessed through them.
//! let ctrl = unsafe { SharedMem::new(ptr, 4096)? };
//! let orders = Orders::for_sizes(1024, 2048)?; // both rings in the page
//! let mut server = Endpoint::server(ctrl, orders, &[])?;
//! let mut client = Endpoint::client(ctrl)?;
//! let _ = client.connect(ctrl)?; // then send the server an event
//! let left = Pages::in_page(ctrl, 1024, 1024)?;
//! let right = Pages::in_page(ctrl, 2048, 2048)?;
//! let srv = Pages { ctrl, rx: left.read_only(), tx: right };
//! let cli = Pages { ctrl, rx: right.read_only(), tx: left };
//! let sent = client.write(&cli, b"hello")?;
//! assert_eq!(sent.len(), 5);
//! assert!(sent.notify().needed()); // the server asked to hear of writes
//! let mut buf = [0; 16];
//! assert_eq!(server.read(&srv, &mut buf)?.len(), 5);
//! assert_eq!(&buf[..5], b"hello");
//! # Ok(()) }
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

mod endpoint;
mod error;
pub mod guest;
#[cfg(all(feature = "std", target_os = "linux"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
pub mod linux;
mod orders;
pub mod xs;

#[cfg(test)]
mod tests;

pub use endpoint::{Endpoint, Paged, Pages, PeerState, RingBuffer, RingBufferMut, Role, Transfer};
pub use error::{Direction, Error, Result};
pub use orders::{Orders, Place, MAX_RING_SIZE};
pub use xen_abi::io::ring::Notify;

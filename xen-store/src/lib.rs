// SPDX-License-Identifier: MIT OR Apache-2.0
//! A xenstore client and both ends of its wire protocol.
//!
//! - [`wire`]: the codec of `io/xs_wire.h` (no_std + alloc): every message
//!   type, request encoding and reply decoding for clients, request
//!   decoding and reply encoding for servers, framing with the 4096-byte
//!   payload limit; typed errors from the `xsd_errors` table.
//! - [`path`]: path and permission (`[wrbn]<domid>`) validation.
//! - [`Store`]: the operations (read, write, mkdir, rm, directory with
//!   transparent `XS_DIRECTORY_PART`, permissions, domain path,
//!   introduce/release), one API over every transport and transaction.
//! - [`Xenstore`] (feature `std`): xenstored's Unix socket or Linux's
//!   `/dev/xen/xenbus`, in libxenstore's fallback order; pipelined
//!   requests, transactions that abort on drop with a retry-on-`EAGAIN`
//!   helper, watches as blocking iterators or (feature `tokio`) as an
//!   async `Stream` (`WatchStream`).
//! - [`ring::RingClient`]: the guest kernel's client over the shared ring
//!   page, notify/wait through [`ring::RingHooks`].
//!
//! ```
//! use xen_store::wire::{check_reply, decode_list, Framer, Request, Response};
//! use xen_abi::io::xs_wire::MsgType;
//! // Client: encode a request.
//! let bytes = Request::Directory { path: "/local/domain" }.encode(1, 0)?;
//! // Server: decode it and answer.
//! let mut f = Framer::new();
//! f.push(&bytes);
//! let req = f.next_message()?.unwrap();
//! assert_eq!(Request::decode(&req)?, Request::Directory { path: "/local/domain" });
//! let reply = Response::List(&["0", "1"]).encode(MsgType::DIRECTORY, 1, 0)?;
//! // Client: decode the reply.
//! f.push(&reply);
//! let m = f.next_message()?.unwrap();
//! check_reply(&m, MsgType::DIRECTORY)?;
//! assert_eq!(decode_list(&m.payload)?, ["0", "1"]);
//! # Ok::<(), xen_store::Error>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
mod client;
mod error;
pub mod path;
pub mod ring;
mod session;
mod store;
pub mod wire;

#[cfg(feature = "tokio")]
pub use client::WatchStream;
#[cfg(feature = "std")]
pub use client::{
    Pending, Transaction, Transport, Watch, Xenstore, DEFAULT_SOCKET, XENBUS_DEVICE, XENBUS_PROC,
};
pub use error::{BrokenReason, Error, PathError, Result};
pub use path::{Access, Perm};
pub use session::WatchEvent;
pub use store::Store;

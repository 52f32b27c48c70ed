// SPDX-License-Identifier: MIT OR Apache-2.0
//! A xenstore client and both ends of its wire protocol.
//!
//! # Getting started
//!
//! ```toml
//! # A dom0 or driver-domain tool (Linux: xenstored's socket or /dev/xen/xenbus):
//! xen-store = { version = "0.1", features = ["std"] }
//! # A guest kernel or unikernel (no_std + alloc, the shared ring page):
//! xen-store = { version = "0.1", default-features = false }
//! ```
//!
//! In a dom0 tool: connect, read, write, a transaction, a watch.
//!
//! ```no_run
//! # #[cfg(all(feature = "std", target_os = "linux"))]
//! # fn f() -> xen_store::Result<()> {
//! use xen_store::{Store, Xenstore};
//!
//! let xs = Xenstore::open()?; // xenstored's socket, else /dev/xen/xenbus
//! let name = xs.read_string("/local/domain/0/name")?;
//! xs.write("/local/domain/0/data/greeting", format!("hello from {name}"))?;
//! if !xs.exists("/local/domain/0/data/count")? {
//!     xs.write("/local/domain/0/data/count", "0")?;
//! }
//! // All or nothing; started over when another writer conflicts.
//! xs.transaction(|tx| {
//!     tx.write("/local/domain/0/data/a", "1")?;
//!     tx.write("/local/domain/0/data/b", "2")
//! })?;
//! // Fires once at once, then on every change below the path.
//! let mut watch = xs.watch("/local/domain/0/data", "data")?;
//! for event in watch.by_ref().take(2) {
//!     println!("{} changed", event?.path);
//! }
//! // Or wait a bounded time: `None` when nothing fired.
//! if watch.next_event_timeout(std::time::Duration::from_secs(5))?.is_none() {
//!     println!("quiet for five seconds");
//! }
//! # Ok(()) }
//! ```
//!
//! In a guest, the same [`Store`] API over the ring page: see
//! [`ring::RingClient`]. Connection failures say what was tried:
//! `cannot connect to xenstore: /var/run/xenstored/socket: No such file or
//! directory (os error 2), then /dev/xen/xenbus: ... (not running on Xen, or
//! xenstored is not running: ...)`.
//!
//! # The crate
//!
//!
//! - [`wire`]: the codec of `io/xs_wire.h` (no_std + alloc): every message
//!   type, request encoding and reply decoding for clients, request
//!   decoding and reply encoding for servers, framing with the 4096-byte
//!   payload limit; typed errors from the `xsd_errors` table.
//! - [`path`]: path and permission (`[wrbn]<domid>`) validation.
//! - [`Store`]: the operations (read, write, mkdir, rm, directory with
//!   transparent `XS_DIRECTORY_PART`, permissions, domain path,
//!   introduce/release), one API over every transport and transaction.
//! - [`Client`]: one client over any [`Transport`], the same API in a
//!   guest and in dom0: pipelined requests ([`Client::submit`] returns a
//!   [`Pending`] ticket), transactions that abort on drop with a
//!   retry-on-`EAGAIN` helper ([`Client::transaction`]), watches that
//!   unwatch on drop ([`Watch`]), and [`Store`].
//! - `Xenstore` (feature `std`): the [`Client`] over `StreamTransport`:
//!   xenstored's Unix socket or Linux's `/dev/xen/xenbus`, in
//!   libxenstore's fallback order, shared between threads; watches with a
//!   timeout (`Watch::next_event_timeout`) for a plain loop, `AsFd` for a
//!   `poll(2)` loop, and as an async `Stream` (feature `tokio`,
//!   `WatchStream`).
//! - [`ring::RingClient`]: the [`Client`] over [`ring::RingTransport`], the
//!   guest kernel's shared ring page, notify/wait through
//!   [`ring::RingHooks`] (no_std + alloc, single-threaded).
//!
//! ```
//! use xen_store::wire::{check_reply, decode_list, Framer, Request, Response};
//! use xen_abi::io::xs_wire::{MsgType, ReqId, TxId};
//! // Client: encode a request.
//! let bytes = Request::Directory { path: "/local/domain" }.encode(ReqId::new(1), TxId::NONE)?;
//! // Server: decode it and answer.
//! let mut f = Framer::new();
//! f.push(&bytes);
//! let req = f.next_message()?.unwrap();
//! assert_eq!(Request::decode(&req)?, Request::Directory { path: "/local/domain" });
//! let reply = Response::List(&["0", "1"]).encode(MsgType::DIRECTORY, ReqId::new(1), TxId::NONE)?;
//! // Client: decode the reply.
//! f.push(&reply);
//! let m = f.next_message()?.unwrap();
//! check_reply(&m, MsgType::DIRECTORY)?;
//! assert_eq!(decode_list(&m.payload)?, ["0", "1"]);
//! # Ok::<(), xen_store::Error>(())
//! ```
//!
//! # Pipelining and the scheduler
//!
//! Many requests in flight ([`Client::submit_batch`], or several
//! [`Client::submit`]s, then [`Client::wait`]) pay off most when the client
//! thread does not preempt xenstored. The C xenstored writes each reply's
//! header and body with two `write()` calls. When client and xenstored share
//! one CPU (a one-vCPU dom0, say), Linux's wakeup preemption runs the client
//! as soon as the header is written: it reads the header alone, sleeps, and
//! is woken again for the body, two reads and two context switches per reply
//! however many are in flight. A client thread under `SCHED_BATCH`
//! (`sched_setscheduler(0, SCHED_BATCH, ..)`, or `chrt --batch 0 cmd`) is not
//! run on wakeup, so xenstored gets a run of replies out before the client
//! reads them together. This crate leaves the policy to the application.
//!
//! Measured by `cargo xtask bench --only xenstore` (the C xenstored of Xen
//! 4.17 in a one-vCPU dom0 under QEMU TCG; alternating 16-byte writes and
//! reads; medians of three boots): 64 in flight went from about
//! 1,250–1,320 ops/s to about 2,670–2,900 ops/s with the client under
//! `SCHED_BATCH`, while one request at a time gained 15–40% (ours about
//! 940–970 → 1,160–1,370 ops/s, libxenstore about 790–840 → 960–1,140).
//! Against libxenstore under the same policy, 64 in flight is about 1.6× by
//! default and about 2.5–2.8× with both clients under `SCHED_BATCH`.
#![no_std]
#![cfg_attr(not(all(feature = "std", target_os = "linux")), forbid(unsafe_code))]
// The Linux half polls its descriptor in one fenced module (`sys`);
// everything else is safe code.
#![cfg_attr(all(feature = "std", target_os = "linux"), deny(unsafe_code))]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(any(all(feature = "std", target_os = "linux"), test))]
extern crate std;

/// The ABI types this crate is built on, re-exported so that a user
/// needs no separate (and possibly different) `xen-abi` dependency.
pub use xen_abi;

mod client;
mod error;
pub mod path;
pub mod ring;
mod session;
mod store;
mod sync;
#[cfg(all(feature = "std", target_os = "linux"))]
mod sys;
mod transport;
pub mod wire;

#[cfg(all(feature = "tokio", target_os = "linux"))]
pub use client::WatchStream;
pub use client::{Client, Pending, Transaction, Watch};
#[cfg(all(feature = "std", target_os = "linux"))]
pub use client::{Endpoint, StreamTransport, Xenstore, DEFAULT_SOCKET, XENBUS_DEVICE, XENBUS_PROC};
pub use error::{BrokenReason, Error, PathError, Result};
#[cfg(all(feature = "std", target_os = "linux"))]
pub use error::{ConnectError, IoError};
pub use path::{Access, Perm};
pub use session::WatchEvent;
pub use session::DEFAULT_WATCH_QUEUE;
pub use store::{Store, DIRECTORY_MAX_BYTES, DIRECTORY_MAX_ROUNDS};
pub use transport::Transport;

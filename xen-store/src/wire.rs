// SPDX-License-Identifier: MIT OR Apache-2.0
//! The wire codec: both ends of `io/xs_wire.h` (no_std + alloc). The
//! message types and the header are xen-abi's ([`xen_abi::io::xs_wire`]).
//!
//! - Client: [`Request::encode`] builds a message; the `decode_*` functions
//!   read the payload of its reply (after [`check_reply`] turned an
//!   `XS_ERROR` into [`Error::Xenstore`](crate::Error::Xenstore)).
//! - Server (a Rust xenstored, a VMM emulating xenstore): [`Request::decode`]
//!   parses and validates a request; [`Response::encode`] and
//!   [`encode_watch_event`] build what goes back.
//! - Both: [`Framer`] cuts a byte stream (socket, device, ring) into
//!   [`Message`]s and refuses payloads over [`PAYLOAD_MAX`].
//!
//! Payloads are sequences of nul-terminated strings (`path\0token\0`),
//! except a `XS_WRITE`'s value and a `XS_READ` reply, which are raw bytes.
//!
//! ```
//! use xen_abi::io::xs_wire::{ReqId, TxId};
//! use xen_store::wire::{Framer, Request};
//! let bytes = Request::Read { path: "/vm" }.encode(ReqId::new(7), TxId::NONE)?;
//! let mut f = Framer::new();
//! f.push(&bytes);
//! let msg = f.next_message()?.unwrap();
//! assert_eq!(msg.header.req_id, ReqId::new(7));
//! assert_eq!(Request::decode(&msg)?, Request::Read { path: "/vm" });
//! # Ok::<(), xen_store::Error>(())
//! ```

mod frame;
mod reply;
mod request;
mod server;
mod text;

pub use frame::{encode_message, Framer, Message, HEADER_LEN};
pub use reply::{
    check_reply, decode_bool, decode_directory_part, decode_list, decode_number, decode_ok,
    decode_perms, decode_str, decode_watch_event, DirectoryPart, WatchEventRef,
};
pub use request::Request;
pub use server::{encode_watch_event, Response};
pub use xen_abi::io::xs_wire::PAYLOAD_MAX;

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Typed mirrors of the Xen hypervisor's public interface.
//!
//! # Getting started
//!
//! ```toml
//! # Types only, no_std, no features: the same line for dom0 tools and guests.
//! xen-abi = "0.1"
//! ```
//!
//! The higher crates re-export it (`xen_hypercall::xen_abi`,
//! `xen_store::xen_abi`, ...), so depending on them alone is enough.
//!
//!
//! `xen-abi` holds the types, constants and validated ids of Xen's stable
//! guest ABI (the headers under `xen/include/public/`), at the latest interface
//! version (`__XEN_LATEST_INTERFACE_VERSION__` = 0x00040e00). Every shared
//! struct is `#[repr(C)]` with [`zerocopy`] derives and explicit padding, and
//! its size, alignment and field offsets are proven equal to Xen's own C
//! headers for x86_64 and aarch64 by the workspace's layout test
//! (`cargo xtask layout`).
//!
//! The crate is `no_std` and needs no allocator. The types need no unsafe
//! code at all; the one fenced exception is [`io::shm::SharedMem`], the
//! bounds-checked, atomic door to memory another domain (or Xen) writes:
//! the typed rings ([`io::ring::FrontRing`], [`io::ring::BackRing`]), the
//! byte rings ([`io::byte_ring`]) and every crate above this one (event
//! bitmaps, grant entries, foreign mappings) go through it.
//!
//! ```
//! use xen_abi::event_channel::{AllocUnbound, EvtchnPort};
//! use xen_abi::xen::DomId;
//! use zerocopy::{FromBytes, IntoBytes};
//!
//! // Build an EVTCHNOP_alloc_unbound argument as the guest would...
//! let op = AllocUnbound { dom: DomId::SELF, remote_dom: DomId::new(0)?, port: EvtchnPort::ZERO };
//! // ...and decode the bytes Xen wrote back, without unsafe.
//! let back = AllocUnbound::read_from_bytes(op.as_bytes()).expect("same size");
//! assert_eq!(back.remote_dom, DomId::DOM0);
//!
//! // Peer-supplied ids are validated.
//! assert!(DomId::new_domain(0x7ff0).is_err()); // DOMID_SELF is not a real domain
//! # Ok::<(), xen_abi::Error>(())
//! ```
//!
//! Module names follow Xen's public header files, so `event_channel.h` is
//! [`event_channel`] and `io/xs_wire.h` is [`io::xs_wire`]. Rust names are used
//! in the API; every item carries the C name as a `doc(alias)`, so searching
//! the docs for `evtchn_alloc_unbound` or `EVTCHNOP_send` finds it.
#![no_std]
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(test)]
extern crate std;

#[cfg(not(target_pointer_width = "64"))]
compile_error!("xen-abi mirrors the 64-bit Xen ABIs (x86_64 and aarch64) only");

#[macro_use]
mod macros;

mod error;
pub use error::{Error, Result};

mod debug;
mod decode;
pub use decode::{read, view};

pub mod arch;
pub mod callback;
pub mod domctl;
pub mod elfnote;
pub mod errno;
pub mod event_channel;
pub mod features;
pub mod grant_table;
pub mod hvm;
pub mod io;
pub mod memory;
pub mod physdev;
pub mod sched;
pub mod sysctl;
pub mod vcpu;
pub mod version;
pub mod xen;

pub use errno::Errno;
pub use xen::{DomId, GuestHandle, VcpuId};

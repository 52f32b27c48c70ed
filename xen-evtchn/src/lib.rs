// SPDX-License-Identifier: MIT OR Apache-2.0
//! Xen event channels, in a guest and through Linux's `/dev/xen/evtchn`,
//!
//! # Getting started
//!
//! ```toml
//! # A dom0 or driver-domain tool (Linux: /dev/xen/evtchn; add "tokio" for a Stream):
//! xen-evtchn = { version = "0.1", features = ["std"] }
//! # A guest kernel or unikernel (no_std):
//! xen-evtchn = { version = "0.1", default-features = false }
//! ```
//!
//! behind one vocabulary ([`EvtchnPort`], [`Error`]).
//!
//! - [`guest`] (no_std): the in-guest event machinery of a kernel or
//!   unikernel, over `xen-hypercall` and xen-abi's `SharedMem`.
//! - `linux` (feature `std`, Linux): the `/dev/xen/evtchn` device of a dom0
//!   or driver-domain tool: owned ports that unbind on drop, pending ports
//!   read in batches; with `tokio`, pending ports as a `Stream`.
//!
//! In a guest kernel (the `guest` module has the whole story):
//!
//! ```no_run
//! # fn f(hc: impl xen_hypercall::Hypercall,
//! #      shared_info: xen_abi::io::shm::SharedMem<'static>) -> xen_evtchn::Result<()> {
//! use xen_abi::{xen::VcpuId, DomId};
//! use xen_evtchn::guest::{Demux, EventChannel, TwoLevel};
//! use xen_evtchn::EvtchnPort;
//!
//! let evtchn = EventChannel::new(hc);
//! let port = evtchn.alloc_unbound(DomId::DOM0)?; // dom0 binds to it
//! let mut events = TwoLevel::new(shared_info, VcpuId::BOOT)?;
//! let mut pending = [EvtchnPort::ZERO; 32];
//! let n = events.take_pending(&mut pending)?;   // in the upcall handler
//! # let _ = (port, n); Ok(()) }
//! ```
//!
//! In a dom0 or driver-domain process (Linux, feature `std`):
//!
//! ```no_run
//! # #[cfg(all(feature = "std", target_os = "linux"))]
//! # fn f(domu: xen_abi::DomId, remote: xen_evtchn::EvtchnPort) -> xen_evtchn::Result<()> {
//! use xen_evtchn::linux::Evtchn;
//! use xen_evtchn::EvtchnPort;
//!
//! let dev = Evtchn::open()?;                       // /dev/xen/evtchn
//! let port = dev.bind_interdomain(domu, remote)?;  // unbinds on drop
//! port.notify()?;
//! let mut pending = [EvtchnPort::ZERO; 64];
//! let n = dev.pending(&mut pending)?;              // many ports per read(2)
//! dev.unmask(&pending[..n])?;
//! # Ok(()) }
//! ```
#![no_std]
#![cfg_attr(not(all(feature = "std", target_os = "linux")), forbid(unsafe_code))]
// The Linux half makes the device's ioctls in one fenced module
// (`linux::sys`); everything else is safe code.
#![cfg_attr(all(feature = "std", target_os = "linux"), deny(unsafe_code))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(all(feature = "std", target_os = "linux"))]
extern crate std;

/// The ABI types this crate is built on, re-exported so that a user
/// needs no separate (and possibly different) `xen-abi` dependency.
pub use xen_abi;

mod error;
pub mod guest;
#[cfg(all(feature = "std", target_os = "linux"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
pub mod linux;

// Entry points of the fuzz targets (xen-evtchn/fuzz) and their Miri-able
// tests; cargo-fuzz builds with `--cfg fuzzing`. Not part of the API.
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzzing;

pub use error::{Error, Result};
pub use xen_abi::event_channel::EvtchnPort;

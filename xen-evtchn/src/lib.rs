// SPDX-License-Identifier: MIT OR Apache-2.0
//! Xen event channels, in a guest and through Linux's `/dev/xen/evtchn`,
//! behind one vocabulary ([`EvtchnPort`], [`Error`]).
//!
//! - [`guest`] (no_std): the in-guest event machinery of a kernel or
//!   unikernel, over `xen-hypercall` and xen-abi's `SharedMem`.
//! - `linux` (feature `std`, Linux): the `/dev/xen/evtchn` device of a dom0
//!   or driver-domain tool: owned ports that unbind on drop, pending ports
//!   read in batches; with `tokio`, pending ports as a `Stream`.
//!
//! **Work in progress** (issue 11): the Linux half is here; the in-guest
//! half is landing.
#![no_std]
#![cfg_attr(not(feature = "std"), forbid(unsafe_code))]
// The Linux half makes the device's ioctls in one fenced module
// (`linux::sys`); everything else is safe code.
#![cfg_attr(feature = "std", deny(unsafe_code))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

mod error;
pub mod guest;
#[cfg(all(feature = "std", target_os = "linux"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
pub mod linux;

pub use error::{Error, Result};
pub use xen_abi::event_channel::EvtchnPort;

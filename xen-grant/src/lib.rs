// SPDX-License-Identifier: MIT OR Apache-2.0
//! Xen grant tables, in a guest and through Linux's gntalloc/gntdev, behind
//! one vocabulary ([`GrantRef`], [`Error`]).
//!
//! - [`guest`] (no_std): the grant table of a kernel or unikernel, both
//!   ends (granting pages, mapping and copying a peer's grants), over
//!   `xen-hypercall` and xen-abi's `SharedMem`.
//! - `linux` (feature `std`, Linux): `/dev/xen/gntalloc` (share our pages)
//!   and `/dev/xen/gntdev` (map and copy foreign grants) for dom0 and
//!   driver-domain tools.
//!
//! **Work in progress** (issue 12): the halves land one by one.
#![no_std]
#![cfg_attr(not(feature = "std"), forbid(unsafe_code))]
// The Linux half makes the devices' ioctls and mmaps in one fenced module
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
pub use xen_abi::grant_table::GrantRef;

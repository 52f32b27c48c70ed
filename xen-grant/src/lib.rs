// SPDX-License-Identifier: MIT OR Apache-2.0
//! Xen grant tables, in a guest and through Linux's gntalloc/gntdev, behind
//!
//! # Getting started
//!
//! ```toml
//! # A dom0 or driver-domain tool (Linux: /dev/xen/gntalloc and /dev/xen/gntdev):
//! xen-grant = { version = "0.1", features = ["std"] }
//! # A guest kernel or unikernel (no_std):
//! xen-grant = { version = "0.1", default-features = false }
//! ```
//!
//! one vocabulary ([`GrantRef`], [`Error`]).
//!
//! - [`guest`] (no_std): the grant table of a kernel or unikernel, both
//!   ends (granting pages, mapping and copying a peer's grants), over
//!   `xen-hypercall` and xen-abi's `SharedMem`.
//! - `linux` (feature `std`, Linux): `/dev/xen/gntalloc` (share our pages)
//!   and `/dev/xen/gntdev` (map and copy foreign grants) for dom0 and
//!   driver-domain tools.
//!
//! In a guest kernel, grant a page and end the grant only once the peer let
//! go (the `guest` module has the whole story, copy and mapping included):
//!
//! ```no_run
//! # fn f(hc: impl xen_hypercall::Hypercall, pages: impl xen_grant::guest::TablePages,
//! #      page: xen_abi::io::shm::SharedMem<'static>, backend: xen_abi::DomId)
//! # -> xen_grant::Result<()> {
//! use xen_grant::guest::{Access, GrantTable};
//!
//! let mut table = GrantTable::new(hc, pages)?;
//! let grant = table.grant_access(backend, page, Access::ReadWrite)?;
//! let gref = grant.gref(); // tell the backend, e.g. through xenstore
//! // ... later:
//! if let Err(busy) = table.end_access(grant) {
//!     let _still_granted = busy.grant; // still mapped: retry later
//! }
//! # let _ = gref; Ok(()) }
//! ```
//!
//! In a dom0 or driver-domain process (Linux, feature `std`), share pages
//! and map a peer's grants:
//!
//! ```no_run
//! # #[cfg(all(feature = "std", target_os = "linux"))]
//! # fn f(domu: xen_abi::DomId, their_refs: &[xen_grant::GrantRef]) -> xen_grant::Result<()> {
//! use xen_abi::io::shm::Ordering;
//! use xen_grant::linux::{Access, Gntalloc, Gntdev};
//!
//! let gntalloc = Gntalloc::open()?;
//! let ours = gntalloc.share(domu, 1, Access::ReadWrite)?; // revoked on drop
//! let _refs = ours.refs(); // tell the peer
//! let gntdev = Gntdev::open()?;
//! let theirs = gntdev.map(domu, their_refs, Access::ReadOnly)?; // unmapped on drop
//! let first = theirs.shared_mem_read_only(..)?.load_u32(0, Ordering::Acquire)?;
//! # let _ = first; Ok(()) }
//! ```
#![no_std]
#![cfg_attr(not(all(feature = "std", target_os = "linux")), forbid(unsafe_code))]
// The Linux half makes the devices' ioctls and mmaps in one fenced module
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

// Entry points of the fuzz targets (xen-grant/fuzz) and their Miri-able
// tests; cargo-fuzz builds with `--cfg fuzzing`. Not part of the API.
#[cfg(all(any(test, fuzzing), feature = "std"))]
#[doc(hidden)]
pub mod fuzzing;

pub use error::{Error, Result};
pub use xen_abi::grant_table::GrantRef;

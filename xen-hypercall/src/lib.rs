// SPDX-License-Identifier: MIT OR Apache-2.0
//! Typed Xen hypercalls over pluggable backends.
//!
//! A [`Hypercall`] backend issues hypercall number `op` with up to five
//! register arguments and returns Xen's raw result. On top of it, this crate
//! has one typed function per hypercall and sub-op of the stable guest ABI,
//! grouped in modules named after Xen's headers ([`event_channel`],
//! [`grant_table`], [`memory`], ...). Errors are [`xen_abi::Errno`].
//!
//! Backends:
//! - [`arch::x86_64::HypercallPage`]: a guest kernel on x86_64, PV (the page
//!   named by the `HYPERCALL_PAGE` ELF note) or PVH/HVM (the page installed
//!   through the MSR that Xen advertises in its CPUID leaves).
//! - [`arch::aarch64::Hvc`]: a guest kernel on aarch64 (`hvc #0xEA1`).
//! - `privcmd::Privcmd` (feature `std`, Linux): userspace in dom0 or a driver
//!   domain, through `/dev/xen/privcmd`, with every buffer Xen reads or writes
//!   placed in memory from `/dev/xen/hypercall`.
//!
//! Every wrapper passes the memory Xen reads or writes through
//! [`Hypercall::with_buffer`], so the same typed code runs in a guest kernel
//! (where the buffer is used in place) and through privcmd (where it is
//! bounced through hypercall-safe memory).
//!
//! ```no_run
//! # fn demo(hc: &impl xen_hypercall::Hypercall) -> Result<(), xen_abi::Errno> {
//! let (major, minor) = xen_hypercall::version::version(hc)?;
//! let port = xen_hypercall::event_channel::alloc_unbound(
//!     hc,
//!     xen_abi::DomId::SELF,
//!     xen_abi::DomId::SELF,
//! )?;
//! xen_hypercall::event_channel::send(hc, port)?;
//! # Ok(()) }
//! ```
//!
//! A wrapper is `unsafe` exactly when the caller must vouch for memory (frames,
//! guest addresses, mappings); its `# Safety` section says what.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

pub mod arch;
mod backend;
pub mod console;
pub use backend::Hypercall;

#[cfg(all(feature = "std", target_os = "linux"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
pub mod privcmd;

pub use xen_abi::Errno;

/// `Result` with Xen's errno.
pub type Result<T, E = Errno> = core::result::Result<T, E>;

/// Turns a raw hypercall result into `Ok(value)` or `Err(errno)`.
pub(crate) fn check(ret: isize) -> Result<usize> {
    Errno::result(ret)
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The guest half of the template: a guest kernel announces itself in
//! xenstore through its shared ring page. The kernel provides the hypercall
//! backend (`xen_hypercall::arch::x86_64::HypercallPage` on the page Xen
//! filled), the ring page as a `SharedMem` and the notify/wait hooks (its
//! event channel to xenstored).
#![no_std]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use core::fmt;

use xen_hypercall::xen_abi::io::shm::SharedMem;
use xen_hypercall::xen_abi::Errno;
use xen_hypercall::{version, Hypercall};
use xen_store::ring::{RingClient, RingHooks};
use xen_store::Store;

/// What can go wrong: a hypercall or a xenstore operation.
#[derive(Debug)]
pub enum GuestError {
    /// Xen refused a hypercall.
    Hypercall(Errno),
    /// A xenstore operation failed.
    Store(xen_store::Error),
}

impl From<xen_store::Error> for GuestError {
    fn from(e: xen_store::Error) -> Self {
        GuestError::Store(e)
    }
}

impl From<Errno> for GuestError {
    fn from(e: Errno) -> Self {
        GuestError::Hypercall(e)
    }
}

impl fmt::Display for GuestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuestError::Hypercall(e) => write!(f, "hypercall: {e}"),
            GuestError::Store(e) => write!(f, "xenstore: {e}"),
        }
    }
}

/// Writes `data/hello` = "<our name> on Xen <version>" under our domain's
/// home, in one transaction, and returns it.
///
/// # Errors
///
/// A refused hypercall or xenstore operation.
pub fn announce<H: RingHooks>(
    hc: &impl Hypercall,
    ring: SharedMem<'_>,
    hooks: H,
) -> Result<String, GuestError> {
    let xen = version::version(hc)?;
    let xs = RingClient::new(ring, hooks)?;
    xs.transaction(|tx| -> Result<String, GuestError> {
        // Paths without a leading `/` are relative to our home.
        let name = tx.read_opt("name")?.unwrap_or_default();
        let hello = format!("{} on Xen {xen}", String::from_utf8_lossy(&name));
        tx.write("data/hello", &hello)?;
        Ok(hello)
    })
}

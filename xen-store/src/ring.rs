// SPDX-License-Identifier: MIT OR Apache-2.0
//! The guest's transport: the xenstore ring page (no_std + alloc).
//!
//! The page is `xenstore_domain_interface` (start_info's `store_mfn`, or
//! `HVM_PARAM_STORE_PFN`): two 1 KiB byte rings with free-running indices,
//! driven through xen-abi's hostile-peer-safe [`XenstoreFront`]. The
//! platform supplies [`RingHooks`]: notify xenstored over the event
//! channel, and wait for its notification.
//!
//! [`RingClient`] is the one [`Client`] over it: the same pipelined
//! requests, transactions (with abort and retry) and watch guards as in
//! dom0. Without `std` it is single-threaded (`!Sync`) and blocking.

use alloc::string::String;
use core::cell::RefCell;

use xen_abi::io::byte_ring::XenstoreFront;
use xen_abi::io::ring::SharedMem;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::transport::Transport;

/// What the ring transport needs from the platform.
pub trait RingHooks {
    /// Signals xenstored (`EVTCHNOP_send` on the xenstore event channel).
    fn notify(&self);
    /// Blocks until xenstored may have moved an index (its event arrived,
    /// or a poll interval passed). Spurious returns are fine.
    fn wait(&self);
}

/// A xenstore client over the shared ring page.
///
/// ```no_run
/// # fn f(mem: xen_abi::io::ring::SharedMem<'static>, hooks: impl xen_store::ring::RingHooks)
/// # -> xen_store::Result<()> {
/// use xen_store::ring::RingClient;
/// use xen_store::Store;
/// let xs = RingClient::new(mem, hooks)?;
/// let name = xs.read_string("name")?;
/// xs.transaction(|tx| tx.write("data/greeting", name.as_bytes()))?;
/// # Ok(()) }
/// ```
pub type RingClient<'a, H> = Client<RingTransport<'a, H>>;

/// The guest's end of the xenstore ring page, as a [`Transport`].
pub struct RingTransport<'a, H: RingHooks> {
    ring: RefCell<XenstoreFront<'a>>,
    hooks: H,
}

impl<H: RingHooks> core::fmt::Debug for RingTransport<'_, H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RingTransport").finish_non_exhaustive()
    }
}

impl<'a, H: RingHooks> RingTransport<'a, H> {
    /// Attaches to the page in `mem` (the guest's end).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if `mem` is smaller than the interface.
    pub fn new(mem: SharedMem<'a>, hooks: H) -> Result<Self> {
        let ring =
            XenstoreFront::attach(mem).map_err(|_| Error::Malformed("ring page too small"))?;
        Ok(Self {
            ring: RefCell::new(ring),
            hooks,
        })
    }

    /// The hooks.
    pub fn hooks(&self) -> &H {
        &self.hooks
    }
}

impl<H: RingHooks> Transport for RingTransport<'_, H> {
    fn write(&self, bytes: &[u8]) -> Result<usize> {
        let moved = self.ring.borrow_mut().write(bytes)?;
        if moved.notify().needed() {
            self.hooks.notify();
        }
        Ok(moved.len())
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let moved = self.ring.borrow_mut().read(buf)?;
        if moved.notify().needed() {
            // Room freed: xenstored may be waiting for it.
            self.hooks.notify();
        }
        Ok(moved.len())
    }

    fn wait(&self) {
        self.hooks.wait();
    }
}

impl<'a, H: RingHooks> Client<RingTransport<'a, H>> {
    /// Attaches a client to the ring page in `mem` (the guest's end).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if `mem` is smaller than the interface.
    pub fn new(mem: SharedMem<'a>, hooks: H) -> Result<Self> {
        Ok(Self::from_transport(RingTransport::new(mem, hooks)?))
    }

    /// The hooks.
    pub fn hooks(&self) -> &H {
        self.transport().hooks()
    }
}

/// A token for a numbered watch (`"w<n>"`).
pub fn token(n: u32) -> String {
    alloc::format!("w{n}")
}

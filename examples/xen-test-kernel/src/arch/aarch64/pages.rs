// SPDX-License-Identifier: MIT OR Apache-2.0
//! The arm64 kernel's pages: static RAM pages of the image (shared_info and
//! test pages are mapped over them, as on PVH), and the grant-table region
//! the device tree's `hypervisor` node names (guest-physical space that is
//! not RAM), where grant-table frames, status frames and mappings of
//! granted pages go. With the MMU off, addresses are guest-physical.
//!
//! [`ArmPages`] is the platform hook of xen-grant's in-guest half.

use core::cell::Cell;
use core::ptr::NonNull;

use xen_abi::grant_table::{GrantCopy, MapGrantRef, UnmapGrantRef};
use xen_abi::io::shm::{ReadOnly, SharedMem};
use xen_abi::memory::MapSpace;
use xen_abi::xen::{DomId, Gfn};
use xen_abi::Errno;
use xen_grant::guest::{ForeignPages, FrameOf, TablePages, MAX_FRAMES, MAX_STATUS_FRAMES};
use xen_grant::Error;
use xen_hypercall::grant_table as gnttab;
use xen_hypercall::{memory, Hypercall};

/// Bytes in a page.
pub const PAGE: u64 = 4096;

/// A page of the image that Xen may read or write.
#[repr(C, align(4096))]
pub struct TestPage(#[allow(dead_code, reason = "only reached through its address")] [u8; 4096]);

impl TestPage {
    /// A zeroed page.
    pub const fn new() -> Self {
        TestPage([0; 4096])
    }
}

impl Default for TestPage {
    fn default() -> Self {
        Self::new()
    }
}

/// The address of a static [`TestPage`] (or array of them).
#[macro_export]
macro_rules! arm_page_addr {
    ($p:expr) => {
        (&raw mut $p) as *mut u8 as u64
    };
}

/// A page at `addr` (one of our test pages, or a slot of the grant region
/// something is mapped at) as shared memory.
///
/// # Safety
/// `addr` must be a page-aligned page that stays mapped for the kernel's
/// lifetime and that Rust code reaches only through such handles.
pub unsafe fn page_mem(addr: u64) -> Option<SharedMem<'static>> {
    let p = NonNull::new(addr as *mut u8)?;
    // SAFETY: the caller vouches for the page.
    unsafe { SharedMem::new(p, PAGE as usize) }.ok()
}

/// Table-frame slots, then status-frame slots, then mapping slots.
const TABLE_SLOTS: u64 = MAX_FRAMES as u64;
const STATUS_SLOTS: u64 = MAX_STATUS_FRAMES as u64;
/// Mapping slots.
pub const MAP_SLOTS: usize = 2;
/// Pages of the grant region this kernel needs.
pub const REGION_PAGES: u64 = TABLE_SLOTS + STATUS_SLOTS + MAP_SLOTS as u64;

/// xen-grant's platform on arm64: frames and mappings land in slots of the
/// device tree's grant-table region; our own pages are known by their
/// guest frame (address >> 12).
#[derive(Debug)]
pub struct ArmPages<'a, H: Hypercall> {
    hc: &'a H,
    /// The first page of the grant region we use.
    base: u64,
    maps_used: Cell<[bool; MAP_SLOTS]>,
}

impl<'a, H: Hypercall> ArmPages<'a, H> {
    /// The pages over the grant region starting at `base` (page aligned,
    /// at least [`REGION_PAGES`] pages: the caller checked the device tree).
    pub fn new(hc: &'a H, base: u64) -> Self {
        ArmPages {
            hc,
            base,
            maps_used: Cell::new([false; MAP_SLOTS]),
        }
    }

    /// Whether no mapping slot holds a grant.
    pub fn no_mapping_held(&self) -> bool {
        self.maps_used.get().iter().all(|u| !u)
    }

    fn slot(&self, i: u64) -> u64 {
        self.base + i * PAGE
    }

    /// Maps grant-table frame `idx` (with the status bit for status
    /// frames) at slot `i` with `XENMAPSPACE_grant_table`.
    fn map_at(&self, i: u64, idx: u64) -> xen_grant::Result<SharedMem<'static>> {
        let addr = self.slot(i);
        // SAFETY: the slot is grant-region space, not RAM: nothing of ours
        // lives there, and what Xen maps there is reached only through the
        // returned handle.
        unsafe {
            memory::add_to_physmap(
                self.hc,
                DomId::SELF,
                MapSpace::GRANT_TABLE,
                idx,
                Gfn::containing(addr),
                0,
            )
        }?;
        // SAFETY: as above; the frame stays mapped for the kernel's life.
        unsafe { page_mem(addr) }.ok_or(Error::Xen(Errno::EINVAL))
    }
}

impl<H: Hypercall> FrameOf for ArmPages<'_, H> {
    fn frame_of(&self, page: &SharedMem<'static>) -> xen_grant::Result<Gfn> {
        Ok(Gfn::containing(page.addr() as u64))
    }
}

impl<H: Hypercall> TablePages for ArmPages<'_, H> {
    fn map_shared(&mut self, index: u32, _frame: Gfn) -> xen_grant::Result<SharedMem<'static>> {
        if u64::from(index) >= TABLE_SLOTS {
            return Err(Error::Xen(Errno::ENOMEM));
        }
        self.map_at(u64::from(index), u64::from(index))
    }

    fn map_status(
        &mut self,
        index: u32,
        _frame: Gfn,
    ) -> xen_grant::Result<SharedMem<'static, ReadOnly>> {
        if u64::from(index) >= STATUS_SLOTS {
            return Err(Error::Xen(Errno::ENOMEM));
        }
        let idx = MapSpace::GRANT_TABLE_STATUS_IDX | u64::from(index);
        Ok(self
            .map_at(TABLE_SLOTS + u64::from(index), idx)?
            .read_only())
    }

    fn unmap_status(&mut self, _index: u32) -> xen_grant::Result<()> {
        // Xen takes the status frames out of the physmap itself.
        Ok(())
    }
}

impl<H: Hypercall> ForeignPages for ArmPages<'_, H> {
    fn copy(&self, ops: &mut [GrantCopy]) -> Result<(), Errno> {
        // SAFETY: xen-grant names as local frames only pages `frame_of`
        // translated: our static pages, only ever touched atomically.
        unsafe { gnttab::copy(self.hc, ops) }
    }

    fn map(&self, op: &mut MapGrantRef) -> xen_grant::Result<SharedMem<'static>> {
        let mut used = self.maps_used.get();
        let i = used
            .iter()
            .position(|u| !u)
            .ok_or(Error::Xen(Errno::ENOMEM))?;
        let addr = self.slot(TABLE_SLOTS + STATUS_SLOTS + i as u64);
        // Auto-translated guests name the guest-physical address.
        op.host_addr = addr;
        // SAFETY: the slot is grant-region space used for nothing else.
        unsafe { gnttab::map_grant_ref(self.hc, core::slice::from_mut(op)) }?;
        op.status.ok().map_err(Error::Status)?;
        used[i] = true;
        self.maps_used.set(used);
        // SAFETY: the granted page is mapped at the slot until `unmap`,
        // reached only through this handle.
        unsafe { page_mem(addr) }.ok_or(Error::Xen(Errno::EINVAL))
    }

    fn unmap(&self, op: &mut UnmapGrantRef) -> xen_grant::Result<()> {
        // SAFETY: the mapping's handle is gone (xen-grant's `Mapping`
        // borrows end with it).
        unsafe { gnttab::unmap_grant_ref(self.hc, core::slice::from_mut(op)) }?;
        op.status.ok().map_err(Error::Status)?;
        let first = self.slot(TABLE_SLOTS + STATUS_SLOTS);
        let i = (op.host_addr.wrapping_sub(first) / PAGE) as usize;
        let mut used = self.maps_used.get();
        if let Some(u) = used.get_mut(i) {
            *u = false;
        }
        self.maps_used.set(used);
        Ok(())
    }
}

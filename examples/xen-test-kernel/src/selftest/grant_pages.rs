// SPDX-License-Identifier: MIT OR Apache-2.0
//! The test kernels' platform for xen-grant's in-guest half (PV and PVH):
//! static slot pages that grant-table frames, status frames and mappings of
//! other domains' grants are mapped over. The dom0 self-tests
//! (`selftest::grant`) and the domU (`domu::grant`) both use it.

use core::cell::Cell;

use xen_abi::grant_table::{GrantCopy, MapGrantRef, UnmapGrantRef};
use xen_abi::io::shm::{ReadOnly, SharedMem};
use xen_abi::memory::MapSpace;
use xen_abi::xen::{DomId, Gfn, UvmFlags};
use xen_abi::Errno;
use xen_grant::guest::{ForeignPages, FrameOf, TablePages};
use xen_grant::Error;
use xen_hypercall::grant_table as gnttab;
use xen_hypercall::{memory, mmu, Hypercall};

use super::memory::{frame_of, page_mem, TestPage, PTE_RW};
use super::Platform;
use crate::page_addr;

/// PTE bits for a read-only kernel page: present, user, accessed, dirty.
const PTE_RO: u64 = 0x65;

const TABLE_SLOTS: usize = xen_grant::guest::MAX_FRAMES;
const STATUS_SLOTS: usize = xen_grant::guest::MAX_STATUS_FRAMES;
const MAP_SLOTS: usize = 2;

/// Where table frames, status frames and mappings land (never used as RAM).
static mut TABLE: [TestPage; TABLE_SLOTS] = [const { TestPage::new() }; TABLE_SLOTS];
static mut STATUS: [TestPage; STATUS_SLOTS] = [const { TestPage::new() }; STATUS_SLOTS];
static mut MAPS: [TestPage; MAP_SLOTS] = [const { TestPage::new() }; MAP_SLOTS];
/// The address of page `i` of the pages at `base`.
pub(crate) fn slot(base: u64, i: usize) -> u64 {
    base + (i as u64) * 4096
}

/// This kernel's platform for xen-grant: static slot pages, mapped over.
pub(crate) struct GrantPages<'a, H: Hypercall> {
    hc: &'a H,
    platform: Platform,
    /// Which mapping slots hold a grant now.
    maps_used: Cell<[bool; MAP_SLOTS]>,
}

impl<'a, H: Hypercall> GrantPages<'a, H> {
    /// The pages for `platform`, no mapping slot in use.
    pub(crate) fn new(hc: &'a H, platform: Platform) -> Self {
        Self {
            hc,
            platform,
            maps_used: Cell::new([false; MAP_SLOTS]),
        }
    }

    /// Whether no mapping slot holds a grant.
    pub(crate) fn no_mapping_held(&self) -> bool {
        self.maps_used.get().iter().all(|u| !u)
    }

    /// Maps frame `frame` (PV) or table frame `idx` (PVH) at `va`.
    fn map_at(
        &self,
        va: u64,
        frame: Gfn,
        idx: u64,
        pte: u64,
    ) -> xen_grant::Result<SharedMem<'static>> {
        match self.platform {
            Platform::Pv { .. } => {
                // SAFETY: `va` is a slot page used for nothing else; it now
                // shows a grant-table frame Xen shares with us.
                unsafe {
                    mmu::update_va_mapping(self.hc, va, frame.addr() | pte, UvmFlags::INVLPG)
                }?;
            }
            Platform::Pvh { .. } => {
                // SAFETY: as for PV; the slot's RAM goes away.
                unsafe {
                    memory::add_to_physmap(
                        self.hc,
                        DomId::SELF,
                        MapSpace::GRANT_TABLE,
                        idx,
                        Gfn::containing(va),
                        0,
                    )
                }?;
            }
        }
        Ok(page_mem(va))
    }
}

impl<H: Hypercall> FrameOf for GrantPages<'_, H> {
    fn frame_of(&self, page: &SharedMem<'static>) -> xen_grant::Result<Gfn> {
        let va = page.addr() as u64;
        if self.platform.is_pv() && va < super::memory::PV_BASE {
            return Err(Error::Xen(Errno::EINVAL));
        }
        Ok(Gfn::new_unchecked(frame_of(self.platform, va)))
    }
}

impl<H: Hypercall> TablePages for GrantPages<'_, H> {
    fn map_shared(&mut self, index: u32, frame: Gfn) -> xen_grant::Result<SharedMem<'static>> {
        let i = index as usize;
        if i >= TABLE_SLOTS {
            return Err(Error::Xen(Errno::ENOMEM));
        }
        self.map_at(slot(page_addr!(TABLE), i), frame, u64::from(index), PTE_RW)
    }

    fn map_status(
        &mut self,
        index: u32,
        frame: Gfn,
    ) -> xen_grant::Result<SharedMem<'static, ReadOnly>> {
        let i = index as usize;
        if i >= STATUS_SLOTS {
            return Err(Error::Xen(Errno::ENOMEM));
        }
        let idx = MapSpace::GRANT_TABLE_STATUS_IDX | u64::from(index);
        Ok(self
            .map_at(slot(page_addr!(STATUS), i), frame, idx, PTE_RO)?
            .read_only())
    }

    fn unmap_status(&mut self, index: u32) -> xen_grant::Result<()> {
        if let Platform::Pv { .. } = self.platform {
            let va = slot(page_addr!(STATUS), index as usize);
            let own = frame_of(self.platform, va);
            // SAFETY: the slot page gets its own frame back.
            unsafe { mmu::update_va_mapping(self.hc, va, (own << 12) | PTE_RW, UvmFlags::INVLPG) }?;
        }
        // PVH: Xen takes the status frames out of the physmap itself.
        Ok(())
    }
}

impl<H: Hypercall> ForeignPages for GrantPages<'_, H> {
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
        let va = slot(page_addr!(MAPS), i);
        op.host_addr = va;
        // SAFETY: the slot page is used for nothing else.
        unsafe { gnttab::map_grant_ref(self.hc, core::slice::from_mut(op)) }?;
        op.status.ok().map_err(Error::Status)?;
        used[i] = true;
        self.maps_used.set(used);
        Ok(page_mem(va))
    }

    fn unmap(&self, op: &mut UnmapGrantRef) -> xen_grant::Result<()> {
        // SAFETY: the mapping's handle is gone (xen-grant's `Mapping`
        // borrows end with it).
        unsafe { gnttab::unmap_grant_ref(self.hc, core::slice::from_mut(op)) }?;
        op.status.ok().map_err(Error::Status)?;
        let i = ((op.host_addr - page_addr!(MAPS)) / 4096) as usize;
        let mut used = self.maps_used.get();
        if let Some(u) = used.get_mut(i) {
            *u = false;
        }
        self.maps_used.set(used);
        Ok(())
    }
}

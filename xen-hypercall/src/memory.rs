// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_memory_op`: reservations, the physmap, memory maps and
//! resource mapping (`memory.h`).
//!
//! Frame numbers follow Xen's rule: a PV (untranslated) guest names its
//! pages by machine frame, an HVM/PVH (translated) guest by guest frame.

use xen_abi::memory::{
    op, AddToPhysmap, AddToPhysmapBatch, AddToPhysmapBatchExtra, MapSpace, MemAcquireResource,
    MemFlags, MemoryDomain, MemoryMap, RemoveFromPhysmap, Reservation,
};
use xen_abi::xen::{DomId, Gfn, GuestHandle, HypercallOp, SubOp};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{call, call_null, call_unchecked, no_guest_memory, Errno, Hypercall, Result};

no_guest_memory!(
    MemoryDomain => op::CURRENT_RESERVATION | op::MAXIMUM_RESERVATION | op::MAXIMUM_GPFN,
);

/// Issues one of the three reservation ops over `extents`; returns the
/// number of extents Xen handled.
///
/// # Safety
/// As the public wrappers say for `cmd`.
unsafe fn reservation<const CMD: u32>(
    hc: &impl Hypercall,
    domid: DomId,
    extent_order: u32,
    mem_flags: MemFlags,
    extents: &mut [Gfn],
) -> Result<usize>
where
    Reservation: SubOp<CMD>,
{
    let nr = extents.len() as u64;
    hc.with_buffer(extents.as_mut_bytes(), |list| {
        let mut arg = Reservation::new(
            domid,
            GuestHandle::from_addr(list),
            nr,
            extent_order,
            mem_flags,
        );
        // SAFETY: `list` is where Xen sees the extent array for this call;
        // the caller vouches for what the op does with the frames.
        unsafe { call_unchecked::<CMD, _>(hc, &mut arg) }
    })
}

/// Allocates `extents.len()` extents of `2^extent_order` pages to `domid`
/// (`XENMEM_increase_reservation`); returns how many were allocated.
///
/// For a PV domain Xen writes each extent's first machine frame into
/// `extents`; the frames are not mapped anywhere until the guest maps them.
///
/// # Errors
/// Xen's errno (`EPERM` for another domain without privilege, `EFAULT`).
/// Running out of memory is not an error: the count is just smaller.
#[doc(alias = "XENMEM_increase_reservation")]
pub fn increase_reservation(
    hc: &impl Hypercall,
    domid: DomId,
    extent_order: u32,
    mem_flags: MemFlags,
    extents: &mut [Gfn],
) -> Result<usize> {
    // SAFETY: Xen only writes frame numbers into `extents`; the new pages
    // are not mapped over anything.
    unsafe {
        reservation::<{ op::INCREASE_RESERVATION }>(hc, domid, extent_order, mem_flags, extents)
    }
}

/// Gives the extents starting at the frames in `extents` back to Xen
/// (`XENMEM_decrease_reservation`); returns how many were released.
///
/// # Errors
/// Xen's errno. A frame Xen refuses stops the batch: the count is smaller.
///
/// # Safety
/// The frames (machine frames for PV, guest frames for HVM/PVH) must be
/// memory the caller no longer uses, through any mapping: they are freed.
/// A PV caller must unmap them first and fix its P2M.
#[doc(alias = "XENMEM_decrease_reservation")]
pub unsafe fn decrease_reservation(
    hc: &impl Hypercall,
    domid: DomId,
    extent_order: u32,
    extents: &mut [Gfn],
) -> Result<usize> {
    // SAFETY: the caller gives the frames up.
    unsafe {
        reservation::<{ op::DECREASE_RESERVATION }>(
            hc,
            domid,
            extent_order,
            MemFlags::empty(),
            extents,
        )
    }
}

/// Populates the guest frames in `extents` with new memory
/// (`XENMEM_populate_physmap`); returns how many extents were populated.
///
/// A PV caller gets the machine frame of each extent written back over the
/// guest frame it asked for (and must update its P2M and map it).
///
/// # Errors
/// Xen's errno. Running out of memory shortens the count.
///
/// # Safety
/// For HVM/PVH, each guest frame must not hold memory the caller still
/// uses (a populated frame may be replaced).
#[doc(alias = "XENMEM_populate_physmap")]
pub unsafe fn populate_physmap(
    hc: &impl Hypercall,
    domid: DomId,
    extent_order: u32,
    mem_flags: MemFlags,
    extents: &mut [Gfn],
) -> Result<usize> {
    // SAFETY: the caller vouches for the guest frames.
    unsafe { reservation::<{ op::POPULATE_PHYSMAP }>(hc, domid, extent_order, mem_flags, extents) }
}

/// The highest machine frame number plus one
/// (`XENMEM_maximum_ram_page`).
///
/// # Errors
/// Xen's errno.
#[doc(alias = "XENMEM_maximum_ram_page")]
pub fn maximum_ram_page(hc: &impl Hypercall) -> Result<u64> {
    // SAFETY: XENMEM_maximum_ram_page takes no argument and touches no
    // memory.
    unsafe { call_null(hc, HypercallOp::MEMORY_OP, op::MAXIMUM_RAM_PAGE) }.map(|n| n as u64)
}

/// `domid`'s current reservation, in pages (`XENMEM_current_reservation`).
///
/// # Errors
/// Xen's errno (`ESRCH`, `EPERM`).
#[doc(alias = "XENMEM_current_reservation")]
pub fn current_reservation(hc: &impl Hypercall, domid: DomId) -> Result<u64> {
    call::<{ op::CURRENT_RESERVATION }, _>(hc, &mut MemoryDomain { domid }).map(|n| n as u64)
}

/// `domid`'s maximum reservation, in pages (`XENMEM_maximum_reservation`).
///
/// # Errors
/// Xen's errno (`ESRCH`, `EPERM`).
#[doc(alias = "XENMEM_maximum_reservation")]
pub fn maximum_reservation(hc: &impl Hypercall, domid: DomId) -> Result<u64> {
    call::<{ op::MAXIMUM_RESERVATION }, _>(hc, &mut MemoryDomain { domid }).map(|n| n as u64)
}

/// The highest guest frame `domid` has (`XENMEM_maximum_gpfn`).
///
/// # Errors
/// Xen's errno (`ESRCH`, `EPERM`).
#[doc(alias = "XENMEM_maximum_gpfn")]
pub fn maximum_gpfn(hc: &impl Hypercall, domid: DomId) -> Result<u64> {
    call::<{ op::MAXIMUM_GPFN }, _>(hc, &mut MemoryDomain { domid }).map(|n| n as u64)
}

/// An E820 memory-map entry as `XENMEM_memory_map` writes it: 20 bytes,
/// packed.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C, packed)]
#[doc(alias = "e820entry")]
pub struct E820Entry {
    /// First byte of the range.
    pub addr: u64,
    /// Length in bytes.
    pub size: u64,
    /// The range's type (1 RAM, 2 reserved, 3 ACPI, 4 NVS, 5 unusable, ...,
    /// as in `xen_abi::hvm::start_info::memmap_type`).
    pub kind: u32,
}
const _: () = assert!(core::mem::size_of::<E820Entry>() == 20);

impl E820Entry {
    /// The E820 type of usable RAM.
    pub const RAM: u32 = 1;

    /// The end of the range (exclusive), saturating.
    pub const fn end(&self) -> u64 {
        self.addr.saturating_add(self.size)
    }
}

fn read_map<const CMD: u32>(hc: &impl Hypercall, entries: &mut [E820Entry]) -> Result<usize>
where
    MemoryMap: SubOp<CMD>,
{
    let nr = u32::try_from(entries.len()).map_err(|_| Errno::EINVAL)?;
    hc.with_buffer(entries.as_mut_bytes(), |buf| {
        let mut arg = MemoryMap {
            nr_entries: nr,
            _pad0: [0; 4],
            buffer: GuestHandle::from_addr(buf),
        };
        // SAFETY: Xen writes at most `nr_entries` entries at `buf`, which
        // `with_buffer` made visible for this call.
        unsafe { call_unchecked::<CMD, _>(hc, &mut arg) }?;
        Ok(arg.nr_entries as usize)
    })
}

/// Reads the calling domain's pseudo-physical memory map into `entries`;
/// returns the number of entries written (`XENMEM_memory_map`).
///
/// # Errors
/// Xen's errno (`ENOSYS` where the domain has no map of its own).
#[doc(alias = "XENMEM_memory_map")]
pub fn memory_map(hc: &impl Hypercall, entries: &mut [E820Entry]) -> Result<usize> {
    read_map::<{ op::MEMORY_MAP }>(hc, entries)
}

/// Reads the host's machine memory map into `entries`; returns the number
/// of entries written (`XENMEM_machine_memory_map`, privileged).
///
/// # Errors
/// Xen's errno (`EPERM` without privilege).
#[doc(alias = "XENMEM_machine_memory_map")]
pub fn machine_memory_map(hc: &impl Hypercall, entries: &mut [E820Entry]) -> Result<usize> {
    read_map::<{ op::MACHINE_MEMORY_MAP }>(hc, entries)
}

/// Maps a page of `space` at guest frame `gpfn` of
/// `domid`'s physmap (`XENMEM_add_to_physmap`, translated guests).
///
/// `size` counts pages for [`MapSpace::GMFN_RANGE`] and is ignored
/// otherwise.
///
/// # Errors
/// Xen's errno (`EINVAL` for an unknown space or index, `EACCES`/`ENOSYS`
/// for a PV guest, `EPERM`).
///
/// # Safety
/// Whatever was at `gpfn` is replaced: the caller must not be using that
/// frame.
#[doc(alias = "XENMEM_add_to_physmap")]
pub unsafe fn add_to_physmap(
    hc: &impl Hypercall,
    domid: DomId,
    space: MapSpace,
    idx: u64,
    gpfn: Gfn,
    size: u16,
) -> Result<()> {
    let mut arg = AddToPhysmap {
        domid,
        size,
        space,
        idx,
        gpfn,
    };
    // SAFETY: the caller gives up `gpfn`.
    unsafe { call_unchecked(hc, &mut arg) }.map(drop)
}

/// Maps `idxs.len()` pages of `space` at the guest frames in `gpfns`, with
/// a per-page error code in `errs` (`XENMEM_add_to_physmap_batch`).
///
/// `foreign` is the other domain for [`MapSpace::GMFN_FOREIGN`] (pass
/// `None` for every other space).
///
/// # Errors
/// Xen's errno for the whole call; `EINVAL` (without a hypercall) when the
/// three slices differ in length or are too long, or `space` does not fit
/// the batch's 16-bit field. Per-page failures are
/// negative errnos in `errs`.
///
/// # Safety
/// As [`add_to_physmap`], for every frame in `gpfns`.
#[doc(alias = "XENMEM_add_to_physmap_batch")]
pub unsafe fn add_to_physmap_batch(
    hc: &impl Hypercall,
    domid: DomId,
    space: MapSpace,
    foreign: Option<DomId>,
    idxs: &mut [u64],
    gpfns: &mut [Gfn],
    errs: &mut [i32],
) -> Result<()> {
    if idxs.len() != gpfns.len() || idxs.len() != errs.len() {
        return Err(Errno::EINVAL);
    }
    let size = u16::try_from(idxs.len()).map_err(|_| Errno::EINVAL)?;
    let space = u16::try_from(space.get()).map_err(|_| Errno::EINVAL)?;
    let u = foreign.map_or(
        AddToPhysmapBatchExtra::default(),
        AddToPhysmapBatchExtra::foreign,
    );
    hc.with_buffer(idxs.as_mut_bytes(), |idxs| {
        hc.with_buffer(gpfns.as_mut_bytes(), |gpfns| {
            hc.with_buffer(errs.as_mut_bytes(), |errs| {
                let mut arg = AddToPhysmapBatch {
                    domid,
                    space,
                    size,
                    u,
                    idxs: GuestHandle::from_addr(idxs),
                    gpfns: GuestHandle::from_addr(gpfns),
                    errs: GuestHandle::from_addr(errs),
                };
                // SAFETY: the three arrays are visible to Xen at these
                // addresses for this call; the caller gives up the frames.
                unsafe { call_unchecked(hc, &mut arg) }.map(drop)
            })
        })
    })
}

/// Removes guest frame `gpfn` from `domid`'s physmap
/// (`XENMEM_remove_from_physmap`, translated guests).
///
/// # Errors
/// Xen's errno.
///
/// # Safety
/// Nothing may use the frame afterwards: the memory behind it goes away.
#[doc(alias = "XENMEM_remove_from_physmap")]
pub unsafe fn remove_from_physmap(hc: &impl Hypercall, domid: DomId, gpfn: Gfn) -> Result<()> {
    let mut arg = RemoveFromPhysmap::new(domid, gpfn);
    // SAFETY: the caller gives up `gpfn`.
    unsafe { call_unchecked(hc, &mut arg) }.map(drop)
}

/// A resource of another domain, for [`acquire_resource`] and
/// [`resource_size`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// The domain that owns it.
    pub domid: DomId,
    /// The resource type (`xen_abi::memory::resource::GRANT_TABLE`, ...).
    pub kind: u16,
    /// The type-specific id.
    pub id: u32,
}

/// The number of frames `res` has (`XENMEM_acquire_resource` with no frame
/// list).
///
/// # Errors
/// Xen's errno (`EPERM` for the caller's own domain, `ESRCH`, `EINVAL` for
/// an unknown type or id, `EOPNOTSUPP`).
#[doc(alias = "XENMEM_acquire_resource")]
pub fn resource_size(hc: &impl Hypercall, res: Resource) -> Result<u32> {
    let mut arg = MemAcquireResource {
        domid: res.domid,
        kind: res.kind,
        id: res.id,
        ..MemAcquireResource::default()
    };
    // SAFETY: a null frame list: Xen only writes `nr_frames`.
    unsafe { call_unchecked(hc, &mut arg) }?;
    Ok(arg.nr_frames)
}

/// Maps `frames.len()` frames of `res`, starting at frame `first`
/// (`XENMEM_acquire_resource`); returns the number of frames Xen handled.
///
/// An HVM/PVH caller passes the guest frames to map them at; a PV caller
/// gets the machine frames written into `frames` (to map with
/// `mmu_update`).
///
/// # Errors
/// Xen's errno (see [`resource_size`]; `E2BIG` for too many frames).
///
/// # Safety
/// For HVM/PVH, every guest frame in `frames` is replaced: the caller must
/// not be using them.
#[doc(alias = "XENMEM_acquire_resource")]
pub unsafe fn acquire_resource(
    hc: &impl Hypercall,
    res: Resource,
    first: u64,
    frames: &mut [Gfn],
) -> Result<u32> {
    let nr = u32::try_from(frames.len()).map_err(|_| Errno::EINVAL)?;
    hc.with_buffer(frames.as_mut_bytes(), |list| {
        let mut arg = MemAcquireResource {
            domid: res.domid,
            kind: res.kind,
            id: res.id,
            nr_frames: nr,
            pad: 0,
            frame: first,
            frame_list: GuestHandle::from_addr(list),
        };
        // SAFETY: the frame list is visible to Xen at `list`; the caller
        // gives up the guest frames named in it.
        unsafe { call_unchecked(hc, &mut arg) }?;
        Ok(arg.nr_frames)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;

    #[test]
    fn reservation_encodes_extent_array() {
        let fake = Fake::new(2);
        let mut extents = [Gfn::new_unchecked(0x10), Gfn::new_unchecked(0x11)];
        // SAFETY: the fake backend touches no memory.
        let n = unsafe { populate_physmap(&fake, DomId::SELF, 0, MemFlags::empty(), &mut extents) }
            .unwrap();
        assert_eq!(n, 2);
        let call = fake.last();
        assert_eq!((call.op, call.args[0]), (12, 6));
        assert_eq!(call.args[1], call.addrs[1]);
        assert_eq!(call.buffers[0], extents.as_bytes());
        let r = Reservation::read_from_bytes(&call.buffers[1]).unwrap();
        assert_eq!(r.extent_start.addr(), call.addrs[0]);
        assert_eq!((r.nr_extents, r.extent_order), (2, 0));
        assert_eq!(r.domid, DomId::SELF);
    }

    #[test]
    fn queries() {
        let fake = Fake::new(0x4_0000);
        assert_eq!(maximum_ram_page(&fake), Ok(0x4_0000));
        assert_eq!(fake.last().args, [2, 0, 0, 0, 0]);
        assert!(fake.last().buffers.is_empty());
        assert_eq!(current_reservation(&fake, DomId::SELF), Ok(0x4_0000));
        assert_eq!(fake.last().buffers[0], 0x7ff0u16.to_ne_bytes());
        fake.set_ret(-1);
        assert_eq!(maximum_gpfn(&fake, DomId::DOM0), Err(Errno::EPERM));
        assert_eq!(fake.last().args[0], 14);
    }

    #[test]
    fn memory_map_reads_count_back() {
        let fake = Fake::new(0);
        // Xen rewrites nr_entries in the struct (the innermost buffer); the
        // reply writes the outermost one, the entry array.
        fake.reply(|buf| buf[16..20].copy_from_slice(&1u32.to_ne_bytes()));
        let mut map = [E820Entry::default(); 4];
        let n = memory_map(&fake, &mut map).unwrap();
        assert_eq!(n, 4, "count comes from the struct, which Xen left alone");
        assert_eq!({ map[0].kind }, 1);
        let call = fake.last();
        assert_eq!(&call.buffers[1][..4], &4u32.to_ne_bytes());
        assert_eq!(&call.buffers[1][8..16], &call.addrs[0].to_ne_bytes());
        assert_eq!(call.buffers[0].len(), 80);
    }

    #[test]
    fn batch_checks_lengths_and_nests_three_buffers() {
        let fake = Fake::new(0);
        let (mut i, mut g, mut e) = (
            [1u64, 2],
            [Gfn::new_unchecked(3), Gfn::new_unchecked(4)],
            [0i32; 1],
        );
        // SAFETY: the fake backend touches no memory.
        let r = unsafe {
            add_to_physmap_batch(
                &fake,
                DomId::SELF,
                MapSpace::GMFN,
                None,
                &mut i,
                &mut g,
                &mut e,
            )
        };
        assert_eq!(r, Err(Errno::EINVAL));
        assert!(fake.calls().is_empty());
        let mut e = [0i32; 2];
        // SAFETY: as above.
        unsafe {
            add_to_physmap_batch(
                &fake,
                DomId::SELF,
                MapSpace::GMFN_FOREIGN,
                Some(DomId::DOM0),
                &mut i,
                &mut g,
                &mut e,
            )
        }
        .unwrap();
        let call = fake.last();
        let arg = AddToPhysmapBatch::read_from_bytes(&call.buffers[3]).unwrap();
        assert_eq!((arg.space, arg.size, arg.u.raw), (4, 2, 0));
        assert_eq!(arg.idxs.addr(), call.addrs[0]);
        assert_eq!(arg.gpfns.addr(), call.addrs[1]);
        assert_eq!(arg.errs.addr(), call.addrs[2]);
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_grant_table_op`: grant tables (`grant_table.h`).
//!
//! The hypercall takes a sub-op, an array of argument structs and their
//! count. Xen reports two kinds of failure: the hypercall itself fails with
//! an errno (bad sub-op, unreadable argument array, ...), or it succeeds and
//! each argument struct carries its own `status` ([`GrantStatus`]).
//!
//! The batch operations ([`map_grant_ref`], [`copy`], ...) take a slice and
//! leave each element's status for the caller to read. The operations on one
//! struct ([`query_size`], [`setup_table`], ...) fold the status into
//! [`GrantError`].

use core::fmt;

use xen_abi::grant_table::{
    op, CacheFlush, DumpTable, GetStatusFrames, GetVersion, GrantCopy, GrantStatus, MapGrantRef,
    QuerySize, SetVersion, SetupTable, SwapGrantRef, Transfer, UnmapAndReplace, UnmapGrantRef,
};
use xen_abi::xen::{DomId, Gfn, GuestHandle};
use zerocopy::IntoBytes;

use crate::{call, call_array, call_unchecked, no_guest_memory, Errno, Hypercall, Result};

/// Why a single-struct grant-table operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrantError {
    /// The hypercall failed with this errno.
    Errno(Errno),
    /// The hypercall succeeded; the operation's `status` says this.
    Status(GrantStatus),
}

impl From<Errno> for GrantError {
    fn from(e: Errno) -> Self {
        Self::Errno(e)
    }
}

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Errno(e) => write!(f, "grant_table_op failed: {e}"),
            Self::Status(s) => write!(f, "grant operation failed: {s}"),
        }
    }
}

no_guest_memory!(
    DumpTable => op::DUMP_TABLE,
    QuerySize => op::QUERY_SIZE,
    SetVersion => op::SET_VERSION,
    GetVersion => op::GET_VERSION,
);

/// `Ok(())` for an OK status, the status as an error otherwise.
fn status(s: GrantStatus) -> core::result::Result<(), GrantError> {
    s.ok().map_err(GrantError::Status)
}

/// Maps grants of other domains (or our own) (`GNTTABOP_map_grant_ref`).
///
/// Each element's `status` says whether that mapping was made; its `handle`
/// is what [`unmap_grant_ref`] needs.
///
/// # Errors
/// Xen's errno when the hypercall itself fails; per-element failures are in
/// each `status` (e.g. [`GrantStatus::BAD_GNTREF`]).
///
/// # Safety
/// Each `host_addr` (a virtual address for PV, a guest-physical address for
/// HVM/PVH, or a PTE's machine address with `GNTMAP_contains_pte`) must be a
/// place whose current contents the caller gives up: Xen replaces whatever
/// is mapped there.
#[doc(alias = "GNTTABOP_map_grant_ref")]
pub unsafe fn map_grant_ref(hc: &impl Hypercall, ops: &mut [MapGrantRef]) -> Result<()> {
    // SAFETY: the caller vouches for every `host_addr`.
    unsafe { call_array(hc, ops) }.map(drop)
}

/// Undoes mappings made by [`map_grant_ref`] (`GNTTABOP_unmap_grant_ref`).
///
/// # Errors
/// Xen's errno; per-element failures are in each `status`.
///
/// # Safety
/// Nothing may use the memory at the unmapped addresses afterwards (a PV
/// address becomes unmapped; a PVH guest-physical frame becomes empty).
#[doc(alias = "GNTTABOP_unmap_grant_ref")]
pub unsafe fn unmap_grant_ref(hc: &impl Hypercall, ops: &mut [UnmapGrantRef]) -> Result<()> {
    // SAFETY: the caller vouches that nothing uses the unmapped memory.
    unsafe { call_array(hc, ops) }.map(drop)
}

/// Unmaps grants and moves another mapping in their place
/// (`GNTTABOP_unmap_and_replace`, PV only).
///
/// # Errors
/// Xen's errno; per-element failures are in each `status`.
///
/// # Safety
/// As [`unmap_grant_ref`], and each `new_addr` mapping is removed: nothing
/// may use memory through it afterwards.
#[doc(alias = "GNTTABOP_unmap_and_replace")]
pub unsafe fn unmap_and_replace(hc: &impl Hypercall, ops: &mut [UnmapAndReplace]) -> Result<()> {
    // SAFETY: the caller vouches for both addresses of every element.
    unsafe { call_array(hc, ops) }.map(drop)
}

/// Gets the frames of `dom`'s grant table, growing it to `frames.len()`
/// frames if needed (`GNTTABOP_setup_table`).
///
/// Xen writes one frame number per element: machine frames for a PV caller;
/// for an HVM/PVH caller, the guest frame where each table frame is mapped
/// (`INVALID` until it is mapped with `XENMAPSPACE_grant_table`).
///
/// # Errors
/// [`GrantError::Errno`] when the hypercall fails, [`GrantError::Status`]
/// with Xen's status otherwise (e.g. more frames than the table may have).
#[doc(alias = "GNTTABOP_setup_table")]
pub fn setup_table(
    hc: &impl Hypercall,
    dom: DomId,
    frames: &mut [Gfn],
) -> core::result::Result<(), GrantError> {
    let mut arg = SetupTable {
        dom,
        nr_frames: u32::try_from(frames.len()).map_err(|_| Errno::EINVAL)?,
        ..SetupTable::default()
    };
    hc.with_buffer(frames.as_mut_bytes(), |list| {
        arg.frame_list = GuestHandle::from_addr(list);
        // SAFETY: Xen writes at most `nr_frames` frame numbers at `list`,
        // which `with_buffer` made visible for this call.
        unsafe { call_unchecked(hc, &mut arg) }
    })?;
    status(arg.status)
}

/// Asks Xen to print `dom`'s grant table on its console
/// (`GNTTABOP_dump_table`).
///
/// # Errors
/// [`GrantError::Errno`] when the hypercall fails, [`GrantError::Status`]
/// otherwise (e.g. [`GrantStatus::BAD_DOMAIN`]).
#[doc(alias = "GNTTABOP_dump_table")]
pub fn dump_table(hc: &impl Hypercall, dom: DomId) -> core::result::Result<(), GrantError> {
    let mut arg = DumpTable {
        dom,
        status: GrantStatus::OKAY,
    };
    call(hc, &mut arg)?;
    status(arg.status)
}

/// Gives pages to other domains' accept-transfer grants
/// (`GNTTABOP_transfer`).
///
/// # Errors
/// Xen's errno; per-element failures are in each `status`.
///
/// # Safety
/// Each `mfn` must be a frame the caller owns, is no longer mapped and
/// never uses again: on success it belongs to the other domain.
#[doc(alias = "GNTTABOP_transfer")]
pub unsafe fn transfer(hc: &impl Hypercall, ops: &mut [Transfer]) -> Result<()> {
    // SAFETY: the caller gives the frames away.
    unsafe { call_array(hc, ops) }.map(drop)
}

/// Copies bytes between grants and local frames (`GNTTABOP_copy`).
///
/// # Errors
/// Xen's errno; per-element failures are in each `status` (e.g.
/// [`GrantStatus::BAD_GNTREF`], [`GrantStatus::BAD_COPY_ARG`]).
///
/// # Safety
/// A destination that is a local frame (no `GNTCOPY_dest_gref`) is written
/// without any check: the caller must own those bytes, with nothing holding
/// references into them.
#[doc(alias = "GNTTABOP_copy")]
pub unsafe fn copy(hc: &impl Hypercall, ops: &mut [GrantCopy]) -> Result<()> {
    // SAFETY: the caller vouches for every local destination.
    unsafe { call_array(hc, ops) }.map(drop)
}

/// Current and maximum size of a grant table, in frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSize {
    /// Frames in use now.
    pub nr_frames: u32,
    /// Frames the table may grow to.
    pub max_nr_frames: u32,
}

/// The size of `dom`'s grant table (`GNTTABOP_query_size`).
///
/// # Errors
/// [`GrantError::Errno`] when the hypercall fails, [`GrantError::Status`]
/// otherwise (e.g. [`GrantStatus::BAD_DOMAIN`]).
#[doc(alias = "GNTTABOP_query_size")]
pub fn query_size(hc: &impl Hypercall, dom: DomId) -> core::result::Result<TableSize, GrantError> {
    let mut arg = QuerySize {
        dom,
        ..QuerySize::default()
    };
    call(hc, &mut arg)?;
    status(arg.status)?;
    Ok(TableSize {
        nr_frames: arg.nr_frames,
        max_nr_frames: arg.max_nr_frames,
    })
}

/// Switches the calling domain's grant table to `version` (1 or 2) and
/// returns the version in use (`GNTTABOP_set_version`); version 0 only
/// queries.
///
/// A PVH/HVM guest's mapped status frames disappear from its physmap when
/// it goes back to version 1.
///
/// # Errors
/// Xen's errno (`EINVAL` for an unknown version, `EBUSY` while grants other
/// than the reserved ones are in use, `ENOSYS`/`EOPNOTSUPP` where v2 is
/// disabled).
#[doc(alias = "GNTTABOP_set_version")]
pub fn set_version(hc: &impl Hypercall, version: u32) -> Result<u32> {
    let mut arg = SetVersion { version };
    call(hc, &mut arg)?;
    Ok(arg.version)
}

/// The grant-table version `dom` uses (`GNTTABOP_get_version`).
///
/// # Errors
/// Xen's errno (`ESRCH` for an unknown domain, `EPERM` for one the caller
/// may not inspect).
#[doc(alias = "GNTTABOP_get_version")]
pub fn get_version(hc: &impl Hypercall, dom: DomId) -> Result<u32> {
    let mut arg = GetVersion {
        dom,
        ..GetVersion::default()
    };
    call(hc, &mut arg)?;
    Ok(arg.version)
}

/// The frames of `dom`'s v2 status array, one per element of `frames`
/// (`GNTTABOP_get_status_frames`).
///
/// # Errors
/// [`GrantError::Errno`] when the hypercall fails, [`GrantError::Status`]
/// otherwise (e.g. when the table is not at version 2).
#[doc(alias = "GNTTABOP_get_status_frames")]
pub fn get_status_frames(
    hc: &impl Hypercall,
    dom: DomId,
    frames: &mut [u64],
) -> core::result::Result<(), GrantError> {
    let mut arg = GetStatusFrames {
        nr_frames: u32::try_from(frames.len()).map_err(|_| Errno::EINVAL)?,
        dom,
        ..GetStatusFrames::default()
    };
    hc.with_buffer(frames.as_mut_bytes(), |list| {
        arg.frame_list = GuestHandle::from_addr(list);
        // SAFETY: Xen writes at most `nr_frames` frame numbers at `list`,
        // which `with_buffer` made visible for this call.
        unsafe { call_unchecked(hc, &mut arg) }
    })?;
    status(arg.status)
}

/// Atomically swaps pairs of entries of the caller's grant table
/// (`GNTTABOP_swap_grant_ref`).
///
/// # Errors
/// Xen's errno; per-element failures are in each `status` (an entry in use
/// cannot be swapped).
#[doc(alias = "GNTTABOP_swap_grant_ref")]
pub fn swap_grant_ref(hc: &impl Hypercall, ops: &mut [SwapGrantRef]) -> Result<()> {
    // SAFETY: the arguments hold only grant references of our own table.
    unsafe { call_array(hc, ops) }.map(drop)
}

/// Cleans or invalidates the data cache over granted memory
/// (`GNTTABOP_cache_flush`, Arm).
///
/// # Errors
/// Xen's errno (`EOPNOTSUPP`/`ENOSYS` where there is nothing to do).
///
/// # Safety
/// An invalidate discards data not yet written back: the caller must own
/// the bytes and accept that.
#[doc(alias = "GNTTABOP_cache_flush")]
pub unsafe fn cache_flush(hc: &impl Hypercall, ops: &mut [CacheFlush]) -> Result<()> {
    // SAFETY: the caller accepts the effect on the named memory.
    unsafe { call_array(hc, ops) }.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;
    use xen_abi::grant_table::{op, GntMapFlags, GrantRef};

    #[test]
    fn map_batch_encodes_cmd_count_and_array() {
        let fake = Fake::new(0);
        let mut ops = [MapGrantRef::default(); 3];
        ops[1].gref = GrantRef::new_unchecked(7);
        ops[1].flags = GntMapFlags::HOST_MAP;
        // SAFETY: the fake backend touches no memory.
        unsafe { map_grant_ref(&fake, &mut ops) }.unwrap();
        let call = fake.last();
        assert_eq!(call.op, 20);
        assert_eq!(call.args[0], u64::from(op::MAP_GRANT_REF));
        assert_eq!(call.args[2], 3);
        assert_eq!(call.buffers[0].len(), 96);
        assert_eq!(&call.buffers[0][32 + 12..32 + 16], &7u32.to_ne_bytes());
    }

    #[test]
    fn query_size_reads_reply_and_status() {
        let fake = Fake::new(0);
        // nr_frames = 4, max = 64, status OK.
        fake.reply(|buf| {
            buf[4..8].copy_from_slice(&4u32.to_ne_bytes());
            buf[8..12].copy_from_slice(&64u32.to_ne_bytes());
        });
        let size = query_size(&fake, DomId::SELF).unwrap();
        assert_eq!((size.nr_frames, size.max_nr_frames), (4, 64));
        assert_eq!(fake.last().args[0], u64::from(op::QUERY_SIZE));
        assert_eq!(fake.last().args[2], 1);
        fake.reply(|buf| buf[12..14].copy_from_slice(&(-2i16).to_ne_bytes()));
        assert_eq!(
            query_size(&fake, DomId::DOM0),
            Err(GrantError::Status(GrantStatus::BAD_DOMAIN))
        );
        assert_eq!(&fake.last().buffers[0][0..2], &[0, 0]);
    }

    #[test]
    fn setup_table_points_at_frame_list() {
        let fake = Fake::new(0);
        fake.reply(|buf| buf[..8].copy_from_slice(&0x1234u64.to_ne_bytes()));
        let mut frames = [Gfn::default(); 2];
        setup_table(&fake, DomId::SELF, &mut frames).unwrap();
        // Inner buffer (the frame list) first, then the struct naming it.
        let call = fake.last();
        assert_eq!(call.buffers.len(), 2);
        assert_eq!(frames[0].get(), 0x1234);
        let arg = &call.buffers[1];
        assert_eq!(&arg[4..8], &2u32.to_ne_bytes());
        assert_eq!(&arg[16..24], &call.addrs[0].to_ne_bytes());
    }

    #[test]
    fn errno_is_not_a_status() {
        let fake = Fake::new(-38);
        assert_eq!(get_version(&fake, DomId::SELF), Err(Errno::ENOSYS));
        assert_eq!(
            dump_table(&fake, DomId::SELF),
            Err(GrantError::Errno(Errno::ENOSYS))
        );
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `/dev/xen/gntdev`: mapping and copying another domain's grants.

use core::ops::RangeBounds;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::vec::Vec;

use xen_abi::grant_table::{GrantRef, GrantStatus};
use xen_abi::io::shm::{ReadOnly, SharedMem};
use xen_abi::DomId;

use super::reply;
use super::sys::{self, CopySegment, Region, PAGE_SIZE};
use super::{device_error, open_device, pages_to_len, Access, GrantAddr, UnmapNotify, GNTDEV_PATH};
use crate::{Error, Result};

/// An open `/dev/xen/gntdev`: maps and copies grants of other domains.
#[derive(Debug)]
pub struct Gntdev {
    file: File,
    path: PathBuf,
}

impl Gntdev {
    /// Opens `/dev/xen/gntdev`.
    ///
    /// # Errors
    /// [`Error::Device`] naming the device and the fix (`modprobe
    /// xen-gntdev`, run as root).
    pub fn open() -> Result<Self> {
        Self::open_path(Path::new(GNTDEV_PATH))
    }

    /// Opens the gntdev device at another path.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_path(path: &Path) -> Result<Self> {
        Ok(Self {
            file: open_device(path)?,
            path: path.to_path_buf(),
        })
    }

    /// The device node this was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Maps the pages `refs` granted by `domid`, contiguously and in order.
    /// `access` must not exceed what the grants allow.
    ///
    /// # Errors
    /// [`Error::MapRefused`] if Xen refuses a grant (a ref never granted, a
    /// wrong domid, a revoked grant; nothing stays mapped);
    /// [`Error::InvalidRequest`] for no refs; [`Error::Device`] if the
    /// kernel refuses the reservation (`ENOMEM`/`ENOSPC`: gntdev's limit)
    /// or answers an mmap offset that cannot be used (not page-aligned, or
    /// too large for the mapping: `ErrorKind::InvalidData`).
    #[doc(alias = "IOCTL_GNTDEV_MAP_GRANT_REF")]
    #[doc(alias = "xengnttab_map_domain_grant_refs")]
    pub fn map(&self, domid: DomId, refs: &[GrantRef], access: Access) -> Result<GrantMapping<'_>> {
        let len = pages_to_len(refs.len())?;
        let count =
            u32::try_from(refs.len()).map_err(|_| Error::InvalidRequest("too many refs"))?;
        let raw: Vec<u32> = refs.iter().map(|r| r.get()).collect();
        let call = "ioctl(IOCTL_GNTDEV_MAP_GRANT_REF)";
        let header = sys::gntdev_map(&self.file, u32::from(domid.get()), &raw)
            .map_err(|e| device_error(&self.path, call, e))?;
        let range = reply::gntdev_map(header, count).map_err(|bad| {
            // Release what the kernel reserved, if it is where it says
            // (the kernel checks); it goes with the file otherwise.
            let _ = sys::gntdev_unmap(&self.file, reply::join_u64(header[2], header[3]), count);
            device_error(&self.path, call, bad.into())
        })?;
        debug_assert_eq!(range.len, len);
        let index = range.offset;
        match Region::map(&self.file, range.len, access == Access::ReadWrite, index) {
            Ok(region) => Ok(GrantMapping {
                dev: self,
                region,
                index,
                count,
                domid,
                access,
            }),
            Err(source) => {
                // Release the reservation: nothing maps it.
                let _ = sys::gntdev_unmap(&self.file, index, count);
                if source.raw_os_error() != Some(libc::EINVAL) {
                    return Err(device_error(&self.path, "mmap", source));
                }
                let (gref, status) = self.probe(domid, refs);
                Err(Error::MapRefused {
                    domid,
                    gref,
                    status,
                    source,
                })
            }
        }
    }

    /// Why a map failed, as far as Xen tells a one-byte copy: the first
    /// ref whose copy fails, or the first ref with [`GrantStatus::OKAY`].
    fn probe(&self, domid: DomId, refs: &[GrantRef]) -> (GrantRef, GrantStatus) {
        for &gref in refs {
            let mut byte = [0u8; 1];
            let mut seg = [CopySegment::from_grant(
                GrantAddr::new(domid, gref),
                &mut byte,
            )];
            if sys::gntdev_copy(&self.file, &mut seg).is_ok() && !seg[0].status().is_okay() {
                return (gref, seg[0].status());
            }
        }
        (refs[0], GrantStatus::OKAY)
    }

    /// Copies through grants without mapping them (`GNTTABOP_copy`), one
    /// ioctl for the whole batch (the kernel issues it to Xen in chunks).
    /// Every segment's [`status`](CopySegment::status) is filled in.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before any copy if a segment exceeds a
    /// page or crosses the end of a granted page;
    /// [`Error::CopyFailed`] naming the first segment Xen refused (the
    /// others ran; see their statuses); [`Error::Device`] if the kernel
    /// refuses the batch, or (`ErrorKind::InvalidData`) answers a status
    /// outside Xen's `GNTST_*` range.
    #[doc(alias = "IOCTL_GNTDEV_GRANT_COPY")]
    #[doc(alias = "xengnttab_grant_copy")]
    pub fn copy(&self, segments: &mut [CopySegment<'_>]) -> Result<()> {
        for s in segments.iter_mut() {
            let (src, dst, len) = s.grant_spans();
            if usize::from(len) > PAGE_SIZE {
                return Err(Error::InvalidRequest("a copy segment longer than a page"));
            }
            let crosses = |off: Option<u16>| {
                off.is_some_and(|o| usize::from(o) + usize::from(len) > PAGE_SIZE)
            };
            if crosses(src) || crosses(dst) {
                return Err(Error::InvalidRequest(
                    "a copy segment crossing the end of a granted page",
                ));
            }
            s.reset_status();
        }
        sys::gntdev_copy(&self.file, segments)
            .map_err(|e| device_error(&self.path, "ioctl(IOCTL_GNTDEV_GRANT_COPY)", e))?;
        match reply::copy_statuses(segments.iter().map(CopySegment::status)) {
            Ok(None) => Ok(()),
            Ok(Some((segment, status))) => Err(Error::CopyFailed { segment, status }),
            Err(bad) => Err(device_error(
                &self.path,
                "ioctl(IOCTL_GNTDEV_GRANT_COPY)",
                bad.into(),
            )),
        }
    }

    /// Limits how many grants this file may map at once. Linux 4.13 and
    /// later have no per-file limit (only the module's `limit`) and no such
    /// ioctl: there this succeeds and changes nothing, as libxengnttab does.
    ///
    /// # Errors
    /// [`Error::Device`] if an older kernel refuses the value.
    #[doc(alias = "IOCTL_GNTDEV_SET_MAX_GRANTS")]
    #[doc(alias = "xengnttab_set_max_grants")]
    pub fn set_max_grants(&self, count: u32) -> Result<()> {
        match sys::gntdev_set_max_grants(&self.file, count) {
            Err(e) if e.raw_os_error() == Some(libc::ENOTTY) => Ok(()),
            r => r.map_err(|e| device_error(&self.path, "ioctl(IOCTL_GNTDEV_SET_MAX_GRANTS)", e)),
        }
    }
}

/// Another domain's grants mapped here. Dropping it unmaps the pages
/// (`munmap`) and then releases the grants
/// (`IOCTL_GNTDEV_UNMAP_GRANT_REF`), firing any [`UnmapNotify`].
///
/// The granting domain may write the pages at any time, so they are reached
/// only through [`SharedMem`] handles that borrow this value, never as
/// `&[u8]`.
#[derive(Debug)]
pub struct GrantMapping<'d> {
    dev: &'d Gntdev,
    region: Region,
    index: u64,
    count: u32,
    domid: DomId,
    access: Access,
}

impl GrantMapping<'_> {
    /// The granting domain.
    pub fn domid(&self) -> DomId {
        self.domid
    }

    /// How the pages are mapped.
    pub fn access(&self) -> Access {
        self.access
    }

    /// Number of pages.
    pub fn pages(&self) -> usize {
        self.count as usize
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.count as usize * PAGE_SIZE
    }

    /// Always false: at least one page is mapped.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Start address of the mapping.
    pub fn addr(&self) -> usize {
        self.region.addr()
    }

    /// The bytes `range` (`..` for all) of a read-write mapping as
    /// [`SharedMem`]; offsets in the handle count from the start of `range`.
    ///
    /// # Errors
    /// [`Error::OutOfBounds`] for a range beyond the mapping, not starting
    /// at a multiple of `SHARED_MEM_ALIGN`, or on a read-only mapping.
    pub fn shared_mem(&self, range: impl RangeBounds<usize>) -> Result<SharedMem<'_>> {
        self.region.range(range, self.len())
    }

    /// The bytes `range` as a read-only [`SharedMem`] (either access).
    ///
    /// # Errors
    /// As [`shared_mem`](Self::shared_mem), for bounds and alignment.
    pub fn shared_mem_read_only(
        &self,
        range: impl RangeBounds<usize>,
    ) -> Result<SharedMem<'_, ReadOnly>> {
        self.region.range_read_only(range, self.len())
    }

    /// What the kernel does when this mapping goes away (dropped, or the
    /// process dies): clear a byte the granting domain watches (the mapping
    /// must be writable), signal an event channel, or both.
    ///
    /// # Errors
    /// [`Error::OutOfBounds`] for a byte beyond the mapping;
    /// [`Error::Device`] if the kernel refuses (`EINVAL`: the port is not
    /// bound through `/dev/xen/evtchn`, or a byte to clear in a read-only
    /// mapping).
    #[doc(alias = "IOCTL_GNTDEV_SET_UNMAP_NOTIFY")]
    pub fn set_unmap_notify(&self, notify: UnmapNotify) -> Result<()> {
        let (offset, action, port) = notify.encode(self.len())?;
        // `offset < len`, and `index + len` fits `off_t` (`reply::mmap_range`).
        sys::set_unmap_notify(&self.dev.file, false, self.index + offset, action, port)
            .map_err(|e| device_error(&self.dev.path, "ioctl(IOCTL_GNTDEV_SET_UNMAP_NOTIFY)", e))
    }
}

impl Drop for GrantMapping<'_> {
    fn drop(&mut self) {
        self.region.unmap();
        // Nothing to do on failure: the kernel releases the grants with the
        // file at the latest.
        let _ = sys::gntdev_unmap(&self.dev.file, self.index, self.count);
    }
}

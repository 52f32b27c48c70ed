// SPDX-License-Identifier: MIT OR Apache-2.0
//! `/dev/xen/gntalloc`: pages of ours, granted to another domain.

use core::ops::RangeBounds;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::vec::Vec;

use xen_abi::grant_table::GrantRef;
use xen_abi::io::shm::{ReadOnly, SharedMem};
use xen_abi::DomId;

use super::reply;
use super::sys::{self, Region};
use super::{device_error, open_device, pages_to_len, Access, UnmapNotify, GNTALLOC_PATH};
use crate::{Error, Result};

/// An open `/dev/xen/gntalloc`: shares pages of this process with another
/// domain.
#[derive(Debug)]
pub struct Gntalloc {
    file: File,
    path: PathBuf,
}

impl Gntalloc {
    /// Opens `/dev/xen/gntalloc`.
    ///
    /// # Errors
    /// [`Error::Device`] naming the device and the fix (`modprobe
    /// xen-gntalloc`, run as root).
    pub fn open() -> Result<Self> {
        Self::open_path(Path::new(GNTALLOC_PATH))
    }

    /// Opens the gntalloc device at another path (a container's bind
    /// mount, say).
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

    /// Allocates `pages` zeroed pages, grants each to `domid` (`access`:
    /// what `domid` may do with them) and maps them here, read-write.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for no pages or more than the ioctl
    /// carries; [`Error::Device`] if the kernel refuses (`ENOSPC`: the
    /// module's page limit, `xen_gntalloc.limit`, default 1024), or
    /// answers an unusable mmap offset or grant ref
    /// (`ErrorKind::InvalidData`).
    #[doc(alias = "IOCTL_GNTALLOC_ALLOC_GREF")]
    #[doc(alias = "xengntshr_share_pages")]
    pub fn share(&self, domid: DomId, pages: usize, access: Access) -> Result<SharedPages<'_>> {
        let len = pages_to_len(pages)?;
        let count = u32::try_from(pages).map_err(|_| Error::InvalidRequest("too many pages"))?;
        let flags = match access {
            Access::ReadOnly => 0,
            Access::ReadWrite => sys::GNTALLOC_FLAG_WRITABLE,
        };
        let call = "ioctl(IOCTL_GNTALLOC_ALLOC_GREF)";
        let words = sys::gntalloc_alloc(&self.file, domid.get(), flags, count)
            .map_err(|e| device_error(&self.path, call, e))?;
        let (range, refs) = reply::gntalloc_alloc(&words, count).map_err(|bad| {
            // Give back what the kernel allocated, if it is where it says
            // (the kernel checks); it goes with the file otherwise.
            if let [_, _, lo, hi, ..] = words[..] {
                let _ = sys::gntalloc_dealloc(&self.file, reply::join_u64(lo, hi), count);
            }
            device_error(&self.path, call, bad.into())
        })?;
        debug_assert_eq!(range.len, len);
        let index = range.offset;
        let region = match Region::map(&self.file, range.len, true, index) {
            Ok(r) => r,
            Err(e) => {
                // Give the grants back; nothing maps them.
                let _ = sys::gntalloc_dealloc(&self.file, index, count);
                return Err(device_error(&self.path, "mmap", e));
            }
        };
        Ok(SharedPages {
            dev: self,
            region,
            index,
            count,
            domid,
            refs,
        })
    }
}

/// Pages of ours granted to another domain: their grant refs and our
/// mapping of them. Dropping it unmaps the pages and then revokes the
/// grants (`IOCTL_GNTALLOC_DEALLOC_GREF`); if the peer still maps a page,
/// Linux keeps it until the peer lets go, so dropping is safe at any time.
///
/// The peer may write the pages at any time, so they are reached only
/// through [`SharedMem`] handles that borrow this value, never as `&[u8]`.
#[derive(Debug)]
pub struct SharedPages<'d> {
    dev: &'d Gntalloc,
    region: Region,
    index: u64,
    count: u32,
    domid: DomId,
    refs: Vec<GrantRef>,
}

impl SharedPages<'_> {
    /// The grant references, one per page, in order: what the peer maps.
    pub fn refs(&self) -> &[GrantRef] {
        &self.refs
    }

    /// The domain the pages are granted to.
    pub fn domid(&self) -> DomId {
        self.domid
    }

    /// Number of pages.
    pub fn pages(&self) -> usize {
        self.refs.len()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.refs.len() * sys::PAGE_SIZE
    }

    /// Always false: at least one page is shared.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Start address of our mapping.
    pub fn addr(&self) -> usize {
        self.region.addr()
    }

    /// The bytes `range` (`..` for all) as a read-write [`SharedMem`];
    /// offsets in the handle count from the start of `range`.
    ///
    /// # Errors
    /// [`Error::OutOfBounds`] for a range beyond the pages or not starting
    /// at a multiple of `SHARED_MEM_ALIGN`.
    pub fn shared_mem(&self, range: impl RangeBounds<usize>) -> Result<SharedMem<'_>> {
        self.region.range(range, self.len())
    }

    /// The bytes `range` as a read-only [`SharedMem`].
    ///
    /// # Errors
    /// As [`shared_mem`](Self::shared_mem).
    pub fn shared_mem_read_only(
        &self,
        range: impl RangeBounds<usize>,
    ) -> Result<SharedMem<'_, ReadOnly>> {
        self.region.range_read_only(range, self.len())
    }

    /// What the kernel does when these pages are released (dropped, or the
    /// process dies): clear a byte the peer watches, signal an event
    /// channel, or both. One notice per mapping; a new one replaces it.
    ///
    /// # Errors
    /// [`Error::OutOfBounds`] for a byte beyond the pages;
    /// [`Error::Device`] if the kernel refuses (`EINVAL`: the port is not
    /// bound through `/dev/xen/evtchn`).
    #[doc(alias = "IOCTL_GNTALLOC_SET_UNMAP_NOTIFY")]
    pub fn set_unmap_notify(&self, notify: UnmapNotify) -> Result<()> {
        let (offset, action, port) = notify.encode(self.len())?;
        // `offset < len`, and `index + len` fits `off_t` (`reply::mmap_range`).
        sys::set_unmap_notify(&self.dev.file, true, self.index + offset, action, port)
            .map_err(|e| device_error(&self.dev.path, "ioctl(IOCTL_GNTALLOC_SET_UNMAP_NOTIFY)", e))
    }
}

impl Drop for SharedPages<'_> {
    fn drop(&mut self) {
        self.region.unmap();
        // Nothing to do on failure: the kernel frees the grants with the
        // file at the latest.
        let _ = sys::gntalloc_dealloc(&self.dev.file, self.index, self.count);
    }
}

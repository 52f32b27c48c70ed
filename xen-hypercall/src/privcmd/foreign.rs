// SPDX-License-Identifier: MIT OR Apache-2.0
//! Mapping another domain's memory through privcmd:
//! `IOCTL_PRIVCMD_MMAPBATCH_V2` (frames by number) and
//! `IOCTL_PRIVCMD_MMAP_RESOURCE` (a resource such as a grant table), both
//! into an owned [`ForeignMapping`] that unmaps itself on drop.
//!
//! Both ioctls populate a mapping of the privcmd file made just for them: the
//! kernel refuses any other range. The memory belongs to another domain,
//! which may write it at any time, so it is only touched through xen-abi's
//! [`SharedMem`] (atomic accesses, bounds-checked) and never handed out as a
//! Rust reference.

use core::fmt;
use core::ops::{Bound, RangeBounds};
use core::ptr::NonNull;
use std::os::fd::AsRawFd;
use std::vec::Vec;

use xen_abi::io::shm::{ReadOnly, SharedMem, SHARED_MEM_ALIGN};
use xen_abi::xen::XenPfn;
use xen_abi::DomId;

use super::{ioc, Privcmd, PrivcmdError, IOC_NONE};
use crate::memory::Resource;
use crate::Errno;

/// The page size privcmd maps in (x86_64 and the 4 KiB Arm granule).
pub const PAGE_SIZE: usize = 4096;

/// `struct privcmd_mmapbatch_v2` from Linux's `xen/privcmd.h`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[doc(alias = "privcmd_mmapbatch_v2")]
pub struct PrivcmdMmapBatchV2 {
    /// Number of frames.
    pub num: u32,
    /// The domain that owns the frames.
    pub dom: u16,
    /// Padding (C's implicit padding, written out).
    pub _pad: u16,
    /// Start of the privcmd mapping to populate.
    pub addr: u64,
    /// `const xen_pfn_t *`: the frames.
    pub arr: *const XenPfn,
    /// `int *`: per-frame error codes (0 or a negative errno).
    pub err: *mut i32,
}

/// `struct privcmd_mmap_resource` from Linux's `xen/privcmd.h`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
#[doc(alias = "privcmd_mmap_resource")]
pub struct PrivcmdMmapResource {
    /// The domain that owns the resource.
    pub dom: u16,
    /// Padding (C's implicit padding, written out).
    pub _pad: u16,
    /// Resource type (`XENMEM_resource_*`).
    pub kind: u32,
    /// Type-specific id.
    pub id: u32,
    /// First frame of the resource to map.
    pub idx: u32,
    /// Number of frames (0 with `addr` 0: ask for the resource's size).
    pub num: u64,
    /// Start of the privcmd mapping to populate (0: size query).
    pub addr: u64,
}

/// `IOCTL_PRIVCMD_MMAPBATCH_V2`, computed from the argument type.
pub const IOCTL_PRIVCMD_MMAPBATCH_V2: u64 = ioc(
    IOC_NONE,
    b'P',
    4,
    core::mem::size_of::<PrivcmdMmapBatchV2>(),
);

/// `IOCTL_PRIVCMD_RESTRICT`, computed from the argument type (`domid_t`).
pub const IOCTL_PRIVCMD_RESTRICT: u64 = ioc(IOC_NONE, b'P', 6, core::mem::size_of::<DomId>());

/// `IOCTL_PRIVCMD_MMAP_RESOURCE`, computed from the argument type.
pub const IOCTL_PRIVCMD_MMAP_RESOURCE: u64 = ioc(
    IOC_NONE,
    b'P',
    7,
    core::mem::size_of::<PrivcmdMmapResource>(),
);

/// How a foreign mapping may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read only (`PROT_READ`): all Xen grants for pages it shares read-only
    /// (the machine-to-physical table, say).
    ReadOnly,
    /// Read and write.
    ReadWrite,
}

impl Access {
    fn prot(self) -> libc::c_int {
        match self {
            Access::ReadOnly => libc::PROT_READ,
            Access::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
        }
    }
}

/// Why a [`SharedMem`] handle on a [`ForeignMapping`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessError {
    /// `offset..offset + len` does not fit in the mapping.
    OutOfBounds {
        /// The requested offset.
        offset: usize,
        /// The requested length.
        len: usize,
        /// The mapping's length.
        mapping_len: usize,
    },
    /// The range does not start at a multiple of [`SHARED_MEM_ALIGN`].
    Misaligned {
        /// The requested offset.
        offset: usize,
        /// The alignment the access needs.
        align: usize,
    },
    /// A page in the range failed to map (touching it would raise
    /// `SIGBUS`).
    FrameNotMapped {
        /// Index of the page in the mapping.
        page: usize,
        /// Xen's (or the kernel's) reason.
        errno: Errno,
    },
    /// A read-write handle on a read-only mapping.
    ReadOnly,
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessError::OutOfBounds {
                offset,
                len,
                mapping_len,
            } => write!(
                f,
                "{len} bytes at offset {offset:#x} exceed the {mapping_len:#x}-byte mapping"
            ),
            AccessError::Misaligned { offset, align } => {
                write!(f, "offset {offset:#x} is not {align}-byte aligned")
            }
            AccessError::FrameNotMapped { page, errno } => {
                write!(f, "page {page} of the mapping failed to map: {errno}")
            }
            AccessError::ReadOnly => f.write_str("write to a read-only foreign mapping"),
        }
    }
}

impl core::error::Error for AccessError {}

/// Memory of another domain (or of Xen), mapped through privcmd; unmapped
/// when dropped.
///
/// Pages whose frame failed to map are remembered: [`shared_mem`]
/// refuses them instead of faulting. Every access goes through a
/// [`SharedMem`] handle (atomic, bounds-checked), since the owner may change
/// the memory at any time.
///
/// [`shared_mem`]: ForeignMapping::shared_mem
pub struct ForeignMapping {
    ptr: NonNull<u8>,
    len: usize,
    access: Access,
    /// Per page: `None` if mapped, else why not.
    errors: Vec<Option<Errno>>,
}

// SAFETY: the mapping is plain memory owned by this value; nothing in it is
// tied to the creating thread.
unsafe impl Send for ForeignMapping {}
// SAFETY: `&ForeignMapping` reaches the memory only through `SharedMem`
// handles, whose every access is atomic; the rest is immutable.
unsafe impl Sync for ForeignMapping {}

impl fmt::Debug for ForeignMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignMapping")
            .field("addr", &self.ptr)
            .field("len", &self.len)
            .field("access", &self.access)
            .field("failed_pages", &self.failed_pages().count())
            .finish()
    }
}

impl ForeignMapping {
    /// A fresh privcmd mapping of `pages` pages for an ioctl to populate.
    fn reserve(privcmd: &Privcmd, pages: usize, access: Access) -> Result<Self, PrivcmdError> {
        if pages == 0 {
            return Err(PrivcmdError::InvalidArgument("a mapping of no pages"));
        }
        let len = pages
            .checked_mul(PAGE_SIZE)
            .ok_or(PrivcmdError::InvalidArgument(
                "a mapping larger than memory",
            ))?;
        // SAFETY: a new shared mapping of the privcmd file; no existing memory
        // is affected. The kernel leaves it unpopulated until an ioctl fills it.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                access.prot(),
                libc::MAP_SHARED,
                privcmd.file().as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(PrivcmdError::last_os("mmap of /dev/xen/privcmd"));
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or(PrivcmdError::Os {
            call: "mmap of /dev/xen/privcmd",
            source: std::io::Error::from_raw_os_error(libc::ENOMEM),
        })?;
        Ok(Self {
            ptr,
            len,
            access,
            errors: std::vec![None; pages],
        })
    }

    /// Start address of the mapping.
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: mappings have at least one page.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of pages.
    pub fn pages(&self) -> usize {
        self.errors.len()
    }

    /// How the mapping may be used.
    pub fn access(&self) -> Access {
        self.access
    }

    /// Why page `page` did not map, or `None` if it did (or is out of range).
    pub fn page_error(&self, page: usize) -> Option<Errno> {
        self.errors.get(page).copied().flatten()
    }

    /// The pages that did not map, with the reason.
    pub fn failed_pages(&self) -> impl Iterator<Item = (usize, Errno)> + '_ {
        self.errors
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.map(|e| (i, e)))
    }

    /// Checks `offset..offset + len` for a handle starting at `offset`.
    fn check(&self, offset: usize, len: usize) -> Result<(), AccessError> {
        let end = offset.checked_add(len).filter(|&e| e <= self.len);
        if end.is_none() {
            return Err(AccessError::OutOfBounds {
                offset,
                len,
                mapping_len: self.len,
            });
        }
        if offset % SHARED_MEM_ALIGN != 0 {
            return Err(AccessError::Misaligned {
                offset,
                align: SHARED_MEM_ALIGN,
            });
        }
        if len == 0 {
            return Ok(());
        }
        let (first, last) = (offset / PAGE_SIZE, (offset + len - 1) / PAGE_SIZE);
        match (first..=last).find_map(|p| self.page_error(p).map(|e| (p, e))) {
            Some((page, errno)) => Err(AccessError::FrameNotMapped { page, errno }),
            None => Ok(()),
        }
    }

    /// The bytes of `range` as an `(offset, len)` pair, checked.
    fn span(&self, range: impl RangeBounds<usize>) -> Result<(usize, usize), AccessError> {
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => e.saturating_add(1),
            Bound::Excluded(&e) => e,
            Bound::Unbounded => self.len,
        };
        let len = end.checked_sub(start).ok_or(AccessError::OutOfBounds {
            offset: start,
            len: 0,
            mapping_len: self.len,
        })?;
        self.check(start, len)?;
        Ok((start, len))
    }

    /// The bytes `range` of a read-write mapping (`..` for all of it) as
    /// [`SharedMem`]: the one way to load, store, copy and do atomic
    /// read-modify-writes on the other domain's memory. Offsets in the handle
    /// count from the start of `range`.
    ///
    /// ```no_run
    /// # use xen_hypercall::privcmd::{Access, Privcmd};
    /// # use xen_abi::{io::shm::Ordering, DomId};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pc = Privcmd::open()?;
    /// let map = pc.map_foreign(DomId::new(1)?, &[0x1234], Access::ReadWrite)?;
    /// let mem = map.shared_mem(..)?;
    /// mem.fetch_or_u64(0, 1, Ordering::SeqCst)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`AccessError::ReadOnly`] for a read-only mapping (use
    /// [`shared_mem_read_only`](Self::shared_mem_read_only));
    /// [`AccessError::OutOfBounds`] for a range beyond the mapping;
    /// [`AccessError::Misaligned`] unless the range starts at a multiple of
    /// [`SHARED_MEM_ALIGN`]; [`AccessError::FrameNotMapped`] if a page in
    /// the range failed to map (touching it would raise `SIGBUS`).
    pub fn shared_mem(&self, range: impl RangeBounds<usize>) -> Result<SharedMem<'_>, AccessError> {
        if self.access != Access::ReadWrite {
            return Err(AccessError::ReadOnly);
        }
        let (off, len) = self.span(range)?;
        // SAFETY: `span` proved [off, off + len) lies in pages of this
        // mapping that are populated, and `off` is SHARED_MEM_ALIGN-aligned
        // (the mapping is page-aligned); the mapping is readable and writable
        // (ReadWrite) and stays mapped while `self` is borrowed (Drop unmaps
        // it). This type touches it only through such handles, all atomic.
        let mem = unsafe { SharedMem::new(self.at(off), len) };
        mem.map_err(|_| AccessError::Misaligned {
            offset: off,
            align: SHARED_MEM_ALIGN,
        })
    }

    /// The bytes `range` of the mapping (read-only or read-write; `..` for
    /// all of it) as a read-only [`SharedMem`]: loads and copies only.
    ///
    /// # Errors
    /// As [`shared_mem`](Self::shared_mem), without
    /// [`AccessError::ReadOnly`].
    pub fn shared_mem_read_only(
        &self,
        range: impl RangeBounds<usize>,
    ) -> Result<SharedMem<'_, ReadOnly>, AccessError> {
        let (off, len) = self.span(range)?;
        // SAFETY: as in `shared_mem`; every mapping is at least readable.
        let mem = unsafe { SharedMem::new_read_only(self.at(off), len) };
        mem.map_err(|_| AccessError::Misaligned {
            offset: off,
            align: SHARED_MEM_ALIGN,
        })
    }

    /// The address `off` bytes into the mapping (`off <= len`).
    fn at(&self, off: usize) -> NonNull<u8> {
        debug_assert!(off <= self.len);
        // SAFETY: `off` lies within (or one past) our mapping, so the
        // address is in bounds and, like the base, not null.
        unsafe { NonNull::new_unchecked(self.ptr.as_ptr().add(off)) }
    }
}

impl Drop for ForeignMapping {
    fn drop(&mut self) {
        // SAFETY: unmapping the range this value mapped and owns; no
        // reference into it outlives `self`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

impl Privcmd {
    /// Limits this file descriptor to hypercalls and mappings that target
    /// `domid` (`IOCTL_PRIVCMD_RESTRICT`). Irreversible: afterwards
    /// [`Hypercall::hypercall5`](crate::Hypercall::hypercall5) through this
    /// descriptor fails with `EPERM`, and mapping another domain's memory
    /// too. Restricting again to the same domain succeeds; to another fails.
    ///
    /// # Errors
    /// The kernel's error: `EINVAL` if already restricted to another domain;
    /// `ENOTTY` from a kernel without the ioctl.
    #[doc(alias = "IOCTL_PRIVCMD_RESTRICT")]
    pub fn restrict(&self, domid: DomId) -> Result<(), PrivcmdError> {
        let mut dom = domid;
        // SAFETY: IOCTL_PRIVCMD_RESTRICT reads one `domid_t`, which `dom` is.
        let r = unsafe {
            libc::ioctl(
                self.file().as_raw_fd(),
                IOCTL_PRIVCMD_RESTRICT as _,
                &mut dom,
            )
        };
        if r < 0 {
            Err(PrivcmdError::last_os("ioctl(IOCTL_PRIVCMD_RESTRICT)"))
        } else {
            Ok(())
        }
    }

    /// Maps `frames` of domain `dom` (machine frames for a PV caller mapping
    /// a PV domain or Xen, guest frames for an HVM/PVH target), one page each,
    /// in order (`IOCTL_PRIVCMD_MMAPBATCH_V2`).
    ///
    /// A frame that fails to map does not fail the call: the page is left
    /// unmapped and its reason is in [`ForeignMapping::page_error`].
    ///
    /// # Errors
    /// [`PrivcmdError::InvalidArgument`] for no frames (or more than 2^32);
    /// the kernel's error when the `mmap` or the ioctl fails as a whole
    /// (`EPERM` when restricted to another domain, `EFAULT`, ...).
    #[doc(alias = "IOCTL_PRIVCMD_MMAPBATCH_V2")]
    #[doc(alias = "xenforeignmemory_map")]
    pub fn map_foreign(
        &self,
        dom: DomId,
        frames: &[XenPfn],
        access: Access,
    ) -> Result<ForeignMapping, PrivcmdError> {
        let num = u32::try_from(frames.len())
            .map_err(|_| PrivcmdError::InvalidArgument("more than 2^32 frames"))?;
        let mut map = ForeignMapping::reserve(self, frames.len(), access)?;
        let mut errs = std::vec![0i32; frames.len()];
        let mut arg = PrivcmdMmapBatchV2 {
            num,
            dom: dom.get(),
            _pad: 0,
            addr: map.ptr.as_ptr() as usize as u64,
            arr: frames.as_ptr(),
            err: errs.as_mut_ptr(),
        };
        // SAFETY: `arg` is a `privcmd_mmapbatch_v2` naming `frames.len()`
        // readable frames and as many writable error slots, and our fresh
        // privcmd mapping of exactly that many pages.
        let r = unsafe {
            libc::ioctl(
                self.file().as_raw_fd(),
                IOCTL_PRIVCMD_MMAPBATCH_V2 as _,
                &mut arg,
            )
        };
        // ENOENT as a whole means "some frames are paged out": the per-frame
        // codes say which; anything else fails the call.
        if r < 0 {
            let e = PrivcmdError::last_os("ioctl(IOCTL_PRIVCMD_MMAPBATCH_V2)");
            if e.raw_os_error() != Some(libc::ENOENT) {
                return Err(e);
            }
        }
        for (slot, &e) in map.errors.iter_mut().zip(&errs) {
            *slot = (e != 0).then(|| Errno::new(e.saturating_neg()));
        }
        Ok(map)
    }

    /// The number of frames `res` has (`IOCTL_PRIVCMD_MMAP_RESOURCE` with
    /// no mapping).
    ///
    /// # Errors
    /// The kernel's error, which passes Xen's up ([`PrivcmdError::errno`]):
    /// `EPERM` for the caller's own domain, `ESRCH` for no such domain,
    /// `EINVAL`/`EOPNOTSUPP` for an unknown type or id.
    #[doc(alias = "IOCTL_PRIVCMD_MMAP_RESOURCE")]
    pub fn resource_size(&self, res: Resource) -> Result<u64, PrivcmdError> {
        let mut arg = PrivcmdMmapResource {
            dom: res.domid.get(),
            kind: u32::from(res.kind),
            id: res.id,
            ..PrivcmdMmapResource::default()
        };
        self.mmap_resource_ioctl(&mut arg)?;
        Ok(arg.num)
    }

    /// Maps `pages` frames of `res` starting at frame `first`
    /// (`IOCTL_PRIVCMD_MMAP_RESOURCE`).
    ///
    /// # Errors
    /// As [`Privcmd::resource_size`]; `E2BIG` for frames beyond the resource.
    #[doc(alias = "IOCTL_PRIVCMD_MMAP_RESOURCE")]
    #[doc(alias = "xenforeignmemory_map_resource")]
    pub fn map_resource(
        &self,
        res: Resource,
        first: u32,
        pages: usize,
        access: Access,
    ) -> Result<ForeignMapping, PrivcmdError> {
        let map = ForeignMapping::reserve(self, pages, access)?;
        let mut arg = PrivcmdMmapResource {
            dom: res.domid.get(),
            _pad: 0,
            kind: u32::from(res.kind),
            id: res.id,
            idx: first,
            num: pages as u64,
            addr: map.ptr.as_ptr() as usize as u64,
        };
        self.mmap_resource_ioctl(&mut arg)?;
        Ok(map)
    }

    fn mmap_resource_ioctl(&self, arg: &mut PrivcmdMmapResource) -> Result<(), PrivcmdError> {
        // SAFETY: `arg` is a `privcmd_mmap_resource`; its address is 0 (a
        // size query) or our fresh privcmd mapping of exactly `num` pages.
        let r = unsafe {
            libc::ioctl(
                self.file().as_raw_fd(),
                IOCTL_PRIVCMD_MMAP_RESOURCE as _,
                arg as *mut PrivcmdMmapResource,
            )
        };
        if r < 0 {
            Err(PrivcmdError::last_os("ioctl(IOCTL_PRIVCMD_MMAP_RESOURCE)"))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_match_linux() {
        // _IOC(_IOC_NONE, 'P', 4, sizeof(privcmd_mmapbatch_v2_t) == 32)
        assert_eq!(core::mem::size_of::<PrivcmdMmapBatchV2>(), 32);
        assert_eq!(IOCTL_PRIVCMD_MMAPBATCH_V2, 0x0020_5004);
        // _IOC(_IOC_NONE, 'P', 6, sizeof(domid_t) == 2)
        assert_eq!(IOCTL_PRIVCMD_RESTRICT, 0x0002_5006);
        // _IOC(_IOC_NONE, 'P', 7, sizeof(privcmd_mmap_resource_t) == 32)
        assert_eq!(core::mem::size_of::<PrivcmdMmapResource>(), 32);
        assert_eq!(IOCTL_PRIVCMD_MMAP_RESOURCE, 0x0020_5007);
    }

    #[test]
    fn field_offsets_match_linux() {
        assert_eq!(core::mem::offset_of!(PrivcmdMmapBatchV2, dom), 4);
        assert_eq!(core::mem::offset_of!(PrivcmdMmapBatchV2, addr), 8);
        assert_eq!(core::mem::offset_of!(PrivcmdMmapBatchV2, arr), 16);
        assert_eq!(core::mem::offset_of!(PrivcmdMmapBatchV2, err), 24);
        assert_eq!(core::mem::offset_of!(PrivcmdMmapResource, kind), 4);
        assert_eq!(core::mem::offset_of!(PrivcmdMmapResource, id), 8);
        assert_eq!(core::mem::offset_of!(PrivcmdMmapResource, idx), 12);
        assert_eq!(core::mem::offset_of!(PrivcmdMmapResource, num), 16);
        assert_eq!(core::mem::offset_of!(PrivcmdMmapResource, addr), 24);
    }

    #[test]
    fn shared_mem_checks_bounds_alignment_failed_pages_and_access() {
        use xen_abi::io::shm::Ordering::Relaxed;
        // An anonymous stand-in for a two-page mapping whose second page
        // failed to map.
        // SAFETY: a fresh private anonymous mapping.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                2 * PAGE_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        let map = ForeignMapping {
            ptr: NonNull::new(p.cast()).unwrap(),
            len: 2 * PAGE_SIZE,
            access: Access::ReadWrite,
            errors: std::vec![None, Some(Errno::EINVAL)],
        };
        let page0 = map.shared_mem(..PAGE_SIZE).unwrap();
        page0.store_u64(8, 0x1122_3344_5566_7788, Relaxed).unwrap();
        assert_eq!(page0.load_u64(8, Relaxed), Ok(0x1122_3344_5566_7788));
        assert_eq!(page0.load_u32(12, Relaxed), Ok(0x1122_3344));
        let tail = map.shared_mem_read_only(8..16).unwrap();
        assert_eq!(tail.read::<u64>(0), Ok(0x1122_3344_5566_7788));
        assert_eq!(
            map.shared_mem(4..8).unwrap_err(),
            AccessError::Misaligned {
                offset: 4,
                align: SHARED_MEM_ALIGN
            }
        );
        assert_eq!(
            map.shared_mem(..).unwrap_err(),
            AccessError::FrameNotMapped {
                page: 1,
                errno: Errno::EINVAL
            }
        );
        assert!(matches!(
            map.shared_mem_read_only(PAGE_SIZE - 8..=PAGE_SIZE),
            Err(AccessError::FrameNotMapped { page: 1, .. })
        ));
        assert!(matches!(
            map.shared_mem(PAGE_SIZE..3 * PAGE_SIZE),
            Err(AccessError::OutOfBounds { .. })
        ));
        assert!(matches!(
            map.shared_mem(usize::MAX..),
            Err(AccessError::OutOfBounds { .. })
        ));
        assert!(matches!(
            map.shared_mem((Bound::Included(8), Bound::Excluded(4))),
            Err(AccessError::OutOfBounds { .. })
        ));
        assert_eq!(map.failed_pages().collect::<Vec<_>>(), [(1, Errno::EINVAL)]);
        let mut ro = map;
        ro.access = Access::ReadOnly;
        assert_eq!(ro.shared_mem(..8).unwrap_err(), AccessError::ReadOnly);
        assert!(ro.shared_mem_read_only(..8).is_ok());
        drop(ro); // unmaps the stand-in
    }
}

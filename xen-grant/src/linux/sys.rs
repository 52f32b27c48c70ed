// SPDX-License-Identifier: MIT OR Apache-2.0
//! The fenced unsafe code of the Linux half: the ioctls of
//! `/dev/xen/gntalloc` and `/dev/xen/gntdev` (argument layouts from Linux's
//! `xen/gntalloc.h` and `xen/gntdev.h`, request numbers computed from them),
//! and mapping and unmapping the devices' pages. Every function here is safe
//! to call: each takes exactly the arguments its ioctl reads, and a mapping is
//! reached only through [`SharedMem`] handles that borrow it.

// The crate root denies unsafe code; this module is the one exception.
#![allow(unsafe_code)]

use core::fmt;
use core::marker::PhantomData;
use core::ptr::NonNull;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::vec::Vec;

use xen_abi::grant_table::GrantStatus;
use xen_abi::io::shm::{ReadOnly, SharedMem};

use super::GrantAddr;

/// The page size the grant devices map in (x86_64, and the 4 KiB Arm granule).
pub const PAGE_SIZE: usize = 4096;

/// Linux's `_IOC(_IOC_NONE, 'G', nr, size)`: direction none (bits 30-31
/// zero), size in bits 16-29, type in 8-15, number in 0-7.
const fn ioc_none_g(nr: u8, size: usize) -> u64 {
    ((size as u64) << 16) | ((b'G' as u64) << 8) | nr as u64
}

/// `struct ioctl_gntdev_grant_ref`: one grant to map.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct GntdevGrantRef {
    domid: u32,
    gref: u32,
}

/// `struct ioctl_gntdev_map_grant_ref` (header, then `count` refs).
#[repr(C)]
struct GntdevMapGrantRef {
    count: u32,
    pad: u32,
    index: u64,
    refs: [GntdevGrantRef; 1],
}

/// `struct ioctl_gntdev_unmap_grant_ref`.
#[repr(C)]
struct GntdevUnmapGrantRef {
    index: u64,
    count: u32,
    pad: u32,
}

/// `struct ioctl_gntdev_set_max_grants`.
#[repr(C)]
struct GntdevSetMaxGrants {
    count: u32,
}

/// `struct ioctl_gntdev_unmap_notify` and `struct
/// ioctl_gntalloc_unmap_notify` (the same layout).
#[repr(C)]
struct UnmapNotifyArg {
    index: u64,
    action: u32,
    event_channel_port: u32,
}

/// `struct ioctl_gntdev_grant_copy`.
#[repr(C)]
struct GntdevGrantCopy {
    count: u32,
    pad: u32,
    segments: *mut CopySegment<'static>,
}

/// `struct ioctl_gntalloc_alloc_gref` (header, then `count` refs).
#[repr(C)]
struct GntallocAllocGref {
    domid: u16,
    flags: u16,
    count: u32,
    index: u64,
    gref_ids: [u32; 1],
}

/// `struct ioctl_gntalloc_dealloc_gref`.
#[repr(C)]
struct GntallocDeallocGref {
    index: u64,
    count: u32,
    pad: u32,
}

/// `IOCTL_GNTDEV_MAP_GRANT_REF`, computed from the argument type.
pub const IOCTL_GNTDEV_MAP_GRANT_REF: u64 =
    ioc_none_g(0, core::mem::size_of::<GntdevMapGrantRef>());
/// `IOCTL_GNTDEV_UNMAP_GRANT_REF`, computed from the argument type.
pub const IOCTL_GNTDEV_UNMAP_GRANT_REF: u64 =
    ioc_none_g(1, core::mem::size_of::<GntdevUnmapGrantRef>());
/// `IOCTL_GNTDEV_SET_MAX_GRANTS`, computed from the argument type.
pub const IOCTL_GNTDEV_SET_MAX_GRANTS: u64 =
    ioc_none_g(3, core::mem::size_of::<GntdevSetMaxGrants>());
/// `IOCTL_GNTDEV_SET_UNMAP_NOTIFY`, computed from the argument type.
pub const IOCTL_GNTDEV_SET_UNMAP_NOTIFY: u64 =
    ioc_none_g(7, core::mem::size_of::<UnmapNotifyArg>());
/// `IOCTL_GNTDEV_GRANT_COPY`, computed from the argument type.
pub const IOCTL_GNTDEV_GRANT_COPY: u64 = ioc_none_g(8, core::mem::size_of::<GntdevGrantCopy>());
/// `IOCTL_GNTALLOC_ALLOC_GREF`, computed from the argument type.
pub const IOCTL_GNTALLOC_ALLOC_GREF: u64 = ioc_none_g(5, core::mem::size_of::<GntallocAllocGref>());
/// `IOCTL_GNTALLOC_DEALLOC_GREF`, computed from the argument type.
pub const IOCTL_GNTALLOC_DEALLOC_GREF: u64 =
    ioc_none_g(6, core::mem::size_of::<GntallocDeallocGref>());
/// `IOCTL_GNTALLOC_SET_UNMAP_NOTIFY`, computed from the argument type.
pub const IOCTL_GNTALLOC_SET_UNMAP_NOTIFY: u64 =
    ioc_none_g(7, core::mem::size_of::<UnmapNotifyArg>());

/// `GNTALLOC_FLAG_WRITABLE`.
pub(crate) const GNTALLOC_FLAG_WRITABLE: u16 = 1;
/// `UNMAP_NOTIFY_CLEAR_BYTE`.
pub(crate) const UNMAP_NOTIFY_CLEAR_BYTE: u32 = 1;
/// `UNMAP_NOTIFY_SEND_EVENT`.
pub(crate) const UNMAP_NOTIFY_SEND_EVENT: u32 = 2;
/// `GNTCOPY_source_gref`.
const GNTCOPY_SOURCE_GREF: u16 = 1 << 0;
/// `GNTCOPY_dest_gref`.
const GNTCOPY_DEST_GREF: u16 = 1 << 1;

/// `ioctl(file, request, arg)`, the error from `errno`.
///
/// # Safety
/// `arg` must point to memory laid out as `request` expects, valid for the
/// reads and writes the kernel makes for it.
unsafe fn ioctl<T>(file: &File, request: u64, arg: *mut T) -> io::Result<()> {
    // SAFETY: forwarded to the caller.
    let r = unsafe { libc::ioctl(file.as_raw_fd(), request as _, arg) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `IOCTL_GNTALLOC_ALLOC_GREF`: `count` fresh pages granted to `domid`.
/// Returns the argument as the kernel left it (header, then the refs),
/// for `reply::gntalloc_alloc` to check.
pub(crate) fn gntalloc_alloc(
    file: &File,
    domid: u16,
    flags: u16,
    count: u32,
) -> io::Result<Vec<u32>> {
    // The header is 16 bytes (4 words); the refs follow it.
    let words = 4 + (count as usize).max(2);
    let mut buf = std::vec![0u32; words];
    let mut head = [0u8; 4];
    head[..2].copy_from_slice(&domid.to_ne_bytes());
    head[2..].copy_from_slice(&flags.to_ne_bytes());
    buf[0] = u32::from_ne_bytes(head);
    buf[1] = count;
    // SAFETY: `buf` holds the 16-byte header of `ioctl_gntalloc_alloc_gref`
    // (domid, flags, count, index) followed by room for `count` refs (and
    // at least the struct's own size); the kernel writes the index and the
    // refs inside it.
    unsafe { ioctl(file, IOCTL_GNTALLOC_ALLOC_GREF, buf.as_mut_ptr())? };
    Ok(buf)
}

/// `IOCTL_GNTALLOC_DEALLOC_GREF`.
pub(crate) fn gntalloc_dealloc(file: &File, index: u64, count: u32) -> io::Result<()> {
    let mut arg = GntallocDeallocGref {
        index,
        count,
        pad: 0,
    };
    // SAFETY: the argument the request names.
    unsafe { ioctl(file, IOCTL_GNTALLOC_DEALLOC_GREF, &mut arg) }
}

/// `IOCTL_GNTDEV_MAP_GRANT_REF`: reserves `refs` of `domid` for a mapping.
/// Returns the header as the kernel left it (`count`, `pad`, the halves of
/// the mmap offset), for `reply::gntdev_map` to check.
pub(crate) fn gntdev_map(file: &File, domid: u32, refs: &[u32]) -> io::Result<[u32; 4]> {
    let count =
        u32::try_from(refs.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // Header (count, pad, index) as two 8-byte entries, then the refs.
    let mut buf = std::vec![GntdevGrantRef::default(); 2 + refs.len().max(1)];
    buf[0].domid = count;
    for (slot, &gref) in buf[2..].iter_mut().zip(refs) {
        *slot = GntdevGrantRef { domid, gref };
    }
    // SAFETY: `buf` holds the 16-byte header of `ioctl_gntdev_map_grant_ref`
    // and then `count` refs (at least the struct's own size); the kernel
    // writes the index inside it.
    unsafe { ioctl(file, IOCTL_GNTDEV_MAP_GRANT_REF, buf.as_mut_ptr())? };
    Ok([buf[0].domid, buf[0].gref, buf[1].domid, buf[1].gref])
}

/// `IOCTL_GNTDEV_UNMAP_GRANT_REF`.
pub(crate) fn gntdev_unmap(file: &File, index: u64, count: u32) -> io::Result<()> {
    let mut arg = GntdevUnmapGrantRef {
        index,
        count,
        pad: 0,
    };
    // SAFETY: the argument the request names.
    unsafe { ioctl(file, IOCTL_GNTDEV_UNMAP_GRANT_REF, &mut arg) }
}

/// `IOCTL_GNTDEV_SET_MAX_GRANTS`.
pub(crate) fn gntdev_set_max_grants(file: &File, count: u32) -> io::Result<()> {
    let mut arg = GntdevSetMaxGrants { count };
    // SAFETY: the argument the request names.
    unsafe { ioctl(file, IOCTL_GNTDEV_SET_MAX_GRANTS, &mut arg) }
}

/// `IOCTL_GNTDEV_SET_UNMAP_NOTIFY` or `IOCTL_GNTALLOC_SET_UNMAP_NOTIFY`
/// (`gntalloc` picks which; the argument is the same).
pub(crate) fn set_unmap_notify(
    file: &File,
    gntalloc: bool,
    index: u64,
    action: u32,
    port: u32,
) -> io::Result<()> {
    let request = if gntalloc {
        IOCTL_GNTALLOC_SET_UNMAP_NOTIFY
    } else {
        IOCTL_GNTDEV_SET_UNMAP_NOTIFY
    };
    let mut arg = UnmapNotifyArg {
        index,
        action,
        event_channel_port: port,
    };
    // SAFETY: the argument the request names.
    unsafe { ioctl(file, request, &mut arg) }
}

/// `IOCTL_GNTDEV_GRANT_COPY` over `segments`; the kernel writes each
/// segment's status.
pub(crate) fn gntdev_copy(file: &File, segments: &mut [CopySegment<'_>]) -> io::Result<()> {
    let count =
        u32::try_from(segments.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let mut arg = GntdevGrantCopy {
        count,
        pad: 0,
        segments: segments.as_mut_ptr().cast(),
    };
    // SAFETY: `arg` names `count` segments laid out as
    // `ioctl_gntdev_grant_copy_segment`; each local side points into a
    // slice the segment borrows for its lifetime (shared for a source,
    // exclusive for a destination) with the segment's `len` bytes, so the
    // kernel reads and writes only memory we lend it for the call.
    unsafe { ioctl(file, IOCTL_GNTDEV_GRANT_COPY, &mut arg) }
}

/// One side of a grant-copy segment: a local address or a foreign grant.
#[repr(C)]
#[derive(Clone, Copy)]
union CopyPtr {
    virt: u64,
    foreign: Foreign,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Foreign {
    gref: u32,
    offset: u16,
    domid: u16,
}

impl From<GrantAddr> for CopyPtr {
    fn from(a: GrantAddr) -> Self {
        CopyPtr {
            foreign: Foreign {
                gref: a.gref.get(),
                offset: a.offset,
                domid: a.domid.get(),
            },
        }
    }
}

/// One segment of a grant copy (`struct ioctl_gntdev_grant_copy_segment`):
/// up to a page of bytes from a grant to a local buffer, from a local buffer
/// to a grant, or between two grants. Made by [`from_grant`], [`to_grant`]
/// or [`between`]; [`Gntdev::copy`](super::Gntdev::copy) runs a batch of
/// them and fills in each one's [`status`].
///
/// [`from_grant`]: CopySegment::from_grant
/// [`to_grant`]: CopySegment::to_grant
/// [`between`]: CopySegment::between
/// [`status`]: CopySegment::status
#[repr(C)]
#[doc(alias = "ioctl_gntdev_grant_copy_segment")]
pub struct CopySegment<'a> {
    source: CopyPtr,
    dest: CopyPtr,
    len: u16,
    flags: u16,
    status: i16,
    _pad: u16,
    _buffers: PhantomData<&'a mut [u8]>,
}

const _: () = assert!(core::mem::size_of::<CopySegment<'static>>() == 24);

impl fmt::Debug for CopySegment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CopySegment")
            .field("len", &self.len)
            .field("from_grant", &(self.flags & GNTCOPY_SOURCE_GREF != 0))
            .field("to_grant", &(self.flags & GNTCOPY_DEST_GREF != 0))
            .field("status", &self.status())
            .finish()
    }
}

impl<'a> CopySegment<'a> {
    /// Not yet run: the status a segment has until a copy writes it.
    const PENDING: i16 = GrantStatus::GENERAL_ERROR.get();

    fn new(source: CopyPtr, dest: CopyPtr, len: u16, flags: u16) -> Self {
        Self {
            source,
            dest,
            len,
            flags,
            status: Self::PENDING,
            _pad: 0,
            _buffers: PhantomData,
        }
    }

    /// Copies `dest.len()` bytes from the grant at `source` into `dest`.
    /// The bytes must lie in the granted page (checked by
    /// [`Gntdev::copy`](super::Gntdev::copy)); `dest` may span pages.
    pub fn from_grant(source: GrantAddr, dest: &'a mut [u8]) -> Self {
        let len = u16::try_from(dest.len()).unwrap_or(u16::MAX);
        let dest = CopyPtr {
            virt: dest.as_mut_ptr() as u64,
        };
        Self::new(source.into(), dest, len, GNTCOPY_SOURCE_GREF)
    }

    /// Copies `source` into the grant at `dest`.
    pub fn to_grant(source: &'a [u8], dest: GrantAddr) -> Self {
        let len = u16::try_from(source.len()).unwrap_or(u16::MAX);
        let source = CopyPtr {
            virt: source.as_ptr() as u64,
        };
        Self::new(source, dest.into(), len, GNTCOPY_DEST_GREF)
    }

    /// Copies `len` bytes from one grant to another.
    pub fn between(source: GrantAddr, dest: GrantAddr, len: u16) -> Self {
        Self::new(
            source.into(),
            dest.into(),
            len,
            GNTCOPY_SOURCE_GREF | GNTCOPY_DEST_GREF,
        )
    }

    /// Bytes this segment copies.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True for a segment of no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Xen's answer for this segment once a copy ran ([`GrantStatus::OKAY`]
    /// when the bytes were copied); [`GrantStatus::GENERAL_ERROR`] before.
    pub fn status(&self) -> GrantStatus {
        GrantStatus::new(self.status)
    }

    /// The grant-side offsets and the length, for checks before the ioctl:
    /// `(source offset, dest offset, len)`, `None` for a local side.
    pub(crate) fn grant_spans(&self) -> (Option<u16>, Option<u16>, u16) {
        // SAFETY: both union variants are 8 bytes of plain integers, always
        // initialised, so reading either is defined.
        let (src, dst) = unsafe { (self.source.foreign.offset, self.dest.foreign.offset) };
        let src = (self.flags & GNTCOPY_SOURCE_GREF != 0).then_some(src);
        let dst = (self.flags & GNTCOPY_DEST_GREF != 0).then_some(dst);
        (src, dst, self.len)
    }

    /// Marks the segment as not yet run (before a copy).
    pub(crate) fn reset_status(&mut self) {
        self.status = Self::PENDING;
    }
}

// SAFETY: the raw pointers in a segment stand for the slices it borrows
// (`&'a [u8]` / `&'a mut [u8]`), which may move between threads.
unsafe impl Send for CopySegment<'_> {}
// SAFETY: `&CopySegment` reads only the plain fields, never the buffers.
unsafe impl Sync for CopySegment<'_> {}

/// A shared mapping of a grant device's pages, unmapped on [`unmap`] or
/// drop.
///
/// [`unmap`]: Region::unmap
pub(crate) struct Region {
    ptr: NonNull<u8>,
    len: usize,
    writable: bool,
    mapped: bool,
}

// SAFETY: the mapping is owned by this value; nothing in it is tied to the
// creating thread.
unsafe impl Send for Region {}
// SAFETY: `&Region` reaches the memory only through `SharedMem` handles,
// whose every access is atomic; the rest is immutable.
unsafe impl Sync for Region {}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Region")
            .field("addr", &self.ptr)
            .field("len", &self.len)
            .field("writable", &self.writable)
            .field("mapped", &self.mapped)
            .finish()
    }
}

impl Region {
    /// `mmap(NULL, len, prot, MAP_SHARED, file, offset)`.
    pub(crate) fn map(file: &File, len: usize, writable: bool, offset: u64) -> io::Result<Self> {
        let prot = if writable {
            libc::PROT_READ | libc::PROT_WRITE
        } else {
            libc::PROT_READ
        };
        let offset = libc::off_t::try_from(offset)
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: a new shared mapping of the device file; no existing
        // memory is affected.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                offset,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or(io::Error::from_raw_os_error(libc::ENOMEM))?;
        Ok(Self {
            ptr,
            len,
            writable,
            mapped: true,
        })
    }

    /// Start address (for diagnostics and `/proc/self/maps`).
    pub(crate) fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// The bytes `off..off + len` as a read-write handle; `None` if out of
    /// bounds, read-only or unmapped.
    pub(crate) fn shared_mem(&self, off: usize, len: usize) -> Option<SharedMem<'_>> {
        if !self.writable {
            return None;
        }
        let at = self.at(off, len)?;
        // SAFETY: `at` proved [off, off + len) lies in this mapping, which is
        // readable and writable and stays mapped while `self` is borrowed
        // (`unmap` takes `&mut self`); the crate touches it only through
        // such handles, all atomic. Page alignment of the base and a
        // caller-checked `off` give the alignment `new` checks again.
        unsafe { SharedMem::new(at, len) }.ok()
    }

    /// The bytes `off..off + len` as a read-only handle.
    pub(crate) fn shared_mem_read_only(
        &self,
        off: usize,
        len: usize,
    ) -> Option<SharedMem<'_, ReadOnly>> {
        let at = self.at(off, len)?;
        // SAFETY: as in `shared_mem`; every mapping is at least readable.
        unsafe { SharedMem::new_read_only(at, len) }.ok()
    }

    fn at(&self, off: usize, len: usize) -> Option<NonNull<u8>> {
        let end = off.checked_add(len)?;
        if !self.mapped || end > self.len {
            return None;
        }
        // SAFETY: `off <= len` of our mapping: in bounds (or one past), and
        // like the base not null.
        Some(unsafe { NonNull::new_unchecked(self.ptr.as_ptr().add(off)) })
    }

    /// Unmaps the region (once; later calls do nothing).
    pub(crate) fn unmap(&mut self) {
        if core::mem::take(&mut self.mapped) {
            // SAFETY: the range this value mapped and owns; `&mut self`
            // proves no `SharedMem` handle into it is alive.
            unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        self.unmap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_match_linux() {
        // _IOC(_IOC_NONE, 'G', nr, sizeof(struct ...)) with the sizes C gives
        // on x86_64 and arm64.
        assert_eq!(IOCTL_GNTDEV_MAP_GRANT_REF, 0x0018_4700);
        assert_eq!(IOCTL_GNTDEV_UNMAP_GRANT_REF, 0x0010_4701);
        assert_eq!(IOCTL_GNTDEV_SET_MAX_GRANTS, 0x0004_4703);
        assert_eq!(IOCTL_GNTDEV_SET_UNMAP_NOTIFY, 0x0010_4707);
        assert_eq!(IOCTL_GNTDEV_GRANT_COPY, 0x0010_4708);
        assert_eq!(IOCTL_GNTALLOC_ALLOC_GREF, 0x0018_4705);
        assert_eq!(IOCTL_GNTALLOC_DEALLOC_GREF, 0x0010_4706);
        assert_eq!(IOCTL_GNTALLOC_SET_UNMAP_NOTIFY, 0x0010_4707);
    }
}

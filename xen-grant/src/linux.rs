// SPDX-License-Identifier: MIT OR Apache-2.0
//! `/dev/xen/gntalloc` and `/dev/xen/gntdev`: sharing pages and mapping
//! foreign grants from a Linux dom0 or driver-domain process.
//!
//! - [`Gntalloc`] shares pages of ours: [`Gntalloc::share`] allocates them,
//!   grants them to a domain and maps them into an owned [`SharedPages`]
//!   (its grant refs plus the mapping), which unmaps and revokes them on
//!   drop.
//! - [`Gntdev`] maps a peer's grants into an owned [`GrantMapping`]
//!   (`IOCTL_GNTDEV_MAP_GRANT_REF` + `mmap`; `munmap` then
//!   `IOCTL_GNTDEV_UNMAP_GRANT_REF` on drop), copies through grants in
//!   batches without mapping them ([`Gntdev::copy`]), and sets the old
//!   per-file limit ([`Gntdev::set_max_grants`]).
//! - Both kinds of mapping can ask the kernel to clear a byte or signal an
//!   event channel when they go away ([`UnmapNotify`]): how a peer learns
//!   that we crashed.
//!
//! The pages are shared with another domain, which may write them at any
//! time, so neither type hands out `&[u8]`: both give [`SharedMem`] handles
//! that borrow the mapping (atomic, bounds-checked accesses; see
//! `xen_abi::io::shm`), and the borrow checker keeps every handle from
//! outliving the mapping, and every mapping from outliving its device.
//!
//! ```no_run
//! use xen_abi::{io::shm::Ordering, DomId};
//! use xen_grant::linux::{Access, Gntalloc, Gntdev};
//! # fn main() -> Result<(), xen_grant::Error> {
//! let gntalloc = Gntalloc::open()?;
//! let shared = gntalloc.share(DomId::DOM0, 1, Access::ReadWrite)?;
//! shared.shared_mem(..)?.store_u64(0, 42, Ordering::Release)?;
//!
//! // A dom0 may map its own grants: here the "peer" is ourselves.
//! let gntdev = Gntdev::open()?;
//! let mapping = gntdev.map(DomId::DOM0, shared.refs(), Access::ReadWrite)?;
//! assert_eq!(mapping.shared_mem(..)?.load_u64(0, Ordering::Acquire)?, 42);
//! # Ok(()) }
//! ```
//!
//! [`SharedMem`]: xen_abi::io::shm::SharedMem

use core::ops::{Bound, RangeBounds};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use xen_abi::event_channel::EvtchnPort;
use xen_abi::grant_table::GrantRef;
use xen_abi::io::shm::{ReadOnly, SharedMem, SHARED_MEM_ALIGN};
use xen_abi::DomId;

use crate::{Error, Result};

mod gntalloc;
mod gntdev;
pub(crate) mod reply;
mod sys;

pub use gntalloc::{Gntalloc, SharedPages};
pub use gntdev::{Gntdev, GrantMapping};
pub use sys::{
    CopySegment, IOCTL_GNTALLOC_ALLOC_GREF, IOCTL_GNTALLOC_DEALLOC_GREF,
    IOCTL_GNTALLOC_SET_UNMAP_NOTIFY, IOCTL_GNTDEV_GRANT_COPY, IOCTL_GNTDEV_MAP_GRANT_REF,
    IOCTL_GNTDEV_SET_MAX_GRANTS, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, IOCTL_GNTDEV_UNMAP_GRANT_REF,
    PAGE_SIZE,
};

/// Where the gntalloc device lives.
pub const GNTALLOC_PATH: &str = "/dev/xen/gntalloc";
/// Where the gntdev device lives.
pub const GNTDEV_PATH: &str = "/dev/xen/gntdev";

/// How granted pages may be used: by the peer for pages we share, by us for
/// a mapping of a peer's grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read only.
    ReadOnly,
    /// Read and write.
    ReadWrite,
}

/// A byte of a granted page: the owner, the ref and the offset in the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantAddr {
    /// The domain that granted the page.
    pub domid: DomId,
    /// Its grant reference.
    pub gref: GrantRef,
    /// Byte offset in the page.
    pub offset: u16,
}

impl GrantAddr {
    /// The first byte of the page `gref` of `domid`.
    pub const fn new(domid: DomId, gref: GrantRef) -> Self {
        Self {
            domid,
            gref,
            offset: 0,
        }
    }

    /// The same page at byte `offset`.
    pub const fn at(self, offset: u16) -> Self {
        Self { offset, ..self }
    }
}

/// What the kernel does when a mapping goes away (`munmap`, drop, or the
/// process dying): clear one byte of it, signal an event channel, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[doc(alias = "UNMAP_NOTIFY_CLEAR_BYTE")]
#[doc(alias = "UNMAP_NOTIFY_SEND_EVENT")]
pub struct UnmapNotify {
    clear_byte: Option<usize>,
    send_event: Option<EvtchnPort>,
}

impl UnmapNotify {
    /// Nothing (clears an earlier request).
    pub const NONE: Self = Self {
        clear_byte: None,
        send_event: None,
    };

    /// Clear the byte at `offset` in the mapping.
    pub const fn clear_byte(offset: usize) -> Self {
        Self {
            clear_byte: Some(offset),
            send_event: None,
        }
    }

    /// Signal `port`, which must be bound in the kernel (through
    /// `/dev/xen/evtchn`, by any process) when the notice is set.
    pub const fn send_event(port: EvtchnPort) -> Self {
        Self {
            clear_byte: None,
            send_event: Some(port),
        }
    }

    /// This notice and also signal `port`.
    pub const fn and_send_event(self, port: EvtchnPort) -> Self {
        Self {
            send_event: Some(port),
            ..self
        }
    }

    /// The byte offset to clear, if any.
    pub const fn cleared_byte(&self) -> Option<usize> {
        self.clear_byte
    }

    /// The port to signal, if any.
    pub const fn event(&self) -> Option<EvtchnPort> {
        self.send_event
    }

    /// `(byte offset in the mapping, action bits, port)` for the ioctl,
    /// checked against a mapping of `len` bytes.
    fn encode(&self, len: usize) -> Result<(u64, u32, u32)> {
        let mut action = 0;
        let mut offset = 0;
        if let Some(off) = self.clear_byte {
            if off >= len {
                return Err(Error::OutOfBounds {
                    offset: off,
                    len: 1,
                    mapping_len: len,
                });
            }
            offset = off;
            action |= sys::UNMAP_NOTIFY_CLEAR_BYTE;
        }
        let port = match self.send_event {
            Some(p) => {
                action |= sys::UNMAP_NOTIFY_SEND_EVENT;
                p.get()
            }
            None => 0,
        };
        Ok((offset as u64, action, port))
    }
}

/// Opens a grant device read-write.
fn open_device(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|source| Error::Device {
            path: path.to_path_buf(),
            call: "open",
            source,
        })
}

/// The error of the system call `call` on `path`.
fn device_error(path: &Path, call: &'static str, source: std::io::Error) -> Error {
    Error::Device {
        path: PathBuf::from(path),
        call,
        source,
    }
}

impl sys::Region {
    /// `range` of this mapping of `len` bytes as a read-write handle
    /// ([`Error::OutOfBounds`] for a range beyond it, misaligned, or on a
    /// read-only mapping).
    fn range(&self, range: impl RangeBounds<usize>, len: usize) -> Result<SharedMem<'_>> {
        let (off, n) = span(range, len)?;
        self.shared_mem(off, n).ok_or(Error::OutOfBounds {
            offset: off,
            len: n,
            mapping_len: len,
        })
    }

    /// `range` of this mapping of `len` bytes as a read-only handle.
    fn range_read_only(
        &self,
        range: impl RangeBounds<usize>,
        len: usize,
    ) -> Result<SharedMem<'_, ReadOnly>> {
        let (off, n) = span(range, len)?;
        self.shared_mem_read_only(off, n).ok_or(Error::OutOfBounds {
            offset: off,
            len: n,
            mapping_len: len,
        })
    }
}

/// `range` of a `len`-byte mapping as `(offset, len)`, checked for bounds
/// and alignment.
fn span(range: impl RangeBounds<usize>, len: usize) -> Result<(usize, usize)> {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.saturating_add(1),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => len,
    };
    let out = Error::OutOfBounds {
        offset: start,
        len: end.saturating_sub(start),
        mapping_len: len,
    };
    if end < start || end > len || start % SHARED_MEM_ALIGN != 0 {
        return Err(out);
    }
    Ok((start, end - start))
}

/// Pages to bytes, refusing zero and overflow.
fn pages_to_len(pages: usize) -> Result<usize> {
    if pages == 0 {
        return Err(Error::InvalidRequest("a mapping of no pages"));
    }
    pages
        .checked_mul(PAGE_SIZE)
        .ok_or(Error::InvalidRequest("a mapping larger than memory"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn spans_are_checked() {
        assert_eq!(span(.., 8192).unwrap(), (0, 8192));
        assert_eq!(span(4096.., 8192).unwrap(), (4096, 4096));
        assert_eq!(span(8..16, 8192).unwrap(), (8, 8));
        assert!(span(..8193, 8192).is_err());
        assert!(span(3..16, 8192).is_err());
        assert!(matches!(
            span(4096..8192, 4096),
            Err(Error::OutOfBounds {
                offset: 4096,
                len: 4096,
                mapping_len: 4096
            })
        ));
    }

    #[test]
    fn unmap_notify_encodes_and_checks() {
        let port = EvtchnPort::new(5).unwrap();
        assert_eq!(UnmapNotify::NONE.encode(4096).unwrap(), (0, 0, 0));
        assert_eq!(
            UnmapNotify::clear_byte(9).encode(4096).unwrap(),
            (9, sys::UNMAP_NOTIFY_CLEAR_BYTE, 0)
        );
        assert_eq!(
            UnmapNotify::clear_byte(9)
                .and_send_event(port)
                .encode(4096)
                .unwrap(),
            (9, 3, 5)
        );
        assert!(UnmapNotify::clear_byte(4096).encode(4096).is_err());
    }

    #[test]
    fn missing_device_names_path_and_fix() {
        let e = Gntdev::open_path(Path::new("/nonexistent/gntdev")).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("/nonexistent/gntdev"), "{s}");
        assert!(s.contains("modprobe xen-gntdev"), "{s}");
        let e = Gntalloc::open_path(Path::new("/nonexistent/gntalloc")).unwrap_err();
        assert!(e.to_string().contains("modprobe xen-gntalloc"), "{e}");
    }
}

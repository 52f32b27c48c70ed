// SPDX-License-Identifier: MIT OR Apache-2.0
//! The crate's error type, shared by both halves.

use core::fmt;

use xen_abi::grant_table::{GrantRef, GrantStatus};
use xen_abi::Errno;
use xen_hypercall::grant_table::GrantError;

/// Errors of the in-guest half and of the Linux devices.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Xen refused a grant-table operation.
    Xen(Errno),

    // --- The in-guest half (`guest`). ---
    /// The hypercall succeeded but Xen's per-operation status says no
    /// (`GNTST_*`).
    Status(GrantStatus),
    /// Every reference the table can hold is granted, and the table cannot
    /// grow (Xen's maximum, or the manager's
    /// [`MAX_REFS`](crate::guest::MAX_REFS)).
    TableFull {
        /// The references the table holds at most.
        limit: u32,
    },
    /// A reference this table does not hand out (reserved, or beyond the
    /// table).
    BadRef(GrantRef),
    /// The version switch was refused: grants of the current version are
    /// still outstanding.
    GrantsOutstanding(u32),
    /// A grant-table version other than 1 or 2 (asked for, or reported by
    /// Xen).
    BadVersion(u32),
    /// The operation needs grant-table version 2 (sub-page, transitive).
    NeedsV2,
    /// A page that is not one whole, page-aligned page.
    NotAPage {
        /// The region's address.
        addr: usize,
        /// The region's length.
        len: usize,
    },
    /// A frame number a v1 entry cannot hold (more than 32 bits).
    FrameTooBig(u64),
    /// A byte range that leaves its page (sub-page grants, copy segments).
    BadRange {
        /// First byte.
        offset: u16,
        /// Number of bytes.
        len: u16,
    },
    /// A shared page is too small or misaligned for what it must hold.
    SharedMem(xen_abi::Error),

    // --- The Linux half (`linux`: /dev/xen/gntalloc, /dev/xen/gntdev). ---
    /// A grant device refused a system call; [`hint`](Error::hint) names
    /// the likely fix.
    #[cfg(all(feature = "std", target_os = "linux"))]
    Device {
        /// The device node (`/dev/xen/gntdev`, `/dev/xen/gntalloc`).
        path: std::path::PathBuf,
        /// The call, for messages (`open`, `mmap`,
        /// `ioctl(IOCTL_GNTDEV_MAP_GRANT_REF)`, ...).
        call: &'static str,
        /// What the kernel said.
        source: std::io::Error,
    },
    /// Xen refused to map a foreign grant. Linux answers `EINVAL` for every
    /// reason; `status` is what Xen answered a one-byte grant copy from the
    /// first ref that failed: [`GrantStatus::BAD_GNTREF`] (a ref beyond the
    /// peer's table), [`GrantStatus::BAD_DOMAIN`] (no such domain),
    /// [`GrantStatus::GENERAL_ERROR`] (not granted to us, or revoked), or
    /// [`GrantStatus::OKAY`] when the copy worked but the map did not (a
    /// read-only grant mapped for writing, say).
    ///
    /// [`GrantStatus::BAD_GNTREF`]: xen_abi::grant_table::GrantStatus::BAD_GNTREF
    /// [`GrantStatus::BAD_DOMAIN`]: xen_abi::grant_table::GrantStatus::BAD_DOMAIN
    /// [`GrantStatus::GENERAL_ERROR`]: xen_abi::grant_table::GrantStatus::GENERAL_ERROR
    /// [`GrantStatus::OKAY`]: xen_abi::grant_table::GrantStatus::OKAY
    #[cfg(all(feature = "std", target_os = "linux"))]
    MapRefused {
        /// The domain named as the grants' owner.
        domid: xen_abi::DomId,
        /// The first ref that failed (the first of the batch if none did
        /// alone).
        gref: GrantRef,
        /// Xen's answer for `gref`, from the probe copy.
        status: GrantStatus,
        /// What `mmap` of `/dev/xen/gntdev` said.
        source: std::io::Error,
    },
    /// A segment of a grant copy failed (the first one; every segment's
    /// status is in the batch).
    #[cfg(all(feature = "std", target_os = "linux"))]
    CopyFailed {
        /// Its index in the batch.
        segment: usize,
        /// Xen's answer.
        status: GrantStatus,
    },
    /// A request refused before any system call (no pages, a range beyond a
    /// mapping, a copy crossing a page).
    #[cfg(all(feature = "std", target_os = "linux"))]
    InvalidRequest(&'static str),
    /// `offset..offset + len` is not inside the mapping (or not
    /// [`SHARED_MEM_ALIGN`](xen_abi::io::shm::SHARED_MEM_ALIGN)-aligned, or
    /// a writable handle on a read-only mapping).
    #[cfg(all(feature = "std", target_os = "linux"))]
    OutOfBounds {
        /// The requested offset.
        offset: usize,
        /// The requested length.
        len: usize,
        /// The mapping's length.
        mapping_len: usize,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl From<Errno> for Error {
    fn from(e: Errno) -> Self {
        Self::Xen(e)
    }
}

impl From<GrantError> for Error {
    fn from(e: GrantError) -> Self {
        match e {
            GrantError::Errno(e) => Self::Xen(e),
            GrantError::Status(s) => Self::Status(s),
            // `GrantError` is non-exhaustive.
            _ => Self::Xen(Errno::EINVAL),
        }
    }
}

impl From<xen_abi::Error> for Error {
    fn from(e: xen_abi::Error) -> Self {
        Self::SharedMem(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xen(e) => write!(f, "Xen refused the grant-table operation: {e}"),
            Self::Status(s) => write!(f, "grant operation failed: {s}"),
            Self::TableFull { limit } => {
                write!(f, "grant table full ({limit} references) and cannot grow")
            }
            Self::BadRef(r) => write!(f, "grant reference {r} is not one this table hands out"),
            Self::GrantsOutstanding(n) => {
                write!(
                    f,
                    "{n} grants still outstanding: end them before switching versions"
                )
            }
            Self::BadVersion(v) => write!(f, "grant-table version {v} (wanted 1 or 2)"),
            Self::NeedsV2 => f.write_str("the operation needs grant-table version 2"),
            Self::NotAPage { addr, len } => {
                write!(f, "{len} bytes at {addr:#x} are not one page-aligned page")
            }
            Self::FrameTooBig(fr) => write!(f, "frame {fr:#x} does not fit a v1 grant entry"),
            Self::BadRange { offset, len } => {
                write!(f, "{len} bytes at offset {offset} leave the page")
            }
            Self::SharedMem(e) => write!(f, "shared grant page unusable: {e}"),
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::Device { path, call, source } => write!(
                f,
                "{call} on {} failed: {source} ({})",
                path.display(),
                self.hint()
            ),
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::MapRefused {
                domid,
                gref,
                status,
                source,
            } if status.is_okay() => write!(
                f,
                "mmap on /dev/xen/gntdev of grant {gref} of domain {domid} failed: {source}; \
                 Xen copies from it, so the map asked for more than the grant allows \
                 (map a read-only grant with Access::ReadOnly)"
            ),
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::MapRefused {
                domid,
                gref,
                status,
                source,
            } => write!(
                f,
                "mmap on /dev/xen/gntdev of grant {gref} of domain {domid} failed: {source}; \
                 Xen says {status} ({})",
                self.hint()
            ),
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::CopyFailed { segment, status } => {
                write!(f, "grant copy segment {segment} failed: {status}")
            }
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::InvalidRequest(what) => write!(f, "invalid grant-device request: {what}"),
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::OutOfBounds {
                offset,
                len,
                mapping_len,
            } => write!(
                f,
                "{len} bytes at offset {offset:#x} are not a usable range of the \
                 {mapping_len:#x}-byte mapping"
            ),
        }
    }
}

impl Error {
    /// The most likely fix, for a person reading the message (empty when
    /// there is nothing to add).
    pub fn hint(&self) -> &'static str {
        match self {
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::Device { path, source, .. } => {
                let gntalloc = path.to_string_lossy().contains("gntalloc");
                match (source.raw_os_error(), gntalloc) {
                    (Some(libc::ENOENT | libc::ENODEV | libc::ENXIO), true) => {
                        "load the driver: modprobe xen-gntalloc (and run on Xen)"
                    }
                    (Some(libc::ENOENT | libc::ENODEV | libc::ENXIO), false) => {
                        "load the driver: modprobe xen-gntdev (and run on Xen)"
                    }
                    (Some(libc::EACCES | libc::EPERM), _) => "permission denied: run as root",
                    (Some(libc::ENOSPC), true) => {
                        "gntalloc's page limit is reached: free pages, or raise the \
                         module parameter xen_gntalloc.limit"
                    }
                    (Some(libc::ENOSPC | libc::ENOMEM), false) => {
                        "gntdev's grant limit is reached: unmap grants, or raise the \
                         module parameter xen_gntdev.limit"
                    }
                    _ => "",
                }
            }
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::MapRefused { .. } => {
                "check that the peer granted this ref to our domain, has not revoked it, \
                 and that the domid is the granting domain's"
            }
            _ => "",
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::Device { source, .. } | Self::MapRefused { source, .. } => Some(source),
            _ => None,
        }
    }
}

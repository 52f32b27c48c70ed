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
        }
    }
}

impl core::error::Error for Error {}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The crate's error type, shared by both halves.

use core::fmt;

use xen_abi::Errno;

/// Errors of the in-guest half and of the Linux device.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Xen refused an event-channel operation.
    Xen(Errno),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl From<Errno> for Error {
    fn from(e: Errno) -> Self {
        Self::Xen(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xen(e) => write!(f, "Xen refused the event-channel operation: {e}"),
        }
    }
}

impl core::error::Error for Error {}

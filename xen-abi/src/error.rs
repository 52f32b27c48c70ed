// SPDX-License-Identifier: MIT OR Apache-2.0
//! The crate's error type.

use core::fmt;

/// Errors from validating ids and decoding bytes into ABI structs.
///
/// Every variant carries the offending value, so a log line says what a peer
/// actually sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A domain id outside the range allowed where it was used.
    InvalidDomId(u16),
    /// An event-channel port beyond the ABI limit.
    InvalidPort(u32),
    /// A grant reference that is not valid where it was used.
    InvalidGrantRef(u32),
    /// A frame number that does not fit the ABI type.
    InvalidFrame(u64),
    /// A byte slice too short (or of the wrong length) for the type.
    BadLength {
        /// Bytes the type needs.
        expected: usize,
        /// Bytes that were given.
        actual: usize,
    },
    /// A byte slice whose address is not aligned for the type.
    Misaligned {
        /// Alignment the type needs.
        align: usize,
        /// The address that was given.
        addr: usize,
    },
    /// An access to shared memory beyond the end of its region.
    OutOfBounds {
        /// Offset of the access in the region.
        offset: usize,
        /// Bytes accessed.
        len: usize,
        /// The region's size.
        size: usize,
    },
    /// An access to shared memory at an offset not aligned for its width.
    MisalignedOffset {
        /// Offset of the access in the region.
        offset: usize,
        /// Alignment the access needs.
        align: usize,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::InvalidDomId(v) => write!(f, "invalid domain id {v:#x}"),
            Error::InvalidPort(v) => write!(f, "invalid event-channel port {v}"),
            Error::InvalidGrantRef(v) => write!(f, "invalid grant reference {v}"),
            Error::InvalidFrame(v) => write!(f, "invalid frame number {v:#x}"),
            Error::BadLength { expected, actual } => {
                write!(f, "need {expected} bytes, got {actual}")
            }
            Error::Misaligned { align, addr } => {
                write!(f, "address {addr:#x} is not {align}-byte aligned")
            }
            Error::OutOfBounds { offset, len, size } => write!(
                f,
                "{len} bytes at offset {offset:#x} exceed the {size:#x}-byte region"
            ),
            Error::MisalignedOffset { offset, align } => {
                write!(f, "offset {offset:#x} is not {align}-byte aligned")
            }
        }
    }
}

impl core::error::Error for Error {}

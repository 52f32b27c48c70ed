// SPDX-License-Identifier: MIT OR Apache-2.0
//! The crate's error type, shared by both halves.

use core::fmt;

use xen_abi::Errno;

/// Errors of the in-guest half and of the Linux devices.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Xen refused a grant-table operation.
    Xen(Errno),

    // --- The in-guest half (`guest`). ---
    /// A port beyond what the pending-event ABI in use covers (4096 ports
    /// for 2-level; the event-array pages added so far for FIFO).
    PortOutOfRange {
        /// The port asked for.
        port: u32,
        /// One past the largest port covered.
        limit: u32,
    },
    /// A FIFO priority outside `0..=15`.
    BadPriority(u32),
    /// A vCPU the demultiplexer cannot serve (2-level: beyond the
    /// `vcpu_info` slots of shared_info).
    BadVcpu(u32),
    /// The FIFO event array already covers every port (128 pages).
    ArrayFull,
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

impl From<xen_abi::Error> for Error {
    fn from(e: xen_abi::Error) -> Self {
        Self::SharedMem(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xen(e) => write!(f, "Xen refused the grant-table operation: {e}"),
            Self::PortOutOfRange { port, limit } => {
                write!(f, "event-channel port {port} out of range (limit {limit})")
            }
            Self::BadPriority(p) => write!(f, "FIFO priority {p} out of range (0..=15)"),
            Self::BadVcpu(v) => write!(f, "vCPU {v} not served by this event demultiplexer"),
            Self::ArrayFull => f.write_str("the FIFO event array covers every port already"),
            Self::SharedMem(e) => write!(f, "shared event-channel page unusable: {e}"),
        }
    }
}

impl core::error::Error for Error {}

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
    /// A system call on the Linux device (`/dev/xen/evtchn`) failed; the
    /// OS's error is kept as it came.
    #[cfg(all(feature = "std", target_os = "linux"))]
    Device {
        /// The device node.
        path: std::path::PathBuf,
        /// What was asked of it (`open`, `read`, `ioctl(IOCTL_EVTCHN_NOTIFY)`, ...).
        op: &'static str,
        /// The kernel's answer.
        source: std::io::Error,
    },
    /// The driver's ring of pending ports overflowed (`EFBIG`): events were
    /// lost. Call `reset`, then treat every port of the handle as pending
    /// (unmask each, and check the state the events stand for).
    #[cfg(all(feature = "std", target_os = "linux"))]
    Overflow {
        /// The device node.
        path: std::path::PathBuf,
    },
    /// The device returned a byte count that is not a whole number of
    /// ports (never seen from Linux; refused instead of guessed at).
    #[cfg(all(feature = "std", target_os = "linux"))]
    PartialPort {
        /// The byte count.
        bytes: usize,
    },
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

#[cfg(all(feature = "std", target_os = "linux"))]
impl Error {
    /// The most likely fix for a [`Device`](Self::Device) error, for a person
    /// reading the message (`None` for the other variants).
    pub fn hint(&self) -> Option<&'static str> {
        let Self::Device { source, .. } = self else {
            return None;
        };
        Some(match source.raw_os_error() {
            Some(libc::ENOENT) | Some(libc::ENODEV) | Some(libc::ENXIO) => {
                "the device is missing: load the module (modprobe xen-evtchn) on a Xen domain"
            }
            Some(libc::EACCES) | Some(libc::EPERM) => {
                "permission denied: run as root (or the handle is restricted to another domain)"
            }
            Some(libc::ENOTCONN) => "the port is not bound through this handle",
            Some(libc::EINVAL) => "the port or domain is out of range",
            _ => "unexpected error from the event-channel device",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xen(e) => write!(f, "Xen refused the event-channel operation: {e}"),
            Self::PortOutOfRange { port, limit } => {
                write!(f, "event-channel port {port} out of range (limit {limit})")
            }
            Self::BadPriority(p) => write!(f, "FIFO priority {p} out of range (0..=15)"),
            Self::BadVcpu(v) => write!(f, "vCPU {v} not served by this event demultiplexer"),
            Self::ArrayFull => f.write_str("the FIFO event array covers every port already"),
            Self::SharedMem(e) => write!(f, "shared event-channel page unusable: {e}"),
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::Device { path, op, source } => write!(
                f,
                "{op} on {} failed: {source} ({})",
                path.display(),
                self.hint().unwrap_or_default()
            ),
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::Overflow { path } => write!(
                f,
                "{}: the ring of pending ports overflowed and events were lost \
                 (reset the handle, then unmask and recheck every port)",
                path.display()
            ),
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::PartialPort { bytes } => {
                write!(
                    f,
                    "the device returned {bytes} bytes, not a whole number of ports"
                )
            }
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            #[cfg(all(feature = "std", target_os = "linux"))]
            Self::Device { source, .. } => Some(source),
            _ => None,
        }
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The toolstack's handle: `domctl` and `sysctl` spoken in the running
//! hypervisor's own interface version.
//!
//! Xen answers `EACCES` to a domctl or sysctl whose interface version is not
//! exactly its own, and the argument layouts change between releases. A
//! [`Toolstack`] asks Xen its version once (`XENVER_version`), picks the
//! [`Interface`] whose layouts xen-abi mirrors for that release (Xen 4.17 or
//! 4.20, both layout-proven against their headers), and refuses any other
//! release with [`Error::UnsupportedVersion`] rather than guessing a layout.
//!
//! The operations are methods, grouped by hypercall: [`crate::domctl`]
//! (create, inspect, pause, destroy, limits, vCPUs) and [`crate::sysctl`]
//! (host information, the domain list, Xen's console, the scheduler, CPU
//! pools). They need a privileged caller: dom0 over
//! `privcmd`, or a privileged guest kernel.
//!
//! ```no_run
//! # #[cfg(all(feature = "std", target_os = "linux"))]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use xen_hypercall::privcmd::Privcmd;
//! use xen_hypercall::toolstack::Toolstack;
//!
//! let xen = Toolstack::new(Privcmd::open()?)?;
//! let host = xen.physinfo()?;
//! println!("Xen {} on {} CPUs", xen.interface().version(), host.nr_cpus);
//! # Ok(()) }
//! # #[cfg(not(all(feature = "std", target_os = "linux")))] fn main() {}
//! ```

use core::fmt;

use xen_abi::version::XenVersion;
use xen_abi::xen::HypercallOp;
use xen_abi::{domctl, sysctl, DomId, Errno};

use crate::{version, Hypercall};

/// A release's domctl/sysctl interface, whose layouts xen-abi mirrors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Interface {
    /// Xen 4.17 (domctl 0x15, sysctl 0x15; [`xen_abi::domctl::v4_17`]).
    V4_17,
    /// Xen 4.20 (domctl 0x17, sysctl 0x15; [`xen_abi::domctl::v4_20`]).
    V4_20,
}

impl Interface {
    /// Every known interface, oldest first.
    pub const ALL: [Interface; 2] = [Interface::V4_17, Interface::V4_20];

    /// The interface of Xen `version`.
    ///
    /// # Errors
    /// [`Error::UnsupportedVersion`] for any release but 4.17 and 4.20
    /// (including the 4.18 and 4.19 in between, whose layouts are not
    /// mirrored, and every newer one).
    pub const fn for_version(version: XenVersion) -> Result<Self, Error> {
        match (version.major, version.minor) {
            (4, 17) => Ok(Interface::V4_17),
            (4, 20) => Ok(Interface::V4_20),
            _ => Err(Error::UnsupportedVersion { found: version }),
        }
    }

    /// Asks Xen its version (`XENVER_version`) and picks its interface.
    ///
    /// # Errors
    /// [`Error::Xen`] if Xen refuses to say, [`Error::UnsupportedVersion`]
    /// as [`Interface::for_version`].
    pub fn detect(hc: &impl Hypercall) -> Result<Self, Error> {
        let v = version::version(hc).map_err(|errno| Error::Xen {
            op: "XENVER_version",
            errno,
        })?;
        Self::for_version(v)
    }

    /// The Xen release.
    pub const fn version(self) -> XenVersion {
        match self {
            Interface::V4_17 => XenVersion::new(4, 17),
            Interface::V4_20 => XenVersion::new(4, 20),
        }
    }

    /// `XEN_DOMCTL_INTERFACE_VERSION` of the release.
    pub const fn domctl_version(self) -> u32 {
        match self {
            Interface::V4_17 => domctl::v4_17::INTERFACE_VERSION,
            Interface::V4_20 => domctl::v4_20::INTERFACE_VERSION,
        }
    }

    /// `XEN_SYSCTL_INTERFACE_VERSION` of the release.
    pub const fn sysctl_version(self) -> u32 {
        match self {
            Interface::V4_17 => sysctl::v4_17::INTERFACE_VERSION,
            Interface::V4_20 => sysctl::v4_20::INTERFACE_VERSION,
        }
    }
}

/// Why a toolstack operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The hypervisor is a release whose domctl/sysctl layouts are not
    /// mirrored: no call was made.
    UnsupportedVersion {
        /// What `XENVER_version` said.
        found: XenVersion,
    },
    /// Xen refused the interface version sent (`EACCES` from domctl or
    /// sysctl; under XSM an access-control refusal reads the same).
    InterfaceVersion {
        /// The hypercall.
        hypercall: HypercallOp,
        /// The version sent.
        sent: u32,
    },
    /// The domain does not exist (`ESRCH`, or Xen described another one).
    NoSuchDomain(DomId),
    /// Xen's answer broke the interface (a count larger than asked for, a
    /// reply for another command).
    BadReply {
        /// The operation.
        op: &'static str,
    },
    /// A caller-supplied argument out of range (before any call).
    InvalidArgument {
        /// What was wrong.
        what: &'static str,
    },
    /// Xen refused the operation.
    Xen {
        /// The operation (`XEN_DOMCTL_getdomaininfo`, ...).
        op: &'static str,
        /// Xen's errno.
        errno: Errno,
    },
}

impl Error {
    /// Xen's errno, where Xen gave one.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Xen { errno, .. } => Some(*errno),
            Error::InterfaceVersion { .. } => Some(Errno::EACCES),
            Error::NoSuchDomain(_) => Some(Errno::ESRCH),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnsupportedVersion { found } => write!(
                f,
                "Xen {found} is not a release whose domctl/sysctl layouts are known (4.17, 4.20)"
            ),
            Error::InterfaceVersion { hypercall, sent } => write!(
                f,
                "Xen refused {} interface version {sent:#x}",
                if *hypercall == HypercallOp::DOMCTL {
                    "domctl"
                } else {
                    "sysctl"
                }
            ),
            Error::NoSuchDomain(d) => write!(f, "no domain {}", d.get()),
            Error::BadReply { op } => write!(f, "{op}: Xen's reply breaks the interface"),
            Error::InvalidArgument { what } => write!(f, "invalid argument: {what}"),
            Error::Xen { op, errno } => write!(f, "{op}: {errno}"),
        }
    }
}

impl core::error::Error for Error {}

/// `Result` of the toolstack operations.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// A hypercall backend speaking one release's domctl/sysctl interface.
#[derive(Debug)]
pub struct Toolstack<H> {
    pub(crate) hc: H,
    pub(crate) interface: Interface,
}

impl<H: Hypercall> Toolstack<H> {
    /// Detects the running hypervisor's interface once and keeps it.
    ///
    /// # Errors
    /// As [`Interface::detect`].
    pub fn new(hc: H) -> Result<Self> {
        let interface = Interface::detect(&hc)?;
        Ok(Self { hc, interface })
    }

    /// Speaks `interface` whatever the hypervisor is: Xen refuses a wrong
    /// one with [`Error::InterfaceVersion`] (useful to test that, or to skip
    /// the version query).
    pub fn with_interface(hc: H, interface: Interface) -> Self {
        Self { hc, interface }
    }

    /// The interface spoken.
    pub fn interface(&self) -> Interface {
        self.interface
    }

    /// The backend.
    pub fn hypercall(&self) -> &H {
        &self.hc
    }

    /// Maps a domctl/sysctl errno to an [`Error`].
    pub(crate) fn error(
        &self,
        hypercall: HypercallOp,
        op: &'static str,
        domain: Option<DomId>,
        errno: Errno,
    ) -> Error {
        match (errno, domain) {
            (Errno::EACCES, _) => Error::InterfaceVersion {
                hypercall,
                sent: if hypercall == HypercallOp::DOMCTL {
                    self.interface.domctl_version()
                } else {
                    self.interface.sysctl_version()
                },
            },
            (Errno::ESRCH, Some(d)) => Error::NoSuchDomain(d),
            _ => Error::Xen { op, errno },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_releases_get_an_interface() {
        assert_eq!(
            Interface::for_version(XenVersion::new(4, 17)),
            Ok(Interface::V4_17)
        );
        assert_eq!(
            Interface::for_version(XenVersion::new(4, 20)),
            Ok(Interface::V4_20)
        );
        for (maj, min) in [(4, 18), (4, 19), (4, 21), (5, 0), (4, 16)] {
            let v = XenVersion::new(maj, min);
            assert_eq!(
                Interface::for_version(v),
                Err(Error::UnsupportedVersion { found: v })
            );
        }
        assert_eq!(Interface::V4_20.domctl_version(), 0x17);
        assert_eq!(Interface::V4_17.domctl_version(), 0x15);
    }
}

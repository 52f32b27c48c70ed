// SPDX-License-Identifier: MIT OR Apache-2.0
//! `version.h`: `HYPERVISOR_xen_version` sub-ops and the buffers they fill.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::xen::XenUlong;
use crate::{Error, Result};

/// `XENVER_*`: the sub-op numbers of `HYPERVISOR_xen_version`.
pub mod op {
    /// Returns `major << 16 | minor` (no argument; see
    /// [`XenVersion::from_packed`](super::XenVersion::from_packed)).
    #[doc(alias = "XENVER_version")]
    pub const VERSION: u32 = 0;
    /// Fills an [`ExtraVersion`](super::ExtraVersion).
    #[doc(alias = "XENVER_extraversion")]
    pub const EXTRAVERSION: u32 = 1;
    /// Fills a [`CompileInfo`](super::CompileInfo).
    #[doc(alias = "XENVER_compile_info")]
    pub const COMPILE_INFO: u32 = 2;
    /// Fills a [`CapabilitiesInfo`](super::CapabilitiesInfo).
    #[doc(alias = "XENVER_capabilities")]
    pub const CAPABILITIES: u32 = 3;
    /// Fills a [`ChangesetInfo`](super::ChangesetInfo).
    #[doc(alias = "XENVER_changeset")]
    pub const CHANGESET: u32 = 4;
    /// Fills a [`PlatformParameters`](super::PlatformParameters).
    #[doc(alias = "XENVER_platform_parameters")]
    pub const PLATFORM_PARAMETERS: u32 = 5;
    /// Fills a [`FeatureInfo`](super::FeatureInfo).
    #[doc(alias = "XENVER_get_features")]
    pub const GET_FEATURES: u32 = 6;
    /// Returns the host's page size (no argument).
    #[doc(alias = "XENVER_pagesize")]
    pub const PAGESIZE: u32 = 7;
    /// Fills a `xen_domain_handle_t` (16 bytes; the toolstack puts the
    /// guest's UUID there).
    #[doc(alias = "XENVER_guest_handle")]
    pub const GUEST_HANDLE: u32 = 8;
    /// Fills a [`Commandline`](super::Commandline).
    #[doc(alias = "XENVER_commandline")]
    pub const COMMANDLINE: u32 = 9;
    /// Fills a [`BuildId`](super::BuildId) and the buffer after it; returns
    /// the bytes written (with a null argument: the build id's size).
    #[doc(alias = "XENVER_build_id")]
    pub const BUILD_ID: u32 = 10;
}

/// Xen's version, `major.minor`: what `XENVER_version` returns (and
/// Xen's CPUID leaf `base + 1` reports), packed as `major << 16 | minor`.
///
/// Ordered by major, then minor, so feature checks read naturally;
/// displays as `4.17`.
///
/// ```
/// use xen_abi::version::XenVersion;
///
/// let v = XenVersion::from_packed(0x0004_0011);
/// assert_eq!(v, XenVersion::new(4, 17));
/// assert!(v >= XenVersion::new(4, 17) && v < XenVersion::new(4, 20));
/// assert_eq!(v.to_string(), "4.17");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct XenVersion {
    /// The major version (4 for Xen 4.17).
    pub major: u16,
    /// The minor version (17 for Xen 4.17).
    pub minor: u16,
}

impl XenVersion {
    /// Version `major.minor`.
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }

    /// Unpacks `major << 16 | minor`, as `XENVER_version` returns it.
    pub const fn from_packed(raw: u32) -> Self {
        Self {
            major: (raw >> 16) as u16,
            minor: raw as u16,
        }
    }

    /// Packs the version as `XENVER_version` returns it.
    pub const fn to_packed(self) -> u32 {
        (self.major as u32) << 16 | self.minor as u32
    }
}

impl fmt::Display for XenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A fixed-size C `char` array that Xen fills with a NUL-terminated (or
/// NUL-padded) string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(transparent)]
pub struct CharArray<const N: usize>(pub [u8; N]);

impl<const N: usize> CharArray<N> {
    /// The bytes before the first NUL (all of them if there is none).
    pub fn to_bytes(&self) -> &[u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(N);
        &self.0[..end]
    }

    /// The string before the first NUL.
    ///
    /// # Errors
    /// The UTF-8 error when those bytes are not UTF-8.
    pub fn to_str(&self) -> core::result::Result<&str, core::str::Utf8Error> {
        core::str::from_utf8(self.to_bytes())
    }
}

impl<const N: usize> Default for CharArray<N> {
    fn default() -> Self {
        Self([0; N])
    }
}

impl<const N: usize> fmt::Debug for CharArray<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.to_bytes().escape_ascii())
    }
}

/// Size of [`ExtraVersion`].
#[doc(alias = "XEN_EXTRAVERSION_LEN")]
pub const EXTRAVERSION_LEN: usize = 16;
/// Size of [`CapabilitiesInfo`].
#[doc(alias = "XEN_CAPABILITIES_INFO_LEN")]
pub const CAPABILITIES_INFO_LEN: usize = 1024;
/// Size of [`ChangesetInfo`].
#[doc(alias = "XEN_CHANGESET_INFO_LEN")]
pub const CHANGESET_INFO_LEN: usize = 64;

/// `XENVER_extraversion`: the version suffix (such as `.0` or `-rc`).
#[doc(alias = "xen_extraversion_t")]
pub type ExtraVersion = CharArray<EXTRAVERSION_LEN>;
/// `XENVER_capabilities`: space-separated guest types the host runs (such as
/// `xen-3.0-x86_64 hvm-3.0-x86_64`).
#[doc(alias = "xen_capabilities_info_t")]
pub type CapabilitiesInfo = CharArray<CAPABILITIES_INFO_LEN>;
/// `XENVER_changeset`: the source revision Xen was built from.
#[doc(alias = "xen_changeset_info_t")]
pub type ChangesetInfo = CharArray<CHANGESET_INFO_LEN>;
/// `XENVER_commandline`: Xen's own command line.
#[doc(alias = "xen_commandline_t")]
pub type Commandline = CharArray<1024>;

assert_layout!(ExtraVersion, size = 16, align = 1);
assert_layout!(CapabilitiesInfo, size = 1024, align = 1);
assert_layout!(ChangesetInfo, size = 64, align = 1);
assert_layout!(Commandline, size = 1024, align = 1);

/// `XENVER_compile_info`: who built Xen, with what, when.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_compile_info")]
#[doc(alias = "xen_compile_info_t")]
pub struct CompileInfo {
    /// The compiler's version string.
    pub compiler: CharArray<64>,
    /// The user who built Xen.
    pub compile_by: CharArray<16>,
    /// The build host's domain.
    pub compile_domain: CharArray<32>,
    /// The build date.
    pub compile_date: CharArray<32>,
}
assert_layout!(CompileInfo, size = 144, align = 1, {
    compiler: 0,
    compile_by: 64,
    compile_domain: 80,
    compile_date: 112,
});

/// `XENVER_platform_parameters`: where Xen's own mappings start in a PV
/// guest's address space.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_platform_parameters")]
#[doc(alias = "xen_platform_parameters_t")]
pub struct PlatformParameters {
    /// Lowest virtual address Xen reserves.
    pub virt_start: XenUlong,
}
assert_layout!(PlatformParameters, size = 8, align = 8, { virt_start: 0 });

/// `XENVER_get_features`: one 32-bit submap of the feature bitmap (bit
/// numbers in [`crate::features`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_feature_info")]
#[doc(alias = "xen_feature_info_t")]
pub struct FeatureInfo {
    /// IN: which submap (features `32 * submap_idx ..`).
    pub submap_idx: u32,
    /// OUT: the submap.
    pub submap: u32,
}
assert_layout!(FeatureInfo, size = 8, align = 4, { submap_idx: 0, submap: 4 });

impl FeatureInfo {
    /// The request for the submap holding `feature`.
    pub const fn for_feature(feature: u32) -> Self {
        Self {
            submap_idx: feature / 32,
            submap: 0,
        }
    }

    /// Whether this submap says `feature` (a [`crate::features`] constant)
    /// is present; false for a feature of another submap.
    pub const fn has(&self, feature: u32) -> bool {
        feature / 32 == self.submap_idx && self.submap & (1 << (feature % 32)) != 0
    }
}

/// `XENVER_build_id`: the header of the build-id buffer; the id's bytes
/// follow it (`buf`, a C flexible array member).
///
/// Pass a buffer of `4 + len` bytes starting with this header, then split
/// the result with [`BuildId::split`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_build_id")]
#[doc(alias = "xen_build_id_t")]
pub struct BuildId {
    /// IN: size of `buf`.
    pub len: u32,
    /// OUT: the build id (flexible array; the bytes after this header).
    pub buf: [u8; 0],
}
assert_layout!(BuildId, size = 4, align = 4, { len: 0, buf: 4 });

impl BuildId {
    /// Splits a buffer Xen filled into its header and the first `written`
    /// bytes of `buf` (`written` being the hypercall's return value).
    ///
    /// # Errors
    /// [`Error::BadLength`] when `bytes` is shorter than the header plus
    /// `written`.
    pub fn split(bytes: &[u8], written: usize) -> Result<(Self, &[u8])> {
        let expected = written.saturating_add(core::mem::size_of::<Self>());
        let bad = Error::BadLength {
            expected,
            actual: bytes.len(),
        };
        let (hdr, rest) = Self::read_from_prefix(bytes).map_err(|_| bad)?;
        let id = rest.get(..written).ok_or(bad)?;
        Ok((hdr, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn char_arrays() {
        let mut e = ExtraVersion::default();
        e.0[..3].copy_from_slice(b"-rc");
        assert_eq!(e.to_str(), Ok("-rc"));
        assert_eq!(format!("{e:?}"), "\"-rc\"");
        let full = CharArray([b'a'; 4]);
        assert_eq!(full.to_bytes(), b"aaaa");
        assert_eq!(format!("{:?}", CharArray(*b"\xff\n\0x")), "\"\\xff\\n\"");
    }

    #[test]
    fn features_and_version() {
        let info = FeatureInfo {
            submap_idx: 0,
            submap: 1 << crate::features::DOM0,
        };
        assert!(info.has(crate::features::DOM0));
        assert!(!info.has(crate::features::HVM_PIRQS));
        assert!(!info.has(32 + crate::features::DOM0));
        assert_eq!(FeatureInfo::for_feature(33).submap_idx, 1);
        let v = XenVersion::from_packed(0x0004_0011);
        assert_eq!((v.major, v.minor, v.to_packed()), (4, 17, 0x0004_0011));
        assert!(XenVersion::new(4, 20) > v && XenVersion::new(5, 0) > XenVersion::new(4, 99));
        assert_eq!(format!("{v}"), "4.17");
    }

    #[test]
    fn build_id_split() {
        let bytes = [20, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 9];
        let (hdr, id) = BuildId::split(&bytes, 4).unwrap();
        assert_eq!((hdr.len, id), (20, &[0xde, 0xad, 0xbe, 0xef][..]));
        assert_eq!(
            BuildId::split(&bytes, 6),
            Err(Error::BadLength {
                expected: 10,
                actual: 9
            })
        );
        assert!(BuildId::split(&bytes[..3], 0).is_err());
    }
}

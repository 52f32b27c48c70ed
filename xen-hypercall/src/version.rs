// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_xen_version`: what Xen is, how it was built and what it
//! offers this guest.
//!
//! Every sub-op only reads or fills a buffer it is handed, so every wrapper
//! is safe; they return owned values.

use xen_abi::version::{
    op, BuildId, CapabilitiesInfo, ChangesetInfo, Commandline, CompileInfo, ExtraVersion,
    FeatureInfo, PlatformParameters, XenVersion,
};
use xen_abi::xen::{HypercallOp, XenDomainHandle};
use zerocopy::{FromBytes, IntoBytes};

use crate::{Errno, Hypercall, Result};

/// Largest build id [`build_id`] fetches, in bytes (GNU build ids are 20).
pub const BUILD_ID_MAX: usize = 64;

/// `xen_version(cmd, buf)`: Xen fills `buf` (or, for an empty `buf`, gets a
/// null argument) and returns a count.
fn xen_version(hc: &impl Hypercall, cmd: u32, buf: &mut [u8]) -> Result<usize> {
    let call = |addr: u64| {
        // SAFETY: every XENVER_ sub-op only writes (or, for build_id, reads
        // the header of) the buffer at `addr`, which `with_buffer` made
        // visible to Xen and which is as large as the sub-op's type; a null
        // argument is what the argument-less sub-ops expect.
        unsafe { hc.hypercall5(HypercallOp::XEN_VERSION, [u64::from(cmd), addr, 0, 0, 0]) }
    };
    let ret = if buf.is_empty() {
        call(0)
    } else {
        hc.with_buffer(buf, call)
    };
    crate::check(ret)
}

/// Runs a sub-op that fills a whole `T`.
fn fill<T: FromBytes + IntoBytes>(hc: &impl Hypercall, cmd: u32) -> Result<T> {
    let mut out = T::new_zeroed();
    xen_version(hc, cmd, out.as_mut_bytes())?;
    Ok(out)
}

/// Xen's version (`XENVER_version`).
///
/// # Errors
/// Xen's errno (none in practice: every guest may ask).
#[doc(alias = "XENVER_version")]
#[doc(alias = "HYPERVISOR_xen_version")]
pub fn version(hc: &impl Hypercall) -> Result<XenVersion> {
    let ret = xen_version(hc, op::VERSION, &mut [])?;
    Ok(XenVersion::from_packed(ret as u32))
}

/// The version suffix, such as `.0` or `-rc` (`XENVER_extraversion`).
///
/// # Errors
/// Xen's errno (`EPERM` where XSM hides it).
#[doc(alias = "XENVER_extraversion")]
pub fn extraversion(hc: &impl Hypercall) -> Result<ExtraVersion> {
    fill(hc, op::EXTRAVERSION)
}

/// Who built Xen, with which compiler, and when (`XENVER_compile_info`).
///
/// # Errors
/// Xen's errno (`EPERM` where XSM hides it).
#[doc(alias = "XENVER_compile_info")]
pub fn compile_info(hc: &impl Hypercall) -> Result<CompileInfo> {
    fill(hc, op::COMPILE_INFO)
}

/// The guest types the host runs, space-separated, such as
/// `xen-3.0-x86_64 hvm-3.0-x86_64` (`XENVER_capabilities`).
///
/// # Errors
/// Xen's errno (`EPERM` where XSM hides it).
#[doc(alias = "XENVER_capabilities")]
pub fn capabilities(hc: &impl Hypercall) -> Result<CapabilitiesInfo> {
    fill(hc, op::CAPABILITIES)
}

/// The source revision Xen was built from (`XENVER_changeset`).
///
/// # Errors
/// Xen's errno (`EPERM` where XSM hides it).
#[doc(alias = "XENVER_changeset")]
pub fn changeset(hc: &impl Hypercall) -> Result<ChangesetInfo> {
    fill(hc, op::CHANGESET)
}

/// Where Xen's own mappings start in a PV guest's address space
/// (`XENVER_platform_parameters`).
///
/// # Errors
/// Xen's errno (`EPERM` where XSM hides it).
#[doc(alias = "XENVER_platform_parameters")]
pub fn platform_parameters(hc: &impl Hypercall) -> Result<PlatformParameters> {
    fill(hc, op::PLATFORM_PARAMETERS)
}

/// Feature submap `submap_idx` (features `32 * submap_idx ..`; see
/// [`xen_abi::features`]) as Xen offers them to this guest
/// (`XENVER_get_features`).
///
/// # Errors
/// Xen's errno (`EINVAL` for a submap Xen does not have).
#[doc(alias = "XENVER_get_features")]
pub fn get_features(hc: &impl Hypercall, submap_idx: u32) -> Result<FeatureInfo> {
    let mut info = FeatureInfo {
        submap_idx,
        submap: 0,
    };
    xen_version(hc, op::GET_FEATURES, info.as_mut_bytes())?;
    Ok(info)
}

/// Whether Xen offers `feature` (a [`xen_abi::features`] bit number) to this
/// guest: [`get_features`] for the submap that holds it.
///
/// # Errors
/// As [`get_features`].
#[doc(alias = "xen_feature")]
pub fn has_feature(hc: &impl Hypercall, feature: u32) -> Result<bool> {
    Ok(get_features(hc, feature / 32)?.has(feature))
}

/// The host's page size in bytes (`XENVER_pagesize`).
///
/// # Errors
/// Xen's errno.
#[doc(alias = "XENVER_pagesize")]
pub fn pagesize(hc: &impl Hypercall) -> Result<usize> {
    xen_version(hc, op::PAGESIZE, &mut [])
}

/// The handle (UUID) the toolstack gave this domain; all zeroes for dom0
/// (`XENVER_guest_handle`).
///
/// # Errors
/// Xen's errno (`EPERM` where XSM hides it).
#[doc(alias = "XENVER_guest_handle")]
pub fn guest_handle(hc: &impl Hypercall) -> Result<XenDomainHandle> {
    let mut handle = XenDomainHandle::default();
    xen_version(hc, op::GUEST_HANDLE, &mut handle)?;
    Ok(handle)
}

/// Xen's own command line (`XENVER_commandline`).
///
/// # Errors
/// Xen's errno (`EPERM` for a domain that may not see it).
#[doc(alias = "XENVER_commandline")]
pub fn commandline(hc: &impl Hypercall) -> Result<Commandline> {
    fill(hc, op::COMMANDLINE)
}

/// The size in bytes of Xen's build id (`XENVER_build_id` with a null
/// argument).
///
/// # Errors
/// Xen's errno (`ENODATA` when Xen has no build id, `EPERM` where XSM hides
/// it).
#[doc(alias = "XENVER_build_id")]
pub fn build_id_size(hc: &impl Hypercall) -> Result<usize> {
    xen_version(hc, op::BUILD_ID, &mut [])
}

/// Copies Xen's build id into `id` (at most [`BUILD_ID_MAX`] bytes of it);
/// returns its length (`XENVER_build_id`).
///
/// # Errors
/// Xen's errno: `ENOBUFS` when the id is longer than `id` (or
/// [`BUILD_ID_MAX`]), `ENODATA` when Xen has no build id, `EPERM` where XSM
/// hides it; `EOVERFLOW` if Xen claims to have written more than it was
/// given.
#[doc(alias = "XENVER_build_id")]
pub fn build_id(hc: &impl Hypercall, id: &mut [u8]) -> Result<usize> {
    const HDR: usize = core::mem::size_of::<BuildId>();
    let len = id.len().min(BUILD_ID_MAX);
    let mut raw = [0u8; HDR + BUILD_ID_MAX];
    let raw = &mut raw[..HDR + len];
    raw[..HDR].copy_from_slice(&(len as u32).to_ne_bytes());
    let written = xen_version(hc, op::BUILD_ID, raw)?;
    let (_, bytes) = BuildId::split(raw, written).map_err(|_| Errno::EOVERFLOW)?;
    id[..bytes.len()].copy_from_slice(bytes);
    Ok(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;

    #[test]
    fn argumentless_sub_ops_pass_null() {
        let hc = Fake::new(0x0004_0011);
        assert_eq!(version(&hc), Ok(XenVersion::new(4, 17)));
        let c = hc.last();
        assert_eq!((c.op, c.args), (17, [0, 0, 0, 0, 0]));
        assert!(c.buffers.is_empty());
    }

    #[test]
    fn strings_come_back_filled() {
        let hc = Fake::new(0);
        hc.reply(|b| b[..15].copy_from_slice(b"xen-3.0-x86_64\0"));
        let caps = capabilities(&hc).unwrap();
        assert_eq!(caps.to_str(), Ok("xen-3.0-x86_64"));
        let c = hc.last();
        assert_eq!(c.args[..2], [3, c.addrs[0]]);
        assert_eq!(c.buffers[0].len(), 1024);
    }

    #[test]
    fn features_send_the_submap_index() {
        let hc = Fake::new(0);
        hc.reply(|b| b[4..].copy_from_slice(&(1u32 << 11).to_ne_bytes()));
        assert_eq!(has_feature(&hc, xen_abi::features::DOM0), Ok(true));
        let c = hc.last();
        assert_eq!(c.args[0], 6);
        assert_eq!(c.buffers[0], [0; 8]);
    }

    #[test]
    fn build_id_header_and_bytes() {
        let hc = Fake::new(4);
        hc.reply(|b| b[4..8].copy_from_slice(&[1, 2, 3, 4]));
        let mut id = [0u8; 20];
        assert_eq!(build_id(&hc, &mut id), Ok(4));
        assert_eq!(id[..4], [1, 2, 3, 4]);
        let c = hc.last();
        assert_eq!(c.args[0], 10);
        assert_eq!(c.buffers[0].len(), 4 + 20);
        assert_eq!(c.buffers[0][..4], 20u32.to_ne_bytes());
        hc.set_ret(-61);
        assert_eq!(build_id(&hc, &mut id), Err(Errno::ENODATA));
        hc.set_ret(30);
        assert_eq!(build_id(&hc, &mut id), Err(Errno::EOVERFLOW));
    }
}

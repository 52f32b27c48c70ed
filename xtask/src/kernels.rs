// SPDX-License-Identifier: MIT OR Apache-2.0
//! Our no_std test kernels (`examples/xen-test-kernel`, a workspace of its
//! own): building them for an architecture into a target dir under the
//! workspace's own (so `CARGO_TARGET_DIR` is honoured and nothing is looked
//! up in the example's `target/`), and where each kernel then lies.

use std::path::PathBuf;

use crate::xen::Arch;
use crate::{cargo, workspace};

/// The test kernels' workspace, relative to the workspace root.
pub(crate) const DIR: &str = "examples/xen-test-kernel";

/// The PV dom0 kernel of the guest tier.
pub(crate) const PV: &str = "xen-test-kernel-pv";
/// The PVH dom0 kernel of the guest tier.
pub(crate) const PVH: &str = "xen-test-kernel-pvh";
/// The arm64 dom0 kernel of the guest tier (the only kernel built for
/// aarch64; on x86_64 its binary is an empty stub).
pub(crate) const ARM64: &str = "xen-test-kernel-arm64";
/// The PV domU that checks xen-store against the real xenstored.
pub(crate) const XS_DOMU: &str = "xen-test-kernel-xs-domu";
/// The PV domU that serves and connects vchans (the vchan scenario).
pub(crate) const VCHAN_DOMU: &str = "xen-test-kernel-vchan-domu";

/// The target dir the kernels (and their clippy step) build in.
pub(crate) fn target_dir() -> Result<PathBuf, String> {
    Ok(workspace::target_dir()?.join("xen-test-kernel"))
}

/// Built test kernels for one architecture.
#[derive(Debug)]
pub(crate) struct Kernels {
    dir: PathBuf,
}

impl Kernels {
    /// Builds every kernel for `arch` (release).
    pub(crate) fn build(arch: Arch) -> Result<Kernels, String> {
        let target_dir = target_dir()?;
        let target_dir_str = target_dir.to_string_lossy();
        let mut args = vec![
            "build",
            "--release",
            "--quiet",
            "--target",
            arch.bare_target(),
            "--target-dir",
            &target_dir_str,
        ];
        if arch == Arch::Aarch64 {
            args.extend(["--bin", ARM64]);
        }
        cargo::run(&workspace::root().join(DIR), &args)?;
        Ok(Kernels {
            dir: target_dir.join(arch.bare_target()).join("release"),
        })
    }

    /// The kernel named `name` (one of [`PV`], [`PVH`], [`XS_DOMU`],
    /// [`VCHAN_DOMU`]).
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

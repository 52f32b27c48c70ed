// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Xen vocabulary of the harness: hypervisor versions, architectures,
//! dom0 boot modes and xenstoreds as enums, each knowing its names, its
//! Debian packages, its QEMU binary and its Rust targets; and the bootable
//! hypervisor image of a version for an architecture.

use std::path::PathBuf;
use std::process::Command;

use crate::{debian, process, workspace};

/// A CPU architecture Xen runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    pub(crate) const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// The name in output lines (`layout x86_64: ...`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// Debian's name for the architecture (package suffixes).
    pub(crate) fn debian(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Aarch64 => "arm64",
        }
    }

    /// The QEMU system emulator for the architecture.
    pub(crate) fn qemu(self) -> &'static str {
        match self {
            Arch::X86_64 => "qemu-system-x86_64",
            Arch::Aarch64 => "qemu-system-aarch64",
        }
    }

    /// The bare-metal Rust target (no_std builds, test kernels).
    pub(crate) const fn bare_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-none",
            Arch::Aarch64 => "aarch64-unknown-none",
        }
    }

    /// The Linux Rust target (programs that run in a Linux dom0).
    pub(crate) fn linux_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Aarch64 => "aarch64-unknown-linux-gnu",
        }
    }

    /// clang's `--target` for the architecture's C ABI.
    pub(crate) fn clang_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-linux-gnu",
            Arch::Aarch64 => "aarch64-linux-gnu",
        }
    }
}

/// A Xen hypervisor release the tiers boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XenVersion {
    V4_17,
    V4_20,
}

impl XenVersion {
    pub(crate) const ALL: [XenVersion; 2] = [XenVersion::V4_17, XenVersion::V4_20];

    /// `4.17`, as in `--xen 4.17` and the summary lines.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            XenVersion::V4_17 => "4.17",
            XenVersion::V4_20 => "4.20",
        }
    }

    /// The version `--xen` names.
    pub(crate) fn parse(s: &str) -> Option<XenVersion> {
        XenVersion::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The Debian release that ships it.
    pub(crate) fn debian_suite(self) -> &'static str {
        match self {
            XenVersion::V4_17 => "bookworm",
            XenVersion::V4_20 => "trixie",
        }
    }

    /// Debian's hypervisor package for `arch`.
    pub(crate) fn hypervisor_package(self, arch: Arch) -> String {
        format!("xen-hypervisor-{}-{}", self.as_str(), arch.debian())
    }

    /// The image inside that package (or on this machine when installed):
    /// gzip-compressed on x86_64, a plain arm64 Image on aarch64.
    fn image_in_package(self, arch: Arch) -> String {
        match arch {
            Arch::X86_64 => format!("boot/xen-{}-amd64.gz", self.as_str()),
            Arch::Aarch64 => format!("boot/xen-{}-arm64", self.as_str()),
        }
    }

    /// The hypervisor as QEMU's `-kernel` takes it, made once under the
    /// target dir: on x86_64 the decompressed multiboot ELF, on aarch64 the
    /// Image. The machine's own Debian release (12) provides Xen 4.17 for
    /// x86_64 through `cargo xtask setup`; anything else is fetched from
    /// Debian with a private apt state and unpacked, not installed.
    pub(crate) fn hypervisor(self, arch: Arch) -> Result<PathBuf, String> {
        let dir = workspace::scratch("xen")?;
        let image = match arch {
            Arch::X86_64 => dir.join(format!("xen-{}.elf", self.as_str())),
            Arch::Aarch64 => dir.join(format!("xen-{}-{}", self.as_str(), arch.debian())),
        };
        if image.exists() {
            return Ok(image);
        }
        let installed = PathBuf::from("/").join(self.image_in_package(arch));
        let source = if installed.exists() {
            installed
        } else {
            let package = self.hypervisor_package(arch);
            debian::fetch(&debian::Fetch {
                suite: self.debian_suite(),
                arch,
                name: &package,
                packages: &[&package],
            })?
            .join(self.image_in_package(arch))
        };
        if !source.exists() {
            return Err(format!(
                "{} is missing (cargo xtask setup)",
                source.display()
            ));
        }
        let data = if source.extension().is_some_and(|x| x == "gz") {
            process::output_bytes(Command::new("zcat").arg(&source))?
        } else {
            std::fs::read(&source).map_err(|e| format!("{}: {e}", source.display()))?
        };
        std::fs::write(&image, data).map_err(|e| format!("{}: {e}", image.display()))?;
        Ok(image)
    }
}

/// How dom0 boots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Pv,
    Pvh,
}

impl Mode {
    pub(crate) const ALL: [Mode; 2] = [Mode::Pv, Mode::Pvh];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Pv => "pv",
            Mode::Pvh => "pvh",
        }
    }
}

/// A xenstored implementation dom0 runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Xenstored {
    /// The C xenstored.
    C,
    /// The OCaml oxenstored.
    OCaml,
}

impl Xenstored {
    pub(crate) const ALL: [Xenstored; 2] = [Xenstored::C, Xenstored::OCaml];

    /// The daemon's program name.
    pub(crate) fn daemon(self) -> &'static str {
        match self {
            Xenstored::C => "xenstored",
            Xenstored::OCaml => "oxenstored",
        }
    }

    /// What a summary line says after the version (nothing for the C one).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Xenstored::C => "",
            Xenstored::OCaml => " oxenstored",
        }
    }

    /// The switch on dom0's kernel command line that `/init` reads.
    pub(crate) fn dom0_switch(self) -> &'static str {
        match self {
            Xenstored::C => "",
            Xenstored::OCaml => "xenrs.xenstored=oxenstored",
        }
    }
}

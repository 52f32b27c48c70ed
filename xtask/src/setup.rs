// SPDX-License-Identifier: MIT OR Apache-2.0
//! Installing what the other commands need on a Debian machine.
//!
//! When run as root, missing Debian packages are installed with apt-get and
//! missing Rust targets/components with rustup. Otherwise the exact commands
//! are printed and the step fails.

use std::path::Path;
use std::process::Command;

use crate::process;
use crate::xen::Arch;

/// A Debian package and a file that shows it is installed.
struct Package {
    name: &'static str,
    probe: &'static str,
}

/// Debian packages the test suite needs.
const PACKAGES: &[Package] = &[
    Package {
        name: "libxen-dev",
        probe: "/usr/include/xen/xen.h",
    },
    Package {
        name: "clang",
        probe: "/usr/bin/clang",
    },
    Package {
        name: "libclang-dev",
        probe: "/usr/lib/llvm-14/include/clang-c/Index.h",
    },
    // llvm-objdump for `cargo xtask asm`.
    Package {
        name: "llvm",
        probe: "/usr/bin/llvm-objdump",
    },
    // The guest tier: QEMU and the Xen 4.17 hypervisor (4.20 is fetched from
    // Debian 13 and unpacked, not installed).
    Package {
        name: "qemu-system-x86",
        probe: "/usr/bin/qemu-system-x86_64",
    },
    // The arm64 guest tier: qemu-system-aarch64, and fdtput for the device
    // tree Xen boots with (the arm64 hypervisors are fetched from Debian).
    Package {
        name: "qemu-system-arm",
        probe: "/usr/bin/qemu-system-aarch64",
    },
    Package {
        name: "device-tree-compiler",
        probe: "/usr/bin/fdtput",
    },
    Package {
        name: "xen-hypervisor-4.17-amd64",
        probe: "/boot/xen-4.17-amd64.gz",
    },
    // The dom0 tier: Debian's kernel as dom0, its Xen modules, the real
    // xenstored, and what the initramfs is made of.
    Package {
        name: "linux-image-amd64",
        probe: "/usr/share/doc/linux-image-amd64",
    },
    Package {
        name: "xen-utils-4.17",
        probe: "/usr/lib/xen-4.17/bin/xenstored",
    },
    Package {
        name: "xenstore-utils",
        probe: "/usr/bin/xenstore-read",
    },
    Package {
        name: "busybox-static",
        probe: "/usr/share/doc/busybox-static",
    },
    Package {
        name: "cpio",
        probe: "/usr/bin/cpio",
    },
    // Unpacking the kernel (xz) and slimming the test binaries (strip).
    Package {
        name: "xz-utils",
        probe: "/usr/bin/xz",
    },
    Package {
        name: "binutils",
        probe: "/usr/bin/strip",
    },
];

/// Rust targets the no_std builds need.
const TARGETS: [&str; 2] = [Arch::X86_64.bare_target(), Arch::Aarch64.bare_target()];

/// Rust components the checks need.
const COMPONENTS: &[&str] = &["rustfmt", "clippy"];

/// The toolchain `cargo xtask miri` (and `fuzz`) runs, and the components
/// Miri needs from it.
const NIGHTLY: &str = "nightly";
const NIGHTLY_COMPONENTS: &[&str] = &["miri", "rust-src"];

/// The minimum supported Rust version (the workspace's `rust-version`), which
/// the test command builds the library crates with.
pub(crate) const MSRV: &str = "1.81";

fn installed_toolchains() -> String {
    process::output(Command::new("rustup").args(["toolchain", "list"])).unwrap_or_default()
}

fn is_root() -> bool {
    process::output(Command::new("id").arg("-u"))
        .map(|s| s.trim() == "0")
        .unwrap_or(false)
}

fn missing_packages() -> Vec<&'static str> {
    PACKAGES
        .iter()
        .filter(|p| !Path::new(p.probe).exists())
        .map(|p| p.name)
        .collect()
}

fn installed_targets() -> String {
    process::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .unwrap_or_default()
}

fn installed_components() -> String {
    process::output(Command::new("rustup").args(["component", "list", "--installed"]))
        .unwrap_or_default()
}

/// The command that installs what Miri needs from the nightly toolchain,
/// if something is missing: the toolchain itself, or its components.
fn nightly_command() -> Option<Vec<String>> {
    let has_nightly = installed_toolchains()
        .lines()
        .any(|l| l.starts_with(&format!("{NIGHTLY}-")));
    if !has_nightly {
        let mut c: Vec<String> = [
            "rustup",
            "toolchain",
            "install",
            NIGHTLY,
            "--profile",
            "minimal",
        ]
        .map(String::from)
        .to_vec();
        c.push("--component".into());
        c.push(NIGHTLY_COMPONENTS.join(","));
        return Some(c);
    }
    let installed = process::output(Command::new("rustup").args([
        "component",
        "list",
        "--installed",
        "--toolchain",
        NIGHTLY,
    ]))
    .unwrap_or_default();
    let missing: Vec<&str> = NIGHTLY_COMPONENTS
        .iter()
        .copied()
        .filter(|c| !installed.lines().any(|l| component_is(l, c)))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let mut c: Vec<String> = ["rustup", "component", "add"].map(String::from).to_vec();
    c.extend(missing.iter().map(|s| s.to_string()));
    c.extend(["--toolchain".into(), NIGHTLY.into()]);
    Some(c)
}

/// Whether a line of `rustup component list --installed` names `component`
/// (`miri-x86_64-unknown-linux-gnu`, or `rust-src` with no host suffix).
fn component_is(line: &str, component: &str) -> bool {
    let line = line.trim();
    line == component || line.starts_with(&format!("{component}-"))
}

/// Installs (as root) or names (otherwise) everything that is missing.
pub(crate) fn ensure() -> Result<(), String> {
    process::step("setup");
    let pkgs = missing_packages();
    let installed = installed_targets();
    let targets: Vec<&str> = TARGETS
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    let comps_installed = installed_components();
    let comps: Vec<&str> = COMPONENTS
        .iter()
        .copied()
        .filter(|c| {
            !comps_installed
                .lines()
                .any(|l| l.starts_with(&format!("{c}-")))
        })
        .collect();

    let mut commands: Vec<Vec<String>> = Vec::new();
    if !pkgs.is_empty() {
        commands.push(vec!["apt-get".into(), "update".into()]);
        let mut c: Vec<String> = ["apt-get", "install", "-y", "--no-install-recommends"]
            .map(String::from)
            .to_vec();
        c.extend(pkgs.iter().map(|s| s.to_string()));
        commands.push(c);
    }
    if !targets.is_empty() {
        let mut c: Vec<String> = ["rustup", "target", "add"].map(String::from).to_vec();
        c.extend(targets.iter().map(|s| s.to_string()));
        commands.push(c);
    }
    if !comps.is_empty() {
        let mut c: Vec<String> = ["rustup", "component", "add"].map(String::from).to_vec();
        c.extend(comps.iter().map(|s| s.to_string()));
        commands.push(c);
    }
    if !installed_toolchains()
        .lines()
        .any(|l| l.starts_with(&format!("{MSRV}-")))
    {
        commands.push(
            [
                "rustup",
                "toolchain",
                "install",
                MSRV,
                "--profile",
                "minimal",
            ]
            .map(String::from)
            .to_vec(),
        );
    }
    commands.extend(nightly_command());
    // The docs.rs step documents the bare-metal targets with nightly.
    let nightly_targets = process::output(Command::new("rustup").args([
        "target",
        "list",
        "--installed",
        "--toolchain",
        NIGHTLY,
    ]))
    .unwrap_or_default();
    let nightly_missing: Vec<String> = TARGETS
        .iter()
        .filter(|t| !nightly_targets.lines().any(|l| l.trim() == **t))
        .map(|t| t.to_string())
        .collect();
    if !nightly_missing.is_empty() {
        let mut c: Vec<String> = ["rustup", "target", "add", "--toolchain", NIGHTLY]
            .map(String::from)
            .to_vec();
        c.extend(nightly_missing);
        commands.push(c);
    }
    if commands.is_empty() {
        println!("setup: everything is installed");
        return Ok(());
    }
    let root = is_root();
    for c in &commands {
        let line = c.join(" ");
        // rustup runs as the user; apt-get needs root.
        if c[0] == "apt-get" && !root {
            return Err(format!(
                "missing Debian packages {pkgs:?}; run as root:\n  sudo {}\n  sudo {}",
                commands[0].join(" "),
                commands[1].join(" ")
            ));
        }
        println!("setup: {line}");
        let mut cmd = Command::new(&c[0]);
        cmd.args(&c[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        process::run(&mut cmd).map_err(|e| format!("{e}\n(the command was: {line})"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_recognised_with_and_without_a_host() {
        assert!(component_is("miri-x86_64-unknown-linux-gnu", "miri"));
        assert!(component_is("rust-src", "rust-src"));
        assert!(!component_is(
            "rust-std-x86_64-unknown-linux-gnu",
            "rust-src"
        ));
        assert!(!component_is("clippy-x86_64-unknown-linux-gnu", "miri"));
    }
}

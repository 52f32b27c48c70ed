// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask test`: everything CI runs, in order, stopping at the first
//! failing step: setup, the cargo steps (fmt, clippy, docs, tests, loom,
//! no_std builds, MSRV), the layout proof, the asm check, then the tiers
//! that boot real Xen, called as functions.

use std::ffi::OsStr;
use std::process::Command;
use std::time::Instant;

use crate::xen::{Arch, Mode, XenVersion, Xenstored};
use crate::{asm, cargo, kernels, layout, process, setup, tiers, workspace};

/// `cargo <args>` in `dir` (relative to the workspace root).
fn cargo(dir: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(cargo::bin());
    cmd.args(args).current_dir(workspace::root().join(dir));
    cmd
}

/// `cmd` with `key=value` in its environment.
fn with_env(mut cmd: Command, key: &str, value: impl AsRef<OsStr>) -> Command {
    cmd.env(key, value);
    cmd
}

/// The cargo steps, in order: name and command.
fn steps() -> Result<Vec<(String, Command)>, String> {
    let k = kernels::DIR;
    let target = workspace::target_dir()?;
    let kernels_target = kernels::target_dir()?;
    let kernels_target = kernels_target.to_string_lossy();
    let [x86, arm] = Arch::ALL.map(Arch::bare_target);
    let no_std = ["build", "-p", "xen-abi", "-p", "xen-hypercall", "--target"];
    let steps = vec![
        ("fmt", cargo(".", &["fmt", "--all", "--check"])),
        ("fmt (test kernels)", cargo(k, &["fmt", "--check"])),
        (
            "clippy",
            cargo(
                ".",
                &[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--all-features",
                    "--",
                    "-D",
                    "warnings",
                ],
            ),
        ),
        (
            "clippy (test kernels)",
            cargo(
                k,
                &[
                    "clippy",
                    "--release",
                    "--target-dir",
                    &kernels_target,
                    "--",
                    "-D",
                    "warnings",
                ],
            ),
        ),
        (
            "doc",
            with_env(
                cargo(".", &["doc", "--workspace", "--no-deps", "--all-features"]),
                "RUSTDOCFLAGS",
                "-D warnings",
            ),
        ),
        (
            "test",
            cargo(".", &["test", "--workspace", "--all-features"]),
        ),
        (
            "loom (ring notify protocol)",
            with_env(
                with_env(
                    cargo(
                        ".",
                        &["test", "-p", "xen-abi", "--release", "--test", "loom"],
                    ),
                    "RUSTFLAGS",
                    "--cfg loom",
                ),
                // Its own target dir: other RUSTFLAGS would rebuild everything.
                "CARGO_TARGET_DIR",
                target.join("loom"),
            ),
        ),
        ("no_std x86_64", cargo(".", &[&no_std[..], &[x86]].concat())),
        (
            "no_std aarch64",
            cargo(".", &[&no_std[..], &[arm]].concat()),
        ),
        (
            "no_std xen-evtchn (both targets)",
            cargo(
                ".",
                &[
                    "build",
                    "-p",
                    "xen-evtchn",
                    "--no-default-features",
                    "--target",
                    x86,
                    "--target",
                    arm,
                ],
            ),
        ),
        (
            "no_std xen-grant (both targets)",
            cargo(
                ".",
                &[
                    "build",
                    "-p",
                    "xen-grant",
                    "--no-default-features",
                    "--target",
                    x86,
                    "--target",
                    arm,
                ],
            ),
        ),
        (
            "no_std + alloc xen-store (both targets)",
            cargo(
                ".",
                &[
                    "build",
                    "-p",
                    "xen-store",
                    "--no-default-features",
                    "--target",
                    x86,
                    "--target",
                    arm,
                ],
            ),
        ),
        (
            "no_std + alloc xen-vchan (both targets)",
            cargo(
                ".",
                &[
                    "build",
                    "-p",
                    "xen-vchan",
                    "--no-default-features",
                    "--target",
                    x86,
                    "--target",
                    arm,
                ],
            ),
        ),
    ];
    let msrv = (
        format!("msrv (Rust {})", setup::MSRV),
        with_env(rustup_msrv(), "CARGO_TARGET_DIR", target.join("msrv")),
    );
    Ok(steps
        .into_iter()
        .map(|(name, cmd)| (name.to_string(), cmd))
        .chain([msrv])
        .collect())
}

/// The library crates built with the MSRV toolchain.
fn rustup_msrv() -> Command {
    let mut cmd = Command::new("rustup");
    cmd.args(["run", setup::MSRV, "cargo", "build", "--quiet"])
        .args([
            "-p",
            "xen-abi",
            "-p",
            "xen-hypercall",
            "-p",
            "xen-store",
            "-p",
            "xen-vchan",
        ])
        .arg("--all-features")
        .current_dir(workspace::root());
    cmd
}

/// Runs everything; stops at the first failing step.
pub(crate) fn run() -> Result<(), String> {
    let start = Instant::now();
    setup::ensure()?;
    for (name, mut cmd) in steps()? {
        process::step(&name);
        process::run(&mut cmd)?;
    }
    process::step("layout");
    layout::run(false)?;
    process::step("asm (wrappers compile to the bare hypercall)");
    asm::run()?;
    process::step("guest (real Xen 4.17 and 4.20 under QEMU)");
    tiers::guest::run(&XenVersion::ALL, &Mode::ALL)?;
    process::step("dom0 (Linux dom0 on Xen 4.17 and 4.20 under QEMU, C xenstored and oxenstored, an xl-created domU)");
    tiers::dom0::run(&XenVersion::ALL, &Xenstored::ALL, false)?;
    println!(
        "\nxtask test: all steps passed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_target_dirs_lie_under_the_workspace_target_dir() {
        let target = workspace::target_dir().unwrap();
        let mut own = 0;
        for (name, cmd) in steps().unwrap() {
            for (k, v) in cmd.get_envs() {
                if k == "CARGO_TARGET_DIR" {
                    let v = std::path::Path::new(v.unwrap());
                    assert!(v.is_absolute() && v.starts_with(&target), "{name}: {v:?}");
                    own += 1;
                }
            }
        }
        assert_eq!(own, 2, "loom and msrv");
    }
}

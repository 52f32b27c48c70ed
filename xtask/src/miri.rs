// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask miri`: the shared-memory and codec tests under Miri (the
//! nightly toolchain's `miri` component, which setup installs): xen-abi's
//! typed rings, byte rings and `SharedMem` with their two-thread tests
//! (sized down under `cfg(miri)`), xen-store's codec and session unit tests
//! and its ring client against the server codec over a shared page, and
//! the Miri-able tests of the evtchn and grant parsers that the fuzz
//! targets also drive (with the gntdev/gntalloc reply checks' tests). Miri fails the step on any undefined behaviour,
//! data race or (where not expected) leak it finds.
//!
//! Artifacts go to `<target dir>/miri`, cargo-miri's own choice, so
//! `CARGO_TARGET_DIR` is honoured.

use std::process::Command;
use std::time::Instant;

use crate::{process, workspace};

/// One `cargo miri test` invocation.
struct Run {
    /// What it covers, for the step banner.
    what: &'static str,
    /// Cargo arguments after `test` (package and targets).
    cargo: &'static [&'static str],
    /// Test-harness arguments (filters, `--skip`).
    harness: &'static [&'static str],
    /// `MIRIFLAGS`.
    flags: &'static str,
}

/// The runs, in order.
const RUNS: &[Run] = &[
    Run {
        what: "xen-abi rings, byte rings, SharedMem",
        cargo: &[
            "-p",
            "xen-abi",
            "--test",
            "ring",
            "--test",
            "byte_ring",
            "--test",
            "shm",
        ],
        // netif's slots hold 4-byte request words and 2-byte response words
        // (ordered by the ring's release/acquire, never racing); Miri's
        // weak-memory emulation cannot model mixed-size atomics on one
        // location and stops with an internal error, so that test runs
        // below without it (the data-race and borrow checks stay on).
        harness: &["--skip", "netif_tx_two_threads_wrap"],
        flags: "",
    },
    Run {
        what: "xen-abi netif ring (mixed-size slots; no weak-memory emulation)",
        cargo: &["-p", "xen-abi", "--test", "ring"],
        harness: &["netif_tx_two_threads_wrap", "--exact"],
        flags: "-Zmiri-disable-weak-memory-emulation",
    },
    Run {
        what: "xen-store codec, session, ring client",
        cargo: &["-p", "xen-store", "--lib", "--test", "ring"],
        harness: &[],
        flags: "",
    },
    Run {
        what: "xen-evtchn and xen-grant parsers over hostile memory and device replies (the fuzz entry points)",
        cargo: &["-p", "xen-evtchn", "-p", "xen-grant", "--lib"],
        // `linux::reply`: the gntdev/gntalloc answer checks' own tests.
        harness: &["fuzzing", "linux::reply::"],
        // Guest pages are 'static (handed to Xen for good): leaked on
        // purpose. Single-threaded tests whose peer writes whole words over
        // the fields the table writes (mixed sizes, never racing), which
        // Miri's weak-memory emulation cannot model (see above).
        flags: "-Zmiri-ignore-leaks -Zmiri-disable-weak-memory-emulation",
    },
];

/// The command for one run.
fn command(run: &Run) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(workspace::root())
        // `cargo xtask` runs under the stable toolchain's cargo.
        .env_remove("CARGO")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env("MIRIFLAGS", run.flags)
        .args(["+nightly", "miri", "test"])
        .args(run.cargo)
        .arg("--")
        .args(run.harness);
    cmd
}

/// Runs every Miri run, failing on the first error.
pub(crate) fn run() -> Result<(), String> {
    let start = Instant::now();
    for r in RUNS {
        process::step(&format!("miri: {}", r.what));
        process::run(&mut command(r))?;
    }
    println!(
        "\nxtask miri: {} runs, no undefined behaviour, in {:.0} s",
        RUNS.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_use_nightly_miri_and_name_their_packages() {
        for r in RUNS {
            let cmd = command(r);
            let args: Vec<_> = cmd.get_args().map(|a| a.to_str().unwrap()).collect();
            assert_eq!(&args[..3], ["+nightly", "miri", "test"], "{}", r.what);
            assert!(args.contains(&"-p"), "{}", r.what);
            assert!(
                cmd.get_envs().all(|(k, _)| k != "CARGO_TARGET_DIR"),
                "cargo-miri picks <target dir>/miri itself"
            );
        }
    }
}

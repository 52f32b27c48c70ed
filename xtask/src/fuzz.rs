// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask fuzz [--secs N]`: runs every cargo-fuzz target of the fuzz
//! projects below for N seconds each (default 30) with the nightly
//! toolchain, failing on the first crash, and prints how many inputs each
//! target ran (libFuzzer's `stat::number_of_executed_units`). Installs
//! cargo-fuzz when it is missing.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::{process, workspace};

/// The fuzz projects (each its own workspace) and their targets.
const PROJECTS: &[(&str, &[&str])] = &[
    // Shared-ring consumers against a peer rewriting the indices.
    ("xen-abi/fuzz", &["ring", "byte_ring"]),
    // xenstore: replies (framer, decoders, client), requests, permissions.
    ("xen-store/fuzz", &["reply", "request", "perms"]),
    // Event channels: the 2-level and FIFO demultiplexers over hostile
    // shared pages, and /dev/xen/evtchn read decoding.
    ("xen-evtchn/fuzz", &["two_level", "fifo", "device_read"]),
    // Grants: the in-guest table manager against a hostile grantee, and
    // the gntdev/gntalloc ioctl answers (offsets, refs, copy statuses).
    ("xen-grant/fuzz", &["grant_table", "device_reply"]),
    // vchan: a client against a hostile server's control page and rings.
    ("examples/xen-vchan/fuzz", &["vchan"]),
    // The toolstack's domctl/sysctl wrappers against a hostile Xen.
    ("xen-hypercall/fuzz", &["toolstack"]),
    // xenrs: the PV builder's ELF/Xen-notes parser on hostile kernel images.
    ("examples/xenrs/fuzz", &["elf"]),
];

/// Seconds per target unless `--secs` says otherwise.
pub(crate) const SECS: u64 = 30;

/// Runs every target for `secs` seconds.
pub(crate) fn run(secs: u64) -> Result<(), String> {
    ensure_cargo_fuzz()?;
    // One target dir for every project (under the workspace's, so
    // `CARGO_TARGET_DIR` is honoured): libFuzzer and the crates they share
    // are built once.
    let target_dir = workspace::target_dir()?.join("fuzz");
    let mut runs: Vec<(String, u64)> = Vec::new();
    for (project, targets) in PROJECTS {
        let dir = workspace::root().join(project);
        for target in *targets {
            process::step(&format!("fuzz {project} {target} for {secs} s"));
            let mut cmd = Command::new("cargo");
            cmd.current_dir(&dir)
                .env_remove("CARGO")
                .env_remove("RUSTUP_TOOLCHAIN")
                .env("CARGO_TARGET_DIR", &target_dir)
                .args(["+nightly", "fuzz", "run", target, "--"])
                .arg(format!("-max_total_time={secs}"))
                .arg("-print_final_stats=1");
            let n = run_counting(&mut cmd).map_err(|e| {
                format!(
                    "fuzz target `{target}` failed (crash artifacts in \
                     {project}/artifacts/{target}): {e}"
                )
            })?;
            println!("fuzz {project} {target}: {n} runs in {secs} s");
            runs.push((format!("{project} {target}"), n));
        }
    }
    println!();
    for (name, n) in &runs {
        println!("xtask fuzz: {name}: {n} runs");
    }
    println!("xtask fuzz: {} targets clean for {secs} s each", runs.len());
    Ok(())
}

/// Runs libFuzzer, passing its output through, and returns the inputs it
/// ran (its final `stat::number_of_executed_units`).
fn run_counting(cmd: &mut Command) -> Result<u64, String> {
    let mut child = cmd
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let mut units = None;
    if let Some(err) = child.stderr.take() {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            eprintln!("{line}");
            if let Some(n) = executed_units(&line) {
                units = Some(n);
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for {cmd:?}: {e}"))?;
    if !status.success() {
        return Err(format!("{cmd:?} failed: {status}"));
    }
    units.ok_or_else(|| "libFuzzer printed no stat::number_of_executed_units".into())
}

/// The count of a `stat::number_of_executed_units: N` line.
fn executed_units(line: &str) -> Option<u64> {
    line.trim()
        .strip_prefix("stat::number_of_executed_units:")?
        .trim()
        .parse()
        .ok()
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let have = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if have {
        return Ok(());
    }
    process::step("install cargo-fuzz");
    process::run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzers_final_count() {
        assert_eq!(
            executed_units("stat::number_of_executed_units: 123456"),
            Some(123_456)
        );
        assert_eq!(executed_units("stat::peak_rss_mb: 40"), None);
        assert_eq!(executed_units("#1024 pulse  cov: 3"), None);
    }

    #[test]
    fn every_project_exists_with_its_targets() {
        for (project, targets) in PROJECTS {
            let dir = workspace::root().join(project);
            let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
            for t in *targets {
                assert!(
                    manifest.contains(&format!("name = \"{t}\"")),
                    "{project} {t}"
                );
                assert!(
                    dir.join(format!("fuzz_targets/{t}.rs")).exists(),
                    "{project} {t}"
                );
            }
        }
    }
}

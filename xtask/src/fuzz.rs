// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask fuzz [--secs N]`: runs every cargo-fuzz target of
//! `xen-abi/fuzz`, `xen-store/fuzz` and `examples/xen-vchan/fuzz` for N seconds each (default 30) with
//! the nightly toolchain, failing on the first crash. Installs cargo-fuzz
//! when it is missing.

use std::process::Command;

use crate::{process, workspace};

/// The fuzz projects (each its own workspace) and their targets.
const PROJECTS: &[(&str, &[&str])] = &[
    // Shared-ring consumers against a peer rewriting the indices.
    ("xen-abi/fuzz", &["ring", "byte_ring"]),
    // xenstore: replies (framer, decoders, client), requests, permissions.
    ("xen-store/fuzz", &["reply", "request", "perms"]),
    // vchan: a client against a hostile server's control page and rings.
    ("examples/xen-vchan/fuzz", &["vchan"]),
];

/// Runs every target for `secs` seconds.
pub(crate) fn run(secs: u64) -> Result<(), String> {
    ensure_cargo_fuzz()?;
    let mut count = 0;
    for (project, targets) in PROJECTS {
        let dir = workspace::root().join(project);
        for target in *targets {
            process::step(&format!("fuzz {project} {target} for {secs} s"));
            process::run(
                Command::new("cargo")
                    .current_dir(&dir)
                    .env_remove("CARGO")
                    .env_remove("RUSTUP_TOOLCHAIN")
                    .args(["+nightly", "fuzz", "run", target, "--"])
                    .arg(format!("-max_total_time={secs}"))
                    .arg("-print_final_stats=1"),
            )
            .map_err(|e| {
                format!(
                    "fuzz target `{target}` failed (crash artifacts in \
                     {project}/artifacts/{target}): {e}"
                )
            })?;
            count += 1;
        }
    }
    println!("\nxtask fuzz: {count} targets clean for {secs} s each");
    Ok(())
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

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask fuzz [--secs N]`: runs every cargo-fuzz target of
//! `xen-abi/fuzz` for N seconds (default 30) with the nightly toolchain,
//! failing on the first crash. Installs cargo-fuzz when it is missing.

use std::process::Command;

use crate::util;

/// The fuzz project and its targets.
const PROJECT: &str = "xen-abi/fuzz";
const TARGETS: &[&str] = &["ring", "byte_ring"];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut secs = 30u64;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--secs" => {
                secs = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|s| *s > 0)
                    .ok_or("--secs needs a positive number of seconds")?;
            }
            other => return Err(format!("unknown fuzz argument `{other}`")),
        }
    }
    ensure_cargo_fuzz()?;
    let dir = util::workspace_root().join(PROJECT);
    for target in TARGETS {
        util::step(&format!("fuzz {target} for {secs} s"));
        util::run(
            Command::new("cargo")
                .current_dir(&dir)
                .env_remove("CARGO")
                .env_remove("RUSTUP_TOOLCHAIN")
                .args(["+nightly", "fuzz", "run", target, "--"])
                .arg(format!("-max_total_time={secs}"))
                .arg("-print_final_stats=1"),
        )
        .map_err(|e| format!("fuzz target `{target}` failed (crash artifacts in {PROJECT}/artifacts/{target}): {e}"))?;
    }
    println!(
        "\nxtask fuzz: {} targets clean for {secs} s each",
        TARGETS.len()
    );
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
    util::step("install cargo-fuzz");
    util::run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))
}

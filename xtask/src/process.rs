// SPDX-License-Identifier: MIT OR Apache-2.0
//! Running programs: step banners, and commands that must succeed, with
//! inherited output or captured stdout.

use std::process::Command;

/// Prints a step banner.
pub(crate) fn step(name: &str) {
    println!("\n==> {name}");
}

/// Runs a command with inherited stdio, failing on a non-zero exit.
pub(crate) fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {status}"))
    }
}

/// Runs a command and returns its stdout, failing on a non-zero exit.
pub(crate) fn output(cmd: &mut Command) -> Result<String, String> {
    output_bytes(cmd).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Runs a command and returns its raw stdout, failing on a non-zero exit.
pub(crate) fn output_bytes(cmd: &mut Command) -> Result<Vec<u8>, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "{cmd:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

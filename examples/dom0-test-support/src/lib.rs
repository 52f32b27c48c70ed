// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the workspace's dom0 tests share (a dev-dependency only): running
//! the release's own `xl`, a domain destroyed when its test ends however it
//! ends, and the PV domU config the tests give `xl create`.
//!
//! The tests run in the dom0 that `cargo xtask dom0` boots; it exports
//! `XENRS_XL` (the `xl` of the running Xen's toolstack) and the domU kernel
//! paths.
#![allow(clippy::std_instead_of_core)]

use std::process::Command;

/// `xl` when `XENRS_XL` is not set (Debian 12's 4.17 toolstack).
pub const DEFAULT_XL: &str = "/usr/lib/xen-4.17/bin/xl";

/// The value of environment variable `var`, or `default`.
pub fn env_or(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

/// Runs `xl args`; its stdout and stderr together on success, or a message
/// with its status and output.
///
/// # Errors
/// `xl` missing or failing.
pub fn xl(args: &[&str]) -> Result<String, String> {
    let bin = env_or("XENRS_XL", DEFAULT_XL);
    let out = Command::new(&bin)
        .args(args)
        .output()
        .map_err(|e| format!("{bin}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("xl {args:?}: {}: {text}", out.status))
    }
}

/// Runs `xl args` for output a test parses: its stdout alone.
///
/// # Panics
/// If `xl` fails (the message carries its output).
pub fn xl_stdout(args: &[&str]) -> String {
    let bin = env_or("XENRS_XL", DEFAULT_XL);
    let out = Command::new(&bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    assert!(
        out.status.success(),
        "xl {args:?}: {}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A domain destroyed (`xl destroy`) when this value is dropped: at the
/// end of its test, whether the test passed, failed or panicked.
#[derive(Debug)]
pub struct XlDomain(pub u16);

impl Drop for XlDomain {
    fn drop(&mut self) {
        let _ = xl(&["destroy", &self.0.to_string()]);
    }
}

/// An `xl` config for a one-vCPU PV domU of `memory_mib` running `kernel`;
/// destroyed when it powers off or reboots, `on_crash` otherwise
/// (`"preserve"` keeps a crashed domain for a post-mortem).
pub fn pv_config(name: &str, kernel: &str, memory_mib: u32, on_crash: &str) -> String {
    format!(
        "name = \"{name}\"\ntype = \"pv\"\nkernel = \"{kernel}\"\nmemory = {memory_mib}\nvcpus = 1\n\
         on_poweroff = \"destroy\"\non_reboot = \"destroy\"\non_crash = \"{on_crash}\"\n"
    )
}

/// Writes [`pv_config`] to a file named after the domain in the temporary
/// directory and returns its path.
///
/// # Errors
/// The write's.
pub fn write_pv_config(
    name: &str,
    kernel: &str,
    memory_mib: u32,
    on_crash: &str,
) -> Result<std::path::PathBuf, String> {
    let path = std::env::temp_dir().join(format!("{name}.cfg"));
    std::fs::write(&path, pv_config(name, kernel, memory_mib, on_crash))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_everything_xl_needs() {
        let c = pv_config("d", "/k", 32, "preserve");
        for line in [
            "name = \"d\"",
            "type = \"pv\"",
            "kernel = \"/k\"",
            "memory = 32",
            "vcpus = 1",
            "on_poweroff = \"destroy\"",
            "on_crash = \"preserve\"",
        ] {
            assert!(c.lines().any(|l| l == line), "{line} missing from {c}");
        }
    }
}

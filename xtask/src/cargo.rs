// SPDX-License-Identifier: MIT OR Apache-2.0
//! Running cargo: the cargo that runs us, plain invocations, and the
//! artifacts a build reports (`--message-format=json`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process;

/// The cargo that runs us.
pub(crate) fn bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `cargo <args>` in `dir`, failing on a non-zero exit.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Result<(), String> {
    process::run(Command::new(bin()).args(args).current_dir(dir))
}

/// One compiled target a build reported.
#[derive(Debug, Clone)]
pub(crate) struct Artifact {
    pub(crate) package: String,
    /// The target's name (`ring`, `dom0_privcmd`).
    pub(crate) target: String,
    /// Its kinds (`bin`, `test`, `bench`, `example`, ...).
    pub(crate) kinds: Vec<String>,
    /// Built with the test harness.
    pub(crate) test: bool,
    pub(crate) executable: PathBuf,
}

impl Artifact {
    pub(crate) fn is(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| k == kind)
    }
}

/// Runs `cargo <args> --message-format=json` in `dir` and returns the
/// executables it built.
pub(crate) fn executables(dir: &Path, args: &[&str]) -> Result<Vec<Artifact>, String> {
    let out = process::output(
        Command::new(bin())
            .args(args)
            .arg("--message-format=json")
            .current_dir(dir),
    )?;
    Ok(out.lines().filter_map(artifact).collect())
}

/// The one executable named `target` that `cargo <args>` builds.
pub(crate) fn executable(dir: &Path, args: &[&str], target: &str) -> Result<PathBuf, String> {
    executables(dir, args)?
        .into_iter()
        .find(|a| a.target == target)
        .map(|a| a.executable)
        .ok_or_else(|| format!("cargo did not report the {target} executable"))
}

fn artifact(line: &str) -> Option<Artifact> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    if v["reason"] != "compiler-artifact" {
        return None;
    }
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|k| k.as_str().map(String::from))
            .collect()
    };
    Some(Artifact {
        package: package_name(v["package_id"].as_str()?)?.to_string(),
        target: v["target"]["name"].as_str()?.to_string(),
        kinds: strings(&v["target"]["kind"]),
        test: v["profile"]["test"] == true,
        executable: v["executable"].as_str()?.into(),
    })
}

/// The package name in a cargo package id: `path+file:///dir/name#1.0`,
/// `path+file:///dir#name@1.0`, or the older `name 1.0 (source)`.
fn package_name(id: &str) -> Option<&str> {
    if let Some((name, _)) = id.split_once(' ') {
        return Some(name);
    }
    let (url, fragment) = id.rsplit_once('#')?;
    match fragment.split_once('@') {
        Some((name, _)) => Some(name),
        None => url
            .split('?')
            .next()?
            .trim_end_matches('/')
            .rsplit('/')
            .next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_come_from_the_id_not_a_substring() {
        let ids = [
            ("path+file:///work/wt-xs/xen-store#0.1.0", "xen-store"),
            ("path+file:///work/wt-xs/examples/xs#0.1.0", "xs"),
            ("path+file:///work/wt-xs/examples/tool#xs@0.1.0", "xs"),
            ("path+file:///work/xs/#xen-store@0.1.0", "xen-store"),
            ("git+https://example.org/r?branch=b#xs@1.0.0", "xs"),
            ("xs 0.1.0 (path+file:///work/wt-xs/examples/xs)", "xs"),
            (
                "xen-store 0.1.0 (path+file:///work/wt-xs/xen-store)",
                "xen-store",
            ),
        ];
        for (id, name) in ids {
            assert_eq!(package_name(id), Some(name), "{id}");
        }
        assert_eq!(package_name("no-fragment"), None);
    }

    #[test]
    fn artifacts_without_an_executable_are_skipped() {
        let lib = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/a#0.1.0","target":{"name":"a","kind":["lib"]},"profile":{"test":false},"executable":null}"#;
        assert!(artifact(lib).is_none());
        let t = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/a#0.1.0","target":{"name":"dom0_x","kind":["test"]},"profile":{"test":true},"executable":"/t/dom0_x-1"}"#;
        let a = artifact(t).unwrap();
        assert!(a.test && a.is("test") && a.package == "a" && a.target == "dom0_x");
    }
}

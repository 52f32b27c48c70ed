// SPDX-License-Identifier: MIT OR Apache-2.0
//! Where things are: the workspace root, the target directory cargo really
//! uses (`CARGO_TARGET_DIR`, `build.target-dir` or `target/`, as `cargo
//! metadata` resolves it) with the scratch directories under it, and the
//! workspace's packages.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::{cargo, process};

/// The workspace root (the parent of `xtask/`).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// A workspace package as `cargo metadata` describes it.
#[derive(Debug)]
pub(crate) struct Package {
    pub(crate) name: String,
    /// The names of its integration-test targets (`tests/*.rs`).
    pub(crate) tests: Vec<String>,
    /// A library crate that may be published (`publish` not `false`).
    pub(crate) publishable_lib: bool,
    /// Its features: name and what each enables.
    pub(crate) features: Vec<(String, Vec<String>)>,
    /// Its normal and build dependencies that are workspace members (by path).
    pub(crate) path_deps: Vec<String>,
    /// `[package.metadata.docs.rs]` (`null` when absent).
    pub(crate) docs_rs: serde_json::Value,
    /// The directory of its Cargo.toml.
    pub(crate) dir: PathBuf,
}

#[derive(Debug)]
struct Metadata {
    target_dir: PathBuf,
    packages: Vec<Package>,
}

fn metadata() -> Result<&'static Metadata, String> {
    static METADATA: OnceLock<Result<Metadata, String>> = OnceLock::new();
    METADATA
        .get_or_init(|| {
            let out = process::output(
                Command::new(cargo::bin())
                    .args(["metadata", "--no-deps", "--format-version", "1"])
                    .current_dir(root()),
            )?;
            parse_metadata(&out)
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn parse_metadata(json: &str) -> Result<Metadata, String> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("cargo metadata: {e}"))?;
    let target_dir = v["target_directory"]
        .as_str()
        .ok_or("cargo metadata names no target_directory")?
        .into();
    let packages = v["packages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| Package {
            name: p["name"].as_str().unwrap_or_default().to_string(),
            tests: p["targets"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "test"))
                })
                .filter_map(|t| t["name"].as_str().map(String::from))
                .collect(),
            // `publish`: null (anywhere) or a list of registries (empty: nowhere).
            publishable_lib: !matches!(p["publish"].as_array(), Some(r) if r.is_empty())
                && p["targets"].as_array().is_some_and(|ts| {
                    ts.iter().any(|t| {
                        t["kind"]
                            .as_array()
                            .is_some_and(|k| k.iter().any(|k| k == "lib"))
                    })
                }),
            features: p["features"]
                .as_object()
                .map(|f| {
                    f.iter()
                        .map(|(name, on)| {
                            let on = on.as_array().map(Vec::as_slice).unwrap_or_default();
                            let on = on.iter().filter_map(|v| v.as_str().map(String::from));
                            (name.clone(), on.collect())
                        })
                        .collect()
                })
                .unwrap_or_default(),
            path_deps: p["dependencies"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter(|d| d["kind"] != "dev" && d["path"].is_string())
                .filter_map(|d| d["name"].as_str().map(String::from))
                .collect(),
            docs_rs: p["metadata"]["docs"]["rs"].clone(),
            dir: Path::new(p["manifest_path"].as_str().unwrap_or_default())
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        })
        .collect();
    Ok(Metadata {
        target_dir,
        packages,
    })
}

/// The workspace's target directory (absolute).
pub(crate) fn target_dir() -> Result<PathBuf, String> {
    Ok(metadata()?.target_dir.clone())
}

/// `<target dir>/<name>`, created.
pub(crate) fn scratch(name: &str) -> Result<PathBuf, String> {
    let dir = target_dir()?.join(name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// The directory of the workspace package `name`.
pub(crate) fn package_dir(name: &str) -> Result<PathBuf, String> {
    packages()?
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.dir.clone())
        .ok_or_else(|| format!("no workspace package {name}"))
}

/// The workspace's packages.
pub(crate) fn packages() -> Result<&'static [Package], String> {
    Ok(&metadata()?.packages)
}

#[cfg(test)]
mod tests {
    use super::parse_metadata;

    #[test]
    fn reads_the_target_dir_and_test_targets() {
        let m = parse_metadata(
            r#"{"target_directory":"/t","packages":[{"name":"a","targets":[
                {"name":"a","kind":["lib"]},{"name":"dom0_x","kind":["test"]}]}]}"#,
        )
        .unwrap();
        assert_eq!(m.target_dir, std::path::Path::new("/t"));
        assert_eq!(
            (m.packages[0].name.as_str(), &m.packages[0].tests[..]),
            ("a", &["dom0_x".to_string()][..])
        );
    }
}

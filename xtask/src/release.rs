// SPDX-License-Identifier: MIT OR Apache-2.0
//! Ready for crates.io and docs.rs, proven by steps of `cargo xtask test`:
//!
//! - [`docs_rs`]: every library crate's docs built the way docs.rs builds
//!   them (nightly, `--cfg docsrs`, the features and targets of its
//!   `[package.metadata.docs.rs]`), then once per feature combination on the
//!   host, all with `-D warnings`;
//! - [`publish_dry_run`]: `cargo publish --dry-run --workspace`, which
//!   packages every library crate, verifies each package by building it
//!   against the packages of its siblings (cargo >= 1.90 overlays a local
//!   registry of the just-built packages, so crates that depend on
//!   unpublished siblings verify too), in dependency order, and uploads
//!   nothing; then each package's file list is checked (licence files,
//!   README, CHANGELOG);
//! - [`semver`]: `cargo semver-checks` against the last release named in
//!   each crate's CHANGELOG.md, a no-op that says so until a first release.
//!
//! The library crates are found with `cargo metadata` (a lib target, `publish`
//! not `false`), so a new crate is covered without editing this file.

use std::collections::BTreeSet;
use std::process::Command;

use crate::workspace::{self, Package};
use crate::{cargo, process};

/// The host target docs.rs builds by default (and our host).
const HOST: &str = "x86_64-unknown-linux-gnu";

/// The publishable library crates, each after the workspace crates it
/// depends on (the order `cargo publish` needs).
pub(crate) fn libraries() -> Result<Vec<&'static Package>, String> {
    let libs: Vec<&Package> = workspace::packages()?
        .iter()
        .filter(|p| p.publishable_lib)
        .collect();
    dependency_order(&libs)
}

fn dependency_order<'a>(libs: &[&'a Package]) -> Result<Vec<&'a Package>, String> {
    let mut done: Vec<&Package> = Vec::new();
    while done.len() < libs.len() {
        let next = libs.iter().find(|p| {
            !done.iter().any(|d| d.name == p.name)
                && p.path_deps
                    .iter()
                    .all(|d| done.iter().any(|p| &p.name == d))
        });
        match next {
            Some(p) => done.push(p),
            None => {
                return Err(
                    "library crates depend on each other in a cycle, or on an unpublishable crate"
                        .into(),
                )
            }
        }
    }
    Ok(done)
}

/// docs.rs's settings of one crate.
#[derive(Debug, PartialEq)]
struct DocsRs {
    targets: Vec<String>,
    /// The feature flags of the cargo command line.
    features: Vec<String>,
    rustdoc_args: Vec<String>,
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.as_str().map(String::from))
        .collect()
}

fn docs_rs_settings(meta: &serde_json::Value) -> DocsRs {
    let mut targets = strings(&meta["targets"]);
    if targets.is_empty() {
        targets.push(meta["default-target"].as_str().unwrap_or(HOST).into());
    }
    let mut features = Vec::new();
    if meta["all-features"] == true {
        features.push("--all-features".into());
    }
    if meta["no-default-features"] == true {
        features.push("--no-default-features".into());
    }
    let listed = strings(&meta["features"]);
    if !listed.is_empty() {
        features.extend(["--features".into(), listed.join(",")]);
    }
    DocsRs {
        targets,
        features,
        rustdoc_args: strings(&meta["rustdoc-args"]),
    }
}

/// Every distinct set of features a user can turn on (`--no-default-features
/// --features ...`), each closed over what its features enable.
fn feature_sets(features: &[(String, Vec<String>)]) -> Vec<Vec<String>> {
    let names: Vec<&str> = features
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| *n != "default")
        .collect();
    let closure = |chosen: &[&str]| -> BTreeSet<String> {
        let mut set: BTreeSet<String> = chosen.iter().map(|s| s.to_string()).collect();
        loop {
            let more: Vec<String> = features
                .iter()
                .filter(|(n, _)| set.contains(n))
                .flat_map(|(_, on)| on.iter())
                .filter(|f| names.contains(&f.as_str()) && !set.contains(*f))
                .cloned()
                .collect();
            if more.is_empty() {
                return set;
            }
            set.extend(more);
        }
    };
    let mut seen: Vec<BTreeSet<String>> = Vec::new();
    for mask in 0..1u32 << names.len() {
        let chosen: Vec<&str> = (0..names.len())
            .filter(|i| mask & 1 << i != 0)
            .map(|i| names[i])
            .collect();
        let set = closure(&chosen);
        if !seen.contains(&set) {
            seen.push(set);
        }
    }
    seen.into_iter().map(|s| s.into_iter().collect()).collect()
}

/// `cargo +nightly doc` of one library crate, docs.rs's way.
fn nightly_doc(
    pkg: &str,
    targets: &[String],
    features: &[String],
    rustdoc_args: &[String],
) -> Result<Command, String> {
    let mut cmd = Command::new("rustup");
    cmd.args([
        "run",
        "nightly",
        "cargo",
        "doc",
        "--quiet",
        "--no-deps",
        "--lib",
        "-p",
        pkg,
    ])
    .args(targets.iter().flat_map(|t| ["--target", t.as_str()]))
    .args(features)
    .current_dir(workspace::root())
    // Nightly artifacts and docs.rs's flags apart from the stable build.
    .env("CARGO_TARGET_DIR", workspace::target_dir()?.join("docsrs"))
    .env(
        "RUSTDOCFLAGS",
        ["-D", "warnings"]
            .iter()
            .map(|s| s.to_string())
            .chain(rustdoc_args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
    );
    Ok(cmd)
}

/// Builds every library crate's docs as docs.rs would (each target of its
/// metadata in one cargo run), then on the host with every feature
/// combination, with docs.rs's rustdoc arguments and `-D warnings`.
pub(crate) fn docs_rs() -> Result<(), String> {
    for pkg in libraries()? {
        let docs = docs_rs_settings(&pkg.docs_rs);
        if !docs
            .rustdoc_args
            .windows(2)
            .any(|w| w == ["--cfg", "docsrs"])
        {
            return Err(format!(
                "{}: [package.metadata.docs.rs] needs rustdoc-args = [\"--cfg\", \"docsrs\"]",
                pkg.name
            ));
        }
        println!(
            "docs.rs: {} for {} ({})",
            pkg.name,
            docs.targets.join(", "),
            docs.features.join(" ")
        );
        process::run(&mut nightly_doc(
            &pkg.name,
            &docs.targets,
            &docs.features,
            &docs.rustdoc_args,
        )?)
        .map_err(|e| format!("{}: docs.rs build: {e}", pkg.name))?;
        for set in feature_sets(&pkg.features) {
            let mut flags = vec!["--no-default-features".to_string()];
            if !set.is_empty() {
                flags.extend(["--features".into(), set.join(",")]);
            }
            println!("docs.rs: {} features [{}]", pkg.name, set.join(","));
            process::run(&mut nightly_doc(
                &pkg.name,
                &[HOST.into()],
                &flags,
                &docs.rustdoc_args,
            )?)
            .map_err(|e| format!("{}: docs with features [{}]: {e}", pkg.name, set.join(",")))?;
        }
    }
    Ok(())
}

/// Files every package must carry.
const PACKAGE_FILES: &[&str] = &[
    "LICENSE-MIT",
    "LICENSE-APACHE",
    "README.md",
    "CHANGELOG.md",
    "Cargo.toml",
];

/// `cargo publish --dry-run` of every library crate in dependency order (no
/// upload), then the file list of each package.
pub(crate) fn publish_dry_run() -> Result<(), String> {
    let libs = libraries()?;
    forget_unpacked_packages(&libs)?;
    let mut cmd = Command::new(cargo::bin());
    cmd.args(["publish", "--dry-run", "--allow-dirty", "--quiet"])
        .args(libs.iter().flat_map(|p| ["-p", p.name.as_str()]))
        .current_dir(workspace::root());
    process::run(&mut cmd)?;
    for pkg in libs {
        let list = process::output(
            Command::new(cargo::bin())
                .args(["package", "--list", "--allow-dirty", "-p", &pkg.name])
                .current_dir(workspace::root()),
        )?;
        let missing: Vec<&str> = PACKAGE_FILES
            .iter()
            .copied()
            .filter(|f| !list.lines().any(|l| l == *f))
            .collect();
        if !missing.is_empty() {
            return Err(format!("{}: the package lacks {missing:?}", pkg.name));
        }
        println!(
            "package: {} has {} files, licences included",
            pkg.name,
            list.lines().count()
        );
    }
    Ok(())
}

/// Removes cargo's unpacked copies of our packages from earlier dry runs.
///
/// Cargo verifies a package against its siblings through a temporary local
/// registry and unpacks those under `$CARGO_HOME/registry/src/-<hash>/`
/// (the hash of the registry's path, so the same on every run); it does not
/// unpack again when a package of the same version changed, and would
/// verify against the stale copy. Only our crates' directories in those
/// nameless (local) registries go.
fn forget_unpacked_packages(libs: &[&Package]) -> Result<(), String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    for kind in ["src", "cache"] {
        let Ok(registries) = std::fs::read_dir(home.join("registry").join(kind)) else {
            continue;
        };
        for reg in registries.flatten() {
            if !reg.file_name().to_string_lossy().starts_with('-') {
                continue; // crates.io and named registries
            }
            for entry in std::fs::read_dir(reg.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = entry.file_name().to_string_lossy().into_owned();
                let ours = libs.iter().any(|p| {
                    name.strip_prefix(&format!("{}-", p.name))
                        .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                });
                if ours {
                    let path = entry.path();
                    let removed = if path.is_dir() {
                        std::fs::remove_dir_all(&path)
                    } else {
                        std::fs::remove_file(&path)
                    };
                    removed.map_err(|e| format!("{}: {e}", path.display()))?;
                }
            }
        }
    }
    Ok(())
}

/// The template external workspace (`examples/downstream`).
const DOWNSTREAM: &str = "examples/downstream";

/// Builds the template external workspace as its users would: all of it
/// for Linux, its guest part for `x86_64-unknown-none`; then checks that the
/// lockfile cargo wrote for it holds nothing of our crates' test-only
/// dependencies (loom).
pub(crate) fn downstream() -> Result<(), String> {
    let dir = workspace::root().join(DOWNSTREAM);
    let target = workspace::target_dir()?.join("downstream");
    let bare = crate::xen::Arch::X86_64.bare_target();
    let builds: [&[&str]; 2] = [
        &["build", "--quiet"],
        &["build", "--quiet", "-p", "guest", "--target", bare],
    ];
    for args in builds {
        process::run(
            Command::new(cargo::bin())
                .args(args)
                .current_dir(&dir)
                .env("CARGO_TARGET_DIR", &target),
        )
        .map_err(|e| format!("{DOWNSTREAM}: {e}"))?;
    }
    let lock = std::fs::read_to_string(dir.join("Cargo.lock"))
        .map_err(|e| format!("{DOWNSTREAM}/Cargo.lock: {e}"))?;
    let leaked: Vec<&str> = TEST_ONLY
        .iter()
        .copied()
        .filter(|d| lock.contains(&format!("name = \"{d}\"")))
        .collect();
    if !leaked.is_empty() {
        return Err(format!(
            "{leaked:?} leaked into a downstream lockfile ({DOWNSTREAM}/Cargo.lock)"
        ));
    }
    println!("downstream: the template builds for Linux and {bare}; its lockfile has none of {TEST_ONLY:?}");
    Ok(())
}

/// Dependencies of our tests only, which must not reach a user's lockfile.
const TEST_ONLY: &[&str] = &["loom"];

/// The last released version in a CHANGELOG.md: the first `## [x.y.z]` or
/// `## x.y.z` heading (`## Unreleased` is not one).
fn last_release(changelog: &str) -> Option<String> {
    changelog.lines().find_map(|l| {
        let v = l.strip_prefix("## ")?.trim().trim_start_matches('[');
        let v = v.split([']', ' ']).next()?;
        let numeric = v.split('.').count() == 3
            && v.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        numeric.then(|| v.to_string())
    })
}

/// `cargo semver-checks` of each library crate against its last release on
/// crates.io (named by its CHANGELOG.md); until a crate has one, says so and
/// passes.
pub(crate) fn semver() -> Result<(), String> {
    let root = workspace::root();
    let installed = Command::new(cargo::bin())
        .args(["semver-checks", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    for pkg in libraries()? {
        let dir = workspace::package_dir(&pkg.name)?;
        let changelog = std::fs::read_to_string(dir.join("CHANGELOG.md"))
            .map_err(|e| format!("{}/CHANGELOG.md: {e}", dir.display()))?;
        let Some(baseline) = last_release(&changelog) else {
            println!(
                "semver: {}: not released yet (CHANGELOG.md has no `## [x.y.z]` section): nothing to compare against",
                pkg.name
            );
            continue;
        };
        if !installed {
            return Err(format!(
                "{}: released as {baseline}, so its API is checked against that: \
                 install the checker with `cargo install cargo-semver-checks --locked`",
                pkg.name
            ));
        }
        println!("semver: {} against {baseline}", pkg.name);
        process::run(
            Command::new(cargo::bin())
                .args([
                    "semver-checks",
                    "check-release",
                    "-p",
                    &pkg.name,
                    "--baseline-version",
                    &baseline,
                ])
                .current_dir(&root),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, deps: &[&str]) -> Package {
        Package {
            name: name.into(),
            tests: vec![],
            publishable_lib: true,
            features: vec![],
            path_deps: deps.iter().map(|d| d.to_string()).collect(),
            docs_rs: serde_json::Value::Null,
            dir: Default::default(),
        }
    }

    #[test]
    fn crates_come_after_their_dependencies() {
        let (abi, hc, store) = (
            pkg("abi", &[]),
            pkg("hc", &["abi"]),
            pkg("store", &["hc", "abi"]),
        );
        let order = dependency_order(&[&store, &hc, &abi]).unwrap();
        let names: Vec<&str> = order.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["abi", "hc", "store"]);
        let lonely = pkg("x", &["unpublished"]);
        assert!(dependency_order(&[&lonely]).is_err());
    }

    #[test]
    fn docs_rs_settings_follow_the_metadata() {
        let meta = serde_json::json!({"targets": ["a", "b"], "all-features": true, "rustdoc-args": ["--cfg", "docsrs"]});
        let d = docs_rs_settings(&meta);
        assert_eq!(
            (d.targets, d.features),
            (vec!["a".into(), "b".into()], vec!["--all-features".into()])
        );
        let d = docs_rs_settings(
            &serde_json::json!({"features": ["std", "x"], "no-default-features": true}),
        );
        assert_eq!(d.targets, [HOST]);
        assert_eq!(d.features, ["--no-default-features", "--features", "std,x"]);
    }

    #[test]
    fn feature_sets_are_closed_and_distinct() {
        let f = |n: &str, on: &[&str]| (n.to_string(), on.iter().map(|s| s.to_string()).collect());
        let features = [
            f("default", &["std"]),
            f("std", &["dep:libc"]),
            f("tokio", &["std", "dep:tokio"]),
        ];
        let sets = feature_sets(&features);
        assert_eq!(
            sets,
            [
                vec![],
                vec!["std".to_string()],
                vec!["std".into(), "tokio".into()]
            ]
        );
        assert_eq!(feature_sets(&[]), [Vec::<String>::new()]);
    }

    #[test]
    fn the_last_release_is_the_first_versioned_heading() {
        assert_eq!(
            last_release("# Changelog\n\n## Unreleased\n### Added\n- x\n"),
            None
        );
        let log = "## Unreleased\n\n## [0.2.0] - 2027-01-02\n\n## [0.1.0]\n";
        assert_eq!(last_release(log).as_deref(), Some("0.2.0"));
        assert_eq!(last_release("## 1.0.3\n").as_deref(), Some("1.0.3"));
        assert_eq!(last_release("## Added 1.0\n"), None);
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Fetching Debian packages without installing them: a private apt state
//! (sources list, lists, no caches) per release and architecture under the
//! target dir, `apt-get download`, `dpkg -x`. The system's apt
//! configuration is never touched.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::xen::Arch;
use crate::{process, workspace};

/// A set of packages to fetch and unpack together.
#[derive(Debug)]
pub(crate) struct Fetch<'a> {
    /// The Debian release (`bookworm`, `trixie`).
    pub(crate) suite: &'a str,
    pub(crate) arch: Arch,
    /// The directory they are unpacked into, under the cache.
    pub(crate) name: &'a str,
    /// Every package wanted (no dependency resolution: name them all).
    pub(crate) packages: &'a [&'a str],
}

/// Downloads and unpacks `f.packages` (once) under `<target>/xen/<name>/`
/// and returns that directory.
pub(crate) fn fetch(f: &Fetch<'_>) -> Result<PathBuf, String> {
    let dir = workspace::scratch("xen")?;
    let out = dir.join(f.name);
    if out.join(".unpacked").exists() {
        return Ok(out);
    }
    let state = match f.arch {
        Arch::X86_64 => dir.join(format!("apt-{}", f.suite)),
        other => dir.join(format!("apt-{}-{}", f.suite, other.debian())),
    };
    let lists = state.join("lists");
    let debs = state.join(format!("debs-{}", f.name));
    let mkdir = |d: &Path| std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()));
    mkdir(&lists.join("partial"))?;
    mkdir(&debs)?;
    let sources = state.join("sources.list");
    std::fs::write(
        &sources,
        format!(
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {} {} main\n",
            archive_uri()?,
            f.suite
        ),
    )
    .map_err(|e| format!("{}: {e}", sources.display()))?;
    let apt = |args: &[&str]| -> Result<(), String> {
        let mut c = Command::new("apt-get");
        c.arg("-q")
            .arg(format!("-oDir::Etc::sourcelist={}", sources.display()))
            .arg("-oDir::Etc::sourceparts=-")
            .arg(format!("-oDir::State::Lists={}", lists.display()))
            .arg("-oDir::Cache::pkgcache=")
            .arg("-oDir::Cache::srcpkgcache=")
            .arg("-oAPT::Sandbox::User=root")
            .arg(format!("-oAPT::Architecture={}", f.arch.debian()))
            .arg(format!("-oAPT::Architectures={}", f.arch.debian()))
            .args(args)
            .current_dir(&debs);
        process::output(&mut c).map(|_| ())
    };
    println!(
        "debian: fetching {} ({}) from Debian {}",
        f.packages.join(" "),
        f.arch.debian(),
        f.suite
    );
    apt(&["update"])?;
    let mut args = vec!["download"];
    args.extend_from_slice(f.packages);
    apt(&args)?;
    mkdir(&out)?;
    for package in f.packages {
        let deb = std::fs::read_dir(&debs)
            .map_err(|e| format!("{}: {e}", debs.display()))?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with(&format!("{package}_")) && n.ends_with(".deb")
                })
            })
            .ok_or_else(|| format!("apt-get download left no {package} .deb"))?;
        process::run(Command::new("dpkg").arg("-x").arg(&deb).arg(&out))?;
    }
    std::fs::write(out.join(".unpacked"), "").map_err(|e| format!("{e}"))?;
    Ok(out)
}

/// The URI of the Debian archive this machine's apt already uses (so the
/// project names no mirror of its own).
fn archive_uri() -> Result<String, String> {
    let mut text = std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default();
    if let Ok(rd) = std::fs::read_dir("/etc/apt/sources.list.d") {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "sources" || x == "list") {
                text.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
                text.push('\n');
            }
        }
    }
    archive_uri_in(&text)
        .ok_or_else(|| "no Debian archive found in /etc/apt/sources.list{,.d}".into())
}

/// The archive URI in apt sources text (deb822 stanzas or one-line format).
fn archive_uri_in(text: &str) -> Option<String> {
    let debian = |suite: &str| suite == "bookworm" || suite == "trixie";
    // deb822: a stanza with `URIs:` and a Suites line naming the release.
    for stanza in text.split("\n\n") {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .map(str::trim)
        };
        if let (Some(uri), Some(suites)) = (field("URIs:"), field("Suites:")) {
            if suites.split_whitespace().any(debian) {
                return Some(uri.split_whitespace().next().unwrap_or(uri).to_string());
            }
        }
    }
    // One-line format: `deb URI SUITE COMPONENTS`.
    text.lines().find_map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        (w.len() >= 3 && w[0] == "deb" && debian(w[2])).then(|| w[1].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::archive_uri_in;

    #[test]
    fn finds_the_archive_in_either_format() {
        let deb822 =
            "Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\n\n\
                      Types: deb\nURIs: http://sec.example\nSuites: bookworm-security\n";
        assert_eq!(
            archive_uri_in(deb822).as_deref(),
            Some("http://deb.example/debian")
        );
        let one_line = "deb http://m.example/debian trixie main\n";
        assert_eq!(
            archive_uri_in(one_line).as_deref(),
            Some("http://m.example/debian")
        );
        assert_eq!(archive_uri_in("deb http://x sid main\n"), None);
    }
}

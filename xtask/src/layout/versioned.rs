// SPDX-License-Identifier: MIT OR Apache-2.0
//! The versioned pass: xen-abi's `domctl` and `sysctl` against the headers
//! of each Xen release the toolstack wrappers speak.
//!
//! Xen 4.17's headers are the machine's own (`/usr/include/xen`, Debian 12's
//! libxen-dev); Xen 4.20's come from Debian 13's libxen-dev, fetched with a
//! private apt state and unpacked under the target dir (never installed).
//! A mirror under `domctl::v4_17` / `sysctl::v4_17` is checked against 4.17
//! only, one under `v4_20` against 4.20 only, and every other mirror of the
//! two modules (and the x86 arch structs they embed) against both: that is
//! the proof that the shared types really are the same in both releases.
//! The main pass leaves these modules to this one ([`is_versioned`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::c_side::{self, Arch};
use super::check::{self, ArchReport};
use super::rust_side::{self, RustConst, RustSide};
use crate::xen::XenVersion;
use crate::{debian, workspace};

/// The xen-abi modules whose mirrors this pass owns.
const MODULES: [&str; 2] = ["xen_abi::domctl", "xen_abi::sysctl"];

/// Headers whose structs the versioned modules mirror (relative to `xen/`).
const HEADERS: [&str; 2] = ["domctl.h", "sysctl.h"];

/// Headers of the structs those embed (checked here again for 4.20).
const EMBEDDED: [&str; 3] = ["xen.h", "arch-x86/xen.h", "arch-x86/xen-x86_64.h"];

/// Whether a Rust path belongs to this pass rather than the main one.
pub(crate) fn is_versioned(path: &str) -> bool {
    MODULES
        .iter()
        .any(|m| path == *m || path.starts_with(&format!("{m}::")))
}

/// The release a path is pinned to (`::v4_17`), if any.
fn pinned(path: &str) -> Option<XenVersion> {
    XenVersion::ALL
        .into_iter()
        .find(|v| path.contains(&format!("::v{}::", v.as_str().replace('.', "_"))))
}

/// Whether a path is checked against `version`'s headers.
fn applies(path: &str, version: XenVersion) -> bool {
    pinned(path).map_or(true, |p| p == version)
}

/// The directory holding `xen/` for `version`.
fn headers(version: XenVersion) -> Result<PathBuf, String> {
    match version {
        XenVersion::V4_17 => Ok(PathBuf::from("/usr/include")),
        XenVersion::V4_20 => Ok(debian::fetch(&debian::Fetch {
            suite: version.debian_suite(),
            arch: Arch::X86_64,
            name: "libxen-dev-4.20",
            packages: &["libxen-dev"],
        })?
        .join("usr/include")),
    }
}

/// `cargo xtask layout`'s second half: for each release, bindgen over its
/// `domctl.h`/`sysctl.h` (x86_64, `__XEN_TOOLS__`), then the same checks as
/// the main pass for the structs and an `_Static_assert` per constant.
pub(crate) fn run(keep: bool) -> Result<(), String> {
    let root = workspace::root();
    let scratch = workspace::scratch("xtask-layout")?;
    let all = rust_side::load(&root)?;
    let arch = Arch::X86_64;
    let mut failed = false;
    let mut lines = Vec::new();
    for version in XenVersion::ALL {
        let ver_scratch = scratch.join(format!("xen-{}", version.as_str()));
        let include = include_dir(&ver_scratch, &headers(version)?)?;
        let rust = RustSide {
            records: all
                .records
                .iter()
                .filter(|r| {
                    (is_versioned(&r.path) || r.path.starts_with("xen_abi::arch::x86::"))
                        && applies(&r.path, version)
                })
                .cloned()
                .collect(),
            consts: all
                .consts
                .iter()
                .filter(|k| is_versioned(&k.path) && k.explicit && applies(&k.path, version))
                .cloned()
                .collect(),
        };
        let records = parse(arch, &include, &ver_scratch, keep, true)?;
        let owned = parse(arch, &include, &ver_scratch, keep, false)?;
        let cs = c_side::CSide {
            records: records.records,
            header_records: owned.header_records,
            consts: records.consts,
        };
        let mut rep = ArchReport::default();
        let label = format!("{}-xen-{}", arch.name(), version.as_str());
        check::layout_checks(&root, &scratch, &label, arch, &rust, &cs, &mut rep)?;
        for r in &rust.records {
            if cs.resolve(&r.c_name).is_none() {
                rep.mismatches.push(format!(
                    "{} ({}): no C struct or union `{}` in Xen {}'s headers",
                    r.path,
                    r.location,
                    r.c_name,
                    version.as_str()
                ));
            }
        }
        let (checked, const_mismatches) = consts(&root, &scratch, &include, version, &rust.consts)?;
        let tag = format!("{} xen-{} domctl/sysctl", arch.name(), version.as_str());
        for m in &rep.mismatches {
            println!("  mismatch {tag}: {m}");
        }
        for m in &const_mismatches {
            println!("  constant mismatch {tag}: {m}");
        }
        failed |= !rep.mismatches.is_empty() || !const_mismatches.is_empty();
        lines.push(format!(
            "constants {tag}: {checked} checked, {} mismatches",
            const_mismatches.len()
        ));
        lines.push(format!(
            "layout {tag}: {} structs checked, {} mismatches, {} header structs not mirrored (toolstack-only; not required)",
            rep.checked,
            rep.mismatches.len(),
            rep.unmirrored.len()
        ));
    }
    for l in lines {
        println!("{l}");
    }
    if failed {
        Err("the versioned layout proof found differences from Xen's domctl/sysctl headers".into())
    } else {
        Ok(())
    }
}

/// A scratch include directory holding only `xen -> <headers>/xen` (so that
/// clang's freestanding `<stdint.h>` is the one found).
fn include_dir(scratch: &Path, headers: &Path) -> Result<PathBuf, String> {
    let dir = scratch.join("include");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let link = dir.join("xen");
    let target = headers.join("xen");
    if std::fs::read_link(&link).ok().as_deref() != Some(target.as_path()) {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link)
            .map_err(|e| format!("{}: {e}", link.display()))?;
    }
    if !target.join("domctl.h").exists() {
        return Err(format!("{}/domctl.h is missing", target.display()));
    }
    Ok(dir)
}

/// The `#include` lines of this pass.
fn include_lines() -> String {
    let mut s = String::from("#include <stdint.h>\n#include <xen/xen.h>\n");
    for h in HEADERS {
        let _ = writeln!(s, "#include <xen/{h}>");
    }
    s
}

/// bindgen over the release's headers: with `embedded`, the structs of
/// [`HEADERS`] and [`EMBEDDED`] (what mirrors resolve against); without, only
/// [`HEADERS`] (what "not mirrored" counts).
fn parse(
    arch: Arch,
    include: &Path,
    scratch: &Path,
    keep: bool,
    embedded: bool,
) -> Result<c_side::CSide, String> {
    let mut b = bindgen::Builder::default()
        .header_contents("xen_abi_versioned.h", &include_lines())
        .clang_args(c_side::clang_args(arch, include, true)?)
        .layout_tests(true)
        .derive_debug(false)
        .derive_copy(false)
        .prepend_enum_name(false)
        .generate_comments(false)
        .allowlist_recursively(false);
    let files = HEADERS
        .iter()
        .chain(if embedded { EMBEDDED.iter() } else { [].iter() });
    for h in files {
        // clang names a header by the last path that included it, which
        // can climb more than one level (`hvm/../arch-x86/hvm/../../xen.h`).
        b = b.allowlist_file(format!(".*/xen/(([^/]+/)*\\.\\./)*{}", regex::escape(h)));
    }
    let src = b
        .generate()
        .map_err(|e| format!("bindgen (domctl/sysctl): {e}"))?
        .to_string();
    if keep {
        let p = scratch.join(if embedded {
            "bindgen-all.rs"
        } else {
            "bindgen-own.rs"
        });
        std::fs::create_dir_all(scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
        std::fs::write(&p, &src).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    c_side::parse(&src)
}

/// Checks the integer constants against the release's headers with clang's
/// `_Static_assert`; returns how many were checked and the mismatches (an
/// undefined macro is one).
fn consts(
    root: &Path,
    scratch: &Path,
    include: &Path,
    version: XenVersion,
    consts: &[RustConst],
) -> Result<(usize, Vec<String>), String> {
    let values = check::const_values(root, scratch, consts)?;
    let mut src = include_lines();
    let mut ids = Vec::new();
    for (i, (k, v)) in consts.iter().zip(&values).enumerate() {
        let Some((val, n)) = v.int() else { continue };
        if !k.comparable {
            continue;
        }
        let mask: u64 = if n >= 8 {
            u64::MAX
        } else {
            (1u64 << (n * 8)) - 1
        };
        let _ = writeln!(
            src,
            "#ifdef {c}\n_Static_assert((((unsigned long long)({c})) & {mask:#x}ULL) == {v:#x}ULL, \"xenabi-const-{i}\");\n#else\n#error xenabi-undefined-{i}\n#endif",
            c = k.c_name,
            v = (val as u64) & mask,
        );
        ids.push(i);
    }
    let file = scratch.join(format!("consts-versioned-{}.c", version.as_str()));
    std::fs::write(&file, &src).map_err(|e| format!("{}: {e}", file.display()))?;
    let out = Command::new("clang")
        .args(c_side::clang_args(Arch::X86_64, include, true)?)
        .args([
            "-fsyntax-only",
            "-ferror-limit=0",
            "-Wno-gnu-folding-constant",
        ])
        .arg(&file)
        .output()
        .map_err(|e| format!("clang: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let re = regex::Regex::new(r"xenabi-(const|undefined)-(\d+)").map_err(|e| e.to_string())?;
    let mut bad = BTreeSet::new();
    for l in stderr.lines().filter(|l| l.contains("error")) {
        match re.captures(l) {
            Some(c) => {
                let i: usize = c[2].parse().unwrap_or(usize::MAX);
                bad.insert((i, &c[1] == "undefined"));
            }
            None if l.contains(": error:") => {
                return Err(format!(
                    "clang could not evaluate the constant checks:\n{stderr}"
                ));
            }
            None => {}
        }
    }
    let mismatches = bad
        .into_iter()
        .filter_map(|(i, undefined)| {
            let k = consts.get(i)?;
            Some(if undefined {
                format!("{} ({}): no C constant `{}`", k.path, k.location, k.c_name)
            } else {
                format!(
                    "{} ({}) = {:?} differs from C `{}`",
                    k.path, k.location, values[i], k.c_name
                )
            })
        })
        .collect();
    Ok((ids.len(), mismatches))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::rust_side::RustRecord;

    #[test]
    fn paths_are_routed_to_their_release() {
        assert!(is_versioned("xen_abi::domctl::GetDomainInfo"));
        assert!(is_versioned("xen_abi::sysctl::v4_20::INTERFACE_VERSION"));
        assert!(!is_versioned("xen_abi::domctlx::T"));
        assert!(!is_versioned("xen_abi::memory::Reservation"));
        let p = "xen_abi::domctl::v4_20::CreateDomain";
        assert!(applies(p, XenVersion::V4_20) && !applies(p, XenVersion::V4_17));
        assert!(applies("xen_abi::domctl::TscInfo", XenVersion::V4_17));
        assert!(applies("xen_abi::domctl::TscInfo", XenVersion::V4_20));
    }

    #[test]
    fn only_records_of_the_pass_are_kept() {
        let r = |p: &str| RustRecord {
            path: p.into(),
            c_name: "x".into(),
            fields: vec![],
            location: "l".into(),
        };
        let kept: Vec<_> = [
            r("xen_abi::domctl::v4_17::CreateDomain"),
            r("xen_abi::sched::Shutdown"),
        ]
        .into_iter()
        .filter(|r| is_versioned(&r.path))
        .collect();
        assert_eq!(kept.len(), 1);
    }
}

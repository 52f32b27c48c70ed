// SPDX-License-Identifier: MIT OR Apache-2.0
//! Comparing the two sides and reporting.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::c_side::{self, Arch, CRecord, CSide};
use super::rust_side::{self, RustConst, RustRecord, RustSide};
use crate::{cargo, process, workspace};

/// One generated layout check: a line of the check crate.
struct Check {
    what: String,
}

/// Per-architecture result.
#[derive(Default)]
pub(super) struct ArchReport {
    pub(super) checked: usize,
    pub(super) mismatches: Vec<String>,
    pub(super) unmirrored: Vec<String>,
    consts_checked: usize,
    const_mismatches: Vec<String>,
}

/// `cargo xtask layout [--keep]`: `keep` keeps the generated files.
pub(crate) fn run(keep: bool) -> Result<(), String> {
    let root = workspace::root();
    let scratch = workspace::scratch("xtask-layout")?;
    if !Path::new(c_side::XEN_INCLUDE).join("xen.h").exists() {
        return Err(format!(
            "{}/xen.h is missing: install Debian's libxen-dev (`cargo xtask setup`)",
            c_side::XEN_INCLUDE
        ));
    }

    let mut rust = rust_side::load(&root)?;
    // domctl and sysctl are checked per Xen release by the versioned pass.
    rust.records
        .retain(|r| !super::versioned::is_versioned(&r.path));
    rust.consts
        .retain(|k| !super::versioned::is_versioned(&k.path));
    println!(
        "layout: xen-abi declares {} C mirrors and {} C constants",
        rust.records.len(),
        rust.consts.iter().filter(|k| k.explicit).count()
    );
    let mut c = BTreeMap::new();
    for arch in Arch::ALL {
        c.insert(arch.name(), c_side::load(arch, &scratch, keep)?);
    }

    // Records and constants whose C twin exists on no architecture are errors
    // on every line (a typo in an alias must not pass silently).
    let orphan_records: Vec<&RustRecord> = rust
        .records
        .iter()
        .filter(|r| !c.values().any(|cs| cs.resolve(&r.c_name).is_some()))
        .collect();

    let values = const_values(&root, &scratch, &rust.consts)?;
    let strings = string_values(&scratch, &rust.consts, &values)?;
    let mut const_defined: Vec<bool> = vec![false; rust.consts.len()];
    let mut reports = Vec::new();
    for arch in Arch::ALL {
        let cs = &c[arch.name()];
        let mut rep = ArchReport::default();
        layout_checks(&root, &scratch, arch.name(), arch, &rust, cs, &mut rep)?;
        for r in &orphan_records {
            rep.mismatches.push(format!(
                "{} ({}): no C struct or union `{}` in the headers",
                r.path, r.location, r.c_name
            ));
        }
        const_checks(
            &scratch,
            arch,
            &rust.consts,
            &values,
            &strings,
            cs,
            &mut rep,
            &mut const_defined,
        )?;
        reports.push((arch, rep));
    }
    for (i, k) in rust.consts.iter().enumerate() {
        if k.explicit && k.comparable && !const_defined[i] {
            for (_, rep) in reports.iter_mut() {
                rep.const_mismatches.push(format!(
                    "{} ({}): no C constant `{}`",
                    k.path, k.location, k.c_name
                ));
            }
        }
    }

    let skipped: Vec<&str> = rust
        .consts
        .iter()
        .filter(|k| k.explicit && !k.comparable)
        .map(|k| k.c_name.as_str())
        .collect();
    if !skipped.is_empty() {
        println!(
            "  not compared (arrays, not C integer constants): {}",
            skipped.join(", ")
        );
    }
    let mut failed = false;
    for (arch, rep) in &reports {
        for m in &rep.mismatches {
            println!("  mismatch {}: {m}", arch.name());
        }
        for m in &rep.const_mismatches {
            println!("  constant mismatch {}: {m}", arch.name());
        }
        for u in &rep.unmirrored {
            println!("  not mirrored {}: {u}", arch.name());
        }
        failed |= !rep.mismatches.is_empty()
            || !rep.unmirrored.is_empty()
            || !rep.const_mismatches.is_empty();
    }
    for (arch, rep) in &reports {
        println!(
            "constants {}: {} checked, {} mismatches",
            arch.name(),
            rep.consts_checked,
            rep.const_mismatches.len()
        );
    }
    for (arch, rep) in &reports {
        let list = if rep.unmirrored.is_empty() {
            String::new()
        } else {
            format!(" ({})", rep.unmirrored.join(", "))
        };
        println!(
            "layout {}: {} structs checked, {} mismatches, {} header structs not mirrored{list}",
            arch.name(),
            rep.checked,
            rep.mismatches.len(),
            rep.unmirrored.len()
        );
    }
    if !keep {
        let _ = std::fs::remove_dir_all(scratch.join("check"));
        let _ = std::fs::remove_dir_all(scratch.join("consts"));
    }
    if failed {
        Err("the layout proof found differences from Xen's headers".into())
    } else {
        Ok(())
    }
}

/// Pairs a mirror's fields with its C twin's, in order: (Rust field, C
/// field, C offset). A Rust `_pad*` field with no C twin at its position is
/// explicit padding; a C anonymous member pairs with whatever Rust field
/// stands at its position.
fn pair_fields<'a>(
    r: &'a RustRecord,
    cr: &'a CRecord,
) -> Result<Vec<(&'a str, &'a str, Option<usize>)>, String> {
    let mut out = Vec::new();
    let mut cf = cr.fields.iter().peekable();
    for rf in &r.fields {
        let matched = cf.peek().is_some_and(|(cname, _)| {
            cname.starts_with("__bindgen_anon_") || rf.c_names.contains(cname)
        });
        if !matched {
            if rf.is_pad {
                continue;
            }
            let found = cf
                .peek()
                .map_or("nothing".to_string(), |(c, _)| format!("`{c}`"));
            return Err(format!(
                "field `{}` stands where C `{}` has {found}",
                rf.name, r.c_name
            ));
        }
        if let Some((cname, off)) = cf.next() {
            out.push((rf.name.as_str(), cname.as_str(), *off));
        }
    }
    let rest: Vec<&str> = cf.map(|(c, _)| c.as_str()).collect();
    if !rest.is_empty() {
        return Err(format!(
            "C `{}` has fields the mirror lacks: {}",
            r.c_name,
            rest.join(", ")
        ));
    }
    Ok(out)
}

/// Writes a throw-away crate depending on xen-abi, sharing the workspace's
/// lock file (so no network is needed) and target directory.
fn write_crate(root: &Path, dir: &Path, name: &str, bin: bool, src: &str) -> Result<(), String> {
    let srcdir = dir.join("src");
    std::fs::create_dir_all(&srcdir).map_err(|e| format!("{}: {e}", srcdir.display()))?;
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nxen-abi = {{ path = \"{}\" }}\n\n[workspace]\n",
        root.join("xen-abi").display()
    );
    let w =
        |p: PathBuf, s: &str| std::fs::write(&p, s).map_err(|e| format!("{}: {e}", p.display()));
    w(dir.join("Cargo.toml"), &manifest)?;
    w(srcdir.join(if bin { "main.rs" } else { "lib.rs" }), src)?;
    if let Ok(lock) = std::fs::read_to_string(root.join("Cargo.lock")) {
        w(dir.join("Cargo.lock"), &lock)?;
    }
    Ok(())
}

/// Generates and compiles the layout checks for `arch`, filling `rep`; the
/// check crate lives in `check/<label>` under `scratch`.
pub(super) fn layout_checks(
    root: &Path,
    scratch: &Path,
    label: &str,
    arch: Arch,
    rust: &RustSide,
    cs: &CSide,
    rep: &mut ArchReport,
) -> Result<(), String> {
    let other_arch = Arch::ALL
        .into_iter()
        .find(|a| *a != arch)
        .map(|a| a.rust_arch_module());
    let mut src = String::from(
        "// Generated by `cargo xtask layout`; one check per line.\n#![no_std]\n#![allow(unused)]\n",
    );
    let header_lines = src.lines().count();
    let mut checks: Vec<Check> = Vec::new();
    let mut mirrored = BTreeSet::new();
    let line =
        |checks: &mut Vec<Check>, src: &mut String, expect: usize, expr: String, what: String| {
            let _ = writeln!(src, "const _: [(); {expect}] = [(); {expr}];");
            checks.push(Check { what });
        };
    for r in &rust.records {
        let Some((c_name, cr)) = cs.resolve(&r.c_name) else {
            continue;
        };
        if other_arch.is_some_and(|m| r.path.contains(&format!("::{m}::"))) {
            continue;
        }
        mirrored.insert(c_name.to_string());
        rep.checked += 1;
        let ty = &r.path;
        match (cr.size, cr.align) {
            (Some(size), Some(align)) => {
                line(
                    &mut checks,
                    &mut src,
                    size,
                    format!("::core::mem::size_of::<{ty}>()"),
                    format!("{ty} (C {}): size", r.c_name),
                );
                line(
                    &mut checks,
                    &mut src,
                    align,
                    format!("::core::mem::align_of::<{ty}>()"),
                    format!("{ty} (C {}): alignment", r.c_name),
                );
            }
            _ => rep
                .mismatches
                .push(format!("{ty}: bindgen gave no size for C `{}`", r.c_name)),
        }
        if cr.is_union {
            continue;
        }
        match pair_fields(r, cr) {
            Ok(pairs) => {
                for (fname, cname, off) in pairs {
                    if let Some(off) = off {
                        line(
                            &mut checks,
                            &mut src,
                            off,
                            format!("::core::mem::offset_of!({ty}, {fname})"),
                            format!("{ty}::{fname} (C {}::{cname}): offset", r.c_name),
                        );
                    }
                }
            }
            Err(e) => rep.mismatches.push(format!("{ty} ({}): {e}", r.location)),
        }
    }
    rep.unmirrored = cs
        .header_records
        .iter()
        .filter(|n| !mirrored.contains(*n))
        .cloned()
        .collect();

    let dir = scratch.join("check").join(label);
    write_crate(root, &dir, "xen-abi-layout-check", false, &src)?;
    let out = Command::new(cargo::bin())
        .args([
            "check",
            "--offline",
            "--message-format=json",
            "--target",
            arch.bare_target(),
        ])
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("cargo check of the layout crate: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut unexplained = Vec::new();
    let re = regex::Regex::new(
        r"expected an array with a size of (\d+), found one with a size of (\d+)",
    )
    .map_err(|e| e.to_string())?;
    for l in stdout.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(l) else {
            continue;
        };
        if v["reason"] != "compiler-message" || v["message"]["level"] != "error" {
            continue;
        }
        let msg = &v["message"];
        let rendered = msg["rendered"].as_str().unwrap_or_default().to_string();
        let spans = msg["spans"].as_array().cloned().unwrap_or_default();
        let span = spans.iter().find(|s| {
            s["is_primary"] == true
                && s["file_name"]
                    .as_str()
                    .is_some_and(|f| f.ends_with("lib.rs"))
        });
        let idx = span
            .and_then(|s| s["line_start"].as_u64())
            .and_then(|l| (l as usize).checked_sub(header_lines + 1));
        match idx.and_then(|i| checks.get(i)) {
            Some(chk) => {
                let detail = re
                    .captures(&rendered)
                    .map(|c| format!("C {}, Rust {}", &c[1], &c[2]))
                    .unwrap_or_else(|| rendered.lines().next().unwrap_or_default().to_string());
                rep.mismatches.push(format!("{}: {detail}", chk.what));
            }
            None => {
                if !rendered.contains("aborting due to") && !rendered.contains("could not compile")
                {
                    unexplained.push(rendered);
                }
            }
        }
    }
    if !out.status.success() && rep.mismatches.is_empty() || !unexplained.is_empty() {
        return Err(format!(
            "the generated layout crate for {} did not compile for reasons other than layout:\n{}\n{}",
            arch.name(),
            unexplained.join("\n"),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// A constant's value as the Rust side has it.
#[derive(Debug, Clone)]
pub(super) enum Value {
    /// An integer: little-endian value, width in bytes.
    Int(u128, usize),
    /// A string constant.
    Str(String),
}

impl Value {
    /// An integer's value and width in bytes.
    pub(super) fn int(&self) -> Option<(u128, usize)> {
        match self {
            Value::Int(v, n) => Some((*v, *n)),
            Value::Str(_) => None,
        }
    }
}

/// Builds and runs a host program that prints every constant's value.
pub(super) fn const_values(
    root: &Path,
    scratch: &Path,
    consts: &[RustConst],
) -> Result<Vec<Value>, String> {
    let mut src = String::from(
        "// Generated by `cargo xtask layout`.\n\
         #![allow(unused)]\n\
         struct W<'a, T>(&'a T);\n\
         trait ViaStr { fn show(&self) -> String; }\n\
         impl ViaStr for W<'_, &str> { fn show(&self) -> String { format!(\"S {:?}\", self.0) } }\n\
         trait ViaBytes { fn show(&self) -> String; }\n\
         impl<T: Copy> ViaBytes for &W<'_, T> {\n\
         \x20   fn show(&self) -> String {\n\
         \x20       let n = core::mem::size_of::<T>();\n\
         \x20       // SAFETY: every constant type in xen-abi is an integer or a padding-free\n\
         \x20       // newtype of one (zerocopy IntoBytes), so all n bytes are initialised.\n\
         \x20       let b = unsafe { core::slice::from_raw_parts(self.0 as *const T as *const u8, n) };\n\
         \x20       let mut v: u128 = 0;\n\
         \x20       for (i, x) in b.iter().enumerate().take(16) { v |= (*x as u128) << (8 * i); }\n\
         \x20       format!(\"I {v} {n}\")\n\
         \x20   }\n\
         }\n\
         fn main() {\n",
    );
    for (i, k) in consts.iter().enumerate() {
        let _ = writeln!(src, "    println!(\"{i} {{}}\", (&W(&{})).show());", k.path);
    }
    src.push_str("}\n");
    let dir = scratch.join("consts");
    write_crate(root, &dir, "xen-abi-const-values", true, &src)?;
    let out = process::output(
        Command::new(cargo::bin())
            .args(["run", "--quiet", "--offline"])
            .env("CARGO_TARGET_DIR", scratch.join("target"))
            .current_dir(&dir),
    )
    .map_err(|e| format!("building the constant-value program: {e}"))?;
    let mut values = vec![None; consts.len()];
    for l in out.lines() {
        let mut it = l.splitn(3, ' ');
        let (Some(i), Some(kind), Some(rest)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        let Ok(i) = i.parse::<usize>() else { continue };
        let v = match kind {
            "I" => {
                let mut p = rest.split(' ');
                let v = p.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                let n = p.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                Value::Int(v, n)
            }
            _ => Value::Str(serde_json::from_str(rest).unwrap_or_default()),
        };
        if i < values.len() {
            values[i] = Some(v);
        }
    }
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| v.ok_or_else(|| format!("no value printed for {}", consts[i].path)))
        .collect()
}

/// The C values of the string constants: a host program (x86_64 headers;
/// string macros do not depend on the architecture) prints each as JSON.
/// `None` where the macro is not defined.
fn string_values(
    scratch: &Path,
    consts: &[RustConst],
    values: &[Value],
) -> Result<BTreeMap<usize, Option<String>>, String> {
    let idx: Vec<usize> = (0..consts.len())
        .filter(|i| matches!(values[*i], Value::Str(_)))
        .collect();
    let mut out = BTreeMap::new();
    if idx.is_empty() {
        return Ok(out);
    }
    let mut src = c_side::include_lines(Arch::X86_64);
    src.insert_str(0, "#include <stdio.h>\n");
    src.push_str("static void show(int i, const char *s) {\n  printf(\"%d \\\"\", i);\n  for (; *s; s++) printf((*s >= 32 && *s < 127 && *s != 34 && *s != 92) ? \"%c\" : \"\\\\u%04x\", *s);\n  printf(\"\\\"\\n\");\n}\nint main(void) {\n");
    for i in &idx {
        let c = &consts[*i].c_name;
        let _ = writeln!(src, "#ifdef {c}\n  show({i}, {c});\n#endif");
    }
    src.push_str("  return 0;\n}\n");
    let dir = scratch.join("consts");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join("strings.c");
    std::fs::write(&file, &src).map_err(|e| format!("{}: {e}", file.display()))?;
    let include = c_side::include_dir(scratch)?;
    let exe = dir.join("strings");
    process::run(
        Command::new("clang")
            .arg(format!("-I{}", include.display()))
            .arg("-D__XEN_TOOLS__")
            .arg("-o")
            .arg(&exe)
            .arg(&file),
    )?;
    let text = process::output(&mut Command::new(&exe))?;
    for i in &idx {
        out.insert(*i, None);
    }
    for l in text.lines() {
        if let Some((i, json)) = l.split_once(' ') {
            if let (Ok(i), Ok(v)) = (i.parse::<usize>(), serde_json::from_str::<String>(json)) {
                out.insert(i, Some(v));
            }
        }
    }
    Ok(out)
}

/// Checks constant values with clang's `_Static_assert` for `arch`.
#[allow(clippy::too_many_arguments)]
fn const_checks(
    scratch: &Path,
    arch: Arch,
    consts: &[RustConst],
    values: &[Value],
    strings: &BTreeMap<usize, Option<String>>,
    cs: &CSide,
    rep: &mut ArchReport,
    defined: &mut [bool],
) -> Result<(), String> {
    let other_arch = Arch::ALL
        .into_iter()
        .find(|a| *a != arch)
        .map(|a| a.rust_arch_module());
    let mut src = c_side::include_lines(arch);
    let mut considered = Vec::new();
    let mut string_defined = BTreeSet::new();
    let mut string_failed = BTreeSet::new();
    let mut not_integer = BTreeSet::new();
    for (i, (k, v)) in consts.iter().zip(values).enumerate() {
        if !k.comparable {
            continue;
        }
        if other_arch.is_some_and(|m| k.path.contains(&format!("::{m}::"))) {
            continue;
        }
        let cond = match v {
            Value::Int(val, n) => {
                let bits = (*n * 8).min(64) as u32;
                let mask: u64 = if bits >= 64 {
                    u64::MAX
                } else {
                    (1u64 << bits) - 1
                };
                let val = (*val as u64) & mask;
                let min: i128 = -(1i128 << (bits - 1));
                let max: i128 = (1i128 << bits) - 1;
                let min_s = if bits >= 64 {
                    "(-0x7fffffffffffffffLL - 1)".to_string()
                } else {
                    format!("({min}LL)")
                };
                let range = if bits >= 64 {
                    String::from("1")
                } else {
                    format!("((long long)({c}) >= {min_s} && ((long long)({c}) < 0 || (unsigned long long)({c}) <= {max}ULL))", c = k.c_name)
                };
                format!(
                    "((((unsigned long long)({c})) & {mask:#x}ULL) == {val:#x}ULL) && {range}",
                    c = k.c_name
                )
            }
            Value::Str(s) => {
                // Not an integer constant expression: compared by the host
                // program of `string_values` instead.
                considered.push(i);
                match strings.get(&i) {
                    None => {}
                    Some(Some(c)) => {
                        string_defined.insert(i);
                        if c != s {
                            string_failed.insert(i);
                        }
                    }
                    Some(None) => {}
                }
                continue;
            }
        };
        let is_enum = cs.consts.contains(&k.c_name) && !matches!(v, Value::Str(_));
        considered.push(i);
        if is_enum {
            let _ = writeln!(src, "_Static_assert({cond}, \"xenabi-const-{i}\");");
        } else {
            let _ = writeln!(
                src,
                "#ifdef {c}\n_Static_assert({cond}, \"xenabi-const-{i}\");\n#else\n#warning xenabi-undefined-{i}\n#endif",
                c = k.c_name
            );
        }
    }
    let dir = scratch.join("consts");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join(format!("consts-{}.c", arch.name()));
    std::fs::write(&file, &src).map_err(|e| format!("{}: {e}", file.display()))?;
    let include = c_side::include_dir(scratch)?;
    let out = Command::new("clang")
        .args(c_side::clang_args(arch, &include, true)?)
        .args([
            "-fsyntax-only",
            "-ferror-limit=0",
            "-Wno-gnu-folding-constant",
            "-Wno-#warnings",
        ])
        .arg("-W#warnings")
        .arg(&file)
        .output()
        .map_err(|e| format!("clang: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut undefined = BTreeSet::new();
    let mut failed = BTreeSet::new();
    let re_u = regex::Regex::new(r"xenabi-undefined-(\d+)").map_err(|e| e.to_string())?;
    let re_f = regex::Regex::new(r#"static(?:_assert| assertion) failed.*xenabi-const-(\d+)"#)
        .map_err(|e| e.to_string())?;
    for i in &considered {
        if matches!(values[*i], Value::Str(_)) && !string_defined.contains(i) {
            undefined.insert(*i);
        }
    }
    failed.extend(string_failed);
    for l in stderr.lines() {
        if let Some(c) = re_u.captures(l) {
            undefined.insert(c[1].parse::<usize>().unwrap_or(usize::MAX));
        } else if let Some(c) = re_f.captures(l) {
            failed.insert(c[1].parse::<usize>().unwrap_or(usize::MAX));
        }
    }
    // Any other error on a check's line means the C macro is not an integer
    // constant expression (an asm string, say): that constant mismatches.
    let re_line = regex::Regex::new(r":(\d+):\d+: error:").map_err(|e| e.to_string())?;
    let re_id = regex::Regex::new(r"xenabi-const-(\d+)").map_err(|e| e.to_string())?;
    let src_lines: Vec<&str> = src.lines().collect();
    let mut other_errors = Vec::new();
    for l in stderr
        .lines()
        .filter(|l| l.contains("error:") && !re_f.is_match(l))
    {
        let id = re_line
            .captures(l)
            .and_then(|c| c[1].parse::<usize>().ok())
            .and_then(|n| src_lines.get(n.wrapping_sub(1)))
            .and_then(|line| re_id.captures(line))
            .and_then(|c| c[1].parse::<usize>().ok());
        match id {
            Some(i) => {
                failed.insert(i);
                not_integer.insert(i);
            }
            None => other_errors.push(l),
        }
    }
    if !other_errors.is_empty() {
        return Err(format!(
            "clang could not evaluate the constant checks for {}:\n{}",
            arch.name(),
            other_errors.join("\n")
        ));
    }
    for i in considered {
        if undefined.contains(&i) {
            continue;
        }
        defined[i] = true;
        rep.consts_checked += 1;
        if failed.contains(&i) {
            let k = &consts[i];
            let why = if not_integer.contains(&i) {
                " (not an integer constant in C)"
            } else {
                ""
            };
            rep.const_mismatches.push(format!(
                "{} ({}) = {:?} differs from C `{}`{why}",
                k.path, k.location, values[i], k.c_name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::rust_side::RustField;

    fn rf(name: &str, alias: Option<&str>) -> RustField {
        RustField {
            name: name.into(),
            c_names: [Some(name), alias]
                .into_iter()
                .flatten()
                .map(String::from)
                .collect(),
            is_pad: name.starts_with("_pad"),
        }
    }

    fn rec(fields: Vec<RustField>) -> RustRecord {
        RustRecord {
            path: "x::T".into(),
            c_name: "t".into(),
            fields,
            location: "l".into(),
        }
    }

    fn crec(fields: &[(&str, usize)]) -> CRecord {
        CRecord {
            is_union: false,
            size: Some(8),
            align: Some(4),
            fields: fields
                .iter()
                .map(|(n, o)| (n.to_string(), Some(*o)))
                .collect(),
        }
    }

    #[test]
    fn pads_aliases_and_anonymous_members_pair_up() {
        let r = rec(vec![
            rf("a", None),
            rf("_pad0", None),
            rf("kind", Some("type")),
            rf("u", None),
        ]);
        let c = crec(&[("a", 0), ("type", 4), ("__bindgen_anon_1", 8)]);
        let pairs = pair_fields(&r, &c).unwrap();
        assert_eq!(
            pairs,
            vec![
                ("a", "a", Some(0)),
                ("kind", "type", Some(4)),
                ("u", "__bindgen_anon_1", Some(8))
            ]
        );
        // A C field really named `_pad` pairs with a Rust `_pad`.
        let r = rec(vec![rf("a", None), rf("_pad", None)]);
        let c = crec(&[("a", 0), ("_pad", 4)]);
        assert_eq!(pair_fields(&r, &c).unwrap().len(), 2);
    }

    #[test]
    fn wrong_order_missing_and_extra_fields_are_mismatches() {
        let c = crec(&[("a", 0), ("b", 4)]);
        assert!(pair_fields(&rec(vec![rf("b", None), rf("a", None)]), &c).is_err());
        assert!(pair_fields(&rec(vec![rf("a", None)]), &c)
            .unwrap_err()
            .contains("lacks: b"));
        assert!(pair_fields(&rec(vec![rf("a", None), rf("b", None), rf("c", None)]), &c).is_err());
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The guest tier: our no_std test kernels boot as dom0 on real Xen
//! hypervisors under `qemu-system-x86_64 -accel tcg`.
//!
//! Xen 4.17 comes from Debian 12's `xen-hypervisor-4.17-amd64` (installed by
//! setup); Xen 4.20 from Debian 13's `xen-hypervisor-4.20-amd64`, fetched with
//! a private apt state (`apt-get download`, `dpkg -x`) without touching the
//! system's apt configuration. The kernels print TAP-like lines on Xen's
//! console (the serial line); the harness counts them against the kernel's
//! plan, enforces a timeout and fails on anything missing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util;

/// Hypervisor versions the tier boots.
pub(crate) const VERSIONS: [&str; 2] = ["4.17", "4.20"];

/// Boot modes of the test kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Pv,
    Pvh,
}

impl Mode {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Pv => "pv",
            Mode::Pvh => "pvh",
        }
    }
}

/// What one boot produced.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) passed: u32,
    pub(crate) failed: u32,
    /// Why the run counts as failed even if no check said so.
    pub(crate) problems: Vec<String>,
    pub(crate) console: Vec<String>,
}

/// Parses a kernel's console output (the harness's judgement, unit-tested).
pub(crate) fn judge(lines: &[String], exit: Option<i32>, timed_out: bool) -> Outcome {
    let mut o = Outcome {
        console: lines.to_vec(),
        ..Outcome::default()
    };
    let mut plan = None;
    let mut summary = None;
    let mut end = false;
    let mut next = 1u32;
    for l in lines {
        let l = l.trim_end();
        if let Some(n) = l.strip_prefix("plan ") {
            plan = n.trim().parse::<u32>().ok();
        } else if let Some(rest) = l.strip_prefix("ok ") {
            o.passed += 1;
            check_seq(rest, &mut next, &mut o.problems);
        } else if let Some(rest) = l.strip_prefix("not ok ") {
            o.failed += 1;
            check_seq(rest, &mut next, &mut o.problems);
        } else if let Some(s) = l.strip_prefix("summary: ") {
            summary = Some(s.to_string());
        } else if l.starts_with("PANIC") {
            o.problems.push(format!("the kernel panicked: {l}"));
        } else if l == "XENRS-END" {
            end = true;
        }
    }
    if timed_out {
        o.problems.push("timed out (the kernel hung)".into());
    }
    match plan {
        None => o
            .problems
            .push("no plan line: the kernel never started its checks".into()),
        Some(p) if p != o.passed + o.failed => o.problems.push(format!(
            "planned {p} checks, saw {} (missing checks)",
            o.passed + o.failed
        )),
        Some(_) => {}
    }
    let want = format!("{} passed, {} failed", o.passed, o.failed);
    match summary {
        Some(s) if s == want => {}
        Some(s) => o
            .problems
            .push(format!("kernel summary `{s}` disagrees with `{want}`")),
        None => o.problems.push("no summary line".into()),
    }
    if !end {
        o.problems
            .push("no end marker: the kernel crashed or Xen died".into());
    }
    // isa-debug-exit: status (code << 1) | 1; the kernels write 0 on success.
    if exit != Some(1) && o.problems.is_empty() && o.failed == 0 {
        o.problems.push(format!(
            "QEMU exit status {exit:?}, expected 1 (debug-exit 0)"
        ));
    }
    o
}

fn check_seq(rest: &str, next: &mut u32, problems: &mut Vec<String>) {
    let n = rest
        .split_whitespace()
        .next()
        .and_then(|n| n.parse::<u32>().ok());
    if n != Some(*next) {
        problems.push(format!("check numbered {n:?} where {next} was due"));
    }
    *next += 1;
}

impl Outcome {
    pub(crate) fn ok(&self) -> bool {
        self.failed == 0 && self.problems.is_empty()
    }
}

/// `dir/xen-<ver>.elf`: the uncompressed multiboot hypervisor.
pub(crate) fn xen_image(ver: &str) -> Result<PathBuf, String> {
    let root = util::workspace_root();
    let dir = root.join("target/xen");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let elf = dir.join(format!("xen-{ver}.elf"));
    if elf.exists() {
        return Ok(elf);
    }
    let gz = match ver {
        "4.17" => PathBuf::from("/boot/xen-4.17-amd64.gz"),
        "4.20" => fetch_debian_package(&dir, "trixie", "xen-hypervisor-4.20-amd64")?
            .join("boot/xen-4.20-amd64.gz"),
        other => return Err(format!("unknown Xen version {other}")),
    };
    if !gz.exists() {
        return Err(format!("{} is missing (cargo xtask setup)", gz.display()));
    }
    let data = util::output_bytes(Command::new("zcat").arg(&gz))?;
    std::fs::write(&elf, data).map_err(|e| format!("{}: {e}", elf.display()))?;
    Ok(elf)
}

/// The URI of the Debian archive this machine's apt already uses (so the
/// project names no mirror of its own).
fn debian_archive_uri() -> Result<String, String> {
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
    // deb822: a stanza with `URIs:` and a Suites line naming the release.
    for stanza in text.split("\n\n") {
        let uri = stanza
            .lines()
            .find_map(|l| l.trim().strip_prefix("URIs:"))
            .map(str::trim);
        let suites = stanza
            .lines()
            .find_map(|l| l.trim().strip_prefix("Suites:"));
        if let (Some(uri), Some(suites)) = (uri, suites) {
            if suites
                .split_whitespace()
                .any(|s| s == "bookworm" || s == "trixie")
            {
                return Ok(uri.split_whitespace().next().unwrap_or(uri).to_string());
            }
        }
    }
    // One-line format: `deb URI SUITE COMPONENTS`.
    for l in text.lines() {
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.len() >= 3 && w[0] == "deb" && (w[2] == "bookworm" || w[2] == "trixie") {
            return Ok(w[1].to_string());
        }
    }
    Err("no Debian archive found in /etc/apt/sources.list{,.d}".into())
}

/// Downloads a package of Debian `suite` with a private apt state and unpacks
/// it (not installs it) under `dir/<package>/`.
pub(crate) fn fetch_debian_package(
    dir: &Path,
    suite: &str,
    package: &str,
) -> Result<PathBuf, String> {
    fetch_debian_packages(dir, suite, package, &[package])
}

/// Downloads `packages` of Debian `suite` with a private apt state (no
/// dependency resolution: the caller names them all) and unpacks them
/// together under `dir/<name>/`.
pub(crate) fn fetch_debian_packages(
    dir: &Path,
    suite: &str,
    name: &str,
    packages: &[&str],
) -> Result<PathBuf, String> {
    let out = dir.join(name);
    if out.join(".unpacked").exists() {
        return Ok(out);
    }
    let state = dir.join(format!("apt-{suite}"));
    let lists = state.join("lists");
    let debs = state.join(format!("debs-{name}"));
    std::fs::create_dir_all(lists.join("partial")).map_err(|e| format!("{e}"))?;
    std::fs::create_dir_all(&debs).map_err(|e| format!("{e}"))?;
    let sources = state.join("sources.list");
    let uri = debian_archive_uri()?;
    std::fs::write(
        &sources,
        format!(
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {uri} {suite} main\n"
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
            .args(args)
            .current_dir(&debs);
        util::output(&mut c).map(|_| ())
    };
    println!("guest: fetching {} from Debian {suite}", packages.join(" "));
    apt(&["update"])?;
    let mut args = vec!["download"];
    args.extend_from_slice(packages);
    apt(&args)?;
    std::fs::create_dir_all(&out).map_err(|e| format!("{e}"))?;
    for package in packages {
        let deb = std::fs::read_dir(&debs)
            .map_err(|e| format!("{e}"))?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with(&format!("{package}_")) && n.ends_with(".deb")
                })
            })
            .ok_or_else(|| format!("apt-get download left no {package} .deb"))?;
        util::run(Command::new("dpkg").arg("-x").arg(&deb).arg(&out))?;
    }
    std::fs::write(out.join(".unpacked"), "").map_err(|e| format!("{e}"))?;
    Ok(out)
}

/// Builds the test kernels; returns the directory holding them.
pub(crate) fn build_kernels() -> Result<PathBuf, String> {
    let dir = util::workspace_root().join("examples/xen-test-kernel");
    util::cargo(&dir, &["build", "--release", "--quiet"], &[])?;
    Ok(dir.join("target/x86_64-unknown-none/release"))
}

/// Boots `kernel` as dom0 on `xen` in `mode`; `live` echoes the console.
pub(crate) fn boot(
    xen: &Path,
    kernel: &Path,
    mode: Mode,
    timeout: Duration,
    live: bool,
) -> Result<Outcome, String> {
    let (cpu, extra) = match mode {
        Mode::Pv => ("max", ""),
        // PVH dom0 under TCG needs nested paging (Debian's Xen has no shadow
        // paging) and no IOMMU.
        Mode::Pvh => ("qemu64,+svm,+npt", " dom0=pvh dom0-iommu=none"),
    };
    let append = format!(
        "console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all dom0_mem=64M dom0_max_vcpus=1{extra}"
    );
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args(["-accel", "tcg", "-cpu", cpu, "-m", "512", "-smp", "1"])
        .args([
            "-display",
            "none",
            "-nographic",
            "-no-reboot",
            "-net",
            "none",
        ])
        .args(["-serial", "stdio", "-monitor", "none"])
        .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
        .arg("-kernel")
        .arg(xen)
        .arg("-append")
        .arg(&append)
        .arg("-initrd")
        .arg(kernel);
    let run = run_qemu(cmd, timeout, live)?;
    Ok(judge(&run.lines, run.exit, run.timed_out))
}

/// What a QEMU run printed on its serial console and how it ended.
#[derive(Debug)]
pub(crate) struct QemuRun {
    pub(crate) lines: Vec<String>,
    /// QEMU's exit status (`None` when killed at the timeout).
    pub(crate) exit: Option<i32>,
    pub(crate) timed_out: bool,
}

/// Runs a QEMU command whose serial console is its stdout, collecting the
/// console lines until QEMU exits or `timeout` passes (then QEMU is killed);
/// `live` echoes the console.
pub(crate) fn run_qemu(mut cmd: Command, timeout: Duration, live: bool) -> Result<QemuRun, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-x86_64: {e}"))?;
    let stdout = child.stdout.take().ok_or("no qemu stdout")?;
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).split(b'\n').map_while(Result::ok) {
            let s = String::from_utf8_lossy(&line).replace('\r', "");
            if tx.send(s).is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let mut lines = Vec::new();
    let mut timed_out = false;
    let status = loop {
        while let Ok(l) = rx.try_recv() {
            if live {
                echo_live(&l);
            }
            lines.push(l);
        }
        if let Some(st) = child.try_wait().map_err(|e| format!("{e}"))? {
            break Some(st);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break None;
        }
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(50)) {
            if live {
                echo_live(&l);
            }
            lines.push(l);
        }
    };
    let _ = reader.join();
    while let Ok(l) = rx.try_recv() {
        if live {
            echo_live(&l);
        }
        lines.push(l);
    }
    Ok(QemuRun {
        lines,
        exit: status.and_then(|s| s.code()),
        timed_out,
    })
}

/// Removes terminal escape sequences (SeaBIOS clears the screen).
pub(crate) fn strip_escapes(l: &str) -> String {
    let mut out = String::with_capacity(l.len());
    let mut chars = l.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            while let Some(&n) = chars.peek() {
                chars.next();
                if n.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

fn echo_live(l: &str) {
    let l = strip_escapes(l);
    let l = l.as_str();
    if !l.contains("(XEN)")
        && (l.starts_with("SeaBIOS") || l.starts_with("Booting from") || l.trim().is_empty())
    {
        return;
    }
    if l.contains("(XEN)") {
        let l = &l[l.find("(XEN)").unwrap_or(0)..];
        // Xen's own boot log: show the milestones only.
        if l.contains("Xen version") || l.contains("Dom0 kernel") || l.contains("Freed") {
            println!("  {l}");
        }
    } else {
        println!("  | {l}");
    }
}

fn parse_args(args: &[String]) -> Result<(Vec<&'static str>, Vec<Mode>), String> {
    let mut versions: Vec<&'static str> = VERSIONS.to_vec();
    let mut modes = vec![Mode::Pv, Mode::Pvh];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--xen" => {
                let v = it.next().ok_or("--xen needs 4.17, 4.20 or all")?;
                versions = match v.as_str() {
                    "all" => VERSIONS.to_vec(),
                    v => vec![*VERSIONS
                        .iter()
                        .find(|x| **x == v)
                        .ok_or(format!("unknown Xen {v}"))?],
                };
            }
            "--mode" => {
                let m = it.next().ok_or("--mode needs pv, pvh or all")?;
                modes = match m.as_str() {
                    "pv" => vec![Mode::Pv],
                    "pvh" => vec![Mode::Pvh],
                    "all" => vec![Mode::Pv, Mode::Pvh],
                    m => return Err(format!("unknown mode {m}")),
                };
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((versions, modes))
}

/// `cargo xtask guest [--xen 4.17|4.20|all] [--mode pv|pvh|all]`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let (versions, modes) = parse_args(args)?;
    let kernels = build_kernels()?;
    let mut lines = Vec::new();
    let mut all_ok = true;
    let (mut total_passed, mut total_failed) = (0, 0);
    for ver in &versions {
        let xen = xen_image(ver)?;
        for mode in &modes {
            let kernel = kernels.join(format!("xen-test-kernel-{}", mode.name()));
            let t = Instant::now();
            let o = boot(&xen, &kernel, *mode, Duration::from_secs(90), false)?;
            let line = format!(
                "guest xen-{ver} {}: {} passed, {} failed",
                mode.name(),
                o.passed,
                o.failed
            );
            println!("{line}   ({:.1} s)", t.elapsed().as_secs_f64());
            total_passed += o.passed;
            total_failed += o.failed;
            if !o.ok() {
                all_ok = false;
                for l in o.console.iter().filter(|l| l.starts_with("not ok")) {
                    println!("    {l}");
                }
                for p in &o.problems {
                    println!("    problem: {p}");
                }
                println!("    console tail:");
                for l in o
                    .console
                    .iter()
                    .rev()
                    .take(30)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                {
                    println!("    {l}");
                }
            }
            lines.push(line);
        }
    }
    println!();
    for l in &lines {
        println!("{l}");
    }
    println!("guest: {total_passed} passed, {total_failed} failed");
    if all_ok {
        Ok(())
    } else {
        Err("the guest tier failed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(String::from).collect()
    }

    #[test]
    fn a_complete_run_passes() {
        let o = judge(
            &lines("(XEN) boot\nplan 2\nok 1 - a: x\nok 2 - b: y\nsummary: 2 passed, 0 failed\nXENRS-END"),
            Some(1),
            false,
        );
        assert!(o.ok(), "{:?}", o.problems);
        assert_eq!((o.passed, o.failed), (2, 0));
    }

    #[test]
    fn missing_checks_hangs_and_crashes_fail() {
        let missing = judge(
            &lines("plan 3\nok 1 - a\nok 2 - b\nsummary: 2 passed, 0 failed\nXENRS-END"),
            Some(1),
            false,
        );
        assert!(!missing.ok());
        let hung = judge(&lines("plan 1\nok 1 - a"), None, true);
        assert!(!hung.ok() && hung.problems.iter().any(|p| p.contains("timed out")));
        let crashed = judge(&lines("plan 1\nPANIC: boom\nXENRS-END"), Some(7), false);
        assert!(!crashed.ok());
        let failed = judge(
            &lines("plan 1\nnot ok 1 - a\nsummary: 0 passed, 1 failed\nXENRS-END"),
            Some(3),
            false,
        );
        assert!(!failed.ok() && failed.failed == 1);
        let bad_exit = judge(
            &lines("plan 1\nok 1 - a\nsummary: 1 passed, 0 failed\nXENRS-END"),
            Some(0),
            false,
        );
        assert!(!bad_exit.ok());
    }
}

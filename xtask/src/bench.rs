// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask bench`: ours against the C implementation in the same run,
//! as pairs through one [`harness`]: the median of the per-pair ratios
//! (above 1.0: ours is faster), its bootstrap 95% interval and the pair
//! count, and `inconclusive` when the interval allows no verdict.
//! [`ring`]: xen-abi's shared ring against `ring.h` on the host;
//! [`xenstore`]: xen-store against libxenstore inside one Linux dom0;
//! [`evtchn`]: xen-evtchn's device handle against libxenevtchn, likewise;
//! [`grant`]: xen-grant's gntdev/gntalloc half against libxengnttab there;
//! [`vchan`]: xen-vchan's Linux client against libxenvchan's, both reading
//! a stream from our Rust domU.
//! `--only ring|xenstore|evtchn|grant|vchan` runs one of them.

mod evtchn;
mod grant;
mod harness;
mod ring;
mod vchan;
mod xenstore;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use crate::cli::BenchPart;
use crate::xen::Arch;
use crate::{cargo, linux_dom0, process, report, workspace};

/// Seconds of pairs per ring workload unless `--secs` says otherwise: with
/// 30 s, three runs in a row disagreed by 2-3% (the ratio drifts over tens
/// of seconds on this shared 2-vCPU machine and a run saw too little of
/// it); with 60 s each run's interval held the other runs' medians.
pub(crate) const RING_SECS: u64 = 60;

/// Runs the benchmarks of `parts`: the ring for `secs` seconds of pairs
/// per workload, the dom0 ones for `rounds` pairs.
pub(crate) fn run(parts: &[BenchPart], rounds: usize, secs: u64) -> Result<(), String> {
    for part in parts {
        match part {
            BenchPart::Ring => ring::run(secs)?,
            BenchPart::Xenstore => xenstore::run(rounds)?,
            BenchPart::Evtchn => evtchn::run(rounds)?,
            BenchPart::Grant => grant::run(rounds)?,
            BenchPart::Vchan => vchan::run(rounds)?,
        }
    }
    Ok(())
}

/// Judges the boot of a dom0 bench: dom0's first set-up problem, a hang,
/// or what `results` (the bench's own check of its result lines) finds. On
/// a problem, prints the console's tail, keeps the whole console in
/// `xtask-logs/` and fails with `<bench> bench: <why>`.
fn judge_dom0_run(
    bench: &str,
    lines: &[String],
    timed_out: bool,
    results: impl FnOnce() -> Option<String>,
) -> Result<(), String> {
    let problem = linux_dom0::setup_problems(lines)
        .into_iter()
        .next()
        .or_else(|| timed_out.then(|| "timed out (dom0 hung)".to_string()))
        .or_else(results);
    let Some(p) = problem else { return Ok(()) };
    println!("    console tail:");
    for l in &lines[lines.len().saturating_sub(60)..] {
        println!("    {l}");
    }
    if let Some(log) = report::keep_console(&format!("bench-{bench}"), lines) {
        println!("    whole console: {}", log.display());
    }
    Err(format!("{bench} bench: {p}"))
}

/// A C program of a benchmark.
struct CProgram {
    /// Its file name without `.c`; the executable is `<name>_c`.
    name: &'static str,
    source: &'static str,
    what: &'static str,
    /// gcc arguments before the output and source.
    flags: &'static [&'static str],
    /// Libraries to link (`-l<lib>`).
    libs: &'static [&'static str],
}

impl CProgram {
    /// Writes the source into the bench dir and compiles it (gcc -O2).
    fn build(&self) -> Result<PathBuf, String> {
        let dir = workspace::scratch("xtask-bench")?;
        let src = dir.join(format!("{}.c", self.name));
        let bin = dir.join(format!("{}_c", self.name));
        std::fs::write(&src, self.source).map_err(|e| format!("{}: {e}", src.display()))?;
        process::step(&format!("build the C {} benchmark (gcc -O2)", self.what));
        process::run(
            Command::new("gcc")
                .args(["-O2", "-Wall"])
                .args(self.flags)
                .arg("-o")
                .arg(&bin)
                .arg(&src)
                .args(self.libs.iter().map(|l| format!("-l{l}"))),
        )
        .map_err(|e| format!("{e} (cargo xtask setup installs libxen-dev)"))?;
        Ok(bin)
    }
}

/// Builds `package`'s example `example` in release for dom0 (x86_64 Linux),
/// the Rust side of a dom0 benchmark, and returns the executable.
fn rust_example(package: &str, example: &str) -> Result<PathBuf, String> {
    process::step(&format!(
        "build the Rust benchmark (release, {package} example {example})"
    ));
    cargo::executable(
        &workspace::root(),
        &[
            "build",
            "--release",
            "-p",
            package,
            "--example",
            example,
            "--target",
            Arch::X86_64.linux_target(),
        ],
        example,
    )
}

/// The `key=value` fields of a result line `<tag> impl=... key=value ...`
/// that a benchmark program printed (anywhere in a console line), or `None`
/// for any other line.
fn result_fields<'l>(line: &'l str, tag: &str) -> Option<BTreeMap<&'l str, &'l str>> {
    let at = line.find(&format!("{tag} impl="))?;
    Some(
        line[at + tag.len()..]
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .collect(),
    )
}

#[cfg(test)]
mod judge_tests {
    use super::judge_dom0_run;

    #[test]
    fn dom0_runs_are_judged_in_order() {
        let ok: Vec<String> = vec!["XENRS-DOM0-SETUP rc=0 mount".into(), "BENCH x=1".into()];
        assert_eq!(judge_dom0_run("x", &ok, false, || None), Ok(()));
        // The bench's own check.
        let e = judge_dom0_run("x", &ok, false, || Some("3 results, expected 4".into()));
        assert_eq!(e, Err("x bench: 3 results, expected 4".into()));
        // A hang before the results.
        let e = judge_dom0_run("x", &ok, true, || Some("never asked".into()));
        assert_eq!(e, Err("x bench: timed out (dom0 hung)".into()));
        // dom0's set-up before anything.
        let bad: Vec<String> = vec!["XENRS-DOM0-SETUP rc=1 insmod x".into()];
        let e = judge_dom0_run("x", &bad, true, || None).unwrap_err();
        assert!(e.starts_with("x bench: ") && e.contains("insmod"), "{e}");
    }
}

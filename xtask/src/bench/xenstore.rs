// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask bench --only xenstore`: our client against libxenstore, in
//! one Linux dom0 on Xen 4.17, against the same C xenstored.
//!
//! Workload: alternating `XS_WRITE` / `XS_READ` of one 16-byte value at
//! `/bench/k` over xenstored's Unix socket, in batches of 64, each run
//! lasting about `SECS` seconds after a warm-up. Three programs:
//! `xenstore_bench.c` (`xs_write`/`xs_read`, one at a time, gcc -O2),
//! `xen-store/examples/xs_bench.rs seq` (the same, one at a time) and
//! `xs_bench pipelined` (64 requests in flight: one batched write of 64
//! with `Xenstore::submit_batch`, then wait for each).
//! `/init` runs them interleaved for `rounds` rounds (the order reversed
//! every other round) and prints one `XSBENCH` line per run on the console;
//! the ratios are of the median ops/s, so above 1.0 means ours is faster.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::{dom0, guest, util};

/// The C program, written into the target dir and compiled there.
const XENSTORE_BENCH_C: &str = include_str!("xenstore_bench.c");

/// Seconds each measured run lasts.
const SECS: f64 = 1.5;

/// The Xen the benchmark boots.
const XEN: &str = "4.17";

/// The three runs of a round: program in dom0, arguments, result key.
const RUNS: [(&str, &str, (&str, &str)); 3] = [
    ("/bench/xenstore_bench_c", "", ("c", "seq")),
    ("/bench/xs_bench", "seq", ("rust", "seq")),
    ("/bench/xs_bench", "pipelined", ("rust", "pipelined")),
];

pub(crate) fn run(rounds: usize) -> Result<(), String> {
    let root = util::workspace_root();
    let dir = root.join("target").join("xtask-bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let c_bin = build_c(&dir)?;
    util::step("build the Rust xenstore benchmark (release, xen-store example xs_bench)");
    let rust_bin = build_rust(&root)?;

    let (kver, bzimage) = dom0::find_kernel()?;
    let vmlinux = dom0::vmlinux(&kver, &bzimage)?;
    let modules = dom0::module_order(&kver)?;
    let init = dom0::finish_script(dom0::setup_script(&kver, &modules), &payload(rounds, SECS));
    let programs = [
        (c_bin, PathBuf::from("/bench/xenstore_bench_c")),
        (rust_bin, PathBuf::from("/bench/xs_bench")),
    ];
    let initrd = dom0::build_initramfs_with(&kver, "dom0-bench", &programs, &init)?;
    let xen = guest::xen_image(XEN)?;

    util::step(&format!(
        "xenstore: Linux dom0 on Xen {XEN}, {rounds} interleaved rounds of {SECS} s runs"
    ));
    let t = Instant::now();
    let run = dom0::boot(&xen, &vmlinux, &initrd, false)?;
    let lines: Vec<String> = run.lines.iter().map(|l| guest::strip_escapes(l)).collect();
    let parsed = parse(&lines);
    let problem = check(&lines, &parsed, rounds, run.timed_out);
    if let Some(p) = problem {
        println!("    console tail:");
        for l in &lines[lines.len().saturating_sub(60)..] {
            println!("    {l}");
        }
        return Err(format!("xenstore bench: {p}"));
    }
    for (round, (key, ops)) in parsed.runs.iter().enumerate() {
        println!(
            "  run {round:>2} {:<24} {ops:>10.0} ops/s",
            format!("{}/{}", label(&key.0), key.1)
        );
    }
    println!(
        "  (dom0 boot and {} runs: {:.1} s; xs_open(0) in dom0 picks: {})",
        parsed.runs.len(),
        t.elapsed().as_secs_f64(),
        parsed.default_transport.as_deref().unwrap_or("?")
    );
    let med = |k: (&str, &str)| -> f64 {
        let mut v: Vec<f64> = parsed
            .runs
            .iter()
            .filter(|(key, _)| (key.0.as_str(), key.1.as_str()) == k)
            .map(|r| r.1)
            .collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (c, seq, pipe) = (
        med(("c", "seq")),
        med(("rust", "seq")),
        med(("rust", "pipelined")),
    );
    println!("xenstore seq: ours/libxenstore = {:.2}", seq / c);
    println!("xenstore pipelined: ours/libxenstore = {:.2}", pipe / c);
    println!(
        "  median ops/s: libxenstore {c:.0}, ours seq {seq:.0}, ours pipelined (64 in flight) {pipe:.0}"
    );
    Ok(())
}

fn label(imp: &str) -> &str {
    if imp == "c" {
        "libxenstore"
    } else {
        "ours"
    }
}

/// The part of `/init` after dom0's setup: the interleaved runs.
fn payload(rounds: usize, secs: f64) -> String {
    let mut s = String::from("echo XSBENCH-BEGIN\n");
    for round in 0..rounds {
        let mut order: Vec<_> = RUNS.iter().collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for (prog, mode, _) in order {
            s.push_str(&format!("{prog} {mode} {secs} 2>&1\n").replace("  ", " "));
        }
    }
    s.push_str("echo XSBENCH-END\n");
    s
}

/// What the console reported.
#[derive(Debug, Default)]
struct Parsed {
    /// `((impl, mode), ops/s)` in run order.
    runs: Vec<((String, String), f64)>,
    default_transport: Option<String>,
    begun: bool,
    ended: bool,
}

/// Reads the `XSBENCH` lines (a kernel message may precede one on its line).
fn parse(lines: &[String]) -> Parsed {
    let mut p = Parsed::default();
    for l in lines {
        let l = l.trim_end();
        if l.ends_with("XSBENCH-BEGIN") {
            p.begun = true;
        } else if l.ends_with("XSBENCH-END") {
            p.ended = true;
        } else if let Some(at) = l.find("XSBENCH-TRANSPORT default=") {
            p.default_transport = Some(l[at + 26..].trim().to_string());
        } else if let Some(at) = l.find("XSBENCH impl=") {
            let fields: BTreeMap<&str, &str> = l[at + 8..]
                .split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .collect();
            let (Some(imp), Some(mode), Some(rate)) = (
                fields.get("impl"),
                fields.get("mode"),
                fields.get("ops_per_s").and_then(|r| r.parse::<f64>().ok()),
            ) else {
                continue;
            };
            p.runs.push(((imp.to_string(), mode.to_string()), rate));
        }
    }
    p
}

/// Why the boot's results are unusable, if they are.
fn check(lines: &[String], p: &Parsed, rounds: usize, timed_out: bool) -> Option<String> {
    if let Some(l) = lines.iter().find_map(|l| {
        let at = l.find("XENRS-DOM0-SETUP rc=")?;
        (!l[at + 20..].starts_with("0 ")).then_some(&l[at..])
    }) {
        return Some(format!("dom0 setup step failed: {l}"));
    }
    if timed_out {
        return Some("timed out (dom0 hung)".into());
    }
    if !p.begun || !p.ended {
        return Some("missing begin/end marker: dom0 crashed or Xen died".into());
    }
    for (_, _, (imp, mode)) in RUNS {
        let n = p
            .runs
            .iter()
            .filter(|(k, _)| k.0 == imp && k.1 == mode)
            .count();
        if n != rounds {
            return Some(format!("{imp} {mode}: {n} results, expected {rounds}"));
        }
    }
    None
}

fn build_c(dir: &Path) -> Result<PathBuf, String> {
    let src = dir.join("xenstore_bench.c");
    let bin = dir.join("xenstore_bench_c");
    std::fs::write(&src, XENSTORE_BENCH_C).map_err(|e| format!("{}: {e}", src.display()))?;
    util::step("build the C libxenstore benchmark (gcc -O2 -lxenstore)");
    util::run(
        Command::new("gcc")
            .args(["-O2", "-Wall", "-o"])
            .arg(&bin)
            .arg(&src)
            .arg("-lxenstore"),
    )
    .map_err(|e| format!("{e} (cargo xtask setup installs libxen-dev)"))?;
    Ok(bin)
}

/// Builds `xen-store/examples/xs_bench.rs` and returns the executable's path.
fn build_rust(root: &Path) -> Result<PathBuf, String> {
    let out = util::output(Command::new(util::cargo_bin()).current_dir(root).args([
        "build",
        "--release",
        "-p",
        "xen-store",
        "--example",
        "xs_bench",
        "--target",
        "x86_64-unknown-linux-gnu",
        "--message-format=json",
    ]))?;
    for line in out.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] == "compiler-artifact" && v["target"]["name"] == "xs_bench" {
            if let Some(exe) = v["executable"].as_str() {
                return Ok(exe.into());
            }
        }
    }
    Err("cargo did not report the xs_bench executable".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_interleaves_and_parse_reads_it_back() {
        let s = payload(2, 1.5);
        assert!(s.starts_with("echo XSBENCH-BEGIN\n") && s.ends_with("echo XSBENCH-END\n"));
        assert!(s.contains("/bench/xenstore_bench_c 1.5 2>&1\n/bench/xs_bench seq 1.5"));
        assert!(s.contains("/bench/xs_bench pipelined 1.5 2>&1\n/bench/xs_bench pipelined 1.5"));

        let console: Vec<String> = [
            "XENRS-DOM0-SETUP rc=0 insmod x",
            "XSBENCH-BEGIN",
            "XSBENCH-TRANSPORT default=socket",
            "XSBENCH impl=c mode=seq ops=64 secs=1.0 ops_per_s=1000.0",
            "[ 3.1] x XSBENCH impl=rust mode=seq ops=64 secs=1.0 ops_per_s=1100.0",
            "XSBENCH impl=rust mode=pipelined ops=64 secs=1.0 ops_per_s=5000.0",
            "XSBENCH-END",
        ]
        .map(String::from)
        .to_vec();
        let p = parse(&console);
        assert_eq!(p.runs.len(), 3);
        assert_eq!(p.default_transport.as_deref(), Some("socket"));
        assert_eq!(check(&console, &p, 1, false), None);
        assert!(check(&console, &p, 2, false).is_some());
        let mut bad = console.clone();
        bad[0] = "XENRS-DOM0-SETUP rc=1 insmod x".into();
        assert!(check(&bad, &parse(&bad), 1, false).is_some());
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask bench --only grant`: xen-grant's Linux half against
//! libxengnttab/libxengntshr, in one Linux dom0 on Xen 4.17.
//!
//! Workloads, on 16 pages dom0 shares with itself through gntalloc: `map`
//! (map the 16 grants through gntdev, touch each page, unmap: one op) and
//! `copy` (one grant-copy batch of 16 full pages into a local buffer: one
//! op). Programs: `grant_bench.c` (gcc -O2, libxengnttab) and
//! `xen-grant/examples/grant_bench.rs`; `/init` runs them interleaved for
//! `rounds` rounds (order reversed every other round) and prints one
//! `GRBENCH` line per run. Round `i`'s two runs of a mode form a pair, its
//! ratio our ops/s over C's, summarised by the [`harness`]: above 1.0 means
//! ours is faster.

use std::path::PathBuf;

use super::harness::{self, median};
use super::CProgram;
use crate::linux_dom0::{Dom0, Scenario};
use crate::process;
use crate::xen::{XenVersion, Xenstored};

/// The C side.
const C_PROGRAM: CProgram = CProgram {
    name: "grant_bench",
    source: include_str!("grant_bench.c"),
    what: "libxengnttab",
    flags: &[],
    libs: &["xengnttab"],
};

/// Seconds each measured run lasts.
const SECS: f64 = 1.0;

/// The Xen the benchmark boots.
const XEN: XenVersion = XenVersion::V4_17;

/// Programs in dom0 and the implementation they report.
const PROGRAMS: [(&str, &str); 2] = [
    ("/bench/grant_bench_c", "c"),
    ("/bench/grant_bench", "rust"),
];

/// The workloads.
const MODES: [&str; 2] = ["map", "copy"];

/// `grant map: ours/libxengnttab = R`, `grant copy: ours/libxengnttab = R`.
pub(super) fn run(rounds: usize) -> Result<(), String> {
    let c_bin = C_PROGRAM.build()?;
    let rust_bin = super::rust_example("xen-grant", "grant_bench")?;
    let dom0 = Dom0::build(&Scenario {
        name: "dom0-bench-grant",
        xen: &[XEN],
        programs: &[
            (c_bin, PathBuf::from("/bench/grant_bench_c")),
            (rust_bin, PathBuf::from("/bench/grant_bench")),
        ],
        payload: &payload(rounds, SECS),
    })?;
    process::step(&format!(
        "grant: Linux dom0 on Xen {}, {rounds} interleaved rounds of 4 runs of {SECS} s",
        XEN.as_str()
    ));
    let run = dom0.boot(XEN, Xenstored::C, false)?;
    let lines = run.text();
    let runs = parse(&lines);
    super::judge_dom0_run("grant", &lines, run.timed_out, || {
        (runs.len() != rounds * 4)
            .then(|| format!("{} results, expected {}", runs.len(), rounds * 4))
    })?;
    for (i, (imp, mode, ops)) in runs.iter().enumerate() {
        println!("  run {i:>2} {imp:<5} {mode:<5} {ops:>10.1} ops/s");
    }
    for mode in MODES {
        let values = |imp: &str| -> Vec<f64> {
            runs.iter()
                .filter(|r| r.0 == imp && r.1 == mode)
                .map(|r| r.2)
                .collect()
        };
        let (c, ours) = (median(&mut values("c")), median(&mut values("rust")));
        println!("  median ops/s (16 pages per op): libxengnttab {c:.1}, ours {ours:.1}");
        let pairs = harness::zip_pairs(&values("rust"), &values("c"));
        harness::report(&format!("grant {mode}: ours/libxengnttab"), &pairs, |p| {
            p.ours / p.theirs
        });
    }
    Ok(())
}

/// The part of `/init` after dom0's setup.
fn payload(rounds: usize, secs: f64) -> String {
    let mut s = String::from("echo GRBENCH-BEGIN\n");
    for round in 0..rounds {
        let mut order: Vec<(&str, &str)> = MODES
            .iter()
            .flat_map(|m| PROGRAMS.iter().map(move |(p, _)| (*p, *m)))
            .collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for (prog, mode) in order {
            s.push_str(&format!("{prog} {mode} {secs} 2>&1\n"));
        }
    }
    s.push_str("echo GRBENCH-END\n");
    s
}

/// `(impl, mode, ops/s)` of each `GRBENCH` line, in run order.
fn parse(lines: &[String]) -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    for l in lines {
        let Some(f) = super::result_fields(l, "GRBENCH") else {
            continue;
        };
        if let (Some(imp), Some(mode), Some(rate)) = (
            f.get("impl"),
            f.get("mode"),
            f.get("ops_per_s").and_then(|r| r.parse().ok()),
        ) {
            out.push((imp.to_string(), mode.to_string(), rate));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_interleaves_and_parse_reads_back() {
        let s = payload(2, 1.0);
        assert!(s.starts_with("echo GRBENCH-BEGIN\n/bench/grant_bench_c map 1 2>&1\n"));
        assert!(s.ends_with("/bench/grant_bench_c map 1 2>&1\necho GRBENCH-END\n"));
        let lines: Vec<String> = [
            "GRBENCH impl=c mode=map ops=16 secs=1.0 ops_per_s=100.0",
            "[ 1.0] x GRBENCH impl=rust mode=copy ops=16 secs=1.0 ops_per_s=250.5",
            "GRBENCH impl=rust",
        ]
        .map(String::from)
        .to_vec();
        let p = parse(&lines);
        assert_eq!(p.len(), 2);
        assert_eq!(p[1], ("rust".into(), "copy".into(), 250.5));
    }
}

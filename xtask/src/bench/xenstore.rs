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
//! round `i`'s runs form a pair whose ratio is our ops/s over C's, summarised
//! by the [`harness`] as `R [lo-hi, N pairs]`; above 1.0 means ours is faster.
//!
//! Each round runs the three programs twice: under the default policy
//! (`SCHED_OTHER`, as any client runs; the `xenstore seq` and `xenstore
//! pipelined` lines) and all three under `SCHED_BATCH` (`--sched-batch`,
//! which each program sets on itself and reports back; the `(SCHED_BATCH)`
//! lines). xenstored stays on the default policy in both. Why both: xenstored
//! writes a reply's header and its body with two `write()` calls. On dom0's
//! single vCPU the client, woken by the header, preempts xenstored (CFS
//! wakeup preemption), reads the header alone, blocks, and is woken again
//! for the body: two reads and two context switches per reply, which caps a
//! pipelined client that otherwise needs one read for many replies. A
//! `SCHED_BATCH` task does not preempt on wakeup, so xenstored finishes its
//! writes first. The default lines are what a client gets out of the box;
//! the `SCHED_BATCH` lines show what pipelining gains when the client does
//! not interrupt xenstored, with the same policy for all three programs
//! (switching only our pipelined client would pit it against a preempted
//! libxenstore: about 3.5 then, an unfair figure; fairly, about 2.5–2.8).
//!
//! Each run also reports its voluntary context switches per operation
//! (`blocks/op`: how often the client slept waiting for xenstored), which
//! shows the effect: pipelined, about 2 under the default policy and under
//! 0.1 under `SCHED_BATCH`. Giving the CPU away before blocking
//! (`sched_yield`) does not help: CFS runs the just-woken client again.

use std::path::PathBuf;
use std::time::Instant;

use super::harness::{self, median};
use super::CProgram;
use crate::linux_dom0::{Dom0, Scenario};
use crate::process;
use crate::xen::{XenVersion, Xenstored};

/// The C side: libxenstore's `xs_write`/`xs_read`.
const C_PROGRAM: CProgram = CProgram {
    name: "xenstore_bench",
    source: include_str!("xenstore_bench.c"),
    what: "libxenstore",
    flags: &[],
    libs: &["xenstore"],
};

/// Seconds each measured run lasts.
const SECS: f64 = 1.5;

/// The Xen the benchmark boots.
const XEN: XenVersion = XenVersion::V4_17;

/// The three programs of a round: program in dom0, arguments, result key.
const RUNS: [(&str, &str, (&str, &str)); 3] = [
    ("/bench/xenstore_bench_c", "", ("c", "seq")),
    ("/bench/xs_bench", "seq", ("rust", "seq")),
    ("/bench/xs_bench", "pipelined", ("rust", "pipelined")),
];

/// The scheduling policies each program runs under every round: the flag
/// that sets it and the `sched=` the program then reports.
const POLICIES: [(&str, &str); 2] = [("", "other"), ("--sched-batch", "batch")];

/// A result's key: implementation, mode, scheduling policy.
type Key = (String, String, String);

/// `xenstore seq|pipelined[ (SCHED_BATCH)]: ours/libxenstore = R`.
pub(super) fn run(rounds: usize) -> Result<(), String> {
    let c_bin = C_PROGRAM.build()?;
    let rust_bin = super::rust_example("xen-store", "xs_bench")?;
    let dom0 = Dom0::build(&Scenario {
        name: "dom0-bench",
        xen: &[XEN],
        programs: &[
            (c_bin, PathBuf::from("/bench/xenstore_bench_c")),
            (rust_bin, PathBuf::from("/bench/xs_bench")),
        ],
        payload: &payload(rounds, SECS),
    })?;
    let xen = XEN.as_str();

    process::step(&format!(
        "xenstore: Linux dom0 on Xen {xen}, {rounds} interleaved rounds of {} runs of {SECS} s \
         (3 programs, default policy and SCHED_BATCH)",
        RUNS.len() * POLICIES.len()
    ));
    let t = Instant::now();
    let run = dom0.boot(XEN, Xenstored::C, false)?;
    let lines = run.text();
    let parsed = parse(&lines);
    super::judge_dom0_run("xenstore", &lines, run.timed_out, || check(&parsed, rounds))?;
    for (round, (key, ops, blocks)) in parsed.runs.iter().enumerate() {
        let policy = if key.2 == "other" {
            String::new()
        } else {
            format!(" ({})", key.2)
        };
        let blocks = blocks
            .map(|b| format!("  {b:.2} blocks/op"))
            .unwrap_or_default();
        println!(
            "  run {round:>2} {:<24} {ops:>10.0} ops/s{blocks}",
            format!("{}/{}{policy}", label(&key.0), key.1)
        );
    }
    println!(
        "  (dom0 boot and {} runs: {:.1} s; xs_open(0) in dom0 picks: {})",
        parsed.runs.len(),
        t.elapsed().as_secs_f64(),
        parsed.default_transport.as_deref().unwrap_or("?")
    );
    let values = |k: (&str, &str, &str)| -> Vec<f64> {
        parsed
            .runs
            .iter()
            .filter(|(key, ..)| (key.0.as_str(), key.1.as_str(), key.2.as_str()) == k)
            .map(|r| r.1)
            .collect()
    };
    let med = |k| median(&mut values(k));
    for (_, sched) in POLICIES {
        let (c, seq, pipe) = (
            med(("c", "seq", sched)),
            med(("rust", "seq", sched)),
            med(("rust", "pipelined", sched)),
        );
        let policy = if sched == "batch" {
            " (SCHED_BATCH)"
        } else {
            ""
        };
        println!(
            "  median ops/s{policy}: libxenstore {c:.0}, ours seq {seq:.0}, ours pipelined (64 in flight) {pipe:.0}"
        );
        let theirs = values(("c", "seq", sched));
        for mode in ["seq", "pipelined"] {
            let pairs = harness::zip_pairs(&values(("rust", mode, sched)), &theirs);
            harness::report(
                &format!("xenstore {mode}{policy}: ours/libxenstore"),
                &pairs,
                |p| p.ours / p.theirs,
            );
        }
    }
    Ok(())
}

fn label(imp: &str) -> &str {
    if imp == "c" {
        "libxenstore"
    } else {
        "ours"
    }
}

/// The part of `/init` after dom0's setup: the interleaved runs, each
/// program under each policy in every round.
fn payload(rounds: usize, secs: f64) -> String {
    let mut s = String::from("echo XSBENCH-BEGIN\n");
    for round in 0..rounds {
        let mut order: Vec<_> = POLICIES
            .iter()
            .flat_map(|(flag, _)| RUNS.iter().map(move |(prog, mode, _)| [*prog, flag, mode]))
            .collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for cmd in order {
            let words: Vec<&str> = cmd.into_iter().filter(|w| !w.is_empty()).collect();
            s.push_str(&format!("{} {secs} 2>&1\n", words.join(" ")));
        }
    }
    s.push_str("echo XSBENCH-END\n");
    s
}

/// What the console reported.
#[derive(Debug, Default)]
struct Parsed {
    /// `((impl, mode, sched), ops/s, voluntary context switches per
    /// operation if the program said)` in run order.
    runs: Vec<(Key, f64, Option<f64>)>,
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
        } else if let Some(fields) = super::result_fields(l, "XSBENCH") {
            let (Some(imp), Some(mode), Some(rate)) = (
                fields.get("impl"),
                fields.get("mode"),
                fields.get("ops_per_s").and_then(|r| r.parse::<f64>().ok()),
            ) else {
                continue;
            };
            // Programs that predate `sched=` ran under the default policy.
            let sched = fields.get("sched").unwrap_or(&"other");
            p.runs.push((
                (imp.to_string(), mode.to_string(), sched.to_string()),
                rate,
                fields.get("blocks_per_op").and_then(|b| b.parse().ok()),
            ));
        }
    }
    p
}

/// Why the boot's results are unusable, if they are (beyond dom0's own
/// problems, which the judge checks first).
fn check(p: &Parsed, rounds: usize) -> Option<String> {
    if !p.begun || !p.ended {
        return Some("missing begin/end marker: dom0 crashed or Xen died".into());
    }
    for (_, sched) in POLICIES {
        for (_, _, (imp, mode)) in RUNS {
            let n = p
                .runs
                .iter()
                .filter(|(k, ..)| k.0 == imp && k.1 == mode && k.2 == sched)
                .count();
            if n != rounds {
                return Some(format!(
                    "{imp} {mode} sched={sched}: {n} results, expected {rounds}"
                ));
            }
        }
    }
    if p.runs.len() != rounds * RUNS.len() * POLICIES.len() {
        return Some(format!(
            "{} results, expected {}",
            p.runs.len(),
            rounds * RUNS.len() * POLICIES.len()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_interleaves_and_parse_reads_it_back() {
        let s = payload(2, 1.5);
        assert!(s.starts_with("echo XSBENCH-BEGIN\n") && s.ends_with("echo XSBENCH-END\n"));
        let round0 = "/bench/xenstore_bench_c 1.5 2>&1\n\
                      /bench/xs_bench seq 1.5 2>&1\n\
                      /bench/xs_bench pipelined 1.5 2>&1\n\
                      /bench/xenstore_bench_c --sched-batch 1.5 2>&1\n\
                      /bench/xs_bench --sched-batch seq 1.5 2>&1\n\
                      /bench/xs_bench --sched-batch pipelined 1.5 2>&1\n";
        let round1: String = round0.lines().rev().map(|l| format!("{l}\n")).collect();
        assert_eq!(
            s,
            format!("echo XSBENCH-BEGIN\n{round0}{round1}echo XSBENCH-END\n")
        );

        let console: Vec<String> = [
            "XENRS-DOM0-SETUP rc=0 insmod x",
            "XSBENCH-BEGIN",
            "XSBENCH-TRANSPORT default=socket",
            "XSBENCH impl=c mode=seq sched=other ops=64 secs=1.0 ops_per_s=1000.0",
            "[ 3.1] x XSBENCH impl=rust mode=seq sched=other ops=64 secs=1.0 ops_per_s=1100.0",
            "XSBENCH impl=rust mode=pipelined ops=64 secs=1.0 ops_per_s=5000.0",
            "XSBENCH-TRANSPORT default=socket",
            "XSBENCH impl=c mode=seq sched=batch ops=64 secs=1.0 ops_per_s=1000.0",
            "XSBENCH impl=rust mode=seq sched=batch ops=64 secs=1.0 ops_per_s=1100.0",
            "XSBENCH impl=rust mode=pipelined sched=batch ops=64 secs=1.0 ops_per_s=9000.0",
            "XSBENCH-END",
        ]
        .map(String::from)
        .to_vec();
        let p = parse(&console);
        assert_eq!(p.runs.len(), 6);
        assert_eq!(
            p.runs[2].0,
            ("rust".into(), "pipelined".into(), "other".into())
        );
        assert_eq!(
            p.runs[5].0,
            ("rust".into(), "pipelined".into(), "batch".into())
        );
        assert_eq!(p.default_transport.as_deref(), Some("socket"));
        assert_eq!(check(&p, 1), None);
        assert!(check(&p, 2).is_some());
        let mut bad = console.clone();
        bad[0] = "XENRS-DOM0-SETUP rc=1 insmod x".into();
        let judged =
            super::super::judge_dom0_run("xenstore", &bad, false, || check(&parse(&bad), 1));
        assert!(judged.is_err_and(|e| e.starts_with("xenstore bench: ")));
        // A program left on the default policy under --sched-batch.
        let mut unswitched = console.clone();
        unswitched[9] = unswitched[9].replace("sched=batch", "sched=other");
        assert!(check(&parse(&unswitched), 1).is_some());
    }
}

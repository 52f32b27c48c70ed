// SPDX-License-Identifier: MIT OR Apache-2.0
//! xen-abi's shared ring against C's `ring.h` macros.
//!
//! The same blkif workload runs as `xen-abi/benches/ring.rs`
//! (FrontRing/BackRing) and as `bench/ring_bench.c` (the RING_* macros of
//! /usr/include/xen/io/ring.h, gcc -O2), two spinning threads each, the
//! front end's thread pinned to one CPU and the back end's to another (the
//! same two for both programs). The [`harness`] runs them as pairs for
//! `--secs` per workload; each pair's ratio is C's time per request over
//! ours, so above 1.0 means the Rust ring is faster. A run's time per
//! request is its median lap's: both programs note the time at every 25th
//! of the requests and report the median of those 25 laps (and the whole
//! run's mean beside it), so a host preemption that stalls one lap for
//! milliseconds does not decide the pair. Both programs print the
//! requests they completed and the notifications they sent; a pair whose
//! request counts differ is an error.
//!
//! Same work on both sides: each request carries the same 32 bytes (the
//! fixed fields and one segment: C sets them in the slot, ours writes them
//! with `FrontRing::produce_head`), the back end copies out the head and
//! answers with the same response fields, the notify rule and the
//! barriers are ring.h's (one `lock or` per publish and per final check on
//! both sides), and neither program writes a cache line the other thread
//! reads except the ring page and the two event flags.
//!
//! The back end's per-request loop in machine code (x86_64; `cargo xtask
//! asm` prints one batch of it side by side with ring.h's and fails if ours
//! touches memory more often): gcc's is 15 instructions with 2 loads and 3
//! stores, one slot address for the request and its response (it proves
//! `req_cons == rsp_prod_pvt` from the ring struct that never escapes) and
//! no checks. Ours was 23 with 2 loads and 2 stores: the slot address
//! computed twice, each compared against the mapping's run-time length
//! (two `cmp`/`ja` to a panic), and a check that the response answers a
//! consumed request. xen-abi now checks the slots' bounds once at attach
//! (`shm::Slots`), leaving 17 instructions in this program (the second
//! address and the answer check remain: LLVM does not carry
//! `req_cons == rsp_prod_pvt` from one batch to the next) and 11 in the asm
//! probe's single batch, where it does (against gcc's 15 there).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::harness::{self, Budget};
use super::CProgram;
use crate::{cargo, process, workspace};

/// The C side: the RING_* macros.
const C_PROGRAM: CProgram = CProgram {
    name: "ring_bench",
    source: include_str!("ring_bench.c"),
    what: "ring.h",
    flags: &["-pthread", "-D__XEN_INTERFACE_VERSION__=0x00040e00"],
    libs: &[],
};

/// One workload: name, requests in flight, requests per run.
const WORKLOADS: &[(&str, u32, u64)] = &[("pingpong", 1, 200_000), ("stream(32)", 32, 2_000_000)];

/// Pairs per workload, whatever the time budget.
const MIN_PAIRS: usize = 10;
const MAX_PAIRS: usize = 400;

/// One run of either program.
#[derive(Debug, Clone, Copy)]
struct Run {
    ns_per_req: f64,
    notify_per_req: f64,
    reqs: u64,
}

/// `ring <workload>: ours/ring.h = R [lo-hi, N pairs]` for each workload.
pub(super) fn run(secs: u64) -> Result<(), String> {
    let c_bin = C_PROGRAM.build()?;
    process::step("build the Rust ring benchmark (release)");
    let rust_bin = cargo::executable(
        &workspace::root(),
        &["bench", "-p", "xen-abi", "--bench", "ring", "--no-run"],
        "ring",
    )?;
    let cpus = two_cpus();
    let pin = match cpus {
        Some((f, b)) => format!("front end on CPU {f}, back end on CPU {b}"),
        None => "unpinned: fewer than two CPUs allowed".into(),
    };
    let budget = Budget {
        time: Duration::from_secs(secs),
        min: MIN_PAIRS,
        max: MAX_PAIRS,
    };

    for &(name, window, n) in WORKLOADS {
        process::step(&format!(
            "ring {name}: pairs of {n} requests for {secs} s ({pin})"
        ));
        let load_before = load_average();
        let pairs = harness::run_pairs(budget, |_, rust| {
            measure(if rust { &rust_bin } else { &c_bin }, window, n, cpus)
        })?;
        let load = load_report(load_before, load_average());
        for (i, p) in pairs.iter().enumerate() {
            if p.ours.reqs != n || p.theirs.reqs != n {
                return Err(format!(
                    "ring {name} pair {i}: requests ours {}, ring.h {}, expected {n}",
                    p.ours.reqs, p.theirs.reqs
                ));
            }
        }
        let med = |f: &dyn Fn(&harness::Pair<Run>) -> f64| {
            let mut v: Vec<f64> = pairs.iter().map(f).collect();
            harness::median(&mut v)
        };
        println!(
            "  median ns/req: ours {:.2}, ring.h {:.2} (the ratio: ring.h's time over ours, above 1.0 ours is faster); \
             notifications/req: ours {:.4}, ring.h {:.4}; {pin}; {load}",
            med(&|p| p.ours.ns_per_req),
            med(&|p| p.theirs.ns_per_req),
            med(&|p| p.ours.notify_per_req),
            med(&|p| p.theirs.notify_per_req),
        );
        harness::report(&format!("ring {name}: ours/ring.h"), &pairs, |p| {
            p.theirs.ns_per_req / p.ours.ns_per_req
        });
    }
    Ok(())
}

/// The 1-minute load average (/proc/loadavg), if readable.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// `load average 1.9 -> 2.1 on 2 CPUs`, with a warning when other work
/// shared the CPUs: the bench's two spinning threads account for about 2,
/// so a load above the CPU count plus one means they were descheduled for
/// someone else, and the ratio measures the scheduler as much as the rings.
fn load_report(before: Option<f64>, after: Option<f64>) -> String {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (Some(before), Some(after)) = (before, after) else {
        return "load average unknown".into();
    };
    let busy = if before.max(after) > cpus as f64 + 1.0 {
        " (busy machine: the threads shared their CPUs with other work)"
    } else {
        ""
    };
    format!("load average {before:.1} -> {after:.1} on {cpus} CPUs{busy}")
}

/// Runs one benchmark process.
fn measure(bin: &Path, window: u32, n: u64, cpus: Option<(usize, usize)>) -> Result<Run, String> {
    let mut cmd = Command::new(bin);
    cmd.arg(window.to_string()).arg(n.to_string());
    if let Some((f, b)) = cpus {
        cmd.arg(f.to_string()).arg(b.to_string());
    }
    let out = process::output(&mut cmd)?;
    let field = |key: &str| -> Result<f64, String> {
        out.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
            .ok_or_else(|| format!("{}: no `{key}` in {out:?}", bin.display()))
    };
    Ok(Run {
        ns_per_req: field("ns_per_req")?,
        notify_per_req: field("notify_per_req")?,
        reqs: field("reqs")? as u64,
    })
}

/// The first two CPUs this process may run on (`Cpus_allowed_list` in
/// /proc/self/status), if there are two.
fn two_cpus() -> Option<(usize, usize)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?;
    let mut cpus = parse_cpu_list(list.trim()).into_iter();
    Some((cpus.next()?, cpus.next()?))
}

/// `0-2,5` → `[0, 1, 2, 5]` (at most 64 entries; bad parts are skipped).
fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(a), Ok(b)) = (a.trim().parse::<usize>(), b.trim().parse::<usize>()) {
            cpus.extend((a..=b).take(64 - cpus.len().min(64)));
        }
    }
    cpus
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_reports() {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let quiet = load_report(Some(0.5), Some(1.0));
        assert!(quiet.starts_with("load average 0.5 -> 1.0 on ") && !quiet.contains("busy"));
        let busy = load_report(Some(1.0), Some(cpus as f64 + 2.0));
        assert!(busy.ends_with("(busy machine: the threads shared their CPUs with other work)"));
        assert_eq!(load_report(None, Some(1.0)), "load average unknown");
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-1"), [0, 1]);
        assert_eq!(parse_cpu_list("0-2,5"), [0, 1, 2, 5]);
        assert_eq!(parse_cpu_list("3"), [3]);
        assert_eq!(parse_cpu_list("x"), Vec::<usize>::new());
    }
}

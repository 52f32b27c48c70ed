// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask bench --only evtchn`: xen-evtchn's `/dev/xen/evtchn` handle
//! against libxenevtchn, in one Linux dom0 on Xen 4.17.
//!
//! Two workloads, each run by `evtchn_bench.c` (libxenevtchn, gcc -O2) and
//! `xen-evtchn/examples/evtchn_bench.rs` (release), interleaved for `rounds`
//! rounds (order reversed every other round), one `EVBENCH` line a run:
//! - `pingpong`: round trips between two processes over one channel (the
//!   parent notifies, the child answers); round `i`'s runs form a pair, its
//!   ratio our round trips per second over C's (above 1.0: ours faster),
//!   summarised by the [`harness`] as `R [lo-hi, N pairs]`. Both sides make
//!   the same three system calls per half trip (notify, read, unmask), so
//!   this shows the wrapper adds nothing.
//! - `flood`: [`FLOOD_PORTS`] channels in one process, all notified, then
//!   received; the receiving side's system calls per event. libxenevtchn
//!   reads one port per `read` and unmasks one per `write`: 2 per event;
//!   ours reads them in batches and unmasks each batch with one `write`.

use std::path::PathBuf;
use std::time::Instant;

use super::harness::{self, median};
use super::CProgram;
use crate::linux_dom0::{Dom0, Scenario};
use crate::process;
use crate::xen::{XenVersion, Xenstored};

/// The C side: libxenevtchn.
const C_PROGRAM: CProgram = CProgram {
    name: "evtchn_bench",
    source: include_str!("evtchn_bench.c"),
    what: "libxenevtchn",
    flags: &[],
    libs: &["xenevtchn"],
};

/// Seconds each measured run lasts.
const SECS: f64 = 1.5;

/// Channels in the flood.
const FLOOD_PORTS: usize = 256;

/// The Xen the benchmark boots.
const XEN: XenVersion = XenVersion::V4_17;

/// Where the programs lie in dom0: (C, ours).
const PROGRAMS: [(&str, &str); 2] = [
    ("/bench/evtchn_bench_c", "c"),
    ("/bench/evtchn_bench", "rust"),
];

/// `evtchn pingpong: ours/libxenevtchn = R` and
/// `evtchn flood: syscalls/event ours = A, libxenevtchn = B`.
pub(super) fn run(rounds: usize) -> Result<(), String> {
    let c_bin = C_PROGRAM.build()?;
    let rust_bin = super::rust_example("xen-evtchn", "evtchn_bench")?;
    let dom0 = Dom0::build(&Scenario {
        name: "dom0-bench-evtchn",
        xen: &[XEN],
        programs: &[
            (c_bin, PathBuf::from(PROGRAMS[0].0)),
            (rust_bin, PathBuf::from(PROGRAMS[1].0)),
        ],
        payload: &payload(rounds, SECS),
    })?;
    process::step(&format!(
        "evtchn: Linux dom0 on Xen {}, {rounds} interleaved rounds (pingpong {SECS} s, \
         flood of {FLOOD_PORTS} ports {SECS} s; C and ours)",
        XEN.as_str()
    ));
    let t = Instant::now();
    let run = dom0.boot(XEN, Xenstored::C, false)?;
    let lines = run.text();
    let runs = parse(&lines);
    super::judge_dom0_run("evtchn", &lines, run.timed_out, || {
        check(&lines, &runs, rounds)
    })?;
    for (i, r) in runs.iter().enumerate() {
        println!(
            "  run {i:>2} {:<12} {:<8} {:>12.3}",
            label(&r.imp),
            r.mode,
            r.value
        );
    }
    println!(
        "  (dom0 boot and {} runs: {:.1} s; pingpong: round trips/s, flood: syscalls/event)",
        runs.len(),
        t.elapsed().as_secs_f64()
    );
    let values = |imp: &str, mode: &str| -> Vec<f64> {
        runs.iter()
            .filter(|r| r.imp == imp && r.mode == mode)
            .map(|r| r.value)
            .collect()
    };
    let med = |imp: &str, mode: &str| median(&mut values(imp, mode));
    let (c, ours) = (med("c", "pingpong"), med("rust", "pingpong"));
    println!("  median round trips/s: libxenevtchn {c:.0}, ours {ours:.0}");
    let pairs = harness::zip_pairs(&values("rust", "pingpong"), &values("c", "pingpong"));
    harness::report("evtchn pingpong: ours/libxenevtchn", &pairs, |p| {
        p.ours / p.theirs
    });
    println!(
        "evtchn flood: syscalls/event ours = {:.3}, libxenevtchn = {:.3}",
        med("rust", "flood"),
        med("c", "flood")
    );
    Ok(())
}

fn label(imp: &str) -> &str {
    if imp == "c" {
        "libxenevtchn"
    } else {
        "ours"
    }
}

/// The part of `/init` after dom0's setup.
fn payload(rounds: usize, secs: f64) -> String {
    let mut s = String::from("echo EVBENCH-BEGIN\n");
    for round in 0..rounds {
        let mut order: Vec<String> = PROGRAMS
            .iter()
            .flat_map(|(prog, _)| {
                [
                    format!("{prog} pingpong {secs} 2>&1\n"),
                    format!("{prog} flood {FLOOD_PORTS} {secs} 2>&1\n"),
                ]
            })
            .collect();
        if round % 2 == 1 {
            order.reverse();
        }
        s.extend(order);
    }
    s.push_str("echo EVBENCH-END\n");
    s
}

/// One run's result: round trips/s (pingpong) or syscalls/event (flood).
#[derive(Debug, PartialEq)]
struct Run {
    imp: String,
    mode: String,
    value: f64,
}

/// Reads the `EVBENCH` result lines (a kernel message may precede one on
/// its line).
fn parse(lines: &[String]) -> Vec<Run> {
    let mut runs = Vec::new();
    for l in lines {
        let Some(f) = super::result_fields(l, "EVBENCH") else {
            continue;
        };
        let num = |k: &str| f.get(k).and_then(|v| v.parse::<f64>().ok());
        let value = match f.get("mode") {
            Some(&"pingpong") => num("trips_per_s"),
            Some(&"flood") => match (num("syscalls"), num("events")) {
                (Some(s), Some(e)) if e > 0.0 => Some(s / e),
                _ => None,
            },
            _ => None,
        };
        if let (Some(imp), Some(mode), Some(value)) = (f.get("impl"), f.get("mode"), value) {
            runs.push(Run {
                imp: imp.to_string(),
                mode: mode.to_string(),
                value,
            });
        }
    }
    runs
}

/// Why the boot's results are unusable, if they are (beyond dom0's own
/// problems, which the judge checks first).
fn check(lines: &[String], runs: &[Run], rounds: usize) -> Option<String> {
    let has = |m: &str| lines.iter().any(|l| l.trim_end().ends_with(m));
    if !has("EVBENCH-BEGIN") || !has("EVBENCH-END") {
        return Some("missing begin/end marker: dom0 crashed or Xen died".into());
    }
    for (_, imp) in PROGRAMS {
        for mode in ["pingpong", "flood"] {
            let n = runs
                .iter()
                .filter(|r| r.imp == imp && r.mode == mode)
                .count();
            if n != rounds {
                return Some(format!("{imp} {mode}: {n} results, expected {rounds}"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_interleaves_and_parse_reads_it_back() {
        let s = payload(2, 1.5);
        let round0 = "/bench/evtchn_bench_c pingpong 1.5 2>&1\n\
                      /bench/evtchn_bench_c flood 256 1.5 2>&1\n\
                      /bench/evtchn_bench pingpong 1.5 2>&1\n\
                      /bench/evtchn_bench flood 256 1.5 2>&1\n";
        let round1: String = round0.lines().rev().map(|l| format!("{l}\n")).collect();
        assert_eq!(
            s,
            format!("echo EVBENCH-BEGIN\n{round0}{round1}echo EVBENCH-END\n")
        );
        let console: Vec<String> = [
            "XENRS-DOM0-SETUP rc=0 insmod x",
            "EVBENCH-BEGIN",
            "EVBENCH impl=c mode=pingpong trips=64 secs=1.0 trips_per_s=1000.0",
            "[ 3.1] x EVBENCH impl=c mode=flood ports=256 events=512 syscalls=1024",
            "EVBENCH impl=rust mode=pingpong trips=64 secs=1.0 trips_per_s=1100.0",
            "EVBENCH impl=rust mode=flood ports=256 events=512 syscalls=4",
            "EVBENCH-END",
        ]
        .map(String::from)
        .to_vec();
        let runs = parse(&console);
        assert_eq!(runs.len(), 4);
        assert_eq!(runs[1].value, 2.0);
        assert_eq!(runs[3].value, 4.0 / 512.0);
        assert_eq!(check(&console, &runs, 1), None);
        assert!(check(&console, &runs, 2).is_some());
        assert!(check(&console[..6], &runs, 1).is_some());
    }
}

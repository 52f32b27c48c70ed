// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask bench --only vchan`: xen-vchan's Linux client against
//! libxenvchan's, in one Linux dom0 on Xen 4.17, both reading the same
//! stream from the same Rust domU server.
//!
//! `xl` creates the vchan domU (`xen-test-kernel-vchan-domu`) told to go
//! straight to its stream server ([`MODE`] = `stream`): it serves
//! `/local/domain/<domU>/data/vchan/0/4` (its rings: 1 KiB towards it,
//! 16 KiB towards dom0), streams a pattern to whichever client connects
//! until that client closes, then serves again, bumping its generation in
//! `data/xenrs-vchan/stream-gen`. Programs: `vchan_bench.c` (gcc -O2,
//! libxenvchan) and `xen-vchan/examples/vchan_bench.rs`, each reading
//! [`MIB`] MiB in reads of at most [`BUF`] bytes (the same for both) and
//! checking the pattern; `/init` runs each once unmeasured, then them
//! interleaved for `rounds` rounds
//! (order reversed every other round), each waiting for the next
//! generation, and prints one `VCBENCH` line per run plus the domU's own
//! count of events from that client. Round `i`'s two runs form a pair, its
//! ratio our MiB/s over C's, summarised by the [`harness`]: above 1.0 means
//! ours is faster. Also printed: the events per MiB dom0 took from the
//! domU and the domU took from dom0, for each implementation.

use std::path::PathBuf;

use super::harness::{self, median};
use super::CProgram;
use crate::kernels::{self, Kernels};
use crate::linux_dom0::{Dom0, Scenario};
use crate::process;
use crate::xen::{Arch, XenVersion, Xenstored};

/// The C side.
const C_PROGRAM: CProgram = CProgram {
    name: "vchan_bench",
    source: include_str!("vchan_bench.c"),
    what: "libxenvchan",
    flags: &[],
    libs: &["xenvchan"],
};

/// MiB each run reads.
const MIB: u32 = 8;
/// The largest read either client makes.
const BUF: u32 = 16384;

/// The Xen the benchmark boots.
const XEN: XenVersion = XenVersion::V4_17;

/// The node that sends the domU straight to its stream server.
const MODE: &str = "data/xenrs-vchan/mode";

/// Programs in dom0 and the implementation they report.
const PROGRAMS: [(&str, &str); 2] = [
    ("/bench/vchan_bench_c", "c"),
    ("/bench/vchan_bench", "rust"),
];

/// One run: implementation, MiB/s, events dom0 took, events the domU took.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    imp: String,
    mib_per_s: f64,
    rx: f64,
    domu_rx: Option<f64>,
}

/// `vchan stream: ours/libxenvchan = R [lo-hi, N pairs]` and the events
/// per MiB on both sides.
pub(super) fn run(rounds: usize) -> Result<(), String> {
    let c_bin = C_PROGRAM.build()?;
    let rust_bin = super::rust_example("xen-vchan", "vchan_bench")?;
    let kernels = Kernels::build(Arch::X86_64)?;
    let dom0 = Dom0::build(&Scenario {
        name: "dom0-bench-vchan",
        xen: &[XEN],
        programs: &[
            (c_bin, PathBuf::from("/bench/vchan_bench_c")),
            (rust_bin, PathBuf::from("/bench/vchan_bench")),
            (
                kernels.path(kernels::VCHAN_DOMU),
                PathBuf::from("/domu/vchan-domu"),
            ),
        ],
        payload: &payload(rounds),
    })?;
    process::step(&format!(
        "vchan: Linux dom0 on Xen {}, a Rust domU streaming; {rounds} interleaved rounds of 2 runs of {MIB} MiB",
        XEN.as_str()
    ));
    let run = dom0.boot(XEN, Xenstored::C, false)?;
    let lines = run.text();
    let runs = parse(&lines);
    super::judge_dom0_run("vchan", &lines, run.timed_out, || {
        (runs.len() != rounds * 2)
            .then(|| format!("{} results, expected {}", runs.len(), rounds * 2))
    })?;
    for (i, r) in runs.iter().enumerate() {
        println!(
            "  run {i:>2} {:<5} {:>8.2} MiB/s  events/MiB: dom0 took {:>7.1}, the domU took {}",
            r.imp,
            r.mib_per_s,
            r.rx / f64::from(MIB),
            r.domu_rx
                .map_or("?".to_string(), |d| format!("{:.1}", d / f64::from(MIB)))
        );
    }
    let values = |imp: &str, f: fn(&Run) -> Option<f64>| -> Vec<f64> {
        runs.iter().filter(|r| r.imp == imp).filter_map(f).collect()
    };
    let rate = |r: &Run| Some(r.mib_per_s);
    let (c, ours) = (
        median(&mut values("c", rate)),
        median(&mut values("rust", rate)),
    );
    println!("  median MiB/s ({MIB} MiB per run, reads of up to {BUF} bytes): libxenvchan {c:.2}, ours {ours:.2}");
    let dom0_rx = |r: &Run| Some(r.rx / f64::from(MIB));
    let domu_rx = |r: &Run| r.domu_rx.map(|d| d / f64::from(MIB));
    println!(
        "  vchan notifications per MiB: dom0 took ours {:.1}, libxenvchan {:.1}; the domU took (from) ours {:.1}, libxenvchan {:.1}",
        median(&mut values("rust", dom0_rx)),
        median(&mut values("c", dom0_rx)),
        median(&mut values("rust", domu_rx)),
        median(&mut values("c", domu_rx)),
    );
    let pairs = harness::zip_pairs(&values("rust", rate), &values("c", rate));
    harness::report("vchan stream: ours/libxenvchan", &pairs, |p| {
        p.ours / p.theirs
    });
    Ok(())
}

/// The part of `/init` after dom0's setup: create the domU in stream mode,
/// then the interleaved runs, each after the domU's next generation.
fn payload(rounds: usize) -> String {
    let mut s = String::from(
        "echo VCBENCH-BEGIN\n\
         printf 'name = \"xenrs-vchan-bench\"\\ntype = \"pv\"\\nkernel = \"/domu/vchan-domu\"\\nmemory = 32\\nvcpus = 1\\non_poweroff = \"destroy\"\\n' > /tmp/vchan-bench.cfg\n\
         $XENRS_XL create -p /tmp/vchan-bench.cfg\n\
         D=$($XENRS_XL domid xenrs-vchan-bench)\n\
         H=/local/domain/$D\n",
    );
    s.push_str(&format!(
        "xenstore-write $H/{MODE} stream\n\
         $XENRS_XL unpause $D\n\
         waitgen() {{ i=0; while [ \"$(xenstore-read $H/data/xenrs-vchan/stream-gen 2>/dev/null)\" != \"$1\" ]; do \
         i=$((i+1)); if [ $i -gt 1200 ]; then echo \"VCBENCH-STUCK generation $1\"; return 1; fi; sleep 0.05; done; }}\n"
    ));
    // One unmeasured run of each first: the first connections of a boot
    // are slower (caches, page tables, xenstored warming up).
    let mut generation = 1;
    for (prog, _) in PROGRAMS {
        s.push_str(&format!(
            "waitgen {generation} && {prog} $D $H/data/vchan/0/4 {MIB} {BUF} > /dev/null 2>&1\n"
        ));
        generation += 1;
    }
    for round in 0..rounds {
        let mut order: Vec<&str> = PROGRAMS.iter().map(|(p, _)| *p).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for prog in order {
            s.push_str(&format!(
                "waitgen {generation} && {prog} $D $H/data/vchan/0/4 {MIB} {BUF} 2>&1\n\
                 waitgen {} && echo \"VCBENCH-DOMU $(xenstore-read $H/data/xenrs-vchan/stream)\"\n",
                generation + 1
            ));
            generation += 1;
        }
    }
    s.push_str("$XENRS_XL destroy $D\necho VCBENCH-END\n");
    s
}

/// Each `VCBENCH` run, with the domU's event count from the
/// `VCBENCH-DOMU ok N bytes streamed to client G, E events from it` line
/// that follows it.
fn parse(lines: &[String]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for l in lines {
        if let Some(at) = l.find("VCBENCH-DOMU ") {
            let events = l[at..]
                .split(", ")
                .nth(1)
                .and_then(|e| e.split_whitespace().next())
                .and_then(|e| e.parse().ok());
            if let Some(last) = out.last_mut() {
                last.domu_rx = events;
            }
            continue;
        }
        let Some(f) = super::result_fields(l, "VCBENCH") else {
            continue;
        };
        if let (Some(imp), Some(rate), Some(rx)) = (
            f.get("impl"),
            f.get("mib_per_s").and_then(|r| r.parse().ok()),
            f.get("rx_notifies").and_then(|r| r.parse().ok()),
        ) {
            out.push(Run {
                imp: imp.to_string(),
                mib_per_s: rate,
                rx,
                domu_rx: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_interleaves_and_parse_reads_back() {
        let s = payload(2);
        // Two warm-up runs, then the measured ones.
        let w = s
            .find("waitgen 1 && /bench/vchan_bench_c $D $H/data/vchan/0/4 8 16384 > /dev/null")
            .unwrap();
        let c1 = s.find("waitgen 3 && /bench/vchan_bench_c").unwrap();
        let r2 = s.find("waitgen 4 && /bench/vchan_bench ").unwrap();
        let r3 = s.find("waitgen 5 && /bench/vchan_bench ").unwrap();
        let c4 = s.find("waitgen 6 && /bench/vchan_bench_c").unwrap();
        assert!(w < c1 && c1 < r2 && r2 < r3 && r3 < c4);
        let lines: Vec<String> = [
            "VCBENCH impl=c bytes=8 secs=1.0 mib_per_s=10.5 rx_notifies=40",
            "[ 1.0] VCBENCH-DOMU ok 8388608 bytes streamed to client 1, 12 events from it",
            "x VCBENCH impl=rust bytes=8 secs=1.0 mib_per_s=11.0 rx_notifies=30",
        ]
        .map(String::from)
        .to_vec();
        let p = parse(&lines);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].domu_rx, Some(12.0));
        assert_eq!(
            (p[1].imp.as_str(), p[1].mib_per_s, p[1].domu_rx),
            ("rust", 11.0, None)
        );
    }
}

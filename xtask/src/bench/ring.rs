// SPDX-License-Identifier: MIT OR Apache-2.0
//! xen-abi's shared ring against C's `ring.h` macros.
//!
//! The same blkif workload runs twice per round: once as
//! `xen-abi/benches/ring.rs` (FrontRing/BackRing) and once as
//! `bench/ring_bench.c` (the RING_* macros of /usr/include/xen/io/ring.h,
//! gcc -O2), two spinning threads each, interleaved for `--rounds` rounds.
//! The ratio is C's median time per request over ours: above 1.0 means the
//! Rust ring is faster.

use std::path::Path;
use std::process::Command;

use super::{median, CProgram};
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

/// `ring <workload>: ours/ring.h = R` for each workload.
pub(super) fn run(rounds: usize) -> Result<(), String> {
    let c_bin = C_PROGRAM.build()?;
    process::step("build the Rust ring benchmark (release)");
    let rust_bin = cargo::executable(
        &workspace::root(),
        &["bench", "-p", "xen-abi", "--bench", "ring", "--no-run"],
        "ring",
    )?;

    for &(name, window, n) in WORKLOADS {
        process::step(&format!(
            "ring {name}: {rounds} interleaved rounds of {n} requests"
        ));
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            // Alternate which goes first, so drift hits both alike.
            let order: [bool; 2] = if round % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for rust in order {
                let bin = if rust { &rust_bin } else { &c_bin };
                let m = measure(bin, window, n)?;
                println!(
                    "  round {round} {:<6} {:>9.2} ns/req  {:.4} notifications/req",
                    if rust { "ours" } else { "ring.h" },
                    m.0,
                    m.1
                );
                if rust {
                    ours.push(m)
                } else {
                    theirs.push(m)
                }
            }
        }
        let (o, t) = (median_of(&ours), median_of(&theirs));
        println!("ring {name}: ours/ring.h = {:.2}", t.0 / o.0);
        println!(
            "  median ns/req: ours {:.2}, ring.h {:.2}; notifications/req: ours {:.4}, ring.h {:.4}",
            o.0, t.0, o.1, t.1
        );
    }
    Ok(())
}

/// Runs one benchmark process; returns (ns per request, notifications per request).
fn measure(bin: &Path, window: u32, n: u64) -> Result<(f64, f64), String> {
    let out = process::output(Command::new(bin).arg(window.to_string()).arg(n.to_string()))?;
    let field = |key: &str| -> Result<f64, String> {
        out.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
            .ok_or_else(|| format!("{}: no `{key}` in {out:?}", bin.display()))
    };
    Ok((field("ns_per_req")?, field("notify_per_req")?))
}

fn median_of(v: &[(f64, f64)]) -> (f64, f64) {
    let mut a: Vec<f64> = v.iter().map(|m| m.0).collect();
    let mut b: Vec<f64> = v.iter().map(|m| m.1).collect();
    (median(&mut a), median(&mut b))
}

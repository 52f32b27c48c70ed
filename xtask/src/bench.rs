// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask bench`: xen-abi's shared ring against C's `ring.h` macros.
//!
//! The same blkif workload runs twice per round: once as
//! `xen-abi/benches/ring.rs` (FrontRing/BackRing) and once as
//! `bench/ring_bench.c` (the RING_* macros of /usr/include/xen/io/ring.h,
//! gcc -O2), two spinning threads each, interleaved for `--rounds` rounds.
//! The ratio is C's median time per request over ours: above 1.0 means the
//! Rust ring is faster.
//!
//! Then `xenstore` (see [`xenstore`]): our xenstore client against
//! libxenstore inside a Linux dom0 on Xen 4.17. `--only ring|xenstore` runs
//! one of the two.

mod xenstore;

use std::path::Path;
use std::process::Command;

use crate::util;

/// The C program, written into the target dir and compiled there.
const RING_BENCH_C: &str = include_str!("bench/ring_bench.c");

/// One workload: name, requests in flight, requests per run.
const WORKLOADS: &[(&str, u32, u64)] = &[("pingpong", 1, 200_000), ("stream(32)", 32, 2_000_000)];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut rounds = 5usize;
    let (mut ring, mut xs) = (true, true);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rounds" => {
                rounds = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|r| *r > 0)
                    .ok_or("--rounds needs a positive number")?;
            }
            "--only" => match it.next().map(String::as_str) {
                Some("ring") => xs = false,
                Some("xenstore") => ring = false,
                _ => return Err("--only needs ring or xenstore".into()),
            },
            other => return Err(format!("unknown bench argument `{other}`")),
        }
    }
    if ring {
        run_ring(rounds)?;
    }
    if xs {
        xenstore::run(rounds)?;
    }
    Ok(())
}

fn run_ring(rounds: usize) -> Result<(), String> {
    let root = util::workspace_root();
    let dir = root.join("target").join("xtask-bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let c_bin = build_c(&dir)?;
    util::step("build the Rust ring benchmark (release)");
    let rust_bin = build_rust(&root)?;

    for &(name, window, n) in WORKLOADS {
        util::step(&format!(
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
        let (o, t) = (median(&ours), median(&theirs));
        println!("ring {name}: ours/ring.h = {:.2}", t.0 / o.0);
        println!(
            "  median ns/req: ours {:.2}, ring.h {:.2}; notifications/req: ours {:.4}, ring.h {:.4}",
            o.0, t.0, o.1, t.1
        );
    }
    Ok(())
}

fn build_c(dir: &Path) -> Result<std::path::PathBuf, String> {
    let src = dir.join("ring_bench.c");
    let bin = dir.join("ring_bench_c");
    std::fs::write(&src, RING_BENCH_C).map_err(|e| format!("{}: {e}", src.display()))?;
    util::step("build the C ring.h benchmark (gcc -O2)");
    util::run(
        Command::new("gcc")
            .args([
                "-O2",
                "-pthread",
                "-Wall",
                "-D__XEN_INTERFACE_VERSION__=0x00040e00",
                "-o",
            ])
            .arg(&bin)
            .arg(&src),
    )?;
    Ok(bin)
}

/// Builds `xen-abi/benches/ring.rs` and returns the executable's path.
fn build_rust(root: &Path) -> Result<std::path::PathBuf, String> {
    let out = util::output(Command::new(util::cargo_bin()).current_dir(root).args([
        "bench",
        "-p",
        "xen-abi",
        "--bench",
        "ring",
        "--no-run",
        "--message-format=json",
    ]))?;
    for line in out.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] == "compiler-artifact" && v["target"]["name"] == "ring" {
            if let Some(exe) = v["executable"].as_str() {
                return Ok(exe.into());
            }
        }
    }
    Err("cargo did not report the ring bench executable".into())
}

/// Runs one benchmark process; returns (ns per request, notifications per request).
fn measure(bin: &Path, window: u32, n: u64) -> Result<(f64, f64), String> {
    let out = util::output(Command::new(bin).arg(window.to_string()).arg(n.to_string()))?;
    let field = |key: &str| -> Result<f64, String> {
        out.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
            .ok_or_else(|| format!("{}: no `{key}` in {out:?}", bin.display()))
    };
    Ok((field("ns_per_req")?, field("notify_per_req")?))
}

fn median(v: &[(f64, f64)]) -> (f64, f64) {
    let mut a: Vec<f64> = v.iter().map(|m| m.0).collect();
    let mut b: Vec<f64> = v.iter().map(|m| m.1).collect();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    (a[a.len() / 2], b[b.len() / 2])
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask`: the workspace's automation (the cargo-xtask pattern).
//! This file is the command table; each command parses its flags with
//! [`cli`] and calls one typed function.

// A host tool: std is the point, and the step tables read best inline.
#![allow(clippy::std_instead_of_core, clippy::type_complexity)]

mod asm;
mod bench;
mod cargo;
mod cli;
mod debian;
mod dom0_tests;
mod fuzz;
mod initramfs;
mod kernels;
mod layout;
mod linux_dom0;
mod miri;
mod process;
mod qemu;
mod release;
mod report;
mod setup;
mod suite;
mod tiers;
mod workspace;
mod xen;

use std::process::ExitCode;

use cli::{Flag, Options};

/// A command: its name, the flags it takes, what it does, how it runs.
struct Command {
    name: &'static str,
    flags: &'static [Flag],
    help: &'static str,
    run: fn(&Options) -> Result<(), String>,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "test",
        flags: &[],
        help: "set up (apt/rustup when root), then fmt, clippy, docs, unit tests, loom, Miri, no_std\n\
               and MSRV builds, docs.rs builds, publish dry-run, the template, semver,\n\
               the layout proof, asm, the guest and dom0 tiers: what CI runs",
        run: |_| suite::run(),
    },
    Command {
        name: "layout",
        flags: &[Flag::Keep],
        help: "prove xen-abi's layouts and constants against /usr/include/xen\n\
               (x86_64 and aarch64, bindgen + clang); `--keep` keeps generated files",
        run: |o| layout::run(o.keep),
    },
    Command {
        name: "asm",
        flags: &[],
        help: "show that a typed hypercall wrapper compiles to the bare call",
        run: |_| asm::run(),
    },
    Command {
        name: "setup",
        flags: &[],
        help: "install what the other commands need (root), else print the commands",
        run: |_| setup::ensure(),
    },
    Command {
        name: "demo",
        flags: &[],
        help: "set up, then Xen 4.17 + Linux dom0 in QEMU: our Rust domU, dom0 and C libxenvchan\ntalk over vchans, step by step, live",
        run: |_| setup::ensure().and_then(|()| tiers::demo::run()),
    },
    Command {
        name: "guest",
        flags: &[Flag::Xen, Flag::Arch, Flag::Mode],
        help: "boot the test kernels on Xen 4.17 and 4.20: x86_64 PV and PVH, arm64",
        run: |o| tiers::guest::run(&o.xen, &o.arches, &o.modes),
    },
    Command {
        name: "dom0",
        flags: &[Flag::Xen, Flag::Xenstored, Flag::Live],
        help: "Linux dom0 on Xen 4.17/4.20 with each xenstored, the workspace's dom0 tests in it",
        run: |o| tiers::dom0::run(&o.xen, &o.xenstoreds, o.live),
    },
    Command {
        name: "bench",
        flags: &[Flag::Rounds, Flag::Secs, Flag::Only],
        help: "ring vs ring.h (pairs for N s per workload, default 60), xenstore/evtchn/grant/vchan vs libxen* in dom0 (N rounds)",
        run: |o| bench::run(&o.bench, o.rounds, o.secs.unwrap_or(bench::RING_SECS)),
    },
    Command {
        name: "miri",
        flags: &[],
        help: "the ring, byte-ring, SharedMem, xen-store codec/session/ring-client and\n\
               evtchn/grant parser tests under Miri (nightly): no undefined behaviour",
        run: |_| miri::run(),
    },
    Command {
        name: "docsrs",
        flags: &[],
        help: "each library crate's docs as docs.rs builds them (nightly, --cfg docsrs,\n\
               the metadata's features and targets), then every feature combination",
        run: |_| release::docs_rs(),
    },
    Command {
        name: "publish",
        flags: &[],
        help: "cargo publish --dry-run of every library crate in dependency order (no upload)",
        run: |_| release::publish_dry_run(),
    },
    Command {
        name: "template",
        flags: &[],
        help: "build examples/downstream (the template external crate) for Linux and\n\
               x86_64-unknown-none; no test-only dependency in its lockfile",
        run: |_| release::downstream(),
    },
    Command {
        name: "semver",
        flags: &[],
        help: "cargo semver-checks against each crate's last release (none yet: says so)",
        run: |_| release::semver(),
    },
    Command {
        name: "fuzz",
        flags: &[Flag::Secs],
        help: "cargo-fuzz targets, nightly, N seconds each (default 30)",
        run: |o| fuzz::run(o.secs.unwrap_or(fuzz::SECS)),
    },
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map(String::as_str).unwrap_or("help");
    let result = match COMMANDS.iter().find(|c| c.name == name) {
        Some(c) => cli::parse(&args[1..], c.flags).and_then(|o| (c.run)(&o)),
        None if matches!(name, "help" | "-h" | "--help") => {
            print_help();
            Ok(())
        }
        None => Err(format!("unknown command `{name}` (try `cargo xtask help`)")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    println!("cargo xtask <command>\n");
    for c in COMMANDS {
        let flags: Vec<String> = c.flags.iter().map(|f| f.usage()).collect();
        let mut first = c.name.to_string();
        for line in flags.join(" ").lines().chain(c.help.lines()) {
            println!("{first:<8} {line}");
            first.clear();
        }
    }
}

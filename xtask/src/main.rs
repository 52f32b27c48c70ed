// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask`: the workspace's automation (the cargo-xtask pattern).
//!
//! Commands: `test` (everything CI runs), `layout` (the layout proof of
//! `xen-abi` against Xen's C headers), `setup` (install what the rest needs),
//! `demo`, `guest`, `dom0`, `bench`, `fuzz` (as their issues land).

// A host tool: std is the point, and the step tables read best inline.
#![allow(clippy::std_instead_of_core, clippy::type_complexity)]

mod asm;
mod bench;
mod dom0;
mod fuzz;
mod guest;
mod layout;
mod setup;
mod util;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    let result = match cmd {
        "test" => cmd_test(rest),
        "layout" => layout::run(rest),
        "asm" => asm::run(rest),
        "setup" => setup::run(rest),
        "demo" => setup::ensure().and_then(|()| dom0::demo()),
        "guest" => guest::run(rest),
        "dom0" => dom0::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "help" | "-h" | "--help" => {
            print_help();
            Ok(())
        }
        other => Err(format!(
            "unknown command `{other}` (try `cargo xtask help`)"
        )),
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
    println!(
        "cargo xtask <command>\n\n\
         test     set up (apt/rustup when root), then fmt, clippy, docs, unit tests,\n\
         \x20        layout proof and no_std builds: everything CI runs\n\
         layout   prove xen-abi's layouts and constants against /usr/include/xen\n\
         \x20        (x86_64 and aarch64, bindgen + clang); `--keep` keeps generated files\n\
         setup    install what the other commands need (root), else print the commands\n\
         demo     set up, then Xen 4.17 + Linux dom0 in QEMU: xl creates our Rust domU, live\n\
         guest    boot the PV and PVH test kernels on Xen 4.17 and 4.20 (`--xen`, `--mode`)\n\
         dom0     Linux dom0 on Xen 4.17/4.20, our tests in it (`--xen`, `--xenstored`, `--live`)\n\
         bench    ring vs ring.h, xenstore vs libxenstore in dom0 (`--rounds N`, `--only ring|xenstore`)\n\
         fuzz     cargo-fuzz targets, nightly (`--secs N` per target)"
    );
}

/// One `cargo` invocation of the test command.
struct Step {
    name: &'static str,
    /// Relative to the workspace root.
    dir: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const KERNELS: &str = "examples/xen-test-kernel";

/// The cargo steps of `cargo xtask test`, in order.
const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        dir: ".",
        args: &["fmt", "--all", "--check"],
        env: &[],
    },
    Step {
        name: "fmt (test kernels)",
        dir: KERNELS,
        args: &["fmt", "--check"],
        env: &[],
    },
    Step {
        name: "clippy",
        dir: ".",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        name: "clippy (test kernels)",
        dir: KERNELS,
        args: &["clippy", "--release", "--", "-D", "warnings"],
        env: &[],
    },
    Step {
        name: "doc",
        dir: ".",
        args: &["doc", "--workspace", "--no-deps", "--all-features"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
    Step {
        name: "test",
        dir: ".",
        args: &["test", "--workspace", "--all-features"],
        env: &[],
    },
    Step {
        name: "loom (ring notify protocol)",
        dir: ".",
        args: &["test", "-p", "xen-abi", "--release", "--test", "loom"],
        env: &[
            ("RUSTFLAGS", "--cfg loom"),
            // Its own target dir: other RUSTFLAGS would rebuild everything.
            ("CARGO_TARGET_DIR", "target/loom"),
        ],
    },
    Step {
        name: "no_std x86_64",
        dir: ".",
        args: &[
            "build",
            "-p",
            "xen-abi",
            "-p",
            "xen-hypercall",
            "--target",
            "x86_64-unknown-none",
        ],
        env: &[],
    },
    Step {
        name: "no_std aarch64",
        dir: ".",
        args: &[
            "build",
            "-p",
            "xen-abi",
            "-p",
            "xen-hypercall",
            "--target",
            "aarch64-unknown-none",
        ],
        env: &[],
    },
    Step {
        name: "no_std + alloc xen-store (both targets)",
        dir: ".",
        args: &[
            "build",
            "-p",
            "xen-store",
            "--no-default-features",
            "--target",
            "x86_64-unknown-none",
            "--target",
            "aarch64-unknown-none",
        ],
        env: &[],
    },
];

/// Everything CI runs, in order; stops at the first failing step.
fn cmd_test(_args: &[String]) -> Result<(), String> {
    let root = util::workspace_root();
    let start = std::time::Instant::now();
    setup::ensure()?;
    for step in STEPS {
        util::step(step.name);
        util::cargo(&root.join(step.dir), step.args, step.env)?;
    }
    util::step(&format!("msrv (Rust {})", setup::MSRV));
    util::run(
        std::process::Command::new("rustup")
            .args(["run", setup::MSRV, "cargo", "build", "--quiet"])
            .args(["-p", "xen-abi", "-p", "xen-hypercall", "-p", "xen-store"])
            .arg("--all-features")
            .env("CARGO_TARGET_DIR", root.join("target/msrv"))
            .current_dir(&root),
    )?;
    util::step("layout");
    layout::run(&[])?;
    util::step("asm (wrappers compile to the bare hypercall)");
    asm::run(&[])?;
    util::step("guest (real Xen 4.17 and 4.20 under QEMU)");
    guest::run(&["--xen".into(), "all".into()])?;
    util::step("dom0 (Linux dom0 on Xen 4.17 and 4.20 under QEMU, C xenstored and oxenstored, an xl-created domU)");
    dom0::run(&["--xen".into(), "all".into()])?;
    println!(
        "\nxtask test: all steps passed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

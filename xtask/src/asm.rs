// SPDX-License-Identifier: MIT OR Apache-2.0
//! Shows that a typed hypercall wrapper compiles down to the bare call, and
//! ([`ring`]) what the ring back end does per request next to C's.
//!
//! A throw-away crate (generated under `<target dir>/xtask-asm`) defines two
//! functions per architecture: `xenrs_probe_wrapper` calls
//! `xen_hypercall::event_channel::send` through the in-guest backend, and
//! `xenrs_probe_by_hand` issues the same hypercall with hand-written inline
//! assembly. Both are compiled in release mode for the bare-metal targets and
//! disassembled with llvm-objdump. The check fails unless the wrapper makes
//! exactly the one hypercall and no other call, and is no longer than the
//! hand-written version.

mod ring;

use std::path::Path;
use std::process::Command;

use crate::xen::Arch;
use crate::{cargo, process, workspace};

const PROBE: &str = r#"
#![no_std]
use xen_abi::event_channel::EvtchnPort;

#[cfg(target_arch = "x86_64")]
const PAGE: usize = 0xffff_ffff_8000_1000;

#[cfg(target_arch = "x86_64")]
fn backend() -> xen_hypercall::arch::x86_64::HypercallPage {
    // SAFETY: this code is disassembled, never run.
    unsafe { xen_hypercall::arch::x86_64::HypercallPage::new(PAGE as *const u8) }
}

#[cfg(target_arch = "aarch64")]
fn backend() -> xen_hypercall::arch::aarch64::Hvc {
    xen_hypercall::arch::aarch64::Hvc
}

#[no_mangle]
pub extern "C" fn xenrs_probe_wrapper(port: u32) -> i32 {
    match xen_hypercall::event_channel::send(&backend(), EvtchnPort::new_unchecked(port)) {
        Ok(()) => 0,
        Err(e) => e.get(),
    }
}

#[no_mangle]
pub extern "C" fn xenrs_probe_by_hand(port: u32) -> i32 {
    let mut arg = port; // struct evtchn_send { evtchn_port_t port; }
    let ret: isize;
    // SAFETY: disassembled, never run. HYPERVISOR_event_channel_op (32),
    // EVTCHNOP_send (4), &arg.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        core::arch::asm!(
            "call {entry}",
            entry = in(reg) PAGE + 32 * 32,
            inlateout("rdi") 4u64 => _,
            inlateout("rsi") &mut arg as *mut u32 as u64 => _,
            lateout("rdx") _, lateout("r10") _, lateout("r8") _,
            lateout("rax") ret, lateout("rcx") _, lateout("r11") _,
        );
    }
    #[cfg(target_arch = "aarch64")]
    unsafe {
        let r: u64;
        core::arch::asm!(
            "hvc #0xEA1",
            in("x16") 32u64,
            inlateout("x0") 4u64 => r,
            inlateout("x1") &mut arg as *mut u32 as u64 => _,
            lateout("x2") _, lateout("x3") _, lateout("x4") _,
            options(nostack),
        );
        ret = r as isize;
    }
    if (-4095..0).contains(&ret) { -ret as i32 } else { 0 }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
"#;

/// The instructions of `symbol` in llvm-objdump's output (addresses
/// dropped).
fn instructions(listing: &str, symbol: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for l in listing.lines() {
        if l.ends_with(&format!("<{symbol}>:")) {
            inside = true;
            continue;
        }
        if inside {
            if l.trim().is_empty() {
                break;
            }
            // Drop the address, and llvm-objdump's x86 comments
            // (`# imm = ...`), not Arm's `#imm` operands.
            let insn = l.split_once(':').map_or(l, |(_, i)| i);
            let insn = insn.split(" # ").next().unwrap_or_default();
            let insn = insn.split("\t# ").next().unwrap_or_default();
            let insn = insn.split_whitespace().collect::<Vec<_>>().join(" ");
            if !insn.is_empty() {
                out.push(insn);
            }
        }
    }
    out
}

/// The disassembly of object file `obj` (llvm-objdump, with addresses).
fn listing(obj: &Path) -> Result<String, String> {
    process::output(
        Command::new("llvm-objdump")
            .args(["-d", "--no-show-raw-insn"])
            .arg(obj),
    )
}

/// Compiles the probe crate for `target`; returns its listing.
fn probe(root: &Path, target: &str) -> Result<String, String> {
    let dir = workspace::scratch("xtask-asm")?.join("probe");
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"xenrs-asm-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [lib]\npath = \"src/lib.rs\"\n\n[dependencies]\nxen-abi = {{ path = \"{0}/xen-abi\" }}\n\
         xen-hypercall = {{ path = \"{0}/xen-hypercall\" }}\n\n\
         [profile.release]\npanic = \"abort\"\nopt-level = 3\n\n[workspace]\n",
        root.display()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("src/lib.rs"),
        format!("{PROBE}{}", ring::RUST_PROBE),
    )
    .map_err(|e| e.to_string())?;
    if let Ok(lock) = std::fs::read_to_string(root.join("Cargo.lock")) {
        std::fs::write(dir.join("Cargo.lock"), lock).map_err(|e| e.to_string())?;
    }
    let tdir = workspace::scratch("xtask-asm")?.join("target");
    process::run(
        Command::new(cargo::bin())
            .args([
                "rustc",
                "--quiet",
                "--offline",
                "--release",
                "--lib",
                "--target",
                target,
            ])
            // No unrolling: one loop iteration is one request, as gcc -O2
            // compiles the C side (see `ring`).
            .args(["--", "--emit=obj", "-C", "codegen-units=1"])
            .args(["-C", "llvm-args=-unroll-threshold=0"])
            .env("CARGO_TARGET_DIR", &tdir)
            .current_dir(&dir),
    )?;
    let deps = tdir.join(target).join("release/deps");
    let obj = std::fs::read_dir(&deps)
        .map_err(|e| format!("{}: {e}", deps.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "o")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("xenrs_asm_probe"))
        })
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .ok_or("no probe object file")?;
    listing(&obj)
}

/// `cargo xtask asm`.
pub(crate) fn run() -> Result<(), String> {
    let root = workspace::root();
    let mut ok = true;
    for arch in Arch::ALL {
        let target = arch.bare_target();
        let call = match arch {
            Arch::X86_64 => "call",
            Arch::Aarch64 => "hvc",
        };
        let listing = probe(&root, target)?;
        let wrapper = instructions(&listing, "xenrs_probe_wrapper");
        let hand = instructions(&listing, "xenrs_probe_by_hand");
        println!("{target}: event_channel::send            | hand-written EVTCHNOP_send");
        for i in 0..wrapper.len().max(hand.len()) {
            let w = wrapper.get(i).map(String::as_str).unwrap_or("");
            let h = hand.get(i).map(String::as_str).unwrap_or("");
            println!("  {w:<36} | {h}");
        }
        let calls = |v: &[String]| {
            v.iter()
                .filter(|i| i.starts_with("call") || i.starts_with("bl ") || i.starts_with("hvc"))
                .count()
        };
        let hypercalls = wrapper.iter().filter(|i| i.starts_with(call)).count();
        let verdict = !wrapper.is_empty()
            && !hand.is_empty()
            && hypercalls == 1
            && calls(&wrapper) == 1
            && wrapper.len() <= hand.len();
        println!(
            "asm {target}: wrapper {} instructions, hand-written {}, {} call(s) in the wrapper, identical: {}: {}",
            wrapper.len(),
            hand.len(),
            calls(&wrapper),
            if wrapper == hand { "yes" } else { "no" },
            if verdict {
                "bare call"
            } else {
                "NOT a bare call"
            }
        );
        ok &= verdict;
        if arch == Arch::X86_64 && !ring::compare(&listing)? {
            return Err("the ring back end touches memory more often than ring.h's".into());
        }
    }
    if ok {
        Ok(())
    } else {
        Err("a hypercall wrapper does more than the bare call".into())
    }
}

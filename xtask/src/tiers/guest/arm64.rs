// SPDX-License-Identifier: MIT OR Apache-2.0
//! The arm64 half of the guest tier: the arm64 test kernel
//! (`xen-test-kernel-arm64`, a PIE ELF turned into a raw image with the
//! Linux arm64 Image header) boots as dom0 on Xen 4.17 and 4.20 for arm64
//! (Debian's `xen-hypervisor-<ver>-arm64`, fetched and unpacked) in
//! `qemu-system-aarch64 -machine virt,virtualization=true,gic-version=3`
//! under TCG, with a device tree made from QEMU's own.
//!
//! The machine ends with QEMU status 0 whether dom0 powered off or crashed
//! (Xen then reboots, which `-no-reboot` turns into an exit): the console
//! decides, and a crash or fault reported by Xen fails the case.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::kernels::{self, Kernels};
use crate::qemu::{Machine, Run};
use crate::report::{kernel, Outcome, Report};
use crate::xen::{Arch, XenVersion};
use crate::{process, workspace};

/// Boots the arm64 kernel on every Xen of `xen`:
/// `guest xen-<ver> arm64: P passed, F failed`.
pub(crate) fn run(xen: &[XenVersion], report: &mut Report) -> Result<(), String> {
    let arch = Arch::Aarch64;
    let kernels = Kernels::build(arch)?;
    let image = image(&kernels.path(kernels::ARM64))?;
    let scratch = workspace::scratch("guest-arm64")?;
    for (i, &ver) in xen.iter().enumerate() {
        let hypervisor = ver.hypervisor(arch)?;
        let label = format!("guest xen-{} arm64", ver.as_str());
        let dtb = scratch.join(format!("xen-{}.dtb", ver.as_str()));
        report.case(&label, || {
            let run = boot(&hypervisor, &image, &dtb, "")?;
            Ok((judge(&run), run.text()))
        })?;
        // Once: the kernel faults on purpose; the run must fail, with the
        // fault on the console.
        if i == 0 {
            report.case(&format!("{label} fault"), || {
                let run = boot(&hypervisor, &image, &dtb, FAULT)?;
                Ok((judge_fault(&judge(&run), &run.text()), run.text()))
            })?;
        }
    }
    Ok(())
}

/// dom0's command line that makes the kernel fault mid-run.
const FAULT: &str = "xenrs.fault=abort";

/// Boots `image` as dom0 with command line `cmdline`; the console.
fn boot(hypervisor: &Path, image: &Path, dtb: &Path, cmdline: &str) -> Result<Run, String> {
    Machine::new(Arch::Aarch64, hypervisor)
        .memory_mib(1024)
        .xen_args("dom0_mem=128M dom0_max_vcpus=1 loglvl=all guest_loglvl=all")
        .module(image, cmdline)
        .timeout(Duration::from_secs(60))
        // Xen waits 5 s (much longer under TCG) before it reboots.
        .stop_at("Dom0 crashed")
        .with_xen_dtb(dtb)?
        .run()
}

/// The kernel protocol's verdict plus Xen's (QEMU's status says 0 for every
/// ending, so the console decides).
fn judge(run: &Run) -> Outcome {
    let lines = run.text();
    let mut o = kernel::judge_ending(&lines, run.exit, run.timed_out, 0);
    xen_verdict(&lines, &mut o);
    o
}

/// The fault-injection run passes (one check) when the kernel's verdict is
/// a failure that names the exception and Xen saw dom0 crash.
fn judge_fault(o: &Outcome, lines: &[String]) -> Outcome {
    let reported = lines
        .iter()
        .any(|l| l.starts_with("PANIC: synchronous exception") && l.contains("ESR_EL1"));
    let crashed = o.problems.iter().any(|p| p.contains("Dom0 crashed"));
    let mut v = Outcome::default();
    if !o.ok() && reported && crashed {
        v.passed = 1;
    } else {
        v.failed = 1;
        v.failures.push(format!(
            "an injected data abort was not caught: kernel verdict ok={}, exception reported {reported}, Xen saw the crash {crashed}",
            o.ok()
        ));
    }
    v
}

/// What Xen itself says about dom0: a crash (the kernel's fault handler
/// crashes the domain) or a refused image fails the run.
fn xen_verdict(lines: &[String], o: &mut Outcome) {
    for l in lines {
        if l.contains("(XEN)")
            && (l.contains("Dom0 crashed")
                || l.contains("Domain 0 crashed")
                || l.contains("Could not set up DOM0")
                || l.contains("Panic on CPU"))
        {
            o.problems.push(format!("Xen: {}", l.trim()));
        }
    }
}

/// The raw image Xen loads: the ELF's loadable bytes from address 0, its
/// .bss written out as zeros, so that the file is the header's
/// `image_size`; checked against the header.
fn image(elf: &Path) -> Result<PathBuf, String> {
    let out = elf.with_extension("img");
    process::run(
        Command::new("llvm-objcopy")
            .args([
                "-O",
                "binary",
                "--set-section-flags",
                ".data=alloc,load,contents",
            ])
            .arg(elf)
            .arg(&out),
    )?;
    let bytes = std::fs::read(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    check_header(&bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(out)
}

/// Checks the Linux arm64 Image header (booting.rst): the magic at 0x38, a
/// 4 KiB-page little-endian image, `image_size` the file's length.
fn check_header(b: &[u8]) -> Result<(), String> {
    let u64_at = |o: usize| {
        b.get(o..o + 8)
            .map(|s| u64::from_le_bytes(s.try_into().unwrap_or_default()))
    };
    if b.get(0x38..0x3c) != Some(b"ARM\x64") {
        return Err("no arm64 Image magic at 0x38".into());
    }
    let size = u64_at(0x10).unwrap_or(0);
    if size != b.len() as u64 {
        return Err(format!(
            "image_size {size:#x} is not the file's length {:#x}",
            b.len()
        ));
    }
    if u64_at(0x18).unwrap_or(0) & 0xf != 0xa {
        return Err("flags are not little-endian, 4 KiB pages, anywhere".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(size: u64) -> Vec<u8> {
        let mut b = vec![0u8; size as usize];
        b[0x10..0x18].copy_from_slice(&size.to_le_bytes());
        b[0x18] = 0xa;
        b[0x38..0x3c].copy_from_slice(b"ARM\x64");
        b
    }

    #[test]
    fn the_image_header_is_checked() {
        assert!(check_header(&header(0x1000)).is_ok());
        let mut short = header(0x1000);
        short.truncate(0x800);
        assert!(check_header(&short).is_err());
        let mut bad = header(0x1000);
        bad[0x38] = b'X';
        assert!(check_header(&bad).is_err());
        assert!(check_header(&[0; 8]).is_err());
    }

    #[test]
    fn xen_reporting_a_dom0_crash_fails_the_run() {
        let mut o = Outcome::default();
        xen_verdict(
            &["(XEN) Hardware Dom0 crashed: rebooting machine in 5 seconds.".into()],
            &mut o,
        );
        assert!(!o.ok());
    }
}

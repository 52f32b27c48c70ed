// SPDX-License-Identifier: MIT OR Apache-2.0
//! The guest tier: our no_std test kernels boot as dom0 on each Xen version
//! under QEMU TCG and print their numbered checks on the console; the kernel
//! protocol's judge counts them against the plan. x86_64: the PV and PVH
//! kernels; aarch64: the arm64 kernel ([`arm64`]).

mod arm64;

use std::path::Path;

use crate::kernels::{self, Kernels};
use crate::qemu::Machine;
use crate::report::{kernel, Report};
use crate::xen::{Arch, Mode, XenVersion};

/// Boots, for every architecture of `arches`, its kernels on every Xen of
/// `xen` (on x86_64 each of `modes`): `guest xen-<ver> <mode>: P passed, F
/// failed`, `guest xen-<ver> arm64: ...`.
pub(crate) fn run(xen: &[XenVersion], arches: &[Arch], modes: &[Mode]) -> Result<(), String> {
    let mut report = Report::new("guest");
    for &arch in arches {
        match arch {
            Arch::X86_64 => run_x86(xen, modes, &mut report)?,
            Arch::Aarch64 => arm64::run(xen, &mut report)?,
        }
    }
    report.finish()
}

/// The x86_64 PV and PVH kernels.
fn run_x86(xen: &[XenVersion], modes: &[Mode], report: &mut Report) -> Result<(), String> {
    let arch = Arch::X86_64;
    let kernels = Kernels::build(arch)?;
    for &ver in xen {
        let hypervisor = ver.hypervisor(arch)?;
        for &mode in modes {
            let label = format!("guest xen-{} {}", ver.as_str(), mode.name());
            report.case(&label, || {
                let run = machine(&hypervisor, mode, &kernels).run()?;
                Ok((
                    kernel::judge(&run.lines, run.exit, run.timed_out),
                    run.text(),
                ))
            })?;
        }
    }
    Ok(())
}

/// The machine a test kernel boots in as dom0.
fn machine(xen: &Path, mode: Mode, kernels: &Kernels) -> Machine {
    let (cpu, kernel, dom0) = match mode {
        Mode::Pv => ("max", kernels::PV, ""),
        // PVH dom0 under TCG needs nested paging (Debian's Xen has no
        // shadow paging) and no IOMMU.
        Mode::Pvh => (
            "qemu64,+svm,+npt",
            kernels::PVH,
            " dom0=pvh dom0-iommu=none",
        ),
    };
    Machine::new(Arch::X86_64, xen)
        .cpu(cpu)
        .xen_args(&format!(
            "loglvl=all guest_loglvl=all dom0_mem=64M dom0_max_vcpus=1{dom0}"
        ))
        .module(&kernels.path(kernel), "")
        .debug_exit()
}

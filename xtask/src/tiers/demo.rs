// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask demo`: the vchan scenario, live. Xen 4.17 boots in QEMU
//! with Debian's Linux as dom0 and the real xenstored; `xl` creates our
//! no_std Rust PV domU (`xen-test-kernel-vchan-domu`), which serves and
//! connects vchans (shared ring pages granted to the other domain, an event
//! channel, the nodes in xenstore) with `xen_vchan::guest`; in dom0, Xen's
//! own C `vchan-socket-proxy` (libxenvchan) and our `xen_vchan::linux` talk
//! to it. The scenario (`examples/xen-vchan/tests/e2e.rs`) narrates each
//! step and checks what comes back; the demo shows its lines as they come
//! and ends with `dom0 e2e xen-4.17: P passed, F failed`.

use crate::kernels::Kernels;
use crate::linux_dom0::{self, Dom0, Scenario};
use crate::report::{checks, libtest};
use crate::tiers::dom0::{E2E_ARGS, MIN_E2E_CHECKS};
use crate::xen::{Arch, XenVersion, Xenstored};
use crate::{dom0_tests, process};

/// The Xen the demo boots.
const XEN: XenVersion = XenVersion::V4_17;

/// The package of the scenario.
const PACKAGE: &str = "xen-vchan";

/// Runs the demo.
pub(crate) fn run() -> Result<(), String> {
    process::step("build the dom0 side (xen-vchan's scenario and tool) and the Rust domU kernel");
    let mut tests = dom0_tests::build(&[PACKAGE])?;
    let e2e = dom0_tests::take_e2e(&mut tests.binaries)?;
    let kernels = Kernels::build(Arch::X86_64)?;
    let mut payload = format!(
        "echo {}\n\
         echo 'demo: dom0 is up: Linux, xenstored (the registry both domains meet in),'\n\
         echo 'demo: xenconsoled (keeps the domU console). Now the vchan scenario:'\n\
         echo 'demo: the lines \"vchan:\" say what happens; the numbered ok lines are its checks.'\n{}",
        libtest::BEGIN,
        dom0_tests::environment(&tests.programs)
    );
    payload.push_str(&libtest::run_lines(
        &e2e.name,
        &e2e.in_dom0().to_string_lossy(),
        E2E_ARGS,
    ));
    payload.push_str(&format!(
        "echo 'demo: the Rust domU console, as xenconsoled logged it:'\n\
         cat /var/log/xen/console/guest-*.log\n\
         echo {}\n",
        libtest::END
    ));
    let mut programs = vec![(e2e.path.clone(), e2e.in_dom0())];
    programs.extend(tests.programs.iter().map(|p| (p.clone(), p.clone())));
    programs.extend(dom0_tests::domu_kernels(&kernels));
    let dom0 = Dom0::build(&Scenario {
        name: "dom0-demo",
        xen: &[XEN],
        programs: &programs,
        payload: &payload,
    })?;
    let xen = XEN.as_str();
    println!(
        "demo: booting Xen {xen} in qemu-system-x86_64 (TCG) with Debian's Linux {} as dom0",
        dom0.kernel_version()
    );
    let run = dom0.boot(XEN, Xenstored::C, true)?;
    let lines = run.text();
    let o = checks::judge(&lines, MIN_E2E_CHECKS, run.timed_out);
    let exited = lines
        .iter()
        .any(|l| l.contains(&format!("XENRS-DOM0-EXIT {} 0", e2e.name)));
    println!(
        "\ndom0 e2e xen-{xen}: {} passed, {} failed",
        o.passed, o.failed
    );
    let mut problems = o.problems;
    problems.extend(linux_dom0::setup_problems(&lines));
    if !exited {
        problems.push(format!("{} did not exit 0", e2e.name));
    }
    for f in &o.failures {
        println!("    FAILED: {f}");
    }
    for p in &problems {
        println!("    problem: {p}");
    }
    if o.failed == 0 && problems.is_empty() {
        Ok(())
    } else {
        Err("the vchan demo did not pass".into())
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The dom0 tier: Debian's Linux boots as dom0 on each Xen version with
//! each xenstored and runs every dom0 test binary of the workspace with
//! `--include-ignored --test-threads=1`; one test creates a PV domU with
//! `xl`. Judged by the libtest protocol, plus: every setup step succeeded,
//! the chosen xenstored started, at least [`MIN_TESTS`] passed.
//!
//! The boots with the C xenstored also run the vchan scenario
//! (`examples/xen-vchan/tests/e2e.rs`: a Rust domU against libxenvchan's
//! `vchan-socket-proxy` and our dom0 side), whose numbered checks make one
//! more line, `dom0 e2e xen-<ver>: P passed, F failed` (at least
//! [`MIN_E2E_CHECKS`]).

use std::time::Instant;

use crate::dom0_tests;
use crate::kernels::Kernels;
use crate::linux_dom0::{self, Dom0, Scenario};
use crate::report::{checks, libtest, Report};
use crate::xen::{Arch, XenVersion, Xenstored};

/// The fewest passing tests a run may report per boot.
const MIN_TESTS: u32 = 15;

/// The fewest checks the vchan scenario may report.
pub(crate) const MIN_E2E_CHECKS: u32 = 10;

/// How the vchan scenario's test runs: live output (its checks and its
/// narration are lines of the console).
pub(crate) const E2E_ARGS: &str = "--include-ignored --test-threads=1 --nocapture";

/// One boot per Xen version and xenstored:
/// `dom0 xen-<ver>[ oxenstored]: P passed, F failed`.
pub(crate) fn run(xen: &[XenVersion], xenstoreds: &[Xenstored], live: bool) -> Result<(), String> {
    let t = Instant::now();
    let mut tests = dom0_tests::build(&dom0_tests::packages()?)?;
    let e2e = dom0_tests::take_e2e(&mut tests.binaries)?;
    let kernels = Kernels::build(Arch::X86_64)?;
    let mut programs: Vec<_> = tests
        .binaries
        .iter()
        .chain([&e2e])
        .map(|b| (b.path.clone(), b.in_dom0()))
        .chain(tests.programs.iter().map(|p| (p.clone(), p.clone())))
        .collect();
    programs.extend(dom0_tests::domu_kernels(&kernels));
    let dom0 = Dom0::build(&Scenario {
        name: "dom0",
        xen,
        programs: &programs,
        payload: &payload(&tests.binaries, &tests.programs, &e2e),
    })?;
    println!(
        "dom0: Linux {}, {} test binaries ({} tests), initramfs {} MiB, prepared in {:.1} s",
        dom0.kernel_version(),
        tests.binaries.len(),
        tests.binaries.iter().map(|b| b.tests).sum::<u32>(),
        dom0.image_mib(),
        t.elapsed().as_secs_f64()
    );
    let mut report = Report::new("dom0");
    for &ver in xen {
        for &xenstored in xenstoreds {
            let label = format!("dom0 xen-{}{}", ver.as_str(), xenstored.label());
            let with_e2e = xenstored == Xenstored::C;
            let mut expected: Vec<_> = tests.binaries.iter().map(|b| b.expected()).collect();
            if with_e2e {
                expected.push(e2e.expected());
            }
            let mut e2e_run = None;
            report.case(&label, || {
                let run = dom0.boot(ver, xenstored, live)?;
                let console = run.text();
                if with_e2e {
                    e2e_run = Some((console.clone(), run.timed_out));
                }
                let mut o = libtest::judge(&console, &expected, run.timed_out);
                o.problems.extend(linux_dom0::setup_problems(&console));
                if !linux_dom0::started(&console, xenstored) {
                    o.problems
                        .push(format!("{} did not start", xenstored.daemon()));
                }
                if o.passed < MIN_TESTS {
                    o.problems.push(format!(
                        "only {} tests passed; the tier needs at least {MIN_TESTS}",
                        o.passed
                    ));
                }
                Ok((o, console))
            })?;
            if let Some((console, timed_out)) = e2e_run {
                let label = format!("dom0 e2e xen-{}", ver.as_str());
                report.case(&label, || {
                    let o = checks::judge(&console, MIN_E2E_CHECKS, timed_out);
                    Ok((o, console))
                })?;
            }
        }
    }
    report.finish()
}

/// Runs every test binary, and the vchan scenario with the C xenstored,
/// then shows the domUs' own consoles if any ran (for a failure's context).
fn payload(
    bins: &[dom0_tests::TestBinary],
    programs: &[std::path::PathBuf],
    e2e: &dom0_tests::TestBinary,
) -> String {
    let mut s = format!(
        "echo {}\n{}",
        libtest::BEGIN,
        dom0_tests::environment(programs)
    );
    for b in bins {
        s.push_str(&libtest::run_lines(
            &b.name,
            &b.in_dom0().to_string_lossy(),
            "--include-ignored --test-threads=1 --show-output",
        ));
    }
    s.push_str("if [ \"$XENRS_XENSTORED\" = xenstored ]; then\n");
    s.push_str(&libtest::run_lines(
        &e2e.name,
        &e2e.in_dom0().to_string_lossy(),
        E2E_ARGS,
    ));
    s.push_str("fi\n");
    s.push_str(
        "for f in /var/log/xen/console/guest-*.log; do [ -e \"$f\" ] && echo \"== $f\" && cat \"$f\"; done\n",
    );
    s.push_str(&format!("echo {}\n", libtest::END));
    s
}

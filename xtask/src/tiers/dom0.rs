// SPDX-License-Identifier: MIT OR Apache-2.0
//! The dom0 tier: Debian's Linux boots as dom0 on each Xen version with
//! each xenstored and runs every dom0 test binary of the workspace with
//! `--include-ignored --test-threads=1`; one test creates a PV domU with
//! `xl`. Judged by the libtest protocol, plus: every setup step succeeded,
//! the chosen xenstored started, at least [`MIN_TESTS`] passed.

use std::time::Instant;

use crate::dom0_tests;
use crate::kernels::Kernels;
use crate::linux_dom0::{self, Dom0, Scenario};
use crate::report::{libtest, Report};
use crate::xen::{Arch, XenVersion, Xenstored};

/// The fewest passing tests a run may report per boot.
const MIN_TESTS: u32 = 15;

/// One boot per Xen version and xenstored:
/// `dom0 xen-<ver>[ oxenstored]: P passed, F failed`.
pub(crate) fn run(xen: &[XenVersion], xenstoreds: &[Xenstored], live: bool) -> Result<(), String> {
    let t = Instant::now();
    let tests = dom0_tests::build(&dom0_tests::packages()?)?;
    let kernels = Kernels::build(Arch::X86_64)?;
    let mut programs: Vec<_> = tests
        .binaries
        .iter()
        .map(|b| (b.path.clone(), b.in_dom0()))
        .chain(tests.programs.iter().map(|p| (p.clone(), p.clone())))
        .collect();
    programs.push(dom0_tests::domu_kernel(&kernels));
    let dom0 = Dom0::build(&Scenario {
        name: "dom0",
        xen,
        programs: &programs,
        payload: &payload(&tests.binaries),
    })?;
    println!(
        "dom0: Linux {}, {} test binaries ({} tests), initramfs {} MiB, prepared in {:.1} s",
        dom0.kernel_version(),
        tests.binaries.len(),
        tests.binaries.iter().map(|b| b.tests).sum::<u32>(),
        dom0.image_mib(),
        t.elapsed().as_secs_f64()
    );
    let expected: Vec<_> = tests.binaries.iter().map(|b| b.expected()).collect();
    let mut report = Report::new("dom0");
    for &ver in xen {
        for &xenstored in xenstoreds {
            let label = format!("dom0 xen-{}{}", ver.as_str(), xenstored.label());
            report.case(&label, || {
                let run = dom0.boot(ver, xenstored, live)?;
                let console = run.text();
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
        }
    }
    report.finish()
}

/// Runs every test binary, then shows the domU's own console if one ran
/// (for a failure's context).
fn payload(bins: &[dom0_tests::TestBinary]) -> String {
    let mut s = format!("echo {}\n{}", libtest::BEGIN, dom0_tests::environment());
    for b in bins {
        s.push_str(&libtest::run_lines(
            &b.name,
            &b.in_dom0().to_string_lossy(),
            "--include-ignored --test-threads=1 --show-output",
        ));
    }
    s.push_str(
        "for f in /var/log/xen/console/guest-*.log; do [ -e \"$f\" ] && echo \"== $f\" && cat \"$f\"; done\n",
    );
    s.push_str(&format!("echo {}\n", libtest::END));
    s
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask demo`: Xen 4.17 in QEMU with Debian's Linux as dom0 and the
//! real xenstored; `xl` creates our no_std Rust PV domU, which checks over
//! its xenstore ring (xen-store's ring client) what xenstored lets an
//! unprivileged domain do, reports back through xenstore, then exchanges
//! events with dom0 over an interdomain channel (xen-evtchn) and shares
//! pages with it both ways, transitively too (xen-grant). Live.

use crate::kernels::Kernels;
use crate::linux_dom0::{Dom0, Scenario};
use crate::report::{kernel, libtest};
use crate::xen::{Arch, XenVersion, Xenstored};
use crate::{dom0_tests, process};

/// The Xen the demo boots.
const XEN: XenVersion = XenVersion::V4_17;

/// The package and dom0 test that create the xenstore domU.
const PACKAGE: &str = "xen-store";
const DOMU_TEST: &str = "xen-store-dom0_domu";

/// Runs the demo: `demo: domU xenrs-xs-domu on Xen 4.17: P passed, F failed`.
pub(crate) fn run() -> Result<(), String> {
    process::step("build the dom0 side (xen-store's dom0 tests) and the domU kernel");
    let bin = dom0_tests::build(&[PACKAGE])?
        .binaries
        .into_iter()
        .find(|b| b.name == DOMU_TEST)
        .ok_or(format!("no {DOMU_TEST} test binary"))?;
    let kernels = Kernels::build(Arch::X86_64)?;
    let mut payload = format!(
        "echo {}\n\
         echo 'demo: dom0 is up (Linux, xenstored, xenconsoled); xl creates the domU'\n{}",
        libtest::BEGIN,
        dom0_tests::environment()
    );
    payload.push_str(&libtest::run_lines(
        DOMU_TEST,
        &bin.in_dom0().to_string_lossy(),
        "--include-ignored",
    ));
    payload.push_str(&format!(
        "echo 'demo: the domU console, as xenconsoled logged it:'\n\
         cat /var/log/xen/console/guest-*.log\n\
         echo {}\n",
        libtest::END
    ));
    let dom0 = Dom0::build(&Scenario {
        name: "dom0-demo",
        xen: &[XEN],
        programs: &[
            (bin.path.clone(), bin.in_dom0()),
            dom0_tests::domu_kernel(&kernels),
        ],
        payload: &payload,
    })?;
    let xen = XEN.as_str();
    println!(
        "demo: booting Xen {xen} in qemu-system-x86_64 (TCG) with Debian's Linux {} as dom0",
        dom0.kernel_version()
    );
    let run = dom0.boot(XEN, Xenstored::C, true)?;
    let lines = run.text();
    let summary = kernel::summary(&lines);
    let exited = lines
        .iter()
        .any(|l| l.contains(&format!("XENRS-DOM0-EXIT {DOMU_TEST} 0")));
    println!(
        "\ndemo: domU xenrs-xs-domu on Xen {xen}: {}",
        summary.unwrap_or("no report")
    );
    if exited && !run.timed_out && summary.is_some_and(|s| s.ends_with(" 0 failed")) {
        Ok(())
    } else {
        Err("the demo domU did not report a clean run".into())
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The workspace's tests that need a real dom0: found, not listed. A package
//! takes part when it has an integration test named `dom0_*`; its
//! integration tests are built for Linux with all its features, counted with `--list`, and run in
//! dom0 with its binaries (tests reach those by the absolute path in
//! `CARGO_BIN_EXE_<name>`, so dom0 gets them at their host path).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::kernels::{self, Kernels};
use crate::report::libtest::Expected;
use crate::xen::Arch;
use crate::{cargo, process, workspace};

/// The prefix that marks a test as needing dom0.
const PREFIX: &str = "dom0_";

/// Where the xenstore domU kernel lies in dom0 (`XENRS_DOMU_KERNEL`).
const DOMU_KERNEL: &str = "/domu/xen-test-kernel-xs-domu";

/// Where the vchan domU kernel lies in dom0 (`XENRS_VCHAN_DOMU_KERNEL`).
const VCHAN_DOMU_KERNEL: &str = "/domu/xen-test-kernel-vchan-domu";

/// The vchan scenario's test binary (`examples/xen-vchan/tests/e2e.rs`): it
/// runs once per Xen version (with the C xenstored), and its numbered
/// checks make the `dom0 e2e` line.
pub(crate) const E2E_TEST: &str = "xen-vchan-e2e";

/// Where the test binaries lie in dom0.
const TESTS: &str = "/tests";

/// One test executable for dom0.
#[derive(Debug, Clone)]
pub(crate) struct TestBinary {
    /// `<package>-<test target>`, unique and shell-safe.
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    /// How many tests `--list` names (ignored ones included).
    pub(crate) tests: u32,
}

impl TestBinary {
    /// Where it lies in dom0.
    pub(crate) fn in_dom0(&self) -> PathBuf {
        Path::new(TESTS).join(&self.name)
    }

    /// What the judge expects of it.
    pub(crate) fn expected(&self) -> Expected {
        Expected {
            name: self.name.clone(),
            tests: self.tests,
        }
    }
}

/// The built tests and the programs they run.
#[derive(Debug)]
pub(crate) struct Dom0Tests {
    pub(crate) binaries: Vec<TestBinary>,
    /// The packages' own binaries, to go in at their host paths.
    pub(crate) programs: Vec<PathBuf>,
}

/// The packages with a `dom0_*` integration test.
pub(crate) fn packages() -> Result<Vec<&'static str>, String> {
    let found: Vec<&str> = workspace::packages()?
        .iter()
        .filter(|p| p.tests.iter().any(|t| t.starts_with(PREFIX)))
        .map(|p| p.name.as_str())
        .collect();
    if found.is_empty() {
        return Err(format!("no package has a `{PREFIX}*` integration test"));
    }
    Ok(found)
}

/// Builds and lists the integration tests of `packages`.
pub(crate) fn build(packages: &[&str]) -> Result<Dom0Tests, String> {
    let mut args = vec!["test", "--no-run", "--tests"];
    // Every feature: the async halves (`tokio`) are proven in dom0 too.
    args.extend(["--target", Arch::X86_64.linux_target(), "--all-features"]);
    for p in packages {
        args.extend(["-p", p]);
    }
    let mut tests = Dom0Tests {
        binaries: Vec::new(),
        programs: Vec::new(),
    };
    for a in cargo::executables(&workspace::root(), &args)? {
        if !packages.contains(&a.package.as_str()) {
            continue;
        }
        if !a.test {
            if a.is("bin") {
                tests.programs.push(a.executable);
            }
            continue;
        }
        if !a.is("test") {
            continue; // unit tests run on the host
        }
        let list =
            process::output(Command::new(&a.executable).args(["--list", "--format", "terse"]))?;
        tests.binaries.push(TestBinary {
            name: format!("{}-{}", a.package, a.target)
                .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"),
            tests: list.lines().filter(|l| l.ends_with(": test")).count() as u32,
            path: a.executable,
        });
    }
    if tests.binaries.is_empty() {
        return Err("cargo built no integration-test binaries".into());
    }
    Ok(tests)
}

/// The domU kernels (xenstore, vchan) and their paths in dom0.
pub(crate) fn domu_kernels(kernels: &Kernels) -> [(PathBuf, PathBuf); 2] {
    [
        (kernels.path(kernels::XS_DOMU), PathBuf::from(DOMU_KERNEL)),
        (
            kernels.path(kernels::VCHAN_DOMU),
            PathBuf::from(VCHAN_DOMU_KERNEL),
        ),
    ]
}

/// The environment the tests read in dom0, as shell lines: the domU
/// kernels, and `XENRS_BIN`, the `xenrs` command among `programs` (the
/// xenstore domU test builds its domain with it too).
pub(crate) fn environment(programs: &[PathBuf]) -> String {
    let mut env = format!(
        "export XENRS_DOMU_KERNEL={DOMU_KERNEL} XENRS_VCHAN_DOMU_KERNEL={VCHAN_DOMU_KERNEL}\n"
    );
    if let Some(xenrs) = programs
        .iter()
        .find(|p| p.file_name().is_some_and(|n| n == "xenrs"))
    {
        env.push_str(&format!("export XENRS_BIN={}\n", xenrs.display()));
    }
    env
}

/// Takes the vchan scenario's binary out of `binaries`.
pub(crate) fn take_e2e(binaries: &mut Vec<TestBinary>) -> Result<TestBinary, String> {
    let at = binaries
        .iter()
        .position(|b| b.name == E2E_TEST)
        .ok_or(format!(
            "no {E2E_TEST} test binary (examples/xen-vchan/tests/e2e.rs)"
        ))?;
    Ok(binaries.remove(at))
}

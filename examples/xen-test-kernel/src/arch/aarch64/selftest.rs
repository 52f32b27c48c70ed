// SPDX-License-Identifier: MIT OR Apache-2.0
//! The arm64 self-tests.

use xen_hypercall::arch::aarch64::Hvc;

use crate::{println, Tester};

/// Checks `run` makes.
pub const PLAN: u32 = 2;

/// Runs every check; true when all passed.
pub fn run(dtb: usize, unknown_relocations: u64) -> bool {
    println!("xen-test-kernel: booted as arm64 dom0, device tree at {dtb:#x}");
    let mut t = Tester::new(PLAN);
    t.check(
        "boot: relocations",
        unknown_relocations == 0,
        format_args!("{unknown_relocations} relocations of a type other than R_AARCH64_RELATIVE"),
    );
    let v = xen_hypercall::version::version(&Hvc);
    t.check_ok("xen_version", &v);
    t.finish()
}

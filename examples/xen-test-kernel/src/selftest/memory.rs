// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests: memory.

use xen_hypercall::Hypercall;

use super::Ctx;
use crate::Tester;

/// Checks this group makes.
pub const PLAN: u32 = 0;

/// Runs the group.
pub fn run<H: Hypercall>(_t: &mut Tester, _cx: &Ctx<'_, H>) {}

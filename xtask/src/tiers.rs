// SPDX-License-Identifier: MIT OR Apache-2.0
//! The tiers that boot real Xen, each a scenario declared over the machine
//! ([`crate::qemu`]), the Xen vocabulary ([`crate::xen`]), the dom0 image
//! ([`crate::linux_dom0`]) and the report ([`crate::report`]).

pub(crate) mod demo;
pub(crate) mod dom0;
pub(crate) mod guest;

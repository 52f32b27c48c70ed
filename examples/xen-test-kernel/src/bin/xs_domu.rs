// SPDX-License-Identifier: MIT OR Apache-2.0
//! The xenstore domU: a PV guest created by `xl` (or `xenrs create`) in a
//! Linux dom0, checking xen-store's ring client against the real xenstored
//! as an unprivileged domain (see `xen_test_kernel::domu`). Output goes to
//! the PV console ring; the report also goes into xenstore, where dom0's
//! test reads it.
#![no_std]
#![no_main]

xen_test_kernel::domu_main!("xen-test-kernel: xenstore domU", xen_test_kernel::domu::run);

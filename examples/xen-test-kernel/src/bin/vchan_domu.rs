// SPDX-License-Identifier: MIT OR Apache-2.0
//! The vchan domU: a PV guest created by `xl` in a Linux dom0 that serves
//! and connects vchans (see `xen_test_kernel::vchan_domu`). Output goes to
//! the PV console ring; each step's outcome also goes into xenstore, where
//! dom0's scenario reads it.
#![no_std]
#![no_main]

xen_test_kernel::domu_main!(
    "xen-test-kernel: vchan domU",
    xen_test_kernel::vchan_domu::run
);

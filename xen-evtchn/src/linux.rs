// SPDX-License-Identifier: MIT OR Apache-2.0
//! `/dev/xen/evtchn`: event channels of a Linux dom0 or driver-domain
//! process.

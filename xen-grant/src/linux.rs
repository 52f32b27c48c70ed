// SPDX-License-Identifier: MIT OR Apache-2.0
//! `/dev/xen/gntalloc` and `/dev/xen/gntdev`: sharing pages and mapping
//! foreign grants from a Linux dom0 or driver-domain process.

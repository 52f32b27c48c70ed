// SPDX-License-Identifier: MIT OR Apache-2.0
//! A PV guest kernel's ELF image and its Xen notes (being written).

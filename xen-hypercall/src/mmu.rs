// SPDX-License-Identifier: MIT OR Apache-2.0
//! `mmu` wrappers (being written).

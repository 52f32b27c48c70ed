// SPDX-License-Identifier: MIT OR Apache-2.0
//! `vm_assist` wrappers (being written).

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `grant_table` wrappers (being written).

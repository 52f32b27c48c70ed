// SPDX-License-Identifier: MIT OR Apache-2.0
//! `multicall` wrappers (being written).

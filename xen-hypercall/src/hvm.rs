// SPDX-License-Identifier: MIT OR Apache-2.0
//! `hvm` wrappers (being written).

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `timer` wrappers (being written).

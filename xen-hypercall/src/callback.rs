// SPDX-License-Identifier: MIT OR Apache-2.0
//! `callback` wrappers (being written).

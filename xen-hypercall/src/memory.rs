// SPDX-License-Identifier: MIT OR Apache-2.0
//! `memory` wrappers (being written).

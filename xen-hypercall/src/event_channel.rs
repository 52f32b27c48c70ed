// SPDX-License-Identifier: MIT OR Apache-2.0
//! `event_channel` wrappers (being written).

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `sched` wrappers (being written).

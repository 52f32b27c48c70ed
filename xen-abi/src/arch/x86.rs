// SPDX-License-Identifier: MIT OR Apache-2.0
//! `arch/x86`.

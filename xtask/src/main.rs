// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cargo xtask`: the workspace's automation.
fn main() {}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! In-guest backends, one module per architecture (the only place with
//! inline assembly). docs.rs documents each on its own target.

#[cfg(target_arch = "aarch64")]
pub mod aarch64;
#[cfg(target_arch = "x86_64")]
pub mod x86_64;

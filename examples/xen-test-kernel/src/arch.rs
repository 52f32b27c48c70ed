// SPDX-License-Identifier: MIT OR Apache-2.0
//! Architecture-specific kernels: the x86_64 PV and PVH kernels live in the
//! crate root and `selftest`; the arm64 kernel lives here.

#[cfg(target_arch = "aarch64")]
pub mod aarch64;

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `hvm/`: HVM parameters and HVM operations.

pub mod hvm_op;
pub mod params;

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `hvm/`: HVM parameters, HVM operations and the PVH start info.

pub mod hvm_op;
pub mod params;
pub mod start_info;

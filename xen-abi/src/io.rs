// SPDX-License-Identifier: MIT OR Apache-2.0
//! `io/`: layouts of the shared-memory protocols between domains.

pub mod blkif;
pub mod byte_ring;
pub mod console;
pub mod netif;
pub mod ring;
pub mod shm;
pub mod vchan;
pub mod xs_wire;

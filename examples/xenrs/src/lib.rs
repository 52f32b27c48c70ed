// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xenrs`: a PV domain builder and the pieces of a small toolstack, over
//! xen-hypercall's [`Toolstack`](xen_hypercall::toolstack::Toolstack),
//! its privcmd foreign mappings and xen-store.
//!
//! - [`elf`]: the guest kernel's ELF image and its Xen notes, parsed and
//!   checked before anything is created.
#![allow(clippy::std_instead_of_core)]

pub mod elf;

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xenrs`: a PV domain builder and the pieces of a small toolstack, over
//! xen-hypercall's [`Toolstack`](xen_hypercall::toolstack::Toolstack),
//! its privcmd foreign mappings and xen-store.
//!
//! - [`elf`]: the guest kernel's ELF image and its Xen notes, parsed and
//!   checked before anything is created.
//! - [`layout`]: where a 64-bit PV guest's boot pieces go, and its first
//!   page tables (arithmetic only).
//! - [`build`]: the PV domain builder, from an ELF image to a paused
//!   domain that xenstored and xenconsoled know (Linux dom0 only).
#![allow(clippy::std_instead_of_core)]

pub mod elf;
pub mod layout;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub mod build;

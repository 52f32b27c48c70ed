// SPDX-License-Identifier: MIT OR Apache-2.0
//! The layout proof: xen-abi against Xen's own C headers.
//!
//! For each architecture (x86_64, aarch64) this runs bindgen (libclang) over
//! the installed `/usr/include/xen` headers, then compares every `#[repr(C)]`
//! type of xen-abi that names a C twin (its first `doc(alias)`) for size,
//! alignment and every field offset, and every constant that names a C macro
//! or enumerator for its value. The Rust numbers are produced by compiling a
//! generated check crate for the architecture's bare-metal target; the C
//! constants are checked by clang itself (`_Static_assert`). Nothing generated
//! is kept unless `--keep` is given.

mod c_side;
mod check;
mod rust_side;

pub(crate) use check::run;

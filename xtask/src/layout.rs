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
mod versioned;

/// `cargo xtask layout [--keep]`: the main pass (every header, both
/// architectures, the machine's Xen 4.17 headers), then the versioned pass
/// (`domctl`/`sysctl` against Xen 4.17's and 4.20's headers).
pub(crate) fn run(keep: bool) -> Result<(), String> {
    let main = check::run(keep);
    let versioned = versioned::run(keep);
    main.and(versioned)
}

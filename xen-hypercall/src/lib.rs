// SPDX-License-Identifier: MIT OR Apache-2.0
//! Typed Xen hypercall wrappers over pluggable backends (guest asm, Linux privcmd).
//!
//! **Placeholder.** This crate is reserved and compiles to nothing yet; its
//! implementation lands with the xen-hypercall issue (#3). Until then, use [`xen-abi`](https://docs.rs/xen-abi)
//! for the raw types.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

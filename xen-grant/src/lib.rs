// SPDX-License-Identifier: MIT OR Apache-2.0
//! Xen grant tables: in-guest (no_std) and through Linux gntdev/gntalloc.
//!
//! **Placeholder.** This crate is reserved and compiles to nothing yet; its
//! implementation lands with a later grant-table issue. Until then, use [`xen-abi`](https://docs.rs/xen-abi)
//! for the raw types.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Xen xenstore client and wire-protocol codec (socket, xenbus device, shared ring).
//!
//! **Placeholder.** This crate is reserved and compiles to nothing yet; its
//! implementation lands with the xen-store issue (#5). Until then, use [`xen-abi`](https://docs.rs/xen-abi)
//! for the raw types.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

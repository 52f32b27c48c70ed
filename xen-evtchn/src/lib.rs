// SPDX-License-Identifier: MIT OR Apache-2.0
//! Xen event channels: in-guest (no_std) and through Linux /dev/xen/evtchn.
//!
//! **Placeholder.** This crate is reserved and compiles to nothing yet; its
//! implementation lands with a later event-channel issue. Until then, use [`xen-abi`](https://docs.rs/xen-abi)
//! for the raw types.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

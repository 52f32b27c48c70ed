// SPDX-License-Identifier: MIT OR Apache-2.0
//! The 2-level demultiplexer over a shared_info page that the input (Xen or
//! a hostile writer) scribbles between calls: bounded work, at most
//! `out.len()` distinct ports in range, typed errors for bad ports.
#![no_main]

mod pages;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    xen_evtchn::fuzzing::two_level(pages::zeroed()[0], data);
});

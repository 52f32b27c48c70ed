// SPDX-License-Identifier: MIT OR Apache-2.0
//! The FIFO demultiplexer over a control block and event array that the
//! input scribbles (READY, heads, event words with any link, cycles):
//! bounded work, at most `out.len()` distinct ports in range, typed errors.
#![no_main]

mod pages;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    xen_evtchn::fuzzing::fifo(pages::zeroed(), data);
});

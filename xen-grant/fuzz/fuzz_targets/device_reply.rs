// SPDX-License-Identifier: MIT OR Apache-2.0
//! What `/dev/xen/gntdev` and `/dev/xen/gntalloc` answer their ioctls (mmap
//! offsets, page counts, grant refs, copy statuses), through the checks the
//! device types run before using it: a usable answer or a typed error,
//! never a panic, an overflow or an mmap range beyond `off_t`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    xen_grant::fuzzing::device_reply(data);
});

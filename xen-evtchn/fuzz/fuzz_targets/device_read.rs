// SPDX-License-Identifier: MIT OR Apache-2.0
//! What a `read(2)` of `/dev/xen/evtchn` returned, decoded as the device
//! half does: whole ports, or a typed error for a partial one.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    xen_evtchn::fuzzing::device_read(data);
});

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The permission parser: a single `[wrbn]<domid>` from bytes and from a
//! string, and a whole nul-separated list. What parses prints back to a
//! form that parses to the same permission.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xen_store::wire::decode_perms;
use xen_store::Perm;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Perm::parse_bytes(data) {
        let text = p.to_string();
        assert_eq!(text.parse::<Perm>(), Ok(p));
        assert!(text.len() <= data.len());
    }
    if let Ok(s) = core::str::from_utf8(data) {
        assert_eq!(s.parse::<Perm>().ok(), Perm::parse_bytes(data).ok());
    }
    if let Ok(list) = decode_perms(data) {
        assert!(!list.is_empty());
        for p in list {
            assert_eq!(Perm::parse_bytes(p.to_string().as_bytes()), Ok(p));
        }
    }
});

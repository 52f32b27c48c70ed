// SPDX-License-Identifier: MIT OR Apache-2.0
//! The server side against a hostile client: the input is the byte stream
//! a client sends. Every framed message goes through `Request::decode`; a
//! request that decodes must encode again and decode to the same request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xen_store::wire::{Framer, Message, Request};

fuzz_target!(|data: &[u8]| {
    let mut f = Framer::new();
    f.push(data);
    while let Ok(Some(m)) = f.next_message() {
        let Ok(req) = Request::decode(&m) else {
            continue;
        };
        assert_eq!(req.kind(), m.header.kind);
        let bytes = req
            .encode(m.header.req_id, m.header.tx_id)
            .expect("a decoded request encodes");
        let mut g = Framer::new();
        g.push(&bytes);
        let again: Message = g
            .next_message()
            .expect("an encoded request frames")
            .expect("a whole message");
        assert_eq!(again.header.req_id, m.header.req_id);
        assert_eq!(again.header.tx_id, m.header.tx_id);
        assert_eq!(Request::decode(&again).as_ref(), Ok(&req));
    }
});

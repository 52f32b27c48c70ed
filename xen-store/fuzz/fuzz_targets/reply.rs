// SPDX-License-Identifier: MIT OR Apache-2.0
//! The client side against a hostile xenstored: the input is the byte
//! stream the daemon sends. It is framed in pieces (sizes from the first
//! byte) and every message decoded as each kind of reply; then the same
//! stream feeds a real `Xenstore` client issuing requests and waiting on a
//! watch. Nothing may panic or hang; decoders' invariants must hold.
#![no_main]

use std::io::{self, Cursor};

use libfuzzer_sys::fuzz_target;
use xen_abi::io::xs_wire::MsgType;
use xen_store::wire::{self, Framer};
use xen_store::{Store, Xenstore};

fn decode_all(m: &wire::Message) {
    assert_eq!(m.header.len as usize, m.payload.len());
    let p = &m.payload;
    let _ = wire::check_reply(m, MsgType::READ);
    let _ = wire::check_reply(m, m.header.kind);
    let _ = wire::decode_ok(p);
    let _ = wire::decode_bool(p);
    let _ = wire::decode_number(p);
    if let Ok(s) = wire::decode_str(p) {
        assert!(!s.contains('\0'));
    }
    if let Ok(list) = wire::decode_list(p) {
        assert!(list
            .iter()
            .all(|s| !s.is_empty() && !s.contains(['\0', '/'])));
    }
    if let Ok(perms) = wire::decode_perms(p) {
        assert!(!perms.is_empty());
    }
    if let Ok(part) = wire::decode_directory_part(p) {
        // The offset advances; empty names are skipped but still counted.
        assert!(part.last || part.consumed > 0);
        let sum: usize = part.children.iter().map(|c| c.len() + 1).sum();
        assert!(part.consumed as usize >= sum);
        assert!(part
            .children
            .iter()
            .all(|s| !s.is_empty() && !s.contains('/')));
    }
    if let Ok(e) = wire::decode_watch_event(p) {
        assert!(!e.path.contains('\0') && !e.token.contains(&0));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&step, stream)) = data.split_first() else {
        return;
    };
    let step = usize::from(step).max(1) * 7;
    let mut f = Framer::new();
    for piece in stream.chunks(step) {
        f.push(piece);
        loop {
            assert!(f.wanted() > 0 || f.buffered() >= wire::HEADER_LEN);
            match f.next_message() {
                Ok(Some(m)) => decode_all(&m),
                Ok(None) => break,
                // The only framing error: an oversized header, which
                // can always be skipped (a client does so for replies).
                Err(_) => assert!(f.skip_oversized().is_some()),
            }
        }
    }

    // A client on the same stream: reads hit EOF at its end, so every wait
    // ends (with a reply, an error, or a broken connection).
    let xs = Xenstore::from_io(
        Box::new(Cursor::new(stream.to_vec())),
        Box::new(io::sink()),
    );
    let _ = xs.read("/a");
    let _ = xs.directory("/b");
    let _ = xs.get_perms("/c");
    let _ = xs.transaction(|tx| tx.write("/d", b"v"));
    if let Ok(w) = xs.watch("/e", "t") {
        for _ in 0..4 {
            if w.next_event().is_err() {
                break;
            }
        }
    }
    let _ = xs.in_flight();
});

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The std client against fake peers over a socketpair: a well-behaved
//! in-memory server (pipelining, batches, transactions, watches,
//! DIRECTORY_PART) and hostile ones (oversized reply, unknown request id, a
//! connection dropping mid-message or mid-batch, stray watch events).
//! Nothing may hang or panic.

#![allow(clippy::std_instead_of_core, unreachable_pub)]

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use xen_abi::io::xs_wire::{MsgHeader, MsgType, ReqId, TxId};
use xen_abi::{DomId, Errno};
use xen_store::wire::{encode_watch_event, Framer, Message, Request, Response};
use xen_store::{Access, BrokenReason, Error, Perm, Store, Xenstore};
use zerocopy::IntoBytes;

use common::MiniStore;

/// Serves `store` on one end of a socketpair until the client hangs up.
fn serve(store: MiniStore) -> Xenstore {
    let (a, b) = UnixStream::pair().unwrap();
    serve_on(b, store);
    Xenstore::from_stream(a).unwrap()
}

/// Serves `store` on `b` in a thread until the client hangs up.
fn serve_on(mut b: UnixStream, mut store: MiniStore) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut f = Framer::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = match b.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            f.push(&buf[..n]);
            while let Ok(Some(m)) = f.next_message() {
                if b.write_all(&store.handle(&m)).is_err() {
                    return;
                }
            }
        }
    })
}

/// A peer that reads one request and then runs `act` on the socket.
fn hostile(act: impl FnOnce(&mut UnixStream, Message) + Send + 'static) -> Xenstore {
    hostile_after(1, act)
}

/// A peer that reads `n` requests and then runs `act` on the socket with the
/// first.
fn hostile_after(
    n: usize,
    act: impl FnOnce(&mut UnixStream, Message) + Send + 'static,
) -> Xenstore {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let want = n;
    thread::spawn(move || {
        if let Some(mut got) = requests(&mut b, want) {
            act(&mut b, got.swap_remove(0));
        }
    });
    Xenstore::from_stream(a).unwrap()
}

/// Reads at least `n` requests from `s` (`None` if it closes first).
fn requests(s: &mut UnixStream, n: usize) -> Option<Vec<Message>> {
    let mut got = Vec::new();
    let mut f = Framer::new();
    let mut buf = [0u8; 8192];
    while got.len() < n {
        let len = s.read(&mut buf).unwrap_or(0);
        if len == 0 {
            return None;
        }
        f.push(&buf[..len]);
        while let Ok(Some(m)) = f.next_message() {
            got.push(m);
        }
    }
    Some(got)
}

#[test]
fn operations_round_trip() {
    let xs = serve(MiniStore::new());
    xs.write("/a/b", b"hello").unwrap();
    assert_eq!(xs.read("/a/b").unwrap(), b"hello");
    assert_eq!(xs.read("/nope"), Err(Error::Xenstore(Errno::ENOENT)));
    xs.mkdir("/a/c").unwrap();
    assert_eq!(xs.directory("/a").unwrap(), ["b", "c"]);
    let perms = [
        Perm::new(Access::None, DomId::DOM0),
        Perm::new(Access::Read, DomId::new(5).unwrap()),
    ];
    xs.set_perms("/a/b", &perms).unwrap();
    assert_eq!(xs.get_perms("/a/b").unwrap(), perms);
    assert_eq!(
        xs.get_domain_path(DomId::new(3).unwrap()).unwrap(),
        "/local/domain/3"
    );
    xs.rm("/a").unwrap();
    assert_eq!(xs.directory("/a").unwrap(), Vec::<String>::new());
    assert_eq!(xs.in_flight(), 0);
}

#[test]
fn large_directories_go_through_directory_part() {
    let mut s = MiniStore::new();
    s.dir_limit = 10;
    s.part_size = 4;
    for i in 0..25 {
        s.nodes.insert(format!("/big/child{i:02}"), Vec::new());
    }
    let xs = serve(s);
    let want: Vec<String> = (0..25).map(|i| format!("child{i:02}")).collect();
    assert_eq!(xs.directory("/big").unwrap(), want);
}

#[test]
fn pipelined_requests_get_their_own_replies() {
    let xs = serve(MiniStore::new());
    let paths: Vec<String> = (0..64).map(|i| format!("/p/{i}")).collect();
    let writes: Vec<_> = paths
        .iter()
        .map(|p| {
            xs.submit(
                TxId::NONE,
                &Request::Write {
                    path: p,
                    value: p.as_bytes(),
                },
            )
            .unwrap()
        })
        .collect();
    assert_eq!(xs.in_flight(), 64);
    let ids: std::collections::BTreeSet<ReqId> = writes.iter().map(|p| p.req_id()).collect();
    assert_eq!(ids.len(), 64, "distinct req_ids");
    for w in writes {
        xs.wait(w).unwrap();
    }
    let reads: Vec<_> = paths
        .iter()
        .map(|p| xs.submit(TxId::NONE, &Request::Read { path: p }).unwrap())
        .collect();
    // Collect in reverse: replies are filed by id, not by order.
    for (p, r) in paths.iter().zip(reads).rev() {
        assert_eq!(xs.wait(r).unwrap().payload, p.as_bytes());
    }
    // Threads sharing the connection.
    thread::scope(|s| {
        for t in 0..4 {
            let xs = &xs;
            s.spawn(move || {
                for i in 0..50 {
                    let p = format!("/t{t}/{i}");
                    xs.write(&p, b"x").unwrap();
                    assert_eq!(xs.read(&p).unwrap(), b"x");
                }
            });
        }
    });
    assert_eq!(xs.in_flight(), 0);
}

/// Serves `store`, but answers each group of `group` requests only once
/// all of it arrived, in reverse order and with one write. Sends how many
/// reads each group took.
fn serve_reversed(mut store: MiniStore, group: usize) -> (Xenstore, mpsc::Receiver<usize>) {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut f = Framer::new();
        let mut buf = vec![0u8; 1 << 16];
        let (mut got, mut reads) = (Vec::new(), 0);
        loop {
            let n = match b.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            reads += 1;
            f.push(&buf[..n]);
            while let Ok(Some(m)) = f.next_message() {
                got.push(m);
            }
            while got.len() >= group {
                // Handled in arrival order, answered last first.
                let replies: Vec<Vec<u8>> = got.drain(..group).map(|m| store.handle(&m)).collect();
                let out: Vec<u8> = replies.into_iter().rev().flatten().collect();
                if b.write_all(&out).is_err() || tx.send(reads).is_err() {
                    return;
                }
                reads = 0;
            }
        }
    });
    (Xenstore::from_stream(a).unwrap(), rx)
}

#[test]
fn batched_requests_go_in_one_write_and_get_their_own_replies() {
    let (xs, reads) = serve_reversed(MiniStore::new(), 64);
    let paths: Vec<String> = (0..32).map(|i| format!("/batch/{i}")).collect();
    let reqs = common::write_then_read(&paths);
    // By reference: the requests stay the caller's.
    let pending = xs.submit_batch(TxId::NONE, &reqs).unwrap();
    assert_eq!((pending.len(), xs.in_flight()), (64, 64));
    let ids: std::collections::BTreeSet<ReqId> = pending.iter().map(|p| p.req_id()).collect();
    assert_eq!(ids.len(), 64, "distinct req_ids");
    // The replies come back last first; each ticket gets its own.
    for (i, p) in pending.into_iter().enumerate() {
        let m = xs.wait(p).unwrap();
        if i % 2 == 0 {
            assert_eq!(m.payload, b"OK\0", "write {i}");
        } else {
            assert_eq!(m.payload, paths[i / 2].as_bytes(), "read {i}");
        }
    }
    assert_eq!(reads.recv().unwrap(), 1, "the batch arrived in one write");
    assert_eq!(xs.in_flight(), 0);
    // By value, waited for last first.
    let twice: Vec<&String> = paths.iter().chain(&paths).collect();
    let pending = xs.submit_batch(TxId::NONE, twice.iter().map(|p| Request::Read { path: p }));
    for (p, r) in twice.iter().zip(pending.unwrap()).rev() {
        assert_eq!(xs.wait(r).unwrap().payload, p.as_bytes());
    }
    assert_eq!(reads.recv().unwrap(), 1);
    // An empty batch sends nothing.
    assert!(xs
        .submit_batch(TxId::NONE, Vec::<Request<'_>>::new())
        .unwrap()
        .is_empty());
    assert_eq!(xs.in_flight(), 0);
}

#[test]
fn a_refused_request_sends_none_of_its_batch() {
    let xs = serve(MiniStore::new());
    let earlier = xs
        .submit(TxId::NONE, &Request::Read { path: "/x" })
        .unwrap();
    let big = [0u8; 5000];
    let batches = [
        (
            [
                Request::Write {
                    path: "/a",
                    value: b"1",
                },
                Request::Read { path: "/bad path" },
                Request::Write {
                    path: "/b",
                    value: b"2",
                },
            ],
            Error::InvalidPath(xen_store::PathError::BadChar(4)),
        ),
        (
            [
                Request::Write {
                    path: "/a",
                    value: b"1",
                },
                Request::Write {
                    path: "/b",
                    value: b"2",
                },
                Request::Write {
                    path: "/c",
                    value: &big,
                },
            ],
            Error::PayloadTooLong(5000 + "/c".len() + 1),
        ),
    ];
    for (reqs, want) in &batches {
        assert_eq!(xs.submit_batch(TxId::NONE, reqs).err().as_ref(), Some(want));
        assert_eq!(xs.in_flight(), 1, "only the earlier request is in flight");
    }
    assert_eq!(xs.wait(earlier), Err(Error::Xenstore(Errno::ENOENT)));
    // Nothing of the refused batches went out.
    assert_eq!(xs.read("/a"), Err(Error::Xenstore(Errno::ENOENT)));
    assert_eq!(xs.in_flight(), 0);
}

#[test]
fn connection_dropping_mid_batch_fails_the_rest_of_it() {
    // The peer answers the first three of a batch of eight, then hangs up.
    let xs = hostile_after(8, |s, first| {
        let mut out = Vec::new();
        for id in first.header.req_id.get()..first.header.req_id.get() + 3 {
            let id = ReqId::new(id);
            out.extend(Response::Ok.encode(MsgType::WRITE, id, TxId::NONE).unwrap());
        }
        let _ = s.write_all(&out);
    });
    let paths: Vec<String> = (0..8).map(|i| format!("/d/{i}")).collect();
    let pending = xs
        .submit_batch(
            TxId::NONE,
            paths.iter().map(|p| Request::Write {
                path: p,
                value: b"v",
            }),
        )
        .unwrap();
    let ids: Vec<u32> = pending.iter().map(|p| p.req_id().get()).collect();
    assert_eq!(
        ids,
        (ids[0]..ids[0] + 8).collect::<Vec<_>>(),
        "ids in order"
    );
    let mut pending = pending.into_iter();
    thread::scope(|s| {
        // The last ticket waits in another thread: it must wake up too.
        let last = pending.next_back().unwrap();
        let h = s.spawn(|| xs.wait(last));
        for (i, p) in pending.enumerate() {
            let r = xs.wait(p);
            if i < 3 {
                assert_eq!(r.map(|m| m.payload), Ok(b"OK\0".to_vec()), "{i}");
            } else {
                assert_eq!(r, Err(Error::Broken(BrokenReason::Disconnected)), "{i}");
            }
        }
        assert_eq!(
            h.join().unwrap(),
            Err(Error::Broken(BrokenReason::Disconnected))
        );
    });
    assert_eq!(xs.in_flight(), 0);
    assert!(matches!(
        xs.submit_batch(TxId::NONE, &[Request::Read { path: "/x" }]),
        Err(Error::Broken(BrokenReason::Disconnected))
    ));
}

#[test]
fn a_batch_the_peer_stops_reading_fails_and_breaks_the_connection() {
    // More than the socket buffers hold: the write is still going when the
    // peer reads a little and hangs up.
    let (a, mut b) = UnixStream::pair().unwrap();
    let peer = thread::spawn(move || {
        let mut buf = [0u8; 8192];
        let _ = b.read(&mut buf);
    });
    let xs = Xenstore::from_stream(a).unwrap();
    let value = vec![b'v'; 4000];
    let paths: Vec<String> = (0..256).map(|i| format!("/big/{i}")).collect();
    let reqs = paths.iter().map(|p| Request::Write {
        path: p,
        value: &value,
    });
    let e = xs.submit_batch(TxId::NONE, reqs).unwrap_err();
    assert!(matches!(e, Error::Io(_) | Error::Disconnected), "{e:?}");
    assert_eq!(xs.broken_by(), Some(e));
    peer.join().unwrap();
    assert_eq!(xs.in_flight(), 0);
    assert_eq!(xs.read("/big/0"), Err(Error::Broken(BrokenReason::Io)));
}

#[test]
fn transactions_retry_on_eagain_and_abort_on_drop() {
    let mut s = MiniStore::new();
    s.conflicts = 2;
    let xs = serve(s);
    let mut attempts = 0;
    let v = xs
        .transaction(|tx| {
            attempts += 1;
            tx.write("/tx/a", b"1")?;
            Ok::<_, xen_store::Error>(7)
        })
        .unwrap();
    assert_eq!((v, attempts), (7, 3));
    {
        let tx = xs.transaction_start().unwrap();
        tx.write("/tx/b", b"2").unwrap();
        // Dropped: an abort is sent and its reply discarded.
    }
    assert_eq!(xs.read("/tx/a").unwrap(), b"1");
    assert_eq!(xs.in_flight(), 0);
}

#[test]
fn watches_fire_and_unwatch_drops_queued_events() {
    let xs = serve(MiniStore::new());
    let w = xs.watch("/w", "tok").unwrap();
    assert!(matches!(xs.watch("/w", "tok"), Err(Error::DuplicateToken)));
    let first = w.next_event().unwrap();
    assert_eq!((first.path.as_str(), first.token.as_str()), ("/w", "tok"));
    xs.write("/w/x", b"1").unwrap();
    xs.write("/w/y", b"2").unwrap();
    let mut it = w;
    assert_eq!(it.next().unwrap().unwrap().path, "/w/x");
    xs.write("/w/z", b"3").unwrap();
    // Two events are queued (they arrived with the writes' replies);
    // unwatch drops them.
    assert_eq!(it.queued(), 2);
    it.unwatch().unwrap();
    xs.write("/w/q", b"4").unwrap();
    let w2 = xs.watch("/w2", "tok").unwrap();
    assert_eq!(w2.next_event().unwrap().path, "/w2");
    assert_eq!(w2.queued(), 0);
}

#[test]
fn several_watches_read_as_one_stream_in_arrival_order() {
    let xs = serve(MiniStore::new());
    let ws = [xs.watch("/a", "a").unwrap(), xs.watch("/b", "b").unwrap()];
    let other = xs.watch("/c", "c").unwrap();
    let mut got = Vec::new();
    let mut next = || {
        let e = xs.next_event_of(&ws).unwrap();
        got.push(format!("{} {}", e.path, e.token));
    };
    next();
    next();
    xs.write("/b/1", b"").unwrap();
    xs.write("/c/1", b"").unwrap();
    xs.write("/a/1", b"").unwrap();
    xs.write("/b/2", b"").unwrap();
    for _ in 0..3 {
        next();
    }
    assert_eq!(got, ["/a a", "/b b", "/b/1 b", "/a/1 a", "/b/2 b"]);
    // The other watch's events stayed with it.
    assert_eq!(other.next_event().unwrap().path, "/c");
    assert_eq!(other.next_event().unwrap().path, "/c/1");
}

#[test]
fn refused_requests_leave_nothing_in_flight() {
    let xs = serve(MiniStore::new());
    assert!(xs.write("/a", [0u8; 5000]).is_err());
    assert!(xs.read("/bad path").is_err());
    assert_eq!(xs.in_flight(), 0);
    assert_eq!(xs.read("/a"), Err(Error::Xenstore(Errno::ENOENT)));
}

#[test]
fn oversized_reply_fails_its_request_and_the_connection_lives_on() {
    // oxenstored answers XS_DIRECTORY on a large directory with more than
    // XENSTORE_PAYLOAD_MAX bytes: the framing holds, so only that request
    // fails and the reply after it still arrives.
    let (a, mut b) = UnixStream::pair().unwrap();
    thread::spawn(move || {
        let Some(got) = requests(&mut b, 2) else {
            return;
        };
        let h = MsgHeader {
            kind: MsgType::READ,
            req_id: got[0].header.req_id,
            tx_id: TxId::NONE,
            len: 5000,
        };
        let _ = b.write_all(h.as_bytes());
        for chunk in [vec![b'x'; 3000], vec![b'y'; 2000]] {
            thread::sleep(Duration::from_millis(20));
            let _ = b.write_all(&chunk);
        }
        let ok = Response::Bytes(b"fine")
            .encode(MsgType::READ, got[1].header.req_id, TxId::NONE)
            .unwrap();
        let _ = b.write_all(&ok);
        thread::sleep(Duration::from_millis(200));
    });
    let xs = Xenstore::from_stream(a).unwrap();
    let first = xs
        .submit(TxId::NONE, &Request::Read { path: "/big" })
        .unwrap();
    let second = xs
        .submit(TxId::NONE, &Request::Read { path: "/small" })
        .unwrap();
    assert_eq!(xs.wait(first).err(), Some(Error::PayloadTooLong(5000)));
    assert_eq!(xs.wait(second).unwrap().payload, b"fine");
    assert_eq!(xs.in_flight(), 0);
}

#[test]
fn oversized_message_for_nobody_breaks_the_connection() {
    let xs = hostile(|s, m| {
        let h = MsgHeader {
            kind: MsgType::READ,
            req_id: ReqId::new(m.header.req_id.get().wrapping_add(7)),
            tx_id: TxId::NONE,
            len: 5000,
        };
        let _ = s.write_all(h.as_bytes());
        thread::sleep(Duration::from_millis(200));
    });
    assert_eq!(
        xs.read("/x"),
        Err(Error::Broken(BrokenReason::PayloadTooLong))
    );
    assert_eq!(
        xs.read("/x"),
        Err(Error::Broken(BrokenReason::PayloadTooLong))
    );
}

#[test]
fn reply_for_unknown_req_id_breaks_the_connection() {
    let xs = hostile(|s, m| {
        let r = Response::Ok
            .encode(
                MsgType::WRITE,
                ReqId::new(m.header.req_id.get().wrapping_add(1000)),
                TxId::NONE,
            )
            .unwrap();
        let _ = s.write_all(&r);
        thread::sleep(Duration::from_millis(200));
    });
    assert_eq!(
        xs.write("/x", b"1"),
        Err(Error::Broken(BrokenReason::UnknownReqId))
    );
}

#[test]
fn connection_dropping_mid_message_fails_every_pending_request() {
    let xs = hostile_after(2, |s, m| {
        let r = Response::Bytes(b"a long value")
            .encode(MsgType::READ, m.header.req_id, TxId::NONE)
            .unwrap();
        let _ = s.write_all(&r[..20]);
        // Dropped here: EOF in the middle of the payload.
    });
    let a = xs
        .submit(TxId::NONE, &Request::Read { path: "/a" })
        .unwrap();
    let b = xs
        .submit(TxId::NONE, &Request::Read { path: "/b" })
        .unwrap();
    thread::scope(|s| {
        let h = s.spawn(|| xs.wait(b));
        assert_eq!(xs.wait(a), Err(Error::Broken(BrokenReason::Disconnected)));
        assert_eq!(
            h.join().unwrap(),
            Err(Error::Broken(BrokenReason::Disconnected))
        );
    });
    assert!(matches!(xs.read("/c"), Err(Error::Broken(_))));
}

#[test]
fn stray_watch_events_are_dropped_and_counted() {
    let xs = hostile(|s, m| {
        let mut out = encode_watch_event("/x", b"nobody").unwrap();
        out.extend(encode_watch_event("/x", b"\xff").unwrap());
        out.extend(
            Response::Bytes(b"v")
                .encode(MsgType::READ, m.header.req_id, TxId::NONE)
                .unwrap(),
        );
        let _ = s.write_all(&out);
        thread::sleep(Duration::from_millis(100));
    });
    assert_eq!(xs.read("/x").unwrap(), b"v");
    assert_eq!(xs.stray_events(), 2);
}

#[test]
fn error_replies_are_typed() {
    let xs = hostile(|s, m| {
        let r = Response::Error(Errno::EACCES)
            .encode(MsgType::READ, m.header.req_id, TxId::NONE)
            .unwrap();
        let _ = s.write_all(&r);
        thread::sleep(Duration::from_millis(100));
    });
    assert_eq!(xs.read("/x"), Err(Error::Xenstore(Errno::EACCES)));
    assert!(Error::Xenstore(Errno::EAGAIN).is_again());
}

/// A peer that answers each request in turn with `reply(i, request)` (no
/// reply when it returns nothing), until it hangs up after `max` requests.
fn scripted(
    max: usize,
    mut reply: impl FnMut(usize, &Message) -> Vec<u8> + Send + 'static,
) -> Xenstore {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    thread::spawn(move || {
        let mut f = Framer::new();
        let mut buf = [0u8; 8192];
        let mut i = 0;
        while i < max {
            let n = match b.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            f.push(&buf[..n]);
            while let Ok(Some(m)) = f.next_message() {
                if b.write_all(&reply(i, &m)).is_err() {
                    return;
                }
                i += 1;
            }
        }
    });
    Xenstore::from_stream(a).unwrap()
}

#[test]
fn transaction_id_zero_from_the_peer_is_refused() {
    let xs = scripted(4, |_, m| {
        let (k, id, tx) = (m.header.kind, m.header.req_id, m.header.tx_id);
        match k {
            MsgType::TRANSACTION_START => Response::Number(0).encode(k, id, tx).unwrap(),
            _ => Response::Ok.encode(k, id, tx).unwrap(),
        }
    });
    assert_eq!(xs.transaction_start().err(), Some(Error::NullTransaction));
    assert_eq!(
        xs.transaction(|tx| tx.write("/a", b"1")),
        Err(Error::NullTransaction)
    );
    assert_eq!(xs.in_flight(), 0);
}

#[test]
fn endless_directory_part_is_cut_off() {
    // "Not last" forever, same generation, one short name each time.
    let xs = scripted(100_000, |_, m| {
        Response::DirectoryPart {
            generation: 1,
            children: &["x"],
            last: false,
        }
        .encode(m.header.kind, m.header.req_id, m.header.tx_id)
        .unwrap()
    });
    assert!(matches!(
        xs.directory_parts("/d"),
        Err(Error::DirectoryTooLarge { .. })
    ));
    // The connection is fine: the next part still arrives.
    assert!(xs.read("/d").is_ok());
}

#[test]
fn directory_part_with_huge_names_is_cut_off_by_bytes() {
    let name = "n".repeat(4000);
    let xs = scripted(100_000, move |_, m| {
        Response::DirectoryPart {
            generation: 1,
            children: &[&name],
            last: false,
        }
        .encode(m.header.kind, m.header.req_id, m.header.tx_id)
        .unwrap()
    });
    let Err(Error::DirectoryTooLarge { bytes, .. }) = xs.directory_parts("/d") else {
        panic!("not cut off");
    };
    assert!(bytes > xen_store::DIRECTORY_MAX_BYTES);
}

#[test]
fn a_flooded_watch_queue_is_capped_and_counts_what_it_dropped() {
    const FLOOD: usize = 10_000;
    let xs = scripted(3, |i, m| {
        let (k, id, tx) = (m.header.kind, m.header.req_id, m.header.tx_id);
        let mut out = Response::Ok.encode(k, id, tx).unwrap();
        if i == 0 {
            // The watch's reply, then a storm before the next reply.
            for _ in 0..FLOOD {
                out.extend(encode_watch_event("/w", b"t").unwrap());
            }
        }
        out
    });
    let w = xs.watch("/w", "t").unwrap();
    xs.write("/x", b"1").unwrap();
    let cap = xen_store::DEFAULT_WATCH_QUEUE;
    assert_eq!(w.queued(), cap);
    assert_eq!(w.dropped(), (FLOOD - cap) as u64);
    assert_eq!(w.try_next_event().unwrap().path, "/w");
    assert_eq!(w.queued(), cap - 1);
}

#[test]
fn the_watch_queue_cap_is_configurable() {
    let xs = scripted(3, |i, m| {
        let (k, id, tx) = (m.header.kind, m.header.req_id, m.header.tx_id);
        let mut out = Response::Ok.encode(k, id, tx).unwrap();
        if i == 0 {
            for p in ["/w/1", "/w/2", "/w/3", "/w/4"] {
                out.extend(encode_watch_event(p, b"t").unwrap());
            }
        }
        out
    });
    xs.set_watch_queue_limit(2);
    let w = xs.watch("/w", "t").unwrap();
    xs.write("/x", b"1").unwrap();
    assert_eq!(w.queued(), 2);
    assert_eq!(w.dropped(), 2);
    // The oldest stay; the caller re-reads to learn what it missed.
    assert_eq!(w.try_next_event().unwrap().path, "/w/1");
    assert_eq!(w.try_next_event().unwrap().path, "/w/2");
}

#[test]
fn directory_names_from_the_peer_are_checked() {
    let xs = scripted(3, |i, m| {
        let (k, id, tx) = (m.header.kind, m.header.req_id, m.header.tx_id);
        let payload: &[u8] = match i {
            // An empty name is skipped.
            0 => b"a\0\0b\0",
            // A name with a '/' would name another node: refused.
            1 => b"a\0../../secret\0",
            _ => b"\0",
        };
        let mut out = MsgHeader {
            kind: k,
            req_id: id,
            tx_id: tx,
            len: payload.len() as u32,
        }
        .as_bytes()
        .to_vec();
        out.extend_from_slice(payload);
        out
    });
    assert_eq!(xs.directory("/d").unwrap(), ["a", "b"]);
    assert!(matches!(xs.directory("/d"), Err(Error::Malformed(_))));
    assert_eq!(xs.directory("/d").unwrap(), Vec::<String>::new());
}

#[test]
fn watch_events_with_a_bad_path_are_dropped_and_counted() {
    let xs = scripted(2, |i, m| {
        let (k, id, tx) = (m.header.kind, m.header.req_id, m.header.tx_id);
        let mut out = Response::Ok.encode(k, id, tx).unwrap();
        if i == 0 {
            let bad: [&[u8]; 5] = [
                b"/w/ok\0t\0",
                b"/w/no-nul-at-all",
                b"",
                b"\0t\0",
                b"/w/a b\0t\0",
            ];
            for p in bad {
                let mut e = MsgHeader {
                    kind: MsgType::WATCH_EVENT,
                    req_id: ReqId::new(0),
                    tx_id: TxId::NONE,
                    len: p.len() as u32,
                }
                .as_bytes()
                .to_vec();
                e.extend_from_slice(p);
                out.extend(e);
            }
        }
        out
    });
    let w = xs.watch("/w", "t").unwrap();
    xs.write("/x", b"1").unwrap();
    assert_eq!(w.queued(), 1);
    assert_eq!(w.try_next_event().unwrap().path, "/w/ok");
    assert_eq!(xs.stray_events(), 4);
}

#[test]
fn a_reply_tx_id_mismatch_passes_through() {
    // libxenstore does not look at a reply's tx_id; neither do we.
    let xs = scripted(1, |_, m| {
        Response::Bytes(b"v")
            .encode(m.header.kind, m.header.req_id, TxId::new(77))
            .unwrap()
    });
    assert_eq!(xs.read("/x").unwrap(), b"v");
}

#[test]
fn a_payload_of_exactly_4096_bytes_arrives() {
    let xs = scripted(1, |_, m| {
        Response::Bytes(&[b'z'; 4096])
            .encode(m.header.kind, m.header.req_id, m.header.tx_id)
            .unwrap()
    });
    assert_eq!(xs.read("/x").unwrap(), vec![b'z'; 4096]);
}

#[test]
fn a_header_claiming_4_gib_fails_its_request_without_allocating() {
    let xs = hostile(|s, m| {
        let h = MsgHeader {
            kind: MsgType::READ,
            req_id: m.header.req_id,
            tx_id: TxId::NONE,
            len: u32::MAX,
        };
        let _ = s.write_all(h.as_bytes());
        let _ = s.write_all(&[0u8; 8192]);
        thread::sleep(Duration::from_millis(200));
    });
    assert_eq!(xs.read("/x"), Err(Error::PayloadTooLong(u32::MAX as usize)));
}

#[test]
fn a_reply_sent_byte_by_byte_arrives() {
    let xs = hostile(|s, m| {
        let r = Response::Bytes(b"slowly")
            .encode(MsgType::READ, m.header.req_id, TxId::NONE)
            .unwrap();
        for b in r {
            let _ = s.write_all(&[b]);
            let _ = s.flush();
            thread::sleep(Duration::from_micros(200));
        }
        thread::sleep(Duration::from_millis(100));
    });
    assert_eq!(xs.read("/x").unwrap(), b"slowly");
}

#[test]
fn a_duplicate_reply_breaks_the_connection() {
    let xs = hostile(|s, m| {
        let r = Response::Bytes(b"v")
            .encode(MsgType::READ, m.header.req_id, TxId::NONE)
            .unwrap();
        let _ = s.write_all(&r);
        let _ = s.write_all(&r);
        thread::sleep(Duration::from_millis(200));
    });
    assert_eq!(xs.read("/x").unwrap(), b"v");
    assert_eq!(
        xs.read("/y"),
        Err(Error::Broken(BrokenReason::UnknownReqId))
    );
}

#[test]
fn an_unknown_errno_name_is_a_typed_error() {
    let xs = hostile(|s, m| {
        let payload = b"EWHATEVER\0";
        let h = MsgHeader {
            kind: MsgType::ERROR,
            req_id: m.header.req_id,
            tx_id: TxId::NONE,
            len: payload.len() as u32,
        };
        let _ = s.write_all(h.as_bytes());
        let _ = s.write_all(payload);
        thread::sleep(Duration::from_millis(100));
    });
    assert_eq!(xs.read("/x"), Err(Error::UnknownErrorName));
}

/// Async watches (feature `tokio`): events through the `Stream`, the
/// registration released on drop, the breaking error delivered last.
#[cfg(feature = "tokio")]
mod watch_stream {
    use super::*;
    use core::future::{poll_fn, Future};
    use core::pin::Pin;
    use std::sync::Arc;

    use futures_core::Stream;
    use xen_store::WatchEvent;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// The next item through `Stream::poll_next`, failing after 10 s.
    async fn next<S: Stream<Item = xen_store::Result<WatchEvent>> + Unpin>(
        s: &mut S,
    ) -> Option<xen_store::Result<WatchEvent>> {
        tokio::time::timeout(
            Duration::from_secs(10),
            poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)),
        )
        .await
        .expect("no watch event within 10 s")
    }

    #[test]
    fn events_arrive_through_the_stream() {
        let xs = Arc::new(serve(MiniStore::new()));
        let mut w = xs.watch_stream("/w", "tok").unwrap();
        assert_eq!((w.path(), w.token()), ("/w", "tok"));
        assert!(matches!(
            xs.watch_stream("/w", "tok"),
            Err(Error::DuplicateToken)
        ));
        block_on(async {
            let first = next(&mut w).await.unwrap().unwrap();
            assert_eq!((first.path.as_str(), first.token.as_str()), ("/w", "tok"));
            xs.write("/w/x", b"1").unwrap();
            assert_eq!(next(&mut w).await.unwrap().unwrap().path, "/w/x");
            xs.write("/w/y", b"2").unwrap();
            let ev = tokio::time::timeout(Duration::from_secs(10), w.next_event())
                .await
                .unwrap();
            assert_eq!(ev.unwrap().unwrap().path, "/w/y");
        });
        drop(w);
        // The token is free again and its events go to the new watch only
        // (the old stream's thread has stopped).
        let w2 = xs.watch("/w", "tok").unwrap();
        assert_eq!(w2.next_event().unwrap().path, "/w");
        xs.write("/w/z", b"3").unwrap();
        assert_eq!(w2.next_event().unwrap().path, "/w/z");
        drop(w2);
        xs.write("/w/q", b"4").unwrap();
        assert_eq!(xs.read("/w/q").unwrap(), b"4");
    }

    #[test]
    fn a_broken_connection_ends_the_stream_with_its_error() {
        let xs = Arc::new(hostile(|s, m| {
            let mut out = Response::Ok
                .encode(MsgType::WATCH, m.header.req_id, TxId::NONE)
                .unwrap();
            out.extend(encode_watch_event("/h", b"t").unwrap());
            let _ = s.write_all(&out);
            // Dropped: the connection closes.
        }));
        let mut w = xs.watch_stream("/h", "t").unwrap();
        block_on(async {
            assert_eq!(next(&mut w).await.unwrap().unwrap().path, "/h");
            assert_eq!(
                next(&mut w).await.unwrap(),
                Err(Error::Broken(BrokenReason::Disconnected))
            );
            assert!(next(&mut w).await.is_none());
        });
    }
}

/// An application's own error type, as `Client::transaction` accepts it.
#[derive(Debug, PartialEq)]
enum AppError {
    Xenstore(Error),
    NotANumber,
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Xenstore(e)
    }
}

#[test]
fn transactions_take_the_callers_error_type() {
    let mut s = MiniStore::new();
    s.conflicts = 1;
    let xs = serve(s);
    xs.write("/n", "41").unwrap();
    let mut attempts = 0;
    // The commit conflicts once: retried with the caller's error type too.
    let n = xs
        .transaction(|tx| -> Result<u32, AppError> {
            attempts += 1;
            let n: u32 = tx
                .read_string("/n")?
                .parse()
                .map_err(|_| AppError::NotANumber)?;
            tx.write("/next", (n + 1).to_string())?;
            Ok(n + 1)
        })
        .unwrap();
    assert_eq!((n, attempts), (42, 2));
    assert_eq!(xs.read("/next").unwrap(), b"42");
    // The caller's own error ends the transaction (not retried).
    xs.write("/n", "x").unwrap();
    let mut attempts = 0;
    let r = xs.transaction(|tx| -> Result<u32, AppError> {
        attempts += 1;
        tx.read_string("/n")?
            .parse()
            .map_err(|_| AppError::NotANumber)
    });
    assert_eq!((r, attempts), (Err(AppError::NotANumber), 1));
    // A xenstore error arrives wrapped in the caller's type.
    let r = xs.transaction(|tx| -> Result<Vec<u8>, AppError> { Ok(tx.read("/absent")?) });
    assert_eq!(r, Err(AppError::Xenstore(Error::Xenstore(Errno::ENOENT))));
}

#[test]
fn read_opt_and_exists_tell_absent_from_other_failures() {
    let xs = serve(MiniStore::new());
    xs.write("/here", String::from("v")).unwrap();
    assert_eq!(xs.read_opt("/here").unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(xs.read_opt("/gone").unwrap(), None);
    assert!(xs.exists("/here").unwrap());
    assert!(!xs.exists("/gone").unwrap());
    // Another failure stays an error: a broken connection is not "absent".
    let xs = hostile(|_, _| {});
    assert!(matches!(
        xs.read_opt("/x"),
        Err(Error::Disconnected | Error::Broken(_))
    ));
    assert!(xs.exists("/x").is_err());
}

/// `poll(2)` on `fd` for input, `ms` milliseconds at most: whether it is
/// readable.
fn readable(fd: std::os::fd::BorrowedFd<'_>, ms: i32) -> bool {
    use std::os::fd::AsRawFd;
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the duration of the call.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    assert!(n >= 0, "poll: {}", std::io::Error::last_os_error());
    n == 1 && p.revents & libc::POLLIN != 0
}

#[test]
fn a_poll_loop_waits_for_watch_events_on_the_connection_fd() {
    use std::os::fd::AsFd;
    let xs = serve(MiniStore::new());
    let w = xs.watch("/p", "tok").unwrap();
    // The event xenstored fires at once may have come with the reply.
    if w.queued() == 0 {
        assert!(readable(w.as_fd(), 5000));
    }
    assert_eq!(w.next_event().unwrap().path, "/p");
    // Nothing more: poll times out.
    assert!(!readable(w.as_fd(), 50));
    // A write under the watched path makes the fd readable.
    xs.submit(
        TxId::NONE,
        &Request::Write {
            path: "/p/x",
            value: b"1",
        },
    )
    .map(|p| xs.wait(p))
    .unwrap()
    .unwrap();
    let e = match w.try_next_event() {
        Some(e) => e,
        None => {
            assert!(readable(xs.as_fd(), 5000));
            w.next_event().unwrap()
        }
    };
    assert_eq!(e.path, "/p/x");
}

/// [`serve`], and a second handle on the peer's end of the socket for
/// bytes the test writes itself (only while no request is in flight).
fn serve_with_raw(store: MiniStore) -> (Xenstore, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    let raw = b.try_clone().unwrap();
    serve_on(b, store);
    (Xenstore::from_stream(a).unwrap(), raw)
}

/// Far longer than any wait below should take: only a hang reaches it.
const GENEROUS: Duration = Duration::from_secs(30);

#[test]
fn a_watch_with_nothing_firing_times_out_and_stays_usable() {
    let xs = serve(MiniStore::new());
    let w = xs.watch("/t", "tok").unwrap();
    // The event fired at registration: queued or on its way.
    assert_eq!(w.next_event_timeout(GENEROUS).unwrap().unwrap().path, "/t");
    let start = std::time::Instant::now();
    assert_eq!(w.next_event_timeout(Duration::from_millis(50)), Ok(None));
    assert!(start.elapsed() < GENEROUS);
    assert_eq!(w.next_event_timeout(Duration::ZERO), Ok(None));
    // Replies still come after a timeout, and the event of the write.
    xs.write("/t/x", b"1").unwrap();
    assert_eq!(xs.read("/t/x").unwrap(), b"1");
    let e = w.next_event_timeout(Duration::ZERO).unwrap().unwrap();
    assert_eq!((e.path.as_str(), e.token.as_str()), ("/t/x", "tok"));
    assert_eq!(w.next_event_timeout(Duration::from_millis(10)), Ok(None));
    assert_eq!(xs.in_flight(), 0);
}

#[test]
fn events_sent_before_or_during_a_timed_wait_arrive() {
    let (xs, mut raw) = serve_with_raw(MiniStore::new());
    let w = xs.watch("/e", "tok").unwrap();
    assert_eq!(w.next_event_timeout(GENEROUS).unwrap().unwrap().path, "/e");
    // Sent before the call, not yet read.
    raw.write_all(&encode_watch_event("/e/1", b"tok").unwrap())
        .unwrap();
    assert_eq!(
        w.next_event_timeout(GENEROUS).unwrap().unwrap().path,
        "/e/1"
    );
    // Sent while the call waits.
    let late = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        raw.write_all(&encode_watch_event("/e/2", b"tok").unwrap())
            .unwrap();
        raw
    });
    assert_eq!(
        w.next_event_timeout(GENEROUS).unwrap().unwrap().path,
        "/e/2"
    );
    late.join().unwrap();
}

#[test]
fn a_message_cut_off_by_a_timeout_is_completed_by_the_next_read() {
    let (xs, mut raw) = serve_with_raw(MiniStore::new());
    let w = xs.watch("/s", "tok").unwrap();
    assert_eq!(w.next_event_timeout(GENEROUS).unwrap().unwrap().path, "/s");
    let ev = encode_watch_event("/s/split", b"tok").unwrap();
    // The header alone, then part of the body: each wait reads what came
    // and times out.
    raw.write_all(&ev[..xen_store::wire::HEADER_LEN]).unwrap();
    assert_eq!(w.next_event_timeout(Duration::from_millis(50)), Ok(None));
    raw.write_all(&ev[xen_store::wire::HEADER_LEN..ev.len() - 3])
        .unwrap();
    assert_eq!(w.next_event_timeout(Duration::from_millis(50)), Ok(None));
    raw.write_all(&ev[ev.len() - 3..]).unwrap();
    let e = w.next_event_timeout(GENEROUS).unwrap().unwrap();
    assert_eq!((e.path.as_str(), e.token.as_str()), ("/s/split", "tok"));
    // The framing is intact: requests still get their replies.
    xs.write("/s/after", b"ok").unwrap();
    assert_eq!(xs.read("/s/after").unwrap(), b"ok");
    assert_eq!(
        w.next_event_timeout(GENEROUS).unwrap().unwrap().path,
        "/s/after"
    );
}

#[test]
fn replies_reach_other_threads_while_a_watch_waits_with_a_timeout() {
    let xs = serve(MiniStore::new());
    let w = xs.watch("/r", "tok").unwrap();
    assert_eq!(w.next_event_timeout(GENEROUS).unwrap().unwrap().path, "/r");
    thread::scope(|s| {
        // This thread is likely the reader, in poll(2), while the writes
        // below wait for their replies.
        let waiter = s.spawn(|| w.next_event_timeout(GENEROUS));
        xs.write("/elsewhere", b"1").unwrap();
        assert_eq!(xs.read("/elsewhere").unwrap(), b"1");
        xs.write("/r/x", b"2").unwrap();
        assert_eq!(waiter.join().unwrap().unwrap().unwrap().path, "/r/x");
    });
    assert_eq!(w.next_event_timeout(Duration::from_millis(10)), Ok(None));
}

#[test]
fn several_watches_wait_with_a_timeout_in_arrival_order() {
    let xs = serve(MiniStore::new());
    let ws = [xs.watch("/a", "a").unwrap(), xs.watch("/b", "b").unwrap()];
    let other = xs.watch("/c", "c").unwrap();
    let mut got = Vec::new();
    while let Some(e) = xs
        .next_event_of_timeout(&ws, Duration::from_millis(100))
        .unwrap()
    {
        got.push(e.path);
    }
    assert_eq!(got, ["/a", "/b"]);
    xs.write("/c/1", b"").unwrap();
    xs.write("/b/1", b"").unwrap();
    xs.write("/a/1", b"").unwrap();
    let e = xs.next_event_of_timeout(&ws, GENEROUS).unwrap().unwrap();
    assert_eq!(e.path, "/b/1");
    let e = xs.next_event_of_timeout(&ws, GENEROUS).unwrap().unwrap();
    assert_eq!(e.path, "/a/1");
    assert_eq!(xs.next_event_of_timeout(&ws, Duration::ZERO), Ok(None));
    // The other watch's events stayed with it.
    assert_eq!(
        other
            .next_event_timeout(Duration::ZERO)
            .unwrap()
            .unwrap()
            .path,
        "/c"
    );
    assert_eq!(
        other.next_event_timeout(GENEROUS).unwrap().unwrap().path,
        "/c/1"
    );
}

#[test]
fn a_timed_wait_without_a_descriptor_is_refused_once_nothing_is_queued() {
    let (a, b) = UnixStream::pair().unwrap();
    let peer = serve_on(b, MiniStore::new());
    let xs = Xenstore::from_io(Box::new(a.try_clone().unwrap()), Box::new(a));
    let w = xs.watch("/n", "tok").unwrap();
    // The registration event, once it is queued, still comes.
    xs.read_opt("/n").unwrap();
    assert_eq!(w.next_event_timeout(GENEROUS).unwrap().unwrap().path, "/n");
    assert!(matches!(
        w.next_event_timeout(Duration::ZERO),
        Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::Unsupported
    ));
    drop(w);
    drop(xs);
    peer.join().unwrap();
}

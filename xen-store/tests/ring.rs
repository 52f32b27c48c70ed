// SPDX-License-Identifier: MIT OR Apache-2.0
//! The ring client against the server half of the codec, over a xenstore
//! page in shared memory between two threads (the guest tier has no
//! xenstored), and against a peer that corrupts a ring index.

#![allow(clippy::std_instead_of_core, unreachable_pub)]

mod common;

use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::thread;

use xen_abi::io::byte_ring::XenstoreBack;
use xen_abi::io::ring::SharedMem;
use xen_abi::io::xs_wire::{MsgHeader, MsgType, ReqId, TxId};
use xen_abi::DomId;
use xen_store::ring::{RingClient, RingHooks};
use xen_store::wire::{Framer, Request, Response};
use xen_store::{BrokenReason, Error, Store};
use zerocopy::IntoBytes;

use common::MiniStore;

/// Notify and wait by yielding the CPU: the event channel of a real guest.
struct Yield;

impl RingHooks for Yield {
    fn notify(&self) {}
    fn wait(&self) {
        thread::yield_now();
    }
}

/// One zeroed page of atomics, 8-aligned, that the handles and a hostile
/// peer's index word all borrow shared (no second `&mut` over it, which
/// would invalidate the others under Stacked/Tree Borrows).
struct Page(Box<[AtomicU64]>);

impl Page {
    fn new() -> Self {
        Self((0..512).map(|_| AtomicU64::new(0)).collect())
    }

    fn ptr(&self) -> NonNull<u8> {
        NonNull::from(&*self.0).cast()
    }

    /// Two handles onto the page.
    fn handles(&self) -> (SharedMem<'_>, SharedMem<'_>) {
        let ptr = self.ptr();
        // SAFETY: the page outlives both handles (they borrow it), and it is
        // only touched atomically while they live.
        unsafe {
            (
                SharedMem::new(ptr, 4096).unwrap(),
                SharedMem::new(ptr, 4096).unwrap(),
            )
        }
    }

    /// The 4-byte ring index at byte `off`, as a hostile peer sees it.
    fn word(&self, off: usize) -> &AtomicU32 {
        assert!(off % 4 == 0 && off < 4096);
        // SAFETY: in bounds and aligned (checked), borrowed from the page,
        // accessed atomically and 4 bytes wide, as the ring accesses it.
        unsafe { &*self.ptr().as_ptr().add(off).cast::<AtomicU32>() }
    }
}

/// Runs `store` on the back end until `stop`.
fn server(mem: SharedMem<'_>, stop: &AtomicBool, mut store: MiniStore) {
    let mut back = XenstoreBack::attach(mem).unwrap();
    let mut f = Framer::new();
    let mut out: Vec<u8> = Vec::new();
    let mut buf = [0u8; 1024];
    while !stop.load(Ordering::Relaxed) {
        let mut idle = true;
        // The peer polls: the test ignores notify decisions.
        if let Ok(n) = back.read(&mut buf).map(|t| t.len()) {
            if n > 0 {
                idle = false;
                f.push(&buf[..n]);
                while let Ok(Some(m)) = f.next_message() {
                    out.extend(store.handle(&m));
                }
            }
        }
        if !out.is_empty() {
            if let Ok(n) = back.write(&out).map(|t| t.len()) {
                out.drain(..n);
                idle &= n == 0;
            }
        }
        if idle {
            thread::yield_now();
        }
    }
}

#[test]
fn ring_client_against_the_server_codec() {
    let p = Page::new();
    let (front, back) = p.handles();
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let mut store = MiniStore::new();
        store.dir_limit = 40;
        s.spawn(|| server(back, &stop, store));
        let xs = RingClient::new(front, Yield).unwrap();
        // Values bigger than the 1 KiB ring go through in pieces.
        let big = vec![b'v'; 3000];
        // Under Miri (thousands of times slower) only the nodes read below.
        let in_flight = if cfg!(miri) { 6 } else { 32 };
        let nodes: Vec<u32> = if cfg!(miri) {
            (0..8).chain(100..100 + in_flight).collect()
        } else {
            (0..200).collect()
        };
        for &i in &nodes {
            let path = format!("/ring/n{i}");
            xs.write(&path, if i == 7 { &big } else { path.as_bytes() })
                .unwrap();
        }
        assert_eq!(xs.read("/ring/n7").unwrap(), big);
        assert_eq!(xs.read("/ring/n3").unwrap(), b"/ring/n3");
        assert_eq!(
            xs.read("/ring/none"),
            Err(Error::Xenstore(xen_abi::Errno::ENOENT))
        );
        // More than the limit: DIRECTORY_PART transparently.
        assert_eq!(xs.directory("/ring").unwrap().len(), nodes.len());
        // Pipelined: 32 reads in flight at once (6 under Miri).
        let paths: Vec<String> = (0..in_flight)
            .map(|i| format!("/ring/n{}", i + 100))
            .collect();
        let pending: Vec<_> = paths
            .iter()
            .map(|path| xs.submit(TxId::NONE, &Request::Read { path }).unwrap())
            .collect();
        assert_eq!(xs.in_flight(), paths.len());
        for (p, path) in pending.into_iter().zip(&paths).rev() {
            assert_eq!(xs.wait(p).unwrap().payload, path.as_bytes());
        }
        // A batch in one go (more than the ring holds).
        let batch = common::write_then_read(&paths);
        let pending = xs.submit_batch(TxId::NONE, &batch).unwrap();
        let ids: std::collections::BTreeSet<ReqId> = pending.iter().map(|p| p.req_id()).collect();
        assert_eq!(ids.len(), 2 * paths.len());
        for p in pending {
            xs.wait(p).unwrap();
        }
        // Watches and a transaction.
        let w = xs.watch("/ring/w", "tok").unwrap();
        assert_eq!(w.next_event().unwrap().path, "/ring/w");
        {
            let tx = xs.transaction_start().unwrap();
            tx.write("/ring/w/x", b"1").unwrap();
            tx.commit().unwrap();
        }
        assert_eq!(w.next_event().unwrap().path, "/ring/w/x");
        w.unwatch().unwrap();
        drop(xs.transaction_start().unwrap());
        assert_eq!(
            xs.get_domain_path(DomId::new(9).unwrap()).unwrap(),
            "/local/domain/9"
        );
        assert_eq!(xs.in_flight(), 0);
        stop.store(true, Ordering::Relaxed);
    });
}

#[test]
fn broken_ring_index_from_the_peer_is_a_typed_error() {
    let page = Page::new();
    let rsp_prod = page.word(2060);
    let (front, _back) = page.handles();
    let xs = RingClient::new(front, Yield).unwrap();
    let p = xs
        .submit(TxId::NONE, &Request::Read { path: "/x" })
        .unwrap();
    rsp_prod.store(5000, Ordering::Release);
    let r = xs.wait(p);
    assert_eq!(r, Err(Error::Broken(BrokenReason::BadRingIndex)));
    assert!(
        matches!(xs.broken_by(), Some(Error::BadRingIndex(_))),
        "{:?}",
        xs.broken_by()
    );
    assert_eq!(xs.in_flight(), 0);
    assert_eq!(
        xs.read("/x"),
        Err(Error::Broken(BrokenReason::BadRingIndex))
    );
}

#[test]
fn oversized_reply_through_the_ring_fails_only_its_request() {
    let p = Page::new();
    let (front, back) = p.handles();
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            let mut back = XenstoreBack::attach(back).unwrap();
            let mut f = Framer::new();
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            while got.len() < 2 && !stop.load(Ordering::Relaxed) {
                let n = back.read(&mut buf).map_or(0, |t| t.len());
                f.push(&buf[..n]);
                while let Ok(Some(m)) = f.next_message() {
                    got.push(m);
                }
                thread::yield_now();
            }
            let Some(second) = got.get(1) else { return };
            // 5000 bytes for the first: more than XENSTORE_PAYLOAD_MAX and
            // than the 1 KiB ring, so it arrives in many pieces.
            let mut out = MsgHeader {
                kind: MsgType::READ,
                req_id: got[0].header.req_id,
                tx_id: TxId::NONE,
                len: 5000,
            }
            .as_bytes()
            .to_vec();
            out.extend_from_slice(&[b'x'; 5000]);
            out.extend(
                Response::Bytes(b"fine")
                    .encode(MsgType::READ, second.header.req_id, TxId::NONE)
                    .unwrap(),
            );
            let mut at = 0;
            while at < out.len() && !stop.load(Ordering::Relaxed) {
                at += back.write(&out[at..]).map_or(0, |t| t.len());
                thread::yield_now();
            }
        });
        let xs = RingClient::new(front, Yield).unwrap();
        let first = xs
            .submit(TxId::NONE, &Request::Read { path: "/big" })
            .unwrap();
        let second = xs
            .submit(TxId::NONE, &Request::Read { path: "/small" })
            .unwrap();
        assert_eq!(xs.wait(first).err(), Some(Error::PayloadTooLong(5000)));
        assert_eq!(xs.wait(second).unwrap().payload, b"fine");
        assert_eq!(xs.in_flight(), 0);
        stop.store(true, Ordering::Relaxed);
    });
}

#[test]
fn ring_client_has_abort_watch_guards_and_retry() {
    let p = Page::new();
    let (front, back) = p.handles();
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let mut store = MiniStore::new();
        // The first two commits conflict.
        store.conflicts = 2;
        s.spawn(|| server(back, &stop, store));
        let xs = RingClient::new(front, Yield).unwrap();
        // Retry on EAGAIN.
        let mut attempts = 0;
        let v = xs
            .transaction(|tx| {
                attempts += 1;
                tx.write("/r/a", b"1")?;
                Ok::<_, xen_store::Error>(attempts)
            })
            .unwrap();
        assert_eq!(v, 3);
        // An explicit abort waits for its answer.
        let tx = xs.transaction_start().unwrap();
        assert!(!tx.id().is_none());
        tx.write("/r/b", b"2").unwrap();
        tx.abort().unwrap();
        // Watch guards: dropping one unwatches and frees its token.
        {
            let w = xs.watch("/r/w", "tok").unwrap();
            assert_eq!(w.next_event().unwrap().path, "/r/w");
            assert!(matches!(
                xs.watch("/r/w", "tok"),
                Err(Error::DuplicateToken)
            ));
            xs.write("/r/w/x", b"").unwrap();
            assert_eq!(w.queued(), 1);
        }
        let w = xs.watch("/r/w", "tok").unwrap();
        let ws = [w, xs.watch("/r/v", "v").unwrap()];
        let first = [
            xs.next_event_of(&ws).unwrap(),
            xs.next_event_of(&ws).unwrap(),
        ];
        assert_eq!(
            first.map(|e| e.token),
            [String::from("tok"), String::from("v")]
        );
        drop(ws);
        xs.write("/r/w/y", b"").unwrap();
        assert_eq!(xs.read("/r/w/y").unwrap(), b"");
        assert_eq!((xs.in_flight(), xs.stray_events()), (0, 0));
        stop.store(true, Ordering::Relaxed);
    });
}

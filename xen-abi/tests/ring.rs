// SPDX-License-Identifier: MIT OR Apache-2.0
//! The typed shared ring (`io/ring.h`) between two threads over ordinary
//! memory, with wrap-around, plus a hostile peer.
#![allow(clippy::std_instead_of_core, missing_docs)]

use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use xen_abi::io::blkif::{Operation, Request, Response, Status};
use xen_abi::io::netif::{TxRequest, TxResponse};
use xen_abi::io::ring::{
    BackRing, BlkifBackRing, BlkifFrontRing, FrontRing, NetifTxBackRing, NetifTxFrontRing, Notify,
    ProdOverflow, RingFull, SharedMem, PAGE_SIZE,
};
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// Plain memory standing in for a granted page: 8-aligned, zeroed, one
/// allocation of atomics that every handle and the peer's view borrow
/// shared (no second `&mut` over it, which would invalidate the others
/// under Stacked/Tree Borrows).
struct Page(Box<[AtomicU64]>);

impl Page {
    fn new(bytes: usize) -> Self {
        Self((0..bytes / 8).map(|_| AtomicU64::new(0)).collect())
    }

    fn len(&self) -> usize {
        self.0.len() * 8
    }

    fn ptr(&self) -> NonNull<u8> {
        NonNull::from(&*self.0).cast()
    }

    /// Two handles on the page (frontend, backend).
    fn pair(&self) -> (SharedMem<'_>, SharedMem<'_>) {
        let (p, n) = (self.ptr(), self.len());
        // SAFETY: the page outlives the handles (they borrow `self`), and
        // every access to it goes through them or `peer` (atomics).
        unsafe { (SharedMem::new(p, n).unwrap(), SharedMem::new(p, n).unwrap()) }
    }

    /// The page as the hostile peer sees it: 32-bit words.
    fn peer(&self) -> &[AtomicU32] {
        let (p, n) = (self.ptr(), self.len());
        // SAFETY: the view borrows the page, which is only accessed
        // atomically; the peer only touches 4-byte fields the rings also
        // access 4 bytes wide.
        unsafe { std::slice::from_raw_parts(p.as_ptr().cast::<AtomicU32>(), n / 4) }
    }

    fn word(p: &[AtomicU32], off: usize) -> &AtomicU32 {
        &p[off / 4]
    }
}

/// `native` iterations natively, `miri` under Miri (thousands of times
/// slower): the same test, sized so `cargo xtask miri` stays short.
const fn count(native: u64, miri: u64) -> u64 {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

/// An event channel: a pending bit, as Xen has.
#[derive(Default)]
struct Evtchn {
    pending: AtomicBool,
    sent: AtomicU32,
}

impl Evtchn {
    fn notify(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.pending.store(true, Ordering::SeqCst);
    }

    /// Sleeps until notified; a lost wake-up fails the test instead of
    /// hanging it.
    fn wait(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.pending.swap(false, Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "lost wake-up");
            thread::yield_now();
        }
    }
}

fn blk_req(id: u64) -> Request {
    Request {
        operation: Operation::READ,
        nr_segments: (id % 11) as u8,
        id,
        sector_number: id.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        ..Request::default()
    }
}

/// Front: `n` requests in batches of up to `batch`, sleeping when full;
/// back: answers each, sleeping when idle. Both use the notify decision and
/// the final check, so a lost wake-up would hang (and fail) the test.
fn blkif_run(start: u32, n: u64, batch: u32, pages: usize) -> (u32, u32) {
    let page = Page::new(PAGE_SIZE * pages);
    let (fm, bm) = page.pair();
    let (to_back, to_front) = (Evtchn::default(), Evtchn::default());
    // The frontend initialises the page before the backend attaches (in Xen
    // the backend only learns of the ring from xenstore afterwards): a
    // backend attached to a zeroed page would see `0 - start` phantom
    // requests.
    let mut front = BlkifFrontRing::init_at(fm, start).unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            let mut back = BlkifBackRing::attach(bm, start).unwrap();
            let mut seen = 0u64;
            while seen < n {
                let mut any = false;
                while let Some(req) = back.pop_request().unwrap() {
                    assert_eq!(req, blk_req(seen), "request {seen} corrupted");
                    let rsp = Response {
                        id: req.id,
                        operation: req.operation,
                        status: Status::OKAY,
                        ..Response::default()
                    };
                    back.produce(&rsp).unwrap();
                    seen += 1;
                    any = true;
                }
                if any && back.publish().needed() {
                    to_front.notify();
                }
                if seen < n && !back.final_check_for_requests().unwrap() {
                    to_back.wait();
                }
            }
            assert_eq!(back.unconsumed_requests(), Ok(0));
        });
        assert_eq!(front.size(), 32 * pages as u32);
        let (mut sent, mut done) = (0u64, 0u64);
        while done < n {
            let mut k = 0;
            while sent < n && k < batch && front.produce(&blk_req(sent)).is_ok() {
                sent += 1;
                k += 1;
            }
            if k > 0 && front.publish().needed() {
                to_back.notify();
            }
            for rsp in front.responses().unwrap() {
                assert_eq!(rsp.id, done);
                assert!(rsp.status.is_ok());
                done += 1;
            }
            if done < n
                && (sent == n || front.is_full())
                && !front.final_check_for_responses().unwrap()
            {
                to_front.wait();
            }
        }
        assert_eq!(front.outstanding(), 0);
        assert_eq!(front.rsp_cons(), start.wrapping_add(n as u32));
    });
    (to_back.sent.into_inner(), to_front.sent.into_inner())
}

#[test]
fn blkif_ping_pong_wraps() {
    // Starts 40 short of u32::MAX, so the indices wrap early.
    let (a, b) = blkif_run(u32::MAX - 40, count(20_000, 100), 1, 1);
    assert!(a > 0 && b > 0);
}

#[test]
fn blkif_stream_batches_wrap() {
    blkif_run(u32::MAX - 3, count(50_000, 200), 32, 1);
    blkif_run(0x8000_0000 - 7, count(20_000, 100), 5, 1);
}

#[test]
fn blkif_two_page_ring() {
    blkif_run(u32::MAX, count(10_000, 200), 64, 2);
}

/// netif tx: 12-byte slots (4-byte words), 256 of them.
#[test]
fn netif_tx_two_threads_wrap() {
    let page = Page::new(PAGE_SIZE);
    let (fm, bm) = page.pair();
    // Under Miri: a ring and a half, still across the u32 wrap.
    let start = u32::MAX - count(1000, 100) as u32;
    let mut front = NetifTxFrontRing::init_at(fm, start).unwrap();
    const N: u32 = count(100_000, 400) as u32;
    thread::scope(|s| {
        s.spawn(|| {
            let mut back = NetifTxBackRing::attach(bm, start).unwrap();
            let mut seen = 0u32;
            while seen < N {
                let reqs: Vec<TxRequest> = back.requests().unwrap().collect();
                for r in &reqs {
                    assert_eq!((r.id, r.size), (seen as u16, (seen >> 16) as u16));
                    back.produce(&TxResponse {
                        id: r.id,
                        ..TxResponse::default()
                    })
                    .unwrap();
                    seen += 1;
                }
                let _ = back.publish();
                thread::yield_now();
            }
        });
        assert_eq!(front.size(), 256);
        let (mut sent, mut done) = (0u32, 0u32);
        while done < N {
            while sent < N {
                let req = TxRequest {
                    id: sent as u16,
                    size: (sent >> 16) as u16,
                    ..TxRequest::default()
                };
                if front.produce(&req) == Err(RingFull) {
                    break;
                }
                sent += 1;
            }
            let _ = front.publish();
            for rsp in front.responses().unwrap() {
                assert_eq!(rsp.id, done as u16);
                done += 1;
            }
            thread::yield_now();
        }
    });
}

/// Byte-sized entries take the byte-copy path; odd sizes too.
#[test]
fn odd_sized_entries_two_threads() {
    #[derive(Clone, Copy, Default, PartialEq, Debug, FromBytes, IntoBytes, Immutable)]
    #[repr(C)]
    struct Three([u8; 3]);
    let page = Page::new(128); // 64 header + 64 bytes: 21 fit, 16 used
    let (fm, bm) = page.pair();
    let mut front = FrontRing::<Three, u8>::init_at(fm, 5).unwrap();
    const N: u32 = count(10_000, 100) as u32;
    thread::scope(|s| {
        s.spawn(|| {
            let mut back = BackRing::<Three, u8>::attach(bm, 5).unwrap();
            assert_eq!(back.size(), 16);
            let mut seen = 0u32;
            while seen < N {
                if let Some(Three(b)) = back.pop_request().unwrap() {
                    assert_eq!(b, [seen as u8, (seen >> 8) as u8, 0xa5]);
                    let _ = back.push(&b[0]);
                    seen += 1;
                }
            }
        });
        let (mut sent, mut done) = (0u32, 0u32);
        while done < N {
            if sent < N
                && front
                    .push(&Three([sent as u8, (sent >> 8) as u8, 0xa5]))
                    .is_ok()
            {
                sent += 1;
            }
            if let Some(r) = front.pop_response().unwrap() {
                assert_eq!(r, done as u8);
                done += 1;
            }
        }
    });
}

#[test]
fn notify_decisions_follow_event_thresholds() {
    let page = Page::new(PAGE_SIZE);
    let (fm, bm) = page.pair();
    let mut front = FrontRing::<u64, u64>::init(fm).unwrap();
    let mut back = BackRing::<u64, u64>::attach(bm, 0).unwrap();
    // req_event = 1 after init: the first request notifies, later ones
    // don't until the backend re-arms with its final check.
    assert_eq!(front.push(&1).map(Notify::needed), Ok(true));
    assert_eq!(front.push(&2).map(Notify::needed), Ok(false));
    assert_eq!(back.requests().unwrap().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(back.final_check_for_requests(), Ok(false)); // req_event = 3
    front.produce(&3).unwrap();
    front.produce(&4).unwrap();
    // 3 lies in (2, 4].
    assert!(front.publish().needed());
    // A final check with work pending does not re-arm.
    assert_eq!(back.final_check_for_requests(), Ok(true));
    assert_eq!(front.push(&5).map(Notify::needed), Ok(false));
    // The backend answers: the first response crosses rsp_event = 1.
    for _ in 0..3 {
        back.pop_request().unwrap().unwrap();
    }
    back.produce(&10).unwrap();
    assert!(back.publish().needed()); // rsp_event = 1 in (0, 1]
    assert_eq!(back.push(&11).map(Notify::needed), Ok(false));
    assert_eq!(front.unconsumed_responses(), Ok(2));
    // Backend cannot answer more than it consumed.
    for v in [12, 13, 14] {
        back.produce(&v).unwrap();
    }
    assert_eq!(back.produce(&15), Err(RingFull));
    // Nothing published yet beyond 2 responses.
    assert_eq!(front.responses().unwrap().len(), 2); // not consumed yet
    assert_eq!(front.responses().unwrap().collect::<Vec<_>>(), [10, 11]);
    assert_eq!(front.final_check_for_responses(), Ok(false)); // rsp_event = 3
    assert!(back.publish().needed());
    assert_eq!(front.responses().unwrap().collect::<Vec<_>>(), [12, 13, 14]);
    assert_eq!(front.free_requests(), 256);
}

#[test]
fn full_ring_refuses() {
    let page = Page::new(PAGE_SIZE);
    let (fm, _) = page.pair();
    let mut front = BlkifFrontRing::init(fm).unwrap();
    for i in 0..32 {
        front.produce(&blk_req(i)).unwrap();
    }
    assert!(front.is_full());
    assert_eq!(front.produce(&blk_req(32)), Err(RingFull));
    assert!(front.publish().needed());
}

#[test]
fn setup_errors() {
    let page = Page::new(64);
    let (m, _) = page.pair();
    assert!(BlkifFrontRing::init(m).is_err());
    let raw = Page::new(512);
    let p = raw.ptr();
    // SAFETY: `raw` outlives the attempt; nothing else touches it.
    let odd = unsafe { SharedMem::new(NonNull::new(p.as_ptr().wrapping_add(4)).unwrap(), 256) };
    assert!(matches!(
        odd,
        Err(xen_abi::Error::Misaligned { align: 8, .. })
    ));
}

// ---------------------------------------------------------------------------
// Hostile peers
// ---------------------------------------------------------------------------

#[test]
fn backend_rejects_req_prod_beyond_ring() {
    let page = Page::new(PAGE_SIZE);
    let p = page.peer();
    let (fm, bm) = page.pair();
    let start = u32::MAX - 5;
    let mut front = BlkifFrontRing::init_at(fm, start).unwrap();
    let mut back = BlkifBackRing::attach(bm, start).unwrap();
    for i in 0..3 {
        front.produce(&blk_req(i)).unwrap();
    }
    let _ = front.publish();
    assert_eq!(back.pop_request().unwrap().unwrap().id, 0);
    let req_prod = Page::word(p, 0);
    // One past the ring (RING_REQUEST_PROD_OVERFLOW), far past, backwards.
    for bad in [
        start.wrapping_add(33),
        start.wrapping_add(0x8000_0000),
        start,
    ] {
        req_prod.store(bad, Ordering::Relaxed);
        let err = back.requests().unwrap_err();
        assert_eq!(err.prod, bad);
        assert_eq!(back.unconsumed_requests(), Err(err));
        assert_eq!(back.final_check_for_requests(), Err(err));
        assert_eq!(back.req_cons(), start.wrapping_add(1)); // nothing consumed
    }
    // Exactly full is fine: 32 beyond the responses produced.
    req_prod.store(start.wrapping_add(32), Ordering::Relaxed);
    assert_eq!(back.unconsumed_requests(), Ok(31));
    assert_eq!(back.requests().unwrap().count(), 31);
    // Answering frees room: one more is then allowed.
    back.produce(&Response::default()).unwrap();
    req_prod.store(start.wrapping_add(33), Ordering::Relaxed);
    assert_eq!(back.unconsumed_requests(), Ok(1));
}

#[test]
fn frontend_rejects_unasked_responses() {
    let page = Page::new(PAGE_SIZE);
    let p = page.peer();
    let (fm, _) = page.pair();
    let mut front = BlkifFrontRing::init_at(fm, 7).unwrap();
    for i in 0..2 {
        front.produce(&blk_req(i)).unwrap();
    }
    let _ = front.publish();
    let rsp_prod = Page::word(p, 8);
    // Three responses to two requests.
    rsp_prod.store(10, Ordering::Relaxed);
    assert_eq!(
        front.responses().unwrap_err(),
        ProdOverflow {
            prod: 10,
            cons: 7,
            limit: 2
        }
    );
    rsp_prod.store(6, Ordering::Relaxed); // backwards
    assert!(front.pop_response().is_err());
    assert!(front.final_check_for_responses().is_err());
    rsp_prod.store(9, Ordering::Relaxed);
    assert_eq!(front.responses().unwrap().count(), 2);
    assert_eq!(front.free_requests(), 32);
}

#[test]
fn frontend_rejects_responses_to_unpublished_requests() {
    let page = Page::new(PAGE_SIZE);
    let p = page.peer();
    let (fm, _) = page.pair();
    let mut front = BlkifFrontRing::init_at(fm, 7).unwrap();
    let _ = front.push(&blk_req(0)).unwrap();
    // Produced but not published: the backend never saw it.
    front.produce(&blk_req(1)).unwrap();
    let rsp_prod = Page::word(p, 8);
    rsp_prod.store(9, Ordering::Relaxed);
    assert_eq!(
        front.responses().unwrap_err(),
        ProdOverflow {
            prod: 9,
            cons: 7,
            limit: 1
        }
    );
    assert_eq!(front.unconsumed_responses().unwrap_err().limit, 1);
    let _ = front.publish();
    assert_eq!(front.responses().unwrap().count(), 2);
}

/// A peer that scribbles random words over the whole page (indices, event
/// thresholds, slots) while the backend works: every call returns a value
/// or an error, nothing panics, nothing reads out of bounds, and the
/// backend never consumes more than `size` requests beyond its answers.
#[test]
fn scribbling_peer_cannot_break_the_backend() {
    let page = Page::new(PAGE_SIZE);
    let p = page.peer();
    let (_, bm) = page.pair();
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            let mut x = 0x1234_5678_9abc_def1u64;
            while !stop.load(Ordering::Relaxed) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let off = (x as usize % (PAGE_SIZE / 4)) * 4;
                // Mostly the indices, sometimes slots.
                let off = if x & 0x30 == 0 { off } else { off % 16 };
                Page::word(p, off).store((x >> 32) as u32, Ordering::Relaxed);
            }
        });
        // [u32; 3] / u32: all slot accesses are 4-byte words, like the peer's.
        let mut back = BackRing::<[u32; 3], u32>::attach(bm, 0).unwrap();
        let (mut ok, mut bad) = (0u32, 0u32);
        let deadline = Instant::now() + Duration::from_millis(count(300, 20));
        while Instant::now() < deadline {
            match back.requests() {
                Ok(batch) => {
                    assert!(batch.len() as u32 <= back_size());
                    for r in batch {
                        std::hint::black_box(r);
                    }
                    ok += 1;
                }
                Err(e) => {
                    assert!(e.limit <= back_size());
                    bad += 1;
                }
            }
            assert!(back.unanswered() <= back.size());
            while back.produce(&0xdead).is_ok() {}
            let _ = back.publish();
            let _ = back.final_check_for_requests();
        }
        stop.store(true, Ordering::Relaxed);
        assert!(ok + bad > 0);
    });

    fn back_size() -> u32 {
        xen_abi::io::ring::ring_size(PAGE_SIZE, 12)
    }
}

/// A slot rewritten while it is being read: the consumer's copy is a
/// snapshot that cannot change afterwards (`black_box` hides it from the
/// optimiser; checking it twice gives the same answer).
#[test]
fn slot_rewritten_during_read_is_a_stable_copy() {
    let page = Page::new(PAGE_SIZE);
    let p = page.peer();
    let (fm, bm) = page.pair();
    let mut front = FrontRing::<[u32; 3], u32>::init(fm).unwrap();
    let mut back = BackRing::<[u32; 3], u32>::attach(bm, 0).unwrap();
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            let mut v = 0u32;
            while !stop.load(Ordering::Relaxed) {
                for w in 0..3 {
                    Page::word(p, 64 + 4 * w).store(v, Ordering::Relaxed);
                }
                v = v.wrapping_add(1);
            }
        });
        for _ in 0..count(20_000, 100) {
            front.produce(&[0; 3]).unwrap();
            let _ = front.publish();
            let req = back.pop_request().unwrap().unwrap();
            let snap = std::hint::black_box(req);
            let first = snap[0] <= snap[2];
            std::hint::black_box(());
            assert_eq!(first, snap[0] <= snap[2]);
            let _ = back.push(&snap[1]);
            let _ = front.pop_response().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
    });
}

/// Garbage pages: whatever the header says, attaching and consuming never
/// panics and errors are reported, at any start index.
#[test]
fn garbage_pages() {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for round in 0..count(2000, 10) {
        let mut bytes = vec![0u64; PAGE_SIZE / 8];
        for w in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *w = x;
        }
        if round % 2 == 0 {
            // Make the index plausible half of the time.
            bytes[0] = (bytes[0] & 0xffff_ffff_0000_0000) | u64::from(x as u32 % 40);
        }
        let mem = SharedMem::from_mut(bytes.as_mut_bytes()).unwrap();
        let mut back = BlkifBackRing::attach(mem, 0).unwrap();
        match back.requests() {
            Ok(b) => assert!(b.count() <= 32),
            Err(e) => assert!(e.prod > 32),
        }
        let _ = back.final_check_for_requests();
    }
}

/// The leading fields of a blkif request.
#[derive(Clone, Copy, zerocopy::FromBytes, IntoBytes, Immutable, zerocopy::KnownLayout)]
#[repr(C)]
struct RequestHead {
    operation: Operation,
    nr_segments: u8,
    handle: xen_abi::io::blkif::Vdev,
    _pad0: [u8; 4],
    id: u64,
}

#[test]
fn take_request_head_copies_the_prefix_and_consumes() {
    let page = Page::new(PAGE_SIZE);
    let (fm, bm) = page.pair();
    let mut front = BlkifFrontRing::init_at(fm, u32::MAX - 1).unwrap();
    let mut back = BlkifBackRing::attach(bm, u32::MAX - 1).unwrap();
    for id in 0..3 {
        front.produce(&blk_req(id)).unwrap();
    }
    let _ = front.publish();
    assert_eq!(back.fetch_requests(), Ok(3));
    let head = back.take_request_head::<RequestHead>().unwrap();
    assert_eq!(
        (head.operation, head.nr_segments, head.id),
        (Operation::READ, 0, 0)
    );
    // The next full copy is the next request: the head consumed its slot.
    let full = back.take_request().unwrap();
    assert_eq!(full.id, 1);
    assert_eq!(
        back.take_request_head::<RequestHead>().map(|h| h.id),
        Some(2)
    );
    assert!(back.take_request_head::<RequestHead>().is_none());
}

#[test]
fn produce_head_writes_the_prefix_and_leaves_the_rest() {
    // One thread: both ends on copies of one handle.
    let mut page = vec![0u64; PAGE_SIZE / 8];
    let mem = SharedMem::from_mut(page.as_mut_bytes()).unwrap();
    let mut front = BlkifFrontRing::init_at(mem, u32::MAX).unwrap();
    let mut back = BlkifBackRing::attach(mem, u32::MAX).unwrap();
    // Slot 31 first holds a full request, answered; then, after 31 more
    // requests wrap the ring around, only a new head is written over it.
    let first = blk_req(10);
    front.produce(&first).unwrap();
    let _ = front.publish();
    let got = back.pop_request().unwrap().unwrap();
    assert_eq!(got.sector_number, first.sector_number);
    back.produce(&Response::default()).unwrap();
    let _ = back.publish();
    assert!(front.pop_response().unwrap().is_some());
    for id in 0..32u64 {
        let head = RequestHead {
            operation: Operation::WRITE,
            nr_segments: 1,
            handle: 0,
            _pad0: [0; 4],
            id: 100 + id,
        };
        front.produce_head(&head).unwrap();
    }
    assert_eq!(front.produce_head(&0u64), Err(RingFull));
    let _ = front.publish();
    assert_eq!(back.fetch_requests(), Ok(32));
    let reqs: Vec<Request> = std::iter::from_fn(|| back.take_request()).collect();
    assert_eq!(reqs.len(), 32);
    for (i, r) in reqs.iter().enumerate() {
        assert_eq!(
            (r.operation, r.nr_segments, r.id),
            (Operation::WRITE, 1, 100 + i as u64)
        );
    }
    // The last one reuses slot 31 (index u32::MAX + 32): past the head it
    // still holds what the first request wrote there.
    assert_eq!(reqs[31].sector_number, first.sector_number);
    // The other slots were never written past their head: zero.
    assert_eq!(reqs[0].sector_number, 0);
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Property tests of the ring index arithmetic: the typed ring and the byte
//! rings against a model (a queue and plain integer counts), from any start
//! index, and the producer-index checks against any value a peer can write.
#![allow(clippy::std_instead_of_core, missing_docs)]

use std::collections::VecDeque;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use proptest::prelude::*;
use xen_abi::io::byte_ring::{XenstoreBack, XenstoreFront};
use xen_abi::io::ring::{BackRing, FrontRing, ProdOverflow, RingFull, SharedMem, PAGE_SIZE};

/// One allocation of atomics that the handles and the peer view borrow.
struct Page(Box<[AtomicU64]>);

impl Page {
    fn new(bytes: usize) -> Self {
        Self((0..bytes / 8).map(|_| AtomicU64::new(0)).collect())
    }

    fn handle(&self) -> SharedMem<'_> {
        let p = NonNull::from(&*self.0).cast::<u8>();
        // SAFETY: the page outlives the handle (it borrows `self`); every
        // access is atomic.
        unsafe { SharedMem::new(p, self.0.len() * 8).unwrap() }
    }

    /// The 4-byte index at byte `off`, as the peer writes it.
    fn word(&self, off: usize) -> &AtomicU32 {
        assert!(off % 4 == 0 && off < self.0.len() * 8);
        // SAFETY: in bounds and aligned (checked), borrowed from the page;
        // the rings access their indices 4 bytes wide too.
        unsafe {
            &*NonNull::from(&*self.0)
                .cast::<u8>()
                .as_ptr()
                .add(off)
                .cast()
        }
    }
}

/// 64-byte header, 8 slots of 8 bytes.
const SLOTS: u32 = 8;
const RING_BYTES: usize = 64 + 8 * SLOTS as usize;
const REQ_PROD: usize = 0;
const RSP_PROD: usize = 8;
const XS_RSP_CONS: usize = 2056;
const XS_RSP_PROD: usize = 2060;

fn config() -> ProptestConfig {
    // Few cases: unit tests stay quick; `PROPTEST_CASES` raises them.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// One step of the two ends of a typed ring, driven by the test.
#[derive(Debug, Clone)]
enum Step {
    /// The frontend produces this many requests (as many as fit).
    Produce(u8),
    /// The frontend publishes.
    PublishRequests,
    /// The backend consumes up to this many requests.
    Consume(u8),
    /// The backend answers up to this many consumed requests and publishes.
    Answer(u8),
    /// The frontend takes the published responses.
    TakeResponses,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..12).prop_map(Step::Produce),
        Just(Step::PublishRequests),
        (0u8..12).prop_map(Step::Consume),
        (0u8..12).prop_map(Step::Answer),
        Just(Step::TakeResponses),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Both ends against a model, from any start index (wrapping included):
    /// every request arrives once and in order, every answer too, and the
    /// counts the ends report are the model's.
    #[test]
    fn typed_ring_matches_a_queue(start in any::<u32>(), steps in prop::collection::vec(step(), 1..60)) {
        let page = Page::new(RING_BYTES);
        let mem = page.handle();
        let mut front = FrontRing::<u64, u64>::init_at(mem, start).unwrap();
        let mut back = BackRing::<u64, u64>::attach(mem, start).unwrap();
        prop_assert_eq!(front.size(), SLOTS);
        // Model: produced (unpublished), published, consumed, answered.
        let (mut next, mut produced, mut published) = (0u64, 0u32, 0u32);
        let mut at_back: VecDeque<u64> = VecDeque::new();
        let (mut answered, mut expect_rsp) = (0u32, 0u64);
        let mut outstanding = 0u32; // produced, not yet answered and taken
        for s in steps {
            match s {
                Step::Produce(n) => {
                    for _ in 0..n {
                        let r = front.produce(&next);
                        if outstanding == SLOTS {
                            prop_assert_eq!(r, Err(RingFull));
                            break;
                        }
                        prop_assert_eq!(r, Ok(()));
                        next += 1;
                        produced += 1;
                        outstanding += 1;
                    }
                }
                Step::PublishRequests => {
                    let _ = front.publish();
                    published += produced;
                    produced = 0;
                }
                Step::Consume(n) => {
                    prop_assert_eq!(back.unconsumed_requests(), Ok(published));
                    for _ in 0..n {
                        match back.pop_request().unwrap() {
                            Some(v) => {
                                prop_assert!(published > 0);
                                published -= 1;
                                at_back.push_back(v);
                            }
                            None => {
                                prop_assert_eq!(published, 0);
                                break;
                            }
                        }
                    }
                }
                Step::Answer(n) => {
                    for _ in 0..n {
                        let Some(v) = at_back.pop_front() else {
                            prop_assert_eq!(back.produce(&0), Err(RingFull));
                            break;
                        };
                        prop_assert_eq!(back.produce(&(v ^ 0xa5a5)), Ok(()));
                    }
                    let _ = back.publish();
                    answered = back.rsp_prod_pvt().wrapping_sub(start);
                }
                Step::TakeResponses => {
                    for r in front.responses().unwrap() {
                        prop_assert_eq!(r, expect_rsp ^ 0xa5a5);
                        expect_rsp += 1;
                        outstanding -= 1;
                    }
                    prop_assert_eq!(u64::from(answered), expect_rsp);
                }
            }
            prop_assert_eq!(front.free_requests(), SLOTS - outstanding);
            prop_assert_eq!(front.outstanding(), outstanding);
        }
    }

    /// Whatever `req_prod` the peer writes, the backend accepts exactly the
    /// values in `[req_cons, rsp_prod_pvt + size]` (wrapping), and then
    /// reports `req_prod - req_cons` unconsumed requests.
    #[test]
    fn backend_accepts_exactly_the_possible_producer_indices(
        start in any::<u32>(),
        published in 0u32..=SLOTS,
        consumed in 0u32..=SLOTS,
        answered in 0u32..=SLOTS,
        hostile in any::<u32>(),
        near in -20i64..20,
        pick_near in any::<bool>(),
    ) {
        let consumed = consumed.min(published);
        let answered = answered.min(consumed);
        let page = Page::new(RING_BYTES);
        let mem = page.handle();
        let mut front = FrontRing::<u64, u64>::init_at(mem, start).unwrap();
        let mut back = BackRing::<u64, u64>::attach(mem, start).unwrap();
        for i in 0..published {
            front.produce(&u64::from(i)).unwrap();
        }
        let _ = front.publish();
        for _ in 0..consumed {
            back.pop_request().unwrap().unwrap();
        }
        for _ in 0..answered {
            back.produce(&0).unwrap();
        }
        let cons = start.wrapping_add(consumed);
        let base = start.wrapping_add(answered);
        let prod = if pick_near { base.wrapping_add(near as u32) } else { hostile };
        page.word(REQ_PROD).store(prod, Ordering::Relaxed);
        let possible = prod.wrapping_sub(base) <= SLOTS
            && prod.wrapping_sub(base) >= cons.wrapping_sub(base);
        match back.unconsumed_requests() {
            Ok(n) => {
                prop_assert!(possible);
                prop_assert_eq!(n, prod.wrapping_sub(cons));
            }
            Err(ProdOverflow { prod: p, cons: c, .. }) => {
                prop_assert!(!possible);
                prop_assert_eq!((p, c), (prod, cons));
            }
        }
        prop_assert_eq!(back.req_cons(), cons); // nothing consumed by a check
    }

    /// Whatever `rsp_prod` the peer writes, the frontend accepts at most
    /// the requests it published and has not seen answered.
    #[test]
    fn frontend_accepts_only_answers_to_published_requests(
        start in any::<u32>(),
        published in 0u32..=SLOTS,
        unpublished in 0u32..=SLOTS,
        delta in any::<u32>(),
        near in 0u32..20,
        pick_near in any::<bool>(),
    ) {
        let unpublished = unpublished.min(SLOTS - published);
        let page = Page::new(RING_BYTES);
        let mut front = FrontRing::<u64, u64>::init_at(page.handle(), start).unwrap();
        for i in 0..published {
            front.produce(&u64::from(i)).unwrap();
        }
        let _ = front.publish();
        for i in 0..unpublished {
            front.produce(&u64::from(i)).unwrap();
        }
        let rsp = start.wrapping_add(if pick_near { near } else { delta });
        page.word(RSP_PROD).store(rsp, Ordering::Relaxed);
        let n = rsp.wrapping_sub(start);
        match front.responses() {
            Ok(batch) => {
                prop_assert!(n <= published);
                prop_assert_eq!(batch.len() as u32, n);
            }
            Err(e) => {
                prop_assert!(n > published);
                prop_assert_eq!((e.prod, e.cons, e.limit), (rsp, start, published));
            }
        }
    }

    /// The xenstore byte ring: any chunking of any bytes, from any start
    /// index, arrives unchanged; `writable + readable` is the ring size.
    #[test]
    fn byte_ring_round_trips(
        start in any::<u32>(),
        chunks in prop::collection::vec((prop::collection::vec(any::<u8>(), 0..1500), 1usize..1500), 1..12),
    ) {
        let page = Page::new(PAGE_SIZE);
        for off in [2048, 2052] {
            page.word(off).store(start, Ordering::Relaxed);
        }
        let mem = page.handle();
        let mut guest = XenstoreFront::attach(mem).unwrap();
        let mut store = XenstoreBack::attach(mem).unwrap();
        let mut sent: VecDeque<u8> = VecDeque::new();
        for (data, read_len) in chunks {
            let n = guest.write(&data).unwrap().len();
            prop_assert_eq!(n, data.len().min(1024 - sent.len()));
            sent.extend(&data[..n]);
            prop_assert_eq!(guest.writable().unwrap() as usize + sent.len(), 1024);
            prop_assert_eq!(store.readable().unwrap() as usize, sent.len());
            let mut buf = vec![0u8; read_len];
            let k = store.read(&mut buf).unwrap().len();
            prop_assert_eq!(k, read_len.min(sent.len()));
            let expect: Vec<u8> = sent.drain(..k).collect();
            prop_assert_eq!(&buf[..k], &expect[..]);
        }
    }

    /// Any producer index a peer writes into a byte ring: readable iff at
    /// most a ring's worth ahead of our consumer index (wrapping).
    #[test]
    fn byte_ring_accepts_exactly_a_ring_of_data(cons in any::<u32>(), prod in any::<u32>(), near in 0u32..2100, pick_near in any::<bool>()) {
        let page = Page::new(PAGE_SIZE);
        page.word(XS_RSP_CONS).store(cons, Ordering::Relaxed);
        let guest = XenstoreFront::attach(page.handle()).unwrap();
        let prod = if pick_near { cons.wrapping_add(near) } else { prod };
        page.word(XS_RSP_PROD).store(prod, Ordering::Relaxed);
        let avail = prod.wrapping_sub(cons);
        match guest.readable() {
            Ok(n) => {
                prop_assert!(avail <= 1024);
                prop_assert_eq!(n, avail);
            }
            Err(e) => {
                prop_assert!(avail > 1024);
                prop_assert_eq!((e.prod, e.cons, e.size), (prod, cons, 1024));
            }
        }
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! loom models of the `io/ring.h` notify protocol: the producer's
//! push-and-check-notify against the consumer's final check before
//! sleeping. loom explores the interleavings and weak-memory outcomes of
//! the real ring code (its atomics become loom's under `--cfg xen_abi_loom`); a
//! consumer asleep with work pending and no event coming is reported by
//! loom as a deadlock, i.e. a lost wake-up. Also a model of `SharedMem`'s
//! 8- and 16-bit read-modify-writes, which loom runs on 32-bit words.
//!
//! Unit tests of the library, so that loom is a dev-dependency only (it never
//! enters a downstream lockfile). Run: `RUSTFLAGS="--cfg xen_abi_loom" cargo
//! test -p xen-abi --release --lib io::loom_model` (a step of `cargo xtask test`).
// Test code: it makes the loom atomics the region of a `SharedMem`.
#![allow(unsafe_code, clippy::std_instead_of_core)]

use std::ptr::NonNull;
use std::vec::Vec;

use crate::io::ring::{BackRing, FrontRing, SharedMem};
use loom::sync::atomic::AtomicU32;
use loom::sync::{Arc, Notify};
use loom::thread;

/// A ring of two `u32` slots: the 64-byte header and 8 bytes of slots.
const WORDS: usize = (64 + 2 * 4) / 4;

struct Page(Vec<AtomicU32>);

impl Page {
    fn new() -> Arc<Self> {
        Arc::new(Self((0..WORDS).map(|_| AtomicU32::new(0)).collect()))
    }

    fn mem(&self) -> SharedMem<'_> {
        let p = NonNull::from(&self.0[..]).cast::<u8>();
        // SAFETY: under loom a SharedMem is an array of loom AtomicU32s;
        // the page outlives the handle (it borrows `self`).
        unsafe { SharedMem::new(p, WORDS * 4).unwrap() }
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    // Bounded so the step stays well under a minute on two cores.
    if b.preemption_bound.is_none() {
        b.preemption_bound = Some(3);
    }
    b.check(f);
}

/// The backend sleeps only after `final_check_for_requests` says no work;
/// the frontend notifies exactly when `publish` says so. No interleaving
/// leaves a request unseen with the backend asleep.
#[test]
fn requests_no_lost_wakeup() {
    model(|| {
        let page = Page::new();
        let event = Arc::new(Notify::new());
        let mut front = FrontRing::<u32, u32>::init(page.mem()).unwrap();
        assert_eq!(front.size(), 2);
        let back = {
            let (page, event) = (page.clone(), event.clone());
            thread::spawn(move || {
                let mut back = BackRing::<u32, u32>::attach(page.mem(), 0).unwrap();
                let mut got = 0;
                loop {
                    while let Some(r) = back.pop_request().unwrap() {
                        assert_eq!(r, got);
                        got += 1;
                    }
                    if got == 2 {
                        break;
                    }
                    if !back.final_check_for_requests().unwrap() {
                        event.wait();
                    }
                }
            })
        };
        for i in 0..2 {
            if front.push(&i).unwrap().needed() {
                event.notify();
            }
        }
        back.join().unwrap();
    });
}

/// Two full round trips: each side sleeps on its own event after its final
/// check; responses travel with the backend's notify decision.
#[test]
fn ping_pong_no_lost_wakeup() {
    model(|| {
        let page = Page::new();
        let (to_back, to_front) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let mut front = FrontRing::<u32, u32>::init(page.mem()).unwrap();
        let back = {
            let (page, to_back, to_front) = (page.clone(), to_back.clone(), to_front.clone());
            thread::spawn(move || {
                let mut back = BackRing::<u32, u32>::attach(page.mem(), 0).unwrap();
                for i in 0..2u32 {
                    let req = loop {
                        if let Some(r) = back.pop_request().unwrap() {
                            break r;
                        }
                        if !back.final_check_for_requests().unwrap() {
                            to_back.wait();
                        }
                    };
                    assert_eq!(req, i);
                    if back.push(&(req + 100)).unwrap().needed() {
                        to_front.notify();
                    }
                }
            })
        };
        for i in 0..2u32 {
            if front.push(&i).unwrap().needed() {
                to_back.notify();
            }
            let rsp = loop {
                if let Some(r) = front.pop_response().unwrap() {
                    break r;
                }
                if !front.final_check_for_responses().unwrap() {
                    to_front.wait();
                }
            };
            assert_eq!(rsp, i + 100);
        }
        back.join().unwrap();
    });
}

/// The model has teeth: a backend that sleeps when it sees no work but
/// skips the final check (never re-arms `req_event`) loses a wake-up, and
/// loom finds the interleaving. (Sleeping is modelled with a pending flag
/// and a "frontend finished" flag here, so the lost wake-up is an outcome
/// to count rather than a deadlock to unwind from.)
#[test]
fn skipping_the_final_check_loses_a_wakeup() {
    static LOST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    model(|| {
        use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
        let page = Page::new();
        let pending = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let mut front = FrontRing::<u32, u32>::init(page.mem()).unwrap();
        let back = {
            let (page, pending, done) = (page.clone(), pending.clone(), done.clone());
            thread::spawn(move || {
                let mut back = BackRing::<u32, u32>::attach(page.mem(), 0).unwrap();
                let mut got = 0;
                loop {
                    while back.pop_request().unwrap().is_some() {
                        got += 1;
                    }
                    if got == 2 {
                        return true;
                    }
                    if back.unconsumed_requests().unwrap() == 0 {
                        // Sleep until an event; if the frontend has
                        // finished and none is pending, none will come.
                        loop {
                            if pending.swap(false, SeqCst) {
                                break;
                            }
                            if done.load(SeqCst) && !pending.swap(false, SeqCst) {
                                return false;
                            }
                            thread::yield_now();
                        }
                    }
                }
            })
        };
        for i in 0..2 {
            if front.push(&i).unwrap().needed() {
                pending.store(true, SeqCst);
            }
        }
        done.store(true, SeqCst);
        if !back.join().unwrap() {
            LOST.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    assert!(
        LOST.load(std::sync::atomic::Ordering::Relaxed),
        "loom did not find the lost wake-up"
    );
}

/// `SharedMem`'s 8- and 16-bit read-modify-writes work on the loom word
/// that holds them: two threads setting bits of neighbouring bytes and
/// claiming a 16-bit field lose no update in any interleaving.
#[test]
fn sub_word_accessors_lose_no_update() {
    use loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
    model(|| {
        let page = Page::new();
        let other = {
            let page = page.clone();
            thread::spawn(move || {
                let mem = page.mem();
                mem.fetch_or_u8(1, 0x80, AcqRel).unwrap();
                mem.compare_exchange_u16(2, 0, 2, AcqRel, Acquire).unwrap()
            })
        };
        let mem = page.mem();
        mem.fetch_or_u8(0, 0x01, AcqRel).unwrap();
        let mine = mem.compare_exchange_u16(2, 0, 1, AcqRel, Acquire).unwrap();
        let theirs = other.join().unwrap();
        assert!(mine.is_ok() != theirs.is_ok(), "exactly one claim wins");
        let winner = if mine.is_ok() { 1 } else { 2 };
        assert_eq!(mem.load_u16(2, Relaxed), Ok(winner));
        assert_eq!(mem.load_u16(0, Relaxed), Ok(0x8001));
        assert_eq!(mem.fetch_and_u8(1, 0x0f, Relaxed), Ok(0x80));
        assert_eq!(mem.load_u32(0, Relaxed), Ok(u32::from(winner) << 16 | 1));
    });
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The xenstore and console byte rings between two threads, with
//! wrap-around from non-zero indices, plus hostile peers.
#![allow(clippy::std_instead_of_core, missing_docs)]

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::thread;

use xen_abi::io::byte_ring::{
    BadIndex, ConsoleBack, ConsoleFront, Transfer, XenstoreBack, XenstoreFront,
};
use xen_abi::io::ring::{SharedMem, PAGE_SIZE};

/// One page of atomics that the handles and the peer's index words all
/// borrow shared (no second `&mut` over it, which would invalidate the
/// others under Stacked/Tree Borrows).
struct Page(Box<[AtomicU64]>);

impl Page {
    fn new() -> Self {
        Self((0..PAGE_SIZE / 8).map(|_| AtomicU64::new(0)).collect())
    }

    fn ptr(&self) -> NonNull<u8> {
        NonNull::from(&*self.0).cast()
    }

    fn pair(&self) -> (SharedMem<'_>, SharedMem<'_>) {
        let p = self.ptr();
        // SAFETY: the page outlives the handles; all accesses are atomic.
        unsafe {
            (
                SharedMem::new(p, PAGE_SIZE).unwrap(),
                SharedMem::new(p, PAGE_SIZE).unwrap(),
            )
        }
    }

    /// The index word at byte `off`, as a hostile peer sees it (the rings
    /// access indices 4 bytes wide too).
    fn word(&self, off: usize) -> &AtomicU32 {
        assert!(off % 4 == 0 && off < PAGE_SIZE);
        // SAFETY: in bounds and aligned (checked), borrowed from the page;
        // atomic access.
        unsafe { &*self.ptr().as_ptr().add(off).cast::<AtomicU32>() }
    }
}

/// `native` bytes/iterations natively, `miri` under Miri (thousands of
/// times slower): the same test, sized so `cargo xtask miri` stays short.
const fn count(native: u64, miri: u64) -> u64 {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

// Offsets of the indices (xs_wire.h, console.h).
const XS_REQ_CONS: usize = 2048;
const XS_REQ_PROD: usize = 2052;
const XS_RSP_CONS: usize = 2056;
const XS_RSP_PROD: usize = 2060;
const IN_CONS: usize = 3072;
const IN_PROD: usize = 3076;
const OUT_CONS: usize = 3080;
const OUT_PROD: usize = 3084;

fn byte(i: u64) -> u8 {
    (i.wrapping_mul(0x9e37_79b9) >> 11) as u8
}

/// Streams `n` bytes from `write` to `read` in odd-sized chunks on two
/// threads, checking every byte.
fn stream(
    n: u64,
    mut write: impl FnMut(&[u8]) -> Result<Transfer, BadIndex> + Send,
    mut read: impl FnMut(&mut [u8]) -> Result<Transfer, BadIndex> + Send,
) {
    thread::scope(|s| {
        s.spawn(move || {
            let mut sent = 0u64;
            let mut chunk = 1usize;
            while sent < n {
                let k = chunk.min((n - sent) as usize);
                let buf: Vec<u8> = (sent..sent + k as u64).map(byte).collect();
                sent += write(&buf).unwrap().len() as u64;
                chunk = chunk % 1500 + 37;
                thread::yield_now();
            }
        });
        let mut got = 0u64;
        let mut buf = [0u8; 777];
        while got < n {
            let k = read(&mut buf).unwrap().len();
            for (i, b) in buf[..k].iter().enumerate() {
                assert_eq!(*b, byte(got + i as u64), "byte {}", got + i as u64);
            }
            got += k as u64;
            if k == 0 {
                thread::yield_now();
            }
        }
    });
}

#[test]
fn xenstore_both_directions_wrap() {
    let page = Page::new();
    let start = u32::MAX - 300;
    for off in [XS_REQ_CONS, XS_REQ_PROD, XS_RSP_CONS, XS_RSP_PROD] {
        page.word(off).store(start, Ordering::Relaxed);
    }
    let (a, b) = page.pair();
    let (mut guest, mut store) = (
        XenstoreFront::attach(a).unwrap(),
        XenstoreBack::attach(b).unwrap(),
    );
    assert_eq!(guest.writable(), Ok(1024));
    stream(count(300_000, 5000), |b| guest.write(b), |b| store.read(b));
    stream(count(300_000, 5000), |b| store.write(b), |b| guest.read(b));
    assert_eq!(guest.readable(), Ok(0));
}

#[test]
fn console_both_directions_wrap() {
    let page = Page::new();
    let start = 0x8000_0000 - 5;
    for off in [IN_CONS, IN_PROD, OUT_CONS, OUT_PROD] {
        page.word(off).store(start, Ordering::Relaxed);
    }
    let (a, b) = page.pair();
    let (mut guest, mut backend) = (
        ConsoleFront::attach(a).unwrap(),
        ConsoleBack::attach(b).unwrap(),
    );
    assert_eq!(guest.writable(), Ok(2048));
    assert_eq!(backend.writable(), Ok(1024));
    stream(
        count(300_000, 5000),
        |b| guest.write(b),
        |b| backend.read(b),
    );
    stream(
        count(300_000, 5000),
        |b| backend.write(b),
        |b| guest.read(b),
    );
}

#[test]
fn full_and_empty() {
    let page = Page::new();
    let (a, b) = page.pair();
    let (mut guest, mut backend) = (
        ConsoleFront::attach(a).unwrap(),
        ConsoleBack::attach(b).unwrap(),
    );
    assert_eq!(guest.write(&[7; 5000]).map(Transfer::len), Ok(2048));
    assert_eq!(guest.write(&[7; 1]).map(Transfer::len), Ok(0));
    assert_eq!(guest.writable(), Ok(0));
    let mut buf = [0; 4096];
    assert_eq!(backend.read(&mut buf).map(Transfer::len), Ok(2048));
    assert_eq!(backend.read(&mut buf).map(Transfer::len), Ok(0));
    assert_eq!(guest.read(&mut buf).map(Transfer::len), Ok(0));
}

#[test]
fn hostile_producer_index() {
    let page = Page::new();
    let rsp_prod = page.word(XS_RSP_PROD);
    let rsp_cons = page.word(XS_RSP_CONS);
    let (a, _) = page.pair();
    let mut guest = XenstoreFront::attach(a).unwrap();
    let mut buf = [0u8; 4096];
    for bad in [1025, u32::MAX, 0x8000_0000] {
        rsp_prod.store(bad, Ordering::Relaxed);
        assert_eq!(
            guest.read(&mut buf).map(Transfer::len),
            Err(BadIndex {
                prod: bad,
                cons: 0,
                size: 1024
            })
        );
        assert_eq!(guest.readable().unwrap_err().prod, bad);
    }
    // The peer cannot move our consumer index either: it is ours.
    rsp_cons.store(500, Ordering::Relaxed);
    rsp_prod.store(1024, Ordering::Relaxed);
    assert_eq!(guest.read(&mut buf).map(Transfer::len), Ok(1024));
    assert_eq!(rsp_cons.load(Ordering::Relaxed), 1024);
}

#[test]
fn hostile_consumer_index() {
    let page = Page::new();
    let out_cons = page.word(OUT_CONS);
    let (a, _) = page.pair();
    let mut guest = ConsoleFront::attach(a).unwrap();
    assert_eq!(guest.write(b"abc").map(Transfer::len), Ok(3));
    // Consumer ahead of the producer, or too far behind.
    for bad in [4, u32::MAX - 2046] {
        out_cons.store(bad, Ordering::Relaxed);
        let e = guest.write(b"x").unwrap_err();
        assert_eq!((e.prod, e.cons, e.size), (3, bad, 2048));
        assert!(guest.writable().is_err());
    }
    out_cons.store(3, Ordering::Relaxed);
    assert_eq!(guest.writable(), Ok(2048));
}

#[test]
fn exactly_full_at_the_wrap() {
    let page = Page::new();
    // Both ends start 1000 bytes in: the next write straddles the wrap.
    for off in [XS_REQ_CONS, XS_REQ_PROD] {
        page.word(off).store(1000, Ordering::Relaxed);
    }
    let (a, b) = page.pair();
    let (mut guest, mut store) = (
        XenstoreFront::attach(a).unwrap(),
        XenstoreBack::attach(b).unwrap(),
    );
    let data: Vec<u8> = (0..1024).map(byte).collect();
    assert_eq!(guest.write(&data).map(Transfer::len), Ok(1024));
    assert_eq!(guest.writable(), Ok(0));
    assert_eq!(guest.write(b"x").map(Transfer::len), Ok(0));
    assert_eq!(store.readable(), Ok(1024));
    let mut buf = [0u8; 2048];
    assert_eq!(store.read(&mut buf).map(Transfer::len), Ok(1024));
    assert_eq!(&buf[..1024], &data[..]);
    assert_eq!(guest.writable(), Ok(1024));
    assert_eq!(store.readable(), Ok(0));
}

#[test]
fn consumer_index_moved_backwards_within_the_ring() {
    let page = Page::new();
    let out_cons = page.word(OUT_CONS);
    let (a, _) = page.pair();
    let mut guest = ConsoleFront::attach(a).unwrap();
    assert_eq!(guest.write(&[1; 100]).map(Transfer::len), Ok(100));
    out_cons.store(100, Ordering::Relaxed);
    assert_eq!(guest.writable(), Ok(2048));
    // Back by 60: it claims 60 bytes unread again. Still within the ring,
    // so not an error; the producer only sees less room and never writes
    // over the bytes the consumer says it has not read.
    out_cons.store(40, Ordering::Relaxed);
    assert_eq!(guest.writable(), Ok(2048 - 60));
    assert_eq!(guest.write(&[2; 4096]).map(Transfer::len), Ok(2048 - 60));
    assert_eq!(guest.writable(), Ok(0));
    // Back past a full ring's worth is refused.
    out_cons.store(39, Ordering::Relaxed);
    let e = guest.write(b"x").unwrap_err();
    assert_eq!((e.prod, e.cons, e.size), (2088, 39, 2048));
}

/// A peer rewriting the indices (all of them, ours too) while both ends
/// run: every call returns bytes or an error, never panics, never goes out
/// of bounds.
#[test]
fn scribbling_peer() {
    let (xs_page, con_page) = (Page::new(), Page::new());
    let mut words: Vec<&AtomicU32> = Vec::new();
    for off in [XS_REQ_CONS, XS_REQ_PROD, XS_RSP_CONS, XS_RSP_PROD] {
        words.push(xs_page.word(off));
    }
    for off in [IN_CONS, IN_PROD, OUT_CONS, OUT_PROD] {
        words.push(con_page.word(off));
    }
    let (a, _) = xs_page.pair();
    let (b, _) = con_page.pair();
    let stop = std::sync::atomic::AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            let mut x = 88172645463325252u64;
            while !stop.load(Ordering::Relaxed) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let v = if x & 0x100 == 0 {
                    (x >> 32) as u32
                } else {
                    (x >> 40) as u32 & 0x7ff
                };
                words[(x & 7) as usize].store(v, Ordering::Relaxed);
            }
        });
        let mut xs = XenstoreFront::attach(a).unwrap();
        let mut con = ConsoleFront::attach(b).unwrap();
        let mut buf = [0u8; 3000];
        let (mut ok, mut bad) = (0u32, 0u32);
        for _ in 0..count(100_000, 300) {
            for r in [
                xs.read(&mut buf).map(|n| n.len() <= 1024),
                xs.write(&buf[..1500]).map(|n| n.len() <= 1024),
                con.read(&mut buf).map(|n| n.len() <= 1024),
                con.write(&buf).map(|n| n.len() <= 2048),
            ] {
                match r {
                    Ok(within) => {
                        assert!(within);
                        ok += 1;
                    }
                    Err(e) => {
                        assert!(e.prod.wrapping_sub(e.cons) > e.size);
                        bad += 1;
                    }
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        assert!(ok > 0 && bad > 0, "ok {ok} bad {bad}");
    });
}

#[test]
fn short_page_is_refused() {
    let mut bytes = vec![0u64; 200];
    let mem = SharedMem::from_mut(zerocopy::IntoBytes::as_mut_bytes(&mut bytes[..])).unwrap();
    assert!(matches!(
        ConsoleFront::attach(mem),
        Err(xen_abi::Error::BadLength {
            expected: 3088,
            actual: 1600
        })
    ));
}

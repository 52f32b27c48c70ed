// SPDX-License-Identifier: MIT OR Apache-2.0
//! Both ends of a blkif ring over a page the fuzzer controls, with a peer
//! that rewrites words of the page between operations.
#![no_main]

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use libfuzzer_sys::fuzz_target;
use xen_abi::io::blkif::{Request, Response};
use xen_abi::io::ring::{BlkifBackRing, BlkifFrontRing, SharedMem, PAGE_SIZE};

fuzz_target!(|data: &[u8]| {
    let (page_len, rest) = match data.split_first() {
        Some((&pages, rest)) => (PAGE_SIZE * (1 + usize::from(pages & 1)), rest),
        None => return,
    };
    // The header (and the first slot) from the input, the rest a pattern.
    let mut page: Vec<u64> = (0..page_len as u64 / 8)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .collect();
    let (init, ops) = rest.split_at(rest.len().min(24));
    for (i, b) in init.iter().enumerate() {
        let w = if i < 16 { i / 8 } else { 8 + (i - 16) / 8 };
        page[w] = (page[w] & !(0xff << (8 * (i % 8)))) | u64::from(*b) << (8 * (i % 8));
    }
    let p = NonNull::from(&mut page[..]).cast::<u8>();
    // SAFETY: `page` outlives the handles and the peer view, and every
    // access to it below is atomic.
    let (fm, bm, peer) = unsafe {
        (
            SharedMem::new(p, page_len).unwrap(),
            SharedMem::new(p, page_len).unwrap(),
            std::slice::from_raw_parts(p.as_ptr().cast::<AtomicU32>(), page_len / 4),
        )
    };
    let start = peer[0]
        .load(Ordering::Relaxed)
        .wrapping_add(peer[2].load(Ordering::Relaxed));
    let mut back = BlkifBackRing::attach(bm, start).unwrap();
    let mut front = BlkifFrontRing::attach(fm, start).unwrap();
    let size = back.size();
    let mut ops = ops.iter().copied();
    while let Some(op) = ops.next() {
        match op % 10 {
            0 => {
                if let Ok(Some(r)) = back.pop_request() {
                    std::hint::black_box(r);
                }
            }
            1 => {
                if let Ok(b) = back.requests() {
                    assert!(b.len() as u32 <= size);
                    b.for_each(|r: Request| {
                        std::hint::black_box(r);
                    });
                }
            }
            2 => {
                let _ = back.produce(&Response::default());
                let _ = back.publish();
            }
            3 => {
                let _ = back.final_check_for_requests();
            }
            4 | 5 => {
                // The peer rewrites a word: mostly the header.
                let hi = ops.next().unwrap_or(0);
                let lo = ops.next().unwrap_or(0);
                let idx = if op == 4 {
                    usize::from(lo) % 4
                } else {
                    (usize::from(hi) << 8 | usize::from(lo)) % peer.len()
                };
                let v =
                    u32::from_le_bytes([ops.next().unwrap_or(0), ops.next().unwrap_or(0), hi, lo]);
                peer[idx].store(v, Ordering::Relaxed);
            }
            6 => {
                let _ = front.produce(&Request::default());
                let _ = front.publish();
            }
            7 => {
                if let Ok(Some(r)) = front.pop_response() {
                    std::hint::black_box(r);
                }
            }
            8 => {
                let _ = front.final_check_for_responses();
            }
            _ => {
                if let Ok(b) = front.responses() {
                    assert!(b.len() as u32 <= size);
                    b.for_each(|r: Response| {
                        std::hint::black_box(r);
                    });
                }
            }
        }
        assert!(back.unanswered() <= size);
        assert!(front.outstanding() <= size);
        assert!(front.free_requests() <= size);
    }
});

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The xenstore and console byte rings over pages the fuzzer controls, with
//! a peer that rewrites the indices between operations.
#![no_main]

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use libfuzzer_sys::fuzz_target;
use xen_abi::io::byte_ring::{ConsoleBack, ConsoleFront, XenstoreBack, XenstoreFront};
use xen_abi::io::ring::{SharedMem, PAGE_SIZE};

fuzz_target!(|data: &[u8]| {
    let mut page = vec![0u64; PAGE_SIZE / 8];
    // Seed the index area (bytes 2048..3100) from the input.
    let (init, ops) = data.split_at(data.len().min(64));
    for (i, b) in init.iter().enumerate() {
        let at = 2048 + i * 16 % 1052;
        page[at / 8] ^= u64::from(*b) << (8 * (at % 8));
    }
    let p = NonNull::from(&mut page[..]).cast::<u8>();
    // SAFETY: `page` outlives every handle; all accesses are atomic.
    let (m1, m2, m3, m4, peer) = unsafe {
        (
            SharedMem::new(p, PAGE_SIZE).unwrap(),
            SharedMem::new(p, PAGE_SIZE).unwrap(),
            SharedMem::new(p, PAGE_SIZE).unwrap(),
            SharedMem::new(p, PAGE_SIZE).unwrap(),
            std::slice::from_raw_parts(p.as_ptr().cast::<AtomicU32>(), PAGE_SIZE / 4),
        )
    };
    // The xenstore and console layouts overlap in one page here, which only
    // makes the peer more hostile.
    let mut xf = XenstoreFront::attach(m1).unwrap();
    let mut xb = XenstoreBack::attach(m2).unwrap();
    let mut cf = ConsoleFront::attach(m3).unwrap();
    let mut cb = ConsoleBack::attach(m4).unwrap();
    let mut buf = [0u8; 4096];
    let mut ops = ops.iter().copied();
    while let Some(op) = ops.next() {
        let len = usize::from(ops.next().unwrap_or(0)) * 16;
        let r = match op % 9 {
            0 => xf.write(&buf[..len]).map(|n| n.len() <= 1024),
            1 => xf.read(&mut buf[..len]).map(|n| n.len() <= 1024),
            2 => xb.write(&buf[..len]).map(|n| n.len() <= 1024),
            3 => xb.read(&mut buf[..len]).map(|n| n.len() <= 1024),
            4 => cf.write(&buf[..len]).map(|n| n.len() <= 2048),
            5 => cf.read(&mut buf[..len]).map(|n| n.len() <= 1024),
            6 => cb.write(&buf[..len]).map(|n| n.len() <= 1024),
            7 => cb.read(&mut buf[..len]).map(|n| n.len() <= 2048),
            _ => {
                let idx = 512 + usize::from(ops.next().unwrap_or(0)) % 262;
                let v = u32::from_le_bytes([
                    ops.next().unwrap_or(0),
                    ops.next().unwrap_or(0),
                    0,
                    (len / 16) as u8,
                ]);
                peer[idx].store(v, Ordering::Relaxed);
                Ok(true)
            }
        };
        if let Ok(within) = r {
            assert!(within);
        }
    }
});

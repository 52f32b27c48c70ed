// SPDX-License-Identifier: MIT OR Apache-2.0
//! A vchan client attached to a control page the fuzzer wrote (orders,
//! grant list, indices, live and notify bytes), then reading, writing and
//! asking for room and data while a hostile server rewrites the page and
//! the rings between operations. Nothing may panic or touch memory outside
//! the page and the rings; a read never returns more than was asked or than
//! the ring holds, and once an index was refused every later call fails.
#![no_main]

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use libfuzzer_sys::fuzz_target;
use xen_abi::grant_table::GrantRef;
use xen_abi::io::shm::SharedMem;
use xen_vchan::{Endpoint, Error, Paged, Pages, Place};

const PAGE: usize = 4096;
/// Control page plus up to 8 ring pages.
const PAGES: usize = 9;

fuzz_target!(|data: &[u8]| {
    let mut mem = vec![0u64; PAGES * PAGE / 8];
    let (init, ops) = data.split_at(data.len().min(48));
    // The header and the first grants come from the input; the orders are
    // steered towards valid ones half of the time.
    for (i, b) in init.iter().enumerate() {
        mem[i / 8] |= u64::from(*b) << (8 * (i % 8));
    }
    if init.first().is_some_and(|b| b & 1 == 0) {
        let lo = 10 + u64::from(init.get(1).copied().unwrap_or(0) % 5);
        let ro = 10 + u64::from(init.get(2).copied().unwrap_or(0) % 5);
        mem[2] = (mem[2] & !0xffff_ffff) | lo | (ro << 16);
    }
    let p = NonNull::from(&mut mem[..]).cast::<u8>();
    // SAFETY: `mem` outlives every handle; all accesses are atomic.
    let (all, peer) = unsafe {
        (
            SharedMem::new(p, PAGES * PAGE).unwrap(),
            std::slice::from_raw_parts(p.as_ptr().cast::<AtomicU32>(), PAGES * PAGE / 4),
        )
    };
    let ctrl = all.sub(0, PAGE).unwrap();
    let Ok(mut client) = Endpoint::client(ctrl) else {
        return;
    };
    let mut refs = vec![GrantRef::INVALID; client.orders().grant_count()];
    if client.grants(ctrl, &mut refs).is_err() {
        return;
    }
    // Granted rings: page 1 + grant index (wrapping into the 8 we have),
    // mapped one by one.
    let page = |i: usize| all.sub(PAGE * (1 + i % (PAGES - 1)), PAGE).unwrap();
    let ring = |place: Place, size: usize| match place {
        Place::InPage(off) => vec![ctrl.sub(off, size).unwrap()],
        Place::Granted { first, pages } => (first..first + pages).map(page).collect(),
    };
    let (rx_size, tx_size) = (client.rx_size(), client.tx_size());
    let rx: Vec<_> = ring(client.rx_place(), rx_size)
        .into_iter()
        .map(|m| m.read_only())
        .collect();
    let tx = ring(client.tx_place(), tx_size);
    let in_page = |v: &Vec<SharedMem<'_, _>>| v.len() == 1 && v[0].len() < PAGE;
    let _ = client.connect(ctrl);
    let mut buf = vec![0u8; 1 << 16];
    let mut broken = false;
    let mut ops = ops.iter().copied();
    while let Some(op) = ops.next() {
        let len = usize::from(ops.next().unwrap_or(0)) * 97;
        let r = match op % 6 {
            0 | 1 => {
                let r = if in_page(&rx) {
                    let pages = Pages { ctrl, rx: rx[0], tx: tx[0] };
                    client.read(&pages, &mut buf[..len])
                } else {
                    let pages = Pages { ctrl, rx: Paged(&rx[..]), tx: Paged(&tx[..]) };
                    client.read(&pages, &mut buf[..len])
                };
                r.map(|t| {
                    assert!(t.len() <= len && t.len() <= rx_size);
                })
            }
            2 => {
                let pages = Pages { ctrl, rx: Paged(&rx[..]), tx: Paged(&tx[..]) };
                client.write(&pages, &buf[..len]).map(|t| {
                    assert!(t.len() <= len && t.len() <= tx_size);
                })
            }
            3 => {
                let pages = Pages { ctrl, rx: rx[0], tx: tx[0] };
                client
                    .data_ready(&pages)
                    .map(|n| assert!(n <= rx_size))
                    .and_then(|_| client.buffer_space(&pages).map(|n| assert!(n <= tx_size)))
            }
            4 => client.peer_state(ctrl).map(drop),
            _ => {
                // The hostile server rewrites a word of the header or of a
                // ring.
                let word = usize::from(ops.next().unwrap_or(0)) % 8
                    + usize::from(ops.next().unwrap_or(0)) * 64 % (PAGES * PAGE / 4);
                let v = u32::from_le_bytes([
                    ops.next().unwrap_or(0),
                    ops.next().unwrap_or(0),
                    ops.next().unwrap_or(0),
                    (len / 97) as u8,
                ]);
                peer[word].store(v, Ordering::Relaxed);
                Ok(())
            }
        };
        match r {
            Err(Error::BadIndex { .. }) => broken = true,
            Ok(()) if op % 6 < 4 => assert!(!broken, "a broken channel moved bytes"),
            _ => {}
        }
    }
});

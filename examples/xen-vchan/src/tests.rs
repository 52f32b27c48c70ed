// SPDX-License-Identifier: MIT OR Apache-2.0
//! The core with two ends in one process, over plain memory.

use core::sync::atomic::Ordering;
use std::vec;
use std::vec::Vec;

use xen_abi::grant_table::GrantRef;
use xen_abi::io::shm::SharedMem;
use xen_abi::io::vchan::{
    CLI_LIVE_OFFSET, CLI_NOTIFY_OFFSET, LEFT_ORDER_OFFSET, LEFT_PROD_OFFSET, RIGHT_CONS_OFFSET,
    SRV_LIVE_OFFSET, SRV_NOTIFY_OFFSET,
};
use zerocopy::IntoBytes;

use crate::{Endpoint, Error, Orders, Pages, PeerState, Place, RingBuffer};

/// 8-aligned memory for a control page and the paged rings.
fn memory(pages: usize) -> Vec<u64> {
    vec![0u64; pages * 512]
}

fn shm(buf: &mut [u64]) -> SharedMem<'_> {
    SharedMem::from_mut(buf.as_mut_bytes()).unwrap()
}

/// Two ends over a page (plus ring pages), with their `Pages`.
fn pair(mem: SharedMem<'_>, orders: Orders) -> (Endpoint, Pages<'_>, Endpoint, Pages<'_>) {
    let ctrl = mem.sub(0, 4096).unwrap();
    let grants: Vec<GrantRef> = (0..orders.grant_count())
        .map(|i| GrantRef::new(100 + i as u32).unwrap())
        .collect();
    let server = Endpoint::server(ctrl, orders, &grants).unwrap();
    let client = Endpoint::client(ctrl).unwrap();
    let mut seen = vec![GrantRef::INVALID; orders.grant_count()];
    client.grants(ctrl, &mut seen).unwrap();
    assert_eq!(seen, grants);
    // Paged rings: page i of the grant list is page 1 + i of `mem`.
    let ring = |place: Place, size: usize| match place {
        Place::InPage(off) => ctrl.sub(off, size).unwrap(),
        Place::Granted { first, pages } => mem.sub(4096 * (1 + first), 4096 * pages).unwrap(),
    };
    let left = ring(orders.left_place(), orders.left_size());
    let right = ring(orders.right_place(), orders.right_size());
    let _ = client.connect(ctrl).unwrap();
    (
        server,
        Pages {
            ctrl,
            rx: left.read_only(),
            tx: right,
        },
        client,
        Pages {
            ctrl,
            rx: right.read_only(),
            tx: left,
        },
    )
}

/// Writes everything, reading on the other side whenever the ring fills;
/// returns what arrived.
fn pump(
    tx: &mut Endpoint,
    tx_pages: &Pages<'_>,
    rx: &mut Endpoint,
    rx_pages: &Pages<'_>,
    data: &[u8],
    chunk: usize,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut sent = 0;
    let mut buf = vec![0u8; chunk];
    while out.len() < data.len() {
        if sent < data.len() {
            let end = (sent + chunk).min(data.len());
            sent += tx.write(tx_pages, &data[sent..end]).unwrap().len();
        }
        let n = rx.read(rx_pages, &mut buf).unwrap().len();
        out.extend_from_slice(&buf[..n]);
    }
    out
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

#[test]
fn in_page_rings_carry_bytes_both_ways_and_wrap() {
    let mut m = memory(1);
    let mem = shm(&mut m);
    let orders = Orders::for_sizes(1024, 2048).unwrap();
    let (mut s, sp, mut c, cp) = pair(mem, orders);
    assert_eq!(s.peer_state(sp.ctrl).unwrap(), PeerState::Connected);
    assert_eq!(c.peer_state(cp.ctrl).unwrap(), PeerState::Connected);
    // Many times the ring sizes, in odd chunks: every wrap position.
    let up = pattern(50_000, 1);
    assert_eq!(pump(&mut c, &cp, &mut s, &sp, &up, 333), up);
    let down = pattern(70_001, 2);
    assert_eq!(pump(&mut s, &sp, &mut c, &cp, &down, 1000), down);
}

#[test]
fn paged_rings_carry_bytes() {
    // Left 8 KiB (2 pages), right 16 KiB (4 pages).
    let mut m = memory(1 + 6);
    let mem = shm(&mut m);
    let orders = Orders::for_sizes(8192, 16384).unwrap();
    assert_eq!((orders.left(), orders.right()), (13, 14));
    let (mut s, sp, mut c, cp) = pair(mem, orders);
    let up = pattern(100_000, 3);
    assert_eq!(pump(&mut c, &cp, &mut s, &sp, &up, 5000), up);
    let down = pattern(100_000, 4);
    assert_eq!(pump(&mut s, &sp, &mut c, &cp, &down, 7000), down);
}

#[test]
fn partial_writes_and_reads() {
    let mut m = memory(1);
    let mem = shm(&mut m);
    let (mut s, sp, mut c, cp) = pair(mem, Orders::new(10, 11).unwrap());
    // The client writes the 1 KiB left ring: 1500 bytes go in as 1024.
    let data = pattern(1500, 5);
    let t = c.write(&cp, &data).unwrap();
    assert_eq!(t.len(), 1024);
    assert_eq!(c.write(&cp, &data[1024..]).unwrap().len(), 0);
    assert_eq!(s.data_ready(&sp).unwrap(), 1024);
    // A short read takes part; the rest stays.
    let mut buf = [0u8; 100];
    assert_eq!(s.read(&sp, &mut buf).unwrap().len(), 100);
    assert_eq!(&buf[..], &data[..100]);
    let mut big = vec![0u8; 4096];
    assert_eq!(s.read(&sp, &mut big).unwrap().len(), 924);
    assert_eq!(&big[..924], &data[100..1024]);
    assert_eq!(s.read(&sp, &mut big).unwrap().len(), 0);
    assert_eq!(c.buffer_space(&cp).unwrap(), 1024);
}

#[test]
fn notify_only_when_asked() {
    let mut m = memory(1);
    let mem = shm(&mut m);
    let (mut s, sp, mut c, cp) = pair(mem, Orders::new(10, 11).unwrap());
    // The server asked (at setup) to hear of the client's writes: once.
    assert!(c.write(&cp, b"a").unwrap().notify().needed());
    assert!(!c.write(&cp, b"b").unwrap().notify().needed());
    // Nobody asked to hear of reads yet.
    let mut buf = [0u8; 2];
    let t = s.read(&sp, &mut buf).unwrap();
    assert_eq!(t.len(), 2);
    assert!(!t.notify().needed());
    // An empty read asks for the next write.
    assert_eq!(s.read(&sp, &mut buf).unwrap().len(), 0);
    assert!(c.write(&cp, b"c").unwrap().notify().needed());
    // A full ring asks the reader to tell when it made room.
    assert_eq!(c.write(&cp, &[0; 2000]).unwrap().len(), 1023);
    assert_eq!(c.write(&cp, b"x").unwrap().len(), 0);
    let mut big = [0u8; 10];
    assert!(s.read(&sp, &mut big).unwrap().notify().needed());
    assert!(!s.read(&sp, &mut big).unwrap().notify().needed());
}

#[test]
fn close_and_waiting_are_seen() {
    let mut m = memory(1);
    let mem = shm(&mut m);
    let ctrl = mem.sub(0, 4096).unwrap();
    let orders = Orders::new(11, 10).unwrap();
    let s = Endpoint::server(ctrl, orders, &[]).unwrap();
    assert_eq!(s.peer_state(ctrl).unwrap(), PeerState::Waiting);
    let c = Endpoint::client(ctrl).unwrap();
    assert!(c.connect(ctrl).unwrap().needed());
    assert_eq!(s.peer_state(ctrl).unwrap(), PeerState::Connected);
    assert!(c.close(ctrl).unwrap().needed());
    assert_eq!(s.peer_state(ctrl).unwrap(), PeerState::Gone);
    let _ = s.close(ctrl).unwrap();
    assert_eq!(c.peer_state(ctrl).unwrap(), PeerState::Gone);
    // A client never sees "waiting" in srv_live; garbage is an error.
    ctrl.store_u8(SRV_LIVE_OFFSET, 2, Ordering::Relaxed)
        .unwrap();
    assert!(matches!(c.peer_state(ctrl), Err(Error::BadLive(2))));
    ctrl.store_u8(CLI_LIVE_OFFSET, 0x55, Ordering::Relaxed)
        .unwrap();
    assert!(matches!(s.peer_state(ctrl), Err(Error::BadLive(0x55))));
}

#[test]
fn hostile_indices_are_errors_and_stick() {
    let mut m = memory(1);
    let mem = shm(&mut m);
    let (mut s, sp, mut c, cp) = pair(mem, Orders::new(10, 11).unwrap());
    // The client claims 5000 bytes in a 1 KiB ring.
    sp.ctrl
        .store_u32(LEFT_PROD_OFFSET, 5000, Ordering::Relaxed)
        .unwrap();
    let mut buf = [0u8; 64];
    let e = s.read(&sp, &mut buf).unwrap_err();
    assert!(
        matches!(
            e,
            Error::BadIndex {
                prod: 5000,
                cons: 0,
                size: 1024,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(buf, [0u8; 64], "no data reported");
    // Even once the peer puts it back, the channel stays broken.
    sp.ctrl
        .store_u32(LEFT_PROD_OFFSET, 0, Ordering::Relaxed)
        .unwrap();
    assert!(s.read(&sp, &mut buf).is_err());
    assert!(s.write(&sp, b"x").is_err());
    // A consumer index ahead of what was produced (room > size).
    cp.ctrl
        .store_u32(RIGHT_CONS_OFFSET, 7, Ordering::Relaxed)
        .unwrap();
    let e = s.data_ready(&sp).unwrap_err();
    assert!(matches!(e, Error::BadIndex { .. }), "{e:?}");
    // The client's own side: its read ring's producer is only the server's.
    assert_eq!(c.write(&cp, b"ok").unwrap().len(), 2);
    // A backwards producer (prod < cons) is as bad.
    cp.ctrl
        .store_u32(
            xen_abi::io::vchan::RIGHT_PROD_OFFSET,
            u32::MAX,
            Ordering::Relaxed,
        )
        .unwrap();
    assert!(matches!(c.read(&cp, &mut buf), Err(Error::BadIndex { .. })));
}

#[test]
fn hostile_control_pages_are_refused_at_attach() {
    let mut m = memory(1);
    let mem = shm(&mut m);
    let ctrl = mem.sub(0, 4096).unwrap();
    let _s = Endpoint::server(
        ctrl,
        Orders::new(12, 12).unwrap(),
        &[GrantRef::new(9).unwrap(), GrantRef::new(10).unwrap()],
    )
    .unwrap();
    for (l, r) in [(10u16, 10u16), (3, 12), (12, 40), (20, 10)] {
        ctrl.store_u16(LEFT_ORDER_OFFSET, l, Ordering::Relaxed)
            .unwrap();
        ctrl.store_u16(LEFT_ORDER_OFFSET + 2, r, Ordering::Relaxed)
            .unwrap();
        assert!(matches!(
            Endpoint::client(ctrl),
            Err(Error::BadOrders { .. })
        ));
    }
    ctrl.store_u16(LEFT_ORDER_OFFSET, 12, Ordering::Relaxed)
        .unwrap();
    ctrl.store_u16(LEFT_ORDER_OFFSET + 2, 12, Ordering::Relaxed)
        .unwrap();
    let c = Endpoint::client(ctrl).unwrap();
    ctrl.store_u32(24 + 4, u32::MAX, Ordering::Relaxed).unwrap();
    let mut g = [GrantRef::INVALID; 2];
    assert!(matches!(
        c.grants(ctrl, &mut g),
        Err(Error::BadGrant {
            index: 1,
            raw: u32::MAX
        })
    ));
    let mut short = [GrantRef::INVALID; 1];
    assert!(c.grants(ctrl, &mut short).is_err());
    // A small page is refused, not read out of bounds.
    let small = mem.sub(0, 1024).unwrap();
    assert!(Endpoint::client(small).is_err());
    assert!(Endpoint::server(small, Orders::new(10, 11).unwrap(), &[]).is_err());
}

#[test]
fn notify_bits_are_the_c_ones() {
    let mut m = memory(1);
    let mem = shm(&mut m);
    let (mut s, sp, _c, _cp) = pair(mem, Orders::new(10, 11).unwrap());
    // After connect: the server asked the client for writes (cli_notify),
    // the client asked the server for writes (srv_notify).
    assert_eq!(
        sp.ctrl
            .load_u8(CLI_NOTIFY_OFFSET, Ordering::Relaxed)
            .unwrap(),
        1
    );
    assert_eq!(
        sp.ctrl
            .load_u8(SRV_NOTIFY_OFFSET, Ordering::Relaxed)
            .unwrap(),
        1
    );
    assert!(s.write(&sp, b"x").unwrap().notify().needed());
    assert_eq!(
        sp.ctrl
            .load_u8(SRV_NOTIFY_OFFSET, Ordering::Relaxed)
            .unwrap(),
        0
    );
    assert_eq!(s.buffer_space(&sp).unwrap(), 2047);
    assert_eq!(
        sp.ctrl
            .load_u8(CLI_NOTIFY_OFFSET, Ordering::Relaxed)
            .unwrap(),
        3
    );
}

/// Two threads streaming both ways at once over paged rings: the orderings
/// hold under real concurrency (no lost or reordered bytes).
#[test]
fn two_threads_stream() {
    let mut m = memory(1 + 2);
    let mem = shm(&mut m);
    let (mut s, sp, mut c, cp) = pair(mem, Orders::new(12, 12).unwrap());
    let up = pattern(600_000, 7);
    let down = pattern(500_000, 9);
    std::thread::scope(|scope| {
        let (up2, down2) = (&up, &down);
        scope.spawn(move || {
            // Client: send `up`, receive `down`.
            let (mut sent, mut got) = (0, Vec::new());
            let mut buf = vec![0u8; 3000];
            while sent < up2.len() || got.len() < down2.len() {
                if sent < up2.len() {
                    let end = (sent + 1777).min(up2.len());
                    sent += c.write(&cp, &up2[sent..end]).unwrap().len();
                }
                let n = c.read(&cp, &mut buf).unwrap().len();
                got.extend_from_slice(&buf[..n]);
                if n == 0 {
                    std::thread::yield_now();
                }
            }
            assert!(got == *down2, "client got wrong bytes");
        });
        let (mut sent, mut got) = (0, Vec::new());
        let mut buf = vec![0u8; 2500];
        while sent < down.len() || got.len() < up.len() {
            if sent < down.len() {
                let end = (sent + 999).min(down.len());
                sent += s.write(&sp, &down[sent..end]).unwrap().len();
            }
            let n = s.read(&sp, &mut buf).unwrap().len();
            got.extend_from_slice(&buf[..n]);
            if n == 0 {
                std::thread::yield_now();
            }
        }
        assert!(got == up, "server got wrong bytes");
    });
}

/// A client whose ring pages are mapped one by one (as a guest maps
/// grants) talks to a server with contiguous rings.
#[test]
fn paged_rings_match_contiguous_ones() {
    use crate::Paged;
    let mut m = memory(1 + 3);
    let mem = shm(&mut m);
    let (mut s, sp, mut c, _cp) = pair(mem, Orders::new(13, 12).unwrap());
    // Left ring: pages 1 and 2 of `mem`; right ring: page 3.
    let left: Vec<SharedMem<'_>> = (1..3).map(|p| mem.sub(p * 4096, 4096).unwrap()).collect();
    let right = [mem.sub(3 * 4096, 4096).unwrap().read_only()];
    let cp = Pages {
        ctrl: sp.ctrl,
        rx: Paged(&right[..]),
        tx: Paged(&left[..]),
    };
    let up = pattern(200_000, 11);
    let mut got = Vec::new();
    let (mut sent, mut buf) = (0, vec![0u8; 5000]);
    while got.len() < up.len() {
        if sent < up.len() {
            let end = (sent + 3001).min(up.len());
            sent += c.write(&cp, &up[sent..end]).unwrap().len();
        }
        let n = s.read(&sp, &mut buf).unwrap().len();
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got == up);
    let down = pattern(100_000, 12);
    let mut got = Vec::new();
    let mut sent = 0;
    while got.len() < down.len() {
        if sent < down.len() {
            let end = (sent + 2222).min(down.len());
            sent += s.write(&sp, &down[sent..end]).unwrap().len();
        }
        let n = c.read(&cp, &mut buf).unwrap().len();
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got == down);
    // A range that leaves the pages is an error, not a panic.
    assert!(RingBuffer::copy_out(&cp.tx, 8190, &mut [0u8; 4]).is_err());
}

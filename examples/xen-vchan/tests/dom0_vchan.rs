// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Linux half in a real Linux dom0 on Xen: our server and our client
//! (domid 0 to domid 0, which Xen and libxenvchan allow), and each of them
//! against Xen's C libxenvchan through Debian's `vchan-socket-proxy`, plus
//! hostile and absent peers.
//!
//! Every test needs the Xen devices and xenstored, and is ignored
//! elsewhere; `cargo xtask dom0` runs this binary in dom0 with
//! `--include-ignored` (the proxy's path in `XENRS_VCHAN_PROXY`). The
//! tests take one lock: they count the process's grant mappings (lines of
//! `/proc/self/maps`) and bound event channels (lines of
//! `/proc/interrupts`) before and after, to prove nothing leaks.
#![cfg(all(feature = "std", target_os = "linux"))]
#![allow(clippy::std_instead_of_core)]

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use xen_abi::io::shm::Ordering;
use xen_abi::io::vchan::{LEFT_PROD_OFFSET, RIGHT_PROD_OFFSET};
use xen_abi::DomId;
use xen_evtchn::linux::Evtchn;
use xen_grant::linux::{Access, Gntalloc};
use xen_store::{Store, Xenstore};
use xen_vchan::linux::{Client, Server};
use xen_vchan::xs::default_path;
use xen_vchan::{Endpoint, Error, Orders, PeerState};

const T: Duration = Duration::from_secs(10);
const DOM0: DomId = DomId::DOM0;

static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Grant mappings and bound ports of this process.
fn resources() -> (usize, usize) {
    let maps = std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| l.ends_with("/dev/xen/gntdev") || l.ends_with("/dev/xen/gntalloc"))
        .count();
    // Each port bound through /dev/xen/evtchn is an interrupt named
    // `evtchn:<comm of the opener>` (test threads have their own comm,
    // so count them all: nothing else in dom0 binds ports meanwhile).
    let ports = std::fs::read_to_string("/proc/interrupts")
        .unwrap()
        .lines()
        .filter(|l| l.contains("evtchn:"))
        .count();
    (maps, ports)
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed) ^ (i >> 9) as u8)
        .collect()
}

fn pair(port: u32, read_min: usize, write_min: usize) -> (Server<'static>, Client<'static>) {
    let path = default_path(DOM0, DOM0, port);
    let mut s = Server::new(DOM0, &path, read_min, write_min).unwrap_or_else(|e| panic!("{e}"));
    let c = Client::connect(DOM0, &path, T).unwrap_or_else(|e| panic!("{e}"));
    s.wait_connected(Some(T)).unwrap();
    (s, c)
}

/// Sends `data` from one end while the other reads it on a second thread.
fn stream<A: Write + Send, B: Read + Send>(tx: &mut A, rx: &mut B, data: &[u8], chunk: usize) {
    std::thread::scope(|s| {
        s.spawn(|| {
            for c in data.chunks(chunk) {
                tx.write_all(c).unwrap();
            }
        });
        let mut got = vec![0u8; data.len()];
        rx.read_exact(&mut got).unwrap();
        assert!(got == data, "bytes differ");
    });
}

#[test]
#[ignore = "needs a Xen dom0 (run by `cargo xtask dom0`)"]
fn dom0_ours_to_ours_round_trips_and_wraps() {
    let _g = lock();
    let before = resources();
    {
        let (mut s, mut c) = pair(101, 0, 0);
        assert_eq!((s.orders().left(), s.orders().right()), (10, 11));
        assert_eq!(c.orders(), s.orders());
        s.set_timeout(Some(T));
        c.set_timeout(Some(T));
        for i in 0..20u32 {
            let msg = format!("ping {i}").into_bytes();
            c.send_all(&msg).unwrap();
            let mut buf = vec![0u8; msg.len()];
            s.recv_exact(&mut buf).unwrap();
            assert_eq!(buf, msg);
            let reply = buf.to_ascii_uppercase();
            s.send_all(&reply).unwrap();
            c.recv_exact(&mut buf).unwrap();
            assert_eq!(buf, reply);
        }
        // Hundreds of times the 1 KiB and 2 KiB rings, both ways.
        stream(&mut c, &mut s, &pattern(256 * 1024, 1), 1500);
        stream(&mut s, &mut c, &pattern(384 * 1024, 2), 4000);
        let st = c.stats();
        assert!(st.bytes_written >= 256 * 1024 && st.bytes_read >= 384 * 1024);
        assert!(st.events_sent > 0 && st.events_received > 0);
        assert_eq!(resources().0, before.0 + 2, "one mapping each side");
        c.close().unwrap();
        // The server sees the client gone, reads EOF, and cannot write.
        assert_eq!(s.peer_state().unwrap(), PeerState::Gone);
        let mut buf = [0u8; 8];
        assert_eq!(s.read(&mut buf).unwrap(), 0);
        assert!(matches!(s.send(b"x"), Err(Error::PeerClosed)));
        assert!(!s.is_open());
    }
    assert_eq!(resources(), before, "mappings and ports released");
    // The server removed its nodes.
    let xs = Xenstore::open().unwrap();
    assert!(xs.read(&default_path(DOM0, DOM0, 101)).is_err());
}

#[test]
#[ignore = "needs a Xen dom0 (run by `cargo xtask dom0`)"]
fn dom0_multi_page_rings_and_partial_transfers() {
    let _g = lock();
    let before = resources();
    {
        let (mut s, mut c) = pair(102, 16384, 65536);
        assert_eq!((s.orders().left(), s.orders().right()), (14, 16));
        assert_eq!(s.orders().grant_count(), 4 + 16);
        s.set_timeout(Some(T));
        c.set_timeout(Some(T));
        // Partial write: the left ring holds 16 KiB.
        let big = pattern(20000, 3);
        assert_eq!(c.try_send(&big).unwrap(), 16384);
        assert_eq!(c.try_send(&big).unwrap(), 0);
        assert_eq!(c.buffer_space().unwrap(), 0);
        assert_eq!(s.data_ready().unwrap(), 16384);
        let mut part = vec![0u8; 1000];
        assert_eq!(s.try_recv(&mut part).unwrap(), 1000);
        assert_eq!(part, big[..1000]);
        let mut rest = vec![0u8; 20000];
        assert_eq!(s.try_recv(&mut rest).unwrap(), 15384);
        assert_eq!(rest[..15384], big[1000..16384]);
        assert_eq!(s.try_recv(&mut rest).unwrap(), 0);
        // Many times the rings, both ways.
        stream(&mut c, &mut s, &pattern(1 << 20, 4), 7000);
        stream(&mut s, &mut c, &pattern(1 << 20, 5), 50000);
        assert_eq!(resources().0, before.0 + 6, "ctrl + 2 rings each side");
    }
    assert_eq!(resources(), before, "mappings and ports released");
}

fn proxy(args: &[&str]) -> Child {
    let bin = std::env::var("XENRS_VCHAN_PROXY")
        .unwrap_or_else(|_| "/usr/lib/xen-4.17/bin/vchan-socket-proxy".into());
    Command::new(&bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e}"))
}

fn wait_exit(child: &mut Child, within: Duration) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// Our server, libxenvchan's client (`vchan-socket-proxy -m client`, which
/// passes its stdin to the vchan and the vchan to its stdout): what we
/// send through the proxy comes back upper-cased by our server.
#[test]
#[ignore = "needs a Xen dom0 (run by `cargo xtask dom0`)"]
fn dom0_our_server_c_client() {
    let _g = lock();
    let before = resources();
    let path = default_path(DOM0, DOM0, 103);
    {
        let mut s = Server::new(DOM0, &path, 0, 0).unwrap();
        s.set_timeout(Some(T));
        let mut child = proxy(&["-m", "client", "0", &path, "-"]);
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        s.wait_connected(Some(T)).unwrap();
        let lines: Vec<Vec<u8>> = (0..50)
            .map(|i| format!("line {i} from libxenvchan {}\n", "x".repeat(i * 7)).into_bytes())
            .collect();
        let sent: Vec<u8> = lines.concat();
        let expect = sent.to_ascii_uppercase();
        std::thread::scope(|sc| {
            let input = &mut stdin;
            let sent = &sent;
            sc.spawn(move || {
                input.write_all(sent).unwrap();
                input.flush().unwrap();
            });
            let mut got = vec![0u8; sent.len()];
            s.recv_exact(&mut got).unwrap();
            assert!(
                got == *sent,
                "the server got other bytes than the proxy's stdin"
            );
            s.send_all(&got.to_ascii_uppercase()).unwrap();
            let mut back = vec![0u8; expect.len()];
            stdout.read_exact(&mut back).unwrap();
            assert!(back == expect, "the proxy printed other bytes");
        });
        // End of input only now: the proxy closes the vchan at end of input.
        drop(stdin);
        // End of input: the C client closes; we see it gone, then EOF.
        let deadline = Instant::now() + T;
        while s.peer_state().unwrap() != PeerState::Gone && Instant::now() < deadline {
            match s.wait_event(Some(Duration::from_millis(200))) {
                Ok(()) | Err(Error::TimedOut) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(s.peer_state().unwrap(), PeerState::Gone);
        assert!(wait_exit(&mut child, T), "the proxy did not exit");
    }
    assert_eq!(resources(), before);
}

/// libxenvchan's server (`vchan-socket-proxy -m server ... -`), our client:
/// bytes both ways, many times its 1 KiB/2 KiB rings.
#[test]
#[ignore = "needs a Xen dom0 (run by `cargo xtask dom0`)"]
fn dom0_c_server_our_client() {
    let _g = lock();
    let before = resources();
    let path = default_path(DOM0, DOM0, 104);
    {
        let mut child = proxy(&["-m", "server", "0", &path, "-"]);
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut c = Client::connect(DOM0, &path, T).unwrap_or_else(|e| panic!("{e}"));
        c.set_timeout(Some(T));
        // libxenvchan_server_init(.., 0, 0): the in-page rings.
        assert_eq!((c.orders().left(), c.orders().right()), (10, 11));
        let up = pattern(100_000, 6);
        let down = pattern(150_000, 7);
        std::thread::scope(|sc| {
            let up = &up;
            let reader = sc.spawn(move || {
                let mut got = vec![0u8; up.len()];
                stdout.read_exact(&mut got).unwrap();
                got
            });
            // Borrowed, not moved: the proxy stops at end of its input, so
            // stdin stays open until everything came back.
            let (input, down2) = (&mut stdin, &down);
            sc.spawn(move || input.write_all(down2).unwrap());
            let mut got = vec![0u8; down.len()];
            // Interleave: write our stream while reading theirs.
            let mut sent = 0;
            let mut have = 0;
            let deadline = Instant::now() + 3 * T;
            while sent < up.len() || have < got.len() {
                assert!(
                    Instant::now() < deadline,
                    "stuck: sent {sent}/{}, got {have}/{}",
                    up.len(),
                    got.len()
                );
                if sent < up.len() {
                    let end = (sent + 3000).min(up.len());
                    sent += c.try_send(&up[sent..end]).unwrap();
                }
                if have < got.len() {
                    have += c.try_recv(&mut got[have..]).unwrap();
                }
                if c.data_ready().unwrap() == 0 {
                    match c.wait_event(Some(Duration::from_millis(50))) {
                        Ok(()) | Err(Error::TimedOut) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            assert!(
                got == down,
                "our client got other bytes than the proxy's stdin"
            );
            assert!(
                reader.join().unwrap() == *up,
                "the proxy printed other bytes"
            );
        });
        drop(stdin);
        c.close().unwrap();
        // The C server ends when its client leaves.
        assert!(wait_exit(&mut child, T), "the proxy did not exit");
    }
    assert_eq!(resources(), before);
}

#[test]
#[ignore = "needs a Xen dom0 (run by `cargo xtask dom0`)"]
fn dom0_absent_peers_time_out_and_release() {
    let _g = lock();
    let before = resources();
    // No server: connect gives up after its time-out.
    let t0 = Instant::now();
    let e = Client::connect(
        DOM0,
        &default_path(DOM0, DOM0, 105),
        Duration::from_millis(300),
    )
    .unwrap_err();
    assert!(matches!(e, Error::TimedOut), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(3));
    // No client: the server's wait ends with a time-out.
    {
        let mut s = Server::new(DOM0, &default_path(DOM0, DOM0, 106), 0, 0).unwrap();
        let t0 = Instant::now();
        let e = s
            .wait_connected(Some(Duration::from_millis(300)))
            .unwrap_err();
        assert!(matches!(e, Error::TimedOut), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(3));
        // Reads time out too, with nothing reported.
        s.set_timeout(Some(Duration::from_millis(200)));
        let mut buf = [0u8; 4];
        let e = s.read(&mut buf).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    }
    assert_eq!(resources(), before);
}

/// A hostile server: a control page written by hand with orders no vchan
/// has, then a good page whose producer index jumps past the ring.
#[test]
#[ignore = "needs a Xen dom0 (run by `cargo xtask dom0`)"]
fn dom0_hostile_server_gets_typed_errors() {
    let _g = lock();
    let before = resources();
    {
        let ga = Gntalloc::open().unwrap();
        let ev = Evtchn::open().unwrap();
        let port = ev.bind_unbound_port(DOM0).unwrap();
        let page = ga.share(DOM0, 1, Access::ReadWrite).unwrap();
        let ctrl = page.shared_mem(..).unwrap();
        let xs = Xenstore::open().unwrap();
        let path = default_path(DOM0, DOM0, 107);
        let publish = |ring_ref: &str| {
            xs.write(&format!("{path}/ring-ref"), ring_ref.as_bytes())
                .unwrap();
            xs.write(
                &format!("{path}/event-channel"),
                port.port().get().to_string().as_bytes(),
            )
            .unwrap();
        };
        // Garbage in the nodes.
        publish("eight");
        let e = Client::connect(DOM0, &path, T).unwrap_err();
        assert!(matches!(e, Error::BadNode { .. }), "{e}");
        // Orders 10 and 10: both rings at the same place.
        let _srv = Endpoint::server(ctrl, Orders::new(10, 11).unwrap(), &[]).unwrap();
        ctrl.store_u16(18, 10, Ordering::Relaxed).unwrap();
        publish(&page.refs()[0].get().to_string());
        let e = Client::connect(DOM0, &path, T).unwrap_err();
        assert!(
            matches!(
                e,
                Error::BadOrders {
                    left: 10,
                    right: 10
                }
            ),
            "{e}"
        );
        assert_eq!(resources().0, before.0 + 1, "only our own page");
        // Orders 12/12 whose grant list holds the invalid reference.
        let _srv = Endpoint::server(
            ctrl,
            Orders::new(12, 12).unwrap(),
            &[xen_abi::grant_table::GrantRef::new_unchecked(1); 2],
        )
        .unwrap();
        ctrl.store_u32(28, u32::MAX, Ordering::Relaxed).unwrap();
        let e = Client::connect(DOM0, &path, T).unwrap_err();
        assert!(matches!(e, Error::BadGrant { index: 1, .. }), "{e}");
        // A server that died between publishing and our mapping: its
        // grant is gone.
        let gone = ga.share(DOM0, 1, Access::ReadWrite).unwrap();
        let gone_ref = gone.refs()[0].get().to_string();
        drop(gone);
        publish(&gone_ref);
        let e = Client::connect(DOM0, &path, T).unwrap_err();
        assert!(matches!(e, Error::Grant(_)), "{e}");
        assert_eq!(resources().0, before.0 + 1, "only our own page");
        publish(&page.refs()[0].get().to_string());
        // A good page, then a producer index 5000 bytes ahead in a 2 KiB
        // ring: an error, no data.
        let _srv = Endpoint::server(ctrl, Orders::new(10, 11).unwrap(), &[]).unwrap();
        let mut c = Client::connect(DOM0, &path, T).unwrap();
        c.set_timeout(Some(T));
        ctrl.store_u32(RIGHT_PROD_OFFSET, 5000, Ordering::Release)
            .unwrap();
        let mut buf = [0u8; 64];
        let e = c.read(&mut buf).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData, "{e}");
        assert_eq!(buf, [0u8; 64]);
        // The client's own producer index is never read back: a peer
        // rewriting it changes nothing for the client's next write.
        ctrl.store_u32(LEFT_PROD_OFFSET, 12345, Ordering::Relaxed)
            .unwrap();
        assert_eq!(
            ctrl.load_u32(LEFT_PROD_OFFSET, Ordering::Relaxed).unwrap(),
            12345
        );
        drop(c);
        let _ = xs.rm(&path);
    }
    assert_eq!(resources(), before);
}

/// A client that floods notifications without writing anything: our
/// server's read still ends at its time-out, with no data.
#[test]
#[ignore = "needs a Xen dom0 (run by `cargo xtask dom0`)"]
fn dom0_notification_flood_is_not_data() {
    let _g = lock();
    let before = resources();
    {
        let path = default_path(DOM0, DOM0, 108);
        let mut s = Server::new(DOM0, &path, 0, 0).unwrap();
        // A raw client: bind to the server's port and notify in a loop.
        let xs = Xenstore::open().unwrap();
        let remote = xs.read_string(&format!("{path}/event-channel")).unwrap();
        let ev = Evtchn::open().unwrap();
        let port = ev
            .bind_interdomain(
                DOM0,
                xen_abi::event_channel::EvtchnPort::new(remote.parse().unwrap()).unwrap(),
            )
            .unwrap();
        s.set_timeout(Some(Duration::from_millis(500)));
        let t0 = Instant::now();
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|sc| {
            let stop = &stop;
            let port = &port;
            sc.spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 200_000 {
                    let _ = port.notify();
                    n += 1;
                }
            });
            let mut buf = [0u8; 16];
            let r = s.read(&mut buf);
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let e = r.unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}");
            assert_eq!(buf, [0u8; 16]);
        });
        assert!(t0.elapsed() < Duration::from_secs(5));
        assert!(s.stats().events_received > 0);
    }
    assert_eq!(resources(), before);
}

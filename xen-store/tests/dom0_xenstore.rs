// SPDX-License-Identifier: MIT OR Apache-2.0
//! The client against Debian's real C xenstored, from a Linux dom0, over
//! both transports: the Unix socket and `/dev/xen/xenbus`.
//!
//! Every test needs a running xenstored and is ignored elsewhere;
//! `cargo xtask dom0` boots Xen 4.17 and 4.20 with a Linux dom0 under QEMU
//! and runs this binary there with `--include-ignored`.
#![cfg(all(feature = "std", target_os = "linux"))]
#![allow(clippy::std_instead_of_core, unreachable_pub)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use xen_abi::io::xs_wire::TxId;
use xen_abi::{DomId, Errno};
use xen_store::wire::Request;
use xen_store::{Access, Endpoint, Error, Perm, Store, Xenstore, DEFAULT_SOCKET, XENBUS_DEVICE};

fn socket() -> Xenstore {
    Xenstore::open_socket_at(Path::new(DEFAULT_SOCKET)).unwrap_or_else(|e| panic!("socket: {e}"))
}

fn xenbus() -> Xenstore {
    Xenstore::open_xenbus_at(Path::new(XENBUS_DEVICE)).unwrap_or_else(|e| panic!("xenbus: {e}"))
}

/// True when the daemon is oxenstored (`/init` says which it started).
fn oxenstored() -> bool {
    std::env::var("XENRS_XENSTORED").as_deref() == Ok("oxenstored")
}

fn both() -> [(&'static str, Xenstore); 2] {
    [("socket", socket()), ("xenbus", xenbus())]
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn open_follows_libxenstores_fallback_order() {
    let xs = Xenstore::open().unwrap();
    assert!(matches!(xs.endpoint(), Endpoint::Socket(_)), "{xs:?}");
    // XENSTORED_PATH names the socket and, failing that, the device.
    std::env::set_var("XENSTORED_PATH", XENBUS_DEVICE);
    let xs = Xenstore::open();
    std::env::set_var("XENSTORED_PATH", "/nonexistent/socket");
    let none = Xenstore::open();
    std::env::remove_var("XENSTORED_PATH");
    let xs = xs.unwrap();
    assert!(
        matches!(xs.endpoint(), Endpoint::Xenbus(p) if p == Path::new(XENBUS_DEVICE)),
        "{xs:?}"
    );
    assert_eq!(xs.read("/local/domain/0/name").unwrap(), b"Domain-0");
    // Both attempts are named, each with the OS's own error: ENOENT from
    // connect(2), then from open(2).
    let Err(Error::Connect(c)) = &none else {
        panic!("{none:?}")
    };
    let tried: Vec<(&Path, Option<i32>)> = c
        .tried()
        .iter()
        .map(|(p, e)| (p.as_path(), e.raw_os_error()))
        .collect();
    let missing = Path::new("/nonexistent/socket");
    assert_eq!(tried, [(missing, Some(2)), (missing, Some(2))]);
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn read_write_mkdir_rm_directory() {
    for (t, xs) in both() {
        let base = format!("/xenrs/{t}/basic");
        xs.write(&format!("{base}/a"), b"1").unwrap();
        xs.write(&format!("{base}/b"), b"two\0bytes").unwrap();
        xs.mkdir(&format!("{base}/c")).unwrap();
        assert_eq!(xs.read(&format!("{base}/a")).unwrap(), b"1");
        assert_eq!(xs.read(&format!("{base}/b")).unwrap(), b"two\0bytes");
        assert_eq!(xs.read(&format!("{base}/c")).unwrap(), b"");
        let mut d = xs.directory(&base).unwrap();
        d.sort();
        assert_eq!(d, ["a", "b", "c"], "{t}");
        xs.rm(&base).unwrap();
        assert_eq!(
            xs.read(&format!("{base}/a")),
            Err(Error::Xenstore(Errno::ENOENT)),
            "{t}"
        );
        assert_eq!(xs.directory(&base), Err(Error::Xenstore(Errno::ENOENT)));
        // Relative paths are under the connection's home.
        xs.write("xenrs-rel", t.as_bytes()).unwrap();
        assert_eq!(xs.read("/local/domain/0/xenrs-rel").unwrap(), t.as_bytes());
        xs.rm("xenrs-rel").unwrap();
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn domain_queries() {
    for (t, xs) in both() {
        assert_eq!(
            xs.get_domain_path(DomId::DOM0).unwrap(),
            "/local/domain/0",
            "{t}"
        );
        assert_eq!(
            xs.get_domain_path(DomId::new(7).unwrap()).unwrap(),
            "/local/domain/7"
        );
        assert!(xs.is_domain_introduced(DomId::DOM0).unwrap(), "{t}");
        assert!(!xs.is_domain_introduced(DomId::new(42).unwrap()).unwrap());
        // Releasing a domain xenstored does not know is refused.
        assert!(matches!(
            xs.release(DomId::new(42).unwrap()),
            Err(Error::Xenstore(_))
        ));
        assert_eq!(xs.read("/local/domain/0/name").unwrap(), b"Domain-0");
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn large_directory_through_directory_part() {
    for (t, xs) in both() {
        let base = format!("/xenrs/{t}/big");
        let want: BTreeSet<String> = (0..300)
            .map(|i| format!("child-with-a-long-name-{i:04}"))
            .collect();
        xs.transaction(|tx| {
            for c in &want {
                tx.write(&format!("{base}/{c}"), b"")?;
            }
            Ok::<_, xen_store::Error>(())
        })
        .unwrap();
        // More than 4096 bytes of names: C xenstored says E2BIG, and so
        // does oxenstored to a ring connection (xenbus); to a socket it
        // sends them anyway (the client skips the oversized reply and
        // fails just that request).
        let whole = xs.request(&Request::Directory { path: &base }).err();
        if oxenstored() && t == "socket" {
            assert!(
                matches!(whole, Some(Error::PayloadTooLong(n)) if n > 4096),
                "{t}: {whole:?}"
            );
        } else {
            assert_eq!(whole, Some(Error::Xenstore(Errno::E2BIG)), "{t}");
        }
        if oxenstored() {
            // No XS_DIRECTORY_PART in oxenstored 4.17: the listing cannot
            // be had within the protocol's limit (libxenstore fails it
            // with E2BIG and a desynchronised socket); the connection
            // stays usable here.
            assert_eq!(xs.directory(&base).err(), whole, "{t}");
            assert_eq!(
                xs.directory_parts(&base),
                Err(Error::Xenstore(Errno::ENOSYS))
            );
            assert_eq!(xs.read("/local/domain/0/name").unwrap(), b"Domain-0");
        } else {
            let got: BTreeSet<String> = xs.directory(&base).unwrap().into_iter().collect();
            assert_eq!(got, want, "{t}");
            let parts: BTreeSet<String> = xs.directory_parts(&base).unwrap().into_iter().collect();
            assert_eq!(parts, want, "{t}");
        }
        xs.rm(&base).unwrap();
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn permissions_are_stored_and_enforced_on_form() {
    for (t, xs) in both() {
        let p = format!("/xenrs/{t}/perms");
        xs.write(&p, b"secret").unwrap();
        let perms = [
            Perm::new(Access::None, DomId::DOM0),
            Perm::new(Access::Read, DomId::new(5).unwrap()),
            Perm::new(Access::Both, DomId::new(6).unwrap()),
        ];
        xs.set_perms(&p, &perms).unwrap();
        assert_eq!(xs.get_perms(&p).unwrap(), perms, "{t}");
        // Dom0 owns the node: it still reads it.
        assert_eq!(xs.read(&p).unwrap(), b"secret");
        assert_eq!(
            xs.set_perms("/xenrs/none/such", &perms),
            Err(Error::Xenstore(Errno::ENOENT))
        );
        // Client-side validation: no request goes out.
        assert_eq!(xs.set_perms(&p, &[]), Err(Error::InvalidPerms));
        xs.rm(&p).unwrap();
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn watches_fire_across_connections_and_unwatch_drops_events() {
    for (t, xs) in both() {
        let other = socket();
        let base = format!("/xenrs/{t}/watch");
        xs.mkdir(&base).unwrap();
        let w = xs.watch(&base, "tok").unwrap();
        // xenstored fires once at registration.
        let e = w.next_event().unwrap();
        assert_eq!((e.path.as_str(), e.token.as_str()), (base.as_str(), "tok"));
        // Nothing fires: a timed wait gives up, and the next write's event
        // still arrives on the same connection.
        assert_eq!(
            w.next_event_timeout(Duration::from_millis(200)),
            Ok(None),
            "{t}"
        );
        other.write(&format!("{base}/x"), b"1").unwrap();
        let e = w.next_event_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(e.map(|e| e.path), Some(format!("{base}/x")), "{t}");
        // Queue two events, make sure they arrived, then unwatch.
        other.write(&format!("{base}/y"), b"2").unwrap();
        other.write(&format!("{base}/z"), b"3").unwrap();
        let e = w.next_event().unwrap();
        assert_eq!(e.path, format!("{base}/y"));
        while w.queued() == 0 {
            // Any round trip reads what is in the socket.
            xs.read(&format!("{base}/x")).unwrap();
        }
        w.unwatch().unwrap();
        other.write(&format!("{base}/after"), b"4").unwrap();
        let w2 = xs.watch(&format!("{base}/other"), "tok").unwrap();
        let e = w2.next_event().unwrap();
        assert_eq!(e.path, format!("{base}/other"), "{t}: stale event leaked");
        drop(w2);
        xs.rm(&base).unwrap();
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn special_watch_paths() {
    for (t, xs) in both() {
        let w = xs.watch("@releaseDomain", "rel").unwrap();
        assert_eq!(w.next_event().unwrap().path, "@releaseDomain", "{t}");
        let w2 = xs.watch("@introduceDomain", "intro").unwrap();
        assert_eq!(w2.next_event().unwrap().path, "@introduceDomain", "{t}");
        assert!(matches!(
            xs.watch("@bogus", "x"),
            Err(Error::InvalidPath(_))
        ));
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn transactions_conflict_retry_and_abort_on_drop() {
    for (t, xs) in both() {
        let other = socket();
        let k = format!("/xenrs/{t}/tx");
        xs.write(&k, b"0").unwrap();
        // A conflicting write between read and commit: EAGAIN.
        let tx = xs.transaction_start().unwrap();
        assert_eq!(tx.read(&k).unwrap(), b"0");
        other.write(&k, b"other").unwrap();
        tx.write(&k, b"mine").unwrap();
        assert_eq!(tx.commit(), Err(Error::Xenstore(Errno::EAGAIN)), "{t}");
        assert_eq!(xs.read(&k).unwrap(), b"other");
        // The helper retries: the first attempt conflicts, the second wins.
        let mut attempts = 0;
        xs.transaction(|tx| {
            attempts += 1;
            let v = tx.read(&k)?;
            if attempts == 1 {
                other.write(&k, b"again").unwrap();
            }
            let mut v2 = v.clone();
            v2.extend_from_slice(b"+1");
            tx.write(&k, &v2)
        })
        .unwrap();
        assert_eq!(attempts, 2, "{t}");
        assert_eq!(xs.read(&k).unwrap(), b"again+1");
        // Dropped uncommitted: aborted, nothing visible.
        {
            let tx = xs.transaction_start().unwrap();
            tx.write(&k, b"dropped").unwrap();
            assert_eq!(tx.read(&k).unwrap(), b"dropped");
            assert_eq!(xs.read(&k).unwrap(), b"again+1");
        }
        assert_eq!(xs.read(&k).unwrap(), b"again+1");
        assert_eq!(xs.in_flight(), 0, "{t}: the abort's reply was collected");
        xs.rm(&k).unwrap();
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn pipelined_requests_with_distinct_ids() {
    for (t, xs) in both() {
        let base = format!("/xenrs/{t}/pipe");
        let paths: Vec<String> = (0..64).map(|i| format!("{base}/{i}")).collect();
        let w: Vec<_> = paths
            .iter()
            .map(|p| {
                xs.submit(
                    TxId::NONE,
                    &Request::Write {
                        path: p,
                        value: p.as_bytes(),
                    },
                )
                .unwrap()
            })
            .collect();
        assert_eq!(xs.in_flight(), 64, "{t}");
        for p in w {
            xs.wait(p).unwrap();
        }
        let r: Vec<_> = paths
            .iter()
            .map(|p| xs.submit(TxId::NONE, &Request::Read { path: p }).unwrap())
            .collect();
        for (p, r) in paths.iter().zip(r).rev() {
            assert_eq!(xs.wait(r).unwrap().payload, p.as_bytes(), "{t}");
        }
        std::thread::scope(|s| {
            for i in 0..4 {
                let (xs, base) = (&xs, &base);
                s.spawn(move || {
                    for j in 0..25 {
                        let p = format!("{base}/th{i}-{j}");
                        xs.write(&p, b"x").unwrap();
                        assert_eq!(xs.read(&p).unwrap(), b"x");
                    }
                });
            }
        });
        xs.rm(&base).unwrap();
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn limits_and_errors() {
    for (t, xs) in both() {
        let big = vec![b'x'; 5000];
        assert_eq!(
            xs.write("/xenrs/big", &big),
            Err(Error::PayloadTooLong(5000 + "/xenrs/big".len() + 1))
        );
        // The largest value that fits is accepted by xenstored. Linux's
        // xenbus device holds a whole message, header included, in 4096
        // bytes; the socket takes a full 4096-byte payload. oxenstored
        // caps values lower, at its quota-maxsize (2048 in Debian's
        // oxenstored.conf), with E2BIG.
        let room = if t == "xenbus" { 4096 - 16 } else { 4096 };
        let mut max = vec![b'y'; room - "/xenrs/max".len() - 1];
        if oxenstored() {
            assert_eq!(
                xs.write("/xenrs/max", vec![b'y'; 2049]),
                Err(Error::Xenstore(Errno::E2BIG)),
                "{t}"
            );
            max.truncate(2048);
        }
        if t == "xenbus" {
            let over = vec![b'y'; 4096 - "/xenrs/max".len() - 1];
            assert_eq!(
                xs.write("/xenrs/max", &over),
                Err(Error::PayloadTooLong(4096))
            );
        }
        xs.write("/xenrs/max", &max).unwrap();
        assert_eq!(xs.read("/xenrs/max").unwrap(), max, "{t}");
        xs.rm("/xenrs/max").unwrap();
        assert!(matches!(xs.read("/bad path"), Err(Error::InvalidPath(_))));
        // After errors the connection still works.
        assert_eq!(xs.read("/local/domain/0/name").unwrap(), b"Domain-0");
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn batched_requests() {
    for (t, xs) in both() {
        let base = format!("/xenrs/{t}/batch");
        let paths: Vec<String> = (0..32).map(|i| format!("{base}/{i}")).collect();
        // Each path written then read back, in one batch of 64.
        let reqs = common::write_then_read(&paths);
        let pending = xs.submit_batch(TxId::NONE, &reqs).unwrap();
        assert_eq!(xs.in_flight(), 64, "{t}");
        for (i, p) in pending.into_iter().enumerate() {
            let m = xs.wait(p).unwrap();
            if i % 2 == 0 {
                assert_eq!(m.payload, b"OK\0", "{t}: write {i}");
            } else {
                assert_eq!(m.payload, paths[i / 2].as_bytes(), "{t}: read {i}");
            }
        }
        assert_eq!(xs.in_flight(), 0, "{t}");
        // A refused request: nothing of its batch goes out.
        let never = format!("{base}/never");
        let bad = [
            Request::Write {
                path: &never,
                value: b"x",
            },
            Request::Read { path: "/bad path" },
        ];
        assert!(matches!(
            xs.submit_batch(TxId::NONE, &bad),
            Err(Error::InvalidPath(_))
        ));
        assert_eq!(xs.in_flight(), 0, "{t}");
        assert_eq!(xs.read(&never), Err(Error::Xenstore(Errno::ENOENT)));
        // In a transaction: invisible until the commit.
        let tx = xs.transaction_start().unwrap();
        let writes = paths.iter().map(|p| Request::Write {
            path: p,
            value: b"tx",
        });
        for p in xs.submit_batch(tx.id(), writes).unwrap() {
            xs.wait(p).unwrap();
        }
        assert_eq!(xs.read(&paths[0]).unwrap(), paths[0].as_bytes(), "{t}");
        tx.commit().unwrap();
        for p in &paths {
            assert_eq!(xs.read(p).unwrap(), b"tx", "{t}");
        }
        xs.rm(&base).unwrap();
    }
}

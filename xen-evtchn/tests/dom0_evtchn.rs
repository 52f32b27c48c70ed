// SPDX-License-Identifier: MIT OR Apache-2.0
//! `/dev/xen/evtchn` in a real Linux dom0: pairs in one process and across
//! two, notify and receive (blocking, batched, async), unbind on drop,
//! `restrict_domid`, the overflow and reset path, and bad requests.
//!
//! Every test needs the device and is ignored elsewhere; `cargo xtask dom0`
//! boots Xen 4.17 and 4.20 with a Linux dom0 under QEMU and runs this binary
//! there with `--include-ignored`.
#![cfg(all(feature = "std", target_os = "linux"))]
#![allow(clippy::std_instead_of_core, unreachable_pub)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use xen_abi::xen::Virq;
use xen_abi::DomId;
use xen_evtchn::linux::{Evtchn, Port};
use xen_evtchn::{Error, EvtchnPort};

/// How long any one event may take to arrive.
const PATIENCE: Duration = Duration::from_secs(10);

/// Set in the child of the cross-process test.
const PEER_ENV: &str = "XENRS_EVTCHN_PEER";

/// Round trips in the cross-process test.
const ROUNDS: usize = 100;

fn open() -> Evtchn {
    Evtchn::open().unwrap_or_else(|e| panic!("{e}"))
}

/// Reads and unmasks whatever is pending (a freshly bound interdomain port
/// starts pending: Xen marks the binder's end).
fn drain(dev: &Evtchn) {
    let mut buf = [EvtchnPort::ZERO; 64];
    for _ in 0..16 {
        if !dev.wait(Some(Duration::from_millis(50))).unwrap() {
            return;
        }
        let n = dev.pending(&mut buf).unwrap();
        dev.unmask(&buf[..n]).unwrap();
    }
    panic!("events keep coming");
}

/// A channel to ourselves through one handle: (unbound end, bound end).
fn pair(dev: &Evtchn) -> (Port, Port) {
    let a = dev.bind_unbound_port(DomId::DOM0).unwrap();
    let b = dev.bind_interdomain(DomId::DOM0, a.port()).unwrap();
    assert_ne!(a.port(), b.port());
    (a, b)
}

/// Waits for `want` to fire, then unmasks what came.
fn receive(dev: &Evtchn, want: EvtchnPort) {
    assert!(dev.wait(Some(PATIENCE)).unwrap(), "no event for {want}");
    let mut buf = [EvtchnPort::ZERO; 64];
    let n = dev.pending(&mut buf).unwrap();
    assert!(buf[..n].contains(&want), "{want} not in {:?}", &buf[..n]);
    dev.unmask(&buf[..n]).unwrap();
}

fn os_error(r: xen_evtchn::Result<impl std::fmt::Debug>) -> i32 {
    match r {
        Err(Error::Device { source, .. }) => source.raw_os_error().unwrap(),
        other => panic!("expected a device error, got {other:?}"),
    }
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/evtchn (run by `cargo xtask dom0`)"]
fn pair_in_one_process_notifies_both_ways() {
    let dev = open();
    let (a, b) = pair(&dev);
    drain(&dev);
    a.notify().unwrap();
    receive(&dev, b.port());
    b.notify().unwrap();
    receive(&dev, a.port());
    // Masked until unmasked: a second event on a masked port waits.
    a.notify().unwrap();
    assert!(dev.wait(Some(PATIENCE)).unwrap());
    let mut buf = [EvtchnPort::ZERO; 8];
    assert_eq!(dev.pending(&mut buf).unwrap(), 1);
    assert_eq!(buf[0], b.port());
    a.notify().unwrap();
    assert!(!dev.wait(Some(Duration::from_millis(200))).unwrap());
    dev.unmask(&[b.port()]).unwrap();
    receive(&dev, b.port());
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/evtchn (run by `cargo xtask dom0`)"]
fn one_read_returns_many_ports() {
    let dev = open();
    let pairs: Vec<_> = (0..16).map(|_| pair(&dev)).collect();
    drain(&dev);
    for (a, _) in &pairs {
        a.notify().unwrap();
    }
    let want: BTreeSet<_> = pairs.iter().map(|(_, b)| b.port()).collect();
    let mut got = BTreeSet::new();
    let mut reads = 0;
    let mut buf = [EvtchnPort::ZERO; 64];
    while got.len() < want.len() {
        assert!(dev.wait(Some(PATIENCE)).unwrap(), "got only {got:?}");
        let n = dev.pending(&mut buf).unwrap();
        got.extend(&buf[..n]);
        dev.unmask(&buf[..n]).unwrap();
        reads += 1;
    }
    assert_eq!(got, want);
    // Each notify delivers before the hypercall returns (one vCPU), so the
    // sixteen events wait in the driver's queue together.
    assert!(reads < want.len(), "{reads} reads for {} ports", want.len());
    println!("16 ports in {reads} read(s)");
}

/// The child half of `pair_across_two_processes` (a no-op unless spawned by
/// it): binds to the port it reads on stdin, answers every event.
#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/evtchn (run by `cargo xtask dom0`)"]
fn peer_process() {
    if std::env::var_os(PEER_ENV).is_none() {
        return;
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    let remote = EvtchnPort::new(line.trim().parse().unwrap()).unwrap();
    let dev = open();
    let p = dev.bind_interdomain(DomId::DOM0, remote).unwrap();
    drain(&dev);
    // Straight to the pipe: `println!` would go to libtest's capture.
    let mut out = std::io::stdout();
    writeln!(out, "PEER {}", p.port()).unwrap();
    out.flush().unwrap();
    for _ in 0..ROUNDS {
        receive(&dev, p.port());
        p.notify().unwrap();
    }
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/evtchn (run by `cargo xtask dom0`)"]
fn pair_across_two_processes() {
    let dev = open();
    let a = dev.bind_unbound_port(DomId::DOM0).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "peer_process",
            "--include-ignored",
            "--nocapture",
        ])
        .env(PEER_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{}", a.port()).unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let peer = loop {
        line.clear();
        assert_ne!(out.read_line(&mut line).unwrap(), 0, "child ended early");
        // libtest's `test peer_process ... ` may precede it on the line.
        if let Some((_, p)) = line.trim().split_once("PEER ") {
            break p.parse::<u32>().unwrap();
        }
    };
    assert_ne!(peer, a.port().get());
    drain(&dev);
    let t = std::time::Instant::now();
    for _ in 0..ROUNDS {
        a.notify().unwrap();
        receive(&dev, a.port());
    }
    println!(
        "{ROUNDS} round trips between two processes in {:?}",
        t.elapsed()
    );
    let rest: Vec<String> = out.lines().map_while(Result::ok).collect();
    assert!(child.wait().unwrap().success(), "child: {rest:?}");
}

#[cfg(feature = "tokio")]
#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/evtchn (run by `cargo xtask dom0`)"]
fn async_receive_through_the_stream_and_pending() {
    use core::future::poll_fn;
    use core::pin::Pin;
    use futures_core::Stream;
    use xen_evtchn::linux::AsyncEvtchn;

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dev = AsyncEvtchn::open().unwrap();
        let h = dev.evtchn();
        let (a, b) = pair(h);
        drain(h);
        // Nothing pending: the non-blocking handle says so at once.
        assert_eq!(h.pending(&mut [EvtchnPort::ZERO; 4]).unwrap(), 0);

        let mut stream = dev.pending_stream();
        for _ in 0..3 {
            a.notify().unwrap();
            let next = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx));
            let got = tokio::time::timeout(PATIENCE, next).await.unwrap();
            assert_eq!(got.unwrap().unwrap(), b.port());
            h.unmask(&[b.port()]).unwrap();
        }
        drop(stream);

        // A task that waits, woken by a notify from another task.
        let notifier = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            b.notify().unwrap();
        };
        let mut buf = [EvtchnPort::ZERO; 16];
        let (n, ()) = tokio::join!(
            async { tokio::time::timeout(PATIENCE, dev.pending(&mut buf)).await },
            notifier
        );
        let n = n.unwrap().unwrap();
        assert_eq!(&buf[..n], &[a.port()]);
    });
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/evtchn (run by `cargo xtask dom0`)"]
fn dropping_a_port_unbinds_it() {
    let dev = open();
    let (a, b) = pair(&dev);
    let (a_port, b_port) = (a.port(), b.port());
    drop(b);
    // The driver forgot it, and Xen closed it: `a` is unbound again, so a
    // new port can bind to it.
    assert_eq!(os_error(dev.notify(b_port)), libc::ENOTCONN);
    let c = dev.bind_interdomain(DomId::DOM0, a_port).unwrap();
    drain(&dev);
    a.notify().unwrap();
    receive(&dev, c.port());
    // An explicit unbind reports, and the handle then refuses the port.
    c.unbind().unwrap();
    drop(a);
    assert_eq!(os_error(dev.notify(a_port)), libc::ENOTCONN);
    // A port outlives its handle: dropping the handle first is fine.
    let (a, b) = pair(&dev);
    drop(dev);
    a.notify().unwrap();
    drop((a, b));
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/evtchn (run by `cargo xtask dom0`)"]
fn restrict_domid_refuses_other_domains() {
    let dev = open();
    let (a, b) = pair(&dev);
    let spare = dev.bind_unbound_port(DomId::DOM0).unwrap();
    // Special ids are refused.
    assert_eq!(os_error(dev.restrict_domid(DomId::SELF)), libc::EINVAL);
    let other = DomId::new_domain(7).unwrap();
    dev.restrict_domid(other).unwrap();
    assert_eq!(
        os_error(dev.bind_interdomain(DomId::DOM0, spare.port())),
        libc::EACCES
    );
    assert_eq!(os_error(dev.bind_unbound_port(DomId::DOM0)), libc::EACCES);
    assert_eq!(os_error(dev.bind_virq(Virq::TBUF)), libc::EACCES);
    // For good: a second restriction is refused.
    assert_eq!(os_error(dev.restrict_domid(DomId::DOM0)), libc::EACCES);
    let e = dev.bind_unbound_port(DomId::DOM0).unwrap_err();
    assert!(e.to_string().contains("/dev/xen/evtchn"), "{e}");
    // Ports bound before still work.
    drain(&dev);
    a.notify().unwrap();
    receive(&dev, b.port());
    // An unrestricted handle may still bind to dom0's spare port.
    let free = open();
    let c = free.bind_interdomain(DomId::DOM0, spare.port()).unwrap();
    drop(c);
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/evtchn (run by `cargo xtask dom0`)"]
fn overflow_is_reported_and_reset_recovers() {
    let dev = open();
    let (a, b) = pair(&dev);
    drain(&dev);
    // Unmasking without reading lets one port fill the driver's queue.
    let mut notified = 0;
    let overflowed = loop {
        assert!(notified < 10_000, "the queue never overflowed");
        a.notify().unwrap();
        dev.unmask(&[b.port()]).unwrap();
        notified += 1;
        match dev.wait(Some(Duration::ZERO)) {
            Err(Error::Overflow { .. }) => break true,
            Ok(_) => {}
            Err(e) => panic!("{e}"),
        }
    };
    assert!(overflowed);
    println!("queue overflowed after {notified} events");
    let mut buf = [EvtchnPort::ZERO; 16];
    let e = dev.pending(&mut buf).unwrap_err();
    assert!(matches!(e, Error::Overflow { .. }), "{e:?}");
    // It stays overflowed until reset.
    assert!(matches!(dev.pending(&mut buf), Err(Error::Overflow { .. })));
    dev.reset().unwrap();
    assert!(!dev.wait(Some(Duration::from_millis(100))).unwrap());
    // Dropped events leave their port masked: unmask, then it works again.
    dev.unmask(&[a.port(), b.port()]).unwrap();
    drain(&dev);
    a.notify().unwrap();
    receive(&dev, b.port());
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/evtchn (run by `cargo xtask dom0`)"]
fn virq_binds_once_per_domain() {
    let dev = open();
    let p = dev.bind_virq(Virq::TBUF).unwrap();
    assert_ne!(p.port(), EvtchnPort::ZERO);
    assert_eq!(os_error(dev.bind_virq(Virq::TBUF)), libc::EEXIST);
    drop(p);
    let again = dev.bind_virq(Virq::TBUF).unwrap();
    drop(again);
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/evtchn (run by `cargo xtask dom0`)"]
fn ports_of_other_handles_are_refused() {
    let dev = open();
    let other = open();
    let (a, b) = pair(&other);
    drain(&other);
    // Another handle's port, and a port nobody bound: typed errors.
    assert_eq!(os_error(dev.notify(a.port())), libc::ENOTCONN);
    assert_eq!(
        os_error(dev.notify(EvtchnPort::new(4000).unwrap())),
        libc::ENOTCONN
    );
    let huge = EvtchnPort::new_unchecked(u32::MAX);
    assert!(matches!(dev.notify(huge), Err(Error::Device { .. })));
    // Unmasking ports this handle never bound does nothing, in bulk too.
    let junk: Vec<_> = (0..5000).map(EvtchnPort::new_unchecked).collect();
    dev.unmask(&junk).unwrap();
    assert!(!dev.wait(Some(Duration::from_millis(100))).unwrap());
    // An empty buffer reads nothing and does not block.
    assert_eq!(dev.pending(&mut []).unwrap(), 0);
    a.notify().unwrap();
    receive(&other, b.port());
}

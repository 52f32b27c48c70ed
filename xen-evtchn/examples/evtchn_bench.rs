// SPDX-License-Identifier: MIT OR Apache-2.0
//! Our side of `cargo xtask bench --only evtchn`, run inside dom0; the C
//! side is `xtask/src/bench/evtchn_bench.c` on libxenevtchn, with the same
//! modes and output.
//!
//! ```text
//! evtchn_bench pingpong SECONDS      # two processes, one channel
//! evtchn_bench flood PORTS SECONDS   # one process, PORTS channels
//! ```
//!
//! `pingpong`: round trips per second between this process and a child
//! (this program again, `peer PORT`) that answers each event.
//! `flood`: every round notifies all PORTS channels, then receives the
//! events with batched reads and one batched unmask per read, counting the
//! receiving side's system calls (one per `pending`, one per `unmask` of up
//! to 1024 ports).
#![allow(clippy::std_instead_of_core)]

#[cfg(all(feature = "std", target_os = "linux"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["pingpong", secs] => bench::pingpong(secs.parse().expect("SECONDS")),
        ["flood", ports, secs] => bench::flood(
            ports.parse().expect("PORTS"),
            secs.parse().expect("SECONDS"),
        ),
        ["peer", port] => bench::peer(port.parse().expect("PORT")),
        _ => {
            eprintln!("usage: evtchn_bench pingpong SECONDS | flood PORTS SECONDS");
            std::process::exit(2);
        }
    }
}

#[cfg(not(all(feature = "std", target_os = "linux")))]
fn main() {
    eprintln!("evtchn_bench needs Linux and the `std` feature");
}

#[cfg(all(feature = "std", target_os = "linux"))]
mod bench {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use xen_abi::DomId;
    use xen_evtchn::linux::{Evtchn, MAX_BATCH};
    use xen_evtchn::EvtchnPort;

    const BATCH: usize = 64;

    fn drain(dev: &Evtchn) {
        let mut buf = [EvtchnPort::ZERO; MAX_BATCH];
        while dev.wait(Some(Duration::from_millis(50))).unwrap() {
            let n = dev.pending(&mut buf).unwrap();
            dev.unmask(&buf[..n]).unwrap();
        }
    }

    /// One event on `port`, re-armed.
    fn receive(dev: &Evtchn, port: EvtchnPort, buf: &mut [EvtchnPort]) {
        let n = dev.pending(buf).unwrap();
        assert!(n == 1 && buf[0] == port, "{:?}", &buf[..n]);
        dev.unmask(&buf[..n]).unwrap();
    }

    pub(crate) fn peer(remote: u32) {
        let dev = Evtchn::open().unwrap_or_else(|e| panic!("{e}"));
        let remote = EvtchnPort::new(remote).unwrap();
        let b = dev.bind_interdomain(DomId::DOM0, remote).unwrap();
        drain(&dev);
        println!("ready");
        std::io::stdout().flush().unwrap();
        let mut buf = [EvtchnPort::ZERO; 16];
        loop {
            receive(&dev, b.port(), &mut buf);
            b.notify().unwrap();
        }
    }

    pub(crate) fn pingpong(secs: f64) {
        let dev = Evtchn::open().unwrap_or_else(|e| panic!("{e}"));
        let a = dev.bind_unbound_port(DomId::DOM0).unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["peer", &a.port().to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        drain(&dev);
        let mut buf = [EvtchnPort::ZERO; 16];
        let warm = Instant::now();
        while warm.elapsed() < Duration::from_millis(200) {
            a.notify().unwrap();
            receive(&dev, a.port(), &mut buf);
        }
        let mut trips = 0u64;
        let t0 = Instant::now();
        let t = loop {
            for _ in 0..BATCH {
                a.notify().unwrap();
                receive(&dev, a.port(), &mut buf);
            }
            trips += BATCH as u64;
            let t = t0.elapsed().as_secs_f64();
            if t >= secs {
                break t;
            }
        };
        child.kill().unwrap();
        child.wait().unwrap();
        println!(
            "EVBENCH impl=rust mode=pingpong trips={trips} secs={t:.3} trips_per_s={:.1}",
            trips as f64 / t
        );
    }

    pub(crate) fn flood(ports: usize, secs: f64) {
        let dev = Evtchn::open().unwrap_or_else(|e| panic!("{e}"));
        let pairs: Vec<_> = (0..ports)
            .map(|_| {
                let a = dev.bind_unbound_port(DomId::DOM0).unwrap();
                let b = dev.bind_interdomain(DomId::DOM0, a.port()).unwrap();
                (a, b)
            })
            .collect();
        drain(&dev);
        let mut buf = vec![EvtchnPort::ZERO; MAX_BATCH];
        let (mut events, mut syscalls) = (0u64, 0u64);
        let t0 = Instant::now();
        while t0.elapsed().as_secs_f64() < secs {
            for (a, _) in &pairs {
                a.notify().unwrap();
            }
            let mut got = 0;
            while got < ports {
                let n = dev.pending(&mut buf).unwrap();
                dev.unmask(&buf[..n]).unwrap();
                // One read, and one write per MAX_BATCH ports.
                syscalls += 1 + n.div_ceil(MAX_BATCH) as u64;
                got += n;
            }
            events += got as u64;
        }
        println!("EVBENCH impl=rust mode=flood ports={ports} events={events} syscalls={syscalls}");
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The vchan scenario, end to end, from a Linux dom0 (run by `cargo xtask
//! dom0` with the C xenstored, and by `cargo xtask demo`): `xl` creates our
//! no_std Rust PV domU (`xen-test-kernel-vchan-domu`,
//! `examples/xen-test-kernel/src/vchan_domu.rs`), which serves and connects
//! vchans with `xen_vchan::guest`; in dom0 Xen's C `vchan-socket-proxy`
//! (libxenvchan) and our `xen_vchan::linux` talk to it:
//!
//! 1. the domU serves, libxenvchan's client (`vchan-socket-proxy -m
//!    client`) connects: what we send through it comes back upper-cased;
//! 2. libxenvchan's server (`vchan-socket-proxy -m server`), the domU
//!    connects: likewise;
//! 3. the domU serves with multi-page rings, our Rust client connects:
//!    round trips both ways, partial reads and writes, a transfer many
//!    times the rings' size; then our `xenrs-vchan` tool shows a stream;
//! 4. the domU is destroyed mid-stream: our client reports the peer gone
//!    within its time-out, and gives back every mapping and port.
//!
//! Each check prints `e2e: ok N - ...` or `e2e: not ok N - ...` (judged by
//! xtask: `dom0 e2e xen-<ver>: P passed, F failed`); the other lines
//! narrate what each domain does and what crosses the channel.
#![cfg(all(feature = "std", target_os = "linux"))]
#![allow(clippy::std_instead_of_core)]

use std::fmt::Display;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use dom0_test_support::{env_or, write_pv_config, xl, XlDomain as Domain};
use xen_abi::DomId;
use xen_store::{Store, Xenstore, DEFAULT_SOCKET};
use xen_vchan::linux::Client;
use xen_vchan::Error as VchanError;

/// The domU's name in its config.
const NAME: &str = "xenrs-vchan-domu";
/// The domU's vchan ports and nodes (its `vchan_domu` constants).
const PORT_C_CLIENT: u32 = 1;
const PORT_C_SERVER: u32 = 2;
const PORT_RUST: u32 = 3;
const PORT_STREAM: u32 = 4;
const GO_CLIENT: &str = "data/xenrs-vchan/go-client";
const PORT_TOOL: u32 = 5;
const GO_TOOL: &str = "data/xenrs-vchan/go-tool";
const TOOL_BYTES: usize = 20_000;
const STREAM_GEN: &str = "data/xenrs-vchan/stream-gen";
/// The ring sizes it asks for on [`PORT_RUST`]: what it reads (our
/// writes) and what it writes.
const RUST_READ: usize = 8192;
const RUST_WRITE: usize = 16384;

/// How long one step may wait for the other side.
const PATIENCE: Duration = Duration::from_secs(60);
/// How long our client may take to notice the domU is gone.
const DEATH_TIMEOUT: Duration = Duration::from_secs(15);

/// The checks this scenario makes.
const PLAN: u32 = 19;

/// What the domU sends back for `b`.
fn transform(b: u8) -> u8 {
    b.to_ascii_uppercase()
}

/// Byte `k` of the domU's stream.
fn stream_byte(k: u64) -> u8 {
    (k % 251) as u8
}

/// A deterministic payload of `len` bytes, mixed letters and binary.
fn payload(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn transformed(data: &[u8]) -> Vec<u8> {
    data.iter().map(|&b| transform(b)).collect()
}

/// The numbered checks, printed as they are made.
struct Checks {
    n: u32,
    passed: u32,
    failed: u32,
}

impl Checks {
    fn new() -> Self {
        println!("e2e: plan {PLAN}");
        Checks {
            n: 0,
            passed: 0,
            failed: 0,
        }
    }

    fn check(&mut self, name: &str, ok: bool, detail: impl Display) -> bool {
        self.n += 1;
        if ok {
            self.passed += 1;
            println!("e2e: ok {} - {name}: {detail}", self.n);
        } else {
            self.failed += 1;
            println!("e2e: not ok {} - {name}: {detail}", self.n);
        }
        ok
    }

    /// Records the checks a failed step could not make, as failures.
    fn skip_to(&mut self, n: u32, why: &str) {
        while self.n < n {
            self.check("not reached", false, why);
        }
    }
}

/// Narration for a reader following along.
fn say(s: impl Display) {
    println!("vchan: {s}");
}

/// Kills a child process when dropped (a proxy that hangs).
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The id of the domain named `name`.
fn domid_of(xs: &Xenstore, name: &str) -> Option<u16> {
    xs.directory("/local/domain")
        .ok()?
        .into_iter()
        .find(|d| {
            xs.read(&format!("/local/domain/{d}/name")).ok().as_deref() == Some(name.as_bytes())
        })?
        .parse()
        .ok()
}

/// Polls until `path` reads as something.
fn wait_node(xs: &Xenstore, path: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let end = Instant::now() + timeout;
    loop {
        if let Ok(v) = xs.read(path) {
            return Ok(v);
        }
        if Instant::now() > end {
            return Err(format!("{path} did not appear within {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls until `path` reads as `want`.
fn wait_value(xs: &Xenstore, path: &str, want: &str, timeout: Duration) -> Result<(), String> {
    let end = Instant::now() + timeout;
    loop {
        let v = xs.read(path).ok();
        if v.as_deref() == Some(want.as_bytes()) {
            return Ok(());
        }
        if Instant::now() > end {
            return Err(format!(
                "{path} is {:?}, not {want:?}, after {timeout:?}",
                v.map(|v| String::from_utf8_lossy(&v).into_owned())
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `vchan-socket-proxy` with `args` (`-` for stdin/stdout), writes
/// `send` to it, reads `send.len()` bytes back (within [`PATIENCE`]), then
/// closes its stdin and waits for it to end. `started` runs once it is
/// running (to tell the domU).
fn through_proxy(
    args: &[String],
    send: &[u8],
    started: impl FnOnce() -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    let bin = env_or(
        "XENRS_VCHAN_PROXY",
        "/usr/lib/xen-4.17/bin/vchan-socket-proxy",
    );
    let mut child = Proc(
        Command::new(&bin)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{bin}: {e}"))?,
    );
    started()?;
    let mut stdin = child.0.stdin.take().ok_or("no stdin")?;
    let mut stdout = child.0.stdout.take().ok_or("no stdout")?;
    let want = send.len();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut got = vec![0u8; want];
        let r = stdout.read_exact(&mut got).map(|()| got);
        let _ = tx.send(r);
    });
    let data = send.to_vec();
    let writer = std::thread::spawn(move || {
        let r = stdin.write_all(&data).and_then(|()| stdin.flush());
        (stdin, r)
    });
    let got = match rx.recv_timeout(PATIENCE) {
        Ok(Ok(got)) => got,
        Ok(Err(e)) => return Err(format!("reading the proxy's output: {e}")),
        Err(_) => return Err(format!("no {want} bytes back within {PATIENCE:?}")),
    };
    let (stdin, w) = writer.join().map_err(|_| "writer panicked")?;
    w.map_err(|e| format!("writing to the proxy: {e}"))?;
    let _ = reader.join();
    // EOF on its stdin: the proxy flushes, closes the vchan and exits.
    drop(stdin);
    let end = Instant::now() + PATIENCE;
    loop {
        if let Some(st) = child.0.try_wait().map_err(|e| e.to_string())? {
            if !st.success() {
                return Err(format!("vchan-socket-proxy exited with {st}"));
            }
            return Ok(got);
        }
        if Instant::now() > end {
            return Err("vchan-socket-proxy did not exit after its input ended".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The first differing byte of `got` and `want`, or a length mismatch.
fn diff(got: &[u8], want: &[u8]) -> Option<String> {
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        return Some(format!(
            "byte {i} is {:#04x}, expected {:#04x}",
            got[i], want[i]
        ));
    }
    (got.len() != want.len()).then(|| format!("{} bytes, expected {}", got.len(), want.len()))
}

/// Pumps `send` through `client` while reading what comes back, with
/// partial writes (only what fits) and reads (only what is there).
fn pump(client: &mut Client<'_>, send: &[u8]) -> Result<Vec<u8>, String> {
    let mut got = Vec::with_capacity(send.len());
    let mut off = 0;
    let mut buf = vec![0u8; 8192];
    let mut since = Instant::now();
    while got.len() < send.len() {
        let mut progress = false;
        if off < send.len() {
            let room = client
                .buffer_space()
                .map_err(|e| format!("buffer_space: {e}"))?;
            if room > 0 {
                let n = client
                    .try_send(&send[off..(off + room).min(send.len())])
                    .map_err(|e| format!("write at {off}: {e}"))?;
                off += n;
                progress |= n > 0;
            }
        }
        let ready = client
            .data_ready()
            .map_err(|e| format!("data_ready: {e}"))?;
        if ready > 0 {
            let n = client
                .try_recv(&mut buf[..ready.min(8192)])
                .map_err(|e| format!("read after {} bytes: {e}", got.len()))?;
            got.extend_from_slice(&buf[..n]);
            progress |= n > 0;
        }
        if progress {
            since = Instant::now();
        } else {
            if since.elapsed() > PATIENCE {
                return Err(format!("stuck: {off} bytes sent, {} received", got.len()));
            }
            wait(client)?;
        }
    }
    Ok(got)
}

/// Waits for an event from the domU, at most 100 ms.
fn wait(client: &mut Client<'_>) -> Result<(), String> {
    match client.wait_event(Some(Duration::from_millis(100))) {
        Ok(()) | Err(VchanError::TimedOut) => Ok(()),
        Err(e) => Err(format!("wait: {e}")),
    }
}

/// Reads exactly `n` bytes (bounded by [`PATIENCE`] without progress).
fn drain(client: &mut Client<'_>, n: usize) -> Result<Vec<u8>, String> {
    let mut got = vec![0u8; n];
    let mut at = 0;
    let mut since = Instant::now();
    while at < n {
        let ready = client
            .data_ready()
            .map_err(|e| format!("data_ready: {e}"))?;
        if ready == 0 {
            if since.elapsed() > PATIENCE {
                return Err(format!("{at} of {n} bytes, then nothing"));
            }
            wait(client)?;
            continue;
        }
        let k = client
            .try_recv(&mut got[at..])
            .map_err(|e| format!("read: {e}"))?;
        at += k;
        since = Instant::now();
    }
    Ok(got)
}

/// What a vchan end holds in dom0: this process's gntdev mappings (lines of
/// /proc/self/maps), its /dev/xen file descriptors, and the event-channel
/// ports this thread bound through /dev/xen/evtchn (Linux names each
/// `evtchn:<comm of the opener>` in /proc/interrupts).
fn held() -> (usize, usize, usize) {
    let maps = std::fs::read_to_string("/proc/self/maps")
        .map(|m| m.lines().filter(|l| l.contains("gntdev")).count())
        .unwrap_or(usize::MAX);
    let fds = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|p| p.to_string_lossy().starts_with("/dev/xen/"))
                })
                .count()
        })
        .unwrap_or(usize::MAX);
    let comm = std::fs::read_to_string("/proc/thread-self/comm").unwrap_or_default();
    let tag = format!("evtchn:{}", comm.trim());
    let ports = std::fs::read_to_string("/proc/interrupts")
        .map(|s| s.lines().filter(|l| l.contains(&tag)).count())
        .unwrap_or(usize::MAX);
    (maps, fds, ports)
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored, xenconsoled, xl and vchan-socket-proxy (run by `cargo xtask dom0`)"]
fn vchan_between_a_rust_domu_dom0_and_libxenvchan() {
    let mut c = Checks::new();
    let outcome = scenario(&mut c);
    if let Err(e) = &outcome {
        say(format!("stopped: {e}"));
        c.skip_to(PLAN, e);
    }
    println!("e2e: summary: {} passed, {} failed", c.passed, c.failed);
    assert_eq!(c.n, PLAN, "checks went missing");
    assert_eq!(c.failed, 0, "{} of the scenario's checks failed", c.failed);
}

fn scenario(c: &mut Checks) -> Result<(), String> {
    let kernel = env_or(
        "XENRS_VCHAN_DOMU_KERNEL",
        "/domu/xen-test-kernel-vchan-domu",
    );
    if !Path::new(&kernel).exists() {
        return Err(format!("{kernel} is missing"));
    }
    let xs = Xenstore::open_socket_at(Path::new(DEFAULT_SOCKET)).map_err(|e| e.to_string())?;

    say("dom0 asks xl to create a PV domU running our no_std Rust kernel (32 MiB, one vCPU)");
    let cfg = write_pv_config(NAME, &kernel, 32, "preserve")?;
    let t = Instant::now();
    let created = xl(&["create", &cfg.to_string_lossy()]);
    let domid = created.as_ref().ok().and_then(|_| domid_of(&xs, NAME));
    c.check(
        "xl creates the Rust vchan domU",
        domid.is_some_and(|d| d > 0),
        format!("domain {domid:?} in {:.1} s", t.elapsed().as_secs_f64()),
    );
    let domid = domid.ok_or_else(|| format!("no domain: {created:?}"))?;
    let guard = Domain(domid);
    let dom = DomId::new(domid).map_err(|e| format!("{e:?}"))?;
    let home = format!("/local/domain/{domid}");
    let domu_result = |step: &str| -> String {
        wait_node(&xs, &format!("{home}/data/xenrs-vchan/{step}"), PATIENCE)
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_else(|e| e)
    };

    // 1. Our server in the domU, libxenvchan's client in dom0.
    let path = format!("{home}/data/vchan/0/{PORT_C_CLIENT}");
    say(format!(
        "the domU grants dom0 a shared page (both rings inside it), opens an event channel \
         for dom0 and publishes both under {path}"
    ));
    wait_node(&xs, &format!("{path}/event-channel"), PATIENCE)?;
    let hello = b"hello from dom0, through libxenvchan\n".to_vec();
    let bulk = payload(64 * 1024, 1);
    let send: Vec<u8> = hello.iter().chain(&bulk).copied().collect();
    say(format!(
        "dom0 runs Xen's C vchan-socket-proxy -m client (libxenvchan): it maps that page, \
         binds the channel, and we send {} bytes through it",
        send.len()
    ));
    let r = through_proxy(
        &[
            "-m".into(),
            "client".into(),
            domid.to_string(),
            path.clone(),
            "-".into(),
        ],
        &send,
        || Ok(()),
    );
    match &r {
        Ok(got) => {
            say(format!(
                "the domU sent back: {:?}",
                String::from_utf8_lossy(&got[..hello.len().min(got.len())])
            ));
            c.check(
                "Rust domU server <-> C client: a line comes back upper-cased",
                got.get(..hello.len()) == Some(&transformed(&hello)[..]),
                format!(
                    "{:?}",
                    String::from_utf8_lossy(&got[..hello.len().min(got.len())])
                ),
            );
            let d = diff(&got[hello.len().min(got.len())..], &transformed(&bulk));
            c.check(
                "Rust domU server <-> C client: 64 KiB (64 times the 1 KiB ring) come back transformed",
                d.is_none(),
                d.unwrap_or_else(|| format!("{} bytes checked", bulk.len())),
            );
        }
        Err(e) => {
            c.check(
                "Rust domU server <-> C client: a line comes back upper-cased",
                false,
                e,
            );
            c.check(
                "Rust domU server <-> C client: 64 KiB come back transformed",
                false,
                e,
            );
        }
    }
    let report = domu_result("c-client");
    c.check(
        "the domU saw libxenvchan's client close after all it sent",
        report.starts_with(&format!("ok {} bytes", send.len())),
        &report,
    );

    // 2. libxenvchan's server in dom0, our client in the domU.
    let path = format!("/local/domain/0/data/vchan/{domid}/{PORT_C_SERVER}");
    let hello = b"dom0's C server says hi\n".to_vec();
    let bulk = payload(32 * 1024, 2);
    let send: Vec<u8> = hello.iter().chain(&bulk).copied().collect();
    say(format!(
        "now the other way round: dom0 runs vchan-socket-proxy -m server, which shares its page \
         with the domU and publishes it under {path}; the domU connects as the client"
    ));
    let r = through_proxy(
        &[
            "-m".into(),
            "server".into(),
            domid.to_string(),
            path.clone(),
            "-".into(),
        ],
        &send,
        || {
            wait_node(&xs, &format!("{path}/event-channel"), PATIENCE)?;
            xs.write(&format!("{home}/{GO_CLIENT}"), b"1")
                .map_err(|e| e.to_string())
        },
    );
    match &r {
        Ok(got) => {
            say(format!(
                "the domU sent back: {:?}",
                String::from_utf8_lossy(&got[..hello.len().min(got.len())])
            ));
            let d = diff(got, &transformed(&send));
            c.check(
                "Rust domU client <-> C server: what we send comes back transformed",
                d.is_none(),
                d.unwrap_or_else(|| format!("{} bytes checked", send.len())),
            );
        }
        Err(e) => {
            c.check(
                "Rust domU client <-> C server: what we send comes back transformed",
                false,
                e,
            );
        }
    }
    let report = domu_result("c-server");
    c.check(
        "the domU saw libxenvchan's server close after all it sent",
        report.starts_with(&format!("ok {} bytes", send.len())),
        &report,
    );

    // 2b. Our tool serves in dom0, the domU connects.
    let path = format!("/local/domain/0/data/vchan/{domid}/{PORT_TOOL}");
    let tool = env!("CARGO_BIN_EXE_xenrs-vchan");
    say(format!(
        "our dom0 tool serves too: xenrs-vchan server --echo under {path}; the domU connects, \
         sends {TOOL_BYTES} bytes and checks that they come back"
    ));
    let server = Command::new(tool)
        .args([
            "server",
            &domid.to_string(),
            &path,
            "--echo",
            "--timeout",
            "60",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map(Proc);
    let shown = match server {
        Ok(mut child) => wait_node(&xs, &format!("{path}/event-channel"), PATIENCE)
            .and_then(|_| {
                xs.write(&format!("{home}/{GO_TOOL}"), b"1")
                    .map_err(|e| e.to_string())
            })
            .and_then(|()| {
                let end = Instant::now() + PATIENCE;
                loop {
                    if let Some(st) = child.0.try_wait().map_err(|e| e.to_string())? {
                        let mut out = String::new();
                        if let Some(o) = child.0.stdout.as_mut() {
                            let _ = o.read_to_string(&mut out);
                        }
                        if let Some(e) = child.0.stderr.as_mut() {
                            let _ = e.read_to_string(&mut out);
                        }
                        break Ok((st.success(), out));
                    }
                    if Instant::now() > end {
                        break Err("xenrs-vchan server did not end".to_string());
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }),
        Err(e) => Err(format!("{tool}: {e}")),
    };
    let ok = match &shown {
        Ok((ok, out)) => {
            for l in out.lines().filter(|l| !l.starts_with("0000")) {
                say(format!("  | {l}"));
            }
            *ok && out.contains(&format!("received {TOOL_BYTES} bytes, echoed"))
        }
        Err(_) => false,
    };
    c.check(
        "Rust domU client <-> xenrs-vchan server: it echoed all the domU sent",
        ok,
        match &shown {
            Ok((_, out)) => out.lines().last().unwrap_or("").to_string(),
            Err(e) => e.clone(),
        },
    );
    let report = domu_result("tool-server");
    c.check(
        "the domU got its bytes back from xenrs-vchan intact",
        report.starts_with(&format!("ok {TOOL_BYTES} bytes")),
        &report,
    );

    // 3. Our server in the domU (multi-page rings), our client in dom0.
    let path = format!("{home}/data/vchan/0/{PORT_RUST}");
    say(format!(
        "the domU serves again under {path}, this time with rings of {RUST_READ} and \
         {RUST_WRITE} bytes in pages of their own, granted to dom0 too"
    ));
    wait_node(&xs, &format!("{path}/event-channel"), PATIENCE)?;
    let client = Client::connect(dom, &path, PATIENCE);
    // The server reads the left ring and writes the right one.
    let orders = client.as_ref().map(|cl| cl.orders());
    c.check(
        "our Rust client connects to the domU's multi-page rings (orders >= 12)",
        matches!(orders, Ok(o) if o.left_size() == RUST_READ && o.right_size() == RUST_WRITE
            && o.left() >= 12 && o.right() >= 12),
        format!("{orders:?}"),
    );
    let mut client = client.map_err(|e| format!("connect: {e}"))?;
    say("dom0 (our xen_vchan::linux) and the domU exchange messages; each comes back upper-cased");
    let mut bad = None;
    let t = Instant::now();
    // Every byte we send on this channel, for the domU's count.
    let mut total = 0;
    for i in 0..50u32 {
        let msg = payload(1 + (i as usize * 97) % 3000, 100 + i);
        total += msg.len();
        match pump(&mut client, &msg) {
            Ok(got) if got == transformed(&msg) => {}
            Ok(got) => {
                bad = Some(format!(
                    "message {i}: {}",
                    diff(&got, &transformed(&msg)).unwrap_or_default()
                ));
                break;
            }
            Err(e) => {
                bad = Some(format!("message {i}: {e}"));
                break;
            }
        }
    }
    c.check(
        "50 round trips of 1..3000 bytes, checked both ways",
        bad.is_none(),
        bad.unwrap_or_else(|| format!("in {:.0} ms", t.elapsed().as_secs_f64() * 1e3)),
    );

    // A write larger than the ring takes what fits; the rest follows.
    let big = payload(4 * RUST_READ, 7);
    total += big.len();
    let first = client.write(&big).map_err(|e| e.to_string());
    let back = first.clone().and_then(|n| {
        // What comes back first is the echo of those `n` bytes.
        let mut back = pump(&mut client, &big[n..])?;
        back.extend(drain(&mut client, n)?);
        Ok(back)
    });
    c.check(
        "a write of 4 times the ring is partial (what fits), the rest follows",
        matches!(first, Ok(n) if n > 0 && n <= RUST_READ)
            && back.as_ref().is_ok_and(|b| *b == transformed(&big)),
        format!(
            "first write {first:?} of {}, all back: {:?}",
            big.len(),
            back.as_ref().map(|b| diff(b, &transformed(&big)))
        ),
    );

    // A read smaller than what is there takes just that much.
    let msg = payload(3000, 9);
    total += msg.len();
    let sent = client.write(&msg).map_err(|e| e.to_string());
    let end = Instant::now() + PATIENCE;
    while client.data_ready().unwrap_or(0) < 3000 && Instant::now() < end {
        let _ = wait(&mut client);
    }
    let mut small = [0u8; 1000];
    let n = client.read(&mut small).map_err(|e| e.to_string());
    let left = client.data_ready().map_err(|e| e.to_string());
    let tail = drain(&mut client, 2000);
    let whole: Option<Vec<u8>> = tail
        .as_ref()
        .ok()
        .map(|t| small.iter().chain(t).copied().collect());
    c.check(
        "a 1000-byte read of 3000 ready bytes takes 1000 and leaves 2000",
        sent == Ok(3000)
            && n == Ok(1000)
            && left == Ok(2000)
            && whole.is_some_and(|w| w == transformed(&msg)),
        format!("write {sent:?}, read {n:?}, then {left:?} ready"),
    );

    let bulk = payload(4 << 20, 11);
    say(format!(
        "dom0 pumps {} MiB through the domU and back: {} times around its ring",
        bulk.len() >> 20,
        bulk.len() / RUST_READ
    ));
    total += bulk.len();
    let t = Instant::now();
    let r = pump(&mut client, &bulk);
    let secs = t.elapsed().as_secs_f64();
    let d = r.as_ref().map(|got| diff(got, &transformed(&bulk)));
    c.check(
        "4 MiB each way (512 times the ring), every byte checked",
        matches!(d, Ok(None)),
        match &d {
            Ok(None) => format!("{:.2} MiB/s each way", 4.0 / secs),
            Ok(Some(e)) => e.clone(),
            Err(e) => e.to_string(),
        },
    );
    say(format!("{:.2} MiB/s each way", 4.0 / secs));
    client.close().map_err(|e| format!("close: {e}"))?;
    let report = domu_result("rust");
    c.check(
        "the domU saw our client close, having echoed every byte",
        report.starts_with(&format!("ok {total} bytes echoed")),
        &report,
    );

    // Our tool shows a stream.
    let stream_path = format!("{home}/data/vchan/0/{PORT_STREAM}");
    wait_value(&xs, &format!("{home}/{STREAM_GEN}"), "1", PATIENCE)?;
    let tool = env!("CARGO_BIN_EXE_xenrs-vchan");
    say(format!(
        "our dom0 tool, xenrs-vchan, connects to the domU's stream server ({stream_path}) \
         and shows what flows:"
    ));
    let out = Command::new(tool)
        .args([
            "client",
            &domid.to_string(),
            &stream_path,
            "--bytes",
            "65536",
        ])
        .output();
    let (ok, detail) = match &out {
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            for l in text.lines() {
                say(format!("  | {l}"));
            }
            let want: String = (0..16u64)
                .map(|k| format!("{:02x}", stream_byte(k)))
                .collect::<Vec<_>>()
                .join(" ");
            (
                o.status.success() && text.contains("received 65536 bytes") && text.contains(&want),
                format!("{}: {}", o.status, text.lines().last().unwrap_or("")),
            )
        }
        Err(e) => (false, e.to_string()),
    };
    c.check("xenrs-vchan shows the domU's stream", ok, detail);

    // 4. Teardown: the domU dies mid-stream.
    wait_value(&xs, &format!("{home}/{STREAM_GEN}"), "2", PATIENCE)?;
    let before = held();
    say("dom0 connects to the stream again, and destroys the domU while data flows");
    let mut client = Client::connect(dom, &stream_path, PATIENCE)
        .map_err(|e| format!("connect to the stream: {e}"))?;
    // Reads wait as long as the domU is there; bound them anyway.
    client.set_timeout(Some(DEATH_TIMEOUT + Duration::from_secs(5)));
    let during = held();
    let mut got = 0u64;
    let mut buf = vec![0u8; 16384];
    let mut corrupt = None;
    let mut destroyed_at = None;
    // xl runs beside the reader: what xl waits for is none of its business.
    let mut destroyer = None;
    let outcome = loop {
        if destroyed_at.is_none() && got >= 1 << 20 {
            say(format!("{} KiB in: xl destroy {domid}", got >> 10));
            destroyed_at = Some(Instant::now());
            destroyer = Some(std::thread::spawn(move || {
                xl(&["destroy", &domid.to_string()])
            }));
        }
        if let Some(t) = destroyed_at {
            if t.elapsed() > DEATH_TIMEOUT + Duration::from_secs(5) {
                break Err(format!(
                    "still no error {:?} after the destroy",
                    t.elapsed()
                ));
            }
        }
        match client.read(&mut buf) {
            Ok(0) => break Ok("end of stream".to_string()),
            Ok(n) => {
                if corrupt.is_none() {
                    corrupt = (0..n)
                        .find(|&i| buf[i] != stream_byte(got + i as u64))
                        .map(|i| got + i as u64);
                }
                got += n as u64;
            }
            // A time-out is no verdict on the peer.
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break Err(format!("{e}")),
            Err(e) => break Ok(format!("{e}")),
        }
    };
    let took = destroyed_at.map(|t| t.elapsed());
    let destroyed = destroyer.map(|t| t.join().unwrap_or_else(|_| Err("xl panicked".into())));
    if let Some(Err(e)) = &destroyed {
        say(format!("xl destroy: {e}"));
    }
    c.check(
        "the domU destroyed mid-stream: our client reports the peer gone within its time-out",
        outcome.is_ok()
            && took.is_some_and(|t| t <= DEATH_TIMEOUT)
            && matches!(destroyed, Some(Ok(_))),
        format!(
            "{outcome:?} {took:?} after the destroy, {} KiB read",
            got >> 10
        ),
    );
    c.check(
        "every byte read before that was the stream's",
        corrupt.is_none() && got >= 1 << 20,
        format!("{got} bytes, first bad byte {corrupt:?}"),
    );
    drop(client);
    let after = held();
    c.check(
        "our client gave back every gntdev mapping, device and port",
        after == before && during.0 > before.0 && during.2 > before.2,
        format!("(gntdev maps, /dev/xen fds, ports): before {before:?}, connected {during:?}, after {after:?}"),
    );
    let end = Instant::now() + PATIENCE;
    while xs.is_domain_introduced(dom) == Ok(true) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    let gone = xs.is_domain_introduced(dom);
    c.check(
        "the domain is gone (nothing of ours kept it alive)",
        gone == Ok(false),
        format!("introduced: {gone:?}"),
    );
    drop(guard);
    Ok(())
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The vchan domU: a PV guest that a Linux dom0 creates with `xl`, and
//! which serves and connects vchans with `xen_vchan::guest` (grants from
//! xen-grant's in-guest half, event channels from xen-evtchn's, xenstore
//! through xen-store's ring client; the platform's pages and waiting are
//! `vchan_glue`'s). Dom0's side is `examples/xen-vchan/tests/e2e.rs`.
//!
//! What it does, in order (every wait bounded):
//!
//! 1. Serves a vchan at `/local/domain/<us>/data/vchan/0/`[`PORT_C_CLIENT`]
//!    with both rings inside the shared page (orders 10 and 11), for dom0's
//!    C `vchan-socket-proxy -m client`; echoes every byte back through
//!    [`transform`] until the client closes.
//! 2. Waits for [`GO_CLIENT`] (dom0 started `vchan-socket-proxy -m
//!    server`), then connects as a client to
//!    `/local/domain/0/data/vchan/<us>/`[`PORT_C_SERVER`] and echoes the
//!    same way until the server closes.
//! 3. Waits for [`GO_TOOL`] (dom0 started `xenrs-vchan server --echo`),
//!    connects to `/local/domain/0/data/vchan/<us>/`[`PORT_TOOL`], sends
//!    [`TOOL_BYTES`] of [`stream_byte`]s while reading them back, checks
//!    the echo and closes.
//! 4. Serves [`PORT_RUST`] with multi-page rings ([`RUST_READ_MIN`],
//!    [`RUST_WRITE_MIN`]: orders 13 and 14, granted ring pages) for dom0's
//!    Rust client, echoing likewise.
//! 5. Serves [`PORT_STREAM`] again and again: each time it writes the
//!    generation to [`STREAM_GEN`], waits for a client and streams
//!    [`stream_byte`]s to it until it closes (the bench's and the teardown
//!    check's server), until dom0 destroys us or [`STREAM_GENERATIONS`] are
//!    served. With [`MODE`] = `stream` (the bench), only this step runs.
//!
//! Each step's outcome goes into [`result_node`]`(step)`: `ok <n> bytes
//! ...` or `fail: ...`, and to the console.

use alloc::format;
use alloc::string::String;

use xen_abi::event_channel::EvtchnPort;
use xen_abi::xen::{DomId, StartInfo, VcpuId};
use xen_evtchn::guest::{Demux, TwoLevel};
use xen_hypercall::{hvm, sched, Hypercall};
use xen_store::{Client as Xenstore, Store, Transport};

use crate::domu;

/// Our server for dom0's C client (`vchan-socket-proxy -m client`).
pub const PORT_C_CLIENT: u32 = 1;
/// Dom0's C server (`vchan-socket-proxy -m server`), our client.
pub const PORT_C_SERVER: u32 = 2;
/// Dom0's `xenrs-vchan server --echo`, our client.
pub const PORT_TOOL: u32 = 5;
/// What we send the tool (and check it sends back).
pub const TOOL_BYTES: usize = 20_000;
/// Our multi-page server for dom0's Rust client.
pub const PORT_RUST: u32 = 3;
/// Our stream server (bench, teardown).
pub const PORT_STREAM: u32 = 4;

/// Step 3's ring sizes as the server asks for them: what it reads (dom0's
/// writes) and what it writes.
pub const RUST_READ_MIN: usize = 8192;
/// See [`RUST_READ_MIN`].
pub const RUST_WRITE_MIN: usize = 16384;
/// The stream server's ring sizes.
pub const STREAM_READ_MIN: usize = 1024;
/// See [`STREAM_READ_MIN`].
pub const STREAM_WRITE_MIN: usize = 16384;
/// How many stream clients we serve before powering off.
pub const STREAM_GENERATIONS: u32 = 1000;

/// Dom0 writes it (under our home) once its C server is up.
pub const GO_CLIENT: &str = "data/xenrs-vchan/go-client";
/// Dom0 writes it (under our home) once `xenrs-vchan server` is up.
pub const GO_TOOL: &str = "data/xenrs-vchan/go-tool";
/// `stream` here (written by dom0 before we run) skips steps 1 to 4.
pub const MODE: &str = "data/xenrs-vchan/mode";
/// The stream server's generation, once it serves.
pub const STREAM_GEN: &str = "data/xenrs-vchan/stream-gen";

/// The node (under our home) of a step's outcome.
pub fn result_node(step: &str) -> String {
    format!("data/xenrs-vchan/{step}")
}

/// What the echo steps send back for byte `b`.
pub fn transform(b: u8) -> u8 {
    b.to_ascii_uppercase()
}

/// Byte `k` of a stream.
pub fn stream_byte(k: u64) -> u8 {
    (k % 251) as u8
}

/// How long one step may wait for its peer, in ns of Xen's system time.
const PATIENCE_NS: u64 = 60_000_000_000;
/// One `SCHEDOP_poll`'s timeout, in ns.
const POLL_NS: u64 = 50_000_000;

/// One end of a vchan as the steps use it.
pub(crate) trait Vchan {
    /// Reads what is there, `Ok(0)` when nothing is.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, String>;
    /// Writes what fits, `Ok(0)` when nothing does.
    fn write(&mut self, data: &[u8]) -> Result<usize, String>;
    /// Whether the peer is (still) there.
    fn is_open(&self) -> bool;
    /// Waits for an event on the channel, at most a poll's time.
    fn wait(&mut self) -> Result<(), String>;
    /// Events taken on our ports so far.
    fn events(&self) -> u64;
}

/// Events from shared_info, and waiting for one port.
pub(crate) struct Events<'h, H: Hypercall> {
    hc: &'h H,
    demux: TwoLevel,
    fired: u64,
}

impl<'h, H: Hypercall> Events<'h, H> {
    /// Maps shared_info and takes events from it.
    ///
    /// # Safety
    ///
    /// `si` is Xen's start_info page of a PV domU; call once.
    pub(crate) unsafe fn new(hc: &'h H, si: *const StartInfo) -> Result<Self, String> {
        let shared = domu::evtchn::map_shared_info(hc, si).ok_or("could not map shared_info")?;
        let demux = TwoLevel::new(shared, VcpuId::BOOT).map_err(|e| format!("{e:?}"))?;
        Ok(Self {
            hc,
            demux,
            fired: 0,
        })
    }

    /// Waits until `port` fired or a poll's time passed; clears what is
    /// pending.
    pub(crate) fn wait(&mut self, port: EvtchnPort) -> Result<(), String> {
        let mut out = [EvtchnPort::ZERO; 16];
        let n = self
            .demux
            .take_pending(&mut out)
            .map_err(|e| format!("take_pending: {e:?}"))?;
        if out[..n].contains(&port) {
            self.fired += 1;
            return Ok(());
        }
        let now = now(self.hc)?;
        let _ = sched::poll(self.hc, &[port], now + POLL_NS);
        let n = self
            .demux
            .take_pending(&mut out)
            .map_err(|e| format!("take_pending: {e:?}"))?;
        if out[..n].contains(&port) {
            self.fired += 1;
        }
        Ok(())
    }

    /// Waits until `port` fired or the clock passed `until_ns` (at most a
    /// poll's time: callers look again and wait again).
    pub(crate) fn wait_until(&mut self, port: EvtchnPort, until_ns: u64) -> Result<(), String> {
        let mut out = [EvtchnPort::ZERO; 16];
        let n = self
            .demux
            .take_pending(&mut out)
            .map_err(|e| format!("take_pending: {e:?}"))?;
        if out[..n].contains(&port) {
            self.fired += 1;
            return Ok(());
        }
        let now = now(self.hc)?;
        if now >= until_ns {
            return Ok(());
        }
        let _ = sched::poll(self.hc, &[port], until_ns.min(now + POLL_NS));
        let n = self
            .demux
            .take_pending(&mut out)
            .map_err(|e| format!("take_pending: {e:?}"))?;
        if out[..n].contains(&port) {
            self.fired += 1;
        }
        Ok(())
    }

    /// How many waits saw their port fire.
    pub(crate) fn fired(&self) -> u64 {
        self.fired
    }
}

pub(crate) fn now(hc: &impl Hypercall) -> Result<u64, String> {
    hvm::get_time(hc).map_err(|e| format!("get_time: {e:?}"))
}

/// Sends all of `data`, waiting for room (bounded); fails if the peer left.
fn send_all(hc: &impl Hypercall, ch: &mut dyn Vchan, mut data: &[u8]) -> Result<(), String> {
    let mut since = now(hc)?;
    while !data.is_empty() {
        let n = ch.write(data)?;
        if n > 0 {
            data = &data[n..];
            since = now(hc)?;
            continue;
        }
        if !ch.is_open() {
            return Err(format!("the peer left with {} bytes unsent", data.len()));
        }
        if now(hc)?.saturating_sub(since) > PATIENCE_NS {
            return Err("no room in the ring for 60 s".into());
        }
        ch.wait()?;
    }
    Ok(())
}

/// Echoes through [`transform`] until the peer closes; the bytes echoed.
pub(crate) fn echo<H: Hypercall>(hc: &H, ch: &mut dyn Vchan) -> Result<u64, String> {
    let mut buf = [0u8; 2048];
    let mut total = 0u64;
    let mut since = now(hc)?;
    loop {
        let n = ch.read(&mut buf)?;
        if n == 0 {
            if !ch.is_open() {
                return Ok(total);
            }
            if now(hc)?.saturating_sub(since) > PATIENCE_NS {
                return Err(format!(
                    "nothing from the peer for 60 s after {total} bytes"
                ));
            }
            ch.wait()?;
            continue;
        }
        for b in &mut buf[..n] {
            *b = transform(*b);
        }
        send_all(hc, ch, &buf[..n])?;
        total += n as u64;
        since = now(hc)?;
    }
}

/// Sends [`TOOL_BYTES`] of [`stream_byte`]s while reading back what the
/// peer echoes; checks every byte; the bytes that came back.
pub(crate) fn ping<H: Hypercall>(hc: &H, ch: &mut dyn Vchan) -> Result<u64, String> {
    let mut out = [0u8; 1024];
    let mut back = [0u8; 2048];
    let (mut sent, mut got) = (0usize, 0usize);
    let mut since = now(hc)?;
    while got < TOOL_BYTES {
        let mut progress = false;
        if sent < TOOL_BYTES {
            let k = out.len().min(TOOL_BYTES - sent);
            for (i, b) in out[..k].iter_mut().enumerate() {
                *b = stream_byte((sent + i) as u64);
            }
            let n = ch.write(&out[..k])?;
            sent += n;
            progress |= n > 0;
        }
        let n = ch.read(&mut back)?;
        if let Some(i) = (0..n).find(|&i| back[i] != stream_byte((got + i) as u64)) {
            return Err(format!("byte {} came back as {:#04x}", got + i, back[i]));
        }
        got += n;
        progress |= n > 0;
        if progress {
            since = now(hc)?;
            continue;
        }
        if !ch.is_open() {
            return Err(format!(
                "the server left after echoing {got} of {TOOL_BYTES} bytes"
            ));
        }
        if now(hc)?.saturating_sub(since) > PATIENCE_NS {
            return Err(format!("stuck: {sent} sent, {got} back, for 60 s"));
        }
        ch.wait()?;
    }
    Ok(got as u64)
}

/// Streams [`stream_byte`]s until the peer closes; the bytes it took and
/// the events we took from it meanwhile.
pub(crate) fn stream<H: Hypercall>(hc: &H, ch: &mut dyn Vchan) -> Result<(u64, u64), String> {
    let events0 = ch.events();
    let mut buf = [0u8; 4096];
    let mut k = 0u64;
    loop {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = stream_byte(k + i as u64);
        }
        let mut off = 0;
        let mut since = now(hc)?;
        while off < buf.len() {
            let n = ch.write(&buf[off..])?;
            if n > 0 {
                off += n;
                since = now(hc)?;
                continue;
            }
            if !ch.is_open() {
                return Ok((k + off as u64, ch.events() - events0));
            }
            if now(hc)?.saturating_sub(since) > PATIENCE_NS {
                return Err(format!("the client took nothing for 60 s after {k} bytes"));
            }
            ch.wait()?;
        }
        k += buf.len() as u64;
    }
}

/// Reports a step's outcome on the console and in xenstore.
fn report<S: Store>(xs: &S, step: &str, outcome: &Result<String, String>) -> bool {
    let line = match outcome {
        Ok(s) => format!("ok {s}"),
        Err(e) => format!("fail: {e}"),
    };
    crate::println!("vchan {step}: {line}");
    if let Err(e) = xs.write(&result_node(step), line.as_bytes()) {
        crate::println!("could not write {}: {e:?}", result_node(step));
    }
    outcome.is_ok()
}

/// Waits (bounded) until `node` reads as something.
fn wait_node<H: Hypercall, S: Store>(hc: &H, xs: &S, node: &str) -> Result<String, String> {
    let start = now(hc)?;
    loop {
        if let Ok(v) = xs.read(node) {
            return Ok(String::from_utf8_lossy(&v).into_owned());
        }
        if now(hc)?.saturating_sub(start) > PATIENCE_NS {
            return Err(format!("{node} never appeared (60 s)"));
        }
        let _ = sched::yield_now(hc);
    }
}

/// Everything the steps need.
pub(crate) struct Ctx<'h, H: Hypercall, T: Transport> {
    pub(crate) hc: &'h H,
    pub(crate) xs: &'h Xenstore<T>,
    pub(crate) domid: DomId,
    pub(crate) events: Events<'h, H>,
    pub(crate) grants: crate::vchan_glue::Grants<'h, H>,
}

/// Steps 1 to 4; true when all passed.
fn scripted<H: Hypercall, T: Transport>(
    cx: &mut Ctx<'_, H, T>,
    srv: &dyn Fn(u32) -> String,
) -> bool {
    let (hc, xs) = (cx.hc, cx.xs);
    let me = cx.domid.get();
    let mut ok = true;
    let r = crate::vchan_glue::serve(cx, &srv(PORT_C_CLIENT), 1024, 2048, None, echo)
        .map(|n| format!("{n} bytes echoed to libxenvchan's client, then it closed"));
    ok &= report(xs, "c-client", &r);

    let r = wait_node(hc, xs, GO_CLIENT).and_then(|_| {
        let path = format!("/local/domain/0/data/vchan/{me}/{PORT_C_SERVER}");
        crate::vchan_glue::connect(cx, &path, echo)
            .map(|n| format!("{n} bytes echoed to libxenvchan's server, then it closed"))
    });
    ok &= report(xs, "c-server", &r);

    let r = wait_node(hc, xs, GO_TOOL).and_then(|_| {
        let path = format!("/local/domain/0/data/vchan/{me}/{PORT_TOOL}");
        crate::vchan_glue::connect(cx, &path, ping)
            .map(|n| format!("{n} bytes sent to xenrs-vchan's server came back intact"))
    });
    ok &= report(xs, "tool-server", &r);

    let r = crate::vchan_glue::serve(
        cx,
        &srv(PORT_RUST),
        RUST_READ_MIN,
        RUST_WRITE_MIN,
        None,
        echo,
    )
    .map(|n| format!("{n} bytes echoed over multi-page rings, then the client closed"));
    ok &= report(xs, "rust", &r);
    ok
}

/// Runs the steps; true when all passed (the stream server's last client
/// included).
///
/// # Safety
///
/// `si` is Xen's start_info page of a PV domU.
pub unsafe fn run<H: Hypercall>(hc: &H, si: *const StartInfo) -> bool {
    // SAFETY: the caller's start_info; called once.
    let xs = match unsafe { domu::store_client(hc, si) } {
        Ok(xs) => xs,
        Err(e) => {
            crate::println!("vchan domU: {e}");
            return false;
        }
    };
    let domid = xs
        .read_string("domid")
        .ok()
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|d| DomId::new(d).ok());
    let Some(domid) = domid else {
        crate::println!("vchan domU: could not read our domid");
        return false;
    };
    // SAFETY: as above.
    let events = match unsafe { Events::new(hc, si) } {
        Ok(e) => e,
        Err(e) => return report(&xs, "setup", &Err(e)),
    };
    let platform = crate::selftest::Platform::Pv { start_info: si };
    let grants = match crate::vchan_glue::Grants::new(hc, platform) {
        Ok(g) => g,
        Err(e) => return report(&xs, "setup", &Err(e)),
    };
    crate::println!("vchan domU: we are domain {}", domid.get());
    let mut cx = Ctx {
        hc,
        xs: &xs,
        domid,
        events,
        grants,
    };
    let me = domid.get();
    let mut ok = true;
    let srv = |port: u32| format!("/local/domain/{me}/data/vchan/0/{port}");
    // The bench sends us straight to the stream server.
    let stream_only = xs.read(MODE).is_ok_and(|m| m == b"stream");
    if !stream_only {
        ok &= scripted(&mut cx, &srv);
    }

    for generation in 1..=STREAM_GENERATIONS {
        let r = crate::vchan_glue::serve(
            &mut cx,
            &srv(PORT_STREAM),
            STREAM_READ_MIN,
            STREAM_WRITE_MIN,
            Some(generation),
            stream,
        )
        .map(|(n, e)| format!("{n} bytes streamed to client {generation}, {e} events from it"));
        // One node for all generations: xenstored caps a domain's nodes.
        if !report(&xs, "stream", &r) {
            ok = false;
            break;
        }
    }
    ok
}

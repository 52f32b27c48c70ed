// SPDX-License-Identifier: MIT OR Apache-2.0
//! xenstore with a real unprivileged domain: from a Linux dom0, `xl`
//! creates a PV domU (the test kernel `xen-test-kernel-xs-domu`) that runs
//! xen-store's ring client against the real xenstored. This side sets up
//! nodes the domU may not read or may only read, drives the watch
//! hand-shake, checks `@introduceDomain` / `@releaseDomain` and reads back
//! the domU's report (`examples/xen-test-kernel/src/domu.rs`). Then the
//! domU's event channel to dom0 (`domu/evtchn.rs` there): xen-evtchn's
//! in-guest half at its end, its `/dev/xen/evtchn` half at ours. Then
//! grants both ways and a transitive one (`domu/grant.rs` there):
//! xen-grant's in-guest half at its end, its gntdev/gntalloc half at ours.
//! This
//! rides on the xenstore test's domU rather than creating another: a
//! domain's creation and boot take seconds under QEMU.
//!
//! Needs xl matching the hypervisor: `cargo xtask dom0` brings Debian 12's
//! 4.17 toolstack for Xen 4.17 and Debian 13's 4.20 one for Xen 4.20.
#![cfg(all(feature = "std", target_os = "linux"))]
#![allow(clippy::std_instead_of_core)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use dom0_test_support::{env_or, write_pv_config, xl, XlDomain as Domain};
use xen_abi::DomId;
use xen_evtchn::linux::Evtchn;
use xen_evtchn::EvtchnPort;
use xen_grant::linux::{Access as GrantAccess, CopySegment, Gntalloc, Gntdev, GrantAddr};
use xen_grant::GrantRef;
use xen_store::{
    Access, Perm, Store, StreamTransport, Watch, WatchEvent, Xenstore, DEFAULT_SOCKET,
};

/// The nodes the domU expects (its `PERM_DIR`, `SECRET`, `SHARED`,
/// `DAEMON`, `BIG_DIR` with 160 children named as its `big_dir_child`).
const PERM_DIR: &str = "/xenrs-perm";
const SECRET: &str = "/xenrs-perm/secret";
const SHARED: &str = "/xenrs-perm/shared";
const DAEMON: &str = "/xenrs-perm/daemon";
const BIG_DIR: &str = "/xenrs-perm/bigdir";
/// The domU's name in its config (it checks it).
const NAME: &str = "xenrs-xs-domu";
/// The domU's event-channel nodes under its home (its `domu::evtchn`
/// `PORT` and `RESULT`) and its round trips (`ROUNDS`).
const EVTCHN_PORT: &str = "data/xenrs-evtchn/port";
const EVTCHN_RESULT: &str = "data/xenrs-evtchn/result";
const EVTCHN_ROUNDS: u32 = 10;
/// The domU's grant nodes under its home (its `domu::grant` constants).
const GRANT_REF: &str = "data/xenrs-grant/ref";
const GRANT_MAPPED: &str = "data/xenrs-grant/mapped";
const GRANT_BUSY: &str = "data/xenrs-grant/busy";
const GRANT_DOM0_REF: &str = "data/xenrs-grant/dom0-ref";
const GRANT_TRANS_REF: &str = "data/xenrs-grant/trans-ref";
const GRANT_TRANS_DONE: &str = "data/xenrs-grant/trans-done";
const GRANT_RESULT: &str = "data/xenrs-grant/result";
/// Its pattern seeds: its page, our reply there, our page, its reply.
const SEED_DOMU: u8 = 0x11;
const SEED_DOM0_REPLY: u8 = 0x22;
const SEED_DOM0: u8 = 0x33;
const SEED_DOMU_REPLY: u8 = 0x44;
/// How long one event may take to arrive.
const PATIENCE: Duration = Duration::from_secs(20);

/// The next event of `w`, or `None` after `timeout`. Reads a node now and
/// then so that somebody reads the connection (and files the events).
fn event_within(
    xs: &Xenstore,
    w: &Watch<'_, StreamTransport>,
    timeout: Duration,
) -> Option<WatchEvent> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(e) = w.try_next_event() {
            return Some(e);
        }
        if Instant::now() > end {
            return None;
        }
        let _ = xs.read("/local/domain/0/name");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `path` reads as something, watching its parent.
fn value_within(
    xs: &Xenstore,
    w: &Watch<'_, StreamTransport>,
    path: &str,
    timeout: Duration,
) -> Option<Vec<u8>> {
    let end = Instant::now() + timeout;
    loop {
        if let Ok(v) = xs.read(path) {
            return Some(v);
        }
        let left = end.checked_duration_since(Instant::now())?;
        let _ = event_within(xs, w, left);
    }
}

/// The id of the domain named `name`, from `/local/domain/*/name`.
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

/// Dom0's end of the domU's event channel: binds the port the domU
/// published, drives [`EVTCHN_ROUNDS`] round trips, then drops its port and
/// reads the domU's verdict (its end must have turned unbound).
fn event_channel_with_domu(
    xs: &Xenstore,
    progress: &Watch<'_, StreamTransport>,
    dom: DomId,
    home: &str,
) {
    let node = format!("{home}/{EVTCHN_PORT}");
    let raw = value_within(xs, progress, &node, Duration::from_secs(60))
        .expect("the domU published no event-channel port");
    let remote: u32 = String::from_utf8_lossy(&raw)
        .parse()
        .unwrap_or_else(|e| panic!("{node} = {raw:?}: {e}"));
    let remote = EvtchnPort::new(remote).unwrap();
    let dev = Evtchn::open().unwrap_or_else(|e| panic!("{e}"));
    let port = dev
        .bind_interdomain(dom, remote)
        .unwrap_or_else(|e| panic!("bind_interdomain({dom:?}, {remote}): {e}"));
    // Xen marks the binder's end pending on bind; the domU sends nothing
    // before our first notify.
    let mut buf = [EvtchnPort::ZERO; 16];
    while dev.wait(Some(Duration::from_millis(100))).unwrap() {
        let n = dev.pending(&mut buf).unwrap();
        dev.unmask(&buf[..n]).unwrap();
    }
    let t = Instant::now();
    for round in 0..EVTCHN_ROUNDS {
        port.notify().unwrap();
        assert!(
            dev.wait(Some(PATIENCE)).unwrap(),
            "round {round}: no event from the domU within {PATIENCE:?}"
        );
        let n = dev.pending(&mut buf).unwrap();
        assert_eq!(&buf[..n], &[port.port()], "round {round}");
        dev.unmask(&buf[..n]).unwrap();
    }
    println!(
        "evtchn: {EVTCHN_ROUNDS} round trips with domain {} in {:.1} ms",
        dom.get(),
        t.elapsed().as_secs_f64() * 1e3
    );
    // Unbind on drop: the domU waits for its end to turn unbound.
    drop(port);
    let node = format!("{home}/{EVTCHN_RESULT}");
    let result = value_within(xs, progress, &node, Duration::from_secs(60))
        .expect("the domU wrote no event-channel result");
    let result = String::from_utf8_lossy(&result).into_owned();
    println!("domU's evtchn: {result}");
    assert!(
        result.starts_with(&format!("ok {EVTCHN_ROUNDS} ")),
        "the domU's event channel: {result}"
    );
}

fn pattern_byte(i: usize, seed: u8) -> u8 {
    (i as u8).wrapping_mul(7).wrapping_add(seed)
}

/// The first byte of `bytes` that differs from pattern `seed`.
fn mismatch(bytes: &[u8], seed: u8) -> Option<(usize, u8)> {
    bytes
        .iter()
        .enumerate()
        .find(|&(i, &b)| b != pattern_byte(i, seed))
        .map(|(i, &b)| (i, b))
}

/// Dom0's half of grants with the domU: maps the domU's grant with gntdev
/// (its `end_access` must be refused while we hold it), then shares a page
/// of ours with gntalloc that the domU maps, writes and copies, and grants
/// back to us transitively (v2), which we copy through.
fn grants_with_domu(xs: &Xenstore, progress: &Watch<'_, StreamTransport>, dom: DomId, home: &str) {
    let node = |n: &str| format!("{home}/{n}");
    let read = |n: &str, what: &str| {
        let raw = value_within(xs, progress, &node(n), Duration::from_secs(60))
            .unwrap_or_else(|| panic!("the domU wrote no {what} ({n})"));
        String::from_utf8_lossy(&raw).into_owned()
    };
    let raw = read(GRANT_REF, "grant reference");
    let gref = GrantRef::new(
        raw.parse()
            .unwrap_or_else(|e| panic!("{GRANT_REF} = {raw:?}: {e}")),
    )
    .unwrap();
    let gntdev = Gntdev::open().unwrap_or_else(|e| panic!("{e}"));
    let map = gntdev
        .map(dom, &[gref], GrantAccess::ReadWrite)
        .unwrap_or_else(|e| panic!("map the domU's ref {gref}: {e}"));
    let mem = map.shared_mem(..).unwrap();
    let mut bytes = vec![0u8; 4096];
    mem.copy_out(0, &mut bytes).unwrap();
    assert_eq!(mismatch(&bytes, SEED_DOMU), None, "the domU's page");
    let reply: Vec<u8> = (0..4096)
        .map(|i| pattern_byte(i, SEED_DOM0_REPLY))
        .collect();
    mem.copy_in(0, &reply).unwrap();
    xs.write(&node(GRANT_MAPPED), b"1").unwrap();
    // The domU tries end_access while we hold the mapping.
    let busy = read(GRANT_BUSY, "end_access verdict while mapped");
    assert_eq!(busy, "1");
    drop(map);

    let gntalloc = Gntalloc::open().unwrap_or_else(|e| panic!("{e}"));
    let shared = gntalloc
        .share(dom, 1, GrantAccess::ReadWrite)
        .unwrap_or_else(|e| panic!("share a page with domain {}: {e}", dom.get()));
    let smem = shared.shared_mem(..).unwrap();
    let ours: Vec<u8> = (0..4096).map(|i| pattern_byte(i, SEED_DOM0)).collect();
    smem.copy_in(0, &ours).unwrap();
    let dom0_ref = shared.refs()[0];
    xs.write(&node(GRANT_DOM0_REF), dom0_ref.get().to_string().as_bytes())
        .unwrap();
    // The domU grants our grant back to us transitively: copy through it.
    let raw = read(GRANT_TRANS_REF, "transitive grant reference");
    let tref = GrantRef::new(
        raw.parse()
            .unwrap_or_else(|e| panic!("{GRANT_TRANS_REF} = {raw:?}: {e}")),
    )
    .unwrap();
    let mut through = vec![0u8; 4096];
    let mut seg = [CopySegment::from_grant(
        GrantAddr::new(dom, tref),
        &mut through,
    )];
    let copied = gntdev.copy(&mut seg);
    let status = seg[0].status();
    let verdict = match copied {
        Ok(()) if status == xen_abi::grant_table::GrantStatus::OKAY => {
            match mismatch(&through, SEED_DOMU_REPLY) {
                None => "ok".to_owned(),
                Some((i, b)) => format!("byte {i} is {b:#x}"),
            }
        }
        Ok(()) => format!("status {status:?}"),
        Err(e) => format!("{e}"),
    };
    xs.write(&node(GRANT_TRANS_DONE), verdict.as_bytes())
        .unwrap();
    assert_eq!(
        verdict, "ok",
        "copy through the domU's transitive ref {tref}"
    );
    let result = read(GRANT_RESULT, "grant result");
    println!("domU's grants: {result}");
    assert!(result.starts_with("ok "), "the domU's grants: {result}");
    smem.copy_out(0, &mut bytes).unwrap();
    assert_eq!(
        mismatch(&bytes, SEED_DOMU_REPLY),
        None,
        "the domU's reply in our page"
    );
    println!(
        "grant: domain {} mapped our ref {dom0_ref}, we mapped its ref {gref} and copied through \
         its transitive ref {tref}",
        dom.get()
    );
}

#[test]
#[ignore = "needs a Xen 4.17 dom0 with xenstored, xenconsoled and xl (run by `cargo xtask dom0`)"]
fn an_unprivileged_domu_gets_only_what_its_permissions_allow() {
    scenario(&Creator::Xl);
}

/// The same domU and the same checks, with the domain built by xenrs's own
/// PV builder (`xenrs create -p`, `examples/xenrs`) instead of `xl create
/// -p`: its console read through `xenrs console`, and after it powers off,
/// `xenrs destroy` gives back its memory and xenstore nodes.
#[test]
#[ignore = "needs a Xen dom0 with xenstored, xenconsoled, xl and xenrs (`XENRS_BIN`; run by `cargo xtask dom0`)"]
fn the_same_domu_built_by_xenrs_create() {
    let bin = std::env::var("XENRS_BIN")
        .expect("XENRS_BIN: the xenrs command (cargo xtask dom0 sets it)");
    scenario(&Creator::Xenrs(bin));
}

/// Who builds the domU.
enum Creator {
    /// `xl create -p` with a config file; xl destroys it when it powers off.
    Xl,
    /// `xenrs create -p` (the command's path); the test destroys it with
    /// `xenrs destroy` once it has powered off.
    Xenrs(String),
}

/// Runs `xenrs` with `args`; its stdout, or the failure with stderr.
fn xenrs(bin: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(bin)
        .args(args)
        .output()
        .map_err(|e| format!("{bin}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "xenrs {args:?}: {}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `xl info`'s `free_memory` (MiB).
fn free_memory_mib() -> u64 {
    xl(&["info"])
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("free_memory")?
                .split(':')
                .nth(1)?
                .trim()
                .parse()
                .ok()
        })
        .expect("free_memory in xl info")
}

fn scenario(creator: &Creator) {
    let kernel = env_or("XENRS_DOMU_KERNEL", "/domu/xen-test-kernel-xs-domu");
    assert!(Path::new(&kernel).exists(), "{kernel} is missing");
    let xs = Xenstore::open_socket_at(Path::new(DEFAULT_SOCKET)).unwrap();

    // The fixture: a dom0-only directory and node, and a node the domU will
    // be allowed to read once we know its id.
    let _ = xs.rm(PERM_DIR);
    xs.write(SECRET, b"s1").unwrap();
    xs.write(SHARED, b"v1").unwrap();
    let dom0_only = [Perm::new(Access::None, DomId::DOM0)];
    xs.set_perms(PERM_DIR, &dom0_only).unwrap();
    xs.set_perms(SECRET, &dom0_only).unwrap();
    xs.set_perms(SHARED, &dom0_only).unwrap();

    let intro = xs.watch("@introduceDomain", "intro").unwrap();
    let release = xs.watch("@releaseDomain", "release").unwrap();
    // Registering fires each once.
    for w in [&intro, &release] {
        let e = event_within(&xs, w, Duration::from_secs(5));
        assert_eq!(e.map(|e| e.path), Some(w.path().to_owned()));
    }

    let free_before = free_memory_mib();
    let t = Instant::now();
    match creator {
        Creator::Xl => {
            let cfg = write_pv_config(NAME, &kernel, 32, "preserve").unwrap();
            let created = xl(&["create", "-p", cfg.to_str().unwrap()]);
            println!(
                "xl create -p: {:.1} s: {created:?}",
                t.elapsed().as_secs_f64()
            );
            created.unwrap();
        }
        Creator::Xenrs(bin) => {
            let created = xenrs(
                bin,
                &["create", "-p", "--name", NAME, "--memory", "32", &kernel],
            );
            println!(
                "xenrs create -p: {:.1} s: {created:?}",
                t.elapsed().as_secs_f64()
            );
            created.unwrap();
        }
    }
    let domid = domid_of(&xs, NAME).expect("the new domain in /local/domain");
    let _guard = Domain(domid);
    // xenrs: its console, read from before the domain runs.
    let console = match creator {
        Creator::Xl => None,
        Creator::Xenrs(bin) => {
            let mut child = Command::new(bin)
                .args(["console", &domid.to_string()])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut out = child.stdout.take().unwrap();
            let reader = std::thread::spawn(move || {
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(&mut out, &mut text);
                text
            });
            // Wait for it to have opened the pty (it reads console/tty).
            let tty = format!("/local/domain/{domid}/console/tty");
            let end = Instant::now() + Duration::from_secs(10);
            while xs.read(&tty).map_or(true, |v| v.is_empty()) && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(50));
            }
            std::thread::sleep(Duration::from_millis(300));
            Some((child, reader))
        }
    };
    let dom = DomId::new(domid).unwrap();
    assert!(domid > 0);
    assert_eq!(xs.is_domain_introduced(dom), Ok(true));
    assert!(
        event_within(&xs, &intro, Duration::from_secs(10)).is_some(),
        "no @introduceDomain event for domain {domid}"
    );

    xs.set_perms(
        SHARED,
        &[
            Perm::new(Access::None, DomId::DOM0),
            Perm::new(Access::Read, dom),
        ],
    )
    .unwrap();
    // A directory readable by the domU whose listing exceeds a message.
    let readable = [
        Perm::new(Access::None, DomId::DOM0),
        Perm::new(Access::Read, dom),
    ];
    xs.write(BIG_DIR, b"").unwrap();
    xs.set_perms(BIG_DIR, &readable).unwrap();
    xs.transaction(|tx| {
        for i in 0..160 {
            // Children inherit the parent's permissions.
            tx.write(&format!("{BIG_DIR}/child-with-a-longish-name-{i:03}"), b"")?;
        }
        Ok::<_, xen_store::Error>(())
    })
    .unwrap();
    // Which daemon serves the domU (its checks differ where they do).
    let daemon = std::env::var("XENRS_XENSTORED").unwrap_or_else(|_| "xenstored".into());
    xs.write(DAEMON, daemon.as_bytes()).unwrap();
    xs.set_perms(
        DAEMON,
        &[
            Perm::new(Access::None, DomId::DOM0),
            Perm::new(Access::Read, dom),
        ],
    )
    .unwrap();
    let home = xs.get_domain_path(dom).unwrap();
    let data = format!("{home}/data/xenrs");
    let progress = xs.watch(&format!("{home}/data"), "domu").unwrap();
    xl(&["unpause", &domid.to_string()]).unwrap();

    // The domU checks what it can and cannot do, then waits on its watch.
    let waiting = value_within(
        &xs,
        &progress,
        &format!("{data}/waiting"),
        Duration::from_secs(60),
    );
    assert_eq!(
        waiting.as_deref(),
        Some(&b"1"[..]),
        "the domU never got to its watch"
    );
    xs.write(SECRET, b"s2").unwrap();
    xs.write(SHARED, b"v2").unwrap();

    let report = value_within(
        &xs,
        &progress,
        &format!("{data}/result"),
        Duration::from_secs(60),
    )
    .expect("the domU wrote no report");
    let report = String::from_utf8_lossy(&report).into_owned();
    println!("{report}");
    let ok = report.lines().filter(|l| l.starts_with("ok ")).count();
    let not_ok: Vec<&str> = report.lines().filter(|l| l.starts_with("not ok")).collect();
    assert!(not_ok.is_empty(), "the domU's failed checks: {not_ok:#?}");
    let plan: Option<usize> = report
        .lines()
        .find_map(|l| l.strip_prefix("plan ")?.parse().ok());
    assert_eq!(plan, Some(ok), "checks went missing");
    assert!(ok >= 20, "only {ok} checks in the report");
    assert!(
        report.contains(&format!("summary: {ok} passed, 0 failed")),
        "summary does not match the checks"
    );
    event_channel_with_domu(&xs, &progress, dom, &home);
    grants_with_domu(&xs, &progress, dom, &home);

    // The domU powers off after its report. xl destroys it then; with
    // xenrs, we do once Xen says it has shut down.
    if let Creator::Xenrs(bin) = creator {
        let id = domid.to_string();
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            let list = xenrs(bin, &["list"]).unwrap();
            let state = list.lines().find_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() >= 6 && f[f.len() - 5] == id).then(|| f[f.len() - 2].to_owned())
            });
            match state {
                Some(s) if s.contains('s') => break,
                _ if Instant::now() > end => panic!("domain {id} never shut down: {list}"),
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        xenrs(bin, &["destroy", &id]).unwrap();
    }
    // xenstored tells watchers.
    assert!(
        event_within(&xs, &release, Duration::from_secs(30)).is_some(),
        "no @releaseDomain event after the domU powered off"
    );
    let gone = Instant::now() + Duration::from_secs(30);
    while xs.is_domain_introduced(dom) == Ok(true) && Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        xs.is_domain_introduced(dom),
        Ok(false),
        "domain {domid} lingers"
    );
    xs.rm(PERM_DIR).unwrap();
    // Nothing of the domain is left: no home, its memory back.
    let home_gone = Instant::now() + Duration::from_secs(10);
    while xs.read(&home).is_ok() && Instant::now() < home_gone {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(xs.read(&home).is_err(), "{home} left behind");
    let free_gone = Instant::now() + Duration::from_secs(20);
    while free_memory_mib() + 1 < free_before && Instant::now() < free_gone {
        std::thread::sleep(Duration::from_millis(200));
    }
    let free_after = free_memory_mib();
    assert!(
        free_after + 1 >= free_before,
        "free memory {free_after} MiB after, {free_before} MiB before"
    );
    if let Some((mut child, reader)) = console {
        // The domain is gone: xenconsoled closes the pty, the command ends.
        let end = Instant::now() + Duration::from_secs(10);
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(100)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        let text = reader.join().unwrap();
        println!("xenrs console: {status:?}, {} bytes", text.len());
        assert!(
            status.is_some(),
            "xenrs console did not end when the domain went away"
        );
        assert!(
            text.contains(&format!("summary: {ok} passed, 0 failed")),
            "xenrs console showed: {text}"
        );
    }
}

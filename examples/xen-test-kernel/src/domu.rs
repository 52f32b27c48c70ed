// SPDX-License-Identifier: MIT OR Apache-2.0
//! The xenstore domU: a PV guest that a Linux dom0 creates with `xl`, and
//! which talks to the real xenstored over its shared ring page with
//! xen-store's [`RingClient`] (the same `Client` as dom0's `Xenstore`, over
//! the ring transport), as an unprivileged domain.
//!
//! Dom0's side (`xen-store/tests/dom0_domu.rs`) sets up the nodes below
//! before unpausing us: [`PERM_DIR`] and [`SECRET`] readable by dom0 only,
//! [`SHARED`] readable by us. We check what xenstored lets an unprivileged
//! domain do (and refuses with `EACCES`), then write [`WAITING`]; dom0
//! writes [`SECRET`] and then [`SHARED`], and we must see the second write
//! through our watch and never the first. The checks go, TAP-like, to the
//! PV console (xenconsoled logs it) and, at the end, into [`RESULT`], which
//! dom0 watches. Then [`evtchn`] exchanges events with dom0, and [`grant`]
//! shares pages with it both ways.

pub(crate) mod evtchn;
mod grant;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::fmt;
use core::ptr::NonNull;

use xen_abi::event_channel::EvtchnPort;
use xen_abi::io::byte_ring::ConsoleFront;
use xen_abi::io::ring::SharedMem;
use xen_abi::io::xs_wire::TxId;
use xen_abi::xen::{DomId, StartInfo, UvmFlags};
use xen_abi::Errno;
use xen_hypercall::mmu;
use xen_hypercall::{event_channel, sched, Hypercall};
use xen_store::ring::{RingClient, RingHooks};
use xen_store::wire::Request;
use xen_store::{Access, Error, Perm, Store};

use crate::Tester;

/// The directory dom0 creates for us, with perms `n0`.
pub const PERM_DIR: &str = "/xenrs-perm";
/// Dom0-only: perms `n0`.
pub const SECRET: &str = "/xenrs-perm/secret";
/// Readable by us: perms `n0 r<domid>`, value [`SHARED_V1`], later
/// [`SHARED_V2`].
pub const SHARED: &str = "/xenrs-perm/shared";
/// [`SHARED`]'s first value.
pub const SHARED_V1: &str = "v1";
/// [`SHARED`]'s value after [`WAITING`].
pub const SHARED_V2: &str = "v2";
/// Which xenstored serves us (`xenstored` or `oxenstored`), readable by us.
pub const DAEMON: &str = "/xenrs-perm/daemon";
/// A directory dom0 made readable by us, with [`BIG_DIR_CHILDREN`]
/// children named by [`big_dir_child`]: more than 4096 bytes of names.
pub const BIG_DIR: &str = "/xenrs-perm/bigdir";
/// How many children [`BIG_DIR`] has.
pub const BIG_DIR_CHILDREN: u32 = 160;

/// The name of [`BIG_DIR`]'s child `i`.
pub fn big_dir_child(i: u32) -> String {
    format!("child-with-a-longish-name-{i:03}")
}

/// We write `1` here (relative to our home) once our watches are set.
pub const WAITING: &str = "data/xenrs/waiting";
/// Our report, relative to our home: the TAP lines and the summary.
pub const RESULT: &str = "data/xenrs/result";

/// Checks [`run`] makes.
pub const PLAN: u32 = 34;

/// PTE bits of a data page: present, rw, user, accessed, dirty.
const PTE_DATA: u64 = 0x67;

#[repr(C, align(4096))]
pub(crate) struct Page(UnsafeCell<[u8; 4096]>);

// SAFETY: the pages are only reached through `SharedMem` (atomic accesses).
unsafe impl Sync for Page {}

static STORE_PAGE: Page = Page(UnsafeCell::new([0; 4096]));
static CONSOLE_PAGE: Page = Page(UnsafeCell::new([0; 4096]));

/// The console, once mapped: single vCPU, no interrupts, so a plain cell.
struct ConsoleSlot(UnsafeCell<Option<(ConsoleFront<'static>, EvtchnPort)>>);

// SAFETY: the kernel runs on one vCPU with event upcalls masked; nothing
// touches the slot concurrently.
unsafe impl Sync for ConsoleSlot {}

static CONSOLE: ConsoleSlot = ConsoleSlot(UnsafeCell::new(None));

/// Maps the machine frame `mfn` over `page` (PV `update_va_mapping`) and
/// wraps it.
pub(crate) fn map_page(
    hc: &impl Hypercall,
    page: &'static Page,
    mfn: u64,
) -> Option<SharedMem<'static>> {
    let va = page.0.get().cast::<u8>();
    // SAFETY: remaps one of our own static data pages, which nothing else
    // references (every access goes through the `SharedMem` made below).
    unsafe { mmu::update_va_mapping(hc, va as u64, (mfn << 12) | PTE_DATA, UvmFlags::INVLPG) }
        .ok()?;
    // SAFETY: the page stays mapped for the kernel's life; every access to
    // it is through this one handle.
    unsafe { SharedMem::new(NonNull::new(va)?, 4096) }.ok()
}

/// Maps the PV console ring named by start_info, for [`console_write`].
///
/// # Safety
///
/// `si` is Xen's start_info page; call once, before [`console_write`].
pub unsafe fn console_init(hc: &impl Hypercall, si: *const StartInfo) {
    // SAFETY: the caller's start_info stays mapped.
    let console = unsafe { (*si).console_domu() };
    let (mfn, port) = (console.mfn, console.evtchn);
    let Some(mem) = map_page(hc, &CONSOLE_PAGE, mfn.get()) else {
        return;
    };
    if let (Ok(ring), Ok(port)) = (ConsoleFront::attach(mem), EvtchnPort::new(port)) {
        // SAFETY: single-threaded, see `ConsoleSlot`.
        unsafe { *CONSOLE.0.get() = Some((ring, port)) };
    }
}

/// Writes to the PV console ring (dropping output if xenconsoled does not
/// drain it for a while).
pub fn console_write(hc: &impl Hypercall, mut bytes: &[u8]) {
    // SAFETY: single-threaded, see `ConsoleSlot`.
    let Some((ring, port)) = (unsafe { &mut *CONSOLE.0.get() }) else {
        return;
    };
    let mut idle = 0;
    while !bytes.is_empty() && idle < 1000 {
        match ring.write(bytes) {
            Ok(t) if t.is_empty() => {
                idle += 1;
                let _ = sched::yield_now(hc);
            }
            Ok(t) => {
                bytes = &bytes[t.len()..];
                if t.notify().needed() {
                    let _ = event_channel::send(hc, *port);
                }
            }
            Err(_) => return,
        }
    }
}

/// The ring client's platform: notify over the xenstore event channel,
/// wait by yielding the vCPU (dom0's xenstored needs it).
pub(crate) struct Hooks<'h, H> {
    hc: &'h H,
    port: EvtchnPort,
}

impl<H: Hypercall> RingHooks for Hooks<'_, H> {
    fn notify(&self) {
        let _ = event_channel::send(self.hc, self.port);
    }

    fn wait(&self) {
        let _ = sched::yield_now(self.hc);
    }
}

/// Maps our xenstore ring (named by start_info) and attaches xen-store's
/// ring client to it: what the xenstore checks use, and the vchan domU.
///
/// # Safety
///
/// `si` is Xen's start_info page of a PV domU; call once.
pub(crate) unsafe fn store_client<H: Hypercall>(
    hc: &H,
    si: *const StartInfo,
) -> Result<RingClient<'static, Hooks<'_, H>>, String> {
    // SAFETY: the caller's start_info stays mapped.
    let (mfn, port) = unsafe { ((*si).store_mfn, (*si).store_evtchn) };
    let port = EvtchnPort::new(port).map_err(|e| format!("store event channel: {e:?}"))?;
    let mem = map_page(hc, &STORE_PAGE, mfn.get())
        .ok_or_else(|| format!("could not map the xenstore ring at {mfn:#x}"))?;
    RingClient::new(mem, Hooks { hc, port }).map_err(|e| format!("ring client: {e:?}"))
}

/// Passes when `r` is `Ok(want)`.
fn eq<T: PartialEq + fmt::Debug>(t: &mut Tester, name: &str, r: &Result<T, Error>, want: &T) {
    let ok = matches!(r, Ok(v) if v == want);
    t.check(name, ok, format_args!("{r:?}"));
}

/// Passes when xenstored refused with `errno`.
fn refused<T: fmt::Debug>(t: &mut Tester, name: &str, r: &Result<T, Error>, errno: Errno) {
    let ok = matches!(r, Err(Error::Xenstore(e)) if *e == errno);
    t.check(name, ok, format_args!("{r:?}"));
}

/// Runs the checks against xenstored; true when all passed. The report is
/// left in [`RESULT`] when the ring works at all.
///
/// # Safety
///
/// `si` is Xen's start_info page of a PV domU.
pub unsafe fn run<H: Hypercall>(hc: &H, si: *const StartInfo) -> bool {
    let mut r = Tester::new(PLAN);
    // SAFETY: the caller's start_info stays mapped.
    let (mfn, port) = unsafe { ((*si).store_mfn, (*si).store_evtchn) };
    let port = EvtchnPort::new(port);
    let mem = map_page(hc, &STORE_PAGE, mfn.get());
    r.check(
        "map the xenstore ring",
        mem.is_some() && port.is_ok(),
        format_args!("store_mfn {mfn:#x}, event channel {port:?}"),
    );
    let (Some(mem), Ok(port)) = (mem, port) else {
        return finish(&r);
    };
    let xs = match RingClient::new(mem, Hooks { hc, port }) {
        Ok(xs) => xs,
        Err(e) => {
            r.check("attach the ring client", false, format_args!("{e:?}"));
            return finish(&r);
        }
    };
    checks(&mut r, &xs);
    let report = format!("{}{}\n", r.transcript(), r.summary());
    if let Err(e) = xs.write(RESULT, report.as_bytes()) {
        crate::println!("could not write {RESULT}: {e:?}");
    }
    // SAFETY: the caller's start_info, as above.
    let events = unsafe { evtchn::run(hc, si, &xs) };
    // SAFETY: the caller's start_info, as above.
    let grants = unsafe { grant::run(hc, si, &xs) };
    finish(&r) && events && grants
}

fn finish(r: &Tester) -> bool {
    r.finish() && r.checks() == PLAN
}

fn checks<H: RingHooks>(r: &mut Tester, xs: &RingClient<'_, H>) {
    // Who we are: relative paths resolve under our home.
    let domid = xs
        .read_string("domid")
        .ok()
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|d| DomId::new(d).ok());
    r.check(
        "read our domid (relative path)",
        domid.is_some_and(|d| d.get() > 0),
        format_args!("{domid:?}"),
    );
    let domid = domid.unwrap_or(DomId::INVALID);
    let home = format!("/local/domain/{}", domid.get());
    eq(
        r,
        "get_domain_path of ourselves",
        &xs.get_domain_path(domid),
        &home,
    );
    eq(
        r,
        "read our name",
        &xs.read_string("name"),
        &String::from("xenrs-xs-domu"),
    );

    // Our own subtree.
    let hello = "data/xenrs/hello";
    r.check_ok(
        "write under our home",
        &xs.write(hello, b"hello from a domU"),
    );
    eq(
        r,
        "read it back by absolute path",
        &xs.read_string(&format!("{home}/{hello}")),
        &String::from("hello from a domU"),
    );
    r.check_ok("mkdir under our home", &xs.mkdir("data/xenrs/dir"));
    let mut listed = xs.directory("data/xenrs");
    if let Ok(l) = &mut listed {
        l.sort();
    }
    eq(
        r,
        "directory of our subtree",
        &listed,
        &Vec::from([String::from("dir"), String::from("hello")]),
    );
    let mine = [
        Perm::new(Access::None, domid),
        Perm::new(Access::Read, DomId::DOM0),
    ];
    r.check_ok("set_perms on our own node", &xs.set_perms(hello, &mine));
    eq(
        r,
        "get_perms shows them",
        &xs.get_perms(hello).map(|p| p == mine),
        &true,
    );

    // (The report, every check's line and detail, must fit in one node:
    // xenstored caps an unprivileged domain's at 2048 bytes; keep details
    // short.)
    // Several requests in flight on the ring, distinct ids, replies
    // matched; then a value twice the ring's size, streamed in pieces.
    let paths: Vec<String> = (0..16).map(|i| format!("data/xenrs/p{i}")).collect();
    let pipelined = (|| -> Result<bool, Error> {
        let mut writes = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            let value = format!("value {i}");
            let req = Request::Write {
                path: p,
                value: value.as_bytes(),
            };
            writes.push(xs.submit(TxId::NONE, &req)?);
        }
        let in_flight = xs.in_flight();
        for w in writes {
            xs.wait(w)?;
        }
        let reads = xs.submit_batch(TxId::NONE, paths.iter().map(|p| Request::Read { path: p }))?;
        let mut all = in_flight == paths.len();
        for (i, p) in reads.into_iter().enumerate() {
            all &= xs.wait(p)?.payload == format!("value {i}").as_bytes();
        }
        Ok(all)
    })();
    eq(
        r,
        "16 writes then a batch of 16 reads in flight",
        &pipelined,
        &true,
    );
    let big: Vec<u8> = (0..2000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let back = xs
        .write("data/xenrs/big", &big)
        .and_then(|()| xs.read("data/xenrs/big"));
    r.check(
        "a 2000-byte value through the 1 KiB rings",
        back.as_ref().is_ok_and(|b| *b == big),
        format_args!("{:?}", back.as_ref().map(Vec::len)),
    );

    // A directory whose listing exceeds one message (dom0 made it: an
    // unprivileged domain's nodes are capped at 2048 bytes, children's
    // names included): C xenstored says E2BIG to XS_DIRECTORY and the
    // client goes on with XS_DIRECTORY_PART; oxenstored has no
    // XS_DIRECTORY_PART and says E2BIG on a ring, which stands.
    let names: Vec<String> = (0..BIG_DIR_CHILDREN).map(big_dir_child).collect();
    let daemon = xs.read_string(DAEMON);
    let mut listed = xs.directory(BIG_DIR);
    if let Ok(l) = &mut listed {
        l.sort();
    }
    let ok = match daemon.as_deref() {
        Ok("oxenstored") => listed == Err(Error::Xenstore(Errno::E2BIG)),
        Ok("xenstored") => listed.as_ref() == Ok(&names),
        _ => false,
    };
    r.check(
        "list a directory larger than one message",
        ok,
        format_args!("{daemon:?}: {:?}", listed.as_ref().map(Vec::len)),
    );

    // What xenstored must refuse an unprivileged domain.
    refused(r, "read a dom0-only node", &xs.read(SECRET), Errno::EACCES);
    refused(
        r,
        "list a dom0-only directory",
        &xs.directory(PERM_DIR),
        Errno::EACCES,
    );
    refused(
        r,
        "get_perms of a dom0-only node",
        &xs.get_perms(SECRET),
        Errno::EACCES,
    );
    refused(r, "rm a dom0-only node", &xs.rm(SECRET), Errno::EACCES);
    refused(
        r,
        "write into dom0's home",
        &xs.write("/local/domain/0/xenrs-intrusion", b"x"),
        Errno::EACCES,
    );
    eq(
        r,
        "read a node shared read-only with us",
        &xs.read_string(SHARED),
        &String::from(SHARED_V1),
    );
    refused(
        r,
        "write the read-only shared node",
        &xs.write(SHARED, b"from domU"),
        Errno::EACCES,
    );
    refused(
        r,
        "set_perms on a node we do not own",
        &xs.set_perms(SHARED, &[Perm::new(Access::Both, domid)]),
        Errno::EACCES,
    );
    refused(
        r,
        "introduce a domain (privileged op)",
        &xs.introduce(domid, 0, 1),
        Errno::EACCES,
    );

    // Transactions over the ring: committed (retried on a conflict),
    // aborted, dropped.
    let committed = xs
        .transaction(|tx| tx.write("data/xenrs/tx", b"1"))
        .and_then(|()| xs.read("data/xenrs/tx"));
    eq(r, "transaction commits", &committed, &b"1".to_vec());
    let aborted = xs.transaction_start().and_then(|tx| {
        tx.write("data/xenrs/tx-aborted", b"1")?;
        tx.abort()
    });
    r.check_ok("abort a transaction", &aborted);
    refused(
        r,
        "an aborted write is gone",
        &xs.read("data/xenrs/tx-aborted"),
        Errno::ENOENT,
    );
    let dropped = xs
        .transaction_start()
        .and_then(|tx| tx.write("data/xenrs/tx-dropped", b"1"));
    r.check_ok("write in a transaction, then drop it", &dropped);
    refused(
        r,
        "a dropped transaction aborts",
        &xs.read("data/xenrs/tx-dropped"),
        Errno::ENOENT,
    );

    // A watch guard: dropping it unwatches and frees the token.
    let ours = format!("{home}/data/xenrs");
    let mine = xs.watch(&ours, "mine").and_then(|w| {
        let first = w.next_event()?;
        drop(w);
        let again = xs.watch(&ours, "mine")?;
        let second = again.next_event()?;
        again.unwatch()?;
        Ok(first.path == ours && second.path == ours)
    });
    eq(r, "a dropped watch frees its token", &mine, &true);

    // Watches: xenstored only tells us about nodes we may read.
    let shared = xs.watch(SHARED, "shared");
    r.check_ok("watch the shared node", &shared.as_ref().map(drop));
    let Ok(shared) = shared else {
        return;
    };
    let first = shared.next_event().map(|e| e.path);
    eq(r, "its initial event", &first, &String::from(SHARED));
    let secret = xs.watch(SECRET, "secret");
    r.check_ok("watch the dom0-only node", &secret.as_ref().map(drop));
    let Ok(secret) = secret else {
        return;
    };
    r.check_ok("tell dom0 we are waiting", &xs.write(WAITING, b"1"));
    // Whatever `secret` got so far came before dom0's writes.
    let before = secret.queued();
    let fired = shared
        .next_event()
        .and_then(|e| Ok((e.path, xs.read_string(SHARED)?)));
    eq(
        r,
        "dom0's write to the shared node fires our watch",
        &fired,
        &(String::from(SHARED), String::from(SHARED_V2)),
    );
    let after = secret.queued();
    r.check(
        "dom0's earlier write to the dom0-only node did not",
        after == before && xs.stray_events() == 0,
        format_args!(
            "{before} event(s) before, {after} after, {} stray",
            xs.stray_events()
        ),
    );
}

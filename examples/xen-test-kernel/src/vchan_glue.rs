// SPDX-License-Identifier: MIT OR Apache-2.0
//! The vchan domU's platform for `xen_vchan::guest`: static pages to grant
//! (a control page and a pool of contiguous ring pages), the grant table
//! and the mapper over [`GrantPages`], and [`Wait`] over [`Events`]
//! (`SCHEDOP_poll` on the channel's port, Xen's system time as the clock).
//! [`serve`] and [`connect`] run one session of a step each.

use alloc::format;
use alloc::string::String;

use xen_abi::event_channel::EvtchnPort;
use xen_abi::io::shm::SharedMem;
use xen_abi::xen::DomId;
use xen_evtchn::guest::EventChannel;
use xen_grant::guest::{Foreign, GrantTable};
use xen_hypercall::{sched, Hypercall};
use xen_store::{Client as Xenstore, Store, Transport};
use xen_vchan::guest::{Client, Server, Wait};

use crate::page_addr;
use crate::selftest::grant_pages::GrantPages;
use crate::selftest::memory::{page_mem, TestPage};
use crate::selftest::Platform;
use crate::vchan_domu::{now, Ctx, Events, Vchan, STREAM_GEN};

/// Ring pages a server can grant (left and right together).
const RING_PAGES: usize = 8;

/// The server's control page.
static mut CTRL: TestPage = TestPage::new();
/// The server's ring pages (contiguous: a granted ring spans several).
static mut RINGS: [TestPage; RING_PAGES] = [const { TestPage::new() }; RING_PAGES];

/// How long a server waits for its client (and a client for the server's
/// nodes), in ns.
const CONNECT_NS: u64 = 60_000_000_000;
/// How long a closed server waits for dom0 to let go of its pages, in ns.
const RELEASE_NS: u64 = 20_000_000_000;

/// The grant table and the mapper, set up once.
pub(crate) struct Grants<'h, H: Hypercall> {
    table: GrantTable<&'h H, GrantPages<'h, H>>,
    foreign: Foreign<GrantPages<'h, H>>,
}

impl<'h, H: Hypercall> Grants<'h, H> {
    /// Takes over our grant table.
    pub(crate) fn new(hc: &'h H, platform: Platform) -> Result<Self, String> {
        let table = GrantTable::new(hc, GrantPages::new(hc, platform))
            .map_err(|e| format!("take over the grant table: {e:?}"))?;
        let foreign = Foreign::new(GrantPages::new(hc, platform));
        Ok(Self { table, foreign })
    }
}

/// [`Wait`] over our events: `SCHEDOP_poll` on the port.
struct Waiter<'e, 'h, H: Hypercall> {
    hc: &'h H,
    events: &'e mut Events<'h, H>,
}

impl<H: Hypercall> Wait for Waiter<'_, '_, H> {
    fn now_ns(&mut self) -> u64 {
        now(self.hc).unwrap_or(u64::MAX)
    }

    fn wait(&mut self, port: EvtchnPort, until_ns: u64) -> xen_vchan::Result<()> {
        if port == EvtchnPort::ZERO {
            // Nothing to wait on (a client polling for the nodes).
            let _ = sched::yield_now(self.hc);
            return Ok(());
        }
        self.events
            .wait_until(port, until_ns)
            .map_err(|_| xen_vchan::Error::Platform("waiting on the event channel failed"))
    }
}

/// A session of a step: one end and how to wait.
struct Session<'s, 'e, 'h, H: Hypercall, E: End> {
    events: &'e mut Events<'h, H>,
    end: &'s mut E,
}

/// What a step needs of [`Server`] and [`Client`].
trait End {
    fn read(&mut self, buf: &mut [u8]) -> xen_vchan::Result<usize>;
    fn write(&mut self, data: &[u8]) -> xen_vchan::Result<usize>;
    fn is_open(&self) -> bool;
    fn port(&self) -> EvtchnPort;
}

impl<H: Hypercall> End for Server<H> {
    fn read(&mut self, buf: &mut [u8]) -> xen_vchan::Result<usize> {
        Server::read(self, buf)
    }
    fn write(&mut self, data: &[u8]) -> xen_vchan::Result<usize> {
        Server::write(self, data)
    }
    fn is_open(&self) -> bool {
        Server::is_open(self)
    }
    fn port(&self) -> EvtchnPort {
        Server::port(self)
    }
}

impl<F: xen_grant::guest::ForeignPages, H: Hypercall> End for Client<'_, F, H> {
    fn read(&mut self, buf: &mut [u8]) -> xen_vchan::Result<usize> {
        Client::read(self, buf)
    }
    fn write(&mut self, data: &[u8]) -> xen_vchan::Result<usize> {
        Client::write(self, data)
    }
    fn is_open(&self) -> bool {
        Client::is_open(self)
    }
    fn port(&self) -> EvtchnPort {
        Client::port(self)
    }
}

impl<H: Hypercall, E: End> Vchan for Session<'_, '_, '_, H, E> {
    // A gone peer reads as "nothing now" and `is_open` false: the steps
    // end there (everything it sent was read first).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, String> {
        match self.end.read(buf) {
            Err(xen_vchan::Error::PeerClosed) => Ok(0),
            r => r.map_err(|e| format!("read: {e}")),
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<usize, String> {
        match self.end.write(data) {
            Err(xen_vchan::Error::PeerClosed) => Ok(0),
            r => r.map_err(|e| format!("write: {e}")),
        }
    }

    fn is_open(&self) -> bool {
        self.end.is_open()
    }

    fn wait(&mut self) -> Result<(), String> {
        self.events.wait(self.end.port())
    }

    fn events(&self) -> u64 {
        self.events.fired()
    }
}

/// Serves a vchan for dom0 under `path` with rings of at least `read_min`
/// and `write_min` bytes; with `generation`, tells dom0 (in
/// [`STREAM_GEN`]) once it is published. Waits (bounded) for the client,
/// runs `body`, closes, and ends every grant before returning (the pages
/// serve the next session).
pub(crate) fn serve<H: Hypercall, T: Transport, R>(
    cx: &mut Ctx<'_, H, T>,
    path: &str,
    read_min: usize,
    write_min: usize,
    generation: Option<u32>,
    body: impl FnOnce(&H, &mut dyn Vchan) -> Result<R, String>,
) -> Result<R, String> {
    let hc = cx.hc;
    let xs: &Xenstore<T> = cx.xs;
    let ctrl = page_mem(page_addr!(CTRL));
    let rings_va = page_addr!(RINGS);
    let rings = core::ptr::NonNull::new(rings_va as *mut u8).ok_or("no ring pages")?;
    // SAFETY: our static, contiguous ring pages, used by one session at a
    // time and only through shared-memory handles (dom0 writes them too);
    // the previous session's grants all ended before this one.
    let rings =
        unsafe { SharedMem::new(rings, RING_PAGES * 4096) }.map_err(|e| format!("{e:?}"))?;
    let mut server = Server::new(
        &mut cx.grants.table,
        EventChannel::new(hc),
        xs,
        ctrl,
        rings,
        DomId::DOM0,
        path,
        read_min,
        write_min,
    )
    .map_err(|e| format!("serve {path}: {e}"))?;
    let out = (|| {
        if let Some(g) = generation {
            xs.write(STREAM_GEN, format!("{g}").as_bytes())
                .map_err(|e| format!("write {STREAM_GEN}: {e:?}"))?;
        }
        let mut w = Waiter {
            hc,
            events: &mut cx.events,
        };
        server
            .wait_connected(&mut w, Some(CONNECT_NS))
            .map_err(|e| format!("no client on {path}: {e}"))?;
        let mut s = Session {
            events: &mut cx.events,
            end: &mut server,
        };
        body(hc, &mut s)
    })();
    let mut closed = server
        .close(&mut cx.grants.table, xs)
        .map_err(|e| format!("close {path}: {e}"))?;
    let start = now(hc)?;
    while !closed.retry(&mut cx.grants.table) {
        if now(hc)?.saturating_sub(start) > RELEASE_NS {
            return Err(format!(
                "dom0 kept {} page(s) of {path} mapped for 20 s after the close",
                closed.pending()
            ));
        }
        let _ = sched::yield_now(hc);
    }
    out
}

/// Connects to dom0's vchan under `path`, runs `body`, closes and unmaps.
pub(crate) fn connect<H: Hypercall, T: Transport, R>(
    cx: &mut Ctx<'_, H, T>,
    path: &str,
    body: impl FnOnce(&H, &mut dyn Vchan) -> Result<R, String>,
) -> Result<R, String> {
    let hc = cx.hc;
    let xs: &Xenstore<T> = cx.xs;
    let mut w = Waiter {
        hc,
        events: &mut cx.events,
    };
    let mut client = Client::connect(
        &cx.grants.foreign,
        EventChannel::new(hc),
        xs,
        &mut w,
        DomId::DOM0,
        path,
        Some(CONNECT_NS),
    )
    .map_err(|e| format!("connect to {path}: {e}"))?;
    let out = {
        let mut s = Session {
            events: &mut cx.events,
            end: &mut client,
        };
        body(hc, &mut s)
    };
    client.close().map_err(|e| format!("close {path}: {e}"))?;
    out
}

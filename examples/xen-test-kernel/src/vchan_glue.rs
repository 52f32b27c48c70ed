// SPDX-License-Identifier: MIT OR Apache-2.0
//! The vchan domU's two roles over xen-vchan's protocol core
//! ([`Endpoint`]), with this kernel's platform: static pages granted with
//! xen-grant's in-guest [`GrantTable`] (server) or mapped with its
//! [`Foreign`] (client), an event channel from xen-evtchn's
//! [`EventChannel`], the nodes through xen-store's ring client, waiting
//! with [`Events`].
//!
//! This is the domU's own plumbing until `xen_vchan::guest` lands: it only
//! does what libxenvchan's `server_init`/`client_init`/`close` do around
//! the core (grant, publish `ring-ref` and `event-channel`, map, bind,
//! close), every protocol decision stays in the core.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use xen_abi::event_channel::EvtchnPort;
use xen_abi::grant_table::GrantRef;
use xen_abi::io::shm::SharedMem;
use xen_abi::xen::DomId;
use xen_evtchn::guest::EventChannel;
use xen_grant::guest::{Access, Foreign, Grant, GrantTable};
use xen_hypercall::{sched, Hypercall};
use xen_store::Store;
use xen_vchan::{Endpoint, Orders, Pages, PeerState, Place};

use crate::page_addr;
use crate::selftest::grant_pages::{slot, GrantPages};
use crate::selftest::memory::{page_mem, TestPage};
use crate::selftest::Platform;
use crate::vchan_domu::{Ctx, Events, Vchan, STREAM_GEN};

/// Ring pages a server can grant (left and right together).
const RING_PAGES: usize = 8;

/// The server's control page.
static mut CTRL: TestPage = TestPage::new();
/// The server's ring pages (contiguous: a granted ring spans several).
static mut RINGS: [TestPage; RING_PAGES] = [const { TestPage::new() }; RING_PAGES];

/// How long a server waits for its client, and the other waits, in ns.
const CONNECT_NS: u64 = 60_000_000_000;

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

/// One connected end.
struct Session<'c, 'h, H: Hypercall> {
    hc: &'h H,
    events: &'c mut Events<'h, H>,
    ep: Endpoint,
    pages: Pages<'c>,
    port: EvtchnPort,
}

impl<H: Hypercall> Session<'_, '_, H> {
    fn notify(&self, needed: bool) -> Result<(), String> {
        if needed {
            EventChannel::new(self.hc)
                .send(self.port)
                .map_err(|e| format!("send on {}: {e:?}", self.port))?;
        }
        Ok(())
    }
}

impl<H: Hypercall> Vchan for Session<'_, '_, H> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, String> {
        let t = self
            .ep
            .read(&self.pages, buf)
            .map_err(|e| format!("read: {e}"))?;
        self.notify(t.notify().needed())?;
        Ok(t.len())
    }

    fn write(&mut self, data: &[u8]) -> Result<usize, String> {
        let t = self
            .ep
            .write(&self.pages, data)
            .map_err(|e| format!("write: {e}"))?;
        self.notify(t.notify().needed())?;
        Ok(t.len())
    }

    fn is_open(&self) -> bool {
        matches!(
            self.ep.peer_state(self.pages.ctrl),
            Ok(PeerState::Connected)
        )
    }

    fn wait(&mut self) -> Result<(), String> {
        self.events.wait(self.port)
    }

    fn events(&self) -> u64 {
        self.events.fired()
    }
}

/// The handle on ring `place` of `ctrl` or of the ring pages.
fn ring(ctrl: SharedMem<'static>, place: Place) -> Result<SharedMem<'static>, String> {
    match place {
        Place::InPage(offset) => {
            let size = match offset {
                1024 => 1024,
                _ => 2048,
            };
            Pages::in_page(ctrl, offset, size).map_err(|e| format!("{e}"))
        }
        Place::Granted { first, pages } => {
            if first + pages > RING_PAGES {
                return Err(format!(
                    "{} ring pages, we have {RING_PAGES}",
                    first + pages
                ));
            }
            let va = slot(page_addr!(RINGS), first);
            let p = core::ptr::NonNull::new(va as *mut u8).ok_or("null ring page")?;
            // SAFETY: `pages` of our static, contiguous ring pages from
            // `first` on, used by this session only and only through
            // shared-memory handles (the peer writes them too).
            unsafe { SharedMem::new(p, pages * 4096) }.map_err(|e| format!("{e:?}"))
        }
    }
}

/// Serves a vchan for dom0 under `path` with rings of at least `read_min`
/// and `write_min` bytes, waits (bounded) for the client, runs `body`,
/// closes and takes everything back.
pub(crate) fn serve<H: Hypercall, S: Store, T>(
    cx: &mut Ctx<'_, H, S>,
    path: &str,
    read_min: usize,
    write_min: usize,
    body: impl FnOnce(&H, &mut dyn Vchan) -> Result<T, String>,
) -> Result<T, String> {
    serve_inner(cx, path, read_min, write_min, None, body)
}

/// [`serve`], and tells dom0 the stream server's `generation` is up (in
/// [`STREAM_GEN`]) once it is published.
pub(crate) fn serve_generation<H: Hypercall, S: Store, T>(
    cx: &mut Ctx<'_, H, S>,
    path: &str,
    generation: u32,
    read_min: usize,
    write_min: usize,
    body: impl FnOnce(&H, &mut dyn Vchan) -> Result<T, String>,
) -> Result<T, String> {
    serve_inner(cx, path, read_min, write_min, Some(generation), body)
}

fn serve_inner<H: Hypercall, S: Store, T>(
    cx: &mut Ctx<'_, H, S>,
    path: &str,
    read_min: usize,
    write_min: usize,
    generation: Option<u32>,
    body: impl FnOnce(&H, &mut dyn Vchan) -> Result<T, String>,
) -> Result<T, String> {
    let hc = cx.hc;
    let orders = Orders::for_sizes(read_min, write_min).map_err(|e| format!("{e}"))?;
    let ctrl = page_mem(page_addr!(CTRL));
    // Grant the ring pages, then the control page.
    let mut grants: Vec<Grant> = Vec::new();
    let mut refs: Vec<GrantRef> = Vec::new();
    let result = (|| -> Result<T, String> {
        for i in 0..orders.grant_count() {
            if i >= RING_PAGES {
                return Err(format!(
                    "{} ring pages, we have {RING_PAGES}",
                    orders.grant_count()
                ));
            }
            let page = page_mem(slot(page_addr!(RINGS), i));
            let g = cx
                .grants
                .table
                .grant_access(DomId::DOM0, page, Access::ReadWrite)
                .map_err(|e| format!("grant a ring page: {e:?}"))?;
            refs.push(g.gref());
            grants.push(g);
        }
        let ep = Endpoint::server(ctrl, orders, &refs).map_err(|e| format!("{e}"))?;
        let g = cx
            .grants
            .table
            .grant_access(DomId::DOM0, ctrl, Access::ReadWrite)
            .map_err(|e| format!("grant the control page: {e:?}"))?;
        let ctrl_ref = g.gref();
        grants.push(g);
        let ev = EventChannel::new(hc);
        let port = ev
            .alloc_unbound(DomId::DOM0)
            .map_err(|e| format!("alloc_unbound(dom0): {e:?}"))?;
        let r = (|| -> Result<T, String> {
            cx.xs
                .write(
                    &format!("{path}/ring-ref"),
                    format!("{}", ctrl_ref.get()).as_bytes(),
                )
                .map_err(|e| format!("write {path}/ring-ref: {e:?}"))?;
            cx.xs
                .write(
                    &format!("{path}/event-channel"),
                    format!("{port}").as_bytes(),
                )
                .map_err(|e| format!("write {path}/event-channel: {e:?}"))?;
            if let Some(g) = generation {
                cx.xs
                    .write(STREAM_GEN, format!("{g}").as_bytes())
                    .map_err(|e| format!("write {STREAM_GEN}: {e:?}"))?;
            }
            let pages = Pages {
                ctrl,
                rx: ring(ctrl, orders.left_place())?.read_only(),
                tx: ring(ctrl, orders.right_place())?,
            };
            let start = crate::vchan_domu::now(hc)?;
            loop {
                match ep.peer_state(ctrl).map_err(|e| format!("{e}"))? {
                    PeerState::Connected => break,
                    PeerState::Gone => return Err("the client left before connecting".into()),
                    PeerState::Waiting => {}
                }
                if crate::vchan_domu::now(hc)?.saturating_sub(start) > CONNECT_NS {
                    return Err(format!("no client on {path} within 60 s"));
                }
                cx.events.wait(port)?;
            }
            let mut s = Session {
                hc,
                events: &mut cx.events,
                ep,
                pages,
                port,
            };
            let out = body(hc, &mut s);
            // Close: our live byte down, an event to the client.
            let n = s.ep.close(ctrl).map_err(|e| format!("close: {e}"));
            if let Ok(n) = n {
                let _ = s.notify(n.needed());
            }
            out
        })();
        let _ = cx.xs.rm(path);
        let _ = ev.close(port);
        r
    })();
    // Take the pages back: dom0 unmaps them when its client goes.
    for g in grants {
        let mut g = g;
        let mut ended = false;
        for _ in 0..100_000 {
            match cx.grants.table.end_access(g) {
                Ok(()) => {
                    ended = true;
                    break;
                }
                Err(busy) => {
                    g = busy.grant;
                    let _ = sched::yield_now(hc);
                }
            }
        }
        if !ended {
            return Err(format!("dom0 kept a page of {path} mapped"));
        }
    }
    result
}

/// Connects to dom0's vchan under `path` (rings inside its page), runs
/// `body`, closes and unmaps.
pub(crate) fn connect<H: Hypercall, S: Store, T>(
    cx: &mut Ctx<'_, H, S>,
    path: &str,
    body: impl FnOnce(&H, &mut dyn Vchan) -> Result<T, String>,
) -> Result<T, String> {
    let hc = cx.hc;
    let read_num = |node: &str| -> Result<u32, String> {
        let v = cx
            .xs
            .read(&format!("{path}/{node}"))
            .map_err(|e| format!("read {path}/{node}: {e:?}"))?;
        xen_vchan::xs::parse_number(node, &v).map_err(|e| format!("{e}"))
    };
    let gref = GrantRef::new(read_num("ring-ref")?).map_err(|e| format!("ring-ref: {e:?}"))?;
    let remote =
        EvtchnPort::new(read_num("event-channel")?).map_err(|e| format!("event-channel: {e:?}"))?;
    let mapping = cx
        .grants
        .foreign
        .map_read_write(DomId::DOM0, gref)
        .map_err(|e| format!("map dom0's ref {gref}: {e:?}"))?;
    let ctrl = mapping.mem();
    let ep = Endpoint::client(ctrl).map_err(|e| format!("{e}"))?;
    let orders = ep.orders();
    let (Place::InPage(l), Place::InPage(r)) = (orders.left_place(), orders.right_place()) else {
        return Err(format!(
            "{orders:?}: only rings inside the page are mapped here"
        ));
    };
    let pages = Pages {
        ctrl,
        rx: Pages::in_page(ctrl, r, orders.right_size())
            .map_err(|e| format!("{e}"))?
            .read_only(),
        tx: Pages::in_page(ctrl, l, orders.left_size()).map_err(|e| format!("{e}"))?,
    };
    let ev = EventChannel::new(hc);
    let port = ev
        .bind_interdomain(DomId::DOM0, remote)
        .map_err(|e| format!("bind dom0's port {remote}: {e:?}"))?;
    let out = {
        let n = ep.connect(ctrl).map_err(|e| format!("{e}"))?;
        let mut s = Session {
            hc,
            events: &mut cx.events,
            ep,
            pages,
            port,
        };
        s.notify(n.needed())?;
        let out = body(hc, &mut s);
        if let Ok(n) = s.ep.close(ctrl) {
            let _ = s.notify(n.needed());
        }
        out
    };
    let _ = ev.close(port);
    mapping
        .unmap()
        .map_err(|e| format!("unmap dom0's ref {gref}: {e:?}"))?;
    out
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The FIFO ABI: a control block per vCPU (a READY bit and a head port per
//! priority queue) and an event array of 32-bit words, one per port
//! (PENDING, MASKED, LINKED, BUSY and the link to the next port).
//!
//! Xen appends a pending, unmasked, unlinked port to the tail of its
//! queue (setting LINKED, and the tail's link or the queue's head and READY
//! bit). The guest takes READY, walks each queue from its head, highest
//! priority first, clearing LINKED and the link of each word it leaves with
//! one compare-exchange (so Xen either linked onto it before, and the link
//! is seen, or sees it unlinked and starts a new head), then clears PENDING
//! and hands the port out unless it is masked.

use core::fmt;
use core::mem::offset_of;

use xen_abi::event_channel::{fifo, EventWord, EvtchnPort, FifoControlBlock};
use xen_abi::io::shm::{Ordering, SharedMem};
use xen_abi::xen::VcpuId;

use super::Demux;
use crate::{Error, Result};

const ORD: Ordering = Ordering::SeqCst;
const PAGE: usize = 4096;
/// Event words in one event-array page.
pub const WORDS_PER_PAGE: u32 = (PAGE / 4) as u32;
/// Event-array pages that cover every FIFO port.
pub const MAX_ARRAY_PAGES: usize = (fifo::NR_CHANNELS / WORDS_PER_PAGE) as usize;
const QUEUES: u32 = fifo::MAX_QUEUES as u32;

/// What the FIFO ABI needs from the platform: pages of the guest's memory,
/// handed to Xen for good (until `EVTCHNOP_reset`).
///
/// Handing memory to Xen is the one step this crate cannot vouch for, so
/// the platform takes it: it owns the memory, knows its frame numbers, and
/// makes the (`unsafe`) hypercall that gives the page away.
pub trait FifoPages {
    /// Takes a zeroed page that nothing else uses, registers it as `vcpu`'s
    /// control block at offset 0
    /// ([`xen_hypercall::event_channel::init_control`]), and returns it.
    ///
    /// # Errors
    /// Whatever the platform or Xen refused ([`Error::Xen`]).
    #[doc(alias = "EVTCHNOP_init_control")]
    fn init_control(&mut self, vcpu: VcpuId) -> Result<SharedMem<'static>>;

    /// Takes a zeroed page that nothing else uses, adds it to the event
    /// array ([`xen_hypercall::event_channel::expand_array`]), and returns
    /// it.
    ///
    /// # Errors
    /// Whatever the platform or Xen refused ([`Error::Xen`]).
    #[doc(alias = "EVTCHNOP_expand_array")]
    fn expand_array(&mut self) -> Result<SharedMem<'static>>;
}

/// What one step of a queue walk gave.
enum Step {
    /// A port to hand out.
    Take(EvtchnPort),
    /// A word with nothing to hand out (masked, not pending, end of queue).
    Skip,
    /// The head was handed out already in this call.
    Stop,
}

/// The FIFO demultiplexer of one vCPU.
///
/// Priority: queue 0 first; within a queue, the order Xen linked the ports.
/// Fairness: a port taken off its queue is re-appended at the tail when it
/// is signalled again, so a flooding port gets one turn per pass of its
/// queue; one that comes round again while a call runs waits for the next
/// call (each port once per call). Bounded work: a call walks at most `2 × out.len() + 16` words,
/// whatever the links say (a link out of the array ends its queue, and is
/// counted in [`bad_links`](Self::bad_links)).
pub struct Fifo<P: FifoPages> {
    pages: P,
    control: SharedMem<'static>,
    array: [Option<SharedMem<'static>>; MAX_ARRAY_PAGES],
    npages: usize,
    /// Queues with work, taken from the control block's READY.
    ready: u32,
    /// Where each queue's walk continues (0: read the control block's head).
    head: [u32; fifo::MAX_QUEUES],
    bad_links: u64,
}

impl<P: FifoPages> fmt::Debug for Fifo<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fifo")
            .field("array_pages", &self.npages)
            .field("ready", &self.ready)
            .field("head", &self.head)
            .field("bad_links", &self.bad_links)
            .finish_non_exhaustive()
    }
}

impl<P: FifoPages> Fifo<P> {
    /// Switches the domain to the FIFO ABI (on its first vCPU) with `vcpu`'s
    /// control block and one event-array page (ports `0..1024`) from
    /// `pages`.
    ///
    /// # Errors
    /// [`Error::Xen`] from the platform's hypercalls (`ENOSYS`: Xen without
    /// FIFO, `EEXIST`: `vcpu` registered already); [`Error::SharedMem`] for
    /// a page smaller than 4 KiB.
    pub fn new(mut pages: P, vcpu: VcpuId) -> Result<Self> {
        let control = pages.init_control(vcpu)?.sub(0, PAGE)?;
        let mut f = Self {
            pages,
            control,
            array: [None; MAX_ARRAY_PAGES],
            npages: 0,
            ready: 0,
            head: [0; fifo::MAX_QUEUES],
            bad_links: 0,
        };
        f.grow()?;
        Ok(f)
    }

    fn grow(&mut self) -> Result<()> {
        let slot = self.array.get_mut(self.npages).ok_or(Error::ArrayFull)?;
        let page = self.pages.expand_array()?.sub(0, PAGE)?;
        *slot = Some(page);
        self.npages += 1;
        Ok(())
    }

    /// Grows the event array until it covers `port` (call it after binding
    /// a port at or beyond [`port_limit`](Demux::port_limit): Xen drops
    /// events of ports without an event word).
    ///
    /// # Errors
    /// [`Error::PortOutOfRange`] beyond the FIFO ABI's 2^17 ports;
    /// [`Error::Xen`] when the platform or Xen refuses a page.
    #[doc(alias = "EVTCHNOP_expand_array")]
    pub fn cover(&mut self, port: EvtchnPort) -> Result<()> {
        let p = port.get();
        if p >= fifo::NR_CHANNELS {
            return Err(Error::PortOutOfRange {
                port: p,
                limit: fifo::NR_CHANNELS,
            });
        }
        while p >= self.port_limit() {
            self.grow()?;
        }
        Ok(())
    }

    /// Links seen pointing outside the event array (hostile or corrupt
    /// memory); each ended its queue.
    pub fn bad_links(&self) -> u64 {
        self.bad_links
    }

    /// The platform's pages.
    pub fn pages(&self) -> &P {
        &self.pages
    }

    /// `port`'s page and the byte offset of its word there.
    fn word(&self, port: u32) -> Result<(SharedMem<'static>, usize)> {
        let page = (port / WORDS_PER_PAGE) as usize;
        match self.array.get(page).copied().flatten() {
            Some(mem) if page < self.npages => Ok((mem, (port % WORDS_PER_PAGE) as usize * 4)),
            _ => Err(Error::PortOutOfRange {
                port,
                limit: self.port_limit(),
            }),
        }
    }

    fn load(&self, port: EvtchnPort) -> Result<EventWord> {
        let (mem, off) = self.word(port.get())?;
        Ok(EventWord::from_bits_retain(mem.load_u32(off, ORD)?))
    }

    /// Clears LINKED and the link of `port`'s word in one step; returns the
    /// word as it was. Bounded: gives up (returning the last value seen)
    /// after 64 lost races, leaving the word as the peer made it.
    fn unlink(&self, mem: SharedMem<'static>, off: usize) -> Result<EventWord> {
        let mut w = mem.load_u32(off, ORD)?;
        for _ in 0..64 {
            let new = w & !(EventWord::LINKED.bits() | fifo::LINK_MASK);
            match mem.compare_exchange_u32(off, w, new, ORD, ORD)? {
                Ok(_) => break,
                Err(now) => w = now,
            }
        }
        Ok(EventWord::from_bits_retain(w))
    }

    /// Takes the next word of queue `q`; returns the port if it is to be
    /// handed out, or [`Step::Stop`] when the queue's head was handed out
    /// already in this call (`taken`): it was signalled again meanwhile,
    /// and waits for the next call.
    fn step(&mut self, q: u32, taken: &[EvtchnPort]) -> Result<Step> {
        let qi = q as usize;
        let mut port = self.head[qi];
        if port == 0 {
            let off = offset_of!(FifoControlBlock, head) + qi * 4;
            port = self.control.load_u32(off, ORD)? & fifo::LINK_MASK;
        }
        if port == 0 {
            self.ready &= !(1 << q);
            return Ok(Step::Skip);
        }
        let Ok((mem, off)) = self.word(port) else {
            self.bad_links += 1;
            self.head[qi] = 0;
            self.ready &= !(1 << q);
            return Ok(Step::Skip);
        };
        if taken.contains(&EvtchnPort::new_unchecked(port)) {
            self.head[qi] = port;
            return Ok(Step::Stop);
        }
        let w = self.unlink(mem, off)?;
        let next = w.link().get();
        self.head[qi] = next;
        if next == 0 {
            self.ready &= !(1 << q);
        }
        if w.contains(EventWord::MASKED) || !w.contains(EventWord::PENDING) {
            return Ok(Step::Skip);
        }
        let old = mem.fetch_and_u32(off, !EventWord::PENDING.bits(), ORD)?;
        Ok(if old & EventWord::PENDING.bits() != 0 {
            Step::Take(EvtchnPort::new_unchecked(port))
        } else {
            Step::Skip
        })
    }
}

impl<P: FifoPages> Demux for Fifo<P> {
    fn take_pending(&mut self, out: &mut [EvtchnPort]) -> Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let ready_off = offset_of!(FifoControlBlock, ready);
        self.ready |= self.control.fetch_and_u32(ready_off, 0, ORD)? & ((1 << QUEUES) - 1);
        let mut n = 0;
        let budget = out.len().saturating_mul(2).saturating_add(16);
        for _ in 0..budget {
            if n == out.len() || self.ready == 0 {
                break;
            }
            let q = self.ready.trailing_zeros();
            match self.step(q, &out[..n])? {
                Step::Take(port) => {
                    out[n] = port;
                    n += 1;
                }
                Step::Skip => {}
                Step::Stop => break,
            }
        }
        Ok(n)
    }

    fn mask(&self, port: EvtchnPort) -> Result<()> {
        let (mem, off) = self.word(port.get())?;
        mem.fetch_or_u32(off, EventWord::MASKED.bits(), ORD)?;
        Ok(())
    }

    fn is_masked(&self, port: EvtchnPort) -> Result<bool> {
        Ok(self.load(port)?.contains(EventWord::MASKED))
    }

    fn is_pending(&self, port: EvtchnPort) -> Result<bool> {
        Ok(self.load(port)?.contains(EventWord::PENDING))
    }

    fn clear_pending(&self, port: EvtchnPort) -> Result<()> {
        let (mem, off) = self.word(port.get())?;
        mem.fetch_and_u32(off, !EventWord::PENDING.bits(), ORD)?;
        Ok(())
    }

    fn port_limit(&self) -> u32 {
        self.npages as u32 * WORDS_PER_PAGE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn page() -> SharedMem<'static> {
        super::super::leaked(PAGE)
    }

    /// Pages from the heap; keeps handles for the test to play Xen.
    #[derive(Default)]
    struct Heap {
        control: Option<SharedMem<'static>>,
        array: Vec<SharedMem<'static>>,
        limit: usize,
    }

    impl FifoPages for Heap {
        fn init_control(&mut self, _: VcpuId) -> Result<SharedMem<'static>> {
            let p = page();
            self.control = Some(p);
            Ok(p)
        }
        fn expand_array(&mut self) -> Result<SharedMem<'static>> {
            if self.limit != 0 && self.array.len() == self.limit {
                return Err(Error::Xen(xen_abi::Errno::ENOMEM));
            }
            let p = page();
            self.array.push(p);
            Ok(p)
        }
    }

    /// Plays Xen's side of the queues.
    struct Xen {
        control: SharedMem<'static>,
        array: Vec<SharedMem<'static>>,
        tail: [u32; 16],
    }

    impl Xen {
        fn of(f: &Fifo<Heap>) -> Self {
            let h = f.pages();
            Self {
                control: h.control.unwrap(),
                array: h.array.clone(),
                tail: [0; 16],
            }
        }
        fn at(&self, port: u32) -> (SharedMem<'static>, usize) {
            (
                self.array[(port / WORDS_PER_PAGE) as usize],
                (port % WORDS_PER_PAGE) as usize * 4,
            )
        }
        fn word(&self, port: u32) -> u32 {
            let (m, o) = self.at(port);
            m.load_u32(o, ORD).unwrap()
        }
        /// evtchn_fifo_set_pending on queue `q`.
        fn raise(&mut self, port: u32, q: usize) {
            let (m, o) = self.at(port);
            let w = m.fetch_or_u32(o, EventWord::PENDING.bits(), ORD).unwrap();
            let w = EventWord::from_bits_retain(w);
            if w.intersects(EventWord::MASKED | EventWord::LINKED) {
                return;
            }
            m.fetch_or_u32(o, EventWord::LINKED.bits(), ORD).unwrap();
            let tail = self.tail[q];
            self.tail[q] = port;
            if tail != 0 && tail != port {
                let (tm, to) = self.at(tail);
                let tw = tm.load_u32(to, ORD).unwrap();
                if tw & EventWord::LINKED.bits() != 0 {
                    let new = (tw & !fifo::LINK_MASK) | port;
                    if tm
                        .compare_exchange_u32(to, tw, new, ORD, ORD)
                        .unwrap()
                        .is_ok()
                    {
                        return;
                    }
                }
            }
            let head = offset_of!(FifoControlBlock, head) + q * 4;
            self.control.store_u32(head, port, ORD).unwrap();
            self.control.fetch_or_u32(0, 1 << q, ORD).unwrap();
        }
    }

    fn setup() -> (Fifo<Heap>, Xen) {
        let f = Fifo::new(Heap::default(), VcpuId::BOOT).unwrap();
        let x = Xen::of(&f);
        (f, x)
    }

    fn take(f: &mut Fifo<Heap>, max: usize) -> Vec<u32> {
        let mut out = [EvtchnPort::ZERO; 64];
        let n = f.take_pending(&mut out[..max]).unwrap();
        out[..n].iter().map(|p| p.get()).collect()
    }

    #[test]
    fn priority_order_then_link_order() {
        let (mut f, mut x) = setup();
        x.raise(9, 7);
        x.raise(3, 12);
        x.raise(5, 7);
        x.raise(8, 1);
        assert_eq!(take(&mut f, 16), [8, 9, 5, 3]);
        assert!(take(&mut f, 16).is_empty());
        assert_eq!(
            x.word(9) & (EventWord::PENDING | EventWord::LINKED).bits(),
            0
        );
    }

    #[test]
    fn masked_ports_stay_pending() {
        let (mut f, mut x) = setup();
        let p = EvtchnPort::new_unchecked(4);
        f.mask(p).unwrap();
        x.raise(4, 7);
        x.raise(6, 7);
        assert_eq!(take(&mut f, 16), [6]);
        assert!(f.is_pending(p).unwrap() && f.is_masked(p).unwrap());
        // A port masked while linked is unlinked and left pending.
        x.raise(10, 7);
        f.mask(EvtchnPort::new_unchecked(10)).unwrap();
        assert!(take(&mut f, 16).is_empty());
        assert!(f.is_pending(EvtchnPort::new_unchecked(10)).unwrap());
    }

    #[test]
    fn a_flood_does_not_starve_its_queue() {
        let (mut f, mut x) = setup();
        x.raise(2, 7);
        x.raise(3, 7);
        let mut seen = Vec::new();
        for _ in 0..4 {
            x.raise(2, 7);
            seen.extend(take(&mut f, 1));
        }
        assert_eq!(seen, [2, 3, 2, 2]);
    }

    #[test]
    fn hostile_links_are_bounded() {
        let (mut f, x) = setup();
        // A link out of the array ends the queue.
        let (m, o) = x.at(1);
        let w = EventWord::PENDING | EventWord::LINKED;
        m.store_u32(o, w.bits() | 5000, ORD).unwrap();
        x.control
            .store_u32(offset_of!(FifoControlBlock, head), 1, ORD)
            .unwrap();
        x.control.store_u32(0, !0, ORD).unwrap();
        assert_eq!(take(&mut f, 16), [1]);
        assert_eq!(f.bad_links(), 1);
        // A cycle 1 -> 2 -> 1, re-armed behind our back: bounded per call.
        for (p, next) in [(1, 2), (2, 1)] {
            let (m, o) = x.at(p);
            m.store_u32(o, w.bits() | next, ORD).unwrap();
        }
        x.control
            .store_u32(offset_of!(FifoControlBlock, head) + 4, 1, ORD)
            .unwrap();
        x.control.store_u32(0, 1 << 1, ORD).unwrap();
        let got = take(&mut f, 4);
        assert_eq!(got, [1, 2]);
        // Port 1 came round again within the call: it waits for the next.
        assert_eq!(f.head[1], 1);
        let (m, o) = x.at(1);
        m.store_u32(o, w.bits(), ORD).unwrap();
        assert_eq!(take(&mut f, 4), [1]);
        // A head beyond the array, READY bits beyond the queues.
        x.control
            .store_u32(offset_of!(FifoControlBlock, head) + 8, 99_999, ORD)
            .unwrap();
        x.control.store_u32(0, !0, ORD).unwrap();
        assert!(take(&mut f, 16).is_empty());
        assert_eq!(f.bad_links(), 2);
    }

    #[test]
    fn cover_grows_the_array() {
        let (mut f, _) = setup();
        let p = EvtchnPort::new_unchecked(2500);
        assert!(matches!(
            f.mask(p),
            Err(Error::PortOutOfRange {
                port: 2500,
                limit: 1024
            })
        ));
        f.cover(p).unwrap();
        assert_eq!(f.port_limit(), 3072);
        f.mask(p).unwrap();
        assert!(f.is_masked(p).unwrap());
        assert!(matches!(
            f.cover(EvtchnPort::new_unchecked(1 << 17)),
            Err(Error::PortOutOfRange { .. })
        ));
        f.pages.limit = 3;
        assert!(matches!(
            f.cover(EvtchnPort::new_unchecked(5000)),
            Err(Error::Xen(_))
        ));
    }
}

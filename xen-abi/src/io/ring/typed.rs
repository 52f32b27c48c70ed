// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`FrontRing`] and [`BackRing`]: the two ends of a typed `io/ring.h`
//! request/response ring over a [`SharedMem`] region.

use core::fmt;
use core::marker::PhantomData;

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::{ring_size, Notify, RingIdx, SRING_HEADER_SIZE};
use crate::io::shm::{full_fence, Ordering, SharedMem, Slots};
use crate::{Error, Result};

// Byte offsets of the SringHeader fields.
const REQ_PROD: usize = 0;
const REQ_EVENT: usize = 4;
const RSP_PROD: usize = 8;
const RSP_EVENT: usize = 12;

/// The size of one slot of a ring of `Req`/`Rsp` (the C union
/// `name_sring_entry { Req req; Rsp rsp; }`): the larger of the two, rounded
/// up to the larger alignment.
pub const fn entry_size<Req, Rsp>() -> usize {
    let (sq, ss) = (core::mem::size_of::<Req>(), core::mem::size_of::<Rsp>());
    let (aq, as_) = (core::mem::align_of::<Req>(), core::mem::align_of::<Rsp>());
    let size = if sq > ss { sq } else { ss };
    let align = if aq > as_ { aq } else { as_ };
    size.div_ceil(align) * align
}

/// The peer published a producer index the ring cannot hold: more entries
/// than there are slots (or than were asked for), or an index that moved
/// backwards. C's `RING_REQUEST_PROD_OVERFLOW`/`RING_RESPONSE_PROD_OVERFLOW`.
///
/// The ring's own state is unchanged: nothing was consumed. A driver
/// normally treats this as a fatal protocol error of the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(alias = "RING_REQUEST_PROD_OVERFLOW")]
#[doc(alias = "RING_RESPONSE_PROD_OVERFLOW")]
pub struct ProdOverflow {
    /// The producer index the peer published.
    pub prod: RingIdx,
    /// Our consumer index.
    pub cons: RingIdx,
    /// The most entries that could legitimately be pending.
    pub limit: u32,
}

impl fmt::Display for ProdOverflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "peer producer index {} is beyond consumer index {} + {}",
            self.prod, self.cons, self.limit
        )
    }
}

impl core::error::Error for ProdOverflow {}

/// No slot to produce into: the frontend has [`FrontRing::size`] requests
/// outstanding (C `RING_FULL`), or the backend has answered every request
/// it consumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(alias = "RING_FULL")]
pub struct RingFull;

impl fmt::Display for RingFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no free ring slot")
    }
}

impl core::error::Error for RingFull {}

/// Geometry and the fenced accessors shared by both ends.
struct Geometry<'a> {
    mem: SharedMem<'a>,
    /// The slots after the header, bounds-checked once here: copying a
    /// slot in or out checks no offset at run time.
    slots: Slots<'a>,
    /// Number of slots, a power of two.
    size: u32,
    /// Slot size in bytes.
    entry: usize,
}

impl<'a> Geometry<'a> {
    fn new<Req, Rsp>(mem: SharedMem<'a>) -> Result<Self> {
        const { assert!(core::mem::align_of::<Req>() <= super::SHARED_MEM_ALIGN) };
        const { assert!(core::mem::align_of::<Rsp>() <= super::SHARED_MEM_ALIGN) };
        let entry = entry_size::<Req, Rsp>();
        let size = ring_size(mem.len(), entry);
        if size == 0 {
            return Err(Error::BadLength {
                expected: SRING_HEADER_SIZE + entry.max(1),
                actual: mem.len(),
            });
        }
        // `size` slots of `entry` bytes fit after the header (`ring_size`),
        // so every access at stride `entry` passes the slots' one check.
        let slots = Slots::new(mem, SRING_HEADER_SIZE, size)?;
        Ok(Self {
            mem,
            slots,
            size,
            entry,
        })
    }

    /// Copies the `T` at the start of slot `idx` out (slots of `entry`
    /// bytes: a constant where the caller knows `Req` and `Rsp`, so the
    /// slots' stride checks fold away).
    #[inline(always)]
    fn read<T: FromBytes + IntoBytes>(&self, idx: RingIdx, entry: usize) -> T {
        self.slots.read(idx, entry)
    }

    /// Copies `v` into the start of slot `idx` (slots of `entry` bytes).
    #[inline(always)]
    fn write<T: IntoBytes + Immutable>(&self, idx: RingIdx, entry: usize, v: &T) {
        self.slots.write(idx, entry, v);
    }

    /// Publishes `new` as the producer index at `prod` and decides whether
    /// the peer asked for an event (`RING_PUSH_*_AND_CHECK_NOTIFY`).
    #[inline(always)]
    fn publish(&self, prod: usize, event: usize, old: RingIdx, new: RingIdx) -> Notify {
        // wmb: the slots are visible before the index.
        self.mem.store32(prod, new, Ordering::Release);
        // mb: the peer sees the index before we read its event threshold.
        full_fence();
        let ev = self.mem.load32(event, Ordering::Relaxed);
        Notify::new(new.wrapping_sub(ev) < new.wrapping_sub(old))
    }

    /// Reads the peer's producer index at `prod` once (acquire: the slots
    /// are read after it) and validates it: `base <= cons <= prod` and
    /// `prod - base <= limit` in wrapping arithmetic. Returns `prod`.
    #[inline(always)]
    fn peer_prod(
        &self,
        prod: usize,
        base: RingIdx,
        cons: RingIdx,
        limit: u32,
    ) -> Result<RingIdx, ProdOverflow> {
        let p = self.mem.load32(prod, Ordering::Acquire);
        let avail = p.wrapping_sub(base);
        if avail > limit || avail < cons.wrapping_sub(base) {
            return Err(ProdOverflow {
                prod: p,
                cons,
                limit: limit.saturating_sub(cons.wrapping_sub(base)),
            });
        }
        Ok(p)
    }

    /// `RING_FINAL_CHECK_FOR_*`: if nothing is pending, asks the peer for an
    /// event at the next entry, then checks again.
    #[inline(always)]
    fn final_check(
        &self,
        event: usize,
        cons: RingIdx,
        pending: impl Fn() -> Result<u32, ProdOverflow>,
    ) -> Result<bool, ProdOverflow> {
        if pending()? > 0 {
            return Ok(true);
        }
        self.mem
            .store32(event, cons.wrapping_add(1), Ordering::Relaxed);
        // mb: the peer sees the new threshold before we re-read its index.
        full_fence();
        Ok(pending()? > 0)
    }
}

impl fmt::Debug for Geometry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Geometry")
            .field("mem", &self.mem)
            .field("slots", &self.slots)
            .field("size", &self.size)
            .field("entry", &self.entry)
            .finish()
    }
}

/// A batch of entries the peer published, copied out of the ring one by
/// one as the iterator advances; each `next` consumes one entry.
///
/// Dropping the batch early leaves the rest for the next call.
pub struct Batch<'r, 'a, T> {
    geo: &'r Geometry<'a>,
    cons: &'r mut RingIdx,
    end: RingIdx,
    _t: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Batch<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("cons", &*self.cons)
            .field("end", &self.end)
            .finish()
    }
}

impl<T: FromBytes + IntoBytes> Iterator for Batch<'_, '_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if *self.cons == self.end {
            return None;
        }
        let v = self.geo.read(*self.cons, self.geo.entry);
        *self.cons = self.cons.wrapping_add(1);
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.wrapping_sub(*self.cons) as usize;
        (n, Some(n))
    }
}

impl<T: FromBytes + IntoBytes> ExactSizeIterator for Batch<'_, '_, T> {}

/// The frontend of a shared ring: produces `Req`s, consumes `Rsp`s
/// (C `struct name_front_ring`).
///
/// The frontend initialises the shared page ([`FrontRing::init`]). Requests
/// are written with [`produce`](Self::produce) and made visible, with the
/// notify decision, by [`publish`](Self::publish). Responses are copied out
/// by [`responses`](Self::responses) or [`pop_response`](Self::pop_response);
/// before sleeping, call [`final_check_for_responses`](Self::final_check_for_responses).
///
/// ```
/// use xen_abi::io::ring::{BackRing, FrontRing, SharedMem};
/// # fn main() -> Result<(), Box<dyn core::error::Error>> {
/// let mut page = vec![0u64; 512]; // 4 KiB, 8-aligned
/// let ptr = core::ptr::NonNull::from(&mut page[..]).cast::<u8>();
/// // SAFETY: `page` outlives both handles and is only accessed through them.
/// let (a, b) = unsafe { (SharedMem::new(ptr, 4096)?, SharedMem::new(ptr, 4096)?) };
/// let mut front = FrontRing::<u64, u32>::init(a)?;
/// let mut back = BackRing::<u64, u32>::attach(b, 0)?;
/// front.produce(&7)?;
/// assert!(front.publish().needed()); // the backend asked for an event
/// let req = back.pop_request()?.unwrap();
/// back.produce(&(req as u32 * 2))?;
/// assert!(back.publish().needed());
/// assert_eq!(front.pop_response()?, Some(14));
/// # Ok(()) }
/// ```
#[doc(alias = "FRONT_RING_INIT")]
#[doc(alias = "front_ring")]
pub struct FrontRing<'a, Req, Rsp> {
    geo: Geometry<'a>,
    /// Requests produced (published or not): C `req_prod_pvt`.
    req_prod_pvt: RingIdx,
    /// Requests published: our copy of the shared `req_prod`.
    req_prod: RingIdx,
    /// Responses consumed: C `rsp_cons`.
    rsp_cons: RingIdx,
    /// The backend's `rsp_prod` as last read and validated.
    rsp_seen: RingIdx,
    _t: PhantomData<fn(Req) -> Rsp>,
}

impl<Req, Rsp> fmt::Debug for FrontRing<'_, Req, Rsp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrontRing")
            .field("geo", &self.geo)
            .field("req_prod_pvt", &self.req_prod_pvt)
            .field("req_prod", &self.req_prod)
            .field("rsp_cons", &self.rsp_cons)
            .field("rsp_seen", &self.rsp_seen)
            .finish()
    }
}

impl<'a, Req, Rsp> FrontRing<'a, Req, Rsp>
where
    Req: IntoBytes + Immutable,
    Rsp: FromBytes + IntoBytes,
{
    /// Initialises the shared header and attaches at index 0
    /// (C `XEN_FRONT_RING_INIT`: `SHARED_RING_INIT` then `FRONT_RING_INIT`).
    ///
    /// # Errors
    ///
    /// [`Error::BadLength`] if not even one slot fits in `mem`.
    #[doc(alias = "XEN_FRONT_RING_INIT")]
    #[doc(alias = "SHARED_RING_INIT")]
    pub fn init(mem: SharedMem<'a>) -> Result<Self> {
        Self::init_at(mem, 0)
    }

    /// Like [`init`](Self::init), but both producer indices start at
    /// `start` (and the event thresholds at `start + 1`): what a ring looks
    /// like after `start` request/response pairs.
    ///
    /// # Errors
    ///
    /// [`Error::BadLength`] if not even one slot fits in `mem`.
    pub fn init_at(mem: SharedMem<'a>, start: RingIdx) -> Result<Self> {
        let geo = Geometry::new::<Req, Rsp>(mem)?;
        // 4-byte stores throughout: the peer polls the 4-byte indices, and
        // each field is only ever accessed with one width.
        geo.mem.copy_in_words::<4>(0, &[0; SRING_HEADER_SIZE]);
        let m = &geo.mem;
        m.store32(REQ_PROD, start, Ordering::Relaxed);
        m.store32(RSP_PROD, start, Ordering::Relaxed);
        m.store32(REQ_EVENT, start.wrapping_add(1), Ordering::Relaxed);
        m.store32(RSP_EVENT, start.wrapping_add(1), Ordering::Relaxed);
        Ok(Self::with(geo, start))
    }

    /// Attaches to a ring whose header is already initialised, with both
    /// private indices at `idx` (C `FRONT_RING_ATTACH`). The shared page is
    /// not touched.
    ///
    /// # Errors
    ///
    /// [`Error::BadLength`] if not even one slot fits in `mem`.
    #[doc(alias = "FRONT_RING_ATTACH")]
    pub fn attach(mem: SharedMem<'a>, idx: RingIdx) -> Result<Self> {
        Ok(Self::with(Geometry::new::<Req, Rsp>(mem)?, idx))
    }

    fn with(geo: Geometry<'a>, idx: RingIdx) -> Self {
        Self {
            geo,
            req_prod_pvt: idx,
            req_prod: idx,
            rsp_cons: idx,
            rsp_seen: idx,
            _t: PhantomData,
        }
    }

    /// Number of slots (C `RING_SIZE`): a power of two.
    #[doc(alias = "RING_SIZE")]
    pub fn size(&self) -> u32 {
        self.geo.size
    }

    /// Slots free for new requests (C `RING_FREE_REQUESTS`).
    #[doc(alias = "RING_FREE_REQUESTS")]
    pub fn free_requests(&self) -> u32 {
        self.geo.size - self.req_prod_pvt.wrapping_sub(self.rsp_cons)
    }

    /// Whether every slot holds an outstanding request (C `RING_FULL`).
    pub fn is_full(&self) -> bool {
        self.free_requests() == 0
    }

    /// Requests produced but not yet answered (published or not).
    pub fn outstanding(&self) -> u32 {
        self.req_prod_pvt.wrapping_sub(self.rsp_cons)
    }

    /// The private producer index (C `req_prod_pvt`).
    pub fn req_prod_pvt(&self) -> RingIdx {
        self.req_prod_pvt
    }

    /// The consumer index of responses (C `rsp_cons`).
    pub fn rsp_cons(&self) -> RingIdx {
        self.rsp_cons
    }

    /// Writes `req` into the next free slot. The backend does not see it
    /// until [`publish`](Self::publish).
    ///
    /// # Errors
    ///
    /// [`RingFull`] when all slots hold outstanding requests.
    #[inline]
    pub fn produce(&mut self, req: &Req) -> Result<(), RingFull> {
        self.produce_head(req)
    }

    /// Like [`produce`](Self::produce), but writes only `head`, the leading
    /// `size_of::<H>()` bytes of the request (a prefix view of `Req`, such
    /// as a block request's fixed fields and the one segment it uses); the
    /// rest of the slot keeps the bytes it held, those of earlier requests
    /// and responses in that slot, so nothing else is exposed to the
    /// backend. A frontend that fills in
    /// only the part of a request it uses moves fewer cache lines, as a C
    /// driver does that sets a request's fields one by one in the slot.
    ///
    /// `H` must be no larger than `Req` and no more aligned (checked at
    /// compile time).
    ///
    /// # Errors
    ///
    /// [`RingFull`] when all slots hold outstanding requests.
    #[inline]
    pub fn produce_head<H: IntoBytes + Immutable>(&mut self, head: &H) -> Result<(), RingFull> {
        const {
            assert!(core::mem::size_of::<H>() <= core::mem::size_of::<Req>());
            assert!(core::mem::align_of::<H>() <= core::mem::align_of::<Req>());
        }
        if self.is_full() {
            return Err(RingFull);
        }
        self.geo
            .write(self.req_prod_pvt, entry_size::<Req, Rsp>(), head);
        self.req_prod_pvt = self.req_prod_pvt.wrapping_add(1);
        Ok(())
    }

    /// Publishes the produced requests and returns whether the backend must
    /// be notified (C `RING_PUSH_REQUESTS_AND_CHECK_NOTIFY`):
    /// [`Notify::needed`] when `req_event` lies in the newly published range.
    #[doc(alias = "RING_PUSH_REQUESTS_AND_CHECK_NOTIFY")]
    #[inline]
    pub fn publish(&mut self) -> Notify {
        let (old, new) = (self.req_prod, self.req_prod_pvt);
        self.req_prod = new;
        self.geo.publish(REQ_PROD, REQ_EVENT, old, new)
    }

    /// [`produce`](Self::produce) then [`publish`](Self::publish).
    ///
    /// # Errors
    ///
    /// [`RingFull`] when all slots hold outstanding requests (nothing is
    /// published then).
    #[inline]
    pub fn push(&mut self, req: &Req) -> Result<Notify, RingFull> {
        self.produce(req)?;
        Ok(self.publish())
    }

    #[inline(always)]
    fn rsp_prod(&self) -> Result<RingIdx, ProdOverflow> {
        // Responses answer requests the backend could see: at most the
        // ones published (not the private count, which includes requests
        // produced but not yet published).
        let limit = self.req_prod.wrapping_sub(self.rsp_cons);
        let base = self.rsp_cons;
        self.geo.peer_prod(RSP_PROD, base, self.rsp_cons, limit)
    }

    /// Number of responses published and not yet consumed (reads the
    /// backend's index once; C `RING_HAS_UNCONSUMED_RESPONSES`).
    ///
    /// # Errors
    ///
    /// [`ProdOverflow`] if the backend's `rsp_prod` claims more responses
    /// than published requests are outstanding.
    #[doc(alias = "RING_HAS_UNCONSUMED_RESPONSES")]
    pub fn unconsumed_responses(&self) -> Result<u32, ProdOverflow> {
        Ok(self.rsp_prod()?.wrapping_sub(self.rsp_cons))
    }

    /// The responses published so far: reads `rsp_prod` once, validates
    /// it, and returns an iterator that copies each response out of its
    /// slot and consumes it.
    ///
    /// # Errors
    ///
    /// [`ProdOverflow`] if `rsp_prod` claims more responses than published
    /// requests are outstanding, or moved backwards.
    #[inline]
    pub fn responses(&mut self) -> Result<Batch<'_, 'a, Rsp>, ProdOverflow> {
        let end = self.rsp_prod()?;
        self.rsp_seen = end;
        Ok(Batch {
            geo: &self.geo,
            cons: &mut self.rsp_cons,
            end,
            _t: PhantomData,
        })
    }

    /// Reads the backend's `rsp_prod` once and validates it; returns how
    /// many responses [`take_response`](Self::take_response) can now copy
    /// out without reading the index again (C: `rp = rsp_prod; rmb();`).
    ///
    /// # Errors
    ///
    /// As [`responses`](Self::responses).
    #[inline]
    pub fn fetch_responses(&mut self) -> Result<u32, ProdOverflow> {
        self.rsp_seen = self.rsp_prod()?;
        Ok(self.rsp_seen.wrapping_sub(self.rsp_cons))
    }

    /// Copies out and consumes the next response among those seen by the
    /// last [`fetch_responses`](Self::fetch_responses) (or
    /// [`responses`](Self::responses), [`pop_response`](Self::pop_response));
    /// never touches the shared indices.
    #[inline]
    pub fn take_response(&mut self) -> Option<Rsp> {
        if self.rsp_cons == self.rsp_seen {
            return None;
        }
        let v = self.geo.read(self.rsp_cons, entry_size::<Req, Rsp>());
        self.rsp_cons = self.rsp_cons.wrapping_add(1);
        Some(v)
    }

    /// Copies out and consumes the next response, if one is published:
    /// [`take_response`](Self::take_response), and when the responses seen
    /// are used up, [`fetch_responses`](Self::fetch_responses) first.
    ///
    /// # Errors
    ///
    /// As [`responses`](Self::responses).
    #[inline]
    pub fn pop_response(&mut self) -> Result<Option<Rsp>, ProdOverflow> {
        if self.rsp_cons == self.rsp_seen {
            self.fetch_responses()?;
        }
        Ok(self.take_response())
    }

    /// Call before sleeping: returns whether responses are pending; if none
    /// are, first asks the backend for an event at the next response
    /// (`rsp_event = rsp_cons + 1`, a full barrier) and checks again
    /// (C `RING_FINAL_CHECK_FOR_RESPONSES`). Sleep only when this is false.
    ///
    /// # Errors
    ///
    /// As [`responses`](Self::responses).
    #[doc(alias = "RING_FINAL_CHECK_FOR_RESPONSES")]
    pub fn final_check_for_responses(&mut self) -> Result<bool, ProdOverflow> {
        self.geo
            .final_check(RSP_EVENT, self.rsp_cons, || self.unconsumed_responses())
    }
}

/// The backend of a shared ring: consumes `Req`s, produces `Rsp`s
/// (C `struct name_back_ring`).
///
/// Requests are copied out by [`requests`](Self::requests) or
/// [`pop_request`](Self::pop_request); each consumed request is answered by
/// [`produce`](Self::produce), made visible with the notify decision by
/// [`publish`](Self::publish). Before sleeping, call
/// [`final_check_for_requests`](Self::final_check_for_requests).
#[doc(alias = "BACK_RING_INIT")]
#[doc(alias = "back_ring")]
pub struct BackRing<'a, Req, Rsp> {
    geo: Geometry<'a>,
    /// Responses produced (published or not): C `rsp_prod_pvt`.
    rsp_prod_pvt: RingIdx,
    /// Responses published: our copy of the shared `rsp_prod`.
    rsp_prod: RingIdx,
    /// Requests consumed: C `req_cons`.
    req_cons: RingIdx,
    /// The frontend's `req_prod` as last read and validated.
    req_seen: RingIdx,
    _t: PhantomData<fn(Req) -> Rsp>,
}

impl<Req, Rsp> fmt::Debug for BackRing<'_, Req, Rsp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackRing")
            .field("geo", &self.geo)
            .field("rsp_prod_pvt", &self.rsp_prod_pvt)
            .field("rsp_prod", &self.rsp_prod)
            .field("req_cons", &self.req_cons)
            .field("req_seen", &self.req_seen)
            .finish()
    }
}

impl<'a, Req, Rsp> BackRing<'a, Req, Rsp>
where
    Req: FromBytes + IntoBytes,
    Rsp: IntoBytes + Immutable,
{
    /// Attaches to a ring the frontend initialised, with both private
    /// indices at `idx` (C `BACK_RING_ATTACH`; `BACK_RING_INIT` is
    /// `idx = 0`). The shared page is not touched.
    ///
    /// # Errors
    ///
    /// [`Error::BadLength`] if not even one slot fits in `mem`.
    #[doc(alias = "BACK_RING_ATTACH")]
    pub fn attach(mem: SharedMem<'a>, idx: RingIdx) -> Result<Self> {
        Ok(Self {
            geo: Geometry::new::<Req, Rsp>(mem)?,
            rsp_prod_pvt: idx,
            rsp_prod: idx,
            req_cons: idx,
            req_seen: idx,
            _t: PhantomData,
        })
    }

    /// Number of slots (C `RING_SIZE`): a power of two.
    pub fn size(&self) -> u32 {
        self.geo.size
    }

    /// The consumer index of requests (C `req_cons`).
    pub fn req_cons(&self) -> RingIdx {
        self.req_cons
    }

    /// The private producer index of responses (C `rsp_prod_pvt`).
    pub fn rsp_prod_pvt(&self) -> RingIdx {
        self.rsp_prod_pvt
    }

    /// Requests consumed and not yet answered.
    pub fn unanswered(&self) -> u32 {
        self.req_cons.wrapping_sub(self.rsp_prod_pvt)
    }

    #[inline(always)]
    fn req_prod(&self) -> Result<RingIdx, ProdOverflow> {
        // C RING_REQUEST_PROD_OVERFLOW: at most `size` requests beyond the
        // responses we produced.
        self.geo
            .peer_prod(REQ_PROD, self.rsp_prod_pvt, self.req_cons, self.geo.size)
    }

    /// Number of requests published and not yet consumed (reads the
    /// frontend's index once; C `RING_HAS_UNCONSUMED_REQUESTS`).
    ///
    /// # Errors
    ///
    /// [`ProdOverflow`] if `req_prod` claims more requests than the ring
    /// holds (C `RING_REQUEST_PROD_OVERFLOW`), or moved backwards.
    #[doc(alias = "RING_HAS_UNCONSUMED_REQUESTS")]
    pub fn unconsumed_requests(&self) -> Result<u32, ProdOverflow> {
        Ok(self.req_prod()?.wrapping_sub(self.req_cons))
    }

    /// The requests published so far: reads `req_prod` once, validates it,
    /// and returns an iterator that copies each request out of its slot
    /// (C `RING_COPY_REQUEST`) and consumes it.
    ///
    /// # Errors
    ///
    /// [`ProdOverflow`] as for [`unconsumed_requests`](Self::unconsumed_requests).
    #[inline]
    pub fn requests(&mut self) -> Result<Batch<'_, 'a, Req>, ProdOverflow> {
        let end = self.req_prod()?;
        self.req_seen = end;
        Ok(Batch {
            geo: &self.geo,
            cons: &mut self.req_cons,
            end,
            _t: PhantomData,
        })
    }

    /// Reads the frontend's `req_prod` once and validates it; returns how
    /// many requests [`take_request`](Self::take_request) can now copy out
    /// without reading the index again (C: `rp = req_prod; rmb();` and the
    /// `RING_REQUEST_PROD_OVERFLOW` check).
    ///
    /// # Errors
    ///
    /// As [`requests`](Self::requests).
    #[inline]
    pub fn fetch_requests(&mut self) -> Result<u32, ProdOverflow> {
        self.req_seen = self.req_prod()?;
        Ok(self.req_seen.wrapping_sub(self.req_cons))
    }

    /// Copies out (C `RING_COPY_REQUEST`) and consumes the next request
    /// among those seen by the last [`fetch_requests`](Self::fetch_requests)
    /// (or [`requests`](Self::requests), [`pop_request`](Self::pop_request));
    /// never touches the shared indices. Answer it with
    /// [`produce`](Self::produce).
    #[doc(alias = "RING_COPY_REQUEST")]
    #[inline]
    pub fn take_request(&mut self) -> Option<Req> {
        self.take_request_head::<Req>()
    }

    /// Like [`take_request`](Self::take_request), but copies out only the
    /// leading `size_of::<H>()` bytes of the slot, as an `H` (a prefix view
    /// of `Req`, such as a request's fixed header). A back end that only
    /// looks at the header moves fewer cache lines; what it copied is still
    /// a snapshot the frontend cannot change under it.
    ///
    /// `H` must be no larger than `Req` and no more aligned (checked at
    /// compile time).
    #[inline]
    pub fn take_request_head<H: FromBytes + IntoBytes>(&mut self) -> Option<H> {
        const {
            assert!(core::mem::size_of::<H>() <= core::mem::size_of::<Req>());
            assert!(core::mem::align_of::<H>() <= core::mem::align_of::<Req>());
        }
        if self.req_cons == self.req_seen {
            return None;
        }
        let v = self.geo.read(self.req_cons, entry_size::<Req, Rsp>());
        self.req_cons = self.req_cons.wrapping_add(1);
        Some(v)
    }

    /// Copies out and consumes the next request, if one is published:
    /// [`take_request`](Self::take_request), and when the requests seen are
    /// used up, [`fetch_requests`](Self::fetch_requests) first.
    ///
    /// # Errors
    ///
    /// As [`requests`](Self::requests).
    #[inline]
    pub fn pop_request(&mut self) -> Result<Option<Req>, ProdOverflow> {
        if self.req_cons == self.req_seen {
            self.fetch_requests()?;
        }
        Ok(self.take_request())
    }

    /// Writes the response to the oldest unanswered request into its slot.
    /// The frontend does not see it until [`publish`](Self::publish).
    ///
    /// # Errors
    ///
    /// [`RingFull`] when every consumed request is already answered.
    #[inline]
    pub fn produce(&mut self, rsp: &Rsp) -> Result<(), RingFull> {
        if self.unanswered() == 0 {
            return Err(RingFull);
        }
        self.geo
            .write(self.rsp_prod_pvt, entry_size::<Req, Rsp>(), rsp);
        self.rsp_prod_pvt = self.rsp_prod_pvt.wrapping_add(1);
        Ok(())
    }

    /// Publishes the produced responses and returns whether the frontend
    /// must be notified (C `RING_PUSH_RESPONSES_AND_CHECK_NOTIFY`).
    #[doc(alias = "RING_PUSH_RESPONSES_AND_CHECK_NOTIFY")]
    #[inline]
    pub fn publish(&mut self) -> Notify {
        let (old, new) = (self.rsp_prod, self.rsp_prod_pvt);
        self.rsp_prod = new;
        self.geo.publish(RSP_PROD, RSP_EVENT, old, new)
    }

    /// [`produce`](Self::produce) then [`publish`](Self::publish).
    ///
    /// # Errors
    ///
    /// [`RingFull`] when every consumed request is already answered.
    #[inline]
    pub fn push(&mut self, rsp: &Rsp) -> Result<Notify, RingFull> {
        self.produce(rsp)?;
        Ok(self.publish())
    }

    /// Call before sleeping: returns whether requests are pending; if none
    /// are, first asks the frontend for an event at the next request
    /// (`req_event = req_cons + 1`, a full barrier) and checks again
    /// (C `RING_FINAL_CHECK_FOR_REQUESTS`). Sleep only when this is false.
    ///
    /// # Errors
    ///
    /// As [`requests`](Self::requests).
    #[doc(alias = "RING_FINAL_CHECK_FOR_REQUESTS")]
    pub fn final_check_for_requests(&mut self) -> Result<bool, ProdOverflow> {
        self.geo
            .final_check(REQ_EVENT, self.req_cons, || self.unconsumed_requests())
    }
}

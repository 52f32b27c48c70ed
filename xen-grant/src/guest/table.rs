// SPDX-License-Identifier: MIT OR Apache-2.0
//! The grant-table manager: the table's version and frames, the free list of
//! references, granting pages and ending grants.

use core::fmt;

use xen_abi::grant_table::{GrantEntryFlags, GrantRef, NR_RESERVED_ENTRIES};
use xen_abi::io::shm::{Ordering, ReadOnly, SharedMem};
use xen_abi::xen::{DomId, Gfn};
use xen_abi::Errno;
use xen_hypercall::grant_table as gnttab;
use xen_hypercall::Hypercall;

use super::{check_page, FrameOf, PAGE};
use crate::{Error, Result};

/// References the manager can hand out at most (its free list is a bitmap
/// of this many bits, kept inline: no allocator needed).
pub const MAX_REFS: u32 = 8192;
/// Table frames the manager maps at most (v2: 256 entries a frame).
pub const MAX_FRAMES: usize = (MAX_REFS / V2_PER_FRAME) as usize;
/// Status frames the manager maps at most (v2: 2048 entries a frame).
pub const MAX_STATUS_FRAMES: usize = (MAX_REFS / STATUS_PER_FRAME) as usize;

const V1_PER_FRAME: u32 = (PAGE / 8) as u32;
const V2_PER_FRAME: u32 = (PAGE / 16) as u32;
const STATUS_PER_FRAME: u32 = (PAGE / 2) as u32;
const WORDS: usize = (MAX_REFS / 64) as usize;
const IN_USE: u16 = GrantEntryFlags::READING.bits() | GrantEntryFlags::WRITING.bits();
/// Lost compare-exchange races `end_access` tolerates before it reports the
/// grant as still in use (Xen only ever sets reading/writing bits, so a
/// race is lost at most a few times unless the peer hammers the grant).
const CAS_TRIES: u32 = 64;

/// The grant-table format (`GNTTABOP_set_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// 8-byte entries; Xen keeps the in-use bits in each entry's flags.
    V1,
    /// 16-byte entries (sub-page and transitive grants); Xen keeps the
    /// in-use bits in separate, read-only status frames.
    V2,
}

impl Version {
    /// The version number Xen uses.
    pub const fn get(self) -> u32 {
        match self {
            Self::V1 => 1,
            Self::V2 => 2,
        }
    }

    fn from_raw(v: u32) -> Result<Self> {
        match v {
            1 => Ok(Self::V1),
            2 => Ok(Self::V2),
            v => Err(Error::BadVersion(v)),
        }
    }

    const fn per_frame(self) -> u32 {
        match self {
            Self::V1 => V1_PER_FRAME,
            Self::V2 => V2_PER_FRAME,
        }
    }
}

/// What a grantee may do with a granted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Map it read-only, or copy out of it (`GTF_readonly`).
    ReadOnly,
    /// Map it writable, copy into and out of it.
    ReadWrite,
}

/// What the table manager needs from the platform: the table's frames
/// mapped into this address space, and the frame Xen knows a page by.
///
/// Mapping frames is the step this crate cannot vouch for (PV: a page-table
/// update to the machine frame Xen named; PVH/HVM:
/// `XENMEM_add_to_physmap(XENMAPSPACE_grant_table)` over a page of the
/// guest's own), so the platform takes it, like xen-evtchn's `FifoPages`.
pub trait TablePages: FrameOf {
    /// Maps table frame `index` and returns it (at least one page).
    ///
    /// `frame` is what `GNTTABOP_setup_table` said for it: the machine frame
    /// on PV; on PVH/HVM the guest frame it is mapped at already, or
    /// [`Gfn::INVALID`] (then map it with `XENMAPSPACE_grant_table`, index
    /// `index`).
    ///
    /// # Errors
    /// Whatever the platform or Xen refused.
    #[doc(alias = "XENMAPSPACE_grant_table")]
    fn map_shared(&mut self, index: u32, frame: Gfn) -> Result<SharedMem<'static>>;

    /// Maps v2 status frame `index` (read-only is enough) and returns it.
    ///
    /// `frame` is what `GNTTABOP_get_status_frames` said (PV), or
    /// [`Gfn::INVALID`] where Xen does not say (PVH/HVM: map it with
    /// `XENMAPSPACE_grant_table`, index `index | XENMAPIDX_grant_table_status`).
    ///
    /// # Errors
    /// Whatever the platform or Xen refused.
    #[doc(alias = "GNTTABOP_get_status_frames")]
    fn map_status(&mut self, index: u32, frame: Gfn) -> Result<SharedMem<'static, ReadOnly>>;

    /// Status frame `index` goes away (the table returns to v1): nothing
    /// reads it any more. PV must drop its mapping now (Xen refuses the
    /// switch while a status frame is mapped); on PVH/HVM Xen removes the
    /// frame from the physmap itself.
    ///
    /// # Errors
    /// Whatever the platform or Xen refused.
    fn unmap_status(&mut self, index: u32) -> Result<()>;
}

/// A page granted to another domain (or to ourselves), from
/// [`GrantTable::grant_access`].
///
/// The page is a `SharedMem<'static>`: granted memory never goes back to
/// being plain Rust memory, so a grant that is leaked, or that the peer
/// never lets go of, cannot turn into a use-after-free. The reference
/// returns to the free list only through [`GrantTable::end_access`], and
/// only once the peer really let go.
#[must_use = "a grant stays in force until `end_access`; dropping it leaks its reference"]
pub struct Grant {
    gref: GrantRef,
    domid: DomId,
    access: Access,
    page: Option<SharedMem<'static>>,
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grant")
            .field("gref", &self.gref)
            .field("domid", &self.domid)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Grant {
    /// The reference to give the grantee.
    pub fn gref(&self) -> GrantRef {
        self.gref
    }

    /// The grantee.
    pub fn domid(&self) -> DomId {
        self.domid
    }

    /// What the grantee may do.
    pub fn access(&self) -> Access {
        self.access
    }

    /// The granted page, for our own use (`None` for a transitive grant).
    pub fn page(&self) -> Option<SharedMem<'static>> {
        self.page
    }
}

/// [`GrantTable::end_access`] refused: the grantee still has the page
/// mapped or is copying it (`GTF_reading`/`GTF_writing`). The grant is
/// handed back, still in force; try again later.
#[must_use = "the grant is still in force"]
#[derive(Debug)]
pub struct InUse {
    /// The grant, still outstanding.
    pub grant: Grant,
    /// The in-use bits seen.
    pub flags: GrantEntryFlags,
}

impl fmt::Display for InUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "grant {} to domain {} still in use ({:?})",
            self.grant.gref,
            self.grant.domid.get(),
            self.flags
        )
    }
}

/// The grant table of the calling domain: its version, its frames (mapped
/// through the platform's [`TablePages`]), and a free list of references.
///
/// One per domain: two managers of the same table would hand out the same
/// references.
///
/// References `0..8` are reserved (console, xenstore, the toolstack) and
/// never handed out. The table grows by one frame when the free list runs
/// dry, up to Xen's maximum (and [`MAX_REFS`]).
pub struct GrantTable<H: Hypercall, P: TablePages> {
    hc: H,
    pages: P,
    version: Version,
    shared: [Option<SharedMem<'static>>; MAX_FRAMES],
    nr_frames: u32,
    max_frames: u32,
    status: [Option<SharedMem<'static, ReadOnly>>; MAX_STATUS_FRAMES],
    nr_status: u32,
    /// Bit set: reserved or granted.
    used: [u64; WORDS],
    outstanding: u32,
    /// Where the next search for a free reference starts (freed references
    /// are reused last, which gives a slow peer the longest time to notice).
    cursor: u32,
}

impl<H: Hypercall, P: TablePages> fmt::Debug for GrantTable<H, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantTable")
            .field("version", &self.version)
            .field("nr_frames", &self.nr_frames)
            .field("max_frames", &self.max_frames)
            .field("nr_status", &self.nr_status)
            .field("outstanding", &self.outstanding)
            .finish_non_exhaustive()
    }
}

fn mark(used: &mut [u64; WORDS], r: u32, on: bool) {
    let (w, b) = ((r / 64) as usize, 1u64 << (r % 64));
    if let Some(word) = used.get_mut(w) {
        if on {
            *word |= b;
        } else {
            *word &= !b;
        }
    }
}

fn is_marked(used: &[u64; WORDS], r: u32) -> bool {
    used.get((r / 64) as usize)
        .is_some_and(|w| w & (1 << (r % 64)) != 0)
}

impl<H: Hypercall, P: TablePages> GrantTable<H, P> {
    /// Takes over the calling domain's grant table at the version it has
    /// (`GNTTABOP_get_version`), maps its current frames (at least one), and
    /// its status frames on v2.
    ///
    /// # Errors
    /// [`Error::Xen`]/[`Error::Status`] from Xen, or what the platform
    /// refused.
    #[doc(alias = "GNTTABOP_query_size")]
    pub fn new(hc: H, pages: P) -> Result<Self> {
        let version = Version::from_raw(gnttab::get_version(&hc, DomId::SELF)?)?;
        let size = gnttab::query_size(&hc, DomId::SELF)?;
        let mut t = Self {
            hc,
            pages,
            version,
            shared: [None; MAX_FRAMES],
            nr_frames: 0,
            max_frames: 0,
            status: [None; MAX_STATUS_FRAMES],
            nr_status: 0,
            used: [0; WORDS],
            outstanding: 0,
            cursor: NR_RESERVED_ENTRIES,
        };
        t.set_max_frames(size.max_nr_frames);
        t.reset_free_list();
        t.grow_to(size.nr_frames.max(1))?;
        Ok(t)
    }

    fn set_max_frames(&mut self, xen_max: u32) {
        let ours = MAX_REFS / self.version.per_frame();
        self.max_frames = xen_max.min(ours);
    }

    fn reset_free_list(&mut self) {
        self.used = [0; WORDS];
        for r in 0..NR_RESERVED_ENTRIES {
            mark(&mut self.used, r, true);
        }
        self.cursor = NR_RESERVED_ENTRIES;
    }

    /// The version in use.
    #[doc(alias = "GNTTABOP_get_version")]
    pub fn version(&self) -> Version {
        self.version
    }

    /// Table frames mapped.
    pub fn frames(&self) -> u32 {
        self.nr_frames
    }

    /// The most frames this table grows to.
    pub fn max_frames(&self) -> u32 {
        self.max_frames
    }

    /// Status frames mapped (v2).
    pub fn status_frames(&self) -> u32 {
        self.nr_status
    }

    /// References the mapped frames hold (reserved ones included).
    pub fn capacity(&self) -> u32 {
        (self.nr_frames * self.version.per_frame()).min(MAX_REFS)
    }

    /// Grants outstanding (handed out and not ended).
    pub fn outstanding(&self) -> u32 {
        self.outstanding
    }

    /// The platform's pages.
    pub fn pages(&self) -> &P {
        &self.pages
    }

    /// The backend.
    pub fn hypercall(&self) -> &H {
        &self.hc
    }

    /// Xen's view of the table's size (`GNTTABOP_query_size`).
    ///
    /// # Errors
    /// [`Error::Xen`]/[`Error::Status`] from Xen.
    #[doc(alias = "GNTTABOP_query_size")]
    pub fn query_size(&self) -> Result<gnttab::TableSize> {
        Ok(gnttab::query_size(&self.hc, DomId::SELF)?)
    }

    /// Grows the table to `frames` frames (`GNTTABOP_setup_table`), mapping
    /// each new frame (and on v2 the status frames they need) through the
    /// platform. Never shrinks.
    ///
    /// # Errors
    /// [`Error::TableFull`] beyond [`max_frames`](Self::max_frames);
    /// [`Error::Xen`]/[`Error::Status`] from Xen; what the platform refused
    /// (the frames mapped before stay in use).
    #[doc(alias = "GNTTABOP_setup_table")]
    pub fn grow_to(&mut self, frames: u32) -> Result<()> {
        if frames > self.max_frames {
            return Err(Error::TableFull {
                limit: self.max_frames * self.version.per_frame(),
            });
        }
        if frames > self.nr_frames {
            let mut list = [Gfn::INVALID; MAX_FRAMES];
            let list = &mut list[..frames as usize];
            gnttab::setup_table(&self.hc, DomId::SELF, list)?;
            for i in self.nr_frames..frames {
                let frame = list[i as usize];
                let mem = self.pages.map_shared(i, frame)?;
                check_page(&mem)?;
                self.shared[i as usize] = Some(mem.sub(0, PAGE)?);
                self.nr_frames = i + 1;
            }
        }
        self.map_status()
    }

    /// Maps the status frames the table's frames need (v2).
    fn map_status(&mut self) -> Result<()> {
        if self.version != Version::V2 {
            return Ok(());
        }
        let want = self.capacity().div_ceil(STATUS_PER_FRAME);
        if want <= self.nr_status {
            return Ok(());
        }
        let mut list = [u64::MAX; MAX_STATUS_FRAMES];
        let list = &mut list[..want as usize];
        match gnttab::get_status_frames(&self.hc, DomId::SELF, list) {
            Ok(()) => {}
            // Translated guests (PVH/HVM) map them by index instead.
            Err(gnttab::GrantError::Errno(Errno::ENOSYS)) => list.fill(u64::MAX),
            Err(e) => return Err(e.into()),
        }
        for i in self.nr_status..want {
            let mem = self
                .pages
                .map_status(i, Gfn::new_unchecked(list[i as usize]))?;
            check_page(&mem)?;
            self.status[i as usize] = Some(mem.sub(0, PAGE)?);
            self.nr_status = i + 1;
        }
        Ok(())
    }

    /// Switches the table to `version` (`GNTTABOP_set_version`).
    ///
    /// The rules: no grant may be outstanding (entries change their layout;
    /// Xen itself only refuses while a grant is mapped, with `EBUSY`); the
    /// reserved entries are carried over by Xen. Going to v2 maps the status
    /// frames; going back to v1 hands them back first
    /// ([`TablePages::unmap_status`]).
    ///
    /// # Errors
    /// [`Error::GrantsOutstanding`]; [`Error::Xen`] from Xen (`EBUSY`, or
    /// `ENOSYS`/`EOPNOTSUPP` where v2 is disabled); what the platform
    /// refused.
    #[doc(alias = "GNTTABOP_set_version")]
    pub fn set_version(&mut self, version: Version) -> Result<()> {
        if self.outstanding != 0 {
            return Err(Error::GrantsOutstanding(self.outstanding));
        }
        if version == self.version {
            return Ok(());
        }
        if version == Version::V1 {
            for i in (0..self.nr_status).rev() {
                self.status[i as usize] = None;
                self.nr_status = i;
                self.pages.unmap_status(i)?;
            }
        }
        let got = match gnttab::set_version(&self.hc, version.get()) {
            Ok(v) => Version::from_raw(v),
            Err(e) => Err(e.into()),
        };
        match got {
            Ok(v) if v == version => {}
            Ok(v) => {
                self.version = v;
                return Err(Error::BadVersion(v.get()));
            }
            Err(e) => {
                // Still at the old version: its status frames back.
                let _ = self.map_status();
                return Err(e);
            }
        }
        self.version = version;
        let xen_max =
            gnttab::query_size(&self.hc, DomId::SELF).map_or(self.max_frames, |s| s.max_nr_frames);
        self.set_max_frames(xen_max);
        self.reset_free_list();
        self.map_status()
    }

    /// Takes a free reference, growing the table by a frame if none is left.
    fn alloc(&mut self) -> Result<GrantRef> {
        loop {
            let cap = self.capacity();
            let start = self.cursor.max(NR_RESERVED_ENTRIES).min(cap);
            let found = (start..cap)
                .chain(NR_RESERVED_ENTRIES..start)
                .find(|&r| !is_marked(&self.used, r));
            if let Some(r) = found {
                mark(&mut self.used, r, true);
                self.cursor = r + 1;
                self.outstanding += 1;
                return Ok(GrantRef::new_unchecked(r));
            }
            if self.nr_frames >= self.max_frames {
                return Err(Error::TableFull { limit: cap });
            }
            self.grow_to(self.nr_frames + 1)?;
        }
    }

    /// Returns `r` to the free list.
    fn release(&mut self, r: GrantRef) {
        mark(&mut self.used, r.get(), false);
        self.outstanding = self.outstanding.saturating_sub(1);
    }

    /// The table frame holding entry `r`, and the entry's byte offset there.
    fn entry(&self, r: GrantRef) -> Result<(SharedMem<'static>, usize)> {
        let r32 = r.get();
        if r32 < NR_RESERVED_ENTRIES || r32 >= self.capacity() {
            return Err(Error::BadRef(r));
        }
        let per = self.version.per_frame();
        let size = PAGE / per as usize;
        let frame = self
            .shared
            .get((r32 / per) as usize)
            .copied()
            .flatten()
            .ok_or(Error::BadRef(r))?;
        Ok((frame, (r32 % per) as usize * size))
    }

    /// Entry `r`'s status word (v2).
    fn status_of(&self, r: GrantRef) -> Result<(SharedMem<'static, ReadOnly>, usize)> {
        let r32 = r.get();
        let frame = self
            .status
            .get((r32 / STATUS_PER_FRAME) as usize)
            .copied()
            .flatten()
            .ok_or(Error::BadRef(r))?;
        Ok((frame, (r32 % STATUS_PER_FRAME) as usize * 2))
    }

    /// Grants `domid` access to `page` (one whole, page-aligned page): a
    /// fresh reference, the entry's domid and frame written first, then its
    /// flags (`GTF_permit_access`, plus `GTF_readonly` for
    /// [`Access::ReadOnly`]) with release ordering.
    ///
    /// # Errors
    /// [`Error::NotAPage`]; [`Error::FrameTooBig`] (v1 entries hold 32-bit
    /// frames); [`Error::TableFull`]; what the platform refused
    /// ([`FrameOf::frame_of`], growing the table).
    #[doc(alias = "gnttab_grant_foreign_access")]
    pub fn grant_access(
        &mut self,
        domid: DomId,
        page: SharedMem<'static>,
        access: Access,
    ) -> Result<Grant> {
        check_page(&page)?;
        let frame = self.pages.frame_of(&page)?;
        let mut flags = GrantEntryFlags::PERMIT_ACCESS;
        if access == Access::ReadOnly {
            flags |= GrantEntryFlags::READONLY;
        }
        self.install(domid, Some(page), access, |mem, off, version| {
            match version {
                Version::V1 => {
                    let f32 =
                        u32::try_from(frame.get()).map_err(|_| Error::FrameTooBig(frame.get()))?;
                    mem.store_u32(off + 4, f32, Ordering::Relaxed)?;
                }
                Version::V2 => {
                    mem.store_u32(off + 4, 0, Ordering::Relaxed)?;
                    mem.store_u64(off + 8, frame.get(), Ordering::Relaxed)?;
                }
            }
            Ok(flags)
        })
    }

    /// Grants `domid` access to bytes `offset..offset + len` of `page` only
    /// (v2 `GTF_sub_page`: the grantee may copy them, not map the page).
    ///
    /// # Errors
    /// [`Error::NeedsV2`]; [`Error::BadRange`] for a range that leaves the
    /// page; as [`grant_access`](Self::grant_access).
    #[doc(alias = "GTF_sub_page")]
    pub fn grant_sub_page(
        &mut self,
        domid: DomId,
        page: SharedMem<'static>,
        offset: u16,
        len: u16,
        access: Access,
    ) -> Result<Grant> {
        if self.version != Version::V2 {
            return Err(Error::NeedsV2);
        }
        if usize::from(offset) + usize::from(len) > PAGE {
            return Err(Error::BadRange { offset, len });
        }
        check_page(&page)?;
        let frame = self.pages.frame_of(&page)?;
        let mut flags = GrantEntryFlags::PERMIT_ACCESS | GrantEntryFlags::SUB_PAGE;
        if access == Access::ReadOnly {
            flags |= GrantEntryFlags::READONLY;
        }
        self.install(domid, Some(page), access, |mem, off, _| {
            mem.store_u16(off + 4, offset, Ordering::Relaxed)?;
            mem.store_u16(off + 6, len, Ordering::Relaxed)?;
            mem.store_u64(off + 8, frame.get(), Ordering::Relaxed)?;
            Ok(flags)
        })
    }

    /// Lets `domid` use grant `gref` of domain `trans_domid` (made to us)
    /// as if it were ours (v2 `GTF_transitive`; copy only).
    ///
    /// # Errors
    /// [`Error::NeedsV2`]; [`Error::TableFull`].
    #[doc(alias = "GTF_transitive")]
    pub fn grant_transitive(
        &mut self,
        domid: DomId,
        trans_domid: DomId,
        gref: GrantRef,
    ) -> Result<Grant> {
        if self.version != Version::V2 {
            return Err(Error::NeedsV2);
        }
        self.install(domid, None, Access::ReadWrite, |mem, off, _| {
            mem.store_u32(off + 4, u32::from(trans_domid.get()), Ordering::Relaxed)?;
            mem.store_u64(off + 8, u64::from(gref.get()), Ordering::Relaxed)?;
            Ok(GrantEntryFlags::TRANSITIVE)
        })
    }

    /// Takes a reference, writes its entry's body (`body` returns the
    /// flags), then the domid and flags; gives the reference back on error.
    fn install(
        &mut self,
        domid: DomId,
        page: Option<SharedMem<'static>>,
        access: Access,
        body: impl FnOnce(SharedMem<'static>, usize, Version) -> Result<GrantEntryFlags>,
    ) -> Result<Grant> {
        let gref = self.alloc()?;
        let written = self.entry(gref).and_then(|(mem, off)| {
            let flags = body(mem, off, self.version)?;
            mem.store_u16(off + 2, domid.get(), Ordering::Relaxed)?;
            mem.store_u16(off, flags.bits(), Ordering::Release)?;
            Ok(())
        });
        match written {
            Ok(()) => Ok(Grant {
                gref,
                domid,
                access,
                page,
            }),
            Err(e) => {
                self.release(gref);
                Err(e)
            }
        }
    }

    /// Ends `grant` and returns its reference to the free list, but only
    /// when the grantee no longer has it mapped or in use: on v1 the flags
    /// go to zero by compare-and-swap only while `GTF_reading` and
    /// `GTF_writing` are clear (so Xen cannot take a new mapping in
    /// between); on v2 the flags are cleared first (no new mappings), then
    /// the status frame says whether the old ones are gone.
    ///
    /// The XSA-396 lesson: a grant still in use is never "ended anyway";
    /// [`InUse`] hands it back, still in force, to try again later (or to
    /// leak, if the peer never lets go: the page is `'static`).
    ///
    /// # Errors
    /// [`InUse`] while the grantee holds the grant.
    #[doc(alias = "gnttab_end_foreign_access_ref")]
    pub fn end_access(&mut self, grant: Grant) -> Result<(), InUse> {
        let r = grant.gref;
        let Ok((mem, off)) = self.entry(r) else {
            // Not an entry of this table (any more): nothing to end, and
            // nothing to give back.
            return Ok(());
        };
        let busy = match self.version {
            Version::V1 => {
                let mut seen = mem.load_u16(off, Ordering::Acquire).unwrap_or(IN_USE);
                let mut ended = false;
                for _ in 0..CAS_TRIES {
                    if seen & IN_USE != 0 {
                        break;
                    }
                    match mem.compare_exchange_u16(off, seen, 0, Ordering::SeqCst, Ordering::SeqCst)
                    {
                        Ok(Ok(_)) => {
                            ended = true;
                            break;
                        }
                        Ok(Err(now)) => seen = now,
                        Err(_) => break,
                    }
                }
                (!ended).then(|| GrantEntryFlags::from_bits_retain(seen))
            }
            Version::V2 => {
                let _ = mem.store_u16(off, 0, Ordering::SeqCst);
                let st = self
                    .status_of(r)
                    .and_then(|(s, o)| Ok(s.load_u16(o, Ordering::SeqCst)?))
                    .unwrap_or(IN_USE);
                (st & IN_USE != 0).then(|| GrantEntryFlags::from_bits_retain(st))
            }
        };
        match busy {
            None => {
                self.release(r);
                Ok(())
            }
            Some(flags) => Err(InUse { grant, flags }),
        }
    }

    /// Whether the grantee holds `grant` now (mapped or being copied).
    pub fn in_use(&self, grant: &Grant) -> bool {
        let r = grant.gref;
        match self.version {
            Version::V1 => self.entry(r).is_ok_and(|(m, o)| {
                m.load_u16(o, Ordering::Acquire)
                    .is_ok_and(|f| f & IN_USE != 0)
            }),
            Version::V2 => self.status_of(r).is_ok_and(|(m, o)| {
                m.load_u16(o, Ordering::Acquire)
                    .is_ok_and(|f| f & IN_USE != 0)
            }),
        }
    }
}

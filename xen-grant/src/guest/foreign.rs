// SPDX-License-Identifier: MIT OR Apache-2.0
//! The backend side: copying through grants (`GNTTABOP_copy`, in batches,
//! with a status per segment) and mapping another domain's grants (an owned
//! [`Mapping`] that unmaps on drop).

use core::fmt;
use core::marker::PhantomData;

use xen_abi::grant_table::{
    CopyPtr, GntCopyFlags, GntMapFlags, GrantCopy, GrantHandle, GrantRef, GrantStatus, MapGrantRef,
    UnmapGrantRef,
};
use xen_abi::io::shm::{Mode, ReadOnly, ReadWrite, SharedMem};
use xen_abi::xen::DomId;
use xen_abi::Errno;

use super::{check_page, FrameOf, PAGE};
use crate::{Error, Result};

/// Segments one `GNTTABOP_copy` hypercall carries at most.
pub const COPY_BATCH: usize = 16;

/// What the backend side needs from the platform: the hypercalls that make
/// Xen write memory of ours, which this crate cannot vouch for.
///
/// The crate only ever names, as a local frame, one that
/// [`FrameOf::frame_of`] gave for a `SharedMem<'static>` page; a mapping
/// lands where the platform chooses.
pub trait ForeignPages: FrameOf {
    /// Issues `GNTTABOP_copy` over `ops` (each element's `status` is Xen's
    /// answer for it).
    ///
    /// # Errors
    /// Xen's errno when the hypercall itself fails.
    #[doc(alias = "GNTTABOP_copy")]
    fn copy(&self, ops: &mut [GrantCopy]) -> core::result::Result<(), Errno>;

    /// Chooses a place nothing else uses (PV: a virtual address; PVH/HVM: a
    /// guest frame's address), sets `op.host_addr` to it, issues
    /// `GNTTABOP_map_grant_ref` for `op`, and returns the place as shared
    /// memory (one page). When Xen's `op.status` is not okay the place
    /// stays the platform's and the result is `Err(Error::Status(..))`.
    ///
    /// # Errors
    /// [`Error::Status`], [`Error::Xen`], or the platform out of places.
    #[doc(alias = "GNTTABOP_map_grant_ref")]
    fn map(&self, op: &mut MapGrantRef) -> Result<SharedMem<'static>>;

    /// Issues `GNTTABOP_unmap_grant_ref` for `op`; once Xen's `op.status`
    /// is okay, the place `op.host_addr` is the platform's again (to map
    /// over next time).
    ///
    /// # Errors
    /// [`Error::Status`], [`Error::Xen`]: the place stays out of use.
    #[doc(alias = "GNTTABOP_unmap_grant_ref")]
    fn unmap(&self, op: &mut UnmapGrantRef) -> Result<()>;
}

/// One side of a copy segment.
#[derive(Clone, Copy)]
pub enum Side {
    /// Grant `gref` of domain `domid`, from byte `offset`.
    Grant {
        /// The granting domain ([`DomId::SELF`] for our own table).
        domid: DomId,
        /// The reference.
        gref: GrantRef,
        /// First byte in the granted page.
        offset: u16,
    },
    /// A page of ours, from byte `offset`.
    Local {
        /// The page (one whole page).
        page: SharedMem<'static>,
        /// First byte in it.
        offset: u16,
    },
}

impl fmt::Debug for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Grant {
                domid,
                gref,
                offset,
            } => write!(f, "Grant({}:{gref}+{offset})", domid.get()),
            Self::Local { page, offset } => write!(f, "Local({:#x}+{offset})", page.addr()),
        }
    }
}

/// One copy: `len` bytes from `source` to `dest` (neither may cross its
/// page).
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    /// Where the bytes come from.
    pub source: Side,
    /// Where they go.
    pub dest: Side,
    /// How many.
    pub len: u16,
}

/// The backend side over the platform's [`ForeignPages`].
pub struct Foreign<F: ForeignPages> {
    pages: F,
}

impl<F: ForeignPages> fmt::Debug for Foreign<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Foreign").finish_non_exhaustive()
    }
}

impl<F: ForeignPages> Foreign<F> {
    /// The backend side over `pages`.
    pub fn new(pages: F) -> Self {
        Self { pages }
    }

    /// The platform's pages.
    pub fn pages(&self) -> &F {
        &self.pages
    }

    fn ptr(
        &self,
        side: Side,
        len: u16,
        gref_flag: GntCopyFlags,
    ) -> Result<(CopyPtr, GntCopyFlags)> {
        let (offset, ptr, flag) = match side {
            Side::Grant {
                domid,
                gref,
                offset,
            } => (offset, CopyPtr::from_gref(gref, domid, offset), gref_flag),
            Side::Local { page, offset } => {
                check_page(&page)?;
                let frame = self.pages.frame_of(&page)?;
                (
                    offset,
                    CopyPtr::from_gmfn(frame, DomId::SELF, offset),
                    GntCopyFlags::empty(),
                )
            }
        };
        if usize::from(offset) + usize::from(len) > PAGE {
            return Err(Error::BadRange { offset, len });
        }
        Ok((ptr, flag))
    }

    /// Copies every segment (`GNTTABOP_copy`, [`COPY_BATCH`] segments a
    /// hypercall) and writes Xen's status for segment `i` to `status[i]`.
    ///
    /// A segment Xen refuses (a reference the peer never granted, a revoked
    /// grant, a read-only grant as destination, a wrong domid) fails alone,
    /// with its status; the others are copied.
    ///
    /// # Errors
    /// [`Error::BadRange`] for a segment that leaves its page, or
    /// [`Error::NotAPage`] for a local page (nothing is copied then);
    /// [`Error::Xen`] when a hypercall fails (earlier batches were copied);
    /// `EINVAL` when `status` is shorter than `segments`.
    #[doc(alias = "GNTTABOP_copy")]
    pub fn copy(&self, segments: &[Segment], status: &mut [GrantStatus]) -> Result<()> {
        let status = status
            .get_mut(..segments.len())
            .ok_or(Error::Xen(Errno::EINVAL))?;
        // Check everything before copying anything.
        for s in segments {
            self.op(s)?;
        }
        for (segs, st) in segments
            .chunks(COPY_BATCH)
            .zip(status.chunks_mut(COPY_BATCH))
        {
            let mut ops = [GrantCopy::default(); COPY_BATCH];
            for (op, s) in ops.iter_mut().zip(segs) {
                *op = self.op(s)?;
                op.status = GrantStatus::GENERAL_ERROR;
            }
            let ops = &mut ops[..segs.len()];
            self.pages.copy(ops)?;
            for (st, op) in st.iter_mut().zip(ops.iter()) {
                *st = op.status;
            }
        }
        Ok(())
    }

    fn op(&self, s: &Segment) -> Result<GrantCopy> {
        let (source, f1) = self.ptr(s.source, s.len, GntCopyFlags::SOURCE_GREF)?;
        let (dest, f2) = self.ptr(s.dest, s.len, GntCopyFlags::DEST_GREF)?;
        Ok(GrantCopy {
            source,
            dest,
            len: s.len,
            flags: f1 | f2,
            ..GrantCopy::default()
        })
    }

    /// Maps grant `gref` of `domid` read-only (`GNTMAP_readonly`): the
    /// mapping hands out only a read-only [`SharedMem`].
    ///
    /// # Errors
    /// [`Error::Status`] from Xen (a reference never granted or revoked:
    /// `bad_gntref`/`general_error`; a wrong domain: `bad_domain`; the peer
    /// may not grant us: `permission_denied`), [`Error::Xen`], or the
    /// platform out of places.
    #[doc(alias = "GNTTABOP_map_grant_ref")]
    pub fn map_read_only(&self, domid: DomId, gref: GrantRef) -> Result<Mapping<'_, F, ReadOnly>> {
        self.map(domid, gref, GntMapFlags::HOST_MAP | GntMapFlags::READONLY)
    }

    /// Maps grant `gref` of `domid` writable (Xen refuses a read-only
    /// grant).
    ///
    /// # Errors
    /// As [`map_read_only`](Self::map_read_only).
    #[doc(alias = "GNTTABOP_map_grant_ref")]
    pub fn map_read_write(
        &self,
        domid: DomId,
        gref: GrantRef,
    ) -> Result<Mapping<'_, F, ReadWrite>> {
        self.map(domid, gref, GntMapFlags::HOST_MAP)
    }

    fn map<M: Mode>(
        &self,
        domid: DomId,
        gref: GrantRef,
        flags: GntMapFlags,
    ) -> Result<Mapping<'_, F, M>> {
        let mut op = MapGrantRef {
            flags,
            gref,
            dom: domid,
            status: GrantStatus::GENERAL_ERROR,
            ..MapGrantRef::default()
        };
        let mem = self.pages.map(&mut op)?;
        let mapping = Mapping {
            pages: &self.pages,
            mem,
            host_addr: op.host_addr,
            handle: op.handle,
            domid,
            gref,
            live: true,
            _mode: PhantomData,
        };
        // The platform promised okay; a mapping made anyway gets unmapped
        // by the drop.
        op.status.ok().map_err(Error::Status)?;
        check_page(&mem)?;
        Ok(mapping)
    }
}

/// Another domain's grant mapped into our address space; unmapped on drop.
///
/// `M` is [`ReadOnly`] (from [`Foreign::map_read_only`]: the memory can
/// only be read through it) or [`ReadWrite`].
pub struct Mapping<'f, F: ForeignPages, M: Mode> {
    pages: &'f F,
    mem: SharedMem<'static>,
    host_addr: u64,
    handle: GrantHandle,
    domid: DomId,
    gref: GrantRef,
    live: bool,
    _mode: PhantomData<fn() -> M>,
}

impl<F: ForeignPages, M: Mode> fmt::Debug for Mapping<'_, F, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mapping")
            .field("domid", &self.domid.get())
            .field("gref", &self.gref)
            .field("handle", &self.handle)
            .field("mode", &core::any::type_name::<M>())
            .finish_non_exhaustive()
    }
}

impl<F: ForeignPages, M: Mode> Mapping<'_, F, M> {
    /// The granting domain.
    pub fn domid(&self) -> DomId {
        self.domid
    }

    /// The grant mapped.
    pub fn gref(&self) -> GrantRef {
        self.gref
    }

    /// Xen's handle for the mapping.
    pub fn handle(&self) -> GrantHandle {
        self.handle
    }

    /// Unmaps now, reporting Xen's answer (dropping does the same and
    /// ignores it).
    ///
    /// # Errors
    /// [`Error::Status`]/[`Error::Xen`]: the place stays out of use (never
    /// handed out again), so nothing can reach the grant through it.
    #[doc(alias = "GNTTABOP_unmap_grant_ref")]
    pub fn unmap(mut self) -> Result<()> {
        self.do_unmap()
    }

    fn do_unmap(&mut self) -> Result<()> {
        if !self.live {
            return Ok(());
        }
        self.live = false;
        let mut op = UnmapGrantRef {
            host_addr: self.host_addr,
            handle: self.handle,
            status: GrantStatus::GENERAL_ERROR,
            ..UnmapGrantRef::default()
        };
        self.pages.unmap(&mut op)?;
        op.status.ok().map_err(Error::Status)
    }
}

impl<F: ForeignPages> Mapping<'_, F, ReadOnly> {
    /// The mapped page, read-only.
    pub fn mem(&self) -> SharedMem<'_, ReadOnly> {
        self.mem.read_only()
    }
}

impl<F: ForeignPages> Mapping<'_, F, ReadWrite> {
    /// The mapped page.
    pub fn mem(&self) -> SharedMem<'_> {
        self.mem
    }
}

impl<F: ForeignPages, M: Mode> Drop for Mapping<'_, F, M> {
    fn drop(&mut self) {
        let _ = self.do_unmap();
    }
}

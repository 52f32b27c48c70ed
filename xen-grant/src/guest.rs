// SPDX-License-Identifier: MIT OR Apache-2.0
//! In-guest grant tables (no_std): the table manager (v1 and v2), granting
//! pages, and the backend side (map, unmap, copy).
//!
//! - [`GrantTable`]: the calling domain's table: version switches
//!   (`GNTTABOP_set_version`, with v2's status frames), growth
//!   (`GNTTABOP_setup_table`), a free list of references that never hands
//!   out the reserved `0..8`, [`grant_access`](GrantTable::grant_access)
//!   (plus v2 sub-page and transitive grants) and
//!   [`end_access`](GrantTable::end_access), which gives a reference back
//!   only once the grantee let go of it (compare-and-swap on the flags).
//! - [`Foreign`]: the backend side: `GNTTABOP_copy` in batches with a status
//!   per [`Segment`], and [`Mapping`]s of other domains' grants that unmap
//!   on drop, read-only ones handing out only read-only memory.
//!
//! Every access to a table entry, a status word or a granted page goes
//! through xen-abi's [`SharedMem`]; this module has no `unsafe`. The steps
//! it cannot vouch for are the platform's: mapping table frames
//! ([`TablePages`]), translating a page to the frame Xen knows it by
//! ([`FrameOf`]), and the hypercalls that make Xen write our memory
//! ([`ForeignPages`]).
//!
//! ```no_run
//! use xen_abi::io::shm::SharedMem;
//! use xen_abi::grant_table::GrantStatus;
//! use xen_abi::DomId;
//! use xen_grant::guest::{Access, Foreign, ForeignPages, GrantTable, Segment, Side, TablePages};
//! # fn f(
//! #     hc: impl xen_hypercall::Hypercall,
//! #     table_pages: impl TablePages,
//! #     foreign_pages: impl ForeignPages,
//! #     page: SharedMem<'static>,
//! #     buffer: SharedMem<'static>,
//! # ) -> xen_grant::Result<()> {
//! let mut table = GrantTable::new(hc, table_pages)?;
//! // Grant a page to ourselves, read-only, and let Xen copy out of it.
//! let grant = table.grant_access(DomId::DOM0, page, Access::ReadOnly)?;
//! let foreign = Foreign::new(foreign_pages);
//! let copy = Segment {
//!     source: Side::Grant { domid: DomId::SELF, gref: grant.gref(), offset: 0 },
//!     dest: Side::Local { page: buffer, offset: 0 },
//!     len: 512,
//! };
//! let mut status = [GrantStatus::OKAY; 1];
//! foreign.copy(&[copy], &mut status)?;
//! assert!(status[0].is_okay());
//! // The reference goes back to the free list only if nobody holds it.
//! if let Err(busy) = table.end_access(grant) {
//!     // Still mapped by the grantee: keep the grant, try again later.
//!     let _still_granted = busy.grant;
//! }
//! # Ok(()) }
//! ```

use xen_abi::io::shm::{Mode, SharedMem};
use xen_abi::xen::Gfn;

use crate::{Error, Result};

mod foreign;
mod table;

pub use foreign::{Foreign, ForeignPages, Mapping, Segment, Side, COPY_BATCH};
pub use table::{
    Access, Grant, GrantTable, InUse, TablePages, Version, MAX_FRAMES, MAX_REFS, MAX_STATUS_FRAMES,
};

/// Bytes in a page (grant tables work in 4 KiB frames on x86 and Arm).
const PAGE: usize = 4096;

/// The platform's address translation: the frame Xen knows one of our pages
/// by (PV: the machine frame; PVH/HVM and Arm: the guest frame).
///
/// Granting the frame makes the page shared with another domain, so the
/// answer must be the page's own frame; the page is a `SharedMem<'static>`,
/// memory this address space only ever touches atomically.
pub trait FrameOf {
    /// The frame of `page` (one page-aligned page).
    ///
    /// # Errors
    /// Whatever the platform cannot translate.
    fn frame_of(&self, page: &SharedMem<'static>) -> Result<Gfn>;
}

/// Checks that `mem` starts a page-aligned page it covers whole.
fn check_page<M: Mode>(mem: &SharedMem<'_, M>) -> Result<()> {
    if mem.addr() % PAGE != 0 || mem.len() < PAGE {
        return Err(Error::NotAPage {
            addr: mem.addr(),
            len: mem.len(),
        });
    }
    Ok(())
}

#[cfg(all(test, feature = "std", target_os = "linux"))]
mod tests;

// Xen's grant-table op played in memory, for the unit tests and the
// fuzzing entry points (`crate::fuzzing`).
#[cfg(all(any(test, fuzzing), feature = "std"))]
pub(crate) mod fake_xen;

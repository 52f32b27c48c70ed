// SPDX-License-Identifier: MIT OR Apache-2.0
//! Where a 64-bit PV guest's boot-time pieces go, and its first page tables.
//!
//! The rules are the start-of-day contract in Xen's public `xen.h` (the
//! comment above `struct start_info`): the domain starts in one contiguous
//! virtual region from the kernel's `virt_base`, mapped 1:1 onto the first
//! pseudo-physical frames, holding in order the kernel image, the list of
//! its machine frames (the P2M), the `start_info` page, the xenstore and
//! console pages, the bootstrap page tables (mapped read-only) and a one-page
//! stack; the region ends on a 4 MiB boundary with at least 512 KiB free
//! after the last piece. x86_64 page tables have four levels; an L1 entry
//! maps a page `PRESENT|RW|ACCESSED` (without `RW` for the page tables
//! themselves), upper levels are `PRESENT|RW|ACCESSED|DIRTY|USER`, and every
//! entry holds a machine frame number (a PV guest's page tables are
//! machine-addressed).
//!
//! Everything here is arithmetic on numbers: no Xen, no memory of another
//! domain. [`Layout::plan`] refuses (with [`LayoutError`]) what does not
//! fit; [`Layout::page_tables`] fills the tables from the machine frames
//! Xen gave the domain.

use core::fmt;

use crate::elf::{Kernel, PAGE_SIZE};

/// `_PAGE_PRESENT`.
pub const PAGE_PRESENT: u64 = 1 << 0;
/// `_PAGE_RW`.
pub const PAGE_RW: u64 = 1 << 1;
/// `_PAGE_USER`.
pub const PAGE_USER: u64 = 1 << 2;
/// `_PAGE_ACCESSED`.
pub const PAGE_ACCESSED: u64 = 1 << 5;
/// `_PAGE_DIRTY`.
pub const PAGE_DIRTY: u64 = 1 << 6;
/// An L1 entry's flags (a page the guest may write).
pub const L1_PROT: u64 = PAGE_PRESENT | PAGE_RW | PAGE_ACCESSED;
/// An L2/L3/L4 entry's flags.
pub const UPPER_PROT: u64 = PAGE_PRESENT | PAGE_RW | PAGE_ACCESSED | PAGE_DIRTY | PAGE_USER;

/// Entries per page table.
pub const ENTRIES: u64 = 512;

/// The region ends on this boundary.
const REGION_ALIGN: u64 = 4 << 20;
/// At least this much of the region follows the last piece.
const PADDING: u64 = 512 << 10;
/// The machine frame bits of a page-table entry (bits 12..52).
const FRAME_MASK: u64 = ((1 << 52) - 1) & !(PAGE_SIZE - 1);

/// Bytes one table entry at each level covers (L1..L4).
const SPAN: [u64; 4] = [1 << 12, 1 << 21, 1 << 30, 1 << 39];

/// Why a guest's pieces do not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayoutError {
    /// The bootstrap region (kernel, P2M, start_info, xenstore and console
    /// pages, page tables, stack and padding) needs more pages than the
    /// domain gets.
    TooSmall {
        /// Pages the region needs.
        needed: u64,
        /// Pages of memory asked for.
        memory: u64,
    },
    /// The region would run past the top of the address space.
    AddressOverflow,
    /// `page_tables` got fewer machine frames than the region maps.
    MissingFrames {
        /// Frames given.
        given: usize,
        /// Frames needed.
        needed: u64,
    },
    /// A machine frame number does not fit a page-table entry.
    FrameTooLarge(u64),
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooSmall { needed, memory } => write!(
                f,
                "the kernel and its boot pieces need {needed} pages ({} KiB) but the domain gets \
                 {memory} ({} KiB)",
                needed * 4,
                memory * 4
            ),
            Self::AddressOverflow => f.write_str("the boot region runs past the top of memory"),
            Self::MissingFrames { given, needed } => {
                write!(f, "{given} machine frames for a region of {needed} pages")
            }
            Self::FrameTooLarge(mfn) => write!(f, "machine frame {mfn:#x} does not fit a PTE"),
        }
    }
}

impl std::error::Error for LayoutError {}

/// Where each piece of a 64-bit PV guest's boot region lies, in guest
/// frame numbers (pseudo-physical; virtual address = `virt_base + pfn *
/// 4096`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The kernel's `virt_base`: pfn 0's virtual address.
    pub virt_base: u64,
    /// Pages of memory the domain gets (the P2M's length).
    pub total_pages: u64,
    /// Pages from `virt_base` to the end of the kernel image.
    pub kernel_pages: u64,
    /// First frame of the P2M list (one `u64` machine frame per pfn).
    pub p2m_pfn: u64,
    /// Its pages.
    pub p2m_pages: u64,
    /// The `start_info` page.
    pub start_info_pfn: u64,
    /// The xenstore ring page.
    pub xenstore_pfn: u64,
    /// The console ring page.
    pub console_pfn: u64,
    /// First page-table frame (the L4).
    pub pt_pfn: u64,
    /// Page-table frames: the L4, then the L3s, L2s and L1s.
    pub pt_pages: u64,
    /// Tables per level, L1 first.
    pub tables: [u64; 4],
    /// The boot stack page (the stack pointer starts at its end).
    pub stack_pfn: u64,
    /// Pages the bootstrap tables map from `virt_base` (the region).
    pub mapped_pages: u64,
}

impl Layout {
    /// Places the pieces for `kernel` in a domain of `total_pages` pages.
    ///
    /// # Errors
    /// [`LayoutError::TooSmall`] when the region does not fit the memory;
    /// [`LayoutError::AddressOverflow`] when it would pass 2^64.
    pub fn plan(kernel: &Kernel, total_pages: u64) -> Result<Self, LayoutError> {
        let virt_base = kernel.virt_base;
        let kernel_pages = kernel.pages();
        let p2m_pfn = kernel_pages;
        let p2m_pages = total_pages
            .checked_mul(8)
            .ok_or(LayoutError::AddressOverflow)?
            .div_ceil(PAGE_SIZE);
        let start_info_pfn = add(p2m_pfn, p2m_pages)?;
        let xenstore_pfn = add(start_info_pfn, 1)?;
        let console_pfn = add(start_info_pfn, 2)?;
        let pt_pfn = add(start_info_pfn, 3)?;
        // The tables map the region, which holds the tables: count until
        // the count stops growing (twice at most in practice).
        let mut pt_pages = 0;
        for _ in 0..8 {
            let stack_pfn = add(pt_pfn, pt_pages)?;
            let used_end = virt(virt_base, add(stack_pfn, 1)?)?;
            let region_end = align_up(
                used_end
                    .checked_add(PADDING)
                    .ok_or(LayoutError::AddressOverflow)?,
                REGION_ALIGN,
            )?;
            let tables = tables_for(virt_base, region_end)?;
            let needed: u64 = tables.iter().sum();
            if needed == pt_pages {
                let mapped_pages = (region_end - virt_base) / PAGE_SIZE;
                if mapped_pages > total_pages {
                    return Err(LayoutError::TooSmall {
                        needed: mapped_pages,
                        memory: total_pages,
                    });
                }
                return Ok(Self {
                    virt_base,
                    total_pages,
                    kernel_pages,
                    p2m_pfn,
                    p2m_pages,
                    start_info_pfn,
                    xenstore_pfn,
                    console_pfn,
                    pt_pfn,
                    pt_pages,
                    tables,
                    stack_pfn,
                    mapped_pages,
                });
            }
            pt_pages = needed;
        }
        Err(LayoutError::AddressOverflow)
    }

    /// The virtual address of frame `pfn`.
    pub fn virt(&self, pfn: u64) -> u64 {
        self.virt_base.wrapping_add(pfn.wrapping_mul(PAGE_SIZE))
    }

    /// The initial stack pointer: the end of the stack page.
    pub fn stack_top(&self) -> u64 {
        self.virt(self.stack_pfn + 1)
    }

    /// The bootstrap page tables, `pt_pages * 512` entries (the L4 first),
    /// mapping the region's pfns onto `mfns` (the P2M: `mfns[pfn]`).
    ///
    /// # Errors
    /// [`LayoutError::MissingFrames`] if `mfns` is shorter than the region;
    /// [`LayoutError::FrameTooLarge`] for a frame past 52 address bits.
    pub fn page_tables(&self, mfns: &[u64]) -> Result<Vec<u64>, LayoutError> {
        let frame = |pfn: u64| -> Result<u64, LayoutError> {
            let mfn = usize::try_from(pfn)
                .ok()
                .and_then(|i| mfns.get(i))
                .copied()
                .ok_or(LayoutError::MissingFrames {
                    given: mfns.len(),
                    needed: self.mapped_pages,
                })?;
            let addr = mfn.checked_mul(PAGE_SIZE).filter(|a| a & !FRAME_MASK == 0);
            addr.ok_or(LayoutError::FrameTooLarge(mfn))
        };
        if (mfns.len() as u64) < self.mapped_pages {
            return Err(LayoutError::MissingFrames {
                given: mfns.len(),
                needed: self.mapped_pages,
            });
        }
        let entries =
            usize::try_from(self.pt_pages * ENTRIES).map_err(|_| LayoutError::AddressOverflow)?;
        let mut pt = vec![0u64; entries];
        // The first table of each level, as an index into the tables:
        // L4 at 0, then the L3s, L2s, L1s.
        let [_, l2s, l3s, _] = self.tables;
        let first = [1 + l3s + l2s, 1 + l3s, 1, 0];
        let read_only = self.pt_pfn..self.pt_pfn + self.pt_pages;
        for pfn in 0..self.mapped_pages {
            let va = self.virt(pfn);
            // Walk down from the L4: at level `l` (3 = L4), the table
            // covering `va` and the entry in it.
            for level in (0..4).rev() {
                let table = first[level] + index_from(self.virt_base, va, level);
                let slot = ((va / SPAN[level]) % ENTRIES) as usize;
                let at = (table * ENTRIES) as usize + slot;
                let value = if level == 0 {
                    let prot = if read_only.contains(&pfn) {
                        L1_PROT & !PAGE_RW
                    } else {
                        L1_PROT
                    };
                    frame(pfn)? | prot
                } else {
                    // The table one level down that covers `va`.
                    let below = first[level - 1] + index_from(self.virt_base, va, level - 1);
                    frame(self.pt_pfn + below)? | UPPER_PROT
                };
                if let Some(e) = pt.get_mut(at) {
                    *e = value;
                }
            }
        }
        Ok(pt)
    }
}

/// `a + b`, or [`LayoutError::AddressOverflow`].
fn add(a: u64, b: u64) -> Result<u64, LayoutError> {
    a.checked_add(b).ok_or(LayoutError::AddressOverflow)
}

/// The virtual address of `pfn` from `base`, checked.
fn virt(base: u64, pfn: u64) -> Result<u64, LayoutError> {
    pfn.checked_mul(PAGE_SIZE)
        .and_then(|off| base.checked_add(off))
        .ok_or(LayoutError::AddressOverflow)
}

fn align_up(v: u64, align: u64) -> Result<u64, LayoutError> {
    v.checked_add(align - 1)
        .map(|x| x & !(align - 1))
        .ok_or(LayoutError::AddressOverflow)
}

/// How many tables of each level (L1..L4) map `[base, end)`: one per
/// distinct span of the level above that the range touches; one L4.
fn tables_for(base: u64, end: u64) -> Result<[u64; 4], LayoutError> {
    let last = end.checked_sub(1).ok_or(LayoutError::AddressOverflow)?;
    let count = |level: usize| last / SPAN[level + 1] - base / SPAN[level + 1] + 1;
    Ok([count(0), count(1), count(2), 1])
}

/// Which of a level's tables covers `va`, counted from the one covering
/// `base` (the L4 level has one).
fn index_from(base: u64, va: u64, level: usize) -> u64 {
    if level == 3 {
        0
    } else {
        va / SPAN[level + 1] - base / SPAN[level + 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(virt_base: u64, bytes: u64) -> Kernel {
        Kernel {
            segments: Vec::new(),
            virt_base,
            virt_kstart: virt_base,
            virt_kend: virt_base.saturating_add(bytes),
            entry: virt_base,
            hypercall_page: None,
            guest_os: None,
            guest_version: None,
            loader: None,
            xen_version: None,
            features_required: Vec::new(),
            features_wanted: Vec::new(),
            supported_features: 0,
            init_p2m: None,
            mod_start_pfn: false,
        }
    }

    /// Translates `va` through `pt` (tables at frames `pt_pfn..`, machine
    /// frame of pfn p = `mfn(p)`), returning the L1 entry.
    fn walk(l: &Layout, pt: &[u64], mfn: impl Fn(u64) -> u64, va: u64) -> Option<u64> {
        let pfn_of_mfn = |m: u64| (l.pt_pfn..l.pt_pfn + l.pt_pages).find(|&p| mfn(p) == m);
        let mut table = 0u64; // the L4
        for level in (0..4).rev() {
            let slot = (va / SPAN[level]) % ENTRIES;
            let e = pt[(table * ENTRIES + slot) as usize];
            if e & PAGE_PRESENT == 0 {
                return None;
            }
            if level == 0 {
                return Some(e);
            }
            assert_eq!(e & !FRAME_MASK, UPPER_PROT);
            table = pfn_of_mfn((e & FRAME_MASK) >> 12)? - l.pt_pfn;
        }
        None
    }

    #[test]
    fn a_small_kernel_in_32_mib() {
        let base = 0xffff_ffff_8000_0000;
        let l = Layout::plan(&kernel(base, 0x16_6128), 8192).unwrap();
        assert_eq!(l.kernel_pages, 0x167);
        assert_eq!(l.p2m_pfn, 0x167);
        assert_eq!(l.p2m_pages, 16);
        assert_eq!(l.start_info_pfn, 0x177);
        assert_eq!(
            (l.xenstore_pfn, l.console_pfn, l.pt_pfn),
            (0x178, 0x179, 0x17a)
        );
        // 4 MiB from a 2 GiB-aligned base: 1 L4, 1 L3, 1 L2, 2 L1s.
        assert_eq!(l.tables, [2, 1, 1, 1]);
        assert_eq!(l.pt_pages, 5);
        assert_eq!(l.stack_pfn, 0x17f);
        assert_eq!(l.mapped_pages, 1024);
        assert_eq!(l.stack_top(), base + 0x180 * 4096);
    }

    #[test]
    fn padding_can_add_4_mib() {
        let base = 0xffff_ffff_8000_0000;
        // The stack ends within 512 KiB of 4 MiB: the region grows to 8.
        let l = Layout::plan(&kernel(base, (4 << 20) - (600 << 10)), 8192).unwrap();
        assert_eq!(l.mapped_pages, 2048);
        assert!(l.virt(l.mapped_pages) - l.stack_top() >= PADDING);
        assert_eq!(l.tables, [4, 1, 1, 1]);
    }

    #[test]
    fn too_little_memory_is_an_error() {
        let base = 0xffff_ffff_8000_0000;
        assert_eq!(
            Layout::plan(&kernel(base, 8 << 20), 1024),
            Err(LayoutError::TooSmall {
                needed: 3072,
                memory: 1024
            })
        );
        assert_eq!(
            Layout::plan(&kernel(u64::MAX - 4095, 4096), 8192),
            Err(LayoutError::AddressOverflow)
        );
        assert_eq!(
            Layout::plan(&kernel(0, 4096), u64::MAX),
            Err(LayoutError::AddressOverflow)
        );
    }

    #[test]
    fn tables_map_every_page_to_its_frame() {
        for base in [
            0xffff_ffff_8000_0000u64,
            0xffff_8000_0000_0000,
            0x40_0000,
            0x7f_ffe0_0000,
        ] {
            let l = Layout::plan(&kernel(base, 3 << 20), 16384).unwrap();
            // Machine frames scattered: pfn p -> 0x10_0000 + p * 7.
            let mfn = |p: u64| 0x10_0000 + p * 7;
            let mfns: Vec<u64> = (0..l.total_pages).map(mfn).collect();
            let pt = l.page_tables(&mfns).unwrap();
            assert_eq!(pt.len() as u64, l.pt_pages * ENTRIES);
            for pfn in 0..l.mapped_pages {
                let e = walk(&l, &pt, mfn, l.virt(pfn))
                    .unwrap_or_else(|| panic!("{base:#x} pfn {pfn}"));
                assert_eq!((e & FRAME_MASK) >> 12, mfn(pfn));
                let ro = (l.pt_pfn..l.pt_pfn + l.pt_pages).contains(&pfn);
                assert_eq!(
                    e & !FRAME_MASK,
                    if ro { L1_PROT & !PAGE_RW } else { L1_PROT }
                );
            }
            // Nothing past the region is mapped.
            assert_eq!(walk(&l, &pt, mfn, l.virt(l.mapped_pages)), None);
            // Every table is used: its frame appears in the level above.
            let present = pt.iter().filter(|&&e| e & PAGE_PRESENT != 0).count() as u64;
            assert_eq!(present, l.mapped_pages + l.pt_pages - 1);
        }
    }

    #[test]
    fn frames_are_checked() {
        let l = Layout::plan(&kernel(0xffff_ffff_8000_0000, 4096), 2048).unwrap();
        assert_eq!(
            l.page_tables(&[1; 10]),
            Err(LayoutError::MissingFrames {
                given: 10,
                needed: l.mapped_pages
            })
        );
        let mut mfns = vec![1u64; l.total_pages as usize];
        mfns[3] = 1 << 40;
        assert_eq!(
            l.page_tables(&mfns),
            Err(LayoutError::FrameTooLarge(1 << 40))
        );
    }
}

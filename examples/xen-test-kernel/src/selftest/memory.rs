// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests: memory (`XENMEM_*`), plus the page helpers the grant and CPU
//! groups share.

use core::ptr::{self, NonNull};

use xen_abi::io::shm::{Ordering, SharedMem};
use xen_abi::memory::{resource, MapSpace, MemFlags};
use xen_abi::version::XenVersion;
use xen_abi::xen::{DomId, Gfn, UvmFlags};
use xen_abi::Errno;
use xen_hypercall::memory::{self, E820Entry, Resource};
use xen_hypercall::{mmu, version, Hypercall};

use super::{Ctx, Platform};
use crate::Tester;

/// Checks this group makes.
pub const PLAN: u32 = 11;

/// Where the PV kernel is linked: pseudo-physical 0.
pub(crate) const PV_BASE: u64 = 0xffff_ffff_8000_0000;

/// PTE bits for a kernel data page: present, rw, user, accessed, dirty.
pub(crate) const PTE_RW: u64 = 0x67;

/// A page-aligned page used for nothing but one test.
#[repr(C, align(4096))]
pub(crate) struct TestPage(pub(crate) [u8; 4096]);

impl TestPage {
    pub(crate) const fn new() -> Self {
        Self([0; 4096])
    }
}

/// Page given back to Xen and repopulated.
static mut RESERVATION_PAGE: TestPage = TestPage::new();

/// The address of a test page.
#[macro_export]
#[doc(hidden)]
macro_rules! page_addr {
    ($p:ident) => {
        (&raw mut $p) as *mut u8 as u64
    };
}

/// One of our dedicated test pages (`page_addr!`), which Xen may read or
/// write, as shared memory.
pub(crate) fn page_mem(va: u64) -> SharedMem<'static> {
    let p = NonNull::new(va as *mut u8).expect("a test page");
    // SAFETY: `va` is one of our static, page-aligned test pages: mapped for
    // the kernel's lifetime, and only reached through such handles (atomic
    // accesses) or by Xen.
    unsafe { SharedMem::new(p, 4096) }.expect("a page-aligned test page")
}

/// Fills a test page with `byte` (Xen may read it).
pub(crate) fn fill(va: u64, byte: u8) {
    let _ = page_mem(va).fill(0, 4096, byte);
}

/// Reads byte `i` of a test page.
pub(crate) fn peek(va: u64, i: usize) -> u8 {
    page_mem(va).load_u8(i, Ordering::Relaxed).unwrap_or(0)
}

/// The PV P2M entry of pseudo-physical frame `pfn`.
fn p2m(si: *const xen_abi::xen::StartInfo, pfn: u64) -> *mut u64 {
    // SAFETY: Xen's start_info page stays mapped.
    let list = unsafe { (*si).mfn_list } as *mut u64;
    list.wrapping_add(pfn as usize)
}

/// The PV pseudo-physical frame of a kernel address.
pub(crate) fn pv_pfn(va: u64) -> u64 {
    (va - PV_BASE) >> 12
}

/// The frame Xen knows our page at `va` by: the machine frame (from the
/// P2M list) for PV, the guest frame for PVH (identity-mapped).
pub(crate) fn frame_of(platform: Platform, va: u64) -> u64 {
    match platform {
        Platform::Pv { start_info } => {
            // SAFETY: the P2M list covers every pseudo-physical frame of
            // ours and stays mapped.
            unsafe { ptr::read_volatile(p2m(start_info, pv_pfn(va))) }
        }
        Platform::Pvh { .. } => va >> 12,
    }
}

/// Xen's version, or 0.0 if Xen will not say (the typed wrapper is checked
/// in `xen_info`).
pub(crate) fn xen_version(hc: &impl Hypercall) -> XenVersion {
    version::version(hc).unwrap_or_default()
}

/// Runs the group.
pub fn run<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    let hc = cx.hc;
    let pv = cx.platform.is_pv();

    // 1. maximum_ram_page.
    let max_ram = memory::maximum_ram_page(hc);
    t.check(
        "memory: maximum_ram_page",
        matches!(max_ram, Ok(n) if n > 0x1000),
        format_args!("asked for the highest machine frame + 1, Xen said {max_ram:?}"),
    );

    // Our own memory map: PVH dom0 gets its E820 this way (hvm_start_info
    // carries none); a PV dom0 has none.
    let mut map = [E820Entry::default(); 32];
    let nmap = memory::memory_map(hc, &mut map);
    let (ram, top) = nmap.map_or((0, 0), |n| {
        let ram = map[..n].iter().filter(|e| e.kind == E820Entry::RAM);
        (
            ram.clone().map(|e| e.size >> 12).sum::<u64>(),
            ram.map(|e| e.end() >> 12).max().unwrap_or(0),
        )
    });

    // 2. current_reservation against what we were told at boot.
    let cur = memory::current_reservation(hc, DomId::SELF);
    match cx.platform {
        Platform::Pv { start_info } => {
            // SAFETY: Xen's start_info page stays mapped.
            let nr = unsafe { (*start_info).nr_pages };
            t.check(
                "memory: current_reservation",
                cur == Ok(nr),
                format_args!("Xen said {cur:?} pages, start_info.nr_pages = {nr}"),
            );
        }
        Platform::Pvh { .. } => {
            t.check(
                "memory: current_reservation",
                matches!(cur, Ok(n) if n > 0 && n <= ram && n + 256 >= ram),
                format_args!("Xen said {cur:?} pages, XENMEM_memory_map has {ram} RAM pages"),
            );
        }
    }
    let cur = cur.unwrap_or(0);

    // 3. maximum_reservation >= current.
    let max = memory::maximum_reservation(hc, DomId::SELF);
    t.check(
        "memory: maximum_reservation",
        matches!(max, Ok(m) if m >= cur),
        format_args!("Xen said {max:?} pages, current {cur}"),
    );

    // 4. maximum_gpfn: PV guests tell Xen their P2M size in
    // shared_info.arch.max_pfn; PVH: the top of the physmap.
    match (cx.platform, cx.shared) {
        (Platform::Pv { .. }, Some(s)) => {
            let off = core::mem::offset_of!(xen_abi::xen::SharedInfo, arch)
                + core::mem::offset_of!(xen_abi::arch::x86::ArchSharedInfo, max_pfn);
            let _ = s.mem().store_u64(off, cur, Ordering::SeqCst);
            let gpfn = memory::maximum_gpfn(hc, DomId::SELF);
            t.check(
                "memory: maximum_gpfn",
                gpfn == Ok(cur - 1),
                format_args!("after setting shared_info.arch.max_pfn = {cur}, Xen said {gpfn:?}"),
            );
        }
        _ => {
            let gpfn = memory::maximum_gpfn(hc, DomId::SELF);
            t.check(
                "memory: maximum_gpfn",
                matches!(gpfn, Ok(g) if top > 0 && g + 1 >= top),
                format_args!("Xen said {gpfn:?}, top of RAM in the memory map at frame {top:#x}"),
            );
        }
    }

    // 5. memory_map.
    if pv {
        t.check_err(
            "memory: memory_map (PV dom0 has none)",
            &nmap,
            Errno::ENOSYS,
        );
    } else {
        t.check(
            "memory: memory_map",
            nmap.is_ok_and(|n| n > 0) && ram >= cur,
            format_args!(
                "Xen said {nmap:?} entries, {ram} RAM pages up to frame {top:#x}; first {:?}",
                map[0]
            ),
        );
    }

    // 6. The machine memory map agrees with maximum_ram_page (Xen 4.17
    // refuses it to PVH).
    let mut mmap = [E820Entry::default(); 32];
    let n = memory::machine_memory_map(hc, &mut mmap);
    let mtop = n.map_or(0, |n| {
        mmap[..n]
            .iter()
            .filter(|e| e.kind == E820Entry::RAM)
            .map(|e| e.end() >> 12)
            .max()
            .unwrap_or(0)
    });
    if !pv && xen_version(hc) < XenVersion::new(4, 20) {
        t.check_err(
            "memory: machine_memory_map (PVH, Xen < 4.20)",
            &n,
            Errno::ENOSYS,
        );
    } else {
        t.check(
            "memory: machine_memory_map",
            n.is_ok_and(|n| n > 0) && max_ram.is_ok_and(|m| mtop > 0 && mtop <= m),
            format_args!("Xen said {n:?} entries, top of RAM at frame {mtop:#x}; maximum_ram_page {max_ram:?}"),
        );
    }

    // 7 + 8. Give one page back, then populate it again.
    reservation_round_trip(t, cx, cur);

    // 9. add_to_physmap with a space that does not exist.
    // SAFETY: rejected before anything is mapped (bad space); the frame is
    // our dedicated page anyway.
    let r = unsafe {
        memory::add_to_physmap(
            hc,
            DomId::SELF,
            MapSpace::new(0xffff),
            0,
            Gfn::new_unchecked(frame_of(cx.platform, page_addr!(RESERVATION_PAGE))),
            0,
        )
    };
    let want = if pv { Errno::EACCES } else { Errno::EINVAL };
    t.check_err("memory: add_to_physmap(bad space)", &r, want);

    // 10. remove_from_physmap: a PV guest has no physmap of its own; on
    // PVH, remove our page and populate it back.
    let va = page_addr!(RESERVATION_PAGE);
    if pv {
        // SAFETY: refused for PV guests.
        let r =
            unsafe { memory::remove_from_physmap(hc, DomId::SELF, Gfn::new_unchecked(pv_pfn(va))) };
        t.check_err("memory: remove_from_physmap (PV)", &r, Errno::EACCES);
    } else {
        let gfn = Gfn::containing(va);
        let before = memory::current_reservation(hc, DomId::SELF);
        // SAFETY: the page is ours and unused until repopulated below.
        let r = unsafe { memory::remove_from_physmap(hc, DomId::SELF, gfn) };
        let after = memory::current_reservation(hc, DomId::SELF);
        let mut ext = [gfn];
        // SAFETY: repopulates the frame just emptied.
        let back =
            unsafe { memory::populate_physmap(hc, DomId::SELF, 0, MemFlags::empty(), &mut ext) };
        let last = memory::current_reservation(hc, DomId::SELF);
        fill(va, 0x3c);
        t.check(
            "memory: remove_from_physmap",
            r.is_ok()
                && before.is_ok()
                && after == before
                && back == Ok(1)
                && last == before.map(|b| b + 1)
                && peek(va, 4095) == 0x3c,
            format_args!(
                "removed gfn {gfn:#x}: {r:?}, reservation {before:?} -> {after:?} (the page stays allocated); \
                 populated again: {back:?}, reservation {last:?}"
            ),
        );
    }

    // 11. acquire_resource on ourselves (only another domain's resources
    // can be acquired).
    let res = Resource {
        domid: DomId::SELF,
        kind: resource::GRANT_TABLE,
        id: resource::GRANT_TABLE_ID_SHARED,
    };
    let r = memory::resource_size(hc, res);
    t.check_err(
        "memory: acquire_resource(DOMID_SELF grant table)",
        &r,
        Errno::ESRCH,
    );
}

/// `decrease_reservation` of our dedicated page, then `populate_physmap`
/// of the same frame (PV: unmap first and remap the new machine frame).
fn reservation_round_trip<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>, cur: u64) {
    let hc = cx.hc;
    let va = page_addr!(RESERVATION_PAGE);
    fill(va, 0xa5);
    let frame = frame_of(cx.platform, va);
    if let Platform::Pv { .. } = cx.platform {
        // SAFETY: nothing but this test uses the page; it is remapped below.
        let r = unsafe { mmu::update_va_mapping(hc, va, 0, UvmFlags::INVLPG) };
        if r.is_err() {
            crate::println!("unmap failed: {r:?}");
        }
    }
    let mut ext = [Gfn::new_unchecked(frame)];
    // SAFETY: the page is ours, unused and (PV) unmapped.
    let dec = unsafe { memory::decrease_reservation(hc, DomId::SELF, 0, &mut ext) };
    let after = memory::current_reservation(hc, DomId::SELF);
    t.check(
        "memory: decrease_reservation",
        dec == Ok(1) && after == Ok(cur - 1),
        format_args!(
            "gave back frame {frame:#x}: Xen said {dec:?}, reservation {cur} -> {after:?}"
        ),
    );

    let (mut ext, pfn) = match cx.platform {
        Platform::Pv { start_info } => {
            let pfn = pv_pfn(va);
            // SAFETY: our P2M entry for the page just given back.
            unsafe { ptr::write_volatile(p2m(start_info, pfn), u64::MAX) };
            ([Gfn::new_unchecked(pfn)], pfn)
        }
        Platform::Pvh { .. } => ([Gfn::new_unchecked(frame)], frame),
    };
    // SAFETY: the frame was emptied just above.
    let pop = unsafe { memory::populate_physmap(hc, DomId::SELF, 0, MemFlags::empty(), &mut ext) };
    let mut mapped = Ok(());
    if let Platform::Pv { start_info } = cx.platform {
        // SAFETY: point the P2M and our mapping at the new machine frame.
        unsafe {
            ptr::write_volatile(p2m(start_info, pfn), ext[0].get());
            mapped = mmu::update_va_mapping(hc, va, ext[0].addr() | PTE_RW, UvmFlags::INVLPG);
        }
    }
    let back = memory::current_reservation(hc, DomId::SELF);
    let usable = pop == Ok(1) && mapped.is_ok() && {
        fill(va, 0x5a);
        peek(va, 0) == 0x5a && peek(va, 4095) == 0x5a
    };
    t.check(
        "memory: populate_physmap",
        usable && back == Ok(cur),
        format_args!(
            "repopulated pfn {pfn:#x}: Xen said {pop:?} (frame now {:#x}), remap {mapped:?}, reservation {back:?}",
            ext[0]
        ),
    );
}

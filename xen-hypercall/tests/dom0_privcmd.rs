// SPDX-License-Identifier: MIT OR Apache-2.0
//! The privcmd backend against a real Xen, from a Linux dom0.
//!
//! Every test but the first needs `/dev/xen/privcmd` in dom0 and is ignored
//! elsewhere; `cargo xtask dom0` boots Xen 4.17 and 4.20 with a Linux dom0
//! under QEMU and runs this binary there with `--include-ignored`. The
//! answers are checked against a second source wherever one exists: what
//! Linux publishes in `/sys/hypervisor`, `/proc/self/maps` and
//! `/proc/self/pagemap`, or the same question asked another way.
#![cfg(all(feature = "std", target_os = "linux"))]
#![allow(clippy::std_instead_of_core)]

use std::path::Path;
use std::ptr::NonNull;

use xen_abi::event_channel::ChannelState;
use xen_abi::event_channel::EvtchnPort;
use xen_abi::io::shm::{Ordering::Relaxed, SharedMem};
use xen_abi::memory::{op as memop, resource, MachphysMfnList};
use xen_abi::version::XenVersion;
use xen_abi::xen::{GuestHandle, HypercallOp};
use xen_abi::{DomId, VcpuId};
use xen_hypercall::memory::Resource;
use xen_hypercall::privcmd::{
    sysfs, Access, AccessError, ForeignMapping, Privcmd, PrivcmdError, PAGE_SIZE,
};
use xen_hypercall::{event_channel, memory, sched, vcpu, version, Errno, Hypercall};
use zerocopy::IntoBytes;

fn privcmd() -> Privcmd {
    Privcmd::open().unwrap_or_else(|e| panic!("{e}"))
}

fn sys(rel: &str) -> String {
    let p = Path::new("/sys/hypervisor").join(rel);
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .trim_end_matches('\n')
        .to_string()
}

/// A page of our own memory, locked so its frame stays put.
struct OwnPage(*mut u8);

impl OwnPage {
    fn new() -> Self {
        // SAFETY: a fresh private anonymous page.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                PAGE_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        // SAFETY: our page.
        assert_eq!(unsafe { libc::mlock(p, PAGE_SIZE) }, 0);
        Self(p.cast())
    }

    /// The page as shared memory: another mapping of the same frame may
    /// write it.
    fn mem(&self) -> SharedMem<'_> {
        let p = NonNull::new(self.0).unwrap();
        // SAFETY: our locked page stays mapped while `self` lives, and is
        // only accessed through such handles (atomics).
        unsafe { SharedMem::new(p, PAGE_SIZE) }.unwrap()
    }

    fn write_u64(&self, off: usize, v: u64) {
        self.mem().store_u64(off, v, Relaxed).unwrap();
    }

    fn read_u64(&self, off: usize) -> u64 {
        self.mem().load_u64(off, Relaxed).unwrap()
    }

    /// Its pseudo-physical frame, from `/proc/self/pagemap` (root only).
    fn pfn(&self) -> u64 {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open("/proc/self/pagemap").unwrap();
        let index = self.0 as usize as u64 / PAGE_SIZE as u64;
        f.seek(SeekFrom::Start(index * 8)).unwrap();
        let mut e = [0u8; 8];
        f.read_exact(&mut e).unwrap();
        let e = u64::from_le_bytes(e);
        assert!(e & (1 << 63) != 0, "our locked page is not present: {e:#x}");
        let pfn = e & ((1 << 55) - 1);
        assert_ne!(pfn, 0, "pagemap hides frame numbers (not root?)");
        pfn
    }
}

impl Drop for OwnPage {
    fn drop(&mut self) {
        // SAFETY: unmapping our page.
        unsafe { libc::munmap(self.0.cast(), PAGE_SIZE) };
    }
}

/// The `/proc/self/maps` line covering `addr`, if any.
fn maps_line(addr: u64) -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines()
        .find(|l| {
            let range = l.split_whitespace().next().unwrap_or("");
            let (a, b) = range.split_once('-').unwrap_or(("0", "0"));
            let a = u64::from_str_radix(a, 16).unwrap_or(0);
            let b = u64::from_str_radix(b, 16).unwrap_or(0);
            (a..b).contains(&addr)
        })
        .map(str::to_string)
}

/// `XENMEM_machphys_mfn_list`: the base machine frames of the 2 MiB extents
/// of Xen's machine-to-physical table.
fn machphys_mfn_list(pc: &Privcmd) -> Vec<u64> {
    let mut list = vec![0u64; 64];
    let max = list.len() as u32;
    let n = pc.with_buffer(list.as_mut_bytes(), |list_addr| {
        let mut arg = MachphysMfnList {
            max_extents: max,
            extent_start: GuestHandle::from_addr(list_addr),
            ..MachphysMfnList::default()
        };
        let ret = pc.with_buffer(arg.as_mut_bytes(), |arg_addr| {
            // SAFETY: Xen writes at most `max` frames at `list_addr` and
            // the count into `arg`; both are hypercall-visible buffers.
            unsafe {
                pc.hypercall2(
                    HypercallOp::MEMORY_OP,
                    u64::from(memop::MACHPHYS_MFN_LIST),
                    arg_addr,
                )
            }
        });
        Errno::result(ret).map(|_| arg.nr_extents)
    });
    let n = n.unwrap_or_else(|e| panic!("XENMEM_machphys_mfn_list: {e}"));
    assert!(n > 0 && n <= max, "{n} extents");
    list.truncate(n as usize);
    list
}

/// Maps the part of the machine-to-physical table that covers every machine
/// frame up to `maximum_ram_page`, read-only, from `DOMID_XEN`.
fn map_m2p(pc: &Privcmd) -> (ForeignMapping, u64) {
    let max_mfn = memory::maximum_ram_page(pc).unwrap();
    let entries = max_mfn + 1;
    let pages = (entries * 8).div_ceil(PAGE_SIZE as u64) as usize;
    let per_extent = (2 << 20) / PAGE_SIZE;
    let extents = machphys_mfn_list(pc);
    let frames: Vec<u64> = (0..pages)
        .map(|p| extents[p / per_extent] + (p % per_extent) as u64)
        .collect();
    let m2p = pc
        .map_foreign(DomId::XEN, &frames, Access::ReadOnly)
        .unwrap();
    let failed: Vec<_> = m2p.failed_pages().collect();
    assert!(failed.is_empty(), "M2P pages failed to map: {failed:?}");
    (m2p, entries)
}

/// Finds the machine frame of `page` by searching the machine-to-physical
/// table for its pseudo-physical frame, then proves the candidate by mapping
/// it and seeing the page's contents. Returns the frame and the M2P mapping.
fn own_mfn(pc: &Privcmd, page: &OwnPage) -> (u64, ForeignMapping) {
    let pfn = page.pfn();
    let (m2p, entries) = map_m2p(pc);
    let table = m2p.shared_mem_read_only(..).unwrap();
    let candidates: Vec<u64> = (0..entries)
        .filter(|&mfn| table.load_u64(mfn as usize * 8, Relaxed) == Ok(pfn))
        .collect();
    assert!(!candidates.is_empty(), "pfn {pfn:#x} not in the M2P table");
    let marker = 0x5845_4e52_5321_0000 | (pfn & 0xffff);
    page.write_u64(0, marker);
    let found: Vec<u64> = candidates
        .iter()
        .copied()
        .filter(|&mfn| {
            pc.map_foreign(DomId::SELF, &[mfn], Access::ReadOnly)
                .ok()
                .is_some_and(|m| {
                    let mem = m.shared_mem_read_only(..).unwrap();
                    mem.load_u64(0, Relaxed) == Ok(marker)
                })
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "pfn {pfn:#x}: candidates {candidates:x?}, showing our marker {found:x?}"
    );
    (found[0], m2p)
}

#[test]
fn open_error_names_the_path_and_the_fix() {
    let missing = Path::new("/nonexistent/xen/privcmd");
    let e = Privcmd::open_paths(missing, Path::new("/nonexistent/xen/hypercall")).unwrap_err();
    assert_eq!(e.path, missing);
    assert_eq!(e.source.kind(), std::io::ErrorKind::NotFound);
    let msg = e.to_string();
    assert!(msg.contains("/nonexistent/xen/privcmd"), "{msg}");
    if Path::new("/sys/hypervisor/type").exists() {
        assert!(msg.contains("modprobe xen-privcmd"), "{msg}");
    } else {
        assert!(msg.contains("not running on Xen"), "{msg}");
    }
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn opens_privcmd_with_hypercall_buffers() {
    let pc = privcmd();
    assert!(pc.uses_hypercall_device());
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn buffers_live_in_dev_xen_hypercall() {
    let pc = privcmd();
    let mut buf = [0x5au8; 100];
    let line = pc
        .with_buffer(&mut buf, maps_line)
        .expect("buffer not mapped");
    assert!(line.ends_with("/dev/xen/hypercall"), "{line}");
    assert_eq!(buf, [0x5a; 100], "contents survive the bounce");
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn buffers_are_cached_across_calls_and_nesting() {
    let pc = privcmd();
    let (mut a, mut b) = ([1u8; 64], [2u8; 5000]);
    let first = pc.with_buffer(&mut a, |outer| {
        let inner = pc.with_buffer(&mut b, |inner| inner);
        (outer, inner)
    });
    assert_ne!(first.0, first.1, "nested buffers are distinct");
    assert_eq!(pc.cached_buffers(), 2);
    // The same two mappings serve the next calls, at any depth.
    let again = pc.with_buffer(&mut b, |outer| {
        let inner = pc.with_buffer(&mut a, |inner| inner);
        (outer, inner)
    });
    assert_eq!(again, (first.1, first.0));
    assert_eq!(pc.cached_buffers(), 2);
    assert!(version::version(&pc).is_ok());
    // A buffer the cache does not keep is unmapped after the call.
    let mut big = std::vec![0u8; 64 * 1024];
    let addr = pc.with_buffer(&mut big, |a| a);
    assert_eq!(maps_line(addr), None, "large buffer still mapped");
    assert_eq!(pc.cached_buffers(), 2);
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn version_matches_sysfs() {
    let v = version::version(&privcmd()).unwrap();
    assert_eq!(v.major.to_string(), sys("version/major"));
    assert_eq!(v.minor.to_string(), sys("version/minor"));
    assert!(
        v == XenVersion::new(4, 17) || v == XenVersion::new(4, 20),
        "Xen {v}"
    );
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn extraversion_matches_sysfs() {
    let extra = version::extraversion(&privcmd()).unwrap();
    assert_eq!(extra.to_str().unwrap(), sys("version/extra"));
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn capabilities_match_sysfs() {
    let caps = version::capabilities(&privcmd()).unwrap();
    let caps = caps.to_str().unwrap();
    assert_eq!(caps, sys("properties/capabilities"));
    assert!(caps.split(' ').any(|c| c == "xen-3.0-x86_64"), "{caps}");
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn changeset_matches_sysfs() {
    let cs = version::changeset(&privcmd()).unwrap();
    assert_eq!(cs.to_str().unwrap(), sys("properties/changeset"));
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn compile_info_matches_sysfs() {
    let ci = version::compile_info(&privcmd()).unwrap();
    assert_eq!(ci.compiler.to_str().unwrap(), sys("compilation/compiler"));
    assert_eq!(
        ci.compile_by.to_str().unwrap(),
        sys("compilation/compiled_by")
    );
    assert_eq!(
        ci.compile_date.to_str().unwrap(),
        sys("compilation/compile_date")
    );
    assert!(ci.compiler.to_str().unwrap().contains("gcc"));
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn pagesize_and_virt_start_match_sysfs() {
    let pc = privcmd();
    assert_eq!(version::pagesize(&pc).unwrap(), 4096);
    assert_eq!(sys("properties/pagesize"), "1000");
    let pp = version::platform_parameters(&pc).unwrap();
    assert_eq!(
        format!("{:x}", pp.virt_start),
        sys("properties/virtual_start")
    );
    assert!(
        pp.virt_start >= 0xffff_8000_0000_0000,
        "{:#x}",
        pp.virt_start
    );
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn features_match_sysfs() {
    let pc = privcmd();
    let f = version::get_features(&pc, 0).unwrap();
    assert_eq!(format!("{:08x}", f.submap), sys("properties/features"));
    // XENFEAT_dom0 (11): this is the hardware domain.
    assert!(version::has_feature(&pc, 11).unwrap());
    // XENFEAT_auto_translated_physmap (2): not for a PV dom0.
    assert!(!version::has_feature(&pc, 2).unwrap());
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn sysfs_detect_agrees_with_hypercalls() {
    let pc = privcmd();
    let s = sysfs::detect().unwrap_or_else(|e| panic!("{e}"));
    let v = version::version(&pc).unwrap();
    assert_eq!(s.version, (u32::from(v.major), u32::from(v.minor)));
    assert_eq!(
        s.extra_version,
        version::extraversion(&pc).unwrap().to_str().unwrap()
    );
    assert_eq!(s.guest_type.as_deref(), Some("PV"));
    assert_eq!(s.page_size, Some(4096));
    assert_eq!(
        s.features,
        Some(version::get_features(&pc, 0).unwrap().submap)
    );
    assert_eq!(
        s.virtual_start,
        Some(version::platform_parameters(&pc).unwrap().virt_start)
    );
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn event_channel_alloc_status_close() {
    let pc = privcmd();
    let port = event_channel::alloc_unbound(&pc, DomId::SELF, DomId::DOM0).unwrap();
    assert_ne!(port, EvtchnPort::ZERO);
    let st = event_channel::status(&pc, DomId::SELF, port).unwrap();
    assert_eq!(st.status, ChannelState::UNBOUND);
    assert_eq!(st.unbound().dom, DomId::DOM0);
    event_channel::close(&pc, port).unwrap();
    let st = event_channel::status(&pc, DomId::SELF, port).unwrap();
    assert_eq!(st.status, ChannelState::CLOSED);
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn errno_paths() {
    let pc = privcmd();
    // An unused hypercall number.
    // SAFETY: Xen rejects the number before looking at the arguments.
    let r = unsafe { pc.hypercall5(HypercallOp::new(47), [0; 5]) };
    assert_eq!(Errno::from_ret(r), Some(Errno::ENOSYS));
    // A port beyond dom0's range.
    let far = EvtchnPort::new(EvtchnPort::LIMIT - 1).unwrap();
    assert_eq!(
        event_channel::status(&pc, DomId::SELF, far).map(|_| ()),
        Err(Errno::EINVAL)
    );
    // No such domain.
    assert_eq!(
        memory::current_reservation(&pc, DomId::new(0x7000).unwrap()),
        Err(Errno::ESRCH)
    );
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn memory_reservations_fit_dom0_mem() {
    let pc = privcmd();
    let cur = memory::current_reservation(&pc, DomId::SELF).unwrap();
    let max = memory::maximum_reservation(&pc, DomId::SELF).unwrap();
    // dom0_mem=512M,max:512M: 131072 pages, less what Linux ballooned out.
    assert!((100_000..=131_072).contains(&cur), "current {cur}");
    assert!(cur <= max, "current {cur} > maximum {max}");
    assert_eq!(memory::current_reservation(&pc, DomId::DOM0), Ok(cur));
    let top = memory::maximum_ram_page(&pc).unwrap();
    // QEMU -m 1024: the highest RAM frame is below 4 GiB, above dom0's share.
    assert!(
        top > cur && top < (4 << 30) / 4096,
        "maximum_ram_page {top:#x}"
    );
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn vcpu_and_sched() {
    let pc = privcmd();
    assert_eq!(vcpu::is_up(&pc, VcpuId::BOOT), Ok(true));
    // dom0_max_vcpus=1: there is no vCPU 1.
    assert_eq!(vcpu::is_up(&pc, VcpuId::new(1)), Err(Errno::ENOENT));
    sched::yield_now(&pc).unwrap();
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn restrict_confines_the_descriptor() {
    let open = privcmd();
    let restricted = privcmd();
    let peer = DomId::new(5).unwrap();
    restricted.restrict(peer).unwrap();
    assert_eq!(version::version(&restricted), Err(Errno::EPERM));
    assert!(restricted.restrict(peer).is_ok(), "same domain again");
    // The kernel refuses these itself: OS errors, kept as such.
    let other = restricted.restrict(DomId::new(6).unwrap()).unwrap_err();
    assert_eq!(other.raw_os_error(), Some(libc::EINVAL), "{other}");
    let refused = restricted
        .map_foreign(DomId::XEN, &[0], Access::ReadOnly)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(refused.raw_os_error(), Some(libc::EPERM), "{refused}");
    assert!(matches!(refused, PrivcmdError::Os { .. }));
    // Other descriptors are untouched.
    assert!(version::version(&open).is_ok());
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn mmapbatch_maps_xen_m2p_read_only() {
    let pc = privcmd();
    let page = OwnPage::new();
    let pfn = page.pfn();
    let (mfn, m2p) = own_mfn(&pc, &page);
    println!(
        "pfn {pfn:#x} is mfn {mfn:#x}; M2P mapped in {} pages",
        m2p.pages()
    );
    let table = m2p.shared_mem_read_only(..).unwrap();
    assert_eq!(table.load_u64(mfn as usize * 8, Relaxed), Ok(pfn));
    assert_eq!(m2p.access(), Access::ReadOnly);
    assert_eq!(m2p.shared_mem(..).unwrap_err(), AccessError::ReadOnly);
    let mut two = [0u8; 16];
    table.copy_out(mfn as usize * 8, &mut two[..8]).unwrap();
    assert_eq!(u64::from_le_bytes(two[..8].try_into().unwrap()), pfn);
    assert_eq!(table.read::<u64>(mfn as usize * 8), Ok(pfn));
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn mmapbatch_aliases_our_own_page() {
    let pc = privcmd();
    let page = OwnPage::new();
    let (mfn, _m2p) = own_mfn(&pc, &page);
    let alias = pc
        .map_foreign(DomId::SELF, &[mfn], Access::ReadWrite)
        .unwrap();
    assert_eq!(alias.page_error(0), None);
    let mem = alias.shared_mem(..).unwrap();
    mem.store_u64(64, 0x0123_4567_89ab_cdef, Relaxed).unwrap();
    assert_eq!(page.read_u64(64), 0x0123_4567_89ab_cdef);
    page.write_u64(128, 42);
    assert_eq!(mem.load_u64(128, Relaxed), Ok(42));
    // Atomic read-modify-writes reach the same frame through the alias.
    assert_eq!(mem.fetch_or_u64(128, 1 << 40, Relaxed), Ok(42));
    assert_eq!(page.read_u64(128), 42 | 1 << 40);
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn mmapbatch_reports_per_frame_errors() {
    let pc = privcmd();
    let page = OwnPage::new();
    let (mfn, _m2p) = own_mfn(&pc, &page);
    let m2p0 = machphys_mfn_list(&pc)[0];
    // Frame 0 is Xen's (shared read-only); frame 1 is ours, not Xen's.
    let mixed = pc
        .map_foreign(DomId::XEN, &[m2p0, mfn], Access::ReadOnly)
        .unwrap();
    assert_eq!(mixed.page_error(0), None);
    let err = mixed.page_error(1).expect("dom0's frame mapped as Xen's");
    println!("dom0 frame {mfn:#x} mapped as DOMID_XEN's: {err}");
    assert!(matches!(
        mixed.shared_mem_read_only(PAGE_SIZE..),
        Err(AccessError::FrameNotMapped { page: 1, errno }) if errno == err
    ));
    let first = mixed.shared_mem_read_only(..PAGE_SIZE).unwrap();
    assert!(first.load_u64(0, Relaxed).is_ok());
    // Xen shares the table read-only: a writable mapping fails per frame.
    let rw = pc
        .map_foreign(DomId::XEN, &[m2p0], Access::ReadWrite)
        .unwrap();
    assert!(rw.page_error(0).is_some(), "M2P mapped writable");
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn foreign_mapping_unmaps_on_drop() {
    let pc = privcmd();
    let m2p0 = machphys_mfn_list(&pc)[0];
    let map = pc
        .map_foreign(DomId::XEN, &[m2p0, m2p0 + 1], Access::ReadOnly)
        .unwrap();
    let addr = map.as_ptr() as usize as u64;
    assert_eq!(map.len(), 2 * PAGE_SIZE);
    let line = maps_line(addr).expect("mapping not in /proc/self/maps");
    assert!(line.ends_with("/dev/xen/privcmd"), "{line}");
    drop(map);
    assert_eq!(maps_line(addr), None, "still mapped after drop");
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd (run by `cargo xtask dom0`)"]
fn mmap_resource_agrees_with_the_hypercall() {
    let pc = privcmd();
    let gnttab = |domid| Resource {
        domid,
        kind: resource::GRANT_TABLE,
        id: resource::GRANT_TABLE_ID_SHARED,
    };
    // No such domain: the ioctl reaches Xen and relays its answer.
    let nobody = gnttab(DomId::new(0x7000).unwrap());
    assert_eq!(
        pc.resource_size(nobody).map_err(|e| e.errno()),
        Err(Errno::ESRCH)
    );
    assert_eq!(memory::resource_size(&pc, nobody), Err(Errno::ESRCH));
    assert_eq!(
        pc.map_resource(nobody, 0, 1, Access::ReadOnly)
            .map(|_| ())
            .map_err(|e| e.errno()),
        Err(Errno::ESRCH)
    );
    // Dom0's own grant table: Xen refuses a domain's own resources
    // (`rcu_lock_remote_domain_by_id`), through either path.
    let own = gnttab(DomId::DOM0);
    let via_hypercall = memory::resource_size(&pc, own).map(u64::from);
    println!("dom0's own grant-table resource size: {via_hypercall:?}");
    assert_eq!(via_hypercall, Err(Errno::EPERM));
    assert_eq!(
        pc.resource_size(own).map_err(|e| e.errno()),
        Err(Errno::EPERM)
    );
    assert_eq!(
        pc.map_resource(own, 0, 1, Access::ReadOnly)
            .map(|_| ())
            .map_err(|e| e.errno()),
        Err(Errno::EPERM)
    );
}

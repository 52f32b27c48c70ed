// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Linux half against a real Xen, from a Linux dom0: pages shared with
//! `/dev/xen/gntalloc` and mapped or copied back through `/dev/xen/gntdev`
//! in the same dom0 (domid 0 grants to domid 0, and maps its own grants).
//!
//! Every test needs both devices and is ignored elsewhere; `cargo xtask
//! dom0` boots Xen 4.17 and 4.20 with a Linux dom0 under QEMU and runs this
//! binary there with `--include-ignored`. Leaks are counted in the kernel's
//! own books: the lines of `/proc/self/maps` that map a grant device, and
//! gntalloc's page limit (a leaked grant would exhaust it).
#![cfg(all(feature = "std", target_os = "linux"))]
#![allow(clippy::std_instead_of_core)]

use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;

use xen_abi::event_channel::EvtchnPort;
use xen_abi::grant_table::{GrantRef, GrantStatus};
use xen_abi::io::shm::Ordering::{Acquire, Relaxed, Release};
use xen_abi::DomId;
use xen_grant::linux::{
    Access, CopySegment, Gntalloc, Gntdev, GrantAddr, UnmapNotify, GNTALLOC_PATH, GNTDEV_PATH,
    PAGE_SIZE,
};
use xen_grant::Error;

fn gntalloc() -> Gntalloc {
    Gntalloc::open().unwrap_or_else(|e| panic!("{e}"))
}

fn gntdev() -> Gntdev {
    Gntdev::open().unwrap_or_else(|e| panic!("{e}"))
}

/// Lines of `/proc/self/maps` mapping the device at `path`.
fn device_maps(path: &str) -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| l.ends_with(path))
        .count()
}

/// `(gntalloc, gntdev)` mapping counts.
fn maps() -> (usize, usize) {
    (device_maps(GNTALLOC_PATH), device_maps(GNTDEV_PATH))
}

/// A ref no table holds (beyond any grant table's size).
const NO_SUCH_REF: GrantRef = GrantRef::new_unchecked(0x0fff_fff0);

fn map_refused(e: Error) -> GrantStatus {
    match e {
        Error::MapRefused { status, .. } => status,
        e => panic!("expected MapRefused, got {e}"),
    }
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/gntalloc and /dev/xen/gntdev (run by `cargo xtask dom0`)"]
fn dom0_share_and_map_own_grants_both_ways() {
    let (ga, gd) = (gntalloc(), gntdev());
    let before = maps();
    let shared = ga.share(DomId::DOM0, 3, Access::ReadWrite).unwrap();
    assert_eq!(shared.refs().len(), 3);
    let ours = shared.shared_mem(..).unwrap();
    for p in 0..3 {
        ours.store_u64(p * PAGE_SIZE + 8, 0x5eed_0000 + p as u64, Release)
            .unwrap();
    }
    let mapping = gd
        .map(DomId::DOM0, shared.refs(), Access::ReadWrite)
        .unwrap();
    assert_eq!(mapping.len(), 3 * PAGE_SIZE);
    assert_eq!(maps(), (before.0 + 1, before.1 + 1));
    let theirs = mapping.shared_mem(..).unwrap();
    for p in 0..3 {
        assert_eq!(
            theirs.load_u64(p * PAGE_SIZE + 8, Acquire).unwrap(),
            0x5eed_0000 + p as u64
        );
        // And back: the mapper writes, the sharer reads.
        theirs
            .store_u64(p * PAGE_SIZE + 16, 0xbac0_0000 + p as u64, Release)
            .unwrap();
        assert_eq!(
            ours.load_u64(p * PAGE_SIZE + 16, Acquire).unwrap(),
            0xbac0_0000 + p as u64
        );
    }
    println!(
        "dom0 mapped its own gntalloc grants {:?} through gntdev (domid 0 -> 0)",
        shared.refs()
    );
    drop(mapping);
    drop(shared);
    assert_eq!(maps(), before);
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/gntalloc and /dev/xen/gntdev (run by `cargo xtask dom0`)"]
fn dom0_read_only_grant_maps_read_only() {
    let (ga, gd) = (gntalloc(), gntdev());
    let before = maps();
    let shared = ga.share(DomId::DOM0, 1, Access::ReadOnly).unwrap();
    shared
        .shared_mem(..)
        .unwrap()
        .store_u32(0, 77, Release)
        .unwrap();
    let ro = gd
        .map(DomId::DOM0, shared.refs(), Access::ReadOnly)
        .unwrap();
    assert_eq!(
        ro.shared_mem_read_only(..)
            .unwrap()
            .load_u32(0, Acquire)
            .unwrap(),
        77
    );
    assert!(matches!(ro.shared_mem(..), Err(Error::OutOfBounds { .. })));
    let e = gd
        .map(DomId::DOM0, shared.refs(), Access::ReadWrite)
        .unwrap_err();
    println!("read-only grant mapped writable: {e}");
    assert_eq!(map_refused(e), GrantStatus::OKAY);
    drop(ro);
    drop(shared);
    assert_eq!(maps(), before);
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/gntalloc and /dev/xen/gntdev (run by `cargo xtask dom0`)"]
fn dom0_grant_copy_both_directions_in_batches() {
    let (ga, gd) = (gntalloc(), gntdev());
    let shared = ga.share(DomId::DOM0, 2, Access::ReadWrite).unwrap();
    let mem = shared.shared_mem(..).unwrap();
    let page = |i: usize| GrantAddr::new(DomId::DOM0, shared.refs()[i]);

    // Local -> grant.
    let out: Vec<u8> = (1..=200).collect();
    gd.copy(&mut [CopySegment::to_grant(&out, page(0).at(100))])
        .unwrap();
    let mut seen = [0u8; 200];
    mem.copy_out(100, &mut seen).unwrap();
    assert_eq!(&seen[..], &out[..]);

    // Grant -> local, and grant -> grant, in one batch.
    mem.fill(PAGE_SIZE, PAGE_SIZE, 0xa5).unwrap();
    let mut back = vec![0u8; PAGE_SIZE];
    let mut small = [0u8; 16];
    let mut batch = [
        CopySegment::from_grant(page(1), &mut back),
        CopySegment::between(page(0).at(100), page(1).at(512), 64),
        CopySegment::from_grant(page(1).at(512), &mut small),
    ];
    gd.copy(&mut batch).unwrap();
    assert!(batch.iter().all(|s| s.status().is_okay()));
    assert!(back.iter().all(|&b| b == 0xa5));
    assert_eq!(&small[..], &out[..16]);
    let mut moved = [0u8; 64];
    mem.copy_out(PAGE_SIZE + 512, &mut moved).unwrap();
    assert_eq!(&moved[..], &out[..64]);

    // A bad segment fails alone, with Xen's status; the others still run.
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    let mut c = [0u8; 8];
    let mut batch = [
        CopySegment::from_grant(page(0).at(100), &mut a),
        CopySegment::from_grant(GrantAddr::new(DomId::DOM0, NO_SUCH_REF), &mut b),
        CopySegment::from_grant(page(0).at(108), &mut c),
    ];
    match gd.copy(&mut batch) {
        Err(Error::CopyFailed { segment: 1, status }) => {
            assert_eq!(status, GrantStatus::BAD_GNTREF, "{status}")
        }
        r => panic!("expected CopyFailed for segment 1, got {r:?}"),
    }
    assert!(batch[0].status().is_okay() && batch[2].status().is_okay());
    assert_eq!(a, out[..8]);
    assert_eq!(c, out[8..16]);

    // Refused before the ioctl: a copy crossing the end of a granted page.
    let mut big = [0u8; 64];
    let e = gd
        .copy(&mut [CopySegment::from_grant(page(0).at(4090), &mut big)])
        .unwrap_err();
    assert!(matches!(e, Error::InvalidRequest(_)), "{e}");
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/gntalloc and /dev/xen/gntdev (run by `cargo xtask dom0`)"]
fn dom0_unmap_notify_clears_byte_on_both_sides() {
    let (ga, gd) = (gntalloc(), gntdev());
    let shared = ga.share(DomId::DOM0, 1, Access::ReadWrite).unwrap();
    let ours = shared.shared_mem(..).unwrap();
    ours.fill(0, 256, 0xff).unwrap();

    // gntdev's notice: the mapper goes away, the sharer sees the byte clear.
    let mapping = gd
        .map(DomId::DOM0, shared.refs(), Access::ReadWrite)
        .unwrap();
    mapping
        .set_unmap_notify(UnmapNotify::clear_byte(100))
        .unwrap();
    assert_eq!(ours.load_u8(100, Acquire).unwrap(), 0xff);
    drop(mapping);
    assert_eq!(ours.load_u8(100, Acquire).unwrap(), 0);
    assert_eq!(ours.load_u8(99, Acquire).unwrap(), 0xff);
    assert_eq!(ours.load_u8(101, Acquire).unwrap(), 0xff);

    // gntalloc's notice: the sharer goes away, the mapper sees it.
    let mapping = gd
        .map(DomId::DOM0, shared.refs(), Access::ReadWrite)
        .unwrap();
    shared
        .set_unmap_notify(UnmapNotify::clear_byte(200))
        .unwrap();
    let theirs = mapping.shared_mem(..).unwrap();
    assert_eq!(theirs.load_u8(200, Acquire).unwrap(), 0xff);
    drop(shared);
    assert_eq!(theirs.load_u8(200, Acquire).unwrap(), 0);
    assert_eq!(theirs.load_u8(199, Acquire).unwrap(), 0xff);

    // Out of range: refused before the ioctl.
    let e = mapping
        .set_unmap_notify(UnmapNotify::clear_byte(PAGE_SIZE))
        .unwrap_err();
    assert!(matches!(e, Error::OutOfBounds { .. }), "{e}");
}

/// A loopback event-channel pair bound through `/dev/xen/evtchn`: the
/// notice signals `notify`, the event arrives on `listen`.
struct Loopback {
    dev: File,
    notify: u32,
    listen: u32,
}

impl Loopback {
    fn new() -> Self {
        // _IOC(_IOC_NONE, 'E', 2, 4) and _IOC(_IOC_NONE, 'E', 1, 8).
        const BIND_UNBOUND_PORT: u64 = 0x0004_4502;
        const BIND_INTERDOMAIN: u64 = 0x0008_4501;
        let dev = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/xen/evtchn")
            .unwrap();
        let mut remote = [0u32; 2];
        // SAFETY: `struct ioctl_evtchn_bind_unbound_port { u32 remote_domain }`.
        let notify =
            unsafe { libc::ioctl(dev.as_raw_fd(), BIND_UNBOUND_PORT as _, remote.as_mut_ptr()) };
        assert!(
            notify > 0,
            "bind unbound: {}",
            std::io::Error::last_os_error()
        );
        remote = [0, notify as u32];
        // SAFETY: `struct ioctl_evtchn_bind_interdomain { u32 remote_domain, remote_port }`.
        let listen =
            unsafe { libc::ioctl(dev.as_raw_fd(), BIND_INTERDOMAIN as _, remote.as_mut_ptr()) };
        assert!(
            listen > 0,
            "bind interdomain: {}",
            std::io::Error::last_os_error()
        );
        let mut me = Self {
            dev,
            notify: notify as u32,
            listen: listen as u32,
        };
        // A fresh binding may already be pending: drain it.
        while me.wait(0).is_some() {}
        me
    }

    /// The next pending port, waiting up to `ms` milliseconds.
    fn wait(&mut self, ms: i32) -> Option<u32> {
        let mut pfd = libc::pollfd {
            fd: self.dev.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd.
        if unsafe { libc::poll(&mut pfd, 1, ms) } <= 0 {
            return None;
        }
        let mut b = [0u8; 4];
        self.dev.read_exact(&mut b).unwrap();
        let port = u32::from_ne_bytes(b);
        // Unmask it again (write the port back).
        std::io::Write::write_all(&mut self.dev, &b).unwrap();
        Some(port)
    }
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/gntalloc, gntdev and evtchn (run by `cargo xtask dom0`)"]
fn dom0_unmap_notify_sends_event_on_both_sides() {
    let (ga, gd) = (gntalloc(), gntdev());
    let mut lb = Loopback::new();
    let port = EvtchnPort::new(lb.notify).unwrap();
    let shared = ga.share(DomId::DOM0, 1, Access::ReadWrite).unwrap();

    let mapping = gd
        .map(DomId::DOM0, shared.refs(), Access::ReadWrite)
        .unwrap();
    mapping
        .set_unmap_notify(UnmapNotify::send_event(port))
        .unwrap();
    assert_eq!(lb.wait(0), None);
    drop(mapping);
    assert_eq!(lb.wait(5000), Some(lb.listen), "gntdev's unmap notice");

    shared
        .set_unmap_notify(UnmapNotify::clear_byte(8).and_send_event(port))
        .unwrap();
    assert_eq!(lb.wait(0), None);
    drop(shared);
    assert_eq!(lb.wait(5000), Some(lb.listen), "gntalloc's unmap notice");

    // A port the kernel does not know is refused, naming the ioctl.
    let shared = ga.share(DomId::DOM0, 1, Access::ReadWrite).unwrap();
    let e = shared
        .set_unmap_notify(UnmapNotify::send_event(EvtchnPort::new(4000).unwrap()))
        .unwrap_err();
    assert!(matches!(e, Error::Device { .. }), "{e}");
    assert!(
        e.to_string().contains("IOCTL_GNTALLOC_SET_UNMAP_NOTIFY"),
        "{e}"
    );
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/gntalloc and /dev/xen/gntdev (run by `cargo xtask dom0`)"]
fn dom0_bad_ref_wrong_domid_and_revoked_grant_are_typed_errors() {
    let (ga, gd) = (gntalloc(), gntdev());
    let before = maps();

    // A ref beyond the table.
    let e = gd
        .map(DomId::DOM0, &[NO_SUCH_REF], Access::ReadWrite)
        .unwrap_err();
    println!("bad ref: {e}");
    assert_eq!(map_refused(e), GrantStatus::BAD_GNTREF);

    // A real ref named with a domain that does not exist.
    let shared = ga.share(DomId::DOM0, 1, Access::ReadWrite).unwrap();
    let e = gd
        .map(
            DomId::new(0x7000).unwrap(),
            shared.refs(),
            Access::ReadWrite,
        )
        .unwrap_err();
    println!("no such domain: {e}");
    assert_eq!(map_refused(e), GrantStatus::BAD_DOMAIN);

    // A page granted to another domain, not to us.
    let elsewhere = ga
        .share(DomId::new(1).unwrap(), 1, Access::ReadWrite)
        .unwrap();
    let e = gd
        .map(DomId::DOM0, elsewhere.refs(), Access::ReadWrite)
        .unwrap_err();
    println!("granted to d1, mapped by d0: {e}");
    assert_eq!(map_refused(e), GrantStatus::GENERAL_ERROR);

    // A revoked grant: shared, then dropped.
    let gref = shared.refs()[0];
    drop(shared);
    let e = gd.map(DomId::DOM0, &[gref], Access::ReadWrite).unwrap_err();
    println!("revoked: {e}");
    assert_eq!(map_refused(e), GrantStatus::GENERAL_ERROR);

    // A batch with one bad ref maps nothing.
    let good = ga.share(DomId::DOM0, 2, Access::ReadWrite).unwrap();
    let refs = [good.refs()[0], NO_SUCH_REF, good.refs()[1]];
    let e = gd.map(DomId::DOM0, &refs, Access::ReadWrite).unwrap_err();
    assert!(
        matches!(e, Error::MapRefused { gref, .. } if gref == NO_SUCH_REF),
        "{e}"
    );

    // A range beyond the mapping.
    let m = gd
        .map(DomId::DOM0, &good.refs()[..1], Access::ReadWrite)
        .unwrap();
    assert!(matches!(
        m.shared_mem(PAGE_SIZE..2 * PAGE_SIZE),
        Err(Error::OutOfBounds { .. })
    ));
    assert!(matches!(
        m.shared_mem(..PAGE_SIZE + 1),
        Err(Error::OutOfBounds { .. })
    ));
    assert!(m
        .shared_mem(..)
        .unwrap()
        .load_u64(PAGE_SIZE, Relaxed)
        .is_err());
    assert!(matches!(
        gd.map(DomId::DOM0, &[], Access::ReadWrite),
        Err(Error::InvalidRequest(_))
    ));
    drop(m);
    drop(good);
    drop(elsewhere);
    assert_eq!(maps(), before, "a refused map left a mapping behind");
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/gntalloc and /dev/xen/gntdev (run by `cargo xtask dom0`)"]
fn dom0_dropping_in_any_order_is_safe() {
    let (ga, gd) = (gntalloc(), gntdev());
    let before = maps();

    // The sharer first: the mapper keeps a working page.
    let shared = ga.share(DomId::DOM0, 1, Access::ReadWrite).unwrap();
    shared
        .shared_mem(..)
        .unwrap()
        .store_u64(0, 11, Release)
        .unwrap();
    let mapping = gd
        .map(DomId::DOM0, shared.refs(), Access::ReadWrite)
        .unwrap();
    drop(shared);
    let m = mapping.shared_mem(..).unwrap();
    assert_eq!(m.load_u64(0, Acquire).unwrap(), 11);
    m.store_u64(0, 12, Release).unwrap();
    assert_eq!(m.load_u64(0, Acquire).unwrap(), 12);
    drop(mapping);

    // The mapper first.
    let shared = ga.share(DomId::DOM0, 1, Access::ReadWrite).unwrap();
    let mapping = gd
        .map(DomId::DOM0, shared.refs(), Access::ReadWrite)
        .unwrap();
    drop(mapping);
    shared
        .shared_mem(..)
        .unwrap()
        .store_u64(0, 13, Release)
        .unwrap();
    drop(shared);

    // Two mappings of one grant, dropped across each other.
    let shared = ga.share(DomId::DOM0, 1, Access::ReadWrite).unwrap();
    let a = gd
        .map(DomId::DOM0, shared.refs(), Access::ReadWrite)
        .unwrap();
    let b = gd
        .map(DomId::DOM0, shared.refs(), Access::ReadWrite)
        .unwrap();
    drop(a);
    drop(shared);
    b.shared_mem(..).unwrap().store_u64(0, 14, Release).unwrap();
    drop(b);
    assert_eq!(maps(), before);
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/gntalloc and /dev/xen/gntdev (run by `cargo xtask dom0`)"]
fn dom0_map_unmap_loop_leaks_nothing() {
    let (ga, gd) = (gntalloc(), gntdev());
    gd.set_max_grants(64).unwrap();
    let before = maps();
    let shared = ga.share(DomId::DOM0, 4, Access::ReadWrite).unwrap();
    for i in 0..300u64 {
        let m = gd
            .map(DomId::DOM0, shared.refs(), Access::ReadWrite)
            .unwrap();
        m.shared_mem(..)
            .unwrap()
            .store_u64(3 * PAGE_SIZE, i, Release)
            .unwrap();
        drop(m);
        assert_eq!(
            shared
                .shared_mem(..)
                .unwrap()
                .load_u64(3 * PAGE_SIZE, Acquire)
                .unwrap(),
            i
        );
    }
    drop(shared);
    // 300 x 4 pages exceeds gntalloc's default limit of 1024: a leaked
    // grant would end this loop with ENOSPC.
    for _ in 0..300 {
        let s = ga.share(DomId::DOM0, 4, Access::ReadWrite).unwrap();
        drop(s);
    }
    assert_eq!(
        maps(),
        before,
        "(gntalloc, gntdev) mappings before and after"
    );
}

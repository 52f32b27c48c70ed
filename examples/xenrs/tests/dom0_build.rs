// SPDX-License-Identifier: MIT OR Apache-2.0
//! The PV domain builder against real Xen, on its failure paths: bad
//! kernels fail before anything is created; a domain destroyed under the
//! builder at each step is reported as [`Error::Vanished`]; a build that
//! succeeds and is destroyed gives everything back. After each case: no
//! new domain in Xen's list, Xen's free memory back to where it was, no
//! xenstore home left for the domain.
//!
//! The builder booting the xenstore domU and passing the checks it passes
//! under `xl create` is `xen-store/tests/dom0_domu.rs`
//! (`the_same_domu_built_by_xenrs_create`).
//!
//! Ignored outside dom0; `cargo xtask dom0` runs them there.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]
#![allow(clippy::std_instead_of_core, missing_docs)]

use std::time::{Duration, Instant};

use xen_abi::domctl::GetDomainInfo;
use xen_abi::DomId;
use xen_hypercall::privcmd::Privcmd;
use xen_hypercall::toolstack::{self, Toolstack};
use xen_store::{Store, Xenstore};
use xenrs::build::{self, DomainSpec, Error, Step};
use xenrs::layout::LayoutError;

fn kernel_image() -> Vec<u8> {
    let path = std::env::var("XENRS_DOMU_KERNEL")
        .unwrap_or_else(|_| "/domu/xen-test-kernel-xs-domu".into());
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn toolstack() -> Toolstack<Privcmd> {
    Toolstack::new(Privcmd::open().unwrap()).unwrap()
}

fn domids(xen: &Toolstack<Privcmd>) -> Vec<u16> {
    let mut buf = vec![GetDomainInfo::default(); 256];
    let n = xen.domain_list(DomId::DOM0, &mut buf).unwrap();
    buf[..n].iter().map(|d| d.domain.get()).collect()
}

fn free_pages(xen: &Toolstack<Privcmd>) -> u64 {
    xen.physinfo().unwrap().free_pages
}

/// Xen's own bookkeeping of a domain (its struct, vCPUs, grant and event
/// channel frames) comes and goes with it; this many pages of difference
/// are allowed for other dom0 activity in between.
const SLACK_PAGES: u64 = 64;

/// The domain homes in xenstore (`/local/domain/*`), sorted.
fn homes(xs: &Xenstore) -> Vec<String> {
    let mut h = xs.directory("/local/domain").unwrap();
    h.sort();
    h
}

/// Waits (10 s at most) until xenconsoled has picked up `domid`'s console:
/// it opens a pty and writes its path. A domain must not go before that: a
/// pick-up after its home is removed writes the node, and so the home, back.
fn console_picked_up(xs: &Xenstore, domid: DomId) {
    let tty = format!("/local/domain/{}/console/tty", domid.get());
    let end = Instant::now() + Duration::from_secs(10);
    while xs.read(&tty).map_or(true, |v| v.is_empty()) {
        assert!(Instant::now() < end, "xenconsoled never wrote {tty}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Xen and xenstore as a test found them: what must hold again after a
/// failed or destroyed build.
struct Before {
    domids: Vec<u16>,
    homes: Vec<String>,
    free: u64,
}

impl Before {
    fn now(xen: &Toolstack<Privcmd>, xs: &Xenstore) -> Self {
        Self {
            domids: domids(xen),
            homes: homes(xs),
            free: free_pages(xen),
        }
    }

    /// The domain list as before, free memory back within [`SLACK_PAGES`]
    /// (freed pages return while the domain dies: waits up to 20 s), and no
    /// xenstore home that was not there before.
    fn nothing_left(&self, xen: &Toolstack<Privcmd>, xs: &Xenstore, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = domids(xen);
            let free = free_pages(xen);
            if now == self.domids && free + SLACK_PAGES >= self.free {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: domains {now:?} (before {:?}), free pages {free} (before {})",
                self.domids,
                self.free
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        for id in homes(xs) {
            assert!(
                self.homes.contains(&id),
                "{what}: /local/domain/{id} left behind"
            );
        }
    }
}

fn spec<'a>(name: &'a str, memory_mib: u64, kernel: &'a [u8]) -> DomainSpec<'a> {
    DomainSpec {
        name,
        memory_mib,
        vcpus: 1,
        cmdline: "",
        kernel,
    }
}

/// The byte offset of the first Xen note of type `kind` in `image`'s
/// notes (`namesz 4, descsz, type, "Xen\0"`), for corrupting it.
fn note_desc(image: &[u8], kind: u32) -> usize {
    let mut pat = Vec::new();
    pat.extend_from_slice(&4u32.to_le_bytes());
    for (i, w) in image.windows(16).enumerate() {
        if w[..4] == pat[..] && w[8..12] == kind.to_le_bytes() && &w[12..16] == b"Xen\0" {
            return i + 16;
        }
    }
    panic!("no Xen note {kind} in the image");
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xenstored (run by `cargo xtask dom0`)"]
fn bad_kernels_fail_before_anything_is_created() {
    let xen = toolstack();
    let xs = Xenstore::open().unwrap();
    let good = kernel_image();
    let before = Before::now(&xen, &xs);

    let cases: Vec<(&str, Vec<u8>, u64)> = {
        let mut entry_outside = good.clone();
        let at = note_desc(&good, 1); // XEN_ELFNOTE_ENTRY
        entry_outside[at..at + 8].copy_from_slice(&0x1000u64.to_le_bytes());
        let mut wrong_version = good.clone();
        let at = note_desc(&good, 5); // XEN_ELFNOTE_XEN_VERSION
        wrong_version[at..at + 7].copy_from_slice(b"xen-9.9");
        // Every note renamed: an ELF without Xen's notes.
        let mut no_notes = good.clone();
        let mut at = 0;
        while let Some(i) = no_notes[at..].windows(4).position(|w| w == b"Xen\0") {
            no_notes[at + i..at + i + 4].copy_from_slice(b"Nex\0");
            at += i + 4;
        }
        let mut no_magic = good.clone();
        no_magic[..4].copy_from_slice(b"MZ\0\0");
        vec![
            ("empty", Vec::new(), 32),
            ("truncated header", good[..40].to_vec(), 32),
            ("truncated segments", good[..good.len() / 4].to_vec(), 32),
            ("not ELF", no_magic, 32),
            ("entry outside the kernel", entry_outside, 32),
            ("another Xen ABI", wrong_version, 32),
            ("no Xen notes", no_notes, 32),
            ("larger than its memory", good.clone(), 1),
        ]
    };
    for (what, image, mib) in &cases {
        let r = build::build(&xen, &xs, &spec("xenrs-bad-kernel", *mib, image));
        match (what, &r) {
            (&"larger than its memory", Err(Error::Layout(LayoutError::TooSmall { .. }))) => {}
            (&"larger than its memory", _) => panic!("{what}: {r:?}"),
            (_, Err(Error::Kernel(e))) => println!("{what}: {e}"),
            _ => panic!("{what}: expected a kernel error, got {r:?}"),
        }
        before.nothing_left(&xen, &xs, what);
    }
    // The truncated-segment case is the image's own error, not a panic.
    let r = build::build(&xen, &xs, &spec("xenrs-bad-kernel", 32, &good[..64]));
    assert!(matches!(r, Err(Error::Kernel(_))), "{r:?}");
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xenstored (run by `cargo xtask dom0`)"]
fn a_domain_destroyed_mid_build_is_reported_and_nothing_is_left() {
    let xen = toolstack();
    let xs = Xenstore::open().unwrap();
    let image = kernel_image();
    let before = Before::now(&xen, &xs);
    for kill_after in [
        Step::Create,
        Step::Memory,
        Step::Image,
        Step::Boot,
        Step::Channels,
        Step::Vcpu,
    ] {
        let killer = toolstack();
        let mut killed = None;
        let r = build::build_with(
            &xen,
            &xs,
            &spec("xenrs-vanishing", 32, &image),
            |step, domid| {
                if step == kill_after {
                    killer.destroy(domid).unwrap();
                    killed = Some(domid);
                }
            },
        );
        let domid = killed.expect("the hook ran");
        match &r {
            Err(Error::Vanished { domid: d, step }) => {
                assert_eq!(*d, domid);
                println!(
                    "destroyed after {kill_after:?}: found at {step:?}: {}",
                    r.as_ref().unwrap_err()
                );
            }
            _ => panic!("destroyed after {kill_after:?}: {r:?}"),
        }
        before.nothing_left(&xen, &xs, &format!("destroyed after {kill_after:?}"));
    }
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xenstored (run by `cargo xtask dom0`)"]
fn a_built_domain_is_what_xen_and_xenstore_say_and_goes_away_whole() {
    let xen = toolstack();
    let xs = Xenstore::open().unwrap();
    let image = kernel_image();
    let before = Before::now(&xen, &xs);
    let built = build::build(&xen, &xs, &spec("xenrs-built", 32, &image)).unwrap();
    let id = built.domid.get();
    let info = xen.domain_info(built.domid).unwrap();
    assert_eq!(info.tot_pages, 32 * 256, "pages given");
    assert_eq!(info.max_vcpu_id, 0);
    assert!(info
        .flags
        .contains(xen_abi::domctl::DomainInfoFlags::PAUSED));
    let home = format!("/local/domain/{id}");
    assert_eq!(
        xs.read_string(&format!("{home}/name")).unwrap(),
        "xenrs-built"
    );
    assert_eq!(
        xs.read_string(&format!("{home}/domid")).unwrap(),
        id.to_string()
    );
    assert_eq!(
        xs.read_string(&format!("{home}/store/port")).unwrap(),
        built.store.1.get().to_string()
    );
    assert_eq!(xs.is_domain_introduced(built.domid), Ok(true));
    console_picked_up(&xs, built.domid);
    // vCPU 0's context is what the builder set: the kernel's entry point.
    let ctx = xen
        .vcpu_context(built.domid, xen_abi::VcpuId::new(0))
        .unwrap();
    let kernel = xenrs::elf::Kernel::parse(&image).unwrap();
    assert_eq!(ctx.user_regs.rip, kernel.entry);
    assert_eq!(
        ctx.user_regs.rsi,
        built.layout.virt(built.layout.start_info_pfn)
    );
    // A second build is a second domain, with its own console; both go.
    let twice = build::build(&xen, &xs, &spec("xenrs-built-2", 16, &image)).unwrap();
    assert_ne!(twice.domid, built.domid);
    console_picked_up(&xs, twice.domid);
    for d in [built.domid, twice.domid] {
        xen.destroy(d).unwrap();
        // What `xenrs destroy` does after Xen: the home goes.
        xs.rm(&format!("/local/domain/{}", d.get())).unwrap();
    }
    before.nothing_left(&xen, &xs, "built and destroyed");
    assert!(
        matches!(
            xen.domain_info(built.domid),
            Err(toolstack::Error::NoSuchDomain(_))
        ),
        "the domain is gone"
    );
}

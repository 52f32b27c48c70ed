// SPDX-License-Identifier: MIT OR Apache-2.0
//! The arm64 self-tests: what Xen's device tree says ([`dt`]), every
//! in-guest hypercall wrapper that exists on Arm and the ones that must not
//! ([`hypercalls`]), event channels through xen-evtchn with delivery on the
//! device tree's PPI ([`events`]), and grants through xen-grant over the
//! device tree's grant-table region ([`grants`]).
//!
//! Each group has its own `PLAN` and makes exactly that many checks,
//! whatever happens; the harness fails a run whose checks do not add up.

pub mod dt;
pub mod events;
pub mod grants;
pub mod hypercalls;

use xen_abi::io::shm::SharedMem;
use xen_abi::memory::MapSpace;
use xen_abi::xen::{DomId, Gfn};
use xen_hypercall::arch::aarch64::Hvc;

use super::mmu;
use super::pages::{page_mem, TestPage};
use crate::{arm_page_addr, println, Tester};

/// Checks `run` makes.
pub const PLAN: u32 = 3 + dt::PLAN + hypercalls::PLAN + events::PLAN + grants::PLAN;

/// The page shared_info is mapped over (`XENMAPSPACE_shared_info`: on Arm
/// the guest picks the frame, as on PVH).
static mut SHARED_INFO_PAGE: TestPage = TestPage::new();

/// What the groups share.
#[derive(Debug)]
pub struct Ctx {
    /// The hypercall backend.
    pub hc: Hvc,
    /// What the device tree said.
    pub dt: dt::Facts,
    /// shared_info, once mapped.
    pub shared: Option<SharedMem<'static>>,
}

/// Maps shared_info over our page with `XENMEM_add_to_physmap`.
fn map_shared_info(hc: &Hvc) -> Result<SharedMem<'static>, xen_abi::Errno> {
    let addr = arm_page_addr!(SHARED_INFO_PAGE);
    // SAFETY: our own page, used for nothing else: from now on it is Xen's
    // shared_info frame, reached only through the handle below.
    unsafe {
        xen_hypercall::memory::add_to_physmap(
            hc,
            DomId::SELF,
            MapSpace::SHARED_INFO,
            0,
            Gfn::containing(addr),
            0,
        )
    }?;
    // SAFETY: as above; a static page that stays mapped.
    unsafe { page_mem(addr) }.ok_or(xen_abi::Errno::EINVAL)
}

/// Turns the MMU on with the 1:1 map: blocks with RAM or the grant region
/// Normal write-back (as Xen's Arm ABI wants shared memory), the rest
/// Device; then checks what the translation says.
fn identity_map(t: &mut Tester, facts: &dt::Facts) {
    const GIB: u64 = 1 << 30;
    let normal = |block: u64| {
        facts
            .banks
            .iter()
            .chain(facts.grant_region.iter())
            .any(|&(b, s)| b < block + GIB && block < b.saturating_add(s))
    };
    let head = (&raw const dt::IMAGE_START) as u64;
    let fits = facts
        .banks
        .iter()
        .chain(facts.grant_region.iter())
        .all(|&(b, s)| b.saturating_add(s) <= 512 * GIB);
    if !fits || !normal(head & !(GIB - 1)) {
        t.check(
            "mmu: identity map",
            false,
            format_args!("not enabled: image at {head:#x}, banks {:x?}", facts.banks),
        );
        return;
    }
    // SAFETY: everything the kernel touches is below 512 GiB (checked
    // above for RAM and the grant region; the GIC is in the first GiB) and
    // its RAM is in Normal blocks; IRQs are masked.
    let sctlr = unsafe { mmu::enable(normal) };
    let ram = mmu::translate(head);
    let gic = facts
        .gic
        .map(|g| (g.gicd as u64, mmu::translate(g.gicd as u64)));
    t.check(
        "mmu: identity map on, RAM Normal write-back, GIC Device",
        sctlr & 0b101 == 0b101
            && ram
                == mmu::Translation {
                    pa: Some(head),
                    attr: 0xff,
                }
            && matches!(gic, Some((a, tr)) if tr == mmu::Translation { pa: Some(a), attr: 0 }),
        format_args!("SCTLR_EL1 {sctlr:#x}; image {head:#x} -> {ram:x?}; GIC {gic:x?}"),
    );
}

/// Reads guest-physical address 384 GiB, which nothing maps (Device in our
/// stage 1, absent from Xen's stage 2): Xen injects a data abort, which our
/// vector reports before crashing the domain.
fn inject_fault() {
    println!("xen-test-kernel: xenrs.fault=abort: reading unmapped address 0x60_0000_0000");
    // SAFETY: not safe at all on purpose: the read faults (stage-2 abort
    // injected by Xen) and the vector never returns.
    let v = unsafe { core::ptr::read_volatile(0x60_0000_0000 as *const u64) };
    println!("xen-test-kernel: the read returned {v:#x}");
}

/// Runs every check; true when all passed.
pub fn run(dtb: usize, unknown_relocations: u64) -> bool {
    println!("xen-test-kernel: booted as arm64 dom0, device tree at {dtb:#x}");
    let hc = Hvc;
    let mut t = Tester::new(PLAN);
    t.check(
        "boot: self-relocation",
        unknown_relocations == 0,
        format_args!("{unknown_relocations} relocations of a type other than R_AARCH64_RELATIVE"),
    );
    let facts = dt::run(&mut t, dtb);
    identity_map(&mut t, &facts);
    if facts.inject_fault {
        inject_fault();
    }
    let shared = map_shared_info(&hc);
    t.check(
        "memory_op: add_to_physmap(XENMAPSPACE_shared_info)",
        shared.is_ok(),
        format_args!(
            "over our page {:#x}: {:?}",
            arm_page_addr!(SHARED_INFO_PAGE),
            shared.map(|m| m.addr())
        ),
    );
    let cx = Ctx {
        hc,
        dt: facts,
        shared: shared.ok(),
    };
    hypercalls::run(&mut t, &cx);
    events::run(&mut t, &cx);
    grants::run(&mut t, &cx);
    t.finish() && t.checks() == PLAN
}

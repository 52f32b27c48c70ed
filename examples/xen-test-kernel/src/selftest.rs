// SPDX-License-Identifier: MIT OR Apache-2.0
//! The self-tests: every in-guest wrapper of xen-hypercall, against real Xen.
//!
//! Each group lives in its own file with its own `PLAN` (the number of checks
//! it makes, whatever the platform); the harness fails a run whose checks do
//! not add up to the plan.

use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use xen_abi::memory::{op as memory_op, AddToPhysmap, MapSpace};
use xen_abi::physdev::{self, SetIopl};
use xen_abi::sched::{self, Shutdown, ShutdownReason};
use xen_abi::xen::{DomId, Gfn, HypercallOp, SharedInfo, UvmFlags};
use xen_hypercall::Hypercall;
use zerocopy::IntoBytes;

use crate::{println, Tester};

pub mod cpu;
pub mod events;
pub mod grants;
pub mod memory;
pub mod xen_info;

/// How the kernel was booted.
#[derive(Debug, Clone, Copy)]
pub enum Platform {
    /// x86_64 PV: `start_info` as Xen passed it.
    Pv {
        /// Xen's start_info page.
        start_info: *const xen_abi::xen::StartInfo,
    },
    /// x86_64 PVH: `hvm_start_info` (identity-mapped).
    Pvh {
        /// Xen's hvm_start_info.
        start_info: *const xen_abi::hvm::start_info::StartInfo,
        /// Xen's CPUID leaves.
        cpuid: xen_hypercall::arch::x86_64::XenCpuid,
    },
}

impl Platform {
    /// True for PV.
    pub fn is_pv(&self) -> bool {
        matches!(self, Platform::Pv { .. })
    }
}

/// What the checks share.
#[derive(Debug)]
pub struct Ctx<'a, H: Hypercall> {
    /// The backend.
    pub hc: &'a H,
    /// How we booted.
    pub platform: Platform,
    /// The shared_info page, once mapped.
    pub shared: Option<SharedInfoPage>,
}

/// Total number of checks `run` makes.
pub const PLAN: u32 = 1 + xen_info::PLAN + events::PLAN + memory::PLAN + grants::PLAN + cpu::PLAN;

/// A page-aligned page of our own address space that the shared_info frame
/// is mapped over.
#[repr(C, align(4096))]
struct Page([u8; 4096]);

#[unsafe(no_mangle)]
static mut SHARED_INFO_PAGE: Page = Page([0; 4096]);

/// The shared_info page, touched only through atomics (Xen writes it).
#[derive(Debug, Clone, Copy)]
pub struct SharedInfoPage(*mut u8);

impl SharedInfoPage {
    fn word(&self, offset: usize) -> &AtomicU64 {
        // SAFETY: `offset` is an 8-aligned offset inside the mapped page,
        // which stays mapped for the kernel's lifetime; Xen accesses it
        // atomically too.
        unsafe { AtomicU64::from_ptr(self.0.add(offset).cast()) }
    }

    fn byte(&self, offset: usize) -> &AtomicU8 {
        // SAFETY: as `word`, for a byte inside the page.
        unsafe { AtomicU8::from_ptr(self.0.add(offset)) }
    }

    fn pending_offset(port: u32) -> usize {
        core::mem::offset_of!(SharedInfo, evtchn_pending) + (port as usize / 64) * 8
    }

    fn mask_offset(port: u32) -> usize {
        core::mem::offset_of!(SharedInfo, evtchn_mask) + (port as usize / 64) * 8
    }

    /// Is `port` pending (2-level ABI)?
    pub fn pending(&self, port: u32) -> bool {
        self.word(Self::pending_offset(port)).load(Ordering::SeqCst) & (1 << (port % 64)) != 0
    }

    /// Clears `port`'s pending bit.
    pub fn clear_pending(&self, port: u32) {
        self.word(Self::pending_offset(port))
            .fetch_and(!(1 << (port % 64)), Ordering::SeqCst);
    }

    /// Is `port` masked?
    pub fn masked(&self, port: u32) -> bool {
        self.word(Self::mask_offset(port)).load(Ordering::SeqCst) & (1 << (port % 64)) != 0
    }

    /// Masks `port`.
    pub fn mask(&self, port: u32) {
        self.word(Self::mask_offset(port))
            .fetch_or(1 << (port % 64), Ordering::SeqCst);
    }

    /// vCPU 0's `evtchn_upcall_mask`.
    pub fn upcall_mask(&self) -> &AtomicU8 {
        self.byte(
            core::mem::offset_of!(SharedInfo, vcpu_info)
                + core::mem::offset_of!(xen_abi::xen::VcpuInfo, evtchn_upcall_mask),
        )
    }

    /// vCPU 0's `evtchn_upcall_pending`.
    pub fn upcall_pending(&self) -> &AtomicU8 {
        self.byte(
            core::mem::offset_of!(SharedInfo, vcpu_info)
                + core::mem::offset_of!(xen_abi::xen::VcpuInfo, evtchn_upcall_pending),
        )
    }

    /// `wc_version` (wall-clock version counter).
    pub fn wc_version(&self) -> u32 {
        let off = core::mem::offset_of!(SharedInfo, wc_version);
        (self.word(off & !7).load(Ordering::SeqCst) >> ((off % 8) * 8)) as u32
    }

    /// vCPU 0's `vcpu_time_info.system_time` (ns since boot, as of the last
    /// update).
    pub fn system_time(&self) -> u64 {
        let off = core::mem::offset_of!(SharedInfo, vcpu_info)
            + core::mem::offset_of!(xen_abi::xen::VcpuInfo, time)
            + core::mem::offset_of!(xen_abi::xen::VcpuTimeInfo, system_time);
        self.word(off).load(Ordering::SeqCst)
    }
}

/// Maps shared_info into our address space: PV by `update_va_mapping` of our
/// page to the machine frame `start_info.shared_info` names, PVH by
/// `XENMEM_add_to_physmap(XENMAPSPACE_shared_info)` over our page's frame.
/// Raw hypercalls on purpose: the typed wrappers get checked against this.
fn map_shared_info(hc: &impl Hypercall, platform: Platform) -> Result<SharedInfoPage, isize> {
    let va = (&raw mut SHARED_INFO_PAGE) as *mut u8;
    let ret = match platform {
        Platform::Pv { start_info } => {
            // SAFETY: Xen's start_info page stays mapped.
            let ma = unsafe { (*start_info).shared_info };
            let pte = (ma & !0xfff) | 0x67; // present, rw, user, accessed, dirty
            let args = [va as u64, pte, UvmFlags::INVLPG.bits(), 0, 0];
            // SAFETY: remaps our own page.
            unsafe { hc.hypercall5(HypercallOp::UPDATE_VA_MAPPING, args) }
        }
        Platform::Pvh { .. } => {
            let mut arg = AddToPhysmap {
                domid: DomId::SELF,
                size: 0,
                space: MapSpace::SHARED_INFO,
                idx: 0,
                gpfn: Gfn::containing(va as u64),
            };
            hc.with_buffer(arg.as_mut_bytes(), |a| {
                let args = [u64::from(memory_op::ADD_TO_PHYSMAP), a, 0, 0, 0];
                // SAFETY: XENMEM_add_to_physmap over our own page.
                unsafe { hc.hypercall5(HypercallOp::MEMORY_OP, args) }
            })
        }
    };
    if ret == 0 {
        Ok(SharedInfoPage(va))
    } else {
        Err(ret)
    }
}

/// Runs every check; true when all passed.
pub fn run(hc: &impl Hypercall, platform: Platform) -> bool {
    println!(
        "xen-test-kernel: booted as {}",
        if platform.is_pv() { "PV" } else { "PVH" }
    );
    if platform.is_pv() {
        // I/O privilege for QEMU's debug-exit port (PHYSDEVOP_set_iopl); the
        // typed wrapper is checked again in xen_info.
        let mut iopl = SetIopl { iopl: 1 };
        hc.with_buffer(iopl.as_mut_bytes(), |a| {
            let args = [u64::from(physdev::op::SET_IOPL), a, 0, 0, 0];
            // SAFETY: PHYSDEVOP_set_iopl reads a `physdev_set_iopl` at `a`.
            unsafe { hc.hypercall5(HypercallOp::PHYSDEV_OP, args) }
        });
    }
    let mut t = Tester::new(PLAN);
    let shared = map_shared_info(hc, platform);
    t.check(
        "map shared_info",
        shared.is_ok(),
        format_args!(
            "{}",
            if platform.is_pv() {
                "update_va_mapping"
            } else {
                "add_to_physmap"
            }
        ),
    );
    let shared = shared.ok();
    if let Some(s) = &shared {
        // No upcall handler is installed: keep events from being delivered.
        s.upcall_mask().store(1, Ordering::SeqCst);
    }
    let cx = Ctx {
        hc,
        platform,
        shared,
    };
    xen_info::run(&mut t, &cx);
    events::run(&mut t, &cx);
    memory::run(&mut t, &cx);
    grants::run(&mut t, &cx);
    cpu::run(&mut t, &cx);
    t.finish()
}

/// Shuts the machine down (dom0 `SCHEDOP_shutdown`, reboot: with QEMU's
/// `-no-reboot` that ends QEMU).
pub fn power_off(hc: &impl Hypercall) -> ! {
    let mut arg = Shutdown {
        reason: ShutdownReason::REBOOT,
    };
    hc.with_buffer(arg.as_mut_bytes(), |a| {
        let args = [u64::from(sched::op::SHUTDOWN), a, 0, 0, 0];
        // SAFETY: SCHEDOP_shutdown reads a `sched_shutdown` at `a`.
        unsafe { hc.hypercall5(HypercallOp::SCHED_OP, args) }
    });
    loop {
        core::hint::spin_loop();
    }
}

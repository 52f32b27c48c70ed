// SPDX-License-Identifier: MIT OR Apache-2.0
//! The self-tests: every in-guest wrapper of xen-hypercall, against real Xen.
//!
//! Each group lives in its own file with its own `PLAN` (the number of checks
//! it makes, whatever the platform); the harness fails a run whose checks do
//! not add up to the plan.

use core::mem::offset_of;
use core::ptr::NonNull;

use xen_abi::io::shm::{Ordering, SharedMem};
use xen_abi::memory::{op as memory_op, AddToPhysmap, MapSpace};
use xen_abi::physdev::{self, SetIopl};
use xen_abi::sched::{self, Shutdown, ShutdownReason};
use xen_abi::xen::{DomId, Gfn, HypercallOp, SharedInfo, UvmFlags, VcpuInfo, VcpuTimeInfo};
use xen_hypercall::Hypercall;
use zerocopy::IntoBytes;

use crate::{println, Tester};

pub mod cpu;
pub mod events;
pub mod evtchn;
pub mod grant;
pub mod grant_pages;
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
pub const PLAN: u32 = 1
    + xen_info::PLAN
    + events::PLAN
    + evtchn::PLAN
    + memory::PLAN
    + grants::PLAN
    + grant::PLAN
    + cpu::PLAN;

/// A page-aligned page of our own address space that the shared_info frame
/// is mapped over.
#[repr(C, align(4096))]
struct Page([u8; 4096]);

#[unsafe(no_mangle)]
static mut SHARED_INFO_PAGE: Page = Page([0; 4096]);

/// The shared_info page (Xen writes it), touched only through [`SharedMem`].
#[derive(Debug, Clone, Copy)]
pub struct SharedInfoPage(SharedMem<'static>);

/// Byte offset of the 64-bit word of a 2-level bitmap holding `port`, and
/// the port's bit in it.
fn bit_of(bitmap: usize, port: u32) -> (usize, u64) {
    (bitmap + (port as usize / 64) * 8, 1 << (port % 64))
}

const PENDING: usize = offset_of!(SharedInfo, evtchn_pending);
const MASK: usize = offset_of!(SharedInfo, evtchn_mask);
const VCPU0: usize = offset_of!(SharedInfo, vcpu_info);

impl SharedInfoPage {
    /// The whole page.
    pub fn mem(&self) -> SharedMem<'static> {
        self.0
    }

    /// Whether bit `port` of the bitmap at `bitmap` is set (an offset past
    /// the page reads as clear).
    fn test(&self, bitmap: usize, port: u32) -> bool {
        let (off, bit) = bit_of(bitmap, port);
        self.0
            .load_u64(off, Ordering::SeqCst)
            .is_ok_and(|w| w & bit != 0)
    }

    /// Is `port` pending (2-level ABI)?
    pub fn pending(&self, port: u32) -> bool {
        self.test(PENDING, port)
    }

    /// Clears `port`'s pending bit.
    pub fn clear_pending(&self, port: u32) {
        let (off, bit) = bit_of(PENDING, port);
        let _ = self.0.fetch_and_u64(off, !bit, Ordering::SeqCst);
    }

    /// Is `port` masked?
    pub fn masked(&self, port: u32) -> bool {
        self.test(MASK, port)
    }

    /// Masks `port`.
    pub fn mask(&self, port: u32) {
        let (off, bit) = bit_of(MASK, port);
        let _ = self.0.fetch_or_u64(off, bit, Ordering::SeqCst);
    }

    /// Sets vCPU 0's `evtchn_upcall_mask`.
    pub fn set_upcall_mask(&self, masked: bool) {
        let off = VCPU0 + offset_of!(VcpuInfo, evtchn_upcall_mask);
        let _ = self.0.store_u8(off, u8::from(masked), Ordering::SeqCst);
    }

    /// vCPU 0's `evtchn_upcall_pending`.
    pub fn upcall_pending(&self) -> bool {
        let off = VCPU0 + offset_of!(VcpuInfo, evtchn_upcall_pending);
        self.0.load_u8(off, Ordering::SeqCst).is_ok_and(|b| b != 0)
    }

    /// `wc_version` (wall-clock version counter).
    pub fn wc_version(&self) -> u32 {
        let off = offset_of!(SharedInfo, wc_version);
        self.0.load_u32(off, Ordering::SeqCst).unwrap_or(0)
    }

    /// vCPU 0's `vcpu_time_info.system_time` (ns since boot, as of the last
    /// update).
    pub fn system_time(&self) -> u64 {
        let off = VCPU0 + offset_of!(VcpuInfo, time) + offset_of!(VcpuTimeInfo, system_time);
        self.0.load_u64(off, Ordering::SeqCst).unwrap_or(0)
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
    if ret != 0 {
        return Err(ret);
    }
    let va = NonNull::new(va).ok_or(ret)?;
    // SAFETY: our page-aligned static page, now Xen's shared_info frame,
    // stays mapped for the kernel's lifetime and is only reached through
    // this handle (atomics); Xen writes it concurrently, which `SharedMem`
    // tolerates.
    unsafe { SharedMem::new(va, 4096) }
        .map(SharedInfoPage)
        .map_err(|_| ret)
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
        s.set_upcall_mask(true);
    }
    let cx = Ctx {
        hc,
        platform,
        shared,
    };
    xen_info::run(&mut t, &cx);
    events::run(&mut t, &cx);
    evtchn::run(&mut t, &cx);
    memory::run(&mut t, &cx);
    grants::run(&mut t, &cx);
    grant::run(&mut t, &cx);
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

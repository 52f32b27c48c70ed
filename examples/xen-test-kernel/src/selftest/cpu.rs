// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests: vCPU operations (`VCPUOP_*`), the PV MMU hypercalls and
//! multicalls.

use core::ptr::NonNull;

use xen_abi::io::shm::{Ordering, SharedMem};
use xen_abi::vcpu::{RunState, RunstateInfo, SingleshotFlags};
use xen_abi::version::XenVersion;
use xen_abi::xen::{
    DomId, Gfn, HypercallOp, Mfn, MmuUpdate, MmuUpdateCmd, MmuextCmd, MmuextOp, UvmFlags, VcpuId,
    VcpuInfo, VcpuTimeInfo,
};
use xen_abi::Errno;
use xen_hypercall::mmu::{self, Incomplete};
use xen_hypercall::multicall::Multicall;
use xen_hypercall::{vcpu, Hypercall};
use zerocopy::{FromBytes, IntoBytes};

use super::memory::{fill, frame_of, page_mem, peek, pv_pfn, TestPage, PTE_RW};
use super::{Ctx, Platform};
use crate::{page_addr, Tester};

/// Checks this group makes.
pub const PLAN: u32 = 21;

/// Where Xen keeps our runstate once registered.
static mut RUNSTATE_PAGE: TestPage = TestPage::new();
/// Where Xen keeps a second copy of our time info.
static mut TIME_PAGE: TestPage = TestPage::new();
/// Where vCPU 0's vcpu_info moves.
static mut VCPU_INFO_PAGE: TestPage = TestPage::new();
/// Two pages the MMU checks remap.
static mut MMU_PAGE_A: TestPage = TestPage::new();
static mut MMU_PAGE_B: TestPage = TestPage::new();

/// Where Xen maps the machine-to-physical table for 64-bit PV guests.
const M2P_BASE: u64 = 0xffff_8000_0000_0000;

/// A copy of a `T` at the start of test page `va` (Xen writes it).
fn snapshot<T: FromBytes + IntoBytes>(va: u64) -> T {
    page_mem(va).read(0).unwrap_or_else(|_| T::new_zeroed())
}

/// Entry `mfn` of the machine-to-physical table Xen maps read-only for PV
/// guests at `M2P_BASE` (`u64::MAX` if unreadable).
fn m2p_entry(mfn: u64) -> u64 {
    let Some(p) = NonNull::new((M2P_BASE + mfn * 8) as *mut u8) else {
        return u64::MAX;
    };
    // SAFETY: Xen keeps the M2P mapped read-only at M2P_BASE for as long as
    // we run, and writes it only atomically.
    let entry = unsafe { SharedMem::new_read_only(p, 8) };
    entry
        .and_then(|e| e.load_u64(0, Ordering::Relaxed))
        .unwrap_or(u64::MAX)
}

/// Runs the group.
pub fn run<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    vcpus(t, cx);
    mmu_checks(t, cx);
    multicall(t, cx);
}

fn vcpus<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    let hc = cx.hc;
    let pv = cx.platform.is_pv();

    // 1, 2. is_up.
    let up = vcpu::is_up(hc, VcpuId::BOOT);
    t.check(
        "vcpu: is_up(0)",
        up == Ok(true),
        format_args!("Xen said {up:?}"),
    );
    let up1 = vcpu::is_up(hc, VcpuId::new(1));
    t.check_err("vcpu: is_up(1) with dom0_max_vcpus=1", &up1, Errno::ENOENT);

    // 3, 4. Runstate: we are running, and time only grows.
    let r1 = vcpu::get_runstate_info(hc, VcpuId::BOOT);
    t.check(
        "vcpu: get_runstate_info",
        matches!(r1, Ok(i) if i.state == RunState::RUNNING && i.time[0] > 0),
        format_args!("Xen said {r1:?}"),
    );
    let r2 = vcpu::get_runstate_info(hc, VcpuId::BOOT);
    let (a, b) = (r1.unwrap_or_default(), r2.unwrap_or_default());
    t.check(
        "vcpu: runstate times monotonic",
        r2.is_ok() && b.time[0] > a.time[0] && b.entry_time() >= a.entry_time(),
        format_args!(
            "running {} -> {} ns, entered at {} -> {}",
            a.time[0],
            b.time[0],
            a.entry_time(),
            b.entry_time()
        ),
    );

    // 5. A registered runstate area is written at once.
    let area = page_addr!(RUNSTATE_PAGE);
    fill(area, 0xff);
    // SAFETY: RUNSTATE_PAGE is dedicated to Xen's writes; unregistered below.
    let r = unsafe { vcpu::register_runstate_memory_area(hc, VcpuId::BOOT, area) };
    let seen: RunstateInfo = snapshot(area);
    // SAFETY: unregistering (address 0) stops Xen's writes.
    let off = unsafe { vcpu::register_runstate_memory_area(hc, VcpuId::BOOT, 0) };
    t.check(
        "vcpu: register_runstate_memory_area",
        r.is_ok()
            && off.is_ok()
            && seen.state == RunState::RUNNING
            && seen.entry_time() >= b.entry_time()
            && seen.time[0] <= b.time[0]
            && seen.time[1] >= b.time[1]
            && seen.time[3] == b.time[3],
        format_args!(
            "registered {area:#x}: {r:?}; Xen wrote {:?} since {} ns (offline {} ns, get_runstate_info said {}); unregister {off:?}",
            seen.state,
            seen.entry_time(),
            seen.time[3],
            b.time[3]
        ),
    );
    let now = cx.shared.map_or(seen.entry_time(), |s| {
        s.system_time().max(seen.entry_time())
    });

    // 6-8. Single-shot timer.
    let r = vcpu::set_singleshot_timer(
        hc,
        VcpuId::BOOT,
        now + 1_000_000_000,
        SingleshotFlags::FUTURE,
    );
    t.check(
        "vcpu: set_singleshot_timer(now + 1 s)",
        r.is_ok(),
        format_args!("Xen said {r:?}"),
    );
    // Xen ignores VCPU_SSHOTTMR_future (the header allows it): a past
    // timeout just fires at once.
    let r = vcpu::set_singleshot_timer(hc, VcpuId::BOOT, 1, SingleshotFlags::FUTURE);
    t.check(
        "vcpu: set_singleshot_timer(past, FUTURE)",
        r.is_ok(),
        format_args!("Xen said {r:?} (FUTURE is ignored, no ETIME)"),
    );
    let r = vcpu::stop_singleshot_timer(hc, VcpuId::BOOT);
    t.check(
        "vcpu: stop_singleshot_timer",
        r.is_ok(),
        format_args!("Xen said {r:?}"),
    );

    // 9-11. Periodic timer.
    let r = vcpu::set_periodic_timer(hc, VcpuId::BOOT, 10_000_000);
    t.check(
        "vcpu: set_periodic_timer(10 ms)",
        r.is_ok(),
        format_args!("Xen said {r:?}"),
    );
    let r = vcpu::set_periodic_timer(hc, VcpuId::BOOT, 1_000);
    t.check_err("vcpu: set_periodic_timer(1 us)", &r, Errno::EINVAL);
    let r = vcpu::stop_periodic_timer(hc, VcpuId::BOOT);
    t.check(
        "vcpu: stop_periodic_timer",
        r.is_ok(),
        format_args!("Xen said {r:?}"),
    );

    // 12. get_physid: only for a vCPU pinned to one CPU.
    let r = vcpu::get_physid(hc, VcpuId::BOOT);
    t.check(
        "vcpu: get_physid",
        matches!(r, Ok(p) if p.x86_apic_id() == 0 && p.x86_acpi_id() == 0),
        format_args!("Xen said {r:?} (one-CPU machine: APIC and ACPI id 0)"),
    );

    // 13. Secondary time area, filled at once.
    let tva = page_addr!(TIME_PAGE);
    fill(tva, 0);
    // SAFETY: TIME_PAGE is dedicated to Xen's writes for the kernel's life.
    let r = unsafe { vcpu::register_time_memory_area(hc, VcpuId::BOOT, tva) };
    let ti: VcpuTimeInfo = snapshot(tva);
    let shared_time = cx.shared.map(|s| s.system_time());
    t.check(
        "vcpu: register_vcpu_time_memory_area",
        r.is_ok()
            && ti.system_time > 0
            && ti.version.is_multiple_of(2)
            && ti.tsc_to_system_mul != 0
            && shared_time.is_none_or(|s| s == ti.system_time),
        format_args!(
            "registered {tva:#x}: {r:?}; Xen wrote system_time {} ns, version {}; shared_info says {shared_time:?}",
            ti.system_time, ti.version
        ),
    );

    // 14, 15. Move vcpu_info out of shared_info: Xen copies it over.
    let vva = page_addr!(VCPU_INFO_PAGE);
    fill(vva, 0);
    let frame = Gfn::new_unchecked(frame_of(cx.platform, vva));
    // SAFETY: VCPU_INFO_PAGE is dedicated to vCPU 0's vcpu_info for good.
    let r = unsafe { vcpu::register_vcpu_info(hc, VcpuId::BOOT, frame, 64) };
    let vi: VcpuInfo = snapshot(vva + 64);
    t.check(
        "vcpu: register_vcpu_info",
        r.is_ok() && vi.evtchn_upcall_mask == 1 && vi.time.system_time >= ti.system_time,
        format_args!(
            "moved to frame {frame:#x}+64 ({}): {r:?}; copied upcall_mask {}, system_time {}",
            if pv { "mfn" } else { "gfn" },
            vi.evtchn_upcall_mask,
            vi.time.system_time
        ),
    );
    // SAFETY: refused: already registered.
    let again = unsafe { vcpu::register_vcpu_info(hc, VcpuId::BOOT, frame, 128) };
    let want = if super::memory::xen_version(hc) >= XenVersion::new(4, 20) {
        Errno::EBUSY
    } else {
        Errno::EINVAL
    };
    t.check_err("vcpu: register_vcpu_info twice", &again, want);
}

fn mmu_checks<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    let hc = cx.hc;
    let a = page_addr!(MMU_PAGE_A);
    let b = page_addr!(MMU_PAGE_B);
    fill(a, 0xaa);
    fill(b, 0xbb);
    match cx.platform {
        Platform::Pv { .. } => {
            let (ma, mb) = (frame_of(cx.platform, a), frame_of(cx.platform, b));
            // 16. Point A's address at B's frame, read B's bytes, restore.
            // SAFETY: both pages are dedicated to this test; A is restored.
            let r1 =
                unsafe { mmu::update_va_mapping(hc, a, (mb << 12) | PTE_RW, UvmFlags::INVLPG) };
            let via_a = peek(a, 17);
            // SAFETY: as above.
            let r2 =
                unsafe { mmu::update_va_mapping(hc, a, (ma << 12) | PTE_RW, UvmFlags::INVLPG) };
            let back = peek(a, 17);
            t.check(
                "mmu: update_va_mapping",
                r1.is_ok() && r2.is_ok() && via_a == 0xbb && back == 0xaa,
                format_args!("A -> mfn {mb:#x}: {r1:?}, read {via_a:#x}; back to {ma:#x}: {r2:?}, read {back:#x}"),
            );

            // 17. MMU_MACHPHYS_UPDATE: rewrite A's M2P entry, read the M2P.
            let pfn = pv_pfn(a);
            let mut req = [MmuUpdate::new(MmuUpdateCmd::MACHPHYS_UPDATE, ma << 12, pfn)];
            // SAFETY: sets A's M2P entry to the value it already has.
            let r = unsafe { mmu::mmu_update(hc, &mut req, DomId::SELF) };
            let m2p = m2p_entry(ma);
            t.check(
                "mmu: mmu_update(MACHPHYS_UPDATE)",
                r == Ok(1) && m2p == pfn,
                format_args!("m2p[{ma:#x}] = {pfn:#x}: {r:?}; M2P reads {m2p:#x}"),
            );

            // 18. An update of a frame we do not own.
            let mut bad = [MmuUpdate::new(
                MmuUpdateCmd::NORMAL_PT_UPDATE,
                0xffff_ffff_f000,
                0,
            )];
            // SAFETY: refused: the frame is not ours.
            let r = unsafe { mmu::mmu_update(hc, &mut bad, DomId::SELF) };
            t.check(
                "mmu: mmu_update(foreign frame)",
                r == Err(Incomplete {
                    errno: Errno::EINVAL,
                    done: 0,
                }),
                format_args!("Xen said {r:?}"),
            );

            // 19. Local flushes.
            let mut inv = MmuextOp::new(MmuextCmd::INVLPG_LOCAL);
            inv.set_linear_addr(a);
            let mut ops = [MmuextOp::new(MmuextCmd::TLB_FLUSH_LOCAL), inv];
            // SAFETY: flushes only.
            let r = unsafe { mmu::mmuext_op(hc, &mut ops, DomId::SELF) };
            t.check(
                "mmu: mmuext_op(TLB_FLUSH_LOCAL, INVLPG_LOCAL)",
                r == Ok(2),
                format_args!("Xen said {r:?}"),
            );

            // 20. Pinning a writable data page as an L1 table is refused.
            let mut pin = MmuextOp::new(MmuextCmd::PIN_L1_TABLE);
            pin.set_mfn(Mfn::new_unchecked(ma));
            let mut unpin = MmuextOp::new(MmuextCmd::UNPIN_TABLE);
            unpin.set_mfn(Mfn::new_unchecked(ma));
            let mut ops = [unpin, pin];
            // SAFETY: both refused: A is a mapped, writable, unpinned page.
            let r = unsafe { mmu::mmuext_op(hc, &mut ops, DomId::SELF) };
            t.check(
                "mmu: mmuext_op(UNPIN/PIN of a data page)",
                r == Err(Incomplete {
                    errno: Errno::EINVAL,
                    done: 0,
                }),
                format_args!("Xen said {r:?}"),
            );
        }
        Platform::Pvh { .. } => {
            // SAFETY: PVH has no PV MMU: every call is refused.
            let r = unsafe { mmu::update_va_mapping(hc, a, 0, UvmFlags::INVLPG) };
            t.check_err("mmu: update_va_mapping on PVH", &r, Errno::ENOSYS);
            let mut req = [MmuUpdate::new(MmuUpdateCmd::MACHPHYS_UPDATE, a, a >> 12)];
            // SAFETY: as above.
            let r = unsafe { mmu::mmu_update(hc, &mut req, DomId::SELF) }.map_err(Errno::from);
            t.check_err("mmu: mmu_update on PVH", &r, Errno::ENOSYS);
            let mut bad = [MmuUpdate::new(
                MmuUpdateCmd::NORMAL_PT_UPDATE,
                0xffff_ffff_f000,
                0,
            )];
            // SAFETY: as above.
            let r = unsafe { mmu::mmu_update(hc, &mut bad, DomId::SELF) }.map_err(Errno::from);
            t.check_err("mmu: mmu_update(foreign frame) on PVH", &r, Errno::ENOSYS);
            let mut ops = [MmuextOp::new(MmuextCmd::TLB_FLUSH_LOCAL)];
            // SAFETY: as above.
            let r = unsafe { mmu::mmuext_op(hc, &mut ops, DomId::SELF) }.map_err(Errno::from);
            t.check_err("mmu: mmuext_op on PVH", &r, Errno::EINVAL);
            let mut pin = [MmuextOp::new(MmuextCmd::PIN_L1_TABLE)];
            pin[0].set_mfn(Mfn::containing(a));
            // SAFETY: as above.
            let r = unsafe { mmu::mmuext_op(hc, &mut pin, DomId::SELF) }.map_err(Errno::from);
            t.check_err("mmu: mmuext_op(PIN) on PVH", &r, Errno::EINVAL);
        }
    }
}

fn multicall<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    let hc = cx.hc;
    // The version straight from Xen, to compare with the batched one.
    // SAFETY: XENVER_version takes no argument.
    let direct = unsafe { hc.hypercall5(HypercallOp::XEN_VERSION, [0; 5]) };
    let mut batch = Multicall::<3>::new();
    // SAFETY: XENVER_version with a null argument and VCPUOP_is_up take no
    // memory.
    let pushed = unsafe {
        [
            batch.push(HypercallOp::XEN_VERSION, [0; 6]),
            batch.push(HypercallOp::VCPU_OP, [3, 0, 0, 0, 0, 0]),
            batch.push(HypercallOp::VCPU_OP, [3, 1, 0, 0, 0, 0]),
        ]
    };
    let ok_push = pushed == [Ok(0), Ok(1), Ok(2)];
    // 21.
    match batch.run(hc) {
        Ok(res) => {
            let got = [res.get(0), res.get(1), res.get(2)];
            t.check(
                "multicall: xen_version, is_up(0), is_up(1)",
                ok_push
                    && got
                        == [
                            Some(Ok(direct as usize)),
                            Some(Ok(1)),
                            Some(Err(Errno::ENOENT)),
                        ],
                format_args!("per-entry results {got:?}; direct xen_version {direct:#x}"),
            );
        }
        Err(e) => t.check(
            "multicall: xen_version, is_up(0), is_up(1)",
            false,
            format_args!("multicall itself failed: {e:?}"),
        ),
    }
}

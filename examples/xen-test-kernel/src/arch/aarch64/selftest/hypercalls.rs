// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests: the hypercalls an Arm guest has, through xen-hypercall's
//! `hvc` backend (xen_version, console_io, memory_op, vcpu_op, hvm_op,
//! sched_op, multicall), checked against what the device tree said; and
//! the ones it has not (Arm guests are auto-translated: no PV MMU ops, no
//! trap table, no I/O privilege).

use xen_abi::features;
use xen_abi::hvm::params::HvmParam;
use xen_abi::memory::MapSpace;
use xen_abi::vcpu::RunState;
use xen_abi::version::XenVersion;
use xen_abi::xen::{DomId, Gfn, HypercallOp, VcpuId};
use xen_abi::Errno;
use xen_hypercall::multicall::Multicall;
use xen_hypercall::{console, hvm, memory, physdev, sched, vcpu, version, Hypercall};

use super::super::pages::{page_mem, TestPage};
use super::Ctx;
use crate::{arm_page_addr, Tester};

/// Checks this group makes.
pub const PLAN: u32 = 24;

/// The page the runstate area is registered in.
static mut RUNSTATE_PAGE: TestPage = TestPage::new();

/// `Err(errno)` of a raw return value.
fn errno_of(ret: isize) -> Result<isize, Errno> {
    match Errno::from_ret(ret) {
        Some(e) => Err(e),
        None => Ok(ret),
    }
}

fn xen_version(t: &mut Tester, cx: &Ctx) {
    let hc = &cx.hc;
    let v = version::version(hc);
    t.check(
        "xen_version: XENVER_version matches the device tree",
        matches!(v, Ok(v) if Some(v) == cx.dt.version
            && (v == XenVersion::new(4, 17) || v == XenVersion::new(4, 20))),
        format_args!("{v:?}, device tree says {:?}", cx.dt.version),
    );
    let extra = version::extraversion(hc);
    t.check(
        "xen_version: XENVER_extraversion",
        matches!(&extra, Ok(e) if e.to_bytes().first() == Some(&b'.')),
        format_args!("{:?}", extra.as_ref().map(|e| e.to_str())),
    );
    let caps = version::capabilities(hc);
    let has = |c: &[u8], s: &[u8]| c.windows(s.len()).any(|w| w == s);
    t.check(
        "xen_version: XENVER_capabilities says aarch64",
        matches!(&caps, Ok(c) if has(c.to_bytes(), b"xen-3.0-aarch64")),
        format_args!("{:?}", caps.as_ref().map(|c| c.to_str())),
    );
    let f = version::get_features(hc, 0);
    // Auto-translated with native page tables, dom0, mapped 1:1 (an Arm
    // dom0's RAM is at its machine addresses).
    t.check(
        "xen_version: XENVER_get_features (auto-translated, 1:1 dom0)",
        matches!(&f, Ok(f) if f.has(features::AUTO_TRANSLATED_PHYSMAP)
            && f.has(features::WRITABLE_PAGE_TABLES)
            && f.has(features::DOM0)
            && f.has(features::DIRECT_MAPPED)
            && !f.has(features::NOT_DIRECT_MAPPED)
            && !f.has(features::HVM_CALLBACK_VECTOR)),
        format_args!("submap 0: {:#x?}", f.map(|f| f.submap)),
    );
    let f1 = version::get_features(hc, 1);
    t.check_err(
        "xen_version: XENVER_get_features(submap 1)",
        &f1.map(|f| f.submap),
        Errno::EINVAL,
    );
    let p = version::pagesize(hc);
    t.check(
        "xen_version: XENVER_pagesize",
        p == Ok(4096),
        format_args!("{p:?}"),
    );
    // SAFETY: XENVER sub-op 0x7fff does not exist; no argument is read.
    let r = errno_of(unsafe { hc.hypercall2(HypercallOp::XEN_VERSION, 0x7fff, 0) });
    t.check_err("xen_version: unknown sub-op", &r, Errno::ENOSYS);
}

fn console_io(t: &mut Tester, cx: &Ctx) {
    let hc = &cx.hc;
    let w = console::write(
        hc,
        b"xen-test-kernel: hello from arm64 through CONSOLEIO_write\n",
    );
    t.check_ok("console_io: CONSOLEIO_write", &w);
    let mut buf = [0u8; 64];
    let r = console::read(hc, &mut buf);
    t.check(
        "console_io: CONSOLEIO_read (dom0, nothing typed)",
        r == Ok(0),
        format_args!("{r:?}"),
    );
}

/// Arm guests are auto-translated: the PV-only hypercalls do not exist.
fn not_on_arm(t: &mut Tester, cx: &Ctx) {
    let hc = &cx.hc;
    let mut results = [Ok(0); 3];
    for (r, op) in results.iter_mut().zip([
        HypercallOp::MMU_UPDATE,
        HypercallOp::UPDATE_VA_MAPPING,
        HypercallOp::SET_TRAP_TABLE,
    ]) {
        // SAFETY: hypercalls Arm does not have: Xen reads no argument.
        *r = errno_of(unsafe { hc.hypercall5(op, [0; 5]) });
    }
    t.check(
        "no PV MMU ops: mmu_update, update_va_mapping, set_trap_table",
        results.iter().all(|r| *r == Err(Errno::ENOSYS)),
        format_args!("{results:?}"),
    );
    let iopl = physdev::set_iopl(hc, 1);
    t.check_err("physdev_op: PHYSDEVOP_set_iopl", &iopl, Errno::ENOSYS);
    // SAFETY: a hypercall number past the table; no argument is read.
    let r = errno_of(unsafe { hc.hypercall5(HypercallOp::new(63), [0; 5]) });
    t.check_err("hypercall 63 (past the table)", &r, Errno::ENOSYS);
}

fn memory_op(t: &mut Tester, cx: &Ctx) {
    let hc = &cx.hc;
    let cur = memory::current_reservation(hc, DomId::SELF);
    let ram: u64 = cx.dt.banks.iter().map(|b| b.1).sum();
    t.check(
        "memory_op: XENMEM_current_reservation is the device tree's RAM",
        cur.is_ok_and(|p| p > 0 && p == ram / 4096),
        format_args!("{cur:?} pages, device tree banks {} pages", ram / 4096),
    );
    let top = cx.dt.banks.iter().map(|b| b.0 + b.1).max().unwrap_or(0);
    let max = memory::maximum_gpfn(hc, DomId::SELF);
    t.check(
        "memory_op: XENMEM_maximum_gpfn covers the banks",
        max.is_ok_and(|m| top > 0 && m >= (top >> 12) - 1),
        format_args!("{max:?}, top of RAM {top:#x}"),
    );
    let page = arm_page_addr!(RUNSTATE_PAGE);
    // SAFETY: a mapping space Xen does not have: nothing is mapped.
    let r = unsafe {
        memory::add_to_physmap(
            hc,
            DomId::SELF,
            MapSpace::new(99),
            0,
            Gfn::containing(page),
            0,
        )
    };
    t.check_err("memory_op: add_to_physmap(bad space)", &r, Errno::ENOSYS);
}

fn vcpu_op(t: &mut Tester, cx: &Ctx) {
    let hc = &cx.hc;
    // Arm has VCPUOP_register_{vcpu_info,runstate_memory_area} only.
    let up = vcpu::is_up(hc, VcpuId::new(0));
    t.check_err("vcpu_op: VCPUOP_is_up (not on Arm)", &up, Errno::EINVAL);
    let page = arm_page_addr!(RUNSTATE_PAGE);
    // SAFETY: vCPU 99 does not exist; nothing is registered.
    let r = unsafe { vcpu::register_runstate_memory_area(hc, VcpuId::new(99), page) };
    t.check_err("vcpu_op: runstate area of vCPU 99", &r, Errno::ENOENT);
    // SAFETY: our own page, which Xen writes from now on and we only read
    // through `SharedMem`.
    let r = unsafe { vcpu::register_runstate_memory_area(hc, VcpuId::new(0), page) };
    // SAFETY: our static page.
    let mem = unsafe { page_mem(page) };
    let state = mem.and_then(|m| m.load_u32(0, xen_abi::io::shm::Ordering::SeqCst).ok());
    let entry = mem.and_then(|m| m.load_u64(8, xen_abi::io::shm::Ordering::SeqCst).ok());
    t.check(
        "vcpu_op: VCPUOP_register_runstate_memory_area",
        r.is_ok()
            && state == Some(RunState::RUNNING.get() as u32)
            && entry.is_some_and(|e| e & !(1 << 63) > 0),
        format_args!("{r:?}: state {state:?}, entered at {entry:?} ns"),
    );
}

fn hvm_op(t: &mut Tester, cx: &Ctx) {
    let hc = &cx.hc;
    let cb = hvm::get_param(hc, DomId::SELF, HvmParam::CALLBACK_IRQ);
    // HVM_PARAM_CALLBACK_TYPE_PPI (2) in bits 63:56, the PPI's flags in
    // 15:8, its interrupt id in 7:0.
    // The device tree's flags say level-sensitive, active low (8): the
    // parameter's flag for that is HVM_PARAM_CALLBACK_TYPE_PPI_FLAG_LOW_LEVEL.
    let want = cx.dt.evtchn_ppi.and_then(|(id, flags)| {
        (flags & 0xf == 8).then_some((2u64 << 56) | (2 << 8) | u64::from(id))
    });
    t.check(
        "hvm_op: HVM_PARAM_CALLBACK_IRQ is the device tree's PPI",
        matches!((cb, want), (Ok(v), Some(w)) if v == w),
        format_args!("{cb:x?}, device tree PPI {:?}", cx.dt.evtchn_ppi),
    );
    let bad = hvm::get_param(hc, DomId::SELF, HvmParam::new(HvmParam::COUNT));
    t.check_err(
        "hvm_op: HVMOP_get_param(HVM_NR_PARAMS)",
        &bad,
        Errno::EINVAL,
    );
    let flush = hvm::flush_tlbs(hc);
    t.check_err(
        "hvm_op: HVMOP_flush_tlbs (not on Arm)",
        &flush,
        Errno::ENOSYS,
    );
}

fn sched_and_multicall(t: &mut Tester, cx: &Ctx) {
    let hc = &cx.hc;
    t.check_ok("sched_op: SCHEDOP_yield", &sched::yield_now(hc));
    let r = sched::poll(
        hc,
        &[xen_abi::event_channel::EvtchnPort::new_unchecked(4000)],
        0,
    );
    t.check_err("sched_op: SCHEDOP_poll(bad port)", &r, Errno::EINVAL);
    let mut mc = Multicall::<3>::new();
    // SAFETY: xen_version(XENVER_version) and (unknown sub-op) read no
    // memory; the entries live in `mc`.
    let pushed = unsafe {
        mc.push(HypercallOp::XEN_VERSION, [0; 6]).is_ok()
            && mc
                .push(HypercallOp::XEN_VERSION, [0x7fff, 0, 0, 0, 0, 0])
                .is_ok()
            && mc.push(HypercallOp::XEN_VERSION, [0; 6]).is_ok()
    };
    let want = version::version(hc).map(|v| v.to_packed() as usize);
    let res = mc.run(hc).map(|r| [r.get(0), r.get(1), r.get(2)]);
    t.check(
        "multicall: three xen_version calls, per-call results",
        pushed
            && matches!(res, Ok([Some(Ok(a)), Some(Err(Errno::ENOSYS)), Some(Ok(c))])
                if Ok(a) == want && Ok(c) == want),
        format_args!("{res:?}, version {want:x?}"),
    );
}

/// Runs the group.
pub fn run(t: &mut Tester, cx: &Ctx) {
    xen_version(t, cx);
    console_io(t, cx);
    not_on_arm(t, cx);
    memory_op(t, cx);
    vcpu_op(t, cx);
    hvm_op(t, cx);
    sched_and_multicall(t, cx);
}

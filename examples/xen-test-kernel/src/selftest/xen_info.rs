// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests: what Xen says about itself (`xen_version`), the console,
//! `sched_op`, `vm_assist`, `callback_op`, `hvm_op` and `physdev_op`.
//!
//! Every check runs in both modes; where PV and PVH differ, each mode's
//! own answer is asserted.

use core::fmt::{self, Debug};

use xen_abi::callback::{kind, CallbackFlags};
use xen_abi::features;
use xen_abi::hvm::hvm_op::mem_type;
use xen_abi::hvm::params::HvmParam;
use xen_abi::physdev::map_pirq_type;
use xen_abi::sched::ShutdownReason;
use xen_abi::version::XenVersion;
use xen_abi::xen::{DomId, Gfn, GuestHandle, StartInfoFlags, VcpuId, VmAssistCmd, VmAssistType};
use xen_abi::Errno;
use xen_hypercall::{callback, console, hvm, physdev, sched, version, vm_assist, Hypercall};

use super::{Ctx, Platform};
use crate::Tester;

/// Checks this group makes.
pub const PLAN: u32 = 48;

/// Checks `r` against the outcome wanted in this mode: `Ok` for `None`, or
/// exactly that errno.
fn expect<T: Debug>(
    t: &mut Tester,
    name: &str,
    asked: fmt::Arguments<'_>,
    r: &Result<T, Errno>,
    want: Option<Errno>,
) {
    let ok = match (r, want) {
        (Ok(_), None) => true,
        (Err(e), Some(w)) => *e == w,
        _ => false,
    };
    match (ok, want) {
        (true, _) => t.check(name, true, format_args!("{asked} -> {r:?}")),
        (false, None) => t.check(name, false, format_args!("{asked} -> {r:?}, wanted Ok")),
        (false, Some(w)) => t.check(name, false, format_args!("{asked} -> {r:?}, wanted {w:?}")),
    }
}

/// `pv` in PV, `pvh` in PVH.
fn by_mode<T>(cx_pv: bool, pv: T, pvh: T) -> T {
    if cx_pv {
        pv
    } else {
        pvh
    }
}

/// CPUID through Xen's forced-emulation prefix (`ud2; .ascii "xen"`), which
/// a PV guest needs to see Xen's leaves.
fn pv_cpuid(leaf: u32) -> [u32; 4] {
    let (eax, ebx, ecx, edx): (u32, u64, u32, u32);
    // SAFETY: Xen emulates the prefixed CPUID for PV guests; rbx (reserved
    // by LLVM) is saved and restored around it.
    unsafe {
        core::arch::asm!(
            "mov {tmp}, rbx",
            ".byte 0x0f, 0x0b, 0x78, 0x65, 0x6e",
            "cpuid",
            "xchg {tmp}, rbx",
            tmp = out(reg) ebx,
            inout("eax") leaf => eax,
            inout("ecx") 0u32 => ecx,
            out("edx") edx,
            options(nostack, preserves_flags),
        );
    }
    [eax, ebx as u32, ecx, edx]
}

/// Xen's version from its CPUID leaves, found the way each mode must.
fn cpuid_version(platform: Platform) -> Option<XenVersion> {
    match platform {
        Platform::Pvh { cpuid, .. } => Some(cpuid.version()),
        Platform::Pv { .. } => (0x4000_0000u32..0x4001_0000)
            .step_by(0x100)
            .find(|&base| {
                let [_, b, c, d] = pv_cpuid(base);
                [b, c, d] == [0x566e_6558, 0x65584d4d, 0x4d4d566e] // "XenVMMXenVMM"
            })
            .map(|base| XenVersion::from_packed(pv_cpuid(base + 1)[0])),
    }
}

/// Does `hay` contain `needle`?
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A handler for callbacks that must never come.
extern "C" fn unexpected_callback() -> ! {
    crate::println!("xen-test-kernel: unexpected callback");
    crate::debug_exit(3);
    loop {
        core::hint::spin_loop();
    }
}

/// A page of our own, for `HVMOP_get_mem_type`.
#[repr(C, align(4096))]
struct Page([u8; 4096]);
static PROBE_PAGE: Page = Page([0; 4096]);

/// Runs the group.
pub fn run<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    let hc = cx.hc;
    let pv = cx.platform.is_pv();
    versions(t, cx);
    console_checks(t, hc);
    sched_checks(t, hc);
    vm_assist_checks(t, hc, pv);
    callback_checks(t, hc, pv);
    hvm_checks(t, cx);
    physdev_checks(t, hc, pv);
}

fn versions<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    let hc = cx.hc;
    let pv = cx.platform.is_pv();
    let pvh = !pv;
    let v = version::version(hc);
    let cpuid = cpuid_version(cx.platform);
    t.check(
        "XENVER_version",
        matches!(v, Ok(x) if Some(x) == cpuid && (x == XenVersion::new(4, 17) || x == XenVersion::new(4, 20))),
        format_args!("XENVER_version -> {v:?}, CPUID leaf says {cpuid:?}"),
    );

    let extra = version::extraversion(hc);
    let ok = matches!(&extra, Ok(e) if matches!(e.to_bytes(), [b'.' | b'-', ..]));
    t.check(
        "XENVER_extraversion",
        ok,
        format_args!("XENVER_extraversion -> {extra:?} (starts with '.' or '-')"),
    );

    let ci = version::compile_info(hc);
    let ok = matches!(&ci, Ok(c) if (contains(c.compiler.to_bytes(), b"gcc")
        || contains(c.compiler.to_bytes(), b"clang"))
        && !c.compile_date.to_bytes().is_empty());
    match &ci {
        Ok(c) => t.check(
            "XENVER_compile_info",
            ok,
            format_args!(
                "XENVER_compile_info -> compiler {:?}, date {:?}",
                c.compiler, c.compile_date
            ),
        ),
        Err(e) => t.check("XENVER_compile_info", false, format_args!("error {e:?}")),
    }

    let caps = version::capabilities(hc);
    let want: &[u8] = match cx.platform {
        // SAFETY: Xen's start_info page stays mapped.
        Platform::Pv { start_info } => {
            let magic = unsafe { &(*start_info).magic };
            let end = magic.iter().position(|&b| b == 0).unwrap_or(magic.len());
            // Xen 4.17 appends "p" (a PAE-note suffix) to a 64-bit
            // kernel's magic; the capability has no suffix.
            let magic = &magic[..end];
            magic.strip_suffix(b"p").unwrap_or(magic)
        }
        Platform::Pvh { .. } => b"hvm-3.0-x86_64",
    };
    let ok = matches!(&caps, Ok(c) if contains(c.to_bytes(), b"xen-3.0-x86_64")
        && contains(c.to_bytes(), want));
    t.check(
        "XENVER_capabilities",
        ok,
        format_args!(
            "XENVER_capabilities -> {caps:?} (has xen-3.0-x86_64 and \"{}\")",
            want.escape_ascii()
        ),
    );

    // Debian builds Xen outside git: the changeset is empty there.
    let cs = version::changeset(hc);
    t.check(
        "XENVER_changeset",
        matches!(&cs, Ok(c) if c.0[c.0.len() - 1] == 0
            && c.to_bytes().iter().all(|b| b.is_ascii_graphic() || *b == b' ')),
        format_args!("XENVER_changeset -> {cs:?} (printable, NUL-terminated)"),
    );

    let pp = version::platform_parameters(hc);
    // Xen 4.20 stopped telling HVM/PVH guests the (meaningless for them)
    // PV hypervisor hole.
    let want = if pvh && v.is_ok_and(|v| v >= XenVersion::new(4, 20)) {
        0
    } else {
        0xffff_8000_0000_0000u64
    };
    t.check(
        "XENVER_platform_parameters",
        matches!(pp, Ok(p) if p.virt_start == want),
        format_args!("XENVER_platform_parameters -> {pp:?}, wanted virt_start {want:#x}"),
    );

    let f = version::get_features(hc, 0);
    let initdomain = match cx.platform {
        // SAFETY: Xen's start_info page stays mapped.
        Platform::Pv { start_info } => unsafe { (*start_info).flags }
            .contains(StartInfoFlags::INITDOMAIN | StartInfoFlags::PRIVILEGED),
        Platform::Pvh { .. } => true,
    };
    let ok = matches!(f, Ok(f) if f.has(features::DOM0) == initdomain
        && f.has(features::AUTO_TRANSLATED_PHYSMAP) == pvh
        && f.has(features::HVM_CALLBACK_VECTOR) == pvh
        && f.has(features::HVM_SAFE_PVCLOCK) == pvh);
    t.check(
        "XENVER_get_features",
        ok,
        format_args!(
            "XENVER_get_features(0) -> {f:?}: wanted dom0 {initdomain}, auto-translated/HVM callback vector/safe pvclock {pvh}"
        ),
    );
    let r = version::get_features(hc, features::NR_SUBMAPS);
    expect(
        t,
        "XENVER_get_features beyond NR_SUBMAPS",
        format_args!("XENVER_get_features({})", features::NR_SUBMAPS),
        &r,
        Some(Errno::EINVAL),
    );

    let ps = version::pagesize(hc);
    t.check(
        "XENVER_pagesize",
        ps == Ok(4096),
        format_args!("XENVER_pagesize -> {ps:?}"),
    );

    let gh = version::guest_handle(hc);
    t.check(
        "XENVER_guest_handle",
        gh == Ok([0; 16]),
        format_args!("XENVER_guest_handle -> {gh:?} (dom0 has no toolstack UUID)"),
    );

    let cl = version::commandline(hc);
    let ok = matches!(&cl, Ok(c) if contains(c.to_bytes(), b"dom0_mem=64M")
        && contains(c.to_bytes(), b"dom0=pvh") == pvh);
    t.check(
        "XENVER_commandline",
        ok,
        format_args!("XENVER_commandline -> {cl:?} (dom0_mem=64M, dom0=pvh iff PVH)"),
    );

    let size = version::build_id_size(hc);
    let mut id = [0u8; version::BUILD_ID_MAX];
    let got = version::build_id(hc, &mut id);
    let ok =
        matches!((size, got), (Ok(s), Ok(g)) if s == g && s > 0 && id[..g].iter().any(|&b| b != 0));
    let shown = &id[..got.unwrap_or(0).min(id.len())];
    t.check(
        "XENVER_build_id",
        ok,
        format_args!("XENVER_build_id size -> {size:?}, fetched {got:?}: {shown:02x?}"),
    );
    let r = version::build_id(hc, &mut [0u8; 4]);
    expect(
        t,
        "XENVER_build_id short buffer",
        format_args!("XENVER_build_id with a 4-byte buffer"),
        &r,
        Some(Errno::ENOBUFS),
    );
}

fn console_checks(t: &mut Tester, hc: &impl Hypercall) {
    let r = console::write(hc, b"xen-test-kernel: hello through CONSOLEIO_write\n");
    expect(
        t,
        "CONSOLEIO_write",
        format_args!("CONSOLEIO_write 47 bytes"),
        &r,
        None,
    );
    let mut buf = [0u8; 64];
    let r = console::read(hc, &mut buf);
    t.check(
        "CONSOLEIO_read",
        r == Ok(0),
        format_args!("CONSOLEIO_read (no serial input) -> {r:?}"),
    );
}

fn sched_checks(t: &mut Tester, hc: &impl Hypercall) {
    let r = sched::yield_now(hc);
    expect(t, "SCHEDOP_yield", format_args!("SCHEDOP_yield"), &r, None);

    let r = sched::remote_shutdown(hc, DomId::new_unchecked(1), ShutdownReason::POWEROFF);
    expect(
        t,
        "SCHEDOP_remote_shutdown of a missing domain",
        format_args!("SCHEDOP_remote_shutdown(dom1, poweroff)"),
        &r,
        Some(Errno::ESRCH),
    );

    // We end by rebooting anyway; the latched code is the same.
    let r = sched::shutdown_code(hc, ShutdownReason::REBOOT);
    expect(
        t,
        "SCHEDOP_shutdown_code",
        format_args!("SCHEDOP_shutdown_code(reboot)"),
        &r,
        None,
    );

    let id = sched::watchdog_create(hc, 600);
    let kick = id.and_then(|id| sched::watchdog_kick(hc, id, 300));
    t.check(
        "SCHEDOP_watchdog create and kick",
        matches!(id, Ok(1..)) && kick.is_ok(),
        format_args!("SCHEDOP_watchdog(0, 600 s) -> id {id:?}; kick(300 s) -> {kick:?}"),
    );
    let id = id.unwrap_or(1);
    let r = sched::watchdog_destroy(hc, id);
    expect(
        t,
        "SCHEDOP_watchdog destroy",
        format_args!("SCHEDOP_watchdog({id}, 0)"),
        &r,
        None,
    );
    let r = sched::watchdog_kick(hc, id, 5);
    expect(
        t,
        "SCHEDOP_watchdog kick destroyed",
        format_args!("SCHEDOP_watchdog({id}, 5) after destroy"),
        &r,
        Some(Errno::EINVAL),
    );

    let pin = sched::pin_override(hc, Some(0));
    let unpin = sched::pin_override(hc, None);
    t.check(
        "SCHEDOP_pin_override",
        pin.is_ok() && unpin.is_ok(),
        format_args!("SCHEDOP_pin_override(0) -> {pin:?}; (-1) -> {unpin:?}"),
    );
    let r = sched::pin_override(hc, Some(7));
    expect(
        t,
        "SCHEDOP_pin_override offline CPU",
        format_args!("SCHEDOP_pin_override(7) with one CPU"),
        &r,
        Some(Errno::EINVAL),
    );
}

fn vm_assist_checks(t: &mut Tester, hc: &impl Hypercall, pv: bool) {
    let pvh = !pv;
    // PV may enable the assist; XENFEAT_writable_page_tables still means
    // "translated" (PVH) only.
    let r = vm_assist::enable(hc, VmAssistType::WRITABLE_PAGETABLES);
    let feat = version::has_feature(hc, features::WRITABLE_PAGE_TABLES);
    let ok = feat == Ok(pvh)
        && if pv {
            r.is_ok()
        } else {
            r == Err(Errno::EINVAL)
        };
    t.check(
        "vm_assist writable_pagetables",
        ok,
        format_args!(
            "vm_assist(enable, writable_pagetables) -> {r:?}, wanted {}; then XENFEAT_writable_page_tables {feat:?}",
            by_mode(pv, "Ok", "EINVAL")
        ),
    );
    let on = vm_assist::enable(hc, VmAssistType::RUNSTATE_UPDATE_FLAG);
    let off = vm_assist::disable(hc, VmAssistType::RUNSTATE_UPDATE_FLAG);
    t.check(
        "vm_assist runstate_update_flag",
        on.is_ok() && off.is_ok(),
        format_args!("vm_assist(enable/disable, runstate_update_flag) -> {on:?}/{off:?}"),
    );
    let r = vm_assist::vm_assist(hc, VmAssistCmd::new(7), VmAssistType::RUNSTATE_UPDATE_FLAG);
    expect(
        t,
        "vm_assist unknown command",
        format_args!("vm_assist(cmd 7, runstate_update_flag)"),
        &r,
        Some(Errno::ENOSYS),
    );
    let r = vm_assist::enable(hc, VmAssistType::new(40));
    expect(
        t,
        "vm_assist unknown type",
        format_args!("vm_assist(enable, type 40)"),
        &r,
        Some(Errno::EINVAL),
    );
}

fn callback_checks(t: &mut Tester, hc: &impl Hypercall, pv: bool) {
    let pvh_err = by_mode(pv, None, Some(Errno::ENOSYS));
    let handler = unexpected_callback as extern "C" fn() -> ! as usize as u64;
    // SAFETY: the handler never returns and reports the failure; no NMI is
    // expected, and it is unregistered right after.
    let r = unsafe { callback::register(hc, kind::NMI, CallbackFlags::empty(), handler) };
    expect(
        t,
        "CALLBACKOP_register nmi",
        format_args!("CALLBACKOP_register(nmi, {handler:#x})"),
        &r,
        pvh_err,
    );
    let r = callback::unregister(hc, kind::NMI);
    expect(
        t,
        "CALLBACKOP_unregister nmi",
        format_args!("CALLBACKOP_unregister(nmi)"),
        &r,
        pvh_err,
    );
    let bad = 0x8000_0000_0000_0000u64;
    // SAFETY: a non-canonical address, which Xen must refuse.
    let r = unsafe { callback::register(hc, kind::NMI, CallbackFlags::empty(), bad) };
    expect(
        t,
        "CALLBACKOP_register non-canonical",
        format_args!("CALLBACKOP_register(nmi, {bad:#x})"),
        &r,
        Some(by_mode(pv, Errno::EINVAL, Errno::ENOSYS)),
    );
    let r = callback::unregister(hc, kind::EVENT);
    expect(
        t,
        "CALLBACKOP_unregister event",
        format_args!("CALLBACKOP_unregister(event)"),
        &r,
        Some(by_mode(pv, Errno::EINVAL, Errno::ENOSYS)),
    );
}

fn hvm_checks<H: Hypercall>(t: &mut Tester, cx: &Ctx<'_, H>) {
    let hc = cx.hc;
    let pv = cx.platform.is_pv();
    let r = hvm::get_param(hc, DomId::SELF, HvmParam::STORE_EVTCHN);
    let ok = if pv {
        r == Err(Errno::EINVAL)
    } else {
        r == Ok(0)
    };
    t.check(
        "HVMOP_get_param store_evtchn",
        ok,
        format_args!(
            "HVMOP_get_param(self, STORE_EVTCHN) -> {r:?}, wanted {}",
            by_mode(pv, "EINVAL (not HVM)", "0 (no xenstore yet)")
        ),
    );
    let r = hvm::get_param(hc, DomId::SELF, HvmParam::IDENT_PT);
    expect(
        t,
        "HVMOP_get_param toolstack-only",
        format_args!("HVMOP_get_param(self, IDENT_PT)"),
        &r,
        Some(by_mode(pv, Errno::EINVAL, Errno::EPERM)),
    );
    let r = hvm::get_param(hc, DomId::SELF, HvmParam::new(1000));
    expect(
        t,
        "HVMOP_get_param out of range",
        format_args!("HVMOP_get_param(self, 1000)"),
        &r,
        Some(Errno::EINVAL),
    );

    let before = cx.shared.map(|s| s.system_time());
    let a = hvm::get_time(hc);
    let b = hvm::get_time(hc);
    let ok = match (a, b, before) {
        (Ok(a), Ok(b), Some(st)) => a <= b && st <= a && a - st < 30_000_000_000,
        _ => false,
    };
    t.check(
        "HVMOP_get_time",
        ok,
        format_args!("HVMOP_get_time twice -> {a:?}, {b:?} ns; shared_info system_time {before:?}"),
    );

    let r = hvm::flush_tlbs(hc);
    expect(
        t,
        "HVMOP_flush_tlbs",
        format_args!("HVMOP_flush_tlbs"),
        &r,
        by_mode(pv, Some(Errno::EINVAL), None),
    );

    let pfn = Gfn::containing(&PROBE_PAGE as *const Page as u64);
    let r = hvm::get_mem_type(hc, DomId::SELF, pfn);
    let ok = if pv {
        r == Err(Errno::EINVAL)
    } else {
        r == Ok(mem_type::RAM_RW)
    };
    t.check(
        "HVMOP_get_mem_type",
        ok,
        format_args!(
            "HVMOP_get_mem_type(self, {pfn:#x}) -> {r:?}, wanted {}",
            by_mode(pv, "EINVAL", "RAM_RW")
        ),
    );

    // SAFETY: a vector below 0x10, which Xen must refuse.
    let r = unsafe { hvm::set_evtchn_upcall_vector(hc, VcpuId::BOOT, 0x05) };
    expect(
        t,
        "HVMOP_set_evtchn_upcall_vector reserved vector",
        format_args!("HVMOP_set_evtchn_upcall_vector(vcpu 0, 0x05)"),
        &r,
        Some(Errno::EINVAL),
    );
}

fn physdev_checks(t: &mut Tester, hc: &impl Hypercall, pv: bool) {
    let pvh_nosys = by_mode(pv, None, Some(Errno::ENOSYS));
    let r = physdev::set_iopl(hc, 1);
    expect(
        t,
        "PHYSDEVOP_set_iopl",
        format_args!("PHYSDEVOP_set_iopl(1)"),
        &r,
        pvh_nosys,
    );
    // SAFETY: a null bitmap covering no port names no memory.
    let r = unsafe { physdev::set_iobitmap(hc, GuestHandle::NULL, 0) };
    expect(
        t,
        "PHYSDEVOP_set_iobitmap",
        format_args!("PHYSDEVOP_set_iobitmap(NULL, 0 ports)"),
        &r,
        pvh_nosys,
    );
    // SAFETY: Xen must refuse more than 65536 ports before using the handle.
    let r = unsafe { physdev::set_iobitmap(hc, GuestHandle::NULL, 70_000) };
    expect(
        t,
        "PHYSDEVOP_set_iobitmap too many ports",
        format_args!("PHYSDEVOP_set_iobitmap(NULL, 70000 ports)"),
        &r,
        Some(by_mode(pv, Errno::EINVAL, Errno::ENOSYS)),
    );

    let r = physdev::irq_status_query(hc, 0x7fff_ffff);
    expect(
        t,
        "PHYSDEVOP_irq_status_query bad irq",
        format_args!("PHYSDEVOP_irq_status_query(0x7fffffff)"),
        &r,
        Some(by_mode(pv, Errno::EINVAL, Errno::ENOSYS)),
    );
    let r = physdev::eoi(hc, 0x7fff_ffff);
    expect(
        t,
        "PHYSDEVOP_eoi bad irq",
        format_args!("PHYSDEVOP_eoi(0x7fffffff)"),
        &r,
        Some(by_mode(pv, Errno::EINVAL, Errno::ENOSYS)),
    );

    let r = physdev::get_free_pirq(hc, map_pirq_type::GSI);
    let ok = if pv {
        matches!(r, Ok(16..))
    } else {
        r == Err(Errno::ENOSYS)
    };
    t.check(
        "PHYSDEVOP_get_free_pirq",
        ok,
        format_args!(
            "PHYSDEVOP_get_free_pirq(GSI) -> {r:?}, wanted {}",
            by_mode(
                pv,
                "a PIRQ >= 16 (above the legacy IRQs)",
                "ENOSYS (no PIRQs in PVH)"
            )
        ),
    );

    // QEMU's IO-APIC sits at 0xfec00000 with 24 pins: register 1 holds the
    // version and (bits 16-23) the highest redirection entry.
    let r = physdev::apic_read(hc, 0xfec0_0000, 1);
    let ok = if pv {
        matches!(r, Ok(v) if (v >> 16) & 0xff == 23)
    } else {
        r == Err(Errno::ENOSYS)
    };
    t.check(
        "PHYSDEVOP_apic_read",
        ok,
        format_args!(
            "PHYSDEVOP_apic_read(0xfec00000, IOAPICVER) -> {r:x?}, wanted {}",
            by_mode(pv, "max redirection entry 23", "ENOSYS")
        ),
    );
    let r = physdev::apic_read(hc, 0x1000, 1);
    expect(
        t,
        "PHYSDEVOP_apic_read no IO-APIC",
        format_args!("PHYSDEVOP_apic_read(0x1000, 1)"),
        &r,
        Some(by_mode(pv, Errno::EINVAL, Errno::ENOSYS)),
    );

    let r = physdev::alloc_irq_vector(hc, 9);
    let ok = if pv {
        r == Ok(9)
    } else {
        r == Err(Errno::ENOSYS)
    };
    t.check(
        "PHYSDEVOP_alloc_irq_vector",
        ok,
        format_args!(
            "PHYSDEVOP_alloc_irq_vector(9) -> {r:?}, wanted {}",
            by_mode(pv, "9 (Xen hands back the IRQ)", "ENOSYS")
        ),
    );

    let r = physdev::manage_pci_remove(hc, 0xff, 0xff);
    expect(
        t,
        "PHYSDEVOP_manage_pci_remove missing device",
        format_args!("PHYSDEVOP_manage_pci_remove(ff:1f.7)"),
        &r,
        Some(by_mode(pv, Errno::ENODEV, Errno::ENOSYS)),
    );
}

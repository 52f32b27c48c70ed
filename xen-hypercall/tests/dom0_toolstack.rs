// SPDX-License-Identifier: MIT OR Apache-2.0
//! The toolstack wrappers (domctl, sysctl, memory for another domain)
//! against a real Xen, from a Linux dom0, checked against `xl` on the same
//! boot.
//!
//! Ignored outside dom0; `cargo xtask dom0 --xen 4.17|4.20` runs them there
//! (one at a time), with `XENRS_XL` naming the release's own `xl`.
#![cfg(all(feature = "std", target_os = "linux"))]
#![allow(clippy::std_instead_of_core)]

use std::collections::BTreeMap;

use dom0_test_support::xl_stdout as xl;
use xen_abi::domctl::{DomainInfoFlags, GetDomainInfo};
use xen_abi::memory::MemFlags;
use xen_abi::xen::{Gfn, HypercallOp};
use xen_abi::{DomId, Errno, VcpuId};
use xen_hypercall::domctl::DomainConfig;
use xen_hypercall::privcmd::Privcmd;
use xen_hypercall::toolstack::{Error, Interface, Toolstack};
use xen_hypercall::{memory, version};

const IGNORE: &str = "needs a Xen dom0 with /dev/xen/privcmd and xl (run by `cargo xtask dom0`)";

fn toolstack() -> Toolstack<Privcmd> {
    let pc = Privcmd::open().unwrap_or_else(|e| panic!("{e}"));
    Toolstack::new(pc).unwrap_or_else(|e| panic!("{e}"))
}

/// `xl info` as key -> value.
fn xl_info() -> BTreeMap<String, String> {
    xl(&["info"])
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn num(info: &BTreeMap<String, String>, key: &str) -> u64 {
    info.get(key)
        .unwrap_or_else(|| panic!("xl info has no {key}: {info:?}"))
        .parse()
        .unwrap_or_else(|e| panic!("xl info {key}: {e}"))
}

/// One row of `xl list`.
#[derive(Debug, PartialEq, Eq)]
struct XlRow {
    id: u16,
    mem_mib: u64,
    vcpus: u32,
    paused: bool,
    dying: bool,
}

fn xl_list() -> Vec<XlRow> {
    let text = xl(&["list"]);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    assert!(header.starts_with("Name"), "xl list header: {header}");
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            // The name may hold spaces: count fields from the right.
            let f: Vec<&str> = l.split_whitespace().collect();
            let n = f.len();
            assert!(n >= 6, "xl list line: {l}");
            let state = f[n - 2];
            XlRow {
                id: f[n - 5].parse().unwrap(),
                mem_mib: f[n - 4].parse().unwrap(),
                vcpus: f[n - 3].parse().unwrap(),
                paused: state.contains('p'),
                dying: state.contains('d'),
            }
        })
        .collect()
}

fn our_list(xen: &Toolstack<Privcmd>) -> Vec<GetDomainInfo> {
    let mut out = vec![GetDomainInfo::default(); 64];
    let n = xen.domain_list(DomId::DOM0, &mut out).unwrap();
    assert!(n < out.len(), "more domains than the test expects");
    out.truncate(n);
    out
}

fn row_of(d: &GetDomainInfo) -> XlRow {
    XlRow {
        id: d.domain.get(),
        // xl: (current + outstanding) KiB / 1024, pages of 4 KiB.
        mem_mib: (d.tot_pages + d.outstanding_pages) * 4 / 1024,
        vcpus: d.nr_online_vcpus,
        paused: d.flags.contains(DomainInfoFlags::PAUSED),
        dying: d.flags.contains(DomainInfoFlags::DYING),
    }
}

/// A fresh PV domain with no memory, created by us (destroyed on drop).
fn scratch_domain(xen: &Toolstack<Privcmd>) -> xen_hypercall::domctl::CreatedDomain<'_, Privcmd> {
    xen.create_domain(None, &DomainConfig::pv(1))
        .unwrap_or_else(|e| panic!("createdomain: {e}"))
}

/// Waits (bounded) until `domid` is gone from Xen's domain list.
fn gone(xen: &Toolstack<Privcmd>, domid: DomId) -> bool {
    for _ in 0..200 {
        if matches!(xen.domain_info(domid), Err(Error::NoSuchDomain(d)) if d == domid) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xl (run by `cargo xtask dom0`)"]
fn detects_the_running_release() {
    let _ = IGNORE;
    let xen = toolstack();
    let v = version::version(xen.hypercall()).unwrap();
    assert_eq!(xen.interface().version(), v);
    let info = xl_info();
    assert_eq!(num(&info, "xen_major"), u64::from(v.major));
    assert_eq!(num(&info, "xen_minor"), u64::from(v.minor));
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xl (run by `cargo xtask dom0`)"]
fn physinfo_agrees_with_xl_info() {
    let xen = toolstack();
    let info = xl_info();
    let p = xen.physinfo().unwrap();
    assert_eq!(num(&info, "nr_cpus"), u64::from(p.nr_cpus));
    assert_eq!(num(&info, "max_cpu_id"), u64::from(p.max_cpu_id));
    assert_eq!(num(&info, "nr_nodes"), u64::from(p.nr_nodes));
    assert_eq!(
        num(&info, "cores_per_socket"),
        u64::from(p.cores_per_socket)
    );
    assert_eq!(
        num(&info, "threads_per_core"),
        u64::from(p.threads_per_core)
    );
    // xl prints the frequency as MHz with three decimals.
    assert_eq!(
        info["cpu_mhz"],
        format!("{}.{:03}", p.cpu_khz / 1000, p.cpu_khz % 1000)
    );
    assert_eq!(num(&info, "total_memory"), p.total_pages / 256);
    let hw_caps: Vec<String> = p.hw_cap.iter().map(|w| format!("{w:08x}")).collect();
    assert_eq!(info["hw_caps"], hw_caps.join(":"));
    assert!(p.total_pages > 0 && p.free_pages <= p.total_pages);
    let sched = xen.sched_id().unwrap();
    assert_eq!(Some(info["xen_scheduler"].as_str()), sched.xl_name());
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xl (run by `cargo xtask dom0`)"]
fn domain_list_agrees_with_xl_list() {
    let xen = toolstack();
    let theirs = xl_list();
    let ours: Vec<XlRow> = our_list(&xen).iter().map(row_of).collect();
    assert!(ours.iter().any(|r| r.id == 0), "dom0 is listed: {ours:?}");
    assert_eq!(ours, theirs);
    // Every entry agrees with getdomaininfo of its domain.
    for d in our_list(&xen) {
        let one = xen.domain_info(d.domain).unwrap();
        assert_eq!((one.domain, one.max_pages), (d.domain, d.max_pages));
    }
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xl (run by `cargo xtask dom0`)"]
fn cpupool_info_agrees_with_xl_cpupool_list() {
    let xen = toolstack();
    let mut map = [0u8; 32];
    let pool = xen.cpupool_info(0, &mut map).unwrap();
    assert_eq!(pool.id, 0);
    assert_eq!(pool.sched_id, xen.sched_id().unwrap());
    let cpus: u32 = map.iter().map(|b| b.count_ones()).sum();
    // `Pool-0  <cpus>  <sched>  y  <domains>`
    let text = xl(&["cpupool-list"]);
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("Pool-0"))
        .unwrap_or_else(|| panic!("no Pool-0 in {text}"))
        .split_whitespace()
        .collect();
    assert_eq!(row[1].parse::<u32>().unwrap(), cpus, "{text}");
    assert_eq!(Some(row[2]), pool.sched_id.xl_name(), "{text}");
    assert_eq!(row[4].parse::<u32>().unwrap(), pool.n_dom, "{text}");
    // No pool above the last: Xen says ENOENT.
    assert_eq!(
        xen.cpupool_info(pool.id + 1, &mut map)
            .map_err(|e| e.errno()),
        Err(Some(Errno::ENOENT))
    );
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xl (run by `cargo xtask dom0`)"]
fn read_console_sees_what_xl_dmesg_sees() {
    let xen = toolstack();
    let theirs = xl(&["dmesg"]);
    let last = theirs
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .expect("xl dmesg is empty")
        .to_string();
    let mut text = Vec::new();
    let mut buf = vec![0u8; 4096];
    let mut index = None;
    for _ in 0..1024 {
        let r = xen.read_console(&mut buf, index, false).unwrap();
        text.extend_from_slice(&buf[..r.len]);
        if r.len == 0 {
            break;
        }
        index = Some(r.next_index);
    }
    let ours = String::from_utf8_lossy(&text);
    assert!(
        ours.contains(&last),
        "our read lacks xl's last line {last:?}"
    );
    assert!(ours.contains("(XEN)"));
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xl (run by `cargo xtask dom0`)"]
fn pause_and_unpause_show_in_getdomaininfo() {
    let xen = toolstack();
    let d = scratch_domain(&xen);
    let id = d.domid();
    let flags = |x: &Toolstack<Privcmd>| x.domain_info(id).unwrap().flags;
    // Born paused by the toolstack.
    assert!(flags(&xen).contains(DomainInfoFlags::PAUSED));
    xen.set_max_vcpus(id, 1).unwrap();
    xen.unpause(id).unwrap();
    assert!(!flags(&xen).contains(DomainInfoFlags::PAUSED));
    // Unpausing an unpaused domain is refused, typed.
    assert_eq!(
        xen.unpause(id),
        Err(Error::Xen {
            op: "XEN_DOMCTL_unpausedomain",
            errno: Errno::EINVAL
        })
    );
    xen.pause(id).unwrap();
    assert!(flags(&xen).contains(DomainInfoFlags::PAUSED));
    // xl sees the same state.
    let row = xl_list().into_iter().find(|r| r.id == id.get()).unwrap();
    assert!(row.paused);
    d.destroy().unwrap();
    assert!(gone(&xen, id), "domain {} still there", id.get());
    assert!(xl_list().iter().all(|r| r.id != id.get()));
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xl (run by `cargo xtask dom0`)"]
fn memory_vcpus_and_tsc_of_another_domain() {
    let xen = toolstack();
    let d = scratch_domain(&xen);
    let id = d.domid();
    let pc = xen.hypercall();
    assert_eq!(xen.domain_info(id).unwrap().tot_pages, 0);
    xen.set_max_mem(id, 256).unwrap(); // 64 pages
    assert_eq!(xen.domain_info(id).unwrap().max_pages, 64);
    let mut frames: Vec<Gfn> = (0..16).map(Gfn::new_unchecked).collect();
    // SAFETY: the frames belong to the new domain, which never ran; none
    // of ours are touched.
    let n = unsafe { memory::populate_physmap(pc, id, 0, MemFlags::empty(), &mut frames) }.unwrap();
    assert_eq!(n, 16);
    assert_eq!(xen.domain_info(id).unwrap().tot_pages, 16);
    // Past the limit Xen stops short.
    let mut more: Vec<Gfn> = (100..200).map(Gfn::new_unchecked).collect();
    // SAFETY: as above.
    let m = unsafe { memory::populate_physmap(pc, id, 0, MemFlags::empty(), &mut more) }.unwrap();
    assert_eq!(m, 48, "stops at max_pages");
    // Give half of the first batch back (PV: by machine frame, as Xen
    // wrote them back).
    let mut back = frames[..8].to_vec();
    // SAFETY: the frames are the new domain's, mapped nowhere.
    let k = unsafe { memory::decrease_reservation(pc, id, 0, &mut back) }.unwrap();
    assert_eq!(k, 8);
    assert_eq!(xen.domain_info(id).unwrap().tot_pages, 56);

    xen.set_max_vcpus(id, 1).unwrap();
    assert!(
        xen.set_max_vcpus(id, 2).is_err(),
        "more vCPUs than created with"
    );
    let v0 = VcpuId::new(0);
    let info = xen.vcpu_info(id, v0).unwrap();
    assert_eq!((info.vcpu, info.running), (0, 0));
    assert!(xen.vcpu_info(id, VcpuId::new(1)).is_err());
    // A vCPU whose context was never set has none to read.
    assert_eq!(
        xen.vcpu_context(id, v0).map_err(|e| e.errno()),
        Err(Some(Errno::ENODATA))
    );
    assert!(xen.vcpu_context(id, VcpuId::new(5)).is_err());
    // An all-zero PV context (no page tables) is refused, and the vCPU stays
    // uninitialised.
    let zero = <xen_abi::arch::x86::VcpuGuestContext as zerocopy::FromZeros>::new_zeroed();
    assert!(xen.set_vcpu_context(id, v0, &zero).is_err());
    assert_eq!(
        xen.vcpu_context(id, v0).map_err(|e| e.errno()),
        Err(Some(Errno::ENODATA))
    );

    let mut hard = [1u8; 1];
    xen.set_vcpu_affinity(id, v0, Some(&mut hard), None)
        .unwrap();
    assert_eq!(hard[0] & 1, 1, "CPU 0 stays in the effective affinity");
    let mut none = [0u8; 1];
    assert!(xen
        .set_vcpu_affinity(id, v0, Some(&mut none), None)
        .is_err());

    xen.set_tsc_info(id, 1, 0).unwrap(); // always emulate
    assert_eq!(xen.tsc_info(id).unwrap().tsc_mode, 1);
    xen.set_tsc_info(id, 2, 0).unwrap(); // never emulate
    assert_eq!(xen.tsc_info(id).unwrap().tsc_mode, 2);

    let before = xen.physinfo().unwrap().free_pages;
    drop(d); // destroys
    assert!(gone(&xen, id));
    let after = xen.physinfo().unwrap().free_pages;
    assert!(after >= before + 56, "memory returned: {before} -> {after}");
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xl (run by `cargo xtask dom0`)"]
fn missing_domains_give_typed_errors() {
    let xen = toolstack();
    let ids: Vec<u16> = our_list(&xen).iter().map(|d| d.domain.get()).collect();
    // A free id above every domain, and one between (4.17 would describe
    // the next domain up: the wrapper must not pass that off as this one).
    let missing = DomId::new_unchecked(0x7000);
    assert!(!ids.contains(&missing.get()));
    assert_eq!(xen.domain_info(missing), Err(Error::NoSuchDomain(missing)));
    assert_eq!(xen.pause(missing), Err(Error::NoSuchDomain(missing)));
    assert_eq!(xen.destroy(missing), Err(Error::NoSuchDomain(missing)));
    assert_eq!(
        xen.set_max_mem(missing, 1024),
        Err(Error::NoSuchDomain(missing))
    );
    let d = scratch_domain(&xen);
    let below = DomId::new_unchecked(d.domid().get() - 1);
    if !ids.contains(&below.get()) {
        assert_eq!(xen.domain_info(below), Err(Error::NoSuchDomain(below)));
    }
    d.destroy().unwrap();
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd and xl (run by `cargo xtask dom0`)"]
fn a_wrong_interface_version_is_refused_typed() {
    let running = toolstack().interface();
    let other = Interface::ALL
        .into_iter()
        .find(|i| i.domctl_version() != running.domctl_version())
        .unwrap();
    let pc = Privcmd::open().unwrap();
    let wrong = Toolstack::with_interface(pc, other);
    assert_eq!(
        wrong.domain_info(DomId::DOM0),
        Err(Error::InterfaceVersion {
            hypercall: HypercallOp::DOMCTL,
            sent: other.domctl_version()
        })
    );
    // Raw: any other number is refused the same way, and nothing is
    // created by a refused createdomain.
    let before = our_list(&toolstack()).len();
    let mut d = xen_abi::domctl::Domctl::bare(xen_abi::domctl::op::PAUSEDOMAIN, 0x14, DomId::DOM0);
    // SAFETY: pausedomain carries no argument.
    assert_eq!(unsafe { wrong.domctl_raw(&mut d) }, Err(Errno::EACCES));
    assert!(wrong.create_domain(None, &DomainConfig::pv(1)).is_err());
    assert_eq!(our_list(&toolstack()).len(), before);
}

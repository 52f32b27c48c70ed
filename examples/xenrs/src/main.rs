// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xenrs`: a small dom0 command over xen-hypercall's toolstack.
//!
//! - `xenrs list`: the domains, as `xl list` prints them (names from
//!   xenstore, the rest from `XEN_SYSCTL_getdomaininfolist`).
//! - `xenrs info`: the host and the hypervisor, in `xl info`'s
//!   `key : value` form (`XEN_SYSCTL_physinfo`, `sched_id`, `xen_version`).
//! - `xenrs destroy <domid>`: destroys a domain (`XEN_DOMCTL_destroydomain`),
//!   waits until Xen has let it go, then removes what a toolstack keeps of it
//!   in xenstore (`/local/domain/<id>`, `/libxl/<id>`, its `/vm` entry and
//!   dom0's backend directories for it), like `xl destroy`.
//!
//! - `xenrs create [-p] [--name N] [--memory MiB] [--vcpus N] [--cmdline S]
//!   <kernel>`: builds a PV domain from an ELF kernel with xenrs's own
//!   builder (no libxenguest, no xl), introduces it to xenstored and
//!   xenconsoled, and starts it (`-p`: leaves it paused, like `xl create
//!   -p`); prints the new domain's id.
//! - `xenrs console <domid>`: the domain's console, as `xl console` shows
//!   it: xenconsoled's pty for the domain (`console/tty` in xenstore)
//!   copied to stdout, and stdin to the domain, until the domain goes away.
//!
//! It speaks the running hypervisor's domctl/sysctl interface (Xen 4.17 or
//! 4.20, detected once) and refuses any other release with a clear error.
#![allow(clippy::std_instead_of_core)]

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use xen_abi::domctl::{DomainInfoFlags, GetDomainInfo};
use xen_abi::sysctl::PhysCap;
use xen_abi::DomId;
use xen_hypercall::privcmd::Privcmd;
use xen_hypercall::toolstack::{Error, Toolstack};
use xen_hypercall::version;
use xen_store::{Store, Xenstore};
use xenrs::build::{self, DomainSpec};

const USAGE: &str = "usage: xenrs list | xenrs info | xenrs destroy <domid> | xenrs console <domid>\n       \
                     xenrs create [-p] [--name NAME] [--memory MIB] [--vcpus N] [--cmdline TEXT] <kernel>";

/// The most domains `list` asks for in one call.
const BATCH: usize = 64;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match argv.as_slice() {
        ["list"] => list(),
        ["info"] => info(),
        ["destroy", id] => destroy(id),
        ["create", rest @ ..] if !rest.is_empty() => create(rest),
        ["console", id] => console(id),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xenrs: {e}");
            ExitCode::FAILURE
        }
    }
}

type Failure = Box<dyn std::error::Error>;

fn toolstack() -> Result<Toolstack<Privcmd>, Failure> {
    let pc = Privcmd::open()?;
    Ok(Toolstack::new(pc)?)
}

/// Every domain, in id order, in batches of [`BATCH`].
fn domains(xen: &Toolstack<Privcmd>) -> Result<Vec<GetDomainInfo>, Failure> {
    let mut all = Vec::new();
    let mut next = DomId::DOM0;
    let mut buf = vec![GetDomainInfo::default(); BATCH];
    loop {
        let n = xen.domain_list(next, &mut buf)?;
        all.extend_from_slice(&buf[..n]);
        let Some(last) = buf[..n].last() else { break };
        if n < BATCH {
            break;
        }
        match DomId::new_domain(last.domain.get().saturating_add(1)) {
            Ok(d) => next = d,
            Err(_) => break,
        }
    }
    Ok(all)
}

/// `xl list`'s six state letters.
fn state(flags: DomainInfoFlags) -> String {
    let code = flags.shutdown_code();
    [
        (flags.contains(DomainInfoFlags::RUNNING), 'r'),
        (flags.contains(DomainInfoFlags::BLOCKED), 'b'),
        (flags.contains(DomainInfoFlags::PAUSED), 'p'),
        (code.is_some() && code != Some(3), 's'), // SHUTDOWN_crash is 3
        (code == Some(3), 'c'),
        (flags.contains(DomainInfoFlags::DYING), 'd'),
    ]
    .iter()
    .map(|&(on, c)| if on { c } else { '-' })
    .collect()
}

fn list() -> Result<(), Failure> {
    let xen = toolstack()?;
    let doms = domains(&xen)?;
    // Names live in xenstore; a domain without one reads as xl shows it.
    let xs = Xenstore::open().ok();
    let out = io::stdout();
    let mut out = out.lock();
    writeln!(
        out,
        "{:<40} {:>5} {:>5} {:>5}     State   Time(s)",
        "Name", "ID", "Mem", "VCPUs"
    )?;
    for d in &doms {
        let id = d.domain.get();
        let name = xs
            .as_ref()
            .and_then(|xs| xs.read(&format!("/local/domain/{id}/name")).ok())
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_else(|| "(null)".into());
        let mem_mib = (d.tot_pages + d.outstanding_pages) * 4 / 1024;
        writeln!(
            out,
            "{name:<40} {id:>5} {mem_mib:>5} {:>5}     {} {:>9.1}",
            d.nr_online_vcpus,
            state(d.flags),
            d.cpu_time as f64 / 1e9
        )?;
    }
    Ok(())
}

/// `create`'s defaults: `xl`'s for a PV guest without a config.
const DEFAULT_MEMORY_MIB: u64 = 32;

fn create(args: &[&str]) -> Result<(), Failure> {
    let mut paused = false;
    let (mut name, mut memory, mut vcpus, mut cmdline, mut kernel) =
        (None, DEFAULT_MEMORY_MIB, 1u32, String::new(), None);
    let mut it = args.iter();
    while let Some(&a) = it.next() {
        let mut value = |what: &str| {
            it.next()
                .copied()
                .ok_or_else(|| format!("{a} needs {what}"))
        };
        match a {
            "-p" | "--paused" => paused = true,
            "--name" => name = Some(value("a name")?.to_owned()),
            "--memory" => {
                memory = value("a size in MiB")?
                    .parse()
                    .map_err(|_| format!("{a}: not a number of MiB"))?;
            }
            "--vcpus" => {
                vcpus = value("a count")?
                    .parse()
                    .map_err(|_| format!("{a}: not a vCPU count"))?;
            }
            "--cmdline" => cmdline = value("the command line")?.to_owned(),
            k if !k.starts_with('-') && kernel.is_none() => kernel = Some(k),
            other => return Err(format!("unexpected argument {other:?}\n{USAGE}").into()),
        }
    }
    let kernel = kernel.ok_or_else(|| format!("no kernel given\n{USAGE}"))?;
    let image = std::fs::read(kernel).map_err(|e| format!("{kernel}: {e}"))?;
    let name = name.unwrap_or_else(|| {
        let stem = std::path::Path::new(kernel)
            .file_name()
            .map_or_else(|| "domain".into(), |s| s.to_string_lossy().into_owned());
        format!("xenrs-{stem}")
    });
    let xen = toolstack()?;
    let xs = Xenstore::open()?;
    let spec = DomainSpec {
        name: &name,
        memory_mib: memory,
        vcpus,
        cmdline: &cmdline,
        kernel: &image,
    };
    let built = build::build(&xen, &xs, &spec)?;
    if !paused {
        if let Err(e) = build::unpause(&xen, built.domid) {
            let _ = xen.destroy(built.domid);
            let _ = xs.rm(&format!("/local/domain/{}", built.domid.get()));
            return Err(e.into());
        }
    }
    println!("{}", built.domid.get());
    Ok(())
}

/// How long `console` waits for xenconsoled to give the domain a pty.
const TTY_WAIT: Duration = Duration::from_secs(10);

fn console(arg: &str) -> Result<(), Failure> {
    let domid = parse_domid(arg)?;
    let xs = Xenstore::open()?;
    let node = format!("/local/domain/{}/console/tty", domid.get());
    let start = Instant::now();
    let tty = loop {
        // xenconsoled writes the node once it has opened the pty.
        match xs.read_opt(&node)? {
            Some(v) if !v.is_empty() => break String::from_utf8(v)?,
            _ if start.elapsed() > TTY_WAIT => {
                return Err(format!(
                    "{node}: no pty after {TTY_WAIT:?} (is xenconsoled running, and the domain's \
                     console set up?)"
                )
                .into())
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    // Only a pty path: never let a domain-writable value pick a file.
    if !tty.starts_with("/dev/pts/") || tty[9..].contains('/') {
        return Err(format!("{node}: {tty:?} is not a pty").into());
    }
    let mut pty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&tty)
        .map_err(|e| format!("{tty}: {e}"))?;
    let mut input = pty.try_clone()?;
    // Keyboard to the domain, on its own thread (ends with the process).
    std::thread::spawn(move || io::copy(&mut io::stdin().lock(), &mut input));
    let mut out = io::stdout().lock();
    let mut buf = [0u8; 4096];
    loop {
        // EIO: xenconsoled closed the pty (the domain is gone).
        match io::Read::read(&mut pty, &mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                out.write_all(&buf[..n])?;
                out.flush()?;
            }
            Err(e) if e.raw_os_error() == Some(5) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("{tty}: {e}").into()),
        }
    }
}

/// A domain id from the command line.
fn parse_domid(arg: &str) -> Result<DomId, Failure> {
    let raw: u16 = arg
        .parse()
        .map_err(|_| format!("not a domain id: {arg:?}"))?;
    Ok(DomId::new_domain(raw).map_err(|e| format!("domain {raw}: {e}"))?)
}

/// How long `destroy` waits for Xen to let a dying domain go.
const DYING_WAIT: Duration = Duration::from_secs(10);

fn destroy(arg: &str) -> Result<(), Failure> {
    let domid = parse_domid(arg)?;
    let raw = domid.get();
    if domid == DomId::DOM0 {
        return Err("refusing to destroy domain 0".into());
    }
    let xen = toolstack()?;
    xen.domain_info(domid)?;
    let xs = Xenstore::open().ok();
    let home = format!("/local/domain/{raw}");
    let vm = xs
        .as_ref()
        .and_then(|xs| xs.read_string(&format!("{home}/vm")).ok());
    xen.destroy(domid)?;
    let start = Instant::now();
    loop {
        match xen.domain_info(domid) {
            Err(Error::NoSuchDomain(_)) => break,
            Err(e) => return Err(e.into()),
            Ok(_) if start.elapsed() > DYING_WAIT => {
                return Err(format!("domain {raw} is still dying after {DYING_WAIT:?}").into())
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    if let Some(xs) = xs {
        let mut paths = vec![home, format!("/libxl/{raw}")];
        // Only a `/vm/<uuid>` path: never let a domain's own node steer rm.
        if let Some(vm) = vm.filter(|v| v.starts_with("/vm/") && !v[4..].contains('/')) {
            paths.push(vm);
        }
        for kind in xs.directory("/local/domain/0/backend").unwrap_or_default() {
            paths.push(format!("/local/domain/0/backend/{kind}/{raw}"));
        }
        for p in paths {
            // Already gone is fine; anything else is reported.
            match xs.rm(&p) {
                Ok(()) | Err(xen_store::Error::Xenstore(xen_abi::Errno::ENOENT)) => {}
                Err(e) => return Err(format!("xenstore rm {p}: {e}").into()),
            }
        }
    }
    Ok(())
}

fn info() -> Result<(), Failure> {
    let xen = toolstack()?;
    let hc = xen.hypercall();
    let p = xen.physinfo()?;
    let v = version::version(hc)?;
    let extra = version::extraversion(hc)?;
    let extra = extra.to_str().unwrap_or("");
    let caps = version::capabilities(hc)?;
    let cmdline = version::commandline(hc)?;
    let sched = xen.sched_id()?;
    let mut virt = Vec::new();
    for (flag, name) in [
        (PhysCap::PV, "pv"),
        (PhysCap::HVM, "hvm"),
        (PhysCap::HAP, "hap"),
        (PhysCap::SHADOW, "shadow"),
        (PhysCap::DIRECTIO, "directio"),
        (PhysCap::IOMMU_HAP_PT_SHARE, "iommu_hap_pt_share"),
        (PhysCap::VMTRACE, "vmtrace"),
        (PhysCap::GNTTAB_V1, "gnttab-v1"),
        (PhysCap::GNTTAB_V2, "gnttab-v2"),
    ] {
        if p.capabilities.contains(flag) {
            virt.push(name);
        }
    }
    let hw_caps: Vec<String> = p.hw_cap.iter().map(|w| format!("{w:08x}")).collect();
    let rows: Vec<(&str, String)> = vec![
        ("nr_cpus", p.nr_cpus.to_string()),
        ("max_cpu_id", p.max_cpu_id.to_string()),
        ("nr_nodes", p.nr_nodes.to_string()),
        ("cores_per_socket", p.cores_per_socket.to_string()),
        ("threads_per_core", p.threads_per_core.to_string()),
        (
            "cpu_mhz",
            format!("{}.{:03}", p.cpu_khz / 1000, p.cpu_khz % 1000),
        ),
        ("hw_caps", hw_caps.join(":")),
        ("virt_caps", virt.join(" ")),
        ("total_memory", (p.total_pages / 256).to_string()),
        ("free_memory", (p.free_pages / 256).to_string()),
        (
            "outstanding_claims",
            (p.outstanding_pages / 256).to_string(),
        ),
        ("xen_major", v.major.to_string()),
        ("xen_minor", v.minor.to_string()),
        ("xen_extra", extra.to_string()),
        ("xen_version", format!("{v}{extra}")),
        ("xen_caps", caps.to_str().unwrap_or("").to_string()),
        (
            "xen_scheduler",
            sched
                .xl_name()
                .map_or_else(|| format!("{sched:?}"), String::from),
        ),
        (
            "xen_commandline",
            cmdline.to_str().unwrap_or("").to_string(),
        ),
        (
            "domctl_interface",
            format!("{:#x}", xen.interface().domctl_version()),
        ),
    ];
    let out = io::stdout();
    let mut out = out.lock();
    for (k, val) in rows {
        writeln!(out, "{k:<23}: {val}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_letters_follow_xl() {
        let f = |bits: u32| state(DomainInfoFlags::from_bits_retain(bits));
        assert_eq!(f(0), "------");
        assert_eq!(f(1 << 5), "r-----");
        assert_eq!(f((1 << 4) | (1 << 3)), "-bp---");
        assert_eq!(f((1 << 2) | (3 << 16)), "----c-");
        assert_eq!(f((1 << 2) | (1 << 0)), "---s-d");
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-tests: the device tree Xen made for dom0 (docs/misc/arm/
//! device-tree/guest.txt): the `hypervisor` node's version, grant-table
//! region and event PPI, the memory banks (our image must lie in one), the
//! GIC; then the reader against damaged copies of the same tree.

use alloc::vec::Vec;

use xen_abi::version::XenVersion;

use super::super::fdt::{self, Fdt, FdtError};
use super::super::gic::Gic;
use super::super::pages::{PAGE, REGION_PAGES};
use crate::Tester;

/// Checks this group makes.
pub const PLAN: u32 = 11;

/// What the device tree told us (each `None` when it did not say, or said
/// something malformed; the checks report which).
#[derive(Debug, Default)]
pub struct Facts {
    /// The Xen version in the `hypervisor` node's `compatible`.
    pub version: Option<XenVersion>,
    /// The grant-table region: base and size.
    pub grant_region: Option<(u64, u64)>,
    /// The event-channel PPI as a GIC interrupt id (16..32), and its flags.
    pub evtchn_ppi: Option<(u32, u32)>,
    /// The RAM banks.
    pub banks: Vec<(u64, u64)>,
    /// The GICv3.
    pub gic: Option<Gic>,
    /// `/chosen/bootargs` asks for a fault (`xenrs.fault=abort`): the
    /// harness's proof that a fault fails the run.
    pub inject_fault: bool,
}

extern "C" {
    /// The first byte of our image (arm64.ld).
    #[link_name = "_head"]
    pub static IMAGE_START: u8;
}

/// `xen,xen-4.17` -> 4.17.
fn parse_version(compat: &[u8]) -> Option<XenVersion> {
    compat.split(|&c| c == 0).find_map(|s| {
        let v = s.strip_prefix(b"xen,xen-")?;
        let v = core::str::from_utf8(v).ok()?;
        let (maj, min) = v.split_once('.')?;
        Some(XenVersion::new(maj.parse().ok()?, min.parse().ok()?))
    })
}

/// The `hypervisor` node's facts.
fn hypervisor(t: &mut Tester, f: &Fdt<'_>, cells: (usize, usize), facts: &mut Facts) {
    let node = f.node(1, b"hypervisor");
    let node = match node {
        Ok(Some(n)) => n,
        other => {
            for name in ["compatible", "reg", "interrupts"] {
                t.check(
                    "dt: hypervisor node",
                    false,
                    format_args!("{name}: no hypervisor node: {other:?}"),
                );
            }
            return;
        }
    };
    let compat = f.prop(&node, b"compatible");
    facts.version = compat.ok().flatten().and_then(parse_version);
    t.check(
        "dt: hypervisor compatible",
        matches!(compat, Ok(Some(c)) if fdt::has_string(c, b"xen,xen")) && facts.version.is_some(),
        format_args!(
            "{:?}, version {:?}",
            compat.map(|c| c.map(|c| core::str::from_utf8(c).unwrap_or("(not utf-8)"))),
            facts.version
        ),
    );
    // reg: the grant-table region first (then extended regions, if any).
    let reg = f.prop(&node, b"reg");
    let first = match reg {
        Ok(Some(v)) => fdt::reg_entries(v, cells).map(|mut it| it.next()),
        Ok(None) => Err(FdtError::BadProperty("no reg")),
        Err(e) => Err(e),
    };
    let ok = matches!(first, Ok(Some((base, size)))
        if base % PAGE == 0 && size % PAGE == 0 && size >= REGION_PAGES * PAGE);
    if let (true, Ok(Some(r))) = (ok, first) {
        facts.grant_region = Some(r);
    }
    t.check(
        "dt: hypervisor reg (grant-table region)",
        ok,
        format_args!("{first:x?}: page-aligned, at least {REGION_PAGES} pages"),
    );
    // interrupts: <type number flags> in the GIC's 3-cell form, type 1 (PPI).
    let irq = f.prop(&node, b"interrupts");
    let parsed = match irq {
        Ok(Some(v)) if v.len() == 12 => {
            let c = |i| fdt::u32_at(v, i).unwrap_or(u32::MAX);
            Some((c(0), c(1), c(2)))
        }
        _ => None,
    };
    let ok = matches!(parsed, Some((1, n, _)) if n < 16);
    if let (true, Some((_, n, flags))) = (ok, parsed) {
        facts.evtchn_ppi = Some((n + 16, flags));
    }
    t.check(
        "dt: hypervisor interrupts (event PPI)",
        ok,
        format_args!(
            "{irq:x?} -> (type, number, flags) {parsed:x?}, interrupt id {:?}",
            facts.evtchn_ppi.map(|p| p.0)
        ),
    );
}

/// The memory banks; our image and the tree must lie in them.
fn memory(t: &mut Tester, f: &Fdt<'_>, cells: (usize, usize), dtb: usize, facts: &mut Facts) {
    let mut err = None;
    let mut nodes = 0;
    let walk = f.find_node(|n| {
        if n.depth == 1 && n.base_name() == b"memory" {
            nodes += 1;
            let r = f.prop(n, b"device_type").and_then(|dt| {
                if dt != Some(b"memory\0".as_slice()) {
                    return Err(FdtError::BadProperty("device_type"));
                }
                let reg = f.prop(n, b"reg")?.ok_or(FdtError::BadProperty("no reg"))?;
                facts.banks.extend(fdt::reg_entries(reg, cells)?);
                Ok(())
            });
            if let Err(e) = r {
                err = Some(e);
            }
        }
        None::<()>
    });
    if let Err(e) = walk {
        err = Some(e);
    }
    let head = (&raw const IMAGE_START) as u64;
    let within = |a: u64| facts.banks.iter().any(|&(b, s)| a >= b && a - b < s);
    let total: u64 = facts.banks.iter().map(|b| b.1).sum();
    t.check(
        "dt: memory banks hold our image and the tree",
        err.is_none() && nodes > 0 && within(head) && within(dtb as u64),
        format_args!(
            "{nodes} memory nodes, banks {:x?} ({} MiB), image at {head:#x}, tree at {dtb:#x}, {err:?}",
            facts.banks,
            total >> 20
        ),
    );
}

/// The GICv3 node (compatible `arm,gic-v3`): distributor and the first
/// redistributor region.
fn gic(t: &mut Tester, f: &Fdt<'_>, cells: (usize, usize), facts: &mut Facts) {
    let node = f.find_node(|n| {
        f.prop(n, b"compatible")
            .ok()
            .flatten()
            .filter(|c| fdt::has_string(c, b"arm,gic-v3"))
            .map(|_| *n)
    });
    let regs = match node {
        Ok(Some(n)) => match f.prop(&n, b"reg") {
            Ok(Some(v)) => fdt::reg_entries(v, cells).map(|it| it.take(2).collect::<Vec<_>>()),
            Ok(None) => Err(FdtError::BadProperty("no reg")),
            Err(e) => Err(e),
        },
        Ok(None) => Err(FdtError::BadProperty("no arm,gic-v3 node")),
        Err(e) => Err(e),
    };
    let ok = matches!(&regs, Ok(r) if r.len() == 2 && r[0].1 >= 0x1_0000 && r[1].1 >= 0x2_0000);
    if let (true, Ok(r)) = (ok, &regs) {
        facts.gic = Some(Gic {
            gicd: r[0].0 as usize,
            gicr: r[1].0 as usize,
        });
    }
    t.check(
        "dt: GICv3 distributor and redistributor",
        ok,
        format_args!("{regs:x?}"),
    );
}

/// The reader against damaged copies of the tree: each damage gets its own
/// typed error, and 1000 random damages never panic or hang.
fn hostile(t: &mut Tester, blob: &[u8]) {
    let damaged = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = blob.to_vec();
        f(&mut b);
        let r = Fdt::new(&b).and_then(|d| d.node(1, b"hypervisor").map(|n| n.is_some()));
        r
    };
    let put =
        |b: &mut Vec<u8>, off: usize, v: u32| b[off..off + 4].copy_from_slice(&v.to_be_bytes());
    let len = blob.len() as u32;
    let r = damaged(&|b| put(b, 0, 0xfeed_d00d));
    t.check(
        "dt reader: bad magic",
        r == Err(FdtError::BadMagic(0xfeed_d00d)),
        format_args!("{r:?}"),
    );
    let r = damaged(&|b| put(b, 4, len + 4096));
    t.check(
        "dt reader: totalsize past the blob",
        matches!(r, Err(FdtError::Truncated { .. })),
        format_args!("{r:?}"),
    );
    let r = damaged(&|b| put(b, 8, len - 4));
    t.check(
        "dt reader: structure block past the end",
        matches!(r, Err(FdtError::OutOfBounds { .. })),
        format_args!("{r:?}"),
    );
    // The structure block's first node name loses its NUL and the block
    // ends right after it.
    let r = damaged(&|b| {
        let off = u32::from_be_bytes([b[8], b[9], b[10], b[11]]) as usize;
        put(b, 36, 8); // size_dt_struct: the BEGIN_NODE token and 4 name bytes
        for x in &mut b[off + 4..off + 8] {
            *x = b'x';
        }
    });
    t.check(
        "dt reader: unterminated node name",
        matches!(r, Err(FdtError::Unterminated(_))),
        format_args!("{r:?}"),
    );
    // Pseudo-random damage anywhere past the header: every answer comes
    // back (a panic would end the run with a PANIC line, a hang at the
    // timeout), some damage is caught, and not all of it breaks the tree.
    let mut x = 0x2545_f491_u32;
    let mut errors = 0;
    for _ in 0..1000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let pos = 40 + (x as usize % (blob.len() - 40));
        let r = damaged(&|b| b[pos] ^= (x >> 24) as u8 | 1);
        errors += u32::from(r.is_err());
    }
    t.check(
        "dt reader: 1000 random corruptions",
        errors > 0 && errors < 1000,
        format_args!("{errors} refused, the rest still parsed"),
    );
}

/// Runs the group over the tree at `dtb`.
pub fn run(t: &mut Tester, dtb: usize) -> Facts {
    let mut facts = Facts::default();
    // SAFETY: Xen passes dom0 its device tree in dom0's RAM, mapped 1:1,
    // and nothing writes it afterwards.
    let fdt = unsafe { Fdt::from_addr(dtb) };
    let cells = fdt.and_then(|f| f.root_cells());
    t.check(
        "dt: header and root cells",
        fdt.is_ok() && cells.is_ok(),
        format_args!("tree at {dtb:#x}: {:?}, cells {cells:?}", fdt.map(|_| ())),
    );
    let (Ok(f), Ok(cells)) = (fdt, cells) else {
        for _ in 1..PLAN {
            t.check("dt", false, format_args!("no usable device tree"));
        }
        return facts;
    };
    facts.inject_fault = f
        .node(1, b"chosen")
        .ok()
        .flatten()
        .and_then(|n| f.prop(&n, b"bootargs").ok().flatten())
        .is_some_and(|a| a.windows(17).any(|w| w == b"xenrs.fault=abort"));
    hypervisor(t, &f, cells, &mut facts);
    memory(t, &f, cells, dtb, &mut facts);
    gic(t, &f, cells, &mut facts);
    hostile(t, f.blob());
    facts
}

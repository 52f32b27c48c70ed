// SPDX-License-Identifier: MIT OR Apache-2.0
//! The PV domain builder: from a kernel's ELF image to a paused domain that
//! xenstored and xenconsoled know, as `xl create -p` leaves one.
//!
//! [`build`] does, in order (each step's name is a [`Step`]):
//! 1. Checks the kernel ([`Kernel::parse`]) and places the boot pieces
//!    ([`Layout::plan`]) before anything exists in Xen: a bad image or too
//!    little memory fails with nothing to undo.
//! 2. `XEN_DOMCTL_createdomain` (PV, one or more vCPUs),
//!    `XEN_DOMCTL_max_mem` and `XEN_DOMCTL_max_vcpus` (which allocates the
//!    vCPUs createdomain counted); from here a `CreatedDomain` guard destroys
//!    the domain if any later step fails (or the domain vanishes).
//! 3. `XENMEM_populate_physmap` for every frame: Xen writes back the
//!    machine frame of each (a PV domain's P2M).
//! 4. Maps the boot region through privcmd and writes the kernel's
//!    segments, the P2M list, `start_info`, zeroed xenstore and console
//!    pages and the page tables; unmaps it (the tables must have no
//!    writable mapping left when Xen pins them).
//! 5. `XEN_DOMCTL_hypercall_init` on the page the kernel's
//!    `HYPERCALL_PAGE` note names; `MMUEXT_PIN_L4_TABLE` for the L4 on the
//!    domain's behalf; the shared-info page with every vCPU's upcalls
//!    masked.
//! 6. Two unbound event channels to dom0 (xenstore, console); grant
//!    entries 0 and 1 (`GNTTAB_RESERVED_CONSOLE`/`_XENSTORE`) giving dom0
//!    the console and xenstore pages, which is how xenstored and
//!    xenconsoled map them.
//! 7. `XEN_DOMCTL_setvcpucontext` for vCPU 0: entry point, stack,
//!    `start_info` in `%rsi`, the L4 in `cr3`, flat kernel selectors.
//! 8. xenstore: the domain's home as libxl lays it out (owned by dom0 and
//!    readable by the domain; `data`, `control/shutdown` and the like
//!    writable by it), `name`, `domid`, `memory/*`, `store/*`, and the
//!    console nodes xenconsoled reads; then `XS_INTRODUCE`. If this fails
//!    the home is removed again.
//!
//! The domain is left paused; [`unpause`] or `xl unpause` starts it.
//!
//! Why a crate under `examples/` and not xen-hypercall: building a domain
//! combines the toolstack hypercalls, privcmd mappings, event channels,
//! grant entries and xenstore, and xen-hypercall sits below xen-store; the
//! workspace's top level is fixed, so the builder lives with the command
//! that uses it (`publish = false` until its API settles).

use core::fmt;
use core::sync::atomic::Ordering;

use xen_abi::arch::x86::{
    flat, pfn_to_cr3, VcpuGuestContext, VcpuGuestContextFlags, LEGACY_MAX_VCPUS,
};
use xen_abi::domctl::GetDomainInfo;
use xen_abi::event_channel::EvtchnPort;
use xen_abi::grant_table::{GrantEntryFlags, GrantEntryV1, RESERVED_CONSOLE, RESERVED_XENSTORE};
use xen_abi::memory::MemFlags;
use xen_abi::xen::{
    Gfn, Mfn, MmuextCmd, MmuextOp, SharedInfo, StartInfo, StartInfoConsoleDomU, VcpuInfo,
};
use xen_abi::{DomId, Errno, VcpuId};
use xen_hypercall::domctl::DomainConfig;
use xen_hypercall::memory::{self, Resource};
use xen_hypercall::privcmd::{Access, ForeignMapping, Privcmd};
use xen_hypercall::toolstack::{self, Toolstack};
use xen_hypercall::{event_channel, mmu};
use xen_store::{Access as XsAccess, Perm, Store, Xenstore};
use zerocopy::{FromZeros, IntoBytes};

use crate::elf::{ElfError, Kernel, PAGE_SIZE};
use crate::layout::{Layout, LayoutError};

/// What to build.
#[derive(Debug, Clone)]
pub struct DomainSpec<'a> {
    /// The name in xenstore (`/local/domain/<id>/name`), as `xl list` shows.
    pub name: &'a str,
    /// Memory in MiB.
    pub memory_mib: u64,
    /// vCPUs (vCPU 0 starts; the others are for the guest to bring up).
    pub vcpus: u32,
    /// The kernel command line (at most 1023 bytes).
    pub cmdline: &'a str,
    /// The kernel's ELF image.
    pub kernel: &'a [u8],
}

/// The builder's steps, for [`Error::At`] and the hook of [`build_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// `XEN_DOMCTL_createdomain` and `max_mem`.
    Create,
    /// `XENMEM_populate_physmap`.
    Memory,
    /// The boot region written (kernel, P2M, start_info, page tables).
    Image,
    /// Hypercall page, L4 pinned, shared info.
    Boot,
    /// Event channels and grant entries for xenstore and the console.
    Channels,
    /// vCPU 0's context.
    Vcpu,
    /// xenstore nodes and `XS_INTRODUCE`.
    Xenstore,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Create => "create the domain",
            Self::Memory => "populate its memory",
            Self::Image => "load the kernel and boot pieces",
            Self::Boot => "set up the hypercall page, page tables and shared info",
            Self::Channels => "set up the xenstore and console channels",
            Self::Vcpu => "set vCPU 0's context",
            Self::Xenstore => "introduce the domain to xenstore",
        })
    }
}

/// Why a build failed. Whatever was created had been torn down when the
/// caller sees it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The kernel image is not one we can boot.
    Kernel(ElfError),
    /// The kernel and its boot pieces do not fit the memory asked for.
    Layout(LayoutError),
    /// A request that makes no sense (no vCPUs, a name xenstore cannot hold, ...).
    Invalid(&'static str),
    /// Xen populated fewer frames than asked.
    OutOfMemory {
        /// Frames asked for.
        asked: u64,
        /// Frames Xen gave.
        got: u64,
    },
    /// The domain disappeared while it was being built (destroyed by
    /// someone else).
    Vanished {
        /// Its id.
        domid: DomId,
        /// The step that found it gone.
        step: Step,
    },
    /// A step failed.
    At {
        /// The step.
        step: Step,
        /// What failed.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kernel(e) => write!(f, "kernel image: {e}"),
            Self::Layout(e) => write!(f, "memory: {e}"),
            Self::Invalid(what) => f.write_str(what),
            Self::OutOfMemory { asked, got } => {
                write!(
                    f,
                    "Xen gave {got} of the {asked} pages asked for (not enough free memory)"
                )
            }
            Self::Vanished { domid, step } => {
                write!(
                    f,
                    "domain {} vanished while the builder tried to {step}",
                    domid.get()
                )
            }
            Self::At { step, source } => write!(f, "could not {step}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Kernel(e) => Some(e),
            Self::Layout(e) => Some(e),
            Self::At { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

impl From<ElfError> for Error {
    fn from(e: ElfError) -> Self {
        Self::Kernel(e)
    }
}

impl From<LayoutError> for Error {
    fn from(e: LayoutError) -> Self {
        Self::Layout(e)
    }
}

/// A built, paused domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Built {
    /// Its id.
    pub domid: DomId,
    /// Its xenstore ring's machine frame and event channel (its end).
    pub store: (u64, EvtchnPort),
    /// Its console ring's machine frame and event channel (its end).
    pub console: (u64, EvtchnPort),
    /// The boot region's layout.
    pub layout: Layout,
}

/// Extra vCPU-0 register state Xen's DR6/DR7 reset values
/// (`X86_DR6_DEFAULT`, `X86_DR7_DEFAULT`), as libxenguest sets them.
const DR6_DEFAULT: u64 = 0xffff_0ff0;
const DR7_DEFAULT: u64 = 0x0000_0400;
/// `rflags` at entry: interrupts enabled (as libxenguest; a PV guest's
/// real interrupt flag is its upcall mask).
const RFLAGS_IF: u64 = 1 << 9;
/// Extra KiB of `max_mem` beyond the memory asked for (libxl's
/// `LIBXL_MAXMEM_CONSTANT`).
const MAXMEM_SLACK_KIB: u64 = 1024;
/// Frames per `populate_physmap` call.
const POPULATE_BATCH: usize = 1024;
/// xenconsoled's default ring buffer limit, as libxl writes it.
const CONSOLE_LIMIT: &str = "1048576";

/// Builds a paused PV domain from `spec`; see the module docs.
///
/// # Errors
/// [`Error`]; nothing of the domain is left behind.
pub fn build(
    xen: &Toolstack<Privcmd>,
    xs: &Xenstore,
    spec: &DomainSpec<'_>,
) -> Result<Built, Error> {
    build_with(xen, xs, spec, |_, _| ())
}

/// As [`build`], calling `after(step, domid)` after each step that
/// succeeded (tests use it to destroy the domain mid-build).
///
/// # Errors
/// As [`build`].
pub fn build_with(
    xen: &Toolstack<Privcmd>,
    xs: &Xenstore,
    spec: &DomainSpec<'_>,
    mut after: impl FnMut(Step, DomId),
) -> Result<Built, Error> {
    if spec.vcpus == 0 {
        return Err(Error::Invalid("a domain needs at least one vCPU"));
    }
    if spec.name.is_empty() || spec.name.contains(['/', '\0']) || spec.name.len() > 256 {
        return Err(Error::Invalid("a name is 1-256 bytes without '/' or NUL"));
    }
    if spec.cmdline.len() >= xen_abi::xen::MAX_CMDLINE || spec.cmdline.contains('\0') {
        return Err(Error::Invalid(
            "the command line is at most 1023 bytes without NUL",
        ));
    }
    let kernel = Kernel::parse(spec.kernel)?;
    let total_pages = spec
        .memory_mib
        .checked_mul(256)
        .filter(|&p| p > 0 && usize::try_from(p).is_ok())
        .ok_or(Error::Invalid("memory must be 1 MiB or more"))?;
    let layout = Layout::plan(&kernel, total_pages)?;
    // Everything from here on is undone on failure.
    let domain = xen
        .create_domain(None, &DomainConfig::pv(spec.vcpus))
        .map_err(|e| at(Step::Create, e))?;
    let b = Builder {
        xen,
        domid: domain.domid(),
    };
    let result = b.run(xs, spec, &kernel, &layout, &mut after);
    match result {
        Ok(built) => {
            let _ = domain.keep();
            Ok(built)
        }
        Err(e) => {
            // A domain gone underneath us explains whatever failed.
            let e = match xen.domain_info(b.domid) {
                Err(toolstack::Error::NoSuchDomain(_)) => Error::Vanished {
                    domid: b.domid,
                    step: e.step().unwrap_or(Step::Create),
                },
                _ => e,
            };
            drop(domain); // destroys it (a vanished domain: nothing to do)
            Err(e)
        }
    }
}

impl Error {
    fn step(&self) -> Option<Step> {
        match self {
            Self::At { step, .. } | Self::Vanished { step, .. } => Some(*step),
            Self::OutOfMemory { .. } => Some(Step::Memory),
            _ => None,
        }
    }
}

fn at(step: Step, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::At {
        step,
        source: Box::new(e),
    }
}

/// Xen's refusal of `op` (for the wrappers that return a bare errno), as
/// the toolstack's own calls report theirs.
fn refused(op: &'static str, errno: Errno) -> toolstack::Error {
    toolstack::Error::Xen { op, errno }
}

struct Builder<'a> {
    xen: &'a Toolstack<Privcmd>,
    domid: DomId,
}

impl Builder<'_> {
    fn run(
        &self,
        xs: &Xenstore,
        spec: &DomainSpec<'_>,
        kernel: &Kernel,
        layout: &Layout,
        after: &mut impl FnMut(Step, DomId),
    ) -> Result<Built, Error> {
        let (xen, domid) = (self.xen, self.domid);
        let hc = xen.hypercall();
        let max_kib = spec.memory_mib * 1024 + MAXMEM_SLACK_KIB;
        xen.set_max_mem(domid, max_kib)
            .map_err(|e| at(Step::Create, e))?;
        // Xen allocates the vCPUs here (the count must equal createdomain's).
        xen.set_max_vcpus(domid, spec.vcpus)
            .map_err(|e| at(Step::Create, e))?;
        after(Step::Create, domid);

        let p2m = self.populate(layout.total_pages)?;
        after(Step::Memory, domid);

        self.write_image(spec.kernel, kernel, layout, &p2m)?;
        after(Step::Image, domid);

        if let Some(va) = kernel.hypercall_page {
            let pfn = (va - layout.virt_base) / PAGE_SIZE;
            let mfn = p2m_at(&p2m, pfn)?;
            xen.hypercall_init(domid, Gfn::new_unchecked(mfn))
                .map_err(|e| at(Step::Boot, e))?;
        }
        let mut pin = MmuextOp::new(MmuextCmd::PIN_L4_TABLE);
        pin.set_mfn(Mfn::new_unchecked(p2m_at(&p2m, layout.pt_pfn)?));
        // SAFETY: pins the new domain's own L4 on its behalf
        // (`foreigndom` = the domain); no memory of ours is involved.
        unsafe { mmu::mmuext_op(hc, &mut [pin], domid) }
            .map_err(|e| at(Step::Boot, refused("MMUEXT_PIN_L4_TABLE", e.errno)))?;
        let info = xen.domain_info(domid).map_err(|e| at(Step::Boot, e))?;
        self.init_shared_info(&info)?;
        after(Step::Boot, domid);

        let store_port = event_channel::alloc_unbound(hc, domid, DomId::DOM0).map_err(|e| {
            at(
                Step::Channels,
                refused("EVTCHNOP_alloc_unbound (xenstore)", e),
            )
        })?;
        let console_port = event_channel::alloc_unbound(hc, domid, DomId::DOM0).map_err(|e| {
            at(
                Step::Channels,
                refused("EVTCHNOP_alloc_unbound (console)", e),
            )
        })?;
        let store_mfn = p2m_at(&p2m, layout.xenstore_pfn)?;
        let console_mfn = p2m_at(&p2m, layout.console_pfn)?;
        self.seed_grants(console_mfn, store_mfn)?;
        // start_info names the ports, which exist only now.
        self.write_start_info(spec, layout, &p2m, &info, store_port, console_port)?;
        after(Step::Channels, domid);

        xen.set_vcpu_context(domid, VcpuId::new(0), &vcpu0(kernel, layout, &p2m)?)
            .map_err(|e| at(Step::Vcpu, e))?;
        after(Step::Vcpu, domid);

        introduce(
            xs,
            domid,
            spec,
            (store_mfn, store_port),
            (console_mfn, console_port),
        )
        .map_err(|e| at(Step::Xenstore, e))?;
        after(Step::Xenstore, domid);
        Ok(Built {
            domid,
            store: (store_mfn, store_port),
            console: (console_mfn, console_port),
            layout: *layout,
        })
    }

    /// Populates frames `0..total`, returning the P2M (machine frame per pfn).
    fn populate(&self, total: u64) -> Result<Vec<u64>, Error> {
        let hc = self.xen.hypercall();
        let mut p2m = Vec::new();
        let mut next = 0u64;
        while next < total {
            let n = (total - next).min(POPULATE_BATCH as u64);
            let mut frames: Vec<Gfn> = (next..next + n).map(Gfn::new_unchecked).collect();
            // SAFETY: a new PV domain: the frames name no memory yet, and
            // Xen writes back the machine frames it allocated.
            let done = unsafe {
                memory::populate_physmap(hc, self.domid, 0, MemFlags::empty(), &mut frames)
            }
            .map_err(|e| at(Step::Memory, refused("XENMEM_populate_physmap", e)))?;
            if done as u64 != n {
                return Err(Error::OutOfMemory {
                    asked: total,
                    got: next + done as u64,
                });
            }
            p2m.extend(frames.iter().map(|f| f.get()));
            next += n;
        }
        Ok(p2m)
    }

    /// Writes the boot region (all but start_info, which needs the ports).
    fn write_image(
        &self,
        elf: &[u8],
        kernel: &Kernel,
        layout: &Layout,
        p2m: &[u64],
    ) -> Result<(), Error> {
        let map = self.map(Step::Image, &p2m[..layout.mapped_pages as usize])?;
        let mem = map.shared_mem(..).map_err(|e| at(Step::Image, e))?;
        let page = |pfn: u64| (pfn * PAGE_SIZE) as usize;
        let copy =
            |off: usize, bytes: &[u8]| mem.copy_in(off, bytes).map_err(|e| at(Step::Image, e));
        // Everything in the region starts zeroed: Xen scrubs freed memory,
        // but the contract is ours to keep.
        mem.fill(0, mem.len(), 0).map_err(|e| at(Step::Image, e))?;
        let mut image = vec![0u8; page(layout.kernel_pages)];
        kernel.load(elf, &mut image)?;
        copy(0, &image)?;
        copy(page(layout.p2m_pfn), p2m.as_bytes())?;
        let tables = layout.page_tables(p2m)?;
        copy(page(layout.pt_pfn), tables.as_bytes())?;
        // Dropping `map` unmaps the region: no writable mapping of the
        // page tables may remain when Xen pins them.
        Ok(())
    }

    /// Fills the start_info page.
    fn write_start_info(
        &self,
        spec: &DomainSpec<'_>,
        layout: &Layout,
        p2m: &[u64],
        info: &GetDomainInfo,
        store_port: EvtchnPort,
        console_port: EvtchnPort,
    ) -> Result<(), Error> {
        let mut si = StartInfo::new_zeroed();
        let magic = b"xen-3.0-x86_64";
        si.magic[..magic.len()].copy_from_slice(magic);
        si.nr_pages = layout.total_pages;
        si.shared_info = info.shared_info_frame * PAGE_SIZE;
        si.store_mfn = Mfn::new_unchecked(p2m_at(p2m, layout.xenstore_pfn)?);
        si.store_evtchn = store_port.get();
        si.set_console_domu(StartInfoConsoleDomU {
            mfn: Mfn::new_unchecked(p2m_at(p2m, layout.console_pfn)?),
            evtchn: console_port.get(),
            _pad0: [0; 4],
        });
        si.pt_base = layout.virt(layout.pt_pfn);
        si.nr_pt_frames = layout.pt_pages;
        si.mfn_list = layout.virt(layout.p2m_pfn);
        si.cmd_line[..spec.cmdline.len()].copy_from_slice(spec.cmdline.as_bytes());
        let map = self.map(Step::Channels, &[p2m_at(p2m, layout.start_info_pfn)?])?;
        let mem = map.shared_mem(..).map_err(|e| at(Step::Channels, e))?;
        mem.write(0, &si).map_err(|e| at(Step::Channels, e))
    }

    /// Zeroes the shared-info page and masks every vCPU's upcalls.
    fn init_shared_info(&self, info: &GetDomainInfo) -> Result<(), Error> {
        let map = self.map(Step::Boot, &[info.shared_info_frame])?;
        let mem = map.shared_mem(..).map_err(|e| at(Step::Boot, e))?;
        mem.fill(0, size_of::<SharedInfo>(), 0)
            .map_err(|e| at(Step::Boot, e))?;
        let masked = VcpuInfo {
            evtchn_upcall_mask: 1,
            ..VcpuInfo::new_zeroed()
        };
        for i in 0..LEGACY_MAX_VCPUS {
            mem.write(i * size_of::<VcpuInfo>(), &masked)
                .map_err(|e| at(Step::Boot, e))?;
        }
        Ok(())
    }

    /// Grant entries 0 (console) and 1 (xenstore) for dom0, through the
    /// domain's grant table mapped as a resource.
    fn seed_grants(&self, console_mfn: u64, store_mfn: u64) -> Result<(), Error> {
        let pc = self.xen.hypercall();
        let res = Resource {
            domid: self.domid,
            kind: xen_abi::memory::resource::GRANT_TABLE,
            id: 0, // the shared frames
        };
        let map = pc
            .map_resource(res, 0, 1, Access::ReadWrite)
            .map_err(|e| at(Step::Channels, e))?;
        let mem = map.shared_mem(..).map_err(|e| at(Step::Channels, e))?;
        for (gref, mfn) in [
            (RESERVED_CONSOLE, console_mfn),
            (RESERVED_XENSTORE, store_mfn),
        ] {
            let frame = u32::try_from(mfn).map_err(|_| {
                at(
                    Step::Channels,
                    refused("grant frame above 2^32 (v1 entry)", Errno::EINVAL),
                )
            })?;
            let off = gref.get() as usize * size_of::<GrantEntryV1>();
            // Grantee and frame first, then the flags that make it valid.
            mem.store_u16(off + 2, DomId::DOM0.get(), Ordering::Relaxed)
                .and_then(|()| mem.store_u32(off + 4, frame, Ordering::Relaxed))
                .and_then(|()| {
                    mem.store_u16(
                        off,
                        GrantEntryFlags::PERMIT_ACCESS.bits(),
                        Ordering::Release,
                    )
                })
                .map_err(|e| at(Step::Channels, e))?;
        }
        Ok(())
    }

    fn map(&self, step: Step, frames: &[u64]) -> Result<ForeignMapping, Error> {
        let map = self
            .xen
            .hypercall()
            .map_foreign(self.domid, frames, Access::ReadWrite)
            .map_err(|e| at(step, e))?;
        if let Some((page, errno)) = map.failed_pages().next() {
            return Err(at(step, MapFailed { page, errno }));
        }
        Ok(map)
    }
}

/// A page of a foreign mapping that Xen refused.
#[derive(Debug)]
struct MapFailed {
    page: usize,
    errno: Errno,
}

impl fmt::Display for MapFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "page {} of the mapping: {}", self.page, self.errno)
    }
}

impl std::error::Error for MapFailed {}

/// `p2m[pfn]`, or an error naming the missing frame.
fn p2m_at(p2m: &[u64], pfn: u64) -> Result<u64, Error> {
    usize::try_from(pfn)
        .ok()
        .and_then(|i| p2m.get(i))
        .copied()
        .ok_or(Error::Layout(LayoutError::MissingFrames {
            given: p2m.len(),
            needed: pfn + 1,
        }))
}

/// vCPU 0 at the kernel's entry, as the PV start-of-day ABI says.
fn vcpu0(kernel: &Kernel, layout: &Layout, p2m: &[u64]) -> Result<VcpuGuestContext, Error> {
    let mut c = VcpuGuestContext::new_zeroed();
    c.flags = VcpuGuestContextFlags::IN_KERNEL | VcpuGuestContextFlags::ONLINE;
    c.user_regs.rip = kernel.entry;
    c.user_regs.rsp = layout.stack_top();
    c.user_regs.rsi = layout.virt(layout.start_info_pfn);
    c.user_regs.rflags = RFLAGS_IF;
    c.user_regs.cs = flat::KERNEL_CS;
    c.user_regs.ss = flat::KERNEL_SS;
    c.user_regs.ds = flat::KERNEL_DS;
    c.user_regs.es = flat::KERNEL_DS;
    c.user_regs.fs = flat::KERNEL_DS;
    c.user_regs.gs = flat::KERNEL_DS;
    c.kernel_ss = u64::from(flat::KERNEL_SS);
    c.kernel_sp = c.user_regs.rsp;
    c.debugreg[6] = DR6_DEFAULT;
    c.debugreg[7] = DR7_DEFAULT;
    c.ctrlreg[3] = pfn_to_cr3(Mfn::new_unchecked(p2m_at(p2m, layout.pt_pfn)?));
    Ok(c)
}

/// The domain's xenstore home as libxl makes it, then `XS_INTRODUCE`.
/// On failure the home is removed again.
fn introduce(
    xs: &Xenstore,
    domid: DomId,
    spec: &DomainSpec<'_>,
    store: (u64, EvtchnPort),
    console: (u64, EvtchnPort),
) -> Result<(), xen_store::Error> {
    let id = domid.get();
    let home = format!("/local/domain/{id}");
    // Owned by dom0, readable by the domain; its writable corners owned by it.
    let ro = [
        Perm::new(XsAccess::None, DomId::DOM0),
        Perm::new(XsAccess::Read, domid),
    ];
    let rw = [Perm::new(XsAccess::None, domid)];
    let kib = spec.memory_mib * 1024;
    let written = xs.transaction(|tx| {
        // A stale home of an earlier domain with this id goes first.
        match tx.rm(&home) {
            Ok(()) | Err(xen_store::Error::Xenstore(Errno::ENOENT)) => {}
            Err(e) => return Err(e),
        }
        tx.mkdir(&home)?;
        tx.set_perms(&home, &ro)?;
        for dir in ["cpu", "memory", "device", "control"] {
            tx.mkdir(&format!("{home}/{dir}"))?;
            tx.set_perms(&format!("{home}/{dir}"), &ro)?;
        }
        for dir in [
            "control/shutdown",
            "control/sysrq",
            "data",
            "drivers",
            "feature",
            "attr",
            "error",
        ] {
            tx.mkdir(&format!("{home}/{dir}"))?;
            tx.set_perms(&format!("{home}/{dir}"), &rw)?;
        }
        let nodes = [
            ("name", spec.name.to_owned()),
            ("domid", id.to_string()),
            ("memory/static-max", kib.to_string()),
            ("memory/target", kib.to_string()),
            ("store/port", store.1.get().to_string()),
            ("store/ring-ref", store.0.to_string()),
            ("console/port", console.1.get().to_string()),
            ("console/ring-ref", console.0.to_string()),
            ("console/limit", CONSOLE_LIMIT.to_owned()),
            ("console/type", "xenconsoled".to_owned()),
            ("console/output", "pty".to_owned()),
        ];
        for (node, value) in &nodes {
            tx.write(&format!("{home}/{node}"), value)?;
        }
        for dir in ["store", "console"] {
            tx.set_perms(&format!("{home}/{dir}"), &ro)?;
        }
        Ok(())
    });
    let result = written.and_then(|()| xs.introduce(domid, store.0, store.1.get()));
    if result.is_err() {
        let _ = xs.rm(&home);
    }
    result
}

/// Starts a built domain (`XEN_DOMCTL_unpausedomain`).
///
/// # Errors
/// As [`Toolstack::unpause`].
pub fn unpause(xen: &Toolstack<Privcmd>, domid: DomId) -> Result<(), toolstack::Error> {
    xen.unpause(domid)
}

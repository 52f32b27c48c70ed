// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_domctl`: creating, inspecting, pausing and destroying
//! domains, as methods of [`Toolstack`] (which picked the interface version
//! and layouts of the running Xen).
//!
//! Memory for another domain (`XENMEM_populate_physmap`,
//! `XENMEM_decrease_reservation` with its `domid`) is in [`crate::memory`].

use xen_abi::arch::x86::{ArchDomainConfig, VcpuGuestContext};
use xen_abi::domctl::{
    self, op, CreateDomainFlags, Domctl, GetDomainInfo, GetVcpuInfo, HypercallInit, MaxMem,
    MaxVcpus, TscInfo, VcpuAffinity, VcpuAffinityFlags, VcpuContext, XenctlBitmap,
};
use xen_abi::xen::{Gfn, GuestHandle, HypercallOp, SubOp, XenDomainHandle};
use xen_abi::{DomId, Errno, VcpuId};
use zerocopy::{FromZeros, IntoBytes};

use crate::toolstack::{Error, Interface, Result, Toolstack};
use crate::Hypercall;

/// How many times [`Toolstack::destroy`] re-issues a destroy Xen answers
/// with `EAGAIN` (teardown in progress) before giving up.
pub const DESTROY_RETRIES: u32 = 100_000;

/// A new domain's configuration, the same for every [`Interface`] (fields a
/// release lacks are left out of its layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainConfig {
    /// `XEN_DOMCTL_CDF_*` (empty: a PV domain).
    pub flags: CreateDomainFlags,
    /// The toolstack's handle (a UUID).
    pub handle: XenDomainHandle,
    /// vCPUs.
    pub max_vcpus: u32,
    /// Highest event channel port.
    pub max_evtchn_port: u32,
    /// Grant-table frames (`-1`: Xen's default).
    pub max_grant_frames: i32,
    /// Maptrack frames (`-1`: Xen's default).
    pub max_maptrack_frames: i32,
    /// Highest grant-table version the domain may use (1 or 2).
    pub max_grant_version: u8,
    /// CPU pool (0: the default pool).
    pub cpupool_id: u32,
    /// XSM security reference (0 without XSM).
    pub ssidref: u32,
    /// Architecture configuration (all zero for PV).
    pub arch: ArchDomainConfig,
}

impl DomainConfig {
    /// A PV domain with `max_vcpus` vCPUs and `xl`'s defaults otherwise
    /// (1024 event channels, Xen's grant limits, grant tables up to v2).
    pub fn pv(max_vcpus: u32) -> Self {
        Self {
            flags: CreateDomainFlags::empty(),
            handle: [0; 16],
            max_vcpus,
            max_evtchn_port: 1023,
            max_grant_frames: -1,
            max_maptrack_frames: -1,
            max_grant_version: 2,
            cpupool_id: 0,
            ssidref: 0,
            arch: ArchDomainConfig::default(),
        }
    }

    fn v4_17(&self) -> domctl::v4_17::CreateDomain {
        domctl::v4_17::CreateDomain {
            ssidref: self.ssidref,
            handle: self.handle,
            flags: self.flags,
            iommu_opts: 0,
            max_vcpus: self.max_vcpus,
            max_evtchn_port: self.max_evtchn_port,
            max_grant_frames: self.max_grant_frames,
            max_maptrack_frames: self.max_maptrack_frames,
            grant_opts: u32::from(self.max_grant_version & 0xf),
            vmtrace_size: 0,
            cpupool_id: self.cpupool_id,
            arch: self.arch,
        }
    }

    fn v4_20(&self) -> domctl::v4_20::CreateDomain {
        let c = self.v4_17();
        domctl::v4_20::CreateDomain {
            ssidref: c.ssidref,
            handle: c.handle,
            flags: c.flags,
            iommu_opts: c.iommu_opts,
            max_vcpus: c.max_vcpus,
            max_evtchn_port: c.max_evtchn_port,
            max_grant_frames: c.max_grant_frames,
            max_maptrack_frames: c.max_maptrack_frames,
            grant_opts: c.grant_opts,
            altp2m_opts: 0,
            vmtrace_size: c.vmtrace_size,
            cpupool_id: c.cpupool_id,
            arch: c.arch,
        }
    }
}

/// A domain this handle created: destroyed when dropped, unless kept with
/// [`CreatedDomain::keep`]. Everything built for it so far goes with it.
#[derive(Debug)]
#[must_use = "dropping a CreatedDomain destroys the domain"]
pub struct CreatedDomain<'a, H: Hypercall> {
    xen: &'a Toolstack<H>,
    domid: DomId,
    armed: bool,
}

impl<H: Hypercall> CreatedDomain<'_, H> {
    /// The domain's id.
    pub fn domid(&self) -> DomId {
        self.domid
    }

    /// Keeps the domain: it outlives this handle.
    pub fn keep(mut self) -> DomId {
        self.armed = false;
        self.domid
    }

    /// Destroys the domain now, with the error [`Toolstack::destroy`] gives.
    ///
    /// # Errors
    /// As [`Toolstack::destroy`].
    pub fn destroy(mut self) -> Result<()> {
        self.armed = false;
        self.xen.destroy(self.domid)
    }
}

impl<H: Hypercall> Drop for CreatedDomain<'_, H> {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.xen.destroy(self.domid);
        }
    }
}

impl<H: Hypercall> Toolstack<H> {
    /// Issues `d` as is.
    ///
    /// # Safety
    /// Every guest handle inside `d`'s argument must name memory Xen may
    /// read or write as the command defines, visible to Xen (through
    /// [`Hypercall::with_buffer`]) for the call.
    pub unsafe fn domctl_raw(&self, d: &mut Domctl) -> Result<(), Errno> {
        let hc = &self.hc;
        let ret = hc.with_buffer(d.as_mut_bytes(), |addr| {
            // SAFETY: `addr` is where Xen sees the envelope; the caller
            // vouches for the handles inside it.
            unsafe { hc.hypercall1(HypercallOp::DOMCTL, addr) }
        });
        crate::check(ret).map(|_| ())
    }

    /// Issues command `CMD` on `domain` with `arg`, copying Xen's answer
    /// back into `arg`; returns the envelope's domain after the call.
    ///
    /// # Safety
    /// As [`Toolstack::domctl_raw`], for the handles in `arg`.
    unsafe fn domctl<const CMD: u32, T: SubOp<CMD>>(
        &self,
        name: &'static str,
        domain: DomId,
        arg: &mut T,
    ) -> Result<DomId> {
        let mut d = Domctl::new(self.interface.domctl_version(), domain, arg);
        // SAFETY: passed on to the caller.
        unsafe { self.domctl_raw(&mut d) }.map_err(|e| self.err(name, domain, e))?;
        *arg = d.arg::<CMD, T>().ok_or(Error::BadReply { op: name })?;
        Ok(d.domain)
    }

    fn bare(&self, name: &'static str, cmd: u32, domain: DomId) -> Result<()> {
        let mut d = Domctl::bare(cmd, self.interface.domctl_version(), domain);
        // SAFETY: pause, unpause and destroy carry no argument.
        unsafe { self.domctl_raw(&mut d) }.map_err(|e| self.err(name, domain, e))
    }

    fn err(&self, name: &'static str, domain: DomId, e: Errno) -> Error {
        self.error(HypercallOp::DOMCTL, name, Some(domain), e)
    }

    /// Creates a domain (`XEN_DOMCTL_createdomain`), paused, with no memory
    /// and no vCPU state yet; `domid` asks for an id (`None`: Xen picks).
    /// The handle destroys it when dropped unless kept.
    ///
    /// # Errors
    /// [`Error::Xen`] (`EEXIST` for a taken id, `EINVAL` for a configuration
    /// Xen refuses), [`Error::InterfaceVersion`], [`Error::BadReply`] if Xen
    /// names a reserved id.
    #[doc(alias = "XEN_DOMCTL_createdomain")]
    pub fn create_domain(
        &self,
        domid: Option<DomId>,
        config: &DomainConfig,
    ) -> Result<CreatedDomain<'_, H>> {
        const NAME: &str = "XEN_DOMCTL_createdomain";
        let ask = domid.unwrap_or(DomId::DOM0);
        if domid.is_some_and(|d| !d.is_domain() || d == DomId::DOM0) {
            return Err(Error::InvalidArgument {
                what: "a new domain's id must be 1..0x7ff0",
            });
        }
        // SAFETY: createdomain's argument names no guest memory.
        let got = unsafe {
            match self.interface {
                Interface::V4_17 => self.domctl(NAME, ask, &mut config.v4_17())?,
                Interface::V4_20 => self.domctl(NAME, ask, &mut config.v4_20())?,
            }
        };
        if !got.is_domain() || got == DomId::DOM0 {
            return Err(Error::BadReply { op: NAME });
        }
        Ok(CreatedDomain {
            xen: self,
            domid: got,
            armed: true,
        })
    }

    /// A domain's state (`XEN_DOMCTL_getdomaininfo`).
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`] (Xen 4.17 describes the next domain up when
    /// `domid` does not exist: that too is reported as no such domain).
    #[doc(alias = "XEN_DOMCTL_getdomaininfo")]
    pub fn domain_info(&self, domid: DomId) -> Result<GetDomainInfo> {
        let mut info = GetDomainInfo::default();
        // SAFETY: getdomaininfo's argument names no guest memory.
        unsafe { self.domctl("XEN_DOMCTL_getdomaininfo", domid, &mut info)? };
        if info.domain != domid {
            return Err(Error::NoSuchDomain(domid));
        }
        Ok(info)
    }

    /// Pauses a domain (`XEN_DOMCTL_pausedomain`; pauses nest).
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`] (`EINVAL` for dom0 itself).
    #[doc(alias = "XEN_DOMCTL_pausedomain")]
    pub fn pause(&self, domid: DomId) -> Result<()> {
        self.bare("XEN_DOMCTL_pausedomain", op::PAUSEDOMAIN, domid)
    }

    /// Unpauses a domain (`XEN_DOMCTL_unpausedomain`).
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`] (`EINVAL` for a domain whose
    /// vCPUs were never initialised).
    #[doc(alias = "XEN_DOMCTL_unpausedomain")]
    pub fn unpause(&self, domid: DomId) -> Result<()> {
        self.bare("XEN_DOMCTL_unpausedomain", op::UNPAUSEDOMAIN, domid)
    }

    /// Destroys a domain (`XEN_DOMCTL_destroydomain`), re-issuing the call
    /// while Xen answers `EAGAIN` (at most [`DESTROY_RETRIES`] times). The
    /// domain may stay visible as dying until its last page is freed.
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`] (`EAGAIN` after the retries).
    #[doc(alias = "XEN_DOMCTL_destroydomain")]
    pub fn destroy(&self, domid: DomId) -> Result<()> {
        let mut last = Ok(());
        for _ in 0..DESTROY_RETRIES {
            last = self.bare("XEN_DOMCTL_destroydomain", op::DESTROYDOMAIN, domid);
            match last {
                Err(Error::Xen {
                    errno: Errno::EAGAIN,
                    ..
                }) => continue,
                _ => return last,
            }
        }
        last
    }

    /// Sets a domain's memory limit in KiB (`XEN_DOMCTL_max_mem`).
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`].
    #[doc(alias = "XEN_DOMCTL_max_mem")]
    pub fn set_max_mem(&self, domid: DomId, max_kib: u64) -> Result<()> {
        let mut arg = MaxMem { max_memkb: max_kib };
        // SAFETY: max_mem's argument names no guest memory.
        unsafe { self.domctl("XEN_DOMCTL_max_mem", domid, &mut arg) }.map(|_| ())
    }

    /// Sets the number of vCPUs (`XEN_DOMCTL_max_vcpus`; at most the
    /// `max_vcpus` the domain was created with).
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`] (`EINVAL`).
    #[doc(alias = "XEN_DOMCTL_max_vcpus")]
    pub fn set_max_vcpus(&self, domid: DomId, count: u32) -> Result<()> {
        let mut arg = MaxVcpus { max: count };
        // SAFETY: max_vcpus' argument names no guest memory.
        unsafe { self.domctl("XEN_DOMCTL_max_vcpus", domid, &mut arg) }.map(|_| ())
    }

    /// Sets a vCPU's hard and/or soft affinity (`XEN_DOMCTL_setvcpuaffinity`)
    /// to the CPU bitmaps given (bit `n` of byte `n / 8` is CPU `n`); Xen
    /// writes the effective affinity back into them.
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`] (`EINVAL` for an empty
    /// effective set), [`Error::InvalidArgument`] for a bitmap over
    /// `u32::MAX` bits or no bitmap.
    #[doc(alias = "XEN_DOMCTL_setvcpuaffinity")]
    pub fn set_vcpu_affinity(
        &self,
        domid: DomId,
        vcpu: VcpuId,
        hard: Option<&mut [u8]>,
        soft: Option<&mut [u8]>,
    ) -> Result<()> {
        let mut flags = VcpuAffinityFlags::empty();
        flags.set(VcpuAffinityFlags::HARD, hard.is_some());
        flags.set(VcpuAffinityFlags::SOFT, soft.is_some());
        if flags.is_empty() {
            return Err(Error::InvalidArgument {
                what: "no affinity bitmap",
            });
        }
        let bits = |b: &Option<&mut [u8]>| -> Result<u32> {
            let n = b.as_ref().map_or(0, |b| b.len());
            n.checked_mul(8)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or(Error::InvalidArgument {
                    what: "affinity bitmap too large",
                })
        };
        let (hard_bits, soft_bits) = (bits(&hard)?, bits(&soft)?);
        let mut empty_h = [0u8; 0];
        let mut empty_s = [0u8; 0];
        let h: &mut [u8] = hard.unwrap_or(&mut empty_h);
        let s: &mut [u8] = soft.unwrap_or(&mut empty_s);
        let hc = &self.hc;
        hc.with_buffer(h, |h_addr| {
            hc.with_buffer(s, |s_addr| {
                let mut arg = VcpuAffinity {
                    vcpu: vcpu.get(),
                    flags,
                    cpumap_hard: XenctlBitmap {
                        bitmap: GuestHandle::from_addr(if hard_bits == 0 { 0 } else { h_addr }),
                        nr_bits: hard_bits,
                        _pad0: [0; 4],
                    },
                    cpumap_soft: XenctlBitmap {
                        bitmap: GuestHandle::from_addr(if soft_bits == 0 { 0 } else { s_addr }),
                        nr_bits: soft_bits,
                        _pad0: [0; 4],
                    },
                };
                // SAFETY: the bitmaps are where Xen sees the caller's
                // buffers, `nr_bits` long, for this call.
                unsafe {
                    self.domctl::<{ op::SETVCPUAFFINITY }, _>(
                        "XEN_DOMCTL_setvcpuaffinity",
                        domid,
                        &mut arg,
                    )
                }
                .map(|_| ())
            })
        })
    }

    /// A vCPU's state (`XEN_DOMCTL_getvcpuinfo`).
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`] (`EINVAL` for a vCPU the
    /// domain lacks, `ESRCH` for one never initialised reads as no such
    /// domain).
    #[doc(alias = "XEN_DOMCTL_getvcpuinfo")]
    pub fn vcpu_info(&self, domid: DomId, vcpu: VcpuId) -> Result<GetVcpuInfo> {
        let mut arg = GetVcpuInfo {
            vcpu: vcpu.get(),
            ..GetVcpuInfo::default()
        };
        // SAFETY: getvcpuinfo's argument names no guest memory.
        unsafe { self.domctl("XEN_DOMCTL_getvcpuinfo", domid, &mut arg)? };
        if arg.vcpu != vcpu.get() {
            return Err(Error::BadReply {
                op: "XEN_DOMCTL_getvcpuinfo",
            });
        }
        Ok(arg)
    }

    fn vcpu_context_call<const CMD: u32>(
        &self,
        name: &'static str,
        domid: DomId,
        vcpu: VcpuId,
        ctxt: &mut VcpuGuestContext,
    ) -> Result<()>
    where
        VcpuContext: SubOp<CMD>,
    {
        let hc = &self.hc;
        hc.with_buffer(ctxt.as_mut_bytes(), |addr| {
            let mut arg = VcpuContext {
                vcpu: vcpu.get(),
                _pad0: [0; 4],
                ctxt: GuestHandle::from_addr(addr),
            };
            // SAFETY: `addr` is where Xen sees a whole vcpu_guest_context
            // for this call.
            unsafe { self.domctl::<CMD, _>(name, domid, &mut arg) }.map(|_| ())
        })
    }

    /// A vCPU's register state (`XEN_DOMCTL_getvcpucontext`).
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`] (`ENODATA` for a vCPU whose
    /// context was never set, `ESRCH`/`EINVAL` for a missing vCPU).
    #[doc(alias = "XEN_DOMCTL_getvcpucontext")]
    pub fn vcpu_context(&self, domid: DomId, vcpu: VcpuId) -> Result<VcpuGuestContext> {
        let mut ctxt = VcpuGuestContext::new_zeroed();
        self.vcpu_context_call::<{ op::GETVCPUCONTEXT }>(
            "XEN_DOMCTL_getvcpucontext",
            domid,
            vcpu,
            &mut ctxt,
        )?;
        Ok(ctxt)
    }

    /// Sets a vCPU's register state (`XEN_DOMCTL_setvcpucontext`); for a PV
    /// domain this initialises the vCPU (page-table base, entry point,
    /// stack, callbacks). Xen validates the context.
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`] (`EINVAL` for a context Xen
    /// refuses, `EBUSY`).
    #[doc(alias = "XEN_DOMCTL_setvcpucontext")]
    pub fn set_vcpu_context(
        &self,
        domid: DomId,
        vcpu: VcpuId,
        ctxt: &VcpuGuestContext,
    ) -> Result<()> {
        let mut copy = *ctxt;
        self.vcpu_context_call::<{ op::SETVCPUCONTEXT }>(
            "XEN_DOMCTL_setvcpucontext",
            domid,
            vcpu,
            &mut copy,
        )
    }

    /// Fills the hypercall page of a PV domain at guest frame `gfn`
    /// (`XEN_DOMCTL_hypercall_init`).
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`] (`EINVAL` for a frame the
    /// domain does not own).
    #[doc(alias = "XEN_DOMCTL_hypercall_init")]
    pub fn hypercall_init(&self, domid: DomId, gfn: Gfn) -> Result<()> {
        let mut arg = HypercallInit { gmfn: gfn.get() };
        // SAFETY: the argument names a frame of the target domain, which Xen
        // checks it owns; none of the caller's memory.
        unsafe { self.domctl("XEN_DOMCTL_hypercall_init", domid, &mut arg) }.map(|_| ())
    }

    /// A domain's TSC settings (`XEN_DOMCTL_gettscinfo`).
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`].
    #[doc(alias = "XEN_DOMCTL_gettscinfo")]
    pub fn tsc_info(&self, domid: DomId) -> Result<TscInfo> {
        let mut arg = TscInfo::default();
        // SAFETY: gettscinfo's argument names no guest memory.
        unsafe { self.domctl::<{ op::GETTSCINFO }, _>("XEN_DOMCTL_gettscinfo", domid, &mut arg)? };
        Ok(arg)
    }

    /// Sets a domain's TSC mode and frequency (`XEN_DOMCTL_settscinfo`;
    /// `gtsc_khz` 0 keeps the host's).
    ///
    /// # Errors
    /// [`Error::NoSuchDomain`], [`Error::Xen`] (`EINVAL` for an unknown mode).
    #[doc(alias = "XEN_DOMCTL_settscinfo")]
    pub fn set_tsc_info(&self, domid: DomId, tsc_mode: u32, gtsc_khz: u32) -> Result<()> {
        let mut arg = TscInfo {
            tsc_mode,
            gtsc_khz,
            ..TscInfo::default()
        };
        // SAFETY: settscinfo's argument names no guest memory.
        unsafe { self.domctl::<{ op::SETTSCINFO }, _>("XEN_DOMCTL_settscinfo", domid, &mut arg) }
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;
    use zerocopy::FromBytes;

    fn envelope(buf: &[u8]) -> Domctl {
        Domctl::read_from_bytes(buf).unwrap()
    }

    #[test]
    fn create_uses_the_release_layout() {
        for (iface, version, size_check) in [
            (Interface::V4_17, 0x15, 56usize),
            (Interface::V4_20, 0x17, 60usize),
        ] {
            let fake = Fake::new(0);
            // Xen picks domain 7.
            fake.reply(|buf| buf[8..10].copy_from_slice(&7u16.to_ne_bytes()));
            let xen = Toolstack::with_interface(&fake, iface);
            let mut cfg = DomainConfig::pv(1);
            cfg.arch.emulation_flags = xen_abi::arch::x86::EmulationFlags::from_bits_retain(0xabcd);
            let d = xen.create_domain(None, &cfg).unwrap();
            assert_eq!(d.domid().get(), 7);
            let call = fake.last();
            assert_eq!(call.op, 36);
            let e = envelope(&call.buffers[0]);
            assert_eq!((e.cmd, e.interface_version), (1, version));
            // The arch config sits where the release puts it.
            assert_eq!(
                e.u.0[size_check..size_check + 4],
                0xabcdu32.to_ne_bytes(),
                "{iface:?}"
            );
            let _ = d.keep();
        }
    }

    #[test]
    fn errors_are_typed() {
        let fake = Fake::new(-13); // EACCES
        let xen = Toolstack::with_interface(&fake, Interface::V4_20);
        let d = DomId::new_unchecked(5);
        assert_eq!(
            xen.pause(d),
            Err(Error::InterfaceVersion {
                hypercall: HypercallOp::DOMCTL,
                sent: 0x17
            })
        );
        fake.set_ret(-3); // ESRCH
        assert_eq!(xen.domain_info(d), Err(Error::NoSuchDomain(d)));
        // Xen 4.17 describes the next domain up: not the one asked for.
        fake.set_ret(0);
        fake.reply(|buf| buf[16..18].copy_from_slice(&9u16.to_ne_bytes()));
        assert_eq!(xen.domain_info(d), Err(Error::NoSuchDomain(d)));
        assert!(matches!(
            xen.create_domain(Some(DomId::SELF), &DomainConfig::pv(1)),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn destroy_retries_eagain_then_reports_it() {
        let fake = Fake::new(-11); // EAGAIN
        let xen = Toolstack::with_interface(&fake, Interface::V4_17);
        assert_eq!(
            xen.destroy(DomId::new_unchecked(3)),
            Err(Error::Xen {
                op: "XEN_DOMCTL_destroydomain",
                errno: Errno::EAGAIN
            })
        );
        assert_eq!(fake.calls().len(), DESTROY_RETRIES as usize);
    }
}

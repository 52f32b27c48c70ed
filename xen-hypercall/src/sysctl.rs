// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_sysctl`: the host, the domain list, Xen's console ring, the
//! scheduler and CPU pools, as methods of [`Toolstack`].

use xen_abi::domctl::{GetDomainInfo, SchedulerId, XenctlBitmap};
use xen_abi::sysctl::{
    cpupool_op, op, CpupoolOp, GetDomainInfoList, PhysInfo, ReadConsole, SchedId, Sysctl,
};
use xen_abi::xen::{GuestHandle, HypercallOp, SubOp};
use xen_abi::{DomId, Errno};
use zerocopy::IntoBytes;

use crate::toolstack::{Error, Result, Toolstack};
use crate::Hypercall;

/// A CPU pool as `XEN_SYSCTL_CPUPOOL_OP_INFO` describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpupoolInfo {
    /// The pool's id.
    pub id: u32,
    /// Its scheduler.
    pub sched_id: SchedulerId,
    /// Domains in it.
    pub n_dom: u32,
    /// Bits of the CPU map Xen filled (the map is the caller's buffer).
    pub cpumap_bits: u32,
}

/// What [`Toolstack::read_console`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsoleRead {
    /// Bytes written at the start of the buffer.
    pub len: usize,
    /// Where the next incremental read starts.
    pub next_index: u32,
}

/// `Some(n)` if Xen's `n` entries at the start of `out` are a valid reply
/// to a list from `first`: no more than asked, ids ascending from `first`.
fn checked_list(first: DomId, out: &[GetDomainInfo], n: u32) -> Option<usize> {
    let n = usize::try_from(n).ok()?;
    let mut prev: Option<u16> = None;
    for d in out.get(..n)? {
        let id = d.domain.get();
        if id < first.get() || prev.is_some_and(|p| p >= id) {
            return None;
        }
        prev = Some(id);
    }
    Some(n)
}

impl<H: Hypercall> Toolstack<H> {
    /// Issues `s` as is.
    ///
    /// # Safety
    /// Every guest handle inside `s`'s argument must name memory Xen may
    /// read or write as the command defines, visible to Xen (through
    /// [`Hypercall::with_buffer`]) for the call.
    pub unsafe fn sysctl_raw(&self, s: &mut Sysctl) -> Result<(), Errno> {
        let hc = &self.hc;
        let ret = hc.with_buffer(s.as_mut_bytes(), |addr| {
            // SAFETY: `addr` is where Xen sees the envelope; the caller
            // vouches for the handles inside it.
            unsafe { hc.hypercall1(HypercallOp::SYSCTL, addr) }
        });
        crate::check(ret).map(|_| ())
    }

    /// # Safety
    /// As [`Toolstack::sysctl_raw`], for the handles in `arg`.
    unsafe fn sysctl<const CMD: u32, T: SubOp<CMD>>(
        &self,
        name: &'static str,
        arg: &mut T,
    ) -> Result<()> {
        let mut s = Sysctl::new(self.interface.sysctl_version(), arg);
        // SAFETY: passed on to the caller.
        unsafe { self.sysctl_raw(&mut s) }
            .map_err(|e| self.error(HypercallOp::SYSCTL, name, None, e))?;
        *arg = s.arg::<CMD, T>().ok_or(Error::BadReply { op: name })?;
        Ok(())
    }

    /// The host: CPUs, nodes, memory, capabilities (`XEN_SYSCTL_physinfo`).
    ///
    /// # Errors
    /// [`Error::InterfaceVersion`], [`Error::Xen`] (`EPERM` unprivileged).
    #[doc(alias = "XEN_SYSCTL_physinfo")]
    pub fn physinfo(&self) -> Result<PhysInfo> {
        let mut arg = PhysInfo::default();
        // SAFETY: physinfo's argument names no guest memory.
        unsafe { self.sysctl("XEN_SYSCTL_physinfo", &mut arg)? };
        Ok(arg)
    }

    /// The default CPU pool's scheduler (`XEN_SYSCTL_sched_id`).
    ///
    /// # Errors
    /// As [`Toolstack::physinfo`].
    #[doc(alias = "XEN_SYSCTL_sched_id")]
    pub fn sched_id(&self) -> Result<SchedulerId> {
        let mut arg = SchedId::default();
        // SAFETY: sched_id's argument names no guest memory.
        unsafe { self.sysctl("XEN_SYSCTL_sched_id", &mut arg)? };
        Ok(arg.sched_id)
    }

    /// Fills `out` with the domains whose id is `first` or higher, in id
    /// order (`XEN_SYSCTL_getdomaininfolist`); returns how many. Fewer than
    /// `out.len()` means the list is complete.
    ///
    /// # Errors
    /// As [`Toolstack::physinfo`]; [`Error::BadReply`] if Xen claims more
    /// entries than asked for or lists a domain below `first` or out of
    /// order.
    #[doc(alias = "XEN_SYSCTL_getdomaininfolist")]
    pub fn domain_list(&self, first: DomId, out: &mut [GetDomainInfo]) -> Result<usize> {
        const NAME: &str = "XEN_SYSCTL_getdomaininfolist";
        let max = u32::try_from(out.len()).map_err(|_| Error::InvalidArgument {
            what: "more than u32::MAX entries",
        })?;
        let hc = &self.hc;
        let n = hc.with_buffer(out.as_mut_bytes(), |addr| {
            let mut arg = GetDomainInfoList {
                first_domain: first,
                max_domains: max,
                buffer: GuestHandle::from_addr(addr),
                ..GetDomainInfoList::default()
            };
            // SAFETY: `addr` is where Xen sees `max` entries for this call.
            unsafe { self.sysctl(NAME, &mut arg)? };
            Ok(arg.num_domains)
        })?;
        checked_list(first, out, n).ok_or(Error::BadReply { op: NAME })
    }

    /// Reads Xen's console ring into `buf` (`XEN_SYSCTL_readconsole`):
    /// from the oldest byte, or from `index` (what a previous read
    /// returned) when given; `clear` empties the ring afterwards.
    ///
    /// # Errors
    /// As [`Toolstack::physinfo`]; [`Error::BadReply`] if Xen claims more
    /// bytes than the buffer holds.
    #[doc(alias = "XEN_SYSCTL_readconsole")]
    pub fn read_console(
        &self,
        buf: &mut [u8],
        index: Option<u32>,
        clear: bool,
    ) -> Result<ConsoleRead> {
        const NAME: &str = "XEN_SYSCTL_readconsole";
        let count = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        let hc = &self.hc;
        let arg = hc.with_buffer(buf, |addr| {
            let mut arg = ReadConsole {
                clear: u8::from(clear),
                incremental: u8::from(index.is_some()),
                index: index.unwrap_or(0),
                buffer: GuestHandle::from_addr(addr),
                count,
                ..ReadConsole::default()
            };
            // SAFETY: `addr` is where Xen sees `count` bytes for this call.
            unsafe { self.sysctl(NAME, &mut arg)? };
            Ok(arg)
        })?;
        if arg.count > count {
            return Err(Error::BadReply { op: NAME });
        }
        Ok(ConsoleRead {
            len: arg.count as usize,
            next_index: arg.index,
        })
    }

    /// Describes the CPU pool with the lowest id `>= pool` and fills
    /// `cpumap` with its CPUs (`XEN_SYSCTL_CPUPOOL_OP_INFO`).
    ///
    /// # Errors
    /// As [`Toolstack::physinfo`]; [`Error::Xen`] with `ENOENT` when no pool
    /// has such an id; [`Error::BadReply`] for a pool below `pool`.
    #[doc(alias = "XEN_SYSCTL_CPUPOOL_OP_INFO")]
    pub fn cpupool_info(&self, pool: u32, cpumap: &mut [u8]) -> Result<CpupoolInfo> {
        const NAME: &str = "XEN_SYSCTL_cpupool_op";
        let bits = cpumap
            .len()
            .checked_mul(8)
            .and_then(|b| u32::try_from(b).ok())
            .ok_or(Error::InvalidArgument {
                what: "CPU map too large",
            })?;
        let hc = &self.hc;
        let arg = hc.with_buffer(cpumap, |addr| {
            let mut arg = CpupoolOp {
                op: cpupool_op::INFO,
                cpupool_id: pool,
                cpumap: XenctlBitmap {
                    bitmap: GuestHandle::from_addr(addr),
                    nr_bits: bits,
                    _pad0: [0; 4],
                },
                ..CpupoolOp::default()
            };
            // SAFETY: the bitmap is where Xen sees `bits` bits for this call.
            unsafe { self.sysctl::<{ op::CPUPOOL_OP }, _>(NAME, &mut arg)? };
            Ok(arg)
        })?;
        if arg.cpupool_id < pool {
            return Err(Error::BadReply { op: NAME });
        }
        Ok(CpupoolInfo {
            id: arg.cpupool_id,
            sched_id: arg.sched_id,
            n_dom: arg.n_dom,
            cpumap_bits: arg.cpumap.nr_bits.min(bits),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;
    use crate::toolstack::Interface;
    use zerocopy::FromBytes;

    #[test]
    fn physinfo_sends_the_sysctl_version() {
        let fake = Fake::new(0);
        fake.reply(|buf| buf[16..20].copy_from_slice(&2u32.to_ne_bytes()));
        let xen = Toolstack::with_interface(&fake, Interface::V4_20);
        assert_eq!(xen.physinfo().unwrap().nr_cpus, 2);
        let s = Sysctl::read_from_bytes(&fake.last().buffers[0]).unwrap();
        assert_eq!((s.cmd, s.interface_version), (3, 0x15));
    }

    #[test]
    fn domain_list_replies_are_checked() {
        let info = |id: u16| GetDomainInfo {
            domain: DomId::new_unchecked(id),
            ..GetDomainInfo::default()
        };
        let out = [info(0), info(3), info(2)];
        assert_eq!(checked_list(DomId::DOM0, &out, 2), Some(2));
        assert_eq!(checked_list(DomId::DOM0, &out, 0), Some(0));
        assert_eq!(checked_list(DomId::DOM0, &out, 3), None, "out of order");
        assert_eq!(checked_list(DomId::DOM0, &out, 4), None, "more than asked");
        assert_eq!(
            checked_list(DomId::new_unchecked(1), &out, 1),
            None,
            "below first"
        );
    }
}

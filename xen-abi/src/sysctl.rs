// SPDX-License-Identifier: MIT OR Apache-2.0
//! `sysctl.h`: the toolstack's system control hypercall (x86), for Xen 4.17
//! and Xen 4.20.
//!
//! `HYPERVISOR_sysctl(struct xen_sysctl *)` takes one envelope, [`Sysctl`]:
//! a command, the interface version and a 128-byte union holding the
//! command's argument. Versioned like [`crate::domctl`]: the structs here have
//! the same layout in 4.17 and 4.20 (the layout proof checks them against
//! both releases' headers); [`v4_17`] and [`v4_20`] hold what is per release,
//! the interface version (`0x15` in both: sysctl was last bumped in 4.17).

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::decode::{read_prefix, write_prefix};
use crate::domctl::{GetDomainInfo, SchedulerId, Union128, XenctlBitmap};
use crate::xen::{DomId, GuestHandle, HypercallOp, SubOp};

/// `XEN_SYSCTL_*`: the commands of `HYPERVISOR_sysctl`.
pub mod op {
    /// Read the hypervisor's console ring ([`ReadConsole`](super::ReadConsole)).
    #[doc(alias = "XEN_SYSCTL_readconsole")]
    pub const READCONSOLE: u32 = 1;
    /// Describe the host ([`PhysInfo`](super::PhysInfo)).
    #[doc(alias = "XEN_SYSCTL_physinfo")]
    pub const PHYSINFO: u32 = 3;
    /// The default scheduler ([`SchedId`](super::SchedId)).
    #[doc(alias = "XEN_SYSCTL_sched_id")]
    pub const SCHED_ID: u32 = 4;
    /// List domains ([`GetDomainInfoList`](super::GetDomainInfoList)).
    #[doc(alias = "XEN_SYSCTL_getdomaininfolist")]
    pub const GETDOMAININFOLIST: u32 = 6;
    /// CPU pool operations ([`CpupoolOp`](super::CpupoolOp)).
    #[doc(alias = "XEN_SYSCTL_cpupool_op")]
    pub const CPUPOOL_OP: u32 = 18;
}

/// The envelope of every sysctl (`struct xen_sysctl`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_sysctl")]
#[doc(alias = "xen_sysctl_t")]
pub struct Sysctl {
    /// The command (one of [`op`]).
    pub cmd: u32,
    /// The interface version the caller speaks; Xen answers `EACCES` to any
    /// other.
    pub interface_version: u32,
    /// The command's argument.
    pub u: Union128,
}
#[cfg(target_arch = "x86_64")]
assert_layout!(Sysctl, size = 136, align = 8, { cmd: 0, interface_version: 4, u: 8 });

impl Sysctl {
    /// An envelope for command `CMD`, speaking `interface_version`, with `arg`
    /// in the union (the rest zeroed). An argument larger than the union, or
    /// one that is not a sysctl argument, fails to compile.
    pub fn new<const CMD: u32, T: SubOp<CMD>>(interface_version: u32, arg: &T) -> Self {
        const {
            assert!(
                core::mem::size_of::<T>() <= 128,
                "argument larger than xen_sysctl.u"
            );
            assert!(
                T::HYPERCALL.get() == HypercallOp::SYSCTL.get(),
                "not a sysctl argument"
            );
        };
        let mut this = Self {
            cmd: CMD,
            interface_version,
            ..Self::default()
        };
        write_prefix(&mut this.u.0, arg);
        this
    }

    /// The union read as the argument of `CMD`, if `cmd` is `CMD`.
    pub fn arg<const CMD: u32, T: SubOp<CMD>>(&self) -> Option<T> {
        (self.cmd == CMD).then(|| read_prefix(&self.u.0))
    }
}

/// Read Xen's console ring (`struct xen_sysctl_readconsole`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_sysctl_readconsole")]
pub struct ReadConsole {
    /// Clear the ring after reading: 0 or 1.
    pub clear: u8,
    /// Start at `index` rather than at the oldest byte: 0 or 1.
    pub incremental: u8,
    /// Padding.
    pub pad0: u8,
    /// Padding.
    pub pad1: u8,
    /// In (incremental): where to start; out: where the read ended.
    pub index: u32,
    /// Where Xen writes the bytes.
    pub buffer: GuestHandle<u8>,
    /// In: the buffer's size; out: the bytes written.
    pub count: u32,
    /// Padding.
    pub _pad0: [u8; 4],
}
#[cfg(target_arch = "x86_64")]
assert_layout!(ReadConsole, size = 24, align = 8, { clear: 0, index: 4, buffer: 8, count: 16 });

/// `XEN_SYSCTL_PHYSCAP_*`: [`PhysInfo::capabilities`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct PhysCap(u32);

bitflags::bitflags! {
    impl PhysCap: u32 {
        /// HVM guests can run.
        #[doc(alias = "XEN_SYSCTL_PHYSCAP_hvm")]
        const HVM = 1 << 0;
        /// PV guests can run.
        #[doc(alias = "XEN_SYSCTL_PHYSCAP_pv")]
        const PV = 1 << 1;
        /// Device pass-through.
        #[doc(alias = "XEN_SYSCTL_PHYSCAP_directio")]
        const DIRECTIO = 1 << 2;
        /// Hardware-assisted paging.
        #[doc(alias = "XEN_SYSCTL_PHYSCAP_hap")]
        const HAP = 1 << 3;
        /// Shadow paging.
        #[doc(alias = "XEN_SYSCTL_PHYSCAP_shadow")]
        const SHADOW = 1 << 4;
        /// IOMMU and HAP share page tables.
        #[doc(alias = "XEN_SYSCTL_PHYSCAP_iommu_hap_pt_share")]
        const IOMMU_HAP_PT_SHARE = 1 << 5;
        /// Processor tracing.
        #[doc(alias = "XEN_SYSCTL_PHYSCAP_vmtrace")]
        const VMTRACE = 1 << 6;
        /// Virtual PMU.
        #[doc(alias = "XEN_SYSCTL_PHYSCAP_vpmu")]
        const VPMU = 1 << 7;
        /// Grant tables v1.
        #[doc(alias = "XEN_SYSCTL_PHYSCAP_gnttab_v1")]
        const GNTTAB_V1 = 1 << 8;
        /// Grant tables v2.
        #[doc(alias = "XEN_SYSCTL_PHYSCAP_gnttab_v2")]
        const GNTTAB_V2 = 1 << 9;
        const _ = !0;
    }
}

impl fmt::Debug for PhysCap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::debug::debug_flags("PhysCap", self, f)
    }
}

/// The host (`struct xen_sysctl_physinfo`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_sysctl_physinfo")]
pub struct PhysInfo {
    /// Hardware threads per core.
    pub threads_per_core: u32,
    /// Cores per socket.
    pub cores_per_socket: u32,
    /// CPUs online.
    pub nr_cpus: u32,
    /// Highest possible CPU id.
    pub max_cpu_id: u32,
    /// NUMA nodes online.
    pub nr_nodes: u32,
    /// Highest possible node id.
    pub max_node_id: u32,
    /// CPU frequency in kHz.
    pub cpu_khz: u32,
    /// What the host can run.
    pub capabilities: PhysCap,
    /// `XEN_SYSCTL_PHYSCAP_{X86,ARM}_*`.
    pub arch_capabilities: u32,
    /// Padding.
    pub pad: u32,
    /// Pages of RAM.
    pub total_pages: u64,
    /// Free pages.
    pub free_pages: u64,
    /// Pages waiting to be scrubbed.
    pub scrub_pages: u64,
    /// Pages claimed but not allocated.
    pub outstanding_pages: u64,
    /// Highest possible machine frame.
    pub max_mfn: u64,
    /// CPU feature words.
    pub hw_cap: [u32; 8],
}
#[cfg(target_arch = "x86_64")]
assert_layout!(PhysInfo, size = 112, align = 8, { cpu_khz: 24, total_pages: 40, max_mfn: 72, hw_cap: 80 });

/// The default scheduler (`struct xen_sysctl_sched_id`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_sysctl_sched_id")]
pub struct SchedId {
    /// The scheduler.
    pub sched_id: SchedulerId,
}

/// List domains (`struct xen_sysctl_getdomaininfolist`): Xen fills up to
/// `max_domains` [`GetDomainInfo`] at `buffer`, from `first_domain` on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_sysctl_getdomaininfolist")]
pub struct GetDomainInfoList {
    /// The lowest domain id to list.
    pub first_domain: DomId,
    /// Padding.
    pub _pad0: [u8; 2],
    /// The buffer's length in entries.
    pub max_domains: u32,
    /// Where Xen writes the entries.
    pub buffer: GuestHandle<GetDomainInfo>,
    /// Out: the entries written.
    pub num_domains: u32,
    /// Padding.
    pub _pad1: [u8; 4],
}
#[cfg(target_arch = "x86_64")]
assert_layout!(GetDomainInfoList, size = 24, align = 8, {
    first_domain: 0, max_domains: 4, buffer: 8, num_domains: 16,
});

/// `XEN_SYSCTL_CPUPOOL_OP_*`: [`CpupoolOp::op`].
pub mod cpupool_op {
    /// Create a pool.
    #[doc(alias = "XEN_SYSCTL_CPUPOOL_OP_CREATE")]
    pub const CREATE: u32 = 1;
    /// Destroy a pool.
    #[doc(alias = "XEN_SYSCTL_CPUPOOL_OP_DESTROY")]
    pub const DESTROY: u32 = 2;
    /// Describe the pool with the lowest id `>= cpupool_id`.
    #[doc(alias = "XEN_SYSCTL_CPUPOOL_OP_INFO")]
    pub const INFO: u32 = 3;
    /// Add a CPU.
    #[doc(alias = "XEN_SYSCTL_CPUPOOL_OP_ADDCPU")]
    pub const ADDCPU: u32 = 4;
    /// Remove a CPU.
    #[doc(alias = "XEN_SYSCTL_CPUPOOL_OP_RMCPU")]
    pub const RMCPU: u32 = 5;
    /// Move a domain to another pool.
    #[doc(alias = "XEN_SYSCTL_CPUPOOL_OP_MOVEDOMAIN")]
    pub const MOVEDOMAIN: u32 = 6;
    /// The CPUs in no pool.
    #[doc(alias = "XEN_SYSCTL_CPUPOOL_OP_FREEINFO")]
    pub const FREEINFO: u32 = 7;
}

/// A CPU pool operation (`struct xen_sysctl_cpupool_op`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_sysctl_cpupool_op")]
pub struct CpupoolOp {
    /// One of [`cpupool_op`].
    pub op: u32,
    /// The pool.
    pub cpupool_id: u32,
    /// Its scheduler.
    pub sched_id: SchedulerId,
    /// The domain to move.
    pub domid: u32,
    /// The CPU to add or remove.
    pub cpu: u32,
    /// Out: domains in the pool.
    pub n_dom: u32,
    /// Out: its CPUs.
    pub cpumap: XenctlBitmap,
}
#[cfg(target_arch = "x86_64")]
assert_layout!(CpupoolOp, size = 40, align = 8, { op: 0, n_dom: 20, cpumap: 24 });

sub_op! {
    SYSCTL:
    ReadConsole => READCONSOLE,
    PhysInfo => PHYSINFO,
    SchedId => SCHED_ID,
    GetDomainInfoList => GETDOMAININFOLIST,
    CpupoolOp => CPUPOOL_OP,
}

/// Xen 4.17's sysctl interface.
pub mod v4_17 {
    /// Xen 4.17's sysctl interface version.
    #[doc(alias = "XEN_SYSCTL_INTERFACE_VERSION")]
    pub const INTERFACE_VERSION: u32 = 0x15;
}

/// Xen 4.20's sysctl interface.
pub mod v4_20 {
    /// Xen 4.20's sysctl interface version (unchanged since 4.17).
    #[doc(alias = "XEN_SYSCTL_INTERFACE_VERSION")]
    pub const INTERFACE_VERSION: u32 = 0x15;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trip() {
        let p = PhysInfo {
            nr_cpus: 2,
            ..PhysInfo::default()
        };
        let s = Sysctl::new(v4_20::INTERFACE_VERSION, &p);
        assert_eq!((s.cmd, s.interface_version), (3, 0x15));
        assert_eq!(s.arg::<{ op::PHYSINFO }, PhysInfo>(), Some(p));
        assert_eq!(s.arg::<{ op::SCHED_ID }, SchedId>(), None);
    }
}

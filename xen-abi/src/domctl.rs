// SPDX-License-Identifier: MIT OR Apache-2.0
//! `domctl.h`: the toolstack's domain control hypercall (x86), for Xen 4.17
//! and Xen 4.20.
//!
//! `HYPERVISOR_domctl(struct xen_domctl *)` takes one envelope, [`Domctl`]:
//! a command, the **interface version** the caller was built against, a
//! domain and a 128-byte union holding the command's argument. Xen refuses
//! (`EACCES`) any envelope whose version is not exactly its own, and the
//! argument structs change between releases, so the interface is versioned:
//!
//! - Structs whose layout is the same in Xen 4.17 and 4.20 live here, once
//!   ([`GetDomainInfo`], [`VcpuAffinity`], [`TscInfo`], ...). The layout proof
//!   (`cargo xtask layout`) checks each against **both** header sets.
//! - What differs lives in [`v4_17`] and [`v4_20`]: the interface version
//!   (`0x15` and `0x17`) and `xen_domctl_createdomain` (4.20 added
//!   `altp2m_opts`, moving every later field). Each is checked against its own
//!   release's headers only.
//!
//! One set with versioned leaves (rather than two full copies) keeps a single
//! Rust type for everything that did not change, so code that reads a
//! [`GetDomainInfo`] works on both releases without a version switch; the
//! proof makes the claim "did not change" a checked one. The argument layouts
//! here are those of x86 (the `arch` members are [`ArchDomainConfig`]).
//!
//! Picking the version at run time from `XENVER_version` is the job of
//! `xen-hypercall`'s `domctl` module.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::arch::x86::{ArchDomainConfig, VcpuGuestContext};
use crate::decode::{read_prefix, write_prefix};
use crate::xen::{DomId, GuestHandle, HypercallOp, SubOp, XenDomainHandle};

/// `XEN_DOMCTL_*`: the commands of `HYPERVISOR_domctl` (the same numbers in
/// 4.17 and 4.20).
pub mod op {
    /// Create a domain ([`v4_17::CreateDomain`](super::v4_17::CreateDomain),
    /// [`v4_20::CreateDomain`](super::v4_20::CreateDomain)); Xen writes the
    /// new id into the envelope's `domain`.
    #[doc(alias = "XEN_DOMCTL_createdomain")]
    pub const CREATEDOMAIN: u32 = 1;
    /// Destroy a domain (no argument; `EAGAIN` while it is being torn down).
    #[doc(alias = "XEN_DOMCTL_destroydomain")]
    pub const DESTROYDOMAIN: u32 = 2;
    /// Pause a domain (no argument).
    #[doc(alias = "XEN_DOMCTL_pausedomain")]
    pub const PAUSEDOMAIN: u32 = 3;
    /// Unpause a domain (no argument).
    #[doc(alias = "XEN_DOMCTL_unpausedomain")]
    pub const UNPAUSEDOMAIN: u32 = 4;
    /// Read a domain's state ([`GetDomainInfo`](super::GetDomainInfo)).
    #[doc(alias = "XEN_DOMCTL_getdomaininfo")]
    pub const GETDOMAININFO: u32 = 5;
    /// Set a vCPU's affinity ([`VcpuAffinity`](super::VcpuAffinity)).
    #[doc(alias = "XEN_DOMCTL_setvcpuaffinity")]
    pub const SETVCPUAFFINITY: u32 = 9;
    /// Set a domain's memory limit ([`MaxMem`](super::MaxMem)).
    #[doc(alias = "XEN_DOMCTL_max_mem")]
    pub const MAX_MEM: u32 = 11;
    /// Set a vCPU's context ([`VcpuContext`](super::VcpuContext)).
    #[doc(alias = "XEN_DOMCTL_setvcpucontext")]
    pub const SETVCPUCONTEXT: u32 = 12;
    /// Read a vCPU's context ([`VcpuContext`](super::VcpuContext)).
    #[doc(alias = "XEN_DOMCTL_getvcpucontext")]
    pub const GETVCPUCONTEXT: u32 = 13;
    /// Read a vCPU's state ([`GetVcpuInfo`](super::GetVcpuInfo)).
    #[doc(alias = "XEN_DOMCTL_getvcpuinfo")]
    pub const GETVCPUINFO: u32 = 14;
    /// Set the number of vCPUs ([`MaxVcpus`](super::MaxVcpus)).
    #[doc(alias = "XEN_DOMCTL_max_vcpus")]
    pub const MAX_VCPUS: u32 = 15;
    /// Fill a PV domain's hypercall page
    /// ([`HypercallInit`](super::HypercallInit)).
    #[doc(alias = "XEN_DOMCTL_hypercall_init")]
    pub const HYPERCALL_INIT: u32 = 22;
    /// Read a vCPU's affinity ([`VcpuAffinity`](super::VcpuAffinity)).
    #[doc(alias = "XEN_DOMCTL_getvcpuaffinity")]
    pub const GETVCPUAFFINITY: u32 = 25;
    /// Read a domain's TSC settings ([`TscInfo`](super::TscInfo)).
    #[doc(alias = "XEN_DOMCTL_gettscinfo")]
    pub const GETTSCINFO: u32 = 59;
    /// Set a domain's TSC settings ([`TscInfo`](super::TscInfo)).
    #[doc(alias = "XEN_DOMCTL_settscinfo")]
    pub const SETTSCINFO: u32 = 60;
}

/// The argument union of [`Domctl`] (`xen_domctl.u`, 128 bytes, 8-aligned).
#[derive(Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C, align(8))]
pub struct Union128(pub [u8; 128]);

impl Default for Union128 {
    fn default() -> Self {
        Self([0; 128])
    }
}

impl fmt::Debug for Union128 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Union128 { .. }")
    }
}

/// The envelope of every domctl (`struct xen_domctl`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_domctl")]
#[doc(alias = "xen_domctl_t")]
pub struct Domctl {
    /// The command (one of [`op`]).
    pub cmd: u32,
    /// The interface version the caller speaks ([`v4_17::INTERFACE_VERSION`],
    /// [`v4_20::INTERFACE_VERSION`]); Xen answers `EACCES` to any other.
    pub interface_version: u32,
    /// The domain the command acts on (Xen writes the new id back for
    /// [`op::CREATEDOMAIN`]).
    pub domain: DomId,
    /// Padding.
    pub _pad: [u16; 3],
    /// The command's argument.
    pub u: Union128,
}
#[cfg(target_arch = "x86_64")]
assert_layout!(Domctl, size = 144, align = 8, { cmd: 0, interface_version: 4, domain: 8, u: 16 });

impl Domctl {
    /// An envelope for command `CMD` on `domain`, speaking `interface_version`,
    /// with `arg` in the union (the rest zeroed). An argument larger than the
    /// union, or one that is not a domctl argument, fails to compile.
    pub fn new<const CMD: u32, T: SubOp<CMD>>(
        interface_version: u32,
        domain: DomId,
        arg: &T,
    ) -> Self {
        const {
            assert!(
                core::mem::size_of::<T>() <= 128,
                "argument larger than xen_domctl.u"
            );
            assert!(
                T::HYPERCALL.get() == HypercallOp::DOMCTL.get(),
                "not a domctl argument"
            );
        };
        let mut this = Self {
            cmd: CMD,
            interface_version,
            domain,
            ..Self::default()
        };
        write_prefix(&mut this.u.0, arg);
        this
    }

    /// An envelope for a command without argument (pause, unpause, destroy).
    pub fn bare(cmd: u32, interface_version: u32, domain: DomId) -> Self {
        Self {
            cmd,
            interface_version,
            domain,
            ..Self::default()
        }
    }

    /// The union read as the argument of `CMD`, if `cmd` is `CMD`.
    pub fn arg<const CMD: u32, T: SubOp<CMD>>(&self) -> Option<T> {
        (self.cmd == CMD).then(|| read_prefix(&self.u.0))
    }
}

/// A CPU bitmap Xen reads or fills (`struct xenctl_bitmap`, tools-only part
/// of `xen.h`): `nr_bits` bits at `bitmap`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xenctl_bitmap")]
#[doc(alias = "xenctl_bitmap_t")]
pub struct XenctlBitmap {
    /// The bitmap's bytes (bit `n` is bit `n % 8` of byte `n / 8`).
    pub bitmap: GuestHandle<u8>,
    /// Its length in bits.
    pub nr_bits: u32,
    /// Padding.
    pub _pad0: [u8; 4],
}
#[cfg(target_arch = "x86_64")]
assert_layout!(XenctlBitmap, size = 16, align = 8, { bitmap: 0, nr_bits: 8 });

/// `XEN_DOMCTL_CDF_*`: [`v4_17::CreateDomain::flags`] and
/// [`v4_20::CreateDomain::flags`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct CreateDomainFlags(u32);

bitflags::bitflags! {
    impl CreateDomainFlags: u32 {
        /// An HVM guest (otherwise PV).
        #[doc(alias = "XEN_DOMCTL_CDF_hvm")]
        const HVM = 1 << 0;
        /// Use hardware-assisted paging.
        #[doc(alias = "XEN_DOMCTL_CDF_hap")]
        const HAP = 1 << 1;
        /// Memory integrity verified by tboot across S3.
        #[doc(alias = "XEN_DOMCTL_CDF_s3_integrity")]
        const S3_INTEGRITY = 1 << 2;
        /// Disable out-of-sync shadow page tables.
        #[doc(alias = "XEN_DOMCTL_CDF_oos_off")]
        const OOS_OFF = 1 << 3;
        /// The domain is a xenstore domain.
        #[doc(alias = "XEN_DOMCTL_CDF_xs_domain")]
        const XS_DOMAIN = 1 << 4;
        /// The domain may use the IOMMU.
        #[doc(alias = "XEN_DOMCTL_CDF_iommu")]
        const IOMMU = 1 << 5;
        /// Nested virtualisation.
        #[doc(alias = "XEN_DOMCTL_CDF_nested_virt")]
        const NESTED_VIRT = 1 << 6;
        /// Expose the vPMU.
        #[doc(alias = "XEN_DOMCTL_CDF_vpmu")]
        const VPMU = 1 << 7;
        const _ = !0;
    }
}

impl fmt::Debug for CreateDomainFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::debug::debug_flags("CreateDomainFlags", self, f)
    }
}

/// `XEN_DOMINF_*`: [`GetDomainInfo::flags`]; bits 16-23 hold the guest's
/// shutdown code ([`DomainInfoFlags::shutdown_code`]).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct DomainInfoFlags(u32);

bitflags::bitflags! {
    impl DomainInfoFlags: u32 {
        /// The domain is being destroyed.
        #[doc(alias = "XEN_DOMINF_dying")]
        const DYING = 1 << 0;
        /// An HVM guest.
        #[doc(alias = "XEN_DOMINF_hvm_guest")]
        const HVM_GUEST = 1 << 1;
        /// The guest has shut down ([`DomainInfoFlags::shutdown_code`] says how).
        #[doc(alias = "XEN_DOMINF_shutdown")]
        const SHUTDOWN = 1 << 2;
        /// Paused by the toolstack.
        #[doc(alias = "XEN_DOMINF_paused")]
        const PAUSED = 1 << 3;
        /// Blocked waiting for an event.
        #[doc(alias = "XEN_DOMINF_blocked")]
        const BLOCKED = 1 << 4;
        /// Running on a CPU.
        #[doc(alias = "XEN_DOMINF_running")]
        const RUNNING = 1 << 5;
        /// Being debugged.
        #[doc(alias = "XEN_DOMINF_debugged")]
        const DEBUGGED = 1 << 6;
        /// A xenstore domain.
        #[doc(alias = "XEN_DOMINF_xs_domain")]
        const XS_DOMAIN = 1 << 7;
        /// Uses hardware-assisted paging.
        #[doc(alias = "XEN_DOMINF_hap")]
        const HAP = 1 << 8;
        const _ = !0;
    }
}

impl DomainInfoFlags {
    /// Mask of the shutdown code after shifting.
    #[doc(alias = "XEN_DOMINF_shutdownmask")]
    pub const SHUTDOWN_MASK: u32 = 255;
    /// Position of the shutdown code.
    #[doc(alias = "XEN_DOMINF_shutdownshift")]
    pub const SHUTDOWN_SHIFT: u32 = 16;

    /// The guest's `SHUTDOWN_*` reason when [`DomainInfoFlags::SHUTDOWN`] is set.
    pub const fn shutdown_code(self) -> Option<u8> {
        if self.0 & Self::SHUTDOWN.bits() != 0 {
            Some(((self.0 >> Self::SHUTDOWN_SHIFT) & Self::SHUTDOWN_MASK) as u8)
        } else {
            None
        }
    }
}

impl fmt::Debug for DomainInfoFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::debug::debug_flags("DomainInfoFlags", self, f)
    }
}

/// A domain's state (`struct xen_domctl_getdomaininfo`): the argument of
/// [`op::GETDOMAININFO`] and the element of `XEN_SYSCTL_getdomaininfolist`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_domctl_getdomaininfo")]
#[doc(alias = "xen_domctl_getdomaininfo_t")]
pub struct GetDomainInfo {
    /// The domain (echoed).
    pub domain: DomId,
    /// Padding.
    pub pad1: u16,
    /// State flags.
    pub flags: DomainInfoFlags,
    /// Pages the domain holds.
    pub tot_pages: u64,
    /// Its page limit.
    pub max_pages: u64,
    /// Pages claimed but not yet allocated.
    pub outstanding_pages: u64,
    /// Pages shared (memory sharing).
    pub shr_pages: u64,
    /// Pages paged out.
    pub paged_pages: u64,
    /// Frame of its `shared_info` page.
    pub shared_info_frame: u64,
    /// CPU time used, in nanoseconds.
    pub cpu_time: u64,
    /// vCPUs online.
    pub nr_online_vcpus: u32,
    /// Highest vCPU id in use (`!0` for none).
    pub max_vcpu_id: u32,
    /// XSM security reference.
    pub ssidref: u32,
    /// The toolstack's handle (a UUID).
    pub handle: XenDomainHandle,
    /// Its CPU pool.
    pub cpupool: u32,
    /// Width of its guest-physical address space.
    pub gpaddr_bits: u8,
    /// Padding.
    pub pad2: [u8; 7],
    /// Its architecture configuration.
    pub arch_config: ArchDomainConfig,
}
#[cfg(target_arch = "x86_64")]
assert_layout!(GetDomainInfo, size = 112, align = 8, {
    domain: 0, flags: 4, tot_pages: 8, cpu_time: 56, nr_online_vcpus: 64, handle: 76,
    cpupool: 92, gpaddr_bits: 96, arch_config: 104,
});

/// A domain's memory limit in KiB (`struct xen_domctl_max_mem`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_domctl_max_mem")]
pub struct MaxMem {
    /// The limit in KiB.
    pub max_memkb: u64,
}

/// A vCPU's context (`struct xen_domctl_vcpucontext`): `ctxt` points at a
/// [`VcpuGuestContext`] Xen reads or fills.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_domctl_vcpucontext")]
pub struct VcpuContext {
    /// The vCPU.
    pub vcpu: u32,
    /// Padding.
    pub _pad0: [u8; 4],
    /// The context.
    pub ctxt: GuestHandle<VcpuGuestContext>,
}
#[cfg(target_arch = "x86_64")]
assert_layout!(VcpuContext, size = 16, align = 8, { vcpu: 0, ctxt: 8 });

/// A vCPU's state (`struct xen_domctl_getvcpuinfo`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_domctl_getvcpuinfo")]
pub struct GetVcpuInfo {
    /// The vCPU (in).
    pub vcpu: u32,
    /// Online (not hot-unplugged): 0 or 1.
    pub online: u8,
    /// Blocked waiting for an event: 0 or 1.
    pub blocked: u8,
    /// Scheduled on a CPU: 0 or 1.
    pub running: u8,
    /// Padding.
    pub _pad0: u8,
    /// CPU time used, in nanoseconds.
    pub cpu_time: u64,
    /// The physical CPU it is on.
    pub cpu: u32,
    /// Padding.
    pub _pad1: [u8; 4],
}
#[cfg(target_arch = "x86_64")]
assert_layout!(GetVcpuInfo, size = 24, align = 8, { vcpu: 0, online: 4, cpu_time: 8, cpu: 16 });

/// `XEN_VCPUAFFINITY_*`: [`VcpuAffinity::flags`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct VcpuAffinityFlags(u32);

bitflags::bitflags! {
    impl VcpuAffinityFlags: u32 {
        /// The hard affinity (where the vCPU may run).
        #[doc(alias = "XEN_VCPUAFFINITY_HARD")]
        const HARD = 1 << 0;
        /// The soft affinity (where it prefers to run).
        #[doc(alias = "XEN_VCPUAFFINITY_SOFT")]
        const SOFT = 1 << 1;
        /// Undo a `SCHEDOP_pin_override`.
        #[doc(alias = "XEN_VCPUAFFINITY_FORCE")]
        const FORCE = 1 << 2;
        const _ = !0;
    }
}

impl fmt::Debug for VcpuAffinityFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::debug::debug_flags("VcpuAffinityFlags", self, f)
    }
}

/// A vCPU's affinity (`struct xen_domctl_vcpuaffinity`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_domctl_vcpuaffinity")]
pub struct VcpuAffinity {
    /// The vCPU.
    pub vcpu: u32,
    /// Which affinities to set or read.
    pub flags: VcpuAffinityFlags,
    /// The hard affinity (in/out).
    pub cpumap_hard: XenctlBitmap,
    /// The soft affinity (in/out).
    pub cpumap_soft: XenctlBitmap,
}
#[cfg(target_arch = "x86_64")]
assert_layout!(VcpuAffinity, size = 40, align = 8, { vcpu: 0, flags: 4, cpumap_hard: 8, cpumap_soft: 24 });

/// The number of vCPUs (`struct xen_domctl_max_vcpus`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_domctl_max_vcpus")]
pub struct MaxVcpus {
    /// The count.
    pub max: u32,
}

/// A domain's TSC settings (`struct xen_domctl_tsc_info`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_domctl_tsc_info")]
pub struct TscInfo {
    /// `XEN_CPUID_TSC_MODE_*` (0: default).
    pub tsc_mode: u32,
    /// Guest TSC frequency in kHz.
    pub gtsc_khz: u32,
    /// Migration count.
    pub incarnation: u32,
    /// Padding.
    pub pad: u32,
    /// Elapsed time in nanoseconds.
    pub elapsed_nsec: u64,
}
#[cfg(target_arch = "x86_64")]
assert_layout!(TscInfo, size = 24, align = 8, { tsc_mode: 0, elapsed_nsec: 16 });

/// The frame to fill with hypercall stubs (`struct xen_domctl_hypercall_init`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_domctl_hypercall_init")]
pub struct HypercallInit {
    /// The guest frame.
    pub gmfn: u64,
}

/// `XEN_SCHEDULER_*`: scheduler ids (`XEN_SYSCTL_sched_id`, cpupools).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct SchedulerId(u32);

impl SchedulerId {
    /// The credit scheduler.
    #[doc(alias = "XEN_SCHEDULER_CREDIT")]
    pub const CREDIT: Self = Self(5);
    /// The credit2 scheduler.
    #[doc(alias = "XEN_SCHEDULER_CREDIT2")]
    pub const CREDIT2: Self = Self(6);
    /// ARINC 653.
    #[doc(alias = "XEN_SCHEDULER_ARINC653")]
    pub const ARINC653: Self = Self(7);
    /// Real-time deferrable server.
    #[doc(alias = "XEN_SCHEDULER_RTDS")]
    pub const RTDS: Self = Self(8);
    /// The null scheduler.
    #[doc(alias = "XEN_SCHEDULER_NULL")]
    pub const NULL: Self = Self(9);

    /// The name `xl info` prints (`credit2`, ...).
    pub const fn xl_name(self) -> Option<&'static str> {
        match self.0 {
            5 => Some("credit"),
            6 => Some("credit2"),
            7 => Some("arinc653"),
            8 => Some("rtds"),
            9 => Some("null"),
            _ => None,
        }
    }
}
code_newtype!(SchedulerId, u32, [CREDIT, CREDIT2, ARINC653, RTDS, NULL]);

sub_op! {
    DOMCTL:
    GetDomainInfo => GETDOMAININFO,
    VcpuAffinity => SETVCPUAFFINITY | GETVCPUAFFINITY,
    MaxMem => MAX_MEM,
    VcpuContext => SETVCPUCONTEXT | GETVCPUCONTEXT,
    GetVcpuInfo => GETVCPUINFO,
    MaxVcpus => MAX_VCPUS,
    HypercallInit => HYPERCALL_INIT,
    TscInfo => GETTSCINFO | SETTSCINFO,
    v4_17::CreateDomain => CREATEDOMAIN,
    v4_20::CreateDomain => CREATEDOMAIN,
}

/// What Xen 4.17's `domctl.h` says differently from 4.20's.
pub mod v4_17 {
    use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

    use super::CreateDomainFlags;
    use crate::arch::x86::ArchDomainConfig;
    use crate::xen::XenDomainHandle;

    /// Xen 4.17's domctl interface version.
    #[doc(alias = "XEN_DOMCTL_INTERFACE_VERSION")]
    pub const INTERFACE_VERSION: u32 = 0x15;

    /// The new domain's configuration (`struct xen_domctl_createdomain`, 4.17).
    #[derive(
        Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
    )]
    #[repr(C)]
    #[doc(alias = "xen_domctl_createdomain")]
    pub struct CreateDomain {
        /// XSM security reference.
        pub ssidref: u32,
        /// The toolstack's handle (a UUID).
        pub handle: XenDomainHandle,
        /// `XEN_DOMCTL_CDF_*`.
        pub flags: CreateDomainFlags,
        /// `XEN_DOMCTL_IOMMU_*`.
        pub iommu_opts: u32,
        /// vCPUs.
        pub max_vcpus: u32,
        /// Highest event channel port.
        pub max_evtchn_port: u32,
        /// Grant-table frames (negative: Xen's default).
        pub max_grant_frames: i32,
        /// Maptrack frames (negative: Xen's default).
        pub max_maptrack_frames: i32,
        /// Grant table version limit in the low 4 bits.
        pub grant_opts: u32,
        /// Per-vCPU trace buffer size (0: none).
        pub vmtrace_size: u32,
        /// CPU pool (0: the default).
        pub cpupool_id: u32,
        /// Architecture configuration.
        pub arch: ArchDomainConfig,
    }
    #[cfg(target_arch = "x86_64")]
    assert_layout!(CreateDomain, size = 64, align = 4, {
        ssidref: 0, handle: 4, flags: 20, grant_opts: 44, vmtrace_size: 48, cpupool_id: 52, arch: 56,
    });
}

/// What Xen 4.20's `domctl.h` says differently from 4.17's.
pub mod v4_20 {
    use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

    use super::CreateDomainFlags;
    use crate::arch::x86::ArchDomainConfig;
    use crate::xen::XenDomainHandle;

    /// Xen 4.20's domctl interface version (bumped in 4.18 and 4.19).
    #[doc(alias = "XEN_DOMCTL_INTERFACE_VERSION")]
    pub const INTERFACE_VERSION: u32 = 0x17;

    /// The new domain's configuration (`struct xen_domctl_createdomain`,
    /// 4.20: `altp2m_opts` is new, every later field moved).
    #[derive(
        Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
    )]
    #[repr(C)]
    #[doc(alias = "xen_domctl_createdomain")]
    pub struct CreateDomain {
        /// XSM security reference.
        pub ssidref: u32,
        /// The toolstack's handle (a UUID).
        pub handle: XenDomainHandle,
        /// `XEN_DOMCTL_CDF_*`.
        pub flags: CreateDomainFlags,
        /// `XEN_DOMCTL_IOMMU_*`.
        pub iommu_opts: u32,
        /// vCPUs.
        pub max_vcpus: u32,
        /// Highest event channel port.
        pub max_evtchn_port: u32,
        /// Grant-table frames (negative: Xen's default).
        pub max_grant_frames: i32,
        /// Maptrack frames (negative: Xen's default).
        pub max_maptrack_frames: i32,
        /// Grant table version limit in the low 4 bits.
        pub grant_opts: u32,
        /// `XEN_DOMCTL_ALTP2M_*` (0: altp2m off).
        pub altp2m_opts: u32,
        /// Per-vCPU trace buffer size (0: none).
        pub vmtrace_size: u32,
        /// CPU pool (0: the default).
        pub cpupool_id: u32,
        /// Architecture configuration.
        pub arch: ArchDomainConfig,
    }
    #[cfg(target_arch = "x86_64")]
    assert_layout!(CreateDomain, size = 68, align = 4, {
        ssidref: 0, handle: 4, flags: 20, grant_opts: 44, altp2m_opts: 48, vmtrace_size: 52,
        cpupool_id: 56, arch: 60,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_carries_the_argument_and_reads_it_back() {
        let info = MaxMem { max_memkb: 0x1234 };
        let d = Domctl::new(v4_17::INTERFACE_VERSION, DomId::new_unchecked(3), &info);
        assert_eq!((d.cmd, d.interface_version, d.domain.get()), (11, 0x15, 3));
        assert_eq!(d.arg::<{ op::MAX_MEM }, MaxMem>(), Some(info));
        assert_eq!(d.arg::<{ op::GETDOMAININFO }, GetDomainInfo>(), None);
        assert!(d.u.0[8..].iter().all(|b| *b == 0));
    }

    #[test]
    fn shutdown_code_only_when_shut_down() {
        let f = DomainInfoFlags::from_bits_retain((3 << 16) | DomainInfoFlags::SHUTDOWN.bits());
        assert_eq!(f.shutdown_code(), Some(3));
        let f = DomainInfoFlags::from_bits_retain(3 << 16);
        assert_eq!(f.shutdown_code(), None);
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `vcpu.h`: virtual-CPU operations (bring-up, runstate, timers, `vcpu_info`
//! placement).
//!
//! The hypercall is `vcpu_op(cmd, vcpuid, arg)`, with `cmd` one of [`op`].

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::xen::{Gfn, GuestHandle};

/// `VCPUOP_*`: the sub-operations of `HYPERVISOR_vcpu_op`.
pub mod op {
    /// Initialise a vCPU (once); the argument is the vCPU's initial context
    /// (`vcpu_guest_context` for PV and Arm, `vcpu_hvm_context` for x86 HVM).
    #[doc(alias = "VCPUOP_initialise")]
    pub const INITIALISE: u32 = 0;
    /// Make an initialised vCPU runnable. No argument.
    #[doc(alias = "VCPUOP_up")]
    pub const UP: u32 = 1;
    /// Make a vCPU non-runnable (asynchronous unless called by the vCPU
    /// itself). No argument.
    #[doc(alias = "VCPUOP_down")]
    pub const DOWN: u32 = 2;
    /// Returns 1 if the vCPU is up. No argument.
    #[doc(alias = "VCPUOP_is_up")]
    pub const IS_UP: u32 = 3;
    /// Read the vCPU's runstate; the argument is a
    /// [`RunstateInfo`](super::RunstateInfo).
    #[doc(alias = "VCPUOP_get_runstate_info")]
    pub const GET_RUNSTATE_INFO: u32 = 4;
    /// Register a memory area Xen keeps the runstate in; the argument is a
    /// [`RegisterRunstateMemoryArea`](super::RegisterRunstateMemoryArea).
    #[doc(alias = "VCPUOP_register_runstate_memory_area")]
    pub const REGISTER_RUNSTATE_MEMORY_AREA: u32 = 5;
    /// Set the periodic timer; the argument is a
    /// [`SetPeriodicTimer`](super::SetPeriodicTimer).
    #[doc(alias = "VCPUOP_set_periodic_timer")]
    pub const SET_PERIODIC_TIMER: u32 = 6;
    /// Stop the periodic timer. No argument.
    #[doc(alias = "VCPUOP_stop_periodic_timer")]
    pub const STOP_PERIODIC_TIMER: u32 = 7;
    /// Set the single-shot timer; the argument is a
    /// [`SetSingleshotTimer`](super::SetSingleshotTimer).
    #[doc(alias = "VCPUOP_set_singleshot_timer")]
    pub const SET_SINGLESHOT_TIMER: u32 = 8;
    /// Stop the single-shot timer. No argument.
    #[doc(alias = "VCPUOP_stop_singleshot_timer")]
    pub const STOP_SINGLESHOT_TIMER: u32 = 9;
    /// Place the vCPU's `vcpu_info` in guest memory (once per vCPU); the
    /// argument is a [`RegisterVcpuInfo`](super::RegisterVcpuInfo).
    #[doc(alias = "VCPUOP_register_vcpu_info")]
    pub const REGISTER_VCPU_INFO: u32 = 10;
    /// Send an NMI to the vCPU. No argument.
    #[doc(alias = "VCPUOP_send_nmi")]
    pub const SEND_NMI: u32 = 11;
    /// Read the physical id of a pinned vCPU's processor; the argument is a
    /// [`GetPhysid`](super::GetPhysid).
    #[doc(alias = "VCPUOP_get_physid")]
    pub const GET_PHYSID: u32 = 12;
    /// Register a secondary copy of the vCPU's time info; the argument is a
    /// [`RegisterTimeMemoryArea`](super::RegisterTimeMemoryArea).
    #[doc(alias = "VCPUOP_register_vcpu_time_memory_area")]
    pub const REGISTER_VCPU_TIME_MEMORY_AREA: u32 = 13;
}

/// A vCPU's scheduling state (`RUNSTATE_*`), as Xen reports it in
/// [`RunstateInfo::state`].
///
/// Unknown values stay representable.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct RunState(i32);

impl RunState {
    /// Running on a physical CPU.
    #[doc(alias = "RUNSTATE_running")]
    pub const RUNNING: Self = Self(0);
    /// Runnable, but not scheduled on any physical CPU.
    #[doc(alias = "RUNSTATE_runnable")]
    pub const RUNNABLE: Self = Self(1);
    /// Blocked (idle), so not runnable.
    #[doc(alias = "RUNSTATE_blocked")]
    pub const BLOCKED: Self = Self(2);
    /// Neither runnable nor blocked (hotplug, administrative pause, ...).
    #[doc(alias = "RUNSTATE_offline")]
    pub const OFFLINE: Self = Self(3);

    /// The state with raw value `raw`.
    pub const fn new(raw: i32) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> i32 {
        self.0
    }

    /// The index of this state in [`RunstateInfo::time`], if it is one of the
    /// four known states.
    pub const fn index(self) -> Option<usize> {
        match self.0 {
            0..=3 => Some(self.0 as usize),
            _ => None,
        }
    }
}

impl fmt::Debug for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::RUNNING => f.write_str("RUNSTATE_running"),
            Self::RUNNABLE => f.write_str("RUNSTATE_runnable"),
            Self::BLOCKED => f.write_str("RUNSTATE_blocked"),
            Self::OFFLINE => f.write_str("RUNSTATE_offline"),
            Self(raw) => write!(f, "RunState({raw})"),
        }
    }
}

/// Bit set in [`RunstateInfo::state_entry_time`] while Xen updates a
/// guest-registered runstate area (when `VMASST_TYPE_runstate_update_flag`
/// is enabled).
#[doc(alias = "XEN_RUNSTATE_UPDATE")]
pub const RUNSTATE_UPDATE: u64 = 1 << 63;

/// A vCPU's state and time accounting (`VCPUOP_get_runstate_info`, or the
/// area registered with `VCPUOP_register_runstate_memory_area`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_runstate_info")]
#[doc(alias = "vcpu_runstate_info_t")]
pub struct RunstateInfo {
    /// Current state.
    pub state: RunState,
    /// Padding.
    pub _pad0: [u8; 4],
    /// System time (ns) at which `state` was entered; bit 63 is
    /// [`RUNSTATE_UPDATE`] while Xen is updating a registered area.
    pub state_entry_time: u64,
    /// Time (ns) spent in each state, indexed by [`RunState::index`].
    pub time: [u64; 4],
}
assert_layout!(RunstateInfo, size = 48, align = 8, {
    state: 0,
    state_entry_time: 8,
    time: 16,
});

impl RunstateInfo {
    /// True while Xen is in the middle of updating this (registered) area;
    /// re-read it until this is false.
    pub const fn is_updating(&self) -> bool {
        self.state_entry_time & RUNSTATE_UPDATE != 0
    }

    /// `state_entry_time` without the [`RUNSTATE_UPDATE`] bit.
    pub const fn entry_time(&self) -> u64 {
        self.state_entry_time & !RUNSTATE_UPDATE
    }

    /// Time (ns) spent in `state`, or `None` for an unknown state.
    pub const fn time_in(&self, state: RunState) -> Option<u64> {
        match state.index() {
            Some(i) => Some(self.time[i]),
            None => None,
        }
    }
}

/// Argument of `VCPUOP_register_runstate_memory_area`.
///
/// C puts a union of a guest handle, a pointer and a `uint64_t` physical
/// address here; all three are one 64-bit word, kept in [`Self::addr`].
/// x86 guests register a virtual address, Arm guests a guest-physical one.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_register_runstate_memory_area")]
#[doc(alias = "vcpu_register_runstate_memory_area_t")]
pub struct RegisterRunstateMemoryArea {
    /// Address of the [`RunstateInfo`] area (the union `addr.h`/`addr.v`/`addr.p`).
    pub addr: u64,
}
assert_layout!(RegisterRunstateMemoryArea, size = 8, align = 8, { addr: 0 });

impl RegisterRunstateMemoryArea {
    /// Registers the area at the guest handle `h` (`addr.h`).
    pub const fn from_handle(h: GuestHandle<RunstateInfo>) -> Self {
        Self { addr: h.addr() }
    }

    /// Registers the area at guest address `p` (`addr.p`).
    pub const fn from_addr(p: u64) -> Self {
        Self { addr: p }
    }

    /// The address as a guest handle (`addr.h`).
    pub const fn handle(&self) -> GuestHandle<RunstateInfo> {
        GuestHandle::from_addr(self.addr)
    }
}

/// Argument of `VCPUOP_set_periodic_timer`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_set_periodic_timer")]
#[doc(alias = "vcpu_set_periodic_timer_t")]
pub struct SetPeriodicTimer {
    /// Period in nanoseconds (below 1 ms may be unsupported).
    pub period_ns: u64,
}
assert_layout!(SetPeriodicTimer, size = 8, align = 8, { period_ns: 0 });

/// `VCPU_SSHOTTMR_*`: flags of [`SetSingleshotTimer`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct SingleshotFlags(u32);

bitflags::bitflags! {
    impl SingleshotFlags: u32 {
        /// Ask for `-ETIME` if the timeout has already passed (Xen may ignore
        /// this).
        #[doc(alias = "VCPU_SSHOTTMR_future")]
        const FUTURE = 1 << 0;
        const _ = !0;
    }
}

impl fmt::Debug for SingleshotFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SingleshotFlags(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// Argument of `VCPUOP_set_singleshot_timer`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_set_singleshot_timer")]
#[doc(alias = "vcpu_set_singleshot_timer_t")]
pub struct SetSingleshotTimer {
    /// Absolute system time of the timeout, in nanoseconds.
    pub timeout_abs_ns: u64,
    /// Options.
    pub flags: SingleshotFlags,
    /// Padding.
    pub _pad0: [u8; 4],
}
assert_layout!(SetSingleshotTimer, size = 16, align = 8, { timeout_abs_ns: 0, flags: 8 });

impl SetSingleshotTimer {
    /// A timer firing at system time `timeout_abs_ns`.
    pub const fn new(timeout_abs_ns: u64, flags: SingleshotFlags) -> Self {
        Self {
            timeout_abs_ns,
            flags,
            _pad0: [0; 4],
        }
    }
}

/// Argument of `VCPUOP_register_vcpu_info`: where to put the vCPU's
/// `vcpu_info` (it must not cross a page boundary).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_register_vcpu_info")]
#[doc(alias = "vcpu_register_vcpu_info_t")]
pub struct RegisterVcpuInfo {
    /// Frame of the page that holds the `vcpu_info`: Xen's "gmfn" (the
    /// machine frame for PV, the guest frame for HVM/PVH), so a [`Gfn`].
    pub mfn: Gfn,
    /// Byte offset of the `vcpu_info` within that page.
    pub offset: u32,
    /// Unused; zero.
    pub rsvd: u32,
}
assert_layout!(RegisterVcpuInfo, size = 16, align = 8, { mfn: 0, offset: 8, rsvd: 12 });

/// Argument of `VCPUOP_get_physid`: the physical id of a pinned vCPU's
/// processor (architecture-specific).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_get_physid")]
#[doc(alias = "vcpu_get_physid_t")]
pub struct GetPhysid {
    /// The id; on x86, bits 31:0 are the APIC id and 63:32 the ACPI id.
    pub phys_id: u64,
}
assert_layout!(GetPhysid, size = 8, align = 8, { phys_id: 0 });

impl GetPhysid {
    /// x86: the processor's APIC id.
    #[doc(alias = "xen_vcpu_physid_to_x86_apicid")]
    pub const fn x86_apic_id(&self) -> u32 {
        self.phys_id as u32
    }

    /// x86: the processor's ACPI id.
    #[doc(alias = "xen_vcpu_physid_to_x86_acpiid")]
    pub const fn x86_acpi_id(&self) -> u32 {
        (self.phys_id >> 32) as u32
    }
}

/// Argument of `VCPUOP_register_vcpu_time_memory_area`: where Xen keeps a
/// secondary copy of the vCPU's `vcpu_time_info`.
///
/// C puts a union of a guest handle, a pointer and a `uint64_t` here; all
/// three are one 64-bit word, kept in [`Self::addr`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_register_time_memory_area")]
#[doc(alias = "vcpu_register_time_memory_area_t")]
pub struct RegisterTimeMemoryArea {
    /// Guest address of the `vcpu_time_info` copy (the union
    /// `addr.h`/`addr.v`/`addr.p`).
    pub addr: u64,
}
assert_layout!(RegisterTimeMemoryArea, size = 8, align = 8, { addr: 0 });

impl RegisterTimeMemoryArea {
    /// Registers the area at guest address `addr`.
    pub const fn from_addr(addr: u64) -> Self {
        Self { addr }
    }
}

sub_op! {
    VCPU_OP:
    RunstateInfo => GET_RUNSTATE_INFO,
    RegisterRunstateMemoryArea => REGISTER_RUNSTATE_MEMORY_AREA,
    SetPeriodicTimer => SET_PERIODIC_TIMER,
    SetSingleshotTimer => SET_SINGLESHOT_TIMER,
    RegisterVcpuInfo => REGISTER_VCPU_INFO,
    GetPhysid => GET_PHYSID,
    RegisterTimeMemoryArea => REGISTER_VCPU_TIME_MEMORY_AREA,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn runstate_accessors() {
        let mut info = RunstateInfo {
            state: RunState::BLOCKED,
            state_entry_time: RUNSTATE_UPDATE | 42,
            time: [1, 2, 3, 4],
            ..Default::default()
        };
        assert!(info.is_updating());
        assert_eq!(info.entry_time(), 42);
        assert_eq!(info.time_in(RunState::BLOCKED), Some(3));
        assert_eq!(info.time_in(RunState::new(7)), None);
        info.state_entry_time = 42;
        assert!(!info.is_updating());
        assert_eq!(format!("{:?}", RunState::new(9)), "RunState(9)");
        assert_eq!(&info.as_bytes()[..4], &2i32.to_ne_bytes());
    }

    #[test]
    fn physid_split() {
        let p = GetPhysid {
            phys_id: 0x0000_0007_0000_0003,
        };
        assert_eq!((p.x86_apic_id(), p.x86_acpi_id()), (3, 7));
        let h = GuestHandle::<RunstateInfo>::from_addr(0x1000);
        assert_eq!(RegisterRunstateMemoryArea::from_handle(h).handle(), h);
    }
}

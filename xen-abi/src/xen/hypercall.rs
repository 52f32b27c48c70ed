// SPDX-License-Identifier: MIT OR Apache-2.0
//! Hypercall numbers (`__HYPERVISOR_*`), and [`SubOp`], which ties the
//! argument struct of a multiplexing hypercall to its number and command.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A hypercall number (`__HYPERVISOR_*`), as passed to the hypercall page /
/// `hvc` and in [`MulticallEntry::op`](super::MulticallEntry::op).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
)]
#[repr(transparent)]
#[doc(alias = "hypercall_num")]
pub struct HypercallOp(u32);

impl HypercallOp {
    /// Install the virtual IDT (x86 PV).
    #[doc(alias = "__HYPERVISOR_set_trap_table")]
    pub const SET_TRAP_TABLE: Self = Self(0);
    /// Batched page-table updates ([`MmuUpdate`](super::MmuUpdate)).
    #[doc(alias = "__HYPERVISOR_mmu_update")]
    pub const MMU_UPDATE: Self = Self(1);
    /// Install a new GDT (x86 PV).
    #[doc(alias = "__HYPERVISOR_set_gdt")]
    pub const SET_GDT: Self = Self(2);
    /// Set the kernel stack (x86 PV).
    #[doc(alias = "__HYPERVISOR_stack_switch")]
    pub const STACK_SWITCH: Self = Self(3);
    /// Register event and failsafe callbacks (x86 PV).
    #[doc(alias = "__HYPERVISOR_set_callbacks")]
    pub const SET_CALLBACKS: Self = Self(4);
    /// Set or clear CR0.TS (x86 PV).
    #[doc(alias = "__HYPERVISOR_fpu_taskswitch")]
    pub const FPU_TASKSWITCH: Self = Self(5);
    /// The pre-3.0.1 scheduler operation (superseded by [`Self::SCHED_OP`]).
    #[doc(alias = "__HYPERVISOR_sched_op_compat")]
    pub const SCHED_OP_COMPAT: Self = Self(6);
    /// Platform (dom0) operations.
    #[doc(alias = "__HYPERVISOR_platform_op")]
    pub const PLATFORM_OP: Self = Self(7);
    /// Set a debug register (x86 PV).
    #[doc(alias = "__HYPERVISOR_set_debugreg")]
    pub const SET_DEBUGREG: Self = Self(8);
    /// Read a debug register (x86 PV).
    #[doc(alias = "__HYPERVISOR_get_debugreg")]
    pub const GET_DEBUGREG: Self = Self(9);
    /// Update a GDT/LDT descriptor (x86 PV).
    #[doc(alias = "__HYPERVISOR_update_descriptor")]
    pub const UPDATE_DESCRIPTOR: Self = Self(10);
    /// Memory reservation and mapping operations (`memory.h`).
    #[doc(alias = "__HYPERVISOR_memory_op")]
    pub const MEMORY_OP: Self = Self(12);
    /// A batch of hypercalls ([`MulticallEntry`](super::MulticallEntry)).
    #[doc(alias = "__HYPERVISOR_multicall")]
    pub const MULTICALL: Self = Self(13);
    /// Update one virtual mapping (x86 PV, [`UvmFlags`](super::UvmFlags)).
    #[doc(alias = "__HYPERVISOR_update_va_mapping")]
    pub const UPDATE_VA_MAPPING: Self = Self(14);
    /// Arm the one-shot timer.
    #[doc(alias = "__HYPERVISOR_set_timer_op")]
    pub const SET_TIMER_OP: Self = Self(15);
    /// The pre-3.2.2 event-channel operation (superseded by
    /// [`Self::EVENT_CHANNEL_OP`]).
    #[doc(alias = "__HYPERVISOR_event_channel_op_compat")]
    pub const EVENT_CHANNEL_OP_COMPAT: Self = Self(16);
    /// Version and feature queries (`version.h`).
    #[doc(alias = "__HYPERVISOR_xen_version")]
    pub const XEN_VERSION: Self = Self(17);
    /// The emergency console ([`ConsoleIoCmd`](super::ConsoleIoCmd)).
    #[doc(alias = "__HYPERVISOR_console_io")]
    pub const CONSOLE_IO: Self = Self(18);
    /// The pre-3.2.2 physdev operation (superseded by
    /// [`Self::PHYSDEV_OP`]).
    #[doc(alias = "__HYPERVISOR_physdev_op_compat")]
    pub const PHYSDEV_OP_COMPAT: Self = Self(19);
    /// Grant-table operations (`grant_table.h`).
    #[doc(alias = "__HYPERVISOR_grant_table_op")]
    pub const GRANT_TABLE_OP: Self = Self(20);
    /// Enable or disable a VM assist ([`VmAssistCmd`](super::VmAssistCmd), [`VmAssistType`](super::VmAssistType)).
    #[doc(alias = "__HYPERVISOR_vm_assist")]
    pub const VM_ASSIST: Self = Self(21);
    /// Update a virtual mapping of another domain (x86 PV).
    #[doc(alias = "__HYPERVISOR_update_va_mapping_otherdomain")]
    pub const UPDATE_VA_MAPPING_OTHERDOMAIN: Self = Self(22);
    /// Return from an exception or interrupt (x86 PV only).
    #[doc(alias = "__HYPERVISOR_iret")]
    pub const IRET: Self = Self(23);
    /// Per-vCPU operations (`vcpu.h`).
    #[doc(alias = "__HYPERVISOR_vcpu_op")]
    pub const VCPU_OP: Self = Self(24);
    /// Set a segment base (x86-64 PV only).
    #[doc(alias = "__HYPERVISOR_set_segment_base")]
    pub const SET_SEGMENT_BASE: Self = Self(25);
    /// Extended MMU operations ([`MmuextOp`](super::MmuextOp)).
    #[doc(alias = "__HYPERVISOR_mmuext_op")]
    pub const MMUEXT_OP: Self = Self(26);
    /// XSM (Flask) operations.
    #[doc(alias = "__HYPERVISOR_xsm_op")]
    pub const XSM_OP: Self = Self(27);
    /// NMI callback registration (`nmi.h`).
    #[doc(alias = "__HYPERVISOR_nmi_op")]
    pub const NMI_OP: Self = Self(28);
    /// Scheduler operations (`sched.h`).
    #[doc(alias = "__HYPERVISOR_sched_op")]
    pub const SCHED_OP: Self = Self(29);
    /// Callback registration (`callback.h`).
    #[doc(alias = "__HYPERVISOR_callback_op")]
    pub const CALLBACK_OP: Self = Self(30);
    /// Xenoprof profiling operations.
    #[doc(alias = "__HYPERVISOR_xenoprof_op")]
    pub const XENOPROF_OP: Self = Self(31);
    /// Event-channel operations (`event_channel.h`).
    #[doc(alias = "__HYPERVISOR_event_channel_op")]
    pub const EVENT_CHANNEL_OP: Self = Self(32);
    /// Physical-device operations (`physdev.h`).
    #[doc(alias = "__HYPERVISOR_physdev_op")]
    pub const PHYSDEV_OP: Self = Self(33);
    /// HVM operations (`hvm/hvm_op.h`).
    #[doc(alias = "__HYPERVISOR_hvm_op")]
    pub const HVM_OP: Self = Self(34);
    /// System control (toolstack).
    #[doc(alias = "__HYPERVISOR_sysctl")]
    pub const SYSCTL: Self = Self(35);
    /// Domain control (toolstack).
    #[doc(alias = "__HYPERVISOR_domctl")]
    pub const DOMCTL: Self = Self(36);
    /// Kexec operations.
    #[doc(alias = "__HYPERVISOR_kexec_op")]
    pub const KEXEC_OP: Self = Self(37);
    /// Transcendent memory (removed from Xen; the number stays reserved).
    #[doc(alias = "__HYPERVISOR_tmem_op")]
    pub const TMEM_OP: Self = Self(38);
    /// Argo inter-domain messaging.
    #[doc(alias = "__HYPERVISOR_argo_op")]
    pub const ARGO_OP: Self = Self(39);
    /// PMU virtualisation operations.
    #[doc(alias = "__HYPERVISOR_xenpmu_op")]
    pub const XENPMU_OP: Self = Self(40);
    /// Device-model operations.
    #[doc(alias = "__HYPERVISOR_dm_op")]
    pub const DM_OP: Self = Self(41);
    /// Hypervisor filesystem operations.
    #[doc(alias = "__HYPERVISOR_hypfs_op")]
    pub const HYPFS_OP: Self = Self(42);
    /// Architecture-specific hypercall 0.
    #[doc(alias = "__HYPERVISOR_arch_0")]
    pub const ARCH_0: Self = Self(48);
    /// Architecture-specific hypercall 1.
    #[doc(alias = "__HYPERVISOR_arch_1")]
    pub const ARCH_1: Self = Self(49);
    /// Architecture-specific hypercall 2.
    #[doc(alias = "__HYPERVISOR_arch_2")]
    pub const ARCH_2: Self = Self(50);
    /// Architecture-specific hypercall 3.
    #[doc(alias = "__HYPERVISOR_arch_3")]
    pub const ARCH_3: Self = Self(51);
    /// Architecture-specific hypercall 4.
    #[doc(alias = "__HYPERVISOR_arch_4")]
    pub const ARCH_4: Self = Self(52);
    /// Architecture-specific hypercall 5.
    #[doc(alias = "__HYPERVISOR_arch_5")]
    pub const ARCH_5: Self = Self(53);
    /// Architecture-specific hypercall 6.
    #[doc(alias = "__HYPERVISOR_arch_6")]
    pub const ARCH_6: Self = Self(54);
    /// Architecture-specific hypercall 7.
    #[doc(alias = "__HYPERVISOR_arch_7")]
    pub const ARCH_7: Self = Self(55);
}

code_newtype!(
    HypercallOp,
    u32,
    [
        SET_TRAP_TABLE,
        MMU_UPDATE,
        SET_GDT,
        STACK_SWITCH,
        SET_CALLBACKS,
        FPU_TASKSWITCH,
        SCHED_OP_COMPAT,
        PLATFORM_OP,
        SET_DEBUGREG,
        GET_DEBUGREG,
        UPDATE_DESCRIPTOR,
        MEMORY_OP,
        MULTICALL,
        UPDATE_VA_MAPPING,
        SET_TIMER_OP,
        EVENT_CHANNEL_OP_COMPAT,
        XEN_VERSION,
        CONSOLE_IO,
        PHYSDEV_OP_COMPAT,
        GRANT_TABLE_OP,
        VM_ASSIST,
        UPDATE_VA_MAPPING_OTHERDOMAIN,
        IRET,
        VCPU_OP,
        SET_SEGMENT_BASE,
        MMUEXT_OP,
        XSM_OP,
        NMI_OP,
        SCHED_OP,
        CALLBACK_OP,
        XENOPROF_OP,
        EVENT_CHANNEL_OP,
        PHYSDEV_OP,
        HVM_OP,
        SYSCTL,
        DOMCTL,
        KEXEC_OP,
        TMEM_OP,
        ARGO_OP,
        XENPMU_OP,
        DM_OP,
        HYPFS_OP,
        ARCH_0,
        ARCH_1,
        ARCH_2,
        ARCH_3,
        ARCH_4,
        ARCH_5,
        ARCH_6,
        ARCH_7,
    ]
);

/// An argument struct of a multiplexing hypercall (`event_channel_op`,
/// `sched_op`, `grant_table_op`, `memory_op`, ...), tied to that hypercall
/// and to command `CMD` (`EVTCHNOP_send`, ...), the way an ioctl number is
/// derived from its argument type.
///
/// The command is the trait's parameter because Xen passes one C struct to
/// several commands (`sched_shutdown` to `SCHEDOP_shutdown` and
/// `SCHEDOP_shutdown_code`, `xen_hvm_param` to `HVMOP_get_param` and
/// `HVMOP_set_param`): each valid pair is one impl. Where a struct has a
/// single command, generic code infers `CMD` from the argument type alone.
///
/// The trait says nothing about memory safety: whether a command may be
/// issued without the caller vouching for what the argument names is
/// `xen_hypercall::NoGuestMemory`'s business.
///
/// ```
/// use xen_abi::event_channel::{op, SendEvent};
/// use xen_abi::xen::{HypercallOp, SubOp};
///
/// fn cmd_of<const CMD: u32, T: SubOp<CMD>>(_: &T) -> (HypercallOp, u32) {
///     (T::HYPERCALL, CMD)
/// }
/// let send = SendEvent { port: xen_abi::event_channel::EvtchnPort::ZERO };
/// assert_eq!(cmd_of(&send), (HypercallOp::EVENT_CHANNEL_OP, op::SEND));
/// ```
pub trait SubOp<const CMD: u32>: FromBytes + IntoBytes + Immutable + KnownLayout {
    /// The hypercall that takes this argument.
    const HYPERCALL: HypercallOp;
}

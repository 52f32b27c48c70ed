// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xen.h`: hypercall numbers, domain ids, guest handles and the core shared
//! structures (`start_info`, `shared_info`, `vcpu_info`, ...).

use core::fmt;
use core::marker::PhantomData;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Error, Result};

/// A domain id (`domid_t`).
///
/// Values `0..DOMID_FIRST_RESERVED` name real domains; the reserved values
/// above are special ids ([`DomId::SELF`], [`DomId::IO`], ...).
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
#[doc(alias = "domid_t")]
pub struct DomId(u16);

impl DomId {
    /// Domain 0.
    pub const DOM0: Self = Self(0);
    /// First reserved id; every id from here on is special.
    #[doc(alias = "DOMID_FIRST_RESERVED")]
    pub const FIRST_RESERVED: Self = Self(0x7FF0);
    /// The calling domain.
    #[doc(alias = "DOMID_SELF")]
    pub const SELF: Self = Self(0x7FF0);
    /// I/O pseudo-domain (privileged callers map I/O memory through it).
    #[doc(alias = "DOMID_IO")]
    pub const IO: Self = Self(0x7FF1);
    /// Xen itself.
    #[doc(alias = "DOMID_XEN")]
    pub const XEN: Self = Self(0x7FF2);
    /// Copy-on-write pseudo-domain.
    #[doc(alias = "DOMID_COW")]
    pub const COW: Self = Self(0x7FF3);
    /// An invalid domain id (not a real domain).
    #[doc(alias = "DOMID_INVALID")]
    pub const INVALID: Self = Self(0x7FF4);
    /// The idle domain.
    #[doc(alias = "DOMID_IDLE")]
    pub const IDLE: Self = Self(0x7FFF);
    /// Mask of the bits a domain id may use.
    #[doc(alias = "DOMID_MASK")]
    pub const MASK: Self = Self(0x7FFF);

    /// Any id Xen accepts in a `domid_t` field: a real domain or a special id
    /// (`0..=0x7FFF`).
    ///
    /// # Errors
    /// [`Error::InvalidDomId`] with the value when it is above `DOMID_MASK`.
    pub const fn new(raw: u16) -> Result<Self> {
        if raw <= Self::MASK.0 {
            Ok(Self(raw))
        } else {
            Err(Error::InvalidDomId(raw))
        }
    }

    /// A real domain (below `DOMID_FIRST_RESERVED`), as needed where a special
    /// id makes no sense (a peer's id read from xenstore, say).
    ///
    /// # Errors
    /// [`Error::InvalidDomId`] with the value when it is a special or
    /// out-of-range id.
    pub const fn new_domain(raw: u16) -> Result<Self> {
        if raw < Self::FIRST_RESERVED.0 {
            Ok(Self(raw))
        } else {
            Err(Error::InvalidDomId(raw))
        }
    }

    /// Wraps `raw` without checking it.
    ///
    /// Not `unsafe`: a bad id only makes Xen return an error.
    pub const fn new_unchecked(raw: u16) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// True for a real domain, false for a special id.
    pub const fn is_domain(self) -> bool {
        self.0 < Self::FIRST_RESERVED.0
    }
}

impl fmt::Debug for DomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let special = match *self {
            Self::SELF => "DOMID_SELF",
            Self::IO => "DOMID_IO",
            Self::XEN => "DOMID_XEN",
            Self::COW => "DOMID_COW",
            Self::INVALID => "DOMID_INVALID",
            Self::IDLE => "DOMID_IDLE",
            _ => return write!(f, "DomId({})", self.0),
        };
        f.write_str(special)
    }
}

impl fmt::Display for DomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl TryFrom<u16> for DomId {
    type Error = Error;
    fn try_from(raw: u16) -> Result<Self> {
        Self::new(raw)
    }
}

impl From<DomId> for u16 {
    fn from(d: DomId) -> u16 {
        d.0
    }
}

/// A guest handle (`XEN_GUEST_HANDLE(T)`): the guest-virtual address of a `T`
/// (or an array of them) that Xen reads or writes.
///
/// On x86_64 the C type is a struct holding a pointer; on Arm it is a union of
/// a pointer and a `uint64_t`. Both are 8 bytes with 8-byte alignment, which is
/// what this `u64` wrapper is. A handle is only an address: building one is
/// safe, handing it to Xen is what the caller must vouch for.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(transparent)]
#[doc(alias = "XEN_GUEST_HANDLE")]
#[doc(alias = "XEN_GUEST_HANDLE_64")]
pub struct GuestHandle<T> {
    addr: u64,
    _ty: PhantomData<T>,
}

impl<T> GuestHandle<T> {
    /// The null handle.
    pub const NULL: Self = Self::from_addr(0);

    /// A handle from a raw guest address.
    pub const fn from_addr(addr: u64) -> Self {
        Self {
            addr,
            _ty: PhantomData,
        }
    }

    /// A handle to `ptr` (in the caller's address space).
    pub fn from_ptr(ptr: *const T) -> Self {
        Self::from_addr(ptr as usize as u64)
    }

    /// A handle to `ptr` (in the caller's address space).
    pub fn from_mut_ptr(ptr: *mut T) -> Self {
        Self::from_addr(ptr as usize as u64)
    }

    /// The raw guest address.
    pub const fn addr(self) -> u64 {
        self.addr
    }

    /// True for the null handle.
    pub const fn is_null(self) -> bool {
        self.addr == 0
    }
}

impl<T> Clone for GuestHandle<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for GuestHandle<T> {}
impl<T> Default for GuestHandle<T> {
    fn default() -> Self {
        Self::NULL
    }
}
impl<T> PartialEq for GuestHandle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.addr == other.addr
    }
}
impl<T> Eq for GuestHandle<T> {}
impl<T> fmt::Debug for GuestHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GuestHandle({:#x})", self.addr)
    }
}

assert_layout!(DomId, size = 2, align = 2);
assert_layout!(GuestHandle<u8>, size = 8, align = 8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domid_validation_carries_value() {
        assert_eq!(DomId::new(0x8000), Err(Error::InvalidDomId(0x8000)));
        assert_eq!(DomId::new(0x7FF0), Ok(DomId::SELF));
        assert_eq!(DomId::new_domain(0x7FF0), Err(Error::InvalidDomId(0x7FF0)));
        assert_eq!(DomId::new_domain(0x7FEF).map(DomId::get), Ok(0x7FEF));
        assert!(DomId::DOM0.is_domain() && !DomId::SELF.is_domain());
    }
}

/// `xen_pfn_t`: a frame number as Xen's structures carry it (64 bits on both
/// supported architectures).
#[doc(alias = "xen_pfn_t")]
pub type XenPfn = u64;

/// `xen_ulong_t`: an unsigned long in the ABI (64 bits on both supported
/// architectures).
#[doc(alias = "xen_ulong_t")]
pub type XenUlong = u64;

macro_rules! frame_newtype {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        #[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
        #[repr(transparent)]
        pub struct $name(u64);

        impl $name {
            /// The invalid frame (`~0`), as Xen uses it for "none".
            pub const INVALID: Self = Self(u64::MAX);
            /// Largest frame number whose byte address fits in 64 bits.
            pub const MAX: Self = Self(u64::MAX >> 12);

            /// A frame number whose byte address (`frame << 12`) fits in 64 bits.
            ///
            /// # Errors
            /// [`Error::InvalidFrame`] with the value otherwise.
            pub const fn new(raw: u64) -> Result<Self> {
                if raw <= Self::MAX.0 {
                    Ok(Self(raw))
                } else {
                    Err(Error::InvalidFrame(raw))
                }
            }

            /// The frame that holds byte address `addr`.
            pub const fn containing(addr: u64) -> Self {
                Self(addr >> 12)
            }

            /// Wraps `raw` without checking (a bad frame only makes Xen fail).
            pub const fn new_unchecked(raw: u64) -> Self {
                Self(raw)
            }

            /// The raw frame number.
            pub const fn get(self) -> u64 {
                self.0
            }

            /// The byte address of the frame's first byte.
            ///
            /// # Panics
            /// Never for a validated frame; for an unchecked one above
            /// [`Self::MAX`] the high bits are lost.
            pub const fn addr(self) -> u64 {
                self.0 << 12
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:#x})"), self.0)
            }
        }
    };
}

frame_newtype!(
    /// A guest frame number: a page of the guest's (pseudo-)physical address
    /// space, in 4 KiB units.
    #[doc(alias = "gfn")]
    #[doc(alias = "pfn")]
    Gfn
);
frame_newtype!(
    /// A machine frame number: a page of host physical memory (what PV guests
    /// see in their page tables), in 4 KiB units.
    #[doc(alias = "mfn")]
    Mfn
);

/// `xen_domain_handle_t`: the 16-byte handle (a UUID) the toolstack gives a
/// domain.
#[doc(alias = "xen_domain_handle_t")]
pub type XenDomainHandle = [u8; 16];

/// Formats a bitflags value as `Name(A | B | 0x..)` (shared by the `Debug`
/// impls of this crate's flag words).
pub(crate) fn debug_flags<B>(name: &str, flags: &B, f: &mut fmt::Formatter<'_>) -> fmt::Result
where
    B: bitflags::Flags,
    B::Bits: bitflags::parser::WriteHex + fmt::LowerHex,
{
    write!(f, "{name}(")?;
    if flags.is_empty() {
        write!(f, "{:#x}", flags.bits())?;
    } else {
        bitflags::parser::to_writer(flags, &mut *f)?;
    }
    f.write_str(")")
}

/// Implements the common surface of a "code" newtype (a transparent integer
/// with associated consts): raw conversions and a `Debug` that prints the
/// const's name when the value has one.
macro_rules! code_newtype {
    ($name:ident, $raw:ty, [$($c:ident),* $(,)?]) => {
        impl $name {
            /// Wraps a raw value (any value is representable, known or not).
            pub const fn new(raw: $raw) -> Self {
                Self(raw)
            }

            /// The raw value.
            pub const fn get(self) -> $raw {
                self.0
            }

            /// The Rust name of the const this value equals, if any.
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $(Self::$c => Some(stringify!($c)),)*
                    _ => None,
                }
            }
        }

        impl From<$raw> for $name {
            fn from(raw: $raw) -> Self {
                Self(raw)
            }
        }

        impl From<$name> for $raw {
            fn from(v: $name) -> $raw {
                v.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => write!(f, concat!(stringify!($name), "::{}"), n),
                    None => write!(f, concat!(stringify!($name), "({})"), self.0),
                }
            }
        }
    };
}

/// A hypercall number (`__HYPERVISOR_*`), as passed to the hypercall page /
/// `hvc` and in [`MulticallEntry::op`].
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
    /// Batched page-table updates ([`MmuUpdate`]).
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
    /// A batch of hypercalls ([`MulticallEntry`]).
    #[doc(alias = "__HYPERVISOR_multicall")]
    pub const MULTICALL: Self = Self(13);
    /// Update one virtual mapping (x86 PV, [`UvmFlags`]).
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
    /// The emergency console ([`ConsoleIoCmd`]).
    #[doc(alias = "__HYPERVISOR_console_io")]
    pub const CONSOLE_IO: Self = Self(18);
    /// The pre-3.2.2 physdev operation (superseded by
    /// [`Self::PHYSDEV_OP`]).
    #[doc(alias = "__HYPERVISOR_physdev_op_compat")]
    pub const PHYSDEV_OP_COMPAT: Self = Self(19);
    /// Grant-table operations (`grant_table.h`).
    #[doc(alias = "__HYPERVISOR_grant_table_op")]
    pub const GRANT_TABLE_OP: Self = Self(20);
    /// Enable or disable a VM assist ([`VmAssistCmd`], [`VmAssistType`]).
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
    /// Extended MMU operations ([`MmuextOp`]).
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

/// A virtual interrupt (`VIRQ_*`), bound to an event channel with
/// `EVTCHNOP_bind_virq`.
///
/// Per-vCPU VIRQs ("V.") are bound once per vCPU; global ones ("G.") once per
/// domain, initially on vCPU 0.
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
#[doc(alias = "virq")]
pub struct Virq(u32);

impl Virq {
    /// V. Timebase update and/or requested timeout.
    #[doc(alias = "VIRQ_TIMER")]
    pub const TIMER: Self = Self(0);
    /// V. Request to dump debug info.
    #[doc(alias = "VIRQ_DEBUG")]
    pub const DEBUG: Self = Self(1);
    /// G. (dom0) Bytes received on the emergency console.
    #[doc(alias = "VIRQ_CONSOLE")]
    pub const CONSOLE: Self = Self(2);
    /// G. (dom0) Exceptional event for some domain.
    #[doc(alias = "VIRQ_DOM_EXC")]
    pub const DOM_EXC: Self = Self(3);
    /// G. (dom0) Trace buffer has records available.
    #[doc(alias = "VIRQ_TBUF")]
    pub const TBUF: Self = Self(4);
    /// G. (dom0) A domain has paused for debugging.
    #[doc(alias = "VIRQ_DEBUGGER")]
    pub const DEBUGGER: Self = Self(6);
    /// V. Xenoprof: new sample available.
    #[doc(alias = "VIRQ_XENOPROF")]
    pub const XENOPROF: Self = Self(7);
    /// G. (dom0) Bytes received on the console ring.
    #[doc(alias = "VIRQ_CON_RING")]
    pub const CON_RING: Self = Self(8);
    /// G. (dom0) Physical CPU state changed.
    #[doc(alias = "VIRQ_PCPU_STATE")]
    pub const PCPU_STATE: Self = Self(9);
    /// G. (dom0) A memory event has occurred.
    #[doc(alias = "VIRQ_MEM_EVENT")]
    pub const MEM_EVENT: Self = Self(10);
    /// G. Argo message notification.
    #[doc(alias = "VIRQ_ARGO")]
    pub const ARGO: Self = Self(11);
    /// G. (dom0) Xen is low on heap memory.
    #[doc(alias = "VIRQ_ENOMEM")]
    pub const ENOMEM: Self = Self(12);
    /// V. PMC interrupt.
    #[doc(alias = "VIRQ_XENPMU")]
    pub const XENPMU: Self = Self(13);
    /// Architecture-specific VIRQ 0.
    #[doc(alias = "VIRQ_ARCH_0")]
    pub const ARCH_0: Self = Self(16);
    /// Architecture-specific VIRQ 1.
    #[doc(alias = "VIRQ_ARCH_1")]
    pub const ARCH_1: Self = Self(17);
    /// Architecture-specific VIRQ 2.
    #[doc(alias = "VIRQ_ARCH_2")]
    pub const ARCH_2: Self = Self(18);
    /// Architecture-specific VIRQ 3.
    #[doc(alias = "VIRQ_ARCH_3")]
    pub const ARCH_3: Self = Self(19);
    /// Architecture-specific VIRQ 4.
    #[doc(alias = "VIRQ_ARCH_4")]
    pub const ARCH_4: Self = Self(20);
    /// Architecture-specific VIRQ 5.
    #[doc(alias = "VIRQ_ARCH_5")]
    pub const ARCH_5: Self = Self(21);
    /// Architecture-specific VIRQ 6.
    #[doc(alias = "VIRQ_ARCH_6")]
    pub const ARCH_6: Self = Self(22);
    /// Architecture-specific VIRQ 7.
    #[doc(alias = "VIRQ_ARCH_7")]
    pub const ARCH_7: Self = Self(23);
    /// Number of VIRQ numbers; every valid VIRQ is below this.
    #[doc(alias = "NR_VIRQS")]
    pub const COUNT: u32 = 24;
}

code_newtype!(
    Virq,
    u32,
    [
        TIMER, DEBUG, CONSOLE, DOM_EXC, TBUF, DEBUGGER, XENOPROF, CON_RING, PCPU_STATE, MEM_EVENT,
        ARGO, ENOMEM, XENPMU, ARCH_0, ARCH_1, ARCH_2, ARCH_3, ARCH_4, ARCH_5, ARCH_6, ARCH_7,
    ]
);

/// The command in bits 1:0 of [`MmuUpdate::ptr`] (`MMU_*`).
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
pub struct MmuUpdateCmd(u32);

impl MmuUpdateCmd {
    /// Checked `*ptr = val`; `ptr` is the machine address of a PTE.
    #[doc(alias = "MMU_NORMAL_PT_UPDATE")]
    pub const NORMAL_PT_UPDATE: Self = Self(0);
    /// Update the machine-to-physical entry of the frame holding `ptr`.
    #[doc(alias = "MMU_MACHPHYS_UPDATE")]
    pub const MACHPHYS_UPDATE: Self = Self(1);
    /// As [`Self::NORMAL_PT_UPDATE`], keeping the PTE's accessed/dirty bits.
    #[doc(alias = "MMU_PT_UPDATE_PRESERVE_AD")]
    pub const PT_UPDATE_PRESERVE_AD: Self = Self(2);
    /// As [`Self::NORMAL_PT_UPDATE`], without translating `val` through the
    /// foreign domain's page tables.
    #[doc(alias = "MMU_PT_UPDATE_NO_TRANSLATE")]
    pub const PT_UPDATE_NO_TRANSLATE: Self = Self(3);
}

code_newtype!(
    MmuUpdateCmd,
    u32,
    [
        NORMAL_PT_UPDATE,
        MACHPHYS_UPDATE,
        PT_UPDATE_PRESERVE_AD,
        PT_UPDATE_NO_TRANSLATE
    ]
);

/// The `foreigndom` argument of `HYPERVISOR_mmu_update`: `fd` (owner of the
/// data pages) in bits 15:0 and `pfd` (owner of the page-table pages) in bits
/// 31:16, where [`DomId::SELF`] is encoded as 0 and any other id as `id + 1`.
pub const fn mmu_update_foreigndom(fd: DomId, pfd: DomId) -> u32 {
    let hi = if pfd.0 == DomId::SELF.0 {
        0
    } else {
        pfd.0 as u32 + 1
    };
    (hi << 16) | fd.0 as u32
}

/// One page-table update for `HYPERVISOR_mmu_update` (`mmu_update_t`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "mmu_update")]
#[doc(alias = "mmu_update_t")]
pub struct MmuUpdate {
    /// Machine address of the PTE (or frame), with the [`MmuUpdateCmd`] in
    /// bits 1:0.
    pub ptr: u64,
    /// The new contents.
    pub val: u64,
}
assert_layout!(MmuUpdate, size = 16, align = 8, { ptr: 0, val: 8 });

impl MmuUpdate {
    /// An update of `val` at machine address `addr` (its low two bits are
    /// replaced by `cmd`).
    pub const fn new(cmd: MmuUpdateCmd, addr: u64, val: u64) -> Self {
        Self {
            ptr: (addr & !3) | (cmd.0 as u64 & 3),
            val,
        }
    }

    /// The command in bits 1:0 of `ptr`.
    pub const fn cmd(&self) -> MmuUpdateCmd {
        MmuUpdateCmd((self.ptr & 3) as u32)
    }

    /// The machine address in `ptr` (command bits cleared).
    pub const fn addr(&self) -> u64 {
        self.ptr & !3
    }
}

/// A command of `HYPERVISOR_mmuext_op` (`MMUEXT_*`, [`MmuextOp::cmd`]).
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
#[doc(alias = "mmuext_cmd")]
pub struct MmuextCmd(u32);

impl MmuextCmd {
    /// Pin `mfn` as an L1 page table.
    #[doc(alias = "MMUEXT_PIN_L1_TABLE")]
    pub const PIN_L1_TABLE: Self = Self(0);
    /// Pin `mfn` as an L2 page table.
    #[doc(alias = "MMUEXT_PIN_L2_TABLE")]
    pub const PIN_L2_TABLE: Self = Self(1);
    /// Pin `mfn` as an L3 page table.
    #[doc(alias = "MMUEXT_PIN_L3_TABLE")]
    pub const PIN_L3_TABLE: Self = Self(2);
    /// Pin `mfn` as an L4 page table.
    #[doc(alias = "MMUEXT_PIN_L4_TABLE")]
    pub const PIN_L4_TABLE: Self = Self(3);
    /// Unpin the page table `mfn`.
    #[doc(alias = "MMUEXT_UNPIN_TABLE")]
    pub const UNPIN_TABLE: Self = Self(4);
    /// Install `mfn` as the page-table base.
    #[doc(alias = "MMUEXT_NEW_BASEPTR")]
    pub const NEW_BASEPTR: Self = Self(5);
    /// Flush the local TLB.
    #[doc(alias = "MMUEXT_TLB_FLUSH_LOCAL")]
    pub const TLB_FLUSH_LOCAL: Self = Self(6);
    /// Flush `linear_addr` from the local TLB.
    #[doc(alias = "MMUEXT_INVLPG_LOCAL")]
    pub const INVLPG_LOCAL: Self = Self(7);
    /// Flush the TLBs of the vCPUs in `vcpumask`.
    #[doc(alias = "MMUEXT_TLB_FLUSH_MULTI")]
    pub const TLB_FLUSH_MULTI: Self = Self(8);
    /// Flush `linear_addr` from the TLBs of the vCPUs in `vcpumask`.
    #[doc(alias = "MMUEXT_INVLPG_MULTI")]
    pub const INVLPG_MULTI: Self = Self(9);
    /// Flush all vCPUs' TLBs.
    #[doc(alias = "MMUEXT_TLB_FLUSH_ALL")]
    pub const TLB_FLUSH_ALL: Self = Self(10);
    /// Flush `linear_addr` from all vCPUs' TLBs.
    #[doc(alias = "MMUEXT_INVLPG_ALL")]
    pub const INVLPG_ALL: Self = Self(11);
    /// Write back and flush the local cache.
    #[doc(alias = "MMUEXT_FLUSH_CACHE")]
    pub const FLUSH_CACHE: Self = Self(12);
    /// Install an LDT at `linear_addr` with `nr_ents` entries.
    #[doc(alias = "MMUEXT_SET_LDT")]
    pub const SET_LDT: Self = Self(13);
    /// Install `mfn` as the user-mode page-table base (x86-64).
    #[doc(alias = "MMUEXT_NEW_USER_BASEPTR")]
    pub const NEW_USER_BASEPTR: Self = Self(15);
    /// Zero the frame `mfn`.
    #[doc(alias = "MMUEXT_CLEAR_PAGE")]
    pub const CLEAR_PAGE: Self = Self(16);
    /// Copy frame `src_mfn` to `mfn`.
    #[doc(alias = "MMUEXT_COPY_PAGE")]
    pub const COPY_PAGE: Self = Self(17);
    /// Write back and flush the caches of all CPUs.
    #[doc(alias = "MMUEXT_FLUSH_CACHE_GLOBAL")]
    pub const FLUSH_CACHE_GLOBAL: Self = Self(18);
    /// Mark `mfn` as the head of a superpage.
    #[doc(alias = "MMUEXT_MARK_SUPER")]
    pub const MARK_SUPER: Self = Self(19);
    /// Unmark the superpage headed by `mfn`.
    #[doc(alias = "MMUEXT_UNMARK_SUPER")]
    pub const UNMARK_SUPER: Self = Self(20);
}

code_newtype!(
    MmuextCmd,
    u32,
    [
        PIN_L1_TABLE,
        PIN_L2_TABLE,
        PIN_L3_TABLE,
        PIN_L4_TABLE,
        UNPIN_TABLE,
        NEW_BASEPTR,
        TLB_FLUSH_LOCAL,
        INVLPG_LOCAL,
        TLB_FLUSH_MULTI,
        INVLPG_MULTI,
        TLB_FLUSH_ALL,
        INVLPG_ALL,
        FLUSH_CACHE,
        SET_LDT,
        NEW_USER_BASEPTR,
        CLEAR_PAGE,
        COPY_PAGE,
        FLUSH_CACHE_GLOBAL,
        MARK_SUPER,
        UNMARK_SUPER,
    ]
);

/// One extended MMU operation for `HYPERVISOR_mmuext_op` (`mmuext_op_t`).
///
/// `arg1` and `arg2` are C unions; use the typed accessors for the member the
/// [`MmuextCmd`] calls for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "mmuext_op")]
#[doc(alias = "mmuext_op_t")]
pub struct MmuextOp {
    /// The operation.
    pub cmd: MmuextCmd,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Union of `mfn` (`xen_pfn_t`) and `linear_addr` (`unsigned long`).
    pub arg1: u64,
    /// Union of `nr_ents` (`unsigned int`), `vcpumask`
    /// (`XEN_GUEST_HANDLE(const_void)`) and `src_mfn` (`xen_pfn_t`).
    pub arg2: u64,
}
assert_layout!(MmuextOp, size = 24, align = 8, { cmd: 0, arg1: 8, arg2: 16 });

impl MmuextOp {
    /// An operation with both arguments zero.
    pub const fn new(cmd: MmuextCmd) -> Self {
        Self {
            cmd,
            _pad0: [0; 4],
            arg1: 0,
            arg2: 0,
        }
    }

    /// `arg1.mfn`: the frame for the pin, base-pointer, page and superpage
    /// commands.
    pub const fn mfn(&self) -> XenPfn {
        self.arg1
    }

    /// Sets `arg1.mfn`.
    pub fn set_mfn(&mut self, mfn: XenPfn) {
        self.arg1 = mfn;
    }

    /// `arg1.linear_addr`: the address for `INVLPG_*` and `SET_LDT`.
    pub const fn linear_addr(&self) -> u64 {
        self.arg1
    }

    /// Sets `arg1.linear_addr`.
    pub fn set_linear_addr(&mut self, addr: u64) {
        self.arg1 = addr;
    }

    /// `arg2.nr_ents`: the LDT size for `SET_LDT` (the low 32 bits of
    /// `arg2`; both supported architectures are little-endian).
    pub const fn nr_ents(&self) -> u32 {
        self.arg2 as u32
    }

    /// Sets `arg2.nr_ents` (and clears the rest of `arg2`).
    pub fn set_nr_ents(&mut self, n: u32) {
        self.arg2 = u64::from(n);
    }

    /// `arg2.vcpumask`: the vCPU bitmap for `TLB_FLUSH_MULTI` and
    /// `INVLPG_MULTI`.
    pub const fn vcpumask(&self) -> GuestHandle<u8> {
        GuestHandle::from_addr(self.arg2)
    }

    /// Sets `arg2.vcpumask`.
    pub fn set_vcpumask(&mut self, mask: GuestHandle<u8>) {
        self.arg2 = mask.addr();
    }

    /// `arg2.src_mfn`: the source frame for `COPY_PAGE`.
    pub const fn src_mfn(&self) -> XenPfn {
        self.arg2
    }

    /// Sets `arg2.src_mfn`.
    pub fn set_src_mfn(&mut self, mfn: XenPfn) {
        self.arg2 = mfn;
    }
}

/// Flags of `HYPERVISOR_update_va_mapping` (`UVMF_*`).
///
/// The low two bits are the flush type ([`Self::FLUSHTYPE_MASK`]); for a
/// multi-vCPU flush, the pointer to a vCPU bitmap is ORed in as well (it is
/// at least 8-byte aligned, so it does not collide with the flag bits).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
#[doc(alias = "uvm_flags")]
pub struct UvmFlags(u64);

bitflags::bitflags! {
    impl UvmFlags: u64 {
        /// Flush entire TLB(s).
        #[doc(alias = "UVMF_TLB_FLUSH")]
        const TLB_FLUSH = 1 << 0;
        /// Flush only the one entry.
        #[doc(alias = "UVMF_INVLPG")]
        const INVLPG = 2;
        /// Mask of the flush-type bits.
        #[doc(alias = "UVMF_FLUSHTYPE_MASK")]
        const FLUSHTYPE_MASK = 3;
        /// Flush all vCPUs' TLBs.
        #[doc(alias = "UVMF_ALL")]
        const ALL = 1 << 2;
        const _ = !0;
    }
}

impl UvmFlags {
    /// No flushing at all.
    #[doc(alias = "UVMF_NONE")]
    pub const NONE: Self = Self::empty();
    /// Flush a subset of TLBs (OR in the vCPU bitmap pointer); zero.
    #[doc(alias = "UVMF_MULTI")]
    pub const MULTI: Self = Self::empty();
    /// Flush the local TLB only (a multi flush with a null bitmap); zero.
    #[doc(alias = "UVMF_LOCAL")]
    pub const LOCAL: Self = Self::empty();
}

impl fmt::Debug for UvmFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags("UvmFlags", self, f)
    }
}

/// A command of `HYPERVISOR_console_io` (`CONSOLEIO_*`).
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
pub struct ConsoleIoCmd(u32);

impl ConsoleIoCmd {
    /// Write the buffer to the Xen console.
    #[doc(alias = "CONSOLEIO_write")]
    pub const WRITE: Self = Self(0);
    /// Read up to `count` bytes from the Xen console.
    #[doc(alias = "CONSOLEIO_read")]
    pub const READ: Self = Self(1);
}

code_newtype!(ConsoleIoCmd, u32, [WRITE, READ]);

/// A command of `HYPERVISOR_vm_assist` (`VMASST_CMD_*`).
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
pub struct VmAssistCmd(u32);

impl VmAssistCmd {
    /// Enable the assist.
    #[doc(alias = "VMASST_CMD_enable")]
    pub const ENABLE: Self = Self(0);
    /// Disable the assist.
    #[doc(alias = "VMASST_CMD_disable")]
    pub const DISABLE: Self = Self(1);
}

code_newtype!(VmAssistCmd, u32, [ENABLE, DISABLE]);

/// A VM assist (`VMASST_TYPE_*`): the bit number in the `vm_assist` bitmap.
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
pub struct VmAssistType(u32);

impl VmAssistType {
    /// x86-32: simulate full 4 GiB segment limits.
    #[doc(alias = "VMASST_TYPE_4gb_segments")]
    pub const FOUR_GB_SEGMENTS: Self = Self(0);
    /// x86-32: trap (vector 15) whenever the above is used.
    #[doc(alias = "VMASST_TYPE_4gb_segments_notify")]
    pub const FOUR_GB_SEGMENTS_NOTIFY: Self = Self(1);
    /// x86: allow writes to bottom-level PTEs.
    #[doc(alias = "VMASST_TYPE_writable_pagetables")]
    pub const WRITABLE_PAGETABLES: Self = Self(2);
    /// x86 PAE: allow PDPTs above 4 GiB.
    #[doc(alias = "VMASST_TYPE_pae_extended_cr3")]
    pub const PAE_EXTENDED_CR3: Self = Self(3);
    /// x86: sane virtual IOPL behaviour.
    #[doc(alias = "VMASST_TYPE_architectural_iopl")]
    pub const ARCHITECTURAL_IOPL: Self = Self(4);
    /// All guests: set `XEN_RUNSTATE_UPDATE` in mapped runstate areas while
    /// they are updated.
    #[doc(alias = "VMASST_TYPE_runstate_update_flag")]
    pub const RUNSTATE_UPDATE_FLAG: Self = Self(5);
    /// x86-64: strictly hide the M2P table from user mode.
    #[doc(alias = "VMASST_TYPE_m2p_strict")]
    pub const M2P_STRICT: Self = Self(32);

    /// The bit of this assist in a `vm_assist` bitmap (0 for a type that
    /// does not fit in 64 bits).
    pub const fn mask(self) -> u64 {
        if self.0 < 64 {
            1 << self.0
        } else {
            0
        }
    }
}

code_newtype!(
    VmAssistType,
    u32,
    [
        FOUR_GB_SEGMENTS,
        FOUR_GB_SEGMENTS_NOTIFY,
        WRITABLE_PAGETABLES,
        PAE_EXTENDED_CR3,
        ARCHITECTURAL_IOPL,
        RUNSTATE_UPDATE_FLAG,
        M2P_STRICT,
    ]
);

/// One hypercall of a `HYPERVISOR_multicall` batch (`multicall_entry_t`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "multicall_entry")]
#[doc(alias = "multicall_entry_t")]
pub struct MulticallEntry {
    /// The hypercall number ([`HypercallOp`]).
    pub op: XenUlong,
    /// The hypercall's return value, written by Xen.
    pub result: XenUlong,
    /// The arguments.
    pub args: [XenUlong; 6],
}
assert_layout!(MulticallEntry, size = 64, align = 8, { op: 0, result: 8, args: 16 });

impl MulticallEntry {
    /// An entry calling `op` with `args` (unused ones zero).
    pub const fn new(op: HypercallOp, args: [XenUlong; 6]) -> Self {
        Self {
            op: op.0 as XenUlong,
            result: 0,
            args,
        }
    }

    /// The result as Xen's signed return value (negative errno on failure).
    pub const fn result_signed(&self) -> i64 {
        self.result as i64
    }
}

/// Flags of [`VcpuTimeInfo::flags`] (`XEN_PVCLOCK_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct PvclockFlags(u8);

bitflags::bitflags! {
    impl PvclockFlags: u8 {
        /// The TSC is stable across vCPUs (time may be read on any vCPU).
        #[doc(alias = "XEN_PVCLOCK_TSC_STABLE_BIT")]
        const TSC_STABLE = 1 << 0;
        /// The guest was stopped (paused) since the last update.
        #[doc(alias = "XEN_PVCLOCK_GUEST_STOPPED")]
        const GUEST_STOPPED = 1 << 1;
        const _ = !0;
    }
}

impl fmt::Debug for PvclockFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags("PvclockFlags", self, f)
    }
}

/// Per-vCPU system time, updated by Xen (`vcpu_time_info_t`).
///
/// Xen bumps `version` before and after each update (odd while updating);
/// read it like a seqlock: version, fields, version again.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_time_info")]
#[doc(alias = "vcpu_time_info_t")]
pub struct VcpuTimeInfo {
    /// Update counter; odd while an update is in progress.
    pub version: u32,
    /// Padding (named in C).
    pub pad0: u32,
    /// TSC at the last update.
    pub tsc_timestamp: u64,
    /// Nanoseconds since boot at the last update.
    pub system_time: u64,
    /// Multiplier (32.32 fixed point) from shifted TSC ticks to nanoseconds.
    pub tsc_to_system_mul: u32,
    /// Shift applied to a TSC delta before the multiplication.
    pub tsc_shift: i8,
    /// `XEN_PVCLOCK_*` flags.
    pub flags: PvclockFlags,
    /// Padding (named in C).
    pub pad1: [u8; 2],
}
assert_layout!(VcpuTimeInfo, size = 32, align = 8, {
    version: 0, pad0: 4, tsc_timestamp: 8, system_time: 16, tsc_to_system_mul: 24,
    tsc_shift: 28, flags: 29, pad1: 30,
});

impl VcpuTimeInfo {
    /// True while Xen is in the middle of an update (odd `version`).
    pub const fn is_updating(&self) -> bool {
        self.version & 1 != 0
    }

    /// Converts a TSC delta since `tsc_timestamp` into nanoseconds:
    /// `((delta << tsc_shift) * tsc_to_system_mul) >> 32`.
    pub const fn tsc_delta_to_ns(&self, delta: u64) -> u64 {
        let shift = self.tsc_shift as i32;
        let scaled = if shift >= 0 {
            if shift < 64 {
                delta << shift
            } else {
                0
            }
        } else if -shift < 64 {
            delta >> -shift
        } else {
            0
        };
        ((scaled as u128 * self.tsc_to_system_mul as u128) >> 32) as u64
    }

    /// System time (ns since boot) at TSC value `tsc`.
    pub const fn system_time_at(&self, tsc: u64) -> u64 {
        self.system_time
            .wrapping_add(self.tsc_delta_to_ns(tsc.wrapping_sub(self.tsc_timestamp)))
    }
}

/// Per-vCPU shared state: event upcall flags and time (`vcpu_info_t`).
///
/// 64 bytes on x86 (with [`ArchVcpuInfo`](crate::arch::x86::ArchVcpuInfo)),
/// 48 on Arm.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_info")]
#[doc(alias = "vcpu_info_t")]
pub struct VcpuInfo {
    /// Non-zero when an event upcall is pending (set by Xen, cleared by
    /// the guest before it scans for work).
    pub evtchn_upcall_pending: u8,
    /// Non-zero masks event upcalls to this vCPU (x86 PV). On Arm this byte
    /// is padding (`pad0`).
    #[doc(alias = "pad0")]
    pub evtchn_upcall_mask: u8,
    /// Padding.
    pub _pad0: [u8; 6],
    /// Selector: bit `i` set when word `i` of
    /// [`SharedInfo::evtchn_pending`] may have pending ports.
    pub evtchn_pending_sel: XenUlong,
    /// Architecture-specific part.
    pub arch: crate::arch::current::ArchVcpuInfo,
    /// System time.
    pub time: VcpuTimeInfo,
}
#[cfg(target_arch = "x86_64")]
assert_layout!(VcpuInfo, size = 64, align = 8, {
    evtchn_upcall_pending: 0, evtchn_upcall_mask: 1, evtchn_pending_sel: 8, arch: 16, time: 32,
});
#[cfg(target_arch = "aarch64")]
assert_layout!(VcpuInfo, size = 48, align = 8, {
    evtchn_upcall_pending: 0, evtchn_upcall_mask: 1, evtchn_pending_sel: 8, arch: 16, time: 16,
});

/// Number of bits in an event-channel word of the 2-level ABI
/// (`sizeof(xen_ulong_t) * 8`), which is also the number of words in
/// [`SharedInfo::evtchn_pending`] and [`SharedInfo::evtchn_mask`].
pub const EVTCHN_WORD_BITS: usize = 64;

/// The shared-info page: legacy vCPU infos, 2-level event-channel bitmaps,
/// wallclock time (`shared_info_t`).
///
/// Smaller than a page; Xen does not promise its size stays constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
#[doc(alias = "shared_info")]
#[doc(alias = "shared_info_t")]
pub struct SharedInfo {
    /// vCPU infos of the first `XEN_LEGACY_MAX_VCPUS` vCPUs.
    pub vcpu_info: [VcpuInfo; crate::arch::current::LEGACY_MAX_VCPUS],
    /// Pending bits of the 2-level event-channel ABI.
    pub evtchn_pending: [XenUlong; EVTCHN_WORD_BITS],
    /// Mask bits of the 2-level event-channel ABI.
    pub evtchn_mask: [XenUlong; EVTCHN_WORD_BITS],
    /// Wallclock update counter (same protocol as
    /// [`VcpuTimeInfo::version`]).
    pub wc_version: u32,
    /// Wallclock seconds (low 32 bits) since the Unix epoch at system time 0.
    pub wc_sec: u32,
    /// Wallclock nanoseconds.
    pub wc_nsec: u32,
    /// Wallclock seconds, high 32 bits.
    pub wc_sec_hi: u32,
    /// Architecture-specific part.
    pub arch: crate::arch::current::ArchSharedInfo,
}
#[cfg(target_arch = "x86_64")]
assert_layout!(SharedInfo, size = 3136, align = 8, {
    vcpu_info: 0, evtchn_pending: 2048, evtchn_mask: 2560, wc_version: 3072, wc_sec: 3076,
    wc_nsec: 3080, wc_sec_hi: 3084, arch: 3088,
});
#[cfg(target_arch = "aarch64")]
assert_layout!(SharedInfo, size = 1088, align = 8, {
    vcpu_info: 0, evtchn_pending: 48, evtchn_mask: 560, wc_version: 1072, wc_sec: 1076,
    wc_nsec: 1080, wc_sec_hi: 1084, arch: 1088,
});

impl SharedInfo {
    /// The wallclock base `(seconds, nanoseconds)` since the Unix epoch,
    /// combining `wc_sec_hi` and `wc_sec`. Read it between two equal, even
    /// `wc_version`s.
    pub const fn wallclock(&self) -> (u64, u32) {
        (
            ((self.wc_sec_hi as u64) << 32) | self.wc_sec as u64,
            self.wc_nsec,
        )
    }
}

/// Flags of [`StartInfo::flags`] (`SIF_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct StartInfoFlags(u32);

bitflags::bitflags! {
    impl StartInfoFlags: u32 {
        /// The domain is privileged.
        #[doc(alias = "SIF_PRIVILEGED")]
        const PRIVILEGED = 1 << 0;
        /// This is the initial control domain.
        #[doc(alias = "SIF_INITDOMAIN")]
        const INITDOMAIN = 1 << 1;
        /// `mod_start` is a multiboot module ([`XenMultibootModList`]).
        #[doc(alias = "SIF_MULTIBOOT_MOD")]
        const MULTIBOOT_MOD = 1 << 2;
        /// `mod_start` is a PFN, not a virtual address.
        #[doc(alias = "SIF_MOD_START_PFN")]
        const MOD_START_PFN = 1 << 3;
        /// The tools understand a virtually mapped P2M list.
        #[doc(alias = "SIF_VIRT_P2M_4TOOLS")]
        const VIRT_P2M_4TOOLS = 1 << 4;
        /// Byte reserved for power-management options.
        #[doc(alias = "SIF_PM_MASK")]
        const PM_MASK = 0xFF << 8;
        const _ = !0;
    }
}

impl fmt::Debug for StartInfoFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags("StartInfoFlags", self, f)
    }
}

/// Size of [`StartInfo::cmd_line`].
#[doc(alias = "MAX_GUEST_CMDLINE")]
pub const MAX_CMDLINE: usize = 1024;

/// The domU view of [`StartInfo::console`]: the console ring page and its
/// event channel.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct StartInfoConsoleDomU {
    /// Machine frame of the console page.
    pub mfn: XenPfn,
    /// Event channel of the console.
    pub evtchn: u32,
    /// Padding.
    pub _pad0: [u8; 4],
}
assert_layout!(StartInfoConsoleDomU, size = 16, align = 8, { mfn: 0, evtchn: 8 });

/// The dom0 view of [`StartInfo::console`]: where the
/// [`Dom0VgaConsoleInfo`] lies in the start-info page.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct StartInfoConsoleDom0 {
    /// Offset of the console info from the start of [`StartInfo`].
    pub info_off: u32,
    /// Size of the console info.
    pub info_size: u32,
}
assert_layout!(StartInfoConsoleDom0, size = 8, align = 4, { info_off: 0, info_size: 4 });

/// The start-of-day information of a PV guest (`start_info_t`), pointed to by
/// `%rsi` at entry. x86 only: Arm has no PV entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
#[doc(alias = "start_info")]
#[doc(alias = "start_info_t")]
pub struct StartInfo {
    /// `"xen-<version>-<platform>"`, NUL-padded.
    pub magic: [u8; 32],
    /// Total pages allocated to the domain.
    pub nr_pages: u64,
    /// Machine address of the shared-info page.
    pub shared_info: u64,
    /// `SIF_*` flags.
    pub flags: StartInfoFlags,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Machine frame of the xenstore ring page.
    pub store_mfn: XenPfn,
    /// Event channel of the xenstore ring.
    pub store_evtchn: u32,
    /// Padding.
    pub _pad1: [u8; 4],
    /// C union of the domU and dom0 console descriptions; see
    /// [`Self::console_domu`] and [`Self::console_dom0`].
    pub console: [u64; 2],
    /// Virtual address of the initial page directory.
    pub pt_base: u64,
    /// Number of bootstrap page-table frames.
    pub nr_pt_frames: u64,
    /// Virtual address of the page-frame list.
    pub mfn_list: u64,
    /// Virtual address (or PFN with [`StartInfoFlags::MOD_START_PFN`]) of
    /// the pre-loaded module.
    pub mod_start: u64,
    /// Size in bytes of the pre-loaded module.
    pub mod_len: u64,
    /// The kernel command line, NUL-terminated (`int8_t` in C).
    pub cmd_line: [u8; MAX_CMDLINE],
    /// First PFN of the initial P2M table.
    pub first_p2m_pfn: u64,
    /// Number of PFNs of the initial P2M table.
    pub nr_p2m_frames: u64,
}
// x86_64 numbers; the struct is identical on every 64-bit target.
assert_layout!(StartInfo, size = 1168, align = 8, {
    magic: 0, nr_pages: 32, shared_info: 40, flags: 48, store_mfn: 56, store_evtchn: 64,
    console: 72, pt_base: 88, nr_pt_frames: 96, mfn_list: 104, mod_start: 112, mod_len: 120,
    cmd_line: 128, first_p2m_pfn: 1152, nr_p2m_frames: 1160,
});

/// The bytes of `b` up to (not including) the first NUL.
fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

impl StartInfo {
    /// The magic string up to its NUL (e.g. `b"xen-3.0-x86_64"`).
    pub fn magic_bytes(&self) -> &[u8] {
        until_nul(&self.magic)
    }

    /// True when the magic starts with `"xen-"`, as every start-info from Xen
    /// does.
    pub fn has_valid_magic(&self) -> bool {
        self.magic.starts_with(b"xen-")
    }

    /// The command line up to its NUL.
    pub fn cmd_line_bytes(&self) -> &[u8] {
        until_nul(&self.cmd_line)
    }

    /// The xenstore event channel, validated.
    ///
    /// # Errors
    /// [`Error::InvalidPort`] when it is beyond the ABI limit.
    pub const fn store_port(&self) -> Result<crate::event_channel::EvtchnPort> {
        crate::event_channel::EvtchnPort::new(self.store_evtchn)
    }

    /// `console.domU`: the console page and event channel (not dom0).
    pub fn console_domu(&self) -> StartInfoConsoleDomU {
        zerocopy::transmute!(self.console)
    }

    /// Sets `console.domU`.
    pub fn set_console_domu(&mut self, c: StartInfoConsoleDomU) {
        self.console = zerocopy::transmute!(c);
    }

    /// `console.dom0`: where the [`Dom0VgaConsoleInfo`] is (dom0 only).
    pub fn console_dom0(&self) -> StartInfoConsoleDom0 {
        // The 16-byte storage always holds the 8-byte prefix.
        StartInfoConsoleDom0::read_from_prefix(self.console.as_bytes())
            .map_or_else(|_| StartInfoConsoleDom0::default(), |(c, _)| c)
    }

    /// Sets `console.dom0` (and zeroes the rest of the union).
    pub fn set_console_dom0(&mut self, c: StartInfoConsoleDom0) {
        self.console = [0; 2];
        self.console.as_mut_bytes()[..core::mem::size_of::<StartInfoConsoleDom0>()]
            .copy_from_slice(c.as_bytes());
    }
}

/// One module of a multiboot module package ([`StartInfoFlags::MULTIBOOT_MOD`]);
/// the list ends with an entry whose `mod_start` is 0.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_multiboot_mod_list")]
pub struct XenMultibootModList {
    /// Address of the first byte of the module (relative to the package).
    pub mod_start: u32,
    /// Address of the last byte of the module (inclusive).
    pub mod_end: u32,
    /// Address of the NUL-terminated command line.
    pub cmdline: u32,
    /// Unused, must be zero.
    pub pad: u32,
}
assert_layout!(XenMultibootModList, size = 16, align = 4, {
    mod_start: 0, mod_end: 4, cmdline: 8, pad: 12,
});

/// The kind of dom0 console in [`Dom0VgaConsoleInfo::video_type`]
/// (`XEN_VGATYPE_*`).
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
pub struct VgaType(u8);

impl VgaType {
    /// VGA text mode 3 ([`VgaTextMode3`]).
    #[doc(alias = "XEN_VGATYPE_TEXT_MODE_3")]
    pub const TEXT_MODE_3: Self = Self(0x03);
    /// VESA linear frame buffer ([`VgaVesaLfb`]).
    #[doc(alias = "XEN_VGATYPE_VESA_LFB")]
    pub const VESA_LFB: Self = Self(0x23);
    /// EFI linear frame buffer ([`VgaVesaLfb`]).
    #[doc(alias = "XEN_VGATYPE_EFI_LFB")]
    pub const EFI_LFB: Self = Self(0x70);
}

code_newtype!(VgaType, u8, [TEXT_MODE_3, VESA_LFB, EFI_LFB]);

/// The text-mode member of [`Dom0VgaConsoleInfo`]'s union.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct VgaTextMode3 {
    /// Font height in pixels.
    pub font_height: u16,
    /// Cursor column.
    pub cursor_x: u16,
    /// Cursor row.
    pub cursor_y: u16,
    /// Rows of characters.
    pub rows: u16,
    /// Columns of characters.
    pub columns: u16,
}
assert_layout!(VgaTextMode3, size = 10, align = 2, {
    font_height: 0, cursor_x: 2, cursor_y: 4, rows: 6, columns: 8,
});

/// The linear-frame-buffer member of [`Dom0VgaConsoleInfo`]'s union.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct VgaVesaLfb {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Bytes per scan line.
    pub bytes_per_line: u16,
    /// Bits per pixel.
    pub bits_per_pixel: u16,
    /// Physical address of the frame buffer, low 32 bits.
    pub lfb_base: u32,
    /// Size of the frame buffer in 64 KiB units.
    pub lfb_size: u32,
    /// Red mask offset.
    pub red_pos: u8,
    /// Red mask size.
    pub red_size: u8,
    /// Green mask offset.
    pub green_pos: u8,
    /// Green mask size.
    pub green_size: u8,
    /// Blue mask offset.
    pub blue_pos: u8,
    /// Blue mask size.
    pub blue_size: u8,
    /// Reserved-bits offset.
    pub rsvd_pos: u8,
    /// Reserved-bits size.
    pub rsvd_size: u8,
    /// VESA capabilities.
    pub gbl_caps: u32,
    /// VESA mode attributes.
    pub mode_attrs: u16,
    /// Padding (named in C).
    pub pad: u16,
    /// Physical address of the frame buffer, high 32 bits.
    pub ext_lfb_base: u32,
}
assert_layout!(VgaVesaLfb, size = 36, align = 4, {
    width: 0, height: 2, bytes_per_line: 4, bits_per_pixel: 6, lfb_base: 8, lfb_size: 12,
    red_pos: 16, red_size: 17, green_pos: 18, green_size: 19, blue_pos: 20, blue_size: 21,
    rsvd_pos: 22, rsvd_size: 23, gbl_caps: 24, mode_attrs: 28, pad: 30, ext_lfb_base: 32,
});

impl VgaVesaLfb {
    /// The full 64-bit physical address of the frame buffer.
    pub const fn lfb_addr(&self) -> u64 {
        ((self.ext_lfb_base as u64) << 32) | self.lfb_base as u64
    }
}

/// The dom0 VGA/VESA/EFI console description (`dom0_vga_console_info_t`),
/// found in the start-info page ([`StartInfo::console_dom0`]) or through
/// `XENPF_firmware_info`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "dom0_vga_console_info")]
#[doc(alias = "dom0_vga_console_info_t")]
#[doc(alias = "xen_vga_console_info")]
pub struct Dom0VgaConsoleInfo {
    /// Which member of the union is valid.
    pub video_type: VgaType,
    /// Padding.
    pub _pad0: [u8; 3],
    /// C union of `text_mode_3` and `vesa_lfb`; see [`Self::text_mode_3`]
    /// and [`Self::vesa_lfb`].
    pub u: [u32; 9],
}
assert_layout!(Dom0VgaConsoleInfo, size = 40, align = 4, { video_type: 0, u: 4 });

impl Dom0VgaConsoleInfo {
    /// `u.text_mode_3` (meaningful for [`VgaType::TEXT_MODE_3`]).
    pub fn text_mode_3(&self) -> VgaTextMode3 {
        // The 36-byte storage always holds the 10-byte prefix.
        VgaTextMode3::read_from_prefix(self.u.as_bytes())
            .map_or_else(|_| VgaTextMode3::default(), |(m, _)| m)
    }

    /// Sets `u.text_mode_3` (and zeroes the rest of the union).
    pub fn set_text_mode_3(&mut self, m: VgaTextMode3) {
        self.u = [0; 9];
        self.u.as_mut_bytes()[..core::mem::size_of::<VgaTextMode3>()].copy_from_slice(m.as_bytes());
    }

    /// `u.vesa_lfb` (meaningful for [`VgaType::VESA_LFB`] and
    /// [`VgaType::EFI_LFB`]).
    pub fn vesa_lfb(&self) -> VgaVesaLfb {
        zerocopy::transmute!(self.u)
    }

    /// Sets `u.vesa_lfb`.
    pub fn set_vesa_lfb(&mut self, l: VgaVesaLfb) {
        self.u = zerocopy::transmute!(l);
    }
}

/// A UUID as Xen passes it (`xen_uuid_t`), bytes in RFC 4122 (big-endian)
/// order.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_uuid_t")]
pub struct XenUuid {
    /// The 16 bytes.
    pub a: [u8; 16],
}
assert_layout!(XenUuid, size = 16, align = 1, { a: 0 });

impl XenUuid {
    /// The UUID `a-b-c-d-e` (as `XEN_DEFINE_UUID` builds it).
    pub const fn new(a: u32, b: u16, c: u16, d: u16, e: [u8; 6]) -> Self {
        let [a0, a1, a2, a3] = a.to_be_bytes();
        let [b0, b1] = b.to_be_bytes();
        let [c0, c1] = c.to_be_bytes();
        let [d0, d1] = d.to_be_bytes();
        Self {
            a: [
                a0, a1, a2, a3, b0, b1, c0, c1, d0, d1, e[0], e[1], e[2], e[3], e[4], e[5],
            ],
        }
    }
}

#[cfg(test)]
mod abi_tests {
    use super::*;
    use std::format;
    use zerocopy::FromZeros;

    #[test]
    fn mmu_update_cmd_bits() {
        let u = MmuUpdate::new(MmuUpdateCmd::PT_UPDATE_PRESERVE_AD, 0x1234_5003, 7);
        assert_eq!(u.ptr, 0x1234_5002);
        assert_eq!(u.cmd(), MmuUpdateCmd::PT_UPDATE_PRESERVE_AD);
        assert_eq!(u.addr(), 0x1234_5000);
    }

    #[test]
    fn foreigndom_encoding() {
        assert_eq!(mmu_update_foreigndom(DomId::SELF, DomId::SELF), 0x7FF0);
        let d5 = DomId::new_unchecked(5);
        assert_eq!(mmu_update_foreigndom(d5, DomId::DOM0), (1 << 16) | 5);
    }

    #[test]
    fn mmuext_accessors() {
        let mut op = MmuextOp::new(MmuextCmd::SET_LDT);
        op.set_linear_addr(0xffff_8000_0000_0000);
        op.set_nr_ents(42);
        assert_eq!(op.linear_addr(), 0xffff_8000_0000_0000);
        assert_eq!(op.nr_ents(), 42);
        assert_eq!(&op.as_bytes()[16..20], &42u32.to_ne_bytes());
        op.set_vcpumask(GuestHandle::from_addr(0x1000));
        assert_eq!(op.vcpumask().addr(), 0x1000);
        assert_eq!(op.src_mfn(), 0x1000);
        assert_eq!(format!("{:?}", op.cmd), "MmuextCmd::SET_LDT");
        assert_eq!(format!("{:?}", MmuextCmd::new(14)), "MmuextCmd(14)");
    }

    #[test]
    fn hypercall_names() {
        assert_eq!(HypercallOp::EVENT_CHANNEL_OP.get(), 32);
        assert_eq!(HypercallOp::new(29).name(), Some("SCHED_OP"));
        let e = MulticallEntry::new(HypercallOp::MEMORY_OP, [1, 2, 0, 0, 0, 0]);
        assert_eq!(e.op, 12);
        assert_eq!(
            MulticallEntry {
                result: (-22i64) as u64,
                ..e
            }
            .result_signed(),
            -22
        );
    }

    #[test]
    fn flags_debug() {
        let f = StartInfoFlags::PRIVILEGED | StartInfoFlags::INITDOMAIN;
        assert_eq!(format!("{f:?}"), "StartInfoFlags(PRIVILEGED | INITDOMAIN)");
        assert_eq!(format!("{:?}", PvclockFlags::empty()), "PvclockFlags(0x0)");
        assert_eq!(UvmFlags::INVLPG.bits() & UvmFlags::FLUSHTYPE_MASK.bits(), 2);
        assert_eq!(VmAssistType::M2P_STRICT.mask(), 1 << 32);
    }

    #[test]
    fn time_conversion() {
        let t = VcpuTimeInfo {
            version: 2,
            tsc_timestamp: 1000,
            system_time: 5_000,
            tsc_to_system_mul: 1 << 31, // 0.5 ns per (shifted) tick
            tsc_shift: 1,
            ..Default::default()
        };
        assert!(!t.is_updating());
        assert_eq!(t.system_time_at(1000 + 300), 5_000 + 300);
        let t = VcpuTimeInfo { tsc_shift: -1, ..t };
        assert_eq!(t.tsc_delta_to_ns(400), 100);
        let t = VcpuTimeInfo {
            tsc_shift: 100,
            ..t
        };
        assert_eq!(t.tsc_delta_to_ns(400), 0);
    }

    #[test]
    fn start_info_unions_and_strings() {
        let mut si = StartInfo::new_zeroed();
        si.magic[..14].copy_from_slice(b"xen-3.0-x86_64");
        si.cmd_line[..5].copy_from_slice(b"quiet");
        assert!(si.has_valid_magic());
        assert_eq!(si.magic_bytes(), b"xen-3.0-x86_64");
        assert_eq!(si.cmd_line_bytes(), b"quiet");
        si.set_console_domu(StartInfoConsoleDomU {
            mfn: 0x1234,
            evtchn: 3,
            _pad0: [0; 4],
        });
        assert_eq!(si.console, [0x1234, 3]);
        assert_eq!(si.console_domu().evtchn, 3);
        si.set_console_dom0(StartInfoConsoleDom0 {
            info_off: 0x480,
            info_size: 40,
        });
        assert_eq!(
            si.console_dom0(),
            StartInfoConsoleDom0 {
                info_off: 0x480,
                info_size: 40
            }
        );
        assert_eq!(si.console[1], 0);
        si.store_evtchn = 1 << 20;
        assert_eq!(si.store_port(), Err(Error::InvalidPort(1 << 20)));
    }

    #[test]
    fn vga_union() {
        let mut v = Dom0VgaConsoleInfo {
            video_type: VgaType::VESA_LFB,
            ..Default::default()
        };
        let lfb = VgaVesaLfb {
            width: 1024,
            lfb_base: 0xe000_0000,
            ext_lfb_base: 1,
            ..Default::default()
        };
        v.set_vesa_lfb(lfb);
        assert_eq!(v.vesa_lfb(), lfb);
        assert_eq!(v.vesa_lfb().lfb_addr(), 0x1_e000_0000);
        v.set_text_mode_3(VgaTextMode3 {
            rows: 25,
            columns: 80,
            ..Default::default()
        });
        assert_eq!(v.text_mode_3().columns, 80);
        assert_eq!(v.u[8], 0);
    }

    #[test]
    fn uuid_layout() {
        let u = XenUuid::new(
            0x0011_2233,
            0x4455,
            0x6677,
            0x8899,
            [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff],
        );
        assert_eq!(u.a[0], 0x00);
        assert_eq!(u.a[3], 0x33);
        assert_eq!(u.a[9], 0x99);
        assert_eq!(u.a[15], 0xff);
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `hvm/hvm_op.h`: HVM operations (parameters, time, memory types, altp2m).
//!
//! The hypercall is `hvm_op(cmd, arg)`, with `cmd` one of [`op`]. The
//! tools-only operations and the ones removed before interface 0x00040900
//! are not mirrored.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::xen::{DomId, Gfn, GuestHandle, VcpuId};

/// `HVMOP_*`: the sub-operations of `HYPERVISOR_hvm_op`.
pub mod op {
    /// Set an HVM parameter; the argument is a [`Param`](super::Param).
    #[doc(alias = "HVMOP_set_param")]
    pub const SET_PARAM: u32 = 0;
    /// Get an HVM parameter; the argument is a [`Param`](super::Param).
    #[doc(alias = "HVMOP_get_param")]
    pub const GET_PARAM: u32 = 1;
    /// Flush all vCPUs' TLBs; the argument must be null.
    #[doc(alias = "HVMOP_flush_tlbs")]
    pub const FLUSH_TLBS: u32 = 5;
    /// Hint that a pagetable is about to be destroyed; the argument is a
    /// [`PagetableDying`](super::PagetableDying).
    #[doc(alias = "HVMOP_pagetable_dying")]
    pub const PAGETABLE_DYING: u32 = 9;
    /// Read Xen's time; the argument is a [`GetTime`](super::GetTime).
    #[doc(alias = "HVMOP_get_time")]
    pub const GET_TIME: u32 = 10;
    /// Emit a trace record; the argument is a [`Xentrace`](super::Xentrace).
    #[doc(alias = "HVMOP_xentrace")]
    pub const XENTRACE: u32 = 11;
    /// Read the type of a guest frame; the argument is a
    /// [`GetMemType`](super::GetMemType).
    #[doc(alias = "HVMOP_get_mem_type")]
    pub const GET_MEM_TYPE: u32 = 15;
    /// x86: set a vCPU's event-channel upcall vector; the argument is an
    /// [`EvtchnUpcallVector`](super::EvtchnUpcallVector).
    #[doc(alias = "HVMOP_set_evtchn_upcall_vector")]
    pub const SET_EVTCHN_UPCALL_VECTOR: u32 = 23;
    /// Send a guest-request `vm_event`. No argument.
    #[doc(alias = "HVMOP_guest_request_vm_event")]
    pub const GUEST_REQUEST_VM_EVENT: u32 = 24;
    /// Alternate-p2m operation; the argument is an
    /// [`Altp2mOp`](super::Altp2mOp).
    #[doc(alias = "HVMOP_altp2m")]
    pub const ALTP2M: u32 = 25;
}

/// `HVMOP_altp2m_*`: the commands of an [`Altp2mOp`] (its `cmd` field).
pub mod altp2m_op {
    /// The version every [`Altp2mOp`](super::Altp2mOp) must carry.
    #[doc(alias = "HVMOP_ALTP2M_INTERFACE_VERSION")]
    pub const INTERFACE_VERSION: u32 = 0x0000_0001;
    /// Get the domain's altp2m state ([`Altp2mDomainState`](super::Altp2mDomainState)).
    #[doc(alias = "HVMOP_altp2m_get_domain_state")]
    pub const GET_DOMAIN_STATE: u32 = 1;
    /// Set the domain's altp2m state ([`Altp2mDomainState`](super::Altp2mDomainState)).
    #[doc(alias = "HVMOP_altp2m_set_domain_state")]
    pub const SET_DOMAIN_STATE: u32 = 2;
    /// Make a vCPU receive altp2m (#VE) notifications
    /// ([`Altp2mVcpuEnableNotify`](super::Altp2mVcpuEnableNotify)).
    #[doc(alias = "HVMOP_altp2m_vcpu_enable_notify")]
    pub const VCPU_ENABLE_NOTIFY: u32 = 3;
    /// Create a view ([`Altp2mView`](super::Altp2mView)).
    #[doc(alias = "HVMOP_altp2m_create_p2m")]
    pub const CREATE_P2M: u32 = 4;
    /// Destroy a view ([`Altp2mView`](super::Altp2mView)).
    #[doc(alias = "HVMOP_altp2m_destroy_p2m")]
    pub const DESTROY_P2M: u32 = 5;
    /// Switch the whole domain to a view ([`Altp2mView`](super::Altp2mView)).
    #[doc(alias = "HVMOP_altp2m_switch_p2m")]
    pub const SWITCH_P2M: u32 = 6;
    /// Set a page's access in a view ([`Altp2mMemAccess`](super::Altp2mMemAccess)).
    #[doc(alias = "HVMOP_altp2m_set_mem_access")]
    pub const SET_MEM_ACCESS: u32 = 7;
    /// Remap a gfn in a view ([`Altp2mChangeGfn`](super::Altp2mChangeGfn)).
    #[doc(alias = "HVMOP_altp2m_change_gfn")]
    pub const CHANGE_GFN: u32 = 8;
    /// Set the access of many pages
    /// ([`Altp2mSetMemAccessMulti`](super::Altp2mSetMemAccessMulti)).
    #[doc(alias = "HVMOP_altp2m_set_mem_access_multi")]
    pub const SET_MEM_ACCESS_MULTI: u32 = 9;
    /// Set a page's "suppress #VE" bit
    /// ([`Altp2mSuppressVe`](super::Altp2mSuppressVe)).
    #[doc(alias = "HVMOP_altp2m_set_suppress_ve")]
    pub const SET_SUPPRESS_VE: u32 = 10;
    /// Get a page's "suppress #VE" bit
    /// ([`Altp2mSuppressVe`](super::Altp2mSuppressVe)).
    #[doc(alias = "HVMOP_altp2m_get_suppress_ve")]
    pub const GET_SUPPRESS_VE: u32 = 11;
    /// Get a page's access in a view ([`Altp2mMemAccess`](super::Altp2mMemAccess)).
    #[doc(alias = "HVMOP_altp2m_get_mem_access")]
    pub const GET_MEM_ACCESS: u32 = 12;
    /// Stop a vCPU's altp2m notifications
    /// ([`Altp2mVcpuDisableNotify`](super::Altp2mVcpuDisableNotify)).
    #[doc(alias = "HVMOP_altp2m_vcpu_disable_notify")]
    pub const VCPU_DISABLE_NOTIFY: u32 = 13;
    /// Get a vCPU's active view
    /// ([`Altp2mGetVcpuP2mIdx`](super::Altp2mGetVcpuP2mIdx)).
    #[doc(alias = "HVMOP_altp2m_get_p2m_idx")]
    pub const GET_P2M_IDX: u32 = 14;
    /// Set the "suppress #VE" bit of a range of pages
    /// ([`Altp2mSuppressVeMulti`](super::Altp2mSuppressVeMulti)).
    #[doc(alias = "HVMOP_altp2m_set_suppress_ve_multi")]
    pub const SET_SUPPRESS_VE_MULTI: u32 = 15;
    /// Set a view's visibility
    /// ([`Altp2mSetVisibility`](super::Altp2mSetVisibility)).
    #[doc(alias = "HVMOP_altp2m_set_visibility")]
    pub const SET_VISIBILITY: u32 = 16;
}

/// `hvmmem_type_t`: a guest frame's memory type, as
/// [`GetMemType::mem_type`] returns it.
pub mod mem_type {
    /// Normal read/write RAM.
    #[doc(alias = "HVMMEM_ram_rw")]
    pub const RAM_RW: u16 = 0;
    /// Read-only RAM; writes are discarded.
    #[doc(alias = "HVMMEM_ram_ro")]
    pub const RAM_RO: u16 = 1;
    /// Reads and writes go to the device model.
    #[doc(alias = "HVMMEM_mmio_dm")]
    pub const MMIO_DM: u16 = 2;
    /// Placeholder (setting it fails since Xen 4.7).
    #[doc(alias = "HVMMEM_unused")]
    pub const UNUSED: u16 = 3;
    /// Claimed by an ioreq server.
    #[doc(alias = "HVMMEM_ioreq_server")]
    pub const IOREQ_SERVER: u16 = 4;
}

/// Argument of `HVMOP_set_param` and `HVMOP_get_param`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_param")]
#[doc(alias = "xen_hvm_param_t")]
pub struct Param {
    /// IN: the domain.
    pub domid: DomId,
    /// Padding; zero.
    pub pad: u16,
    /// IN: the parameter (an `HVM_PARAM_*`, see
    /// [`HvmParam`](crate::hvm::params::HvmParam)).
    pub index: u32,
    /// IN (set) or OUT (get): the value.
    pub value: u64,
}
assert_layout!(Param, size = 16, align = 8, { domid: 0, pad: 2, index: 4, value: 8 });

impl Param {
    /// A parameter access for `domid`'s parameter `index`.
    pub const fn new(domid: DomId, index: u32, value: u64) -> Self {
        Self {
            domid,
            pad: 0,
            index,
            value,
        }
    }
}

/// Argument of `HVMOP_altp2m_set_suppress_ve` and
/// `HVMOP_altp2m_get_suppress_ve`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_suppress_ve")]
pub struct Altp2mSuppressVe {
    /// The view.
    pub view: u16,
    /// The "suppress #VE" bit (boolean).
    pub suppress_ve: u8,
    /// Padding; zero.
    pub pad1: u8,
    /// Padding; zero.
    pub pad2: u32,
    /// The page.
    pub gfn: Gfn,
}
assert_layout!(Altp2mSuppressVe, size = 16, align = 8, {
    view: 0,
    suppress_ve: 2,
    pad1: 3,
    pad2: 4,
    gfn: 8,
});

/// Argument of `HVMOP_altp2m_set_suppress_ve_multi`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_suppress_ve_multi")]
pub struct Altp2mSuppressVeMulti {
    /// The view.
    pub view: u16,
    /// The "suppress #VE" bit (boolean).
    pub suppress_ve: u8,
    /// Padding; zero.
    pub pad1: u8,
    /// OUT: the first error (zero on entry).
    pub first_error: i32,
    /// IN/OUT: first page of the range (updated for continuation).
    pub first_gfn: Gfn,
    /// IN: last page of the range.
    pub last_gfn: Gfn,
    /// OUT: the page of the first error.
    pub first_error_gfn: Gfn,
}
assert_layout!(Altp2mSuppressVeMulti, size = 32, align = 8, {
    view: 0,
    suppress_ve: 2,
    pad1: 3,
    first_error: 4,
    first_gfn: 8,
    last_gfn: 16,
    first_error_gfn: 24,
});

/// Argument of `HVMOP_pagetable_dying`: a PV-driver hint that a pagetable is
/// about to be destroyed.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_pagetable_dying")]
#[doc(alias = "xen_hvm_pagetable_dying_t")]
pub struct PagetableDying {
    /// The domain.
    pub domid: DomId,
    /// Padding; zero.
    pub pad: [u16; 3],
    /// Guest-physical address of the top-level pagetable.
    pub gpa: u64,
}
assert_layout!(PagetableDying, size = 16, align = 8, { domid: 0, pad: 2, gpa: 8 });

/// Argument of `HVMOP_get_time`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_get_time")]
#[doc(alias = "xen_hvm_get_time_t")]
pub struct GetTime {
    /// OUT: Xen's time, in nanoseconds since boot.
    pub now: u64,
}
assert_layout!(GetTime, size = 8, align = 8, { now: 0 });

/// Argument of `HVMOP_xentrace`: a trace record.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_xentrace")]
#[doc(alias = "xen_hvm_xentrace_t")]
pub struct Xentrace {
    /// The event.
    pub event: u16,
    /// Bytes of `extra` used.
    pub extra_bytes: u16,
    /// Extra data (`TRACE_EXTRA_MAX * sizeof(uint32_t)` bytes).
    pub extra: [u8; 28],
}
assert_layout!(Xentrace, size = 32, align = 2, { event: 0, extra_bytes: 2, extra: 4 });

impl Xentrace {
    /// The used part of `extra` (all of it if `extra_bytes` is too large).
    pub fn extra(&self) -> &[u8] {
        self.extra
            .get(..usize::from(self.extra_bytes))
            .unwrap_or(&self.extra)
    }
}

/// Argument of `HVMOP_get_mem_type`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_get_mem_type")]
#[doc(alias = "xen_hvm_get_mem_type_t")]
pub struct GetMemType {
    /// IN: the domain.
    pub domid: DomId,
    /// OUT: the type (one of [`mem_type`]).
    pub mem_type: u16,
    /// Padding; zero.
    pub pad: [u16; 2],
    /// IN: the guest frame.
    pub pfn: Gfn,
}
assert_layout!(GetMemType, size = 16, align = 8, { domid: 0, mem_type: 2, pad: 4, pfn: 8 });

/// Argument of `HVMOP_set_evtchn_upcall_vector` (x86 only): the vector that
/// delivers a vCPU's event-channel upcalls, in preference to
/// `HVM_PARAM_CALLBACK_IRQ`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_evtchn_upcall_vector")]
#[doc(alias = "xen_hvm_evtchn_upcall_vector_t")]
pub struct EvtchnUpcallVector {
    /// The vCPU.
    pub vcpu: VcpuId,
    /// The vector.
    pub vector: u8,
    /// Padding.
    pub _pad0: [u8; 3],
}
assert_layout!(EvtchnUpcallVector, size = 8, align = 4, { vcpu: 0, vector: 4 });

impl EvtchnUpcallVector {
    /// Upcalls for `vcpu` on `vector`.
    pub const fn new(vcpu: VcpuId, vector: u8) -> Self {
        Self {
            vcpu,
            vector,
            _pad0: [0; 3],
        }
    }
}

/// Argument of `HVMOP_altp2m_get_domain_state` and
/// `HVMOP_altp2m_set_domain_state`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_domain_state")]
#[doc(alias = "xen_hvm_altp2m_domain_state_t")]
pub struct Altp2mDomainState {
    /// IN or OUT: altp2m on (1) or off (0).
    pub state: u8,
}
assert_layout!(Altp2mDomainState, size = 1, align = 1, { state: 0 });

/// Argument of `HVMOP_altp2m_vcpu_enable_notify`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_vcpu_enable_notify")]
#[doc(alias = "xen_hvm_altp2m_vcpu_enable_notify_t")]
pub struct Altp2mVcpuEnableNotify {
    /// The vCPU.
    pub vcpu_id: VcpuId,
    /// Padding; zero.
    pub pad: u32,
    /// Frame of the #VE information area.
    pub gfn: Gfn,
}
assert_layout!(Altp2mVcpuEnableNotify, size = 16, align = 8, { vcpu_id: 0, pad: 4, gfn: 8 });

/// Argument of `HVMOP_altp2m_vcpu_disable_notify`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_vcpu_disable_notify")]
#[doc(alias = "xen_hvm_altp2m_vcpu_disable_notify_t")]
pub struct Altp2mVcpuDisableNotify {
    /// The vCPU.
    pub vcpu_id: VcpuId,
}
assert_layout!(Altp2mVcpuDisableNotify, size = 4, align = 4, { vcpu_id: 0 });

/// Argument of `HVMOP_altp2m_create_p2m`, `_destroy_p2m` and `_switch_p2m`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_view")]
#[doc(alias = "xen_hvm_altp2m_view_t")]
pub struct Altp2mView {
    /// IN/OUT: the view.
    pub view: u16,
    /// Default access of a new view (an `xenmem_access_t`).
    pub hvmmem_default_access: u16,
}
assert_layout!(Altp2mView, size = 4, align = 2, { view: 0, hvmmem_default_access: 2 });

/// Argument of `HVMOP_altp2m_set_mem_access` and
/// `HVMOP_altp2m_get_mem_access`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_mem_access")]
#[doc(alias = "xen_hvm_altp2m_mem_access_t")]
pub struct Altp2mMemAccess {
    /// The view.
    pub view: u16,
    /// The access (an `xenmem_access_t`).
    pub access: u16,
    /// Padding; zero.
    pub pad: u32,
    /// The page.
    pub gfn: Gfn,
}
assert_layout!(Altp2mMemAccess, size = 16, align = 8, { view: 0, access: 2, pad: 4, gfn: 8 });

/// Argument of `HVMOP_altp2m_set_mem_access_multi`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_set_mem_access_multi")]
pub struct Altp2mSetMemAccessMulti {
    /// The view.
    pub view: u16,
    /// Padding; zero.
    pub pad: u16,
    /// Number of pages.
    pub nr: u32,
    /// Continuation state; zero on the first call.
    pub opaque: u64,
    /// The pages.
    pub pfn_list: GuestHandle<u64>,
    /// The access of each page (`xenmem_access_t` values).
    pub access_list: GuestHandle<u8>,
}
assert_layout!(Altp2mSetMemAccessMulti, size = 32, align = 8, {
    view: 0,
    pad: 2,
    nr: 4,
    opaque: 8,
    pfn_list: 16,
    access_list: 24,
});

/// Argument of `HVMOP_altp2m_change_gfn`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_change_gfn")]
#[doc(alias = "xen_hvm_altp2m_change_gfn_t")]
pub struct Altp2mChangeGfn {
    /// The view.
    pub view: u16,
    /// Padding; zero.
    pub pad1: u16,
    /// Padding; zero.
    pub pad2: u32,
    /// The page to remap.
    pub old_gfn: Gfn,
    /// Its new target; [`Gfn::INVALID`] (`INVALID_GFN`) reverts the
    /// remapping.
    pub new_gfn: Gfn,
}
assert_layout!(Altp2mChangeGfn, size = 24, align = 8, {
    view: 0,
    pad1: 2,
    pad2: 4,
    old_gfn: 8,
    new_gfn: 16,
});

/// Argument of `HVMOP_altp2m_get_p2m_idx`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_get_vcpu_p2m_idx")]
pub struct Altp2mGetVcpuP2mIdx {
    /// IN: the vCPU.
    pub vcpu_id: VcpuId,
    /// OUT: its active view.
    pub altp2m_idx: u16,
    /// Padding.
    pub _pad0: [u8; 2],
}
assert_layout!(Altp2mGetVcpuP2mIdx, size = 8, align = 4, { vcpu_id: 0, altp2m_idx: 4 });

/// Argument of `HVMOP_altp2m_set_visibility`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_set_visibility")]
pub struct Altp2mSetVisibility {
    /// The view.
    pub altp2m_idx: u16,
    /// Visible to the guest (boolean).
    pub visible: u8,
    /// Padding; zero.
    pub pad: u8,
}
assert_layout!(Altp2mSetVisibility, size = 4, align = 2, { altp2m_idx: 0, visible: 2, pad: 3 });

/// A member of [`Altp2mOp`]'s argument union.
pub trait Altp2mArg: FromBytes + IntoBytes + Immutable + sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
}

macro_rules! altp2m_arg {
    ($($ty:ty),*) => {$(
        impl sealed::Sealed for $ty {}
        impl Altp2mArg for $ty {}
        const _: () = assert!(core::mem::size_of::<$ty>() <= 64);
    )*};
}
altp2m_arg!(
    Altp2mDomainState,
    Altp2mVcpuEnableNotify,
    Altp2mView,
    Altp2mMemAccess,
    Altp2mChangeGfn,
    Altp2mSetMemAccessMulti,
    Altp2mSuppressVe,
    Altp2mSuppressVeMulti,
    Altp2mVcpuDisableNotify,
    Altp2mGetVcpuP2mIdx,
    Altp2mSetVisibility
);

/// Argument of `HVMOP_altp2m`: an alternate-p2m command and its argument
/// inline.
///
/// The C union `u` (`domain_state`, `enable_notify`, `view`, `mem_access`,
/// `change_gfn`, `set_mem_access_multi`, `suppress_ve`, `suppress_ve_multi`,
/// `disable_notify`, `get_vcpu_p2m_idx`, `set_visibility`, `pad[64]`) is
/// kept as raw storage; read and write it with [`Altp2mOp::arg`] and
/// [`Altp2mOp::set_arg`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_hvm_altp2m_op")]
#[doc(alias = "xen_hvm_altp2m_op_t")]
pub struct Altp2mOp {
    /// [`altp2m_op::INTERFACE_VERSION`].
    pub version: u32,
    /// The command (one of [`altp2m_op`]).
    pub cmd: u32,
    /// The domain.
    pub domain: DomId,
    /// Padding; zero.
    pub pad1: u16,
    /// Padding; zero.
    pub pad2: u32,
    /// Storage of the argument union.
    pub u: [u64; 8],
}
assert_layout!(Altp2mOp, size = 80, align = 8, {
    version: 0,
    cmd: 4,
    domain: 8,
    pad1: 10,
    pad2: 12,
    u: 16,
});

impl Altp2mOp {
    /// Command `cmd` on `domain` with argument `arg` (current interface
    /// version, rest of the union zeroed).
    pub fn new<T: Altp2mArg>(domain: DomId, cmd: u32, arg: &T) -> Self {
        let mut this = Self {
            version: altp2m_op::INTERFACE_VERSION,
            cmd,
            domain,
            ..Self::default()
        };
        this.set_arg(arg);
        this
    }

    /// The union read as member `T`.
    pub fn arg<T: Altp2mArg>(&self) -> T {
        T::read_from_prefix(self.u.as_bytes()).map_or_else(|_| T::new_zeroed(), |(v, _)| v)
    }

    /// Zeroes the union and stores `arg` in it.
    pub fn set_arg<T: Altp2mArg>(&mut self, arg: &T) {
        self.u = [0; 8];
        let src = arg.as_bytes();
        if let Some(dst) = self.u.as_mut_bytes().get_mut(..src.len()) {
            dst.copy_from_slice(src);
        }
    }
}

sub_op! {
    HVM_OP:
    Param => SET_PARAM | GET_PARAM,
    PagetableDying => PAGETABLE_DYING,
    GetTime => GET_TIME,
    Xentrace => XENTRACE,
    GetMemType => GET_MEM_TYPE,
    EvtchnUpcallVector => SET_EVTCHN_UPCALL_VECTOR,
    Altp2mOp => ALTP2M,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn altp2m_union_round_trip() {
        let cg = Altp2mChangeGfn {
            view: 2,
            old_gfn: Gfn::new_unchecked(0x10),
            new_gfn: Gfn::INVALID,
            ..Default::default()
        };
        let mut o = Altp2mOp::new(DomId::SELF, altp2m_op::CHANGE_GFN, &cg);
        assert_eq!(o.version, altp2m_op::INTERFACE_VERSION);
        assert_eq!(o.arg::<Altp2mChangeGfn>(), cg);
        assert_eq!(&o.as_bytes()[16..40], cg.as_bytes());
        o.set_arg(&Altp2mDomainState { state: 1 });
        assert_eq!(o.arg::<Altp2mDomainState>().state, 1);
        assert_eq!(o.u[1], 0);
    }

    #[test]
    fn xentrace_extra_is_bounded() {
        let mut t = Xentrace {
            extra_bytes: 3,
            ..Default::default()
        };
        assert_eq!(t.extra().len(), 3);
        t.extra_bytes = 200;
        assert_eq!(t.extra().len(), 28);
    }
}

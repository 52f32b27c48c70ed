// SPDX-License-Identifier: MIT OR Apache-2.0
//! `event_channel.h`: event-channel operations and the FIFO ABI.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::decode::{read_prefix, write_prefix};
use crate::xen::{DomId, Gfn, HypercallOp, SubOp, VcpuId, Virq};
use crate::{Error, Result};

/// An event-channel port (`evtchn_port_t`).
///
/// Ports are below [`EvtchnPort::LIMIT`] (`EVTCHN_FIFO_NR_CHANNELS`, the
/// largest ABI Xen offers). Port 0 is never bound, and serves as "none".
///
/// Validated when built with `new`; a value read from bytes (it derives
/// `FromBytes`) is unchecked: see
/// [what "validated" means](crate::xen::ids#what-validated-means).
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
#[doc(alias = "evtchn_port_t")]
pub struct EvtchnPort(u32);

impl EvtchnPort {
    /// Port 0: never a bound channel; Xen's "no port".
    pub const ZERO: Self = Self(0);
    /// One past the largest port any event-channel ABI allows (2^17, FIFO).
    pub const LIMIT: u32 = 1 << 17;

    /// A port below [`Self::LIMIT`].
    ///
    /// # Errors
    /// [`Error::InvalidPort`] with the value otherwise.
    pub const fn new(raw: u32) -> Result<Self> {
        if raw < Self::LIMIT {
            Ok(Self(raw))
        } else {
            Err(Error::InvalidPort(raw))
        }
    }

    /// Wraps `raw` without checking it (a bad port only makes Xen fail).
    pub const fn new_unchecked(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw port number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for EvtchnPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EvtchnPort({})", self.0)
    }
}

impl fmt::Display for EvtchnPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl TryFrom<u32> for EvtchnPort {
    type Error = Error;
    fn try_from(raw: u32) -> Result<Self> {
        Self::new(raw)
    }
}

/// `EVTCHNOP_*`: the sub-op numbers of `HYPERVISOR_event_channel_op`.
pub mod op {
    /// Connect to a port another domain allocated with `alloc_unbound`
    /// ([`BindInterdomain`](super::BindInterdomain)).
    #[doc(alias = "EVTCHNOP_bind_interdomain")]
    pub const BIND_INTERDOMAIN: u32 = 0;
    /// Bind a virtual IRQ to a port ([`BindVirq`](super::BindVirq)).
    #[doc(alias = "EVTCHNOP_bind_virq")]
    pub const BIND_VIRQ: u32 = 1;
    /// Bind a physical IRQ to a port ([`BindPirq`](super::BindPirq)).
    #[doc(alias = "EVTCHNOP_bind_pirq")]
    pub const BIND_PIRQ: u32 = 2;
    /// Close a port ([`Close`](super::Close)).
    #[doc(alias = "EVTCHNOP_close")]
    pub const CLOSE: u32 = 3;
    /// Signal the remote end of a port ([`SendEvent`](super::SendEvent)).
    #[doc(alias = "EVTCHNOP_send")]
    pub const SEND: u32 = 4;
    /// Query a port's state ([`Status`](super::Status)).
    #[doc(alias = "EVTCHNOP_status")]
    pub const STATUS: u32 = 5;
    /// Allocate a port another domain can connect to
    /// ([`AllocUnbound`](super::AllocUnbound)).
    #[doc(alias = "EVTCHNOP_alloc_unbound")]
    pub const ALLOC_UNBOUND: u32 = 6;
    /// Allocate an inter-vCPU port in the calling domain
    /// ([`BindIpi`](super::BindIpi)).
    #[doc(alias = "EVTCHNOP_bind_ipi")]
    pub const BIND_IPI: u32 = 7;
    /// Route a port's notifications to another vCPU
    /// ([`BindVcpu`](super::BindVcpu)).
    #[doc(alias = "EVTCHNOP_bind_vcpu")]
    pub const BIND_VCPU: u32 = 8;
    /// Unmask a port and redeliver a pending event ([`Unmask`](super::Unmask)).
    #[doc(alias = "EVTCHNOP_unmask")]
    pub const UNMASK: u32 = 9;
    /// Close every port of a domain ([`Reset`](super::Reset)).
    #[doc(alias = "EVTCHNOP_reset")]
    pub const RESET: u32 = 10;
    /// Switch to the FIFO ABI and register a vCPU's control block
    /// ([`InitControl`](super::InitControl)).
    #[doc(alias = "EVTCHNOP_init_control")]
    pub const INIT_CONTROL: u32 = 11;
    /// Add a page to the FIFO event array ([`ExpandArray`](super::ExpandArray)).
    #[doc(alias = "EVTCHNOP_expand_array")]
    pub const EXPAND_ARRAY: u32 = 12;
    /// Set a port's FIFO priority ([`SetPriority`](super::SetPriority)).
    #[doc(alias = "EVTCHNOP_set_priority")]
    pub const SET_PRIORITY: u32 = 13;
}

/// `EVTCHNOP_alloc_unbound`: allocate a port in `dom` for `remote_dom` to
/// connect to.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_alloc_unbound")]
#[doc(alias = "evtchn_alloc_unbound_t")]
pub struct AllocUnbound {
    /// IN: domain that gets the port (usually [`DomId::SELF`](crate::xen::DomId::SELF)).
    pub dom: DomId,
    /// IN: domain allowed to connect.
    pub remote_dom: DomId,
    /// OUT: the allocated port.
    pub port: EvtchnPort,
}
assert_layout!(AllocUnbound, size = 8, align = 4, { dom: 0, remote_dom: 2, port: 4 });

/// `EVTCHNOP_bind_interdomain`: connect a local port to `remote_port` of
/// `remote_dom`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_bind_interdomain")]
#[doc(alias = "evtchn_bind_interdomain_t")]
pub struct BindInterdomain {
    /// IN: the remote domain.
    pub remote_dom: DomId,
    /// Padding.
    pub _pad0: [u8; 2],
    /// IN: the remote domain's unbound port.
    pub remote_port: EvtchnPort,
    /// OUT: the new local port.
    pub local_port: EvtchnPort,
}
assert_layout!(BindInterdomain, size = 12, align = 4, {
    remote_dom: 0,
    remote_port: 4,
    local_port: 8,
});

/// `EVTCHNOP_bind_virq`: bind virtual IRQ `virq` (`VIRQ_*`) on `vcpu` to a
/// new port.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_bind_virq")]
#[doc(alias = "evtchn_bind_virq_t")]
pub struct BindVirq {
    /// IN: the virtual IRQ.
    pub virq: Virq,
    /// IN: the vCPU to bind it on.
    pub vcpu: VcpuId,
    /// OUT: the new port.
    pub port: EvtchnPort,
}
assert_layout!(BindVirq, size = 12, align = 4, { virq: 0, vcpu: 4, port: 8 });

/// The `flags` word of [`BindPirq`] (`BIND_PIRQ__*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct BindPirqFlags(u32);

bitflags::bitflags! {
    impl BindPirqFlags: u32 {
        /// The IRQ may be shared with other domains.
        #[doc(alias = "BIND_PIRQ__WILL_SHARE")]
        const WILL_SHARE = 1;
        const _ = !0;
    }
}

impl fmt::Debug for BindPirqFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags(f, "BindPirqFlags", self.is_empty(), |w| {
            bitflags::parser::to_writer(self, w)
        })
    }
}

/// Writes `Name(A | B)`, or `Name(empty)` for no bits.
fn debug_flags(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    empty: bool,
    body: impl FnOnce(&mut fmt::Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    f.write_str(name)?;
    f.write_str("(")?;
    if empty {
        f.write_str("empty")?;
    } else {
        body(f)?;
    }
    f.write_str(")")
}

/// `EVTCHNOP_bind_pirq`: bind physical IRQ `pirq` to a new port.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_bind_pirq")]
#[doc(alias = "evtchn_bind_pirq_t")]
pub struct BindPirq {
    /// IN: the physical IRQ.
    pub pirq: u32,
    /// IN: `BIND_PIRQ__*` flags.
    pub flags: BindPirqFlags,
    /// OUT: the new port.
    pub port: EvtchnPort,
}
assert_layout!(BindPirq, size = 12, align = 4, { pirq: 0, flags: 4, port: 8 });

/// `EVTCHNOP_bind_ipi`: allocate a port for signalling between the calling
/// domain's vCPUs, delivered to `vcpu`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_bind_ipi")]
#[doc(alias = "evtchn_bind_ipi_t")]
pub struct BindIpi {
    /// IN: the vCPU notified.
    pub vcpu: VcpuId,
    /// OUT: the new port.
    pub port: EvtchnPort,
}
assert_layout!(BindIpi, size = 8, align = 4, { vcpu: 0, port: 4 });

/// `EVTCHNOP_close`: close `port` (a connected remote end becomes unbound).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_close")]
#[doc(alias = "evtchn_close_t")]
pub struct Close {
    /// IN: the port to close.
    pub port: EvtchnPort,
}
assert_layout!(Close, size = 4, align = 4, { port: 0 });

/// `EVTCHNOP_send`: send an event to the remote end of `port`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_send")]
#[doc(alias = "evtchn_send_t")]
pub struct SendEvent {
    /// IN: the local port to signal through.
    pub port: EvtchnPort,
}
assert_layout!(SendEvent, size = 4, align = 4, { port: 0 });

/// The state of a port, as `EVTCHNOP_status` reports it (`EVTCHNSTAT_*`).
///
/// A newtype, not an enum: a state this crate does not know stays
/// representable.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct ChannelState(u32);

impl ChannelState {
    /// Not in use.
    #[doc(alias = "EVTCHNSTAT_closed")]
    pub const CLOSED: Self = Self(0);
    /// Allocated, waiting for a remote domain to connect.
    #[doc(alias = "EVTCHNSTAT_unbound")]
    pub const UNBOUND: Self = Self(1);
    /// Connected to a remote domain.
    #[doc(alias = "EVTCHNSTAT_interdomain")]
    pub const INTERDOMAIN: Self = Self(2);
    /// Bound to a physical IRQ.
    #[doc(alias = "EVTCHNSTAT_pirq")]
    pub const PIRQ: Self = Self(3);
    /// Bound to a virtual IRQ.
    #[doc(alias = "EVTCHNSTAT_virq")]
    pub const VIRQ: Self = Self(4);
    /// Bound to an inter-vCPU IPI.
    #[doc(alias = "EVTCHNSTAT_ipi")]
    pub const IPI: Self = Self(5);

    /// Wraps a raw `EVTCHNSTAT_*` value.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn get(self) -> u32 {
        self.0
    }

    const fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::CLOSED => "closed",
            Self::UNBOUND => "unbound",
            Self::INTERDOMAIN => "interdomain",
            Self::PIRQ => "pirq",
            Self::VIRQ => "virq",
            Self::IPI => "ipi",
            _ => return None,
        })
    }
}

impl fmt::Debug for ChannelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "ChannelState({name})"),
            None => write!(f, "ChannelState({})", self.0),
        }
    }
}

impl fmt::Display for ChannelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown event-channel state {}", self.0),
        }
    }
}

/// The `u.unbound` member of [`Status`] (for [`ChannelState::UNBOUND`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct StatusUnbound {
    /// The domain allowed to connect.
    pub dom: DomId,
}
assert_layout!(StatusUnbound, size = 2, align = 2, { dom: 0 });

/// The `u.interdomain` member of [`Status`] (for
/// [`ChannelState::INTERDOMAIN`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct StatusInterdomain {
    /// The remote domain.
    pub dom: DomId,
    /// Padding.
    pub _pad0: [u8; 2],
    /// The remote domain's port.
    pub port: EvtchnPort,
}
assert_layout!(StatusInterdomain, size = 8, align = 4, { dom: 0, port: 4 });

/// `EVTCHNOP_status`: query the state of `port` in `dom`.
///
/// `u` is C's anonymous union; read it with the accessor matching
/// [`Status::status`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_status")]
#[doc(alias = "evtchn_status_t")]
pub struct Status {
    /// IN: the domain owning the port.
    pub dom: DomId,
    /// Padding.
    pub _pad0: [u8; 2],
    /// IN: the port.
    pub port: EvtchnPort,
    /// OUT: the port's state.
    pub status: ChannelState,
    /// OUT: the vCPU the port is bound to.
    pub vcpu: VcpuId,
    /// OUT: state-specific details (C union: `unbound`, `interdomain`,
    /// `pirq`, `virq`).
    pub u: [u32; 2],
}
assert_layout!(Status, size = 24, align = 4, { dom: 0, port: 4, status: 8, vcpu: 12, u: 16 });

impl Status {
    /// `u.unbound`: meaningful for [`ChannelState::UNBOUND`].
    pub fn unbound(&self) -> StatusUnbound {
        read_prefix(self.u.as_bytes())
    }

    /// Sets `u.unbound` (the rest of `u` is zeroed).
    pub fn set_unbound(&mut self, v: StatusUnbound) {
        write_prefix(self.u.as_mut_bytes(), &v);
    }

    /// `u.interdomain`: meaningful for [`ChannelState::INTERDOMAIN`].
    pub fn interdomain(&self) -> StatusInterdomain {
        read_prefix(self.u.as_bytes())
    }

    /// Sets `u.interdomain`.
    pub fn set_interdomain(&mut self, v: StatusInterdomain) {
        write_prefix(self.u.as_mut_bytes(), &v);
    }

    /// `u.pirq`: meaningful for [`ChannelState::PIRQ`].
    pub fn pirq(&self) -> u32 {
        self.u[0]
    }

    /// Sets `u.pirq` (the rest of `u` is zeroed).
    pub fn set_pirq(&mut self, pirq: u32) {
        self.u = [pirq, 0];
    }

    /// `u.virq`: meaningful for [`ChannelState::VIRQ`].
    pub fn virq(&self) -> u32 {
        self.u[0]
    }

    /// Sets `u.virq` (the rest of `u` is zeroed).
    pub fn set_virq(&mut self, virq: u32) {
        self.u = [virq, 0];
    }
}

/// `EVTCHNOP_bind_vcpu`: deliver `port`'s notifications to `vcpu`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_bind_vcpu")]
#[doc(alias = "evtchn_bind_vcpu_t")]
pub struct BindVcpu {
    /// IN: the port.
    pub port: EvtchnPort,
    /// IN: the vCPU to notify.
    pub vcpu: VcpuId,
}
assert_layout!(BindVcpu, size = 8, align = 4, { port: 0, vcpu: 4 });

/// `EVTCHNOP_unmask`: unmask `port`, redelivering an event that became
/// pending while it was masked.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_unmask")]
#[doc(alias = "evtchn_unmask_t")]
pub struct Unmask {
    /// IN: the port.
    pub port: EvtchnPort,
}
assert_layout!(Unmask, size = 4, align = 4, { port: 0 });

/// `EVTCHNOP_reset`: close every port of `dom` (and return a FIFO domain to
/// the 2-level ABI).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_reset")]
#[doc(alias = "evtchn_reset_t")]
pub struct Reset {
    /// IN: the domain ([`DomId::SELF`](crate::xen::DomId::SELF) for the caller).
    pub dom: DomId,
}
assert_layout!(Reset, size = 2, align = 2, { dom: 0 });

/// `EVTCHNOP_init_control`: register `vcpu`'s FIFO control block, found at
/// byte `offset` of guest frame `control_gfn` (switches the domain to the
/// FIFO ABI on first use).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_init_control")]
#[doc(alias = "evtchn_init_control_t")]
pub struct InitControl {
    /// IN: guest frame holding the control block.
    pub control_gfn: Gfn,
    /// IN: byte offset of the [`FifoControlBlock`] in that frame.
    pub offset: u32,
    /// IN: the vCPU.
    pub vcpu: VcpuId,
    /// OUT: bits of an event word used for the link
    /// ([`fifo::LINK_BITS`]).
    pub link_bits: u8,
    /// Padding (C's `_pad`).
    pub _pad: [u8; 7],
}
assert_layout!(InitControl, size = 24, align = 8, {
    control_gfn: 0,
    offset: 8,
    vcpu: 12,
    link_bits: 16,
});

/// `EVTCHNOP_expand_array`: add the page at guest frame `array_gfn` to the
/// FIFO event array.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_expand_array")]
#[doc(alias = "evtchn_expand_array_t")]
pub struct ExpandArray {
    /// IN: guest frame of the new event-array page.
    pub array_gfn: Gfn,
}
assert_layout!(ExpandArray, size = 8, align = 8, { array_gfn: 0 });

/// `EVTCHNOP_set_priority`: set `port`'s FIFO queue
/// ([`fifo::PRIORITY_MAX`]..=[`fifo::PRIORITY_MIN`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_set_priority")]
#[doc(alias = "evtchn_set_priority_t")]
pub struct SetPriority {
    /// IN: the port.
    pub port: EvtchnPort,
    /// IN: the priority (0 is highest).
    pub priority: u32,
}
assert_layout!(SetPriority, size = 8, align = 4, { port: 0, priority: 4 });

sub_op! {
    EVENT_CHANNEL_OP:
    AllocUnbound => ALLOC_UNBOUND,
    BindInterdomain => BIND_INTERDOMAIN,
    BindVirq => BIND_VIRQ,
    BindPirq => BIND_PIRQ,
    BindIpi => BIND_IPI,
    Close => CLOSE,
    SendEvent => SEND,
    Status => STATUS,
    BindVcpu => BIND_VCPU,
    Unmask => UNMASK,
    Reset => RESET,
    InitControl => INIT_CONTROL,
    ExpandArray => EXPAND_ARRAY,
    SetPriority => SET_PRIORITY,
}

/// `evtchn_op`: a sub-op number and its argument in one struct, for the
/// obsolete `HYPERVISOR_event_channel_op_compat` hypercall.
///
/// `u` is C's union of the argument structs of sub-ops 0–9 (the largest is
/// [`Status`]); use [`Op::new`] and [`Op::arg`] rather than its bytes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_op")]
#[doc(alias = "evtchn_op_t")]
pub struct Op {
    /// The `EVTCHNOP_*` number.
    pub cmd: u32,
    /// The argument (C union of `alloc_unbound`, `bind_interdomain`,
    /// `bind_virq`, `bind_pirq`, `bind_ipi`, `close`, `send`, `status`,
    /// `bind_vcpu`, `unmask`).
    pub u: [u32; 6],
}
assert_layout!(Op, size = 28, align = 4, { cmd: 0, u: 4 });

impl Op {
    /// An op for `arg`, with `cmd` taken from its type.
    ///
    /// Only the argument types of the C union (sub-ops 0–9) belong here;
    /// a type larger than the union fails to compile.
    pub fn new<const CMD: u32, T: SubOp<CMD>>(arg: T) -> Self {
        let mut op = Self::default();
        op.set_arg(arg);
        op
    }

    /// Replaces the argument (and `cmd`) with `arg`.
    pub fn set_arg<const CMD: u32, T: SubOp<CMD>>(&mut self, arg: T) {
        const {
            assert!(
                core::mem::size_of::<T>() <= 24,
                "argument larger than evtchn_op.u"
            );
            assert!(
                T::HYPERCALL.get() == HypercallOp::EVENT_CHANNEL_OP.get(),
                "not an event_channel_op argument"
            );
        };
        self.cmd = CMD;
        write_prefix(self.u.as_mut_bytes(), &arg);
    }

    /// The argument as a `T`, if `cmd` is `T`'s sub-op.
    pub fn arg<const CMD: u32, T: SubOp<CMD>>(&self) -> Option<T> {
        (self.cmd == CMD).then(|| read_prefix(self.u.as_bytes()))
    }
}

/// Number of ports of the 2-level ABI on 64-bit guests
/// (`sizeof(xen_ulong_t)² × 64` = 4096).
#[doc(alias = "EVTCHN_2L_NR_CHANNELS")]
pub const TWO_LEVEL_NR_CHANNELS: u32 = 8 * 8 * 64;

/// Constants of the FIFO event-channel ABI (`EVTCHN_FIFO_*`).
pub mod fifo {
    /// Highest priority (queue 0).
    #[doc(alias = "EVTCHN_FIFO_PRIORITY_MAX")]
    pub const PRIORITY_MAX: u32 = 0;
    /// Priority of a newly bound port.
    #[doc(alias = "EVTCHN_FIFO_PRIORITY_DEFAULT")]
    pub const PRIORITY_DEFAULT: u32 = 7;
    /// Lowest priority.
    #[doc(alias = "EVTCHN_FIFO_PRIORITY_MIN")]
    pub const PRIORITY_MIN: u32 = 15;
    /// Number of queues (one per priority) in a control block.
    #[doc(alias = "EVTCHN_FIFO_MAX_QUEUES")]
    pub const MAX_QUEUES: usize = 16;
    /// Bit number of an event word's PENDING bit.
    #[doc(alias = "EVTCHN_FIFO_PENDING")]
    pub const PENDING: u32 = 31;
    /// Bit number of an event word's MASKED bit.
    #[doc(alias = "EVTCHN_FIFO_MASKED")]
    pub const MASKED: u32 = 30;
    /// Bit number of an event word's LINKED bit.
    #[doc(alias = "EVTCHN_FIFO_LINKED")]
    pub const LINKED: u32 = 29;
    /// Bit number of an event word's BUSY bit.
    #[doc(alias = "EVTCHN_FIFO_BUSY")]
    pub const BUSY: u32 = 28;
    /// Width of an event word's link field (the next port in the queue).
    #[doc(alias = "EVTCHN_FIFO_LINK_BITS")]
    pub const LINK_BITS: u32 = 17;
    /// Mask of an event word's link field.
    #[doc(alias = "EVTCHN_FIFO_LINK_MASK")]
    pub const LINK_MASK: u32 = (1 << LINK_BITS) - 1;
    /// Number of ports of the FIFO ABI.
    #[doc(alias = "EVTCHN_FIFO_NR_CHANNELS")]
    pub const NR_CHANNELS: u32 = 1 << LINK_BITS;
}

/// A FIFO event word (`event_word_t`): one per port in the event array,
/// shared with Xen.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
#[doc(alias = "event_word_t")]
pub struct EventWord(u32);

bitflags::bitflags! {
    impl EventWord: u32 {
        /// An event is pending.
        const PENDING = 1 << fifo::PENDING;
        /// The port is masked.
        const MASKED = 1 << fifo::MASKED;
        /// The port is on a queue.
        const LINKED = 1 << fifo::LINKED;
        /// Xen is updating the link of this (head) port.
        const BUSY = 1 << fifo::BUSY;
        /// The link field (next port in the queue).
        const LINK = fifo::LINK_MASK;
        const _ = !0;
    }
}

impl EventWord {
    /// The next port in the queue (0: none).
    pub const fn link(self) -> EvtchnPort {
        EvtchnPort::new_unchecked(self.bits() & fifo::LINK_MASK)
    }
}

impl fmt::Debug for EventWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = self.difference(Self::LINK);
        f.write_str("EventWord(")?;
        if !flags.is_empty() {
            bitflags::parser::to_writer(&flags, &mut *f)?;
            f.write_str(", ")?;
        }
        write!(f, "link: {})", self.link())
    }
}

/// `evtchn_fifo_control_block`: a vCPU's FIFO control block, shared with Xen
/// (registered with `EVTCHNOP_init_control`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "evtchn_fifo_control_block")]
#[doc(alias = "evtchn_fifo_control_block_t")]
pub struct FifoControlBlock {
    /// Bit `q` set: queue `q` is non-empty.
    pub ready: u32,
    /// Reserved (C's `_rsvd`).
    pub _rsvd: u32,
    /// The head port of each queue (0: empty).
    pub head: [u32; fifo::MAX_QUEUES],
}
assert_layout!(FifoControlBlock, size = 72, align = 4, { ready: 0, _rsvd: 4, head: 8 });

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn status_union_accessors() {
        let mut s = Status::default();
        s.set_interdomain(StatusInterdomain {
            dom: DomId::DOM0,
            port: EvtchnPort::new_unchecked(7),
            ..Default::default()
        });
        assert_eq!(s.u.as_bytes(), &[0, 0, 0, 0, 7, 0, 0, 0]);
        assert_eq!(s.interdomain().port.get(), 7);
        s.set_unbound(StatusUnbound {
            dom: DomId::new_unchecked(3),
        });
        assert_eq!(s.unbound().dom.get(), 3);
        assert_eq!(s.u, [3, 0]);
        s.set_pirq(9);
        assert_eq!((s.pirq(), s.virq()), (9, 9));
        s.set_virq(2);
        assert_eq!(s.virq(), 2);
    }

    #[test]
    fn op_round_trip() {
        let send = SendEvent {
            port: EvtchnPort::new_unchecked(5),
        };
        let op = Op::new(send);
        assert_eq!(op.cmd, 4);
        assert_eq!(op.arg(), Some(send));
        assert_eq!(op.arg::<{ op::CLOSE }, Close>(), None);
        assert_eq!(&op.as_bytes()[..8], &[4, 0, 0, 0, 5, 0, 0, 0]);
        let st = Status {
            vcpu: VcpuId::new(1),
            u: [2, 3],
            ..Default::default()
        };
        assert_eq!(Op::new(st).arg(), Some(st));
        assert_eq!(
            <InitControl as SubOp<{ op::INIT_CONTROL }>>::HYPERCALL,
            HypercallOp::EVENT_CHANNEL_OP
        );
    }

    #[test]
    fn state_display_and_debug() {
        assert_eq!(format!("{}", ChannelState::INTERDOMAIN), "interdomain");
        assert_eq!(
            format!("{:?}", ChannelState::CLOSED),
            "ChannelState(closed)"
        );
        assert_eq!(
            format!("{}", ChannelState::new(9)),
            "unknown event-channel state 9"
        );
        assert_eq!(format!("{:?}", ChannelState::new(9)), "ChannelState(9)");
    }

    #[test]
    fn flags_debug() {
        assert_eq!(
            format!("{:?}", BindPirqFlags::WILL_SHARE),
            "BindPirqFlags(WILL_SHARE)"
        );
        assert_eq!(
            format!("{:?}", BindPirqFlags::empty()),
            "BindPirqFlags(empty)"
        );
        assert_eq!(
            format!("{:?}", BindPirqFlags::from_bits_retain(3)),
            "BindPirqFlags(WILL_SHARE | 0x2)"
        );
        let w = EventWord::from_bits_retain((1 << 31) | (1 << 29) | 42);
        assert_eq!(w.link().get(), 42);
        assert_eq!(format!("{w:?}"), "EventWord(PENDING | LINKED, link: 42)");
        assert_eq!(format!("{:?}", EventWord::empty()), "EventWord(link: 0)");
    }
}

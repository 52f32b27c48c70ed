// SPDX-License-Identifier: MIT OR Apache-2.0
//! Virtual interrupts (`VIRQ_*`).

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

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

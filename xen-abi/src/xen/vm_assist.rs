// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_vm_assist` commands and assists (`VMASST_*`).

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

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

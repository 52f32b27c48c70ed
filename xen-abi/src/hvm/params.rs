// SPDX-License-Identifier: MIT OR Apache-2.0
//! `hvm/params.h`: the HVM parameters read and written with
//! `HVMOP_get_param`/`HVMOP_set_param`, and the encodings of their values.
//!
//! Parameters that are architecture-specific in C (x86 viridian and callback
//! vector, Arm PPI callback) are defined on every target here, documented
//! with the architecture they apply to. The deprecated tools-only parameters
//! are not mirrored.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// An HVM parameter index (`HVM_PARAM_*`), the `index` of an
/// [`hvm_op::Param`](crate::hvm::hvm_op::Param).
///
/// Unknown values stay representable.
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
pub struct HvmParam(u32);

impl HvmParam {
    /// How event-channel notifications for vCPU 0 are delivered; see
    /// [`callback_via`].
    #[doc(alias = "HVM_PARAM_CALLBACK_IRQ")]
    pub const CALLBACK_IRQ: Self = Self(0);
    /// Guest frame of the xenstore ring (for guest xenbus implementations).
    #[doc(alias = "HVM_PARAM_STORE_PFN")]
    pub const STORE_PFN: Self = Self(1);
    /// Event channel of the xenstore ring.
    #[doc(alias = "HVM_PARAM_STORE_EVTCHN")]
    pub const STORE_EVTCHN: Self = Self(2);
    /// Guest frame of the synchronous ioreq page.
    #[doc(alias = "HVM_PARAM_IOREQ_PFN")]
    pub const IOREQ_PFN: Self = Self(5);
    /// Guest frame of the buffered ioreq page.
    #[doc(alias = "HVM_PARAM_BUFIOREQ_PFN")]
    pub const BUFIOREQ_PFN: Self = Self(6);
    /// x86: the viridian (Hyper-V) enlightenments exposed, a
    /// [`ViridianFeatures`] mask.
    #[doc(alias = "HVM_PARAM_VIRIDIAN")]
    pub const VIRIDIAN: Self = Self(9);
    /// Virtual-timer mode (one of [`timer_mode`]).
    #[doc(alias = "HVM_PARAM_TIMER_MODE")]
    pub const TIMER_MODE: Self = Self(10);
    /// x86: enable the virtual HPET (boolean).
    #[doc(alias = "HVM_PARAM_HPET_ENABLED")]
    pub const HPET_ENABLED: Self = Self(11);
    /// Identity-map page directory Intel EPT uses when CR0.PG=0.
    #[doc(alias = "HVM_PARAM_IDENT_PT")]
    pub const IDENT_PT: Self = Self(12);
    /// ACPI S state (S0 and S3 on x86).
    #[doc(alias = "HVM_PARAM_ACPI_S_STATE")]
    pub const ACPI_S_STATE: Self = Self(14);
    /// TSS used on Intel when CR0.PE=0.
    #[doc(alias = "HVM_PARAM_VM86_TSS")]
    pub const VM86_TSS: Self = Self(15);
    /// Align all periodic virtual timers to reduce interrupts (boolean).
    #[doc(alias = "HVM_PARAM_VPT_ALIGN")]
    pub const VPT_ALIGN: Self = Self(16);
    /// Guest frame of the console ring.
    #[doc(alias = "HVM_PARAM_CONSOLE_PFN")]
    pub const CONSOLE_PFN: Self = Self(17);
    /// Event channel of the console ring.
    #[doc(alias = "HVM_PARAM_CONSOLE_EVTCHN")]
    pub const CONSOLE_EVTCHN: Self = Self(18);
    /// Location of the ACPI PM1a and TMR blocks (0: old addresses, 1: QEMU's).
    #[doc(alias = "HVM_PARAM_ACPI_IOPORTS_LOCATION")]
    pub const ACPI_IOPORTS_LOCATION: Self = Self(19);
    /// Guest frame of the paging `vm_event` ring.
    #[doc(alias = "HVM_PARAM_PAGING_RING_PFN")]
    pub const PAGING_RING_PFN: Self = Self(27);
    /// Guest frame of the monitor `vm_event` ring.
    #[doc(alias = "HVM_PARAM_MONITOR_RING_PFN")]
    pub const MONITOR_RING_PFN: Self = Self(28);
    /// Guest frame of the sharing `vm_event` ring.
    #[doc(alias = "HVM_PARAM_SHARING_RING_PFN")]
    pub const SHARING_RING_PFN: Self = Self(29);
    /// `SHUTDOWN_*` action on a triple fault.
    #[doc(alias = "HVM_PARAM_TRIPLE_FAULT_REASON")]
    pub const TRIPLE_FAULT_REASON: Self = Self(31);
    /// First guest frame reserved for ioreq servers.
    #[doc(alias = "HVM_PARAM_IOREQ_SERVER_PFN")]
    pub const IOREQ_SERVER_PFN: Self = Self(32);
    /// Number of guest frames reserved for ioreq servers.
    #[doc(alias = "HVM_PARAM_NR_IOREQ_SERVER_PAGES")]
    pub const NR_IOREQ_SERVER_PAGES: Self = Self(33);
    /// Guest-physical address of the VM generation id.
    #[doc(alias = "HVM_PARAM_VM_GENERATION_ID_ADDR")]
    pub const VM_GENERATION_ID_ADDR: Self = Self(34);
    /// altp2m mode (one of [`altp2m_mode`]).
    #[doc(alias = "HVM_PARAM_ALTP2M")]
    pub const ALTP2M: Self = Self(35);
    /// Size of the x87 FIP/FDP registers Xen saves (0: Xen chooses, 4 or 8).
    #[doc(alias = "HVM_PARAM_X87_FIP_WIDTH")]
    pub const X87_FIP_WIDTH: Self = Self(36);
    /// TSS used on Intel when CR0.PE=0: address in the low 32 bits, size in
    /// the high 32.
    #[doc(alias = "HVM_PARAM_VM86_TSS_SIZED")]
    pub const VM86_TSS_SIZED: Self = Self(37);
    /// MCA capabilities, an [`McaCap`] mask.
    #[doc(alias = "HVM_PARAM_MCA_CAP")]
    pub const MCA_CAP: Self = Self(38);

    /// Number of parameter indexes (one past the largest).
    #[doc(alias = "HVM_NR_PARAMS")]
    pub const COUNT: u32 = 39;

    /// The parameter with index `raw`.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw index.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for HvmParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HvmParam({})", self.0)
    }
}

impl From<HvmParam> for u32 {
    fn from(p: HvmParam) -> u32 {
        p.0
    }
}

/// Mask of the delivery-type byte (bits 63:56) of an
/// [`HvmParam::CALLBACK_IRQ`] value.
#[doc(alias = "HVM_PARAM_CALLBACK_IRQ_TYPE_MASK")]
pub const CALLBACK_IRQ_TYPE_MASK: u64 = 0xFF00_0000_0000_0000;

/// `HVM_PARAM_CALLBACK_TYPE_*`: delivery types of an
/// [`HvmParam::CALLBACK_IRQ`] value (its bits 63:56).
pub mod callback_type {
    /// Bits 55:0 are a GSI (not 0).
    #[doc(alias = "HVM_PARAM_CALLBACK_TYPE_GSI")]
    pub const GSI: u8 = 0;
    /// Bits 55:0 are a PCI INTx line: domain 47:32, bus 31:16, devfn 15:8,
    /// INTx 1:0.
    #[doc(alias = "HVM_PARAM_CALLBACK_TYPE_PCI_INTX")]
    pub const PCI_INTX: u8 = 1;
    /// x86: bits 7:0 are a vector (check `XENFEAT_hvm_callback_vector`).
    #[doc(alias = "HVM_PARAM_CALLBACK_TYPE_VECTOR")]
    pub const VECTOR: u8 = 2;
    /// Arm: bits 7:0 are a PPI, bits 15:8 its flags.
    #[doc(alias = "HVM_PARAM_CALLBACK_TYPE_PPI")]
    pub const PPI: u8 = 2;
    /// Arm: mask of the PPI flag bits.
    #[doc(alias = "HVM_PARAM_CALLBACK_TYPE_PPI_FLAG_MASK")]
    pub const PPI_FLAG_MASK: u64 = 0xFF00;
    /// Arm: the PPI is level triggered, active low.
    #[doc(alias = "HVM_PARAM_CALLBACK_TYPE_PPI_FLAG_LOW_LEVEL")]
    pub const PPI_FLAG_LOW_LEVEL: u64 = 2;
}

/// The [`HvmParam::CALLBACK_IRQ`] value for delivery type `kind` (one of
/// [`callback_type`]) with payload `value` (bits 55:0).
pub const fn callback_via(kind: u8, value: u64) -> u64 {
    ((kind as u64) << 56) | (value & !CALLBACK_IRQ_TYPE_MASK)
}

/// `HVMPTM_*`: values of [`HvmParam::TIMER_MODE`].
pub mod timer_mode {
    /// Deliver missed ticks when the vCPU runs again, advancing its time
    /// stepwise (the default).
    #[doc(alias = "HVMPTM_delay_for_missed_ticks")]
    pub const DELAY_FOR_MISSED_TICKS: u64 = 0;
    /// Deliver missed ticks, but keep guest time on wall-clock time.
    #[doc(alias = "HVMPTM_no_delay_for_missed_ticks")]
    pub const NO_DELAY_FOR_MISSED_TICKS: u64 = 1;
    /// Hold no missed ticks pending.
    #[doc(alias = "HVMPTM_no_missed_ticks_pending")]
    pub const NO_MISSED_TICKS_PENDING: u64 = 2;
    /// Collapse missed ticks into one late tick.
    #[doc(alias = "HVMPTM_one_missed_tick_pending")]
    pub const ONE_MISSED_TICK_PENDING: u64 = 3;
}

/// `XEN_ALTP2M_*`: values of [`HvmParam::ALTP2M`].
pub mod altp2m_mode {
    /// altp2m off (the default).
    #[doc(alias = "XEN_ALTP2M_disabled")]
    pub const DISABLED: u64 = 0;
    /// All altp2m operations, from the guest and from external tools.
    #[doc(alias = "XEN_ALTP2M_mixed")]
    pub const MIXED: u64 = 1;
    /// altp2m operations from external privileged tools only.
    #[doc(alias = "XEN_ALTP2M_external")]
    pub const EXTERNAL: u64 = 2;
    /// The guest controls only VMFUNC and #VE.
    #[doc(alias = "XEN_ALTP2M_limited")]
    pub const LIMITED: u64 = 3;
}

/// `HVMPV_*` (x86): viridian enlightenments, the value of
/// [`HvmParam::VIRIDIAN`]. The base set must be present in any valid mask.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct ViridianFeatures(u64);

bitflags::bitflags! {
    impl ViridianFeatures: u64 {
        /// Base set: hypercall, APIC access, VP index and timer frequency
        /// MSRs.
        #[doc(alias = "HVMPV_base_freq")]
        const BASE_FREQ = 1 << 0;
        /// Hide the timer frequency MSRs (the pre-4.4 base set).
        #[doc(alias = "HVMPV_no_freq")]
        const NO_FREQ = 1 << 1;
        /// Partition time reference counter.
        #[doc(alias = "HVMPV_time_ref_count")]
        const TIME_REF_COUNT = 1 << 2;
        /// Reference TSC page.
        #[doc(alias = "HVMPV_reference_tsc")]
        const REFERENCE_TSC = 1 << 3;
        /// Remote TLB flush hypercall.
        #[doc(alias = "HVMPV_hcall_remote_tlb_flush")]
        const HCALL_REMOTE_TLB_FLUSH = 1 << 4;
        /// APIC assist.
        #[doc(alias = "HVMPV_apic_assist")]
        const APIC_ASSIST = 1 << 5;
        /// Crash MSRs.
        #[doc(alias = "HVMPV_crash_ctl")]
        const CRASH_CTL = 1 << 6;
        /// SynIC MSRs.
        #[doc(alias = "HVMPV_synic")]
        const SYNIC = 1 << 7;
        /// Synthetic timer MSRs.
        #[doc(alias = "HVMPV_stimer")]
        const STIMER = 1 << 8;
        /// Synthetic cluster IPI hypercall.
        #[doc(alias = "HVMPV_hcall_ipi")]
        const HCALL_IPI = 1 << 9;
        /// ExProcessorMasks.
        #[doc(alias = "HVMPV_ex_processor_masks")]
        const EX_PROCESSOR_MASKS = 1 << 10;
        /// Allow more than 64 virtual processors.
        #[doc(alias = "HVMPV_no_vp_limit")]
        const NO_VP_LIMIT = 1 << 11;
        /// vCPU hotplug.
        #[doc(alias = "HVMPV_cpu_hotplug")]
        const CPU_HOTPLUG = 1 << 12;
        /// Every feature bit defined.
        #[doc(alias = "HVMPV_feature_mask")]
        const FEATURE_MASK = 0x1fff;
        const _ = !0;
    }
}

impl fmt::Debug for ViridianFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ViridianFeatures(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// `XEN_HVM_MCA_CAP_*`: the value of [`HvmParam::MCA_CAP`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct McaCap(u64);

bitflags::bitflags! {
    impl McaCap: u64 {
        /// Local machine-check exceptions.
        #[doc(alias = "XEN_HVM_MCA_CAP_LMCE")]
        const LMCE = 1 << 0;
        /// Every capability defined.
        #[doc(alias = "XEN_HVM_MCA_CAP_MASK")]
        const MASK = 1 << 0;
        const _ = !0;
    }
}

impl fmt::Debug for McaCap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("McaCap(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn callback_via_encoding() {
        assert_eq!(
            callback_via(callback_type::VECTOR, 0xf3),
            0x0200_0000_0000_00f3
        );
        assert_eq!(
            callback_via(callback_type::GSI, u64::MAX) & CALLBACK_IRQ_TYPE_MASK,
            0
        );
    }

    #[test]
    fn viridian_mask_covers_all() {
        let all = ViridianFeatures::all();
        assert_eq!(all.bits() & ViridianFeatures::FEATURE_MASK.bits(), 0x1fff);
        assert_eq!(
            format!(
                "{:?}",
                ViridianFeatures::BASE_FREQ | ViridianFeatures::SYNIC
            ),
            "ViridianFeatures(BASE_FREQ | SYNIC)"
        );
        assert_eq!(HvmParam::STORE_PFN.get(), 1);
    }
}

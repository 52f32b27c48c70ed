// SPDX-License-Identifier: MIT OR Apache-2.0
//! `arch-arm.h`: the Arm (AArch64, and AArch32 guests) part of the ABI.
//!
//! What a guest sees: the hypercall tag, the (empty) arch parts of the shared
//! structures ([`ArchVcpuInfo`], [`ArchSharedInfo`]) and [`PmuArch`].
//!
//! The C header shows the rest only to the toolstack and Xen itself
//! (`__XEN_TOOLS__`): the vCPU register state ([`VcpuGuestCoreRegs`],
//! [`VcpuGuestContext`]), the `PSR_*` bits ([`psr`]), the guest memory map
//! and interrupt numbers ([`guest`]) and the domain-config values
//! ([`domain_config`]). They are mirrored here for VMMs and tools; their
//! layout is checked against the header compiled with `__XEN_TOOLS__`.
//!
//! This module is compiled on every target; its types have the same layout
//! everywhere (all 64-bit targets align 64-bit integers to 8).

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::debug::debug_flags;

/// The immediate of the `hvc` instruction that makes a hypercall
/// (`hvc #0xEA1`).
#[doc(alias = "XEN_HYPERCALL_TAG")]
pub const HYPERCALL_TAG: u16 = 0xEA1;

/// Number of vCPUs whose [`VcpuInfo`](crate::xen::VcpuInfo) lives in the
/// shared-info page (Arm guests register the rest with
/// `VCPUOP_register_vcpu_info`).
#[doc(alias = "XEN_LEGACY_MAX_VCPUS")]
pub const LEGACY_MAX_VCPUS: usize = 1;

/// `xen_callback_t`: a callback address.
#[doc(alias = "xen_callback_t")]
pub type XenCallback = u64;

/// The Arm part of [`VcpuInfo`](crate::xen::VcpuInfo) (`arch_vcpu_info_t`):
/// empty.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "arch_vcpu_info")]
#[doc(alias = "arch_vcpu_info_t")]
pub struct ArchVcpuInfo {}
assert_layout!(ArchVcpuInfo, size = 0, align = 1);

/// The Arm part of [`SharedInfo`](crate::xen::SharedInfo)
/// (`arch_shared_info_t`): empty.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "arch_shared_info")]
#[doc(alias = "arch_shared_info_t")]
pub struct ArchSharedInfo {}
assert_layout!(ArchSharedInfo, size = 0, align = 1);

/// The Arm part of the PMU shared page (`xen_pmu_arch_t`): a placeholder,
/// Arm has no PMU virtualisation interface.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "xen_pmu_arch")]
#[doc(alias = "xen_pmu_arch_t")]
pub struct PmuArch {
    /// Unused.
    pub dummy: u8,
}
assert_layout!(PmuArch, size = 1, align = 1, { dummy: 0 });

/// The core registers of an Arm vCPU (`vcpu_guest_core_regs_t`; toolstack
/// only).
///
/// `x0`..`x30` and `pc64` are unions in C with the AArch32 banked names
/// (`r0_usr`..`r12_usr`, `sp_usr`, `lr_usr`, `lr_irq`, `sp_irq`, ...,
/// `pc32`), which are the low 32 bits. [`Self::x`] and [`Self::set_x`]
/// index the `x` registers.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_guest_core_regs")]
#[doc(alias = "vcpu_guest_core_regs_t")]
pub struct VcpuGuestCoreRegs {
    /// `x0` / `r0_usr`.
    pub x0: u64,
    /// `x1` / `r1_usr`.
    pub x1: u64,
    /// `x2` / `r2_usr`.
    pub x2: u64,
    /// `x3` / `r3_usr`.
    pub x3: u64,
    /// `x4` / `r4_usr`.
    pub x4: u64,
    /// `x5` / `r5_usr`.
    pub x5: u64,
    /// `x6` / `r6_usr`.
    pub x6: u64,
    /// `x7` / `r7_usr`.
    pub x7: u64,
    /// `x8` / `r8_usr`.
    pub x8: u64,
    /// `x9` / `r9_usr`.
    pub x9: u64,
    /// `x10` / `r10_usr`.
    pub x10: u64,
    /// `x11` / `r11_usr`.
    pub x11: u64,
    /// `x12` / `r12_usr`.
    pub x12: u64,
    /// `x13` / `sp_usr`.
    pub x13: u64,
    /// `x14` / `lr_usr`.
    pub x14: u64,
    /// `x15` (unused `sp_hyp` for AArch32).
    pub x15: u64,
    /// `x16` / `lr_irq`.
    pub x16: u64,
    /// `x17` / `sp_irq`.
    pub x17: u64,
    /// `x18` / `lr_svc`.
    pub x18: u64,
    /// `x19` / `sp_svc`.
    pub x19: u64,
    /// `x20` / `lr_abt`.
    pub x20: u64,
    /// `x21` / `sp_abt`.
    pub x21: u64,
    /// `x22` / `lr_und`.
    pub x22: u64,
    /// `x23` / `sp_und`.
    pub x23: u64,
    /// `x24` / `r8_fiq`.
    pub x24: u64,
    /// `x25` / `r9_fiq`.
    pub x25: u64,
    /// `x26` / `r10_fiq`.
    pub x26: u64,
    /// `x27` / `r11_fiq`.
    pub x27: u64,
    /// `x28` / `r12_fiq`.
    pub x28: u64,
    /// `x29` / `sp_fiq`.
    pub x29: u64,
    /// `x30` / `lr_fiq`.
    pub x30: u64,
    /// Return address (`ELR_EL2`): `pc64` / `pc32`.
    pub pc64: u64,
    /// Saved program status (`SPSR_EL2`); see [`psr`].
    pub cpsr: u64,
    /// `spsr_el1` (AArch64) / `spsr_svc` (AArch32).
    pub spsr_el1: u64,
    /// AArch32 `spsr_fiq`.
    pub spsr_fiq: u32,
    /// AArch32 `spsr_irq`.
    pub spsr_irq: u32,
    /// AArch32 `spsr_und`.
    pub spsr_und: u32,
    /// AArch32 `spsr_abt`.
    pub spsr_abt: u32,
    /// AArch64 `sp_el0`.
    pub sp_el0: u64,
    /// AArch64 `sp_el1`.
    pub sp_el1: u64,
    /// AArch64 `elr_el1`.
    pub elr_el1: u64,
}
assert_layout!(VcpuGuestCoreRegs, size = 312, align = 8, {
    x0: 0, x1: 8, x2: 16, x3: 24, x4: 32, x5: 40, x6: 48, x7: 56, x8: 64, x9: 72, x10: 80,
    x11: 88, x12: 96, x13: 104, x14: 112, x15: 120, x16: 128, x17: 136, x18: 144, x19: 152,
    x20: 160, x21: 168, x22: 176, x23: 184, x24: 192, x25: 200, x26: 208, x27: 216, x28: 224,
    x29: 232, x30: 240, pc64: 248, cpsr: 256, spsr_el1: 264, spsr_fiq: 272, spsr_irq: 276,
    spsr_und: 280, spsr_abt: 284, sp_el0: 288, sp_el1: 296, elr_el1: 304,
});

impl VcpuGuestCoreRegs {
    /// Register `x<n>`, or `None` for `n > 30`.
    pub fn x(&self, n: usize) -> Option<u64> {
        let bytes = self.as_bytes().get(n.checked_mul(8)?..)?.get(..8)?;
        (n <= 30)
            .then(|| u64::read_from_bytes(bytes).ok())
            .flatten()
    }

    /// Sets register `x<n>`; returns false (and changes nothing) for
    /// `n > 30`.
    pub fn set_x(&mut self, n: usize, value: u64) -> bool {
        if n > 30 {
            return false;
        }
        self.as_mut_bytes()[n * 8..n * 8 + 8].copy_from_slice(value.as_bytes());
        true
    }

    /// The AArch32 `pc32` (low 32 bits of `pc64`).
    pub const fn pc32(&self) -> u32 {
        self.pc64 as u32
    }

    /// The AArch32 `spsr_svc` (low 32 bits of `spsr_el1`).
    pub const fn spsr_svc(&self) -> u32 {
        self.spsr_el1 as u32
    }
}

/// Flags of the Arm [`VcpuGuestContext::flags`] (`VGCF_*`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct VcpuGuestContextFlags(u32);

bitflags::bitflags! {
    impl VcpuGuestContextFlags: u32 {
        /// The vCPU is online.
        #[doc(alias = "VGCF_online")]
        const ONLINE = 1 << 0;
        const _ = !0;
    }
}

impl VcpuGuestContextFlags {
    /// Bit number of [`Self::ONLINE`].
    #[doc(alias = "_VGCF_online")]
    pub const ONLINE_BIT: u32 = 0;
}

impl fmt::Debug for VcpuGuestContextFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_flags("VcpuGuestContextFlags", self, f)
    }
}

/// The state of an Arm vCPU (`vcpu_guest_context_t`; toolstack only, for
/// `XEN_DOMCTL_{get,set}vcpucontext`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "vcpu_guest_context")]
#[doc(alias = "vcpu_guest_context_t")]
pub struct VcpuGuestContext {
    /// `VGCF_*` flags.
    pub flags: VcpuGuestContextFlags,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Core registers.
    pub user_regs: VcpuGuestCoreRegs,
    /// `SCTLR_EL1`.
    pub sctlr: u64,
    /// `TCR_EL1` (`TTBCR` for AArch32).
    pub ttbcr: u64,
    /// `TTBR0_EL1`.
    pub ttbr0: u64,
    /// `TTBR1_EL1`.
    pub ttbr1: u64,
}
assert_layout!(VcpuGuestContext, size = 352, align = 8, {
    flags: 0, user_regs: 8, sctlr: 320, ttbcr: 328, ttbr0: 336, ttbr1: 344,
});

/// `XEN_DOMCTL_CONFIG_*`: values of the Arm `xen_arch_domainconfig` fields
/// (toolstack only).
pub mod domain_config {
    /// `gic_version`: use the host's GIC version.
    #[doc(alias = "XEN_DOMCTL_CONFIG_GIC_NATIVE")]
    pub const GIC_NATIVE: u8 = 0;
    /// `gic_version`: GICv2.
    #[doc(alias = "XEN_DOMCTL_CONFIG_GIC_V2")]
    pub const GIC_V2: u8 = 1;
    /// `gic_version`: GICv3.
    #[doc(alias = "XEN_DOMCTL_CONFIG_GIC_V3")]
    pub const GIC_V3: u8 = 2;
    /// `tee_type`: no TEE mediator.
    #[doc(alias = "XEN_DOMCTL_CONFIG_TEE_NONE")]
    pub const TEE_NONE: u16 = 0;
    /// `tee_type`: OP-TEE mediator.
    #[doc(alias = "XEN_DOMCTL_CONFIG_TEE_OPTEE")]
    pub const TEE_OPTEE: u16 = 1;
}

/// `PSR_*`: bits and modes of the program status register
/// ([`VcpuGuestCoreRegs::cpsr`]) (toolstack only).
pub mod psr {
    /// Thumb mode (AArch32).
    #[doc(alias = "PSR_THUMB")]
    pub const THUMB: u64 = 1 << 5;
    /// FIQ mask.
    #[doc(alias = "PSR_FIQ_MASK")]
    pub const FIQ_MASK: u64 = 1 << 6;
    /// IRQ mask.
    #[doc(alias = "PSR_IRQ_MASK")]
    pub const IRQ_MASK: u64 = 1 << 7;
    /// Asynchronous abort mask.
    #[doc(alias = "PSR_ABT_MASK")]
    pub const ABT_MASK: u64 = 1 << 8;
    /// Big-endian mode (AArch32).
    #[doc(alias = "PSR_BIG_ENDIAN")]
    pub const BIG_ENDIAN: u64 = 1 << 9;
    /// Debug exception mask (AArch64; same bit as [`BIG_ENDIAN`]).
    #[doc(alias = "PSR_DBG_MASK")]
    pub const DBG_MASK: u64 = 1 << 9;
    /// Thumb If-Then state mask (AArch32).
    #[doc(alias = "PSR_IT_MASK")]
    pub const IT_MASK: u64 = 0x0600_fc00;
    /// Jazelle mode (AArch32).
    #[doc(alias = "PSR_JAZELLE")]
    pub const JAZELLE: u64 = 1 << 24;
    /// Zero condition flag.
    #[doc(alias = "PSR_Z")]
    pub const Z: u64 = 1 << 30;

    /// AArch32 user mode.
    #[doc(alias = "PSR_MODE_USR")]
    pub const MODE_USR: u64 = 0x10;
    /// AArch32 FIQ mode.
    #[doc(alias = "PSR_MODE_FIQ")]
    pub const MODE_FIQ: u64 = 0x11;
    /// AArch32 IRQ mode.
    #[doc(alias = "PSR_MODE_IRQ")]
    pub const MODE_IRQ: u64 = 0x12;
    /// AArch32 supervisor mode.
    #[doc(alias = "PSR_MODE_SVC")]
    pub const MODE_SVC: u64 = 0x13;
    /// AArch32 monitor mode.
    #[doc(alias = "PSR_MODE_MON")]
    pub const MODE_MON: u64 = 0x16;
    /// AArch32 abort mode.
    #[doc(alias = "PSR_MODE_ABT")]
    pub const MODE_ABT: u64 = 0x17;
    /// AArch32 hypervisor mode.
    #[doc(alias = "PSR_MODE_HYP")]
    pub const MODE_HYP: u64 = 0x1a;
    /// AArch32 undefined mode.
    #[doc(alias = "PSR_MODE_UND")]
    pub const MODE_UND: u64 = 0x1b;
    /// AArch32 system mode.
    #[doc(alias = "PSR_MODE_SYS")]
    pub const MODE_SYS: u64 = 0x1f;

    /// Set iff the mode is AArch32.
    #[doc(alias = "PSR_MODE_BIT")]
    pub const MODE_BIT: u64 = 0x10;
    /// AArch64 EL3 with `SP_EL3`.
    #[doc(alias = "PSR_MODE_EL3h")]
    pub const MODE_EL3H: u64 = 0x0d;
    /// AArch64 EL3 with `SP_EL0`.
    #[doc(alias = "PSR_MODE_EL3t")]
    pub const MODE_EL3T: u64 = 0x0c;
    /// AArch64 EL2 with `SP_EL2`.
    #[doc(alias = "PSR_MODE_EL2h")]
    pub const MODE_EL2H: u64 = 0x09;
    /// AArch64 EL2 with `SP_EL0`.
    #[doc(alias = "PSR_MODE_EL2t")]
    pub const MODE_EL2T: u64 = 0x08;
    /// AArch64 EL1 with `SP_EL1`.
    #[doc(alias = "PSR_MODE_EL1h")]
    pub const MODE_EL1H: u64 = 0x05;
    /// AArch64 EL1 with `SP_EL0`.
    #[doc(alias = "PSR_MODE_EL1t")]
    pub const MODE_EL1T: u64 = 0x04;
    /// AArch64 EL0.
    #[doc(alias = "PSR_MODE_EL0t")]
    pub const MODE_EL0T: u64 = 0x00;

    /// Initial PSR of an AArch32 guest.
    #[doc(alias = "PSR_GUEST32_INIT")]
    pub const GUEST32_INIT: u64 = Z | ABT_MASK | FIQ_MASK | IRQ_MASK | MODE_SVC;
    /// Initial PSR of an AArch64 guest.
    #[doc(alias = "PSR_GUEST64_INIT")]
    pub const GUEST64_INIT: u64 = ABT_MASK | FIQ_MASK | IRQ_MASK | MODE_EL1H;
}

/// `PSCI_*`: Xen's legacy PSCI 0.1 function numbers (toolstack only).
pub mod psci {
    /// `CPU_SUSPEND`.
    #[doc(alias = "PSCI_cpu_suspend")]
    pub const CPU_SUSPEND: u32 = 0;
    /// `CPU_OFF`.
    #[doc(alias = "PSCI_cpu_off")]
    pub const CPU_OFF: u32 = 1;
    /// `CPU_ON`.
    #[doc(alias = "PSCI_cpu_on")]
    pub const CPU_ON: u32 = 2;
    /// `MIGRATE`.
    #[doc(alias = "PSCI_migrate")]
    pub const MIGRATE: u32 = 3;
}

/// `GUEST_*`: the fixed guest physical memory map and interrupt numbers of
/// Arm guests (toolstack only; not an ABI guests may rely on — they should
/// read the device tree or ACPI tables).
pub mod guest {
    /// Initial `SCTLR_EL1` of a guest.
    #[doc(alias = "SCTLR_GUEST_INIT")]
    pub const SCTLR_INIT: u64 = 0x00c5_0078;

    /// Base of the virtio-mmio region.
    #[doc(alias = "GUEST_VIRTIO_MMIO_BASE")]
    pub const VIRTIO_MMIO_BASE: u64 = 0x0200_0000;
    /// Size of the virtio-mmio region.
    #[doc(alias = "GUEST_VIRTIO_MMIO_SIZE")]
    pub const VIRTIO_MMIO_SIZE: u64 = 0x0010_0000;

    /// GICv2 distributor base.
    #[doc(alias = "GUEST_GICD_BASE")]
    pub const GICD_BASE: u64 = 0x0300_1000;
    /// GICv2 distributor size.
    #[doc(alias = "GUEST_GICD_SIZE")]
    pub const GICD_SIZE: u64 = 0x0000_1000;
    /// GICv2 CPU interface base.
    #[doc(alias = "GUEST_GICC_BASE")]
    pub const GICC_BASE: u64 = 0x0300_2000;
    /// GICv2 CPU interface size.
    #[doc(alias = "GUEST_GICC_SIZE")]
    pub const GICC_SIZE: u64 = 0x0000_2000;

    /// GICv3 distributor base.
    #[doc(alias = "GUEST_GICV3_GICD_BASE")]
    pub const GICV3_GICD_BASE: u64 = 0x0300_1000;
    /// GICv3 distributor size.
    #[doc(alias = "GUEST_GICV3_GICD_SIZE")]
    pub const GICV3_GICD_SIZE: u64 = 0x0001_0000;
    /// Number of GICv3 redistributor regions.
    #[doc(alias = "GUEST_GICV3_RDIST_REGIONS")]
    pub const GICV3_RDIST_REGIONS: u32 = 1;
    /// GICv3 redistributor region 0 base (vCPUs 0..127).
    #[doc(alias = "GUEST_GICV3_GICR0_BASE")]
    pub const GICV3_GICR0_BASE: u64 = 0x0302_0000;
    /// GICv3 redistributor region 0 size.
    #[doc(alias = "GUEST_GICV3_GICR0_SIZE")]
    pub const GICV3_GICR0_SIZE: u64 = 0x0100_0000;

    /// vPCI ECAM base.
    #[doc(alias = "GUEST_VPCI_ECAM_BASE")]
    pub const VPCI_ECAM_BASE: u64 = 0x1000_0000;
    /// vPCI ECAM size.
    #[doc(alias = "GUEST_VPCI_ECAM_SIZE")]
    pub const VPCI_ECAM_SIZE: u64 = 0x1000_0000;

    /// ACPI tables base.
    #[doc(alias = "GUEST_ACPI_BASE")]
    pub const ACPI_BASE: u64 = 0x2000_0000;
    /// ACPI tables size.
    #[doc(alias = "GUEST_ACPI_SIZE")]
    pub const ACPI_SIZE: u64 = 0x0200_0000;

    /// Emulated PL011 UART base.
    #[doc(alias = "GUEST_PL011_BASE")]
    pub const PL011_BASE: u64 = 0x2200_0000;
    /// Emulated PL011 UART size.
    #[doc(alias = "GUEST_PL011_SIZE")]
    pub const PL011_SIZE: u64 = 0x0000_1000;

    /// vPCI address-space code of the (non-prefetchable) memory window.
    #[doc(alias = "GUEST_VPCI_ADDR_TYPE_MEM")]
    pub const VPCI_ADDR_TYPE_MEM: u64 = 0x0200_0000;
    /// vPCI memory window base.
    #[doc(alias = "GUEST_VPCI_MEM_ADDR")]
    pub const VPCI_MEM_ADDR: u64 = 0x2300_0000;
    /// vPCI memory window size.
    #[doc(alias = "GUEST_VPCI_MEM_SIZE")]
    pub const VPCI_MEM_SIZE: u64 = 0x1000_0000;

    /// Grant-table region base.
    #[doc(alias = "GUEST_GNTTAB_BASE")]
    pub const GNTTAB_BASE: u64 = 0x3800_0000;
    /// Grant-table region size.
    #[doc(alias = "GUEST_GNTTAB_SIZE")]
    pub const GNTTAB_SIZE: u64 = 0x0100_0000;

    /// Magic pages (xenstore, console, ...) base.
    #[doc(alias = "GUEST_MAGIC_BASE")]
    pub const MAGIC_BASE: u64 = 0x3900_0000;
    /// Magic pages size.
    #[doc(alias = "GUEST_MAGIC_SIZE")]
    pub const MAGIC_SIZE: u64 = 0x0100_0000;

    /// Number of RAM banks.
    #[doc(alias = "GUEST_RAM_BANKS")]
    pub const RAM_BANKS: usize = 2;
    /// RAM bank 0 base (3 GiB of low RAM at 1 GiB).
    #[doc(alias = "GUEST_RAM0_BASE")]
    pub const RAM0_BASE: u64 = 0x4000_0000;
    /// RAM bank 0 size.
    #[doc(alias = "GUEST_RAM0_SIZE")]
    pub const RAM0_SIZE: u64 = 0xc000_0000;

    /// vPCI address-space code of the prefetchable memory window.
    #[doc(alias = "GUEST_VPCI_ADDR_TYPE_PREFETCH_MEM")]
    pub const VPCI_ADDR_TYPE_PREFETCH_MEM: u64 = 0x4200_0000;
    /// vPCI prefetchable memory window base.
    #[doc(alias = "GUEST_VPCI_PREFETCH_MEM_ADDR")]
    pub const VPCI_PREFETCH_MEM_ADDR: u64 = 0x1_0000_0000;
    /// vPCI prefetchable memory window size.
    #[doc(alias = "GUEST_VPCI_PREFETCH_MEM_SIZE")]
    pub const VPCI_PREFETCH_MEM_SIZE: u64 = 0x1_0000_0000;

    /// RAM bank 1 base (1016 GiB of RAM at 8 GiB).
    #[doc(alias = "GUEST_RAM1_BASE")]
    pub const RAM1_BASE: u64 = 0x02_0000_0000;
    /// RAM bank 1 size.
    #[doc(alias = "GUEST_RAM1_SIZE")]
    pub const RAM1_SIZE: u64 = 0xfe_0000_0000;

    /// Lowest RAM address.
    #[doc(alias = "GUEST_RAM_BASE")]
    pub const RAM_BASE: u64 = RAM0_BASE;
    /// Largest amount of guest RAM.
    #[doc(alias = "GUEST_RAM_MAX")]
    pub const RAM_MAX: u64 = RAM0_SIZE + RAM1_SIZE;
    /// Bases of the RAM banks.
    #[doc(alias = "GUEST_RAM_BANK_BASES")]
    pub const RAM_BANK_BASES: [u64; RAM_BANKS] = [RAM0_BASE, RAM1_BASE];
    /// Sizes of the RAM banks.
    #[doc(alias = "GUEST_RAM_BANK_SIZES")]
    pub const RAM_BANK_SIZES: [u64; RAM_BANKS] = [RAM0_SIZE, RAM1_SIZE];

    /// Largest number of vCPUs.
    #[doc(alias = "GUEST_MAX_VCPUS")]
    pub const MAX_VCPUS: u32 = 128;

    /// Virtual timer PPI.
    #[doc(alias = "GUEST_TIMER_VIRT_PPI")]
    pub const TIMER_VIRT_PPI: u32 = 27;
    /// Secure physical timer PPI.
    #[doc(alias = "GUEST_TIMER_PHYS_S_PPI")]
    pub const TIMER_PHYS_S_PPI: u32 = 29;
    /// Non-secure physical timer PPI.
    #[doc(alias = "GUEST_TIMER_PHYS_NS_PPI")]
    pub const TIMER_PHYS_NS_PPI: u32 = 30;
    /// Event-channel upcall PPI.
    #[doc(alias = "GUEST_EVTCHN_PPI")]
    pub const EVTCHN_PPI: u32 = 31;
    /// Emulated PL011 SPI.
    #[doc(alias = "GUEST_VPL011_SPI")]
    pub const VPL011_SPI: u32 = 32;
    /// First virtio-mmio SPI.
    #[doc(alias = "GUEST_VIRTIO_MMIO_SPI_FIRST")]
    pub const VIRTIO_MMIO_SPI_FIRST: u32 = 33;
    /// Last virtio-mmio SPI.
    #[doc(alias = "GUEST_VIRTIO_MMIO_SPI_LAST")]
    pub const VIRTIO_MMIO_SPI_LAST: u32 = 43;
}

mod sub_ops {
    use super::VcpuGuestContext;
    use crate::vcpu::op;

    sub_op!(VCPU_OP: VcpuGuestContext => INITIALISE);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn x_registers() {
        let mut r = VcpuGuestCoreRegs::default();
        assert!(r.set_x(30, 0xdead_beef));
        assert!(r.set_x(0, 1));
        assert!(!r.set_x(31, 5));
        assert_eq!(r.x30, 0xdead_beef);
        assert_eq!(r.x(0), Some(1));
        assert_eq!(r.x(30), Some(0xdead_beef));
        assert_eq!(r.x(31), None);
        assert_eq!(r.x(usize::MAX), None);
        r.pc64 = 0x1_8000_0000;
        assert_eq!(r.pc32(), 0x8000_0000);
    }

    #[test]
    fn constants() {
        assert_eq!(psr::GUEST64_INIT, 0x1c5);
        assert_eq!(psr::GUEST32_INIT, 0x4000_01d3);
        assert_eq!(guest::RAM_MAX, 0xfe_0000_0000 + 0xc000_0000);
        let f = VcpuGuestContextFlags::ONLINE;
        assert_eq!(format!("{f:?}"), "VcpuGuestContextFlags(ONLINE)");
        assert_eq!(core::mem::size_of::<ArchVcpuInfo>(), 0);
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `physdev.h`: physical-device operations (IRQs, PIRQs, PCI devices, I/O
//! privilege).
//!
//! The hypercall is `physdev_op(cmd, arg)`, with `cmd` one of [`op`].

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::decode::{read_prefix, write_prefix};
use crate::xen::{DomId, Gfn, GuestHandle, HypercallOp, SubOp};

/// `PHYSDEVOP_*`: the sub-operations of `HYPERVISOR_physdev_op`.
pub mod op {
    /// Obsolete since interface 0x00030202 and unsupported by newer Xen:
    /// notify that PIRQ-bound event channels were unmasked.
    #[doc(alias = "PHYSDEVOP_IRQ_UNMASK_NOTIFY")]
    pub const IRQ_UNMASK_NOTIFY: u32 = 4;
    /// Query an IRQ line; the argument is an
    /// [`IrqStatusQuery`](super::IrqStatusQuery).
    #[doc(alias = "PHYSDEVOP_irq_status_query")]
    pub const IRQ_STATUS_QUERY: u32 = 5;
    /// Set the current vCPU's I/O privilege level; the argument is a
    /// [`SetIopl`](super::SetIopl).
    #[doc(alias = "PHYSDEVOP_set_iopl")]
    pub const SET_IOPL: u32 = 6;
    /// Set the current vCPU's I/O-port bitmap; the argument is a
    /// [`SetIobitmap`](super::SetIobitmap).
    #[doc(alias = "PHYSDEVOP_set_iobitmap")]
    pub const SET_IOBITMAP: u32 = 7;
    /// Read an IO-APIC register; the argument is an [`Apic`](super::Apic).
    #[doc(alias = "PHYSDEVOP_apic_read")]
    pub const APIC_READ: u32 = 8;
    /// Write an IO-APIC register; the argument is an [`Apic`](super::Apic).
    #[doc(alias = "PHYSDEVOP_apic_write")]
    pub const APIC_WRITE: u32 = 9;
    /// Allocate an upcall vector for an IRQ line; the argument is an
    /// [`Irq`](super::Irq).
    #[doc(alias = "PHYSDEVOP_alloc_irq_vector")]
    pub const ALLOC_IRQ_VECTOR: u32 = 10;
    /// Free an IRQ line's upcall vector; the argument is an
    /// [`Irq`](super::Irq).
    #[doc(alias = "PHYSDEVOP_free_irq_vector")]
    pub const FREE_IRQ_VECTOR: u32 = 11;
    /// Signal end-of-interrupt; the argument is an [`Eoi`](super::Eoi).
    #[doc(alias = "PHYSDEVOP_eoi")]
    pub const EOI: u32 = 12;
    /// Map a PIRQ; the argument is a [`MapPirq`](super::MapPirq).
    #[doc(alias = "PHYSDEVOP_map_pirq")]
    pub const MAP_PIRQ: u32 = 13;
    /// Unmap a PIRQ; the argument is an [`UnmapPirq`](super::UnmapPirq).
    #[doc(alias = "PHYSDEVOP_unmap_pirq")]
    pub const UNMAP_PIRQ: u32 = 14;
    /// Add a PCI device; the argument is a [`ManagePci`](super::ManagePci).
    #[doc(alias = "PHYSDEVOP_manage_pci_add")]
    pub const MANAGE_PCI_ADD: u32 = 15;
    /// Remove a PCI device; the argument is a [`ManagePci`](super::ManagePci).
    #[doc(alias = "PHYSDEVOP_manage_pci_remove")]
    pub const MANAGE_PCI_REMOVE: u32 = 16;
    /// Register the PIRQ EOI bitmap page, version 1 (also changes the
    /// semantics of `PHYSDEVOP_eoi`); the argument is a
    /// [`PirqEoiGmfn`](super::PirqEoiGmfn).
    #[doc(alias = "PHYSDEVOP_pirq_eoi_gmfn_v1")]
    pub const PIRQ_EOI_GMFN_V1: u32 = 17;
    /// Restore a device's MSI state; the argument is a
    /// [`RestoreMsi`](super::RestoreMsi).
    #[doc(alias = "PHYSDEVOP_restore_msi")]
    pub const RESTORE_MSI: u32 = 19;
    /// Add a PCI device, with extended information; the argument is a
    /// [`ManagePciExt`](super::ManagePciExt).
    #[doc(alias = "PHYSDEVOP_manage_pci_add_ext")]
    pub const MANAGE_PCI_ADD_EXT: u32 = 20;
    /// Set up a GSI; the argument is a [`SetupGsi`](super::SetupGsi).
    #[doc(alias = "PHYSDEVOP_setup_gsi")]
    pub const SETUP_GSI: u32 = 21;
    /// Get a free PIRQ; the argument is a
    /// [`GetFreePirq`](super::GetFreePirq).
    #[doc(alias = "PHYSDEVOP_get_free_pirq")]
    pub const GET_FREE_PIRQ: u32 = 23;
    /// Report a reserved MMCFG region; the argument is a
    /// [`PciMmcfgReserved`](super::PciMmcfgReserved).
    #[doc(alias = "PHYSDEVOP_pci_mmcfg_reserved")]
    pub const PCI_MMCFG_RESERVED: u32 = 24;
    /// Add a PCI device (segment-aware); the argument is a
    /// [`PciDeviceAdd`](super::PciDeviceAdd).
    #[doc(alias = "PHYSDEVOP_pci_device_add")]
    pub const PCI_DEVICE_ADD: u32 = 25;
    /// Remove a PCI device; the argument is a [`PciDevice`](super::PciDevice).
    #[doc(alias = "PHYSDEVOP_pci_device_remove")]
    pub const PCI_DEVICE_REMOVE: u32 = 26;
    /// Restore a device's MSI state (segment-aware); the argument is a
    /// [`PciDevice`](super::PciDevice).
    #[doc(alias = "PHYSDEVOP_restore_msi_ext")]
    pub const RESTORE_MSI_EXT: u32 = 27;
    /// Register the PIRQ EOI bitmap page, version 2; the argument is a
    /// [`PirqEoiGmfn`](super::PirqEoiGmfn).
    #[doc(alias = "PHYSDEVOP_pirq_eoi_gmfn_v2")]
    pub const PIRQ_EOI_GMFN_V2: u32 = 28;
    /// The current `PIRQ_EOI_GMFN` operation ([`PIRQ_EOI_GMFN_V2`]).
    #[doc(alias = "PHYSDEVOP_pirq_eoi_gmfn")]
    pub const PIRQ_EOI_GMFN: u32 = PIRQ_EOI_GMFN_V2;
    /// Debug-port operation; the argument is a [`DbgpOp`](super::DbgpOp).
    #[doc(alias = "PHYSDEVOP_dbgp_op")]
    pub const DBGP_OP: u32 = 29;
    /// Announce that a device's MSI-X MMIO resources won't change; the
    /// argument is a [`PciDevice`](super::PciDevice).
    #[doc(alias = "PHYSDEVOP_prepare_msix")]
    pub const PREPARE_MSIX: u32 = 30;
    /// Announce that a device's MSI-X MMIO resources may change; the
    /// argument is a [`PciDevice`](super::PciDevice).
    #[doc(alias = "PHYSDEVOP_release_msix")]
    pub const RELEASE_MSIX: u32 = 31;
}

/// `MAP_PIRQ_TYPE_*`: values of [`MapPirq::kind`] and [`GetFreePirq::kind`].
pub mod map_pirq_type {
    /// MSI.
    #[doc(alias = "MAP_PIRQ_TYPE_MSI")]
    pub const MSI: i32 = 0x0;
    /// GSI.
    #[doc(alias = "MAP_PIRQ_TYPE_GSI")]
    pub const GSI: i32 = 0x1;
    /// Unknown.
    #[doc(alias = "MAP_PIRQ_TYPE_UNKNOWN")]
    pub const UNKNOWN: i32 = 0x2;
    /// MSI with the PCI segment in the high 16 bits of `bus`.
    #[doc(alias = "MAP_PIRQ_TYPE_MSI_SEG")]
    pub const MSI_SEG: i32 = 0x3;
    /// Multi-vector MSI (segment in the high 16 bits of `bus`).
    #[doc(alias = "MAP_PIRQ_TYPE_MULTI_MSI")]
    pub const MULTI_MSI: i32 = 0x4;
}

/// `PHYSDEVOP_DBGP_*`: operations and bus types of a [`DbgpOp`].
pub mod dbgp {
    /// `op`: prepare for a debug-port reset.
    #[doc(alias = "PHYSDEVOP_DBGP_RESET_PREPARE")]
    pub const RESET_PREPARE: u8 = 1;
    /// `op`: the debug-port reset is done.
    #[doc(alias = "PHYSDEVOP_DBGP_RESET_DONE")]
    pub const RESET_DONE: u8 = 2;
    /// `bus`: unknown bus.
    #[doc(alias = "PHYSDEVOP_DBGP_BUS_UNKNOWN")]
    pub const BUS_UNKNOWN: u8 = 0;
    /// `bus`: PCI (the device is in `DbgpOp::pci`).
    #[doc(alias = "PHYSDEVOP_DBGP_BUS_PCI")]
    pub const BUS_PCI: u8 = 1;
}

macro_rules! flags_debug {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "("))?;
                bitflags::parser::to_writer(self, &mut *f)?;
                f.write_str(")")
            }
        }
    };
}

/// `XENIRQSTAT_*`: flags Xen returns in [`IrqStatusQuery::flags`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct IrqStatusFlags(u32);

bitflags::bitflags! {
    impl IrqStatusFlags: u32 {
        /// `PHYSDEVOP_eoi` must be called once the IRQ is serviced.
        #[doc(alias = "XENIRQSTAT_needs_eoi")]
        const NEEDS_EOI = 1 << 0;
        /// The IRQ is shared by several guests.
        #[doc(alias = "XENIRQSTAT_shared")]
        const SHARED = 1 << 1;
        const _ = !0;
    }
}
flags_debug!(IrqStatusFlags);

/// `XEN_PCI_MMCFG_*`: flags of a [`PciMmcfgReserved`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct MmcfgFlags(u32);

bitflags::bitflags! {
    impl MmcfgFlags: u32 {
        /// The region is reserved (in the E820 map or ACPI).
        #[doc(alias = "XEN_PCI_MMCFG_RESERVED")]
        const RESERVED = 0x1;
        const _ = !0;
    }
}
flags_debug!(MmcfgFlags);

/// `XEN_PCI_DEV_*`: flags of a [`PciDeviceAdd`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct PciDevFlags(u32);

bitflags::bitflags! {
    impl PciDevFlags: u32 {
        /// The device is an extended function (ARI).
        #[doc(alias = "XEN_PCI_DEV_EXTFN")]
        const EXTFN = 0x1;
        /// The device is a virtual function; `physfn` names its physical
        /// function.
        #[doc(alias = "XEN_PCI_DEV_VIRTFN")]
        const VIRTFN = 0x2;
        /// `optarr[0]` holds the device's proximity (PXM) domain.
        #[doc(alias = "XEN_PCI_DEV_PXM")]
        const PXM = 0x4;
        const _ = !0;
    }
}
flags_debug!(PciDevFlags);

/// Argument of `PHYSDEVOP_eoi`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_eoi")]
#[doc(alias = "physdev_eoi_t")]
pub struct Eoi {
    /// IN: the IRQ.
    pub irq: u32,
}
assert_layout!(Eoi, size = 4, align = 4, { irq: 0 });

/// Argument of `PHYSDEVOP_pirq_eoi_gmfn_v1`/`_v2`: a page Xen uses as a
/// bitmap, indexed by PIRQ, of the PIRQs that need an EOI.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_pirq_eoi_gmfn")]
#[doc(alias = "physdev_pirq_eoi_gmfn_t")]
pub struct PirqEoiGmfn {
    /// IN: frame of the bitmap page (Xen's "gmfn").
    pub gmfn: Gfn,
}
assert_layout!(PirqEoiGmfn, size = 8, align = 8, { gmfn: 0 });

/// Argument of `PHYSDEVOP_irq_status_query`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_irq_status_query")]
#[doc(alias = "physdev_irq_status_query_t")]
pub struct IrqStatusQuery {
    /// IN: the IRQ.
    pub irq: u32,
    /// OUT: its status.
    pub flags: IrqStatusFlags,
}
assert_layout!(IrqStatusQuery, size = 8, align = 4, { irq: 0, flags: 4 });

/// Argument of `PHYSDEVOP_set_iopl`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_set_iopl")]
#[doc(alias = "physdev_set_iopl_t")]
pub struct SetIopl {
    /// IN: the I/O privilege level.
    pub iopl: u32,
}
assert_layout!(SetIopl, size = 4, align = 4, { iopl: 0 });

/// Argument of `PHYSDEVOP_set_iobitmap`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_set_iobitmap")]
#[doc(alias = "physdev_set_iobitmap_t")]
pub struct SetIobitmap {
    /// IN: the I/O-port permission bitmap.
    pub bitmap: GuestHandle<u8>,
    /// IN: number of ports the bitmap covers.
    pub nr_ports: u32,
    /// Padding.
    pub _pad0: [u8; 4],
}
assert_layout!(SetIobitmap, size = 16, align = 8, { bitmap: 0, nr_ports: 8 });

/// Argument of `PHYSDEVOP_apic_read` and `PHYSDEVOP_apic_write`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_apic")]
#[doc(alias = "physdev_apic_t")]
pub struct Apic {
    /// IN: physical base address of the IO-APIC (an `unsigned long`, 64
    /// bits on both supported architectures).
    pub apic_physbase: u64,
    /// IN: register number.
    pub reg: u32,
    /// IN (write) or OUT (read): the register value.
    pub value: u32,
}
assert_layout!(Apic, size = 16, align = 8, { apic_physbase: 0, reg: 8, value: 12 });

/// Argument of `PHYSDEVOP_alloc_irq_vector` and `PHYSDEVOP_free_irq_vector`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_irq")]
#[doc(alias = "physdev_irq_t")]
pub struct Irq {
    /// IN: the IRQ line.
    pub irq: u32,
    /// IN (free) or OUT (alloc): the vector.
    pub vector: u32,
}
assert_layout!(Irq, size = 8, align = 4, { irq: 0, vector: 4 });

/// Argument of `PHYSDEVOP_map_pirq`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_map_pirq")]
#[doc(alias = "physdev_map_pirq_t")]
pub struct MapPirq {
    /// The domain to map the PIRQ for.
    pub domid: DomId,
    /// Padding.
    pub _pad0: [u8; 2],
    /// IN: the kind of interrupt (one of [`map_pirq_type`]).
    #[doc(alias = "type")]
    pub kind: i32,
    /// IN: the GSI or MSI index (ignored for `MULTI_MSI`).
    pub index: i32,
    /// IN or OUT: the PIRQ.
    pub pirq: i32,
    /// IN: PCI bus; the high 16 bits hold the segment for `MSI_SEG` and
    /// `MULTI_MSI`.
    pub bus: i32,
    /// IN: PCI device/function.
    pub devfn: i32,
    /// IN (also OUT for `MULTI_MSI`): number of MSI entries.
    pub entry_nr: i32,
    /// Padding.
    pub _pad1: [u8; 4],
    /// IN: MSI-X table base address.
    pub table_base: u64,
}
assert_layout!(MapPirq, size = 40, align = 8, {
    domid: 0,
    kind: 4,
    index: 8,
    pirq: 12,
    bus: 16,
    devfn: 20,
    entry_nr: 24,
    table_base: 32,
});

/// Argument of `PHYSDEVOP_unmap_pirq`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_unmap_pirq")]
#[doc(alias = "physdev_unmap_pirq_t")]
pub struct UnmapPirq {
    /// The domain the PIRQ belongs to.
    pub domid: DomId,
    /// Padding.
    pub _pad0: [u8; 2],
    /// IN: the PIRQ.
    pub pirq: i32,
}
assert_layout!(UnmapPirq, size = 8, align = 4, { domid: 0, pirq: 4 });

/// Argument of `PHYSDEVOP_manage_pci_add` and `PHYSDEVOP_manage_pci_remove`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_manage_pci")]
#[doc(alias = "physdev_manage_pci_t")]
pub struct ManagePci {
    /// IN: PCI bus.
    pub bus: u8,
    /// IN: PCI device/function.
    pub devfn: u8,
}
assert_layout!(ManagePci, size = 2, align = 1, { bus: 0, devfn: 1 });

/// Argument of `PHYSDEVOP_restore_msi`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_restore_msi")]
#[doc(alias = "physdev_restore_msi_t")]
pub struct RestoreMsi {
    /// IN: PCI bus.
    pub bus: u8,
    /// IN: PCI device/function.
    pub devfn: u8,
}
assert_layout!(RestoreMsi, size = 2, align = 1, { bus: 0, devfn: 1 });

/// The physical function of a virtual function: the anonymous `physfn`
/// struct member of `physdev_manage_pci_ext` and `physdev_pci_device_add`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct PhysFn {
    /// PCI bus of the physical function.
    pub bus: u8,
    /// PCI device/function of the physical function.
    pub devfn: u8,
}
assert_layout!(PhysFn, size = 2, align = 1, { bus: 0, devfn: 1 });

/// Argument of `PHYSDEVOP_manage_pci_add_ext`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_manage_pci_ext")]
#[doc(alias = "physdev_manage_pci_ext_t")]
pub struct ManagePciExt {
    /// IN: PCI bus.
    pub bus: u8,
    /// IN: PCI device/function.
    pub devfn: u8,
    /// Padding.
    pub _pad0: [u8; 2],
    /// IN: non-zero for an extended function.
    pub is_extfn: u32,
    /// IN: non-zero for a virtual function.
    pub is_virtfn: u32,
    /// IN: the physical function, for a virtual function.
    pub physfn: PhysFn,
    /// Padding.
    pub _pad1: [u8; 2],
}
assert_layout!(ManagePciExt, size = 16, align = 4, {
    bus: 0,
    devfn: 1,
    is_extfn: 4,
    is_virtfn: 8,
    physfn: 12,
});

/// Argument of the legacy `physdev_op_compat` hypercall (superseded by
/// `physdev_op` since interface 0x00030202): a command and its argument
/// inline.
///
/// The C union `u` (`irq_status_query`, `set_iopl`, `set_iobitmap`,
/// `apic_op`, `irq_op`) is kept as raw storage; read and write it with
/// [`Op::arg`] and [`Op::set_arg`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_op")]
#[doc(alias = "physdev_op_t")]
pub struct Op {
    /// The command (one of [`op`]).
    pub cmd: u32,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Storage of the argument union.
    pub u: [u64; 2],
}
assert_layout!(Op, size = 24, align = 8, { cmd: 0, u: 8 });

impl Op {
    /// A command with its argument, `cmd` taken from the argument's
    /// [`SubOp`] impl (the rest of the union zeroed).
    ///
    /// An argument larger than the union fails to compile.
    pub fn new<const CMD: u32, T: SubOp<CMD>>(arg: &T) -> Self {
        let mut this = Self::default();
        this.set_arg(arg);
        this
    }

    /// The union read as the argument of `cmd` (e.g. `irq_status_query` as
    /// [`IrqStatusQuery`]), if `cmd` is `CMD`.
    pub fn arg<const CMD: u32, T: SubOp<CMD>>(&self) -> Option<T> {
        (self.cmd == CMD).then(|| read_prefix(self.u.as_bytes()))
    }

    /// Sets `cmd` to `CMD`, zeroes the union and stores `arg` in it.
    pub fn set_arg<const CMD: u32, T: SubOp<CMD>>(&mut self, arg: &T) {
        const {
            assert!(
                core::mem::size_of::<T>() <= 16,
                "argument larger than physdev_op.u"
            );
            assert!(
                T::HYPERCALL.get() == HypercallOp::PHYSDEV_OP.get(),
                "not a physdev_op argument"
            );
        };
        self.cmd = CMD;
        write_prefix(self.u.as_mut_bytes(), arg);
    }
}

/// The trigger mode of a GSI ([`SetupGsi::triggering`]; ACPI's encoding,
/// which Xen's header does not name).
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
pub struct GsiTrigger(u8);

impl GsiTrigger {
    /// Edge-triggered.
    pub const EDGE: Self = Self(0);
    /// Level-triggered.
    pub const LEVEL: Self = Self(1);
}

code_newtype!(GsiTrigger, u8, [EDGE, LEVEL]);

/// The polarity of a GSI ([`SetupGsi::polarity`]; ACPI's encoding, which
/// Xen's header does not name).
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
pub struct GsiPolarity(u8);

impl GsiPolarity {
    /// Active high.
    pub const ACTIVE_HIGH: Self = Self(0);
    /// Active low.
    pub const ACTIVE_LOW: Self = Self(1);
}

code_newtype!(GsiPolarity, u8, [ACTIVE_HIGH, ACTIVE_LOW]);

/// Argument of `PHYSDEVOP_setup_gsi`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_setup_gsi")]
#[doc(alias = "physdev_setup_gsi_t")]
pub struct SetupGsi {
    /// IN: the GSI.
    pub gsi: i32,
    /// IN: trigger mode.
    pub triggering: GsiTrigger,
    /// IN: polarity.
    pub polarity: GsiPolarity,
    /// Padding.
    pub _pad0: [u8; 2],
}
assert_layout!(SetupGsi, size = 8, align = 4, { gsi: 0, triggering: 4, polarity: 5 });

/// Argument of `PHYSDEVOP_get_free_pirq`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_get_free_pirq")]
#[doc(alias = "physdev_get_free_pirq_t")]
pub struct GetFreePirq {
    /// IN: `MAP_PIRQ_TYPE_GSI` or `MAP_PIRQ_TYPE_MSI` (see [`map_pirq_type`]).
    #[doc(alias = "type")]
    pub kind: i32,
    /// OUT: a free PIRQ.
    pub pirq: u32,
}
assert_layout!(GetFreePirq, size = 8, align = 4, { kind: 0, pirq: 4 });

/// Argument of `PHYSDEVOP_pci_mmcfg_reserved`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_pci_mmcfg_reserved")]
#[doc(alias = "physdev_pci_mmcfg_reserved_t")]
pub struct PciMmcfgReserved {
    /// Base address of the MMCFG region.
    pub address: u64,
    /// PCI segment.
    pub segment: u16,
    /// First bus the region covers.
    pub start_bus: u8,
    /// Last bus the region covers.
    pub end_bus: u8,
    /// Flags.
    pub flags: MmcfgFlags,
}
assert_layout!(PciMmcfgReserved, size = 16, align = 8, {
    address: 0,
    segment: 8,
    start_bus: 10,
    end_bus: 11,
    flags: 12,
});

/// Argument of `PHYSDEVOP_pci_device_add` (followed in memory by the
/// optional-parameter array `optarr`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_pci_device_add")]
#[doc(alias = "physdev_pci_device_add_t")]
pub struct PciDeviceAdd {
    /// IN: PCI segment.
    pub seg: u16,
    /// IN: PCI bus.
    pub bus: u8,
    /// IN: PCI device/function.
    pub devfn: u8,
    /// IN: flags.
    pub flags: PciDevFlags,
    /// IN: the physical function, for a virtual function.
    pub physfn: PhysFn,
    /// Padding.
    pub _pad0: [u8; 2],
    /// Optional parameters (a C flexible array member): `optarr[0]` is the
    /// PXM domain when [`PciDevFlags::PXM`] is set. Callers append the
    /// elements after the struct.
    pub optarr: [u32; 0],
}
assert_layout!(PciDeviceAdd, size = 12, align = 4, {
    seg: 0,
    bus: 2,
    devfn: 3,
    flags: 4,
    physfn: 8,
    optarr: 12,
});

/// A PCI device by segment, bus and devfn: argument of
/// `PHYSDEVOP_pci_device_remove`, `PHYSDEVOP_restore_msi_ext`,
/// `PHYSDEVOP_prepare_msix` and `PHYSDEVOP_release_msix`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_pci_device")]
#[doc(alias = "physdev_pci_device_t")]
pub struct PciDevice {
    /// IN: PCI segment.
    pub seg: u16,
    /// IN: PCI bus.
    pub bus: u8,
    /// IN: PCI device/function.
    pub devfn: u8,
}
assert_layout!(PciDevice, size = 4, align = 2, { seg: 0, bus: 2, devfn: 3 });

/// Argument of `PHYSDEVOP_dbgp_op`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "physdev_dbgp_op")]
#[doc(alias = "physdev_dbgp_op_t")]
pub struct DbgpOp {
    /// IN: the operation (`dbgp::RESET_*`).
    pub op: u8,
    /// IN: the bus type (`dbgp::BUS_*`).
    pub bus: u8,
    /// IN: the device, for [`dbgp::BUS_PCI`]. (C: a union `u` whose only
    /// member is `pci`.)
    #[doc(alias = "u")]
    pub pci: PciDevice,
}
assert_layout!(DbgpOp, size = 6, align = 2, { op: 0, bus: 1, pci: 2 });

sub_op! {
    PHYSDEV_OP:
    Eoi => EOI,
    IrqStatusQuery => IRQ_STATUS_QUERY,
    SetIopl => SET_IOPL,
    SetIobitmap => SET_IOBITMAP,
    Apic => APIC_READ | APIC_WRITE,
    Irq => ALLOC_IRQ_VECTOR | FREE_IRQ_VECTOR,
    MapPirq => MAP_PIRQ,
    UnmapPirq => UNMAP_PIRQ,
    ManagePci => MANAGE_PCI_ADD | MANAGE_PCI_REMOVE,
    PirqEoiGmfn => PIRQ_EOI_GMFN_V1 | PIRQ_EOI_GMFN_V2,
    RestoreMsi => RESTORE_MSI,
    ManagePciExt => MANAGE_PCI_ADD_EXT,
    SetupGsi => SETUP_GSI,
    GetFreePirq => GET_FREE_PIRQ,
    PciMmcfgReserved => PCI_MMCFG_RESERVED,
    PciDeviceAdd => PCI_DEVICE_ADD,
    PciDevice => PCI_DEVICE_REMOVE | RESTORE_MSI_EXT | PREPARE_MSIX | RELEASE_MSIX,
    DbgpOp => DBGP_OP,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn op_union_round_trip() {
        let q = IrqStatusQuery {
            irq: 9,
            flags: IrqStatusFlags::NEEDS_EOI,
        };
        let mut o = Op::new(&q);
        assert_eq!(o.cmd, op::IRQ_STATUS_QUERY);
        assert_eq!(o.arg(), Some(q));
        assert_eq!(&o.as_bytes()[8..16], q.as_bytes());
        let apic = Apic {
            apic_physbase: 0xfec0_0000,
            reg: 1,
            value: 2,
        };
        o.set_arg::<{ op::APIC_WRITE }, _>(&apic);
        assert_eq!(o.arg::<{ op::APIC_WRITE }, Apic>(), Some(apic));
        assert_eq!(o.arg::<{ op::APIC_READ }, Apic>(), None);
        o.set_arg(&SetIopl { iopl: 3 });
        assert_eq!(o.u[1], 0, "set_arg zeroes the rest of the union");
        assert_eq!(o.arg().map(|a: SetIopl| a.iopl), Some(3));
    }

    #[test]
    fn flags_debug() {
        let f = IrqStatusFlags::NEEDS_EOI | IrqStatusFlags::SHARED;
        assert_eq!(format!("{f:?}"), "IrqStatusFlags(NEEDS_EOI | SHARED)");
        assert_eq!(op::PIRQ_EOI_GMFN, 28);
    }
}

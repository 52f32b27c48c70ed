// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_physdev_op`: physical IRQs, PIRQs, PCI devices and I/O
//! privilege, mostly for the hardware domain (x86).

use xen_abi::physdev::{
    op, Apic, DbgpOp, Eoi, GetFreePirq, GsiPolarity, GsiTrigger, Irq, IrqStatusFlags,
    IrqStatusQuery, ManagePci, ManagePciExt, MapPirq, PciDevice, PciDeviceAdd, PciMmcfgReserved,
    PirqEoiGmfn, RestoreMsi, SetIobitmap, SetIopl, SetupGsi, UnmapPirq,
};
use xen_abi::xen::{DomId, Gfn, GuestHandle, HypercallOp};
use zerocopy::IntoBytes;

use crate::{call, call_unchecked, no_guest_memory, Errno, Hypercall, Result};

/// Most optional parameters [`pci_device_add`] passes after its struct.
pub const PCI_DEVICE_ADD_MAX_OPT: usize = 4;

no_guest_memory!(
    Eoi => op::EOI,
    IrqStatusQuery => op::IRQ_STATUS_QUERY,
    SetIopl => op::SET_IOPL,
    Apic => op::APIC_READ | op::APIC_WRITE,
    Irq => op::ALLOC_IRQ_VECTOR | op::FREE_IRQ_VECTOR,
    MapPirq => op::MAP_PIRQ,
    UnmapPirq => op::UNMAP_PIRQ,
    ManagePci => op::MANAGE_PCI_ADD | op::MANAGE_PCI_REMOVE,
    RestoreMsi => op::RESTORE_MSI,
    ManagePciExt => op::MANAGE_PCI_ADD_EXT,
    SetupGsi => op::SETUP_GSI,
    GetFreePirq => op::GET_FREE_PIRQ,
    PciDevice => op::RESTORE_MSI_EXT | op::PCI_DEVICE_REMOVE | op::PREPARE_MSIX | op::RELEASE_MSIX,
    DbgpOp => op::DBGP_OP,
);

/// Signals end-of-interrupt for `irq` (`PHYSDEVOP_eoi`).
///
/// # Errors
/// Xen's errno (`EINVAL` for an IRQ this domain does not have).
#[doc(alias = "PHYSDEVOP_eoi")]
#[doc(alias = "HYPERVISOR_physdev_op")]
pub fn eoi(hc: &impl Hypercall, irq: u32) -> Result<()> {
    call(hc, &mut Eoi { irq }).map(drop)
}

/// Registers the page at `gmfn` as the bitmap of PIRQs needing an EOI
/// (`PHYSDEVOP_pirq_eoi_gmfn_v1`, which also makes `PHYSDEVOP_eoi` unmask
/// the event channel).
///
/// # Errors
/// Xen's errno: `EINVAL` for a bad frame, `EBUSY` when a page is already
/// registered.
///
/// # Safety
/// As [`pirq_eoi_gmfn_v2`].
#[doc(alias = "PHYSDEVOP_pirq_eoi_gmfn_v1")]
pub unsafe fn pirq_eoi_gmfn_v1(hc: &impl Hypercall, gmfn: Gfn) -> Result<()> {
    let mut arg = PirqEoiGmfn { gmfn };
    // SAFETY: the caller gives Xen the page.
    unsafe { call_unchecked::<{ op::PIRQ_EOI_GMFN_V1 }, _>(hc, &mut arg) }.map(drop)
}

/// Registers the page at `gmfn` as the bitmap of PIRQs needing an EOI
/// (`PHYSDEVOP_pirq_eoi_gmfn_v2`).
///
/// # Errors
/// Xen's errno: `EINVAL` for a bad frame, `EBUSY` when a page is already
/// registered.
///
/// # Safety
/// The page must be the caller's to give for the domain's lifetime: Xen
/// maps it and writes it from then on.
#[doc(alias = "PHYSDEVOP_pirq_eoi_gmfn_v2")]
#[doc(alias = "PHYSDEVOP_pirq_eoi_gmfn")]
pub unsafe fn pirq_eoi_gmfn_v2(hc: &impl Hypercall, gmfn: Gfn) -> Result<()> {
    let mut arg = PirqEoiGmfn { gmfn };
    // SAFETY: the caller gives Xen the page.
    unsafe { call_unchecked::<{ op::PIRQ_EOI_GMFN_V2 }, _>(hc, &mut arg) }.map(drop)
}

/// Whether `irq` needs an EOI and whether it is shared
/// (`PHYSDEVOP_irq_status_query`).
///
/// # Errors
/// Xen's errno (`EINVAL` for an IRQ beyond the domain's PIRQs).
#[doc(alias = "PHYSDEVOP_irq_status_query")]
pub fn irq_status_query(hc: &impl Hypercall, irq: u32) -> Result<IrqStatusFlags> {
    let mut arg = IrqStatusQuery {
        irq,
        flags: IrqStatusFlags::empty(),
    };
    call(hc, &mut arg)?;
    Ok(arg.flags)
}

/// Sets the calling vCPU's virtual I/O privilege level (0–3;
/// `PHYSDEVOP_set_iopl`, x86 PV).
///
/// # Errors
/// Xen's errno (`EINVAL` above 3).
#[doc(alias = "PHYSDEVOP_set_iopl")]
pub fn set_iopl(hc: &impl Hypercall, iopl: u32) -> Result<()> {
    call(hc, &mut SetIopl { iopl }).map(drop)
}

/// Makes Xen check guest port I/O against the bitmap at `bitmap` (one bit
/// per port, for the first `nr_ports` ports; a clear bit allows the port)
/// (`PHYSDEVOP_set_iobitmap`, x86 PV).
///
/// # Errors
/// Xen's errno (`EINVAL` for more than 65536 ports).
///
/// # Safety
/// `bitmap` must be the guest-virtual address of `nr_ports` bits that stay
/// mapped and readable for as long as they are registered: Xen keeps the
/// address and reads it on later port accesses (so it cannot be bounced
/// through privcmd).
#[doc(alias = "PHYSDEVOP_set_iobitmap")]
pub unsafe fn set_iobitmap(
    hc: &impl Hypercall,
    bitmap: GuestHandle<u8>,
    nr_ports: u32,
) -> Result<()> {
    let mut arg = SetIobitmap {
        bitmap,
        nr_ports,
        _pad0: [0; 4],
    };
    // SAFETY: the caller vouches for the bitmap.
    unsafe { call_unchecked(hc, &mut arg) }.map(drop)
}

/// Reads register `reg` of the IO-APIC at physical address `apic_physbase`
/// (`PHYSDEVOP_apic_read`).
///
/// # Errors
/// Xen's errno: `EPERM` outside the hardware domain, `EINVAL` for no
/// IO-APIC there.
#[doc(alias = "PHYSDEVOP_apic_read")]
pub fn apic_read(hc: &impl Hypercall, apic_physbase: u64, reg: u32) -> Result<u32> {
    let mut arg = Apic {
        apic_physbase,
        reg,
        value: 0,
    };
    call::<{ op::APIC_READ }, _>(hc, &mut arg)?;
    Ok(arg.value)
}

/// Writes `value` to register `reg` of the IO-APIC at `apic_physbase`
/// (`PHYSDEVOP_apic_write`).
///
/// # Errors
/// Xen's errno: `EPERM` outside the hardware domain, `EINVAL` for no
/// IO-APIC there.
#[doc(alias = "PHYSDEVOP_apic_write")]
pub fn apic_write(hc: &impl Hypercall, apic_physbase: u64, reg: u32, value: u32) -> Result<()> {
    let mut arg = Apic {
        apic_physbase,
        reg,
        value,
    };
    call::<{ op::APIC_WRITE }, _>(hc, &mut arg).map(drop)
}

/// Allocates an upcall vector for IRQ line `irq`; returns the vector
/// (`PHYSDEVOP_alloc_irq_vector`, obsolete).
///
/// # Errors
/// Xen's errno (`EPERM` outside the hardware domain, `EINVAL` for a bad
/// IRQ).
#[doc(alias = "PHYSDEVOP_alloc_irq_vector")]
pub fn alloc_irq_vector(hc: &impl Hypercall, irq: u32) -> Result<u32> {
    let mut arg = Irq { irq, vector: 0 };
    call::<{ op::ALLOC_IRQ_VECTOR }, _>(hc, &mut arg)?;
    Ok(arg.vector)
}

/// Frees `vector` of IRQ line `irq` (`PHYSDEVOP_free_irq_vector`,
/// obsolete).
///
/// # Errors
/// Xen's errno (`EPERM` outside the hardware domain).
#[doc(alias = "PHYSDEVOP_free_irq_vector")]
pub fn free_irq_vector(hc: &impl Hypercall, irq: u32, vector: u32) -> Result<()> {
    call::<{ op::FREE_IRQ_VECTOR }, _>(hc, &mut Irq { irq, vector }).map(drop)
}

/// Maps a GSI or MSI to a PIRQ of `arg.domid`; returns `arg` as Xen
/// updated it (`pirq`, and `entry_nr` for multi-vector MSI)
/// (`PHYSDEVOP_map_pirq`).
///
/// # Errors
/// Xen's errno: `EPERM` without control of the domain or device, `EINVAL`
/// for a bad type or index, `ENOSPC` when no PIRQ is free.
#[doc(alias = "PHYSDEVOP_map_pirq")]
pub fn map_pirq(hc: &impl Hypercall, mut arg: MapPirq) -> Result<MapPirq> {
    call(hc, &mut arg)?;
    Ok(arg)
}

/// Unmaps PIRQ `pirq` of `domid` (`PHYSDEVOP_unmap_pirq`).
///
/// # Errors
/// Xen's errno: `EINVAL` for a PIRQ that is not mapped, `ESRCH` for no
/// such domain, `EPERM` without control of it.
#[doc(alias = "PHYSDEVOP_unmap_pirq")]
pub fn unmap_pirq(hc: &impl Hypercall, domid: DomId, pirq: i32) -> Result<()> {
    let mut arg = UnmapPirq {
        domid,
        _pad0: [0; 2],
        pirq,
    };
    call(hc, &mut arg).map(drop)
}

/// Tells Xen about PCI device `bus:devfn` of segment 0
/// (`PHYSDEVOP_manage_pci_add`).
///
/// # Errors
/// Xen's errno (`EPERM` outside the hardware domain).
#[doc(alias = "PHYSDEVOP_manage_pci_add")]
pub fn manage_pci_add(hc: &impl Hypercall, bus: u8, devfn: u8) -> Result<()> {
    call::<{ op::MANAGE_PCI_ADD }, _>(hc, &mut ManagePci { bus, devfn }).map(drop)
}

/// Tells Xen PCI device `bus:devfn` of segment 0 is gone
/// (`PHYSDEVOP_manage_pci_remove`).
///
/// # Errors
/// Xen's errno (`EPERM` outside the hardware domain, `ENODEV` for a device
/// Xen does not know).
#[doc(alias = "PHYSDEVOP_manage_pci_remove")]
pub fn manage_pci_remove(hc: &impl Hypercall, bus: u8, devfn: u8) -> Result<()> {
    call::<{ op::MANAGE_PCI_REMOVE }, _>(hc, &mut ManagePci { bus, devfn }).map(drop)
}

/// Tells Xen about a PCI device of segment 0 that may be an extended or
/// virtual function (`PHYSDEVOP_manage_pci_add_ext`).
///
/// # Errors
/// Xen's errno (`EPERM` outside the hardware domain).
#[doc(alias = "PHYSDEVOP_manage_pci_add_ext")]
pub fn manage_pci_add_ext(hc: &impl Hypercall, mut dev: ManagePciExt) -> Result<()> {
    call(hc, &mut dev).map(drop)
}

/// Restores the MSI state of PCI device `bus:devfn` of segment 0, after a
/// resume (`PHYSDEVOP_restore_msi`).
///
/// # Errors
/// Xen's errno (`EPERM` outside the hardware domain, `ENODEV` for a device
/// Xen does not know).
#[doc(alias = "PHYSDEVOP_restore_msi")]
pub fn restore_msi(hc: &impl Hypercall, bus: u8, devfn: u8) -> Result<()> {
    call(hc, &mut RestoreMsi { bus, devfn }).map(drop)
}

/// Restores the MSI state of PCI device `dev` (`PHYSDEVOP_restore_msi_ext`).
///
/// # Errors
/// As [`restore_msi`].
#[doc(alias = "PHYSDEVOP_restore_msi_ext")]
pub fn restore_msi_ext(hc: &impl Hypercall, mut dev: PciDevice) -> Result<()> {
    call::<{ op::RESTORE_MSI_EXT }, _>(hc, &mut dev).map(drop)
}

/// Sets up GSI `gsi` with its trigger mode and polarity
/// (`PHYSDEVOP_setup_gsi`).
///
/// # Errors
/// Xen's errno: `EPERM` outside the hardware domain, `EINVAL` for a bad
/// GSI, `EEXIST` when it is already set up.
#[doc(alias = "PHYSDEVOP_setup_gsi")]
pub fn setup_gsi(
    hc: &impl Hypercall,
    gsi: i32,
    triggering: GsiTrigger,
    polarity: GsiPolarity,
) -> Result<()> {
    let mut arg = SetupGsi {
        gsi,
        triggering,
        polarity,
        _pad0: [0; 2],
    };
    call(hc, &mut arg).map(drop)
}

/// A free PIRQ of the calling domain for interrupts of type `kind`
/// ([`map_pirq_type::GSI`](xen_abi::physdev::map_pirq_type::GSI) or
/// [`MSI`](xen_abi::physdev::map_pirq_type::MSI))
/// (`PHYSDEVOP_get_free_pirq`).
///
/// # Errors
/// Xen's errno (`ENOSPC` when none is free).
#[doc(alias = "PHYSDEVOP_get_free_pirq")]
pub fn get_free_pirq(hc: &impl Hypercall, kind: i32) -> Result<u32> {
    let mut arg = GetFreePirq { kind, pirq: 0 };
    call(hc, &mut arg)?;
    Ok(arg.pirq)
}

/// Tells Xen whether the MMCFG (PCIe configuration) region in `region` is
/// reserved by firmware, so Xen may use it (`PHYSDEVOP_pci_mmcfg_reserved`).
///
/// # Errors
/// Xen's errno (`EPERM` outside the hardware domain, `ENODEV` for a region
/// Xen does not know).
///
/// # Safety
/// `region` must describe the MMCFG region the firmware (ACPI MCFG)
/// reports: Xen maps that physical range and accesses it as configuration
/// space.
#[doc(alias = "PHYSDEVOP_pci_mmcfg_reserved")]
pub unsafe fn pci_mmcfg_reserved(hc: &impl Hypercall, mut region: PciMmcfgReserved) -> Result<()> {
    // SAFETY: the caller vouches for the physical range; the struct itself
    // is handed to Xen by `call_unchecked`.
    unsafe { call_unchecked(hc, &mut region) }.map(drop)
}

/// Tells Xen about PCI device `dev`, followed by the optional parameters
/// its flags announce (`optarr`; at most [`PCI_DEVICE_ADD_MAX_OPT`])
/// (`PHYSDEVOP_pci_device_add`).
///
/// # Errors
/// `EINVAL` for too many optional parameters; Xen's errno otherwise
/// (`EPERM` outside the hardware domain).
#[doc(alias = "PHYSDEVOP_pci_device_add")]
pub fn pci_device_add(hc: &impl Hypercall, dev: PciDeviceAdd, optarr: &[u32]) -> Result<()> {
    const WORDS: usize = core::mem::size_of::<PciDeviceAdd>() / 4;
    let mut buf = [0u32; WORDS + PCI_DEVICE_ADD_MAX_OPT];
    let buf = buf.get_mut(..WORDS + optarr.len()).ok_or(Errno::EINVAL)?;
    buf.as_mut_bytes()[..WORDS * 4].copy_from_slice(dev.as_bytes());
    buf[WORDS..].copy_from_slice(optarr);
    let ret = hc.with_buffer(buf.as_mut_bytes(), |addr| {
        let args = [u64::from(op::PCI_DEVICE_ADD), addr, 0, 0, 0];
        // SAFETY: Xen reads the struct and the optional words after it at
        // `addr`, which `with_buffer` made visible to Xen; they name no
        // memory.
        unsafe { hc.hypercall5(HypercallOp::PHYSDEV_OP, args) }
    });
    crate::check(ret).map(drop)
}

/// Tells Xen PCI device `dev` is gone (`PHYSDEVOP_pci_device_remove`).
///
/// # Errors
/// Xen's errno (`EPERM` outside the hardware domain, `ENODEV` for a device
/// Xen does not know).
#[doc(alias = "PHYSDEVOP_pci_device_remove")]
pub fn pci_device_remove(hc: &impl Hypercall, mut dev: PciDevice) -> Result<()> {
    call::<{ op::PCI_DEVICE_REMOVE }, _>(hc, &mut dev).map(drop)
}

/// Announces that `dev`'s MSI-X MMIO resources are settled
/// (`PHYSDEVOP_prepare_msix`).
///
/// # Errors
/// Xen's errno (`EPERM` outside the hardware domain, `ENODEV` for a device
/// Xen does not know).
#[doc(alias = "PHYSDEVOP_prepare_msix")]
pub fn prepare_msix(hc: &impl Hypercall, mut dev: PciDevice) -> Result<()> {
    call::<{ op::PREPARE_MSIX }, _>(hc, &mut dev).map(drop)
}

/// Announces that `dev`'s MSI-X MMIO resources may change
/// (`PHYSDEVOP_release_msix`).
///
/// # Errors
/// As [`prepare_msix`].
#[doc(alias = "PHYSDEVOP_release_msix")]
pub fn release_msix(hc: &impl Hypercall, mut dev: PciDevice) -> Result<()> {
    call::<{ op::RELEASE_MSIX }, _>(hc, &mut dev).map(drop)
}

/// Tells Xen a USB debug port is about to be reset, or has been
/// (`PHYSDEVOP_dbgp_op`).
///
/// # Errors
/// Xen's errno (`EPERM` outside the hardware domain, `ENOENT` when Xen does
/// not use that debug port).
#[doc(alias = "PHYSDEVOP_dbgp_op")]
pub fn dbgp_op(hc: &impl Hypercall, mut arg: DbgpOp) -> Result<()> {
    call(hc, &mut arg).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;
    use xen_abi::physdev::PciDevFlags;

    #[test]
    fn irq_status_query_round_trip() {
        let hc = Fake::new(0);
        hc.reply(|b| b[4] = 3);
        let flags = irq_status_query(&hc, 9).unwrap();
        assert_eq!(flags, IrqStatusFlags::NEEDS_EOI | IrqStatusFlags::SHARED);
        let c = hc.last();
        assert_eq!((c.op, &c.args[..2]), (33, &[5, c.addrs[0]][..]));
        assert_eq!(c.buffers[0][..4], [9, 0, 0, 0]);
    }

    #[test]
    fn pci_device_add_appends_optarr() {
        let hc = Fake::new(0);
        let dev = PciDeviceAdd {
            seg: 1,
            bus: 2,
            devfn: 3,
            flags: PciDevFlags::PXM,
            ..PciDeviceAdd::default()
        };
        pci_device_add(&hc, dev, &[7]).unwrap();
        let c = hc.last();
        assert_eq!(c.args[0], 25);
        assert_eq!(
            c.buffers[0],
            [1, 0, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0]
        );
        assert_eq!(pci_device_add(&hc, dev, &[0; 5]), Err(Errno::EINVAL));
    }

    #[test]
    fn set_iopl_and_get_free_pirq() {
        let hc = Fake::new(0);
        set_iopl(&hc, 1).unwrap();
        hc.reply(|b| b[4] = 40);
        assert_eq!(
            get_free_pirq(&hc, xen_abi::physdev::map_pirq_type::GSI),
            Ok(40)
        );
        let calls = hc.calls();
        assert_eq!(calls[0].args[0], 6);
        assert_eq!(calls[0].buffers[0], [1, 0, 0, 0]);
        assert_eq!(calls[1].buffers[0][..4], [1, 0, 0, 0]);
    }
}

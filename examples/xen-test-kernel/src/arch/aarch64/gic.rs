// SPDX-License-Identifier: MIT OR Apache-2.0
//! Just enough of a GICv3 (the Arm Generic Interrupt Controller
//! Architecture Specification, v3) to take one private peripheral
//! interrupt: Xen's event-channel upcall, whose number the device tree's
//! `hypervisor` node names.
//!
//! The CPU interface is the system-register one (`ICC_*_EL1`); the PPI is
//! enabled in this CPU's redistributor (its SGI/PPI frame, 64 KiB past the
//! redistributor's base, which the device tree's GIC node names).

use core::sync::atomic::{AtomicU32, Ordering};

/// `GICD_CTLR`.
const GICD_CTLR: usize = 0;
/// `GICD_CTLR.EnableGrp1NS` (with affinity routing, bit 1).
const CTLR_ENABLE_GRP1: u32 = 1 << 1;
/// `GICD_CTLR.ARE_NS`.
const CTLR_ARE: u32 = 1 << 4;
/// The SGI/PPI frame of a redistributor.
const SGI_FRAME: usize = 0x1_0000;
/// `GICR_IGROUPR0` in the SGI frame.
const GICR_IGROUPR0: usize = 0x80;
/// `GICR_ISENABLER0` in the SGI frame.
const GICR_ISENABLER0: usize = 0x100;
/// `GICR_ICENABLER0` in the SGI frame.
const GICR_ICENABLER0: usize = 0x180;
/// `GICR_IPRIORITYR<n>` in the SGI frame (one byte per interrupt).
const GICR_IPRIORITYR: usize = 0x400;

/// The last interrupt id acknowledged (1023: none).
static LAST_INTID: AtomicU32 = AtomicU32::new(1023);
/// Interrupts taken.
static TAKEN: AtomicU32 = AtomicU32::new(0);

/// The GIC as the device tree describes it.
#[derive(Debug, Clone, Copy)]
pub struct Gic {
    /// The distributor's base.
    pub gicd: usize,
    /// This CPU's redistributor's base (the first one: we run on vCPU 0).
    pub gicr: usize,
}

fn read32(addr: usize) -> u32 {
    // SAFETY: `addr` is a GIC register the device tree names (MMIO that Xen
    // emulates); a volatile access of the register's width.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn write32(addr: usize, v: u32) {
    // SAFETY: as `read32`.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

impl Gic {
    /// Turns on group 1 in the distributor and the CPU interface, and
    /// enables PPI `intid` (16..32) at a middle priority. Interrupts stay
    /// masked at the CPU (`DAIF.I`) until [`with_irqs`].
    ///
    /// Returns `ICC_SRE_EL1` (bit 0 set: the system-register interface is
    /// on, as Xen's vGICv3 offers it).
    pub fn enable_ppi(&self, intid: u32) -> u64 {
        let bit = 1u32 << (intid % 32);
        let sgi = self.gicr + SGI_FRAME;
        write32(
            self.gicd + GICD_CTLR,
            read32(self.gicd + GICD_CTLR) | CTLR_ENABLE_GRP1 | CTLR_ARE,
        );
        write32(sgi + GICR_IGROUPR0, read32(sgi + GICR_IGROUPR0) | bit);
        let prio = sgi + GICR_IPRIORITYR + (intid as usize & !3);
        let shift = (intid % 4) * 8;
        write32(prio, (read32(prio) & !(0xff << shift)) | (0xa0 << shift));
        write32(sgi + GICR_ISENABLER0, bit);
        let sre: u64;
        // SAFETY: GICv3 CPU-interface registers at EL1: priority mask open,
        // binary point 0, group 1 on; nothing that touches memory.
        unsafe {
            core::arch::asm!(
                "mrs {sre}, icc_sre_el1",
                "msr icc_pmr_el1, {pmr}",
                "msr icc_bpr1_el1, xzr",
                "msr icc_igrpen1_el1, {one}",
                "isb",
                sre = out(reg) sre,
                pmr = in(reg) 0xffu64,
                one = in(reg) 1u64,
                options(nomem, nostack),
            );
        }
        sre
    }

    /// Whether PPI `intid` is enabled in the redistributor.
    pub fn ppi_enabled(&self, intid: u32) -> bool {
        read32(self.gicr + SGI_FRAME + GICR_ISENABLER0) & (1 << (intid % 32)) != 0
    }

    /// Disables PPI `intid` again.
    pub fn disable_ppi(&self, intid: u32) {
        write32(self.gicr + SGI_FRAME + GICR_ICENABLER0, 1 << (intid % 32));
    }
}

/// Acknowledges the highest-priority pending interrupt, calls `f` with its
/// id, and ends it (`ICC_IAR1_EL1` / `ICC_EOIR1_EL1`). For the IRQ vector.
pub fn handle(f: impl FnOnce(u32)) {
    let iar: u64;
    // SAFETY: reading IAR acknowledges the interrupt; no memory access.
    unsafe { core::arch::asm!("mrs {}, icc_iar1_el1", out(reg) iar, options(nomem, nostack)) };
    let intid = (iar & 0xff_ffff) as u32;
    LAST_INTID.store(intid, Ordering::SeqCst);
    if intid >= 1020 {
        return; // spurious
    }
    TAKEN.fetch_add(1, Ordering::SeqCst);
    f(intid);
    // SAFETY: ends the interrupt just acknowledged (EOImode 0: priority
    // drop and deactivation).
    unsafe { core::arch::asm!("msr icc_eoir1_el1, {}", "isb", in(reg) iar, options(nostack)) };
}

/// Interrupts taken so far, and the last id acknowledged.
pub fn taken() -> (u32, u32) {
    (
        TAKEN.load(Ordering::SeqCst),
        LAST_INTID.load(Ordering::SeqCst),
    )
}

/// Runs `f` with IRQs unmasked at the CPU, masking them again after.
pub fn with_irqs<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: unmasks IRQs; the vectors are installed and the handler only
    // touches atomics and the GIC.
    unsafe { core::arch::asm!("msr daifclr, #2", "isb", options(nostack)) };
    let r = f();
    // SAFETY: masks IRQs again.
    unsafe { core::arch::asm!("msr daifset, #2", "isb", options(nostack)) };
    r
}

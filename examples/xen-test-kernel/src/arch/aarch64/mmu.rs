// SPDX-License-Identifier: MIT OR Apache-2.0
//! A minimal identity map: Xen's Arm ABI (`arch-arm.h`, "Memory
//! attributes") wants memory shared with the hypervisor or other domains
//! mapped Normal, Inner Write-Back, Outer Write-Back, Inner-Shareable; with
//! the MMU off every access is Device-nGnRnE instead. So once the device
//! tree is read, the kernel maps the low 512 GiB 1:1 in 1 GiB blocks
//! (4 KiB granule, `T0SZ` = 25: one level-1 table): the blocks that hold
//! RAM or the grant-table region as Normal write-back, every other block as
//! Device (MMIO stays uncached), and turns the MMU and caches on. Addresses
//! do not change, so nothing else notices.

/// VA bits (`64 - T0SZ`): 512 GiB.
const VA_BITS: u32 = 39;
/// One level-1 block.
const BLOCK: u64 = 1 << 30;

/// `MAIR_EL1`: attribute 0 Device-nGnRnE, attribute 1 Normal write-back
/// (read/write-allocate, inner and outer).
const MAIR: u64 = 0xff << 8;
/// Block descriptor bits: valid block, AF, and for Normal memory AttrIndx 1
/// with SH = inner shareable; for Device AttrIndx 0 and execute-never.
const NORMAL: u64 = 1 | (1 << 2) | (3 << 8) | (1 << 10);
const DEVICE: u64 = 1 | (1 << 10) | (1 << 53) | (1 << 54);

#[repr(C, align(4096))]
struct Table([u64; 512]);

/// The level-1 table (written once, before the MMU reads it).
static mut L1: Table = Table([0; 512]);

/// What the translation of an address says (`AT S1E1R`, `PAR_EL1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Translation {
    /// The physical address, or `None` on a fault.
    pub pa: Option<u64>,
    /// The memory attribute (`MAIR` encoding: 0xff Normal write-back, 0
    /// Device-nGnRnE).
    pub attr: u8,
}

/// Translates `va` for an EL1 read with the current tables.
pub fn translate(va: u64) -> Translation {
    let par: u64;
    // SAFETY: an address-translation instruction and a system-register
    // read; no memory is accessed.
    unsafe {
        core::arch::asm!(
            "at s1e1r, {va}",
            "isb",
            "mrs {par}, par_el1",
            va = in(reg) va,
            par = out(reg) par,
            options(nostack),
        );
    }
    Translation {
        pa: (par & 1 == 0).then_some((par & 0x0000_ffff_ffff_f000) | (va & 0xfff)),
        attr: (par >> 56) as u8,
    }
}

/// Maps the low 512 GiB 1:1, block `i` Normal when `normal(i * 1 GiB)`
/// (else Device), and turns the MMU and the caches on. Returns
/// `SCTLR_EL1` after.
///
/// # Safety
/// Every address the kernel uses must be below 512 GiB and every block
/// holding RAM the kernel uses must be `normal` (the 1:1 map keeps the
/// addresses). Call once, on the boot vCPU, with IRQs masked.
pub unsafe fn enable(normal: impl Fn(u64) -> bool) -> u64 {
    let table = (&raw mut L1).cast::<u64>();
    for i in 0..512u64 {
        let base = i * BLOCK;
        let attrs = if normal(base) { NORMAL } else { DEVICE };
        // SAFETY: `i` < 512 indexes our table, which the MMU does not use
        // yet.
        unsafe { table.add(i as usize).write_volatile(base | attrs) };
    }
    let mmfr0: u64;
    // SAFETY: reads the CPU's memory-model feature register.
    unsafe {
        core::arch::asm!("mrs {}, id_aa64mmfr0_el1", out(reg) mmfr0, options(nomem, nostack))
    };
    // T0SZ, IRGN0/ORGN0 write-back write-allocate, SH0 inner, TG0 4 KiB,
    // EPD1 (no TTBR1 walks), IPS = the CPU's physical address size.
    let tcr = u64::from(64 - VA_BITS)
        | (1 << 8)
        | (1 << 10)
        | (3 << 12)
        | (1 << 23)
        | ((mmfr0 & 0x7) << 32);
    let sctlr: u64;
    // SAFETY: installs the table above (identity map of everything the
    // kernel uses, per the caller) and enables translation and caches; the
    // next instruction's address is unchanged by the 1:1 map.
    unsafe {
        core::arch::asm!(
            "msr mair_el1, {mair}",
            "msr tcr_el1, {tcr}",
            "msr ttbr0_el1, {ttbr}",
            "dsb ish",
            "isb",
            "tlbi vmalle1",
            "ic iallu",
            "dsb ish",
            "isb",
            "mrs {sctlr}, sctlr_el1",
            "orr {sctlr}, {sctlr}, #(1 << 0)",
            "orr {sctlr}, {sctlr}, #(1 << 2)",
            "orr {sctlr}, {sctlr}, #(1 << 12)",
            "msr sctlr_el1, {sctlr}",
            "isb",
            mair = in(reg) MAIR,
            tcr = in(reg) tcr,
            ttbr = in(reg) table as u64,
            sctlr = out(reg) sctlr,
            options(nostack),
        );
    }
    sctlr
}

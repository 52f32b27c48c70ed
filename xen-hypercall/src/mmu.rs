// SPDX-License-Identifier: MIT OR Apache-2.0
//! x86 PV page-table hypercalls: `HYPERVISOR_mmu_update`,
//! `HYPERVISOR_mmuext_op` and `HYPERVISOR_update_va_mapping`.
//!
//! Only PV guests have these (HVM/PVH guests own their page tables and get
//! `ENOSYS`). Every one of them changes what memory means, so all are
//! `unsafe`.

use core::fmt;

use xen_abi::xen::{mmu_update_foreigndom, DomId, HypercallOp, MmuUpdate, MmuextOp, UvmFlags};
use zerocopy::IntoBytes;

use crate::{Errno, Hypercall};

/// A batch that stopped early: Xen's errno and how many requests it had
/// applied before the failing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incomplete {
    /// Why the batch stopped.
    pub errno: Errno,
    /// Requests applied (all before the failing one).
    pub done: usize,
}

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} after {} request(s)", self.errno, self.done)
    }
}

impl From<Incomplete> for Errno {
    fn from(e: Incomplete) -> Self {
        e.errno
    }
}

/// Issues a `(reqs, count, &done, foreigndom)` batch hypercall.
///
/// # Safety
/// As the public wrappers.
unsafe fn batch<H: Hypercall, T: IntoBytes + zerocopy::FromBytes>(
    hc: &H,
    op: HypercallOp,
    reqs: &mut [T],
    foreigndom: u32,
) -> Result<usize, Incomplete> {
    let count = reqs.len() as u64;
    let mut done = 0u32;
    let ret = hc.with_buffer(reqs.as_mut_bytes(), |reqs| {
        hc.with_buffer(done.as_mut_bytes(), |done| {
            let args = [reqs, count, done, u64::from(foreigndom), 0];
            // SAFETY: both buffers are visible to Xen at these addresses for
            // this call; the caller vouches for the requests.
            unsafe { hc.hypercall5(op, args) }
        })
    });
    let done = done as usize;
    match crate::check(ret) {
        Ok(_) => Ok(done),
        Err(errno) => Err(Incomplete { errno, done }),
    }
}

/// Applies page-table and machine-to-physical updates
/// (`HYPERVISOR_mmu_update`); returns how many were applied (all of them).
///
/// `foreigndom` owns the frames the new entries point at (usually
/// [`DomId::SELF`]).
///
/// # Errors
/// [`Incomplete`]: Xen's errno (`EINVAL` for a bad entry, `EPERM`,
/// `ESRCH`, `ENOSYS` for HVM/PVH) and the requests applied before it.
///
/// # Safety
/// Every update changes a live page table or the M2P: the caller must make
/// sure no mapping Rust relies on is removed or redirected, and that new
/// mappings alias nothing Rust treats as exclusive.
#[doc(alias = "HYPERVISOR_mmu_update")]
pub unsafe fn mmu_update(
    hc: &impl Hypercall,
    reqs: &mut [MmuUpdate],
    foreigndom: DomId,
) -> Result<usize, Incomplete> {
    let fd = mmu_update_foreigndom(foreigndom, DomId::SELF);
    // SAFETY: the caller vouches for the updates.
    unsafe { batch(hc, HypercallOp::MMU_UPDATE, reqs, fd) }
}

/// Runs extended MMU operations (`HYPERVISOR_mmuext_op`): pinning, base
/// pointers, TLB and cache flushes, LDT, page clearing and copying; returns
/// how many were done (all of them).
///
/// # Errors
/// [`Incomplete`]: Xen's errno (`EINVAL` for a frame of the wrong type,
/// `ENOSYS` for HVM/PVH) and the operations done before it.
///
/// # Safety
/// Pins, base-pointer changes, LDT changes and page clears/copies change
/// live memory or address spaces: the caller vouches for each frame and
/// address named.
#[doc(alias = "HYPERVISOR_mmuext_op")]
pub unsafe fn mmuext_op(
    hc: &impl Hypercall,
    ops: &mut [MmuextOp],
    foreigndom: DomId,
) -> Result<usize, Incomplete> {
    // SAFETY: the caller vouches for the operations.
    unsafe { batch(hc, HypercallOp::MMUEXT_OP, ops, u32::from(foreigndom.get())) }
}

/// Sets the PTE that maps virtual address `va` in the current address space
/// to `pte`, then flushes as `flags` say (`HYPERVISOR_update_va_mapping`).
///
/// # Errors
/// Xen's errno (`EINVAL` for an unmapped `va` or a PTE Xen refuses,
/// `ENOSYS` for HVM/PVH).
///
/// # Safety
/// Whatever was mapped at `va` is gone: nothing may rely on it. The new
/// mapping must not alias memory Rust treats as exclusive.
#[doc(alias = "HYPERVISOR_update_va_mapping")]
pub unsafe fn update_va_mapping(
    hc: &impl Hypercall,
    va: u64,
    pte: u64,
    flags: UvmFlags,
) -> crate::Result<()> {
    let args = [va, pte, flags.bits(), 0, 0];
    // SAFETY: the caller vouches for the mapping.
    let ret = unsafe { hc.hypercall5(HypercallOp::UPDATE_VA_MAPPING, args) };
    crate::check(ret).map(drop)
}

/// As [`update_va_mapping`], with the PTE's frame owned by `dom`
/// (`HYPERVISOR_update_va_mapping_otherdomain`, privileged).
///
/// # Errors
/// As [`update_va_mapping`], plus `ESRCH`/`EPERM` for `dom`.
///
/// # Safety
/// As [`update_va_mapping`].
#[doc(alias = "HYPERVISOR_update_va_mapping_otherdomain")]
pub unsafe fn update_va_mapping_otherdomain(
    hc: &impl Hypercall,
    va: u64,
    pte: u64,
    flags: UvmFlags,
    dom: DomId,
) -> crate::Result<()> {
    let args = [va, pte, flags.bits(), u64::from(dom.get()), 0];
    // SAFETY: the caller vouches for the mapping.
    let ret = unsafe { hc.hypercall5(HypercallOp::UPDATE_VA_MAPPING_OTHERDOMAIN, args) };
    crate::check(ret).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;
    use xen_abi::xen::{MmuUpdateCmd, MmuextCmd};

    #[test]
    fn mmu_update_passes_array_count_done_and_foreigndom() {
        let fake = Fake::new(0);
        let mut reqs = [MmuUpdate::new(MmuUpdateCmd::MACHPHYS_UPDATE, 0x5000, 5); 2];
        // SAFETY: the fake backend touches no memory.
        unsafe { mmu_update(&fake, &mut reqs, DomId::new_unchecked(3)) }.unwrap();
        let call = fake.last();
        assert_eq!(call.op, 1);
        assert_eq!(call.args, [call.addrs[0], 2, call.addrs[1], 3, 0]);
        assert_eq!(&call.buffers[0][..8], &0x5001u64.to_ne_bytes());
        assert_eq!(call.buffers[1], [0; 4]);
    }

    #[test]
    fn failure_reports_progress() {
        let fake = Fake::new(-22);
        let mut ops = [MmuextOp::new(MmuextCmd::TLB_FLUSH_LOCAL); 3];
        // The done counter is the inner buffer: the reply cannot reach it,
        // so it stays 0.
        // SAFETY: the fake backend touches no memory.
        let r = unsafe { mmuext_op(&fake, &mut ops, DomId::SELF) };
        assert_eq!(
            r,
            Err(Incomplete {
                errno: Errno::EINVAL,
                done: 0
            })
        );
        assert_eq!(fake.last().args[3], 0x7ff0);
        assert_eq!(fake.last().op, 26);
    }

    #[test]
    fn update_va_mapping_registers() {
        let fake = Fake::new(0);
        // SAFETY: the fake backend touches no memory.
        unsafe { update_va_mapping(&fake, 0xffff_8000_0000_0000, 0x1067, UvmFlags::INVLPG) }
            .unwrap();
        assert_eq!(fake.last().op, 14);
        assert_eq!(fake.last().args, [0xffff_8000_0000_0000, 0x1067, 2, 0, 0]);
        assert!(fake.last().buffers.is_empty());
    }
}

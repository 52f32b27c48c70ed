// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_hvm_op`: HVM parameters and the other HVM operations a guest
//! (HVM or PVH) may use on itself.
//!
//! PV guests get `ENOSYS` or `EINVAL` from most of these (Xen looks the
//! target domain up as an HVM one).

use xen_abi::hvm::hvm_op::{op, Altp2mOp, GetMemType, GetTime, PagetableDying, Param, Xentrace};
use xen_abi::hvm::params::HvmParam;
use xen_abi::xen::{DomId, Gfn, HypercallOp};

use crate::{call, call_null, call_unchecked, no_guest_memory, Errno, Hypercall, Result};

no_guest_memory!(
    Param => op::GET_PARAM,
    GetTime => op::GET_TIME,
    Xentrace => op::XENTRACE,
    GetMemType => op::GET_MEM_TYPE,
);

/// Reads HVM parameter `param` of domain `domid` (`HVMOP_get_param`).
///
/// # Errors
/// Xen's errno: `EINVAL` for an unknown parameter or a domain that is not
/// HVM/PVH, `EPERM` for a parameter the caller may not read, `ESRCH` for
/// no such domain.
#[doc(alias = "HVMOP_get_param")]
#[doc(alias = "HYPERVISOR_hvm_op")]
pub fn get_param(hc: &impl Hypercall, domid: DomId, param: HvmParam) -> Result<u64> {
    let mut arg = Param::new(domid, param.get(), 0);
    call::<{ op::GET_PARAM }, _>(hc, &mut arg)?;
    Ok(arg.value)
}

/// Sets HVM parameter `param` of domain `domid` to `value`
/// (`HVMOP_set_param`).
///
/// # Errors
/// Xen's errno: `EINVAL` for an unknown parameter or bad value, `EPERM`
/// for a parameter the caller may not set, `EEXIST` for one that may be set
/// only once.
///
/// # Safety
/// `value` must be valid for `param` as Xen's `params.h` defines it: a
/// frame it names must be the caller's to give, and an upcall route
/// ([`HvmParam::CALLBACK_IRQ`]) must lead to a handler that is ready.
#[doc(alias = "HVMOP_set_param")]
pub unsafe fn set_param(
    hc: &impl Hypercall,
    domid: DomId,
    param: HvmParam,
    value: u64,
) -> Result<()> {
    let mut arg = Param::new(domid, param.get(), value);
    // SAFETY: the caller vouches for `value`.
    unsafe { call_unchecked::<{ op::SET_PARAM }, _>(hc, &mut arg) }.map(drop)
}

/// Flushes the TLBs of all the calling domain's vCPUs (`HVMOP_flush_tlbs`).
///
/// # Errors
/// Xen's errno (`EINVAL` from a PV guest).
#[doc(alias = "HVMOP_flush_tlbs")]
pub fn flush_tlbs(hc: &impl Hypercall) -> Result<()> {
    // SAFETY: HVMOP_flush_tlbs takes a null argument and touches no memory.
    unsafe { call_null(hc, HypercallOp::HVM_OP, op::FLUSH_TLBS) }.map(drop)
}

/// Tells Xen that the top-level pagetable at guest-physical address `gpa`
/// of `domid` is about to be torn down, so it may drop its shadow
/// (`HVMOP_pagetable_dying`).
///
/// # Errors
/// Xen's errno (`ENOSYS` without shadow paging, `EINVAL` for a domain
/// that is not HVM).
///
/// # Safety
/// `gpa` must be a pagetable of `domid` that is no longer loaded on any
/// vCPU and will not be loaded again before being rebuilt.
#[doc(alias = "HVMOP_pagetable_dying")]
pub unsafe fn pagetable_dying(hc: &impl Hypercall, domid: DomId, gpa: u64) -> Result<()> {
    let mut arg = PagetableDying {
        domid,
        pad: [0; 3],
        gpa,
    };
    // SAFETY: the caller vouches for `gpa`.
    unsafe { call_unchecked(hc, &mut arg) }.map(drop)
}

/// Xen's system time, in ns since boot (`HVMOP_get_time`).
///
/// # Errors
/// Xen's errno.
#[doc(alias = "HVMOP_get_time")]
pub fn get_time(hc: &impl Hypercall) -> Result<u64> {
    let mut arg = GetTime { now: 0 };
    call(hc, &mut arg)?;
    Ok(arg.now)
}

/// Emits trace record `event` with up to 28 bytes of `extra` data
/// (`HVMOP_xentrace`).
///
/// # Errors
/// `EINVAL` for more than 28 bytes of `extra`; Xen's errno otherwise.
#[doc(alias = "HVMOP_xentrace")]
pub fn xentrace(hc: &impl Hypercall, event: u16, extra: &[u8]) -> Result<()> {
    let mut arg = Xentrace::default();
    arg.extra
        .get_mut(..extra.len())
        .ok_or(Errno::EINVAL)?
        .copy_from_slice(extra);
    arg.event = event;
    arg.extra_bytes = extra.len() as u16;
    call(hc, &mut arg).map(drop)
}

/// The memory type (one of [`xen_abi::hvm::hvm_op::mem_type`]) of frame
/// `pfn` of `domid` (`HVMOP_get_mem_type`).
///
/// # Errors
/// Xen's errno (`EINVAL` for a domain that is not HVM, `ESRCH` for no such
/// domain).
#[doc(alias = "HVMOP_get_mem_type")]
pub fn get_mem_type(hc: &impl Hypercall, domid: DomId, pfn: Gfn) -> Result<u16> {
    let mut arg = GetMemType {
        domid,
        pfn,
        ..GetMemType::default()
    };
    call(hc, &mut arg)?;
    Ok(arg.mem_type)
}

/// Delivers `vcpu`'s event-channel upcalls on interrupt `vector`, in
/// preference to [`HvmParam::CALLBACK_IRQ`]
/// (`HVMOP_set_evtchn_upcall_vector`; x86 only).
///
/// # Errors
/// Xen's errno: `EINVAL` for a vector below 0x10 or a PV guest, `ENOENT`
/// for no such vCPU.
///
/// # Safety
/// `vector` must have a handler in `vcpu`'s IDT that handles event upcalls
/// before events are unmasked.
#[cfg(target_arch = "x86_64")]
#[cfg_attr(docsrs, doc(cfg(target_arch = "x86_64")))]
#[doc(alias = "HVMOP_set_evtchn_upcall_vector")]
pub unsafe fn set_evtchn_upcall_vector(
    hc: &impl Hypercall,
    vcpu: xen_abi::xen::VcpuId,
    vector: u8,
) -> Result<()> {
    let mut arg = xen_abi::hvm::hvm_op::EvtchnUpcallVector::new(vcpu, vector);
    // SAFETY: the caller vouches for the handler; the struct names no
    // memory.
    unsafe { call_unchecked(hc, &mut arg) }.map(drop)
}

/// Sends a guest-request `vm_event` to the domain's monitor
/// (`HVMOP_guest_request_vm_event`).
///
/// # Errors
/// Xen's errno (`EINVAL` from a PV guest).
#[doc(alias = "HVMOP_guest_request_vm_event")]
pub fn guest_request_vm_event(hc: &impl Hypercall) -> Result<()> {
    // SAFETY: the sub-op takes a null argument and touches no memory.
    unsafe { call_null(hc, HypercallOp::HVM_OP, op::GUEST_REQUEST_VM_EVENT) }.map(drop)
}

/// Runs an alternate-p2m command (`HVMOP_altp2m`); Xen writes its outputs
/// back into `arg`.
///
/// # Errors
/// Xen's errno (`EOPNOTSUPP` when altp2m is off for the domain).
///
/// # Safety
/// Every guest handle and frame in `arg`'s command (such as the lists of
/// `HVMOP_altp2m_set_mem_access_multi`, or the #VE page of
/// `HVMOP_altp2m_vcpu_enable_notify`) must be valid for Xen to use as the
/// command defines, and views must not remove access the caller relies on.
#[doc(alias = "HVMOP_altp2m")]
pub unsafe fn altp2m(hc: &impl Hypercall, arg: &mut Altp2mOp) -> Result<()> {
    // SAFETY: the caller vouches for what `arg` names.
    unsafe { call_unchecked(hc, arg) }.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;

    #[test]
    fn get_param_encodes_domid_and_index() {
        let hc = Fake::new(0);
        hc.reply(|b| b[8..].copy_from_slice(&5u64.to_ne_bytes()));
        assert_eq!(get_param(&hc, DomId::SELF, HvmParam::STORE_EVTCHN), Ok(5));
        let c = hc.last();
        assert_eq!((c.op, &c.args[..2]), (34, &[1, c.addrs[0]][..]));
        assert_eq!(c.buffers[0][..8], [0xf0, 0x7f, 0, 0, 2, 0, 0, 0]);
    }

    #[test]
    fn null_argument_ops_and_xentrace() {
        let hc = Fake::new(0);
        flush_tlbs(&hc).unwrap();
        xentrace(&hc, 0x42, &[1, 2]).unwrap();
        assert_eq!(xentrace(&hc, 0, &[0; 29]), Err(Errno::EINVAL));
        let calls = hc.calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].args, [5, 0, 0, 0, 0]);
        assert_eq!(calls[1].args[0], 11);
        assert_eq!(calls[1].buffers[0][..6], [0x42, 0, 2, 0, 1, 2]);
    }
}

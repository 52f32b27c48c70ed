// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_vcpu_op`: bring-up, runstate, timers and `vcpu_info`
//! placement (`vcpu.h`).
//!
//! The hypercall is `vcpu_op(cmd, vcpuid, arg)`.

use xen_abi::vcpu::{
    op, GetPhysid, RegisterRunstateMemoryArea, RegisterTimeMemoryArea, RegisterVcpuInfo,
    RunstateInfo, SetPeriodicTimer, SetSingleshotTimer, SingleshotFlags,
};
use xen_abi::xen::{Gfn, HypercallOp, SubOp, VcpuId};

use crate::{no_guest_memory, Hypercall, NoGuestMemory, Result};

/// Issues `vcpu_op(CMD, vcpu, &mut arg)` (the one sub-op hypercall with an
/// extra argument before the struct).
///
/// # Safety
/// Everything `arg` names must be valid for Xen to use as `CMD` defines.
unsafe fn vcpu_op<const CMD: u32, T: SubOp<CMD>>(
    hc: &impl Hypercall,
    vcpu: VcpuId,
    arg: &mut T,
) -> Result<usize> {
    let ret = hc.with_buffer(arg.as_mut_bytes(), |addr| {
        // SAFETY: `addr` is where Xen sees `arg` for this call; the caller
        // vouches for what `arg` names.
        unsafe { hc.hypercall3(T::HYPERCALL, u64::from(CMD), u64::from(vcpu.get()), addr) }
    });
    crate::check(ret)
}

/// [`vcpu_op`] for an argument that names no memory.
fn vcpu_call<const CMD: u32, T: NoGuestMemory<CMD>>(
    hc: &impl Hypercall,
    vcpu: VcpuId,
    arg: &mut T,
) -> Result<usize> {
    // SAFETY: `NoGuestMemory` promises `CMD` touches only `arg`.
    unsafe { vcpu_op(hc, vcpu, arg) }
}

/// Issues `vcpu_op(cmd, vcpu, NULL)` for a sub-op without argument.
fn vcpu_op_noarg(hc: &impl Hypercall, cmd: u32, vcpu: VcpuId) -> Result<usize> {
    let args = [u64::from(cmd), u64::from(vcpu.get()), 0, 0, 0];
    // SAFETY: the sub-ops used here take no argument.
    crate::check(unsafe { hc.hypercall5(HypercallOp::VCPU_OP, args) })
}

no_guest_memory!(
    RunstateInfo => op::GET_RUNSTATE_INFO,
    SetPeriodicTimer => op::SET_PERIODIC_TIMER,
    SetSingleshotTimer => op::SET_SINGLESHOT_TIMER,
    GetPhysid => op::GET_PHYSID,
);

/// Sets up vCPU `vcpu`'s initial register state (`VCPUOP_initialise`),
/// once, before [`up`].
///
/// `ctx` is the architecture's context: `xen_abi::arch::x86::VcpuGuestContext`
/// for x86 PV and Arm, `vcpu_hvm_context` for x86 HVM/PVH.
///
/// # Errors
/// Xen's errno (`EEXIST` when already initialised, `ENOENT` for no such
/// vCPU, `EINVAL` for a bad context).
///
/// # Safety
/// The vCPU starts running the code, stack and page tables `ctx` names once
/// it is brought up: they must be valid for that.
#[doc(alias = "VCPUOP_initialise")]
pub unsafe fn initialise<T: SubOp<{ op::INITIALISE }>>(
    hc: &impl Hypercall,
    vcpu: VcpuId,
    ctx: &mut T,
) -> Result<()> {
    // SAFETY: the caller vouches for the context.
    unsafe { vcpu_op(hc, vcpu, ctx) }.map(drop)
}

/// Makes an initialised vCPU runnable (`VCPUOP_up`).
///
/// # Errors
/// Xen's errno (`EINVAL` if it was never initialised, `ENOENT`).
#[doc(alias = "VCPUOP_up")]
pub fn up(hc: &impl Hypercall, vcpu: VcpuId) -> Result<()> {
    vcpu_op_noarg(hc, op::UP, vcpu).map(drop)
}

/// Takes a vCPU offline (`VCPUOP_down`); for the calling vCPU, it stops
/// until another brings it up again.
///
/// # Errors
/// Xen's errno (`ENOENT`).
#[doc(alias = "VCPUOP_down")]
pub fn down(hc: &impl Hypercall, vcpu: VcpuId) -> Result<()> {
    vcpu_op_noarg(hc, op::DOWN, vcpu).map(drop)
}

/// Is the vCPU up (`VCPUOP_is_up`)?
///
/// # Errors
/// Xen's errno (`ENOENT` for a vCPU the domain does not have).
#[doc(alias = "VCPUOP_is_up")]
pub fn is_up(hc: &impl Hypercall, vcpu: VcpuId) -> Result<bool> {
    Ok(vcpu_op_noarg(hc, op::IS_UP, vcpu)? != 0)
}

/// The vCPU's scheduling state and time accounting
/// (`VCPUOP_get_runstate_info`).
///
/// # Errors
/// Xen's errno (`ENOENT`).
#[doc(alias = "VCPUOP_get_runstate_info")]
pub fn get_runstate_info(hc: &impl Hypercall, vcpu: VcpuId) -> Result<RunstateInfo> {
    let mut info = RunstateInfo::default();
    vcpu_call(hc, vcpu, &mut info)?;
    Ok(info)
}

/// Asks Xen to keep the vCPU's runstate at guest address `addr` from now on
/// (`VCPUOP_register_runstate_memory_area`); 0 stops it. Xen writes the
/// area at once if `vcpu` is the calling vCPU.
///
/// x86 guests pass a virtual address, Arm guests a guest-physical one.
///
/// # Errors
/// Xen's errno.
///
/// # Safety
/// `addr` must stay valid for writes of a [`RunstateInfo`], and used for
/// nothing else Rust relies on, until unregistered: Xen writes it whenever
/// the vCPU is scheduled. (Through privcmd this is a kernel address.)
#[doc(alias = "VCPUOP_register_runstate_memory_area")]
pub unsafe fn register_runstate_memory_area(
    hc: &impl Hypercall,
    vcpu: VcpuId,
    addr: u64,
) -> Result<()> {
    let mut arg = RegisterRunstateMemoryArea::from_addr(addr);
    // SAFETY: the caller vouches for the area.
    unsafe { vcpu_op(hc, vcpu, &mut arg) }.map(drop)
}

/// Starts (or changes) the vCPU's periodic timer (`VCPUOP_set_periodic_timer`),
/// which raises `VIRQ_TIMER` every `period_ns` nanoseconds.
///
/// # Errors
/// Xen's errno (`EINVAL` for a period below 1 ms or too long).
#[doc(alias = "VCPUOP_set_periodic_timer")]
pub fn set_periodic_timer(hc: &impl Hypercall, vcpu: VcpuId, period_ns: u64) -> Result<()> {
    let mut arg = SetPeriodicTimer { period_ns };
    vcpu_call(hc, vcpu, &mut arg).map(drop)
}

/// Stops the periodic timer (`VCPUOP_stop_periodic_timer`).
///
/// # Errors
/// Xen's errno.
#[doc(alias = "VCPUOP_stop_periodic_timer")]
pub fn stop_periodic_timer(hc: &impl Hypercall, vcpu: VcpuId) -> Result<()> {
    vcpu_op_noarg(hc, op::STOP_PERIODIC_TIMER, vcpu).map(drop)
}

/// Arms the vCPU's single-shot timer for absolute system time
/// `timeout_abs_ns` (`VCPUOP_set_singleshot_timer`); it raises `VIRQ_TIMER`.
///
/// # Errors
/// Xen's errno (`ETIME` with [`SingleshotFlags::FUTURE`] when the time has
/// passed; `EINVAL` for another vCPU than the caller).
#[doc(alias = "VCPUOP_set_singleshot_timer")]
pub fn set_singleshot_timer(
    hc: &impl Hypercall,
    vcpu: VcpuId,
    timeout_abs_ns: u64,
    flags: SingleshotFlags,
) -> Result<()> {
    let mut arg = SetSingleshotTimer::new(timeout_abs_ns, flags);
    vcpu_call(hc, vcpu, &mut arg).map(drop)
}

/// Disarms the single-shot timer (`VCPUOP_stop_singleshot_timer`).
///
/// # Errors
/// Xen's errno (`EINVAL` for another vCPU than the caller).
#[doc(alias = "VCPUOP_stop_singleshot_timer")]
pub fn stop_singleshot_timer(hc: &impl Hypercall, vcpu: VcpuId) -> Result<()> {
    vcpu_op_noarg(hc, op::STOP_SINGLESHOT_TIMER, vcpu).map(drop)
}

/// Moves the vCPU's `vcpu_info` out of shared_info to byte `offset` of
/// frame `frame` (`VCPUOP_register_vcpu_info`); Xen copies the current
/// contents there. Once per vCPU.
///
/// `frame` is a machine frame for PV, a guest frame for HVM/PVH.
///
/// # Errors
/// Xen's errno (`EINVAL` when already registered or the structure would
/// cross a page, `ENOENT`).
///
/// # Safety
/// The `vcpu_info` bytes must stay valid, and be touched only the way
/// shared memory with Xen is, for the domain's lifetime.
#[doc(alias = "VCPUOP_register_vcpu_info")]
pub unsafe fn register_vcpu_info(
    hc: &impl Hypercall,
    vcpu: VcpuId,
    frame: Gfn,
    offset: u32,
) -> Result<()> {
    let mut arg = RegisterVcpuInfo {
        mfn: frame,
        offset,
        rsvd: 0,
    };
    // SAFETY: the caller vouches for the frame.
    unsafe { vcpu_op(hc, vcpu, &mut arg) }.map(drop)
}

/// Sends an NMI to the vCPU (`VCPUOP_send_nmi`).
///
/// # Errors
/// Xen's errno.
#[doc(alias = "VCPUOP_send_nmi")]
pub fn send_nmi(hc: &impl Hypercall, vcpu: VcpuId) -> Result<()> {
    vcpu_op_noarg(hc, op::SEND_NMI, vcpu).map(drop)
}

/// The physical id of the processor a pinned vCPU runs on
/// (`VCPUOP_get_physid`, privileged).
///
/// # Errors
/// Xen's errno (`EINVAL` when the vCPU is not pinned, `EPERM`).
#[doc(alias = "VCPUOP_get_physid")]
pub fn get_physid(hc: &impl Hypercall, vcpu: VcpuId) -> Result<GetPhysid> {
    let mut arg = GetPhysid::default();
    vcpu_call(hc, vcpu, &mut arg)?;
    Ok(arg)
}

/// Asks Xen to keep a second copy of the vCPU's `vcpu_time_info` at guest
/// address `addr` (`VCPUOP_register_vcpu_time_memory_area`); 0 stops it.
///
/// # Errors
/// Xen's errno (`ENOSYS` where unsupported).
///
/// # Safety
/// As [`register_runstate_memory_area`], for a `vcpu_time_info`.
#[doc(alias = "VCPUOP_register_vcpu_time_memory_area")]
pub unsafe fn register_time_memory_area(
    hc: &impl Hypercall,
    vcpu: VcpuId,
    addr: u64,
) -> Result<()> {
    let mut arg = RegisterTimeMemoryArea::from_addr(addr);
    // SAFETY: the caller vouches for the area.
    unsafe { vcpu_op(hc, vcpu, &mut arg) }.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;
    use crate::Errno;
    use xen_abi::vcpu::RunState;

    #[test]
    fn vcpu_id_is_the_second_argument() {
        let fake = Fake::new(1);
        assert_eq!(is_up(&fake, VcpuId::new(3)), Ok(true));
        assert_eq!(fake.last().args, [3, 3, 0, 0, 0]);
        fake.set_ret(-2);
        assert_eq!(is_up(&fake, VcpuId::new(9)), Err(Errno::ENOENT));
    }

    #[test]
    fn timer_arguments() {
        let fake = Fake::new(0);
        set_singleshot_timer(&fake, VcpuId::new(0), 5_000, SingleshotFlags::FUTURE).unwrap();
        let call = fake.last();
        assert_eq!(
            (call.op, call.args[0], call.args[2]),
            (24, 8, call.addrs[0])
        );
        assert_eq!(&call.buffers[0][..8], &5_000u64.to_ne_bytes());
        assert_eq!(&call.buffers[0][8..12], &1u32.to_ne_bytes());
        set_periodic_timer(&fake, VcpuId::new(1), 10_000_000).unwrap();
        assert_eq!(fake.last().args[..2], [6, 1]);
    }

    #[test]
    fn runstate_reply_is_decoded() {
        let fake = Fake::new(0);
        fake.reply(|b| {
            b[..4].copy_from_slice(&2i32.to_ne_bytes());
            b[16..24].copy_from_slice(&77u64.to_ne_bytes());
        });
        let info = get_runstate_info(&fake, VcpuId::new(0)).unwrap();
        assert_eq!(info.state, RunState::BLOCKED);
        assert_eq!(info.time[0], 77);
        assert_eq!(fake.last().args[0], 4);
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_vm_assist`: turning Xen's optional help for PV guests on and
//! off.

use xen_abi::xen::{HypercallOp, VmAssistCmd, VmAssistType};

use crate::{Hypercall, Result};

/// Applies `cmd` (enable or disable) to the assist `kind`
/// (`HYPERVISOR_vm_assist`).
///
/// Which assists a domain may use depends on its type: Xen advertises them
/// in the PV `start_info`, and HVM/PVH guests may only use
/// [`VmAssistType::RUNSTATE_UPDATE_FLAG`].
///
/// # Errors
/// Xen's errno: `EINVAL` for an assist this domain may not use or an
/// unknown `cmd`.
#[doc(alias = "HYPERVISOR_vm_assist")]
#[doc(alias = "VMASST_CMD_enable")]
#[doc(alias = "VMASST_CMD_disable")]
pub fn vm_assist(hc: &impl Hypercall, cmd: VmAssistCmd, kind: VmAssistType) -> Result<()> {
    let args = [u64::from(cmd.get()), u64::from(kind.get()), 0, 0, 0];
    // SAFETY: vm_assist takes two numbers and touches no memory.
    let ret = unsafe { hc.hypercall5(HypercallOp::VM_ASSIST, args) };
    crate::check(ret).map(drop)
}

/// Enables the assist `kind` ([`vm_assist`] with
/// [`VmAssistCmd::ENABLE`]).
///
/// # Errors
/// As [`vm_assist`].
#[doc(alias = "VMASST_CMD_enable")]
pub fn enable(hc: &impl Hypercall, kind: VmAssistType) -> Result<()> {
    vm_assist(hc, VmAssistCmd::ENABLE, kind)
}

/// Disables the assist `kind` ([`vm_assist`] with
/// [`VmAssistCmd::DISABLE`]).
///
/// # Errors
/// As [`vm_assist`].
#[doc(alias = "VMASST_CMD_disable")]
pub fn disable(hc: &impl Hypercall, kind: VmAssistType) -> Result<()> {
    vm_assist(hc, VmAssistCmd::DISABLE, kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;

    #[test]
    fn cmd_then_type_in_registers() {
        let hc = Fake::new(0);
        disable(&hc, VmAssistType::M2P_STRICT).unwrap();
        let c = hc.last();
        assert_eq!((c.op, c.args), (21, [1, 32, 0, 0, 0]));
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_set_timer_op`: the vCPU's one-shot timer.
//!
//! When the timer fires Xen raises `VIRQ_TIMER` on the calling vCPU.

use xen_abi::xen::HypercallOp;

use crate::{Hypercall, Result};

/// Arms this vCPU's one-shot timer to fire at system time `deadline_ns` (ns
/// since boot, as in `vcpu_time_info.system_time`), replacing any earlier
/// deadline; 0 cancels it (`HYPERVISOR_set_timer_op`).
///
/// A deadline already in the past fires at once.
///
/// # Errors
/// Xen's errno (none in practice).
#[doc(alias = "HYPERVISOR_set_timer_op")]
pub fn set_timer_op(hc: &impl Hypercall, deadline_ns: u64) -> Result<()> {
    // SAFETY: set_timer_op takes one 64-bit value and touches no memory.
    let ret = unsafe { hc.hypercall5(HypercallOp::SET_TIMER_OP, [deadline_ns, 0, 0, 0, 0]) };
    crate::check(ret).map(drop)
}

/// Cancels this vCPU's one-shot timer ([`set_timer_op`] with 0).
///
/// # Errors
/// As [`set_timer_op`].
#[doc(alias = "HYPERVISOR_set_timer_op")]
pub fn cancel_timer(hc: &impl Hypercall) -> Result<()> {
    set_timer_op(hc, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;

    #[test]
    fn deadline_is_the_first_argument() {
        let hc = Fake::new(0);
        set_timer_op(&hc, 0x1_0000_0001).unwrap();
        let c = hc.last();
        assert_eq!((c.op, c.args), (15, [0x1_0000_0001, 0, 0, 0, 0]));
        assert!(c.buffers.is_empty());
    }
}

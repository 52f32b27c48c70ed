// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_callback_op`: the entry points Xen upcalls into (x86 PV).
//!
//! HVM and PVH guests take events through interrupts instead; Xen refuses
//! these calls from them.

use xen_abi::callback::{op, CallbackFlags, Register, Unregister};

use crate::{Hypercall, Result};

/// Registers `address` as the entry point of callback `kind` (one of
/// [`xen_abi::callback::kind`]) (`CALLBACKOP_register`).
///
/// # Errors
/// Xen's errno: `EINVAL` for an unknown `kind`, `ENOSYS` from a guest that
/// is not PV.
///
/// # Safety
/// `address` must be the guest-virtual address of code that handles the
/// callback as Xen's x86 PV ABI defines its entry (stack frame, registers,
/// return through `HYPERVISOR_iret`), and stay mapped and executable while
/// registered: Xen jumps there, at any time for the event and NMI
/// callbacks.
#[doc(alias = "CALLBACKOP_register")]
#[doc(alias = "HYPERVISOR_callback_op")]
pub unsafe fn register(
    hc: &impl Hypercall,
    kind: u16,
    flags: CallbackFlags,
    address: u64,
) -> Result<()> {
    let mut arg = Register::new(kind, flags, address);
    // SAFETY: the caller vouches for the code at `address`; the struct
    // itself is handed to Xen by `call_unchecked`.
    unsafe { crate::call_unchecked(hc, &mut arg) }.map(drop)
}

/// Unregisters callback `kind` (`CALLBACKOP_unregister`).
///
/// # Errors
/// Xen's errno: `EINVAL` for a callback that cannot be unregistered (Xen
/// allows it for the NMI callback only), `ENOSYS` from a guest that is not
/// PV.
#[doc(alias = "CALLBACKOP_unregister")]
pub fn unregister(hc: &impl Hypercall, kind: u16) -> Result<()> {
    let mut arg = Unregister { kind, _unused: 0 };
    crate::call(hc, &mut arg).map(drop)
}

crate::no_guest_memory!(Unregister => op::UNREGISTER);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;
    use xen_abi::callback::kind;

    #[test]
    fn register_struct_bytes() {
        let hc = Fake::new(0);
        // SAFETY: the fake never jumps anywhere.
        unsafe {
            register(
                &hc,
                kind::NMI,
                CallbackFlags::MASK_EVENTS,
                0xffff_8000_0000_1000,
            )
        }
        .unwrap();
        unregister(&hc, kind::NMI).unwrap();
        let calls = hc.calls();
        assert_eq!(calls[0].op, 30);
        assert_eq!(calls[0].args[..2], [0, calls[0].addrs[0]]);
        let mut want = [4, 0, 1, 0, 0, 0, 0, 0].to_vec();
        want.extend_from_slice(&0xffff_8000_0000_1000u64.to_ne_bytes());
        assert_eq!(calls[0].buffers[0], want);
        assert_eq!(calls[1].args[0], 1);
        assert_eq!(calls[1].buffers[0], [4, 0, 0, 0]);
    }
}

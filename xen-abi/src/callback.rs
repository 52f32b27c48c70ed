// SPDX-License-Identifier: MIT OR Apache-2.0
//! `callback.h`: registering the entry points Xen upcalls into (x86 PV).
//!
//! The hypercall is `callback_op(cmd, arg)`, with `cmd` one of [`op`] and
//! `arg` a [`Register`] or [`Unregister`].

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `CALLBACKOP_*`: the sub-operations of `HYPERVISOR_callback_op`.
pub mod op {
    /// Register a callback; the argument is a [`Register`](super::Register).
    #[doc(alias = "CALLBACKOP_register")]
    pub const REGISTER: u32 = 0;
    /// Unregister a callback; the argument is an
    /// [`Unregister`](super::Unregister). Not every callback type can be
    /// unregistered (Xen returns `-EINVAL` for those).
    #[doc(alias = "CALLBACKOP_unregister")]
    pub const UNREGISTER: u32 = 1;
}

/// `CALLBACKTYPE_*`: which callback a [`Register`] or [`Unregister`] names.
pub mod kind {
    /// x86: event delivery.
    #[doc(alias = "CALLBACKTYPE_event")]
    pub const EVENT: u16 = 0;
    /// x86: failsafe callback, when Xen cannot restore the guest's state.
    #[doc(alias = "CALLBACKTYPE_failsafe")]
    pub const FAILSAFE: u16 = 1;
    /// x86_64 hypervisor: `syscall` from a 64-bit guest application.
    #[doc(alias = "CALLBACKTYPE_syscall")]
    pub const SYSCALL: u16 = 2;
    /// x86_32 hypervisor with `supervisor_mode_kernel` only; do not use in
    /// new code.
    #[doc(alias = "CALLBACKTYPE_sysenter_deprecated")]
    pub const SYSENTER_DEPRECATED: u16 = 3;
    /// x86: NMI delivery.
    #[doc(alias = "CALLBACKTYPE_nmi")]
    pub const NMI: u16 = 4;
    /// x86: `sysenter` (32-bit guest applications on Intel CPUs on a 64-bit
    /// hypervisor).
    #[doc(alias = "CALLBACKTYPE_sysenter")]
    pub const SYSENTER: u16 = 5;
    /// x86_64 hypervisor: `syscall` from a 32-bit guest application on AMD
    /// CPUs.
    #[doc(alias = "CALLBACKTYPE_syscall32")]
    pub const SYSCALL32: u16 = 7;
}

/// `CALLBACKF_*`: flags of a [`Register`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct CallbackFlags(u16);

bitflags::bitflags! {
    impl CallbackFlags: u16 {
        /// Disable event delivery while the callback runs (ignored for the
        /// event and NMI callbacks, which always mask events).
        #[doc(alias = "CALLBACKF_mask_events")]
        const MASK_EVENTS = 1 << 0;
        const _ = !0;
    }
}

impl fmt::Debug for CallbackFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallbackFlags(")?;
        bitflags::parser::to_writer(self, &mut *f)?;
        f.write_str(")")
    }
}

/// Argument of `CALLBACKOP_register`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "callback_register")]
#[doc(alias = "callback_register_t")]
pub struct Register {
    /// The callback to register (one of [`kind`]).
    #[doc(alias = "type")]
    pub kind: u16,
    /// Options.
    pub flags: CallbackFlags,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Guest-virtual address of the entry point (`xen_callback_t`, 64 bits
    /// on both supported architectures).
    pub address: u64,
}
assert_layout!(Register, size = 16, align = 8, { kind: 0, flags: 2, address: 8 });

impl Register {
    /// A registration of `kind` at `address` with `flags`.
    pub const fn new(kind: u16, flags: CallbackFlags, address: u64) -> Self {
        Self {
            kind,
            flags,
            _pad0: [0; 4],
            address,
        }
    }
}

/// Argument of `CALLBACKOP_unregister`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "callback_unregister")]
#[doc(alias = "callback_unregister_t")]
pub struct Unregister {
    /// The callback to unregister (one of [`kind`]).
    #[doc(alias = "type")]
    pub kind: u16,
    /// Unused; zero.
    pub _unused: u16,
}
assert_layout!(Unregister, size = 4, align = 2, { kind: 0, _unused: 2 });

sub_op! {
    CALLBACK_OP:
    Register => REGISTER,
    Unregister => UNREGISTER,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn register_bytes_and_flags() {
        let r = Register::new(kind::EVENT, CallbackFlags::MASK_EVENTS, 0x1234);
        assert_eq!(&r.as_bytes()[..4], &[0, 0, 1, 0]);
        assert_eq!(format!("{:?}", r.flags), "CallbackFlags(MASK_EVENTS)");
        assert_eq!(
            format!("{:?}", CallbackFlags::from_bits_retain(3)),
            "CallbackFlags(MASK_EVENTS | 0x2)"
        );
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The one generic path for the sub-ops of multiplexing hypercalls:
//! `hypercall(CMD, &mut arg)` and `hypercall(CMD, args, count)`, with the
//! hypercall and command taken from the argument's
//! [`SubOp`](xen_abi::xen::SubOp) impl.

use xen_abi::xen::{HypercallOp, SubOp};
use zerocopy::IntoBytes;

use crate::{Hypercall, Result};

/// An argument with which command `CMD` touches no memory but the argument
/// itself, so [`call`] may issue it without the caller vouching for
/// anything.
///
/// # Safety
/// Implement it only when Xen, executing `CMD` with any value of the type,
/// reads and writes no memory besides the argument struct (which [`call`]
/// hands it), and maps, frees, replaces or keeps no page, frame, guest
/// address or mapping that the argument names. An argument carrying a
/// [`GuestHandle`](xen_abi::xen::GuestHandle), a frame number Xen maps or
/// takes, or a physical address Xen accesses does not qualify (its sub-op
/// goes through [`call_unchecked`] behind an `unsafe` wrapper).
pub unsafe trait NoGuestMemory<const CMD: u32>: SubOp<CMD> {}

/// Declares [`NoGuestMemory`] for argument structs, with the commands they
/// are harmless for: `no_guest_memory!(Close => op::CLOSE, ...)`.
macro_rules! no_guest_memory {
    ($($ty:ty => $($cmd:path)|+),* $(,)?) => {
        $($(
            // SAFETY: the listed commands read and write only the argument
            // struct, which names no memory, frame or mapping (checked
            // against the sub-op's definition in Xen's public header when
            // the line was added).
            unsafe impl $crate::NoGuestMemory<{ $cmd }> for $ty {}
        )+)*
    };
}
pub(crate) use no_guest_memory;

/// Issues `T::HYPERCALL(CMD, &mut arg)`: Xen reads and writes `arg` in
/// place (bounced through hypercall-safe memory by backends that need it).
/// Returns Xen's non-negative result.
///
/// `grant_table_op`, which always takes an array, gets `arg` as an array of
/// one (`grant_table_op(CMD, &mut arg, 1)`).
///
/// ```
/// # fn demo(hc: &impl xen_hypercall::Hypercall) -> xen_hypercall::Result<()> {
/// use xen_abi::event_channel::{EvtchnPort, SendEvent};
/// // EVTCHNOP_send, taken from the argument type.
/// xen_hypercall::call(hc, &mut SendEvent { port: EvtchnPort::new_unchecked(3) })?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// Xen's errno.
#[inline]
pub fn call<const CMD: u32, T: NoGuestMemory<CMD>>(
    hc: &impl Hypercall,
    arg: &mut T,
) -> Result<usize> {
    // SAFETY: `NoGuestMemory` promises that `CMD` touches only `arg`.
    unsafe { call_unchecked(hc, arg) }
}

/// [`call`] for an argument that may name memory, frames or mappings.
///
/// # Errors
/// Xen's errno.
///
/// # Safety
/// Everything `arg` names for command `CMD` (guest addresses, frames,
/// mappings) must be valid for Xen to use as the sub-op defines.
#[inline]
pub unsafe fn call_unchecked<const CMD: u32, T: SubOp<CMD>>(
    hc: &impl Hypercall,
    arg: &mut T,
) -> Result<usize> {
    if T::HYPERCALL.get() == HypercallOp::GRANT_TABLE_OP.get() {
        // SAFETY: forwarded from the caller.
        return unsafe { call_array(hc, core::slice::from_mut(arg)) };
    }
    let ret = hc.with_buffer(arg.as_mut_bytes(), |addr| {
        // SAFETY: `addr` is where Xen sees `arg` for this call; the caller
        // vouches for what `arg` names.
        unsafe { hc.hypercall2(T::HYPERCALL, u64::from(CMD), addr) }
    });
    crate::check(ret)
}

/// Issues `T::HYPERCALL(CMD, args, args.len())`, the batch form
/// `grant_table_op` takes.
///
/// # Errors
/// Xen's errno; per-element results are the sub-op's business.
///
/// # Safety
/// As [`call_unchecked`], for every element.
#[inline]
pub unsafe fn call_array<const CMD: u32, T: SubOp<CMD>>(
    hc: &impl Hypercall,
    args: &mut [T],
) -> Result<usize> {
    let count = args.len() as u64;
    let ret = hc.with_buffer(args.as_mut_bytes(), |addr| {
        // SAFETY: `addr` is where Xen sees the `count` elements; the caller
        // vouches for what they name.
        unsafe { hc.hypercall3(T::HYPERCALL, u64::from(CMD), addr, count) }
    });
    crate::check(ret)
}

/// Issues `op(cmd, NULL)` for a command that takes no argument.
///
/// # Safety
/// `cmd` must be a command of `op` that takes no argument, and what it does
/// must be the caller's to ask for.
#[inline]
pub(crate) unsafe fn call_null(hc: &impl Hypercall, op: HypercallOp, cmd: u32) -> Result<usize> {
    // SAFETY: forwarded from the caller; the null argument names nothing.
    crate::check(unsafe { hc.hypercall2(op, u64::from(cmd), 0) })
}

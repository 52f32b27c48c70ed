// SPDX-License-Identifier: MIT OR Apache-2.0
//! The backend trait.

use xen_abi::xen::HypercallOp;

/// A way to issue hypercalls.
///
/// # Safety
/// Implementors must issue hypercall `op` with exactly the given arguments
/// and return Xen's result unchanged, and [`Hypercall::with_buffer`] must
/// hand `f` an address at which Xen sees the buffer's current contents, and
/// copy back whatever Xen wrote there before returning.
pub unsafe trait Hypercall {
    /// Issues hypercall `op` with five register arguments (unused ones are
    /// ignored by Xen) and returns Xen's raw result.
    ///
    /// # Safety
    /// The arguments must be valid for the hypercall: any address in them must
    /// be one Xen may read or write as the hypercall defines, for its duration,
    /// and any frame or mapping they name must be the caller's to give.
    unsafe fn hypercall5(&self, op: HypercallOp, args: [u64; 5]) -> isize;

    /// Hypercall `op` with one argument. Backends override the short forms
    /// to leave unused argument registers alone (the wrappers then compile
    /// to exactly the hand-written call).
    ///
    /// # Safety
    /// As [`Hypercall::hypercall5`].
    #[inline]
    unsafe fn hypercall1(&self, op: HypercallOp, a0: u64) -> isize {
        // SAFETY: the caller upholds `hypercall5`'s contract.
        unsafe { self.hypercall5(op, [a0, 0, 0, 0, 0]) }
    }

    /// Hypercall `op` with two arguments.
    ///
    /// # Safety
    /// As [`Hypercall::hypercall5`].
    #[inline]
    unsafe fn hypercall2(&self, op: HypercallOp, a0: u64, a1: u64) -> isize {
        // SAFETY: the caller upholds `hypercall5`'s contract.
        unsafe { self.hypercall5(op, [a0, a1, 0, 0, 0]) }
    }

    /// Hypercall `op` with three arguments.
    ///
    /// # Safety
    /// As [`Hypercall::hypercall5`].
    #[inline]
    unsafe fn hypercall3(&self, op: HypercallOp, a0: u64, a1: u64, a2: u64) -> isize {
        // SAFETY: the caller upholds `hypercall5`'s contract.
        unsafe { self.hypercall5(op, [a0, a1, a2, 0, 0]) }
    }

    /// Calls `f` with the address at which Xen sees `buf`, for use as a
    /// hypercall argument inside `f`.
    ///
    /// In a guest kernel this is `buf`'s own address. Through privcmd the
    /// bytes are copied into hypercall-safe memory first and copied back after
    /// `f` returns. Nest calls for structures that point at other buffers.
    fn with_buffer<R>(&self, buf: &mut [u8], f: impl FnOnce(u64) -> R) -> R {
        f(buf.as_mut_ptr() as usize as u64)
    }
}

// SAFETY: forwards to the referenced backend.
unsafe impl<H: Hypercall> Hypercall for &H {
    unsafe fn hypercall5(&self, op: HypercallOp, args: [u64; 5]) -> isize {
        // SAFETY: the caller upholds the contract of `hypercall5`.
        unsafe { (**self).hypercall5(op, args) }
    }

    unsafe fn hypercall1(&self, op: HypercallOp, a0: u64) -> isize {
        // SAFETY: the caller upholds the contract.
        unsafe { (**self).hypercall1(op, a0) }
    }

    unsafe fn hypercall2(&self, op: HypercallOp, a0: u64, a1: u64) -> isize {
        // SAFETY: the caller upholds the contract.
        unsafe { (**self).hypercall2(op, a0, a1) }
    }

    unsafe fn hypercall3(&self, op: HypercallOp, a0: u64, a1: u64, a2: u64) -> isize {
        // SAFETY: the caller upholds the contract.
        unsafe { (**self).hypercall3(op, a0, a1, a2) }
    }

    fn with_buffer<R>(&self, buf: &mut [u8], f: impl FnOnce(u64) -> R) -> R {
        (**self).with_buffer(buf, f)
    }
}

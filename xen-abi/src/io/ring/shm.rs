// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`SharedMem`]: the one place of `xen-abi` that touches memory shared with
//! another domain (or thread).
//!
//! Every access is an atomic load or store of a word the caller names by
//! byte offset, bounds-checked against the region. Nothing here hands out a
//! reference into the region: values are copied in and out, so the peer can
//! never change a value after it was checked (the XSA-155 double-fetch class
//! of bugs cannot be written on top of this module).
//!
//! Relaxed atomic loads and stores compile to the same plain `mov`/`ldr`
//! instructions a C `volatile` access does, but unlike `volatile` they are
//! defined behaviour when the other end writes concurrently (as it does in
//! the two-thread tests, and as a hostile peer may at any time).
//!
//! Under `cfg(loom)` the region is an array of `loom` 32-bit atomics instead,
//! so the loom model checker sees (and permutes) every shared access.

// The fenced exception to the crate's `deny(unsafe_code)`: the raw region
// accessors below are the only unsafe code in xen-abi.
#![allow(unsafe_code)]

use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::ptr::NonNull;

#[cfg(not(loom))]
use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, AtomicU8};
#[cfg(loom)]
use loom::sync::atomic::AtomicU32;

#[cfg(not(any(loom, target_arch = "x86_64")))]
use core::sync::atomic::fence;
#[cfg(not(loom))]
pub(crate) use core::sync::atomic::Ordering;
#[cfg(loom)]
use loom::sync::atomic::fence;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::Ordering;

use super::SHARED_MEM_ALIGN;
use crate::{Error, Result};

/// A region of memory shared with a peer (another domain, or another thread),
/// accessed only through atomic word copies.
///
/// This is the handle the rings of this crate are built over: a grant-mapped
/// page, a page the guest granted away, or plain memory in tests. It never
/// gives out a reference into the region.
pub struct SharedMem<'a> {
    ptr: NonNull<u8>,
    len: usize,
    _region: PhantomData<&'a UnsafeCell<[u8]>>,
}

// SAFETY: the region is only accessed through atomics (see `new`'s contract),
// so handles may move to and be used from any thread.
unsafe impl Send for SharedMem<'_> {}
// SAFETY: as above: every access through `&SharedMem` is atomic.
unsafe impl Sync for SharedMem<'_> {}

impl fmt::Debug for SharedMem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedMem")
            .field("ptr", &self.ptr)
            .field("len", &self.len)
            .finish()
    }
}

impl<'a> SharedMem<'a> {
    /// Wraps `len` bytes of shared memory at `ptr`.
    ///
    /// Several handles may cover the same memory (a frontend and a backend
    /// in one address space, or the two halves of a test).
    ///
    /// # Errors
    ///
    /// [`Error::Misaligned`] if `ptr` is not [`SHARED_MEM_ALIGN`]-aligned.
    ///
    /// # Safety
    ///
    /// For the lifetime `'a`, the `len` bytes at `ptr` must stay mapped,
    /// readable and writable, and every access to them from this address
    /// space must be atomic (through a `SharedMem`, or Rust atomics of the
    /// same widths). Writes from another domain (or a device) may happen at
    /// any time; the handle tolerates any values there. Under `cfg(loom)`,
    /// the region must instead be an array of `len / 4` loom `AtomicU32`s.
    pub unsafe fn new(ptr: NonNull<u8>, len: usize) -> Result<Self> {
        let addr = ptr.as_ptr() as usize;
        if cfg!(not(loom)) && addr % SHARED_MEM_ALIGN != 0 {
            return Err(Error::Misaligned {
                align: SHARED_MEM_ALIGN,
                addr,
            });
        }
        Ok(Self {
            ptr,
            len,
            _region: PhantomData,
        })
    }

    /// Wraps memory this thread owns exclusively for `'a` (single-threaded
    /// use: a page filled by a fuzzer, a ring a test drives from both ends
    /// in turn through a second handle is not possible this way).
    ///
    /// # Errors
    ///
    /// [`Error::Misaligned`] if `bytes` is not [`SHARED_MEM_ALIGN`]-aligned.
    #[cfg(not(loom))]
    pub fn from_mut(bytes: &'a mut [u8]) -> Result<Self> {
        let len = bytes.len();
        // SAFETY: the exclusive borrow makes this handle the only way to
        // reach the bytes for 'a, and the handle only accesses them
        // atomically; a `&mut [u8]` is valid, readable and writable.
        unsafe { Self::new(NonNull::from(bytes).cast(), len) }
    }

    /// The region's length in bytes.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the region is empty.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Panics unless `[off, off + n)` lies in the region and `off` is a
    /// multiple of `align`: callers compute offsets from masked indices, so
    /// this never fires on peer input (it is the last line of defence).
    #[inline(always)]
    fn check(&self, off: usize, n: usize, align: usize) {
        assert!(
            off % align == 0 && n <= self.len && off <= self.len - n,
            "shared-memory access out of bounds"
        );
    }

    /// The atomic at byte offset `off` (checked).
    #[cfg(not(loom))]
    #[inline(always)]
    fn atomic<A>(&self, off: usize) -> &A {
        self.check(off, core::mem::size_of::<A>(), core::mem::align_of::<A>());
        // SAFETY: in bounds and aligned (checked above; the base is
        // SHARED_MEM_ALIGN-aligned and A is at most 8 bytes), and the region
        // is only ever accessed atomically (`new`'s contract), so viewing it
        // as an atomic is sound. The reference is private to this module.
        unsafe { &*self.ptr.as_ptr().add(off).cast::<A>() }
    }

    /// The loom word containing byte offset `off` (checked).
    #[cfg(loom)]
    #[inline(always)]
    fn word(&self, off: usize) -> &AtomicU32 {
        let off = off & !3;
        self.check(off, 4, 4);
        // SAFETY: under loom the region is an array of `len / 4` AtomicU32
        // (`new`'s contract), and `off / 4` is a checked index into it.
        unsafe { &*self.ptr.as_ptr().cast::<AtomicU32>().add(off / 4) }
    }

    /// Loads the `u32` at byte offset `off` (4-aligned).
    #[inline(always)]
    pub(crate) fn load_u32(&self, off: usize, order: Ordering) -> u32 {
        #[cfg(not(loom))]
        return self.atomic::<AtomicU32>(off).load(order);
        #[cfg(loom)]
        return self.word(off).load(order);
    }

    /// Stores a `u32` at byte offset `off` (4-aligned).
    #[inline(always)]
    pub(crate) fn store_u32(&self, off: usize, v: u32, order: Ordering) {
        #[cfg(not(loom))]
        self.atomic::<AtomicU32>(off).store(v, order);
        #[cfg(loom)]
        self.word(off).store(v, order);
    }

    /// Copies bytes `[off, off + dst.len())` out of the region with relaxed
    /// atomic loads of the widest word `off` and the length allow.
    #[inline(always)]
    pub(crate) fn copy_out(&self, off: usize, dst: &mut [u8]) {
        match (off | dst.len()) % 8 {
            0 => self.copy_out_words::<8>(off, dst),
            4 => self.copy_out_words::<4>(off, dst),
            2 | 6 => self.copy_out_words::<2>(off, dst),
            _ => self.copy_out_words::<1>(off, dst),
        }
    }

    /// Copies `src` into bytes `[off, off + src.len())` of the region with
    /// relaxed atomic stores of the widest word `off` and the length allow.
    #[inline(always)]
    pub(crate) fn copy_in(&self, off: usize, src: &[u8]) {
        match (off | src.len()) % 8 {
            0 => self.copy_in_words::<8>(off, src),
            4 => self.copy_in_words::<4>(off, src),
            2 | 6 => self.copy_in_words::<2>(off, src),
            _ => self.copy_in_words::<1>(off, src),
        }
    }

    /// [`copy_out`](Self::copy_out) with `W`-byte words: `off` and
    /// `dst.len()` must be multiples of `W` (1, 2, 4 or 8; checked).
    #[inline(always)]
    pub(crate) fn copy_out_words<const W: usize>(&self, off: usize, dst: &mut [u8]) {
        self.check(off, dst.len(), W);
        assert!(dst.len() % W == 0, "partial word");
        #[cfg(not(loom))]
        for (i, chunk) in dst.chunks_exact_mut(W).enumerate() {
            // SAFETY: `check` proved [off, off + len) in bounds and `off`
            // W-aligned (the base is 8-aligned), so each W-byte word is an
            // in-bounds, aligned atomic of the region, which is only ever
            // accessed atomically (`new`'s contract).
            unsafe {
                let p = self.ptr.as_ptr().add(off + i * W);
                match W {
                    8 => chunk.copy_from_slice(
                        &(*p.cast::<AtomicU64>())
                            .load(Ordering::Relaxed)
                            .to_ne_bytes(),
                    ),
                    4 => chunk.copy_from_slice(
                        &(*p.cast::<AtomicU32>())
                            .load(Ordering::Relaxed)
                            .to_ne_bytes(),
                    ),
                    2 => chunk.copy_from_slice(
                        &(*p.cast::<AtomicU16>())
                            .load(Ordering::Relaxed)
                            .to_ne_bytes(),
                    ),
                    _ => chunk[0] = (*p.cast::<AtomicU8>()).load(Ordering::Relaxed),
                }
            }
        }
        #[cfg(loom)]
        for (i, b) in dst.iter_mut().enumerate() {
            let o = off + i;
            let w = self.word(o).load(Ordering::Relaxed);
            *b = w.to_ne_bytes()[o & 3];
        }
    }

    /// [`copy_in`](Self::copy_in) with `W`-byte words: `off` and
    /// `src.len()` must be multiples of `W` (1, 2, 4 or 8; checked).
    #[inline(always)]
    pub(crate) fn copy_in_words<const W: usize>(&self, off: usize, src: &[u8]) {
        self.check(off, src.len(), W);
        assert!(src.len() % W == 0, "partial word");
        #[cfg(not(loom))]
        for (i, c) in src.chunks_exact(W).enumerate() {
            // SAFETY: as in `copy_out_words`: an in-bounds, W-aligned word
            // of a region only ever accessed atomically.
            unsafe {
                let p = self.ptr.as_ptr().add(off + i * W);
                match W {
                    8 => (*p.cast::<AtomicU64>()).store(
                        u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
                        Ordering::Relaxed,
                    ),
                    4 => (*p.cast::<AtomicU32>()).store(
                        u32::from_ne_bytes([c[0], c[1], c[2], c[3]]),
                        Ordering::Relaxed,
                    ),
                    2 => (*p.cast::<AtomicU16>())
                        .store(u16::from_ne_bytes([c[0], c[1]]), Ordering::Relaxed),
                    _ => (*p.cast::<AtomicU8>()).store(c[0], Ordering::Relaxed),
                }
            }
        }
        #[cfg(loom)]
        for (i, b) in src.iter().enumerate() {
            let o = off + i;
            let shift = 8 * (o & 3) as u32;
            let (clear, set) = if cfg!(target_endian = "little") {
                (!(0xffu32 << shift), u32::from(*b) << shift)
            } else {
                (!(0xff00_0000u32 >> shift), u32::from(*b) << (24 - shift))
            };
            let w = self.word(o);
            w.fetch_and(clear, Ordering::Relaxed);
            w.fetch_or(set, Ordering::Relaxed);
        }
    }
}

/// A full memory barrier (`xen_mb()`/`virt_mb()`): orders this end's earlier
/// stores before its later loads.
#[inline(always)]
pub(crate) fn full_fence() {
    #[cfg(all(target_arch = "x86_64", not(loom)))]
    // SAFETY: a locked read-modify-write of zero into the word at the stack
    // pointer changes nothing, and is a full memory barrier on x86 (what
    // Linux's and gcc's `mb` use: cheaper than `mfence`, which also orders
    // non-temporal and device accesses that rings never make). The asm block
    // is not `nomem`, so the compiler keeps memory accesses on their side of
    // it too.
    unsafe {
        core::arch::asm!("lock or qword ptr [rsp], 0");
    }
    #[cfg(not(all(target_arch = "x86_64", not(loom))))]
    fence(Ordering::SeqCst);
}

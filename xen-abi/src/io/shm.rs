// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`SharedMem`]: the one door of `xen-abi` (and of every crate above it) to
//! memory shared with another domain, with Xen, or with another thread.
//!
//! Every access is an atomic load, store or read-modify-write of a word the
//! caller names by byte offset, bounds- and alignment-checked against the
//! region (a typed [`Error`], never a fault). Nothing here hands out a
//! reference into the region: values are copied in and out, so the peer can
//! never change a value after it was checked (the XSA-155 double-fetch class
//! of bugs cannot be written on top of this module).
//!
//! | what | methods |
//! |---|---|
//! | one word | `load_u8`/`u16`/`u32`/`u64`, `store_*` |
//! | read-modify-write | `fetch_or_*`, `fetch_and_*`, `compare_exchange_*` (event bitmaps, grant flags) |
//! | bytes | [`copy_out`](SharedMem::copy_out), [`copy_in`](SharedMem::copy_in), [`fill`](SharedMem::fill) |
//! | whole values, copied once | [`read`](SharedMem::read), [`write`](SharedMem::write) |
//! | regions | [`sub`](SharedMem::sub), [`read_only`](SharedMem::read_only) |
//!
//! A handle is [`ReadWrite`] or [`ReadOnly`] (a page Xen or the peer shares
//! read-only): only read-write handles have the methods that write.
//!
//! Relaxed atomic loads and stores compile to the same plain `mov`/`ldr`
//! instructions a C `volatile` access does, but unlike `volatile` they are
//! defined behaviour when the other end writes concurrently (as it does in
//! the two-thread tests, and as a hostile peer may at any time).
//!
//! Under `cfg(xen_abi_loom)` (set only for this crate's own loom model
//! tests) the region is an array of `loom` 32-bit atomics instead, so the
//! loom model checker sees (and permutes) every shared access. Loom
//! models 32-bit words only: the 8- and 16-bit accessors work on the word that
//! holds them (stores and compare-exchange as a compare-exchange loop on that
//! word), and the 64-bit accessors do not exist under loom.
//!
//! ```
//! use core::sync::atomic::Ordering;
//! use xen_abi::io::shm::SharedMem;
//! # fn main() -> Result<(), xen_abi::Error> {
//! let mut page = [0u64; 8]; // 64 bytes, 8-aligned
//! let mem = SharedMem::from_mut(page.as_mut_bytes())?;
//! # use zerocopy::IntoBytes;
//! // An event bitmap: set bit 5 of word 1, then test-and-clear it.
//! mem.fetch_or_u64(8, 1 << 5, Ordering::SeqCst)?;
//! let old = mem.fetch_and_u64(8, !(1 << 5), Ordering::SeqCst)?;
//! assert_eq!(old & (1 << 5), 1 << 5);
//! // Grant-entry style: fields first, flags last with release ordering.
//! mem.store_u32(20, 0x1234, Ordering::Relaxed)?;
//! mem.store_u16(16, 1, Ordering::Release)?;
//! assert_eq!(mem.read::<[u16; 2]>(16)?, [1, 0]);
//! // Peer-controlled offsets are checked, never trusted.
//! assert!(mem.load_u32(64, Ordering::Relaxed).is_err());
//! assert!(mem.load_u32(2, Ordering::Relaxed).is_err());
//! # Ok(()) }
//! ```

// The fenced exception to the crate's `deny(unsafe_code)`: the raw region
// accessors below are the only unsafe code in xen-abi.
#![allow(unsafe_code)]

use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::ptr::NonNull;

#[cfg(not(xen_abi_loom))]
use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, AtomicU8};
#[cfg(xen_abi_loom)]
use loom::sync::atomic::AtomicU32;

#[cfg(all(not(xen_abi_loom), any(miri, not(target_arch = "x86_64"))))]
use core::sync::atomic::fence;
/// Memory orderings of the accessors (`core`'s; loom uses the same type).
pub use core::sync::atomic::Ordering;
#[cfg(xen_abi_loom)]
use loom::sync::atomic::fence;

use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::{Error, Result};

/// The alignment [`SharedMem`] requires of its region (shared pages are
/// page-aligned, so this only rejects mistakes).
pub const SHARED_MEM_ALIGN: usize = 8;

mod sealed {
    pub trait Sealed {}
}

/// Whether a [`SharedMem`] may write: [`ReadWrite`] or [`ReadOnly`].
pub trait Mode: sealed::Sealed {}

/// Marker: the handle may load and store (the default).
#[derive(Debug)]
pub enum ReadWrite {}
/// Marker: the handle may only load (memory mapped read-only).
#[derive(Debug)]
pub enum ReadOnly {}

impl sealed::Sealed for ReadWrite {}
impl sealed::Sealed for ReadOnly {}
impl Mode for ReadWrite {}
impl Mode for ReadOnly {}

/// A region of memory shared with a peer (another domain, Xen, or another
/// thread), accessed only through atomic word copies.
///
/// This is the handle the rings of this crate are built over, and the one
/// every other piece of shared memory (shared_info's event bitmaps, FIFO
/// control blocks, grant entries, foreign mappings) is reached through: a
/// grant-mapped page, a page the guest granted away, or plain memory in
/// tests. It never gives out a reference into the region. Several handles
/// may cover the same memory; a handle is `Copy`, like the shared reference
/// it stands for.
///
/// `M` is [`ReadWrite`] (the default) or [`ReadOnly`].
pub struct SharedMem<'a, M: Mode = ReadWrite> {
    ptr: NonNull<u8>,
    len: usize,
    _region: PhantomData<&'a UnsafeCell<[u8]>>,
    _mode: PhantomData<fn() -> M>,
}

// A handle is a shared view, like `&[AtomicU8]`: copies are more handles.
impl<M: Mode> Clone for SharedMem<'_, M> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M: Mode> Copy for SharedMem<'_, M> {}

// SAFETY: the region is only accessed through atomics (see `new`'s contract),
// so handles may move to and be used from any thread.
unsafe impl<M: Mode> Send for SharedMem<'_, M> {}
// SAFETY: as above: every access through `&SharedMem` is atomic.
unsafe impl<M: Mode> Sync for SharedMem<'_, M> {}

impl<M: Mode> fmt::Debug for SharedMem<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedMem")
            .field("ptr", &self.ptr)
            .field("len", &self.len)
            .field("mode", &core::any::type_name::<M>())
            .finish()
    }
}

fn aligned(ptr: NonNull<u8>) -> Result<()> {
    let addr = ptr.as_ptr() as usize;
    if cfg!(not(xen_abi_loom)) && addr % SHARED_MEM_ALIGN != 0 {
        return Err(Error::Misaligned {
            align: SHARED_MEM_ALIGN,
            addr,
        });
    }
    Ok(())
}

impl<'a> SharedMem<'a, ReadWrite> {
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
    /// space must be atomic (through a `SharedMem`, or Rust atomics). Writes
    /// from another domain (or a device) may happen at any time; the handle
    /// tolerates any values there. Under `cfg(xen_abi_loom)`, the region must
    /// instead be an array of `len / 4` loom `AtomicU32`s.
    pub unsafe fn new(ptr: NonNull<u8>, len: usize) -> Result<Self> {
        aligned(ptr)?;
        Ok(Self {
            ptr,
            len,
            _region: PhantomData,
            _mode: PhantomData,
        })
    }

    /// Wraps memory this thread owns exclusively for `'a` (single-threaded
    /// use: a page filled by a fuzzer, a test of a parser).
    ///
    /// # Errors
    ///
    /// [`Error::Misaligned`] if `bytes` is not [`SHARED_MEM_ALIGN`]-aligned.
    #[cfg(not(xen_abi_loom))]
    pub fn from_mut(bytes: &'a mut [u8]) -> Result<Self> {
        let len = bytes.len();
        // SAFETY: the exclusive borrow makes the handles made from this one
        // the only way to reach the bytes for 'a, and they only access them
        // atomically; a `&mut [u8]` is valid, readable and writable.
        unsafe { Self::new(NonNull::from(bytes).cast(), len) }
    }
}

impl<'a> SharedMem<'a, ReadOnly> {
    /// Wraps `len` bytes of shared memory at `ptr` that this address space
    /// may only read (a page mapped read-only).
    ///
    /// # Errors
    ///
    /// [`Error::Misaligned`] if `ptr` is not [`SHARED_MEM_ALIGN`]-aligned.
    ///
    /// # Safety
    ///
    /// As [`SharedMem::new`], except that the memory need only be readable.
    pub unsafe fn new_read_only(ptr: NonNull<u8>, len: usize) -> Result<Self> {
        aligned(ptr)?;
        Ok(Self {
            ptr,
            len,
            _region: PhantomData,
            _mode: PhantomData,
        })
    }
}

impl<'a, M: Mode> SharedMem<'a, M> {
    /// The region's length in bytes.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the region is empty.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The address of the region's first byte (for hypercalls and logs;
    /// never dereference it).
    pub fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// A handle on bytes `[off, off + len)` of this region, which must start
    /// at a multiple of [`SHARED_MEM_ALIGN`] (offsets in the new handle
    /// count from there).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`] if the range leaves the region,
    /// [`Error::MisalignedOffset`] if `off` is not
    /// [`SHARED_MEM_ALIGN`]-aligned.
    pub fn sub(&self, off: usize, len: usize) -> Result<SharedMem<'a, M>> {
        self.checked(off, len, SHARED_MEM_ALIGN)?;
        Ok(SharedMem {
            // SAFETY: `checked` proved `off <= self.len`, so the result lies
            // in (or one past) the region; it is non-null as part of it.
            ptr: unsafe { NonNull::new_unchecked(self.ptr.as_ptr().add(off)) },
            len,
            _region: PhantomData,
            _mode: PhantomData,
        })
    }

    /// A read-only handle on the same region.
    pub fn read_only(&self) -> SharedMem<'a, ReadOnly> {
        SharedMem {
            ptr: self.ptr,
            len: self.len,
            _region: PhantomData,
            _mode: PhantomData,
        }
    }

    /// Checks that `[off, off + n)` lies in the region and `off` is a
    /// multiple of `align`.
    #[inline(always)]
    fn checked(&self, off: usize, n: usize, align: usize) -> Result<()> {
        if n > self.len || off > self.len - n {
            return Err(Error::OutOfBounds {
                offset: off,
                len: n,
                size: self.len,
            });
        }
        if off % align != 0 {
            return Err(Error::MisalignedOffset { offset: off, align });
        }
        Ok(())
    }

    /// Panics unless `[off, off + n)` lies in the region and `off` is a
    /// multiple of `align`: the rings compute offsets from masked indices,
    /// so this never fires on peer input (it is the last line of defence).
    #[inline(always)]
    fn check(&self, off: usize, n: usize, align: usize) {
        assert!(
            off % align == 0 && n <= self.len && off <= self.len - n,
            "shared-memory access out of bounds"
        );
    }

    /// The atomic at byte offset `off` (checked: panics).
    #[cfg(not(xen_abi_loom))]
    #[inline(always)]
    fn atomic<A>(&self, off: usize) -> &A {
        self.check(off, core::mem::size_of::<A>(), core::mem::align_of::<A>());
        // SAFETY: checked just above.
        unsafe { self.atomic_unchecked(off) }
    }

    /// The atomic at byte offset `off` (checked: an error).
    #[cfg(not(xen_abi_loom))]
    #[inline(always)]
    fn atomic_at<A>(&self, off: usize) -> Result<&A> {
        self.checked(off, core::mem::size_of::<A>(), core::mem::align_of::<A>())?;
        // SAFETY: checked just above.
        Ok(unsafe { self.atomic_unchecked(off) })
    }

    /// # Safety
    ///
    /// `[off, off + size_of::<A>())` must lie in the region, and `off` be a
    /// multiple of `align_of::<A>()`, which must be at most 8.
    #[cfg(not(xen_abi_loom))]
    #[inline(always)]
    unsafe fn atomic_unchecked<A>(&self, off: usize) -> &A {
        // SAFETY: in bounds and aligned (the caller's promise; the base is
        // SHARED_MEM_ALIGN-aligned and A is at most 8 bytes), and the region
        // is only ever accessed atomically (`new`'s contract), so viewing it
        // as an atomic is sound. The reference is private to this module.
        // A read-only handle only ever loads through it.
        unsafe { &*self.ptr.as_ptr().add(off).cast::<A>() }
    }

    /// The loom word containing byte offset `off` (checked: panics).
    #[cfg(xen_abi_loom)]
    #[inline(always)]
    fn word(&self, off: usize) -> &AtomicU32 {
        let off = off & !3;
        self.check(off, 4, 4);
        // SAFETY: under loom the region is an array of `len / 4` AtomicU32
        // (`new`'s contract), and `off / 4` is a checked index into it.
        unsafe { &*self.ptr.as_ptr().cast::<AtomicU32>().add(off / 4) }
    }

    /// The `n`-byte field at `off` (checked: an error) within its loom word.
    #[cfg(xen_abi_loom)]
    fn field(&self, off: usize, n: usize) -> Result<Field<'_>> {
        self.checked(off, n, n)?;
        let shift = if cfg!(target_endian = "little") {
            8 * (off & 3)
        } else {
            8 * (4 - (off & 3) - n)
        } as u32;
        let mask = if n == 4 { !0 } else { (1u32 << (8 * n)) - 1 };
        Ok(Field {
            word: self.word(off),
            shift,
            mask,
        })
    }

    /// Loads the `u32` at byte offset `off` (4-aligned; panics otherwise):
    /// the rings' path, for offsets they computed themselves.
    #[inline(always)]
    pub(crate) fn load32(&self, off: usize, order: Ordering) -> u32 {
        #[cfg(not(xen_abi_loom))]
        return self.atomic::<AtomicU32>(off).load(order);
        #[cfg(xen_abi_loom)]
        return self.word(off).load(order);
    }

    /// Copies bytes `[off, off + dst.len())` out of the region with relaxed
    /// atomic loads of the widest word `off` and the length allow (panics
    /// when out of bounds: the rings' path).
    #[inline(always)]
    pub(crate) fn copy_out_masked(&self, off: usize, dst: &mut [u8]) {
        match (off | dst.len()) % 8 {
            0 => self.copy_out_words::<8>(off, dst),
            4 => self.copy_out_words::<4>(off, dst),
            2 | 6 => self.copy_out_words::<2>(off, dst),
            _ => self.copy_out_words::<1>(off, dst),
        }
    }

    /// [`copy_out_masked`](Self::copy_out_masked) with `W`-byte words: `off`
    /// and `dst.len()` must be multiples of `W` (1, 2, 4 or 8; checked).
    #[inline(always)]
    pub(crate) fn copy_out_words<const W: usize>(&self, off: usize, dst: &mut [u8]) {
        self.check(off, dst.len(), W);
        assert!(dst.len() % W == 0, "partial word");
        // SAFETY: checked just above.
        unsafe { self.copy_out_words_unchecked::<W>(off, dst) }
    }

    /// [`copy_out_words`](Self::copy_out_words) without its checks: the
    /// core of it and of [`Slots`], which checks once for all its slots.
    ///
    /// # Safety
    ///
    /// `[off, off + dst.len())` must lie in the region, and `off` and
    /// `dst.len()` be multiples of `W`, which is 1, 2, 4 or 8.
    #[inline(always)]
    unsafe fn copy_out_words_unchecked<const W: usize>(&self, off: usize, dst: &mut [u8]) {
        #[cfg(not(xen_abi_loom))]
        for (i, chunk) in dst.chunks_exact_mut(W).enumerate() {
            // SAFETY: [off, off + len) is in bounds and `off` W-aligned (the
            // caller's promise; the base is 8-aligned), so each W-byte word
            // is an in-bounds, aligned atomic of the region, which is only
            // ever accessed atomically (`new`'s contract).
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
        #[cfg(xen_abi_loom)]
        for (i, b) in dst.iter_mut().enumerate() {
            let o = off + i;
            let w = self.word(o).load(Ordering::Relaxed);
            *b = w.to_ne_bytes()[o & 3];
        }
    }

    /// Copies bytes `[off, off + dst.len())` out of the region (relaxed
    /// atomic loads of the widest words `off` and the length allow; no
    /// alignment needed).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`] if the range leaves the region.
    #[inline]
    pub fn copy_out(&self, off: usize, dst: &mut [u8]) -> Result<()> {
        self.checked(off, dst.len(), 1)?;
        self.copy_out_masked(off, dst);
        Ok(())
    }

    /// Copies a `T` out of bytes `[off, off + size_of::<T>())`, once: the
    /// value cannot change after it is returned, whatever the peer does
    /// (no alignment needed).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`] if the value does not fit in the region.
    #[inline]
    pub fn read<T: FromBytes + IntoBytes>(&self, off: usize) -> Result<T> {
        let mut v = T::new_zeroed();
        self.copy_out(off, v.as_mut_bytes())?;
        Ok(v)
    }
}

impl SharedMem<'_, ReadWrite> {
    /// Stores a `u32` at byte offset `off` (4-aligned; panics otherwise):
    /// the rings' path.
    #[inline(always)]
    pub(crate) fn store32(&self, off: usize, v: u32, order: Ordering) {
        #[cfg(not(xen_abi_loom))]
        self.atomic::<AtomicU32>(off).store(v, order);
        #[cfg(xen_abi_loom)]
        self.word(off).store(v, order);
    }

    /// Copies `src` into bytes `[off, off + src.len())` of the region with
    /// relaxed atomic stores of the widest word `off` and the length allow
    /// (panics when out of bounds: the rings' path).
    #[inline(always)]
    pub(crate) fn copy_in_masked(&self, off: usize, src: &[u8]) {
        match (off | src.len()) % 8 {
            0 => self.copy_in_words::<8>(off, src),
            4 => self.copy_in_words::<4>(off, src),
            2 | 6 => self.copy_in_words::<2>(off, src),
            _ => self.copy_in_words::<1>(off, src),
        }
    }

    /// [`copy_in_masked`](Self::copy_in_masked) with `W`-byte words: `off`
    /// and `src.len()` must be multiples of `W` (1, 2, 4 or 8; checked).
    #[inline(always)]
    pub(crate) fn copy_in_words<const W: usize>(&self, off: usize, src: &[u8]) {
        self.check(off, src.len(), W);
        assert!(src.len() % W == 0, "partial word");
        // SAFETY: checked just above.
        unsafe { self.copy_in_words_unchecked::<W>(off, src) }
    }

    /// [`copy_in_words`](Self::copy_in_words) without its checks (see
    /// [`copy_out_words_unchecked`](Self::copy_out_words_unchecked)).
    ///
    /// # Safety
    ///
    /// `[off, off + src.len())` must lie in the region, and `off` and
    /// `src.len()` be multiples of `W`, which is 1, 2, 4 or 8.
    #[inline(always)]
    unsafe fn copy_in_words_unchecked<const W: usize>(&self, off: usize, src: &[u8]) {
        #[cfg(not(xen_abi_loom))]
        for (i, c) in src.chunks_exact(W).enumerate() {
            // SAFETY: as in `copy_out_words_unchecked`: an in-bounds,
            // W-aligned word of a writable region only ever accessed
            // atomically.
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
        #[cfg(xen_abi_loom)]
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

    /// Copies `src` into bytes `[off, off + src.len())` of the region
    /// (relaxed atomic stores of the widest words `off` and the length
    /// allow; no alignment needed). Order it against a later flag or index
    /// with a `Release` store of that flag.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`] if the range leaves the region.
    #[inline]
    pub fn copy_in(&self, off: usize, src: &[u8]) -> Result<()> {
        self.checked(off, src.len(), 1)?;
        self.copy_in_masked(off, src);
        Ok(())
    }

    /// Copies `v` into bytes `[off, off + size_of::<T>())` (no alignment
    /// needed; relaxed stores, as [`copy_in`](Self::copy_in)).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`] if the value does not fit in the region.
    #[inline]
    pub fn write<T: IntoBytes + Immutable>(&self, off: usize, v: &T) -> Result<()> {
        self.copy_in(off, v.as_bytes())
    }

    /// Sets bytes `[off, off + len)` to `byte` (relaxed stores).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`] if the range leaves the region.
    pub fn fill(&self, off: usize, len: usize, byte: u8) -> Result<()> {
        self.checked(off, len, 1)?;
        let chunk = [byte; 64];
        let mut at = off;
        let end = off + len;
        while at < end {
            let n = (end - at).min(chunk.len());
            self.copy_in_masked(at, &chunk[..n]);
            at += n;
        }
        Ok(())
    }
}

/// An array of `count` slots from byte `base` of a [`SharedMem`] region,
/// bounds-checked once when it is made ([`Slots::new`]) instead of at every
/// access: the rings' slot arrays.
///
/// An access names a slot by a free-running index, which is reduced modulo
/// `count` (a power of two) by a mask, and gives the slot stride, which
/// must not exceed the widest stride at which all `count` slots fit (a
/// comparison of two values that do not depend on the index, so the
/// compiler can hoist it out of a loop). Then `base + (idx & (count - 1))
/// * stride + n <= base + count * stride <= len` for any index: the slot is
/// in bounds by construction, whatever index a peer made us compute.
/// Values are still copied in or out whole, once, with relaxed atomic
/// words, as by [`SharedMem::read`] and [`SharedMem::write`].
#[derive(Clone, Copy)]
pub(crate) struct Slots<'a> {
    mem: SharedMem<'a>,
    /// Offset of slot 0 ([`SHARED_MEM_ALIGN`]-aligned).
    base: usize,
    /// `count - 1`.
    mask: u32,
    /// `(len - base) / count`: the widest stride at which all slots fit.
    max_stride: usize,
}

impl<'a> Slots<'a> {
    /// `count` slots from byte `base` of `mem`.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`] if `base` is beyond the region,
    /// [`Error::MisalignedOffset`] if it is not [`SHARED_MEM_ALIGN`]-aligned.
    ///
    /// # Panics
    ///
    /// If `count` is not a power of two (the rings' sizes always are).
    pub(crate) fn new(mem: SharedMem<'a>, base: usize, count: u32) -> Result<Self> {
        assert!(count.is_power_of_two(), "slot count {count}");
        mem.checked(base, 0, SHARED_MEM_ALIGN)?;
        Ok(Self {
            mem,
            base,
            mask: count - 1,
            max_stride: (mem.len - base) / count as usize,
        })
    }

    /// The offset of `n` bytes at the start of slot `idx` of `stride`
    /// bytes, read or written in `W`-byte words. Panics when `stride` is
    /// wider than the slots fit, or `n` or `W` do not fit the stride: the
    /// callers' constants make all but the first check fold away.
    #[inline(always)]
    fn offset<const W: usize>(&self, idx: u32, stride: usize, n: usize) -> usize {
        const { assert!(W == 1 || W == 2 || W == 4 || W == 8) };
        assert!(
            stride <= self.max_stride && n <= stride && stride % W == 0 && n % W == 0,
            "slot access of {n} bytes at stride {stride}"
        );
        self.base + (idx & self.mask) as usize * stride
    }

    /// The word width for copying a `T` at a `T`-aligned offset.
    const fn width<T>() -> usize {
        let a = core::mem::align_of::<T>();
        if a > 8 {
            8
        } else {
            a
        }
    }

    /// Copies a `T` out of the start of slot `idx` (slots `stride` bytes
    /// apart, a multiple of `T`'s alignment), once.
    #[inline(always)]
    pub(crate) fn read<T: FromBytes + IntoBytes>(&self, idx: u32, stride: usize) -> T {
        let mut v = T::new_zeroed();
        let dst = v.as_mut_bytes();
        match Self::width::<T>() {
            1 => self.copy_out::<1>(idx, stride, dst),
            2 => self.copy_out::<2>(idx, stride, dst),
            4 => self.copy_out::<4>(idx, stride, dst),
            _ => self.copy_out::<8>(idx, stride, dst),
        }
        v
    }

    /// Copies `v` into the start of slot `idx` (as [`read`](Self::read));
    /// the rest of the slot is left as it was.
    #[inline(always)]
    pub(crate) fn write<T: IntoBytes + Immutable>(&self, idx: u32, stride: usize, v: &T) {
        let src = v.as_bytes();
        match Self::width::<T>() {
            1 => self.copy_in::<1>(idx, stride, src),
            2 => self.copy_in::<2>(idx, stride, src),
            4 => self.copy_in::<4>(idx, stride, src),
            _ => self.copy_in::<8>(idx, stride, src),
        }
    }

    #[inline(always)]
    fn copy_out<const W: usize>(&self, idx: u32, stride: usize, dst: &mut [u8]) {
        let off = self.offset::<W>(idx, stride, dst.len());
        // SAFETY: `offset` checked `stride <= max_stride` and `dst.len() <=
        // stride`, and `idx & mask < count`, so `[off, off + dst.len())`
        // ends at most at `base + count * max_stride <= len` (`new`
        // checked `base <= len`); `off` is a multiple of W (`base` is
        // 8-aligned, `stride` a multiple of W) and so is `dst.len()`.
        unsafe { self.mem.copy_out_words_unchecked::<W>(off, dst) }
    }

    #[inline(always)]
    fn copy_in<const W: usize>(&self, idx: u32, stride: usize, src: &[u8]) {
        let off = self.offset::<W>(idx, stride, src.len());
        // SAFETY: as in `copy_out`, for `src`.
        unsafe { self.mem.copy_in_words_unchecked::<W>(off, src) }
    }
}

impl fmt::Debug for Slots<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slots")
            .field("mem", &self.mem)
            .field("base", &self.base)
            .field("count", &(u64::from(self.mask) + 1))
            .field("max_stride", &self.max_stride)
            .finish()
    }
}

#[cfg(all(test, not(xen_abi_loom)))]
mod tests {
    use super::*;

    #[test]
    fn slots_wrap_any_index_into_bounds() {
        let mut page = [0u64; 32]; // 256 bytes
        let mem = SharedMem::from_mut(page.as_mut_bytes()).unwrap();
        // 4 slots from byte 64: at most 48 bytes apart.
        let slots = Slots::new(mem, 64, 4).unwrap();
        for idx in [0, 1, 3, 4, 7, u32::MAX] {
            slots.write(idx, 48, &[u64::from(idx); 6]);
            assert_eq!(slots.read::<[u64; 6]>(idx, 48), [u64::from(idx); 6]);
        }
        // Index u32::MAX is slot 3, the last: bytes 208..256.
        assert_eq!(mem.read::<u64>(248).unwrap(), u64::from(u32::MAX));
        // A head is a prefix: the rest of the slot is left as it was.
        slots.write(3, 48, &7u32);
        assert_eq!(slots.read::<[u64; 2]>(3, 48), [7, u64::from(u32::MAX)]);
        // Odd strides and widths: 4 slots of 12 bytes, 4-byte words.
        slots.write(2, 12, &[1u32, 2, 3]);
        assert_eq!(mem.read::<[u32; 3]>(64 + 24).unwrap(), [1, 2, 3]);
    }

    #[test]
    fn slots_are_checked_when_made() {
        let mut page = [0u64; 16];
        let mem = SharedMem::from_mut(page.as_mut_bytes()).unwrap();
        assert!(matches!(
            Slots::new(mem, 136, 1),
            Err(Error::OutOfBounds { .. })
        ));
        assert!(matches!(
            Slots::new(mem, 4, 1),
            Err(Error::MisalignedOffset { .. })
        ));
        let empty = Slots::new(mem, 128, 2).unwrap();
        let read = core::panic::AssertUnwindSafe(|| empty.read::<u8>(0, 1));
        assert!(std::panic::catch_unwind(read).is_err());
    }

    #[test]
    #[should_panic(expected = "slot access of 8 bytes at stride 40")]
    fn a_stride_wider_than_the_slots_fit_panics() {
        let mut page = [0u64; 16]; // 4 slots of at most 32 bytes from 0
        let mem = SharedMem::from_mut(page.as_mut_bytes()).unwrap();
        let _ = Slots::new(mem, 0, 4).unwrap().read::<u64>(3, 40);
    }
}

/// An 8-, 16- or 32-bit field within one loom word.
#[cfg(xen_abi_loom)]
struct Field<'m> {
    word: &'m AtomicU32,
    shift: u32,
    mask: u32,
}

#[cfg(xen_abi_loom)]
impl Field<'_> {
    fn get(&self, w: u32) -> u32 {
        (w >> self.shift) & self.mask
    }

    fn put(&self, w: u32, v: u32) -> u32 {
        (w & !(self.mask << self.shift)) | ((v & self.mask) << self.shift)
    }

    fn store(&self, v: u32, order: Ordering) {
        if self.mask == !0 {
            return self.word.store(v, order);
        }
        let mut w = self.word.load(Ordering::Relaxed);
        while let Err(now) = self
            .word
            .compare_exchange(w, self.put(w, v), order, Ordering::Relaxed)
        {
            w = now;
        }
    }

    fn compare_exchange(
        &self,
        current: u32,
        new: u32,
        success: Ordering,
        failure: Ordering,
    ) -> core::result::Result<u32, u32> {
        let mut w = self.word.load(failure);
        loop {
            let seen = self.get(w);
            if seen != current {
                return Err(seen);
            }
            match self
                .word
                .compare_exchange(w, self.put(w, new), success, failure)
            {
                Ok(_) => return Ok(seen),
                Err(now) => w = now,
            }
        }
    }
}

/// The public per-width accessors; `$cfg` gates whole widths (64-bit words
/// do not exist under loom).
macro_rules! word_accessors {
    ($(#[$cfg:meta])* $t:ident, $atomic:ident, $n:literal,
     $load:ident, $store:ident, $or:ident, $and:ident, $cas:ident) => {
        $(#[$cfg])*
        impl<M: Mode> SharedMem<'_, M> {
            #[doc = concat!("Loads the `", stringify!($t), "` at byte offset `off` (", $n, "-aligned).")]
            ///
            /// # Errors
            ///
            /// [`Error::OutOfBounds`] if the word leaves the region,
            /// [`Error::MisalignedOffset`] if `off` is not aligned.
            ///
            /// # Panics
            ///
            /// As the `core` atomic, for a store-only ordering
            /// (`Release`, `AcqRel`).
            #[inline]
            pub fn $load(&self, off: usize, order: Ordering) -> Result<$t> {
                #[cfg(not(xen_abi_loom))]
                return Ok(self.atomic_at::<$atomic>(off)?.load(order));
                #[cfg(xen_abi_loom)]
                return {
                    let f = self.field(off, $n)?;
                    Ok(f.get(f.word.load(order)) as $t)
                };
            }
        }

        $(#[$cfg])*
        impl SharedMem<'_, ReadWrite> {
            #[doc = concat!("Stores a `", stringify!($t), "` at byte offset `off` (", $n, "-aligned).")]
            ///
            /// # Errors
            ///
            #[doc = concat!("As [`", stringify!($load), "`](Self::", stringify!($load), ").")]
            ///
            /// # Panics
            ///
            /// As the `core` atomic, for a load-only ordering
            /// (`Acquire`, `AcqRel`).
            #[inline]
            pub fn $store(&self, off: usize, v: $t, order: Ordering) -> Result<()> {
                #[cfg(not(xen_abi_loom))]
                self.atomic_at::<$atomic>(off)?.store(v, order);
                #[cfg(xen_abi_loom)]
                self.field(off, $n)?.store(u32::from(v), order);
                Ok(())
            }

            #[doc = concat!("Atomically ORs `bits` into the `", stringify!($t), "` at byte offset `off` (", $n, "-aligned); returns the previous value.")]
            ///
            /// # Errors
            ///
            #[doc = concat!("As [`", stringify!($load), "`](Self::", stringify!($load), ").")]
            #[inline]
            pub fn $or(&self, off: usize, bits: $t, order: Ordering) -> Result<$t> {
                #[cfg(not(xen_abi_loom))]
                return Ok(self.atomic_at::<$atomic>(off)?.fetch_or(bits, order));
                #[cfg(xen_abi_loom)]
                return {
                    let f = self.field(off, $n)?;
                    Ok(f.get(f.word.fetch_or(u32::from(bits) << f.shift, order)) as $t)
                };
            }

            #[doc = concat!("Atomically ANDs `bits` into the `", stringify!($t), "` at byte offset `off` (", $n, "-aligned); returns the previous value.")]
            ///
            /// # Errors
            ///
            #[doc = concat!("As [`", stringify!($load), "`](Self::", stringify!($load), ").")]
            #[inline]
            pub fn $and(&self, off: usize, bits: $t, order: Ordering) -> Result<$t> {
                #[cfg(not(xen_abi_loom))]
                return Ok(self.atomic_at::<$atomic>(off)?.fetch_and(bits, order));
                #[cfg(xen_abi_loom)]
                return {
                    let f = self.field(off, $n)?;
                    let keep = !(f.mask << f.shift);
                    Ok(f.get(f.word.fetch_and((u32::from(bits) << f.shift) | keep, order)) as $t)
                };
            }

            #[doc = concat!("Atomically replaces the `", stringify!($t), "` at byte offset `off` (", $n, "-aligned) with `new` if it equals `current`.")]
            ///
            /// The inner result is the previous value: `Ok` when it was
            /// `current` (and `new` is now stored), `Err` when it was not
            /// (nothing stored), as `core`'s `compare_exchange`.
            ///
            /// # Errors
            ///
            #[doc = concat!("As [`", stringify!($load), "`](Self::", stringify!($load), ").")]
            ///
            /// # Panics
            ///
            /// As the `core` atomic, for an invalid `failure` ordering.
            #[inline]
            pub fn $cas(
                &self,
                off: usize,
                current: $t,
                new: $t,
                success: Ordering,
                failure: Ordering,
            ) -> Result<core::result::Result<$t, $t>> {
                #[cfg(not(xen_abi_loom))]
                return Ok(self
                    .atomic_at::<$atomic>(off)?
                    .compare_exchange(current, new, success, failure));
                #[cfg(xen_abi_loom)]
                return Ok(self
                    .field(off, $n)?
                    .compare_exchange(u32::from(current), u32::from(new), success, failure)
                    .map(|v| v as $t)
                    .map_err(|v| v as $t));
            }
        }
    };
}

word_accessors!(
    u8,
    AtomicU8,
    1,
    load_u8,
    store_u8,
    fetch_or_u8,
    fetch_and_u8,
    compare_exchange_u8
);
word_accessors!(
    u16,
    AtomicU16,
    2,
    load_u16,
    store_u16,
    fetch_or_u16,
    fetch_and_u16,
    compare_exchange_u16
);
word_accessors!(
    u32,
    AtomicU32,
    4,
    load_u32,
    store_u32,
    fetch_or_u32,
    fetch_and_u32,
    compare_exchange_u32
);
word_accessors!(
    #[cfg(not(xen_abi_loom))]
    u64,
    AtomicU64,
    8,
    load_u64,
    store_u64,
    fetch_or_u64,
    fetch_and_u64,
    compare_exchange_u64
);

/// A full memory barrier (`xen_mb()`/`virt_mb()`): orders this end's earlier
/// stores before its later loads.
#[inline(always)]
pub(crate) fn full_fence() {
    // Miri runs no inline asm: there (and under loom) the fence is core's.
    #[cfg(all(target_arch = "x86_64", not(xen_abi_loom), not(miri)))]
    // SAFETY: a locked read-modify-write of zero into the word at the stack
    // pointer changes nothing, and is a full memory barrier on x86 (what
    // Linux's and gcc's `mb` use: cheaper than `mfence`, which also orders
    // non-temporal and device accesses that rings never make). The asm block
    // is not `nomem`, so the compiler keeps memory accesses on their side of
    // it too.
    unsafe {
        core::arch::asm!("lock or qword ptr [rsp], 0");
    }
    #[cfg(not(all(target_arch = "x86_64", not(xen_abi_loom), not(miri))))]
    fence(Ordering::SeqCst);
}

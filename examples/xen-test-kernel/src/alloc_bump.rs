// SPDX-License-Identifier: MIT OR Apache-2.0
//! The kernels' heap: a bump allocator over a static arena. Test kernels run
//! for a moment and allocate little (xen-store's request and reply buffers),
//! so freeing only gives back the most recent allocation.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicUsize, Ordering};

/// Bytes of heap.
const ARENA_SIZE: usize = 1 << 20;

#[repr(C, align(4096))]
struct Arena(UnsafeCell<[u8; ARENA_SIZE]>);

// SAFETY: the arena's bytes are handed out in disjoint pieces by `Bump`,
// whose offset is atomic.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena(UnsafeCell::new([0; ARENA_SIZE]));

/// A bump allocator over [`ARENA`]; `dealloc` of the latest block rewinds.
#[derive(Debug)]
pub struct Bump {
    next: AtomicUsize,
}

impl Bump {
    /// Bytes handed out so far.
    pub fn used(&self) -> usize {
        self.next.load(Ordering::Relaxed)
    }
}

// SAFETY: `alloc` returns disjoint, aligned, in-bounds blocks (or null when
// the arena is exhausted); `dealloc` only rewinds past the most recent block.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = ARENA.0.get().cast::<u8>();
        let mut cur = self.next.load(Ordering::Relaxed);
        loop {
            let addr = base as usize + cur;
            let start = addr.next_multiple_of(layout.align()) - base as usize;
            let Some(end) = start.checked_add(layout.size()) else {
                return core::ptr::null_mut();
            };
            if end > ARENA_SIZE {
                return core::ptr::null_mut();
            }
            match self
                .next
                .compare_exchange(cur, end, Ordering::Relaxed, Ordering::Relaxed)
            {
                // SAFETY: `start..end` is inside the arena.
                Ok(_) => return unsafe { base.add(start) },
                Err(now) => cur = now,
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let base = ARENA.0.get().cast::<u8>() as usize;
        let start = ptr as usize - base;
        let end = start + layout.size();
        // Only the latest block can be given back.
        let _ = self
            .next
            .compare_exchange(end, start, Ordering::Relaxed, Ordering::Relaxed);
    }
}

/// The kernels' global allocator.
#[global_allocator]
pub static HEAP: Bump = Bump {
    next: AtomicUsize::new(0),
};

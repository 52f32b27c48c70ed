// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_multicall`: several hypercalls in one trap.
//!
//! [`Multicall`] is a fixed-capacity batch: [`Multicall::push`] refuses an
//! entry once the array is full (it never grows or overflows), and
//! [`Multicall::run`] issues the batch and hands back one
//! `Result<usize, Errno>` per entry.
//!
//! ```no_run
//! # fn demo(hc: &impl xen_hypercall::Hypercall) -> Result<(), xen_abi::Errno> {
//! use xen_abi::xen::HypercallOp;
//! use xen_hypercall::multicall::Multicall;
//!
//! let mut batch = Multicall::<4>::new();
//! // SAFETY: XENVER_version (0) with a null argument touches no memory.
//! unsafe { batch.push(HypercallOp::XEN_VERSION, [0; 6]) }.expect("room for one");
//! let results = batch.run(hc)?;
//! let version = results.get(0).expect("one entry")?;
//! # let _ = version; Ok(()) }
//! ```
//!
//! # Buffers named by entries
//! The entry array itself goes through [`Hypercall::with_buffer`]. The
//! arguments of each entry are passed to Xen exactly as pushed: in a guest
//! kernel, pointers to ordinary memory are fine. Through privcmd, any buffer
//! an entry points at must be memory Xen can always reach (for instance a
//! mapping of `/dev/xen/hypercall`), because it is not bounced.

use core::fmt;

use xen_abi::xen::{HypercallOp, MulticallEntry};
use zerocopy::IntoBytes;

use crate::{Errno, Hypercall, Result};

/// [`Multicall::push`] found the batch full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("multicall batch is full")
    }
}

/// A batch of up to `N` hypercalls.
#[derive(Debug, Clone)]
#[doc(alias = "multicall_entry")]
pub struct Multicall<const N: usize> {
    entries: [MulticallEntry; N],
    len: usize,
}

impl<const N: usize> Default for Multicall<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Multicall<N> {
    /// An empty batch.
    pub const fn new() -> Self {
        Self {
            entries: [MulticallEntry {
                op: 0,
                result: 0,
                args: [0; 6],
            }; N],
            len: 0,
        }
    }

    /// Number of entries pushed.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was pushed.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most entries the batch holds (`N`).
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends hypercall `op` with `args` (unused ones zero); returns the
    /// entry's index, which [`Results::get`] takes.
    ///
    /// # Errors
    /// [`Full`] when `N` entries are already pushed; the batch is unchanged.
    ///
    /// # Safety
    /// `args` must be valid for `op` as if passed to
    /// [`Hypercall::hypercall5`], for as long as the batch may be run:
    /// addresses in them must stay valid (see the module docs for privcmd).
    pub unsafe fn push(&mut self, op: HypercallOp, args: [u64; 6]) -> Result<usize, Full> {
        let slot = self.entries.get_mut(self.len).ok_or(Full)?;
        *slot = MulticallEntry::new(op, args);
        self.len += 1;
        Ok(self.len - 1)
    }

    /// Issues every entry in order in one `HYPERVISOR_multicall`.
    ///
    /// # Errors
    /// Xen's errno when the multicall itself fails (`EFAULT`, `ENOSYS`
    /// where multicalls are not available); each entry's own failure is in
    /// its [`Results`] item.
    #[doc(alias = "HYPERVISOR_multicall")]
    pub fn run(&mut self, hc: &impl Hypercall) -> Result<Results<'_>> {
        let n = self.len;
        let entries = &mut self.entries[..n];
        if n > 0 {
            let ret = hc.with_buffer(entries.as_mut_bytes(), |addr| {
                // SAFETY: the entry array is visible to Xen at `addr` for
                // this call; every entry's arguments were vouched for by
                // the caller of `push`.
                unsafe { hc.hypercall5(HypercallOp::MULTICALL, [addr, n as u64, 0, 0, 0]) }
            });
            crate::check(ret)?;
        }
        Ok(Results(entries))
    }
}

/// The per-entry results of [`Multicall::run`].
#[derive(Debug, Clone, Copy)]
pub struct Results<'a>(&'a [MulticallEntry]);

impl<'a> Results<'a> {
    /// Number of entries.
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// True for an empty batch.
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entry `i`'s result: `Ok(value)` or `Err(errno)`, or `None` past the
    /// end.
    pub fn get(&self, i: usize) -> Option<Result<usize>> {
        self.0.get(i).map(decode)
    }

    /// Every entry's result, in order.
    pub fn iter(&self) -> impl Iterator<Item = Result<usize>> + 'a {
        self.0.iter().map(decode)
    }
}

fn decode(e: &MulticallEntry) -> Result<usize> {
    Errno::result(e.result_signed() as isize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;

    #[test]
    fn push_refuses_when_full() {
        let mut batch = Multicall::<2>::new();
        // SAFETY: the batch is never run against Xen.
        unsafe {
            assert_eq!(batch.push(HypercallOp::XEN_VERSION, [0; 6]), Ok(0));
            assert_eq!(batch.push(HypercallOp::XEN_VERSION, [1; 6]), Ok(1));
            assert_eq!(batch.push(HypercallOp::VCPU_OP, [2; 6]), Err(Full));
        }
        assert_eq!(batch.len(), 2);
        batch.clear();
        assert!(batch.is_empty());
        let mut none = Multicall::<0>::new();
        // SAFETY: as above.
        let pushed = unsafe { none.push(HypercallOp::XEN_VERSION, [0; 6]) };
        assert_eq!(pushed, Err(Full));
    }

    #[test]
    fn run_encodes_entries_and_decodes_results() {
        let fake = Fake::new(0);
        fake.reply(|buf| {
            buf[8..16].copy_from_slice(&0x4_0011u64.to_ne_bytes());
            buf[64 + 8..64 + 16].copy_from_slice(&(-2i64).to_ne_bytes());
        });
        let mut batch = Multicall::<4>::new();
        // SAFETY: the fake backend touches no memory.
        unsafe {
            batch.push(HypercallOp::XEN_VERSION, [0; 6]).unwrap();
            batch
                .push(HypercallOp::VCPU_OP, [3, 1, 0, 0, 0, 0])
                .unwrap();
        }
        let results = batch.run(&fake).unwrap();
        let all: std::vec::Vec<_> = results.iter().collect();
        assert_eq!(all, [Ok(0x4_0011), Err(Errno::ENOENT)]);
        assert_eq!(results.get(2), None);
        let call = fake.last();
        assert_eq!(call.op, 13);
        assert_eq!(call.args, [call.addrs[0], 2, 0, 0, 0]);
        assert_eq!(call.buffers[0].len(), 128);
        assert_eq!(&call.buffers[0][64..72], &24u64.to_ne_bytes());
        assert_eq!(&call.buffers[0][64 + 16..64 + 24], &3u64.to_ne_bytes());
    }

    #[test]
    fn empty_batch_makes_no_hypercall() {
        let fake = Fake::new(-38);
        let mut batch = Multicall::<1>::new();
        assert!(batch.run(&fake).unwrap().is_empty());
        assert!(fake.calls().is_empty());
        // SAFETY: the fake backend touches no memory.
        unsafe { batch.push(HypercallOp::XEN_VERSION, [0; 6]) }.unwrap();
        assert_eq!(batch.run(&fake).err(), Some(Errno::ENOSYS));
    }
}

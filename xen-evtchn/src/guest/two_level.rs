// SPDX-License-Identifier: MIT OR Apache-2.0
//! The 2-level ABI: shared_info's pending and mask bitmaps and a vCPU's
//! selector word.
//!
//! Xen sets a port's pending bit, then (unless the port is masked) the
//! selector bit of its 64-bit word in the vCPU's `evtchn_pending_sel`, then
//! the vCPU's `evtchn_upcall_pending`. The guest undoes this in reverse:
//! clear `evtchn_upcall_pending`, swap the selector to zero, then
//! test-and-clear the pending bits of the words it names. All accesses are
//! sequentially consistent atomics on [`SharedMem`].

use core::mem::{offset_of, size_of};

use xen_abi::arch::current::LEGACY_MAX_VCPUS;
use xen_abi::event_channel::{EvtchnPort, TWO_LEVEL_NR_CHANNELS};
use xen_abi::io::shm::{Ordering, SharedMem};
use xen_abi::xen::{SharedInfo, VcpuId, VcpuInfo, EVTCHN_WORD_BITS};

use super::Demux;
use crate::{Error, Result};

const PENDING: usize = offset_of!(SharedInfo, evtchn_pending);
const MASK: usize = offset_of!(SharedInfo, evtchn_mask);
const WORDS: usize = EVTCHN_WORD_BITS;
const BITS: u32 = EVTCHN_WORD_BITS as u32;
const ORD: Ordering = Ordering::SeqCst;

/// The 2-level demultiplexer of one vCPU, over the shared_info page.
///
/// Fairness: scanning resumes at the port after the last one handed out,
/// and goes round the 4096 ports at most once per call, so a port that is
/// signalled without pause is handed out at most once per call and every
/// other pending port gets its turn.
#[derive(Debug)]
pub struct TwoLevel {
    shared: SharedMem<'static>,
    /// Byte offset of this vCPU's `evtchn_upcall_pending`.
    upcall_pending: usize,
    /// Byte offset of this vCPU's `evtchn_pending_sel`.
    selector: usize,
    /// Selector bits taken from Xen but not yet fully served.
    sel: u64,
    /// The port the next scan starts at.
    next: u32,
}

impl TwoLevel {
    /// The demultiplexer of `vcpu` (one of the first
    /// `XEN_LEGACY_MAX_VCPUS`, whose `vcpu_info` lives in shared_info) over
    /// the mapped shared_info page `shared_info`.
    ///
    /// # Errors
    /// [`Error::BadVcpu`] for a vCPU without a slot in shared_info;
    /// [`Error::SharedMem`] if `shared_info` is smaller than `shared_info_t`.
    pub fn new(shared_info: SharedMem<'static>, vcpu: VcpuId) -> Result<Self> {
        let v = vcpu.get() as usize;
        if v >= LEGACY_MAX_VCPUS {
            return Err(Error::BadVcpu(vcpu.get()));
        }
        let shared = shared_info.sub(0, size_of::<SharedInfo>())?;
        let info = offset_of!(SharedInfo, vcpu_info) + v * size_of::<VcpuInfo>();
        Ok(Self {
            shared,
            upcall_pending: info + offset_of!(VcpuInfo, evtchn_upcall_pending),
            selector: info + offset_of!(VcpuInfo, evtchn_pending_sel),
            sel: 0,
            next: 0,
        })
    }

    /// Byte offset of `port`'s word in the bitmap at `bitmap`, and its bit.
    fn bit(bitmap: usize, port: EvtchnPort) -> Result<(usize, u64)> {
        let p = port.get();
        if p >= TWO_LEVEL_NR_CHANNELS {
            return Err(Error::PortOutOfRange {
                port: p,
                limit: TWO_LEVEL_NR_CHANNELS,
            });
        }
        Ok((bitmap + (p / BITS) as usize * 8, 1 << (p % BITS)))
    }

    fn load(&self, off: usize) -> Result<u64> {
        Ok(self.shared.load_u64(off, ORD)?)
    }

    fn test(&self, bitmap: usize, port: EvtchnPort) -> Result<bool> {
        let (off, bit) = Self::bit(bitmap, port)?;
        Ok(self.load(off)? & bit != 0)
    }
}

/// Bits `lo..hi` of a word (`hi` up to 64).
fn bits_between(lo: u32, hi: u32) -> u64 {
    let below_hi = if hi >= BITS { !0 } else { (1u64 << hi) - 1 };
    below_hi & !((1u64 << lo) - 1)
}

impl Demux for TwoLevel {
    fn take_pending(&mut self, out: &mut [EvtchnPort]) -> Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        self.shared.store_u8(self.upcall_pending, 0, ORD)?;
        self.sel |= self.shared.fetch_and_u64(self.selector, 0, ORD)?;
        let start_word = (self.next / BITS) as usize;
        let start_bit = self.next % BITS;
        let mut n = 0;
        // Word `start_word` twice: its bits from `start_bit` first, the
        // ones below last; every other word once in between.
        for step in 0..=WORDS {
            if n == out.len() {
                break;
            }
            let w = (start_word + step) % WORDS;
            if self.sel & (1 << w) == 0 {
                continue;
            }
            let (lo, hi) = match step {
                0 => (start_bit, BITS),
                WORDS => (0, start_bit),
                _ => (0, BITS),
            };
            let (poff, moff) = (PENDING + w * 8, MASK + w * 8);
            let mut live = self.load(poff)? & !self.load(moff)? & bits_between(lo, hi);
            while live != 0 && n < out.len() {
                let b = live.trailing_zeros();
                live &= live - 1;
                let bit = 1u64 << b;
                if self.shared.fetch_and_u64(poff, !bit, ORD)? & bit != 0 {
                    let port = w as u32 * BITS + b;
                    out[n] = EvtchnPort::new_unchecked(port);
                    n += 1;
                    self.next = (port + 1) % TWO_LEVEL_NR_CHANNELS;
                }
            }
            // A word with nothing left to hand out leaves the selector
            // (masked pending ports come back through EVTCHNOP_unmask,
            // which sets the selector again).
            if self.load(poff)? & !self.load(moff)? == 0 {
                self.sel &= !(1 << w);
            }
        }
        Ok(n)
    }

    fn mask(&self, port: EvtchnPort) -> Result<()> {
        let (off, bit) = Self::bit(MASK, port)?;
        self.shared.fetch_or_u64(off, bit, ORD)?;
        Ok(())
    }

    fn is_masked(&self, port: EvtchnPort) -> Result<bool> {
        self.test(MASK, port)
    }

    fn is_pending(&self, port: EvtchnPort) -> Result<bool> {
        self.test(PENDING, port)
    }

    fn clear_pending(&self, port: EvtchnPort) -> Result<()> {
        let (off, bit) = Self::bit(PENDING, port)?;
        self.shared.fetch_and_u64(off, !bit, ORD)?;
        Ok(())
    }

    fn port_limit(&self) -> u32 {
        TWO_LEVEL_NR_CHANNELS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 'static page and a demux over it; `xen` plays Xen on the same page.
    fn setup() -> (TwoLevel, SharedMem<'static>) {
        let mem = super::super::leaked(4096);
        (TwoLevel::new(mem, VcpuId::BOOT).unwrap(), mem)
    }

    /// What Xen does to raise `port` (2-level set_pending).
    fn raise(xen: SharedMem<'_>, port: u32) {
        let w = (port / 64) as usize;
        xen.fetch_or_u64(PENDING + w * 8, 1 << (port % 64), ORD)
            .unwrap();
        let masked = xen.load_u64(MASK + w * 8, ORD).unwrap() & (1 << (port % 64)) != 0;
        if !masked {
            xen.fetch_or_u64(offset_of!(VcpuInfo, evtchn_pending_sel), 1 << w, ORD)
                .unwrap();
            xen.store_u8(0, 1, ORD).unwrap();
        }
    }

    fn take(d: &mut TwoLevel, max: usize) -> std::vec::Vec<u32> {
        let mut out = [EvtchnPort::ZERO; 4096];
        let n = d.take_pending(&mut out[..max]).unwrap();
        out[..n].iter().map(|p| p.get()).collect()
    }

    #[test]
    fn hands_out_in_port_order_once() {
        let (mut d, xen) = setup();
        for p in [700, 3, 64, 4095, 65] {
            raise(xen, p);
        }
        assert_eq!(take(&mut d, 16), [3, 64, 65, 700, 4095]);
        assert_eq!(take(&mut d, 16), std::vec::Vec::<u32>::new());
        assert_eq!(xen.load_u8(0, ORD).unwrap(), 0);
        assert_eq!(xen.load_u64(8, ORD).unwrap(), 0);
    }

    #[test]
    fn masked_ports_wait() {
        let (mut d, xen) = setup();
        let p = EvtchnPort::new_unchecked(9);
        d.mask(p).unwrap();
        raise(xen, 9);
        raise(xen, 10);
        assert_eq!(take(&mut d, 16), [10]);
        assert!(d.is_pending(p).unwrap() && d.is_masked(p).unwrap());
        // Xen's EVTCHNOP_unmask: clear the mask, raise again.
        xen.fetch_and_u64(MASK, !(1 << 9), ORD).unwrap();
        raise(xen, 9);
        assert_eq!(take(&mut d, 16), [9]);
    }

    #[test]
    fn a_flood_does_not_starve_others() {
        let (mut d, xen) = setup();
        raise(xen, 5);
        raise(xen, 200);
        let mut seen = std::vec::Vec::new();
        for _ in 0..6 {
            // Port 5 is signalled again before every call.
            raise(xen, 5);
            seen.extend(take(&mut d, 1));
        }
        assert_eq!(seen, [5, 200, 5, 5, 5, 5]);
        raise(xen, 7);
        raise(xen, 5);
        // Resumes after 5: 7 first, then 5 on the way round.
        assert_eq!(take(&mut d, 1), [7]);
        assert_eq!(take(&mut d, 1), [5]);
    }

    #[test]
    fn wraps_round_each_port_once() {
        let (mut d, xen) = setup();
        raise(xen, 100);
        assert_eq!(take(&mut d, 1), [100]);
        raise(xen, 100);
        raise(xen, 50);
        raise(xen, 150);
        assert_eq!(take(&mut d, 16), [150, 50, 100]);
    }

    #[test]
    fn hostile_selector_is_bounded() {
        let (mut d, xen) = setup();
        // Every selector bit set, no pending bit: one bounded pass.
        xen.store_u64(8, !0, ORD).unwrap();
        assert!(take(&mut d, 16).is_empty());
        assert_eq!(d.sel, 0);
        // Every port pending: a call hands out at most `out.len()`.
        for w in 0..64 {
            xen.store_u64(PENDING + w * 8, !0, ORD).unwrap();
        }
        xen.store_u64(8, !0, ORD).unwrap();
        assert_eq!(take(&mut d, 4096).len(), 4096);
    }

    #[test]
    fn ports_out_of_range() {
        let (d, _) = setup();
        let p = EvtchnPort::new_unchecked(4096);
        assert!(matches!(
            d.mask(p),
            Err(Error::PortOutOfRange {
                port: 4096,
                limit: 4096
            })
        ));
        assert!(matches!(
            TwoLevel::new(d.shared, VcpuId::new(99)),
            Err(Error::BadVcpu(99))
        ));
        let mem = super::super::leaked(64);
        assert!(matches!(
            TwoLevel::new(mem, VcpuId::BOOT),
            Err(Error::SharedMem(_))
        ));
    }
}

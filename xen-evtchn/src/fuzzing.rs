// SPDX-License-Identifier: MIT OR Apache-2.0
//! Fuzzing entry points: built for this crate's own tests and under
//! `--cfg fuzzing` (which cargo-fuzz sets), never part of the API.
//!
//! The input plays Xen and a hostile peer: it scribbles any word of the
//! shared pages (shared_info's bitmaps and selectors, the FIFO control
//! block's READY and heads, event words with any link) between calls of
//! the demultiplexer, and asks for ports far out of range. Whatever it
//! does, every call returns (bounded work), hands out at most `out.len()`
//! distinct ports below [`Demux::port_limit`], and refuses out-of-range
//! ports with a typed error. The device half's decoding of a `read(2)` of
//! `/dev/xen/evtchn` (whole ports only) is driven too.

use xen_abi::event_channel::EvtchnPort;
use xen_abi::io::shm::{Ordering, SharedMem};
use xen_abi::xen::VcpuId;

use crate::guest::{Demux, Fifo, FifoPages, TwoLevel};
use crate::{Error, Result};

/// Most operations one input runs (each bounded).
const MAX_OPS: usize = 512;

/// Reads the input front to back; zeros once it is used up.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0; N];
        let n = N.min(self.0.len());
        b[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        b
    }
    fn u8(&mut self) -> u8 {
        self.bytes::<1>()[0]
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }
    /// A port: mostly near the ones in use, sometimes anything.
    fn port(&mut self) -> EvtchnPort {
        let raw = self.u32();
        EvtchnPort::new_unchecked(if raw & 1 == 0 { (raw >> 1) % 5000 } else { raw })
    }
}

/// Writes a peer's word at a word-aligned offset of one of `pages`.
fn scribble(pages: &[SharedMem<'static>], input: &mut Input<'_>) {
    if pages.is_empty() {
        return;
    }
    let page = pages[usize::from(input.u8()) % pages.len()];
    let words = page.len() / 8;
    let off = (input.u32() as usize % words.max(1)) * 8;
    let v = input.u64();
    // In bounds and aligned: cannot fail.
    let _ = page.store_u64(off, v, Ordering::SeqCst);
}

/// One operation on the demultiplexer, chosen by the input; checks what
/// every call promises.
fn operate(demux: &mut impl Demux, input: &mut Input<'_>) -> Result<()> {
    match input.u8() % 6 {
        0 => {
            let mut out = [EvtchnPort::ZERO; 80];
            let k = usize::from(input.u8()) % (out.len() + 1);
            let n = demux.take_pending(&mut out[..k])?;
            assert!(n <= k, "{n} ports into {k} slots");
            let limit = demux.port_limit();
            for (i, p) in out[..n].iter().enumerate() {
                assert!(p.get() < limit, "port {} beyond {limit}", p.get());
                assert!(!out[..i].contains(p), "port {} twice", p.get());
            }
        }
        1 => expect_range(demux, input, |d, p| d.mask(p)),
        2 => expect_range(demux, input, |d, p| d.is_masked(p).map(drop)),
        3 => expect_range(demux, input, |d, p| d.is_pending(p).map(drop)),
        4 => expect_range(demux, input, |d, p| d.clear_pending(p)),
        _ => {}
    }
    Ok(())
}

/// Runs `f` on a port from the input: refused exactly when out of range.
fn expect_range<D: Demux>(
    demux: &mut D,
    input: &mut Input<'_>,
    f: impl FnOnce(&mut D, EvtchnPort) -> Result<()>,
) {
    let port = input.port();
    let limit = demux.port_limit();
    match f(demux, port) {
        Ok(()) => assert!(port.get() < limit),
        Err(Error::PortOutOfRange { port: p, .. }) => {
            assert_eq!(p, port.get());
            assert!(port.get() >= limit);
        }
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

/// The 2-level ABI over `shared_info` (at least a `shared_info_t`, zeroed
/// or not: its contents are the input's).
pub fn two_level(shared_info: SharedMem<'static>, data: &[u8]) {
    let mut input = Input(data);
    let vcpu = VcpuId::new(u32::from(input.u8() % 40));
    let mut demux = match TwoLevel::new(shared_info, vcpu) {
        Ok(d) => d,
        Err(Error::BadVcpu(v)) => {
            assert!(v >= 32);
            return;
        }
        Err(e) => panic!("unexpected error {e:?}"),
    };
    let pages = [shared_info];
    for _ in 0..MAX_OPS {
        if input.0.is_empty() {
            break;
        }
        if input.u8() & 1 == 0 {
            scribble(&pages, &mut input);
        } else if let Err(e) = operate(&mut demux, &mut input) {
            panic!("a valid shared_info gave {e:?}");
        }
    }
}

/// The platform of [`fifo`]: hands out the pages it was given.
#[derive(Debug)]
pub struct GivenPages {
    pages: [Option<SharedMem<'static>>; 4],
}

impl FifoPages for GivenPages {
    fn init_control(&mut self, _: VcpuId) -> Result<SharedMem<'static>> {
        self.pages[0]
            .take()
            .ok_or(Error::Xen(xen_abi::Errno::EEXIST))
    }
    fn expand_array(&mut self) -> Result<SharedMem<'static>> {
        self.pages[1..]
            .iter_mut()
            .find_map(Option::take)
            .ok_or(Error::Xen(xen_abi::Errno::ENOMEM))
    }
}

/// The FIFO ABI over a control block and up to three event-array pages
/// (4 KiB each, contents the input's).
pub fn fifo(pages: [SharedMem<'static>; 4], data: &[u8]) {
    let mut input = Input(data);
    let given = GivenPages {
        pages: pages.map(Some),
    };
    let mut demux = Fifo::new(given, VcpuId::new(0)).expect("pages are given");
    for _ in 0..MAX_OPS {
        if input.0.is_empty() {
            break;
        }
        match input.u8() % 3 {
            0 => scribble(&pages, &mut input),
            1 => match demux.cover(input.port()) {
                Ok(()) | Err(Error::PortOutOfRange { .. }) | Err(Error::Xen(_)) => {}
                Err(e) => panic!("unexpected error {e:?}"),
            },
            _ => {
                if let Err(e) = operate(&mut demux, &mut input) {
                    panic!("valid pages gave {e:?}");
                }
            }
        }
    }
}

#[cfg(all(feature = "std", target_os = "linux"))]
/// What a `read(2)` of `/dev/xen/evtchn` returned, as the device half
/// decodes it: `bytes` read into a buffer of `capacity` ports.
pub fn device_read(data: &[u8]) {
    let mut input = Input(data);
    let capacity = (input.u32() % 4096) as usize;
    let bytes = input.u32() as usize;
    match crate::linux::whole_ports(bytes) {
        Ok(n) => {
            assert_eq!(n * 4, bytes);
            // The kernel never returns more than was asked for; the caller
            // slices its buffer with `n` only then.
            if bytes <= capacity * 4 {
                assert!(n <= capacity);
            }
        }
        Err(Error::PartialPort { bytes: b }) => assert!(b == bytes && b % 4 != 0),
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Deterministic pseudo-random inputs (xorshift), so the Miri run of
    /// these tests covers the same ground every time.
    fn inputs(n: usize, len: usize) -> impl Iterator<Item = Vec<u8>> {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        (0..n).map(move |_| {
            (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect()
        })
    }

    fn rounds() -> usize {
        if cfg!(miri) {
            3
        } else {
            200
        }
    }

    #[test]
    fn fuzzing_two_level_over_hostile_shared_info() {
        for data in inputs(rounds(), 600) {
            two_level(crate::guest::leaked(4096), &data);
        }
        // A vCPU without a slot, and a real pending port handed out.
        two_level(crate::guest::leaked(4096), &[39]);
    }

    #[test]
    fn fuzzing_two_level_hands_out_a_raised_port() {
        let si = crate::guest::leaked(4096);
        let mut d = TwoLevel::new(si, VcpuId::new(0)).unwrap();
        // Port 70: pending bit in word 1 (offset 2048 + 8), selector bit 1.
        si.store_u64(2048 + 8, 1 << 6, Ordering::SeqCst).unwrap();
        si.store_u64(8, 1 << 1, Ordering::SeqCst).unwrap();
        let mut out = [EvtchnPort::ZERO; 4];
        assert_eq!(d.take_pending(&mut out).unwrap(), 1);
        assert_eq!(out[0].get(), 70);
    }

    #[test]
    fn fuzzing_fifo_over_hostile_pages() {
        for data in inputs(rounds(), 600) {
            let pages = core::array::from_fn(|_| crate::guest::leaked(4096));
            fifo(pages, &data);
        }
    }

    #[cfg(all(feature = "std", target_os = "linux"))]
    #[test]
    fn fuzzing_device_reads() {
        for data in inputs(rounds() * 10, 8) {
            device_read(&data);
        }
        device_read(&[16, 0, 0, 0, 6, 0, 0, 0]);
    }
}

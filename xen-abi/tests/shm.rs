// SPDX-License-Identifier: MIT OR Apache-2.0
//! `SharedMem`'s public accessors: every width, bounds and alignment
//! errors, sub-regions, read-only handles, and read-modify-writes raced
//! from two threads.
#![allow(clippy::std_instead_of_core, missing_docs)]

use std::ptr::NonNull;
use std::thread;

use xen_abi::io::shm::{Ordering, SharedMem, SHARED_MEM_ALIGN};
use xen_abi::Error;
use zerocopy::{FromBytes, Immutable, IntoBytes};

const R: Ordering = Ordering::Relaxed;

fn oob(offset: usize, len: usize, size: usize) -> Error {
    Error::OutOfBounds { offset, len, size }
}

fn mis(offset: usize, align: usize) -> Error {
    Error::MisalignedOffset { offset, align }
}

#[test]
fn loads_and_stores_every_width() {
    let mut page = [0u64; 8];
    let mem = SharedMem::from_mut(page.as_mut_bytes()).unwrap();
    assert_eq!(mem.len(), 64);
    mem.store_u64(0, 0x0807_0605_0403_0201, R).unwrap();
    assert_eq!(mem.load_u8(1, R), Ok(0x02));
    assert_eq!(mem.load_u16(2, R), Ok(0x0403));
    assert_eq!(mem.load_u32(4, R), Ok(0x0807_0605));
    assert_eq!(
        mem.load_u64(0, Ordering::Acquire),
        Ok(0x0807_0605_0403_0201)
    );
    mem.store_u8(63, 0xaa, Ordering::Release).unwrap();
    mem.store_u16(60, 0xbbcc, R).unwrap();
    mem.store_u32(56, 0xdead_beef, Ordering::SeqCst).unwrap();
    assert_eq!(mem.load_u8(63, R), Ok(0xaa));
    assert_eq!(mem.load_u16(60, R), Ok(0xbbcc));
    assert_eq!(mem.load_u32(56, R), Ok(0xdead_beef));
    assert_eq!(page[0], 0x0807_0605_0403_0201);
    assert_eq!(page[7], 0xaa00_bbcc_dead_beef);
}

#[test]
fn out_of_bounds_and_misaligned_are_errors() {
    let mut page = [0u64; 2];
    let mem = SharedMem::from_mut(page.as_mut_bytes()).unwrap();
    assert_eq!(mem.load_u8(16, R), Err(oob(16, 1, 16)));
    assert_eq!(mem.load_u16(15, R), Err(oob(15, 2, 16)));
    assert_eq!(mem.load_u32(14, R), Err(oob(14, 4, 16)));
    assert_eq!(mem.load_u64(usize::MAX, R), Err(oob(usize::MAX, 8, 16)));
    assert_eq!(mem.store_u64(16, 0, R), Err(oob(16, 8, 16)));
    assert_eq!(mem.fetch_or_u32(16, 0, R), Err(oob(16, 4, 16)));
    assert_eq!(mem.load_u16(1, R), Err(mis(1, 2)));
    assert_eq!(mem.load_u32(2, R), Err(mis(2, 4)));
    assert_eq!(mem.load_u64(4, R), Err(mis(4, 8)));
    assert_eq!(mem.store_u16(3, 0, R), Err(mis(3, 2)));
    assert_eq!(mem.fetch_and_u64(4, 0, R), Err(mis(4, 8)));
    assert_eq!(mem.compare_exchange_u32(6, 0, 1, R, R), Err(mis(6, 4)));
    let mut buf = [0u8; 4];
    assert_eq!(mem.copy_out(13, &mut buf), Err(oob(13, 4, 16)));
    assert_eq!(
        mem.copy_in(usize::MAX - 1, &buf),
        Err(oob(usize::MAX - 1, 4, 16))
    );
    assert_eq!(mem.read::<u64>(9), Err(oob(9, 8, 16)));
    assert_eq!(mem.write(12, &0u64), Err(oob(12, 8, 16)));
    assert_eq!(mem.fill(8, 9, 0), Err(oob(8, 9, 16)));
    assert_eq!(mem.sub(4, 4).unwrap_err(), mis(4, SHARED_MEM_ALIGN));
    assert_eq!(mem.sub(8, 9).unwrap_err(), oob(8, 9, 16));
    // Nothing was written by the refused calls.
    assert_eq!(page, [0, 0]);
}

#[test]
fn misaligned_region_is_refused() {
    let mut page = [0u64; 2];
    let bytes = page.as_mut_bytes();
    let addr = bytes.as_ptr() as usize + 4;
    assert_eq!(
        SharedMem::from_mut(&mut bytes[4..]).unwrap_err(),
        Error::Misaligned {
            align: SHARED_MEM_ALIGN,
            addr
        }
    );
}

#[test]
fn read_modify_write_every_width() {
    let mut page = [0u64; 2];
    let mem = SharedMem::from_mut(page.as_mut_bytes()).unwrap();
    assert_eq!(mem.fetch_or_u8(0, 0x81, R), Ok(0));
    assert_eq!(mem.fetch_and_u8(0, 0x01, R), Ok(0x81));
    assert_eq!(mem.compare_exchange_u8(0, 1, 7, R, R), Ok(Ok(1)));
    assert_eq!(mem.compare_exchange_u8(0, 1, 9, R, R), Ok(Err(7)));
    assert_eq!(mem.fetch_or_u16(2, 0x0300, R), Ok(0));
    assert_eq!(mem.fetch_and_u16(2, 0x0100, R), Ok(0x0300));
    assert_eq!(
        mem.compare_exchange_u16(2, 0x0100, 0x0202, Ordering::AcqRel, Ordering::Acquire),
        Ok(Ok(0x0100))
    );
    assert_eq!(mem.fetch_or_u32(4, 1 << 31, R), Ok(0));
    assert_eq!(mem.fetch_and_u32(4, !(1 << 31), R), Ok(1 << 31));
    assert_eq!(mem.compare_exchange_u32(4, 1, 2, R, R), Ok(Err(0)));
    assert_eq!(mem.fetch_or_u64(8, 1 << 63, R), Ok(0));
    assert_eq!(mem.fetch_and_u64(8, 1 << 63 | 1, R), Ok(1 << 63));
    assert_eq!(
        mem.compare_exchange_u64(8, 1 << 63, 5, Ordering::SeqCst, Ordering::SeqCst),
        Ok(Ok(1 << 63))
    );
    assert_eq!(mem.load_u64(8, R), Ok(5));
    // Neighbouring fields are untouched.
    assert_eq!(mem.load_u8(1, R), Ok(0));
    assert_eq!(mem.load_u32(0, R), Ok(0x0202_0007));
}

#[derive(Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
#[repr(C)]
struct Entry {
    flags: u16,
    domid: u16,
    frame: u32,
}

#[test]
fn copies_and_values() {
    let mut page = [0u64; 4];
    let mem = SharedMem::from_mut(page.as_mut_bytes()).unwrap();
    let e = Entry {
        flags: 1,
        domid: 2,
        frame: 3,
    };
    mem.write(8, &e).unwrap();
    assert_eq!(mem.read::<Entry>(8), Ok(e));
    // Unaligned copies are fine: they go byte by byte.
    mem.copy_in(3, b"hello").unwrap();
    let mut out = [0u8; 5];
    mem.copy_out(3, &mut out).unwrap();
    assert_eq!(&out, b"hello");
    assert_eq!(mem.read::<[u8; 3]>(5), Ok(*b"llo"));
    mem.fill(16, 16, 0xee).unwrap();
    assert_eq!(mem.load_u64(24, R), Ok(u64::MAX - 0x1111_1111_1111_1111));
    mem.copy_in(0, &[]).unwrap();
    mem.copy_out(32, &mut []).unwrap();
}

#[test]
fn sub_regions_and_read_only_views() {
    let mut page = [0u64; 4];
    let mem = SharedMem::from_mut(page.as_mut_bytes()).unwrap();
    let tail = mem.sub(16, 16).unwrap();
    assert_eq!(tail.len(), 16);
    assert_eq!(tail.addr(), mem.addr() + 16);
    tail.store_u32(4, 0x55, R).unwrap();
    assert_eq!(mem.load_u32(20, R), Ok(0x55));
    assert_eq!(tail.load_u32(16, R), Err(oob(16, 4, 16)));
    let ro = tail.read_only();
    assert_eq!(ro.load_u32(4, R), Ok(0x55));
    assert_eq!(ro.sub(8, 8).unwrap().len(), 8);
    assert!(mem.sub(32, 0).unwrap().is_empty());
    let ptr = NonNull::from(&mut page[..]).cast::<u8>();
    // SAFETY: `page` outlives the handle, and is only read through it.
    let ro = unsafe { SharedMem::new_read_only(ptr, 32) }.unwrap();
    assert_eq!(ro.read::<u32>(20), Ok(0x55));
}

/// Two threads set disjoint bits of one word, then race to claim a slot:
/// no update is lost, exactly one claim wins.
#[test]
fn two_threads_fetch_or_and_compare_exchange() {
    // Under Miri (thousands of times slower) a few rounds.
    const ROUNDS: u32 = if cfg!(miri) { 30 } else { 20_000 };
    let mut page = [0u64; 2];
    let mem = SharedMem::from_mut(page.as_mut_bytes()).unwrap();
    let wins = thread::scope(|s| {
        let racers: Vec<_> = (0..2u32)
            .map(|id| {
                let mem = mem.sub(0, 16).unwrap();
                s.spawn(move || {
                    let mut wins = 0;
                    for round in 0..ROUNDS {
                        let bit = 1u64 << ((round % 32) * 2 + id);
                        let old = mem.fetch_or_u64(0, bit, Ordering::AcqRel).unwrap();
                        assert_eq!(old & bit, 0);
                        mem.fetch_and_u64(0, !bit, Ordering::AcqRel).unwrap();
                        let claimed = mem
                            .compare_exchange_u32(8, round * 2, round * 2 + 1, Ordering::AcqRel, R)
                            .unwrap();
                        if claimed.is_ok() {
                            wins += 1;
                        }
                        // Both see the slot claimed (values only grow).
                        while mem.load_u32(8, Ordering::Acquire).unwrap() < round * 2 + 1 {
                            std::hint::spin_loop();
                        }
                        // Advance once both have seen it: the loser does.
                        if claimed.is_err() {
                            mem.store_u32(12, round + 1, Ordering::Release).unwrap();
                        }
                        while mem.load_u32(12, Ordering::Acquire).unwrap() <= round {
                            std::hint::spin_loop();
                        }
                        if claimed.is_ok() {
                            mem.store_u32(8, (round + 1) * 2, Ordering::Release)
                                .unwrap();
                        }
                        while mem.load_u32(8, Ordering::Acquire).unwrap() < (round + 1) * 2 {
                            std::hint::spin_loop();
                        }
                    }
                    wins
                })
            })
            .collect();
        racers
            .into_iter()
            .map(|r| r.join().unwrap())
            .collect::<Vec<u32>>()
    });
    assert_eq!(wins.iter().sum::<u32>(), ROUNDS);
    assert_eq!(mem.load_u64(0, R), Ok(0));
}

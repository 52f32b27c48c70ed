// SPDX-License-Identifier: MIT OR Apache-2.0
//! Ring benchmark over the blkif layout between two spinning threads: the
//! Rust half of `cargo xtask bench` (the C half is the same workload written
//! with `ring.h`'s macros; xtask runs both, interleaved, and prints ratios).
//!
//! `cargo bench -p xen-abi --bench ring -- <window> <requests> [<front cpu>
//! <back cpu>]` prints `ns_per_req=<f> notify_per_req=<f> reqs=<n> ...`.
//! `window` is the most requests in flight: 1 is ping-pong, 32 (the ring's
//! size) is streaming. With the CPUs, each thread pins itself to its own
//! (`sched_setaffinity`), as the C program does.
//!
//! The front end notes the time each time another [`LAPS`]th of the
//! requests is answered; `ns_per_req` is the median lap's (a lap that a
//! host preemption or an interrupt hit does not move it), `mean_ns_per_req`
//! the whole run's. The C program does the same.
#![allow(clippy::std_instead_of_core, missing_docs)]

use std::hint::spin_loop;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Laps timed per run (odd: the median is one lap's).
const LAPS: u64 = 25;

use xen_abi::grant_table::GrantRef;
use xen_abi::io::blkif::{Operation, RequestSegment, Response, Status, Vdev};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The leading fields of a blkif request: all a back end that answers with
/// the request's id and operation looks at (C's back end reads the same two
/// fields, and gcc copies no more of the slot than that).
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct RequestHead {
    operation: Operation,
    nr_segments: u8,
    handle: Vdev,
    _pad0: [u8; 4],
    id: u64,
}

/// A blkif request up to its first segment: all a front end that sends
/// one-segment requests writes into the slot (C's front end sets the same
/// fields in the slot one by one; the other ten segments stay as they were).
#[derive(Clone, Copy, IntoBytes, Immutable)]
#[repr(C)]
struct RequestOneSegment {
    operation: Operation,
    nr_segments: u8,
    handle: Vdev,
    _pad0: [u8; 4],
    id: u64,
    sector_number: u64,
    seg: RequestSegment,
}
use xen_abi::io::ring::{BlkifBackRing, BlkifFrontRing, SharedMem, PAGE_SIZE};

/// An event channel stand-in: a pending flag on its own cache line.
#[repr(align(64))]
struct Evtchn(AtomicU32);

impl Evtchn {
    fn notify(&self, count: &mut u64) {
        *count += 1;
        self.0.store(1, Ordering::Release);
    }

    fn wait(&self) {
        loop {
            if self.0.load(Ordering::Acquire) != 0 && self.0.swap(0, Ordering::Acquire) != 0 {
                return;
            }
            spin_loop();
        }
    }
}

/// Pins the calling thread to `cpu` (none if `None`).
fn pin(cpu: Option<usize>) {
    let Some(cpu) = cpu else { return };
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET and
    // sched_setaffinity only touch the set passed by reference, and pid 0
    // is the calling thread.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set)
    };
    assert_eq!(rc, 0, "sched_setaffinity(CPU {cpu}) failed");
}

#[repr(C, align(4096))]
struct Page([u8; PAGE_SIZE]);

/// One run: (median lap ns/req, whole run ns/req, notifications/req, requests).
fn run(window: u64, n: u64, cpus: Option<(usize, usize)>) -> (f64, f64, f64, u64) {
    pin(cpus.map(|c| c.0));
    let mut page = Box::new(Page([0; PAGE_SIZE]));
    let p = NonNull::from(&mut page.0[..]).cast::<u8>();
    // SAFETY: `page` outlives both handles (the threads are joined below)
    // and is only accessed through them.
    let (fm, bm) = unsafe {
        (
            SharedMem::new(p, PAGE_SIZE).unwrap(),
            SharedMem::new(p, PAGE_SIZE).unwrap(),
        )
    };
    let (to_back, to_front) = (Evtchn(AtomicU32::new(0)), Evtchn(AtomicU32::new(0)));
    let mut marks = [Duration::ZERO; LAPS as usize];
    let start = Instant::now();
    let (front_notes, back_notes, done) = thread::scope(|s| {
        // The front ring and the loop bounds are made or copied here, like
        // the back end's, so that they live in this closure's registers
        // rather than behind captured references that the compiler must
        // reload after every store to the page.
        let mut front = BlkifFrontRing::init(fm).unwrap();
        let (window, n) = (window, n);
        let (to_back, to_front) = (&to_back, &to_front);
        let back = s.spawn(move || {
            pin(cpus.map(|c| c.1));
            let mut back = BlkifBackRing::attach(bm, 0).unwrap();
            let (mut done, mut notes) = (0u64, 0u64);
            loop {
                let mut k = 0;
                back.fetch_requests().expect("honest peer");
                while let Some(req) = back.take_request_head::<RequestHead>() {
                    let rsp = Response {
                        id: req.id,
                        operation: req.operation,
                        status: Status::OKAY,
                        ..Response::default()
                    };
                    back.produce(&rsp).expect("answering a consumed request");
                    k += 1;
                }
                done += k;
                if k > 0 && back.publish().needed() {
                    to_front.notify(&mut notes);
                }
                if done == n {
                    return notes;
                }
                if !back.final_check_for_requests().expect("honest peer") {
                    to_back.wait();
                }
            }
        });
        let (mut sent, mut done, mut notes) = (0u64, 0u64, 0u64);
        let (mut lap, mut next_mark) = (0u64, n / LAPS);
        while done < n {
            let mut k = 0;
            while sent < n && sent - done < window && !front.is_full() {
                let req = RequestOneSegment {
                    operation: Operation::READ,
                    nr_segments: 1,
                    handle: 0,
                    _pad0: [0; 4],
                    id: sent,
                    sector_number: sent * 8,
                    seg: RequestSegment {
                        gref: GrantRef::new_unchecked(1),
                        first_sect: 0,
                        last_sect: 7,
                        _pad0: [0; 2],
                    },
                };
                front.produce_head(&req).expect("not full");
                sent += 1;
                k += 1;
            }
            if k > 0 && front.publish().needed() {
                to_back.notify(&mut notes);
            }
            front.fetch_responses().expect("honest peer");
            while let Some(rsp) = front.take_response() {
                // No formatted message: `done` stays in a register.
                assert!(rsp.id == done, "response out of order");
                done += 1;
            }
            while lap < LAPS && done >= next_mark {
                marks[lap as usize] = start.elapsed();
                lap += 1;
                next_mark = (lap + 1) * n / LAPS;
            }
            if done < n
                && (sent == n || sent - done >= window || front.is_full())
                && !front.final_check_for_responses().expect("honest peer")
            {
                to_front.wait();
            }
        }
        (notes, back.join().unwrap(), done)
    });
    let mut laps: Vec<f64> = (0..LAPS)
        .map(|i| {
            let before = if i == 0 {
                Duration::ZERO
            } else {
                marks[i as usize - 1]
            };
            let reqs = (i + 1) * n / LAPS - i * n / LAPS;
            (marks[i as usize] - before).as_nanos() as f64 / reqs as f64
        })
        .collect();
    laps.sort_by(f64::total_cmp);
    let mean = marks[LAPS as usize - 1].as_nanos() as f64 / n as f64;
    (
        laps[laps.len() / 2],
        mean,
        (front_notes + back_notes) as f64 / n as f64,
        done,
    )
}

fn main() {
    // `cargo bench` appends `--bench`; ignore flags.
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let window = args.first().copied().unwrap_or(1).max(1);
    let n = args.get(1).copied().unwrap_or(200_000).max(LAPS);
    let cpus = match (args.get(2), args.get(3)) {
        (Some(&f), Some(&b)) => Some((f as usize, b as usize)),
        _ => None,
    };
    let (ns, mean, notes, done) = run(window, n, cpus);
    let cpu = |c: Option<usize>| c.map_or(-1, |c| c as i64);
    println!(
        "ns_per_req={ns:.2} mean_ns_per_req={mean:.2} notify_per_req={notes:.4} reqs={done} front_cpu={} back_cpu={}",
        cpu(cpus.map(|c| c.0)),
        cpu(cpus.map(|c| c.1))
    );
}

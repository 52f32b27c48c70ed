// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Rust side of `cargo xtask bench --only grant`, run inside dom0.
//!
//! ```text
//! grant_bench map SECONDS   map + touch + unmap 16 of our own gntalloc pages
//! grant_bench copy SECONDS  grant copy of 16 full pages into a local buffer
//! ```
//!
//! Dom0 shares 16 pages with itself through gntalloc, then loops until
//! `SECONDS` have passed (after a warm-up) and prints
//! `GRBENCH impl=rust mode=map|copy ops=N secs=S ops_per_s=R` (one op: a
//! cycle of 16 pages; for copy, 16 pages copied).

#[cfg(all(feature = "std", target_os = "linux"))]
fn main() -> std::process::ExitCode {
    match bench::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("grant_bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(all(feature = "std", target_os = "linux")))]
fn main() {}

#[cfg(all(feature = "std", target_os = "linux"))]
mod bench {
    use std::time::Instant;

    use xen_abi::io::shm::Ordering::Relaxed;
    use xen_abi::DomId;
    use xen_grant::linux::{Access, CopySegment, Gntalloc, Gntdev, GrantAddr, PAGE_SIZE};

    /// Pages per cycle.
    const PAGES: usize = 16;
    /// Cycles between clock reads.
    const BATCH: u64 = 16;

    pub(crate) fn run() -> Result<(), Box<dyn core::error::Error>> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let [mode, secs] = &args[..] else {
            return Err("usage: grant_bench map|copy SECONDS".into());
        };
        let secs: f64 = secs.parse()?;
        let (ga, gd) = (Gntalloc::open()?, Gntdev::open()?);
        let shared = ga.share(DomId::DOM0, PAGES, Access::ReadWrite)?;
        let refs = shared.refs();
        let mut buf = vec![0u8; PAGES * PAGE_SIZE];
        let mut cycle = |gd: &Gntdev| -> Result<(), xen_grant::Error> {
            match mode.as_str() {
                "map" => {
                    let m = gd.map(DomId::DOM0, refs, Access::ReadWrite)?;
                    let mem = m.shared_mem(..)?;
                    for p in 0..PAGES {
                        mem.store_u8(p * PAGE_SIZE, p as u8, Relaxed)?;
                    }
                    Ok(())
                }
                _ => {
                    let mut segs: Vec<CopySegment<'_>> = buf
                        .chunks_mut(PAGE_SIZE)
                        .zip(refs)
                        .map(|(b, &r)| CopySegment::from_grant(GrantAddr::new(DomId::DOM0, r), b))
                        .collect();
                    gd.copy(&mut segs)
                }
            }
        };
        if mode != "map" && mode != "copy" {
            return Err(format!("unknown mode {mode}").into());
        }
        for _ in 0..BATCH {
            cycle(&gd)?;
        }
        let t = Instant::now();
        let mut ops = 0u64;
        while t.elapsed().as_secs_f64() < secs {
            for _ in 0..BATCH {
                cycle(&gd)?;
            }
            ops += BATCH;
        }
        let el = t.elapsed().as_secs_f64();
        println!(
            "GRBENCH impl=rust mode={mode} ops={ops} secs={el:.3} ops_per_s={:.1}",
            ops as f64 / el
        );
        Ok(())
    }
}

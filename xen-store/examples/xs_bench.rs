// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Rust side of `cargo xtask bench --only xenstore`, run inside dom0
//! against the real xenstored, over its Unix socket (as the C side).
//!
//! ```text
//! xs_bench [--sched-batch] seq SECONDS        one request at a time
//! xs_bench [--sched-batch] pipelined SECONDS  64 requests in flight: one
//!                                             write of 64 (`submit_batch`),
//!                                             then wait for each
//! ```
//!
//! Both alternate `XS_WRITE` and `XS_READ` of one 16-byte value at
//! `/bench/k`, warm up first, run in batches of 64 until `SECONDS` have
//! passed and print
//! `XSBENCH impl=rust mode=... sched=other|batch ops=N secs=S ops_per_s=R`,
//! `sched` being the policy the process runs under, as the kernel reports it.
//!
//! `--sched-batch` first switches the process to `SCHED_BATCH` (Linux), and
//! fails if that is refused: a woken `SCHED_BATCH` task does not preempt the
//! running one, so the client no longer interrupts xenstored between the
//! header and the body of a reply, which xenstored writes separately.

#[cfg(feature = "std")]
fn main() -> std::process::ExitCode {
    match bench::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xs_bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "std"))]
fn main() {}

#[cfg(feature = "std")]
mod bench {
    use core::time::Duration;
    use std::time::Instant;

    use xen_abi::io::xs_wire::TxId;
    use xen_store::wire::Request;
    use xen_store::{Store, Xenstore};

    const KEY: &str = "/bench/k";
    const VALUE: &[u8; 16] = b"0123456789abcdef";
    /// Requests per batch, and in flight when pipelined.
    const BATCH: u64 = 64;

    /// Operation `i`: even ones write, odd ones read.
    fn request(i: u64) -> Request<'static> {
        if i % 2 == 0 {
            Request::Write {
                path: KEY,
                value: VALUE,
            }
        } else {
            Request::Read { path: KEY }
        }
    }

    fn check_read(i: u64, payload: &[u8]) -> Result<(), String> {
        if i % 2 == 1 && payload != VALUE {
            return Err(format!("read back {payload:?}"));
        }
        Ok(())
    }

    fn seq_batch(xs: &Xenstore, first: u64) -> Result<(), String> {
        for i in first..first + BATCH {
            if i % 2 == 0 {
                xs.write(KEY, VALUE).map_err(|e| e.to_string())?;
            } else {
                check_read(i, &xs.read(KEY).map_err(|e| e.to_string())?)?;
            }
        }
        Ok(())
    }

    fn pipelined_batch(xs: &Xenstore, first: u64) -> Result<(), String> {
        let pending = xs
            .submit_batch(TxId::NONE, (first..first + BATCH).map(request))
            .map_err(|e| e.to_string())?;
        for (i, p) in (first..).zip(pending) {
            let reply = xs.wait(p).map_err(|e| e.to_string())?;
            check_read(i, &reply.payload)?;
        }
        Ok(())
    }

    /// Switches this process to `SCHED_BATCH` (no wakeup preemption).
    #[cfg(target_os = "linux")]
    fn set_sched_batch() -> Result<(), String> {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `sched_setscheduler` only reads the `sched_param` behind the
        // pointer, a live local; pid 0 is this (single-threaded) process.
        let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
        if rc != 0 {
            return Err(format!(
                "sched_setscheduler(SCHED_BATCH): {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    fn set_sched_batch() -> Result<(), String> {
        Err("--sched-batch needs Linux".into())
    }

    /// The scheduling policy this process runs under, as the kernel says.
    #[cfg(target_os = "linux")]
    fn sched_policy() -> String {
        // SAFETY: `sched_getscheduler` takes no pointers; pid 0 is this process.
        match unsafe { libc::sched_getscheduler(0) } {
            libc::SCHED_OTHER => "other".into(),
            libc::SCHED_BATCH => "batch".into(),
            p => format!("policy{p}"),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn sched_policy() -> String {
        "other".into()
    }

    /// This process's voluntary context switches so far (`/proc/self/status`).
    fn voluntary_switches() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .find_map(|l| {
                l.strip_prefix("voluntary_ctxt_switches:")?
                    .trim()
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    }

    pub(crate) fn run() -> Result<(), String> {
        let mut args = std::env::args().skip(1).peekable();
        if args.next_if(|a| a == "--sched-batch").is_some() {
            set_sched_batch()?;
        }
        let mode = args.next().unwrap_or_else(|| "seq".into());
        let secs: f64 = args
            .next()
            .map_or(Ok(1.0), |s| s.parse())
            .map_err(|e| format!("SECONDS: {e}"))?;
        let batch: fn(&Xenstore, u64) -> Result<(), String> = match mode.as_str() {
            "seq" => seq_batch,
            "pipelined" => pipelined_batch,
            other => return Err(format!("unknown mode `{other}` (seq or pipelined)")),
        };
        let xs = Xenstore::open_socket().map_err(|e| format!("open the socket: {e}"))?;
        for w in 0..4 {
            batch(&xs, w * BATCH)?;
        }
        let budget = Duration::from_secs_f64(secs);
        let csw0 = voluntary_switches();
        let t0 = Instant::now();
        let mut ops = 0;
        while t0.elapsed() < budget {
            batch(&xs, ops)?;
            ops += BATCH;
        }
        let t = t0.elapsed().as_secs_f64();
        // How often the client blocked per operation: each is a wakeup by
        // xenstored, which on one CPU is also a preemption of it.
        let csw = voluntary_switches().saturating_sub(csw0);
        println!(
            "XSBENCH impl=rust mode={mode} sched={} ops={ops} secs={t:.6} ops_per_s={:.1} blocks_per_op={:.2}",
            sched_policy(),
            ops as f64 / t,
            csw as f64 / ops as f64
        );
        Ok(())
    }
}

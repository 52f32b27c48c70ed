// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Rust side of `cargo xtask bench --only vchan` (the C side is
//! xtask's `vchan_bench.c`, on libxenvchan): connects to the vchan domU's
//! stream server (DOMID, PATH), reads MIB MiB with reads of at most BUF
//! bytes, checks the first byte of every read against the stream's pattern
//! (byte k is k % 251), closes, and prints
//! `VCBENCH impl=rust bytes=N secs=S mib_per_s=R rx_notifies=K`, K being
//! the events dom0 took on the channel's port (its `evtchn:<our name>` line
//! in /proc/interrupts), as the C side counts them.
#![allow(clippy::std_instead_of_core)]

use std::io::Read;
use std::time::{Duration, Instant};

use xen_abi::DomId;
use xen_vchan::linux::Client;

/// The events on the `/proc/interrupts` lines naming `evtchn:<comm>`.
fn interrupts(comm: &str) -> u64 {
    let tag = format!("evtchn:{comm}");
    std::fs::read_to_string("/proc/interrupts")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(&tag))
        .filter_map(|l| l.split_once(':').map(|(_, rest)| rest))
        .map(|rest| {
            rest.split_whitespace()
                .map_while(|w| w.parse::<u64>().ok())
                .sum::<u64>()
        })
        .sum()
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [domid, path, mib, bufsize] = &args[..] else {
        return Err("usage: vchan_bench DOMID PATH MIB BUF".into());
    };
    let domid: u16 = domid.parse().map_err(|e| format!("DOMID: {e}"))?;
    let domid = DomId::new(domid).map_err(|e| format!("DOMID: {e:?}"))?;
    let want: u64 = mib.parse::<u64>().map_err(|e| format!("MIB: {e}"))? << 20;
    let bufsize: usize = bufsize.parse().map_err(|e| format!("BUF: {e}"))?;
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap_or_default();
    let comm = comm.trim();
    let mut client = Client::connect(domid, path, Duration::from_secs(10))
        .map_err(|e| format!("connect: {e}"))?;
    let mut buf = vec![0u8; bufsize];
    let rx0 = interrupts(comm);
    let mut got = 0u64;
    let t0 = Instant::now();
    while got < want {
        let n = (want - got).min(bufsize as u64) as usize;
        let r = client
            .read(&mut buf[..n])
            .map_err(|e| format!("read after {got} bytes: {e}"))?;
        if r == 0 {
            return Err(format!("end of stream after {got} bytes"));
        }
        if buf[0] != (got % 251) as u8 {
            return Err(format!("byte {got} is {}", buf[0]));
        }
        got += r as u64;
    }
    let secs = t0.elapsed().as_secs_f64();
    let rx = interrupts(comm) - rx0;
    client.close().map_err(|e| format!("close: {e}"))?;
    println!(
        "VCBENCH impl=rust bytes={got} secs={secs:.3} mib_per_s={:.2} rx_notifies={rx}",
        got as f64 / secs / 1048576.0
    );
    Ok(())
}

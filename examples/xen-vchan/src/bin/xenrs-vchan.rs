// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xenrs-vchan`: a vchan end in dom0 (or any Linux domain) over
//! `xen_vchan::linux`, printing what flows.
//!
//! ```text
//! xenrs-vchan client DOMID PATH [--send TEXT] [--bytes N] [--timeout SECS]
//! xenrs-vchan server DOMID PATH [--read-min N] [--write-min N] [--echo] [--timeout SECS]
//! ```
//!
//! `client` connects to the vchan that domain DOMID serves under the
//! xenstore PATH, sends TEXT if given, then reads until N bytes came (or
//! the server closes), showing the first bytes as a hex dump and the count.
//! `server` serves one under PATH for DOMID's client (rings of at least
//! `--read-min`/`--write-min` bytes), waits for it, and prints what it
//! sends (echoing it back with `--echo`) until it closes.
#![forbid(unsafe_code)]
#![allow(clippy::std_instead_of_core)]

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use xen_abi::DomId;
use xen_vchan::linux::{Client, Server};

/// Bytes shown as a hex dump.
const SHOWN: usize = 64;

fn usage() -> ExitCode {
    eprintln!(
        "usage: xenrs-vchan client DOMID PATH [--send TEXT] [--bytes N] [--timeout SECS]\n       \
         xenrs-vchan server DOMID PATH [--read-min N] [--write-min N] [--echo] [--timeout SECS]"
    );
    ExitCode::from(2)
}

/// The parsed command line.
struct Args {
    server: bool,
    domid: u16,
    path: String,
    send: Option<String>,
    bytes: Option<u64>,
    read_min: usize,
    write_min: usize,
    echo: bool,
    timeout: Duration,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let server = match it.next().as_deref() {
        Some("client") => false,
        Some("server") => true,
        other => return Err(format!("unknown mode {other:?}")),
    };
    let domid = it
        .next()
        .ok_or("no DOMID")?
        .parse()
        .map_err(|e| format!("DOMID: {e}"))?;
    let path = it.next().ok_or("no PATH")?;
    let mut a = Args {
        server,
        domid,
        path,
        send: None,
        bytes: None,
        read_min: 1024,
        write_min: 2048,
        echo: false,
        timeout: Duration::from_secs(30),
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--send" => a.send = Some(value()?),
            "--bytes" => a.bytes = Some(value()?.parse().map_err(|e| format!("--bytes: {e}"))?),
            "--read-min" => {
                a.read_min = value()?.parse().map_err(|e| format!("--read-min: {e}"))?
            }
            "--write-min" => {
                a.write_min = value()?.parse().map_err(|e| format!("--write-min: {e}"))?
            }
            "--timeout" => {
                a.timeout =
                    Duration::from_secs(value()?.parse().map_err(|e| format!("--timeout: {e}"))?)
            }
            "--echo" => a.echo = true,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(a)
}

/// Shows the first bytes received, 16 a line, offset first.
fn hex_dump(offset: usize, bytes: &[u8]) {
    for (i, line) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
        let text: String = line
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        println!("{:08x}  {:<47}  |{text}|", offset + i * 16, hex.join(" "));
    }
}

/// Reads from `end` until `limit` bytes came or the peer closed, showing
/// the first [`SHOWN`]; with `echo`, writes each piece back.
fn receive(end: &mut (impl Read + Write), limit: Option<u64>, echo: bool) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 16384];
    let mut total = 0u64;
    while limit.map_or(true, |l| total < l) {
        let want = limit.map_or(buf.len(), |l| (l - total).min(buf.len() as u64) as usize);
        let n = end.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        if (total as usize) < SHOWN {
            let k = n.min(SHOWN - total as usize);
            hex_dump(total as usize, &buf[..k]);
        }
        if echo {
            end.write_all(&buf[..n])?;
        }
        total += n as u64;
    }
    Ok(total)
}

fn run(a: Args) -> Result<(), String> {
    let peer = DomId::new(a.domid).map_err(|e| format!("domain {}: {e:?}", a.domid))?;
    if a.server {
        let mut srv = Server::new(peer, &a.path, a.read_min, a.write_min)
            .map_err(|e| format!("serve {}: {e}", a.path))?;
        println!(
            "serving {} for domain {} (rings: {} bytes in, {} out); waiting for the client",
            a.path,
            a.domid,
            // The server reads the left ring, writes the right one.
            srv.orders().left_size(),
            srv.orders().right_size()
        );
        srv.wait_connected(Some(a.timeout))
            .map_err(|e| format!("no client within {:?}: {e}", a.timeout))?;
        println!("client connected");
        let n = receive(&mut srv, a.bytes, a.echo).map_err(|e| format!("after the client: {e}"))?;
        println!("received {n} bytes{}", if a.echo { ", echoed" } else { "" });
        srv.close().map_err(|e| format!("close: {e}"))?;
    } else {
        let mut cl = Client::connect(peer, &a.path, a.timeout)
            .map_err(|e| format!("connect to {}: {e}", a.path))?;
        println!(
            "connected to {} (domain {}; rings: {} bytes to us, {} from us)",
            a.path,
            a.domid,
            cl.orders().right_size(),
            cl.orders().left_size()
        );
        if let Some(text) = &a.send {
            cl.write_all(text.as_bytes())
                .map_err(|e| format!("send: {e}"))?;
            println!("sent {} bytes: {text:?}", text.len());
        }
        let n = receive(&mut cl, a.bytes, false).map_err(|e| format!("receive: {e}"))?;
        println!(
            "received {n} bytes (the first {} shown)",
            n.min(SHOWN as u64)
        );
        cl.close().map_err(|e| format!("close: {e}"))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let a = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("xenrs-vchan: {e}");
            return usage();
        }
    };
    match run(a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xenrs-vchan: {e}");
            ExitCode::FAILURE
        }
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The dom0 half of the template: lists each domain's `data/hello` (what
//! the guest half writes) and the Xen version, as a tool in dom0 would.

use std::process::ExitCode;

use xen_hypercall::privcmd::Privcmd;
use xen_hypercall::version;
use xen_store::{Store, Xenstore};

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let xs = Xenstore::open()?;
    for domid in xs.directory("/local/domain")? {
        let hello = xs.read_opt(&format!("/local/domain/{domid}/data/hello"))?;
        let hello = hello.map(|v| String::from_utf8_lossy(&v).into_owned());
        println!("domain {domid}: {}", hello.as_deref().unwrap_or("-"));
    }
    let hc = Privcmd::open()?;
    println!("Xen {}", version::version(&hc)?);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dom0-tool: {e}");
            ExitCode::FAILURE
        }
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xenrs list` / `xenrs info` side by side with `xl list` / `xl info` on
//! the same boot (the release's own `xl`, `XENRS_XL`). Nothing `xl` prints is
//! written down here: both programs run and their fields are compared.
//!
//! Ignored outside dom0; `cargo xtask dom0` runs them there.
#![cfg(target_os = "linux")]
#![allow(clippy::std_instead_of_core, missing_docs)]

use std::collections::BTreeMap;
use std::process::Command;

use dom0_test_support::{write_pv_config, xl_stdout};

fn run(bin: &str, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    assert!(
        out.status.success(),
        "{bin} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn xl(args: &[&str]) -> String {
    xl_stdout(args)
}

fn xenrs(args: &[&str]) -> String {
    run(env!("CARGO_BIN_EXE_xenrs"), args)
}

/// `Name ID Mem VCPUs State Time`, fields counted from the right (a name
/// may hold spaces); the time is left out (it moves).
fn rows(text: &str) -> Vec<(String, String, String, String, String)> {
    let mut lines = text.lines();
    assert!(
        lines.next().is_some_and(|h| h.starts_with("Name")),
        "{text}"
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let n = f.len();
            assert!(n >= 6, "{l}");
            // Running and blocked flip from one moment to the next.
            let state: String = f[n - 2]
                .chars()
                .map(|c| if c == 'r' || c == 'b' { '-' } else { c })
                .collect();
            (
                f[..n - 5].join(" "),
                f[n - 5].to_string(),
                f[n - 4].to_string(),
                f[n - 3].to_string(),
                state,
            )
        })
        .collect()
}

fn kv(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd, xenstored and xl (run by `cargo xtask dom0`)"]
fn list_matches_xl_list() {
    let theirs = rows(&xl(&["list"]));
    let ours = rows(&xenrs(&["list"]));
    assert!(
        ours.iter().any(|r| r.0 == "Domain-0" && r.1 == "0"),
        "{ours:?}"
    );
    assert_eq!(ours, theirs);
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd, xenstored and xl (run by `cargo xtask dom0`)"]
fn info_matches_xl_info() {
    let theirs = kv(&xl(&["info"]));
    let ours = kv(&xenrs(&["info"]));
    for key in [
        "nr_cpus",
        "max_cpu_id",
        "nr_nodes",
        "cores_per_socket",
        "threads_per_core",
        "cpu_mhz",
        "hw_caps",
        "total_memory",
        "xen_major",
        "xen_minor",
        "xen_extra",
        "xen_version",
        "xen_caps",
        "xen_scheduler",
        "xen_commandline",
    ] {
        assert_eq!(ours.get(key), theirs.get(key), "{key}");
        assert!(ours.contains_key(key), "{key}");
    }
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd, xenstored and xl (run by `cargo xtask dom0`)"]
fn usage_errors_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_xenrs"))
        .arg("bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
}

/// `xenrs` with `args`: (exit code, stderr).
fn xenrs_status(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xenrs"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[ignore = "needs a Xen dom0 with /dev/xen/privcmd, xenstored and xl (run by `cargo xtask dom0`)"]
fn destroy_removes_an_xl_created_domain_and_its_xenstore_nodes() {
    use xen_store::{Store, Xenstore};

    const NAME: &str = "xenrs-destroy-test";
    let kernel = std::env::var("XENRS_DOMU_KERNEL")
        .unwrap_or_else(|_| "/domu/xen-test-kernel-xs-domu".into());
    let cfg = write_pv_config(NAME, &kernel, 32, "destroy").unwrap();
    // Created paused: it never runs.
    xl(&["create", "-p", cfg.to_str().unwrap()]);
    let id = xl(&["domid", NAME]).trim().to_string();
    let xs = Xenstore::open().unwrap();
    let home = format!("/local/domain/{id}");
    assert!(xs.read(&format!("{home}/name")).is_ok(), "xl wrote {home}");
    // Let xenconsoled pick the console up first: a pick-up after the home
    // is removed would write `console/tty`, and so the home, back.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while xs
        .read(&format!("{home}/console/tty"))
        .map_or(true, |v| v.is_empty())
        && std::time::Instant::now() < end
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(rows(&xl(&["list"])).iter().any(|r| r.1 == id));

    let (code, err) = xenrs_status(&["destroy", &id]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        rows(&xl(&["list"])).iter().all(|r| r.1 != id),
        "still listed"
    );
    let gone = |p: &str| matches!(xs.read(p), Err(xen_store::Error::Xenstore(e)) if e == xen_abi::Errno::ENOENT);
    assert!(gone(&home), "{home} left behind");
    assert!(gone(&format!("/libxl/{id}")), "/libxl/{id} left behind");
    for kind in xs.directory("/local/domain/0/backend").unwrap_or_default() {
        let p = format!("/local/domain/0/backend/{kind}/{id}");
        assert!(gone(&p), "{p} left behind");
    }
    // Again: the domain is gone, typed and said so.
    let (code, err) = xenrs_status(&["destroy", &id]);
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("no domain {id}")), "{err}");
    let (code, err) = xenrs_status(&["destroy", "0"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("domain 0"), "{err}");
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The errors a user sees when xenstore cannot be reached: every path
//! tried, the OS error of each, and a hint. One test per process state
//! (`XENSTORED_PATH` is read from the environment), so this file has one
//! test that sets it.

#![allow(clippy::std_instead_of_core, unreachable_pub)]

use std::error::Error as _;
use std::path::{Path, PathBuf};

use xen_store::{ConnectError, Error, IoError, Xenstore};

fn os(errno: i32) -> IoError {
    std::io::Error::from_raw_os_error(errno).into()
}

#[test]
fn connection_failures_name_every_path_with_its_os_error_and_a_hint() {
    let dir = std::env::temp_dir().join(format!("xen-store-connect-{}", std::process::id()));
    let missing = dir.join("no-such-socket");

    // One explicit path: named, with its OS error, and the hint.
    let e = Xenstore::open_socket_at(&missing).unwrap_err();
    let Error::Connect(c) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(c.tried().len(), 1);
    assert_eq!(c.tried()[0].1.raw_os_error(), Some(2));
    assert_eq!(
        e.to_string(),
        format!(
            "cannot connect to xenstore: {}: No such file or directory (os error 2) \
             (not running on Xen, or xenstored is not running: in dom0 start xenstored; \
             in a guest the kernel provides /dev/xen/xenbus (xenfs, xen-xenbus); \
             XENSTORED_PATH names another socket or device)",
            missing.display()
        )
    );
    // The OS error stays reachable as the source.
    let source = e
        .source()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(source.raw_os_error(), Some(2));

    // `open` tries the socket, then the xenbus device: both are named, in
    // that order (XENSTORED_PATH points both at one missing path).
    std::env::set_var("XENSTORED_PATH", &missing);
    let e = Xenstore::open().unwrap_err();
    std::env::remove_var("XENSTORED_PATH");
    let Error::Connect(c) = &e else {
        panic!("{e:?}")
    };
    let paths: Vec<&Path> = c.tried().iter().map(|(p, _)| p.as_path()).collect();
    assert_eq!(paths, [missing.as_path(), missing.as_path()]);
    assert!(e.to_string().starts_with(&format!(
        "cannot connect to xenstore: {m}: No such file or directory (os error 2), then {m}: \
         No such file or directory (os error 2) (not running on Xen",
        m = missing.display()
    )));
}

#[test]
fn the_hint_follows_the_errors() {
    let sock = PathBuf::from("/var/run/xenstored/socket");
    let bus = PathBuf::from("/dev/xen/xenbus");
    // Permission denied: run as root.
    let e = ConnectError::new(vec![(sock.clone(), os(13)), (bus.clone(), os(13))]);
    assert_eq!(
        e.to_string(),
        "cannot connect to xenstore: /var/run/xenstored/socket: Permission denied (os error 13), \
         then /dev/xen/xenbus: Permission denied (os error 13) (the xenstored socket and the \
         xenbus device are root-only: run as root)"
    );
    // Refused (a stale socket): is xenstored running?
    let e = ConnectError::new(vec![(sock, os(111)), (bus, os(2))]);
    assert!(
        e.to_string()
            .ends_with("(is xenstored running? XENSTORED_PATH names another socket or device)"),
        "{e}"
    );
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xs` end to end: the binary against a small in-process xenstored on a
//! Unix socket (`XENSTORED_PATH`), checking output and exit status.

#![allow(clippy::std_instead_of_core, missing_docs)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread;

use xen_abi::io::xs_wire::TxId;
use xen_abi::{DomId, Errno};
use xen_store::wire::{encode_watch_event, Framer, Message, Request, Response};
use xen_store::{Access, Perm};

#[derive(Default)]
struct Nodes {
    values: BTreeMap<String, Vec<u8>>,
    perms: BTreeMap<String, Vec<Perm>>,
}

impl Nodes {
    fn children(&self, path: &str) -> Vec<String> {
        let prefix = if path == "/" {
            "/".to_owned()
        } else {
            format!("{path}/")
        };
        let mut out: Vec<String> = Vec::new();
        for k in self.values.keys() {
            if let Some(c) = k.strip_prefix(&prefix).and_then(|r| r.split('/').next()) {
                if !c.is_empty() && !out.iter().any(|o| o == c) {
                    out.push(c.to_owned());
                }
            }
        }
        out
    }

    fn handle(&mut self, m: &Message) -> Vec<u8> {
        let (kind, id) = (m.header.kind, m.header.req_id);
        let reply = |r: Response<'_>| r.encode(kind, id, TxId::NONE).unwrap();
        let Ok(req) = Request::decode(m) else {
            return reply(Response::Error(Errno::EINVAL));
        };
        match req {
            Request::Read { path } => match self.values.get(path) {
                Some(v) => reply(Response::Bytes(v)),
                None => reply(Response::Error(Errno::ENOENT)),
            },
            Request::Write { path, value } => {
                let mut at = 0;
                while let Some(i) = path[at + 1..].find('/') {
                    at += i + 1;
                    self.values.entry(path[..at].to_owned()).or_default();
                }
                self.values.insert(path.to_owned(), value.to_vec());
                reply(Response::Ok)
            }
            Request::Rm { path } => {
                let sub = format!("{path}/");
                self.values.retain(|k, _| k != path && !k.starts_with(&sub));
                reply(Response::Ok)
            }
            Request::Directory { path } => {
                let c = self.children(path);
                let refs: Vec<&str> = c.iter().map(String::as_str).collect();
                reply(Response::List(&refs))
            }
            Request::GetPerms { path } => {
                let owner = [Perm::new(Access::None, DomId::DOM0)];
                reply(Response::Perms(
                    self.perms.get(path).map_or(&owner[..], Vec::as_slice),
                ))
            }
            Request::SetPerms { path, perms } => {
                self.perms.insert(path.to_owned(), perms);
                reply(Response::Ok)
            }
            Request::Watch { path, token } => {
                let mut out = reply(Response::Ok);
                out.extend(encode_watch_event(path, token).unwrap());
                out
            }
            Request::Unwatch { .. } => reply(Response::Ok),
            // One client at a time: a transaction is just a bracket here.
            Request::TransactionStart => reply(Response::Number(1)),
            Request::TransactionEnd { .. } => reply(Response::Ok),
            _ => reply(Response::Error(Errno::EINVAL)),
        }
    }
}

fn serve(mut s: UnixStream, nodes: &Mutex<Nodes>) {
    let mut f = Framer::new();
    let mut buf = [0u8; 8192];
    while let Ok(n @ 1..) = s.read(&mut buf) {
        f.push(&buf[..n]);
        while let Ok(Some(m)) = f.next_message() {
            let out = nodes.lock().unwrap().handle(&m);
            if s.write_all(&out).is_err() {
                return;
            }
        }
    }
}

/// A fake xenstored listening on a fresh socket; returns its path.
fn daemon(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("xs-cli-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let nodes = Arc::new(Mutex::new(Nodes::default()));
    thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let nodes = Arc::clone(&nodes);
            thread::spawn(move || serve(s, &nodes));
        }
    });
    path
}

fn xs(sock: &PathBuf, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xs"))
        .args(args)
        .env("XENSTORED_PATH", sock)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn commands_against_a_fake_xenstored() {
    let sock = daemon("ops");
    let ok = |args: &[&str]| {
        let o = xs(&sock, args);
        assert!(o.status.success(), "{args:?}: {o:?}");
        stdout(&o)
    };
    ok(&["write", "/a/b", "hello", "/a/c", "q\"x"]);
    assert_eq!(ok(&["read", "/a/b", "/a/c"]), "hello\nq\"x\n");
    assert_eq!(ok(&["ls"]), "a = \"\"\n b = \"hello\"\n c = \"q\"x\"\n");
    assert_eq!(ok(&["ls", "/a"]), "b = \"hello\"\nc = \"q\"x\"\n");
    ok(&["write", "/e", r"t\tn\n\x01"]);
    assert_eq!(ok(&["read", "/e"]), "t\\tn\\n\\001\n");
    assert_eq!(ok(&["read", "-R", "/e", "/a/b"]), "t\tn\n\x01hello");
    ok(&["rm", "/e"]);
    assert_eq!(ok(&["perms", "/a/b"]), "n0\n");
    ok(&["perms", "/a/b", "b0", "r5"]);
    assert_eq!(ok(&["perms", "/a/b"]), "b0 r5\n");
    assert_eq!(ok(&["watch", "-n", "1", "/a"]), "/a /a\n");
    ok(&["rm", "/a/c"]);
    let o = xs(&sock, &["read", "/a/c"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("ENOENT"),
        "{o:?}"
    );
}

#[test]
fn options_like_the_xenstore_tools() {
    let sock = daemon("opts");
    let run = |args: &[&str]| {
        let o = xs(&sock, args);
        (
            o.status.code(),
            stdout(&o),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let ok = |args: &[&str]| {
        let (code, out, err) = run(args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        out
    };
    ok(&["write", "/o/a", "1", "/o/a/b", "xyz", "/o/c", ""]);
    ok(&["perms", "/o/a", "n0", "r5"]);

    // ls -f, -p and both.
    assert_eq!(
        ok(&["ls", "-f", "/o"]),
        "/o/a = \"1\"\n/o/a/b = \"xyz\"\n/o/c = \"\"\n"
    );
    assert_eq!(
        ok(&["ls", "/o", "-fp"]),
        "/o/a = \"1\"   (n0,r5)\n/o/a/b = \"xyz\"   (n0)\n/o/c = \"\"   (n0)\n"
    );
    let dots = |from: usize| -> String {
        (from..60)
            .map(|c| if c % 2 == 1 { '.' } else { ' ' })
            .collect()
    };
    assert_eq!(
        ok(&["ls", "-p", "/o"]),
        format!(
            "a = \"1\" {}  (n0,r5)\n b = \"xyz\" {}  (n0)\nc = \"\" {}  (n0)\n",
            dots(8),
            dots(11),
            dots(7)
        )
    );
    assert_eq!(ok(&["ls", "-f"]), ok(&["ls", "-f", "/"]));
    assert!(ok(&["ls", "-f"]).starts_with("/o = \"\"\n/o/a = \"1\"\n"));

    // read -p, with and without -R.
    assert_eq!(
        ok(&["read", "-p", "/o/a", "/o/a/b", "/o/c"]),
        "/o/a: 1\n/o/a/b: xyz\n/o/c: \n"
    );
    assert_eq!(ok(&["read", "-pR", "/o/a", "/o/a/b"]), "/o/a: 1/o/a/b: xyz");

    // list, list -p (`/` adds no second slash), exists.
    assert_eq!(ok(&["list", "/o", "/o/a"]), "a\nc\nb\n");
    assert_eq!(ok(&["list", "-p", "/o", "/o/a"]), "/o/a\n/o/c\n/o/a/b\n");
    assert!(ok(&["list", "-p", "/"]).starts_with("/o\n"));
    assert_eq!(ok(&["exists", "/o/a", "/o/c"]), "");
    assert_eq!(
        run(&["exists", "/o/a", "/o/nope"]),
        (Some(1), String::new(), String::new())
    );

    // rm -t: the parents left empty go, up to one with a child or a value.
    ok(&[
        "write", "/t/x/y/z", "1", "/t/keep", "v", "/v", "val", "/v/c", "1",
    ]);
    ok(&["rm", "-t", "/t/x/y/z", "/v/c"]);
    assert_eq!(ok(&["ls", "-f", "/t"]), "/t/keep = \"v\"\n");
    assert_eq!(ok(&["ls", "-f", "/v"]), "");
    assert_eq!(ok(&["read", "/v"]), "val\n");
    ok(&["rm", "--tidy", "/t/keep"]);
    assert_eq!(run(&["exists", "/t"]).0, Some(1));
    // Without -t the parent stays.
    ok(&["write", "/u/x", "1"]);
    ok(&["rm", "/u/x"]);
    assert_eq!(ok(&["exists", "/u"]), "");

    // watch: several paths, events of all of them, counted together.
    assert_eq!(ok(&["watch", "-n", "2", "/o", "/t"]), "/o /o\n/t /t\n");
    assert_eq!(ok(&["watch", "/o", "/t", "--number=1"]), "/o /o\n");

    // Strict parsing: unknown options are usage errors.
    for bad in [
        &["ls", "-t"][..],
        &["rm", "-p", "/o"],
        &["read", "-f", "/o"],
    ] {
        let (code, _, err) = run(bad);
        assert_eq!(code, Some(2), "{bad:?}");
        assert!(
            err.contains("unknown option") && err.contains("usage: xs"),
            "{err}"
        );
    }
}

#[test]
fn bad_command_lines_and_missing_daemon() {
    let none = PathBuf::from("/nonexistent/xenstored.sock");
    for bad in [
        &[][..],
        &["read", "/a//b"],
        &["perms", "/a", "x9"],
        &["nope"],
    ] {
        let o = xs(&none, bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        // A mistake: what is wrong, then the short usage only.
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.starts_with("xs: ")
                && err.ends_with(
                    "\nusage: xs <ls|read|write|rm|list|exists|watch|perms> [options] [args]\n\
                     Try `xs --help` for more.\n"
                ),
            "{bad:?}: {err}"
        );
        assert_eq!(err.lines().count(), 3, "{bad:?}: {err}");
    }
    // --help: the full text on stdout, every subcommand in it, status 0.
    for help in ["--help", "-h", "help"] {
        let o = xs(&none, &[help]);
        assert_eq!(o.status.code(), Some(0));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.starts_with("usage: xs <command> [options] [args]\n"),
            "{out}"
        );
        for cmd in [
            "ls", "read", "write", "rm", "list", "exists", "watch", "perms",
        ] {
            assert!(
                out.contains(&format!("\n  {cmd} ")),
                "{cmd} missing from --help: {out}"
            );
        }
    }
    // --version: the package version, status 0, no connection needed.
    for v in ["--version", "-V"] {
        let o = xs(&none, &[v]);
        assert_eq!(o.status.code(), Some(0));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            format!("xs {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
    let o = xs(&none, &["read", "/a"]);
    assert_eq!(o.status.code(), Some(1));
    // The paths tried (XENSTORED_PATH, as a socket then as a device), the
    // OS error and a hint, with no usage text.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with(
            "xs: cannot connect to xenstore: /nonexistent/xenstored.sock: No such file or \
             directory (os error 2), then /nonexistent/xenstored.sock: No such file or \
             directory (os error 2) (not running on Xen, or xenstored is not running"
        ),
        "{err}"
    );
}

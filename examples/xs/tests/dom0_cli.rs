// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xs` against Debian's real C xenstored in a Linux dom0, side by side with
//! the real xenstore-* tools (Debian's xenstore-utils) on the same nodes:
//! what one writes the other reads, `ls`, removal, permissions, watches and
//! failures. Every comparison runs both programs; nothing the C tools print
//! is written down here.
//!
//! `xs` runs over xenstored's socket and over `/dev/xen/xenbus`; the C tools
//! over the socket.
//!
//! Every test needs a running xenstored and is ignored elsewhere;
//! `cargo xtask dom0` boots Xen 4.17 and 4.20 with a Linux dom0 under QEMU
//! and runs this binary there with `--include-ignored`.
#![cfg(target_os = "linux")]
#![allow(clippy::std_instead_of_core, missing_docs)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

use xen_store::{Store, Xenstore, DEFAULT_SOCKET, XENBUS_DEVICE};

/// How `xs` reaches xenstored.
#[derive(Clone, Copy, Debug)]
enum Via {
    Socket,
    Xenbus,
}

const BOTH: [Via; 2] = [Via::Socket, Via::Xenbus];

impl Via {
    /// A test's own subtree, removed first.
    fn base(self, test: &str) -> String {
        let base = format!("/xs-cli-test/{self:?}/{test}").to_lowercase();
        tool("rm", &[&base]);
        base
    }
}

fn xs_command(via: Via) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xs"));
    match via {
        Via::Socket => c.env_remove("XENSTORED_PATH"),
        // As with libxenstore: not a socket, so `Xenstore::open` opens
        // the same path as the device.
        Via::Xenbus => c.env("XENSTORED_PATH", XENBUS_DEVICE),
    };
    c
}

fn tool_command(name: &str) -> Command {
    let mut c = Command::new(format!("/usr/bin/xenstore-{name}"));
    c.env_remove("XENSTORED_PATH");
    c
}

fn run(mut c: Command, args: &[&[u8]]) -> Output {
    c.args(args.iter().map(|a| OsStr::from_bytes(a)));
    c.output().unwrap_or_else(|e| panic!("{c:?}: {e}"))
}

fn strs<'a>(args: &'a [&'a str]) -> Vec<&'a [u8]> {
    args.iter().map(|a| a.as_bytes()).collect()
}

/// `xs args...`.
fn xs(via: Via, args: &[&str]) -> Output {
    run(xs_command(via), &strs(args))
}

/// `xs args...`, arguments as bytes.
fn xs_bytes(via: Via, args: &[&[u8]]) -> Output {
    run(xs_command(via), args)
}

/// `/usr/bin/xenstore-<name> args...`.
fn tool(name: &str, args: &[&str]) -> Output {
    run(tool_command(name), &strs(args))
}

fn tool_bytes(name: &str, args: &[&[u8]]) -> Output {
    run(tool_command(name), args)
}

/// stdout of a run that must succeed.
fn ok(o: Output, what: &str) -> Vec<u8> {
    assert!(o.status.success(), "{what}: {o:?}");
    o.stdout
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The stored bytes of `path`, as `xenstore-read -R` prints them.
fn stored(path: &str) -> Vec<u8> {
    ok(tool("read", &["-R", path]), path)
}

fn exists(path: &str) -> bool {
    tool("exists", &[path]).status.success()
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn values_cross_between_xs_and_xenstore_read_write() {
    for via in BOTH {
        let base = via.base("rw");
        let (a, b) = (format!("{base}/a"), format!("{base}/b"));
        ok(xs(via, &["write", &a, "hello world"]), "xs write");
        assert_eq!(stored(&a), b"hello world", "{via:?}");
        ok(tool("write", &[&b, "from C"]), "xenstore-write");
        assert_eq!(
            ok(xs(via, &["read", &b]), "xs read"),
            ok(tool("read", &[&b]), "xenstore-read"),
            "{via:?}"
        );
        assert_eq!(
            text(&ok(xs(via, &["read", &a, &b]), "xs read a b")),
            text(&ok(tool("read", &[&a, &b]), "xenstore-read a b")),
            "{via:?}"
        );

        // Escapes in arguments: both writers store the same bytes, both
        // readers show them the same way, raw and escaped.
        let escaped = [
            r"tab\there",
            r"nl\nx\r",
            r"\x41\102\x4a2",
            r"back\\slash",
            "quote\"d",
            r"\q\xg",
            r"\08\777",
            r"end\",
        ];
        for (i, v) in escaped.iter().enumerate() {
            let (ours, theirs) = (format!("{base}/e/xs{i}"), format!("{base}/e/c{i}"));
            ok(xs(via, &["write", &ours, v]), v);
            ok(tool("write", &[&theirs, v]), v);
            assert_eq!(stored(&ours), stored(&theirs), "{via:?}: write {v:?}");
            for raw in [false, true] {
                let flag: &[&str] = if raw { &["-R"] } else { &[] };
                let (mut o, mut c) = (vec!["read"], flag.to_vec());
                o.extend(flag);
                o.push(&ours);
                c.push(&theirs);
                assert_eq!(
                    text(&ok(xs(via, &o), v)),
                    text(&ok(tool("read", &c), v)),
                    "{via:?}: read {flag:?} {v:?}"
                );
            }
        }

        // Raw bytes, including ones that are not UTF-8.
        let raw: &[u8] = b"\x01\x07\x08\t\n\r\x1b\x7f\x80\xff\\\" ~";
        let (ours, theirs) = (format!("{base}/raw/xs"), format!("{base}/raw/c"));
        ok(
            xs_bytes(via, &[b"write", b"-R", ours.as_bytes(), raw]),
            "xs write -R",
        );
        ok(
            tool_bytes("write", &[b"-R", theirs.as_bytes(), raw]),
            "xenstore-write -R",
        );
        assert_eq!(stored(&ours), raw, "{via:?}");
        assert_eq!(stored(&theirs), raw, "{via:?}");
        assert_eq!(
            text(&ok(xs(via, &["read", &ours]), "xs read")),
            text(&ok(tool("read", &[&theirs]), "xenstore-read")),
            "{via:?}"
        );
        assert_eq!(
            ok(xs(via, &["read", "-R", &ours]), "xs read -R"),
            ok(tool("read", &["-R", &theirs]), "xenstore-read -R"),
            "{via:?}"
        );

        // A nul byte (no argument can carry one): written through the library.
        let nul = format!("{base}/nul");
        let lib = Xenstore::open_socket_at(Path::new(DEFAULT_SOCKET)).unwrap();
        lib.write(&nul, b"a\0b").unwrap();
        assert_eq!(
            text(&ok(xs(via, &["read", &nul]), "xs read nul")),
            text(&ok(tool("read", &[&nul]), "xenstore-read nul")),
            "{via:?}"
        );
        ok(tool("rm", &[&base]), "cleanup");
    }
}

/// One `xs ls` or `xenstore-ls -f` line as `(full path, rest)`.
type Entry = (String, String);

/// `xs ls below` output with full paths, in xenstore-ls -f's form.
fn flatten(below: &str, tree: &str) -> Vec<Entry> {
    let mut stack: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for line in tree.lines() {
        let name_and_rest = line.trim_start_matches(' ');
        let depth = line.len() - name_and_rest.len();
        let end = name_and_rest
            .find([' ', ':'])
            .unwrap_or(name_and_rest.len());
        let (name, rest) = name_and_rest.split_at(end);
        stack.truncate(depth);
        stack.push(name);
        let prefix = below.trim_end_matches('/');
        out.push((format!("{prefix}/{}", stack.join("/")), rest.to_owned()));
    }
    out
}

/// `xenstore-ls -f` output split the same way.
fn split_flat(flat: &str) -> Vec<Entry> {
    flat.lines()
        .map(|l| {
            let end = l.find([' ', ':']).unwrap_or(l.len());
            (l[..end].to_owned(), l[end..].to_owned())
        })
        .collect()
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn ls_matches_xenstore_ls_and_list() {
    for via in BOTH {
        let base = via.base("ls");
        let short = format!("{base}/short");
        let n = |p: &str| format!("{short}/{p}");
        ok(
            tool(
                "write",
                &[
                    &n("a"),
                    "1",
                    &n("a/b"),
                    "x y",
                    &n("a/b/c"),
                    "",
                    &n("d"),
                    r"tab\there\x01\xff",
                    &n("e"),
                    "quote\"d back\\\\slash",
                ],
            ),
            "xenstore-write",
        );
        // Short lines: byte for byte.
        let ours = text(&ok(xs(via, &["ls", &short]), "xs ls"));
        assert_eq!(
            ours,
            text(&ok(tool("ls", &[&short]), "xenstore-ls")),
            "{via:?}"
        );
        assert!(ours.lines().count() == 5, "{via:?}: {ours}");
        // The children, as xenstore-list names them.
        let top: Vec<&str> = ours
            .lines()
            .filter(|l| !l.starts_with(' '))
            .map(|l| l.split([' ', ':']).next().unwrap_or(l))
            .collect();
        let list = text(&ok(tool("list", &[&short]), "xenstore-list"));
        assert_eq!(top, list.lines().collect::<Vec<_>>(), "{via:?}");

        // xenstore-ls cuts lines at 80 columns (even into a pipe) and xs
        // does not, so a long value is compared with `xenstore-ls -f`, which
        // prints whole lines with full paths.
        let long = "0123456789".repeat(12);
        ok(
            tool("write", &[&format!("{base}/long/v"), &long]),
            "write long",
        );
        for below in [base.as_str(), "/"] {
            let ours = text(&ok(xs(via, &["ls", below]), "xs ls"));
            let flat = text(&ok(tool("ls", &["-f", below]), "xenstore-ls -f"));
            assert_eq!(flatten(below, &ours), split_flat(&flat), "{via:?}: {below}");
        }
        assert!(text(&ok(xs(via, &["ls", &base]), "xs ls")).contains(&long));

        let missing = format!("{base}/missing");
        let (o, c) = (xs(via, &["ls", &missing]), tool("ls", &[&missing]));
        assert!(!o.status.success(), "{o:?}");
        assert_eq!(o.status.code(), c.status.code(), "{via:?}: {o:?} vs {c:?}");
        ok(tool("rm", &[&base]), "cleanup");
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn rm_agrees_with_xenstore_rm_and_exists() {
    for via in BOTH {
        let base = via.base("rm");
        let p = |s: &str| format!("{base}/{s}");
        ok(
            tool("write", &[&p("a/b"), "1", &p("c"), "2"]),
            "xenstore-write",
        );
        ok(xs(via, &["rm", &p("a")]), "xs rm");
        assert!(!exists(&p("a")) && !exists(&p("a/b")), "{via:?}");
        assert!(exists(&p("c")), "{via:?}: a sibling went too");
        ok(tool("rm", &[&p("c")]), "xenstore-rm");
        let o = xs(via, &["read", &p("c")]);
        assert_eq!(o.status.code(), Some(1), "{via:?}: {o:?}");

        // Removing what is not there: a missing leaf, a missing parent.
        for gone in [p("nope"), p("no/such")] {
            let (o, c) = (xs(via, &["rm", &gone]), tool("rm", &[&gone]));
            assert_eq!(o.status.code(), c.status.code(), "{via:?}: {o:?} vs {c:?}");
        }
        // Several paths are all removed or none is.
        ok(
            tool("write", &[&p("k1"), "1", &p("k2"), "2"]),
            "xenstore-write",
        );
        let o = xs(via, &["rm", &p("k1"), &p("no/such")]);
        let c = tool("rm", &[&p("k2"), &p("no/such")]);
        assert!(!o.status.success(), "{via:?}: {o:?}");
        assert_eq!(o.status.code(), c.status.code(), "{via:?}: {o:?} vs {c:?}");
        assert_eq!(exists(&p("k1")), exists(&p("k2")), "{via:?}");
        ok(xs(via, &["rm", &p("k1"), &p("k2")]), "xs rm two");
        assert!(!exists(&p("k1")) && !exists(&p("k2")), "{via:?}");
        ok(tool("rm", &[&base]), "cleanup");
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn exists_agrees_with_xenstore_exists() {
    for via in BOTH {
        let base = via.base("exists");
        let p = |s: &str| format!("{base}/{s}");
        ok(tool("write", &[&p("here"), "1"]), "xenstore-write");
        let (here, gone, deep) = (p("here"), p("gone"), p("gone/deeper"));
        let cases: [&[&str]; 5] = [
            &[&here],
            &[&gone],
            &[&deep],
            &[&here, &here],
            &[&here, &gone],
        ];
        for paths in cases {
            let mut ours = vec!["exists"];
            ours.extend_from_slice(paths);
            let (o, c) = (xs(via, &ours), tool("exists", paths));
            assert_eq!(
                o.status.code(),
                c.status.code(),
                "{via:?} {paths:?}: {o:?} vs {c:?}"
            );
            assert_eq!(o.stdout, c.stdout, "{via:?} {paths:?}");
        }
        assert!(tool("exists", &[&here]).status.success());
        assert!(!tool("exists", &[&gone]).status.success());
        ok(tool("rm", &[&base]), "cleanup");
    }
}

/// The permissions `xenstore-ls -p parent` shows for `name`, as `n0,r5`.
fn ls_perms(parent: &str, name: &str) -> String {
    let ls = text(&ok(tool("ls", &["-p", parent]), "xenstore-ls -p"));
    let line = ls
        .lines()
        .find(|l| l.split([' ', ':']).next() == Some(name))
        .unwrap_or_else(|| panic!("{name} not in {ls}"));
    let open = line.rfind('(').expect("a permission list");
    line[open + 1..].trim_end_matches(')').to_owned()
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn perms_agree_with_xenstore_chmod_and_ls_p() {
    for via in BOTH {
        let base = via.base("perms");
        let p = format!("{base}/p");
        ok(tool("write", &[&p, "v"]), "xenstore-write");
        // `xs perms` prints the list the way it takes it: space-separated
        // where xenstore-ls -p shows `(n0,r5)`.
        let shown = |via| {
            text(&ok(xs(via, &["perms", &p]), "xs perms"))
                .trim_end()
                .replace(' ', ",")
        };
        assert_eq!(shown(via), ls_perms(&base, "p"), "{via:?}");

        ok(xs(via, &["perms", &p, "n0", "r5", "b7"]), "xs perms set");
        assert_eq!(ls_perms(&base, "p"), "n0,r5,b7", "{via:?}");
        assert_eq!(shown(via), ls_perms(&base, "p"), "{via:?}");

        ok(tool("chmod", &[&p, "b0", "w3"]), "xenstore-chmod");
        assert_eq!(shown(via), ls_perms(&base, "p"), "{via:?}");
        assert_eq!(shown(via), "b0,w3", "{via:?}");

        let missing = format!("{base}/missing");
        let o = xs(via, &["perms", &missing, "n0"]);
        let c = tool("chmod", &[&missing, "n0"]);
        assert!(!o.status.success(), "{o:?}");
        assert_eq!(o.status.code(), c.status.code(), "{via:?}: {o:?} vs {c:?}");
        ok(tool("rm", &[&base]), "cleanup");
    }
}

/// A watcher process and its stdout lines.
struct Watcher {
    child: Child,
    lines: Receiver<String>,
}

impl Watcher {
    fn spawn(mut c: Command) -> Self {
        let mut child = c.stdout(Stdio::piped()).spawn().unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Watcher { child, lines }
    }

    fn next(&mut self, what: &str) -> String {
        match self.lines.recv_timeout(Duration::from_secs(20)) {
            Ok(l) => l,
            Err(e) => {
                let _ = self.child.kill();
                panic!("{what}: no event line ({e})");
            }
        }
    }

    /// Waits for the process to exit on its own.
    fn finish(mut self, what: &str) {
        for _ in 0..200 {
            if let Some(s) = self.child.try_wait().unwrap() {
                assert!(s.success(), "{what}: {s}");
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("{what} did not stop after its events");
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn watch_agrees_with_xenstore_watch() {
    for via in BOTH {
        let base = via.base("watch");
        ok(tool("write", &[&base, ""]), "xenstore-write");
        let mut ours = {
            let mut c = xs_command(via);
            c.args(["watch", "-n", "3", &base]);
            Watcher::spawn(c)
        };
        let mut theirs = {
            let mut c = tool_command("watch");
            c.args(["-n", "3", &base]);
            Watcher::spawn(c)
        };
        // Each fires once when its watch is set: both are then registered.
        let mut got = vec![(ours.next("xs watch"), theirs.next("xenstore-watch"))];
        ok(
            tool("write", &[&format!("{base}/x"), "1"]),
            "xenstore-write",
        );
        got.push((ours.next("xs watch"), theirs.next("xenstore-watch")));
        ok(xs(via, &["write", &format!("{base}/y"), "2"]), "xs write");
        got.push((ours.next("xs watch"), theirs.next("xenstore-watch")));
        ours.finish("xs watch -n 3");
        theirs.finish("xenstore-watch -n 3");
        // xs prints `path token` (its token is the watched path) where
        // xenstore-watch prints the path alone.
        for (o, c) in &got {
            assert_eq!(o, &format!("{c} {base}"), "{via:?}: {got:?}");
        }
        let paths: Vec<&str> = got.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(
            paths,
            [base.clone(), format!("{base}/x"), format!("{base}/y")],
            "{via:?}"
        );
        ok(tool("rm", &[&base]), "cleanup");
    }
}

/// `xs args` and `xenstore-<name> theirs` must both succeed with the same
/// stdout, byte for byte.
fn same_output(via: Via, args: &[&str], name: &str, theirs: &[&str]) -> String {
    let o = text(&ok(xs(via, args), &format!("xs {args:?}")));
    let c = text(&ok(
        tool(name, theirs),
        &format!("xenstore-{name} {theirs:?}"),
    ));
    assert_eq!(o, c, "{via:?}: xs {args:?} vs xenstore-{name} {theirs:?}");
    o
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn options_agree_with_the_tools() {
    for via in BOTH {
        let base = via.base("opts");
        let n = |p: &str| format!("{base}/{p}");
        let long = "0123456789".repeat(12);
        ok(
            tool(
                "write",
                &[
                    &n("t/a"),
                    "1",
                    &n("t/a/b"),
                    "x y",
                    &n("t/d"),
                    r"tab\there\x01\xff",
                    &n("t/e"),
                    "quote\"d",
                    &n("long"),
                    &long,
                ],
            ),
            "xenstore-write",
        );
        ok(tool("chmod", &[&n("t/a"), "n0", "r5", "b7"]), "chmod");
        let t = n("t");

        // ls -f and -f -p: whole lines, byte for byte, long value included;
        // -p alone on short lines (xenstore-ls cuts long ones).
        let flat = same_output(via, &["ls", "-f", &base], "ls", &["-f", &base]);
        assert!(flat.contains(&long) && flat.contains(&n("t/a/b")), "{flat}");
        let fp = same_output(via, &["ls", &base, "-fp"], "ls", &["-f", "-p", &base]);
        assert!(fp.contains("(n0,r5,b7)"), "{fp}");
        same_output(via, &["ls", "-p", &t], "ls", &["-p", &t]);

        // read -p, escaped and raw.
        let (a, d) = (n("t/a"), n("t/d"));
        same_output(via, &["read", "-p", &a, &d], "read", &["-p", &a, &d]);
        same_output(via, &["read", "-pR", &a, &d], "read", &["-p", "-R", &a, &d]);

        // list and list -p. Below `/`, xenstore-list -p of Xen 4.17 prints
        // `//tool` (later ones, and xs, `/tool`).
        let b = n("t/a");
        same_output(via, &["list", "-p", &t, &b], "list", &["-p", &t, &b]);
        same_output(via, &["list", &t], "list", &[&t]);
        let root = text(&ok(xs(via, &["list", "-p", "/"]), "xs list -p /"));
        let c = text(&ok(tool("list", &["-p", "/"]), "xenstore-list -p /"));
        assert_eq!(root, c.replace("//", "/"), "{via:?}");
        assert!(root
            .lines()
            .all(|l| l.starts_with('/') && !l.starts_with("//")));

        // exists: the status, and nothing printed.
        let missing = n("missing");
        for paths in [[a.as_str(), &d], [&a, &missing]] {
            let (o, c) = (
                xs(via, &["exists", paths[0], paths[1]]),
                tool("exists", &paths),
            );
            assert_eq!(o.status.code(), c.status.code(), "{via:?}: {o:?} vs {c:?}");
            assert_eq!((&o.stdout, &o.stderr), (&c.stdout, &c.stderr), "{via:?}");
        }
        assert!(!tool("exists", &[&missing]).status.success());

        // rm -t on twin trees: the same nodes go. `x` and `x/y` are left
        // empty; `keep` keeps their parent, and `v` has a value.
        let twin = |who: &str, p: &str| format!("{base}/rm-{who}/{p}");
        for who in ["xs", "c"] {
            let w = |p: &str| twin(who, p);
            ok(
                tool(
                    "write",
                    &[
                        &w("x/y/z"),
                        "1",
                        &w("keep"),
                        "",
                        &w("v"),
                        "val",
                        &w("v/c"),
                        "2",
                    ],
                ),
                "xenstore-write",
            );
        }
        let (o1, o2) = (twin("xs", "x/y/z"), twin("xs", "v/c"));
        let (c1, c2) = (twin("c", "x/y/z"), twin("c", "v/c"));
        ok(xs(via, &["rm", "-t", &o1, &o2]), "xs rm -t");
        ok(tool("rm", &["-t", &c1, &c2]), "xenstore-rm -t");
        let left = |who: &str| {
            let top = format!("{base}/rm-{who}");
            text(&ok(tool("ls", &["-f", &top]), "xenstore-ls -f")).replace(&top, "")
        };
        assert_eq!(left("xs"), left("c"), "{via:?}");
        assert_eq!(left("xs"), "/keep = \"\"\n/v = \"val\"\n", "{via:?}");

        // watch with two paths: the same events, each with its watch's token.
        let (w1, w2) = (n("w1"), n("w2"));
        let mut ours = {
            let mut c = xs_command(via);
            c.args(["watch", "-n", "3", &w1, &w2]);
            Watcher::spawn(c)
        };
        let mut theirs = {
            let mut c = tool_command("watch");
            c.args(["-n", "3", &w1, &w2]);
            Watcher::spawn(c)
        };
        // One event per watch as it is set; then both are registered.
        let mut got = Vec::new();
        for _ in 0..2 {
            got.push((ours.next("xs watch"), theirs.next("xenstore-watch")));
        }
        ok(tool("write", &[&format!("{w2}/x"), "1"]), "xenstore-write");
        got.push((ours.next("xs watch"), theirs.next("xenstore-watch")));
        ours.finish("xs watch -n 3");
        theirs.finish("xenstore-watch -n 3");
        let want = [
            (w1.clone(), &w1),
            (w2.clone(), &w2),
            (format!("{w2}/x"), &w2),
        ];
        for ((o, c), (path, token)) in got.iter().zip(&want) {
            assert_eq!(c, path, "{via:?}: {got:?}");
            assert_eq!(o, &format!("{path} {token}"), "{via:?}: {got:?}");
        }
        ok(tool("rm", &[&base]), "cleanup");
    }
}

#[test]
#[ignore = "needs a Xen dom0 with xenstored (run by `cargo xtask dom0`)"]
fn failures_exit_like_the_tools() {
    for via in BOTH {
        let base = via.base("fail");
        let missing = format!("{base}/missing");
        let child = format!("{missing}/child");
        let (m, child) = (missing.as_str(), child.as_str());
        let cases: [(&[&str], &str, &[&str]); 3] = [
            (&["read", m], "read", &[m]),
            (&["ls", m], "ls", &[m]),
            (&["rm", child], "rm", &[child]),
        ];
        for (ours, name, theirs) in cases {
            let (o, c) = (xs(via, ours), tool(name, theirs));
            assert!(!o.status.success(), "{via:?}: xs {ours:?}: {o:?}");
            assert_eq!(o.status.code(), c.status.code(), "{via:?}: {o:?} vs {c:?}");
            // Both name the node; xs also says why.
            let (oe, ce) = (text(&o.stderr), text(&c.stderr));
            assert!(ce.contains(&missing), "xenstore-{name}: {ce}");
            assert!(
                oe.contains(&missing) && oe.contains("ENOENT"),
                "{via:?}: xs {ours:?}: {oe}"
            );
            assert!(o.stdout.is_empty() && c.stdout.is_empty(), "{o:?} vs {c:?}");
        }
        // A path xenstored refuses: xs refuses it before sending (usage,
        // status 2), xenstore-write gets xenstored's EINVAL (status 1).
        let bad = format!("{base}//double");
        let (o, c) = (xs(via, &["write", &bad, "1"]), tool("write", &[&bad, "1"]));
        assert!(!o.status.success() && !c.status.success(), "{o:?} vs {c:?}");
        assert!(!exists(&bad) && !exists(&format!("{base}/double")));
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `xs ls` tree, in xenstore-ls's format: one `name = "value"` line per
//! node, indented one space per level below the listed path, values escaped
//! like xenstore-read (see [`crate::value`]), `name:` for a node whose value
//! cannot be read.
//!
//! With `-f` ([`Style::full_paths`]) a line starts with the node's full path
//! instead of the indented name. With `-p` ([`Style::perms`]) a line ends
//! with the node's permissions as `(n0,r5)`: two spaces before it with
//! `-f`, else a dotted leader to column 60, as xenstore-ls pads it.
//!
//! Unlike xenstore-ls, long lines are never cut at 80 columns (xenstore-ls
//! cuts them even into a pipe; its `-f` does not), the leader is always
//! padded to column 60 (xenstore-ls stops it short in a terminal narrower
//! than 62 columns), and a `name:` line never carries permissions
//! (xenstore-ls prints them, or an empty line, on the next line).

use std::io::{self, Write};

use xen_abi::Errno;
use xen_store::{Error, Perm, Store};

use crate::value::escape;

/// How `ls` shows each node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Style {
    /// `-f`: the full path instead of the indented name.
    pub(crate) full_paths: bool,
    /// `-p`: the permissions after the value.
    pub(crate) perms: bool,
}

/// The column xenstore-ls pads to before the permissions (without `-f`).
const PERMS_COLUMN: usize = 60;

/// One line of the tree (without the newline): `head = "value"`, where
/// `head` is the indented name or the full path.
pub(crate) fn line(head: &str, value: &[u8]) -> String {
    let mut s = String::from(head);
    s.push_str(" = \"");
    escape(value, &mut s);
    s.push('"');
    s
}

/// Appends `perms` to a line as `-p` shows them: after a space and, unless
/// `full_paths`, a leader of dots on the odd columns up to column 60.
pub(crate) fn add_perms(s: &mut String, perms: &[Perm], full_paths: bool) {
    s.push(' ');
    if !full_paths {
        for col in s.len()..PERMS_COLUMN {
            s.push(if col % 2 == 1 { '.' } else { ' ' });
        }
    }
    s.push_str("  (");
    for (i, p) in perms.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&p.to_string());
    }
    s.push(')');
}

/// The child path of `parent` named `name`.
pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent.ends_with('/') {
        format!("{parent}{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// Whether an error means the node went away while we walked.
fn vanished(e: &Error) -> bool {
    e.errno() == Some(Errno::ENOENT)
}

/// Writes the tree below `path` (not `path` itself) to `out` in `style`,
/// depth first, children in xenstored's order. A node whose value cannot be
/// read shows as `name:`; a subtree removed during the walk is skipped, as
/// xenstore-ls does. Permissions that cannot be read are left off the line,
/// with a warning on stderr, and the walk goes on, as in xenstore-ls.
///
/// # Errors
///
/// The store's errors (as `io::Error::other`), or `out`'s.
pub(crate) fn tree(
    store: &dyn Store,
    path: &str,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    walk(store, path, 0, style, out)
}

fn walk(
    store: &dyn Store,
    path: &str,
    depth: usize,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let children = match store.directory(path) {
        Ok(c) => c,
        Err(e) if depth > 0 && vanished(&e) => return Ok(()),
        Err(e) => return Err(io::Error::other(e)),
    };
    for name in children {
        let child = join(path, &name);
        let head = if style.full_paths {
            child.clone()
        } else {
            format!("{}{name}", " ".repeat(depth))
        };
        let text = match store.read(&child) {
            Ok(v) => {
                let mut s = line(&head, &v);
                if style.perms {
                    match store.get_perms(&child) {
                        Ok(perms) => add_perms(&mut s, &perms, style.full_paths),
                        Err(e) => eprintln!("xs: permissions of {child}: {e}"),
                    }
                }
                s
            }
            Err(_) => head + ":",
        };
        writeln!(out, "{text}")?;
        walk(store, &child, depth + 1, style, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use xen_abi::io::xs_wire::{MsgHeader, MsgType, ReqId, TxId};
    use xen_store::wire::{Message, Request};

    /// A read-only store over a map of path → value; reading a path whose
    /// value is `DENIED` (or its permissions) fails with `EACCES`. Every
    /// other node is owned by dom0, and readable by dom5 if its value is
    /// `1`.
    struct Fake(BTreeMap<&'static str, &'static [u8]>);

    const DENIED: &[u8] = b"(denied)";

    impl Store for Fake {
        fn request(&self, req: &Request<'_>) -> xen_store::Result<Message> {
            let enoent = Error::Xenstore(Errno::ENOENT);
            let (kind, payload) = match req {
                Request::Read { path } => match self.0.get(path).ok_or(enoent)? {
                    &DENIED => return Err(Error::Xenstore(Errno::EACCES)),
                    v => (MsgType::READ, v.to_vec()),
                },
                Request::Directory { path } => {
                    if !self.0.contains_key(path) {
                        return Err(enoent);
                    }
                    let prefix = join(path, "");
                    let mut p = Vec::new();
                    for k in self.0.keys() {
                        if let Some(rest) = k.strip_prefix(prefix.as_str()) {
                            if !rest.is_empty() && !rest.contains('/') {
                                p.extend_from_slice(rest.as_bytes());
                                p.push(0);
                            }
                        }
                    }
                    (MsgType::DIRECTORY, p)
                }
                Request::GetPerms { path } => match *self.0.get(path).ok_or(enoent)? {
                    DENIED => return Err(Error::Xenstore(Errno::EACCES)),
                    b"1" => (MsgType::GET_PERMS, b"n0\0r5\0".to_vec()),
                    _ => (MsgType::GET_PERMS, b"n0\0".to_vec()),
                },
                _ => unreachable!("ls only reads and lists"),
            };
            let header = MsgHeader {
                kind,
                req_id: ReqId::new(0),
                tx_id: TxId::NONE,
                len: payload.len() as u32,
            };
            Ok(Message { header, payload })
        }
    }

    #[test]
    fn values_are_escaped() {
        assert_eq!(line("a", b"plain text"), r#"a = "plain text""#);
        assert_eq!(line("  b", b""), r#"  b = """#);
        assert_eq!(
            line(" c", b"q\"b\\n\n\x00\xff"),
            r#" c = "q"b\\n\n\000\xff""#
        );
    }

    #[test]
    fn tree_is_indented_depth_first() {
        let store = Fake(BTreeMap::from([
            ("/", b"".as_slice()),
            ("/local", b""),
            ("/local/domain", b""),
            ("/local/domain/0", b""),
            ("/local/domain/0/name", b"Domain-0"),
            ("/local/domain/0/domid", b"0"),
            ("/tool", b"x\"y"),
        ]));
        let mut out = Vec::new();
        tree(&store, "/", Style::default(), &mut out).unwrap();
        let want = [
            r#"local = """#,
            r#" domain = """#,
            r#"  0 = """#,
            r#"   domid = "0""#,
            r#"   name = "Domain-0""#,
            r#"tool = "x"y""#,
        ];
        assert_eq!(String::from_utf8(out).unwrap(), want.join("\n") + "\n");
        let mut out = Vec::new();
        tree(&store, "/local/domain", Style::default(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0 = \"\"\n domid = \"0\"\n name = \"Domain-0\"\n"
        );
        let mut out = Vec::new();
        assert!(tree(&store, "/nope", Style::default(), &mut out).is_err());
        let store = Fake(BTreeMap::from([
            ("/", b"".as_slice()),
            ("/a", DENIED),
            ("/a/b", b"1"),
            ("/c", b"2"),
        ]));
        let mut out = Vec::new();
        tree(&store, "/", Style::default(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a:
 b = \"1\"
c = \"2\"
"
        );
    }

    #[test]
    fn full_paths_and_permissions() {
        let store = Fake(BTreeMap::from([
            ("/", b"".as_slice()),
            ("/a", b"1"),
            ("/a/b", b"xyz"),
            ("/d", DENIED),
        ]));
        let run = |full_paths, perms| {
            let mut out = Vec::new();
            let style = Style { full_paths, perms };
            tree(&store, "/", style, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(run(true, false), "/a = \"1\"\n/a/b = \"xyz\"\n/d:\n");
        assert_eq!(
            run(true, true),
            "/a = \"1\"   (n0,r5)\n/a/b = \"xyz\"   (n0)\n/d:\n"
        );
        // The leader: a space, then dots on the odd columns up to 60.
        let want = [
            format!("a = \"1\" {}  (n0,r5)", " .".repeat(26)),
            format!(" b = \"xyz\" {}.  (n0)", ". ".repeat(24)),
            "d:".to_owned(),
        ];
        assert_eq!(run(false, true), want.join("\n") + "\n");
        // A line past column 60 gets no dots.
        let mut s = line(&"x".repeat(70), b"");
        add_perms(&mut s, &[], false);
        assert!(s.ends_with("\"\"   ()"), "{s}");
    }
}

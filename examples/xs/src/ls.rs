// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `xs ls` tree, in xenstore-ls's format: one `name = "value"` line per
//! node, indented one space per level below the listed path, values escaped
//! like xenstore-read (see [`crate::value`]), `name:` for a node whose value
//! cannot be read. Unlike xenstore-ls, long lines are never cut at 80
//! columns (xenstore-ls cuts them even into a pipe; its `-f` does not).

use std::io::{self, Write};

use xen_abi::Errno;
use xen_store::{Error, Store};

use crate::value::escape;

/// One line of the tree (without the newline).
pub(crate) fn line(depth: usize, name: &str, value: &[u8]) -> String {
    let mut s = " ".repeat(depth);
    s.push_str(name);
    s.push_str(" = \"");
    escape(value, &mut s);
    s.push('"');
    s
}

/// The child path of `parent` named `name`.
fn join(parent: &str, name: &str) -> String {
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

/// Writes the tree below `path` (not `path` itself) to `out`, depth first,
/// children in xenstored's order. A node whose value cannot be read shows
/// as `name:`; a subtree removed during the walk is skipped, as
/// xenstore-ls does.
///
/// # Errors
///
/// The store's errors (as `io::Error::other`), or `out`'s.
pub(crate) fn tree(store: &dyn Store, path: &str, out: &mut dyn Write) -> io::Result<()> {
    walk(store, path, 0, out)
}

fn walk(store: &dyn Store, path: &str, depth: usize, out: &mut dyn Write) -> io::Result<()> {
    let children = match store.directory(path) {
        Ok(c) => c,
        Err(e) if depth > 0 && vanished(&e) => return Ok(()),
        Err(e) => return Err(io::Error::other(e)),
    };
    for name in children {
        let child = join(path, &name);
        match store.read(&child) {
            Ok(v) => writeln!(out, "{}", line(depth, &name, &v))?,
            Err(_) => writeln!(out, "{}{name}:", " ".repeat(depth))?,
        }
        walk(store, &child, depth + 1, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use xen_abi::io::xs_wire::{MsgHeader, MsgType};
    use xen_store::wire::{Message, Request};

    /// A read-only store over a map of path → value; reading a path whose
    /// value is `DENIED` fails with `EACCES`.
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
                _ => unreachable!("ls only reads and lists"),
            };
            let header = MsgHeader {
                kind,
                req_id: 0,
                tx_id: 0,
                len: payload.len() as u32,
            };
            Ok(Message { header, payload })
        }
    }

    #[test]
    fn values_are_escaped() {
        assert_eq!(line(0, "a", b"plain text"), r#"a = "plain text""#);
        assert_eq!(line(2, "b", b""), r#"  b = """#);
        assert_eq!(
            line(1, "c", b"q\"b\\n\n\x00\xff"),
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
        tree(&store, "/", &mut out).unwrap();
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
        tree(&store, "/local/domain", &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0 = \"\"\n domid = \"0\"\n name = \"Domain-0\"\n"
        );
        let mut out = Vec::new();
        assert!(tree(&store, "/nope", &mut out).is_err());
        let store = Fake(BTreeMap::from([
            ("/", b"".as_slice()),
            ("/a", DENIED),
            ("/a/b", b"1"),
            ("/c", b"2"),
        ]));
        let mut out = Vec::new();
        tree(&store, "/", &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a:
 b = \"1\"
c = \"2\"
"
        );
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Command-line parsing: the subcommand and its operands, checked before any
//! connection is opened.

use core::fmt;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use xen_store::path;
use xen_store::Perm;

use crate::value::unescape;

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// `ls [path]`: the tree below `path` (default `/`).
    Ls { path: String },
    /// `read [-R] path...`: values escaped, or raw bytes with `-R`.
    Read { paths: Vec<String>, raw: bool },
    /// `write [-R] path value [path value...]`: the values unescaped, or
    /// as given with `-R`.
    Write { pairs: Vec<(String, Vec<u8>)> },
    /// `rm path...`.
    Rm { paths: Vec<String> },
    /// `watch [-n N] path`: print events, stop after `count` if given.
    Watch { path: String, count: Option<u64> },
    /// `perms path`: print the permission list.
    GetPerms { path: String },
    /// `perms path PERM...`: replace it (owner first).
    SetPerms { path: String, perms: Vec<Perm> },
    /// `help`, `-h`, `--help`.
    Help,
}

/// A command line that cannot be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsageError(pub(crate) String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The usage text.
pub(crate) const USAGE: &str = "\
usage: xs <command> [args]
  ls [path]                    list the tree below path (default /)
  read [-R] path...            print each node's value, escaped
                               (-R: the raw bytes, no newline)
  write [-R] path value [path value...]
                               set node values, escapes read back
                               (-R: the bytes as given)
  rm path...                   remove nodes and their children
  watch [-n N] path            print `path token` per event (stop after N)
  perms path                   print a node's permissions (owner first)
  perms path PERM...           set them; PERM is [nrwb]<domid>, owner first
Several paths are read, written or removed in one transaction.
Connects like xenstore-* (XENSTORED_PATH, then the xenbus device).";

fn usage(msg: impl Into<String>) -> UsageError {
    UsageError(msg.into())
}

/// An argument that must be text (a command, path, count or permission).
fn text(a: &OsStr) -> Result<&str, UsageError> {
    a.to_str()
        .ok_or_else(|| usage(format!("`{}` is not UTF-8", a.to_string_lossy())))
}

fn node(p: &OsStr) -> Result<String, UsageError> {
    let p = text(p)?;
    path::validate(p).map_err(|e| usage(format!("`{p}`: {e}")))?;
    Ok(p.to_owned())
}

/// Strips a leading `-R`/`--raw` (xenstore-read/-write's raw mode).
fn raw_flag(args: &[OsString]) -> (bool, &[OsString]) {
    match args.split_first() {
        Some((f, rest)) if f == "-R" || f == "--raw" => (true, rest),
        _ => (false, args),
    }
}

fn nodes(ps: &[OsString], cmd: &str) -> Result<Vec<String>, UsageError> {
    if ps.is_empty() {
        return Err(usage(format!("{cmd}: at least one path is needed")));
    }
    ps.iter().map(|p| node(p)).collect()
}

/// Parses the arguments after the program name. Values to write may be any
/// bytes; everything else must be UTF-8.
pub(crate) fn parse(args: &[OsString]) -> Result<Command, UsageError> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err(usage("no command given"));
    };
    match text(cmd)? {
        "help" | "-h" | "--help" => Ok(Command::Help),
        "ls" => match rest {
            [] => Ok(Command::Ls { path: "/".into() }),
            [p] => Ok(Command::Ls { path: node(p)? }),
            _ => Err(usage("ls: at most one path")),
        },
        "read" => {
            let (raw, rest) = raw_flag(rest);
            Ok(Command::Read {
                paths: nodes(rest, "read")?,
                raw,
            })
        }
        "rm" => Ok(Command::Rm {
            paths: nodes(rest, "rm")?,
        }),
        "write" => {
            let (raw, rest) = raw_flag(rest);
            if rest.is_empty() || rest.len() % 2 != 0 {
                return Err(usage("write: needs path value pairs"));
            }
            let pairs = rest
                .chunks_exact(2)
                .map(|pv| {
                    let v = pv[1].as_bytes();
                    Ok((node(&pv[0])?, if raw { v.to_vec() } else { unescape(v) }))
                })
                .collect::<Result<_, UsageError>>()?;
            Ok(Command::Write { pairs })
        }
        "watch" => {
            let mut count = None;
            let mut path = None;
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                if a == "-n" {
                    let n = it
                        .next()
                        .and_then(|v| v.to_str()?.parse::<u64>().ok())
                        .filter(|n| *n > 0)
                        .ok_or_else(|| usage("watch: -n needs a positive number"))?;
                    count = Some(n);
                } else if path.is_some() {
                    return Err(usage("watch: exactly one path"));
                } else {
                    let a = text(a)?;
                    path::validate_watch(a).map_err(|e| usage(format!("`{a}`: {e}")))?;
                    path = Some(a.to_owned());
                }
            }
            let path = path.ok_or_else(|| usage("watch: a path is needed"))?;
            Ok(Command::Watch { path, count })
        }
        "perms" => {
            let (p, perms) = rest
                .split_first()
                .ok_or_else(|| usage("perms: a path is needed"))?;
            let path = node(p)?;
            if perms.is_empty() {
                return Ok(Command::GetPerms { path });
            }
            let perms = perms
                .iter()
                .map(|s| {
                    let s = text(s)?;
                    s.parse::<Perm>()
                        .map_err(|_| usage(format!("`{s}`: a permission is [nrwb]<domid>")))
                })
                .collect::<Result<_, _>>()?;
            Ok(Command::SetPerms { path, perms })
        }
        other => Err(usage(format!("unknown command `{other}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xen_store::Access;

    fn p(line: &str) -> Result<Command, UsageError> {
        let v: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
        parse(&v)
    }

    #[test]
    fn commands_parse() {
        assert_eq!(p("ls"), Ok(Command::Ls { path: "/".into() }));
        assert_eq!(
            p("ls /local"),
            Ok(Command::Ls {
                path: "/local".into()
            })
        );
        assert_eq!(
            p("read /a b/c"),
            Ok(Command::Read {
                paths: vec!["/a".into(), "b/c".into()],
                raw: false
            })
        );
        assert_eq!(
            p("read -R /a"),
            Ok(Command::Read {
                paths: vec!["/a".into()],
                raw: true
            })
        );
        assert_eq!(
            p("write /a 1 /b two"),
            Ok(Command::Write {
                pairs: vec![("/a".into(), b"1".to_vec()), ("/b".into(), b"two".to_vec())]
            })
        );
        assert_eq!(
            p(r"write /a x\ty"),
            Ok(Command::Write {
                pairs: vec![("/a".into(), b"x\ty".to_vec())]
            })
        );
        assert_eq!(
            p(r"write --raw /a x\ty"),
            Ok(Command::Write {
                pairs: vec![("/a".into(), br"x\ty".to_vec())]
            })
        );
        assert_eq!(
            p("rm /a"),
            Ok(Command::Rm {
                paths: vec!["/a".into()]
            })
        );
        assert_eq!(
            p("watch /a"),
            Ok(Command::Watch {
                path: "/a".into(),
                count: None
            })
        );
        assert_eq!(
            p("watch -n 3 @releaseDomain"),
            Ok(Command::Watch {
                path: "@releaseDomain".into(),
                count: Some(3)
            })
        );
        assert_eq!(
            p("watch /a -n 1"),
            Ok(Command::Watch {
                path: "/a".into(),
                count: Some(1)
            })
        );
        assert_eq!(p("perms /a"), Ok(Command::GetPerms { path: "/a".into() }));
        let Ok(Command::SetPerms { path, perms }) = p("perms /a n0 r5") else {
            panic!("perms set");
        };
        assert_eq!(path, "/a");
        assert_eq!(
            perms
                .iter()
                .map(|q| (q.access, q.domid.get()))
                .collect::<Vec<_>>(),
            [(Access::None, 0), (Access::Read, 5)]
        );
        assert_eq!(p("--help"), Ok(Command::Help));
    }

    #[test]
    fn values_may_be_any_bytes_paths_may_not() {
        use std::os::unix::ffi::OsStringExt;
        let arg = |b: &[u8]| OsString::from_vec(b.to_vec());
        assert_eq!(
            parse(&[arg(b"write"), arg(b"-R"), arg(b"/a"), arg(b"\xff\\x")]),
            Ok(Command::Write {
                pairs: vec![("/a".into(), b"\xff\\x".to_vec())]
            })
        );
        assert!(parse(&[arg(b"read"), arg(b"/\xff")]).is_err());
    }

    #[test]
    fn bad_command_lines_are_usage_errors() {
        for bad in [
            "",
            "frobnicate",
            "ls /a /b",
            "ls /a//b",
            "read",
            "read -R",
            "read /a/",
            "rm",
            "write",
            "write /a",
            "write /a 1 /b",
            "write -R /a",
            "write bad.path 1",
            "watch",
            "watch -n",
            "watch -n 0 /a",
            "watch -n x /a",
            "watch /a /b",
            "watch @bogus",
            "perms",
            "perms /a x0",
            "perms /a r99999",
        ] {
            assert!(p(bad).is_err(), "{bad:?} should be refused");
        }
    }
}

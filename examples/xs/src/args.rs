// SPDX-License-Identifier: MIT OR Apache-2.0
//! Command-line parsing: the subcommand and its operands, checked before any
//! connection is opened.

use core::fmt;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use xen_store::path;
use xen_store::Perm;

use crate::ls;
use crate::value::unescape;

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// `ls [-f] [-p] [path]`: the tree below `path` (default `/`).
    Ls { path: String, style: ls::Style },
    /// `read [-p] [-R] path...`: values escaped, or raw bytes with `-R`;
    /// each after `path: ` with `-p`.
    Read {
        paths: Vec<String>,
        raw: bool,
        prefix: bool,
    },
    /// `write [-R] path value [path value...]`: the values unescaped, or
    /// as given with `-R`.
    Write { pairs: Vec<(String, Vec<u8>)> },
    /// `rm [-t] path...`; with `-t`, then every parent left empty.
    Rm { paths: Vec<String>, tidy: bool },
    /// `list [-p] path...`: the children's names (full paths with `-p`).
    List { paths: Vec<String>, prefix: bool },
    /// `exists path...`: status 0 if all exist.
    Exists { paths: Vec<String> },
    /// `watch [-n N] path...`: print events, stop after `count` if given.
    Watch {
        paths: Vec<String>,
        count: Option<u64>,
    },
    /// `perms path`: print the permission list.
    GetPerms { path: String },
    /// `perms path PERM...`: replace it (owner first).
    SetPerms { path: String, perms: Vec<Perm> },
    /// `help`, `-h`, `--help`.
    Help,
    /// `version`, `-V`, `--version`.
    Version,
}

/// A command line that cannot be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsageError(pub(crate) String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The usage line printed after a mistake (the full text is `--help`'s).
pub(crate) const SHORT_USAGE: &str = "\
usage: xs <ls|read|write|rm|list|exists|watch|perms> [options] [args]
Try `xs --help` for more.";

/// The usage text (`xs --help`).
pub(crate) const USAGE: &str = "\
usage: xs <command> [options] [args]
  ls [-f] [-p] [path]          list the tree below path (default /)
                               (-f: full paths; -p: permissions)
  read [-p] [-R] path...       print each node's value, escaped
                               (-p: after `path: `; -R: the raw bytes,
                               no newline)
  write [-R] path value [path value...]
                               set node values, escapes read back
                               (-R: the bytes as given)
  rm [-t] path...              remove nodes and their children
                               (-t: then each parent left empty)
  list [-p] path...            print the children's names (-p: full paths)
  exists path...               exit 0 if every node exists, 1 if not
  watch [-n N] path...         print `path token` per event (stop after N);
                               the token is the watched path
  perms path                   print a node's permissions (owner first)
  perms path PERM...           set them; PERM is [nrwb]<domid>, owner first
Options go before or after the paths (write: before them), `--` ends them.
Several paths are read, written, listed or removed in one transaction.
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

fn nodes(ps: &[&OsStr], cmd: &str) -> Result<Vec<String>, UsageError> {
    if ps.is_empty() {
        return Err(usage(format!("{cmd}: at least one path is needed")));
    }
    ps.iter().map(|p| node(p)).collect()
}

/// An option of a command: its letter, its long name (as the xenstore-*
/// tools spell them) and whether it takes a value.
#[derive(Clone, Copy)]
struct Opt(char, &'static str, bool);

const FLAT: Opt = Opt('f', "flat", false);
const PREFIX: Opt = Opt('p', "prefix", false);
const RAW: Opt = Opt('R', "raw", false);
const TIDY: Opt = Opt('t', "tidy", false);
const NUMBER: Opt = Opt('n', "number", true);

/// A command's arguments split as getopt_long splits them: the options
/// given (letter and value), the operands in order.
struct Split<'a> {
    given: Vec<(char, Option<&'a OsStr>)>,
    operands: Vec<&'a OsStr>,
}

impl Split<'_> {
    fn has(&self, c: char) -> bool {
        self.given.iter().any(|(g, _)| *g == c)
    }
}

/// Splits `args` of `cmd`, which takes `opts`. Short options combine
/// (`-fp`), a value follows its option (`-n 3`, `-n3`, `--number=3`,
/// `--number 3`), `--` ends the options and `-` is an operand. Options may
/// follow operands unless `in_front`, where the first operand ends them
/// (a value to write may start with `-`).
fn split<'a>(
    cmd: &str,
    args: &'a [OsString],
    opts: &[Opt],
    in_front: bool,
) -> Result<Split<'a>, UsageError> {
    let unknown = |o: &str| usage(format!("{cmd}: unknown option `{o}`"));
    let needs_value = |o: Opt| usage(format!("{cmd}: -{} needs a value", o.0));
    let mut out = Split {
        given: Vec::new(),
        operands: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let b = a.as_bytes();
        let options_over = in_front && !out.operands.is_empty();
        if options_over || b.len() < 2 || b[0] != b'-' {
            out.operands.push(a);
        } else if b == b"--" {
            out.operands.extend(it.by_ref().map(OsString::as_os_str));
        } else if let Some(long) = b.strip_prefix(b"--") {
            let (name, inline) = match long.iter().position(|&c| c == b'=') {
                Some(i) => (&long[..i], Some(OsStr::from_bytes(&long[i + 1..]))),
                None => (long, None),
            };
            let name = text(OsStr::from_bytes(name))?;
            let o = *opts
                .iter()
                .find(|o| o.1 == name)
                .ok_or_else(|| unknown(&format!("--{name}")))?;
            let value = match (o.2, inline) {
                (false, None) => None,
                (false, Some(_)) => return Err(usage(format!("{cmd}: --{name} takes no value"))),
                (true, Some(v)) => Some(v),
                (true, None) => Some(it.next().ok_or_else(|| needs_value(o))?.as_os_str()),
            };
            out.given.push((o.0, value));
        } else {
            for (i, &c) in b.iter().enumerate().skip(1) {
                let o = *opts
                    .iter()
                    .find(|o| o.0 == char::from(c))
                    .ok_or_else(|| unknown(&format!("-{}", char::from(c))))?;
                if !o.2 {
                    out.given.push((o.0, None));
                    continue;
                }
                let value = match &b[i + 1..] {
                    [] => it.next().ok_or_else(|| needs_value(o))?.as_os_str(),
                    rest => OsStr::from_bytes(rest),
                };
                out.given.push((o.0, Some(value)));
                break;
            }
        }
    }
    Ok(out)
}

/// Parses the arguments after the program name. Values to write may be any
/// bytes; everything else must be UTF-8.
pub(crate) fn parse(args: &[OsString]) -> Result<Command, UsageError> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err(usage("no command given"));
    };
    let cmd = text(cmd)?;
    let opts: &[Opt] = match cmd {
        "help" | "-h" | "--help" => return Ok(Command::Help),
        "version" | "-V" | "--version" => return Ok(Command::Version),
        "ls" => &[FLAT, PREFIX],
        "read" => &[PREFIX, RAW],
        "write" => &[RAW],
        "rm" => &[TIDY],
        "list" => &[PREFIX],
        "watch" => &[NUMBER],
        "exists" | "perms" => &[],
        other => return Err(usage(format!("unknown command `{other}`"))),
    };
    let a = split(cmd, rest, opts, cmd == "write")?;
    let ops = a.operands.as_slice();
    match cmd {
        "ls" => {
            let path = match ops {
                [] => "/".into(),
                [p] => node(p)?,
                _ => return Err(usage("ls: at most one path")),
            };
            let style = ls::Style {
                full_paths: a.has('f'),
                perms: a.has('p'),
            };
            Ok(Command::Ls { path, style })
        }
        "read" => Ok(Command::Read {
            paths: nodes(ops, cmd)?,
            raw: a.has('R'),
            prefix: a.has('p'),
        }),
        "rm" => Ok(Command::Rm {
            paths: nodes(ops, cmd)?,
            tidy: a.has('t'),
        }),
        "list" => Ok(Command::List {
            paths: nodes(ops, cmd)?,
            prefix: a.has('p'),
        }),
        "exists" => Ok(Command::Exists {
            paths: nodes(ops, cmd)?,
        }),
        "write" => {
            if ops.is_empty() || ops.len() % 2 != 0 {
                return Err(usage("write: needs path value pairs"));
            }
            let raw = a.has('R');
            let pairs = ops
                .chunks_exact(2)
                .map(|pv| {
                    let v = pv[1].as_bytes();
                    Ok((node(pv[0])?, if raw { v.to_vec() } else { unescape(v) }))
                })
                .collect::<Result<_, UsageError>>()?;
            Ok(Command::Write { pairs })
        }
        "watch" => {
            let mut count = None;
            for (_, v) in &a.given {
                let n = v
                    .and_then(|v| v.to_str()?.parse::<u64>().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| usage("watch: -n needs a positive number"))?;
                count = Some(n);
            }
            if ops.is_empty() {
                return Err(usage("watch: at least one path is needed"));
            }
            let paths = ops
                .iter()
                .map(|p| {
                    let p = text(p)?;
                    path::validate_watch(p).map_err(|e| usage(format!("`{p}`: {e}")))?;
                    Ok(p.to_owned())
                })
                .collect::<Result<_, UsageError>>()?;
            Ok(Command::Watch { paths, count })
        }
        _ => {
            let (p, perms) = ops
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
        let ls = |path: &str, full_paths, perms| {
            Ok(Command::Ls {
                path: path.into(),
                style: ls::Style { full_paths, perms },
            })
        };
        assert_eq!(p("ls"), ls("/", false, false));
        assert_eq!(p("ls /local"), ls("/local", false, false));
        assert_eq!(p("ls -f"), ls("/", true, false));
        assert_eq!(p("ls -p /local -f"), ls("/local", true, true));
        assert_eq!(p("ls -fp /local"), ls("/local", true, true));
        assert_eq!(p("ls --flat --prefix"), ls("/", true, true));
        assert_eq!(
            p("read /a b/c"),
            Ok(Command::Read {
                paths: vec!["/a".into(), "b/c".into()],
                raw: false,
                prefix: false
            })
        );
        assert_eq!(
            p("read -R /a"),
            Ok(Command::Read {
                paths: vec!["/a".into()],
                raw: true,
                prefix: false
            })
        );
        assert_eq!(
            p("read /a -pR /b"),
            Ok(Command::Read {
                paths: vec!["/a".into(), "/b".into()],
                raw: true,
                prefix: true
            })
        );
        assert_eq!(
            p("read -- -a"),
            Ok(Command::Read {
                paths: vec!["-a".into()],
                raw: false,
                prefix: false
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
            p("write -R /a -1"),
            Ok(Command::Write {
                pairs: vec![("/a".into(), b"-1".to_vec())]
            })
        );
        assert_eq!(
            p("rm /a"),
            Ok(Command::Rm {
                paths: vec!["/a".into()],
                tidy: false
            })
        );
        assert_eq!(
            p("rm /a -t b"),
            Ok(Command::Rm {
                paths: vec!["/a".into(), "b".into()],
                tidy: true
            })
        );
        assert_eq!(
            p("list -p /a"),
            Ok(Command::List {
                paths: vec!["/a".into()],
                prefix: true
            })
        );
        assert_eq!(
            p("exists /a /b"),
            Ok(Command::Exists {
                paths: vec!["/a".into(), "/b".into()]
            })
        );
        assert_eq!(
            p("watch /a"),
            Ok(Command::Watch {
                paths: vec!["/a".into()],
                count: None
            })
        );
        assert_eq!(
            p("watch -n 3 @releaseDomain"),
            Ok(Command::Watch {
                paths: vec!["@releaseDomain".into()],
                count: Some(3)
            })
        );
        assert_eq!(
            p("watch /a -n 1"),
            Ok(Command::Watch {
                paths: vec!["/a".into()],
                count: Some(1)
            })
        );
        for line in [
            "watch -n2 /a b",
            "watch /a --number 2 b",
            "watch --number=2 /a b",
        ] {
            assert_eq!(
                p(line),
                Ok(Command::Watch {
                    paths: vec!["/a".into(), "b".into()],
                    count: Some(2)
                }),
                "{line}"
            );
        }
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
        assert_eq!(p("--version"), Ok(Command::Version));
        assert_eq!(p("-V"), Ok(Command::Version));
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
            "watch @bogus",
            "watch -d 1 /a",
            "watch --number",
            "ls -x",
            "ls -R /",
            "ls /a -t",
            "ls --flat=1",
            "ls --flatten",
            "read -t /a",
            "read -p",
            "write -p /a 1",
            "rm -p /a",
            "rm -t",
            "list",
            "list -f /a",
            "exists",
            "exists -p /a",
            "perms -p /a",
            "perms",
            "perms /a x0",
            "perms /a r99999",
        ] {
            assert!(p(bad).is_err(), "{bad:?} should be refused");
        }
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
//! Command-line parsing: the subcommand and its operands, checked before any
//! connection is opened.

use core::fmt;

use xen_store::path;
use xen_store::Perm;

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// `ls [path]`: the tree below `path` (default `/`).
    Ls { path: String },
    /// `read path...`.
    Read { paths: Vec<String> },
    /// `write path value [path value...]`.
    Write { pairs: Vec<(String, String)> },
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
  read path...                 print each node's value
  write path value [path value...]
                               set node values
  rm path...                   remove nodes and their children
  watch [-n N] path            print `path token` per event (stop after N)
  perms path                   print a node's permissions (owner first)
  perms path PERM...           set them; PERM is [nrwb]<domid>, owner first
Connects like xenstore-* (XENSTORED_PATH, then the xenbus device).";

fn usage(msg: impl Into<String>) -> UsageError {
    UsageError(msg.into())
}

fn node(p: &str) -> Result<String, UsageError> {
    path::validate(p).map_err(|e| usage(format!("`{p}`: {e}")))?;
    Ok(p.to_owned())
}

fn nodes(ps: &[String], cmd: &str) -> Result<Vec<String>, UsageError> {
    if ps.is_empty() {
        return Err(usage(format!("{cmd}: at least one path is needed")));
    }
    ps.iter().map(|p| node(p)).collect()
}

/// Parses the arguments after the program name.
pub(crate) fn parse(args: &[String]) -> Result<Command, UsageError> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err(usage("no command given"));
    };
    match cmd.as_str() {
        "help" | "-h" | "--help" => Ok(Command::Help),
        "ls" => match rest {
            [] => Ok(Command::Ls { path: "/".into() }),
            [p] => Ok(Command::Ls { path: node(p)? }),
            _ => Err(usage("ls: at most one path")),
        },
        "read" => Ok(Command::Read {
            paths: nodes(rest, "read")?,
        }),
        "rm" => Ok(Command::Rm {
            paths: nodes(rest, "rm")?,
        }),
        "write" => {
            if rest.is_empty() || rest.len() % 2 != 0 {
                return Err(usage("write: needs path value pairs"));
            }
            let pairs = rest
                .chunks_exact(2)
                .map(|pv| Ok((node(&pv[0])?, pv[1].clone())))
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
                        .and_then(|v| v.parse::<u64>().ok())
                        .filter(|n| *n > 0)
                        .ok_or_else(|| usage("watch: -n needs a positive number"))?;
                    count = Some(n);
                } else if path.is_some() {
                    return Err(usage("watch: exactly one path"));
                } else {
                    path::validate_watch(a).map_err(|e| usage(format!("`{a}`: {e}")))?;
                    path = Some(a.clone());
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
        let v: Vec<String> = line.split_whitespace().map(String::from).collect();
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
                paths: vec!["/a".into(), "b/c".into()]
            })
        );
        assert_eq!(
            p("write /a 1 /b two"),
            Ok(Command::Write {
                pairs: vec![("/a".into(), "1".into()), ("/b".into(), "two".into())]
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
    fn bad_command_lines_are_usage_errors() {
        for bad in [
            "",
            "frobnicate",
            "ls /a /b",
            "ls /a//b",
            "read",
            "read /a/",
            "rm",
            "write",
            "write /a",
            "write /a 1 /b",
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

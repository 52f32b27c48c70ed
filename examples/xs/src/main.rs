// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xs`: the xenstore-* command-line tools in one binary, over
//! [`xen_store::Xenstore`].
//!
//! ```text
//! xs ls [-f] [-p] [path]        xenstore-ls
//! xs read [-p] [-R] path...     xenstore-read
//! xs write [-R] path value...   xenstore-write
//! xs rm [-t] path...            xenstore-rm
//! xs list [-p] path...          xenstore-list
//! xs exists path...             xenstore-exists
//! xs watch [-n N] path...       xenstore-watch (prints `path token`)
//! xs perms path [PERM...]       xenstore-ls -p / xenstore-chmod
//! ```
//!
//! The options mean what they mean to the xenstore-* tools: `ls -f` full
//! paths, `ls -p` permissions, `read -p` and `list -p` the path before each
//! line, `-R` raw values, `rm -t` also removes each parent left empty (no
//! value, no children; never `/`), `watch -n N` stops after N events. Long
//! forms (`--flat`, `--prefix`, `--raw`, `--tidy`, `--number`) work too.
//! Options may come before or after the paths, as with getopt (for
//! `write`, only before them: a value may start with `-`); `--` ends them.
//!
//! Values are shown and taken escaped as the xenstore-* tools do (see
//! `value.rs`); several paths are read, written, listed or removed in one
//! transaction, as they are by the xenstore-* tools (`rm -t` always uses
//! one). Differences by design: `watch` prints the token (the watched path)
//! after the path, `perms` prints the list as `xs perms` takes it
//! (`n0 r5`, where `xenstore-ls -p` shows `(n0,r5)`), `ls` does not cut
//! long lines at 80 columns (see `ls.rs` for `-p`), an unknown option is a
//! usage error, and `exists` names a node it cannot read for another reason
//! than its absence.
//!
//! Exit status: 0 on success, 1 when a xenstore operation fails (or, for
//! `exists`, a node does not exist), 2 for a bad command line (with a short
//! usage line; `xs --help` prints the full text, `xs --version` the
//! version).

mod args;
mod ls;
mod value;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use xen_abi::Errno;
use xen_store::{Store, Xenstore};

use args::Command;

/// Why a run failed, with its exit status.
enum Failure {
    /// A bad command line (status 2, usage printed).
    Usage(String),
    /// An operation failed (status 1).
    Op(String),
    /// Whoever read our output went away (`xs ls | head`): not an error.
    Closed,
    /// Status 1 with nothing to say (`exists` on a missing node).
    Quiet,
}

/// An output error.
fn output(what: &str) -> impl FnOnce(io::Error) -> Failure + '_ {
    move |e| match e.kind() {
        io::ErrorKind::BrokenPipe => Failure::Closed,
        _ => Failure::Op(format!("{what}: {e}")),
    }
}

fn op<E: core::fmt::Display>(what: &str) -> impl FnOnce(E) -> Failure + '_ {
    move |e| Failure::Op(format!("{what}: {e}"))
}

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(&argv) {
        Ok(()) | Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("xs: {msg}\n{}", args::SHORT_USAGE);
            ExitCode::from(2)
        }
        Err(Failure::Op(msg)) => {
            eprintln!("xs: {msg}");
            ExitCode::FAILURE
        }
        Err(Failure::Quiet) => ExitCode::FAILURE,
    }
}

fn run(argv: &[OsString]) -> Result<(), Failure> {
    let cmd = args::parse(argv).map_err(|e| Failure::Usage(e.0))?;
    if cmd == Command::Help {
        println!("{}", args::USAGE);
        return Ok(());
    }
    if cmd == Command::Version {
        println!("xs {}", env!("CARGO_PKG_VERSION"));
        return Ok(());
    }
    let xs = Xenstore::open().map_err(|e| Failure::Op(e.to_string()))?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    execute(&xs, cmd, &mut out)
}

/// Runs `f` on every item: directly for one (unless `atomic`), in one
/// transaction for several (retried on a conflict), so several writes or
/// removals all take effect or none does. Returns what `f` gave before it
/// stopped, and the failure with the failing item's `path`.
fn each<'a, T, R>(
    xs: &Xenstore,
    atomic: bool,
    items: &'a [T],
    path: impl Fn(&'a T) -> &'a str,
    mut f: impl FnMut(&dyn Store, &'a T) -> xen_store::Result<R>,
) -> (Vec<R>, Result<(), Failure>) {
    let mut done = Vec::new();
    let mut failed = None;
    let mut run = |store: &dyn Store| {
        done.clear();
        failed = None;
        for (i, item) in items.iter().enumerate() {
            match f(store, item) {
                Ok(r) => done.push(r),
                Err(e) => {
                    failed = Some(i);
                    return Err(e);
                }
            }
        }
        Ok(())
    };
    let result = if items.len() == 1 && !atomic {
        run(xs)
    } else {
        xs.transaction(|tx| run(tx))
    };
    let result = result.map_err(|e| {
        let what = failed.map_or("transaction", |i| path(&items[i]));
        Failure::Op(format!("{what}: {e}"))
    });
    (done, result)
}

/// Removes `path`, then its parent if that is left with an empty value and
/// no children, and so on up to the first parent that is not (never `/`,
/// nor above a relative path's first component): xenstore-rm -t.
fn rm_tidy(s: &dyn Store, path: &str) -> xen_store::Result<()> {
    s.rm(path)?;
    let mut p = path;
    while let Some(parent) = p.rfind('/').map(|i| &p[..i]).filter(|p| !p.is_empty()) {
        let empty = matches!(s.read(parent), Ok(v) if v.is_empty())
            && matches!(s.directory(parent), Ok(c) if c.is_empty());
        if !empty {
            break;
        }
        s.rm(parent)?;
        p = parent;
    }
    Ok(())
}

fn execute(xs: &Xenstore, cmd: Command, out: &mut dyn Write) -> Result<(), Failure> {
    let line = |out: &mut dyn Write, text: &str| writeln!(out, "{text}").map_err(output("stdout"));
    match cmd {
        Command::Help | Command::Version => Ok(()),
        Command::Ls { path, style } => ls::tree(xs, &path, style, out).map_err(output(&path)),
        Command::Read { paths, raw, prefix } => {
            let (values, result) = each(xs, false, &paths, String::as_str, |s, p| s.read(p));
            // What was read before a failure is still printed, as by
            // xenstore-read.
            for (v, p) in values.iter().zip(&paths) {
                if prefix {
                    write!(out, "{p}: ").map_err(output("stdout"))?;
                }
                if raw {
                    out.write_all(v).map_err(output("stdout"))?;
                } else {
                    line(out, &value::escaped(v))?;
                }
            }
            result
        }
        Command::Write { pairs } => {
            each(
                xs,
                false,
                &pairs,
                |(p, _)| p.as_str(),
                |s, (p, v)| s.write_bytes(p, v),
            )
            .1
        }
        Command::Rm { paths, tidy: false } => {
            each(xs, false, &paths, String::as_str, |s, p| s.rm(p)).1
        }
        // In a transaction even for one path: what is found empty is
        // still empty when it is removed.
        Command::Rm { paths, tidy: true } => {
            each(xs, true, &paths, String::as_str, |s, p| rm_tidy(s, p)).1
        }
        Command::List { paths, prefix } => {
            let (lists, result) = each(xs, false, &paths, String::as_str, |s, p| s.directory(p));
            for (names, p) in lists.iter().zip(&paths) {
                let parent = if p == "/" { "" } else { p };
                for name in names {
                    if prefix {
                        line(out, &format!("{parent}/{name}"))?;
                    } else {
                        line(out, name)?;
                    }
                }
            }
            result
        }
        Command::Exists { paths } => {
            let (found, result) = each(xs, false, &paths, String::as_str, |s, p| match s.read(p) {
                Ok(_) => Ok(true),
                Err(e) if e.errno() == Some(Errno::ENOENT) => Ok(false),
                Err(e) => Err(e),
            });
            result?;
            if found.contains(&false) {
                Err(Failure::Quiet)
            } else {
                Ok(())
            }
        }
        Command::Watch { paths, count } => {
            let watches = paths
                .iter()
                .map(|p| xs.watch(p, p).map_err(op(p)))
                .collect::<Result<Vec<_>, _>>()?;
            let mut seen = 0u64;
            while count.map_or(true, |n| seen < n) {
                let ev = xs.next_event_of(&watches).map_err(op("watch"))?;
                writeln!(out, "{} {}", ev.path, ev.token)
                    .and_then(|()| out.flush())
                    .map_err(output("stdout"))?;
                seen += 1;
            }
            for w in watches {
                let path = w.path().to_owned();
                w.unwatch().map_err(op(&path))?;
            }
            Ok(())
        }
        Command::GetPerms { path } => {
            let perms = xs.get_perms(&path).map_err(op(&path))?;
            let text: Vec<String> = perms.iter().map(ToString::to_string).collect();
            line(out, &text.join(" "))
        }
        Command::SetPerms { path, perms } => xs.set_perms(&path, &perms).map_err(op(&path)),
    }
}

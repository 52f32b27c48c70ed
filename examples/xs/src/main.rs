// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xs`: the xenstore-* command-line tools in one binary, over
//! [`xen_store::Xenstore`].
//!
//! ```text
//! xs ls [path]                  xenstore-ls
//! xs read [-R] path...          xenstore-read
//! xs write [-R] path value...   xenstore-write
//! xs rm path...                 xenstore-rm
//! xs watch [-n N] path          xenstore-watch (prints `path token`)
//! xs perms path [PERM...]       xenstore-ls -p / xenstore-chmod
//! ```
//!
//! Values are shown and taken escaped as the xenstore-* tools do (see
//! `value.rs`); several paths are read, written or removed in one
//! transaction, as they are by the xenstore-* tools. Differences by design:
//! `watch` prints the token after the path, `perms` prints the list as
//! `xs perms` takes it (`n0 r5`, where `xenstore-ls -p` shows `(n0,r5)`),
//! and `ls` does not cut long lines at 80 columns.
//!
//! Exit status: 0 on success, 1 when a xenstore operation fails, 2 for a
//! bad command line.

mod args;
mod ls;
mod value;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

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
            eprintln!("xs: {msg}\n{}", args::USAGE);
            ExitCode::from(2)
        }
        Err(Failure::Op(msg)) => {
            eprintln!("xs: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(argv: &[OsString]) -> Result<(), Failure> {
    let cmd = args::parse(argv).map_err(|e| Failure::Usage(e.0))?;
    if cmd == Command::Help {
        println!("{}", args::USAGE);
        return Ok(());
    }
    let xs = Xenstore::open().map_err(op("cannot connect to xenstore"))?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    execute(&xs, cmd, &mut out)
}

/// Runs `f` on every item: directly for one, in one transaction for several
/// (retried on a conflict), so several writes or removals all take effect or
/// none does. Returns what `f` gave before it stopped, and the failure with
/// the failing item's `path`.
fn each<'a, T, R>(
    xs: &Xenstore,
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
    let result = if items.len() == 1 {
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

fn execute(xs: &Xenstore, cmd: Command, out: &mut dyn Write) -> Result<(), Failure> {
    match cmd {
        Command::Help => Ok(()),
        Command::Ls { path } => ls::tree(xs, &path, out).map_err(output(&path)),
        Command::Read { paths, raw } => {
            let (values, result) = each(xs, &paths, String::as_str, |s, p| s.read(p));
            // What was read before a failure is still printed, as by
            // xenstore-read.
            for v in values {
                if raw {
                    out.write_all(&v)
                } else {
                    writeln!(out, "{}", value::escaped(&v))
                }
                .map_err(output("stdout"))?;
            }
            result
        }
        Command::Write { pairs } => {
            each(xs, &pairs, |(p, _)| p.as_str(), |s, (p, v)| s.write(p, v)).1
        }
        Command::Rm { paths } => each(xs, &paths, String::as_str, |s, p| s.rm(p)).1,
        Command::Watch { path, count } => {
            let w = xs.watch(&path, &path).map_err(op(&path))?;
            let mut seen = 0u64;
            while count.map_or(true, |n| seen < n) {
                let ev = w.next_event().map_err(op(&path))?;
                writeln!(out, "{} {}", ev.path, ev.token)
                    .and_then(|()| out.flush())
                    .map_err(output("stdout"))?;
                seen += 1;
            }
            w.unwatch().map_err(op(&path))
        }
        Command::GetPerms { path } => {
            let perms = xs.get_perms(&path).map_err(op(&path))?;
            let text: Vec<String> = perms.iter().map(ToString::to_string).collect();
            writeln!(out, "{}", text.join(" ")).map_err(output("stdout"))
        }
        Command::SetPerms { path, perms } => xs.set_perms(&path, &perms).map_err(op(&path)),
    }
}

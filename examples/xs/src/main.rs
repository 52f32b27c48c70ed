// SPDX-License-Identifier: MIT OR Apache-2.0
//! `xs`: the xenstore-* command-line tools in one binary, over
//! [`xen_store::Xenstore`].
//!
//! ```text
//! xs ls [path]                  xenstore-ls
//! xs read path...               xenstore-read
//! xs write path value...        xenstore-write
//! xs rm path...                 xenstore-rm
//! xs watch [-n N] path          xenstore-watch (prints `path token`)
//! xs perms path [PERM...]       xenstore-ls -p / xenstore-chmod
//! ```
//!
//! Exit status: 0 on success, 1 when a xenstore operation fails, 2 for a
//! bad command line.

mod args;
mod ls;

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
    let argv: Vec<String> = std::env::args().skip(1).collect();
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

fn run(argv: &[String]) -> Result<(), Failure> {
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

fn execute(xs: &Xenstore, cmd: Command, out: &mut dyn Write) -> Result<(), Failure> {
    match cmd {
        Command::Help => Ok(()),
        Command::Ls { path } => ls::tree(xs, &path, out).map_err(output(&path)),
        Command::Read { paths } => {
            for p in &paths {
                let v = xs.read(p).map_err(op(p))?;
                out.write_all(&v)
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(output("stdout"))?;
            }
            Ok(())
        }
        Command::Write { pairs } => {
            for (p, v) in &pairs {
                xs.write(p, v.as_bytes()).map_err(op(p))?;
            }
            Ok(())
        }
        Command::Rm { paths } => {
            for p in &paths {
                xs.rm(p).map_err(op(p))?;
            }
            Ok(())
        }
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

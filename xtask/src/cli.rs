// SPDX-License-Identifier: MIT OR Apache-2.0
//! The command line: one parser for every command's options, each command
//! naming the flags it takes; values come out typed.

use crate::xen::{Arch, Mode, XenVersion, Xenstored};

/// A flag some command takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flag {
    /// `--xen 4.17|4.20|all`
    Xen,
    /// `--arch x86_64|aarch64|all`
    Arch,
    /// `--mode pv|pvh|all`
    Mode,
    /// `--xenstored c|oxenstored|all`
    Xenstored,
    /// `--live`: echo the console.
    Live,
    /// `--only ring|xenstore|evtchn|grant|vchan`
    Only,
    /// `--rounds N`
    Rounds,
    /// `--secs N`
    Secs,
    /// `--keep`: keep generated files.
    Keep,
}

impl Flag {
    const ALL: [Flag; 9] = [
        Flag::Xen,
        Flag::Arch,
        Flag::Mode,
        Flag::Xenstored,
        Flag::Live,
        Flag::Only,
        Flag::Rounds,
        Flag::Secs,
        Flag::Keep,
    ];

    fn name(self) -> &'static str {
        match self {
            Flag::Xen => "--xen",
            Flag::Arch => "--arch",
            Flag::Mode => "--mode",
            Flag::Xenstored => "--xenstored",
            Flag::Live => "--live",
            Flag::Only => "--only",
            Flag::Rounds => "--rounds",
            Flag::Secs => "--secs",
            Flag::Keep => "--keep",
        }
    }

    /// The values it takes (`None`: a switch).
    fn values(self) -> Option<&'static str> {
        match self {
            Flag::Xen => Some("4.17|4.20|all"),
            Flag::Arch => Some("x86_64|aarch64|all"),
            Flag::Mode => Some("pv|pvh|all"),
            Flag::Xenstored => Some("c|oxenstored|all"),
            Flag::Only => Some("ring|xenstore|evtchn|grant|vchan"),
            Flag::Rounds | Flag::Secs => Some("N"),
            Flag::Live | Flag::Keep => None,
        }
    }

    /// Its usage: `[--xen 4.17|4.20|all]`, `[--live]`.
    pub(crate) fn usage(self) -> String {
        match self.values() {
            Some(v) => format!("[{} {v}]", self.name()),
            None => format!("[{}]", self.name()),
        }
    }
}

/// A part of `cargo xtask bench`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BenchPart {
    Ring,
    Xenstore,
    Evtchn,
    Grant,
    Vchan,
}

/// Every option, parsed (defaults where not given).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Options {
    pub(crate) xen: Vec<XenVersion>,
    pub(crate) arches: Vec<Arch>,
    pub(crate) modes: Vec<Mode>,
    pub(crate) xenstoreds: Vec<Xenstored>,
    pub(crate) live: bool,
    pub(crate) bench: Vec<BenchPart>,
    pub(crate) rounds: usize,
    /// `--secs`, if given (each command has its own default).
    pub(crate) secs: Option<u64>,
    pub(crate) keep: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            xen: XenVersion::ALL.to_vec(),
            arches: Arch::ALL.to_vec(),
            modes: Mode::ALL.to_vec(),
            xenstoreds: Xenstored::ALL.to_vec(),
            live: false,
            bench: vec![
                BenchPart::Ring,
                BenchPart::Xenstore,
                BenchPart::Evtchn,
                BenchPart::Grant,
                BenchPart::Vchan,
            ],
            rounds: 5,
            secs: None,
            keep: false,
        }
    }
}

/// Parses `args` for a command that takes `flags`.
pub(crate) fn parse(args: &[String], flags: &[Flag]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let flag = Flag::ALL
            .into_iter()
            .find(|f| f.name() == a && flags.contains(f))
            .ok_or_else(|| format!("unknown argument `{a}`"))?;
        let v = match flag.values() {
            Some(_) => it.next().map(String::as_str),
            None => None,
        };
        let bad = || {
            format!(
                "{} needs {}",
                flag.name(),
                flag.values().unwrap_or_default()
            )
        };
        match (flag, v) {
            (Flag::Live, None) => o.live = true,
            (Flag::Keep, None) => o.keep = true,
            (Flag::Xen, Some("all")) => o.xen = XenVersion::ALL.to_vec(),
            (Flag::Xen, Some(v)) => o.xen = vec![XenVersion::parse(v).ok_or_else(bad)?],
            (Flag::Arch, Some("all")) => o.arches = Arch::ALL.to_vec(),
            (Flag::Arch, Some(v)) => {
                o.arches = vec![Arch::ALL
                    .into_iter()
                    .find(|a| a.name() == v)
                    .ok_or_else(bad)?]
            }
            (Flag::Mode, Some("all")) => o.modes = Mode::ALL.to_vec(),
            (Flag::Mode, Some(v)) => {
                o.modes = vec![Mode::ALL
                    .into_iter()
                    .find(|m| m.name() == v)
                    .ok_or_else(bad)?]
            }
            (Flag::Xenstored, Some("all")) => o.xenstoreds = Xenstored::ALL.to_vec(),
            (Flag::Xenstored, Some("c" | "xenstored")) => o.xenstoreds = vec![Xenstored::C],
            (Flag::Xenstored, Some("ocaml" | "oxenstored")) => {
                o.xenstoreds = vec![Xenstored::OCaml]
            }
            (Flag::Only, Some("ring")) => o.bench = vec![BenchPart::Ring],
            (Flag::Only, Some("xenstore")) => o.bench = vec![BenchPart::Xenstore],
            (Flag::Only, Some("evtchn")) => o.bench = vec![BenchPart::Evtchn],
            (Flag::Only, Some("grant")) => o.bench = vec![BenchPart::Grant],
            (Flag::Only, Some("vchan")) => o.bench = vec![BenchPart::Vchan],
            (Flag::Rounds, Some(v)) => {
                o.rounds = v.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?
            }
            (Flag::Secs, Some(v)) => {
                o.secs = Some(v.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?)
            }
            _ => return Err(bad()),
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn values_come_out_typed() {
        let all = Flag::ALL;
        let o = parse(
            &args("--xen 4.20 --arch aarch64 --mode pvh --xenstored oxenstored --live"),
            &all,
        )
        .unwrap();
        assert_eq!(o.xen, [XenVersion::V4_20]);
        assert_eq!(o.arches, [Arch::Aarch64]);
        assert_eq!(o.modes, [Mode::Pvh]);
        assert_eq!(o.xenstoreds, [Xenstored::OCaml]);
        assert!(o.live && !o.keep);
        let o = parse(&args("--only xenstore --rounds 3 --secs 7 --keep"), &all).unwrap();
        assert_eq!(
            (o.bench.as_slice(), o.rounds, o.secs, o.keep),
            ([BenchPart::Xenstore].as_slice(), 3, Some(7), true)
        );
        assert_eq!(parse(&[], &[]).unwrap(), Options::default());
    }

    #[test]
    fn bad_values_and_foreign_flags_are_refused() {
        let all = Flag::ALL;
        for bad in [
            "--xen 4.18",
            "--xen",
            "--mode hvm",
            "--arch arm",
            "--rounds 0",
            "--secs x",
            "--only both",
            "--frob",
        ] {
            assert!(parse(&args(bad), &all).is_err(), "{bad}");
        }
        assert!(parse(&args("--live"), &[Flag::Xen]).is_err());
    }
}

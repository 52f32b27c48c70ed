// SPDX-License-Identifier: MIT OR Apache-2.0
//! The test kernels' console protocol: `plan N`, numbered `ok N - ...` /
//! `not ok N - ...` lines, `summary: P passed, F failed`, `XENRS-END`, and
//! the x86 debug-exit status. A run passes only when all of it is there.

use super::Outcome;

/// Judges a test kernel's console and QEMU's exit status (x86: the
/// kernels end through isa-debug-exit, status 1 for their code 0).
pub(crate) fn judge(lines: &[String], exit: Option<i32>, timed_out: bool) -> Outcome {
    judge_ending(lines, exit, timed_out, 1)
}

/// [`judge`] for a machine that ends with QEMU status `want` when the
/// kernel passed (arm64: 0, Xen powers the machine off; QEMU also says 0
/// after a crash, so the console decides).
pub(crate) fn judge_ending(
    lines: &[String],
    exit: Option<i32>,
    timed_out: bool,
    want_exit: i32,
) -> Outcome {
    let mut o = Outcome::default();
    let mut plan = None;
    let mut summary = None;
    let mut end = false;
    let mut next = 1u32;
    for l in lines {
        let l = l.trim_end();
        if let Some(n) = l.strip_prefix("plan ") {
            plan = n.trim().parse::<u32>().ok();
        } else if let Some(rest) = l.strip_prefix("ok ") {
            o.passed += 1;
            check_seq(rest, &mut next, &mut o.problems);
        } else if let Some(rest) = l.strip_prefix("not ok ") {
            o.failed += 1;
            o.failures.push(rest.to_string());
            check_seq(rest, &mut next, &mut o.problems);
        } else if let Some(s) = l.strip_prefix("summary: ") {
            summary = Some(s.to_string());
        } else if l.starts_with("PANIC") {
            o.problems.push(format!("the kernel panicked: {l}"));
        } else if l == "XENRS-END" {
            end = true;
        }
    }
    if timed_out {
        o.problems.push("timed out (the kernel hung)".into());
    }
    match plan {
        None => o
            .problems
            .push("no plan line: the kernel never started its checks".into()),
        Some(p) if p != o.passed + o.failed => o.problems.push(format!(
            "planned {p} checks, saw {} (missing checks)",
            o.passed + o.failed
        )),
        Some(_) => {}
    }
    let want = format!("{} passed, {} failed", o.passed, o.failed);
    match summary {
        Some(s) if s == want => {}
        Some(s) => o
            .problems
            .push(format!("kernel summary `{s}` disagrees with `{want}`")),
        None => o.problems.push("no summary line".into()),
    }
    if !end {
        o.problems
            .push("no end marker: the kernel crashed or Xen died".into());
    }
    if exit != Some(want_exit) && o.problems.is_empty() && o.failed == 0 {
        o.problems
            .push(format!("QEMU exit status {exit:?}, expected {want_exit}"));
    }
    o
}

fn check_seq(rest: &str, next: &mut u32, problems: &mut Vec<String>) {
    let n = rest
        .split_whitespace()
        .next()
        .and_then(|n| n.parse::<u32>().ok());
    if n != Some(*next) {
        problems.push(format!("check numbered {n:?} where {next} was due"));
    }
    *next += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(String::from).collect()
    }

    #[test]
    fn a_complete_run_passes() {
        let o = judge(
            &lines("(XEN) boot\nplan 2\nok 1 - a: x\nok 2 - b: y\nsummary: 2 passed, 0 failed\nXENRS-END"),
            Some(1),
            false,
        );
        assert!(o.ok(), "{:?}", o.problems);
        assert_eq!((o.passed, o.failed), (2, 0));
    }

    #[test]
    fn missing_checks_hangs_and_crashes_fail() {
        let missing = judge(
            &lines("plan 3\nok 1 - a\nok 2 - b\nsummary: 2 passed, 0 failed\nXENRS-END"),
            Some(1),
            false,
        );
        assert!(!missing.ok());
        let hung = judge(&lines("plan 1\nok 1 - a"), None, true);
        assert!(!hung.ok() && hung.problems.iter().any(|p| p.contains("timed out")));
        let crashed = judge(&lines("plan 1\nPANIC: boom\nXENRS-END"), Some(7), false);
        assert!(!crashed.ok());
        let failed = judge(
            &lines("plan 1\nnot ok 1 - a\nsummary: 0 passed, 1 failed\nXENRS-END"),
            Some(3),
            false,
        );
        assert!(!failed.ok() && failed.failed == 1 && failed.failures == ["1 - a"]);
        let bad_exit = judge(
            &lines("plan 1\nok 1 - a\nsummary: 1 passed, 0 failed\nXENRS-END"),
            Some(0),
            false,
        );
        assert!(!bad_exit.ok());
    }
}

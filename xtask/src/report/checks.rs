// SPDX-License-Identifier: MIT OR Apache-2.0
//! The vchan scenario's console protocol (`examples/xen-vchan/tests/e2e.rs`
//! in dom0): lines tagged [`TAG`] anywhere in a console line, `plan N`,
//! numbered `ok K - name: detail` / `not ok K - name: detail`, then
//! `summary: P passed, F failed`. A run passes only when all of it is
//! there, the numbers follow each other, the plan is met and there are at
//! least `min` checks.

use super::Outcome;

/// What starts each of the scenario's protocol lines.
pub(crate) const TAG: &str = "e2e: ";

/// The protocol part of `l`, if it is one of the scenario's lines.
fn tagged(l: &str) -> Option<&str> {
    Some(l[l.find(TAG)? + TAG.len()..].trim_end())
}

/// Judges the scenario's lines in `lines`.
pub(crate) fn judge(lines: &[String], min: u32, timed_out: bool) -> Outcome {
    let mut o = Outcome::default();
    let (mut plan, mut summary) = (None, None);
    let mut next = 1u32;
    for l in lines.iter().filter_map(|l| tagged(l)) {
        let numbered = if let Some(n) = l.strip_prefix("plan ") {
            plan = n.trim().parse::<u32>().ok();
            None
        } else if let Some(rest) = l.strip_prefix("ok ") {
            o.passed += 1;
            Some(rest)
        } else if let Some(rest) = l.strip_prefix("not ok ") {
            o.failed += 1;
            o.failures.push(rest.to_string());
            Some(rest)
        } else {
            if let Some(s) = l.strip_prefix("summary: ") {
                summary = Some(s.to_string());
            }
            None
        };
        if let Some(rest) = numbered {
            let n = rest.split_whitespace().next().and_then(|n| n.parse().ok());
            if n != Some(next) {
                o.problems
                    .push(format!("check numbered {n:?} where {next} was due"));
            }
            next += 1;
        }
    }
    let seen = o.passed + o.failed;
    match plan {
        None => o
            .problems
            .push("no plan line: the scenario never started".into()),
        Some(p) if p != seen => o
            .problems
            .push(format!("planned {p} checks, saw {seen} (missing checks)")),
        Some(_) => {}
    }
    if seen < min {
        o.problems
            .push(format!("{seen} checks; the scenario needs at least {min}"));
    }
    let want = format!("{} passed, {} failed", o.passed, o.failed);
    match summary {
        Some(s) if s == want => {}
        Some(s) => o
            .problems
            .push(format!("summary `{s}` disagrees with `{want}`")),
        None => o.problems.push("no summary line".into()),
    }
    if timed_out {
        o.problems.push("timed out (dom0 hung)".into());
    }
    o
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
            &lines("boot\ne2e: plan 2\n[ 3.0] e2e: ok 1 - a: x\ne2e: ok 2 - b\ne2e: summary: 2 passed, 0 failed"),
            2,
            false,
        );
        assert!(o.ok(), "{:?}", o.problems);
        assert_eq!((o.passed, o.failed), (2, 0));
    }

    #[test]
    fn failures_gaps_short_runs_and_hangs_fail() {
        let failed = judge(
            &lines("e2e: plan 1\ne2e: not ok 1 - a: no\ne2e: summary: 0 passed, 1 failed"),
            1,
            false,
        );
        assert!(!failed.ok() && failed.failures == ["1 - a: no"]);
        let gap = judge(
            &lines("e2e: plan 2\ne2e: ok 1 - a\ne2e: ok 3 - b\ne2e: summary: 2 passed, 0 failed"),
            2,
            false,
        );
        assert!(!gap.ok());
        let missing = judge(
            &lines("e2e: plan 3\ne2e: ok 1 - a\ne2e: summary: 1 passed, 0 failed"),
            1,
            false,
        );
        assert!(!missing.ok());
        let few = judge(
            &lines("e2e: plan 1\ne2e: ok 1 - a\ne2e: summary: 1 passed, 0 failed"),
            10,
            false,
        );
        assert!(!few.ok());
        let hung = judge(&lines("e2e: plan 1\ne2e: ok 1 - a"), 1, true);
        assert!(!hung.ok());
    }
}

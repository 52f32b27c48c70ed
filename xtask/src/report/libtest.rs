// SPDX-License-Identifier: MIT OR Apache-2.0
//! Rust test binaries run over a console: the shell lines that run each
//! one between markers (`XENRS-DOM0-RUN name` ... `XENRS-DOM0-EXIT name
//! status`, the whole between `XENRS-DOM0-BEGIN` and `XENRS-DOM0-END`), and
//! the judge that reads libtest's own `test NAME ... ok` lines back and
//! checks every binary ran as many tests as `--list` named and exited 0.

use super::Outcome;

/// Printed before the first binary runs.
pub(crate) const BEGIN: &str = "XENRS-DOM0-BEGIN";
/// Printed after the last.
pub(crate) const END: &str = "XENRS-DOM0-END";

/// A test binary the judge expects to see.
#[derive(Debug, Clone)]
pub(crate) struct Expected {
    /// Its name on the markers (shell-safe).
    pub(crate) name: String,
    /// How many tests `--list` names (ignored ones included).
    pub(crate) tests: u32,
}

/// The shell lines that run `program` as the binary `name` with `args`.
pub(crate) fn run_lines(name: &str, program: &str, args: &str) -> String {
    format!(
        "echo XENRS-DOM0-RUN {name}\n\
         {program} {args} 2>&1\n\
         echo XENRS-DOM0-EXIT {name} $?\n"
    )
}

/// `test NAME ... RESULT` anywhere in a console line (a kernel or Xen message
/// may precede it on the same line).
fn test_line(l: &str) -> Option<(&str, &str)> {
    let (name, result) = test_start(l)?;
    let result = result.split_whitespace().next()?;
    is_result(result).then_some((name, result))
}

/// `test NAME ... REST`: a test's start, whatever follows (with
/// `--nocapture`, the test's own output, its result coming on a line of its
/// own once it ends).
fn test_start(l: &str) -> Option<(&str, &str)> {
    let at = l.find("test ")?;
    let (name, rest) = l[at + 5..].split_once(" ... ")?;
    Some((name.trim(), rest))
}

fn is_result(word: &str) -> bool {
    matches!(word, "ok" | "FAILED" | "ignored")
}

/// The binary running now: its name, results so far, whether libtest's
/// `test result:` line came.
struct Current {
    name: String,
    results: u32,
    summary: bool,
}

/// Judges the console (escape sequences already stripped) against the
/// binaries that should have run.
pub(crate) fn judge(lines: &[String], bins: &[Expected], timed_out: bool) -> Outcome {
    let mut o = Outcome::default();
    let mut current: Option<Current> = None;
    let mut ran: Vec<String> = Vec::new();
    // A test whose output (`--nocapture`) came between its name and result.
    let mut open: Option<String> = None;
    let (mut begun, mut end) = (false, false);
    for l in lines {
        let l = l.trim_end();
        if l == BEGIN {
            begun = true;
        } else if let Some(n) = l.strip_prefix("XENRS-DOM0-RUN ") {
            open = None;
            current = Some(Current {
                name: n.to_string(),
                results: 0,
                summary: false,
            });
        } else if let Some(rest) = l.strip_prefix("XENRS-DOM0-EXIT ") {
            let (n, rc) = rest.split_once(' ').unwrap_or((rest, "?"));
            match current.take() {
                Some(c) if c.name == n => {
                    let want = bins.iter().find(|b| b.name == n).map(|b| b.tests);
                    if want != Some(c.results) {
                        o.problems.push(format!(
                            "{n}: {} results, expected {want:?} (tests went missing)",
                            c.results
                        ));
                    }
                    if !c.summary {
                        o.problems.push(format!("{n}: no `test result:` line"));
                    }
                    if rc != "0" {
                        o.problems.push(format!("{n}: exit status {rc}"));
                    }
                }
                _ => o.problems.push(format!("{n}: exit without a start")),
            }
            ran.push(n.to_string());
        } else if l == END {
            end = true;
        } else if let Some((name, result)) = test_line(l).or_else(|| {
            let word = l.trim();
            (is_result(word) && open.is_some()).then_some(("", word))
        }) {
            let owned;
            let name = if name.is_empty() {
                owned = open.take().unwrap_or_default();
                owned.as_str()
            } else {
                open = None;
                name
            };
            if let Some(c) = current.as_mut() {
                c.results += 1;
            }
            match result {
                "ok" => o.passed += 1,
                "FAILED" => {
                    o.failed += 1;
                    o.failures.push(name.to_string());
                }
                _ => o
                    .problems
                    .push(format!("{name} was ignored (run with --include-ignored)")),
            }
        } else if let Some((name, _)) = test_start(l) {
            open = Some(name.to_string());
        } else if l.contains("test result:") {
            if let Some(c) = current.as_mut() {
                c.summary = true;
            }
        } else if l.contains("Kernel panic") || l.contains("Panic on CPU") {
            o.problems.push(format!("crash: {l}"));
        }
    }
    if timed_out {
        o.problems.push("timed out (dom0 hung)".into());
    }
    if !begun {
        o.problems
            .push("dom0 never reached the tests (no begin marker)".into());
    }
    for b in bins {
        if !ran.contains(&b.name) {
            o.problems.push(format!("{} never finished", b.name));
        }
    }
    if !end {
        o.problems
            .push("no end marker: dom0 crashed or Xen died".into());
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(String::from).collect()
    }

    fn passing(n: u32) -> String {
        let mut s = String::from("(XEN) boot\nXENRS-DOM0-BEGIN\nXENRS-DOM0-RUN t\n");
        s.push_str(&format!("running {n} tests\n"));
        for i in 0..n {
            s.push_str(&format!("test t{i} ... ok\n"));
        }
        s.push_str(&format!(
            "test result: ok. {n} passed; 0 failed\nXENRS-DOM0-EXIT t 0\nXENRS-DOM0-END\n"
        ));
        s
    }

    fn t(tests: u32) -> [Expected; 1] {
        [Expected {
            name: "t".into(),
            tests,
        }]
    }

    #[test]
    fn a_complete_run_passes() {
        let o = judge(&lines(&passing(16)), &t(16), false);
        assert!(o.ok(), "{:?}", o.problems);
        assert_eq!((o.passed, o.failed), (16, 0));
    }

    #[test]
    fn failures_hangs_crashes_and_missing_tests_fail() {
        let failed = passing(16).replace("test t3 ... ok", "test t3 ... FAILED");
        let o = judge(&lines(&failed), &t(16), false);
        assert!(!o.ok() && o.failed == 1 && o.failures == ["t3"]);

        let o = judge(&lines(&passing(16)), &t(17), false);
        assert!(!o.ok(), "a missing test must fail the run");

        let hung: Vec<String> = lines(&passing(16)).into_iter().take(8).collect();
        let o = judge(&hung, &t(16), true);
        assert!(o.problems.iter().any(|p| p.contains("timed out")));
        assert!(o.problems.iter().any(|p| p.contains("end marker")));

        let panic = passing(16).replace("test t5 ... ok", "Kernel panic - not syncing: x");
        assert!(!judge(&lines(&panic), &t(16), false).ok());

        let ignored = passing(16).replace("test t1 ... ok", "test t1 ... ignored, needs");
        assert!(!judge(&lines(&ignored), &t(16), false).ok());

        let bad_exit = passing(16).replace("EXIT t 0", "EXIT t 101");
        assert!(!judge(&lines(&bad_exit), &t(16), false).ok());
    }

    #[test]
    fn a_result_after_the_tests_own_output_counts() {
        let con = lines(&format!(
            "{BEGIN}\nXENRS-DOM0-RUN t\nrunning 1 test\ntest big ... e2e: plan 1\ne2e: ok 1 - x\nok\n\
             test result: ok. 1 passed;\nXENRS-DOM0-EXIT t 0\n{END}"
        ));
        let o = judge(&con, &t(1), false);
        assert!(o.ok(), "{:?}", o.problems);
        assert_eq!(o.passed, 1);
        let failed = lines(&format!(
            "{BEGIN}\nXENRS-DOM0-RUN t\ntest big ... out\nFAILED\ntest result: FAILED.\nXENRS-DOM0-EXIT t 101\n{END}"
        ));
        let o = judge(&failed, &t(1), false);
        assert_eq!((o.passed, o.failed), (0, 1));
        assert_eq!(o.failures, ["big"]);
    }

    #[test]
    fn test_lines_survive_a_prefix() {
        assert_eq!(
            test_line("[  1.0] foo test a::b ... ok"),
            Some(("a::b", "ok"))
        );
        assert_eq!(test_line("test x ... FAILED"), Some(("x", "FAILED")));
        assert_eq!(test_line("running 3 tests"), None);
    }

    #[test]
    fn run_lines_wrap_the_program_in_markers() {
        let s = run_lines("p-t", "/tests/p-t", "--include-ignored");
        assert_eq!(
            s,
            "echo XENRS-DOM0-RUN p-t\n/tests/p-t --include-ignored 2>&1\necho XENRS-DOM0-EXIT p-t $?\n"
        );
    }
}

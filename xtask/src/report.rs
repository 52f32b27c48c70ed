// SPDX-License-Identifier: MIT OR Apache-2.0
//! Judging console transcripts and reporting: the [`Outcome`] of one boot,
//! the judges for the two protocols our guests speak on the console
//! ([`kernel`]: the test kernels' numbered checks; [`libtest`]: Rust test
//! binaries run by a Linux dom0; [`checks`]: the vchan scenario's numbered
//! checks in dom0), and the one report loop every tier uses
//! (a summary line per case, the details of a failing one, the lines again
//! at the end).

pub(crate) mod checks;
pub(crate) mod kernel;
pub(crate) mod libtest;

use std::time::Instant;

/// What one boot produced, as its judge saw it.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) passed: u32,
    pub(crate) failed: u32,
    /// The failing checks or tests.
    pub(crate) failures: Vec<String>,
    /// Why the run counts as failed even if no check said so.
    pub(crate) problems: Vec<String>,
}

impl Outcome {
    pub(crate) fn ok(&self) -> bool {
        self.failed == 0 && self.problems.is_empty()
    }
}

/// How many console lines a failing case shows.
const TAIL: usize = 60;

/// A tier's report: `<case>: P passed, F failed` per case as it finishes,
/// then every case line and the tier's total.
#[derive(Debug)]
pub(crate) struct Report {
    tier: &'static str,
    lines: Vec<String>,
    passed: u32,
    failed: u32,
    all_ok: bool,
}

impl Report {
    pub(crate) fn new(tier: &'static str) -> Self {
        Report {
            tier,
            lines: Vec::new(),
            passed: 0,
            failed: 0,
            all_ok: true,
        }
    }

    /// Runs one case (`boot` returns its outcome and console) and reports
    /// it as `<label>: P passed, F failed`.
    pub(crate) fn case(
        &mut self,
        label: &str,
        boot: impl FnOnce() -> Result<(Outcome, Vec<String>), String>,
    ) -> Result<(), String> {
        let t = Instant::now();
        let (o, console) = boot()?;
        let line = format!("{label}: {} passed, {} failed", o.passed, o.failed);
        println!("{line}   ({:.1} s)", t.elapsed().as_secs_f64());
        // The whole console, kept for a failure's post-mortem (the tail
        // below is only its end).
        let log = keep_console(label, &console);
        self.passed += o.passed;
        self.failed += o.failed;
        if !o.ok() {
            self.all_ok = false;
            for f in &o.failures {
                println!("    FAILED: {f}");
            }
            for p in &o.problems {
                println!("    problem: {p}");
            }
            if let Some(log) = &log {
                println!("    whole console: {}", log.display());
            }
            println!("    console tail:");
            for l in &console[console.len().saturating_sub(TAIL)..] {
                println!("    {l}");
            }
        }
        self.lines.push(line);
        Ok(())
    }

    /// Prints every case line and the total; fails if any case did.
    pub(crate) fn finish(self) -> Result<(), String> {
        println!();
        for l in &self.lines {
            println!("{l}");
        }
        println!(
            "{}: {} passed, {} failed",
            self.tier, self.passed, self.failed
        );
        if self.all_ok {
            Ok(())
        } else {
            Err(format!("the {} tier failed", self.tier))
        }
    }
}

/// Keeps a boot's whole console as `<target dir>/xtask-logs/<label>.log`
/// (the label made file-name safe) and returns the path, if it could.
pub(crate) fn keep_console(label: &str, console: &[String]) -> Option<std::path::PathBuf> {
    let dir = crate::workspace::scratch("xtask-logs").ok()?;
    let name: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let path = dir.join(format!("{name}.log"));
    std::fs::write(&path, console.join("\n"))
        .ok()
        .map(|()| path)
}

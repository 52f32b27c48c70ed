// SPDX-License-Identifier: MIT OR Apache-2.0
//! The one harness every bench reports through: paired runs, a ratio per
//! pair, the median ratio with a bootstrap 95% interval, and a verdict only
//! when the noise allows one.
//!
//! - **Pairs.** Ours and C run back to back, the order alternating from pair
//!   to pair (ours first in even pairs), so that drift on a shared machine
//!   hits both sides alike. [`run_pairs`] runs as many pairs as fit a
//!   [`Budget`] (at least `min`, at most `max`); benches whose runs are
//!   scripted ahead of time (the dom0 ones) pair run `i` of ours with run `i`
//!   of C in the same round.
//! - **Ratio.** One per pair, oriented so that above 1.0 means ours is
//!   faster (C's time over ours, or our rate over C's).
//! - **Spread.** [`Summary::of`]: the median of the per-pair ratios and a
//!   moving-block bootstrap 95% interval of that median: [`RESAMPLES`]
//!   resamples, each made of runs of [`block_len`] consecutive pairs (in the
//!   order they ran) drawn with replacement by a fixed-seed xorshift
//!   generator (the same input always gives the same interval), the interval
//!   being the 2.5th and 97.5th percentiles of the resampled medians. Blocks,
//!   not single pairs, because neighbouring pairs are not independent on a
//!   shared machine: the ratio drifts for seconds at a time (the host moves
//!   the vCPUs, other guests come and go), and resampling single pairs
//!   treats a drift as many independent agreeing samples, giving an interval
//!   that the next run's median falls outside of. Printed as
//!   `ours/ring.h = 1.02 [0.97-1.06, 40 pairs]`.
//! - **Verdict.** [`Summary::verdict`]: `inconclusive` when the interval
//!   contains 1.0 and reaches beyond `1.0 ± MARGIN` on at least one side
//!   (`lo < 1 - MARGIN` or `hi > 1 + MARGIN`): the data allow both "no
//!   difference" and a difference larger than the margin. Otherwise the
//!   interval is either all above 1.0 (ours faster), all below (ours slower),
//!   or inside `[1 - MARGIN, 1 + MARGIN]` (parity within the margin).

use std::fmt;
use std::time::{Duration, Instant};

/// How far past 1.0 an interval containing 1.0 may reach before the
/// verdict is `inconclusive` (5%).
pub(super) const MARGIN: f64 = 0.05;

/// Bootstrap resamples per interval.
pub(super) const RESAMPLES: usize = 2000;

/// Consecutive pairs per bootstrap block for `n` pairs: about the square
/// root of `n`, at least 1. Longer than the textbook cube root because the
/// drift here is long: 160 ping-pong pairs on this 2-vCPU machine had
/// autocorrelations of 0.24, 0.12, 0.09, 0.12 at lags 1-4 and still
/// 0.05-0.15 at many lags out to 24, and with cube-root blocks (5 of 135)
/// the next run's median fell outside the interval.
pub(super) fn block_len(n: usize) -> usize {
    ((n as f64).sqrt().round() as usize).clamp(1, n.max(1))
}

/// How many pairs to run: as many as fit `time`, within `min..=max`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    /// Wall-clock time for all pairs of one workload.
    pub(super) time: Duration,
    /// Pairs run even when they overrun `time`.
    pub(super) min: usize,
    /// Pairs never exceeded.
    pub(super) max: usize,
}

/// One pair's two measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Pair<M> {
    /// Ours.
    pub(super) ours: M,
    /// C's.
    pub(super) theirs: M,
}

/// Runs pairs within `budget`; `measure(pair, ours)` runs one side once.
/// Ours goes first in even pairs, C first in odd ones.
pub(super) fn run_pairs<M>(
    budget: Budget,
    mut measure: impl FnMut(usize, bool) -> Result<M, String>,
) -> Result<Vec<Pair<M>>, String> {
    let start = Instant::now();
    let mut pairs = Vec::new();
    while pairs.len() < budget.max && (pairs.len() < budget.min || start.elapsed() < budget.time) {
        let i = pairs.len();
        let (ours, theirs) = if i % 2 == 0 {
            let o = measure(i, true)?;
            (o, measure(i, false)?)
        } else {
            let t = measure(i, false)?;
            (measure(i, true)?, t)
        };
        pairs.push(Pair { ours, theirs });
    }
    Ok(pairs)
}

/// Pairs the `i`th of `ours` with the `i`th of `theirs`: for benches whose
/// rounds are scripted ahead (in dom0), where round `i` runs both once.
pub(super) fn zip_pairs(ours: &[f64], theirs: &[f64]) -> Vec<Pair<f64>> {
    ours.iter()
        .zip(theirs)
        .map(|(&ours, &theirs)| Pair { ours, theirs })
        .collect()
}

/// The median ratio, its bootstrap 95% interval and the pair count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Summary {
    /// Median of the per-pair ratios.
    pub(super) median: f64,
    /// Lower end of the 95% interval of the median.
    pub(super) lo: f64,
    /// Upper end.
    pub(super) hi: f64,
    /// Pairs behind it.
    pub(super) pairs: usize,
}

/// What the interval allows one to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The whole interval is above 1.0.
    Faster,
    /// The whole interval is below 1.0.
    Slower,
    /// The interval contains 1.0 and stays within `1.0 ± MARGIN`.
    Parity,
    /// The interval contains 1.0 and reaches past `1.0 ± MARGIN`.
    Inconclusive,
}

impl Summary {
    /// Summarises per-pair ratios in the order the pairs ran (above 1.0:
    /// ours faster); `None` if empty.
    pub(super) fn of(ratios: &[f64]) -> Option<Summary> {
        if ratios.is_empty() {
            return None;
        }
        let n = ratios.len();
        let median = median(&mut ratios.to_vec());
        let block = block_len(n);
        let starts = n - block + 1;
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut sample = Vec::with_capacity(n + block);
        let mut medians: Vec<f64> = (0..RESAMPLES)
            .map(|_| {
                sample.clear();
                while sample.len() < n {
                    let at = rng.below(starts);
                    sample.extend_from_slice(&ratios[at..at + block]);
                }
                sample.truncate(n);
                self::median(&mut sample)
            })
            .collect();
        medians.sort_by(f64::total_cmp);
        Some(Summary {
            median,
            lo: percentile(&medians, 0.025),
            hi: percentile(&medians, 0.975),
            pairs: n,
        })
    }

    /// The verdict under the rule in the module docs.
    pub(super) fn verdict(&self) -> Verdict {
        if self.lo > 1.0 {
            Verdict::Faster
        } else if self.hi < 1.0 {
            Verdict::Slower
        } else if self.lo < 1.0 - MARGIN || self.hi > 1.0 + MARGIN {
            Verdict::Inconclusive
        } else {
            Verdict::Parity
        }
    }

    /// Prints `<label> = <summary>`, and `inconclusive` on the next line
    /// when the verdict is.
    pub(super) fn report(&self, label: &str) {
        println!("{label} = {self}");
        if self.verdict() == Verdict::Inconclusive {
            println!("inconclusive");
        }
    }
}

impl fmt::Display for Summary {
    /// `1.02 [0.97-1.06, 40 pairs]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.2} [{:.2}-{:.2}, {} pairs]",
            self.median, self.lo, self.hi, self.pairs
        )
    }
}

/// Summarises pairs by `ratio(pair)` and prints the line (`<label>: no
/// pairs` when there are none).
pub(super) fn report<M>(label: &str, pairs: &[Pair<M>], ratio: impl Fn(&Pair<M>) -> f64) {
    let ratios: Vec<f64> = pairs.iter().map(ratio).collect();
    match Summary::of(&ratios) {
        Some(s) => s.report(label),
        None => println!("{label}: no pairs"),
    }
}

/// The median of `v` (sorted in place; the mean of the middle two for an
/// even length); `v` must not be empty.
pub(super) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The `q` quantile of sorted, non-empty `v` (nearest rank).
fn percentile(v: &[f64], q: f64) -> f64 {
    let i = (q * v.len() as f64).ceil() as usize;
    v[i.clamp(1, v.len()) - 1]
}

/// xorshift64: a fixed-seed generator, enough to draw resample indices.
struct XorShift(u64);

impl XorShift {
    /// A value in `0..n` (`n > 0`; the modulo bias is negligible for the
    /// pair counts here).
    fn below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_lengths() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut [7.0]), 7.0);
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<f64> = (1..=40).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.025), 1.0);
        assert_eq!(percentile(&v, 0.975), 39.0);
        assert_eq!(percentile(&v, 0.5), 20.0);
    }

    #[test]
    fn interval_of_identical_ratios_is_a_point() {
        let s = Summary::of(&[1.02; 40]).unwrap();
        assert_eq!(
            s,
            Summary {
                median: 1.02,
                lo: 1.02,
                hi: 1.02,
                pairs: 40
            }
        );
        assert_eq!(s.to_string(), "1.02 [1.02-1.02, 40 pairs]");
        assert_eq!(s.verdict(), Verdict::Faster);
        assert_eq!(Summary::of(&[1.0; 5]).unwrap().verdict(), Verdict::Parity);
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn interval_is_fixed_and_brackets_the_median() {
        // 0.90, 0.91, ..., 1.29 shuffled by a fixed stride.
        let ratios: Vec<f64> = (0..40)
            .map(|i| 0.90 + f64::from((i * 17) % 40) / 100.0)
            .collect();
        let s = Summary::of(&ratios).unwrap();
        assert_eq!(s, Summary::of(&ratios).unwrap());
        assert!((s.median - 1.095).abs() < 1e-9);
        assert!(s.lo < s.median && s.median < s.hi);
        // The median of 40 uniform values moves by a few ranks, not the range.
        assert!(s.lo > 1.0 && s.hi < 1.2, "{s}");
        assert_eq!(s.verdict(), Verdict::Faster);
    }

    #[test]
    fn block_lengths() {
        assert_eq!(block_len(0), 1);
        assert_eq!(block_len(1), 1);
        assert_eq!(block_len(10), 3);
        assert_eq!(block_len(135), 12);
        assert_eq!(block_len(400), 20);
    }

    #[test]
    fn drift_widens_the_interval() {
        // The same 120 ratios, once shuffled and once in runs of 20 alike
        // (a drifting machine): resampling single pairs would give both the
        // same interval; blocks see that the drifting order carries less
        // information.
        let level = |i: usize| 0.90 + 0.04 * (i / 20) as f64;
        let noise = |i: usize| f64::from(((i * 37) % 11) as u32) / 1000.0;
        let drifting: Vec<f64> = (0..120).map(|i| level(i) + noise(i)).collect();
        let shuffled: Vec<f64> = (0..120)
            .map(|i| (i * 53) % 120)
            .map(|i| level(i) + noise(i))
            .collect();
        let (d, s) = (
            Summary::of(&drifting).unwrap(),
            Summary::of(&shuffled).unwrap(),
        );
        assert_eq!(d.median, s.median);
        assert!(d.hi - d.lo > s.hi - s.lo, "drifting {d}, shuffled {s}");
    }

    #[test]
    fn verdicts() {
        let s = |lo, hi| Summary {
            median: (lo + hi) / 2.0,
            lo,
            hi,
            pairs: 10,
        };
        assert_eq!(s(1.01, 1.30).verdict(), Verdict::Faster);
        assert_eq!(s(0.70, 0.99).verdict(), Verdict::Slower);
        assert_eq!(s(0.96, 1.04).verdict(), Verdict::Parity);
        assert_eq!(s(0.95, 1.05).verdict(), Verdict::Parity);
        assert_eq!(s(0.94, 1.02).verdict(), Verdict::Inconclusive);
        assert_eq!(s(0.99, 1.30).verdict(), Verdict::Inconclusive);
        assert_eq!(s(0.71, 2.35).verdict(), Verdict::Inconclusive);
    }

    #[test]
    fn pairs_alternate_and_respect_the_budget() {
        let mut order = Vec::new();
        let budget = Budget {
            time: Duration::ZERO,
            min: 3,
            max: 10,
        };
        let pairs = run_pairs(budget, |i, ours| {
            order.push((i, ours));
            Ok(if ours { 1.0 } else { 2.0 })
        })
        .unwrap();
        assert_eq!(
            pairs,
            vec![
                Pair {
                    ours: 1.0,
                    theirs: 2.0
                };
                3
            ]
        );
        assert_eq!(
            order,
            [
                (0, true),
                (0, false),
                (1, false),
                (1, true),
                (2, true),
                (2, false)
            ]
        );
        let budget = Budget {
            time: Duration::from_secs(3600),
            min: 1,
            max: 4,
        };
        assert_eq!(run_pairs(budget, |_, _| Ok(())).unwrap().len(), 4);
        assert!(run_pairs(budget, |_, _| Err::<(), _>("x".into())).is_err());
    }
}

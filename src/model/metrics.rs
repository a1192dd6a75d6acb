//! Validation metrics a model risk reviewer expects, on predicted
//! probabilities of the bad event (`pd`, higher = riskier) and outcomes
//! (`bad`). Ties are handled exactly: tied scores share their rank (AUC) and
//! are never split by a cut-off (KS).

use serde::{Deserialize, Serialize};

/// Area under the ROC curve: the chance that a random bad scores above a
/// random good, a tie counting one half (Mann-Whitney with average ranks).
/// `None` without both classes.
pub fn auc(pd: &[f64], bad: &[bool]) -> Option<f64> {
    Ranked::new(pd, bad).auc()
}

/// Gini = 2 AUC - 1.
pub fn gini(pd: &[f64], bad: &[bool]) -> Option<f64> {
    auc(pd, bad).map(|a| 2.0 * a - 1.0)
}

/// Kolmogorov-Smirnov: the largest gap between the cumulative shares of bads
/// and of goods, over cut-offs between distinct scores (riskiest first).
pub fn ks(pd: &[f64], bad: &[bool]) -> Option<f64> {
    Ranked::new(pd, bad).ks()
}

/// `bins` groups of (nearly) equal size by predicted pd, lowest first, with
/// the mean prediction and the observed bad rate of each. Rows are ordered
/// by pd, then by position, so the table is deterministic with ties.
pub fn calibration(pd: &[f64], bad: &[bool], bins: usize) -> Vec<CalibrationBin> {
    Ranked::new(pd, bad).calibration(bins)
}

/// Share of all bads found among the riskiest `share` of rows (by pd,
/// position breaking ties): e.g. the top decile's capture rate.
pub fn capture_rate(pd: &[f64], bad: &[bool], share: f64) -> Option<f64> {
    Ranked::new(pd, bad).capture_rate(share)
}

/// Predictions and outcomes with their order by pd, sorted once (in
/// parallel) for every metric that needs it: on millions of rows each sort
/// took most of a second.
pub struct Ranked<'a> {
    pd: &'a [f64],
    bad: &'a [bool],
    n_bad: usize,
    /// Row positions sorted by pd ascending, position breaking ties.
    order: Vec<usize>,
}

impl<'a> Ranked<'a> {
    pub fn new(pd: &'a [f64], bad: &'a [bool]) -> Self {
        use rayon::prelude::*;
        let mut keyed: Vec<(f64, usize)> = pd.iter().copied().zip(0..).collect();
        keyed.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        Self {
            pd,
            bad,
            n_bad: bad.iter().filter(|b| **b).count(),
            order: keyed.into_iter().map(|(_, k)| k).collect(),
        }
    }

    /// See [`auc`].
    pub fn auc(&self) -> Option<f64> {
        let (pd, bad, order) = (self.pd, self.bad, &self.order);
        let n_good = bad.len() - self.n_bad;
        if self.n_bad == 0 || n_good == 0 {
            return None;
        }
        let mut rank_sum_bad = 0.0;
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && pd[order[j + 1]] == pd[order[i]] {
                j += 1;
            }
            // Ranks i+1 ..= j+1 shared by the tie group.
            let avg_rank = (i + j + 2) as f64 / 2.0;
            rank_sum_bad += avg_rank * order[i..=j].iter().filter(|k| bad[**k]).count() as f64;
            i = j + 1;
        }
        let (nb, ng) = (self.n_bad as f64, n_good as f64);
        Some((rank_sum_bad - nb * (nb + 1.0) / 2.0) / (nb * ng))
    }

    /// See [`ks`].
    pub fn ks(&self) -> Option<f64> {
        let (pd, bad) = (self.pd, self.bad);
        let n_bad = self.n_bad as f64;
        let n_good = bad.len() as f64 - n_bad;
        if n_bad == 0.0 || n_good == 0.0 {
            return None;
        }
        // Riskiest first.
        let order: Vec<usize> = self.order.iter().rev().copied().collect();
        let (mut cum_bad, mut cum_good, mut best) = (0.0, 0.0, 0.0f64);
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && pd[order[j + 1]] == pd[order[i]] {
                j += 1;
            }
            for k in &order[i..=j] {
                if bad[*k] {
                    cum_bad += 1.0;
                } else {
                    cum_good += 1.0;
                }
            }
            best = best.max((cum_bad / n_bad - cum_good / n_good).abs());
            i = j + 1;
        }
        Some(best)
    }

    /// See [`calibration`].
    pub fn calibration(&self, bins: usize) -> Vec<CalibrationBin> {
        let (pd, bad, order) = (self.pd, self.bad, &self.order);
        let n = order.len();
        (0..bins)
            .filter_map(|b| {
                let (lo, hi) = (b * n / bins, (b + 1) * n / bins);
                (hi > lo).then(|| {
                    let rows = &order[lo..hi];
                    let count = rows.len();
                    CalibrationBin {
                        count,
                        mean_pd: rows.iter().map(|k| pd[*k]).sum::<f64>() / count as f64,
                        bad_rate: rows.iter().filter(|k| bad[**k]).count() as f64 / count as f64,
                    }
                })
            })
            .collect()
    }

    /// See [`capture_rate`].
    pub fn capture_rate(&self, share: f64) -> Option<f64> {
        if self.n_bad == 0 {
            return None;
        }
        let n = self.pd.len();
        let top = ((n as f64 * share).round() as usize).min(n);
        let found = self.order.iter().rev().take(top).filter(|k| self.bad[**k]);
        Some(found.count() as f64 / self.n_bad as f64)
    }
}

/// Mean squared error of the probabilities.
pub fn brier(pd: &[f64], bad: &[bool]) -> f64 {
    let n = pd.len().max(1) as f64;
    pd.iter()
        .zip(bad)
        .map(|(p, b)| (p - f64::from(u8::from(*b))).powi(2))
        .sum::<f64>()
        / n
}

/// Mean negative log-likelihood, probabilities clipped to [1e-15, 1 - 1e-15].
pub fn log_loss(pd: &[f64], bad: &[bool]) -> f64 {
    let n = pd.len().max(1) as f64;
    pd.iter()
        .zip(bad)
        .map(|(p, b)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            if *b {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum::<f64>()
        / n
}

/// One row of a calibration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub count: usize,
    pub mean_pd: f64,
    pub bad_rate: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: bool = true;
    const G: bool = false;

    #[test]
    fn auc_and_gini_by_hand() {
        // Pairs (bad, good): 0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4
        // yes: 3 of 4 = 0.75 (also scikit-learn's roc_auc_score example).
        let pd = [0.1, 0.4, 0.35, 0.8];
        let bad = [G, G, B, B];
        assert_eq!(auc(&pd, &bad), Some(0.75));
        assert_eq!(gini(&pd, &bad), Some(0.5));
    }

    #[test]
    fn auc_counts_a_tie_as_one_half() {
        // Bad 0.5 against goods 0.5, 0.5: two ties (1/2 each); bad 0.9 beats
        // both: (0.5 + 0.5 + 1 + 1) / 4 = 0.75.
        let pd = [0.5, 0.5, 0.5, 0.9];
        let bad = [G, B, G, B];
        assert_eq!(auc(&pd, &bad), Some(0.75));
        // All tied: no information.
        assert_eq!(auc(&[0.3; 4], &bad), Some(0.5));
        assert_eq!(auc(&[0.3, 0.4], &[G, G]), None);
    }

    #[test]
    fn ks_by_hand_never_splits_a_tie() {
        // Riskiest first: 0.8 bad (1/2 vs 0), 0.4 good (1/2 vs 1/2), 0.35 bad
        // (1 vs 1/2), 0.1 good (1 vs 1): largest gap 0.5.
        assert_eq!(ks(&[0.1, 0.4, 0.35, 0.8], &[G, G, B, B]), Some(0.5));
        // Two tied groups, each one bad and one good: the score tells
        // nothing, KS is 0. Cutting inside a tie would read 0.5 whichever
        // of the pair came first.
        assert_eq!(ks(&[0.5, 0.5, 0.1, 0.1], &[B, G, G, B]), Some(0.0));
        assert_eq!(ks(&[0.5, 0.5, 0.5, 0.9], &[G, B, G, B]), Some(0.5));
    }

    #[test]
    fn brier_log_loss_calibration_and_capture_by_hand() {
        let pd = [0.1, 0.2, 0.8, 0.9];
        let bad = [G, B, G, B];
        // (0.01 + 0.64 + 0.64 + 0.01) / 4
        assert!((brier(&pd, &bad) - 0.325).abs() < 1e-12);
        // -(ln 0.9 + ln 0.2 + ln 0.2 + ln 0.9) / 4
        let want = -(0.9f64.ln() * 2.0 + 0.2f64.ln() * 2.0) / 4.0;
        assert!((log_loss(&pd, &bad) - want).abs() < 1e-12);
        let cal = calibration(&pd, &bad, 2);
        assert_eq!(cal.len(), 2);
        assert_eq!((cal[0].count, cal[0].bad_rate), (2, 0.5));
        assert!((cal[0].mean_pd - 0.15).abs() < 1e-12 && (cal[1].mean_pd - 0.85).abs() < 1e-12);
        // Top quarter (one row, 0.9) holds one of the two bads.
        assert_eq!(capture_rate(&pd, &bad, 0.25), Some(0.5));
    }
}

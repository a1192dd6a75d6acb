//! The scorecard artifact: what `train` writes and `run` reads, as plain
//! data (serde). Contract: a score is `base_points` plus, per feature, the
//! points of the bin the customer's value falls in; P(bad) is the logistic
//! of `intercept + sum(coefficient x WoE)`, and both say the same thing
//! through the scaling (score = offset + factor x ln(good:bad odds)).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::binning::{Binning, Direction};
use super::metrics::CalibrationBin;
use crate::config::TrainConfig;
use crate::features::LabelParams;

/// The artifact's format name and version; [`super::artifact::load`]
/// refuses any other.
pub const FORMAT: &str = "earlywarn-scorecard";
pub const FORMAT_VERSION: u32 = 1;

/// Points scaling: `score = offset + factor x ln(odds)`, odds = good:bad =
/// (1 - pd) / pd, `factor = pdo / ln 2`, `offset = base_score - factor x
/// ln(base_odds)`. Defaults: 600 points at 50:1, 20 points to double the odds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scaling {
    pub base_score: f64,
    /// Good:bad odds at `base_score`.
    pub base_odds: f64,
    /// Points to double the good:bad odds.
    pub pdo: f64,
}

impl Default for Scaling {
    fn default() -> Self {
        Scaling {
            base_score: 600.0,
            base_odds: 50.0,
            pdo: 20.0,
        }
    }
}

impl Scaling {
    pub fn factor(&self) -> f64 {
        self.pdo / std::f64::consts::LN_2
    }
    pub fn offset(&self) -> f64 {
        self.base_score - self.factor() * self.base_odds.ln()
    }
    /// Points for a P(bad) given as its logit `z` (ln(bad:good odds)).
    pub fn score_of_logit(&self, z: f64) -> f64 {
        self.offset() - self.factor() * z
    }
    pub fn check(&self) -> Result<(), String> {
        if self.pdo > 0.0 && self.base_odds > 0.0 && self.base_score.is_finite() {
            Ok(())
        } else {
            Err("pdo and base_odds must be positive".into())
        }
    }
}

/// Risk bands by PD: a customer is in the first band whose upper bound is
/// above its pd (`A` when pd < a, ...), `E` above `d`. Defaults 2%, 5%,
/// 10%, 20%.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Bands {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub d: f64,
}

impl Default for Bands {
    fn default() -> Self {
        Bands {
            a: 0.02,
            b: 0.05,
            c: 0.10,
            d: 0.20,
        }
    }
}

/// The band names, best first.
pub const BAND_NAMES: [&str; 5] = ["A", "B", "C", "D", "E"];

impl Bands {
    pub fn band(&self, pd: f64) -> &'static str {
        let uppers = [self.a, self.b, self.c, self.d];
        let i = uppers.iter().position(|u| pd < *u).unwrap_or(4);
        BAND_NAMES[i]
    }
    pub fn check(&self) -> Result<(), String> {
        let u = [self.a, self.b, self.c, self.d];
        if u[0] > 0.0 && u.windows(2).all(|w| w[0] < w[1]) && u[3] < 1.0 {
            Ok(())
        } else {
            Err(format!(
                "thresholds must rise strictly inside (0, 1), got a={} b={} c={} d={}",
                self.a, self.b, self.c, self.d
            ))
        }
    }
}

/// The whole model artifact (`models/*.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scorecard {
    pub format: String,
    pub format_version: u32,
    /// `sha256:<hex>` of the artifact written with this field empty.
    pub content_hash: String,
    /// The event the model predicts (see `docs/features.md`).
    pub bad_event: LabelParams,
    pub training: Training,
    /// "good:bad" — the odds convention of the scaling, spelt out.
    pub odds: String,
    pub scaling: Scaling,
    pub bands: Bands,
    pub intercept: f64,
    /// Points every score starts from: offset - factor x intercept.
    pub base_points: f64,
    /// The features in the model, by falling information value.
    pub features: Vec<FeatureCard>,
    /// Candidate features left out, and why.
    pub excluded: Vec<Exclusion>,
    pub validation: Validation,
    /// Score (unrounded points) at the 10th, 20th, ... 90th percentile of
    /// all labelled training rows under this card: the reference for the
    /// score's population stability index.
    pub score_deciles: Vec<f64>,
    pub settings: TrainConfig,
}

/// What the model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Training {
    /// The history was cut to what was known on this day.
    pub as_of: NaiveDate,
    pub first_snapshot: NaiveDate,
    pub last_labelled_snapshot: NaiveDate,
    /// Labelled snapshot days and their rows (customer-days), bads among them.
    pub snapshot_days: usize,
    pub rows: usize,
    pub bads: usize,
    /// Snapshots on or after this day were held out for `validation`.
    pub holdout_from: NaiveDate,
    /// `sha256:<hex>` over the input files read (path relative to the input
    /// folder and each file's own SHA-256).
    pub data_fingerprint: String,
    /// How the shipped coefficients were obtained.
    pub fitted_on: String,
    /// Set when training read only a sample of the customers
    /// (`train --customer-share`); absent when it read them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_sample: Option<CustomerSample>,
}

/// The customers a model was trained on, when not all of them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerSample {
    /// The share asked for: a customer is in when the first 8 bytes of the
    /// SHA-256 of its id, as a fraction of 2^64, are below it.
    pub share: f64,
    /// Customers in the sample, of all customers in the book.
    pub customers: usize,
    pub of: usize,
}

/// One feature's bins, WoE, points and coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureCard {
    pub name: String,
    pub direction: Direction,
    pub iv: f64,
    pub coefficient: f64,
    /// Value bins, lowest first: a value falls in the first bin whose
    /// `upper` is at or above it (`upper: null` = no bound).
    pub bins: Vec<BinCard>,
    /// The bin of missing values; `None` when training saw none (a missing
    /// value then scores as WoE 0: neutral).
    pub missing: Option<BinCard>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinCard {
    pub upper: Option<f64>,
    pub goods: u64,
    pub bads: u64,
    pub woe: f64,
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub feature: String,
    pub iv: Option<f64>,
    pub reason: String,
}

/// Validation of the fit on the training part, on itself and on the
/// held-out latest snapshots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    pub train: Metrics,
    /// `None` when the hold-out months hold no labelled snapshot.
    pub holdout: Option<Metrics>,
    /// Hold-out AUC of each candidate feature alone (ranked by its WoE
    /// from the training part), best first: the bar the model must clear.
    pub single_feature_holdout_auc: Vec<FeatureAuc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureAuc {
    pub feature: String,
    pub auc: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    pub rows: usize,
    pub bads: usize,
    /// `None` where one class is absent.
    pub auc: Option<f64>,
    pub ks: Option<f64>,
    pub gini: Option<f64>,
    pub brier: f64,
    pub log_loss: f64,
    /// Share of all bads among the 10% of rows with the highest pd.
    pub top_decile_capture: Option<f64>,
    /// Ten bins by pd, lowest first.
    pub calibration: Vec<CalibrationBin>,
}

/// Where a value lands in a feature card: its bin's WoE and points, and
/// the best points any bin of the feature gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub woe: f64,
    pub points: f64,
}

impl FeatureCard {
    /// The bin of `value` (missing bin for `None`/NaN).
    pub fn place(&self, value: Option<f64>) -> Placed {
        let bin = match self.bin_index(value) {
            None => self.missing.as_ref(),
            Some(i) => self.bins.get(i),
        };
        bin.map_or(
            Placed {
                woe: 0.0,
                points: 0.0,
            },
            |b| Placed {
                woe: b.woe,
                points: b.points,
            },
        )
    }

    /// The value bin of `value`; `None` for a missing value.
    pub fn bin_index(&self, value: Option<f64>) -> Option<usize> {
        super::binning::bin_position(self.bins.iter().map(|b| b.upper), value)
    }

    /// The most points a customer with `value` could have had: over the
    /// value bins when the value is known (missing history is not a goal
    /// to point a customer at), over every bin when it is missing.
    pub fn best_points_for(&self, value: Option<f64>) -> f64 {
        if value.is_some_and(|v| !v.is_nan()) {
            self.bins
                .iter()
                .map(|b| b.points)
                .fold(f64::NEG_INFINITY, f64::max)
        } else {
            self.best_points()
        }
    }

    /// The most points any bin of this feature gives.
    pub fn best_points(&self) -> f64 {
        self.bins
            .iter()
            .chain(self.missing.as_ref())
            .map(|b| b.points)
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// The fewest points any bin gives.
    pub fn worst_points(&self) -> f64 {
        self.bins
            .iter()
            .chain(self.missing.as_ref())
            .map(|b| b.points)
            .fold(f64::INFINITY, f64::min)
    }
}

/// Builds a feature card from a binning and a coefficient: WoE per bin and
/// points = -factor x coefficient x WoE.
pub fn feature_card(
    name: &str,
    binning: &Binning,
    coefficient: f64,
    scaling: &Scaling,
) -> FeatureCard {
    let totals = binning.totals();
    let card = |upper: Option<f64>, c: super::binning::Counts| {
        let woe = super::binning::woe(c, totals);
        BinCard {
            upper,
            goods: c.goods,
            bads: c.bads,
            woe,
            points: -scaling.factor() * coefficient * woe,
        }
    };
    FeatureCard {
        name: name.to_string(),
        direction: binning.direction,
        iv: super::binning::information_value(binning),
        coefficient,
        bins: binning
            .bins
            .iter()
            .map(|b| card(b.upper, b.counts))
            .collect(),
        missing: binning.missing.map(|c| card(None, c)),
    }
}

impl Scorecard {
    /// The short version written next to every score: `ew-` and the first
    /// 12 hex digits of the content hash.
    pub fn version(&self) -> String {
        let hex = self.content_hash.trim_start_matches("sha256:");
        format!("ew-{}", &hex[..hex.len().min(12)])
    }

    /// The scorecard as a table, one row per feature and bin (missing bin
    /// last): feature, bin (`(lower, upper]`, or `missing`), lower, upper,
    /// goods, bads, bad_rate, woe, points; then iv and coefficient of the
    /// feature. A first row `(base)` holds the points every score starts
    /// from and, as its coefficient, the intercept, so that from this table
    /// alone pd = logistic(intercept + sum of coefficient x woe) and score =
    /// sum of points.
    pub fn table(&self) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
        use polars::prelude::*;
        let mut feature = vec!["(base)".to_string()];
        let mut bin = vec![String::new()];
        let mut lower: Vec<Option<f64>> = vec![None];
        let mut upper: Vec<Option<f64>> = vec![None];
        let mut goods: Vec<Option<u64>> = vec![None];
        let mut bads: Vec<Option<u64>> = vec![None];
        let mut woe: Vec<Option<f64>> = vec![None];
        let mut points = vec![self.base_points];
        let mut iv: Vec<Option<f64>> = vec![None];
        let mut coefficient: Vec<Option<f64>> = vec![Some(self.intercept)];
        let fmt = |v: Option<f64>, inf: &str| v.map_or(inf.to_string(), |v| format!("{v}"));
        for f in &self.features {
            let mut low: Option<f64> = None;
            let rows = f.bins.iter().map(|b| {
                let label = format!("({}, {}]", fmt(low, "-inf"), fmt(b.upper, "inf"));
                let r = (label, low, b.upper, b);
                low = b.upper;
                r
            });
            let rows: Vec<_> = rows
                .chain(
                    f.missing
                        .iter()
                        .map(|b| ("missing".to_string(), None, None, b)),
                )
                .collect();
            for (label, lo, up, b) in rows {
                feature.push(f.name.clone());
                bin.push(label);
                lower.push(lo);
                upper.push(up);
                goods.push(Some(b.goods));
                bads.push(Some(b.bads));
                woe.push(Some(b.woe));
                points.push(b.points);
                iv.push(Some(f.iv));
                coefficient.push(Some(f.coefficient));
            }
        }
        let bad_rate: Vec<Option<f64>> = goods
            .iter()
            .zip(&bads)
            .map(|(g, b)| match (g, b) {
                (Some(g), Some(b)) if g + b > 0 => Some(*b as f64 / (g + b) as f64),
                _ => None,
            })
            .collect();
        DataFrame::new(
            feature.len(),
            vec![
                Column::new("feature".into(), feature),
                Column::new("bin".into(), bin),
                Column::new("lower".into(), lower),
                Column::new("upper".into(), upper),
                Column::new("goods".into(), goods),
                Column::new("bads".into(), bads),
                Column::new("bad_rate".into(), bad_rate),
                Column::new("woe".into(), woe),
                Column::new("points".into(), points),
                Column::new("iv".into(), iv),
                Column::new("coefficient".into(), coefficient),
            ],
        )
    }

    /// The lowest score the card can give (all worst bins).
    pub fn min_score(&self) -> f64 {
        self.base_points
            + self
                .features
                .iter()
                .map(FeatureCard::worst_points)
                .sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_puts_600_at_50_to_1_and_20_points_per_doubling() {
        let s = Scaling::default();
        // pd at 50:1 good:bad is 1/51; its logit is ln(1/50).
        let z = (1.0f64 / 50.0).ln();
        assert!((s.score_of_logit(z) - 600.0).abs() < 1e-9);
        // 100:1 odds: 20 points more.
        let z = (1.0f64 / 100.0).ln();
        assert!((s.score_of_logit(z) - 620.0).abs() < 1e-9);
        // factor = 20 / ln 2 = 28.8539..., offset = 600 - 28.8539 x ln 50 = 487.1229...
        assert!((s.factor() - 28.853_900_817_779_27).abs() < 1e-9);
        assert!((s.offset() - 487.122_876_205_5).abs() < 1e-6);
    }

    #[test]
    fn bands_by_pd_thresholds() {
        let b = Bands::default();
        assert_eq!(b.band(0.0), "A");
        assert_eq!(b.band(0.0199), "A");
        assert_eq!(b.band(0.02), "B");
        assert_eq!(b.band(0.099), "C");
        assert_eq!(b.band(0.15), "D");
        assert_eq!(b.band(0.2), "E");
        assert_eq!(b.band(1.0), "E");
        assert!(Bands {
            a: 0.1,
            b: 0.05,
            c: 0.2,
            d: 0.3
        }
        .check()
        .is_err());
    }
}

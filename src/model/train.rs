//! Training: labelled snapshots in, a sealed [`Scorecard`] out.
//!
//! 1. The latest `holdout_months` of labelled snapshot days are held out.
//! 2. On the rest: every candidate feature binned (monotone, WoE), those
//!    under `min_iv` dropped; by falling IV, a feature whose WoE correlates
//!    above `max_correlation` with one already kept is dropped; logistic fit
//!    on the WoE matrix; a coefficient with the wrong sign (> 0: a higher,
//!    safer WoE raising P(bad)) drops its feature and the fit is redone
//!    (on an even sample of 250k rows first when there are more, then on
//!    every row).
//! 3. Metrics of that model on its own rows and on the hold-out.
//! 4. The same procedure on all labelled rows gives the shipped card; the
//!    artifact says so (`training.fitted_on`).
//!
//! Deterministic: features are binned in parallel but collected in order,
//! and every tie is broken by the fixed feature order.

use chrono::{Months, NaiveDate};
use polars::prelude::*;
use rayon::prelude::*;
use thiserror::Error;

use super::binning::{bin_counted, bin_rows, information_value, Binning, BinningParams, Direction};
use super::fit::{fit_logistic, newton_start, FitError, LogisticFit};
use super::matrix;
use super::metrics;
use super::scorecard::{
    feature_card, CustomerSample, Exclusion, FeatureAuc, FeatureCard, Metrics, Scorecard, Training,
    Validation, FORMAT, FORMAT_VERSION,
};
use crate::config::{DirectionSetting, TrainConfig};
use crate::dates;
use crate::features::names::*;
use crate::features::{LabelParams, FEATURES};

#[derive(Debug, Error)]
pub enum TrainError {
    #[error("no labelled snapshot: the history known on {as_of} is shorter than one {horizon}-day window after the first month end")]
    NoLabelled { as_of: NaiveDate, horizon: i64 },
    #[error("the {part} rows hold {bads} bads of {rows}: both classes are needed to fit")]
    OneClass {
        part: &'static str,
        bads: usize,
        rows: usize,
    },
    #[error("no feature is left after selection ({0})")]
    NoFeature(String),
    #[error(transparent)]
    Fit(#[from] FitError),
    #[error(transparent)]
    Polars(#[from] PolarsError),
}

/// What training needs besides the settings.
pub struct TrainInput {
    /// The labelled snapshot rows.
    pub rows: TrainingRows,
    pub as_of: NaiveDate,
    pub bad_event: LabelParams,
    /// See [`Training::data_fingerprint`].
    pub data_fingerprint: String,
    /// See [`Training::customer_sample`].
    pub customer_sample: Option<CustomerSample>,
}

/// The direction domain sense fixes for a feature; `None`: read it from
/// the data. More of these is riskier, except tenure.
pub fn default_direction(feature: &str) -> Option<Direction> {
    let riskier = [
        OVERDUE_BALANCE,
        MAX_DAYS_PAST_DUE,
        AGING_31_60,
        AGING_61_90,
        AGING_90_PLUS,
        LATE_SHARE_90,
        LATE_SHARE_180,
        LATE_SHARE_365,
        LATE15_SHARE_90,
        LATE15_SHARE_180,
        LATE15_SHARE_365,
        DAYS_BEYOND_TERMS_90,
        DAYS_BEYOND_TERMS_180,
        DAYS_BEYOND_TERMS_365,
        MAX_DAYS_LATE_90,
        MAX_DAYS_LATE_180,
        MAX_DAYS_LATE_365,
        DAYS_BEYOND_TERMS_TREND,
        TERM_EXTENSIONS_30,
        TERM_EXTENSIONS_90,
        TERM_EXTENSIONS_365,
        PAYMENT_PLANS_30,
        PAYMENT_PLANS_90,
        PAYMENT_PLANS_365,
        DENIED_REQUESTS_365,
        OWN_EVENT_SEVERITY_90,
        OWN_EVENT_SEVERITY_365,
        INDUSTRY_NEWS_SEVERITY_90,
        INSOLVENCY_FILED,
    ];
    if riskier.contains(&feature) {
        Some(Direction::Ascending)
    } else if feature == TENURE_DAYS {
        Some(Direction::Descending)
    } else {
        None
    }
}

fn direction_for(feature: &str, config: &TrainConfig) -> Option<Direction> {
    match config.directions.get(feature) {
        Some(DirectionSetting::Ascending) => Some(Direction::Ascending),
        Some(DirectionSetting::Descending) => Some(Direction::Descending),
        Some(DirectionSetting::Data) => None,
        None => default_direction(feature),
    }
}

/// The labelled rows of training snapshots (rows of `features::snapshots`
/// whose `bad` is known) as plain vectors: the snapshot day, the label and
/// one column per entry of [`FEATURES`]. Built a snapshot day at a time
/// ([`Self::append`]), so the snapshots are never held whole as frames
/// next to their vectors (at 100k customers each is ~1.3 GB).
pub struct TrainingRows {
    days: Vec<i32>,
    bad: Vec<bool>,
    columns: Vec<matrix::FloatColumn>,
}

impl TrainingRows {
    /// Empty, with room for `rows` rows (see
    /// `features::most_labelled_rows`): vectors that grow as days are
    /// appended would be copied as they grow, at the top of the snapshot
    /// sweep's memory.
    pub fn with_capacity(rows: usize) -> Self {
        TrainingRows {
            days: Vec::with_capacity(rows),
            bad: Vec::with_capacity(rows),
            columns: FEATURES
                .iter()
                .map(|_| matrix::FloatColumn::with_capacity(rows))
                .collect(),
        }
    }

    /// The labelled rows of a frame of snapshots.
    pub fn from_snapshots(snapshots: DataFrame) -> PolarsResult<Self> {
        let mut rows = Self::with_capacity(snapshots.height());
        rows.append(snapshots)?;
        Ok(rows)
    }

    /// Appends the labelled rows of `snapshots` (rows with `bad` null are
    /// left out), in their order.
    pub fn append(&mut self, snapshots: DataFrame) -> PolarsResult<()> {
        let label = snapshots.column(BAD)?.bool()?;
        let known: Vec<bool> = label.iter().map(|b| b.is_some()).collect();
        if !known.contains(&true) {
            return Ok(());
        }
        self.bad.extend(label.iter().flatten());
        self.days.extend(
            snapshots
                .column(AS_OF)?
                .date()?
                .physical()
                .iter()
                .zip(&known)
                .filter(|(_, k)| **k)
                .map(|(d, _)| d.unwrap_or(0)),
        );
        matrix::append_float_columns_where(snapshots, FEATURES, &known, &mut self.columns)
    }

    /// How many labelled rows.
    pub fn len(&self) -> usize {
        self.bad.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bad.is_empty()
    }
}

/// A model built on some rows: selected features (index into [`FEATURES`])
/// with their cards (coefficients set), the fit, and what was left out.
struct Built {
    cards: Vec<FeatureCard>,
    /// Every candidate's card (coefficient 0), in [`FEATURES`] order.
    candidates: Vec<FeatureCard>,
    fit: LogisticFit,
    excluded: Vec<Exclusion>,
    /// P(bad) of the rows it was built on, in their order (what
    /// [`Built::predict`] gives for them, from the final fit's matrix).
    pd: Vec<f64>,
}

impl Built {
    fn predict(&self, data: &TrainingRows, rows: &[usize]) -> Vec<f64> {
        let index: Vec<usize> = self
            .cards
            .iter()
            .map(|c| FEATURES.iter().position(|f| *f == c.name).unwrap_or(0))
            .collect();
        let woe: Vec<_> = self
            .cards
            .iter()
            .zip(&index)
            .map(|(c, &f)| data.columns[f].mapped(move |v| c.place(v).woe))
            .collect();
        rows.par_iter()
            .map_init(Vec::new, |row, &r| {
                row.clear();
                row.extend(woe.iter().map(|w| w.get(r)));
                self.fit.predict(row)
            })
            .collect()
    }
}

/// Rows used to measure WoE correlations: every row up to this many, else
/// an even stride (deterministic).
const CORRELATION_SAMPLE: usize = 200_000;
/// Rows the wrong-sign refits run on before the final fit on every row.
const SELECTION_SAMPLE: usize = 250_000;

fn build(
    data: &TrainingRows,
    rows: &[usize],
    config: &TrainConfig,
    part: &'static str,
) -> Result<Built, TrainError> {
    let bad: Vec<bool> = rows.iter().map(|&r| data.bad[r]).collect();
    let bads = bad.iter().filter(|b| **b).count();
    if bads == 0 || bads == bad.len() {
        return Err(TrainError::OneClass {
            part,
            bads,
            rows: bad.len(),
        });
    }
    let scaling = config.scaling;
    let started = std::time::Instant::now();
    let lap =
        |what: &str| tracing::debug!(part, ms = started.elapsed().as_millis() as u64, "{what}");
    let binned: Vec<(Binning, f64)> = FEATURES
        .par_iter()
        .enumerate()
        .map_init(Vec::new, |scratch, (f, name)| {
            let params = BinningParams {
                max_prebins: config.max_prebins,
                min_bin_share: config.min_bin_share,
                direction: direction_for(name, config),
            };
            let column = &data.columns[f];
            let binning = match column.value_counts(rows, &data.bad) {
                // Bins from one count per distinct value.
                Some((values, missing)) => bin_counted(&values, missing, &params),
                None => bin_rows(
                    || rows.iter().map(|&r| (column.get(r), data.bad[r])),
                    &params,
                    scratch,
                ),
            };
            let iv = information_value(&binning);
            (binning, iv)
        })
        .collect();

    lap("binned");
    let mut excluded = Vec::new();
    let mut candidates: Vec<usize> = Vec::new();
    for (f, (_, iv)) in binned.iter().enumerate() {
        if *iv < config.min_iv {
            excluded.push(Exclusion {
                feature: FEATURES[f].to_string(),
                iv: Some(*iv),
                reason: format!(
                    "information value {iv:.4} is below the minimum {}",
                    config.min_iv
                ),
            });
        } else {
            candidates.push(f);
        }
    }
    candidates.sort_by(|a, b| binned[*b].1.total_cmp(&binned[*a].1).then(a.cmp(b)));
    let all_cards: Vec<FeatureCard> = (0..FEATURES.len())
        .map(|f| feature_card(FEATURES[f], &binned[f].0, 0.0, &scaling))
        .collect();
    let woe_of = |f: usize, sample: &[usize]| -> Vec<f64> {
        let woe = data.columns[f].mapped(|v| all_cards[f].place(v).woe);
        sample.iter().map(|&r| woe.get(r)).collect()
    };

    let woe_matrix = |features: &[usize], sample: &[usize]| -> Vec<f64> {
        let cols = features.len();
        let woe: Vec<_> = features
            .iter()
            .map(|&f| {
                let card = &all_cards[f];
                data.columns[f].mapped(move |v| card.place(v).woe)
            })
            .collect();
        let mut x = vec![0.0; sample.len() * cols];
        const BLOCK: usize = 8192;
        x.par_chunks_mut(BLOCK * cols.max(1))
            .zip(sample.par_chunks(BLOCK))
            .for_each(|(x, rows)| {
                for (out, &r) in x.chunks_mut(cols.max(1)).zip(rows) {
                    for (v, w) in out.iter_mut().zip(&woe) {
                        *v = w.get(r);
                    }
                }
            });
        x
    };

    // Correlation filter, by falling IV.
    let stride = rows.len().div_ceil(CORRELATION_SAMPLE).max(1);
    let sample: Vec<usize> = rows.iter().copied().step_by(stride).collect();
    let mut kept: Vec<(usize, Vec<f64>)> = Vec::new();
    for f in candidates {
        let column = woe_of(f, &sample);
        let clash = kept
            .iter()
            .map(|(k, other)| (*k, correlation(&column, other)))
            .find(|(_, r)| r.abs() > config.max_correlation);
        match clash {
            Some((k, r)) => excluded.push(Exclusion {
                feature: FEATURES[f].to_string(),
                iv: Some(binned[f].1),
                reason: format!(
                    "its WoE correlates {r:.2} with {}, which has a higher information value",
                    FEATURES[k]
                ),
            }),
            None => kept.push((f, column)),
        }
    }
    let mut kept: Vec<usize> = kept.into_iter().map(|(f, _)| f).collect();
    lap("correlated features left out");

    // Fit; drop the worst wrong-signed coefficient and refit until none is
    // left: first on an even sample of at most SELECTION_SAMPLE rows (on
    // millions of rows the refits are the slow part), then on every row,
    // which normally confirms the sample's choice in one fit. Up to that
    // size the two passes are one.
    let stride = rows.len().div_ceil(SELECTION_SAMPLE).max(1);
    let sample: Vec<usize> = rows.iter().copied().step_by(stride).collect();
    let passes: Vec<&[usize]> = if stride > 1 {
        vec![&sample, rows]
    } else {
        vec![rows]
    };
    // On such books each fit is Newton's (see `newton_start`), and linfa-
    // logistic's fit on every row starts from Newton's optimum: seconds
    // instead of minutes. Smaller books are fitted by linfa from zero, as
    // before, so their models do not move.
    let newton = stride > 1;
    let mut fit = None;
    let mut pd = Vec::new();
    let last = passes.len() - 1;
    for (p, pass) in passes.into_iter().enumerate() {
        let bad: Vec<bool> = pass.iter().map(|&r| data.bad[r]).collect();
        // The pass's WoE matrix (row-major), encoded once, in parallel, for
        // all its refits: a dropped feature's column is removed in place.
        let mut x = woe_matrix(&kept, pass);
        // Newton starts from the previous fit (less a dropped feature): the
        // sample's refits from each other, the fit on every row from the
        // sample's last (3-4 passes instead of 8; same optimum to Newton's
        // tolerance).
        let mut warm: Option<Vec<f64>> = fit.as_ref().map(|f: &LogisticFit| {
            let mut from = f.coefficients.clone();
            from.push(f.intercept);
            from
        });
        fit = loop {
            if kept.is_empty() {
                return Err(TrainError::NoFeature(format!(
                    "{} candidates excluded; see min_iv and max_correlation",
                    excluded.len()
                )));
            }
            let start =
                newton.then(|| newton_start(&x, kept.len(), &bad, config.l2, warm.as_deref()));
            // The sample's refits only choose which feature to drop next:
            // Newton's optimum decides that (linfa, started there, returns
            // it unchanged: its gradient check passes at once). The fit on
            // every row, the one shipped, is linfa's.
            let fit = match start {
                Some(start) if p != last => start,
                start => fit_logistic(&x, kept.len(), &bad, config.l2, start.as_ref())?,
            };
            let wrong = fit
                .coefficients
                .iter()
                .enumerate()
                .filter(|(_, w)| **w > 0.0)
                .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)));
            let Some((i, w)) = wrong else {
                break Some(fit);
            };
            remove_column(&mut x, kept.len(), i);
            let f = kept.remove(i);
            let mut from = fit.coefficients.clone();
            from.remove(i);
            from.push(fit.intercept);
            warm = Some(from);
            excluded.push(Exclusion {
                feature: FEATURES[f].to_string(),
                iv: Some(binned[f].1),
                reason: format!(
                    "coefficient {w:+.4} has the wrong sign (a safer WoE raised P(bad) next to the other features); dropped and refitted"
                ),
            });
        };
        if p == last {
            let fit = fit.as_ref().expect("fitted");
            pd = x
                .par_chunks(kept.len())
                .map(|row| fit.predict(row))
                .collect();
        }
    }
    let fit = fit.expect("at least one pass");
    let cards = kept
        .iter()
        .zip(&fit.coefficients)
        .map(|(&f, &w)| feature_card(FEATURES[f], &binned[f].0, w, &scaling))
        .collect();
    Ok(Built {
        cards,
        candidates: all_cards,
        fit,
        excluded,
        pd,
    })
}

/// Removes column `i` of the row-major matrix `x` of `cols` columns, in
/// place (each row moves left, never over a row not yet moved).
fn remove_column(x: &mut Vec<f64>, cols: usize, i: usize) {
    let rows = x.len() / cols;
    let mut to = 0;
    for r in 0..rows {
        let from = r * cols;
        x.copy_within(from..from + i, to);
        x.copy_within(from + i + 1..from + cols, to + i);
        to += cols - 1;
    }
    x.truncate(to);
}

/// Pearson correlation; 0 when either side does not vary.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// The metrics of the model `on_train` built on `train_rows`, on those
/// rows and on the later `holdout`, and each candidate feature's hold-out
/// AUC alone, ranked by its own training-part WoE: what the model has to
/// beat.
fn validate(
    data: &TrainingRows,
    on_train: &Built,
    train_rows: &[usize],
    holdout: &[usize],
) -> Validation {
    let train_bad: Vec<bool> = train_rows.iter().map(|&r| data.bad[r]).collect();
    let holdout_bad: Vec<bool> = holdout.iter().map(|&r| data.bad[r]).collect();
    let mut single_feature_holdout_auc: Vec<FeatureAuc> = on_train
        .candidates
        .par_iter()
        .enumerate()
        .filter_map(|(f, card)| {
            let woe = data.columns[f].mapped(|v| card.place(v).woe);
            let risk: Vec<f64> = holdout.iter().map(|&r| -woe.get(r)).collect();
            metrics::auc(&risk, &holdout_bad).map(|auc| FeatureAuc {
                feature: card.name.clone(),
                auc,
            })
        })
        .collect();
    single_feature_holdout_auc.sort_by(|a, b| b.auc.total_cmp(&a.auc));
    Validation {
        train: measure(&on_train.pd, &train_bad),
        holdout: (!holdout.is_empty())
            .then(|| measure(&on_train.predict(data, holdout), &holdout_bad)),
        single_feature_holdout_auc,
    }
}

/// The validation metrics of predictions `pd` against `bad`.
pub fn measure(pd: &[f64], bad: &[bool]) -> Metrics {
    let ranked = metrics::Ranked::new(pd, bad);
    let auc = ranked.auc();
    Metrics {
        rows: bad.len(),
        bads: bad.iter().filter(|b| **b).count(),
        auc,
        ks: ranked.ks(),
        gini: auc.map(|a| 2.0 * a - 1.0),
        brier: metrics::brier(pd, bad),
        log_loss: metrics::log_loss(pd, bad),
        top_decile_capture: ranked.capture_rate(0.1),
        calibration: ranked.calibration(10),
    }
}

/// Trains and seals a scorecard (see the module docs).
pub fn train(input: TrainInput, config: &TrainConfig) -> Result<Scorecard, TrainError> {
    let started = std::time::Instant::now();
    let lap = |what: &str| tracing::debug!(ms = started.elapsed().as_millis() as u64, "{what}");
    let data = input.rows;
    let no_labelled = || TrainError::NoLabelled {
        as_of: input.as_of,
        horizon: input.bad_event.horizon_days,
    };
    let (Some(&first), Some(&last)) = (data.days.iter().min(), data.days.iter().max()) else {
        return Err(no_labelled());
    };
    let last_day = dates::from_days(last);
    let cutoff = if config.holdout_months == 0 {
        last
    } else {
        dates::to_days(dates::month_end(
            last_day - Months::new(config.holdout_months),
        ))
    };
    let all: Vec<usize> = (0..data.days.len()).collect();
    let (holdout, train_rows): (Vec<usize>, Vec<usize>) =
        all.iter().partition(|&&r| data.days[r] > cutoff);

    // The hold-out build validates itself as soon as it is fitted: the
    // shipped build, on ~10% more rows, ends with linfa's single-threaded
    // fit, beside which the other core would otherwise idle.
    let (validated, shipped) = rayon::join(
        || {
            let on_train = build(&data, &train_rows, config, "training")?;
            let validation = validate(&data, &on_train, &train_rows, &holdout);
            lap("validated on the hold-out");
            Ok::<_, TrainError>(validation)
        },
        || build(&data, &all, config, "labelled"),
    );
    let (validation, shipped) = (validated?, shipped?);

    let mut scores: Vec<f64> = shipped
        .pd
        .par_iter()
        .map(|p| config.scaling.score_of_logit((p / (1.0 - p)).ln()))
        .collect();
    scores.par_sort_unstable_by(f64::total_cmp);
    lap("built on every labelled row");
    let score_deciles: Vec<f64> = (1..10)
        .map(|k| scores[(k * scores.len() / 10).min(scores.len() - 1)])
        .collect();
    let mut days = data.days.clone();
    days.sort_unstable();
    days.dedup();
    let holdout_from = holdout
        .iter()
        .map(|&r| data.days[r])
        .min()
        .unwrap_or(cutoff + 1);
    let scaling = config.scaling;
    let mut card = Scorecard {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        content_hash: String::new(),
        bad_event: input.bad_event,
        training: Training {
            as_of: input.as_of,
            first_snapshot: dates::from_days(first),
            last_labelled_snapshot: last_day,
            snapshot_days: days.len(),
            rows: data.bad.len(),
            bads: data.bad.iter().filter(|b| **b).count(),
            holdout_from: dates::from_days(holdout_from),
            data_fingerprint: input.data_fingerprint,
            customer_sample: input.customer_sample,
            fitted_on: format!(
                "binned and fitted on all {} labelled rows; the validation metrics come from the same procedure on the {} rows before {} and its hold-out",
                data.bad.len(),
                train_rows.len(),
                dates::from_days(holdout_from)
            ),
        },
        odds: "good:bad".to_string(),
        scaling,
        bands: config.bands,
        intercept: shipped.fit.intercept,
        base_points: scaling.score_of_logit(shipped.fit.intercept),
        features: shipped.cards,
        excluded: shipped.excluded,
        validation,
        score_deciles,
        settings: config.clone(),
    };
    super::artifact::seal(&mut card);
    Ok(card)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_of_known_vectors() {
        // Perfectly linear, perfectly anti-linear, and a constant.
        let a = [1.0, 2.0, 3.0, 4.0];
        assert!((correlation(&a, &[2.0, 4.0, 6.0, 8.0]) - 1.0).abs() < 1e-12);
        assert!((correlation(&a, &[4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(correlation(&a, &[5.0; 4]), 0.0);
        // By hand: a = 1..4 (mean 2.5), b = [1, 3, 2, 4] (mean 2.5):
        // sum dx dy = (-1.5)(-1.5) + (-0.5)(0.5) + (0.5)(-0.5) + (1.5)(1.5) = 4,
        // sum dx^2 = sum dy^2 = 5, r = 4 / 5 = 0.8.
        assert!((correlation(&a, &[1.0, 3.0, 2.0, 4.0]) - 0.8).abs() < 1e-12);
    }

    #[test]
    fn removing_a_column_keeps_the_others_in_order() {
        // 3 rows x 3 columns; each middle, first and last column removed.
        let x: Vec<f64> = (1..=9).map(f64::from).collect();
        for (i, want) in [
            (1, vec![1.0, 3.0, 4.0, 6.0, 7.0, 9.0]),
            (0, vec![2.0, 3.0, 5.0, 6.0, 8.0, 9.0]),
            (2, vec![1.0, 2.0, 4.0, 5.0, 7.0, 8.0]),
        ] {
            let mut y = x.clone();
            remove_column(&mut y, 3, i);
            assert_eq!(y, want, "column {i}");
        }
        let mut one = vec![5.0, 6.0];
        remove_column(&mut one, 1, 0);
        assert!(one.is_empty());
    }
}

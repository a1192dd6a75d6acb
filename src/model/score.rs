//! Scoring: a scorecard and the feature frame of one day in, one row per
//! customer out.
//!
//! Contract of [`score`]: rows in the order of the feature frame, columns
//! [`CUSTOMER_ID`], [`PD`], [`SCORE`], [`RISK_BAND`], [`REASON_1`]..[`REASON_3`].
//! pd is the model's P(bad) rounded to 6 decimals; score the points (whole
//! points, higher is safer); reasons are the features costing the most
//! points against the best bin open to them (the best value bin when the
//! value is known, the best of all bins when missing), largest loss first, ties by the
//! card's feature order, empty where fewer than three cost anything.
//! Accounts already in default get pd 1, band `E`, the card's lowest score,
//! and a first reason naming their days past due (or the write-off).

use polars::prelude::*;
use rayon::prelude::*;

use super::matrix;
use super::reasons;
use super::scorecard::Scorecard;
use crate::features::names::{CUSTOMER_ID, IN_DEFAULT, MAX_DAYS_PAST_DUE};

pub const PD: &str = "pd";
pub const SCORE: &str = "score";
pub const RISK_BAND: &str = "risk_band";
pub const REASON_1: &str = "reason_1";
pub const REASON_2: &str = "reason_2";
pub const REASON_3: &str = "reason_3";

/// One customer's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub pd: f64,
    pub score: i64,
    pub band: &'static str,
    pub reasons: [String; 3],
}

/// Scores one customer from its feature values (in the card's feature
/// order).
pub fn score_one(
    card: &Scorecard,
    values: &[Option<f64>],
    in_default: bool,
    max_days_past_due: Option<f64>,
) -> Scored {
    let mut z = card.intercept;
    let mut points = card.base_points;
    let mut losses: Vec<(f64, usize)> = Vec::with_capacity(card.features.len());
    for (i, (feature, value)) in card.features.iter().zip(values).enumerate() {
        let placed = feature.place(*value);
        z += feature.coefficient * placed.woe;
        points += placed.points;
        let lost = feature.best_points_for(*value) - placed.points;
        // In default, the first reason already names the days past due.
        let repeated = in_default && feature.name == MAX_DAYS_PAST_DUE;
        if lost > 1e-9 && !repeated {
            losses.push((lost, i));
        }
    }
    losses.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut model_reasons = losses
        .iter()
        .map(|&(_, i)| reasons::describe(&card.features[i].name, values[i]));
    let mut next = || model_reasons.next().unwrap_or_default();
    if in_default {
        let first = reasons::in_default(max_days_past_due, card.bad_event.bad_dpd);
        return Scored {
            pd: 1.0,
            score: card.min_score().round() as i64,
            band: "E",
            reasons: [first, next(), next()],
        };
    }
    let pd = 1.0 / (1.0 + (-z).exp());
    let pd = (pd * 1e6).round() / 1e6;
    Scored {
        pd,
        score: points.round() as i64,
        band: card.bands.band(pd),
        reasons: [next(), next(), next()],
    }
}

/// Scores every row of a feature frame (see the module docs).
pub fn score(card: &Scorecard, features: &DataFrame) -> PolarsResult<DataFrame> {
    let names: Vec<&str> = card.features.iter().map(|f| f.name.as_str()).collect();
    let columns = matrix::float_columns(features, &names)?;
    let in_default = matrix::bool_column(features, IN_DEFAULT)?;
    let dpd = matrix::float_columns(features, &[MAX_DAYS_PAST_DUE])?.remove(0);
    let n = features.height();
    // Rows scored in parallel, collected in row order.
    let scored: Vec<Scored> = (0..n)
        .into_par_iter()
        .map_init(
            || vec![None; names.len()],
            |values, row| {
                for (v, c) in values.iter_mut().zip(&columns) {
                    *v = c[row];
                }
                score_one(card, values, in_default[row].unwrap_or(false), dpd[row])
            },
        )
        .collect();
    let mut pd = Vec::with_capacity(n);
    let mut points = Vec::with_capacity(n);
    let mut band = Vec::with_capacity(n);
    let mut reasons: [Vec<String>; 3] = Default::default();
    for s in scored {
        pd.push(s.pd);
        points.push(s.score);
        band.push(s.band);
        for (out, r) in reasons.iter_mut().zip(s.reasons) {
            out.push(r);
        }
    }
    let [r1, r2, r3] = reasons;
    DataFrame::new(
        n,
        vec![
            features.column(CUSTOMER_ID)?.clone(),
            Column::new(PD.into(), pd),
            Column::new(SCORE.into(), points),
            Column::new(RISK_BAND.into(), band),
            Column::new(REASON_1.into(), r1),
            Column::new(REASON_2.into(), r2),
            Column::new(REASON_3.into(), r3),
        ],
    )
}

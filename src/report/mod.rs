//! `report.html`: one self-contained page for people (inline SVG and CSS,
//! no script, no external address), rendered from a run's own results with
//! a minijinja template (`page.html`).
//!
//! Contract: every number on the page comes from the same frames the run
//! writes to its files, formatted for people (thousands separators,
//! percentages, ISO dates); the page is well-formed XHTML.

mod charts;

use anyhow::{anyhow, Result};
use minijinja::{context, Environment, Value};
use polars::prelude::*;
use serde::Serialize;

use crate::actions::escalation::ACTIONS;
use crate::features::names as f;
use crate::model::psi;
use crate::model::reasons::{money, percent};
use crate::model::scorecard::BAND_NAMES;
use crate::model::{matrix, score, Scorecard};
use crate::nightly::{columns as c, Nightly};

const TEMPLATE: &str = include_str!("page.html");
/// Rows in each of the report's tables.
pub const TOP_ROWS: usize = 25;

#[derive(Serialize)]
struct Count {
    name: String,
    count: usize,
}

#[derive(Serialize)]
struct Stability {
    name: String,
    psi: String,
    reading: &'static str,
}

fn band_index(band: &str) -> usize {
    BAND_NAMES.iter().position(|b| *b == band).unwrap_or(4)
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("n/a".to_string(), f)
}

fn strs(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    Ok(matrix::str_column(df, name)?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

fn nums(df: &DataFrame, names: &[&str]) -> Result<Vec<Vec<f64>>> {
    Ok(matrix::float_columns(df, names)?
        .into_iter()
        .map(|c| c.into_iter().map(|v| v.unwrap_or(0.0)).collect())
        .collect())
}

fn dates(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    Ok(matrix::day_column(df, name)?
        .into_iter()
        .map(|d| {
            d.map(|d| crate::dates::from_days(d).to_string())
                .unwrap_or_default()
        })
        .collect())
}

/// The page for one run (see the module docs).
pub fn render(run: &Nightly, card: &Scorecard) -> Result<String> {
    let k = &run.kpis;
    let scores = &run.scores;
    let bands = strs(scores, score::RISK_BAND)?;
    let points = nums(scores, &[score::SCORE])?.remove(0);
    let mut band_counts = [0usize; 5];
    for b in &bands {
        band_counts[band_index(b)] += 1;
    }

    // Charts.
    let hist: Vec<(i64, usize)> = points
        .iter()
        .zip(&bands)
        .map(|(p, b)| (*p as i64, band_index(b)))
        .collect();
    let aging = [
        ("current", k.aging.current.amount),
        ("1-30", k.aging.d1_30.amount),
        ("31-60", k.aging.d31_60.amount),
        ("61-90", k.aging.d61_90.amount),
        ("90+", k.aging.d90_plus.amount),
    ];
    let fc = nums(
        &run.cash_forecast,
        &[c::EXPECTED_COLLECTIONS, c::P10, c::P90],
    )?;
    let weeks: Vec<(f64, f64, f64)> = (0..fc[0].len())
        .map(|i| (fc[0][i], fc[1][i], fc[2][i]))
        .collect();
    let previous = matrix::str_column(scores, c::PREVIOUS_BAND)?;
    let mut migration = [[0usize; 5]; 5];
    let mut migrated = 0;
    for (prev, now) in previous.iter().zip(&bands) {
        if let Some(p) = prev {
            migration[band_index(p)][band_index(now)] += 1;
            migrated += 1;
        }
    }
    let holdout = card.validation.holdout.as_ref();
    let calibration: Vec<(f64, f64)> = holdout
        .map(|h| {
            h.calibration
                .iter()
                .map(|b| (b.mean_pd, b.bad_rate))
                .collect()
        })
        .unwrap_or_default();
    let mut ivs: Vec<(String, f64, bool)> = card
        .features
        .iter()
        .map(|f| (f.name.clone(), f.iv, true))
        .chain(
            card.excluded
                .iter()
                .map(|e| (e.feature.clone(), e.iv.unwrap_or(0.0), false)),
        )
        .collect();
    ivs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let chart = |r: Result<String, String>| r.map(Value::from_safe_string).map_err(|e| anyhow!(e));

    // Stability against training: scored customers not in default, as in training.
    let not_default: Vec<bool> = matrix::bool_column(&run.features, f::IN_DEFAULT)?
        .into_iter()
        .map(|d| !d.unwrap_or(false))
        .collect();
    let live_scores: Vec<f64> = points
        .iter()
        .zip(&not_default)
        .filter(|(_, keep)| **keep)
        .map(|(p, _)| *p)
        .collect();
    let score_psi = psi::score_psi(card, &live_scores);
    let mut stability = vec![Stability {
        name: "score".into(),
        psi: format!("{score_psi:.3}"),
        reading: psi::reading(score_psi),
    }];
    for feature in &card.features {
        let values = matrix::float_columns(&run.features, &[feature.name.as_str()])?.remove(0);
        let live: Vec<Option<f64>> = values
            .into_iter()
            .zip(&not_default)
            .filter(|(_, keep)| **keep)
            .map(|(v, _)| v)
            .collect();
        let p = psi::feature_psi(feature, &live);
        stability.push(Stability {
            name: feature.name.clone(),
            psi: format!("{p:.3}"),
            reading: psi::reading(p),
        });
    }

    // Tables.
    let e = &run.escalations;
    let en = nums(
        e,
        &[
            c::PRIORITY,
            f::OVERDUE_BALANCE,
            f::MAX_DAYS_PAST_DUE,
            score::PD,
        ],
    )?;
    let (eid, ename, eaction, eband, ereasons, edue) = (
        strs(e, f::CUSTOMER_ID)?,
        strs(e, c::NAME)?,
        strs(e, c::ACTION)?,
        strs(e, score::RISK_BAND)?,
        strs(e, c::REASONS)?,
        dates(e, c::DUE_BY)?,
    );
    let escalations: Vec<Value> = (0..e.height().min(TOP_ROWS))
        .map(|i| {
            context! {
                rank => i + 1,
                customer_id => eid[i],
                name => ename[i],
                action => eaction[i],
                priority => money(en[0][i]),
                overdue => money(en[1][i]),
                dpd => en[2][i] as i64,
                pd => percent(en[3][i]),
                band => eband[i],
                reasons => ereasons[i],
                due_by => edue[i],
            }
        })
        .collect();
    let l = &run.credit_limits;
    let ln = nums(l, &[c::CURRENT_LIMIT, c::RECOMMENDED_LIMIT])?;
    let (lid, ldecision, lreason) = (
        strs(l, f::CUSTOMER_ID)?,
        strs(l, c::DECISION)?,
        strs(l, c::REASON)?,
    );
    let mut changes: Vec<usize> = (0..l.height()).filter(|&i| ln[0][i] != ln[1][i]).collect();
    changes.sort_by(|&a, &b| {
        let d = |i: usize| (ln[1][i] - ln[0][i]).abs();
        d(b).total_cmp(&d(a)).then(lid[a].cmp(&lid[b]))
    });
    let limit_changes: Vec<Value> = changes
        .iter()
        .take(TOP_ROWS)
        .map(|&i| {
            context! {
                customer_id => lid[i],
                decision => ldecision[i],
                current => money(ln[0][i]),
                recommended => money(ln[1][i]),
                change => money(ln[1][i] - ln[0][i]),
                reason => lreason[i],
            }
        })
        .collect();

    let s = &run.summary;
    let metric = |m: Option<&crate::model::scorecard::Metrics>| {
        m.map(|m| {
            context! {
                rows => money(m.rows as f64),
                bads => money(m.bads as f64),
                auc => opt(m.auc, |v| format!("{v:.3}")),
                ks => opt(m.ks, |v| format!("{v:.3}")),
                gini => opt(m.gini, |v| format!("{v:.3}")),
                brier => format!("{:.4}", m.brier),
                log_loss => format!("{:.4}", m.log_loss),
                capture => opt(m.top_decile_capture, percent),
            }
        })
    };
    let ctx = context! {
        as_of => k.as_of.to_string(),
        accounts => money(s.accounts_scored as f64),
        in_default => s.in_default,
        open_balance => money(k.totals.open_balance),
        overdue_balance => money(k.totals.overdue_balance),
        dso => opt(k.dso, |v| format!("{v:.1}")),
        dso_count_back => opt(k.dso_count_back, |v| format!("{v:.1}")),
        cei => opt(k.cei, |v| format!("{v:.1}%")),
        add => opt(k.add, |v| format!("{v:.1}")),
        forecast_total => money(s.forecast_13_weeks),
        bands => BAND_NAMES.iter().zip(band_counts).map(|(b, n)| Count { name: b.to_string(), count: n }).collect::<Vec<_>>(),
        actions => ACTIONS.iter().map(|a| Count { name: a.to_string(), count: s.escalations.get(a).copied().unwrap_or(0) }).collect::<Vec<_>>(),
        escalations_total => e.height(),
        limits => s.limit_decisions.iter().map(|(d, n)| Count { name: d.to_string(), count: *n }).collect::<Vec<_>>(),
        score_chart => chart(charts::score_histogram(&hist))?,
        aging_chart => chart(charts::aging(&aging))?,
        forecast_chart => chart(charts::forecast(&weeks))?,
        migration_chart => if migrated > 0 { Some(chart(charts::migration(&migration))?) } else { None },
        calibration_chart => if calibration.is_empty() { None } else { Some(chart(charts::calibration(&calibration))?) },
        iv_chart => chart(charts::information_value(&ivs))?,
        escalations => escalations,
        limit_changes => limit_changes,
        model => context! {
            version => card.version(),
            bad_dpd => card.bad_event.bad_dpd,
            horizon => card.bad_event.horizon_days,
            first => card.training.first_snapshot.to_string(),
            last => card.training.last_labelled_snapshot.to_string(),
            holdout_from => card.training.holdout_from.to_string(),
            rows => money(card.training.rows as f64),
            bads => money(card.training.bads as f64),
            fitted_on => card.training.fitted_on.clone(),
            features => card.features.len(),
            train => metric(Some(&card.validation.train)),
            holdout => metric(holdout),
        },
        stability => stability,
    };
    let mut env = Environment::new();
    env.add_template("page.html", TEMPLATE)?;
    Ok(env.get_template("page.html")?.render(ctx)?)
}

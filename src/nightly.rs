//! The nightly job's computation: a book, a day and a model in; the frames
//! of every output out (writing is the caller's, through `output`).
//!
//! Contract: the same book, day, model, config and previous scores give
//! the same frames, value for value, whatever the thread count. Nothing
//! dated after the day is used (features, invoice state and KPIs all cut
//! at the day).

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::*;

use crate::actions::escalation::{self, Escalation};
use crate::actions::forecast::{self, OpenInvoice, Week};
use crate::actions::kpis::{self, Kpis};
use crate::actions::limits::{self, LimitDecision};
use crate::actions::{self, Account, FactWindows};
use crate::config::Config;
use crate::dates;
use crate::features::{self, names as f};
use crate::ingest::Book;
use crate::model::score::{self, PD, REASON_1, REASON_2, REASON_3, RISK_BAND, SCORE};
use crate::model::Scorecard;
use crate::progress::Progress;
use crate::schema as s;

/// Output column names beyond the feature and score ones.
pub mod columns {
    pub const NAME: &str = "name";
    pub const AS_OF: &str = "as_of";
    pub const MODEL_VERSION: &str = "model_version";
    pub const PREVIOUS_SCORE: &str = "previous_score";
    pub const SCORE_CHANGE: &str = "score_change";
    pub const PREVIOUS_BAND: &str = "previous_band";
    pub const BAND_CHANGE: &str = "band_change";
    pub const RANK: &str = "rank";
    pub const ACTION: &str = "action";
    pub const PRIORITY: &str = "priority";
    pub const REASONS: &str = "reasons";
    pub const DUE_BY: &str = "due_by";
    pub const CURRENT_LIMIT: &str = "current_limit";
    pub const RECOMMENDED_LIMIT: &str = "recommended_limit";
    pub const CHANGE_PCT: &str = "change_pct";
    pub const DECISION: &str = "decision";
    pub const REASON: &str = "reason";
    pub const WEEK: &str = "week";
    pub const WEEK_START: &str = "week_start";
    pub const WEEK_END: &str = "week_end";
    pub const EXPECTED_COLLECTIONS: &str = "expected_collections";
    pub const P10: &str = "p10";
    pub const P90: &str = "p90";
}
use columns::*;

/// Everything a nightly run produces, before writing.
pub struct Nightly {
    /// The feature frame of the day (for the report's stability checks).
    pub features: DataFrame,
    pub scores: DataFrame,
    pub escalations: DataFrame,
    pub credit_limits: DataFrame,
    pub cash_forecast: DataFrame,
    pub kpis: Kpis,
    pub summary: Summary,
    /// Milliseconds per stage, in stage order.
    pub timings_ms: Vec<(&'static str, u64)>,
}

/// Counts for the manifest and the closing line.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub accounts_scored: usize,
    pub in_default: usize,
    pub escalations: BTreeMap<&'static str, usize>,
    pub limit_decisions: BTreeMap<&'static str, usize>,
    pub forecast_13_weeks: f64,
}

/// Cents as money; exact to two decimals when printed.
fn money_of(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// Runs every stage after ingest for day `on`. Takes the book to release
/// each table once its last reader is done (orders and events after the
/// features, the rest after the accounts): at 100k customers that is
/// 0.1-0.2 GB less resident during the later stages.
pub fn nightly(
    book: Book,
    on: NaiveDate,
    card: &Scorecard,
    config: &Config,
    previous: Option<&DataFrame>,
    progress: &Progress,
) -> Result<Nightly> {
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    progress.stage("features");
    let mut lap = |stage: &'static str, timings: &mut Vec<(&'static str, u64)>| {
        let ms = clock.elapsed().as_millis() as u64;
        tracing::debug!(
            stage,
            ms,
            faults = crate::progress::minor_faults(),
            "stage done"
        );
        timings.push((stage, ms));
        clock = Instant::now();
        let next = match stage {
            "features" => "scoring and KPIs",
            "scoring" => "actions",
            "actions" => "cash forecast",
            _ => "writing",
        };
        progress.stage(next);
    };
    let d = dates::to_days(on);
    let features = features::as_of(&book, on, card.bad_event.bad_dpd)?;
    // Orders and events are read by the features alone.
    let book = Book {
        orders: DataFrame::empty(),
        events: DataFrame::empty(),
        ..book
    };
    lap("features", &mut timings);
    // The invoices' state on the day, computed once for the accounts, the
    // forecast and the KPIs. They read open invoices, and the forecast
    // also those settled within its history window: only those are kept.
    // The two cores share the stage evenly: the state and the KPIs'
    // beginning balance on a thread of their own, scoring and the KPIs'
    // monthly sales (a one-core walk over the invoices, ~0.1 s at 100k)
    // here; the KPIs are finished from those parts once both are done.
    let relevant = features::open_or_settled_after(d, d - config.forecast.history_days);
    let (scoring, alongside) = std::thread::scope(|scope| {
        let alongside = scope.spawn(|| -> Result<(DataFrame, i64, u64)> {
            let started = Instant::now();
            let state = features::invoice_state_where(&book, d, relevant)?;
            tracing::debug!(ms = started.elapsed().as_millis() as u64, "invoice state");
            let started = Instant::now();
            let beginning = kpis::beginning_ar(&book, on)?;
            Ok((state, beginning, started.elapsed().as_millis() as u64))
        });
        let started = Instant::now();
        let scoring = score::score(card, &features).and_then(|scored| {
            let scores = scores_frame(&book, on, card, &features, &scored, previous)?;
            Ok((scored, scores))
        });
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "scored");
        let started = Instant::now();
        let sales = kpis::monthly_sales(&book, on)
            .map(|sales| (sales, started.elapsed().as_millis() as u64));
        let joined = alongside
            .join()
            .expect("the invoice state's thread does not panic");
        ((scoring, sales), joined)
    });
    let ((scored, scores), (sales, sales_ms)) = (scoring.0?, scoring.1?);
    let (state, beginning, beginning_ms) = alongside?;
    let started = Instant::now();
    let kpis = kpis::kpis_of(
        on,
        &state,
        features.height(),
        book.customers.height(),
        &sales,
        beginning,
    )?;
    // The KPIs' own time, in three parts on two threads: not wall time.
    let kpis_ms = sales_ms + beginning_ms + started.elapsed().as_millis() as u64;
    lap("scoring", &mut timings);

    let cfg = &config.escalation;
    // The accounts' facts are mostly one core's work: the forecast's
    // input, which needs neither them nor the scores, is prepared beside
    // them.
    let (accounts, forecast_input) = std::thread::scope(|scope| {
        let input = scope.spawn(|| {
            let started = Instant::now();
            let seeds = book.invoices.column(s::INVOICE_SEED)?;
            let input = forecast_input(&book.customers, seeds, d, &state, &config.forecast);
            tracing::debug!(ms = started.elapsed().as_millis() as u64, "forecast input");
            input
        });
        let accounts = actions::accounts(
            &book,
            d,
            &state,
            &features,
            &scored,
            FactWindows {
                pre_due_days: cfg.pre_due_days,
                plan_hold_days: cfg.plan_hold_days,
            },
        );
        let input = input.join().expect("the forecast's thread does not panic");
        (accounts, input)
    });
    let (accounts, forecast_input) = (accounts?, forecast_input?);
    drop((book, state));
    let queue = escalation::queue(&accounts, cfg);
    let decisions: Vec<LimitDecision> = accounts
        .iter()
        .map(|a| limits::decide(a, &config.limits))
        .collect();
    lap("actions", &mut timings);
    let weeks = cash_forecast(forecast_input, d, &accounts, &config.forecast);
    lap("forecast", &mut timings);
    // Computed alongside scoring (above): its own time, not wall time.
    timings.push(("kpis", kpis_ms));

    let mut summary = Summary {
        accounts_scored: scores.height(),
        in_default: accounts.iter().filter(|a| a.in_default).count(),
        escalations: escalation::ACTIONS.iter().map(|a| (*a, 0)).collect(),
        limit_decisions: BTreeMap::new(),
        forecast_13_weeks: money_of(weeks.iter().map(|w| w.expected_cents).sum()),
    };
    for e in &queue {
        *summary.escalations.entry(e.action).or_default() += 1;
    }
    for l in &decisions {
        *summary.limit_decisions.entry(l.decision).or_default() += 1;
    }
    Ok(Nightly {
        features,
        scores,
        escalations: escalations_frame(&queue, d)?,
        credit_limits: limits_frame(&decisions, &accounts)?,
        cash_forecast: forecast_frame(&weeks)?,
        kpis,
        summary,
        timings_ms: timings,
    })
}

/// `scores`: contract columns, then in_default and the change against the
/// previous run (null where the customer was not in it).
fn scores_frame(
    book: &Book,
    on: NaiveDate,
    card: &Scorecard,
    features: &DataFrame,
    scored: &DataFrame,
    previous: Option<&DataFrame>,
) -> PolarsResult<DataFrame> {
    let names = book.customers.clone().lazy().select([
        col(s::CUSTOMER_ID),
        col(s::NAME).cast(DataType::String).alias(NAME),
    ]);
    let base = features
        .clone()
        .lazy()
        .select([
            col(f::CUSTOMER_ID),
            col(f::OPEN_BALANCE),
            col(f::OVERDUE_BALANCE),
            col(f::MAX_DAYS_PAST_DUE),
            col(f::UTILIZATION),
            col(f::IN_DEFAULT),
        ])
        .join(
            scored.clone().lazy(),
            [col(f::CUSTOMER_ID)],
            [col(f::CUSTOMER_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            names,
            [col(f::CUSTOMER_ID)],
            [col(s::CUSTOMER_ID)],
            JoinArgs::new(JoinType::Left),
        );
    let prev = match previous {
        Some(p) => p.clone().lazy().select([
            col(f::CUSTOMER_ID),
            col(SCORE).cast(DataType::Int64).alias(PREVIOUS_SCORE),
            col(RISK_BAND).cast(DataType::String).alias(PREVIOUS_BAND),
        ]),
        None => DataFrame::new(
            0,
            vec![
                Column::new(f::CUSTOMER_ID.into(), Vec::<String>::new()),
                Column::new(PREVIOUS_SCORE.into(), Vec::<i64>::new()),
                Column::new(PREVIOUS_BAND.into(), Vec::<String>::new()),
            ],
        )?
        .lazy(),
    };
    let band_change = when(col(PREVIOUS_BAND).is_null())
        .then(lit(NULL).cast(DataType::String))
        .when(col(RISK_BAND).gt(col(PREVIOUS_BAND)))
        .then(lit("worse"))
        .when(col(RISK_BAND).lt(col(PREVIOUS_BAND)))
        .then(lit("better"))
        .otherwise(lit("same"))
        .alias(BAND_CHANGE);
    base.join(
        prev,
        [col(f::CUSTOMER_ID)],
        [col(f::CUSTOMER_ID)],
        JoinArgs::new(JoinType::Left),
    )
    .select([
        col(f::CUSTOMER_ID),
        col(NAME),
        lit(dates::to_days(on)).cast(DataType::Date).alias(AS_OF),
        col(PD),
        col(SCORE),
        col(RISK_BAND),
        col(REASON_1),
        col(REASON_2),
        col(REASON_3),
        round_money(f::OPEN_BALANCE),
        round_money(f::OVERDUE_BALANCE),
        col(f::MAX_DAYS_PAST_DUE),
        col(f::UTILIZATION).round(4, RoundMode::HalfAwayFromZero),
        lit(card.version()).alias(MODEL_VERSION),
        col(f::IN_DEFAULT),
        col(PREVIOUS_SCORE),
        (col(SCORE) - col(PREVIOUS_SCORE)).alias(SCORE_CHANGE),
        col(PREVIOUS_BAND),
        band_change,
    ])
    .sort([f::CUSTOMER_ID], SortMultipleOptions::default())
    .collect()
}

/// Money to cents precision (sums of cents / 100 can print as 0.100000000002).
fn round_money(c: &str) -> Expr {
    col(c).round(2, RoundMode::HalfAwayFromZero)
}

fn escalations_frame(queue: &[Escalation], d: i32) -> PolarsResult<DataFrame> {
    let n = queue.len();
    let strs = |g: fn(&Escalation) -> &str| -> Vec<&str> { queue.iter().map(g).collect() };
    DataFrame::new(
        n,
        vec![
            Column::new(RANK.into(), (1..=n as u32).collect::<Vec<_>>()),
            Column::new(f::CUSTOMER_ID.into(), strs(|e| &e.customer_id)),
            Column::new(NAME.into(), strs(|e| &e.name)),
            Column::new(ACTION.into(), strs(|e| e.action)),
            Column::new(
                PRIORITY.into(),
                queue
                    .iter()
                    .map(|e| money_of(e.priority_cents))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                f::OVERDUE_BALANCE.into(),
                queue
                    .iter()
                    .map(|e| money_of(e.overdue_cents))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                f::MAX_DAYS_PAST_DUE.into(),
                queue
                    .iter()
                    .map(|e| e.max_days_past_due)
                    .collect::<Vec<_>>(),
            ),
            Column::new(PD.into(), queue.iter().map(|e| e.pd).collect::<Vec<_>>()),
            Column::new(RISK_BAND.into(), strs(|e| &e.band)),
            Column::new(REASONS.into(), strs(|e| &e.reasons)),
            Column::new(
                DUE_BY.into(),
                queue
                    .iter()
                    .map(|e| d + e.service_days as i32)
                    .collect::<Vec<_>>(),
            )
            .cast(&DataType::Date)?,
        ],
    )
}

fn limits_frame(decisions: &[LimitDecision], accounts: &[Account]) -> PolarsResult<DataFrame> {
    let n = decisions.len();
    DataFrame::new(
        n,
        vec![
            Column::new(
                f::CUSTOMER_ID.into(),
                decisions
                    .iter()
                    .map(|l| l.customer_id.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                CURRENT_LIMIT.into(),
                decisions
                    .iter()
                    .map(|l| money_of(l.current_cents))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                RECOMMENDED_LIMIT.into(),
                decisions
                    .iter()
                    .map(|l| money_of(l.recommended_cents))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                CHANGE_PCT.into(),
                decisions.iter().map(|l| l.change_pct).collect::<Vec<_>>(),
            ),
            Column::new(
                DECISION.into(),
                decisions.iter().map(|l| l.decision).collect::<Vec<_>>(),
            ),
            Column::new(
                REASON.into(),
                decisions
                    .iter()
                    .map(|l| l.reason.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                RISK_BAND.into(),
                accounts
                    .iter()
                    .map(|a| (!a.band.is_empty()).then_some(a.band.as_str()))
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

fn forecast_frame(weeks: &[Week]) -> PolarsResult<DataFrame> {
    let n = weeks.len();
    DataFrame::new(
        n,
        vec![
            Column::new(
                WEEK_START.into(),
                weeks.iter().map(|w| w.start).collect::<Vec<_>>(),
            )
            .cast(&DataType::Date)?,
            Column::new(
                EXPECTED_COLLECTIONS.into(),
                weeks
                    .iter()
                    .map(|w| money_of(w.expected_cents))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                P10.into(),
                weeks
                    .iter()
                    .map(|w| money_of(w.p10_cents))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                P90.into(),
                weeks
                    .iter()
                    .map(|w| money_of(w.p90_cents))
                    .collect::<Vec<_>>(),
            ),
            Column::new(WEEK.into(), (1..=n as u32).collect::<Vec<_>>()),
            Column::new(
                WEEK_END.into(),
                weeks.iter().map(|w| w.start + 6).collect::<Vec<_>>(),
            )
            .cast(&DataType::Date)?,
        ],
    )
}

/// The forecast's input before the accounts are known.
struct ForecastInput {
    /// The invoices open on the day, their `pd` still 0.
    open: Vec<OpenInvoice>,
    /// Each customer's recent days late, indexed like the accounts
    /// (customers in id order).
    history: Vec<Vec<i32>>,
}

/// The [`ForecastInput`] of day `d`, from its invoice `state`; `seeds` is
/// the invoices' [`s::INVOICE_SEED`] column, by invoice key. Reads only the
/// customers, the state and the seeds, so the nightly run prepares it
/// beside the accounts' facts.
fn forecast_input(
    customers: &DataFrame,
    seeds: &Column,
    d: i32,
    state: &DataFrame,
    cfg: &forecast::ForecastConfig,
) -> PolarsResult<ForecastInput> {
    // Customer key -> account: accounts follow the customers sorted by id.
    let by_id = customers
        .clone()
        .lazy()
        .select([col(s::CUSTOMER_ID), col(s::CUSTOMER_KEY)])
        .sort([s::CUSTOMER_ID], SortMultipleOptions::default())
        .collect()?;
    let mut account_of = vec![None; customers.height()];
    for (i, key) in by_id.column(s::CUSTOMER_KEY)?.idx()?.iter().enumerate() {
        if let Some(key) = key {
            account_of[key as usize] = Some(i);
        }
    }
    // Only open invoices and those settled within the history window
    // count; the loop below skips the rest. The columns are read in place,
    // in their own types (3.3M rows at 100k: a filtered copy and i64 casts
    // of them took ~30 ms more).
    let dues = state.column("__due")?.i32()?;
    let opens = state.column("__open")?.i64()?;
    let settles = state.column("__settled")?.i32()?;
    let keys = state.column(s::CUSTOMER_KEY)?.idx()?;
    let rows = state.column(s::INVOICE_KEY)?.idx()?;
    let seeds = seeds.u64()?;
    let mut history: Vec<Vec<i32>> = vec![Vec::new(); by_id.height()];
    let mut open = Vec::new();
    let invoices = keys.iter().zip(rows.iter()).zip(dues.iter());
    for (((key, row), due), (cents, settled)) in invoices.zip(opens.iter().zip(settles.iter())) {
        let Some(c) = key.and_then(|k| account_of[k as usize]) else {
            continue;
        };
        let due = due.unwrap_or(0);
        if let Some(settled) = settled {
            if settled > d - cfg.history_days {
                history[c].push(settled - due);
            }
        }
        let cents = cents.unwrap_or(0);
        if cents > 0 {
            open.push(OpenInvoice {
                key: row
                    .and_then(|row| seeds.get(row as usize))
                    .unwrap_or_default(),
                customer: c,
                due,
                open_cents: cents,
                pd: 0.0,
            });
        }
    }
    // Histories in a fixed order whatever order the state frame came in.
    for h in &mut history {
        h.sort_unstable();
    }
    Ok(ForecastInput { open, history })
}

/// The 13 weeks from the prepared input and the accounts (one per
/// customer, in customer id order, as the input's histories): each open
/// invoice takes its customer's pd, 1 for a customer in default.
fn cash_forecast(
    input: ForecastInput,
    d: i32,
    accounts: &[Account],
    cfg: &forecast::ForecastConfig,
) -> Vec<Week> {
    let ForecastInput { mut open, history } = input;
    debug_assert_eq!(history.len(), accounts.len());
    for invoice in &mut open {
        let a = &accounts[invoice.customer];
        invoice.pd = if a.in_default { 1.0 } else { a.pd };
    }
    let started = Instant::now();
    let weeks = forecast::forecast(&open, &history, d, cfg);
    tracing::debug!(
        invoices = open.len(),
        ms = started.elapsed().as_millis() as u64,
        "forecast simulated"
    );
    weeks
}

//! What to do about each account today: the collection queue
//! ([`escalation`]), credit-limit recommendations ([`limits`]), the 13-week
//! cash forecast ([`forecast`]) and receivables KPIs ([`kpis`]).
//!
//! The decisions are plain functions of an [`Account`] (facts about one
//! customer on the as-of day) and the config, so each rule is unit-tested
//! on hand-made accounts; [`accounts`] gathers those facts from the book,
//! the features and the scores.

pub mod escalation;
pub mod forecast;
pub mod kpis;
pub mod limits;

use polars::prelude::*;

use crate::exprs::{day, to_cents};
use crate::features::names as f;
use crate::ingest::Book;
use crate::model::{matrix, score};
use crate::schema as s;

/// Facts about one customer on the as-of day. Money in cents.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Account {
    pub customer_id: String,
    pub name: String,
    pub credit_limit_cents: i64,
    /// Any invoice issued on or before the day (else no score).
    pub active: bool,
    pub pd: f64,
    pub band: String,
    pub in_default: bool,
    /// The model's reasons, non-empty ones only.
    pub reasons: Vec<String>,
    pub open_cents: i64,
    /// Overdue, disputed or not.
    pub overdue_cents: i64,
    pub max_days_past_due: i64,
    pub utilization: f64,
    /// Overdue invoices not in dispute: count, cents, largest days past due.
    pub dunning_count: i64,
    pub dunning_cents: i64,
    pub dunning_max_dpd: i64,
    /// Overdue invoices in dispute: count, cents, largest days past due.
    pub disputed_count: i64,
    pub disputed_cents: i64,
    pub disputed_max_dpd: i64,
    /// Open invoices due within the pre-due window (due day in [D, D + n]).
    pub due_soon_count: i64,
    pub due_soon_cents: i64,
    /// Day (days since 1970) of the latest granted payment plan within the
    /// plan window, if any.
    pub plan_day: Option<i32>,
    /// A non-disputed overdue invoice was issued after that plan.
    pub overdue_after_plan: bool,
    /// Days since the last payment received (None: never).
    pub days_since_payment: Option<i64>,
    /// Days since the last late settlement (None: never late).
    pub days_since_late_payment: Option<i64>,
    pub insolvency_filed: bool,
}

/// Windows the account facts depend on (from the escalation config).
#[derive(Debug, Clone, Copy)]
pub struct FactWindows {
    pub pre_due_days: i32,
    pub plan_hold_days: i32,
}

/// Each customer's last payment day on or before `d`: `__payer` (customer
/// key), `__last_paid` (day number, null when none). A lookup from invoice
/// key to customer key, not a join of millions of payments to invoices;
/// the book's columns are read in place, the payments in parallel blocks
/// (a maximum: the same whatever the blocks).
fn last_payments(book: &Book, d: i32) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    let row_of_key = crate::ingest::InvoiceRows::new(&book.invoices)?;
    let payers = book.invoices.column(s::CUSTOMER_KEY)?.idx()?.rechunk();
    let payers = payers.downcast_as_array();
    let n = book.customers.height();
    let payments = crate::ingest::PaymentColumns::of(&book.payments)?;
    let (keys, days, _) = payments.slices()?;
    const NONE: i32 = i32::MIN;
    let last = keys
        .par_iter()
        .zip(days)
        .with_min_len(1 << 18)
        .fold(
            || vec![NONE; n],
            |mut last, (&k, &day)| {
                if day <= d {
                    let payer = row_of_key.row(k).and_then(|row| payers.get(row));
                    if let Some(c) = payer {
                        let slot = &mut last[c as usize];
                        *slot = (*slot).max(day);
                    }
                }
                last
            },
        )
        .reduce(
            || vec![NONE; n],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x = (*x).max(y));
                a
            },
        );
    let last: Vec<Option<i32>> = last.into_iter().map(|v| (v != NONE).then_some(v)).collect();
    DataFrame::new(
        n,
        vec![
            Column::new("__payer".into(), (0..n as IdxSize).collect::<Vec<_>>()),
            Column::new("__last_paid".into(), last),
        ],
    )
}

/// One [`Account`] per row of `customers`, in customer id order. `state`
/// is the invoice state of day `d` (`features::invoice_state`), `features`
/// and `scores` are those of day `d` (active customers only).
pub fn accounts(
    book: &Book,
    d: i32,
    state: &DataFrame,
    features: &DataFrame,
    scores: &DataFrame,
    windows: FactWindows,
) -> PolarsResult<Vec<Account>> {
    // Every fact below is about open invoices: the rest are left out first.
    let state = state.clone().lazy().filter(col("__open").gt(lit(0)));
    let overdue = col("__dpd").gt(lit(0));
    let dunning = overdue
        .clone()
        .and(col("__disputed").fill_null(lit(false)).not());
    let disputed = overdue.and(col("__disputed").fill_null(lit(false)));
    let due_soon = col("__due")
        .gt_eq(lit(d))
        .and(col("__due").lt_eq(lit(d + windows.pre_due_days)));
    let masked = |x: Expr, cond: Expr| when(cond).then(x).otherwise(lit(NULL));
    let count = |cond: Expr| cond.cast(DataType::Int64).sum();

    let plans = book
        .credit_requests
        .clone()
        .lazy()
        .filter(
            col(s::KIND)
                .eq(lit(s::KIND_PAYMENT_PLAN))
                .and(col(s::GRANTED).fill_null(lit(false)))
                .and(crate::exprs::in_window(
                    s::REQUEST_DATE,
                    d,
                    windows.plan_hold_days,
                )),
        )
        .group_by([col(s::CUSTOMER_KEY)])
        .agg([day(s::REQUEST_DATE).max().alias("__plan_day")])
        .collect()?
        .lazy();
    let state = state.join(
        plans.clone(),
        [col(s::CUSTOMER_KEY)],
        [col(s::CUSTOMER_KEY)],
        JoinArgs::new(JoinType::Left),
    );
    let per_customer = state.group_by([col(s::CUSTOMER_KEY)]).agg([
        count(dunning.clone()).alias("__dun_n"),
        masked(col("__open"), dunning.clone())
            .sum()
            .alias("__dun_c"),
        masked(col("__dpd"), dunning.clone())
            .max()
            .alias("__dun_dpd"),
        count(disputed.clone()).alias("__dis_n"),
        masked(col("__open"), disputed.clone())
            .sum()
            .alias("__dis_c"),
        masked(col("__dpd"), disputed).max().alias("__dis_dpd"),
        count(due_soon.clone()).alias("__soon_n"),
        masked(col("__open"), due_soon).sum().alias("__soon_c"),
        dunning
            .and(col("__issue").gt(col("__plan_day")))
            .fill_null(lit(false))
            .any(true)
            .alias("__after_plan"),
    ]);
    let last_payment = last_payments(book, d)?.lazy();

    let frame = book
        .customers
        .clone()
        .lazy()
        .select([
            col(s::CUSTOMER_KEY),
            col(s::CUSTOMER_ID),
            col(s::NAME).cast(DataType::String),
            col(s::CREDIT_LIMIT),
        ])
        .join(
            features.clone().lazy().select([
                col(f::CUSTOMER_ID),
                col(f::OPEN_BALANCE),
                col(f::OVERDUE_BALANCE),
                col(f::MAX_DAYS_PAST_DUE),
                col(f::UTILIZATION),
                col(f::DAYS_SINCE_LATE_PAYMENT),
                col(f::INSOLVENCY_FILED),
                col(f::IN_DEFAULT),
            ]),
            [col(s::CUSTOMER_ID)],
            [col(f::CUSTOMER_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            scores.clone().lazy(),
            [col(s::CUSTOMER_ID)],
            [col(f::CUSTOMER_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            per_customer,
            [col(s::CUSTOMER_KEY)],
            [col(s::CUSTOMER_KEY)],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            plans,
            [col(s::CUSTOMER_KEY)],
            [col(s::CUSTOMER_KEY)],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            last_payment,
            [col(s::CUSTOMER_KEY)],
            [col("__payer")],
            JoinArgs::new(JoinType::Left),
        )
        .sort([s::CUSTOMER_ID], SortMultipleOptions::default())
        .collect()?;

    // The texts are moved into the accounts, not copied again.
    let mut ids = matrix::str_column(&frame, s::CUSTOMER_ID)?;
    let mut names = matrix::str_column(&frame, s::NAME)?;
    let mut bands = matrix::str_column(&frame, score::RISK_BAND)?;
    let mut reasons: Vec<Vec<Option<String>>> = [score::REASON_1, score::REASON_2, score::REASON_3]
        .iter()
        .map(|r| matrix::str_column(&frame, r))
        .collect::<PolarsResult<_>>()?;
    let in_default = matrix::bool_column(&frame, f::IN_DEFAULT)?;
    let num = matrix::float_columns(
        &frame,
        &[
            s::CREDIT_LIMIT,
            score::PD,
            f::OPEN_BALANCE,
            f::OVERDUE_BALANCE,
            f::MAX_DAYS_PAST_DUE,
            f::UTILIZATION,
            "__dun_n",
            "__dun_c",
            "__dun_dpd",
            "__dis_n",
            "__dis_c",
            "__dis_dpd",
            "__soon_n",
            "__soon_c",
            "__plan_day",
            "__last_paid",
            f::DAYS_SINCE_LATE_PAYMENT,
            f::INSOLVENCY_FILED,
        ],
    )?;
    let after_plan = matrix::bool_column(&frame, "__after_plan")?;
    let cents = |v: Option<f64>| to_cents(v.unwrap_or(0.0));
    let int = |v: Option<f64>| v.unwrap_or(0.0) as i64;
    Ok((0..frame.height())
        .map(|i| {
            let v = |k: usize| num[k][i];
            Account {
                customer_id: ids[i].take().unwrap_or_default(),
                name: names[i].take().unwrap_or_default(),
                credit_limit_cents: cents(v(0)),
                active: v(1).is_some(),
                pd: v(1).unwrap_or(0.0),
                band: bands[i].take().unwrap_or_default(),
                in_default: in_default[i].unwrap_or(false),
                reasons: reasons
                    .iter_mut()
                    .filter_map(|r| r[i].take().filter(|s| !s.is_empty()))
                    .collect(),
                open_cents: cents(v(2)),
                overdue_cents: cents(v(3)),
                max_days_past_due: int(v(4)),
                utilization: v(5).unwrap_or(0.0),
                dunning_count: int(v(6)),
                dunning_cents: int(v(7)),
                dunning_max_dpd: int(v(8)),
                disputed_count: int(v(9)),
                disputed_cents: int(v(10)),
                disputed_max_dpd: int(v(11)),
                due_soon_count: int(v(12)),
                due_soon_cents: int(v(13)),
                plan_day: v(14).map(|x| x as i32),
                overdue_after_plan: after_plan[i].unwrap_or(false),
                days_since_payment: v(15).map(|p| i64::from(d) - p as i64),
                days_since_late_payment: v(16).map(|x| x as i64),
                insolvency_filed: v(17).unwrap_or(0.0) > 0.0,
            }
        })
        .collect())
}

//! Point-in-time warning-sign features: what a credit analyst would look at,
//! for every customer, as of any day, without peeking past it.
//!
//! Contract of [`as_of`]: one row per customer with any invoice issued on or
//! before day D, sorted by customer id; the columns of [`names`] (see
//! `docs/features.md` for each definition, unit and warning sign). Every
//! dated row after D is ignored here, whatever the caller passes in: invoices
//! issued, payments made, settlements, write-offs, orders, requests, events.
//! Money is summed in whole cents, so the result is the same for any row
//! order. History that does not exist is null, not zero, where zero would
//! lie (a customer with no settled invoice in 90 days has no late share).

pub mod names;
mod snapshots;
mod sweep;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::dates;
use crate::exprs::{cents, day, in_window, money, positive};
use crate::ingest::Book;
use crate::schema as s;
use names::*;
pub use snapshots::{known_on, label, snapshot_days, snapshots, LabelParams};

/// Utilisation is capped here (10 = 1000% of the limit); a zero limit with
/// anything open gives the cap, with nothing open 0.
pub const UTILIZATION_CAP: f64 = 10.0;

/// The trailing windows, in days, of payment-behaviour features.
const PAYMENT_WINDOWS: [i32; 3] = [90, 180, 365];
const REQUEST_WINDOWS: [i32; 3] = [30, 90, 365];
/// The request kinds counted, each with the prefix of its feature names.
const REQUEST_COUNTS: [(&str, &str); 3] = [
    (s::KIND_TERM_EXTENSION, "term_extensions"),
    (s::KIND_LIMIT_INCREASE, "limit_increases"),
    (s::KIND_PAYMENT_PLAN, "payment_plans"),
];

/// The model's candidate features, in a fixed order (every numeric column of
/// [`as_of`] except ids, the limit and `in_default`).
pub const FEATURES: &[&str] = &[
    OPEN_BALANCE,
    OVERDUE_BALANCE,
    OPEN_INVOICES,
    MAX_DAYS_PAST_DUE,
    AGING_CURRENT,
    AGING_1_30,
    AGING_31_60,
    AGING_61_90,
    AGING_90_PLUS,
    UTILIZATION,
    DISPUTED_SHARE,
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
    PARTIAL_SHARE_90,
    PARTIAL_SHARE_180,
    PARTIAL_SHARE_365,
    DAYS_SINCE_LATE_PAYMENT,
    DAYS_BEYOND_TERMS_TREND,
    TERM_EXTENSIONS_30,
    TERM_EXTENSIONS_90,
    TERM_EXTENSIONS_365,
    LIMIT_INCREASES_30,
    LIMIT_INCREASES_90,
    LIMIT_INCREASES_365,
    PAYMENT_PLANS_30,
    PAYMENT_PLANS_90,
    PAYMENT_PLANS_365,
    DENIED_REQUESTS_365,
    DAYS_SINCE_REQUEST,
    ORDER_AMOUNT_LOG_RATIO,
    ORDER_COUNT_CHANGE,
    DAYS_SINCE_ORDER,
    ORDER_30D_ZSCORE,
    OWN_EVENT_SEVERITY_90,
    OWN_EVENT_SEVERITY_365,
    INDUSTRY_NEWS_SEVERITY_90,
    INSOLVENCY_FILED,
    TENURE_DAYS,
    PAYMENT_TERMS_DAYS,
];

/// Features of every customer active on `on` (see the module docs).
/// `bad_dpd` sets [`IN_DEFAULT`].
pub fn as_of(book: &Book, on: NaiveDate, bad_dpd: i64) -> PolarsResult<DataFrame> {
    // The state feeds three aggregations: computed once, not per branch.
    let d = dates::to_days(on);
    let state = invoice_state(book, d).collect()?;
    from_state(book, state.lazy(), d, bad_dpd).collect()
}

/// [`as_of`] day `d` from that day's [`invoice_state`], for callers that
/// use the state for more than the features.
pub(crate) fn from_state(book: &Book, state: LazyFrame, d: i32, bad_dpd: i64) -> LazyFrame {
    finish(book, aggregates(book, state, d), d, bad_dpd, &[])
}

/// Per customer key with an invoice by `d`: the aggregates the features are
/// made of (the columns [`finish`] reads), from day `d`'s invoice state.
fn aggregates(book: &Book, state: LazyFrame, d: i32) -> LazyFrame {
    let on_key = |lf: LazyFrame, other: LazyFrame| {
        lf.join(
            other,
            [col(s::CUSTOMER_KEY)],
            [col(s::CUSTOMER_KEY)],
            JoinArgs::new(JoinType::Left),
        )
    };
    [
        payment_behaviour(state.clone(), d),
        last_late_payment(state.clone()),
        requests(book, d),
        orders(book, d),
        order_days(book, d),
        own_events(book, d),
    ]
    .into_iter()
    .fold(exposure(state), on_key)
}

/// The feature frame of day `d` from its per-customer `aggregates` (keyed
/// by customer key): the customer's own columns and its industry's news
/// joined, features derived, sorted by customer id; the `carry` columns of
/// `aggregates` last.
fn finish(book: &Book, aggregates: LazyFrame, d: i32, bad_dpd: i64, carry: &[&str]) -> LazyFrame {
    let customers = book.customers.clone().lazy().select([
        col(s::CUSTOMER_KEY),
        col(s::CUSTOMER_ID),
        col(s::CREDIT_LIMIT),
        col(s::PAYMENT_TERMS_DAYS),
        col(s::INDUSTRY),
    ]);
    let joined = aggregates
        .join(
            customers,
            [col(s::CUSTOMER_KEY)],
            [col(s::CUSTOMER_KEY)],
            JoinArgs::new(JoinType::Inner),
        )
        .join(
            industry_news(book, d),
            [col(INDUSTRY)],
            [col(INDUSTRY)],
            JoinArgs::new(JoinType::Left),
        );
    let mut columns = vec![
        col(CUSTOMER_ID),
        lit(d).cast(DataType::Date).alias(AS_OF),
        col(CREDIT_LIMIT),
        col(INDUSTRY),
    ];
    columns.extend(FEATURES.iter().map(|f| final_column(f, d)));
    columns.push(
        col(MAX_DAYS_PAST_DUE)
            .gt_eq(lit(bad_dpd))
            .or(col("__written_off").gt(lit(0)))
            .alias(IN_DEFAULT),
    );
    columns.extend(carry.iter().map(|c| col(*c)));
    joined
        .with_columns(derived(d))
        .select(columns)
        .sort([CUSTOMER_ID], SortMultipleOptions::default())
}

/// One row per invoice issued on or before `d` (with its invoice and
/// customer keys), with its state that day: `__amount`, `__paid` and `__open` (cents), `__issue`, `__due` and
/// `__settled` (day numbers; settled null unless on or before `d`),
/// `__payments` it took to settle (null unless settled by `d`), `__dpd`
/// (days past due while open, else null), `__written_off` (by `d`).
/// Payments made by `d` are summed only for invoices still open on `d`: the
/// others' open amount is 0 whatever they were paid.
pub(crate) fn invoice_state(book: &Book, d: i32) -> LazyFrame {
    let settled_by_d = day(s::SETTLED_DATE).lt_eq(lit(d));
    let base = book
        .invoices
        .clone()
        .lazy()
        .filter(day(s::ISSUE_DATE).lt_eq(lit(d)))
        .select([
            col(s::INVOICE_KEY),
            col(s::CUSTOMER_KEY),
            day(s::ISSUE_DATE).alias("__issue"),
            day(s::DUE_DATE).alias("__due"),
            cents(s::AMOUNT).alias("__amount"),
            col(s::DISPUTED).alias("__disputed"),
            when(settled_by_d.clone())
                .then(day(s::SETTLED_DATE))
                .otherwise(lit(NULL).cast(DataType::Int32))
                .alias("__settled"),
            when(settled_by_d)
                .then(col(s::PAYMENTS_TO_SETTLE))
                .otherwise(lit(NULL).cast(DataType::Int64))
                .alias("__payments"),
            day(s::WRITTEN_OFF_DATE)
                .lt_eq(lit(d))
                .fill_null(lit(false))
                .alias("__written_off"),
        ]);
    let still_open = base
        .clone()
        .filter(col("__settled").is_null().and(col("__written_off").not()))
        .select([col(s::INVOICE_KEY)]);
    let paid = book
        .payments
        .clone()
        .lazy()
        .filter(day(s::PAYMENT_DATE).lt_eq(lit(d)))
        .join(
            still_open,
            [col(s::INVOICE_KEY)],
            [col(s::INVOICE_KEY)],
            JoinArgs::new(JoinType::Semi),
        )
        .group_by([col(s::INVOICE_KEY)])
        .agg([cents(s::AMOUNT).sum().alias("__paid")]);
    base.join(
        paid,
        [col(s::INVOICE_KEY)],
        [col(s::INVOICE_KEY)],
        JoinArgs::new(JoinType::Left),
    )
    .with_column(col("__paid").fill_null(lit(0i64)))
    .with_column(
        when(col("__settled").is_not_null().or(col("__written_off")))
            .then(lit(0i64))
            .otherwise(positive(col("__amount") - col("__paid")))
            .alias("__open"),
    )
    .with_column(
        when(col("__open").gt(lit(0)))
            .then(lit(d) - col("__due"))
            .otherwise(lit(NULL).cast(DataType::Int32))
            .alias("__dpd"),
    )
}

/// `x` where `cond` holds, else null: aggregate it with a plain `sum`
/// (nothing gives 0), `mean` or `max` (nothing gives null). Polars runs
/// these on its fast path, unlike `x.filter(cond).sum()` in a group-by.
fn masked(x: Expr, cond: Expr) -> Expr {
    when(cond).then(x).otherwise(lit(NULL))
}

/// Sum of open cents where `cond` holds.
fn open_where(cond: Expr) -> Expr {
    masked(col("__open"), cond).sum()
}

fn dpd_between(lo: i32, hi: Option<i32>) -> Expr {
    let above = col("__dpd").gt_eq(lit(lo));
    match hi {
        Some(hi) => above.and(col("__dpd").lt_eq(lit(hi))),
        None => above,
    }
}

/// The open-amount aggregates of [`exposure`], in this order: zero for a
/// customer with nothing open.
const OPEN_AGGREGATES: [&str; 10] = [
    "__open_c",
    "__overdue_c",
    OPEN_INVOICES,
    MAX_DAYS_PAST_DUE,
    "__aging_current_c",
    "__aging_1_30_c",
    "__aging_31_60_c",
    "__aging_61_90_c",
    "__aging_90_plus_c",
    "__disputed_c",
];

/// Exposure per customer (cents; `__open_c`, `__overdue_c`, aging and
/// `__disputed_c` become money in [`final_column`]).
fn exposure(state: LazyFrame) -> LazyFrame {
    // The open amounts from the open invoices only (a few percent of the
    // rows); zeros for customers with none.
    let open = state
        .clone()
        .filter(col("__open").gt(lit(0)))
        .group_by([col(s::CUSTOMER_KEY)])
        .agg([
            col("__open").sum().alias("__open_c"),
            open_where(col("__dpd").gt(lit(0))).alias("__overdue_c"),
            len().cast(DataType::Int64).alias(OPEN_INVOICES),
            masked(col("__dpd"), col("__dpd").gt(lit(0)))
                .max()
                .cast(DataType::Int64)
                .alias(MAX_DAYS_PAST_DUE),
            open_where(col("__dpd").lt_eq(lit(0))).alias("__aging_current_c"),
            open_where(dpd_between(1, Some(30))).alias("__aging_1_30_c"),
            open_where(dpd_between(31, Some(60))).alias("__aging_31_60_c"),
            open_where(dpd_between(61, Some(90))).alias("__aging_61_90_c"),
            open_where(dpd_between(91, None)).alias("__aging_90_plus_c"),
            open_where(col("__disputed")).alias("__disputed_c"),
        ]);
    let zero_when_none = OPEN_AGGREGATES.map(|c| col(c).fill_null(lit(0i64)));
    state
        .group_by([col(s::CUSTOMER_KEY)])
        .agg([
            col("__issue").min().alias("__first_issue"),
            col("__written_off")
                .cast(DataType::Int64)
                .sum()
                .alias("__written_off"),
        ])
        .join(
            open,
            [col(s::CUSTOMER_KEY)],
            [col(s::CUSTOMER_KEY)],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns(zero_when_none)
}

/// Invoices settled by `d` (from its invoice state), with `__late` (days
/// from due to settled) and `__beyond` (late days, 0 if on time).
fn settled_invoices(state: LazyFrame) -> LazyFrame {
    state
        .filter(col("__settled").is_not_null())
        .with_column((col("__settled") - col("__due")).alias("__late"))
        .with_column(
            positive(col("__late"))
                .cast(DataType::Int64)
                .alias("__beyond"),
        )
}

/// Payment behaviour over invoices settled in the windows before `d` (only
/// those rows are read: older settlements fall in no window).
fn payment_behaviour(state: LazyFrame, d: i32) -> LazyFrame {
    let longest = PAYMENT_WINDOWS.iter().max().copied().unwrap_or(0);
    let settled = settled_invoices(state).filter(col("__settled").gt(lit(d - longest)));
    let in_w = |w: i32| col("__settled").gt(lit(d - w));
    let share = |cond: Expr, w: i32| masked(cond.cast(DataType::Float64), in_w(w)).mean();
    let mut aggs = Vec::new();
    for w in PAYMENT_WINDOWS {
        aggs.push(share(col("__late").gt(lit(0)), w).alias(format!("late_share_{w}")));
        aggs.push(share(col("__late").gt(lit(15)), w).alias(format!("late15_share_{w}")));
        aggs.push(
            masked(col("__amount") * col("__beyond"), in_w(w))
                .sum()
                .alias(format!("__dbt_num_{w}")),
        );
        aggs.push(
            masked(col("__amount"), in_w(w))
                .sum()
                .alias(format!("__dbt_den_{w}")),
        );
        aggs.push(
            masked(col("__beyond"), in_w(w))
                .max()
                .alias(format!("max_days_late_{w}")),
        );
        aggs.push(share(col("__payments").gt(lit(1)), w).alias(format!("partial_share_{w}")));
    }
    // The quarter before the last one, for the trend.
    let prev = col("__settled")
        .gt(lit(d - 180))
        .and(col("__settled").lt_eq(lit(d - 90)));
    aggs.push(
        masked(col("__amount") * col("__beyond"), prev.clone())
            .sum()
            .alias("__dbt_num_prev"),
    );
    aggs.push(masked(col("__amount"), prev).sum().alias("__dbt_den_prev"));
    settled.group_by([col(s::CUSTOMER_KEY)]).agg(aggs)
}

/// The day of the last late settlement by `d`, over all history.
fn last_late_payment(state: LazyFrame) -> LazyFrame {
    settled_invoices(state)
        .filter(col("__late").gt(lit(0)))
        .group_by([col(s::CUSTOMER_KEY)])
        .agg([col("__settled").max().alias("__last_late")])
}

/// Credit requests filed by `d`.
fn requests(book: &Book, d: i32) -> LazyFrame {
    let mut aggs = Vec::new();
    for (kind, prefix) in REQUEST_COUNTS {
        for w in REQUEST_WINDOWS {
            aggs.push(
                col(s::KIND)
                    .eq(lit(kind))
                    .and(in_window(s::REQUEST_DATE, d, w))
                    .cast(DataType::Int64)
                    .sum()
                    .alias(format!("{prefix}_{w}")),
            );
        }
    }
    aggs.push(
        col(s::GRANTED)
            .eq(lit(false))
            .fill_null(lit(false))
            .and(in_window(s::REQUEST_DATE, d, 365))
            .cast(DataType::Int64)
            .sum()
            .alias(DENIED_REQUESTS_365),
    );
    aggs.push(day(s::REQUEST_DATE).max().alias("__last_request"));
    book.credit_requests
        .clone()
        .lazy()
        .filter(day(s::REQUEST_DATE).lt_eq(lit(d)))
        .group_by([col(s::CUSTOMER_KEY)])
        .agg(aggs)
}

/// The first and last days orders were placed by `d`.
fn order_days(book: &Book, d: i32) -> LazyFrame {
    book.orders
        .clone()
        .lazy()
        .filter(day(s::ORDER_DATE).lt_eq(lit(d)))
        .group_by([col(s::CUSTOMER_KEY)])
        .agg([
            day(s::ORDER_DATE).max().alias("__last_order"),
            day(s::ORDER_DATE).min().alias("__first_order"),
        ])
}

/// Orders placed in the 360 days to `d`: the last two quarters, and twelve
/// 30-day buckets (`__b0` = the last 30 days) for the z-score. Older orders
/// fall in no window and are not read.
fn orders(book: &Book, d: i32) -> LazyFrame {
    let age = lit(d) - day(s::ORDER_DATE);
    let between = |lo: i32, hi: i32| age.clone().gt_eq(lit(lo)).and(age.clone().lt_eq(lit(hi)));
    let mut aggs = vec![
        masked(cents(s::AMOUNT), between(0, 89))
            .sum()
            .alias("__amt_q0"),
        masked(cents(s::AMOUNT), between(90, 179))
            .sum()
            .alias("__amt_q1"),
        between(0, 89).cast(DataType::Int64).sum().alias("__cnt_q0"),
        between(90, 179)
            .cast(DataType::Int64)
            .sum()
            .alias("__cnt_q1"),
    ];
    for k in 0..12 {
        aggs.push(
            masked(cents(s::AMOUNT), between(30 * k, 30 * k + 29))
                .sum()
                .alias(format!("__b{k}")),
        );
    }
    book.orders
        .clone()
        .lazy()
        .filter(
            day(s::ORDER_DATE)
                .lt_eq(lit(d))
                .and(day(s::ORDER_DATE).gt(lit(d - 360))),
        )
        .group_by([col(s::CUSTOMER_KEY)])
        .agg(aggs)
}

/// The customer's own events by `d`.
fn own_events(book: &Book, d: i32) -> LazyFrame {
    book.events
        .clone()
        .lazy()
        .filter(
            col(s::CUSTOMER_ID)
                .is_not_null()
                .and(day(s::EVENT_DATE).lt_eq(lit(d))),
        )
        .group_by([col(s::CUSTOMER_KEY)])
        .agg([
            masked(col(s::SEVERITY), in_window(s::EVENT_DATE, d, 90))
                .max()
                .alias(OWN_EVENT_SEVERITY_90),
            masked(col(s::SEVERITY), in_window(s::EVENT_DATE, d, 365))
                .max()
                .alias(OWN_EVENT_SEVERITY_365),
            col(s::KIND)
                .eq(lit(s::EVENT_INSOLVENCY_FILING))
                .cast(DataType::Int64)
                .sum()
                .alias("__insolvency"),
        ])
}

/// Industry-wide events (no customer named) in the 90 days to `d`.
fn industry_news(book: &Book, d: i32) -> LazyFrame {
    book.events
        .clone()
        .lazy()
        .filter(
            col(s::CUSTOMER_ID)
                .is_null()
                .and(col(s::INDUSTRY).is_not_null())
                .and(in_window(s::EVENT_DATE, d, 90)),
        )
        .group_by([col(s::INDUSTRY)])
        .agg([col(s::SEVERITY).max().alias(INDUSTRY_NEWS_SEVERITY_90)])
}

/// Days-beyond-terms average from its numerator and denominator (cents).
fn dbt(num: &str, den: &str) -> Expr {
    when(col(den).gt(lit(0)))
        .then(col(num).cast(DataType::Float64) / col(den).cast(DataType::Float64))
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// Columns computed from the aggregates.
fn derived(d: i32) -> Vec<Expr> {
    let b = |k: usize| {
        col(format!("__b{k}"))
            .fill_null(lit(0i64))
            .cast(DataType::Float64)
            / lit(100.0)
    };
    let mean = (1..12).map(b).reduce(|a, x| a + x).unwrap() / lit(11.0);
    let var = (1..12)
        .map(|k| (b(k) - mean.clone()).pow(2))
        .reduce(|a, x| a + x)
        .unwrap()
        / lit(10.0);
    let orders_seen = (col("__cnt_q0") + col("__cnt_q1")).gt(lit(0));
    vec![
        dbt("__dbt_num_90", "__dbt_den_90").alias(DAYS_BEYOND_TERMS_90),
        dbt("__dbt_num_180", "__dbt_den_180").alias(DAYS_BEYOND_TERMS_180),
        dbt("__dbt_num_365", "__dbt_den_365").alias(DAYS_BEYOND_TERMS_365),
        (dbt("__dbt_num_90", "__dbt_den_90") - dbt("__dbt_num_prev", "__dbt_den_prev"))
            .alias(DAYS_BEYOND_TERMS_TREND),
        when(orders_seen.clone())
            .then(
                ((lit(1.0) + money(col("__amt_q0"))) / (lit(1.0) + money(col("__amt_q1"))))
                    .log(lit(std::f64::consts::E)),
            )
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias(ORDER_AMOUNT_LOG_RATIO),
        when(orders_seen)
            .then(col("__cnt_q0") - col("__cnt_q1"))
            .otherwise(lit(NULL).cast(DataType::Int64))
            .alias(ORDER_COUNT_CHANGE),
        when(
            var.clone()
                .gt(lit(0.0))
                .and((lit(d) - col("__first_order")).gt_eq(lit(360))),
        )
        .then((b(0) - mean) / var.sqrt())
        .otherwise(lit(NULL).cast(DataType::Float64))
        .alias(ORDER_30D_ZSCORE),
    ]
}

/// The output form of feature `name`: money in currency units, days since,
/// zero for counts and severities where nothing happened.
fn final_column(name: &str, d: i32) -> Expr {
    let since = |c: &str| (lit(d) - col(c)).cast(DataType::Int64);
    let open = col("__open_c").cast(DataType::Float64);
    match name {
        OPEN_BALANCE => money(col("__open_c")),
        OVERDUE_BALANCE => money(col("__overdue_c")),
        AGING_CURRENT => money(col("__aging_current_c")),
        AGING_1_30 => money(col("__aging_1_30_c")),
        AGING_31_60 => money(col("__aging_31_60_c")),
        AGING_61_90 => money(col("__aging_61_90_c")),
        AGING_90_PLUS => money(col("__aging_90_plus_c")),
        UTILIZATION => when(col(CREDIT_LIMIT).gt(lit(0.0)))
            .then((money(col("__open_c")) / col(CREDIT_LIMIT)).clip_max(lit(UTILIZATION_CAP)))
            .otherwise(
                when(open.clone().gt(lit(0.0)))
                    .then(lit(UTILIZATION_CAP))
                    .otherwise(lit(0.0)),
            ),
        DISPUTED_SHARE => when(open.clone().gt(lit(0.0)))
            .then(col("__disputed_c").cast(DataType::Float64) / open)
            .otherwise(lit(NULL).cast(DataType::Float64)),
        DAYS_SINCE_LATE_PAYMENT => since("__last_late"),
        DAYS_SINCE_REQUEST => since("__last_request"),
        DAYS_SINCE_ORDER => since("__last_order"),
        TENURE_DAYS => since("__first_issue"),
        INSOLVENCY_FILED => col("__insolvency")
            .fill_null(lit(0i64))
            .gt(lit(0))
            .cast(DataType::Int64),
        TERM_EXTENSIONS_30 | TERM_EXTENSIONS_90 | TERM_EXTENSIONS_365 | LIMIT_INCREASES_30
        | LIMIT_INCREASES_90 | LIMIT_INCREASES_365 | PAYMENT_PLANS_30 | PAYMENT_PLANS_90
        | PAYMENT_PLANS_365 | DENIED_REQUESTS_365 => col(name).fill_null(lit(0i64)),
        OWN_EVENT_SEVERITY_90 | OWN_EVENT_SEVERITY_365 | INDUSTRY_NEWS_SEVERITY_90 => {
            col(name).fill_null(lit(0i64))
        }
        _ => col(name),
    }
    .alias(name)
}

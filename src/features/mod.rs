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
pub mod reference;
mod snapshots;
mod sweep;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::dates;
use crate::exprs::{cents, day, in_window, money, positive, to_cents};
use crate::ingest::Book;
use crate::schema as s;
use names::*;
pub use snapshots::{
    customer_sample, in_customer_sample, into_snapshots, known_on, label, most_labelled_rows,
    snapshot_days, snapshots, snapshots_each, LabelParams,
};

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
    let d = dates::to_days(on);
    let aggregates = sweep::Sweep::for_day(book, d)?
        .days(&[(d, None)])?
        .pop()
        .expect("one frame per day");
    finish(&book.customers, &book.events, aggregates, d, bad_dpd, &[])?.collect()
}

/// The feature frame of day `d` from its per-customer `aggregates` (keyed
/// by customer key): the customer's own columns and its industry's news
/// added, features derived, rows in the order of `aggregates` (the sweep
/// gives them in customer-id order); the `carry` columns of `aggregates`
/// last.
///
/// The customer columns are gathered by key (a customer's key is its row
/// in `book.customers`) and set beside the aggregates: a join would copy
/// every aggregate column once more.
fn finish(
    customers: &DataFrame,
    events: &DataFrame,
    aggregates: DataFrame,
    d: i32,
    bad_dpd: i64,
    carry: &[&str],
) -> PolarsResult<LazyFrame> {
    let keys = aggregates.column(s::CUSTOMER_KEY)?.idx()?;
    let mut customers = customers
        .select([
            s::CUSTOMER_ID,
            s::CREDIT_LIMIT,
            s::PAYMENT_TERMS_DAYS,
            s::INDUSTRY,
        ])?
        .take(keys)?
        .lazy()
        .join_builder()
        .with(industry_news(events, d))
        .how(JoinType::Left)
        .left_on([col(INDUSTRY)])
        .right_on([col(INDUSTRY)])
        .maintain_order(MaintainOrderJoin::Left)
        .finish()
        .collect()?;
    // In one chunk like the aggregates: the output's chunks, and so the
    // bytes of the files written from it, must not depend on how the join
    // split its work.
    customers.rechunk_mut();
    let joined = aggregates.hstack(customers.columns())?.lazy();
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
    Ok(order_bucket_stats(joined)
        .with_columns(derived(d))
        .select(columns))
}

/// One row per invoice issued on or before `d` (with its invoice and
/// customer keys), with its state that day: `__amount`, `__paid` and
/// `__open` (cents), `__issue`, `__due` and
/// `__settled` (day numbers; settled null unless on or before `d`),
/// `__payments` it took to settle (null unless settled by `d`), `__dpd`
/// (days past due while open, else null), `__written_off` (by `d`).
/// Payments made by `d` are summed only for invoices still open on `d`: the
/// others' open amount is 0 whatever they were paid.
/// [`reference::invoice_state`] is the same table by Polars joins, the one
/// the tests hold this to.
pub fn invoice_state(book: &Book, d: i32) -> PolarsResult<DataFrame> {
    invoice_state_where(book, d, lit(true))
}

/// [`invoice_state`]'s rows where `keep` holds, in the same order, built
/// only for them: the nightly run keeps the invoices open or settled
/// lately. `keep` reads the book's invoice columns (`settled_date`,
/// `written_off_date`, ...), so the rows are cut before any state column
/// is built.
///
/// The payments are summed in one pass into a slot per still-open invoice
/// (`paid_into_slots`), not by a semi-join, group-by and join on the
/// keys: at 100k customers the nightly run's state 0.37-0.49 -> 0.28-0.42
/// s (the pass itself 0.08-0.1 s).
pub fn invoice_state_where(book: &Book, d: i32, keep: Expr) -> PolarsResult<DataFrame> {
    let base = book
        .invoices
        .clone()
        .lazy()
        .filter(day(s::ISSUE_DATE).lt_eq(lit(d)).and(keep))
        .select(state_columns(d))
        .collect()?;
    let paid = paid_while_open(book, d, &base)?;
    with_open_and_dpd(
        base.lazy()
            .with_column(lit(Series::new("__paid".into(), paid))),
        d,
    )
    .collect()
}

/// The invoice state's columns before `__paid`, from an invoice's own
/// columns on day `d` (shared with [`reference::invoice_state`]).
pub(crate) fn state_columns(d: i32) -> Vec<Expr> {
    let settled_by_d = day(s::SETTLED_DATE).lt_eq(lit(d));
    vec![
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
    ]
}

/// `__open` and `__dpd` on day `d`, from [`state_columns`] and `__paid`.
pub(crate) fn with_open_and_dpd(state: LazyFrame, d: i32) -> LazyFrame {
    state
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

/// A `keep` for [`invoice_state_where`]: the invoices still open on day `d`
/// (neither settled nor written off by then) and those settled after day
/// `since` (and by `d`), read from the book's columns.
pub fn open_or_settled_after(d: i32, since: i32) -> Expr {
    let by_d = |c: &str| day(c).lt_eq(lit(d)).fill_null(lit(false));
    let open = by_d(s::SETTLED_DATE)
        .not()
        .and(by_d(s::WRITTEN_OFF_DATE).not());
    open.or(by_d(s::SETTLED_DATE).and(day(s::SETTLED_DATE).gt(lit(since))))
}

/// Per row of `state` (invoice state columns before `__paid`): the cents
/// paid by day `d` if the invoice is still open on `d` (neither settled
/// nor written off by then), else 0.
fn paid_while_open(book: &Book, d: i32, state: &DataFrame) -> PolarsResult<Vec<i64>> {
    let keys = state.column(s::INVOICE_KEY)?.idx()?;
    let settled = state.column("__settled")?.i32()?;
    let written_off = state.column("__written_off")?.bool()?;
    let still_open = keys.iter().zip(settled.iter()).zip(written_off.iter()).map(
        |((key, settled), written_off)| match (key, settled, written_off) {
            (Some(key), None, Some(false)) => Some(key),
            _ => None,
        },
    );
    paid_into_slots(book, d, still_open, keys.max())
}

/// The cents paid by day `d` into one slot per item of `keys`: the
/// payments of invoice `key` go to its item's slot; a `None` item takes no
/// payment (0). One pass over the payments, each looked up by its invoice
/// key in a table sized by the largest key (a book cut to a day keeps a
/// subset of the keys).
fn paid_into_slots(
    book: &Book,
    d: i32,
    keys: impl ExactSizeIterator<Item = Option<IdxSize>>,
    largest_key: Option<IdxSize>,
) -> PolarsResult<Vec<i64>> {
    let mut paid = vec![0i64; keys.len()];
    let mut slot_of = vec![u32::MAX; largest_key.map_or(0, |k| k as usize + 1)];
    for (slot, key) in keys.enumerate() {
        if let Some(key) = key {
            slot_of[key as usize] = slot as u32;
        }
    }
    let payments = crate::ingest::PaymentColumns::of(&book.payments)?;
    let (pay_keys, pay_days, pay_money) = payments.slices()?;
    for ((&key, &day), &money) in pay_keys.iter().zip(pay_days).zip(pay_money) {
        match slot_of.get(key as usize) {
            Some(&slot) if slot != u32::MAX && day <= d => paid[slot as usize] += to_cents(money),
            _ => {}
        }
    }
    Ok(paid)
}

/// The total of [`invoice_state`]'s `__open` on day `d` (cents), without
/// building the state: the invoices open on `d` (issued, neither settled
/// nor written off yet) are picked first, then one pass over the payments
/// adds those dated up to `d` into their invoice's slot. The KPIs'
/// beginning balance (at 100k: 0.33 s when every invoice had a slot and
/// the columns were built as frames first, 0.06 s this way).
pub fn open_cents_on(book: &Book, d: i32) -> PolarsResult<i64> {
    let after_d_or_never = |c: &str| day(c).gt(lit(d)).fill_null(lit(true));
    let open = book
        .invoices
        .clone()
        .lazy()
        .filter(
            day(s::ISSUE_DATE)
                .lt_eq(lit(d))
                .and(after_d_or_never(s::SETTLED_DATE))
                .and(after_d_or_never(s::WRITTEN_OFF_DATE)),
        )
        .select([col(s::INVOICE_KEY), cents(s::AMOUNT).alias("__amount")])
        .collect()?;
    let keys = open.column(s::INVOICE_KEY)?.idx()?;
    let amounts = open.column("__amount")?.i64()?;
    let paid = paid_into_slots(book, d, keys.iter(), keys.max())?;
    Ok(amounts
        .iter()
        .zip(&paid)
        .map(|(amount, paid)| (amount.unwrap_or(0) - paid).max(0))
        .sum())
}

/// The open-amount aggregates (cents, counts, days), in this order: zero
/// for a customer with nothing open.
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

/// Industry-wide events (no customer named) in the 90 days to `d`.
fn industry_news(events: &DataFrame, d: i32) -> LazyFrame {
    events
        .clone()
        .lazy()
        .filter(
            col(s::CUSTOMER_KEY)
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

/// The order buckets in currency units (`__m0`..`__m11`), their mean over
/// the eleven months before the last (`__mean`), then its sample variance
/// (`__var`): three steps, each computed once (as one expression the mean
/// was evaluated twelve times over).
fn order_bucket_stats(frame: LazyFrame) -> LazyFrame {
    let money_of = |k: usize| {
        (col(format!("__b{k}"))
            .fill_null(lit(0i64))
            .cast(DataType::Float64)
            / lit(100.0))
        .alias(format!("__m{k}"))
    };
    let m = |k: usize| col(format!("__m{k}"));
    let mean = (1..12).map(m).reduce(|a, x| a + x).unwrap() / lit(11.0);
    let var = (1..12)
        .map(|k| (m(k) - col("__mean")).pow(2))
        .reduce(|a, x| a + x)
        .unwrap()
        / lit(10.0);
    frame
        .with_columns((0..12).map(money_of).collect::<Vec<_>>())
        .with_column(mean.alias("__mean"))
        .with_column(var.alias("__var"))
}

/// Columns computed from the aggregates and [`order_bucket_stats`].
fn derived(d: i32) -> Vec<Expr> {
    let (mean, var) = (col("__mean"), col("__var"));
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
        .then((col("__m0") - mean) / var.sqrt())
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

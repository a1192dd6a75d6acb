//! Labelled training snapshots.
//!
//! Snapshot S sees only rows dated on or before S ([`super::as_of`] filters);
//! its label looks at (S, S + horizon], and only when the training as-of day
//! A has seen that whole window (S + horizon <= A). [`snapshots`] first cuts
//! the book to what was known on A ([`known_on`]), so nothing after A can
//! reach a feature or a label.

use chrono::{Months, NaiveDate};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::names::*;
use crate::dates;
use crate::exprs::day;
use crate::ingest::Book;
use crate::schema as s;

/// The bad-event definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelParams {
    /// Days past due that make an invoice bad. Default 60.
    pub bad_dpd: i64,
    /// Days after the snapshot in which the bad event is looked for. Default 90.
    pub horizon_days: i64,
}

impl Default for LabelParams {
    fn default() -> Self {
        LabelParams {
            bad_dpd: 60,
            horizon_days: 90,
        }
    }
}

/// The book as it was known on `on`: rows dated after it removed, and
/// settlements, write-offs and paid dates after it cleared. A table with
/// nothing dated after `on` (every table, when `on` is the book's last
/// day, as in training) is shared, not copied.
pub fn known_on(book: &Book, on: NaiveDate) -> PolarsResult<Book> {
    let on_day = dates::to_days(on);
    let d = lit(on_day);
    let keep = |df: &DataFrame, date: &str| {
        if nothing_after(df, &[date], on_day)? {
            return Ok(df.clone());
        }
        df.clone()
            .lazy()
            .filter(day(date).lt_eq(d.clone()))
            .collect()
    };
    let invoice_dates = [
        s::ISSUE_DATE,
        s::SETTLED_DATE,
        s::WRITTEN_OFF_DATE,
        s::PAID_DATE,
    ];
    let invoices = if nothing_after(&book.invoices, &invoice_dates, on_day)? {
        book.invoices.clone()
    } else {
        cut_invoices(&book.invoices, on_day)?
    };
    Ok(Book {
        customers: book.customers.clone(),
        invoices,
        payments: keep(&book.payments, s::PAYMENT_DATE)?,
        orders: keep(&book.orders, s::ORDER_DATE)?,
        credit_requests: keep(&book.credit_requests, s::REQUEST_DATE)?,
        events: keep(&book.events, s::EVENT_DATE)?,
        settlement: book.settlement,
    })
}

/// Whether customer `id` is in a sample of `share` of all customers: its
/// [`crate::ingest::stable_hash`], read as a fraction of 2^64, is below
/// `share`. Depends on the id alone, not on row order, book size or
/// platform, so a customer stays in the sample as the book grows.
pub fn in_customer_sample(id: &str, share: f64) -> bool {
    (crate::ingest::stable_hash(id) as f64) < share * 18_446_744_073_709_551_616.0
}

/// The book of the customers in a `share` sample ([`in_customer_sample`]):
/// their invoices, payments of those invoices, orders, requests and own
/// events, and all industry-wide events. Customer keys are renumbered to
/// stay the customers' rows; invoice keys are kept (they need not be rows).
/// The book is taken so that, at 1M customers, the whole is released.
pub fn customer_sample(book: Book, share: f64) -> PolarsResult<Book> {
    let ids: Vec<Option<&str>> = book
        .customers
        .column(s::CUSTOMER_ID)?
        .str()?
        .iter()
        .collect();
    let keep: Vec<bool> = ids
        .par_iter()
        .map(|id| id.is_some_and(|id| in_customer_sample(id, share)))
        .collect();
    let mut next: IdxSize = 0;
    let new_key: Vec<Option<IdxSize>> = keep
        .iter()
        .map(|&k| {
            k.then(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    // Rows of a customer-keyed table, re-keyed; `keep_unkeyed` keeps rows
    // with no customer (industry news).
    let rekey = |df: &DataFrame, keep_unkeyed: bool| -> PolarsResult<DataFrame> {
        let keys = df.column(s::CUSTOMER_KEY)?.idx()?;
        let mask: BooleanChunked = keys
            .iter()
            .map(|k| match k {
                Some(k) => keep[k as usize],
                None => keep_unkeyed,
            })
            .collect();
        let mut out = df.filter(&mask)?;
        let renumbered: IdxCa = out
            .column(s::CUSTOMER_KEY)?
            .idx()?
            .iter()
            .map(|k| k.and_then(|k| new_key[k as usize]))
            .collect();
        out.with_column(renumbered.with_name(s::CUSTOMER_KEY.into()).into_column())?;
        Ok(out)
    };
    let invoices = rekey(&book.invoices, false)?;
    let mut invoice_kept = Vec::new();
    for k in invoices.column(s::INVOICE_KEY)?.idx()?.iter().flatten() {
        let k = k as usize;
        if k >= invoice_kept.len() {
            invoice_kept.resize(k + 1, false);
        }
        invoice_kept[k] = true;
    }
    let paid: BooleanChunked = book
        .payments
        .column(s::INVOICE_KEY)?
        .idx()?
        .iter()
        .map(|k| k.is_some_and(|k| invoice_kept.get(k as usize).copied().unwrap_or(false)))
        .collect();
    let mut customers = book
        .customers
        .filter(&BooleanChunked::from_slice("".into(), &keep))?;
    let n = customers.height() as IdxSize;
    customers
        .with_column(IdxCa::from_vec(s::CUSTOMER_KEY.into(), (0..n).collect()).into_column())?;
    Ok(Book {
        customers,
        payments: book.payments.filter(&paid)?,
        orders: rekey(&book.orders, false)?,
        credit_requests: rekey(&book.credit_requests, false)?,
        events: rekey(&book.events, true)?,
        invoices,
        settlement: book.settlement,
    })
}

/// Whether every date in `columns` of `df` is on or before day `d`.
fn nothing_after(df: &DataFrame, columns: &[&str], d: i32) -> PolarsResult<bool> {
    for c in columns {
        if df
            .column(c)?
            .date()?
            .physical()
            .max()
            .is_some_and(|m| m > d)
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Invoices issued by day `d`, with what happened after `d` cleared.
fn cut_invoices(invoices: &DataFrame, d: i32) -> PolarsResult<DataFrame> {
    let d = lit(d);
    let clear_after = |c: &str| {
        when(day(c).lt_eq(d.clone()))
            .then(col(c))
            .otherwise(lit(NULL).cast(DataType::Date))
            .alias(c)
    };
    invoices
        .clone()
        .lazy()
        .filter(day(s::ISSUE_DATE).lt_eq(d.clone()))
        .with_columns([
            when(day(s::SETTLED_DATE).lt_eq(d.clone()))
                .then(col(s::PAYMENTS_TO_SETTLE))
                .otherwise(lit(NULL).cast(DataType::Int64))
                .alias(s::PAYMENTS_TO_SETTLE),
            clear_after(s::SETTLED_DATE),
            clear_after(s::WRITTEN_OFF_DATE),
            clear_after(s::PAID_DATE),
        ])
        .collect()
}

/// Month ends, every `step_months`, counting back from the last month end on
/// or before `last`, down to the first month end on or after `first`; oldest
/// first.
pub fn snapshot_days(first: NaiveDate, last: NaiveDate, step_months: u32) -> Vec<NaiveDate> {
    let step = step_months.max(1);
    let mut day = dates::month_end(last);
    if day > last {
        day = dates::month_end(day - Months::new(1));
    }
    let mut out = Vec::new();
    while day >= first {
        out.push(day);
        day = dates::month_end(day - Months::new(step));
    }
    out.reverse();
    out
}

/// Per customer with an invoice: is it bad after snapshot `snap`? True when
/// an invoice is unpaid (settled after, or not at all, and not written off
/// yet) on some day in (snap, snap + horizon] on which it is `bad_dpd` or
/// more days past due, or is written off in that window. The caller ensures
/// the window is known.
pub fn label(book: &Book, snap: NaiveDate, params: LabelParams) -> LazyFrame {
    let sd = dates::to_days(snap);
    let end = sd + params.horizon_days as i32;
    let reach = day(s::DUE_DATE) + lit(params.bad_dpd as i32);
    // The first day in the window on which the invoice is bad_dpd past due.
    let first_bad_day = when(reach.clone().gt(lit(sd + 1)))
        .then(reach)
        .otherwise(lit(sd + 1));
    // Unpaid and still a receivable that day: not settled, not written off
    // (a write-off counts through `written_off` below, inside the window only).
    let unpaid_then = day(s::SETTLED_DATE)
        .gt(first_bad_day.clone())
        .fill_null(lit(true))
        .and(
            day(s::WRITTEN_OFF_DATE)
                .gt(first_bad_day.clone())
                .fill_null(lit(true)),
        );
    let overdue_bad = first_bad_day.lt_eq(lit(end)).and(unpaid_then);
    let written_off = day(s::WRITTEN_OFF_DATE)
        .gt(lit(sd))
        .and(day(s::WRITTEN_OFF_DATE).lt_eq(lit(end)))
        .fill_null(lit(false));
    let ids = book
        .customers
        .clone()
        .lazy()
        .select([col(s::CUSTOMER_KEY), col(s::CUSTOMER_ID)]);
    book.invoices
        .clone()
        .lazy()
        .group_by([col(s::CUSTOMER_KEY)])
        .agg([overdue_bad.or(written_off).any(true).alias(BAD)])
        .join(
            ids,
            [col(s::CUSTOMER_KEY)],
            [col(s::CUSTOMER_KEY)],
            JoinArgs::new(JoinType::Inner),
        )
        .select([col(s::CUSTOMER_ID), col(BAD)])
}

/// Training snapshots from what was known on `as_of`: one row per snapshot
/// day (month ends, every `step_months`) and customer active that day and
/// not already in default, with its features and `bad` (null where the
/// window reaches past `as_of`). Sorted by snapshot day, then customer.
pub fn snapshots(
    book: &Book,
    as_of: NaiveDate,
    params: LabelParams,
    step_months: u32,
) -> PolarsResult<DataFrame> {
    into_snapshots(book.clone(), as_of, params, step_months)
}

/// [`snapshots`], taking the book: its big tables are released once
/// bucketed by customer, before the snapshot days are swept (at 100k
/// customers that is ~1 GB less at the peak of `train`).
pub fn into_snapshots(
    book: Book,
    as_of: NaiveDate,
    params: LabelParams,
    step_months: u32,
) -> PolarsResult<DataFrame> {
    let mut frames = Vec::new();
    snapshots_each(book, as_of, params, step_months, |day| {
        frames.push(day.lazy());
        Ok(())
    })?;
    // Days ascend and each day's frame is sorted by customer id: the
    // concatenation is in (as_of, customer_id) order without a sort.
    concat(frames, UnionArgs::default())?.collect()
}

/// The snapshot days from the first invoice's, each with the label
/// parameters when its window is known on `as_of` (`None`: unlabelled).
fn plan(
    first: NaiveDate,
    as_of: NaiveDate,
    params: LabelParams,
    step_months: u32,
) -> Vec<(i32, Option<LabelParams>)> {
    snapshot_days(first, as_of, step_months)
        .into_iter()
        .map(|snap| {
            let labelled = snap + chrono::Duration::days(params.horizon_days) <= as_of;
            (dates::to_days(snap), labelled.then_some(params))
        })
        .collect()
}

/// At most how many labelled rows [`snapshots`] gives on `book`: one per
/// customer and labelled snapshot day. Lets a caller size its vectors once.
pub fn most_labelled_rows(
    book: &Book,
    as_of: NaiveDate,
    params: LabelParams,
    step_months: u32,
) -> PolarsResult<usize> {
    let on = dates::to_days(as_of);
    let first = book
        .invoices
        .column(s::ISSUE_DATE)?
        .date()?
        .physical()
        .iter()
        .flatten()
        .filter(|d| *d <= on)
        .min();
    Ok(first.map_or(0, |first| {
        let days = plan(dates::from_days(first), as_of, params, step_months);
        days.iter().filter(|(_, l)| l.is_some()).count() * book.customers.height()
    }))
}

/// The rows of [`into_snapshots`] handed to `each` a snapshot day at a
/// time, oldest first (a book with no invoice: one frame with no rows), so
/// a caller that keeps only some of each day (training: the labelled rows
/// as vectors) never holds all the days as frames.
pub fn snapshots_each(
    book: Book,
    as_of: NaiveDate,
    params: LabelParams,
    step_months: u32,
    mut each: impl FnMut(DataFrame) -> PolarsResult<()>,
) -> PolarsResult<()> {
    let started = std::time::Instant::now();
    let known = known_on(&book, as_of)?;
    drop(book);
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "book cut to the as-of day"
    );
    let first = known
        .invoices
        .column(s::ISSUE_DATE)?
        .date()?
        .physical()
        .min()
        .map(dates::from_days);
    let Some(first) = first else {
        return each(super::as_of(&known, as_of, params.bad_dpd)?.clear());
    };
    // Every table bucketed by customer once; each snapshot day is then one
    // pass over each customer's own rows (see `sweep`).
    let started = std::time::Instant::now();
    let sweep = super::sweep::Sweep::new(&known)?;
    // Finishing a day reads only the customers and the industry news.
    let Book {
        customers,
        events,
        invoices,
        payments,
        orders,
        credit_requests,
        ..
    } = known;
    drop((invoices, payments, orders, credit_requests));
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "bucketed by customer"
    );
    let days = plan(first, as_of, params, step_months);
    let (mut sweeping, mut finishing, mut handing) = (0, 0, 0);
    // Six days per pass over the customers: their aggregates (~60 MB per
    // day at 100k customers) and finished frames are held together. Since
    // training columns are coded (session 15) `train` peaks far below its
    // target, and six passes in 0.2-0.3 s less sweeping than three, for
    // ~0.3 GB more (docs/performance.md, session 15).
    for group in days.chunks(6) {
        let lap = std::time::Instant::now();
        let aggregates = sweep.days(group)?;
        sweeping += lap.elapsed().as_millis() as u64;
        let lap = std::time::Instant::now();
        let finished: Vec<DataFrame> = aggregates
            .into_par_iter()
            .zip(group)
            .map(|(aggregates, &(d, _))| {
                super::finish(&customers, &events, aggregates, d, params.bad_dpd, &[BAD])?
                    .filter(col(IN_DEFAULT).not())
                    .collect()
            })
            .collect::<PolarsResult<_>>()?;
        finishing += lap.elapsed().as_millis() as u64;
        let lap = std::time::Instant::now();
        finished.into_iter().try_for_each(&mut each)?;
        handing += lap.elapsed().as_millis() as u64;
    }
    tracing::debug!(sweeping, finishing, handing, "snapshot days");
    Ok(())
}

//! The per-customer aggregates the features are made of, for one day or
//! many. Each table is bucketed by customer once (a counting sort on the
//! customer key); customers are then walked in parallel blocks, each
//! customer's own few rows read for several days while they are in cache.
//! Grouping the whole book once per day instead (what
//! [`super::reference`] does) takes minutes over 36 month ends of a
//! 10M-invoice book. The features are derived from these aggregates by the
//! Polars expressions of [`super::finish`], so their definitions live in
//! one place.
//!
//! Contract: [`Sweep::days`] gives, for each day, the frame the reference's
//! group-bys give for it (same names, types and nulls; plus `bad`, the
//! label of [`super::label`]), so that [`super::finish`] turns it into
//! exactly the reference's features (tested on five days of the sample
//! and on every snapshot day of the sample book and of a generated book).

use polars::prelude::*;
use rayon::prelude::*;

use super::names::*;
use super::snapshots::LabelParams;
use super::{OPEN_AGGREGATES, PAYMENT_WINDOWS, REQUEST_COUNTS, REQUEST_WINDOWS};
use crate::exprs::{day, to_cents};
use crate::ingest::Book;
use crate::schema as s;

/// One invoice, as the aggregates need it (day numbers, cents). Kept small
/// (40 bytes; with `Option<i32>` fields it was 56, 450 MB at 100k): the
/// sweep holds every invoice of the book and reads each once per day.
struct Invoice {
    issue: i32,
    due: i32,
    amount: i64,
    /// Day settled, [`NONE`] if never: see [`Invoice::settled`].
    settled: i32,
    /// Day written off, [`NONE`] if never: see [`Invoice::written_off`].
    written_off: i32,
    /// Payments it took to settle, [`NONE`] if unknown.
    payments: i32,
    disputed: bool,
    /// Its payments made before the day it settled, as a range of
    /// [`Sweep::partial`]: the only ones that can count towards an open
    /// invoice on some day.
    partial_from: u32,
    partial_len: u32,
}

/// An [`Invoice`] field that holds nothing.
const NONE: i32 = i32::MAX;

const _: () = assert!(std::mem::size_of::<Invoice>() == 40);

impl Invoice {
    fn settled(&self) -> Option<i32> {
        (self.settled != NONE).then_some(self.settled)
    }

    fn written_off(&self) -> Option<i32> {
        (self.written_off != NONE).then_some(self.written_off)
    }

    fn payments(&self) -> Option<i32> {
        (self.payments != NONE).then_some(self.payments)
    }

    /// Issued by `d` and moving no aggregate but those of
    /// [`InvoicesBefore`] on `d` or any later day: settled by d - 365 (and
    /// not written off after `d`), or never settled and written off by `d`.
    /// (An invoice written off by `d` but settled later is not: it will
    /// count as settled.)
    fn spent_by(&self, d: i32) -> bool {
        self.issue <= d
            && if self.settled == NONE {
                self.written_off <= d
            } else {
                self.settled <= d - SETTLED_REACH
                    && (self.written_off == NONE || self.written_off <= d)
            }
    }
}

struct Order {
    day: i32,
    amount: i64,
}

struct Request {
    day: i32,
    /// Index into [`REQUEST_COUNTS`].
    kind: usize,
    granted: Option<bool>,
}

struct Event {
    day: i32,
    severity: Option<i64>,
    insolvency: bool,
}

/// The book's rows bucketed by customer, customers in id order (their
/// place in [`Sweep::keys`]); each customer's invoices sorted by issue day
/// and orders by order day, so a day's pass stops at the first row after
/// it.
pub struct Sweep {
    /// The customer keys in customer-id order: the order of every frame
    /// [`Sweep::days`] gives, so that the features need no sort.
    keys: Vec<IdxSize>,
    invoices: Buckets<Invoice>,
    partial: PartialPayments,
    orders: Buckets<Order>,
    requests: Buckets<Request>,
    events: Buckets<Event>,
    /// Built by [`Sweep::for_day`]: the one day it can give, and per
    /// customer what the rows left out of the buckets add on that day.
    only: Option<(i32, Before)>,
}

/// For [`Sweep::for_day`]'s day d, per customer (at its place): what its
/// invoices and orders that can no longer move an aggregate add to it.
/// Such an invoice was issued by d and is either settled by d - 365 (the
/// longest payment window reaches back 365 days) or, unsettled on d,
/// written off by d: it is not open, and it counts only towards the
/// first issue, write-offs, having settled anything, and the last late
/// settlement. Such an order is placed by d - 360 (the z-score's buckets
/// reach back 360 days): it counts only towards the first and last order.
#[derive(Clone)]
struct Before {
    invoices: Vec<InvoicesBefore>,
    /// (first, last) order day.
    orders: Vec<Option<(i32, i32)>>,
}

#[derive(Clone, Copy)]
struct InvoicesBefore {
    any: bool,
    first_issue: i32,
    written_off: i64,
    settled: bool,
    last_late: Option<i32>,
}

impl Default for InvoicesBefore {
    fn default() -> Self {
        InvoicesBefore {
            any: false,
            first_issue: i32::MAX,
            written_off: 0,
            settled: false,
            last_late: None,
        }
    }
}

impl InvoicesBefore {
    /// Adds an invoice [`Invoice::spent_by`] day `d`: what it adds on `d`
    /// it adds on every later day.
    fn add(&mut self, inv: &Invoice, d: i32) {
        self.any = true;
        self.first_issue = self.first_issue.min(inv.issue);
        self.written_off += (inv.written_off <= d) as i64;
        if let Some(st) = inv.settled() {
            self.settled = true;
            if st > inv.due {
                self.last_late = self.last_late.max(Some(st));
            }
        }
    }

    fn merge(mut self, other: &InvoicesBefore) -> InvoicesBefore {
        self.any |= other.any;
        self.first_issue = self.first_issue.min(other.first_issue);
        self.written_off += other.written_off;
        self.settled |= other.settled;
        self.last_late = self.last_late.max(other.last_late);
        self
    }
}

/// One customer's walk over its rows as days go by: the first `from` of
/// its invoices (by issue day) were [`Invoice::spent_by`] an earlier day of
/// the walk, and are summed in `spent` instead of walked again; `issued`
/// invoices are issued by the day, and of its orders (by day) `placed` are
/// placed by the day and `recent` by the day's [`ORDER_REACH`] back. The
/// cursors only move forward, a few rows a month, where a binary search
/// per day cost ~7 dependent loads each. Valid while days do not go back
/// ([`Carry::at`] starts afresh when they do).
#[derive(Default)]
struct Carry {
    day: i32,
    from: usize,
    spent: InvoicesBefore,
    issued: usize,
    recent: usize,
    placed: usize,
}

impl Carry {
    /// Brought to day `d` over `invoices` (sorted by issue day) and
    /// `orders` (sorted by day): the longest run of invoices from the start
    /// that is spent by `d` is summed, and the cursors moved to `d`.
    fn at(&mut self, invoices: &[Invoice], orders: &[Order], d: i32) -> &Carry {
        if d < self.day {
            *self = Carry::default();
        }
        self.day = d;
        while let Some(inv) = invoices.get(self.from).filter(|i| i.spent_by(d)) {
            self.spent.add(inv, d);
            self.from += 1;
        }
        advance(&mut self.issued, invoices, |i| i.issue <= d);
        advance(&mut self.placed, orders, |o| o.day <= d);
        advance(&mut self.recent, orders, |o| o.day <= d - ORDER_REACH);
        self
    }

    /// What [`Carry::at`] gives for `d` alone, by binary search (no walk
    /// before it: nothing spent is summed).
    fn fresh(invoices: &[Invoice], orders: &[Order], d: i32) -> Carry {
        Carry {
            day: d,
            issued: invoices.partition_point(|i| i.issue <= d),
            placed: orders.partition_point(|o| o.day <= d),
            recent: orders.partition_point(|o| o.day <= d - ORDER_REACH),
            ..Carry::default()
        }
    }
}

/// Moves cursor `at` past the rows from it on that `passed` holds for
/// (`rows` sorted so that it holds for a prefix of them).
fn advance<T>(at: &mut usize, rows: &[T], passed: impl Fn(&T) -> bool) {
    while rows.get(*at).is_some_and(&passed) {
        *at += 1;
    }
}

/// How far back a settlement still moves a payment aggregate (the longest
/// payment window; the trend's earlier window, 90-180 days, lies within).
const SETTLED_REACH: i32 = {
    let mut longest = 0;
    let mut i = 0;
    while i < PAYMENT_WINDOWS.len() {
        if PAYMENT_WINDOWS[i] > longest {
            longest = PAYMENT_WINDOWS[i];
        }
        i += 1;
    }
    longest
};
const _: () = assert!(SETTLED_REACH >= 180);
/// How far back an order still moves an order aggregate (the z-score's
/// twelve 30-day buckets).
const ORDER_REACH: i32 = 360;

/// (day, cents) of the payments made before their invoice settled, which
/// [`Invoice::partial_from`] points into.
type PartialPayments = Vec<(i32, i64)>;

/// One table's rows grouped by customer key in one vector (a counting
/// sort): customer `c`'s rows are `rows[start[c]..start[c + 1]]`, in table
/// order until [`Buckets::sort_by_day`].
struct Buckets<T> {
    rows: Vec<T>,
    start: Vec<usize>,
}

impl<T: Send> Buckets<T> {
    /// The rows of a table whose row `i` belongs to customer key `keys[i]`
    /// (a null key leaves the row out), each built by `row(i)`, bucketed at
    /// the key's place `place[key]`.
    fn new(place: &[u32], keys: &IdxCa, row: impl Fn(usize) -> T + Sync) -> Buckets<T> {
        let places = keys
            .iter()
            .map(|k| k.map_or(NO_PLACE, |k| place[k as usize]))
            .collect();
        Self::at_places(place.len(), places, row)
    }

    /// [`Self::new`] with each row's place given ([`NO_PLACE`] leaves it
    /// out).
    fn at_places(customers: usize, keys: Vec<u32>, row: impl Fn(usize) -> T + Sync) -> Buckets<T> {
        let mut start = vec![0usize; customers + 1];
        for &k in keys.iter().filter(|&&k| k != NO_PLACE) {
            start[k as usize + 1] += 1;
        }
        for c in 1..start.len() {
            start[c] += start[c - 1];
        }
        // Row numbers grouped by customer, in table order within each.
        let mut next = start.clone();
        let mut order = vec![0u32; start[customers]];
        for (i, k) in keys.into_iter().enumerate() {
            if k != NO_PLACE {
                order[next[k as usize]] = i as u32;
                next[k as usize] += 1;
            }
        }
        let rows = order.into_par_iter().map(|i| row(i as usize)).collect();
        Buckets { rows, start }
    }

    fn of(&self, c: usize) -> &[T] {
        &self.rows[self.start[c]..self.start[c + 1]]
    }

    fn customers(&self) -> usize {
        self.start.len() - 1
    }

    /// Sorts each customer's rows by `day`. Rows of one day may come in any
    /// (deterministic) order: every aggregate is a sum, count, min or max.
    fn sort_by_day(&mut self, day: impl Fn(&T) -> i32 + Sync) {
        let mut slices = Vec::with_capacity(self.customers());
        let mut rest = self.rows.as_mut_slice();
        for bounds in self.start.windows(2) {
            let (mine, tail) = rest.split_at_mut(bounds[1] - bounds[0]);
            slices.push(mine);
            rest = tail;
        }
        slices
            .into_par_iter()
            .with_min_len(1024)
            .for_each(|rows| rows.sort_unstable_by_key(&day));
    }
}

/// Numeric column `c` of `df` (in one chunk), read by row number.
fn array<'a, T: PolarsNumericType>(
    df: &'a DataFrame,
    c: &str,
) -> PolarsResult<impl Fn(usize) -> Option<T::Native> + Sync + 'a> {
    let ca: &ChunkedArray<T> = df.column(c)?.as_materialized_series().unpack()?;
    polars_ensure!(ca.chunks().len() == 1, ComputeError: "column {c} is not in one chunk");
    let values = ca.downcast_iter().next().expect("one chunk");
    Ok(move |i| values.get(i))
}

/// Boolean column `c` of `df` (in one chunk), read by row number.
fn bools<'a>(
    df: &'a DataFrame,
    c: &str,
) -> PolarsResult<impl Fn(usize) -> Option<bool> + Sync + 'a> {
    let ca = df.column(c)?.bool()?;
    polars_ensure!(ca.chunks().len() == 1, ComputeError: "column {c} is not in one chunk");
    let values = ca.downcast_iter().next().expect("one chunk");
    Ok(move |i| values.get(i))
}

/// The customer key of rows whose `required` columns all hold a value,
/// null for the others (left out of [`Buckets`]).
fn key_where_present(required: &[&str]) -> Expr {
    let present = required
        .iter()
        .map(|c| col(*c).is_not_null())
        .reduce(Expr::and)
        .unwrap_or(lit(true));
    when(present)
        .then(col(s::CUSTOMER_KEY))
        .otherwise(lit(NULL).cast(IDX_DTYPE))
        .alias(s::CUSTOMER_KEY)
}

/// A required value of a row [`key_where_present`] kept.
fn present<T>(value: Option<T>) -> T {
    value.expect("a bucketed row has its required values")
}

/// `df`'s customer keys.
fn keys(df: &DataFrame) -> PolarsResult<IdxCa> {
    Ok(df.column(s::CUSTOMER_KEY)?.idx()?.clone())
}

/// `lf` collected with every column in one chunk.
fn collect_one_chunk(lf: LazyFrame) -> PolarsResult<DataFrame> {
    let mut df = lf.collect()?;
    df.rechunk_mut();
    Ok(df)
}

/// `columns` of `df`, each in one chunk: `df`'s own buffers when they
/// already are (ingest leaves the book so), else a copy.
fn in_one_chunk(df: &DataFrame, columns: &[&str]) -> PolarsResult<DataFrame> {
    let mut out = df.select(columns.iter().copied())?;
    out.rechunk_mut();
    Ok(out)
}

/// Date column `c` of `df` (in one chunk) as day numbers, read by row
/// number.
fn dates<'a>(
    df: &'a DataFrame,
    c: &str,
) -> PolarsResult<impl Fn(usize) -> Option<i32> + Sync + 'a> {
    let ca = df.column(c)?.date()?.physical();
    polars_ensure!(ca.chunks().len() == 1, ComputeError: "column {c} is not in one chunk");
    let values = ca.downcast_iter().next().expect("one chunk");
    Ok(move |i| values.get(i))
}

/// A row's place in [`Buckets::at_places`] that leaves it out.
const NO_PLACE: u32 = u32::MAX;

/// Each row's place (`place[customer key]`), [`NO_PLACE`] for a row
/// without a customer key or whose `required` values are not all there.
fn places_where(
    df: &DataFrame,
    place: &[u32],
    required: impl Fn(usize) -> bool,
) -> PolarsResult<Vec<u32>> {
    Ok(df
        .column(s::CUSTOMER_KEY)?
        .idx()?
        .iter()
        .enumerate()
        .map(|(i, k)| match k {
            Some(k) if required(i) => place[k as usize],
            _ => NO_PLACE,
        })
        .collect())
}

impl Sweep {
    /// Buckets every table of `book` by customer key (invoices and orders,
    /// the big ones, side by side).
    pub fn new(book: &Book) -> PolarsResult<Sweep> {
        Self::build(book, None)
    }

    /// A sweep for day `d` alone ([`Self::days`] refuses any other, and
    /// labels): the invoices and orders that can no longer move an
    /// aggregate on `d` (see [`Before`]) are summed per customer instead of
    /// bucketed, about two thirds of a 3-year book. The frame is the one
    /// [`Self::new`] gives for `d` (tested).
    pub fn for_day(book: &Book, d: i32) -> PolarsResult<Sweep> {
        Self::build(book, Some(d))
    }

    fn build(book: &Book, only: Option<i32>) -> PolarsResult<Sweep> {
        let customers = &book.customers;
        // A customer's key is its row (ingest numbers them so).
        polars_ensure!(
            customers.column(s::CUSTOMER_KEY)?.idx()?.into_no_null_iter().enumerate()
                .all(|(row, k)| k as usize == row),
            ComputeError: "customer keys are not the row numbers of the customers"
        );
        let keys: Vec<IdxSize> = customers
            .column(s::CUSTOMER_ID)?
            .as_materialized_series()
            .arg_sort(SortOptions::default())
            .into_no_null_iter()
            .collect();
        let mut place = vec![0u32; keys.len()];
        for (at, &k) in keys.iter().enumerate() {
            place[k as usize] = at as u32;
        }
        let (invoices, orders) = rayon::join(
            || invoices_by_customer(book, &place, only),
            || orders_by_customer(book, &place, only),
        );
        let (invoices, partial, invoices_before) = invoices?;
        let (orders, orders_before) = orders?;
        let only = match (only, invoices_before, orders_before) {
            (Some(d), Some(invoices), Some(orders)) => Some((d, Before { invoices, orders })),
            _ => None,
        };
        Ok(Sweep {
            invoices,
            partial,
            orders,
            requests: requests_by_customer(book, &place)?,
            events: events_by_customer(book, &place)?,
            keys,
            only,
        })
    }

    /// For each `(d, label)` of `days`: the aggregates of day `d` (keyed by
    /// customer key, customers with an invoice issued by `d`, in customer-id
    /// order)
    /// and, when `label` is given, the `bad` column of [`super::label`];
    /// else `bad` is null.
    ///
    /// Customers are the outer loop (in parallel blocks) and days the inner
    /// one, so each customer's rows are read from memory once for all the
    /// days and then stay in cache: with days outside, every day streamed
    /// the whole book from memory again. Pass a few days at a time: all
    /// their aggregate columns and frames are held at once.
    pub fn days(&self, days: &[(i32, Option<LabelParams>)]) -> PolarsResult<Vec<DataFrame>> {
        if let Some((only, _)) = &self.only {
            polars_ensure!(
                days.iter().all(|&(d, label)| d == *only && label.is_none()),
                ComputeError: "a sweep for one day gives that day alone, without labels"
            );
        }
        self.days_in_blocks(days, 2048, true)
    }

    /// [`Self::days`] with customers taken `block` at a time; without
    /// `carry`, every day walks all of a customer's invoices (for tests).
    fn days_in_blocks(
        &self,
        days: &[(i32, Option<LabelParams>)],
        block: usize,
        carry: bool,
    ) -> PolarsResult<Vec<DataFrame>> {
        let n = self.invoices.customers();
        // Per block, per day: that day's aggregate columns for the block's
        // customers, filled as each customer is walked.
        let blocks: Vec<Vec<Columns>> = (0..n.div_ceil(block))
            .into_par_iter()
            .map(|b| {
                let customers = b * block..((b + 1) * block).min(n);
                let mut per_day: Vec<Columns> =
                    days.iter().map(|_| Columns::new(customers.len())).collect();
                let mut scratch = Vec::new();
                let mut spans = BadSpans::default();
                for c in customers {
                    spans.clear();
                    let mut walk = Carry::default();
                    for (columns, &(d, label)) in per_day.iter_mut().zip(days) {
                        let bad = label.map(|p| spans.of(self.invoices.of(c), p).bad(d, p));
                        if let Some(a) = self.customer(c, d, bad, carry.then_some(&mut walk)) {
                            columns.push(&a, &mut scratch);
                        }
                    }
                }
                per_day
            })
            .collect();
        // Blocks are in customer order: each day's columns, block after
        // block.
        let mut by_day: Vec<Vec<Columns>> = days.iter().map(|_| Vec::new()).collect();
        for per_day in blocks {
            for (day, columns) in by_day.iter_mut().zip(per_day) {
                day.push(columns);
            }
        }
        by_day.into_iter().map(columns_to_frame).collect()
    }

    /// Customer `c`'s aggregates on day `d` (`None` if it has no invoice
    /// issued by then), with `bad` as its label. `carry` is `c`'s walk
    /// over the earlier days of this pass: the invoices it has summed are
    /// not walked again (`None`: all are walked).
    fn customer(
        &self,
        c: usize,
        d: i32,
        bad: Option<bool>,
        carry: Option<&mut Carry>,
    ) -> Option<Agg> {
        let (all, orders) = (self.invoices.of(c), self.orders.of(c));
        let fresh;
        let carry = match carry {
            Some(carry) => carry.at(all, orders, d),
            None => {
                fresh = Carry::fresh(all, orders, d);
                &fresh
            }
        };
        // The spent invoices are issued by d ([`Invoice::spent_by`]), so
        // `from <= issued`: the rest of those issued by d are walked.
        let invoices = &all[carry.from..carry.issued];
        let mut a = Agg {
            key: self.keys[c],
            ..Agg::default()
        };
        let mut active = false;
        let mut first_issue = i32::MAX;
        let mut behaviour = Behaviour::default();
        let mut any_settled = false;
        for inv in invoices {
            active = true;
            first_issue = first_issue.min(inv.issue);
            let written = inv.written_off().is_some_and(|w| w <= d);
            a.written_off += written as i64;
            let settled = inv.settled().filter(|st| *st <= d);
            let open = if settled.is_some() || written {
                0
            } else {
                let from = inv.partial_from as usize;
                let paid: i64 = self.partial[from..from + inv.partial_len as usize]
                    .iter()
                    .filter(|(day, _)| *day <= d)
                    .map(|(_, c)| c)
                    .sum();
                (inv.amount - paid).max(0)
            };
            if open > 0 {
                let dpd = d - inv.due;
                a.open += open;
                a.open_invoices += 1;
                if inv.disputed {
                    a.disputed += open;
                }
                if dpd > 0 {
                    a.overdue += open;
                    a.max_dpd = a.max_dpd.max(dpd as i64);
                }
                let bucket = match dpd {
                    i32::MIN..=0 => 0,
                    1..=30 => 1,
                    31..=60 => 2,
                    61..=90 => 3,
                    _ => 4,
                };
                a.aging[bucket] += open;
            }
            if let Some(st) = settled {
                any_settled = true;
                behaviour.add(inv, st, d);
            }
        }
        let only = self.only.as_ref().map(|(_, before)| &before.invoices[c]);
        for b in [Some(&carry.spent), only].into_iter().flatten() {
            active |= b.any;
            first_issue = first_issue.min(b.first_issue);
            a.written_off += b.written_off;
            any_settled |= b.settled;
            behaviour.last_late = behaviour.last_late.max(b.last_late);
        }
        if !active {
            return None;
        }
        a.first_issue = first_issue;
        a.behaviour = any_settled.then_some(behaviour);
        a.requests = self.requests_of(c, d);
        a.orders = self.orders_of(c, d, carry);
        a.events = self.events_of(c, d);
        a.bad = bad;
        Some(a)
    }

    fn requests_of(&self, c: usize, d: i32) -> Option<Requests> {
        let mut r = Requests::default();
        let mut any = false;
        for q in self.requests.of(c).iter().filter(|q| q.day <= d) {
            any = true;
            r.last = r.last.max(Some(q.day));
            for (w, &days) in REQUEST_WINDOWS.iter().enumerate() {
                if q.day > d - days && q.kind < REQUEST_COUNTS.len() {
                    r.counts[q.kind][w] += 1;
                }
            }
            if q.granted == Some(false) && q.day > d - 365 {
                r.denied += 1;
            }
        }
        any.then_some(r)
    }

    /// `at`: the customer's cursors on `d` ([`Carry`]).
    fn orders_of(&self, c: usize, d: i32, at: &Carry) -> Option<Orders> {
        let mut o = Orders {
            first: i32::MAX,
            last: i32::MIN,
            ..Orders::default()
        };
        let orders = self.orders.of(c);
        let placed = at.placed;
        let before = self.only.as_ref().and_then(|(_, b)| b.orders[c]);
        if placed == 0 && before.is_none() {
            return None;
        }
        // Orders are sorted by day; those of `before` all come earlier.
        o.first = match before {
            Some((first, _)) => first,
            None => orders[0].day,
        };
        o.last = match placed {
            0 => before.map_or(i32::MIN, |(_, last)| last),
            _ => orders[placed - 1].day,
        };
        // Older orders fall in no window.
        for order in &orders[at.recent..placed] {
            let age = d - order.day;
            match age {
                0..=89 => {
                    o.amount[0] += order.amount;
                    o.count[0] += 1;
                }
                90..=179 => {
                    o.amount[1] += order.amount;
                    o.count[1] += 1;
                }
                _ => {}
            }
            if age < 360 {
                o.buckets[(age / 30) as usize] += order.amount;
            }
        }
        Some(o)
    }

    fn events_of(&self, c: usize, d: i32) -> Option<Events> {
        let mut e = Events::default();
        let mut any = false;
        for ev in self.events.of(c).iter().filter(|e| e.day <= d) {
            any = true;
            if ev.day > d - 90 {
                e.severity_90 = e.severity_90.max(ev.severity);
            }
            if ev.day > d - 365 {
                e.severity_365 = e.severity_365.max(ev.severity);
            }
            e.insolvency += ev.insolvency as i64;
        }
        any.then_some(e)
    }
}

/// Invoices by customer, each customer's sorted by issue day, and the
/// payments they point into ([`Sweep::partial`]).
/// With `only` (a day d), the invoices that can no longer move an aggregate
/// on d, or issued after it, are left out, and what the former add is
/// summed per customer (see [`Before`]).
///
/// The book's columns are read in place (no column is derived from them
/// first: at 100k customers each derived column was 34-67 MB).
#[allow(clippy::type_complexity)]
fn invoices_by_customer(
    book: &Book,
    place: &[u32],
    only: Option<i32>,
) -> PolarsResult<(
    Buckets<Invoice>,
    PartialPayments,
    Option<Vec<InvoicesBefore>>,
)> {
    let inv = in_one_chunk(
        &book.invoices,
        &[
            s::CUSTOMER_KEY,
            s::ISSUE_DATE,
            s::DUE_DATE,
            s::AMOUNT,
            s::DISPUTED,
            s::SETTLED_DATE,
            s::PAYMENTS_TO_SETTLE,
            s::WRITTEN_OFF_DATE,
        ],
    )?;
    let settled = dates(&inv, s::SETTLED_DATE)?;
    // Payments before settlement, per invoice row.
    let mut early: Vec<(usize, i32, i64)> = Vec::new();
    {
        let pay = in_one_chunk(
            &book.payments,
            &[s::INVOICE_KEY, s::PAYMENT_DATE, s::AMOUNT],
        )?;
        // `inv` keeps the rows of `book.invoices`, in order.
        let row_of_key = crate::ingest::InvoiceRows::new(&book.invoices)?;
        // (invoice row, day, cents) of the payments before settlement: few.
        let (pay_days, pay_money) = (
            dates(&pay, s::PAYMENT_DATE)?,
            array::<Float64Type>(&pay, s::AMOUNT)?,
        );
        for (i, k) in pay.column(s::INVOICE_KEY)?.idx()?.iter().enumerate() {
            let Some(row) = k.and_then(|k| row_of_key.row(k)) else {
                continue;
            };
            let (Some(d), Some(money)) = (pay_days(i), pay_money(i)) else {
                continue;
            };
            if settled(row).is_none_or(|st| d < st) {
                early.push((row, d, to_cents(money)));
            }
        }
    }
    tracing::debug!(early = early.len(), "sweep: early payments");
    early.sort_unstable();
    let partial: Vec<(i32, i64)> = early.iter().map(|&(_, d, c)| (d, c)).collect();
    // Row r's early payments are partial[partial_start[r]..partial_start[r + 1]].
    let mut partial_start = vec![0u32; inv.height() + 1];
    for &(row, _, _) in &early {
        partial_start[row + 1] += 1;
    }
    drop(early);
    for r in 1..partial_start.len() {
        partial_start[r] += partial_start[r - 1];
    }
    let (issue, due, amount) = (
        dates(&inv, s::ISSUE_DATE)?,
        dates(&inv, s::DUE_DATE)?,
        array::<Float64Type>(&inv, s::AMOUNT)?,
    );
    let disputed = bools(&inv, s::DISPUTED)?;
    let payments = array::<Int64Type>(&inv, s::PAYMENTS_TO_SETTLE)?;
    let written_off = dates(&inv, s::WRITTEN_OFF_DATE)?;
    let mut places = places_where(&inv, place, |i| {
        issue(i).is_some() && due(i).is_some() && amount(i).is_some()
    })?;
    let before = match only {
        None => None,
        Some(d) => {
            // Whether row i is summed into `before` instead of bucketed.
            let gone = |i: usize| {
                let settled = settled(i).filter(|&st| st <= d);
                match settled {
                    Some(st) => st <= d - SETTLED_REACH,
                    None => written_off(i).is_some_and(|w| w <= d),
                }
            };
            let before = places
                .par_iter()
                .enumerate()
                .fold(
                    || vec![InvoicesBefore::default(); place.len()],
                    |mut before, (i, &at)| {
                        if at == NO_PLACE {
                            return before;
                        }
                        let issue = present(issue(i));
                        if issue > d || !gone(i) {
                            return before;
                        }
                        let b = &mut before[at as usize];
                        b.any = true;
                        b.first_issue = b.first_issue.min(issue);
                        b.written_off += written_off(i).is_some_and(|w| w <= d) as i64;
                        if let Some(st) = settled(i).filter(|&st| st <= d) {
                            b.settled = true;
                            if st > present(due(i)) {
                                b.last_late = b.last_late.max(Some(st));
                            }
                        }
                        before
                    },
                )
                .reduce_with(|a, b| a.iter().zip(&b).map(|(a, b)| a.merge(b)).collect())
                .unwrap_or_else(|| vec![InvoicesBefore::default(); place.len()]);
            places.par_iter_mut().enumerate().for_each(|(i, at)| {
                if *at != NO_PLACE && (present(issue(i)) > d || gone(i)) {
                    *at = NO_PLACE;
                }
            });
            tracing::debug!("sweep: invoices before the day summed");
            Some(before)
        }
    };
    let mut invoices = Buckets::at_places(place.len(), places, |row| {
        let partial_from = partial_start[row];
        Invoice {
            issue: present(issue(row)),
            due: present(due(row)),
            amount: to_cents(present(amount(row))),
            settled: settled(row).unwrap_or(NONE),
            written_off: written_off(row).unwrap_or(NONE),
            payments: payments(row).map_or(NONE, |p| p.min(NONE as i64 - 1) as i32),
            disputed: disputed(row).unwrap_or(false),
            partial_from,
            partial_len: partial_start[row + 1] - partial_from,
        }
    });
    invoices.sort_by_day(|i| i.issue);
    tracing::debug!(rows = invoices.rows.len(), "sweep: invoices bucketed");
    Ok((invoices, partial, before))
}

/// Orders by customer, each customer's sorted by day, read in place.
/// With `only` (a day d), the orders placed after d or by d - 360 are left
/// out, and the first and last day of the latter kept per customer (see
/// [`Before`]).
#[allow(clippy::type_complexity)]
fn orders_by_customer(
    book: &Book,
    place: &[u32],
    only: Option<i32>,
) -> PolarsResult<(Buckets<Order>, Option<Vec<Option<(i32, i32)>>>)> {
    let ord = in_one_chunk(&book.orders, &[s::CUSTOMER_KEY, s::ORDER_DATE, s::AMOUNT])?;
    let (days, amounts) = (
        dates(&ord, s::ORDER_DATE)?,
        array::<Float64Type>(&ord, s::AMOUNT)?,
    );
    let mut places = places_where(&ord, place, |i| days(i).is_some() && amounts(i).is_some())?;
    let before = match only {
        None => None,
        Some(d) => {
            let span = |a: Option<(i32, i32)>, b: Option<(i32, i32)>| match (a, b) {
                (Some((f1, l1)), Some((f2, l2))) => Some((f1.min(f2), l1.max(l2))),
                (a, b) => a.or(b),
            };
            let before = places
                .par_iter()
                .enumerate()
                .fold(
                    || vec![None; place.len()],
                    |mut before: Vec<Option<(i32, i32)>>, (i, &at)| {
                        if at != NO_PLACE {
                            let day = present(days(i));
                            if day <= d - ORDER_REACH {
                                let b = &mut before[at as usize];
                                *b = span(*b, Some((day, day)));
                            }
                        }
                        before
                    },
                )
                .reduce_with(|a, b| a.iter().zip(&b).map(|(a, b)| span(*a, *b)).collect())
                .unwrap_or_else(|| vec![None; place.len()]);
            places.par_iter_mut().enumerate().for_each(|(i, at)| {
                if *at != NO_PLACE {
                    let day = present(days(i));
                    if day > d || day <= d - ORDER_REACH {
                        *at = NO_PLACE;
                    }
                }
            });
            Some(before)
        }
    };
    let mut orders = Buckets::at_places(place.len(), places, |i| Order {
        day: present(days(i)),
        amount: to_cents(present(amounts(i))),
    });
    orders.sort_by_day(|o| o.day);
    tracing::debug!(rows = orders.rows.len(), "sweep: orders bucketed");
    Ok((orders, before))
}

/// Credit requests by customer.
fn requests_by_customer(book: &Book, place: &[u32]) -> PolarsResult<Buckets<Request>> {
    let req = collect_one_chunk(book.credit_requests.clone().lazy().select([
        key_where_present(&[s::REQUEST_DATE]),
        day(s::REQUEST_DATE),
        col(s::KIND),
        col(s::GRANTED),
    ]))?;
    let days = array::<Int32Type>(&req, s::REQUEST_DATE)?;
    let kinds: Vec<Option<&str>> = req.column(s::KIND)?.str()?.iter().collect();
    let granted = bools(&req, s::GRANTED)?;
    let requests = Buckets::new(place, &keys(&req)?, |i| {
        let kind = kinds[i].and_then(|k| REQUEST_COUNTS.iter().position(|(x, _)| *x == k));
        Request {
            day: present(days(i)),
            kind: kind.unwrap_or(usize::MAX),
            granted: granted(i),
        }
    });
    Ok(requests)
}

/// The customers' own events.
fn events_by_customer(book: &Book, place: &[u32]) -> PolarsResult<Buckets<Event>> {
    let ev = collect_one_chunk(book.events.clone().lazy().select([
        key_where_present(&[s::EVENT_DATE]),
        day(s::EVENT_DATE),
        col(s::SEVERITY),
        col(s::KIND),
    ]))?;
    let (days, severity) = (
        array::<Int32Type>(&ev, s::EVENT_DATE)?,
        array::<Int64Type>(&ev, s::SEVERITY)?,
    );
    let kinds: Vec<Option<&str>> = ev.column(s::KIND)?.str()?.iter().collect();
    let events = Buckets::new(place, &keys(&ev)?, |i| Event {
        day: present(days(i)),
        severity: severity(i),
        insolvency: kinds[i] == Some(s::EVENT_INSOLVENCY_FILING),
    });
    Ok(events)
}

/// What [`bad_after`] reads of one customer's invoices, for one bad-event
/// definition: only the invoices that can ever make a label bad, found
/// once for all the days of a pass (most invoices are paid before they
/// are `bad_dpd` days past due and never written off, and cannot).
#[derive(Default)]
struct BadSpans {
    /// The definition the spans were found for, `None` until found.
    params: Option<LabelParams>,
    spans: Vec<BadSpan>,
}

/// An invoice that was unpaid `bad_dpd` days past due, or written off.
struct BadSpan {
    issue: i32,
    /// Days on which it was `bad_dpd` or more days past due and unpaid
    /// (`first > last`: none).
    first: i32,
    last: i32,
    written_off: i32,
}

impl BadSpans {
    fn clear(&mut self) {
        self.params = None;
        self.spans.clear();
    }

    /// The spans of `invoices` for `p`, found on the first call after
    /// [`Self::clear`] (or when `p` changes).
    fn of(&mut self, invoices: &[Invoice], p: LabelParams) -> &BadSpans {
        if self.params != Some(p) {
            self.params = Some(p);
            self.spans.clear();
            self.spans.extend(invoices.iter().filter_map(|inv| {
                let first = inv.due.saturating_add(p.bad_dpd as i32);
                // Unpaid up to the day before it settled or was written
                // off (NONE: never).
                let last = inv.settled.min(inv.written_off).saturating_sub(1);
                (first <= last || inv.written_off != NONE).then_some(BadSpan {
                    issue: inv.issue,
                    first,
                    last,
                    written_off: inv.written_off,
                })
            }));
        }
        self
    }

    /// [`bad_after`] for the snapshot day `snap`: some invoice issued by
    /// the window's end is `bad_dpd` days past due and unpaid on a day of
    /// the window (snap, snap + horizon], or written off in it.
    fn bad(&self, snap: i32, p: LabelParams) -> bool {
        let end = snap + p.horizon_days as i32;
        self.spans.iter().any(|s| {
            let overdue_bad = s.first.max(snap + 1) <= s.last.min(end);
            let written = s.written_off != NONE && s.written_off > snap && s.written_off <= end;
            s.issue <= end && (overdue_bad || written)
        })
    }
}

/// [`super::label`] for one customer's invoices (sorted by issue day): the
/// plain statement of what [`BadSpans::bad`] finds faster (tested equal).
#[cfg(test)]
fn bad_after(invoices: &[Invoice], snap: i32, p: LabelParams) -> bool {
    let end = snap + p.horizon_days as i32;
    // An invoice issued after the window can neither reach bad_dpd (its
    // due day is on or after its issue day) nor be written off in it.
    let relevant = invoices.partition_point(|i| i.issue <= end);
    invoices[..relevant].iter().any(|inv| {
        let first_bad = (inv.due + p.bad_dpd as i32).max(snap + 1);
        let unpaid_then = inv.settled().is_none_or(|st| st > first_bad)
            && inv.written_off().is_none_or(|w| w > first_bad);
        let overdue_bad = first_bad <= end && unpaid_then;
        let written = inv.written_off().is_some_and(|w| w > snap && w <= end);
        overdue_bad || written
    })
}

#[derive(Default)]
struct Agg {
    key: IdxSize,
    open: i64,
    overdue: i64,
    open_invoices: i64,
    max_dpd: i64,
    aging: [i64; 5],
    disputed: i64,
    first_issue: i32,
    written_off: i64,
    behaviour: Option<Behaviour>,
    requests: Option<Requests>,
    orders: Option<Orders>,
    events: Option<Events>,
    bad: Option<bool>,
}

/// Settled invoices per payment window ([`PAYMENT_WINDOWS`]).
#[derive(Default)]
struct Behaviour {
    n: [i64; 3],
    late: [i64; 3],
    late15: [i64; 3],
    num: [i64; 3],
    den: [i64; 3],
    max_late: [Option<i64>; 3],
    /// Rows whose payment count is known, and those with more than one.
    counted: [i64; 3],
    partial: [i64; 3],
    prev_num: i64,
    prev_den: i64,
    last_late: Option<i32>,
}

impl Behaviour {
    fn add(&mut self, inv: &Invoice, settled: i32, d: i32) {
        let late = settled - inv.due;
        let beyond = late.max(0) as i64;
        for (w, &days) in PAYMENT_WINDOWS.iter().enumerate() {
            if settled > d - days {
                self.n[w] += 1;
                self.late[w] += (late > 0) as i64;
                self.late15[w] += (late > 15) as i64;
                self.num[w] += inv.amount * beyond;
                self.den[w] += inv.amount;
                self.max_late[w] = self.max_late[w].max(Some(beyond));
                if let Some(p) = inv.payments() {
                    self.counted[w] += 1;
                    self.partial[w] += (p > 1) as i64;
                }
            }
        }
        if settled > d - 180 && settled <= d - 90 {
            self.prev_num += inv.amount * beyond;
            self.prev_den += inv.amount;
        }
        if late > 0 {
            self.last_late = self.last_late.max(Some(settled));
        }
    }
}

#[derive(Default)]
struct Requests {
    /// Per kind, per window of [`REQUEST_WINDOWS`].
    counts: [[i64; 3]; 3],
    denied: i64,
    last: Option<i32>,
}

#[derive(Default)]
struct Orders {
    /// The last 90 days and the 90 before.
    amount: [i64; 2],
    count: [i64; 2],
    first: i32,
    last: i32,
    buckets: [i64; 12],
}

#[derive(Default)]
struct Events {
    severity_90: Option<i64>,
    severity_365: Option<i64>,
    insolvency: i64,
}

fn ratio(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

impl Agg {
    /// The integer aggregates, in the order of [`i64_names`].
    fn i64s(&self, out: &mut Vec<Option<i64>>) {
        out.extend([self.open, self.overdue, self.open_invoices, self.max_dpd].map(Some));
        out.extend(self.aging.map(Some));
        out.extend([self.disputed, self.written_off].map(Some));
        let b = self.behaviour.as_ref();
        for w in 0..3 {
            out.push(b.map(|b| b.num[w]));
            out.push(b.map(|b| b.den[w]));
            out.push(b.and_then(|b| b.max_late[w]));
        }
        out.push(b.map(|b| b.prev_num));
        out.push(b.map(|b| b.prev_den));
        let r = self.requests.as_ref();
        for k in 0..3 {
            for w in 0..3 {
                out.push(r.map(|r| r.counts[k][w]));
            }
        }
        out.push(r.map(|r| r.denied));
        let o = self.orders.as_ref();
        out.push(o.map(|o| o.amount[0]));
        out.push(o.map(|o| o.amount[1]));
        out.push(o.map(|o| o.count[0]));
        out.push(o.map(|o| o.count[1]));
        for k in 0..12 {
            out.push(o.map(|o| o.buckets[k]));
        }
        let e = self.events.as_ref();
        out.push(e.and_then(|e| e.severity_90));
        out.push(e.and_then(|e| e.severity_365));
        out.push(e.map(|e| e.insolvency));
    }

    /// The day-number aggregates, in the order of [`I32_NAMES`].
    fn i32s(&self) -> [Option<i32>; 5] {
        [
            Some(self.first_issue),
            self.behaviour.as_ref().and_then(|b| b.last_late),
            self.requests.as_ref().and_then(|r| r.last),
            self.orders.as_ref().map(|o| o.last),
            self.orders.as_ref().map(|o| o.first),
        ]
    }

    /// The shares, in the order of [`f64_names`].
    fn f64s(&self) -> [Option<f64>; 9] {
        let b = self.behaviour.as_ref();
        let mut out = [None; 9];
        for w in 0..3 {
            out[3 * w] = b.and_then(|b| ratio(b.late[w], b.n[w]));
            out[3 * w + 1] = b.and_then(|b| ratio(b.late15[w], b.n[w]));
            out[3 * w + 2] = b.and_then(|b| ratio(b.partial[w], b.counted[w]));
        }
        out
    }
}

fn i64_names() -> Vec<String> {
    let mut names: Vec<String> = OPEN_AGGREGATES.map(String::from).to_vec();
    names.push("__written_off".into());
    for days in PAYMENT_WINDOWS {
        names.push(format!("__dbt_num_{days}"));
        names.push(format!("__dbt_den_{days}"));
        names.push(format!("max_days_late_{days}"));
    }
    names.push("__dbt_num_prev".into());
    names.push("__dbt_den_prev".into());
    for (_, prefix) in REQUEST_COUNTS {
        for days in REQUEST_WINDOWS {
            names.push(format!("{prefix}_{days}"));
        }
    }
    names.push(DENIED_REQUESTS_365.into());
    for n in ["__amt_q0", "__amt_q1", "__cnt_q0", "__cnt_q1"] {
        names.push(n.into());
    }
    for k in 0..12 {
        names.push(format!("__b{k}"));
    }
    for n in [
        OWN_EVENT_SEVERITY_90,
        OWN_EVENT_SEVERITY_365,
        "__insolvency",
    ] {
        names.push(n.into());
    }
    names
}

const I32_NAMES: [&str; 5] = [
    "__first_issue",
    "__last_late",
    "__last_request",
    "__last_order",
    "__first_order",
];

fn f64_names() -> Vec<String> {
    let mut names = Vec::new();
    for days in PAYMENT_WINDOWS {
        names.push(format!("late_share_{days}"));
        names.push(format!("late15_share_{days}"));
        names.push(format!("partial_share_{days}"));
    }
    names
}

/// One column being filled: values (0 where null) and validity, cheaper to
/// push to than `Option`s (16 bytes a value) and handed to Polars as is.
struct Buffer<T> {
    values: Vec<T>,
    valid: Vec<bool>,
}

impl<T: Copy + Default> Buffer<T> {
    fn with_capacity(n: usize) -> Buffer<T> {
        Buffer {
            values: Vec::with_capacity(n),
            valid: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, value: Option<T>) {
        self.values.push(value.unwrap_or_default());
        self.valid.push(value.is_some());
    }
}

/// The column `name` from a filled buffer (no copy of the values).
fn column<T: PolarsNumericType>(name: &str, buffer: Buffer<T::Native>) -> Column {
    // A validity bitmap only where some value is missing: the bit-packed
    // values of a one-chunk boolean column of the flags.
    let validity = buffer.valid.contains(&false).then(|| {
        let mask = BooleanChunked::from_slice(PlSmallStr::EMPTY, &buffer.valid);
        let bits = mask
            .downcast_iter()
            .next()
            .expect("one chunk")
            .values()
            .clone();
        bits
    });
    ChunkedArray::<T>::from_vec_validity(name.into(), buffer.values, validity).into_column()
}

impl<T: Copy> Buffer<T> {
    /// The buffers one after another.
    fn concat(parts: Vec<Buffer<T>>) -> Buffer<T> {
        let n = parts.iter().map(|p| p.values.len()).sum();
        let mut out = Buffer {
            values: Vec::with_capacity(n),
            valid: Vec::with_capacity(n),
        };
        for p in parts {
            out.values.extend_from_slice(&p.values);
            out.valid.extend_from_slice(&p.valid);
        }
        out
    }
}

/// One day's aggregate columns for a block of customers, a row pushed per
/// customer walked: the customers' rows are written straight into
/// columns (a block's fit in cache), never held as rows.
struct Columns {
    i64s: Vec<Buffer<i64>>,
    i32s: Vec<Buffer<i32>>,
    f64s: Vec<Buffer<f64>>,
    bad: Vec<Option<bool>>,
    keys: Vec<IdxSize>,
}

impl Columns {
    /// Empty, with room for `rows` rows.
    fn new(rows: usize) -> Columns {
        Columns {
            i64s: (0..I64_COLUMNS)
                .map(|_| Buffer::with_capacity(rows))
                .collect(),
            i32s: (0..I32_NAMES.len())
                .map(|_| Buffer::with_capacity(rows))
                .collect(),
            f64s: (0..F64_COLUMNS)
                .map(|_| Buffer::with_capacity(rows))
                .collect(),
            bad: Vec::with_capacity(rows),
            keys: Vec::with_capacity(rows),
        }
    }

    /// Appends `a`'s row. `scratch`: room for its integers, reused.
    fn push(&mut self, a: &Agg, scratch: &mut Vec<Option<i64>>) {
        scratch.clear();
        a.i64s(scratch);
        debug_assert_eq!(scratch.len(), I64_COLUMNS);
        for (c, v) in self.i64s.iter_mut().zip(scratch.iter()) {
            c.push(*v);
        }
        for (c, v) in self.i32s.iter_mut().zip(a.i32s()) {
            c.push(v);
        }
        for (c, v) in self.f64s.iter_mut().zip(a.f64s()) {
            c.push(v);
        }
        self.bad.push(a.bad);
        self.keys.push(a.key);
    }
}

/// How many integer aggregates [`Agg::i64s`] gives ([`i64_names`]).
const I64_COLUMNS: usize = 51;
/// How many shares [`Agg::f64s`] gives ([`f64_names`]).
const F64_COLUMNS: usize = 9;

/// The aggregate frame of one day, with the names and types of the
/// reference's aggregates (`reference::aggregates`), from its blocks'
/// columns in customer order; the columns are joined side by side.
fn columns_to_frame(blocks: Vec<Columns>) -> PolarsResult<DataFrame> {
    let height = blocks.iter().map(|b| b.keys.len()).sum();
    let names64 = i64_names();
    let names_f = f64_names();
    assert_eq!(names64.len(), I64_COLUMNS, "a name per integer aggregate");
    assert_eq!(names_f.len(), F64_COLUMNS, "a name per share");
    // Each column's parts, block after block.
    let mut i64s: Vec<Vec<Buffer<i64>>> = (0..I64_COLUMNS).map(|_| Vec::new()).collect();
    let mut i32s: Vec<Vec<Buffer<i32>>> = I32_NAMES.iter().map(|_| Vec::new()).collect();
    let mut f64s: Vec<Vec<Buffer<f64>>> = (0..F64_COLUMNS).map(|_| Vec::new()).collect();
    let (mut bad, mut keys) = (Vec::with_capacity(height), Vec::with_capacity(height));
    for b in blocks {
        for (parts, c) in i64s.iter_mut().zip(b.i64s) {
            parts.push(c);
        }
        for (parts, c) in i32s.iter_mut().zip(b.i32s) {
            parts.push(c);
        }
        for (parts, c) in f64s.iter_mut().zip(b.f64s) {
            parts.push(c);
        }
        bad.extend(b.bad);
        keys.extend(b.keys);
    }
    let mut columns: Vec<Column> = i64s
        .into_par_iter()
        .zip(&names64)
        .map(|(parts, n)| column::<Int64Type>(n, Buffer::concat(parts)))
        .collect();
    columns.par_extend(
        i32s.into_par_iter()
            .zip(I32_NAMES)
            .map(|(parts, n)| column::<Int32Type>(n, Buffer::concat(parts))),
    );
    columns.par_extend(
        f64s.into_par_iter()
            .zip(&names_f)
            .map(|(parts, n)| column::<Float64Type>(n, Buffer::concat(parts))),
    );
    columns.push(Column::new(BAD.into(), bad));
    columns.push(Column::new(s::CUSTOMER_KEY.into(), keys));
    DataFrame::new(height, columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundled sample book, read with the default config.
    fn sample_book() -> Book {
        crate::ingest::read_book(
            std::path::Path::new("data-samples"),
            &crate::config::Config::default(),
        )
        .unwrap()
        .0
    }

    #[test]
    fn a_sweep_for_one_day_gives_what_the_whole_sweep_gives_for_it() {
        // Every month end of the sample (Nov 2024 - Oct 2026) and some days
        // between: early days, where nothing is old enough to be summed,
        // and late ones, where most invoices and orders are.
        let book = sample_book();
        let whole = Sweep::new(&book).unwrap();
        let mut days: Vec<i32> = (0..24)
            .map(|m| {
                let first = chrono::NaiveDate::from_ymd_opt(2024, 12, 1).unwrap();
                crate::dates::to_days(first + chrono::Months::new(m)) - 1
            })
            .collect();
        days.extend(
            ["2024-11-15", "2025-12-02", "2026-07-19", "2026-10-30"]
                .map(|d| crate::dates::to_days(crate::dates::parse_iso(d).unwrap())),
        );
        let mut fewer = 0;
        for d in days {
            let one = Sweep::for_day(&book, d).unwrap();
            let a = whole.days(&[(d, None)]).unwrap().pop().unwrap();
            let b = one.days(&[(d, None)]).unwrap().pop().unwrap();
            assert!(a.equals_missing(&b), "day {d}");
            assert!(one.invoices.rows.len() <= whole.invoices.rows.len());
            fewer += usize::from(
                one.invoices.rows.len() < whole.invoices.rows.len() / 2
                    && one.orders.rows.len() < whole.orders.rows.len() / 2,
            );
            // Another day, or a label, is refused.
            assert!(one.days(&[(d - 1, None)]).is_err());
            assert!(one.days(&[(d, Some(LabelParams::default()))]).is_err());
        }
        // The late days bucket less than half of the rows.
        assert!(fewer >= 6, "{fewer} days with fewer rows");
    }

    /// An invoice of 100 cents, paid in one go or never, not disputed.
    fn invoice(issue: i32, due: i32, settled: i32, written_off: i32) -> Invoice {
        Invoice {
            issue,
            due,
            amount: 100,
            settled,
            written_off,
            payments: NONE,
            disputed: false,
            partial_from: 0,
            partial_len: 0,
        }
    }

    #[test]
    fn a_pass_over_many_days_gives_what_walking_every_invoice_gives() {
        // In one pass a customer's invoices spent by one day are summed, not
        // walked, from then on; without the carry every invoice is walked
        // on every day. Month ends of the sample, in order, then two that
        // go back (the walk starts afresh), with and without labels.
        let book = sample_book();
        let sweep = Sweep::new(&book).unwrap();
        let mut days: Vec<(i32, Option<LabelParams>)> = (0..24)
            .map(|m| {
                let first = chrono::NaiveDate::from_ymd_opt(2024, 12, 1).unwrap();
                let d = crate::dates::to_days(first + chrono::Months::new(m)) - 1;
                (d, (m % 2 == 0).then(LabelParams::default))
            })
            .collect();
        days.extend([days[20], days[3]]);
        let together = sweep.days(&days).unwrap();
        let mut summed = 0;
        for (frame, &day) in together.iter().zip(&days) {
            let alone = sweep
                .days_in_blocks(&[day], 2048, false)
                .unwrap()
                .pop()
                .unwrap();
            assert!(frame.equals_missing(&alone), "day {}", day.0);
            summed += frame.height();
        }
        assert!(summed > 24 * 250, "{summed} rows");
        // Many invoices of the sample are spent by its last day, so the
        // late days of the pass do sum some instead of walking them.
        let last = days[23].0;
        let spent = sweep
            .invoices
            .rows
            .iter()
            .filter(|i| i.spent_by(last))
            .count();
        assert!(spent > sweep.invoices.rows.len() / 3, "{spent} spent");
    }

    #[test]
    fn an_invoice_is_spent_only_when_no_later_day_can_move_it() {
        let invoice = |settled, written_off| invoice(0, 30, settled, written_off);
        let reach = SETTLED_REACH;
        // Settled on day 40: spent once day 40 falls out of every window.
        assert!(!invoice(40, NONE).spent_by(40 + reach - 1));
        assert!(invoice(40, NONE).spent_by(40 + reach));
        // Never settled, written off on day 100: spent from that day.
        assert!(!invoice(NONE, 100).spent_by(99));
        assert!(invoice(NONE, 100).spent_by(100));
        // Written off on day 100 but settled on day 200: it will count as
        // settled, so it is not spent before day 200 + reach.
        assert!(!invoice(200, 100).spent_by(150));
        assert!(invoice(200, 100).spent_by(200 + reach));
        // Settled long ago, written off later: the write-off is still to
        // come.
        assert!(!invoice(40, 1000).spent_by(999));
        assert!(invoice(40, 1000).spent_by(1000));
        // Not issued yet.
        let mut late = invoice(NONE, 100);
        late.issue = 500;
        assert!(!late.spent_by(400));
        // What a spent invoice adds is what the walk adds for it: the
        // settled one late (day 40 after due 30) sets the last late day.
        let mut spent = InvoicesBefore::default();
        spent.add(&invoice(40, NONE), 40 + reach);
        spent.add(&invoice(NONE, 100), 40 + reach);
        assert!(spent.any && spent.settled);
        assert_eq!(
            (spent.first_issue, spent.written_off, spent.last_late),
            (0, 1, Some(40))
        );
    }

    #[test]
    fn bad_spans_label_every_customer_as_the_plain_statement_does() {
        // Every customer of the sample, every 10th day of its history, for
        // the default definition and two others; the spans found once per
        // customer and definition, as a pass over a few days finds them.
        let book = sample_book();
        let sweep = Sweep::new(&book).unwrap();
        let first = crate::dates::to_days(crate::dates::parse_iso("2024-10-01").unwrap());
        let definitions = [
            LabelParams::default(),
            LabelParams {
                bad_dpd: 15,
                horizon_days: 30,
            },
            LabelParams {
                bad_dpd: 90,
                horizon_days: 365,
            },
        ];
        let (mut checked, mut bads) = (0, 0);
        let mut spans = BadSpans::default();
        for c in 0..sweep.invoices.customers() {
            let invoices = sweep.invoices.of(c);
            spans.clear();
            for p in definitions {
                for d in (first..first + 800).step_by(10) {
                    let want = bad_after(invoices, d, p);
                    assert_eq!(
                        spans.of(invoices, p).bad(d, p),
                        want,
                        "customer {c}, day {d}, {p:?}"
                    );
                    checked += 1;
                    bads += usize::from(want);
                }
            }
        }
        // The sample writes nothing off early; by hand: issued day 100, due
        // 130, written off on day 140 (10 days past due, never 60), and one
        // paid on time.
        let early = [invoice(100, 130, NONE, 140), invoice(100, 130, 125, NONE)];
        let p = LabelParams::default();
        let mut spans = BadSpans::default();
        for (snap, want) in [(60, true), (139, true), (140, false), (30, false)] {
            assert_eq!(bad_after(&early, snap, p), want, "day {snap}");
            spans.clear();
            assert_eq!(spans.of(&early, p).bad(snap, p), want, "day {snap}");
        }
        // Both answers are common enough for the comparison to mean something.
        assert!(checked > 50_000, "{checked} labels");
        assert!(
            bads > checked / 50 && bads < checked / 2,
            "{bads} bad of {checked}"
        );
    }

    #[test]
    fn the_block_size_changes_nothing() {
        // The sample has 300 customers: one block at the default size, 43
        // blocks of 7 (the last one short) here. Same frames, same order.
        let book = sample_book();
        let sweep = Sweep::new(&book).unwrap();
        let days: Vec<(i32, Option<LabelParams>)> = ["2025-06-30", "2026-01-31", "2026-10-31"]
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let day = crate::dates::to_days(crate::dates::parse_iso(d).unwrap());
                (day, (i < 2).then(LabelParams::default))
            })
            .collect();
        let whole = sweep.days_in_blocks(&days, 2048, true).unwrap();
        let blocked = sweep.days_in_blocks(&days, 7, true).unwrap();
        assert_eq!(whole.len(), 3);
        for (a, b) in whole.iter().zip(&blocked) {
            assert!(a.height() > 250, "{} rows", a.height());
            assert!(a.equals_missing(b));
        }
        // Labelled days carry a label, the last one none.
        assert_eq!(whole[0].column(BAD).unwrap().null_count(), 0);
        assert_eq!(
            whole[2].column(BAD).unwrap().null_count(),
            whole[2].height()
        );
    }
}

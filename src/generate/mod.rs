//! `generate`: a synthetic book in the contract's input shape.
//!
//! Reproducible from its seed whatever the thread count: each customer draws
//! from its own RNG seeded from (seed, customer index), customers are
//! simulated in parallel and collected in index order. See [`profile`] for
//! the hidden process that makes customers default.

mod emit;
mod profile;
mod stories;

use std::fmt;

use anyhow::{ensure, Result};
use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::dates;
use crate::schema::*;
use emit::Chunk;
pub use profile::INDUSTRIES;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenParams {
    /// Random customers (story accounts come on top).
    pub customers: usize,
    /// Months of history, ending with the month of `end`.
    pub months: usize,
    pub seed: u64,
    /// Last day of history: nothing is dated after it.
    pub end: NaiveDate,
    /// Add the five story accounts of [`stories`].
    pub stories: bool,
}

impl Default for GenParams {
    fn default() -> Self {
        GenParams {
            customers: 1000,
            months: 36,
            seed: 1,
            end: NaiveDate::from_ymd_opt(2026, 10, 31).expect("valid"),
            stories: false,
        }
    }
}

/// The calendar of a generated history: month bounds as Polars day numbers.
pub struct Plan {
    /// (first day, last day) of each month, oldest first; the last month ends at `end_day`.
    pub months: Vec<(i32, i32)>,
    pub end_day: i32,
}

impl Plan {
    pub fn new(end: NaiveDate, months: usize) -> Plan {
        let last_first = end.with_day(1).expect("day 1");
        let months = (0..months)
            .rev()
            .map(|back| {
                let first = last_first - Months::new(back as u32);
                let last = dates::month_end(first).min(end);
                (dates::to_days(first), dates::to_days(last))
            })
            .collect();
        Plan {
            months,
            end_day: dates::to_days(end),
        }
    }

    pub fn day_in_month(&self, m: usize, rng: &mut ChaCha8Rng) -> i32 {
        let (first, last) = self.months[m];
        rng.random_range(first..=last)
    }
}

/// A generated book: the contract tables, and the hidden truth behind them.
pub struct Generated {
    /// (table name, frame), in contract order.
    pub tables: Vec<(&'static str, DataFrame)>,
    /// Per customer: the hidden day it stopped paying, if it did.
    pub default_days: Vec<(String, Option<NaiveDate>)>,
    pub summary: Summary,
}

/// Summary statistics printed by `generate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub customers: usize,
    pub invoices: usize,
    pub payments: usize,
    pub orders: usize,
    pub credit_requests: usize,
    pub events: usize,
    /// Of invoices paid in full: share paid after the due date, and over 15 days after.
    pub paid_late_share: f64,
    pub paid_late_15_share: f64,
    pub partial_payment_share: f64,
    pub disputed_share: f64,
    /// Customers with an invoice 60+ days past due unpaid at some day of history.
    pub ever_60dpd_share: f64,
    /// Customers that stopped paying (hidden default).
    pub defaulted_share: f64,
    pub written_off_invoices: usize,
    /// Credit requests per customer and year.
    pub requests_per_customer_year: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |x: f64| format!("{:.1}%", 100.0 * x);
        writeln!(
            f,
            "rows: {} customers, {} invoices, {} payments, {} orders, {} credit requests, {} events",
            self.customers, self.invoices, self.payments, self.orders, self.credit_requests, self.events
        )?;
        writeln!(
            f,
            "paid invoices: {} paid late, {} more than 15 days late; {} of invoices paid in parts, {} disputed",
            pct(self.paid_late_share),
            pct(self.paid_late_15_share),
            pct(self.partial_payment_share),
            pct(self.disputed_share)
        )?;
        write!(
            f,
            "customers: {} ever 60+ days past due, {} defaulted (hidden), {} invoices written off, {:.2} credit requests per customer-year",
            pct(self.ever_60dpd_share),
            pct(self.defaulted_share),
            self.written_off_invoices,
            self.requests_per_customer_year
        )
    }
}

/// SplitMix64 of (seed, stream): independent, well-spread RNG seeds.
fn stream_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed.wrapping_add(stream.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Generates the book `params` describe, in memory.
pub fn generate(params: &GenParams) -> Result<Generated> {
    let world = World::new(params)?;
    let profiles = world.simulate(0..params.customers, true);
    let tables = world.tables(&profiles, true)?;
    let mut tally = Tally::default();
    tally.add(&profiles, &world.plan);
    let summary = tally.summary(&world.shocks, &world.plan);
    let default_days = profiles
        .iter()
        .map(|(p, _)| {
            (
                p.id.clone(),
                p.default_day
                    .filter(|d| *d <= world.plan.end_day)
                    .map(dates::from_days),
            )
        })
        .collect();
    Ok(Generated {
        tables,
        default_days,
        summary,
    })
}

/// Generates the book `params` describe `per_chunk` random customers at a
/// time, handing each chunk's six tables (in contract order) to `sink`;
/// the story accounts come with the last chunk and the industry news after
/// every customer's own events, as in [`generate`]. Appended in the order
/// given, the chunks are [`generate`]'s tables row for row, while memory
/// holds one chunk: this is how a book of a million customers is written.
pub fn generate_in_chunks(
    params: &GenParams,
    per_chunk: usize,
    mut sink: impl FnMut(Vec<(&'static str, DataFrame)>) -> Result<()>,
) -> Result<Summary> {
    ensure!(per_chunk >= 1, "customers per chunk must be at least 1");
    let world = World::new(params)?;
    let mut tally = Tally::default();
    let mut start = 0;
    loop {
        let end = (start + per_chunk).min(params.customers);
        let last = end == params.customers;
        let profiles = world.simulate(start..end, last);
        tally.add(&profiles, &world.plan);
        sink(world.tables(&profiles, last)?)?;
        if last {
            return Ok(tally.summary(&world.shocks, &world.plan));
        }
        start = end;
    }
}

/// What every customer of one generated book shares: its calendar, its
/// industry shocks, and the seeds.
struct World<'a> {
    params: &'a GenParams,
    plan: Plan,
    shocks: profile::Shocks,
}

impl<'a> World<'a> {
    fn new(params: &'a GenParams) -> Result<World<'a>> {
        ensure!(params.months >= 1, "--months must be at least 1");
        ensure!(
            !params.stories || params.months >= 12,
            "story accounts need at least 12 months of history"
        );
        let plan = Plan::new(params.end, params.months);
        let shocks = profile::Shocks::draw(
            &plan,
            &mut ChaCha8Rng::seed_from_u64(stream_seed(params.seed, u64::MAX)),
        );
        Ok(World {
            params,
            plan,
            shocks,
        })
    }

    /// The six tables of `profiles`, in contract order; the industry news
    /// after the customers' own events `with_news`.
    fn tables(
        &self,
        profiles: &[(profile::Profile, Chunk)],
        with_news: bool,
    ) -> Result<Vec<(&'static str, DataFrame)>> {
        let chunks: Vec<&Chunk> = profiles.iter().map(|(_, c)| c).collect();
        let mut events = events_frame(&chunks)?;
        if with_news {
            events.vstack_mut(&news_frame(&self.shocks, &self.plan)?)?;
        }
        Ok(vec![
            (CUSTOMERS, customers_frame(profiles)?),
            (INVOICES, invoices_frame(&chunks)?),
            (PAYMENTS, payments_frame(&chunks)?),
            (ORDERS, orders_frame(&chunks)?),
            (CREDIT_REQUESTS, requests_frame(&chunks)?),
            (EVENTS, events),
        ])
    }

    /// Random customers `range` (each from its own seed, in parallel,
    /// collected in index order), then the story accounts when asked.
    fn simulate(
        &self,
        range: std::ops::Range<usize>,
        with_stories: bool,
    ) -> Vec<(profile::Profile, Chunk)> {
        let (plan, shocks, seed) = (&self.plan, &self.shocks, self.params.seed);
        let mut profiles: Vec<(profile::Profile, Chunk)> = range
            .into_par_iter()
            .map(|i| {
                let mut rng = ChaCha8Rng::seed_from_u64(stream_seed(seed, i as u64));
                let p = profile::draw(i, plan, shocks, &mut rng);
                let chunk = emit::emit(&p, plan, &mut rng);
                (p, chunk)
            })
            .collect();
        if with_stories && self.params.stories {
            let mut rng = ChaCha8Rng::seed_from_u64(stream_seed(seed, u64::MAX - 1));
            for p in stories::stories(plan, &mut rng) {
                let chunk = emit::emit(&p, plan, &mut rng);
                profiles.push((p, chunk));
            }
        }
        profiles
    }
}

fn gather<T: Clone>(chunks: &[&Chunk], field: impl Fn(&Chunk) -> &Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(chunks.iter().map(|c| field(c).len()).sum());
    for c in chunks {
        out.extend_from_slice(field(c));
    }
    out
}

fn date_column(name: &str, days: Vec<i32>) -> Column {
    Series::new(name.into(), days).into_date().into_column()
}

fn opt_date_column(name: &str, days: Vec<Option<i32>>) -> Column {
    Series::new(name.into(), days).into_date().into_column()
}

fn customers_frame(profiles: &[(profile::Profile, Chunk)]) -> Result<DataFrame> {
    let ps: Vec<&profile::Profile> = profiles.iter().map(|(p, _)| p).collect();
    Ok(DataFrame::new(
        ps.len(),
        vec![
            Column::new(
                CUSTOMER_ID.into(),
                ps.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                NAME.into(),
                ps.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                CREDIT_LIMIT.into(),
                ps.iter().map(|p| p.credit_limit).collect::<Vec<_>>(),
            ),
            Column::new(
                PAYMENT_TERMS_DAYS.into(),
                ps.iter().map(|p| p.terms).collect::<Vec<_>>(),
            ),
            Column::new(
                INDUSTRY.into(),
                ps.iter()
                    .map(|p| INDUSTRIES[p.industry])
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                COUNTRY.into(),
                ps.iter().map(|p| p.country).collect::<Vec<_>>(),
            ),
        ],
    )?)
}

fn invoices_frame(chunks: &[&Chunk]) -> Result<DataFrame> {
    let ids = gather(chunks, |c| &c.invoice_id);
    Ok(DataFrame::new(
        ids.len(),
        vec![
            Column::new(INVOICE_ID.into(), ids),
            Column::new(CUSTOMER_ID.into(), gather(chunks, |c| &c.invoice_customer)),
            date_column(ISSUE_DATE, gather(chunks, |c| &c.issue)),
            date_column(DUE_DATE, gather(chunks, |c| &c.due)),
            Column::new(AMOUNT.into(), gather(chunks, |c| &c.invoice_amount)),
            Column::new(DISPUTED.into(), gather(chunks, |c| &c.disputed)),
            opt_date_column(WRITTEN_OFF_DATE, gather(chunks, |c| &c.written_off)),
        ],
    )?)
}

fn payments_frame(chunks: &[&Chunk]) -> Result<DataFrame> {
    let ids = gather(chunks, |c| &c.payment_id);
    Ok(DataFrame::new(
        ids.len(),
        vec![
            Column::new(PAYMENT_ID.into(), ids),
            Column::new(INVOICE_ID.into(), gather(chunks, |c| &c.payment_invoice)),
            date_column(PAYMENT_DATE, gather(chunks, |c| &c.payment_day)),
            Column::new(AMOUNT.into(), gather(chunks, |c| &c.payment_amount)),
        ],
    )?)
}

fn orders_frame(chunks: &[&Chunk]) -> Result<DataFrame> {
    let ids = gather(chunks, |c| &c.order_id);
    Ok(DataFrame::new(
        ids.len(),
        vec![
            Column::new(ORDER_ID.into(), ids),
            Column::new(CUSTOMER_ID.into(), gather(chunks, |c| &c.order_customer)),
            date_column(ORDER_DATE, gather(chunks, |c| &c.order_day)),
            Column::new(AMOUNT.into(), gather(chunks, |c| &c.order_amount)),
        ],
    )?)
}

fn requests_frame(chunks: &[&Chunk]) -> Result<DataFrame> {
    let ids = gather(chunks, |c| &c.request_id);
    Ok(DataFrame::new(
        ids.len(),
        vec![
            Column::new(REQUEST_ID.into(), ids),
            Column::new(CUSTOMER_ID.into(), gather(chunks, |c| &c.request_customer)),
            date_column(REQUEST_DATE, gather(chunks, |c| &c.request_day)),
            Column::new(KIND.into(), gather(chunks, |c| &c.request_kind)),
            Column::new(REQUESTED_DAYS.into(), gather(chunks, |c| &c.request_days)),
            Column::new(GRANTED.into(), gather(chunks, |c| &c.request_granted)),
        ],
    )?)
}

/// The customers' own events.
fn events_frame(chunks: &[&Chunk]) -> Result<DataFrame> {
    let day = gather(chunks, |c| &c.event_day);
    Ok(DataFrame::new(
        day.len(),
        vec![
            date_column(EVENT_DATE, day),
            Column::new(KIND.into(), gather(chunks, |c| &c.event_kind)),
            Column::new(SEVERITY.into(), gather(chunks, |c| &c.event_severity)),
            Column::new(CUSTOMER_ID.into(), gather(chunks, |c| &c.event_customer)),
            Column::new(INDUSTRY.into(), gather(chunks, |c| &c.event_industry)),
        ],
    )?)
}

/// Industry-wide negative news dated by the end of history (no customer).
fn news_frame(shocks: &profile::Shocks, plan: &Plan) -> Result<DataFrame> {
    let news: Vec<_> = shocks.news.iter().filter(|n| n.0 <= plan.end_day).collect();
    Ok(DataFrame::new(
        news.len(),
        vec![
            date_column(EVENT_DATE, news.iter().map(|n| n.0).collect()),
            Column::new(KIND.into(), vec![EVENT_NEGATIVE_NEWS; news.len()]),
            Column::new(
                SEVERITY.into(),
                news.iter().map(|n| n.2).collect::<Vec<_>>(),
            ),
            Column::new(CUSTOMER_ID.into(), vec![None::<String>; news.len()]),
            Column::new(
                INDUSTRY.into(),
                news.iter()
                    .map(|n| Some(INDUSTRIES[n.1]))
                    .collect::<Vec<_>>(),
            ),
        ],
    )?)
}

/// Counts behind the [`Summary`], added up chunk by chunk.
#[derive(Default)]
struct Tally {
    customers: usize,
    invoices: usize,
    paid: usize,
    late: usize,
    late15: usize,
    disputed: usize,
    written_off: usize,
    payments: usize,
    orders: usize,
    requests: usize,
    own_events: usize,
    ever60: usize,
    defaulted: usize,
    partial: usize,
    customer_years: f64,
}

impl Tally {
    fn add(&mut self, profiles: &[(profile::Profile, Chunk)], plan: &Plan) {
        for (p, c) in profiles {
            self.customers += 1;
            self.invoices += c.invoice_id.len();
            self.payments += c.payment_id.len();
            self.orders += c.order_id.len();
            self.requests += c.request_id.len();
            self.own_events += c.event_day.len();
            self.written_off += c.written_off.iter().filter(|w| w.is_some()).count();
            self.disputed += c.disputed.iter().filter(|d| **d).count();
            self.partial += c.payment_id.iter().filter(|id| id.ends_with("-P2")).count();
            self.customer_years += (plan.months.len() - p.start_month) as f64 / 12.0;
            self.defaulted += usize::from(p.default_day.is_some_and(|d| d <= plan.end_day));
            let mut hit60 = false;
            for (k, settled) in c.settled.iter().enumerate() {
                match settled {
                    Some(s) => {
                        self.paid += 1;
                        self.late += usize::from(*s > c.due[k]);
                        self.late15 += usize::from(*s > c.due[k] + 15);
                        hit60 |= *s >= c.due[k] + 60;
                    }
                    None => hit60 |= plan.end_day >= c.due[k] + 60,
                }
            }
            self.ever60 += usize::from(hit60);
        }
    }

    fn summary(&self, shocks: &profile::Shocks, plan: &Plan) -> Summary {
        let share = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        Summary {
            customers: self.customers,
            invoices: self.invoices,
            payments: self.payments,
            orders: self.orders,
            credit_requests: self.requests,
            // Customers' own events, and industry news dated by the end.
            events: self.own_events + shocks.news.iter().filter(|n| n.0 <= plan.end_day).count(),
            paid_late_share: share(self.late, self.paid),
            paid_late_15_share: share(self.late15, self.paid),
            partial_payment_share: share(self.partial, self.invoices),
            disputed_share: share(self.disputed, self.invoices),
            ever_60dpd_share: share(self.ever60, self.customers),
            defaulted_share: share(self.defaulted, self.customers),
            written_off_invoices: self.written_off,
            requests_per_customer_year: if self.customer_years > 0.0 {
                self.requests as f64 / self.customer_years
            } else {
                0.0
            },
        }
    }
}

//! Turning a [`Profile`] into rows: orders and their invoices, payments,
//! credit requests and events, all inside the plan's history.

use chrono::Datelike;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, Normal, Poisson};

use super::profile::{Profile, Scripted};
use super::Plan;
use crate::dates;
use crate::schema::*;

/// One customer's rows, column by column.
#[derive(Default)]
pub struct Chunk {
    pub invoice_id: Vec<String>,
    pub invoice_customer: Vec<String>,
    pub issue: Vec<i32>,
    pub due: Vec<i32>,
    pub invoice_amount: Vec<f64>,
    pub disputed: Vec<bool>,
    pub written_off: Vec<Option<i32>>,
    /// Not written out: the day the invoice is fully paid, for the summary.
    pub settled: Vec<Option<i32>>,
    pub payment_id: Vec<String>,
    pub payment_invoice: Vec<String>,
    pub payment_day: Vec<i32>,
    pub payment_amount: Vec<f64>,
    pub order_id: Vec<String>,
    pub order_customer: Vec<String>,
    pub order_day: Vec<i32>,
    pub order_amount: Vec<f64>,
    pub request_id: Vec<String>,
    pub request_customer: Vec<String>,
    pub request_day: Vec<i32>,
    pub request_kind: Vec<&'static str>,
    pub request_days: Vec<Option<i64>>,
    pub request_granted: Vec<bool>,
    pub event_day: Vec<i32>,
    pub event_kind: Vec<&'static str>,
    pub event_severity: Vec<i64>,
    pub event_customer: Vec<Option<String>>,
    pub event_industry: Vec<Option<&'static str>>,
}

fn money(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn poisson(lambda: f64, rng: &mut ChaCha8Rng) -> u64 {
    if lambda <= 1e-9 {
        0
    } else {
        Poisson::new(lambda).unwrap().sample(rng) as u64
    }
}

/// A Pareto(alpha) draw minus 1: heavy-tailed, mostly small.
fn pareto_excess(alpha: f64, rng: &mut ChaCha8Rng) -> f64 {
    let u: f64 = rng.random_range(1e-9..1.0);
    u.powf(-1.0 / alpha) - 1.0
}

/// Writes every row of `p` that falls inside the plan's history.
pub fn emit(p: &Profile, plan: &Plan, rng: &mut ChaCha8Rng) -> Chunk {
    let mut c = Chunk::default();
    let end = plan.end_day;
    let order_size = LogNormal::new(0.0, 0.35).unwrap();
    let habit = Normal::new(p.late_mean, p.late_sd).unwrap();
    let surprise = Exp::new(1.0 / 15.0).unwrap();
    let mut order_seq = 0;
    let mut request_seq = 0;
    for m in p.start_month..plan.months.len() {
        let (first, last) = plan.months[m];
        if p.default_day.is_some_and(|d| first > d + 60) {
            break;
        }
        let s = p.stress[m];
        for _ in 0..poisson(p.orders_per_month * p.order_mult[m], rng) {
            let day = rng.random_range(first..=last);
            if p.default_day.is_some_and(|d| day > d + 30) {
                continue;
            }
            order_seq += 1;
            let amount = money((p.volume / p.orders_per_month * order_size.sample(rng)).max(20.0));
            let order_id = format!("{}-O{order_seq:04}", p.id);
            c.order_id.push(order_id);
            c.order_customer.push(p.id.clone());
            c.order_day.push(day);
            c.order_amount.push(amount);
            let issue = day + rng.random_range(0..=3);
            if issue <= end {
                invoice(
                    p,
                    &mut c,
                    format!("{}-I{order_seq:04}", p.id),
                    issue,
                    amount,
                    s,
                    end,
                    rng,
                    &habit,
                    &surprise,
                );
            }
        }
        if p.default_day.is_none_or(|d| first <= d + 60) {
            requests(p, &mut c, &mut request_seq, m, s, plan, rng);
        }
        let background = if p.quiet { 0.0 } else { 1.0 };
        for _ in 0..poisson(0.004 * background + 0.1 * s, rng) {
            let severity = (1.0 + 4.0 * s + Normal::new(0.0, 0.7).unwrap().sample(rng))
                .round()
                .clamp(1.0, 5.0) as i64;
            own_event(
                p,
                &mut c,
                rng.random_range(first..=last),
                EVENT_NEGATIVE_NEWS,
                severity,
            );
        }
        if rng.random_bool((0.04 * s).min(1.0)) {
            own_event(
                p,
                &mut c,
                rng.random_range(first..=last),
                EVENT_RATING_DOWNGRADE,
                rng.random_range(3..=4),
            );
        }
    }
    // Monthly rows are drawn inside months that stop at the end of history;
    // only the insolvency filing and scripted rows can fall after it, and
    // rows dated after the end do not exist yet.
    if let (Some(d), true) = (p.default_day, p.insolvency_filing) {
        let day = d + rng.random_range(0..=45);
        if day <= end {
            own_event(p, &mut c, day, EVENT_INSOLVENCY_FILING, 5);
        }
    }
    for s in &p.scripted {
        match *s {
            Scripted::Request {
                day,
                kind,
                days,
                granted,
            } => {
                request_seq += 1;
                if day <= end {
                    push_request(p, &mut c, request_seq, day, kind, days, granted);
                }
            }
            Scripted::Event { day, .. } if day > end => {}
            Scripted::Event {
                day,
                kind,
                severity,
                industry_wide: false,
            } => own_event(p, &mut c, day, kind, severity),
            Scripted::Event {
                day,
                kind,
                severity,
                industry_wide: true,
            } => {
                c.event_day.push(day);
                c.event_kind.push(kind);
                c.event_severity.push(severity);
                c.event_customer.push(None);
                c.event_industry
                    .push(Some(super::profile::INDUSTRIES[p.industry]));
            }
        }
    }
    c
}

#[allow(clippy::too_many_arguments)]
fn invoice(
    p: &Profile,
    c: &mut Chunk,
    id: String,
    issue: i32,
    amount: f64,
    stress: f64,
    end: i32,
    rng: &mut ChaCha8Rng,
    habit: &Normal<f64>,
    surprise: &Exp<f64>,
) {
    let due = issue + p.terms as i32;
    let disputed = rng.random_bool(p.dispute_rate);
    // Habit, a steady slide with stress, and a heavy tail that stress fattens.
    let mut late = habit.sample(rng) + 20.0 * stress;
    if rng.random_bool((0.1 + 0.7 * stress).min(1.0)) {
        late += 10.0 * stress * pareto_excess(1.6, rng).min(15.0);
    }
    if !p.quiet && rng.random_bool(0.02) {
        late += surprise.sample(rng);
    }
    if disputed {
        late += rng.random_range(20.0..80.0);
    }
    let mut pay = Some((due + late.round() as i32).max(issue + 1));
    if p.month_end_runs && !disputed {
        pay = pay.map(|d| nearest_month_end(d).max(issue + 1));
    }
    let mut written_off = None;
    if let (Some(d), Some(day)) = (p.default_day, pay) {
        if day >= d {
            if p.recovers {
                pay = Some(day.max(d + rng.random_range(90..240)));
            } else {
                pay = None;
                if p.written_off {
                    written_off = Some(due.max(d) + rng.random_range(150..270));
                }
            }
        }
    }
    let mut settled = None;
    if let Some(day) = pay {
        let mut parts = vec![(day, amount)];
        if rng.random_bool((0.03 + 0.3 * stress).min(1.0)) {
            let share = rng.random_range(0.3..0.7);
            let first = money(amount * share);
            let early = (day - rng.random_range(10..30)).max(issue + 1);
            parts = vec![(early, first), (day, money(amount - first))];
        }
        for (k, (d, a)) in parts.into_iter().enumerate() {
            if d <= end && a > 0.0 {
                c.payment_id.push(format!("{id}-P{}", k + 1));
                c.payment_invoice.push(id.clone());
                c.payment_day.push(d);
                c.payment_amount.push(a);
            }
        }
        settled = (day <= end).then_some(day);
    }
    c.invoice_id.push(id);
    c.invoice_customer.push(p.id.clone());
    c.issue.push(issue);
    c.due.push(due);
    c.invoice_amount.push(amount);
    c.disputed.push(disputed);
    c.written_off.push(written_off.filter(|d| *d <= end));
    c.settled.push(settled);
}

/// A payment run on the month end nearest to `day` (before or after).
fn nearest_month_end(day: i32) -> i32 {
    let date = dates::from_days(day);
    let this_end = dates::to_days(dates::month_end(date));
    let previous_end = dates::to_days(date.with_day(1).expect("day 1")) - 1;
    if this_end - day <= day - previous_end {
        this_end
    } else {
        previous_end
    }
}

fn requests(
    p: &Profile,
    c: &mut Chunk,
    seq: &mut usize,
    m: usize,
    s: f64,
    plan: &Plan,
    rng: &mut ChaCha8Rng,
) {
    let (first, last) = plan.months[m];
    let spiking = p.order_mult[m] > 1.3;
    let background = if p.quiet { 0.0 } else { 0.01 };
    let kinds: [(&'static str, f64); 3] = [
        (KIND_TERM_EXTENSION, background + 0.25 * s),
        (
            KIND_LIMIT_INCREASE,
            background + 0.12 * s + if spiking { 0.4 } else { 0.0 },
        ),
        (KIND_PAYMENT_PLAN, if s > 0.3 { 0.15 * s } else { 0.0 }),
    ];
    for (kind, rate) in kinds {
        for _ in 0..poisson(rate, rng) {
            *seq += 1;
            let days = match kind {
                KIND_TERM_EXTENSION => Some([15, 30, 45][rng.random_range(0..3)]),
                KIND_PAYMENT_PLAN => Some([60, 90, 120][rng.random_range(0..3)]),
                _ => None,
            };
            let granted = rng.random_bool((0.75 - 0.5 * s).clamp(0.05, 0.95));
            push_request(
                p,
                c,
                *seq,
                rng.random_range(first..=last),
                kind,
                days,
                granted,
            );
        }
    }
}

fn push_request(
    p: &Profile,
    c: &mut Chunk,
    seq: usize,
    day: i32,
    kind: &'static str,
    days: Option<i64>,
    granted: bool,
) {
    c.request_id.push(format!("{}-R{seq:03}", p.id));
    c.request_customer.push(p.id.clone());
    c.request_day.push(day);
    c.request_kind.push(kind);
    c.request_days.push(days);
    c.request_granted.push(granted);
}

fn own_event(p: &Profile, c: &mut Chunk, day: i32, kind: &'static str, severity: i64) {
    c.event_day.push(day);
    c.event_kind.push(kind);
    c.event_severity.push(severity);
    c.event_customer.push(Some(p.id.clone()));
    c.event_industry.push(None);
}

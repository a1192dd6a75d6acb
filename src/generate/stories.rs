//! Five hand-written accounts, each telling one warning-sign story clearly.
//! They sit beside the random book (`generate --stories`) under ids that say
//! what they are; `data-samples/README.md` tells each story.

use rand_chacha::ChaCha8Rng;

use super::profile::{Profile, Scripted};
use super::Plan;
use crate::schema::*;

fn base(id: &str, name: &str, industry: usize, months: usize) -> Profile {
    Profile {
        id: id.into(),
        name: name.into(),
        industry,
        country: "DE",
        terms: 30,
        credit_limit: 50_000.0,
        volume: 25_000.0,
        orders_per_month: 6.0,
        start_month: 0,
        late_mean: -2.0,
        late_sd: 1.5,
        month_end_runs: false,
        dispute_rate: 0.0,
        stress: vec![0.0; months],
        order_mult: vec![1.0; months],
        default_day: None,
        recovers: false,
        written_off: false,
        insolvency_filing: false,
        scripted: vec![],
        quiet: true,
    }
}

/// The story accounts for `plan` (which must span at least 12 months).
pub fn stories(plan: &Plan, _rng: &mut ChaCha8Rng) -> Vec<Profile> {
    let n = plan.months.len();
    let day = |months_back: usize, offset: i32| plan.months[n - 1 - months_back].0 + offset;

    // Pays a couple of days early, every time, for years; orders steadily.
    let steady = base("S-STEADY", "Steady Supplies Ltd", 7, n);

    // Slides over nine months: later and later payments, partial payments,
    // fewer orders, then term extensions and a payment plan.
    let mut slider = base("S-SLIDER", "Slowslide Trading GmbH", 3, n);
    slider.terms = 45;
    slider.credit_limit = 80_000.0;
    slider.volume = 30_000.0;
    slider.late_mean = 1.0;
    slider.late_sd = 2.0;
    for k in 0..9 {
        let m = n - 9 + k;
        let progress = (k + 1) as f64 / 9.0;
        slider.stress[m] = 0.85 * progress;
        slider.order_mult[m] = 1.0 - 0.5 * progress;
    }
    slider.scripted = vec![
        Scripted::Request {
            day: day(4, 10),
            kind: KIND_TERM_EXTENSION,
            days: Some(30),
            granted: true,
        },
        Scripted::Request {
            day: day(2, 3),
            kind: KIND_TERM_EXTENSION,
            days: Some(45),
            granted: false,
        },
        Scripted::Request {
            day: day(0, 2),
            kind: KIND_PAYMENT_PLAN,
            days: Some(90),
            granted: true,
        },
    ];

    // Orders triple in the last three months on credit, asks twice for a
    // higher limit, and starts to pay later: stockpiling before trouble.
    let mut stockpiler = base("S-STOCKPILE", "Hoard & Sons Ltd", 1, n);
    stockpiler.volume = 20_000.0;
    stockpiler.credit_limit = 40_000.0;
    for (k, (s, mult)) in [(0.3, 2.2), (0.5, 3.0), (0.6, 3.5)].into_iter().enumerate() {
        stockpiler.stress[n - 3 + k] = s;
        stockpiler.order_mult[n - 3 + k] = mult;
    }
    stockpiler.scripted = vec![
        Scripted::Request {
            day: day(2, 8),
            kind: KIND_LIMIT_INCREASE,
            days: None,
            granted: true,
        },
        Scripted::Request {
            day: day(0, 5),
            kind: KIND_LIMIT_INCREASE,
            days: None,
            granted: false,
        },
    ];

    // Healthy and prompt, but disputes one invoice in four; disputed invoices
    // are paid late, in full, once resolved. Not distress.
    let mut disputer = base("S-DISPUTER", "Quibble Instruments BV", 2, n);
    disputer.terms = 60;
    disputer.volume = 40_000.0;
    disputer.credit_limit = 120_000.0;
    disputer.late_mean = -1.0;
    disputer.late_sd = 2.0;
    disputer.dispute_rate = 0.25;

    // A sound hotel group until its whole industry takes a hit three months
    // ago; a rating downgrade follows and payments start to slip.
    let mut news = base("S-NEWSHIT", "Harbor Hospitality Group S.A.", 5, n);
    news.volume = 15_000.0;
    news.credit_limit = 30_000.0;
    news.late_mean = 0.0;
    news.late_sd = 3.0;
    for (k, s) in [0.35, 0.55, 0.65].into_iter().enumerate() {
        news.stress[n - 3 + k] = s;
    }
    news.scripted = vec![
        Scripted::Event {
            day: day(2, 4),
            kind: EVENT_NEGATIVE_NEWS,
            severity: 4,
            industry_wide: true,
        },
        Scripted::Event {
            day: day(1, 12),
            kind: EVENT_RATING_DOWNGRADE,
            severity: 3,
            industry_wide: false,
        },
    ];

    vec![steady, slider, stockpiler, disputer, news]
}

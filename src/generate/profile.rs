//! Who a synthetic customer is: attributes and a hidden monthly stress path.
//!
//! The hidden process: each customer has a financial health `x` that follows
//! an AR(1) path around its own level, knocked down by industry-wide shocks.
//! Monthly default hazard rises as health falls. Most defaulters show it
//! first: a ramp of rising stress over the 6 months before default (later
//! payments, partial payments, requests, fewer orders or a stockpiling
//! spike, news); a quarter default with no warning, and many stressed
//! customers recover. So the default event is only partly predictable.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal};

use super::Plan;

pub const INDUSTRIES: [&str; 8] = [
    "construction",
    "retail",
    "manufacturing",
    "wholesale",
    "logistics",
    "hospitality",
    "healthcare",
    "technology",
];
/// How often each industry starts a shock in a month (cyclical ones more).
const SHOCK_RATE: [f64; 8] = [0.025, 0.015, 0.012, 0.012, 0.015, 0.025, 0.005, 0.01];
const COUNTRIES: [&str; 10] = ["DE", "FR", "NL", "GB", "US", "ES", "IT", "PL", "SE", "BE"];

/// Industry-wide shocks: health knocked off per industry and month, and the
/// news each shock makes.
pub struct Shocks {
    /// `depth[industry][month]`.
    pub depth: Vec<Vec<f64>>,
    /// (day, industry index, severity) of industry-wide negative news.
    pub news: Vec<(i32, usize, i64)>,
}

impl Shocks {
    pub fn draw(plan: &Plan, rng: &mut ChaCha8Rng) -> Shocks {
        let months = plan.months.len();
        let mut depth = vec![vec![0.0; months]; INDUSTRIES.len()];
        let mut news = Vec::new();
        for (ind, rate) in SHOCK_RATE.iter().enumerate() {
            let mut m = 0;
            while m < months {
                if rng.random_bool(*rate) {
                    let len = rng.random_range(3..=9);
                    let d = rng.random_range(0.5..1.4);
                    news.push((plan.day_in_month(m, rng), ind, rng.random_range(3..=5)));
                    for k in 0..len {
                        if m + k < months {
                            // Ramps in over two months, then eases out.
                            let shape = ((k + 1) as f64 / 2.0).min(1.0)
                                * (1.0 - k as f64 / (len as f64 + 1.0));
                            depth[ind][m + k] += d * shape;
                            if k > 0 && rng.random_bool(0.5) {
                                news.push((
                                    plan.day_in_month(m + k, rng),
                                    ind,
                                    rng.random_range(2..=4),
                                ));
                            }
                        }
                    }
                    m += len;
                } else {
                    m += 1;
                }
            }
        }
        Shocks { depth, news }
    }
}

/// A hand-set request or event in a story.
#[derive(Debug, Clone)]
pub enum Scripted {
    Request {
        day: i32,
        kind: &'static str,
        days: Option<i64>,
        granted: bool,
    },
    Event {
        day: i32,
        kind: &'static str,
        severity: i64,
        industry_wide: bool,
    },
}

/// Everything `emit` needs to write one customer's history.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub industry: usize,
    pub country: &'static str,
    pub terms: i64,
    pub credit_limit: f64,
    /// Typical monthly order volume (money) and count.
    pub volume: f64,
    pub orders_per_month: f64,
    /// First month with orders.
    pub start_month: usize,
    /// Habitual days beyond terms (mean, spread) when not stressed.
    pub late_mean: f64,
    pub late_sd: f64,
    /// Pays in a month-end payment run.
    pub month_end_runs: bool,
    pub dispute_rate: f64,
    /// Stress 0..1 per month: drives late and partial payments, requests, news.
    pub stress: Vec<f64>,
    /// Order volume multiplier per month (drops and spikes before trouble).
    pub order_mult: Vec<f64>,
    /// Day the customer stops paying, if it does.
    pub default_day: Option<i32>,
    /// After default: pays everything very late (true) or never (false).
    pub recovers: bool,
    /// After default without recovery: unpaid invoices are written off.
    pub written_off: bool,
    pub insolvency_filing: bool,
    pub scripted: Vec<Scripted>,
    /// No background noise (requests, news, surprise delays that come
    /// without stress): story accounts are quiet so their story reads clearly.
    pub quiet: bool,
}

/// Months over which a warned defaulter's stress ramps up to default.
const RAMP_MONTHS: f64 = 6.0;

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

const SYLLABLES: [&str; 20] = [
    "Nor", "Bal", "Kes", "Tri", "Ver", "Alp", "Cor", "Dun", "Eld", "Fen", "Gar", "Hal", "Ist",
    "Jor", "Kal", "Lum", "Mar", "Nex", "Orb", "Pol",
];
const ENDINGS: [&str; 10] = [
    "ton", "vik", "dex", "ford", "wick", "mar", "tech", "line", "field", "stone",
];
const SUFFIXES: [&str; 6] = ["Ltd", "GmbH", "Inc", "S.A.", "BV", "AB"];

/// Draws customer `index`: attributes, health path, default and warning ramp.
pub fn draw(index: usize, plan: &Plan, shocks: &Shocks, rng: &mut ChaCha8Rng) -> Profile {
    let months = plan.months.len();
    let industry = rng.random_range(0..INDUSTRIES.len());
    let terms = [30, 30, 45, 60][rng.random_range(0..4)];
    let volume: f64 = LogNormal::new(9.9, 0.9).unwrap().sample(rng);
    let volume = volume.round(); // median ~20k a month
    let orders_per_month = rng.random_range(1.0..4.6);
    let credit_limit = ((volume * terms as f64 / 30.0 * rng.random_range(1.0..2.2)) / 1000.0)
        .round()
        .max(1.0)
        * 1000.0;
    let start_month = if rng.random_bool(0.7) {
        0
    } else {
        rng.random_range(0..(months * 3 / 5).max(1))
    };
    let (late_mean, late_sd) = match rng.random::<f64>() {
        u if u < 0.65 => (Normal::new(-2.0, 2.0).unwrap().sample(rng), 3.0),
        u if u < 0.90 => (Normal::new(5.0, 3.0).unwrap().sample(rng), 5.0),
        _ => (Normal::new(15.0, 5.0).unwrap().sample(rng), 8.0),
    };
    let dispute_rate = if rng.random_bool(0.1) { 0.05 } else { 0.005 };

    // Hidden health: AR(1) around the customer's level, minus industry shocks.
    let level = Normal::new(0.4, 0.9).unwrap().sample(rng);
    let noise = Normal::new(0.0, 0.3).unwrap();
    let mut x = level + Normal::new(0.0, 0.5).unwrap().sample(rng);
    let mut health = Vec::with_capacity(months);
    for m in 0..months {
        x = 0.85 * x + 0.15 * level + noise.sample(rng);
        health.push(x - shocks.depth[industry][m]);
    }
    let mut default_month = None;
    for (m, h) in health.iter().enumerate().skip(start_month) {
        if rng.random_bool(sigmoid(-6.6 - 1.7 * h)) {
            default_month = Some(m);
            break;
        }
    }
    let warned = rng.random_bool(0.75);
    let spikes = rng.random_bool(0.2);
    let mut stress = Vec::with_capacity(months);
    let mut order_mult = Vec::with_capacity(months);
    for (m, h) in health.iter().enumerate() {
        let distress = sigmoid(-1.6 * h - 2.2);
        let ramp = match default_month {
            Some(t) if warned && m <= t => (1.0 - (t - m) as f64 / RAMP_MONTHS).max(0.0),
            _ => 0.0,
        };
        stress.push(distress.max(ramp));
        let shift = if spikes {
            1.0 + 1.5 * ramp
        } else {
            1.0 - 0.6 * ramp
        };
        order_mult.push(shift * (1.0 - 0.3 * distress));
    }
    let default_day = default_month.map(|m| plan.day_in_month(m, rng));
    let name = format!(
        "{}{} {} {}",
        SYLLABLES[rng.random_range(0..SYLLABLES.len())],
        ENDINGS[rng.random_range(0..ENDINGS.len())],
        capitalize(INDUSTRIES[industry]),
        SUFFIXES[rng.random_range(0..SUFFIXES.len())]
    );
    Profile {
        id: format!("C{index:06}"),
        name,
        industry,
        country: COUNTRIES[rng.random_range(0..COUNTRIES.len())],
        terms,
        credit_limit,
        volume,
        orders_per_month,
        start_month,
        late_mean,
        late_sd,
        month_end_runs: rng.random_bool(0.35),
        dispute_rate,
        stress,
        order_mult,
        default_day,
        recovers: rng.random_bool(0.3),
        written_off: rng.random_bool(0.6),
        insolvency_filing: default_month.is_some() && rng.random_bool(0.4),
        scripted: vec![],
        quiet: false,
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

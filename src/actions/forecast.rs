//! The 13-week cash forecast of today's open invoices (docs/actions.md).
//!
//! Each open invoice: with the customer's pd it is not collected within the
//! horizon; otherwise its days late come from the customer's own
//! settlements of the last `history_days` (with probability n / (n +
//! `shrink`), n = their count) or from everyone's, redrawn (up to
//! [`REDRAWS`] times, then spread over the next four weeks) while the day
//! falls on or before the as-of day (an invoice still open today was not
//! paid earlier). That gives each invoice exact chances of being paid in
//! each week ([`week_chances`]): the expected collections are their
//! amount-weighted sums, and p10 and p90 the percentiles of weekly totals
//! over `simulations` seeded draws, one per invoice and draw from those
//! chances. New sales are not forecast.
//!
//! Deterministic whatever the thread count: each invoice draws from its own
//! RNG seeded by (seed, invoice key), totals are summed in integer cents and
//! the expected values in invoice order.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// `[forecast]` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForecastConfig {
    pub weeks: usize,
    pub simulations: usize,
    pub seed: u64,
    /// Pseudo-count that shrinks a customer's own history towards everyone's.
    pub shrink: f64,
    /// Settlements this many days back form the history.
    pub history_days: i32,
}

impl Default for ForecastConfig {
    fn default() -> Self {
        ForecastConfig {
            weeks: 13,
            simulations: 500,
            seed: 13,
            shrink: 10.0,
            history_days: 365,
        }
    }
}

impl ForecastConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.weeks >= 1 && self.simulations >= 10 && self.shrink >= 0.0 && self.history_days > 0
        {
            Ok(())
        } else {
            Err("weeks >= 1, simulations >= 10, shrink >= 0 and history_days > 0".into())
        }
    }
}

/// One open invoice to forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenInvoice {
    /// Seeds its RNG: must depend on the invoice alone (the run passes its
    /// id's hash, `schema::INVOICE_SEED`).
    pub key: u64,
    /// Index into the histories passed to [`forecast`].
    pub customer: usize,
    pub due: i32,
    pub open_cents: i64,
    /// Chance it is not collected within the horizon.
    pub pd: f64,
}

/// One week of the forecast; money in cents.
#[derive(Debug, Clone, PartialEq)]
pub struct Week {
    /// Days since 1970 of the week's first day (as-of + 1 + 7 k).
    pub start: i32,
    pub expected_cents: i64,
    pub p10_cents: i64,
    pub p90_cents: i64,
}

/// Tries at finding a payment day after the as-of day before giving up and
/// spreading the payment over the next four weeks.
const REDRAWS: i32 = 20;

/// Days over which a payment that found no day after the as-of day is
/// spread (evenly, from the day after).
const SPREAD_DAYS: i32 = 28;

/// How many days late values of a history are at most some number: the
/// cumulative count over the range of values, so each question is one
/// lookup (the population has millions of values).
struct Counts {
    min: i32,
    /// `at_most[i]`: values <= min + i.
    at_most: Vec<u32>,
    n: usize,
}

impl Counts {
    fn new(values: impl Iterator<Item = i32> + Clone) -> Counts {
        let (min, max) = values
            .clone()
            .fold((i32::MAX, i32::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if min > max {
            return Counts {
                min: 0,
                at_most: Vec::new(),
                n: 0,
            };
        }
        let mut at_most = vec![0u32; (max as i64 - min as i64 + 1) as usize];
        let mut n = 0;
        for v in values {
            at_most[(v - min) as usize] += 1;
            n += 1;
        }
        for i in 1..at_most.len() {
            at_most[i] += at_most[i - 1];
        }
        Counts { min, at_most, n }
    }

    /// Values <= `x`.
    fn at_most(&self, x: i32) -> usize {
        if self.n == 0 || x < self.min {
            0
        } else {
            let i = (x as i64 - self.min as i64) as usize;
            self.at_most.get(i).map_or(self.n, |&c| c as usize)
        }
    }
}

/// The chance that an invoice's days late are at most `x`: the mixture of
/// the customer's own history (`own`, sorted, weight `w_own`) and the
/// population's. An empty population means "paid on the due day".
fn late_at_most(x: i32, own: &[i32], w_own: f64, population: &Counts) -> f64 {
    let own_share = if own.is_empty() {
        0.0
    } else {
        own.partition_point(|&v| v <= x) as f64 / own.len() as f64
    };
    let population_share = if population.n == 0 {
        (x >= 0) as u8 as f64
    } else {
        population.at_most(x) as f64 / population.n as f64
    };
    w_own * own_share + (1.0 - w_own) * population_share
}

/// The chances that `inv` is paid in each week `k` (days d + 1 + 7k ..=
/// d + 7 + 7k), written into `chances` (one per week); the rest of 1 is
/// the chance it is not paid within the horizon (its pd, and payments
/// later than the last week). `own` is its customer's sorted history,
/// `population` everyone's.
fn week_chances(
    inv: &OpenInvoice,
    own: &[i32],
    population: &Counts,
    d: i32,
    cfg: &ForecastConfig,
    chances: &mut [f64],
) {
    let w_own = if own.is_empty() {
        0.0
    } else {
        own.len() as f64 / (own.len() as f64 + cfg.shrink)
    };
    let f = |x: i32| late_at_most(x, own, w_own, population);
    // A draw lands after the as-of day when its days late exceed t.
    let t = d - inv.due;
    let after = 1.0 - f(t);
    // All REDRAWS draws on or before the as-of day: spread instead.
    let spread = (1.0 - after).powi(REDRAWS);
    let collected = 1.0 - inv.pd.clamp(0.0, 1.0);
    for (k, chance) in chances.iter_mut().enumerate() {
        let (first, last) = (7 * k as i32, 7 * k as i32 + 6);
        let drawn = if after > 0.0 {
            (f(t + last + 1) - f(t + first)) / after
        } else {
            0.0
        };
        let spread_days = (last.min(SPREAD_DAYS - 1) - first + 1).max(0);
        let spread_share = spread_days as f64 / SPREAD_DAYS as f64;
        *chance = collected * ((1.0 - spread) * drawn + spread * spread_share);
    }
}

/// Turns a uniform draw u in [0, 2^32) into the week an invoice is paid
/// in: the first week k with u < below[k] (its chances up to k, scaled to
/// 2^32), or the number of weeks when u is past them all (not paid within
/// the horizon). The answer is the count of bounds at most u; a table
/// over u's top 8 bits holds that count for every 2^24-wide slice of draws
/// that no bound cuts, so most draws are one lookup, and only a draw in
/// one of the (at most `weeks`) cut slices searches the bounds. The same
/// answer as the search alone; the 175M draws of a 100k-customer run took
/// 0.37-0.38 s instead of ~0.49 (docs/performance.md, session 13), and
/// with the table an array and each draw adding into its week's slot
/// without a branch (session 14) the chances and draws together take
/// ~0.31-0.38 s instead of ~0.42-0.50.
struct WeekFinder {
    below: Vec<u64>,
    /// Per slice: the count of bounds at most the slice's first draw, with
    /// [`CUT`] set where a bound falls inside the slice. An array, so that
    /// a draw's top 8 bits index it with no bounds check.
    slices: [u8; 256],
}

impl Default for WeekFinder {
    fn default() -> Self {
        WeekFinder {
            below: Vec::new(),
            slices: [0; 256],
        }
    }
}

/// A [`WeekFinder`] slice holds a bound.
const CUT: u8 = 0x80;

impl WeekFinder {
    /// Sets the bounds from one invoice's chances per week.
    fn set(&mut self, chances: &[f64]) {
        assert!(chances.len() < CUT as usize, "fewer than 128 weeks");
        self.below.clear();
        let mut sum = 0.0;
        for chance in chances {
            sum += chance;
            self.below.push((sum * 4_294_967_296.0) as u64);
        }
        let mut k = 0;
        for (slice, entry) in (0..256u64).zip(&mut self.slices) {
            let (first, last) = (slice << 24, (slice << 24) | 0xFF_FFFF);
            while k < self.below.len() && self.below[k] <= first {
                k += 1;
            }
            let cut = k < self.below.len() && self.below[k] <= last;
            *entry = k as u8 | if cut { CUT } else { 0 };
        }
    }

    /// The week of draw `u` (the number of weeks: not paid within them).
    #[inline]
    fn week(&self, u: u32) -> usize {
        let slice = self.slices[(u >> 24) as usize];
        if slice & CUT == 0 {
            return slice as usize;
        }
        let from = (slice & !CUT) as usize;
        from + self.below[from..].partition_point(|&b| b <= u as u64)
    }
}

/// Forecasts `invoices` from day `d` (see the module docs). `history[c]`
/// holds customer c's days late (settled - due) of recent settlements,
/// sorted.
pub fn forecast(
    invoices: &[OpenInvoice],
    history: &[Vec<i32>],
    d: i32,
    cfg: &ForecastConfig,
) -> Vec<Week> {
    debug_assert!(
        history.iter().all(|h| h.is_sorted()),
        "histories are sorted"
    );
    let population = Counts::new(history.iter().flatten().copied());
    let (weeks, sims) = (cfg.weeks, cfg.simulations);
    let mut chances = vec![0.0; invoices.len() * weeks];
    chances
        .par_chunks_mut(weeks)
        .zip(invoices)
        .for_each(|(chances, inv)| {
            week_chances(inv, &history[inv.customer], &population, d, cfg, chances)
        });
    // Per simulation, a total per week and one more for the draws that
    // land after the horizon (not paid within it): every draw adds to its
    // slot, with no branch on whether it was paid (a branch the draws of
    // a doubtful invoice mispredict often).
    let stride = weeks + 1;
    let totals = invoices
        .par_iter()
        .zip(chances.par_chunks(weeks))
        .fold(
            || (vec![0i64; sims * stride], WeekFinder::default()),
            |(mut totals, mut finder), (inv, chances)| {
                finder.set(chances);
                let mut rng = ChaCha8Rng::seed_from_u64(
                    cfg.seed ^ inv.key.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                );
                for sim in totals.chunks_exact_mut(stride) {
                    sim[finder.week(rng.next_u32())] += inv.open_cents;
                }
                (totals, finder)
            },
        )
        .map(|(totals, _)| totals)
        .reduce(
            || vec![0i64; sims * stride],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    // Expected values summed in invoice order: the same whatever the
    // thread count.
    let mut expected = vec![0.0f64; weeks];
    for (inv, chances) in invoices.iter().zip(chances.chunks(weeks)) {
        for (e, chance) in expected.iter_mut().zip(chances) {
            *e += inv.open_cents as f64 * chance;
        }
    }
    (0..weeks)
        .map(|w| {
            let mut per_sim: Vec<i64> = (0..sims).map(|s| totals[s * stride + w]).collect();
            per_sim.sort_unstable();
            let at = |q: f64| per_sim[((q * (sims - 1) as f64).round() as usize).min(sims - 1)];
            let expected_cents = expected[w].round() as i64;
            // The range holds the expected value: with a few large invoices
            // the draws' 10th percentile can lie above it.
            Week {
                start: d + 1 + 7 * w as i32,
                expected_cents,
                p10_cents: at(0.1).min(expected_cents),
                p90_cents: at(0.9).max(expected_cents),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(key: u64, due: i32, cents: i64, pd: f64) -> OpenInvoice {
        OpenInvoice {
            key,
            customer: 0,
            due,
            open_cents: cents,
            pd,
        }
    }

    #[test]
    fn a_punctual_customer_pays_in_the_week_of_the_due_day() {
        // Always paid exactly on the due day; due on d + 10 -> week 2 (days
        // d+8 .. d+14), all of it, in every draw.
        let w = forecast(
            &[inv(1, 110, 50_000, 0.0)],
            &[vec![0; 30]],
            100,
            &ForecastConfig::default(),
        );
        assert_eq!(w.len(), 13);
        assert_eq!(w[0].start, 101);
        assert_eq!(w[1].start, 108);
        assert_eq!(
            (w[1].expected_cents, w[1].p10_cents, w[1].p90_cents),
            (50_000, 50_000, 50_000)
        );
        assert_eq!(w.iter().map(|w| w.expected_cents).sum::<i64>(), 50_000);
    }

    #[test]
    fn pd_discounts_the_expected_total() {
        // pd 0.3 over 500 draws: about 70% collected.
        let invoices: Vec<OpenInvoice> = (0..200).map(|k| inv(k, 105, 10_000, 0.3)).collect();
        let w = forecast(&invoices, &[vec![0; 30]], 100, &ForecastConfig::default());
        let total: i64 = w.iter().map(|w| w.expected_cents).sum();
        let share = total as f64 / 2_000_000.0;
        assert!((share - 0.7).abs() < 0.01, "{share}");
        for week in &w {
            assert!(week.p10_cents <= week.expected_cents && week.expected_cents <= week.p90_cents);
            assert!(week.p90_cents <= 2_000_000);
        }
    }

    #[test]
    fn overdue_invoices_are_paid_after_today() {
        // Due 30 days ago; the customer pays 0 or 40 days late: only the
        // 40-day draws fit, so everything lands on d + 10, week 2.
        let w = forecast(
            &[inv(7, 70, 10_000, 0.0)],
            &[vec![0, 40]],
            100,
            &ForecastConfig {
                shrink: 0.0,
                ..Default::default()
            },
        );
        assert_eq!(w[1].expected_cents, 10_000);
    }

    #[test]
    fn own_history_spreads_the_invoice_over_the_weeks_it_lands_in() {
        // Due tomorrow (d = 100, due 101), paid 0, 7, 14 or 21 days late:
        // days 101, 108, 115, 122 = weeks 1..4, a quarter each; pd 0.2
        // leaves 0.8 of it: 0.8 * 0.25 * 10,000 = 2,000 cents a week.
        let w = forecast(
            &[inv(1, 101, 10_000, 0.2)],
            &[vec![0, 7, 14, 21]],
            100,
            &ForecastConfig {
                shrink: 0.0,
                ..Default::default()
            },
        );
        let expected: Vec<i64> = w.iter().map(|w| w.expected_cents).collect();
        assert_eq!(expected[..5], [2_000, 2_000, 2_000, 2_000, 0]);
        assert!(expected[4..].iter().all(|&e| e == 0));
    }

    #[test]
    fn little_history_leans_on_everyone() {
        // Customer 0 has one settlement, paid on the due day; customer 1
        // three, each 7 days late. Shrink 1: weight 1 / (1 + 1) = 0.5 on
        // the own history, 0.5 on everyone's [0, 7, 7, 7]. Due tomorrow:
        // week 1 = 0.5 * 1 + 0.5 * 1/4 = 0.625, week 2 = 0.5 * 3/4 = 0.375
        // of 8,000 cents: 5,000 and 3,000.
        let invoice = inv(1, 101, 8_000, 0.0);
        let history = vec![vec![0], vec![7, 7, 7]];
        let w = forecast(
            &[invoice],
            &history,
            100,
            &ForecastConfig {
                shrink: 1.0,
                ..Default::default()
            },
        );
        assert_eq!((w[0].expected_cents, w[1].expected_cents), (5_000, 3_000));
        // Each draw puts all of it in one week: the range is 0 to 8,000.
        assert_eq!((w[0].p10_cents, w[0].p90_cents), (0, 8_000));
    }

    #[test]
    fn never_after_today_spreads_over_four_weeks() {
        // Due 50 days ago and always paid on the due day: no draw lands
        // after today, so it is spread over days d+1..d+28, a quarter a
        // week for weeks 1..4.
        let w = forecast(
            &[inv(1, 50, 40_000, 0.0)],
            &[vec![0; 5]],
            100,
            &ForecastConfig::default(),
        );
        let expected: Vec<i64> = w.iter().map(|w| w.expected_cents).collect();
        assert_eq!(expected[..5], [10_000, 10_000, 10_000, 10_000, 0]);
    }

    #[test]
    fn the_range_holds_the_expected_value_even_for_one_invoice() {
        // One invoice, pd 0.05: about 25 of 500 draws collect nothing, so
        // the draws' 10th percentile is the whole amount, above the
        // expected 95%. The range is widened to hold the expected value.
        let w = forecast(
            &[inv(3, 105, 10_000, 0.05)],
            &[vec![0; 30]],
            100,
            &ForecastConfig::default(),
        );
        assert_eq!(w[0].expected_cents, 9_500);
        assert_eq!((w[0].p10_cents, w[0].p90_cents), (9_500, 10_000));
    }

    #[test]
    fn the_range_matches_the_binomial_one() {
        // 200 invoices of 10,000 cents, each collected in week 1 with
        // chance 0.7, independently: the week's total is 10,000 x
        // Binomial(200, 0.7), mean 1,400,000, sd 10,000 x sqrt(200 x 0.7 x
        // 0.3) = 64,807; its 10th and 90th percentiles are about 1,320,000
        // and 1,480,000 (normal: mean -/+ 1.2816 sd = 1,316,945 / 1,483,055;
        // exact binomial quantiles 132 and 148 invoices). The 10th percentile
        // of 500 draws has a standard error of about 5,000 cents.
        let invoices: Vec<OpenInvoice> = (0..200).map(|k| inv(k, 101, 10_000, 0.3)).collect();
        let w = forecast(&invoices, &[vec![0; 30]], 100, &ForecastConfig::default());
        assert_eq!(w[0].expected_cents, 1_400_000);
        assert!(
            (w[0].p10_cents - 1_320_000).abs() <= 25_000,
            "{}",
            w[0].p10_cents
        );
        assert!(
            (w[0].p90_cents - 1_480_000).abs() <= 25_000,
            "{}",
            w[0].p90_cents
        );
    }

    /// The first week k with u < below[k], as the search alone finds it.
    fn week_by_search(below: &[u64], u: u32) -> usize {
        below.partition_point(|&b| b <= u as u64)
    }

    proptest::proptest! {
        #[test]
        fn the_week_finder_agrees_with_the_search(
            chances in proptest::collection::vec(0.0f64..0.2, 1..20),
            draws in proptest::collection::vec(proptest::num::u32::ANY, 200),
        ) {
            let mut finder = WeekFinder::default();
            finder.set(&chances);
            for &u in &draws {
                proptest::prop_assert_eq!(finder.week(u), week_by_search(&finder.below, u));
            }
            // Draws right at and beside each bound and each slice's edges.
            let edges = finder.below.iter().flat_map(|&b| [b.saturating_sub(1), b, b + 1]);
            let slices = (0..256u64).flat_map(|s| [s << 24, (s << 24) | 0xFF_FFFF]);
            for u in edges.chain(slices).filter(|&u| u <= u32::MAX as u64) {
                let u = u as u32;
                proptest::prop_assert_eq!(finder.week(u), week_by_search(&finder.below, u));
            }
        }
    }

    #[test]
    fn the_week_finder_handles_empty_weeks_and_bounds_inside_one_slice() {
        // Weeks 0 and 2 have no chance, weeks 3 and 4 end inside the same
        // 2^24-wide slice; the rest of 1 is "not paid" (5 weeks).
        let mut finder = WeekFinder::default();
        let slice = 2f64.powi(24) / 2f64.powi(32);
        finder.set(&[0.0, 0.25, 0.0, 0.25 + slice * 0.3, slice * 0.4]);
        let b = finder.below.clone();
        assert_eq!(b[0], 0);
        assert_eq!(b[1], b[2]);
        assert_eq!(b[3] >> 24, b[4] >> 24, "the two bounds share a slice");
        for (u, week) in [
            (0u32, 1),
            (b[1] as u32 - 1, 1),
            (b[1] as u32, 3),
            (b[3] as u32 - 1, 3),
            (b[3] as u32, 4),
            (b[4] as u32 - 1, 4),
            (b[4] as u32, 5),
            (u32::MAX, 5),
        ] {
            assert_eq!(finder.week(u), week, "u = {u}");
            assert_eq!(week_by_search(&b, u), week, "u = {u}");
        }
    }

    #[test]
    fn same_result_on_one_thread_and_many() {
        let invoices: Vec<OpenInvoice> = (0..300)
            .map(|k| inv(k, 90 + (k % 40) as i32, 1_000 + k as i64, 0.1))
            .collect();
        let history = vec![vec![-3, 0, 2, 5, 12, 30, 61]];
        let cfg = ForecastConfig::default();
        let many = forecast(&invoices, &history, 100, &cfg);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| forecast(&invoices, &history, 100, &cfg));
        assert_eq!(many, one);
    }
}

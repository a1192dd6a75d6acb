//! The 13-week cash forecast of today's open invoices (docs/actions.md).
//!
//! Each open invoice, in each of `simulations` seeded draws: with the
//! customer's pd it is not collected within the horizon; otherwise its days
//! late are drawn from the customer's own settlements of the last
//! `history_days` (with probability n / (n + `shrink`), n = their count) or
//! from everyone's, conditioned on landing after the as-of day (an invoice
//! still open today was not paid earlier). Weekly totals per draw give
//! the mean (expected) and the 10th and 90th percentiles. New sales are
//! not forecast.
//!
//! Deterministic whatever the thread count: each invoice draws from its own
//! RNG seeded by (seed, invoice key), and totals are summed in integer cents.

use rand::{Rng, SeedableRng};
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
    /// Seeds its RNG: must depend on the invoice alone (the caller hashes
    /// its id).
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

/// Tries at drawing a payment day after the as-of day before giving up and
/// spreading the payment over the next four weeks.
const REDRAWS: usize = 20;

/// Forecasts `invoices` from day `d` (see the module docs). `history[c]`
/// holds customer c's days late (settled - due) of recent settlements.
pub fn forecast(
    invoices: &[OpenInvoice],
    history: &[Vec<i32>],
    d: i32,
    cfg: &ForecastConfig,
) -> Vec<Week> {
    let population: Vec<i32> = history.iter().flatten().copied().collect();
    let (weeks, sims) = (cfg.weeks, cfg.simulations);
    let totals = invoices
        .par_iter()
        .fold(
            || vec![0i64; sims * weeks],
            |mut totals, inv| {
                let mut rng = ChaCha8Rng::seed_from_u64(
                    cfg.seed ^ inv.key.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                );
                let own = &history[inv.customer];
                let w_own = own.len() as f64 / (own.len() as f64 + cfg.shrink);
                for sim in 0..sims {
                    if rng.random::<f64>() < inv.pd {
                        continue;
                    }
                    let mut day = None;
                    for _ in 0..REDRAWS {
                        let pool = if !own.is_empty() && rng.random::<f64>() < w_own {
                            own
                        } else {
                            &population
                        };
                        let late = if pool.is_empty() {
                            0
                        } else {
                            pool[rng.random_range(0..pool.len())]
                        };
                        if inv.due + late > d {
                            day = Some(inv.due + late);
                            break;
                        }
                    }
                    let day = day.unwrap_or_else(|| d + 1 + rng.random_range(0..28));
                    let week = ((day - d - 1) / 7) as usize;
                    if week < weeks {
                        totals[sim * weeks + week] += inv.open_cents;
                    }
                }
                totals
            },
        )
        .reduce(
            || vec![0i64; sims * weeks],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    (0..weeks)
        .map(|w| {
            let mut per_sim: Vec<i64> = (0..sims).map(|s| totals[s * weeks + w]).collect();
            let mean = per_sim.iter().sum::<i64>() as f64 / sims as f64;
            per_sim.sort_unstable();
            let at = |q: f64| per_sim[((q * (sims - 1) as f64).round() as usize).min(sims - 1)];
            Week {
                start: d + 1 + 7 * w as i32,
                expected_cents: mean.round() as i64,
                p10_cents: at(0.1),
                p90_cents: at(0.9),
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

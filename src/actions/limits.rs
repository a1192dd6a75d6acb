//! Credit-limit recommendations, one per customer, each with its reason.
//!
//! Rules, first match wins (docs/actions.md):
//! - not active (no invoice yet): `keep`, no score;
//! - band E: `credit_hold` (limit 0) at `hold_dpd`+ days past due or after
//!   an insolvency filing, else `require_collateral` (limit kept);
//! - band D: `decrease` to the open balance rounded up to `round_to`, never
//!   below the open balance nor above the current limit (`keep` if that
//!   would not lower it);
//! - bands A/B using more than `increase_min_utilization` of their limit,
//!   nothing past due and no late payment in `no_late_days`: `increase` by
//!   `increase_pct`, rounded up to `round_to`, capped at `max_limit`;
//! - otherwise `keep`.

use serde::{Deserialize, Serialize};

use super::Account;
use crate::exprs::to_cents;
use crate::model::reasons::{money_cents as m, percent};

pub const INCREASE: &str = "increase";
pub const KEEP: &str = "keep";
pub const DECREASE: &str = "decrease";
pub const REQUIRE_COLLATERAL: &str = "require_collateral";
pub const CREDIT_HOLD: &str = "credit_hold";

/// `[limits]` settings. Money in the book's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub increase_bands: Vec<String>,
    pub increase_min_utilization: f64,
    pub increase_pct: f64,
    pub no_late_days: i64,
    pub max_limit: f64,
    pub round_to: f64,
    pub decrease_bands: Vec<String>,
    pub collateral_bands: Vec<String>,
    pub hold_dpd: i64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            increase_bands: vec!["A".into(), "B".into()],
            increase_min_utilization: 0.7,
            increase_pct: 20.0,
            no_late_days: 180,
            max_limit: 1_000_000.0,
            round_to: 1_000.0,
            decrease_bands: vec!["D".into()],
            collateral_bands: vec!["E".into()],
            hold_dpd: 60,
        }
    }
}

impl LimitsConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.round_to > 0.0 && self.increase_pct >= 0.0 && self.max_limit >= 0.0 {
            Ok(())
        } else {
            Err("round_to must be positive, increase_pct and max_limit not negative".into())
        }
    }
}

/// One row of `credit_limits.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitDecision {
    pub customer_id: String,
    pub current_cents: i64,
    pub recommended_cents: i64,
    /// (recommended - current) / current x 100, one decimal; `None` for a
    /// zero current limit that changes.
    pub change_pct: Option<f64>,
    pub decision: &'static str,
    pub reason: String,
}

/// `cents` rounded up to a multiple of `step` (money).
fn round_up(cents: i64, step: f64) -> i64 {
    let step = to_cents(step);
    if step <= 0 {
        return cents;
    }
    cents.div_euclid(step) * step + if cents.rem_euclid(step) > 0 { step } else { 0 }
}

/// The decision for one customer (see the module docs).
pub fn decide(a: &Account, cfg: &LimitsConfig) -> LimitDecision {
    let current = a.credit_limit_cents;
    let (decision, recommended, reason) = if !a.active {
        (KEEP, current, "no invoice yet: not scored".to_string())
    } else if cfg.collateral_bands.contains(&a.band) {
        if a.max_days_past_due >= cfg.hold_dpd || a.insolvency_filed {
            let why = if a.insolvency_filed {
                "insolvency filing on record".to_string()
            } else {
                format!("{} days past due", a.max_days_past_due)
            };
            (
                CREDIT_HOLD,
                0,
                format!("band {} and {why}: no new orders on credit", a.band),
            )
        } else {
            (
                REQUIRE_COLLATERAL,
                current,
                format!(
                    "band {} (pd {}): keep the limit only against collateral or prepayment",
                    a.band,
                    percent(a.pd)
                ),
            )
        }
    } else if cfg.decrease_bands.contains(&a.band) {
        let to = round_up(a.open_cents, cfg.round_to).max(a.open_cents);
        if to < current {
            (
                DECREASE,
                to,
                format!(
                    "band {} (pd {}): lower towards the open balance of {}",
                    a.band,
                    percent(a.pd),
                    m(a.open_cents)
                ),
            )
        } else {
            (
                KEEP,
                current,
                format!(
                    "band {} but the open balance of {} already fills the limit",
                    a.band,
                    m(a.open_cents)
                ),
            )
        }
    } else if cfg.increase_bands.contains(&a.band)
        && a.utilization > cfg.increase_min_utilization
        && a.max_days_past_due == 0
        && a.days_since_late_payment
            .is_none_or(|d| d > cfg.no_late_days)
    {
        let cap = to_cents(cfg.max_limit);
        let raised = round_up(
            (current as f64 * (1.0 + cfg.increase_pct / 100.0)).round() as i64,
            cfg.round_to,
        )
        .min(cap.max(current));
        if raised > current {
            (
                INCREASE,
                raised,
                format!(
                    "band {}, using {} of the limit, no late payment in {} days",
                    a.band,
                    percent(a.utilization),
                    cfg.no_late_days
                ),
            )
        } else {
            (
                KEEP,
                current,
                format!("band {} and already at the cap of {}", a.band, m(cap)),
            )
        }
    } else {
        let why = if !cfg.increase_bands.contains(&a.band) {
            format!("band {} (pd {}): no change", a.band, percent(a.pd))
        } else if a.max_days_past_due > 0 {
            format!(
                "band {} but {} days past due: no increase",
                a.band, a.max_days_past_due
            )
        } else if let Some(days) = a.days_since_late_payment.filter(|d| *d <= cfg.no_late_days) {
            format!("band {} but paid late {days} days ago: no increase", a.band)
        } else {
            format!(
                "band {}, using {} of the limit: enough headroom",
                a.band,
                percent(a.utilization)
            )
        };
        (KEEP, current, why)
    };
    let change_pct = if current == 0 {
        (recommended == 0).then_some(0.0)
    } else {
        let pct = (recommended - current) as f64 / current as f64 * 100.0;
        Some((pct * 10.0).round() / 10.0)
    };
    LimitDecision {
        customer_id: a.customer_id.clone(),
        current_cents: current,
        recommended_cents: recommended,
        change_pct,
        decision,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(band: &str, limit: f64, open: f64) -> Account {
        Account {
            customer_id: "C1".into(),
            active: true,
            band: band.into(),
            pd: 0.01,
            credit_limit_cents: (limit * 100.0) as i64,
            open_cents: (open * 100.0) as i64,
            utilization: open / limit,
            ..Default::default()
        }
    }

    fn cfg() -> LimitsConfig {
        LimitsConfig::default()
    }

    #[test]
    fn reliable_heavy_users_get_20_percent_more_rounded_up_and_capped() {
        // 50,000 x 1.2 = 60,000.
        let d = decide(&account("A", 50_000.0, 40_000.0), &cfg());
        assert_eq!((d.decision, d.recommended_cents), (INCREASE, 6_000_000));
        assert_eq!(d.change_pct, Some(20.0));
        assert_eq!(
            d.reason,
            "band A, using 80% of the limit, no late payment in 180 days"
        );
        // 12,345 x 1.2 = 14,814 -> 15,000 (+21.5%).
        let d = decide(&account("B", 12_345.0, 10_000.0), &cfg());
        assert_eq!(d.recommended_cents, 1_500_000);
        assert_eq!(d.change_pct, Some(21.5));
        // 900,000 x 1.2 = 1,080,000 -> capped at 1,000,000.
        let d = decide(&account("A", 900_000.0, 800_000.0), &cfg());
        assert_eq!(d.recommended_cents, 100_000_000);
        // At the cap already: keep.
        let d = decide(&account("A", 1_000_000.0, 800_000.0), &cfg());
        assert_eq!(d.decision, KEEP);
    }

    #[test]
    fn no_increase_for_light_use_late_payers_or_overdue() {
        // Exactly 70% is not more than 70%.
        assert_eq!(
            decide(&account("A", 10_000.0, 7_000.0), &cfg()).decision,
            KEEP
        );
        let late = Account {
            days_since_late_payment: Some(180),
            ..account("A", 10_000.0, 9_000.0)
        };
        assert_eq!(decide(&late, &cfg()).decision, KEEP);
        let long_ago = Account {
            days_since_late_payment: Some(181),
            ..account("A", 10_000.0, 9_000.0)
        };
        assert_eq!(decide(&long_ago, &cfg()).decision, INCREASE);
        let overdue = Account {
            max_days_past_due: 3,
            ..account("A", 10_000.0, 9_000.0)
        };
        assert_eq!(decide(&overdue, &cfg()).decision, KEEP);
        assert_eq!(
            decide(&account("C", 10_000.0, 9_000.0), &cfg()).decision,
            KEEP
        );
    }

    #[test]
    fn band_d_decreases_towards_exposure_never_below_it() {
        // Open 12,300.50 -> 13,000 (rounded up), from 50,000: -74%.
        let d = decide(&account("D", 50_000.0, 12_300.5), &cfg());
        assert_eq!((d.decision, d.recommended_cents), (DECREASE, 1_300_000));
        assert_eq!(d.change_pct, Some(-74.0));
        assert!(d.recommended_cents >= 1_230_050);
        // Open balance already at the limit: keep.
        let d = decide(&account("D", 10_000.0, 10_000.0), &cfg());
        assert_eq!((d.decision, d.recommended_cents), (KEEP, 1_000_000));
    }

    #[test]
    fn band_e_requires_collateral_or_goes_on_hold() {
        let d = decide(&account("E", 20_000.0, 5_000.0), &cfg());
        assert_eq!(
            (d.decision, d.recommended_cents),
            (REQUIRE_COLLATERAL, 2_000_000)
        );
        assert_eq!(d.change_pct, Some(0.0));
        let late = Account {
            max_days_past_due: 60,
            ..account("E", 20_000.0, 5_000.0)
        };
        let d = decide(&late, &cfg());
        assert_eq!((d.decision, d.recommended_cents), (CREDIT_HOLD, 0));
        assert_eq!(d.change_pct, Some(-100.0));
        assert_eq!(
            d.reason,
            "band E and 60 days past due: no new orders on credit"
        );
        let insolvent = Account {
            insolvency_filed: true,
            ..account("E", 20_000.0, 5_000.0)
        };
        assert_eq!(decide(&insolvent, &cfg()).decision, CREDIT_HOLD);
    }

    #[test]
    fn inactive_and_zero_limit_customers() {
        let new = Account {
            active: false,
            ..account("A", 5_000.0, 0.0)
        };
        let d = decide(&new, &cfg());
        assert_eq!(
            (d.decision, d.reason.as_str()),
            (KEEP, "no invoice yet: not scored")
        );
        let zero = Account {
            utilization: 10.0,
            ..account("D", 0.0, 0.0)
        };
        let d = decide(
            &Account {
                open_cents: 250_000,
                ..zero
            },
            &cfg(),
        );
        assert_eq!((d.decision, d.change_pct), (KEEP, Some(0.0)));
    }
}

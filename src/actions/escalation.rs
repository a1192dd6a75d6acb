//! The collection queue: which action each account needs today, and in
//! what order (docs/actions.md has the rules in prose).
//!
//! Contract of [`decide`]: `None` when nothing is to be done. The ladder
//! runs on the largest days past due of the *non-disputed* overdue
//! invoices; disputed overdue amounts alone give `dispute_resolution`;
//! high-risk accounts with nothing overdue but an invoice due soon get a
//! pre-due `reminder_email`. [`queue`] ranks by priority = pd x overdue
//! balance (cents, largest first), ties by customer id.

use serde::{Deserialize, Serialize};

use super::Account;
use crate::model::reasons::{money, money_cents as cents};

pub const REMINDER_EMAIL: &str = "reminder_email";
pub const PHONE_CALL: &str = "phone_call";
pub const DEMAND_LETTER: &str = "demand_letter";
pub const COLLECTION_AGENCY: &str = "collection_agency";
pub const LEGAL_REVIEW: &str = "legal_review";
pub const DISPUTE_RESOLUTION: &str = "dispute_resolution";

/// Every action, in ladder order.
pub const ACTIONS: [&str; 6] = [
    REMINDER_EMAIL,
    PHONE_CALL,
    DEMAND_LETTER,
    COLLECTION_AGENCY,
    LEGAL_REVIEW,
    DISPUTE_RESOLUTION,
];
const RUNGS: [&str; 4] = [REMINDER_EMAIL, PHONE_CALL, DEMAND_LETTER, COLLECTION_AGENCY];

/// `[escalation]` settings. Money in the book's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EscalationConfig {
    /// Largest days past due of each rung below the agency: reminder email
    /// up to 15, phone call up to 30, demand letter up to 60; the agency
    /// above.
    pub reminder_max_dpd: i64,
    pub phone_max_dpd: i64,
    pub demand_max_dpd: i64,
    /// Bands that go one rung earlier.
    pub shift_bands: Vec<String>,
    /// Below this non-disputed overdue amount the agency rung becomes a
    /// demand letter.
    pub agency_min_overdue: f64,
    /// At or above this overdue amount, an account on the agency rung that
    /// is `legal_dpd` days past due or unresponsive goes to legal review.
    pub legal_min_overdue: f64,
    pub legal_dpd: i64,
    /// No payment received in this many days = unresponsive.
    pub unresponsive_days: i64,
    /// Bands that get a pre-due reminder for invoices due within
    /// `pre_due_days` when nothing is overdue.
    pub pre_due_bands: Vec<String>,
    pub pre_due_days: i32,
    /// A payment plan granted within this many days holds the account at
    /// reminders, unless an invoice issued after the plan is overdue.
    pub plan_hold_days: i32,
    /// Days to carry out each action: `due_by` = as-of + these.
    pub service_days: ServiceDays,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceDays {
    pub reminder_email: i64,
    pub phone_call: i64,
    pub demand_letter: i64,
    pub collection_agency: i64,
    pub legal_review: i64,
    pub dispute_resolution: i64,
}

impl Default for ServiceDays {
    fn default() -> Self {
        ServiceDays {
            reminder_email: 1,
            phone_call: 2,
            demand_letter: 5,
            collection_agency: 10,
            legal_review: 10,
            dispute_resolution: 7,
        }
    }
}

impl ServiceDays {
    pub fn of(&self, action: &str) -> i64 {
        match action {
            REMINDER_EMAIL => self.reminder_email,
            PHONE_CALL => self.phone_call,
            DEMAND_LETTER => self.demand_letter,
            COLLECTION_AGENCY => self.collection_agency,
            LEGAL_REVIEW => self.legal_review,
            _ => self.dispute_resolution,
        }
    }
}

impl Default for EscalationConfig {
    fn default() -> Self {
        EscalationConfig {
            reminder_max_dpd: 15,
            phone_max_dpd: 30,
            demand_max_dpd: 60,
            shift_bands: vec!["D".into(), "E".into()],
            agency_min_overdue: 1_000.0,
            legal_min_overdue: 50_000.0,
            legal_dpd: 90,
            unresponsive_days: 60,
            pre_due_bands: vec!["D".into(), "E".into()],
            pre_due_days: 7,
            plan_hold_days: 90,
            service_days: ServiceDays::default(),
        }
    }
}

impl EscalationConfig {
    pub fn check(&self) -> Result<(), String> {
        if 0 < self.reminder_max_dpd
            && self.reminder_max_dpd < self.phone_max_dpd
            && self.phone_max_dpd < self.demand_max_dpd
        {
            Ok(())
        } else {
            Err("rungs must rise: 0 < reminder_max_dpd < phone_max_dpd < demand_max_dpd".into())
        }
    }
}

/// One row of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub customer_id: String,
    pub name: String,
    pub action: &'static str,
    /// pd x overdue balance, in cents.
    pub priority_cents: i64,
    pub overdue_cents: i64,
    pub max_days_past_due: i64,
    pub pd: f64,
    pub band: String,
    pub reasons: String,
    /// Days after the as-of day by which the action is due.
    pub service_days: i64,
}

fn invoices(n: i64) -> String {
    if n == 1 {
        "1 invoice".into()
    } else {
        format!("{n} invoices")
    }
}

/// The action for one account, if any (see the module docs).
pub fn decide(a: &Account, cfg: &EscalationConfig) -> Option<Escalation> {
    if !a.active {
        return None;
    }
    let mut why: Vec<String> = Vec::new();
    let action = if a.dunning_count > 0 {
        let dpd = a.dunning_max_dpd;
        why.push(format!(
            "{} up to {dpd} days past due, {} overdue",
            invoices(a.dunning_count),
            cents(a.dunning_cents)
        ));
        let mut rung = if dpd <= cfg.reminder_max_dpd {
            0
        } else if dpd <= cfg.phone_max_dpd {
            1
        } else if dpd <= cfg.demand_max_dpd {
            2
        } else {
            3
        };
        if cfg.shift_bands.contains(&a.band) && rung < 3 {
            rung += 1;
            why.push(format!("band {}: one rung earlier", a.band));
        }
        if let Some(plan) = a.plan_day.filter(|_| !a.overdue_after_plan) {
            if rung > 0 {
                rung = 0;
                why.push(format!(
                    "payment plan granted {}: held at reminders",
                    crate::dates::from_days(plan)
                ));
            }
        }
        let unresponsive = a
            .days_since_payment
            .is_none_or(|d| d >= cfg.unresponsive_days);
        let overdue = a.dunning_cents as f64 / 100.0;
        if rung == 3 && overdue >= cfg.legal_min_overdue && (dpd >= cfg.legal_dpd || unresponsive) {
            why.push(match a.days_since_payment {
                _ if dpd >= cfg.legal_dpd => format!(
                    "over {} overdue and {dpd} days past due",
                    money(cfg.legal_min_overdue)
                ),
                Some(days) => format!(
                    "over {} overdue, no payment in {days} days",
                    money(cfg.legal_min_overdue)
                ),
                None => format!("over {} overdue, never paid", money(cfg.legal_min_overdue)),
            });
            LEGAL_REVIEW
        } else if rung == 3 && overdue < cfg.agency_min_overdue {
            why.push(format!(
                "below the agency minimum of {}",
                money(cfg.agency_min_overdue)
            ));
            DEMAND_LETTER
        } else {
            RUNGS[rung]
        }
    } else if a.disputed_count > 0 {
        DISPUTE_RESOLUTION
    } else if cfg.pre_due_bands.contains(&a.band) && a.due_soon_count > 0 {
        why.push(format!(
            "high risk (band {}): {} due within {} days, {}",
            a.band,
            invoices(a.due_soon_count),
            cfg.pre_due_days,
            cents(a.due_soon_cents)
        ));
        REMINDER_EMAIL
    } else {
        return None;
    };
    if a.disputed_count > 0 {
        why.push(format!(
            "{} in dispute up to {} days past due, {}",
            invoices(a.disputed_count),
            a.disputed_max_dpd,
            cents(a.disputed_cents)
        ));
    }
    why.extend(a.reasons.iter().cloned());
    let priority_cents = (a.pd * a.overdue_cents as f64).round() as i64;
    Some(Escalation {
        customer_id: a.customer_id.clone(),
        name: a.name.clone(),
        action,
        priority_cents,
        overdue_cents: a.overdue_cents,
        max_days_past_due: a.max_days_past_due,
        pd: a.pd,
        band: a.band.clone(),
        reasons: why.join("; "),
        service_days: cfg.service_days.of(action),
    })
}

/// Today's queue, ranked (see the module docs).
pub fn queue(accounts: &[Account], cfg: &EscalationConfig) -> Vec<Escalation> {
    let mut q: Vec<Escalation> = accounts.iter().filter_map(|a| decide(a, cfg)).collect();
    q.sort_by(|a, b| {
        b.priority_cents
            .cmp(&a.priority_cents)
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An active band-B account with nothing open.
    fn quiet() -> Account {
        Account {
            customer_id: "C1".into(),
            active: true,
            pd: 0.03,
            band: "B".into(),
            days_since_payment: Some(5),
            ..Default::default()
        }
    }

    /// `quiet` with `n` non-disputed overdue invoices, up to `dpd` days, `amount` overdue.
    fn overdue(dpd: i64, amount: f64) -> Account {
        let c = (amount * 100.0) as i64;
        Account {
            dunning_count: 2,
            dunning_cents: c,
            dunning_max_dpd: dpd,
            overdue_cents: c,
            open_cents: c,
            max_days_past_due: dpd,
            ..quiet()
        }
    }

    fn action(a: &Account) -> Option<&'static str> {
        decide(a, &EscalationConfig::default()).map(|e| e.action)
    }

    #[test]
    fn every_rung_of_the_ladder_at_its_edges() {
        assert_eq!(action(&quiet()), None);
        assert_eq!(action(&overdue(1, 5000.0)), Some(REMINDER_EMAIL));
        assert_eq!(action(&overdue(15, 5000.0)), Some(REMINDER_EMAIL));
        assert_eq!(action(&overdue(16, 5000.0)), Some(PHONE_CALL));
        assert_eq!(action(&overdue(30, 5000.0)), Some(PHONE_CALL));
        assert_eq!(action(&overdue(31, 5000.0)), Some(DEMAND_LETTER));
        assert_eq!(action(&overdue(60, 5000.0)), Some(DEMAND_LETTER));
        assert_eq!(action(&overdue(61, 5000.0)), Some(COLLECTION_AGENCY));
        assert_eq!(action(&overdue(200, 5000.0)), Some(COLLECTION_AGENCY));
    }

    #[test]
    fn small_amounts_never_reach_the_agency() {
        assert_eq!(action(&overdue(61, 999.99)), Some(DEMAND_LETTER));
        assert_eq!(action(&overdue(61, 1000.0)), Some(COLLECTION_AGENCY));
        let e = decide(&overdue(70, 500.0), &EscalationConfig::default()).unwrap();
        assert!(
            e.reasons.contains("below the agency minimum of 1,000"),
            "{}",
            e.reasons
        );
    }

    #[test]
    fn legal_review_needs_a_large_balance_and_90_days_or_silence() {
        // Large, 89 days, paid 5 days ago: agency. 90 days: legal.
        assert_eq!(action(&overdue(89, 60_000.0)), Some(COLLECTION_AGENCY));
        assert_eq!(action(&overdue(90, 60_000.0)), Some(LEGAL_REVIEW));
        // Below the threshold: agency even at 200 days.
        assert_eq!(action(&overdue(200, 49_999.0)), Some(COLLECTION_AGENCY));
        // Unresponsive (no payment in 60 days) on the agency rung: legal at 61 days.
        let silent = Account {
            days_since_payment: Some(60),
            ..overdue(61, 60_000.0)
        };
        assert_eq!(action(&silent), Some(LEGAL_REVIEW));
        let never = Account {
            days_since_payment: None,
            ..overdue(61, 60_000.0)
        };
        assert_eq!(action(&never), Some(LEGAL_REVIEW));
        // Unresponsive but not yet on the agency rung: the ladder decides.
        let early = Account {
            days_since_payment: Some(100),
            ..overdue(40, 60_000.0)
        };
        assert_eq!(action(&early), Some(DEMAND_LETTER));
    }

    #[test]
    fn high_risk_goes_one_rung_earlier() {
        let risky = |dpd| Account {
            band: "D".into(),
            ..overdue(dpd, 5000.0)
        };
        assert_eq!(action(&risky(1)), Some(PHONE_CALL));
        assert_eq!(action(&risky(16)), Some(DEMAND_LETTER));
        assert_eq!(action(&risky(31)), Some(COLLECTION_AGENCY));
        assert_eq!(action(&risky(61)), Some(COLLECTION_AGENCY));
        let e = decide(&risky(5), &EscalationConfig::default()).unwrap();
        assert!(e.reasons.contains("band D: one rung earlier"));
        // Band C does not move.
        let c = Account {
            band: "C".into(),
            ..overdue(1, 5000.0)
        };
        assert_eq!(action(&c), Some(REMINDER_EMAIL));
    }

    #[test]
    fn pre_due_reminder_only_for_high_risk_with_nothing_overdue() {
        let due_soon = |band: &str| Account {
            band: band.into(),
            due_soon_count: 1,
            due_soon_cents: 120_000,
            ..quiet()
        };
        assert_eq!(action(&due_soon("E")), Some(REMINDER_EMAIL));
        assert_eq!(action(&due_soon("B")), None);
        let e = decide(&due_soon("E"), &EscalationConfig::default()).unwrap();
        assert_eq!(
            e.reasons,
            "high risk (band E): 1 invoice due within 7 days, 1,200"
        );
        assert_eq!(e.priority_cents, 0);
    }

    #[test]
    fn disputes_are_resolved_not_dunned() {
        let disputed = Account {
            disputed_count: 1,
            disputed_cents: 320_000,
            disputed_max_dpd: 40,
            overdue_cents: 320_000,
            ..quiet()
        };
        let e = decide(&disputed, &EscalationConfig::default()).unwrap();
        assert_eq!(e.action, DISPUTE_RESOLUTION);
        assert_eq!(
            e.reasons,
            "1 invoice in dispute up to 40 days past due, 3,200"
        );
        // pd 0.03 x 3,200 = 96.00
        assert_eq!(e.priority_cents, 9_600);
        // Disputed amounts do not push the dunning ladder: 40 disputed days
        // plus a 5-day undisputed invoice is a reminder, not a demand letter.
        let both = Account {
            dunning_count: 1,
            dunning_cents: 10_000,
            dunning_max_dpd: 5,
            ..disputed
        };
        assert_eq!(action(&both), Some(REMINDER_EMAIL));
    }

    #[test]
    fn a_granted_payment_plan_holds_the_account_at_reminders() {
        let plan = Account {
            plan_day: Some(20_000),
            ..overdue(75, 5000.0)
        };
        assert_eq!(action(&plan), Some(REMINDER_EMAIL));
        let e = decide(&plan, &EscalationConfig::default()).unwrap();
        assert!(e
            .reasons
            .contains("payment plan granted 2024-10-04: held at reminders"));
        // An invoice issued after the plan went overdue: the ladder resumes.
        let missed = Account {
            overdue_after_plan: true,
            ..plan
        };
        assert_eq!(action(&missed), Some(COLLECTION_AGENCY));
    }

    #[test]
    fn the_queue_puts_money_at_risk_first_and_breaks_ties_by_id() {
        let a = |id: &str, pd: f64, amount: f64| Account {
            customer_id: id.into(),
            pd,
            ..overdue(20, amount)
        };
        // Priorities: B 0.5 x 1,000 = 500; A 0.1 x 5,000 = 500; C 0.2 x 10,000 = 2,000.
        let q = queue(
            &[
                a("B", 0.5, 1000.0),
                a("A", 0.1, 5000.0),
                a("C", 0.2, 10_000.0),
            ],
            &EscalationConfig::default(),
        );
        let ids: Vec<&str> = q.iter().map(|e| e.customer_id.as_str()).collect();
        assert_eq!(ids, ["C", "A", "B"]);
        assert_eq!(q[0].priority_cents, 200_000);
        assert_eq!(
            q[0].reasons,
            "2 invoices up to 20 days past due, 10,000 overdue"
        );
        assert_eq!(q[0].service_days, 2);
    }

    #[test]
    fn inactive_accounts_are_never_queued() {
        let a = Account {
            active: false,
            ..overdue(20, 5000.0)
        };
        assert_eq!(action(&a), None);
    }
}

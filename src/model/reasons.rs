//! Reason codes in plain language: one template per feature, with the
//! customer's own value. The only place these sentences are written.

use num_format::{Locale, ToFormattedString};

use crate::features::names::*;

/// Money, rounded to whole units, with thousands separators: `18,400`.
pub fn money(v: f64) -> String {
    let units = v.round() as i64;
    let sign = if units < 0 { "-" } else { "" };
    format!(
        "{sign}{}",
        units.unsigned_abs().to_formatted_string(&Locale::en)
    )
}

/// Whole cents as money text: `1_840_000` -> `18,400`.
pub fn money_cents(cents: i64) -> String {
    money(cents as f64 / 100.0)
}

/// A whole number with thousands separators.
pub fn count(v: f64) -> String {
    money(v)
}

/// A ratio as a whole percentage: `0.623` -> `62%`.
pub fn percent(v: f64) -> String {
    format!("{}%", count(v * 100.0))
}

/// The trailing window in days encoded in a feature name's suffix (`_90`).
fn window(feature: &str) -> &str {
    feature.rsplit('_').next().unwrap_or("")
}

fn plural(n: f64, one: &str, many: &str) -> String {
    let n = n.round();
    format!("{} {}", count(n), if n == 1.0 { one } else { many })
}

/// The sentence for `feature` at `value` (`None`: no such history).
pub fn describe(feature: &str, value: Option<f64>) -> String {
    let w = window(feature);
    let Some(v) = value.filter(|v| !v.is_nan()) else {
        return describe_missing(feature, w);
    };
    match feature {
        OPEN_BALANCE => format!("open balance {}", money(v)),
        OVERDUE_BALANCE => format!("{} overdue", money(v)),
        OPEN_INVOICES => plural(v, "open invoice", "open invoices"),
        MAX_DAYS_PAST_DUE if v <= 0.0 => "nothing past due".into(),
        MAX_DAYS_PAST_DUE => format!("oldest overdue invoice {} days past due", count(v)),
        AGING_CURRENT => format!("{} not yet due", money(v)),
        AGING_1_30 => format!("{} 1-30 days past due", money(v)),
        AGING_31_60 => format!("{} 31-60 days past due", money(v)),
        AGING_61_90 => format!("{} 61-90 days past due", money(v)),
        AGING_90_PLUS => format!("{} over 90 days past due", money(v)),
        UTILIZATION => format!("using {} of the credit limit", percent(v)),
        DISPUTED_SHARE => format!("{} of the open balance disputed", percent(v)),
        LATE_SHARE_90 | LATE_SHARE_180 | LATE_SHARE_365 => {
            format!("paid {} of invoices late in the last {w} days", percent(v))
        }
        LATE15_SHARE_90 | LATE15_SHARE_180 | LATE15_SHARE_365 => format!(
            "paid {} of invoices over 15 days late in the last {w} days",
            percent(v)
        ),
        DAYS_BEYOND_TERMS_90 | DAYS_BEYOND_TERMS_180 | DAYS_BEYOND_TERMS_365 => format!(
            "paid {} days beyond terms on average in the last {w} days",
            count(v)
        ),
        MAX_DAYS_LATE_90 | MAX_DAYS_LATE_180 | MAX_DAYS_LATE_365 if v <= 0.0 => {
            format!("no late payment in the last {w} days")
        }
        MAX_DAYS_LATE_90 | MAX_DAYS_LATE_180 | MAX_DAYS_LATE_365 => {
            format!(
                "paid an invoice {} days late in the last {w} days",
                count(v)
            )
        }
        PARTIAL_SHARE_90 | PARTIAL_SHARE_180 | PARTIAL_SHARE_365 => format!(
            "settled {} of invoices in part payments in the last {w} days",
            percent(v)
        ),
        DAYS_SINCE_LATE_PAYMENT => format!("last late payment {} days ago", count(v)),
        DAYS_BEYOND_TERMS_TREND if v >= 0.0 => format!(
            "days beyond terms up {} on the quarter before",
            plural(v, "day", "days")
        ),
        DAYS_BEYOND_TERMS_TREND => format!(
            "days beyond terms down {} on the quarter before",
            plural(-v, "day", "days")
        ),
        TERM_EXTENSIONS_30 | TERM_EXTENSIONS_90 | TERM_EXTENSIONS_365 => format!(
            "{} in the last {w} days",
            plural(v, "term-extension request", "term-extension requests")
        ),
        LIMIT_INCREASES_30 | LIMIT_INCREASES_90 | LIMIT_INCREASES_365 => format!(
            "{} in the last {w} days",
            plural(v, "limit-increase request", "limit-increase requests")
        ),
        PAYMENT_PLANS_30 | PAYMENT_PLANS_90 | PAYMENT_PLANS_365 => format!(
            "{} in the last {w} days",
            plural(v, "payment-plan request", "payment-plan requests")
        ),
        DENIED_REQUESTS_365 => format!(
            "{} denied in the last 365 days",
            plural(v, "credit request", "credit requests")
        ),
        DAYS_SINCE_REQUEST => format!("last credit request {} days ago", count(v)),
        ORDER_AMOUNT_LOG_RATIO => {
            // ln((1 + last) / (1 + before)): exp - 1 is the relative change.
            let change = v.exp() - 1.0;
            if change < 0.0 {
                format!("orders down {} on the quarter before", percent(-change))
            } else {
                format!("orders up {} on the quarter before", percent(change))
            }
        }
        ORDER_COUNT_CHANGE if v < 0.0 => format!(
            "{} than the quarter before",
            plural(-v, "order fewer", "orders fewer")
        ),
        ORDER_COUNT_CHANGE => format!(
            "{} than the quarter before",
            plural(v, "order more", "orders more")
        ),
        DAYS_SINCE_ORDER => format!("last order {} days ago", count(v)),
        ORDER_30D_ZSCORE => format!(
            "last 30 days' orders {:.1} standard deviations {} the customer's usual",
            v.abs(),
            if v < 0.0 { "below" } else { "above" }
        ),
        OWN_EVENT_SEVERITY_90 | OWN_EVENT_SEVERITY_365 if v <= 0.0 => {
            format!("no negative event in the last {w} days")
        }
        OWN_EVENT_SEVERITY_90 | OWN_EVENT_SEVERITY_365 => {
            format!("negative event of severity {v:.0} in the last {w} days")
        }
        INDUSTRY_NEWS_SEVERITY_90 if v <= 0.0 => "no industry news in the last 90 days".into(),
        INDUSTRY_NEWS_SEVERITY_90 => {
            format!("industry news of severity {v:.0} in the last 90 days")
        }
        INSOLVENCY_FILED if v > 0.0 => "insolvency filing on record".into(),
        INSOLVENCY_FILED => "no insolvency filing".into(),
        TENURE_DAYS => format!("customer for {}", plural(v, "day", "days")),
        PAYMENT_TERMS_DAYS => format!("payment terms of {}", plural(v, "day", "days")),
        other => format!("{other} = {v}"),
    }
}

fn describe_missing(feature: &str, w: &str) -> String {
    match feature {
        DISPUTED_SHARE => "nothing open".into(),
        LATE_SHARE_90
        | LATE_SHARE_180
        | LATE_SHARE_365
        | LATE15_SHARE_90
        | LATE15_SHARE_180
        | LATE15_SHARE_365
        | DAYS_BEYOND_TERMS_90
        | DAYS_BEYOND_TERMS_180
        | DAYS_BEYOND_TERMS_365
        | MAX_DAYS_LATE_90
        | MAX_DAYS_LATE_180
        | MAX_DAYS_LATE_365
        | PARTIAL_SHARE_90
        | PARTIAL_SHARE_180
        | PARTIAL_SHARE_365 => {
            format!("no invoice settled in the last {w} days")
        }
        DAYS_SINCE_LATE_PAYMENT => "no late payment on record".into(),
        DAYS_BEYOND_TERMS_TREND => "too little payment history for a trend".into(),
        DAYS_SINCE_REQUEST => "no credit request on record".into(),
        ORDER_AMOUNT_LOG_RATIO | ORDER_COUNT_CHANGE => "no order in the last 180 days".into(),
        DAYS_SINCE_ORDER => "no order on record".into(),
        ORDER_30D_ZSCORE => "under a year of steady order history".into(),
        _ => "no history on record".into(),
    }
}

/// Why an account is in default: its days past due, or a write-off.
pub fn in_default(max_days_past_due: Option<f64>, bad_dpd: i64) -> String {
    match max_days_past_due {
        Some(d) if d >= bad_dpd as f64 => {
            format!("in default: an invoice {} days past due", count(d))
        }
        _ => "in default: an invoice was written off".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_carry_the_customers_own_value() {
        assert_eq!(money(18400.4), "18,400");
        assert_eq!(money(-1234567.5), "-1,234,568");
        assert_eq!(
            describe(LATE_SHARE_180, Some(4.0 / 6.0)),
            "paid 67% of invoices late in the last 180 days"
        );
        // ln((1 + 3800) / (1 + 10000)) = -0.9672...; exp - 1 = -0.6199...
        let r = ((1.0f64 + 3800.0) / (1.0 + 10000.0)).ln();
        assert_eq!(
            describe(ORDER_AMOUNT_LOG_RATIO, Some(r)),
            "orders down 62% on the quarter before"
        );
        assert_eq!(
            describe(TERM_EXTENSIONS_90, Some(1.0)),
            "1 term-extension request in the last 90 days"
        );
        assert_eq!(
            describe(LATE_SHARE_90, None),
            "no invoice settled in the last 90 days"
        );
        assert_eq!(
            describe(UTILIZATION, Some(0.874)),
            "using 87% of the credit limit"
        );
        assert_eq!(
            in_default(Some(75.0), 60),
            "in default: an invoice 75 days past due"
        );
        assert_eq!(
            in_default(Some(10.0), 60),
            "in default: an invoice was written off"
        );
    }

    #[test]
    fn every_feature_has_a_template() {
        for f in crate::features::FEATURES {
            let s = describe(f, Some(2.0));
            assert!(!s.contains(" = "), "{f}: {s}");
            let missing = describe(f, None);
            assert!(!missing.contains('_'), "{f}: {missing}");
        }
    }
}

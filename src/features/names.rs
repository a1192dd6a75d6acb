//! Feature names (column names of the feature frame), one place.
//!
//! Windows are trailing and end on the as-of day D inclusive: "90 days" is
//! (D-90, D].

pub const CUSTOMER_ID: &str = crate::schema::CUSTOMER_ID;
/// The as-of day of the row (a snapshot day in training).
pub const AS_OF: &str = "as_of";
pub const CREDIT_LIMIT: &str = crate::schema::CREDIT_LIMIT;
pub const INDUSTRY: &str = crate::schema::INDUSTRY;

// Exposure.
pub const OPEN_BALANCE: &str = "open_balance";
pub const OVERDUE_BALANCE: &str = "overdue_balance";
pub const OPEN_INVOICES: &str = "open_invoices";
pub const MAX_DAYS_PAST_DUE: &str = "max_days_past_due";
pub const AGING_CURRENT: &str = "aging_current";
pub const AGING_1_30: &str = "aging_1_30";
pub const AGING_31_60: &str = "aging_31_60";
pub const AGING_61_90: &str = "aging_61_90";
pub const AGING_90_PLUS: &str = "aging_90_plus";
pub const UTILIZATION: &str = "utilization";
pub const DISPUTED_SHARE: &str = "disputed_share";

// Payment behaviour (over invoices settled in the window).
pub const LATE_SHARE_90: &str = "late_share_90";
pub const LATE_SHARE_180: &str = "late_share_180";
pub const LATE_SHARE_365: &str = "late_share_365";
pub const LATE15_SHARE_90: &str = "late15_share_90";
pub const LATE15_SHARE_180: &str = "late15_share_180";
pub const LATE15_SHARE_365: &str = "late15_share_365";
pub const DAYS_BEYOND_TERMS_90: &str = "days_beyond_terms_90";
pub const DAYS_BEYOND_TERMS_180: &str = "days_beyond_terms_180";
pub const DAYS_BEYOND_TERMS_365: &str = "days_beyond_terms_365";
pub const MAX_DAYS_LATE_90: &str = "max_days_late_90";
pub const MAX_DAYS_LATE_180: &str = "max_days_late_180";
pub const MAX_DAYS_LATE_365: &str = "max_days_late_365";
pub const PARTIAL_SHARE_90: &str = "partial_share_90";
pub const PARTIAL_SHARE_180: &str = "partial_share_180";
pub const PARTIAL_SHARE_365: &str = "partial_share_365";
pub const DAYS_SINCE_LATE_PAYMENT: &str = "days_since_late_payment";
pub const DAYS_BEYOND_TERMS_TREND: &str = "days_beyond_terms_trend";

// Credit requests.
pub const TERM_EXTENSIONS_30: &str = "term_extensions_30";
pub const TERM_EXTENSIONS_90: &str = "term_extensions_90";
pub const TERM_EXTENSIONS_365: &str = "term_extensions_365";
pub const LIMIT_INCREASES_30: &str = "limit_increases_30";
pub const LIMIT_INCREASES_90: &str = "limit_increases_90";
pub const LIMIT_INCREASES_365: &str = "limit_increases_365";
pub const PAYMENT_PLANS_30: &str = "payment_plans_30";
pub const PAYMENT_PLANS_90: &str = "payment_plans_90";
pub const PAYMENT_PLANS_365: &str = "payment_plans_365";
pub const DENIED_REQUESTS_365: &str = "denied_requests_365";
pub const DAYS_SINCE_REQUEST: &str = "days_since_request";

// Orders.
pub const ORDER_AMOUNT_LOG_RATIO: &str = "order_amount_log_ratio";
pub const ORDER_COUNT_CHANGE: &str = "order_count_change";
pub const DAYS_SINCE_ORDER: &str = "days_since_order";
pub const ORDER_30D_ZSCORE: &str = "order_30d_zscore";

// Events.
pub const OWN_EVENT_SEVERITY_90: &str = "own_event_severity_90";
pub const OWN_EVENT_SEVERITY_365: &str = "own_event_severity_365";
pub const INDUSTRY_NEWS_SEVERITY_90: &str = "industry_news_severity_90";
pub const INSOLVENCY_FILED: &str = "insolvency_filed";

// Context.
pub const TENURE_DAYS: &str = "tenure_days";
pub const PAYMENT_TERMS_DAYS: &str = crate::schema::PAYMENT_TERMS_DAYS;

/// Already in default on the as-of day: an open invoice at or beyond
/// `bad_dpd` days past due, or a write-off on or before the day.
pub const IN_DEFAULT: &str = "in_default";
/// The training label (see `snapshots`).
pub const BAD: &str = "bad";

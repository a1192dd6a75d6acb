//! Table and column names of the data contract, in one place.
//!
//! Every other module names columns through these constants; a string literal
//! naming a contract column anywhere else is a bug. [`TABLES`] declares, per
//! input table, which columns are required and what kind of value each holds;
//! ingest parses and validates against it.

/// What a column holds, as the contract states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text (ids, names, codes).
    Text,
    /// A decimal number (money, limits).
    Number,
    /// A whole number (days, severity).
    Integer,
    /// A calendar day: ISO `YYYY-MM-DD` text, a Parquet `Date`, or a timestamp read as its date.
    Date,
    /// `true/false`, `1/0`, `yes/no`, `t/f`, any case.
    Bool,
}

impl Kind {
    /// How a person would name the kind in an error message.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Number => "number",
            Kind::Integer => "whole number",
            Kind::Date => "date",
            Kind::Bool => "boolean",
        }
    }
}

/// One column of an input table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// One input table: its name (also its file stem) and its columns.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    pub name: &'static str,
    pub required: bool,
    pub columns: &'static [ColumnSpec],
    /// The column that dates a row (for summaries and the point-in-time rule).
    pub date_column: Option<&'static str>,
}

impl TableSpec {
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn req(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: true,
    }
}
const fn opt(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: false,
    }
}

// Table names (and file stems).
pub const CUSTOMERS: &str = "customers";
pub const INVOICES: &str = "invoices";
pub const PAYMENTS: &str = "payments";
pub const ORDERS: &str = "orders";
pub const CREDIT_REQUESTS: &str = "credit_requests";
pub const EVENTS: &str = "events";

// Column names of the input contract.
pub const CUSTOMER_ID: &str = "customer_id";
pub const CREDIT_LIMIT: &str = "credit_limit";
pub const NAME: &str = "name";
pub const PAYMENT_TERMS_DAYS: &str = "payment_terms_days";
pub const INDUSTRY: &str = "industry";
pub const COUNTRY: &str = "country";
pub const INVOICE_ID: &str = "invoice_id";
pub const ISSUE_DATE: &str = "issue_date";
pub const DUE_DATE: &str = "due_date";
pub const AMOUNT: &str = "amount";
pub const DISPUTED: &str = "disputed";
pub const PAID_DATE: &str = "paid_date";
pub const WRITTEN_OFF_DATE: &str = "written_off_date";
pub const PAYMENT_ID: &str = "payment_id";
pub const PAYMENT_DATE: &str = "payment_date";
pub const ORDER_ID: &str = "order_id";
pub const ORDER_DATE: &str = "order_date";
pub const REQUEST_ID: &str = "request_id";
pub const REQUEST_DATE: &str = "request_date";
pub const KIND: &str = "kind";
pub const REQUESTED_DAYS: &str = "requested_days";
pub const GRANTED: &str = "granted";
pub const EVENT_DATE: &str = "event_date";
pub const SEVERITY: &str = "severity";

/// Derived by ingest on `invoices`: the first day the invoice's payments reach
/// its amount (0.01 tolerance), null while it is unsettled.
pub const SETTLED_DATE: &str = "settled_date";

/// Default payment terms when `payment_terms_days` is absent or empty.
pub const DEFAULT_PAYMENT_TERMS_DAYS: i64 = 30;
/// Derived by ingest on `invoices`: how many payments it took to settle the
/// invoice (those up to and including the one that reached its amount);
/// null while it is unsettled.
pub const PAYMENTS_TO_SETTLE: &str = "payments_to_settle";

/// Derived by ingest on `invoices`, in place of the text `invoice_id` once
/// payments are matched: XXH3-64 of the id (`u64`, see
/// `ingest::invoice_seed`), which seeds the invoice's forecast draws. The
/// texts took ~245 MB of the 100k book and nothing else reads them.
pub const INVOICE_SEED: &str = "invoice_seed";

/// Derived by ingest on `invoices` and `payments`: the invoice's row number
/// in the book's invoices frame (`u32`). Later stages join and group on it
/// instead of the text id, which is many times slower on millions of rows.
pub const INVOICE_KEY: &str = "invoice_key";

/// Derived by ingest on `customers` (its row number, `u32`) and carried by
/// every table that names a customer (null where an event names none). As
/// with [`INVOICE_KEY`], later stages group and join on it, not on the text.
pub const CUSTOMER_KEY: &str = "customer_key";

/// Tolerance for "payments reach the amount": 0.01 in money, as cents.
pub const SETTLE_TOLERANCE_CENTS: i64 = 1;

/// `credit_requests.kind` values the contract allows.
pub const REQUEST_KINDS: [&str; 3] = [KIND_TERM_EXTENSION, KIND_LIMIT_INCREASE, KIND_PAYMENT_PLAN];
pub const KIND_TERM_EXTENSION: &str = "term_extension";
pub const KIND_LIMIT_INCREASE: &str = "limit_increase";
pub const KIND_PAYMENT_PLAN: &str = "payment_plan";

/// Event kinds the generator writes; any other text is accepted on input.
pub const EVENT_NEGATIVE_NEWS: &str = "negative_news";
pub const EVENT_RATING_DOWNGRADE: &str = "rating_downgrade";
pub const EVENT_INSOLVENCY_FILING: &str = "insolvency_filing";

pub const CUSTOMERS_SPEC: TableSpec = TableSpec {
    name: CUSTOMERS,
    required: true,
    columns: &[
        req(CUSTOMER_ID, Kind::Text),
        req(CREDIT_LIMIT, Kind::Number),
        opt(NAME, Kind::Text),
        opt(PAYMENT_TERMS_DAYS, Kind::Integer),
        opt(INDUSTRY, Kind::Text),
        opt(COUNTRY, Kind::Text),
    ],
    date_column: None,
};

pub const INVOICES_SPEC: TableSpec = TableSpec {
    name: INVOICES,
    required: true,
    columns: &[
        req(INVOICE_ID, Kind::Text),
        req(CUSTOMER_ID, Kind::Text),
        req(ISSUE_DATE, Kind::Date),
        req(DUE_DATE, Kind::Date),
        req(AMOUNT, Kind::Number),
        opt(DISPUTED, Kind::Bool),
        opt(PAID_DATE, Kind::Date),
        opt(WRITTEN_OFF_DATE, Kind::Date),
    ],
    date_column: Some(ISSUE_DATE),
};

pub const PAYMENTS_SPEC: TableSpec = TableSpec {
    name: PAYMENTS,
    required: false,
    columns: &[
        req(PAYMENT_ID, Kind::Text),
        req(INVOICE_ID, Kind::Text),
        req(PAYMENT_DATE, Kind::Date),
        req(AMOUNT, Kind::Number),
    ],
    date_column: Some(PAYMENT_DATE),
};

pub const ORDERS_SPEC: TableSpec = TableSpec {
    name: ORDERS,
    required: false,
    columns: &[
        req(ORDER_ID, Kind::Text),
        req(CUSTOMER_ID, Kind::Text),
        req(ORDER_DATE, Kind::Date),
        req(AMOUNT, Kind::Number),
    ],
    date_column: Some(ORDER_DATE),
};

pub const CREDIT_REQUESTS_SPEC: TableSpec = TableSpec {
    name: CREDIT_REQUESTS,
    required: false,
    columns: &[
        req(REQUEST_ID, Kind::Text),
        req(CUSTOMER_ID, Kind::Text),
        req(REQUEST_DATE, Kind::Date),
        req(KIND, Kind::Text),
        opt(REQUESTED_DAYS, Kind::Integer),
        opt(GRANTED, Kind::Bool),
    ],
    date_column: Some(REQUEST_DATE),
};

pub const EVENTS_SPEC: TableSpec = TableSpec {
    name: EVENTS,
    required: false,
    columns: &[
        req(EVENT_DATE, Kind::Date),
        req(KIND, Kind::Text),
        req(SEVERITY, Kind::Integer),
        opt(CUSTOMER_ID, Kind::Text),
        opt(INDUSTRY, Kind::Text),
    ],
    date_column: Some(EVENT_DATE),
};

/// All input tables, in the order ingest reads them (each may check its rows
/// against the ones before it: invoices against customers, payments against
/// invoices).
pub const TABLES: [TableSpec; 6] = [
    CUSTOMERS_SPEC,
    INVOICES_SPEC,
    PAYMENTS_SPEC,
    ORDERS_SPEC,
    CREDIT_REQUESTS_SPEC,
    EVENTS_SPEC,
];

/// Columns of `rejects.csv`.
pub const REJECT_TABLE: &str = "table";
pub const REJECT_ROW: &str = "row";
pub const REJECT_REASON: &str = "reason";
pub const REJECT_RAW: &str = "raw";

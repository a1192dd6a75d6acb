//! Every feature on a hand-made book, values worked out by hand.
//!
//! As of D = 2024-06-30. Windows: 30 days = after 2024-05-31, 90 days =
//! after 2024-04-01, 180 days = after 2024-01-02, 365 days = after 2023-07-01.

use earlywarn::config::Config;
use earlywarn::dates;
use earlywarn::features::{self, names::*, FEATURES};
use earlywarn::ingest::read_book;
use polars::prelude::*;

use crate::workdir::Workdir;

pub const D: &str = "2024-06-30";

/// The fixture book. Comments give each row's part in the expected values.
pub fn write_fixture(wd: &Workdir) {
    wd.write(
        "in/customers.csv",
        "customer_id,credit_limit,payment_terms_days,industry\n\
         A,10000,30,retail\n\
         B,0,45,construction\n\
         C,1000,30,retail\n\
         E,5000,,\n\
         W,1000,30,retail\n",
    );
    wd.write(
        "in/invoices.csv",
        "invoice_id,customer_id,issue_date,due_date,amount,disputed,written_off_date\n\
         A1,A,2024-01-01,2024-01-31,1000,false,\n\
         A2,A,2024-02-01,2024-03-02,2000,false,\n\
         A3,A,2024-04-01,2024-05-01,500,false,\n\
         A4,A,2024-05-01,2024-05-31,3000,true,\n\
         A5,A,2024-06-10,2024-07-10,1500,false,\n\
         A6,A,2024-04-16,2024-05-16,700,false,\n\
         B1,B,2024-02-01,2024-03-17,600,false,\n\
         B2,B,2024-03-20,2024-05-04,400,false,\n\
         B3,B,2024-02-25,2024-04-10,250,false,\n\
         C1,C,2024-07-01,2024-07-31,100,false,\n\
         E1,E,2024-06-30,2024-07-30,100,false,\n\
         W1,W,2024-01-10,2024-02-09,300,false,2024-06-01\n\
         W2,W,2024-05-01,2024-05-31,200,false,2024-07-15\n",
    );
    // A1 paid exactly on its due date (not late); A2 in two parts, settled
    // 18 days late; A3 5 days late; A5 partly paid, its rest paid on D+1.
    wd.write(
        "in/payments.csv",
        "payment_id,invoice_id,payment_date,amount\n\
         P1,A1,2024-01-31,1000\n\
         P2,A2,2024-03-10,1200\n\
         P3,A2,2024-03-20,800\n\
         P4,A3,2024-05-06,500\n\
         P5,A5,2024-06-20,400\n\
         P6,A5,2024-07-01,1100\n",
    );
    // A: the first order 395 days back; one order in each 30-day bucket
    // k = 1..11 (age 30k + 5) of 100k; 1000 two days back; one on D+3.
    wd.write(
        "in/orders.csv",
        "order_id,customer_id,order_date,amount\n\
         O0,A,2023-06-01,50\n\
         O1,A,2024-05-26,100\n\
         O2,A,2024-04-26,200\n\
         O3,A,2024-03-27,300\n\
         O4,A,2024-02-26,400\n\
         O5,A,2024-01-27,500\n\
         O6,A,2023-12-28,600\n\
         O7,A,2023-11-28,700\n\
         O8,A,2023-10-29,800\n\
         O9,A,2023-09-29,900\n\
         O10,A,2023-08-30,1000\n\
         O11,A,2023-07-31,1100\n\
         O12,A,2024-06-28,1000\n\
         O13,A,2024-07-03,5000\n",
    );
    wd.write(
        "in/credit_requests.csv",
        "request_id,customer_id,request_date,kind,requested_days,granted\n\
         R1,A,2024-06-15,term_extension,30,false\n\
         R2,A,2024-05-01,limit_increase,,true\n\
         R3,A,2023-08-01,payment_plan,90,false\n\
         R4,A,2023-06-01,term_extension,30,false\n\
         R5,A,2024-07-02,term_extension,30,false\n",
    );
    wd.write(
        "in/events.csv",
        "event_date,kind,severity,customer_id,industry\n\
         2024-05-15,negative_news,2,A,\n\
         2023-12-01,rating_downgrade,4,A,\n\
         2024-07-05,insolvency_filing,5,A,\n\
         2024-06-01,negative_news,3,,retail\n\
         2024-03-01,negative_news,5,,retail\n\
         2024-06-20,negative_news,1,,construction\n",
    );
}

type Expected = Vec<(&'static str, Option<f64>)>;

/// Customer A. Open on D: A4 3000 (disputed, 30 days past due), A5 1500 -
/// 400 = 1100 (not yet due), A6 700 (45 days past due).
fn expected_a() -> Expected {
    let third = Some(1.0 / 3.0);
    let two_thirds = Some(2.0 / 3.0);
    vec![
        (OPEN_BALANCE, Some(4800.0)),
        (OVERDUE_BALANCE, Some(3700.0)),
        (OPEN_INVOICES, Some(3.0)),
        (MAX_DAYS_PAST_DUE, Some(45.0)),
        (AGING_CURRENT, Some(1100.0)),
        (AGING_1_30, Some(3000.0)),
        (AGING_31_60, Some(700.0)),
        (AGING_61_90, Some(0.0)),
        (AGING_90_PLUS, Some(0.0)),
        (UTILIZATION, Some(0.48)),     // 4800 / 10000
        (DISPUTED_SHARE, Some(0.625)), // 3000 / 4800
        // Settled by D: A1 (Jan 31, 0 days late), A2 (Mar 20, 18 late, two
        // payments), A3 (May 6, 5 late). 90 days holds only A3.
        (LATE_SHARE_90, Some(1.0)),
        (LATE_SHARE_180, two_thirds),
        (LATE_SHARE_365, two_thirds),
        (LATE15_SHARE_90, Some(0.0)),
        (LATE15_SHARE_180, third),
        (LATE15_SHARE_365, third),
        (DAYS_BEYOND_TERMS_90, Some(5.0)),   // 500*5 / 500
        (DAYS_BEYOND_TERMS_180, Some(11.0)), // (1000*0 + 2000*18 + 500*5) / 3500
        (DAYS_BEYOND_TERMS_365, Some(11.0)),
        (MAX_DAYS_LATE_90, Some(5.0)),
        (MAX_DAYS_LATE_180, Some(18.0)),
        (MAX_DAYS_LATE_365, Some(18.0)),
        (PARTIAL_SHARE_90, Some(0.0)),
        (PARTIAL_SHARE_180, third),
        (PARTIAL_SHARE_365, third),
        (DAYS_SINCE_LATE_PAYMENT, Some(55.0)), // May 6 -> Jun 30
        // 5.0 minus the quarter before (A1, A2): (0 + 2000*18) / 3000 = 12.
        (DAYS_BEYOND_TERMS_TREND, Some(-7.0)),
        // R1 Jun 15 term extension (denied), R2 May 1 limit increase, R3
        // 2023-08-01 payment plan (denied), R4 2023-06-01 (outside 365), R5 D+2.
        (TERM_EXTENSIONS_30, Some(1.0)),
        (TERM_EXTENSIONS_90, Some(1.0)),
        (TERM_EXTENSIONS_365, Some(1.0)),
        (LIMIT_INCREASES_30, Some(0.0)),
        (LIMIT_INCREASES_90, Some(1.0)),
        (LIMIT_INCREASES_365, Some(1.0)),
        (PAYMENT_PLANS_30, Some(0.0)),
        (PAYMENT_PLANS_90, Some(0.0)),
        (PAYMENT_PLANS_365, Some(1.0)),
        (DENIED_REQUESTS_365, Some(2.0)),
        (DAYS_SINCE_REQUEST, Some(15.0)),
        // Last 90 days (ages 0-89): 1000 + 100 + 200 = 1300 in 3 orders; the
        // 90 before: 300 + 400 + 500 = 1200 in 3. ln(1301 / 1201).
        (ORDER_AMOUNT_LOG_RATIO, Some((1301.0f64 / 1201.0).ln())),
        (ORDER_COUNT_CHANGE, Some(0.0)),
        (DAYS_SINCE_ORDER, Some(2.0)),
        // Buckets 1..11 hold 100k: mean 600, sample variance
        // 10000 * 110 / 10 = 110000; bucket 0 holds 1000.
        (ORDER_30D_ZSCORE, Some(400.0 / 110000f64.sqrt())),
        (OWN_EVENT_SEVERITY_90, Some(2.0)),
        (OWN_EVENT_SEVERITY_365, Some(4.0)),
        (INDUSTRY_NEWS_SEVERITY_90, Some(3.0)), // retail Jun 1 (Mar 1 is too old)
        (INSOLVENCY_FILED, Some(0.0)),          // the filing is dated D+5
        (TENURE_DAYS, Some(181.0)),             // Jan 1 -> Jun 30
        (PAYMENT_TERMS_DAYS, Some(30.0)),
    ]
}

/// Customer B: a zero limit, three unpaid invoices 105, 81 and 57 days past
/// due; nothing settled, no requests, no orders.
fn expected_b() -> Expected {
    let mut v = vec![
        (OPEN_BALANCE, Some(1250.0)),
        (OVERDUE_BALANCE, Some(1250.0)),
        (OPEN_INVOICES, Some(3.0)),
        (MAX_DAYS_PAST_DUE, Some(105.0)),
        (AGING_CURRENT, Some(0.0)),
        (AGING_1_30, Some(0.0)),
        (AGING_31_60, Some(400.0)),
        (AGING_61_90, Some(250.0)),
        (AGING_90_PLUS, Some(600.0)),
        (UTILIZATION, Some(10.0)), // zero limit with exposure: the cap
        (DISPUTED_SHARE, Some(0.0)),
        (INDUSTRY_NEWS_SEVERITY_90, Some(1.0)),
        (TENURE_DAYS, Some(150.0)),
        (PAYMENT_TERMS_DAYS, Some(45.0)),
    ];
    v.extend(quiet_history());
    v
}

/// A customer with nothing settled, no requests, no orders and no events
/// of its own (industry news aside).
fn quiet_history() -> Expected {
    let mut v: Expected = vec![
        (DAYS_SINCE_REQUEST, None),
        (ORDER_AMOUNT_LOG_RATIO, None),
        (ORDER_COUNT_CHANGE, None),
        (DAYS_SINCE_ORDER, None),
        (ORDER_30D_ZSCORE, None),
        (OWN_EVENT_SEVERITY_90, Some(0.0)),
        (OWN_EVENT_SEVERITY_365, Some(0.0)),
        (INSOLVENCY_FILED, Some(0.0)),
    ];
    v.extend(no_payment_history());
    v.extend(no_requests());
    v
}

fn no_payment_history() -> Expected {
    [
        LATE_SHARE_90,
        LATE_SHARE_180,
        LATE_SHARE_365,
        LATE15_SHARE_90,
        LATE15_SHARE_180,
        LATE15_SHARE_365,
        DAYS_BEYOND_TERMS_90,
        DAYS_BEYOND_TERMS_180,
        DAYS_BEYOND_TERMS_365,
        MAX_DAYS_LATE_90,
        MAX_DAYS_LATE_180,
        MAX_DAYS_LATE_365,
        PARTIAL_SHARE_90,
        PARTIAL_SHARE_180,
        PARTIAL_SHARE_365,
        DAYS_SINCE_LATE_PAYMENT,
        DAYS_BEYOND_TERMS_TREND,
    ]
    .into_iter()
    .map(|f| (f, None))
    .collect()
}

fn no_requests() -> Expected {
    [
        TERM_EXTENSIONS_30,
        TERM_EXTENSIONS_90,
        TERM_EXTENSIONS_365,
        LIMIT_INCREASES_30,
        LIMIT_INCREASES_90,
        LIMIT_INCREASES_365,
        PAYMENT_PLANS_30,
        PAYMENT_PLANS_90,
        PAYMENT_PLANS_365,
        DENIED_REQUESTS_365,
    ]
    .into_iter()
    .map(|f| (f, Some(0.0)))
    .collect()
}

/// Customer E: one invoice issued on D itself; default terms; no industry.
fn expected_e() -> Expected {
    let mut v = vec![
        (OPEN_BALANCE, Some(100.0)),
        (OVERDUE_BALANCE, Some(0.0)),
        (OPEN_INVOICES, Some(1.0)),
        (MAX_DAYS_PAST_DUE, Some(0.0)),
        (AGING_CURRENT, Some(100.0)),
        (AGING_1_30, Some(0.0)),
        (AGING_31_60, Some(0.0)),
        (AGING_61_90, Some(0.0)),
        (AGING_90_PLUS, Some(0.0)),
        (UTILIZATION, Some(0.02)),
        (DISPUTED_SHARE, Some(0.0)),
        (INDUSTRY_NEWS_SEVERITY_90, Some(0.0)),
        (TENURE_DAYS, Some(0.0)),
        (PAYMENT_TERMS_DAYS, Some(30.0)),
    ];
    v.extend(quiet_history());
    v
}

/// Customer W: W1 written off on Jun 1 (no longer open, and a write-off by
/// D means in default); W2's write-off is dated after D, so it is open.
fn expected_w() -> Expected {
    let mut v = vec![
        (OPEN_BALANCE, Some(200.0)),
        (OVERDUE_BALANCE, Some(200.0)),
        (OPEN_INVOICES, Some(1.0)),
        (MAX_DAYS_PAST_DUE, Some(30.0)),
        (AGING_CURRENT, Some(0.0)),
        (AGING_1_30, Some(200.0)),
        (AGING_31_60, Some(0.0)),
        (AGING_61_90, Some(0.0)),
        (AGING_90_PLUS, Some(0.0)),
        (UTILIZATION, Some(0.2)),
        (DISPUTED_SHARE, Some(0.0)),
        (INDUSTRY_NEWS_SEVERITY_90, Some(3.0)),
        (TENURE_DAYS, Some(172.0)),
        (PAYMENT_TERMS_DAYS, Some(30.0)),
    ];
    v.extend(quiet_history());
    v
}

fn value(df: &DataFrame, row: usize, name: &str) -> Option<f64> {
    let c = df.column(name).unwrap().cast(&DataType::Float64).unwrap();
    c.f64().unwrap().get(row)
}

#[test]
fn every_feature_matches_its_hand_computed_value() {
    let wd = Workdir::new();
    write_fixture(&wd);
    let (book, report) = read_book(&wd.path("in"), &Config::default()).unwrap();
    assert!(report.rejects.is_empty(), "{:?}", report.rejects);
    let on = dates::parse_iso(D).unwrap();
    // The production path (the customer sweep) and the plain Polars
    // group-bys it is tested against: both must give the hand numbers.
    check_hand_computed(&features::as_of(&book, on, 60).unwrap(), "sweep");
    check_hand_computed(
        &features::reference::as_of(&book, on, 60).unwrap(),
        "reference",
    );
}

fn check_hand_computed(df: &DataFrame, path: &str) {
    let ids: Vec<&str> = df
        .column(CUSTOMER_ID)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap())
        .collect();
    // C's only invoice is issued on D+1: not active yet.
    assert_eq!(ids, ["A", "B", "E", "W"]);
    let defaults: Vec<bool> = df
        .column(IN_DEFAULT)
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .map(|b| b.unwrap())
        .collect();
    assert_eq!(
        defaults,
        [false, true, false, true],
        "B is 105 days past due; W had a write-off"
    );
    let as_of = df.column(AS_OF).unwrap();
    assert_eq!(as_of.dtype(), &DataType::Date);
    for (row, expected) in [expected_a(), expected_b(), expected_e(), expected_w()]
        .into_iter()
        .enumerate()
    {
        let named: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
        for f in FEATURES {
            assert!(
                named.contains(f),
                "customer {}: no expected value for {f}",
                ids[row]
            );
        }
        for (name, want) in expected {
            let got = value(df, row, name);
            let ok = match (got, want) {
                (Some(g), Some(w)) => (g - w).abs() < 1e-9,
                (None, None) => true,
                _ => false,
            };
            assert!(
                ok,
                "{path}: customer {} {name}: got {got:?}, want {want:?}",
                ids[row]
            );
        }
    }
}

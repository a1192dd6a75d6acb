//! Time: nothing after D reaches a run as of D; labels look exactly
//! `horizon` days ahead; row order never matters.

use std::path::Path;

use earlywarn::config::Config;
use earlywarn::dates;
use earlywarn::features::{self, known_on, label, names::*, snapshot_days, LabelParams};
use earlywarn::generate::{generate, GenParams};
use earlywarn::ingest::{read_book, Book};
use earlywarn::schema as s;
use polars::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestRunner};
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::books::{tables, write_book};
use crate::workdir::Workdir;

fn day(s: &str) -> chrono::NaiveDate {
    dates::parse_iso(s).unwrap()
}

/// Every column equal, value for value (nulls included), same order.
fn assert_frames_equal(a: &DataFrame, b: &DataFrame, what: &str) {
    assert_eq!(a.schema(), b.schema(), "{what}: schemas differ");
    assert_eq!(a.height(), b.height(), "{what}: heights differ");
    for c in a.columns() {
        let other = b.column(c.name()).unwrap();
        assert!(
            c.equals_missing(other),
            "{what}: column {} differs",
            c.name()
        );
    }
}

fn count_after(df: &DataFrame, column: &str, d: chrono::NaiveDate) -> usize {
    df.clone()
        .lazy()
        .filter(col(column).gt(lit(dates::to_days(d)).cast(DataType::Date)))
        .collect()
        .unwrap()
        .height()
}

#[test]
fn rows_dated_after_d_change_nothing_as_of_d() {
    let wd = Workdir::new();
    let (full, _) = read_book(Path::new("data-samples"), &Config::default()).unwrap();
    let d = day("2026-06-30");
    // The sample has rows after D in every dated table, including
    // write-offs after D of invoices issued before: the test means something.
    for (name, df, column) in [
        ("invoices", &full.invoices, s::ISSUE_DATE),
        ("payments", &full.payments, s::PAYMENT_DATE),
        ("orders", &full.orders, s::ORDER_DATE),
        ("requests", &full.credit_requests, s::REQUEST_DATE),
        ("events", &full.events, s::EVENT_DATE),
    ] {
        assert!(count_after(df, column, d) > 0, "no {name} after D");
    }
    let early = full
        .invoices
        .clone()
        .lazy()
        .filter(col(s::ISSUE_DATE).lt_eq(lit(dates::to_days(d)).cast(DataType::Date)))
        .collect()
        .unwrap();
    assert!(
        count_after(&early, s::WRITTEN_OFF_DATE, d) > 0,
        "no later write-off of an earlier invoice"
    );

    // The same book as it stood on D, written out and read back: ingest
    // derives its settlements from the payments known then.
    let past = known_on(&full, d).unwrap();
    let past = write_book(tables(&past), &wd.path("past"));
    assert!(past.invoices.height() < full.invoices.height());

    let (a, b) = (
        features::as_of(&full, d, 60).unwrap(),
        features::as_of(&past, d, 60).unwrap(),
    );
    assert!(a.height() > 250);
    assert_frames_equal(&a, &b, "features as of D");
    let params = LabelParams::default();
    let (a, b) = (
        features::snapshots(&full, d, params, 1).unwrap(),
        features::snapshots(&past, d, params, 1).unwrap(),
    );
    assert!(a.height() > 3000, "{} snapshot rows", a.height());
    assert_frames_equal(&a, &b, "snapshots up to D");
}

/// Snapshot S = 2024-03-31 with horizon 90: the window is (Mar 31, Jun 29].
fn label_book(wd: &Workdir) -> Book {
    wd.write(
        "lab/customers.csv",
        "customer_id,credit_limit\nX,1000\nY,1000\nZ,1000\nZZ,1000\nV,1000\nVV,1000\nQ,1000\nQW,1000\n",
    );
    wd.write(
        "lab/invoices.csv",
        "invoice_id,customer_id,issue_date,due_date,amount,written_off_date\n\
         X1,X,2024-03-31,2024-04-30,100,\n\
         Y0,Y,2024-01-10,2024-02-09,100,\n\
         Y1,Y,2024-04-01,2024-05-01,100,\n\
         Z1,Z,2024-03-31,2024-04-30,100,\n\
         ZZ1,ZZ,2024-03-31,2024-04-30,100,\n\
         V1,V,2024-03-15,2024-06-15,100,2024-06-29\n\
         VV1,VV,2024-03-15,2024-06-15,100,2024-06-30\n\
         Q1,Q,2023-12-16,2024-01-15,100,\n\
         QW1,QW,2023-12-01,2023-12-31,100,2024-03-01\n",
    );
    // X1 is unpaid: 60 days past due on Jun 29 = S + 90. Y1 reaches 60 days
    // on Jun 30 = S + 91. Z1 is paid on the very day it reaches 60; ZZ1 a day
    // later. V1 is written off on S + 90, VV1 on S + 91. Q is 76 days past
    // due on S; QW had a write-off before S.
    wd.write(
        "lab/payments.csv",
        "payment_id,invoice_id,payment_date,amount\n\
         P0,Y0,2024-02-01,100\n\
         P1,Z1,2024-06-29,100\n\
         P2,ZZ1,2024-06-30,100\n\
         P3,Y1,2024-07-20,100\n\
         P4,X1,2024-07-25,100\n",
    );
    read_book(&wd.path("lab"), &Config::default()).unwrap().0
}

/// The rows of `df` whose `as_of` is `on`.
fn on_day(df: &DataFrame, on: chrono::NaiveDate) -> DataFrame {
    df.clone()
        .lazy()
        .filter(col(AS_OF).eq(lit(dates::to_days(on)).cast(DataType::Date)))
        .collect()
        .unwrap()
}

fn labelled(want: &[(&str, bool)]) -> Vec<(String, Option<bool>)> {
    want.iter()
        .map(|(i, b)| (i.to_string(), Some(*b)))
        .collect()
}

fn labels_at(df: &DataFrame) -> Vec<(String, Option<bool>)> {
    let ids = df.column(CUSTOMER_ID).unwrap().str().unwrap().clone();
    let bad = df.column(BAD).unwrap().bool().unwrap().clone();
    ids.iter()
        .zip(bad.iter())
        .map(|(i, b)| (i.unwrap().to_string(), b))
        .collect()
}

#[test]
fn the_label_window_is_exactly_horizon_days_after_the_snapshot() {
    let wd = Workdir::new();
    let book = label_book(&wd);
    let snap = day("2024-03-31");
    let got = label(&book, snap, LabelParams::default())
        .sort([CUSTOMER_ID], Default::default())
        .collect()
        .unwrap();
    let got = labels_at(&got);
    let want = [
        ("Q", true), // already in default: still bad, but excluded from training below
        ("QW", false),
        ("V", true),
        ("VV", false),
        ("X", true),
        ("Y", false),
        ("Z", false),
        ("ZZ", true),
    ];
    assert_eq!(got, labelled(&want));

    // Training snapshots as of Jul 31: S = Mar 31 is labelled (Jun 29 <= Jul 31),
    // Q and QW are left out as already in default, Y is there (active via Y0).
    let snaps = features::snapshots(&book, day("2024-07-31"), LabelParams::default(), 1).unwrap();
    let at_s = on_day(&snaps, snap);
    let got = labels_at(&at_s);
    let want = [
        ("V", true),
        ("VV", false),
        ("X", true),
        ("Y", false),
        ("Z", false),
        ("ZZ", true),
    ];
    assert_eq!(got, labelled(&want));
    // May 31 + 90 = Aug 29 is past Jul 31: unlabelled.
    let days: Vec<_> = snaps
        .column(AS_OF)
        .unwrap()
        .date()
        .unwrap()
        .physical()
        .unique()
        .unwrap()
        .sort(false)
        .iter()
        .map(|d| dates::from_days(d.unwrap()))
        .collect();
    assert_eq!(days, snapshot_days(day("2023-12-01"), day("2024-07-31"), 1));
    let may = on_day(&snaps, day("2024-05-31"));
    assert!(may.height() > 0 && may.column(BAD).unwrap().null_count() == may.height());

    // A longer bad_dpd moves the boundary with it: at 61 days X1 reaches it on S + 91.
    let got = label(
        &book,
        snap,
        LabelParams {
            bad_dpd: 61,
            horizon_days: 90,
        },
    )
    .collect()
    .unwrap();
    let x = labels_at(&got).into_iter().find(|(i, _)| i == "X").unwrap();
    assert_eq!(x.1, Some(false));
}

#[test]
fn snapshot_days_are_month_ends_within_history() {
    assert_eq!(
        snapshot_days(day("2024-01-15"), day("2024-04-29"), 1),
        vec![day("2024-01-31"), day("2024-02-29"), day("2024-03-31")]
    );
    assert_eq!(
        snapshot_days(day("2024-01-01"), day("2024-06-30"), 2),
        vec![day("2024-02-29"), day("2024-04-30"), day("2024-06-30")]
    );
    assert!(snapshot_days(day("2024-05-02"), day("2024-05-20"), 1).is_empty());
}

fn shuffled(book: &Book, seed: u64) -> Vec<(&'static str, DataFrame)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    tables(book)
        .into_iter()
        .map(|(t, df)| {
            let mut idx: Vec<IdxSize> = (0..df.height() as IdxSize).collect();
            idx.shuffle(&mut rng);
            let idx = IdxCa::from_vec("idx".into(), idx);
            (t, df.take(&idx).unwrap())
        })
        .collect()
}

#[test]
fn shuffling_input_rows_changes_nothing() {
    let wd = Workdir::new();
    let g = generate(&GenParams {
        customers: 60,
        months: 15,
        seed: 4,
        stories: true,
        ..Default::default()
    })
    .unwrap();
    let base = write_book(g.tables, &wd.path("base"));
    let d = day("2026-08-31");
    let params = LabelParams::default();
    let want_features = features::as_of(&base, d, 60).unwrap();
    let want_snapshots = features::snapshots(&base, d, params, 1).unwrap();
    let mut runner = TestRunner::new(PropConfig {
        cases: 4,
        ..PropConfig::default()
    });
    let case = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&any::<u64>(), |seed| {
            let case = case.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let book = write_book(shuffled(&base, seed), &wd.path(&format!("shuffled-{case}")));
            let f = features::as_of(&book, d, 60).unwrap();
            let snaps = features::snapshots(&book, d, params, 1).unwrap();
            prop_assert_eq!(f.height(), want_features.height());
            for c in want_features.columns() {
                prop_assert!(
                    c.equals_missing(f.column(c.name()).unwrap()),
                    "features.{} differs (seed {})",
                    c.name(),
                    seed
                );
            }
            for c in want_snapshots.columns() {
                prop_assert!(
                    c.equals_missing(snaps.column(c.name()).unwrap()),
                    "snapshots.{} differs (seed {})",
                    c.name(),
                    seed
                );
            }
            Ok(())
        })
        .unwrap();
}

/// The snapshots the plain way: the Polars reference features as of each
/// snapshot day, defaults left out, the label joined (what `snapshots` did
/// before its sweep).
fn snapshots_one_day_at_a_time(book: &Book, as_of: chrono::NaiveDate) -> DataFrame {
    let params = LabelParams::default();
    let known = known_on(book, as_of).unwrap();
    let first = known
        .invoices
        .column(s::ISSUE_DATE)
        .unwrap()
        .date()
        .unwrap()
        .physical()
        .min()
        .map(dates::from_days)
        .unwrap();
    let mut frames = Vec::new();
    for snap in snapshot_days(first, as_of, 1) {
        let f = features::reference::as_of(&known, snap, params.bad_dpd)
            .unwrap()
            .lazy()
            .filter(col(IN_DEFAULT).not());
        let f = if snap + chrono::Duration::days(params.horizon_days) <= as_of {
            f.join(
                label(&known, snap, params),
                [col(CUSTOMER_ID)],
                [col(s::CUSTOMER_ID)],
                JoinArgs::new(JoinType::Left),
            )
            .with_column(col(BAD).fill_null(lit(false)))
        } else {
            f.with_column(lit(NULL).cast(DataType::Boolean).alias(BAD))
        };
        frames.push(f);
    }
    concat(frames, UnionArgs::default())
        .unwrap()
        .sort([AS_OF, CUSTOMER_ID], SortMultipleOptions::default())
        .collect()
        .unwrap()
}

#[test]
fn the_snapshot_sweep_equals_the_polars_reference_on_every_snapshot_day() {
    let wd = Workdir::new();
    let (sample, _) = read_book(Path::new("data-samples"), &Config::default()).unwrap();
    let g = generate(&GenParams {
        customers: 400,
        months: 24,
        seed: 11,
        stories: true,
        ..Default::default()
    })
    .unwrap();
    let generated = write_book(g.tables, &wd.path("generated"));
    for (what, book, as_of) in [
        ("sample", &sample, day("2026-10-31")),
        ("sample, mid-month", &sample, day("2026-06-17")),
        ("generated", &generated, day("2026-10-31")),
    ] {
        let swept = features::snapshots(book, as_of, LabelParams::default(), 1).unwrap();
        let reference = snapshots_one_day_at_a_time(book, as_of);
        assert!(swept.height() > 1000, "{what}: {} rows", swept.height());
        let bads = swept
            .column(BAD)
            .unwrap()
            .bool()
            .unwrap()
            .sum()
            .unwrap_or(0);
        assert!(bads > 20, "{what}: {bads} bad rows");
        assert_frames_equal(&swept, &reference, what);
    }
}

#[test]
fn one_day_features_equal_the_polars_reference() {
    // `features::as_of` runs on the customer sweep; the reference on plain
    // Polars group-bys over the whole book. Month-end and mid-month days,
    // the first weeks of history and the last day.
    let (sample, _) = read_book(Path::new("data-samples"), &Config::default()).unwrap();
    for d in [
        "2024-11-20",
        "2025-02-28",
        "2025-09-13",
        "2026-06-17",
        "2026-10-31",
    ] {
        let fast = features::as_of(&sample, day(d), 60).unwrap();
        let reference = features::reference::as_of(&sample, day(d), 60).unwrap();
        assert!(fast.height() > 50, "{d}: {} rows", fast.height());
        assert_frames_equal(&fast, &reference, d);
    }
}

/// The invoice state's one pass over the payments gives the table the
/// plain Polars joins give (`features::reference::invoice_state`), column
/// by column, on 40 days 30 apart back from the sample's last and the days
/// around it; a `keep` on the book's columns gives the same rows of it, in
/// order, including the nightly run's (open, or settled within 180 days),
/// written there on the state's own columns.
#[test]
fn invoice_state_equals_the_reference_joins() {
    let (sample, report) = read_book(Path::new("data-samples"), &Config::default()).unwrap();
    let last = earlywarn::dates::to_days(report.last_day().unwrap());
    let mut paid_somewhere = 0i64;
    for d in (0..40).map(|k| last - 30 * k).chain([last - 1, last + 1]) {
        let reference = features::reference::invoice_state(&sample, d)
            .collect()
            .unwrap();
        let fast = features::invoice_state(&sample, d).unwrap();
        assert_frames_equal(&fast, &reference, &format!("day {d}"));
        paid_somewhere += fast
            .column("__paid")
            .unwrap()
            .i64()
            .unwrap()
            .sum()
            .unwrap_or(0);

        let recent = features::invoice_state_where(
            &sample,
            d,
            earlywarn::exprs::day(s::ISSUE_DATE).gt(lit(d - 200)),
        )
        .unwrap();
        let expected = reference
            .clone()
            .lazy()
            .filter(col("__issue").gt(lit(d - 200)))
            .collect()
            .unwrap();
        assert_frames_equal(&recent, &expected, &format!("day {d}, issued lately"));

        let nightly =
            features::invoice_state_where(&sample, d, features::open_or_settled_after(d, d - 180))
                .unwrap();
        let expected = reference
            .lazy()
            .filter(
                col("__settled")
                    .is_null()
                    .and(col("__written_off").not())
                    .or(col("__settled").gt(lit(d - 180))),
            )
            .collect()
            .unwrap();
        assert_frames_equal(&nightly, &expected, &format!("day {d}, the nightly rows"));
    }
    // Part payments on open invoices exist, so the pass was exercised.
    assert!(paid_somewhere > 0);
    // A book cut to a day keeps a subset of the invoice keys (not 0..n).
    let cut = known_on(&sample, day("2025-06-30")).unwrap();
    for d in [last - 600, earlywarn::dates::to_days(day("2025-06-30"))] {
        let reference = features::reference::invoice_state(&cut, d)
            .collect()
            .unwrap();
        assert!(reference.height() > 100);
        let fast = features::invoice_state(&cut, d).unwrap();
        assert_frames_equal(&fast, &reference, &format!("cut book, day {d}"));
    }
}

/// The KPIs' shortcut for the open total equals summing the invoice state,
/// on 40 days 30 apart back from the sample's last and a few days around
/// them (a payment, a settlement or a write-off on the day itself counts
/// from that day).
#[test]
fn open_total_equals_the_invoice_state_summed() {
    let (sample, report) = read_book(Path::new("data-samples"), &Config::default()).unwrap();
    let last = earlywarn::dates::to_days(report.last_day().unwrap());
    let mut days: Vec<i32> = (0..40)
        .map(|k| last - 30 * k)
        .chain([last - 1, last + 1, last - 59, last - 60, last - 61])
        .collect();
    days.sort_unstable();
    for d in days {
        let state = features::invoice_state(&sample, d)
            .unwrap()
            .lazy()
            .select([col("__open").sum()])
            .collect()
            .unwrap();
        let summed = state
            .column("__open")
            .unwrap()
            .i64()
            .unwrap()
            .get(0)
            .unwrap_or(0);
        assert_eq!(
            features::open_cents_on(&sample, d).unwrap(),
            summed,
            "day {d}"
        );
        if d == last {
            assert!(summed > 0, "the sample has money open on its last day");
        }
    }
}

#[test]
fn the_book_known_on_its_last_day_is_the_book_and_a_day_earlier_is_not() {
    let (book, report) = read_book(Path::new("data-samples"), &Config::default()).unwrap();
    let last = report.last_day().unwrap();
    let tables = |b: &Book| {
        [
            ("customers", b.customers.clone()),
            ("invoices", b.invoices.clone()),
            ("payments", b.payments.clone()),
            ("orders", b.orders.clone()),
            ("requests", b.credit_requests.clone()),
            ("events", b.events.clone()),
        ]
    };
    // Nothing is dated after the last day: every table comes back as it was
    // (known_on shares it rather than filtering a copy).
    let known = known_on(&book, last).unwrap();
    for ((what, a), (_, b)) in tables(&book).iter().zip(tables(&known).iter()) {
        assert_frames_equal(a, b, what);
    }
    // A day earlier, the last day's rows are cut: the check above can fail.
    let earlier = known_on(&book, last - chrono::Duration::days(1)).unwrap();
    let cut: usize = tables(&book)
        .iter()
        .zip(tables(&earlier).iter())
        .map(|((_, a), (_, b))| a.height() - b.height())
        .sum();
    assert!(cut > 0, "no row dated on the last day");
}

#[test]
fn a_customer_sample_keeps_its_customers_whole_and_their_features_unchanged() {
    let (full, _) = read_book(Path::new("data-samples"), &Config::default()).unwrap();
    let d = day("2026-06-30");
    let sampled = features::customer_sample(full.clone(), 0.5).unwrap();
    let n = sampled.customers.height();
    // About half of the 305 customers, chosen by id alone.
    assert!((100..200).contains(&n), "{n} customers sampled");
    let ids: Vec<String> = sampled
        .customers
        .column(s::CUSTOMER_ID)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|id| id.unwrap().to_string())
        .collect();
    assert!(ids.iter().all(|id| features::in_customer_sample(id, 0.5)));
    // Keys are the sampled customers' rows again.
    let keys: Vec<u32> = sampled
        .customers
        .column(s::CUSTOMER_KEY)
        .unwrap()
        .idx()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(keys, (0..n as u32).collect::<Vec<_>>());
    // Industry news is kept whole; fewer rows elsewhere.
    let news = |b: &Book| b.events.column(s::CUSTOMER_KEY).unwrap().null_count();
    assert_eq!(news(&sampled), news(&full));
    assert!(sampled.payments.height() < full.payments.height());
    // Each sampled customer's features are what the whole book gives it:
    // every row of theirs (payments through their invoices) came along.
    let id_list = Series::new("ids".into(), ids.clone());
    let from_full = features::as_of(&full, d, 60)
        .unwrap()
        .lazy()
        .filter(col(CUSTOMER_ID).is_in(lit(id_list).implode(false), false))
        .collect()
        .unwrap();
    let from_sample = features::as_of(&sampled, d, 60).unwrap();
    assert!(from_sample.height() > 50);
    assert_frames_equal(
        &from_sample,
        &from_full,
        "features of the sampled customers",
    );
    // The whole book is a sample of share 1.
    let all = features::customer_sample(full.clone(), 1.0).unwrap();
    assert_frames_equal(
        &features::as_of(&all, d, 60).unwrap(),
        &features::as_of(&full, d, 60).unwrap(),
        "share 1",
    );
}

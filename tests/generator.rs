//! `earlywarn generate`: reproducible, realistic enough to build on.

use earlywarn::dates;
use earlywarn::generate::{generate, generate_in_chunks, GenParams};
use earlywarn::schema::*;
use polars::prelude::*;

use crate::workdir::Workdir;

fn files(wd: &Workdir, dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(wd.path(dir))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn same_seed_gives_byte_identical_files_whatever_the_thread_count() {
    let wd = Workdir::new();
    for format in ["csv", "parquet"] {
        let args = |out: &str| -> Vec<String> {
            [
                "generate",
                "--out",
                out,
                "--customers",
                "150",
                "--months",
                "13",
                "--seed",
                "5",
                "--stories",
                "--format",
                format,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        };
        let a = format!("{format}-a");
        let b = format!("{format}-b");
        let one = [("RAYON_NUM_THREADS", "1"), ("POLARS_MAX_THREADS", "1")];
        let two = [("RAYON_NUM_THREADS", "2"), ("POLARS_MAX_THREADS", "2")];
        let args_a = args(&a);
        let args_b = args(&b);
        wd.run_env(&args_a.iter().map(String::as_str).collect::<Vec<_>>(), &one)
            .expect_code(0);
        wd.run_env(&args_b.iter().map(String::as_str).collect::<Vec<_>>(), &two)
            .expect_code(0);
        let (fa, fb) = (files(&wd, &a), files(&wd, &b));
        assert_eq!(fa.len(), 6, "{format}: six tables");
        for ((name, x), (_, y)) in fa.iter().zip(&fb) {
            assert!(x == y, "{format}: {name} differs between 1 and 2 threads");
        }
    }
    wd.run(&[
        "generate",
        "--out",
        "other",
        "--customers",
        "150",
        "--months",
        "13",
        "--seed",
        "6",
        "--stories",
    ])
    .expect_code(0);
    assert_ne!(
        files(&wd, "csv-a")[2],
        files(&wd, "other")[2],
        "another seed, another book"
    );
}

#[test]
fn generate_prints_sane_summary_statistics() {
    let g = generate(&GenParams {
        customers: 3000,
        months: 24,
        seed: 3,
        ..Default::default()
    })
    .unwrap();
    let s = &g.summary;
    println!("{s}");
    assert_eq!(s.customers, 3000);
    // About three invoices per customer and month, one order each, payments close to invoices.
    let per_month = s.invoices as f64 / (3000.0 * 24.0);
    assert!(
        (1.5..4.0).contains(&per_month),
        "{per_month} invoices per customer-month"
    );
    assert!(s.orders >= s.invoices);
    // B2B payment surveys: about half of invoices are paid late, a tenth badly.
    assert!((0.35..0.70).contains(&s.paid_late_share), "{s}");
    assert!((0.05..0.25).contains(&s.paid_late_15_share), "{s}");
    assert!((0.02..0.20).contains(&s.partial_payment_share), "{s}");
    assert!((0.002..0.03).contains(&s.disputed_share), "{s}");
    assert!((0.02..0.15).contains(&s.defaulted_share), "{s}");
    assert!(
        s.ever_60dpd_share > s.defaulted_share && s.ever_60dpd_share < 0.5,
        "{s}"
    );
    assert!(s.written_off_invoices > 0, "{s}");
    assert!((0.3..3.0).contains(&s.requests_per_customer_year), "{s}");
    // The hidden truth agrees with the summary.
    let defaulted = g.default_days.iter().filter(|(_, d)| d.is_some()).count();
    assert_eq!(defaulted as f64 / 3000.0, s.defaulted_share);
}

/// Per customer, over the 90 days up to its reference day: credit requests,
/// and the mean days beyond due of payments made in that window.
fn signs_before(g: &earlywarn::generate::Generated, reference: &DataFrame) -> DataFrame {
    let table = |name: &str| {
        g.tables
            .iter()
            .find(|(t, _)| *t == name)
            .unwrap()
            .1
            .clone()
            .lazy()
    };
    let window = |date: &str| {
        col(date)
            .gt(col("reference") - lit(Duration::parse("90d")))
            .and(col(date).lt_eq(col("reference")))
    };
    let requests = table(CREDIT_REQUESTS)
        .join(
            reference.clone().lazy(),
            [col(CUSTOMER_ID)],
            [col(CUSTOMER_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(window(REQUEST_DATE))
        .group_by([col(CUSTOMER_ID)])
        .agg([len().alias("requests")]);
    let lateness = table(PAYMENTS)
        .join(
            table(INVOICES).select([col(INVOICE_ID), col(CUSTOMER_ID), col(DUE_DATE)]),
            [col(INVOICE_ID)],
            [col(INVOICE_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .join(
            reference.clone().lazy(),
            [col(CUSTOMER_ID)],
            [col(CUSTOMER_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(window(PAYMENT_DATE))
        .group_by([col(CUSTOMER_ID)])
        .agg([(col(PAYMENT_DATE) - col(DUE_DATE))
            .dt()
            .total_days(false)
            .mean()
            .alias("days_late")]);
    reference
        .clone()
        .lazy()
        .join(
            requests,
            [col(CUSTOMER_ID)],
            [col(CUSTOMER_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            lateness,
            [col(CUSTOMER_ID)],
            [col(CUSTOMER_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col("requests")
                .fill_null(lit(0))
                .cast(DataType::Float64)
                .mean(),
            col("days_late").mean(),
        ])
        .collect()
        .unwrap()
}

#[test]
fn warning_signs_precede_defaults_on_average() {
    let params = GenParams {
        customers: 4000,
        months: 36,
        seed: 21,
        ..Default::default()
    };
    let g = generate(&params).unwrap();
    let start = params.end - chrono::Months::new(30);
    // Defaulters, looked at in the 90 days before they stopped paying (with at
    // least 6 months of history before); everyone else over the 90 days to a
    // fixed day in the same span.
    let (mut ids_bad, mut days_bad, mut ids_good) = (vec![], vec![], vec![]);
    for (id, day) in &g.default_days {
        match day {
            Some(d) if *d > start => {
                ids_bad.push(id.clone());
                days_bad.push(dates::to_days(*d));
            }
            Some(_) => {}
            None => ids_good.push(id.clone()),
        }
    }
    assert!(
        ids_bad.len() > 100,
        "{} defaulters: too few to compare",
        ids_bad.len()
    );
    let bad = DataFrame::new(
        ids_bad.len(),
        vec![
            Column::new(CUSTOMER_ID.into(), ids_bad),
            Series::new("reference".into(), days_bad)
                .into_date()
                .into_column(),
        ],
    )
    .unwrap();
    let mid = dates::to_days(params.end - chrono::Months::new(12));
    let good = DataFrame::new(
        ids_good.len(),
        vec![
            Series::new("reference".into(), vec![mid; ids_good.len()])
                .into_date()
                .into_column(),
            Column::new(CUSTOMER_ID.into(), ids_good),
        ],
    )
    .unwrap();
    let (b, g2) = (signs_before(&g, &bad), signs_before(&g, &good));
    let get = |df: &DataFrame, c: &str| df.column(c).unwrap().f64().unwrap().get(0).unwrap();
    println!("defaulters: {b}\nothers: {g2}");
    assert!(
        get(&b, "requests") > 2.0 * get(&g2, "requests"),
        "requests: {b} vs {g2}"
    );
    assert!(
        get(&b, "days_late") > get(&g2, "days_late") + 5.0,
        "days late: {b} vs {g2}"
    );
}

#[test]
fn the_bundled_sample_is_what_its_readme_command_makes() {
    // data-samples/README.md: earlywarn generate --out data-samples
    //   --customers 300 --months 24 --seed 7 --stories
    let wd = Workdir::new();
    let run = wd.run(&[
        "generate",
        "--out",
        "sample",
        "--customers",
        "300",
        "--months",
        "24",
        "--seed",
        "7",
        "--stories",
    ]);
    run.expect_code(0);
    let readme = std::fs::read_to_string("data-samples/README.md").unwrap();
    for line in run.stdout().lines().take(3) {
        assert!(
            readme.contains(line),
            "data-samples/README.md lacks the summary line {line:?}"
        );
    }
    for (name, bytes) in files(&wd, "sample") {
        let bundled = std::fs::read(format!("data-samples/{name}")).unwrap();
        assert!(
            bundled == bytes,
            "data-samples/{name} is not what the README's command makes: regenerate it"
        );
    }
}

#[test]
fn chunks_appended_are_the_whole_book_row_for_row() {
    let params = GenParams {
        customers: 200,
        months: 18,
        seed: 5,
        stories: true,
        ..Default::default()
    };
    let whole = generate(&params).unwrap();
    // 200 customers by 37: five full chunks and a short last one with the
    // story accounts and the industry news.
    let mut appended: Vec<(&'static str, DataFrame)> = Vec::new();
    let mut chunks = 0;
    let summary = generate_in_chunks(&params, 37, |tables| {
        chunks += 1;
        if appended.is_empty() {
            appended = tables;
        } else {
            for ((_, all), (_, part)) in appended.iter_mut().zip(&tables) {
                all.vstack_mut(part).unwrap();
            }
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(chunks, 6);
    assert_eq!(summary, whole.summary);
    for ((table, a), (name, b)) in appended.iter().zip(&whole.tables) {
        assert_eq!(table, name);
        assert_eq!(a.height(), b.height(), "{table}");
        assert!(a.equals_missing(b), "{table} differs");
    }
}

#[test]
fn chunk_size_does_not_change_a_byte_of_the_csv_files() {
    let wd = Workdir::new();
    for (dir, chunk) in [("one", "20000"), ("many", "7")] {
        wd.run(&[
            "generate",
            "--out",
            dir,
            "--customers",
            "60",
            "--months",
            "14",
            "--seed",
            "9",
            "--stories",
            "--chunk-customers",
            chunk,
        ])
        .expect_code(0);
    }
    assert_eq!(files(&wd, "one"), files(&wd, "many"));
}

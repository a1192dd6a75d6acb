//! Ingest through the library: the same book from CSV, Parquet, a
//! partitioned Parquet folder and a renamed ERP export gives the same frames;
//! settlement from payments or from paid_date.

use std::path::Path;

use earlywarn::config::Config;
use earlywarn::generate::{generate, GenParams};
use earlywarn::ingest::{read_book, read_book_with, Book, Reading, Settlement};
use earlywarn::output::{write_parquet, write_table, TableFormat};
use earlywarn::schema::*;
use polars::prelude::*;

use crate::workdir::Workdir;

fn small_book(dir: &Path, format: TableFormat) {
    let g = generate(&GenParams {
        customers: 40,
        months: 14,
        seed: 11,
        stories: true,
        ..Default::default()
    })
    .unwrap();
    for (table, mut df) in g.tables {
        write_table(&mut df, dir, table, format).unwrap();
    }
}

fn read(dir: &Path, config: &Config) -> Book {
    let (book, report) = read_book(dir, config).unwrap();
    assert!(
        report.rejects.is_empty(),
        "unexpected rejects: {:?}",
        &report.rejects[..report.rejects.len().min(3)]
    );
    book
}

/// A Parquet file as written, without ingest.
fn raw_parquet(path: &Path) -> DataFrame {
    LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .unwrap()
    .collect()
    .unwrap()
}

fn frames(book: &Book) -> Vec<(&'static str, &DataFrame)> {
    vec![
        (CUSTOMERS, &book.customers),
        (INVOICES, &book.invoices),
        (PAYMENTS, &book.payments),
        (ORDERS, &book.orders),
        (CREDIT_REQUESTS, &book.credit_requests),
        (EVENTS, &book.events),
    ]
}

/// Same columns (names, types, values, nulls) in the same order, contract
/// columns only when `contract_only` (a hive folder adds its partition key).
/// `by_id`: compare rows sorted by the table's first column (a folder of
/// partitions has its own row order).
fn assert_same(a: &Book, b: &Book, contract_only: bool, by_id: bool) {
    for ((table, x), (_, y)) in frames(a).into_iter().zip(frames(b)) {
        let sorted = |df: &DataFrame| {
            let first = df.get_column_names()[0].to_string();
            df.sort(
                [first.as_str()],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .unwrap()
        };
        let (x, y) = if by_id {
            (sorted(x), sorted(y))
        } else {
            (x.clone(), y.clone())
        };
        // invoice_key is the row number in the book: it follows row order,
        // so it is compared only when rows come in the same order.
        let names: Vec<String> = x
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .filter(|n| !(by_id && n == INVOICE_KEY))
            .collect();
        if !contract_only {
            assert_eq!(x.schema(), y.schema(), "{table}: schemas differ");
        }
        assert_eq!(x.height(), y.height(), "{table}: heights differ");
        for name in &names {
            let (cx, cy) = (x.column(name).unwrap(), y.column(name).unwrap());
            assert_eq!(cx.dtype(), cy.dtype(), "{table}.{name}: types differ");
            assert!(
                cx.equals_missing(cy),
                "{table}.{name} differs:\n{cx:?}\n{cy:?}"
            );
        }
    }
}

#[test]
fn csv_parquet_and_partitioned_folder_give_identical_frames() {
    let wd = Workdir::new();
    small_book(&wd.path("csv"), TableFormat::Csv);
    small_book(&wd.path("parquet"), TableFormat::Parquet);
    let config = Config::default();
    let from_csv = read(&wd.path("csv"), &config);
    let from_parquet = read(&wd.path("parquet"), &config);
    assert!(
        from_csv.invoices.height() > 500,
        "book too small to mean anything"
    );
    assert_same(&from_csv, &from_parquet, false, false);

    // The same invoices split into hive partitions by issue year, and payments
    // split into plain part files: compared row by row after sorting by id.
    let folder = wd.path("folder");
    small_book(&folder, TableFormat::Parquet);
    // Split from the files as written: the book keeps keys, not every text id.
    let inv = raw_parquet(&folder.join("invoices.parquet"));
    std::fs::remove_file(folder.join("invoices.parquet")).unwrap();
    for year in [2025, 2026] {
        let mut part = inv
            .clone()
            .lazy()
            .filter(col(ISSUE_DATE).dt().year().eq(lit(year)))
            .collect()
            .unwrap();
        write_parquet(
            &mut part,
            &folder.join(format!("invoices/year={year}/part-0.parquet")),
        )
        .unwrap();
    }
    let pay = raw_parquet(&folder.join("payments.parquet"));
    std::fs::remove_file(folder.join("payments.parquet")).unwrap();
    let half = pay.height() / 2;
    write_parquet(
        &mut pay.slice(0, half),
        &folder.join("payments/part-0.parquet"),
    )
    .unwrap();
    write_parquet(
        &mut pay.slice(half as i64, pay.height() - half),
        &folder.join("payments/part-1.parquet"),
    )
    .unwrap();
    let from_folder = read(&folder, &config);
    assert!(
        from_folder.invoices.column("year").is_ok(),
        "hive partition key carried as an extra column"
    );
    assert_same(&from_parquet, &from_folder, true, true);
}

#[test]
fn parquet_timestamps_are_read_as_their_date() {
    let wd = Workdir::new();
    small_book(&wd.path("a"), TableFormat::Parquet);
    let plain = read(&wd.path("a"), &Config::default());
    let mut orders = raw_parquet(&wd.path("a/orders.parquet"))
        .lazy()
        .with_column(
            (col(ORDER_DATE).cast(DataType::Datetime(TimeUnit::Milliseconds, None))
                + lit(Duration::parse("13h")))
            .alias(ORDER_DATE),
        )
        .collect()
        .unwrap();
    assert!(matches!(
        orders.column(ORDER_DATE).unwrap().dtype(),
        DataType::Datetime(..)
    ));
    write_parquet(&mut orders, &wd.path("a/orders.parquet")).unwrap();
    let stamped = read(&wd.path("a"), &Config::default());
    assert!(stamped
        .orders
        .column(ORDER_DATE)
        .unwrap()
        .equals_missing(plain.orders.column(ORDER_DATE).unwrap()));
}

#[test]
fn a_mapped_erp_export_reads_as_the_contract_book() {
    let wd = Workdir::new();
    wd.write(
        "std/customers.csv",
        "customer_id,credit_limit,name\nC1,1000,Alpha\nC2,2500.5,Beta\n",
    );
    wd.write(
        "std/invoices.csv",
        "invoice_id,customer_id,issue_date,due_date,amount,disputed\n\
         I1,C1,2024-01-31,2024-03-01,100.25,false\nI2,C2,2024-02-15,2024-03-16,80,true\n",
    );
    wd.write(
        "std/payments.csv",
        "payment_id,invoice_id,payment_date,amount\nP1,I1,2024-03-04,100.25\n",
    );
    // The same book as an ERP exports it: other file names, column names,
    // semicolons, US dates, a byte-order mark and an extra column.
    wd.write(
        "erp/Debitoren.csv",
        "\u{feff}KundenNr;Kreditlimit;Firma\nC1;1000;Alpha\nC2;2500.5;Beta\n",
    );
    wd.write(
        "erp/OpenItems.csv",
        "DocNo;Debtor;DocDate;DueDate;Gross;Disputed;Branch\n\
         I1;C1;01/31/2024;03/01/2024;100.25;N;North\nI2;C2;02/15/2024;03/16/2024;80;Y;South\n",
    );
    wd.write(
        "erp/payments.csv",
        "payment_id,invoice_id,payment_date,amount\nP1,I1,2024-03-04,100.25\n",
    );
    let mapping = r#"
        [input]
        delimiter = ";"
        date_format = "%m/%d/%Y"
        true_values = ["Y", "J"]
        false_values = ["N"]

        [input.tables.customers]
        file = "Debitoren.csv"
        columns = { customer_id = "KundenNr", credit_limit = "Kreditlimit", name = "Firma" }

        [input.tables.invoices]
        file = "OpenItems.csv"
        columns = { invoice_id = "DocNo", customer_id = "Debtor", issue_date = "DocDate", due_date = "DueDate", amount = "Gross", disputed = "Disputed" }

        [input.tables.payments]
        delimiter = ","
        date_format = "%Y-%m-%d"
    "#;
    let config: Config = toml::from_str(mapping).unwrap();
    config.check().unwrap();
    let erp = read(&wd.path("erp"), &config);
    let std = read(&wd.path("std"), &Config::default());
    assert_eq!(
        erp.invoices.column("Branch").unwrap().str().unwrap().get(1),
        Some("South")
    );
    for c in [
        INVOICE_SEED,
        CUSTOMER_KEY,
        ISSUE_DATE,
        DUE_DATE,
        AMOUNT,
        DISPUTED,
        SETTLED_DATE,
    ] {
        assert!(
            erp.invoices
                .column(c)
                .unwrap()
                .equals_missing(std.invoices.column(c).unwrap()),
            "{c}"
        );
    }
    for c in [CUSTOMER_ID, CREDIT_LIMIT, NAME, PAYMENT_TERMS_DAYS] {
        assert!(
            erp.customers
                .column(c)
                .unwrap()
                .equals_missing(std.customers.column(c).unwrap()),
            "{c}"
        );
    }
    let disputed: Vec<Option<bool>> = erp
        .invoices
        .column(DISPUTED)
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(disputed, vec![Some(false), Some(true)]);
}

/// Each invoice's settled_date as ISO text.
fn settled_dates(book: &Book) -> Vec<Option<String>> {
    let dates = book
        .invoices
        .column(SETTLED_DATE)
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    dates
        .str()
        .unwrap()
        .iter()
        .map(|d| d.map(String::from))
        .collect()
}

fn some(dates: &[Option<&str>]) -> Vec<Option<String>> {
    dates.iter().map(|d| d.map(String::from)).collect()
}

#[test]
fn paid_date_is_one_full_payment_only_when_there_is_no_payments_table() {
    let wd = Workdir::new();
    wd.write("in/customers.csv", "customer_id,credit_limit\nC1,1000\n");
    wd.write(
        "in/invoices.csv",
        "invoice_id,customer_id,issue_date,due_date,amount,paid_date\n\
         I1,C1,2024-01-01,2024-01-31,100,2024-02-05\n\
         I2,C1,2024-01-10,2024-02-09,50,\n\
         I3,C1,2024-01-20,2024-02-19,70,2024-02-19\n",
    );
    let (book, _) = read_book(&wd.path("in"), &Config::default()).unwrap();
    assert_eq!(book.settlement, Settlement::PaidDate);
    let p = &book.payments;
    assert_eq!(p.height(), 2);
    // One payment per paid invoice: I1 (key 0) and I3 (key 2). The book
    // keeps the invoice key, not the text ids it was matched from.
    let keys: Vec<Option<u32>> = p
        .column(INVOICE_KEY)
        .unwrap()
        .idx()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(keys, [Some(0), Some(2)]);
    for gone in [PAYMENT_ID, INVOICE_ID] {
        assert!(p.column(gone).is_err(), "{gone} kept");
    }
    assert_eq!(p.column(AMOUNT).unwrap().f64().unwrap().get(1), Some(70.0));
    let settled = settled_dates(&book);
    assert_eq!(
        settled,
        some(&[Some("2024-02-05"), None, Some("2024-02-19")])
    );

    // With a payments table, paid_date is ignored: I1 is paid in two parts and
    // settles when the second reaches the amount within 0.01; I3 is unpaid.
    wd.write(
        "in/payments.csv",
        "payment_id,invoice_id,payment_date,amount\n\
         P2,I1,2024-03-01,39.995\n\
         P1,I1,2024-02-10,60\n\
         P3,I2,2024-02-01,49.98\n",
    );
    let (book, _) = read_book(&wd.path("in"), &Config::default()).unwrap();
    assert_eq!(book.settlement, Settlement::PaymentsTable);
    assert_eq!(book.payments.height(), 3);
    let settled = settled_dates(&book);
    // I2: 49.98 of 50 is 0.02 short, so still open.
    assert_eq!(settled, some(&[Some("2024-03-01"), None, None]));
    // I1 took its two payments to settle; the others are not settled.
    let parts: Vec<Option<i64>> = book
        .invoices
        .column(PAYMENTS_TO_SETTLE)
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(parts, vec![Some(2), None, None]);
}

#[test]
fn of_two_broken_tables_the_earlier_in_contract_order_is_reported() {
    // Orders are read before invoices (to lower the peak memory), yet an
    // error in both names invoices, as a reading in table order would; with
    // invoices mended, the orders' error comes through.
    let wd = Workdir::new();
    wd.write("in/customers.csv", "customer_id,credit_limit\nC1,1000\n");
    wd.write(
        "in/invoices.csv",
        "invoice_id,customer_id,issue_date,due_date\nI1,C1,2024-01-01,2024-01-31\n",
    );
    wd.write("in/orders.csv", "order_id,customer_id,amount\nO1,C1,10\n");
    // The same whichever way the tables are read.
    let error = |wd: &Workdir| {
        let [one, side] = [Reading::OneAfterAnother, Reading::SideBySide].map(|reading| {
            read_book_with(&wd.path("in"), &Config::default(), reading)
                .map(|_| ())
                .unwrap_err()
                .to_string()
        });
        assert_eq!(one, side);
        one
    };
    let first = error(&wd);
    assert!(
        first.contains("invoices.csv") && first.contains("required column 'amount' is missing"),
        "{first}"
    );
    wd.write(
        "in/invoices.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\nI1,C1,2024-01-01,2024-01-31,5\n",
    );
    let second = error(&wd);
    assert!(
        second.contains("orders.csv") && second.contains("required column 'order_date' is missing"),
        "{second}"
    );
}

#[test]
fn tables_read_side_by_side_give_the_book_report_and_rejects_read_one_after_another() {
    // The sample book (all clean) and the validate tests' bad book (28
    // rejects across every table).
    let wd = Workdir::new();
    crate::validate_cli::write_bad_book(&wd);
    for dir in [Path::new("data-samples").to_path_buf(), wd.path("in")] {
        let [(one, one_report), (side, side_report)] =
            [Reading::OneAfterAnother, Reading::SideBySide]
                .map(|reading| read_book_with(&dir, &Config::default(), reading).unwrap());
        for ((table, a), (_, b)) in frames(&one).into_iter().zip(frames(&side)) {
            assert!(
                a.height() > 0 || table == EVENTS,
                "{} {table}",
                dir.display()
            );
            assert!(a.equals_missing(b), "{} {table}", dir.display());
        }
        assert_eq!(one.settlement, side.settlement);
        assert_eq!(one_report.rejects, side_report.rejects);
        assert_eq!(
            format!("{:?}", one_report.tables),
            format!("{:?}", side_report.tables)
        );
    }
}

#[test]
fn parquet_rejects_match_csv_ones_though_payments_invoice_ids_are_read_first() {
    // Payments' invoice ids are read, matched and dropped before the other
    // payment columns are read (to lower the peak memory); a rejected
    // payment's raw values read them again from the file. The bad book of
    // the validate tests, as Parquet of text columns (payments' columns in
    // another order, the invoice id between others), must give the CSV's
    // rejects: same reasons and raw values in file column order; rows one
    // lower, as Parquet counts from 1 and CSV from the header line.
    let wd = Workdir::new();
    crate::validate_cli::write_bad_book(&wd);
    for table in TABLES {
        let csv = wd.path(&format!("in/{}.csv", table.name));
        let mut df = LazyCsvReader::new(PlRefPath::new(csv.to_string_lossy().as_ref()))
            .with_infer_schema_length(Some(0))
            .finish()
            .unwrap()
            .collect()
            .unwrap();
        if table.name == PAYMENTS {
            df = df
                .select(["payment_date", "invoice_id", "amount", "payment_id"])
                .unwrap();
        }
        std::fs::create_dir_all(wd.path("pq")).unwrap();
        write_parquet(&mut df, &wd.path(&format!("pq/{}.parquet", table.name))).unwrap();
    }
    let rejects = |dir: &str| {
        read_book(&wd.path(dir), &Config::default())
            .unwrap()
            .1
            .rejects
    };
    let (csv, parquet) = (rejects("in"), rejects("pq"));
    assert_eq!(csv.len(), 28);
    assert_eq!(parquet.len(), csv.len());
    for (c, p) in csv.iter().zip(&parquet) {
        assert_eq!((p.table, p.row + 1), (c.table, c.row), "{p:?} / {c:?}");
        let first_at = |r: &str| r.split("(first at row ").nth(1).map(|n| n.to_string());
        match (first_at(&c.reason), first_at(&p.reason)) {
            (Some(cn), Some(pn)) => {
                let n = |s: String| s.trim_end_matches(')').parse::<u64>().unwrap();
                assert_eq!(n(pn) + 1, n(cn), "{p:?} / {c:?}");
            }
            (None, None) => assert_eq!(p.reason, c.reason),
            _ => panic!("{p:?} / {c:?}"),
        }
        if p.table == PAYMENTS {
            // The same values, keyed in the Parquet file's column order.
            let values = |raw: &str| -> serde_json::Map<String, serde_json::Value> {
                serde_json::from_str(raw).unwrap()
            };
            assert_eq!(values(&p.raw), values(&c.raw));
            let at: Vec<usize> = ["payment_date", "invoice_id", "amount", "payment_id"]
                .iter()
                .map(|k| p.raw.find(&format!("\"{k}\":")).unwrap())
                .collect();
            assert!(at.is_sorted(), "{}", p.raw);
        } else {
            assert_eq!(p.raw, c.raw);
        }
    }
    // The unknown invoice id is quoted as the file has it.
    let unknown = parquet
        .iter()
        .find(|r| r.table == PAYMENTS && r.reason == "unknown invoice_id")
        .unwrap();
    assert!(
        unknown.raw.contains(r#""invoice_id": "I99""#),
        "{}",
        unknown.raw
    );
}

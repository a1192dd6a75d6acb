//! `earlywarn validate`: every reject reason, every exit code, and the
//! "nothing written on failure" rule, through the real binary.

use crate::workdir::Workdir;

/// A small CSV book with one bad row per contract rule. Row numbers are line
/// numbers (header = 1); each bad row's comment is the reason it must get.
pub fn write_bad_book(wd: &Workdir) {
    wd.write(
        "in/customers.csv",
        "customer_id,credit_limit,name,payment_terms_days,industry,country,segment\n\
         C1,10000,Alpha,30,retail,DE,gold\n\
         C2,5000,Beta,,construction,FR,silver\n\
         C3,-5,Gamma,30,retail,DE,\n\
         C4,abc,Delta,30,retail,DE,\n\
         C1,7000,Alpha again,30,retail,DE,\n\
         ,1000,No id,30,retail,DE,\n\
         C5,1000,Eps,30.5,retail,DE,\n",
    );
    // rows: 4 limit < 0; 5 limit not a number; 6 duplicate of row 2; 7 no id; 8 terms not whole.
    wd.write(
        "in/invoices.csv",
        "invoice_id,customer_id,issue_date,due_date,amount,disputed,written_off_date\n\
         I1,C1,2024-01-10,2024-02-09,1000,false,\n\
         I2,C2,2024-01-15,2024-02-14,500,yes,\n\
         I3,C9,2024-01-15,2024-02-14,500,no,\n\
         I4,C1,2024-02-30,2024-03-14,500,0,\n\
         I5,C1,2024-03-10,2024-03-01,500,f,\n\
         I6,C1,2024-03-10,2024-04-09,0,t,\n\
         I7,C1,2024-03-10,2024-04-09,-20,,\n\
         I1,C2,2024-03-10,2024-04-09,20,,\n\
         I8,C1,2024-03-10,2024-04-09,20,maybe,\n\
         I9,C3,2024-03-10,2024-04-09,20,,\n\
         I10,C1,2024-03-10,2024-04-09,300,,2024-01-01\n\
         I11,C1,2024-03-12,2024-04-11,300,TRUE,\n",
    );
    wd.write(
        "in/payments.csv",
        "payment_id,invoice_id,payment_date,amount\n\
         P1,I1,2024-02-01,600\n\
         P2,I1,2024-02-20,399.995\n\
         P3,I99,2024-02-01,10\n\
         P4,I2,2024-01-01,10\n\
         P5,I2,2024-02-10,-1\n\
         P1,I2,2024-02-10,10\n\
         P6,I2,not-a-date,10\n\
         P7,I4,2024-03-20,10\n",
    );
    wd.write(
        "in/orders.csv",
        "order_id,customer_id,order_date,amount\n\
         O1,C1,2024-01-05,1000\n\
         O2,C1,2024-01-06,0\n\
         O3,C1,2024-01-07,-1\n\
         O4,CX,2024-01-07,5\n\
         O1,C2,2024-01-08,5\n",
    );
    wd.write(
        "in/credit_requests.csv",
        "request_id,customer_id,request_date,kind,requested_days,granted\n\
         R1,C1,2024-02-01,term_extension,30,true\n\
         R2,C1,2024-02-01,discount,,\n\
         R3,C1,2024-02-01,payment_plan,-5,no\n\
         R4,C1,2024-02-01,limit_increase,,\n",
    );
    wd.write(
        "in/events.csv",
        "event_date,kind,severity,customer_id,industry\n\
         2024-03-01,negative_news,3,C1,\n\
         2024-03-01,negative_news,2,,retail\n\
         2024-03-01,negative_news,2,,\n\
         2024-03-01,rating_downgrade,7,C1,\n\
         2024-03-01,negative_news,3,C42,\n",
    );
    wd.write("lenient.toml", "[input]\nmax_reject_share = 1.0\n");
}

#[test]
fn every_reject_reason_lands_in_rejects_csv_with_its_file_row() {
    let wd = Workdir::new();
    write_bad_book(&wd);
    wd.run(&[
        "validate",
        "--input",
        "in",
        "--rejects",
        "rejects.csv",
        "--config",
        "lenient.toml",
    ])
    .expect_code(0);
    let text = wd.read("rejects.csv");
    let got: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| {
            // table,row,reason (possibly quoted),raw: keep the first three fields.
            let mut rdr = l.splitn(3, ',');
            let (t, r, rest) = (
                rdr.next().unwrap(),
                rdr.next().unwrap(),
                rdr.next().unwrap(),
            );
            let reason = if let Some(q) = rest.strip_prefix('"') {
                q.split('"').next().unwrap()
            } else {
                rest.split(',').next().unwrap()
            };
            format!("{t},{r},{reason}")
        })
        .collect();
    let expected = [
        "customers,4,credit_limit must be >= 0",
        "customers,5,credit_limit is not a valid number",
        "customers,6,duplicate customer_id (first at row 2)",
        "customers,7,customer_id is missing",
        "customers,8,payment_terms_days is not a valid whole number",
        "invoices,4,unknown customer_id",
        "invoices,5,issue_date is not a valid date (expected %Y-%m-%d)",
        "invoices,6,due_date before issue_date",
        "invoices,7,amount must be > 0",
        "invoices,8,amount must be > 0",
        "invoices,9,duplicate invoice_id (first at row 2)",
        "invoices,10,disputed is not a valid boolean",
        "invoices,11,unknown customer_id",
        "invoices,12,written_off_date before issue_date",
        "payments,4,unknown invoice_id",
        "payments,5,payment_date before the invoice's issue_date",
        "payments,6,amount must be > 0",
        "payments,7,duplicate payment_id (first at row 2)",
        "payments,8,payment_date is not a valid date (expected %Y-%m-%d)",
        "payments,9,unknown invoice_id",
        "orders,4,amount must be >= 0",
        "orders,5,unknown customer_id",
        "orders,6,duplicate order_id (first at row 2)",
        "credit_requests,3,kind must be one of term_extension, limit_increase, payment_plan",
        "credit_requests,4,requested_days must be >= 0",
        "events,4,event names neither customer_id nor industry",
        "events,5,severity must be a whole number from 1 to 5",
        "events,6,unknown customer_id",
    ];
    assert_eq!(got, expected, "rejects.csv was:\n{text}");
    // The raw column keeps the row exactly as the file had it, keyed by the file's names.
    assert!(
        text.contains(
            r#"{""invoice_id"": ""I4"", ""customer_id"": ""C1"", ""issue_date"": ""2024-02-30"""#
        ),
        "{text}"
    );
}

#[test]
fn validate_prints_rows_read_accepted_rejected_dates_and_top_reasons() {
    let wd = Workdir::new();
    write_bad_book(&wd);
    let run = wd.run(&["validate", "--input", "in", "--config", "lenient.toml"]);
    run.expect_code(0);
    let out = run.stdout();
    let line = out
        .lines()
        .find(|l| l.starts_with("invoices"))
        .expect("invoices line");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&fields[..4], ["invoices", "12", "3", "9"], "{out}");
    assert!(line.ends_with("2024-01-10 .. 2024-03-12"), "{line}");
    run.expect_stdout_contains("rejected: amount must be > 0 (2)");
    run.expect_stdout_contains("rejected: unknown customer_id (2)");
}

#[test]
fn too_many_rejects_exits_3_and_still_writes_the_rejects() {
    let wd = Workdir::new();
    write_bad_book(&wd);
    let run = wd.run(&["validate", "--input", "in", "--rejects", "rejects.csv"]);
    run.expect_code(3)
        .expect_stderr_contains("over the limit of 5.0%");
    assert!(wd.read("rejects.csv").lines().count() > 1);
}

#[test]
fn a_share_at_the_limit_passes_and_one_row_more_fails() {
    let wd = Workdir::new();
    // 20 customers, one bad: 5% is not over the 5% limit.
    let mut rows = String::from("customer_id,credit_limit\n");
    for i in 0..19 {
        rows.push_str(&format!("C{i},1000\n"));
    }
    rows.push_str("CX,-1\n");
    wd.write("in/customers.csv", &rows);
    wd.write(
        "in/invoices.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\nI1,C1,2024-01-01,2024-01-31,10\n",
    );
    wd.run(&["validate", "--input", "in"]).expect_code(0);
    rows.push_str("CY,-1\n"); // 2 of 21: 9.5%
    wd.write("in/customers.csv", &rows);
    wd.run(&["validate", "--input", "in"])
        .expect_code(3)
        .expect_stderr_contains("customers: 2 of 21 rows rejected");
}

fn minimal_book(wd: &Workdir) {
    wd.write(
        "in/customers.csv",
        "customer_id,credit_limit\nC1,1000\nC2,2000\n",
    );
    wd.write(
        "in/invoices.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\nI1,C1,2024-01-01,2024-01-31,10\nI2,C2,2024-01-02,2024-02-01,20\n",
    );
}

/// (what is wrong, how to break the fixture, what the error must say)
type BrokenInput = (&'static str, Box<dyn Fn(&Workdir)>, &'static str);

#[test]
fn unusable_input_exits_2_naming_file_and_column_and_writes_nothing() {
    let cases: Vec<BrokenInput> = vec![
        ("missing table", Box::new(|wd: &Workdir| { std::fs::remove_file(wd.path("in/invoices.csv")).unwrap(); }), "required table invoices not found"),
        (
            "missing column",
            Box::new(|wd: &Workdir| {
                wd.write("in/invoices.csv", "invoice_id,customer_id,issue_date,due_date\nI1,C1,2024-01-01,2024-01-31\n");
            }),
            "invoices.csv: required column 'amount' is missing",
        ),
        (
            "whole column of the wrong type",
            Box::new(|wd: &Workdir| {
                wd.write(
                    "in/invoices.csv",
                    "invoice_id,customer_id,issue_date,due_date,amount\nI1,C1,01/02/2024,2024-01-31,10\nI2,C2,01/03/2024,2024-02-01,20\n",
                );
            }),
            "invoices.csv: column 'issue_date': no value is a valid date (expected format %Y-%m-%d); the first is \"01/02/2024\"",
        ),
        (
            "unreadable file",
            Box::new(|wd: &Workdir| {
                std::fs::remove_file(wd.path("in/invoices.csv")).unwrap();
                wd.write("in/invoices.parquet", "this is not parquet");
            }),
            "invoices.parquet: cannot read",
        ),
        (
            "table stored twice",
            Box::new(|wd: &Workdir| {
                wd.write("in/customers.parquet", "");
            }),
            "table customers is stored more than once (customers.csv, customers.parquet)",
        ),
    ];
    for (what, break_it, message) in cases {
        let wd = Workdir::new();
        minimal_book(&wd);
        wd.run(&["validate", "--input", "in"]).expect_code(0);
        break_it(&wd);
        wd.write("rejects.csv", "previous contents\n");
        let run = wd.run(&["validate", "--input", "in", "--rejects", "rejects.csv"]);
        run.expect_code(2).expect_stderr_contains(message);
        assert_eq!(
            run.stderr().lines().count(),
            1,
            "{what}: one readable line, got:\n{}",
            run.stderr()
        );
        assert_eq!(
            wd.read("rejects.csv"),
            "previous contents\n",
            "{what}: the rejects file was touched"
        );
    }
}

#[test]
fn bad_arguments_and_config_exit_2() {
    let wd = Workdir::new();
    minimal_book(&wd);
    wd.run(&["validate"])
        .expect_code(2)
        .expect_stderr_contains("--input");
    wd.run(&["validate", "--input", "nowhere"])
        .expect_code(2)
        .expect_stderr_contains("nowhere: input folder not found");
    wd.write("bad.toml", "[input]\ndelimeter = ';'\n");
    wd.run(&["validate", "--input", "in", "--config", "bad.toml"])
        .expect_code(2)
        .expect_stderr_contains("bad.toml: invalid config: unknown field `delimeter`");
}

#[test]
fn any_other_failure_exits_1_with_one_readable_line() {
    let wd = Workdir::new();
    minimal_book(&wd);
    // A rejects path whose folder is a file: the write fails, not the input.
    wd.write("blocker", "a file, not a folder\n");
    let run = wd.run(&[
        "validate",
        "--input",
        "in",
        "--rejects",
        "blocker/rejects.csv",
    ]);
    run.expect_code(1).expect_stderr_contains("blocker");
    assert_eq!(run.stderr().lines().count(), 1, "{}", run.stderr());
    assert!(!run.stderr().contains("panicked"), "{}", run.stderr());
}

//! `earlywarn run` as an operator meets it: the files, their bytes, their
//! atomicity, and the point-in-time rule.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use earlywarn::config::Config;
use earlywarn::dates;
use earlywarn::features::known_on;
use earlywarn::ingest::read_book;
use polars::prelude::*;

use crate::books::{invoice_ids_by_seed, tables_with_invoice_ids, write_book};
use crate::workdir::Workdir;

/// A folder with the repository's sample and model, as on a fresh clone.
fn sample_wd() -> Workdir {
    let wd = Workdir::new();
    for dir in ["data-samples", "models"] {
        let src = std::fs::canonicalize(dir).unwrap();
        std::os::unix::fs::symlink(src, wd.path(dir)).unwrap();
    }
    wd
}

/// Every file of a folder: name -> bytes; run.json without its timings.
fn outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let mut bytes = std::fs::read(e.path()).unwrap();
        if name == "run.json" {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            v.as_object_mut().unwrap().remove("timings_ms").unwrap();
            bytes = serde_json::to_vec_pretty(&v).unwrap();
        }
        out.insert(name, bytes);
    }
    out
}

const FILES: [&str; 9] = [
    "cash_forecast.csv",
    "credit_limits.csv",
    "escalations.csv",
    "kpis.json",
    "rejects.csv",
    "report.html",
    "run.json",
    "scores.csv",
    "scores.parquet",
];

fn header(wd: &Workdir, file: &str) -> String {
    wd.read(file).lines().next().unwrap().to_string()
}

fn csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap()
}

#[test]
fn run_with_no_arguments_writes_every_file_as_the_golden_copy() {
    let wd = sample_wd();
    wd.run(&["run"])
        .expect_code(0)
        .expect_stdout_contains("as of 2026-10-31: 305 accounts scored");
    let got = outputs(&wd.path("out"));
    assert_eq!(got.keys().map(String::as_str).collect::<Vec<_>>(), FILES);
    // The contract's columns, in its order, then our extensions.
    assert_eq!(
        header(&wd, "out/scores.csv"),
        "customer_id,name,as_of,pd,score,risk_band,reason_1,reason_2,reason_3,\
         open_balance,overdue_balance,max_days_past_due,utilization,model_version,\
         in_default,previous_score,score_change,previous_band,band_change"
    );
    assert_eq!(
        header(&wd, "out/escalations.csv"),
        "rank,customer_id,name,action,priority,overdue_balance,max_days_past_due,pd,risk_band,reasons,due_by"
    );
    assert_eq!(
        header(&wd, "out/credit_limits.csv"),
        "customer_id,current_limit,recommended_limit,change_pct,decision,reason,risk_band"
    );
    assert_eq!(
        header(&wd, "out/cash_forecast.csv"),
        "week_start,expected_collections,p10,p90,week,week_end"
    );
    assert_eq!(header(&wd, "out/rejects.csv"), "table,row,reason,raw");

    // Golden copies, reviewed by eye once (tests/golden/README.md).
    // Regenerate deliberately with EARLYWARN_UPDATE_GOLDEN=1 cargo test.
    let golden = Path::new("tests/golden/sample-run");
    if std::env::var_os("EARLYWARN_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden).unwrap();
        for (name, bytes) in &got {
            std::fs::write(golden.join(name), bytes).unwrap();
        }
    }
    for (name, bytes) in &got {
        let want =
            std::fs::read(golden.join(name)).unwrap_or_else(|e| panic!("golden {name}: {e}"));
        assert!(
            &want == bytes,
            "out/{name} differs from tests/golden/sample-run/{name}"
        );
    }
}

#[test]
fn the_same_run_on_one_thread_and_on_many_gives_the_same_bytes() {
    let wd = sample_wd();
    wd.run(&["run", "--out", "many"]).expect_code(0);
    wd.run_env(
        &["run", "--out", "one"],
        &[("POLARS_MAX_THREADS", "1"), ("RAYON_NUM_THREADS", "1")],
    )
    .expect_code(0);
    assert_eq!(outputs(&wd.path("many")), outputs(&wd.path("one")));
}

#[test]
fn a_failed_run_leaves_the_previous_outputs_untouched() {
    let wd = sample_wd();
    wd.run(&["run", "--as-of", "2026-09-30"]).expect_code(0);
    let before = outputs(&wd.path("out"));
    // Fails after scores, escalations and limits are staged.
    wd.run_env(&["run"], &[("EARLYWARN_FAIL_BEFORE", "kpis.json")])
        .expect_code(1)
        .expect_stderr_contains("injected failure before writing kpis.json");
    assert_eq!(outputs(&wd.path("out")), before);
    // A broken model: exit 2, nothing changed.
    wd.write("broken.json", "{\"format\": ");
    wd.run(&["run", "--model", "broken.json"])
        .expect_code(2)
        .expect_stderr_contains("broken.json");
    assert_eq!(outputs(&wd.path("out")), before);
    // No staging folder left behind.
    let leftovers: Vec<String> = std::fs::read_dir(wd.root())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_killed_run_leaves_the_old_outputs_or_the_new_never_a_mix() {
    let wd = sample_wd();
    // The two states out/ may be in: the old run, or a complete new run
    // over it (whose score deltas are against the old one).
    wd.run(&["run", "--as-of", "2026-09-30", "--out", "ref"])
        .expect_code(0);
    let old = outputs(&wd.path("ref"));
    wd.run(&["run", "--out", "ref"]).expect_code(0);
    let new = outputs(&wd.path("ref"));
    assert_ne!(old, new);
    for delay_ms in [100, 600, 1200, 1800, 2400, 5000] {
        let _ = std::fs::remove_dir_all(wd.path("out"));
        wd.run(&["run", "--as-of", "2026-09-30"]).expect_code(0);
        assert_eq!(outputs(&wd.path("out")), old);
        let mut child = Command::new(env!("CARGO_BIN_EXE_earlywarn"))
            .arg("run")
            .current_dir(wd.root())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no destructor runs
        child.wait().unwrap();
        let now = outputs(&wd.path("out"));
        assert!(
            now == old || now == new,
            "killed after {delay_ms} ms: out/ is neither the old run nor the new"
        );
    }
    // A run left to finish over the old one gives exactly `new`: whichever
    // way a killed run ended, the check above told the two states apart.
    let _ = std::fs::remove_dir_all(wd.path("out"));
    wd.run(&["run", "--as-of", "2026-09-30"]).expect_code(0);
    wd.run(&["run"]).expect_code(0);
    assert_eq!(outputs(&wd.path("out")), new);
}

#[test]
fn scores_carry_the_change_since_the_previous_run() {
    let wd = sample_wd();
    wd.run(&["run", "--as-of", "2026-09-30"]).expect_code(0);
    wd.run(&["run"]).expect_code(0);
    let scores = csv(&wd.path("out/scores.csv"));
    let n = |c: &str| {
        scores
            .column(c)
            .unwrap()
            .cast(&DataType::Float64)
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
    };
    let s = |c: &str| {
        scores
            .column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect::<Vec<_>>()
    };
    let (score, prev, change) = (n("score"), n("previous_score"), n("score_change"));
    let (band, prev_band, moved) = (s("risk_band"), s("previous_band"), s("band_change"));
    let mut compared = 0;
    let mut changed = 0;
    for i in 0..scores.height() {
        let Some(p) = prev[i] else {
            assert!(change[i].is_none() && moved[i].is_none());
            continue;
        };
        compared += 1;
        assert_eq!(change[i], Some(score[i].unwrap() - p), "row {i}");
        let (b, pb) = (band[i].clone().unwrap(), prev_band[i].clone().unwrap());
        let want = if b > pb {
            "worse"
        } else if b < pb {
            "better"
        } else {
            "same"
        };
        assert_eq!(moved[i].as_deref(), Some(want), "row {i}");
        changed += usize::from(change[i] != Some(0.0));
    }
    assert!(
        compared > 250 && changed > 50,
        "{compared} compared, {changed} changed"
    );
}

#[test]
fn rows_dated_after_the_as_of_day_change_no_output() {
    // The sample as it stood on D, written out, against the whole sample
    // run as of D: every data file identical (run.json differs only in the
    // input files it names and hashes).
    let wd = sample_wd();
    let d = dates::parse_iso("2026-06-30").unwrap();
    let (full, _) = read_book(Path::new("data-samples"), &Config::default()).unwrap();
    let past = known_on(&full, d).unwrap();
    // Invoices keep their ids (each seeds its forecast draws).
    let ids = invoice_ids_by_seed(Path::new("data-samples"));
    write_book(tables_with_invoice_ids(&past, &ids), &wd.path("past"));
    wd.run(&["run", "--as-of", "2026-06-30", "--out", "full"])
        .expect_code(0);
    wd.run(&[
        "run",
        "--as-of",
        "2026-06-30",
        "--input",
        "past",
        "--out",
        "cut",
    ])
    .expect_code(0);
    let (a, b) = (outputs(&wd.path("full")), outputs(&wd.path("cut")));
    for name in FILES {
        if name != "run.json" {
            assert!(a[name] == b[name], "{name} differs");
        }
    }
}

#[test]
fn the_forecast_stays_within_the_open_balance_and_its_range() {
    let wd = sample_wd();
    wd.run(&["run"]).expect_code(0);
    let f = csv(&wd.path("out/cash_forecast.csv"));
    assert_eq!(f.height(), 13);
    let kpis: serde_json::Value = serde_json::from_str(&wd.read("out/kpis.json")).unwrap();
    let open = kpis["totals"]["open_balance"].as_f64().unwrap();
    let col = |c: &str| -> Vec<f64> {
        f.column(c)
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .map(Option::unwrap)
            .collect()
    };
    let (e, p10, p90) = (col("expected_collections"), col("p10"), col("p90"));
    for w in 0..13 {
        assert!(p10[w] <= e[w] && e[w] <= p90[w], "week {}", w + 1);
        assert!(p90[w] <= open, "week {}", w + 1);
    }
    let total: f64 = e.iter().sum();
    assert!(total <= open && total > 0.5 * open, "{total} of {open}");
    let starts = f.column("week_start").unwrap().str().unwrap().clone();
    let first = dates::to_days(dates::parse_iso("2026-11-01").unwrap());
    for (k, s) in starts.iter().enumerate() {
        let want = dates::from_days(first + 7 * k as i32).to_string();
        assert_eq!(s, Some(want.as_str()));
    }
}

#[test]
fn the_queue_is_ranked_by_money_at_risk_and_matches_the_scores() {
    let wd = sample_wd();
    wd.run(&["run"]).expect_code(0);
    let q = csv(&wd.path("out/escalations.csv"));
    assert!(q.height() > 20);
    let priority = q.column("priority").unwrap().f64().unwrap().clone();
    let ids: Vec<String> = q
        .column("customer_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    for i in 1..q.height() {
        let (a, b) = (priority.get(i - 1).unwrap(), priority.get(i).unwrap());
        assert!(a > b || (a == b && ids[i - 1] < ids[i]), "rows {i}");
    }
    // Each row's pd x overdue balance is its priority, to the cent.
    let pd = q.column("pd").unwrap().f64().unwrap().clone();
    let overdue = q.column("overdue_balance").unwrap().f64().unwrap().clone();
    for i in 0..q.height() {
        let want = (pd.get(i).unwrap() * overdue.get(i).unwrap() * 100.0).round() / 100.0;
        assert!((priority.get(i).unwrap() - want).abs() < 0.011, "row {i}");
    }
    // The actions are the contract's.
    let actions = q.column("action").unwrap().str().unwrap().clone();
    for a in actions.iter() {
        assert!(earlywarn::actions::escalation::ACTIONS.contains(&a.unwrap()));
    }
}

#[test]
fn names_that_look_like_formulas_reach_spreadsheets_as_text() {
    let wd = Workdir::new();
    let src = std::fs::canonicalize("data-samples").unwrap();
    std::fs::create_dir_all(wd.path("book")).unwrap();
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        std::fs::copy(e.path(), wd.path("book").join(e.file_name())).unwrap();
    }
    let customers = wd.read("book/customers.csv");
    let first = customers.lines().nth(1).unwrap();
    let name = first.split(',').nth(1).unwrap();
    wd.write(
        "book/customers.csv",
        &customers.replacen(&format!(",{name},"), ",=1+2,", 1),
    );
    let model = std::fs::canonicalize("models/default.json").unwrap();
    wd.run(&["run", "--input", "book", "--model", model.to_str().unwrap()])
        .expect_code(0);
    assert!(wd.read("out/scores.csv").contains(",'=1+2,"));
    let limits_unchanged = wd.read("out/credit_limits.csv");
    assert!(!limits_unchanged.contains("'C0"), "ids are never prefixed");
    let parquet = LazyFrame::scan_parquet(
        PlRefPath::new(wd.path("out/scores.parquet").to_str().unwrap()),
        Default::default(),
    )
    .unwrap()
    .collect()
    .unwrap();
    let names = parquet.column("name").unwrap().str().unwrap().clone();
    assert!(names.iter().any(|n| n == Some("=1+2")));
}

#[test]
fn progress_shows_only_on_a_terminal_and_never_changes_the_files() {
    let wd = sample_wd();
    // Not a terminal (the test pipes stderr): nothing on stderr at all.
    let run = wd.run_env(&["run", "--out", "piped"], &[("RUST_LOG", "")]);
    run.expect_code(0);
    assert_eq!(run.stderr(), "", "progress or logs leaked to a pipe");
    // A terminal, through script(1)'s pseudo-terminal: the spinner shows.
    let bin = env!("CARGO_BIN_EXE_earlywarn");
    let tty = Command::new("script")
        .args(["-qec", &format!("{bin} run --out tty"), "/dev/null"])
        .current_dir(wd.root())
        .env("RUST_LOG", "")
        .output()
        .unwrap();
    assert!(tty.status.success(), "{tty:?}");
    let screen = String::from_utf8_lossy(&tty.stdout);
    assert!(
        screen.contains("..."),
        "no progress on a terminal: {screen}"
    );
    // --quiet on a terminal: no spinner.
    let quiet = Command::new("script")
        .args([
            "-qec",
            &format!("{bin} run --quiet --out quiet"),
            "/dev/null",
        ])
        .current_dir(wd.root())
        .env("RUST_LOG", "")
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&quiet.stdout);
    assert!(
        !screen.contains("..."),
        "progress despite --quiet: {screen}"
    );
    // The files are the same whichever way the run was watched.
    let piped = outputs(&wd.path("piped"));
    assert_eq!(outputs(&wd.path("tty")), piped);
    assert_eq!(outputs(&wd.path("quiet")), piped);
}

#[test]
fn the_config_command_prints_a_config_that_run_accepts() {
    let wd = sample_wd();
    let printed = wd.run(&["config"]);
    printed
        .expect_code(0)
        .expect_stdout_contains("[escalation.service_days]");
    wd.write("earlywarn.toml", &printed.stdout());
    wd.run(&["run", "--config", "earlywarn.toml", "--out", "with"])
        .expect_code(0);
    wd.run(&["run", "--out", "without"]).expect_code(0);
    let (with, without) = (outputs(&wd.path("with")), outputs(&wd.path("without")));
    for name in FILES {
        if name != "run.json" {
            assert!(with[name] == without[name], "{name} differs");
        }
    }
    // Every subcommand's help carries a worked example.
    for sub in ["run", "train", "validate", "generate", "features", "config"] {
        wd.run(&[sub, "--help"])
            .expect_code(0)
            .expect_stdout_contains("Example: earlywarn");
    }
    wd.run(&["model", "show", "--help"])
        .expect_code(0)
        .expect_stdout_contains("Example: earlywarn model show");
}

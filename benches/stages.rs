//! Criterion benchmarks per pipeline stage, on generated books sized to
//! finish in minutes. Run: `cargo bench --bench stages`. Whole-book scale
//! figures (100k customers and more) come from `scripts/bench-scale.sh`.

use criterion::{criterion_group, criterion_main, Criterion};
use earlywarn::actions::{self, escalation, limits, FactWindows};
use earlywarn::config::Config;
use earlywarn::features::{self, LabelParams};
use earlywarn::generate::{generate, GenParams};
use earlywarn::ingest::read_book;
use earlywarn::model::train::{train, TrainInput, TrainingRows};
use earlywarn::nightly::nightly;
use earlywarn::output::folder::RunFolder;
use earlywarn::output::{write_run_files, write_table, TableFormat};

const CUSTOMERS: usize = 5_000;
const MONTHS: usize = 36;

fn params() -> GenParams {
    GenParams {
        customers: CUSTOMERS,
        months: MONTHS,
        seed: 1,
        ..Default::default()
    }
}

fn bench_generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    group.sample_size(10);
    group.bench_function("simulate 5k customers x 36 months", |b| {
        b.iter(|| generate(&params()).unwrap())
    });
    group.finish();
}

fn bench_ingest(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for format in [TableFormat::Parquet, TableFormat::Csv] {
        let path = dir.path().join(format.extension());
        for (table, mut df) in generate(&params()).unwrap().tables {
            write_table(&mut df, &path, table, format).unwrap();
        }
        let mut group = c.benchmark_group("ingest");
        group.sample_size(10);
        group.bench_function(
            format!("read and validate 5k x 36 ({})", format.extension()),
            |b| b.iter(|| read_book(&path, &Config::default()).unwrap()),
        );
        group.finish();
    }
}

fn bench_features(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for (table, mut df) in generate(&params()).unwrap().tables {
        write_table(&mut df, dir.path(), table, TableFormat::Parquet).unwrap();
    }
    let (book, report) = read_book(dir.path(), &Config::default()).unwrap();
    let last = report.last_day().unwrap();
    let mut group = c.benchmark_group("features");
    group.sample_size(10);
    group.bench_function("as of one day, 5k x 36", |b| {
        b.iter(|| features::as_of(&book, last, 60).unwrap())
    });
    group.bench_function("all monthly snapshots, 5k x 36", |b| {
        b.iter(|| features::snapshots(&book, last, LabelParams::default(), 1).unwrap())
    });
    group.finish();
}

fn bench_model_and_run(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for (table, mut df) in generate(&params()).unwrap().tables {
        write_table(&mut df, dir.path(), table, TableFormat::Parquet).unwrap();
    }
    let (book, report) = read_book(dir.path(), &Config::default()).unwrap();
    let last = report.last_day().unwrap();
    let snapshots = features::snapshots(&book, last, LabelParams::default(), 1).unwrap();
    let config = Config::default();
    let input = || TrainInput {
        rows: TrainingRows::from_snapshots(snapshots.clone()).unwrap(),
        as_of: last,
        bad_event: LabelParams::default(),
        data_fingerprint: String::new(),
        customer_sample: None,
    };
    let card = train(input(), &config.train).unwrap();
    let today = features::as_of(&book, last, 60).unwrap();
    let mut group = c.benchmark_group("model");
    group.sample_size(10);
    group.bench_function("bin, select, fit and validate on 5k x 36 snapshots", |b| {
        b.iter(|| train(input(), &config.train).unwrap())
    });
    group.bench_function("score 5k customers", |b| {
        b.iter(|| earlywarn::model::score::score(&card, &today).unwrap())
    });
    group.finish();

    // The actions stage alone: each account's facts, the collection queue
    // and the limit decisions, from the day's features, scores and state.
    let scored = earlywarn::model::score::score(&card, &today).unwrap();
    let d = earlywarn::dates::to_days(last);
    let state = features::invoice_state(&book, d).unwrap();
    let windows = FactWindows {
        pre_due_days: config.escalation.pre_due_days,
        plan_hold_days: config.escalation.plan_hold_days,
    };
    let mut group = c.benchmark_group("actions");
    group.sample_size(10);
    group.bench_function(
        "accounts, escalation queue and limit decisions, 5k customers",
        |b| {
            b.iter(|| {
                let accounts =
                    actions::accounts(&book, d, &state, &today, &scored, windows).unwrap();
                let queue = escalation::queue(&accounts, &config.escalation);
                let decisions: Vec<_> = accounts
                    .iter()
                    .map(|a| limits::decide(a, &config.limits))
                    .collect();
                (queue.len(), decisions.len())
            })
        },
    );
    group.finish();

    // Writing alone: every file of a run (tables, KPIs, rejects, report
    // page) into a staging folder, then moved into place.
    let run_nightly = || {
        nightly(
            book.clone(),
            last,
            &card,
            &config,
            None,
            &earlywarn::progress::Progress::hidden(),
        )
        .unwrap()
    };
    let result = run_nightly();
    let out = dir.path().join("out");
    let mut group = c.benchmark_group("writing");
    group.sample_size(10);
    group.bench_function("every output file of a 5k-customer run", |b| {
        b.iter(|| {
            let mut folder = RunFolder::create(&out).unwrap();
            write_run_files(&mut folder, &result, &report.rejects).unwrap();
            let page = earlywarn::report::render(&result, &card).unwrap();
            folder.write_text("report.html", &page).unwrap();
            folder.commit().unwrap();
        })
    });
    group.finish();

    let mut group = c.benchmark_group("run");
    group.sample_size(10);
    group.bench_function(
        "features, scores, actions, forecast, KPIs on 5k x 36",
        |b| b.iter(run_nightly),
    );
    group.finish();
}

criterion_group!(
    benches,
    bench_generate,
    bench_ingest,
    bench_features,
    bench_model_and_run
);
criterion_main!(benches);

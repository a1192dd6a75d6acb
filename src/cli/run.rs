//! `earlywarn run`: the nightly job.

use std::path::PathBuf;
use std::time::Instant;

use earlywarn::config::Config;
use earlywarn::ingest::InputFile;
use earlywarn::model::{artifact, Scorecard};
use earlywarn::nightly::{self, Summary};
use earlywarn::output;
use earlywarn::output::folder::{RunFolder, WrittenFile};
use earlywarn::progress::Progress;
use earlywarn::{dates, features};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The nightly job: score every account and write every output.
///
/// Validates the book, computes every customer's warning
/// signs as of a day, scores them with the model, and writes the scores, the
/// collection queue, credit-limit recommendations, the 13-week cash
/// forecast, KPIs, rejects and a manifest into the output folder, which is
/// replaced as a whole only when everything succeeded.
///
/// Example: earlywarn run --input data-samples --out out --as-of 2026-10-31
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Input folder, one file or Parquet folder per table.
    #[arg(long, default_value = "data-samples")]
    pub input: PathBuf,
    /// Output folder; replaced as a whole only when the run succeeds.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Score as of this day (YYYY-MM-DD); default: the last day found in the data.
    #[arg(long, value_parser = dates::parse_iso)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Model artifact.
    #[arg(long, default_value = "models/default.json")]
    pub model: PathBuf,
    /// TOML config (see docs/config.md).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Serialize)]
struct Manifest<'a> {
    run_id: String,
    as_of: chrono::NaiveDate,
    earlywarn_version: &'static str,
    input: InputManifest,
    model: ModelManifest<'a>,
    config: &'a Config,
    summary: &'a Summary,
    outputs: &'a [WrittenFile],
    /// Wall time per stage: the only part of the folder that changes
    /// between two runs of the same input, model and config.
    timings_ms: Vec<Timing>,
}

#[derive(Serialize)]
struct InputManifest {
    folder: String,
    files: Vec<InputFile>,
    tables: Vec<TableCounts>,
    rejected_rows: usize,
}

#[derive(Serialize)]
struct TableCounts {
    table: &'static str,
    read: usize,
    accepted: usize,
    rejected: usize,
}

#[derive(Serialize)]
struct ModelManifest<'a> {
    path: String,
    version: String,
    content_hash: &'a str,
    bad_event: features::LabelParams,
}

#[derive(Serialize)]
struct Timing {
    stage: &'static str,
    ms: u64,
}

pub fn run(args: Args, progress: &Progress) -> anyhow::Result<()> {
    let started = Instant::now();
    progress.stage("reading");
    let config = Config::load_or_default(args.config.as_deref())?;
    let card = artifact::load(&args.model)?;
    // Tables one after another: side by side, reading would hold orders'
    // text ids beside invoices and payments, over run's memory target.
    let super::Input {
        book,
        report,
        as_of,
    } = super::read_input(
        &args.input,
        &config,
        args.as_of,
        earlywarn::ingest::Reading::OneAfterAnother,
    )?;
    let read_ms = started.elapsed().as_millis() as u64;
    let previous = output::previous_scores(&args.out);
    let result = nightly::nightly(book, as_of, &card, &config, previous.as_ref(), progress)?;

    let write_started = Instant::now();
    let mut folder = RunFolder::create(&args.out)?;
    // The input files are hashed for the manifest (~0.1 s of SHA-256 at
    // 100k customers) and the report page rendered on threads of their
    // own while the output files are written, side by side.
    let files = std::thread::scope(|scope| -> anyhow::Result<_> {
        let hashing = scope.spawn(|| {
            let started = Instant::now();
            let files = report.input_files(&args.input);
            tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "input files hashed"
            );
            files
        });
        let rendering = scope.spawn(|| {
            let started = Instant::now();
            let page = earlywarn::report::render(&result, &card);
            tracing::debug!(ms = started.elapsed().as_millis() as u64, "report rendered");
            page
        });
        output::write_run_files(&mut folder, &result, &report.rejects)?;
        let page = rendering
            .join()
            .expect("the rendering thread does not panic")?;
        folder.write_text("report.html", &page)?;
        Ok(hashing.join().expect("the hashing thread does not panic")?)
    })?;
    let mut timings = vec![Timing {
        stage: "read",
        ms: read_ms,
    }];
    timings.extend(
        result
            .timings_ms
            .iter()
            .map(|(stage, ms)| Timing { stage, ms: *ms }),
    );
    timings.push(Timing {
        stage: "write",
        ms: write_started.elapsed().as_millis() as u64,
    });
    timings.push(Timing {
        stage: "total",
        ms: started.elapsed().as_millis() as u64,
    });
    let manifest = Manifest {
        run_id: run_id(as_of, &files, &card, &config),
        as_of,
        earlywarn_version: env!("CARGO_PKG_VERSION"),
        input: InputManifest {
            folder: args.input.display().to_string(),
            files,
            tables: report
                .tables
                .iter()
                .map(|t| TableCounts {
                    table: t.table,
                    read: t.read,
                    accepted: t.accepted,
                    rejected: t.rejected,
                })
                .collect(),
            rejected_rows: report.rejects.len(),
        },
        model: ModelManifest {
            path: args.model.display().to_string(),
            version: card.version(),
            content_hash: &card.content_hash,
            bad_event: card.bad_event,
        },
        config: &config,
        summary: &result.summary,
        outputs: folder.written(),
        timings_ms: timings,
    };
    let mut text = serde_json::to_string_pretty(&manifest)?;
    text.push('\n');
    folder.write_text("run.json", &text)?;
    folder.commit()?;
    progress.finish();
    println!("{}", closing_line(&result.summary, as_of, started));
    Ok(())
}

/// A stable id: the same day, input files, model and config give the same id.
fn run_id(
    as_of: chrono::NaiveDate,
    files: &[InputFile],
    card: &Scorecard,
    config: &Config,
) -> String {
    let mut h = Sha256::new();
    h.update(as_of.to_string());
    for f in files {
        h.update(format!("{} {} {}\n", f.table, f.path, f.sha256));
    }
    h.update(&card.content_hash);
    h.update(serde_json::to_string(config).unwrap_or_default());
    format!("{:x}", h.finalize())[..16].to_string()
}

fn closing_line(s: &Summary, as_of: chrono::NaiveDate, started: Instant) -> String {
    let actions: Vec<String> = s
        .escalations
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(a, n)| format!("{a} {n}"))
        .collect();
    let limits: Vec<String> = s
        .limit_decisions
        .iter()
        .map(|(d, n)| format!("{d} {n}"))
        .collect();
    format!(
        "as of {as_of}: {} accounts scored ({} in default); escalations: {}; limits: {}; 13-week collections expected {}; {:.1} s",
        s.accounts_scored,
        s.in_default,
        if actions.is_empty() { "none".to_string() } else { actions.join(", ") },
        limits.join(", "),
        earlywarn::model::reasons::money(s.forecast_13_weeks),
        started.elapsed().as_secs_f64()
    )
}

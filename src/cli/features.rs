//! `earlywarn features`: the point-in-time feature table, or the labelled
//! training snapshots, as a file an analyst can open.

use std::path::PathBuf;

use earlywarn::config::Config;
use earlywarn::dates;
use earlywarn::features::{self, LabelParams};
use earlywarn::output::{self, TableFormat};

/// Write the point-in-time feature table (or training snapshots).
///
/// Writes the warning-sign features of every active customer as of a day
/// (docs/features.md defines each column), or with --snapshots the labelled
/// month-end training snapshots up to that day.
///
/// Example: earlywarn features --input data-samples --as-of 2026-06-30 --out features.csv
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[arg(long, default_value = "data-samples")]
    pub input: PathBuf,
    /// File to write (.csv or .parquet).
    #[arg(long)]
    pub out: PathBuf,
    /// Day to compute as of (YYYY-MM-DD); default: the last day in the data.
    #[arg(long, value_parser = dates::parse_iso)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Write training snapshots (every month end up to --as-of, with `bad`).
    #[arg(long)]
    pub snapshots: bool,
    #[arg(long, default_value_t = 60)]
    pub bad_dpd: i64,
    #[arg(long, default_value_t = 90)]
    pub horizon_days: i64,
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = Config::load_or_default(args.config.as_deref())?;
    let super::Input { book, as_of, .. } = super::read_input(
        &args.input,
        &config,
        args.as_of,
        earlywarn::ingest::Reading::OneAfterAnother,
    )?;
    let params = LabelParams {
        bad_dpd: args.bad_dpd,
        horizon_days: args.horizon_days,
    };
    let started = std::time::Instant::now();
    let mut df = if args.snapshots {
        features::into_snapshots(book, as_of, params, 1)?
    } else {
        features::as_of(&book, as_of, params.bad_dpd)?
    };
    tracing::info!(
        rows = df.height(),
        ms = started.elapsed().as_millis() as u64,
        snapshots = args.snapshots,
        "features computed"
    );
    let format = match args.out.extension().and_then(|e| e.to_str()) {
        Some("parquet") => TableFormat::Parquet,
        _ => TableFormat::Csv,
    };
    match format {
        TableFormat::Csv => output::write_csv(&mut df, &args.out)?,
        TableFormat::Parquet => output::write_parquet(&mut df, &args.out)?,
    }
    println!(
        "{} rows as of {as_of} written to {}",
        df.height(),
        args.out.display()
    );
    Ok(())
}

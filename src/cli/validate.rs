//! `earlywarn validate`: check an input folder against the data contract.

use std::path::PathBuf;

use earlywarn::config::Config;
use earlywarn::ingest::{self, IngestReport};
use earlywarn::output;

/// Check an input folder against the data contract.
///
/// Prints a summary per table. Writes nothing but the optional --rejects file.
///
/// Exit codes: 0 valid (rejected rows within the limit), 2 unusable input,
/// 3 too many rejected rows.
///
/// Example: earlywarn validate --input data-samples --rejects /tmp/rejects.csv
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Input folder, one file or Parquet folder per table.
    #[arg(long)]
    pub input: PathBuf,
    /// Write the rejected rows here (CSV: table, row, reason, raw).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// TOML config: column mapping, date format, delimiter, reject limit.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = Config::load_or_default(args.config.as_deref())?;
    let (_book, report) = ingest::read_book(&args.input, &config)?;
    print!("{}", summary(&report));
    if let Some(path) = &args.rejects {
        output::write_rejects(&report.rejects, path)?;
        println!("rejects written to {}", path.display());
    }
    report.check_reject_share(config.input.max_reject_share)?;
    Ok(())
}

/// One line per table, then its top reject reasons.
pub fn summary(report: &IngestReport) -> String {
    let mut out = format!(
        "{:<16} {:>10} {:>10} {:>9}  {}\n",
        "table", "read", "accepted", "rejected", "dates"
    );
    for t in &report.tables {
        if t.source.is_none() {
            out.push_str(&format!("{:<16} {:>10}\n", t.table, "absent"));
            continue;
        }
        let dates = match (t.first_date, t.last_date) {
            (Some(a), Some(b)) => format!("{a} .. {b}"),
            _ => "-".into(),
        };
        out.push_str(&format!(
            "{:<16} {:>10} {:>10} {:>9}  {dates}\n",
            t.table, t.read, t.accepted, t.rejected
        ));
        for reason in t.top_reasons(3) {
            out.push_str(&format!("{:<16}   rejected: {reason}\n", ""));
        }
    }
    out
}

//! `earlywarn run`: the nightly job.

use std::path::PathBuf;

use anyhow::bail;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input folder, one file or Parquet folder per table.
    #[arg(long, default_value = "data-samples")]
    pub input: PathBuf,
    /// Output folder; replaced as a whole only when the run succeeds.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Score as of this day (YYYY-MM-DD); default: the last day found in the data.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Model artifact.
    #[arg(long, default_value = "models/default.json")]
    pub model: PathBuf,
    /// TOML config (see docs/config.md).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn run(_args: Args) -> anyhow::Result<()> {
    bail!("`run` is not built yet: scoring lands with the model and nightly-run issues (#4, #5); use `earlywarn validate` meanwhile")
}

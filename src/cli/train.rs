//! `earlywarn train`: fit the scorecard from point-in-time snapshots.

use std::path::PathBuf;

use anyhow::bail;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input folder with the history to learn from.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the model artifact (JSON).
    #[arg(long)]
    pub model_out: PathBuf,
    /// Train on the history known on this day (YYYY-MM-DD); default: the last day in the data.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Days past due that make an account "bad".
    #[arg(long, default_value_t = 60)]
    pub bad_dpd: u32,
    /// Days after a snapshot in which the bad event is looked for.
    #[arg(long, default_value_t = 90)]
    pub horizon_days: u32,
    /// TOML config (see docs/config.md).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn run(_args: Args) -> anyhow::Result<()> {
    bail!("`train` is not built yet: it lands with the features and model issues (#3, #4)")
}

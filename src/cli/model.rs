//! `earlywarn model show`: the scorecard table of a model artifact.

use std::path::PathBuf;

use earlywarn::model::artifact;
use earlywarn::output;
use polars::prelude::*;

/// Read a model artifact.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ModelCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ModelCommand {
    /// Print the scorecard as CSV: one row per feature and bin, with its
    /// range, goods, bads, WoE and points (checks the artifact's hash first).
    ///
    /// Example: earlywarn model show --model models/default.json > scorecard.csv
    #[command(verbatim_doc_comment)]
    Show {
        #[arg(long, default_value = "models/default.json")]
        model: PathBuf,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        ModelCommand::Show { model, out } => {
            let card = artifact::load(&model)?;
            let mut table = card.table()?;
            match out {
                Some(path) => output::write_csv(&mut table, &path)?,
                None => CsvWriter::new(std::io::stdout().lock())
                    .include_header(true)
                    .finish(&mut table)?,
            }
            Ok(())
        }
    }
}

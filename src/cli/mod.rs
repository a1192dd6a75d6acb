//! Command-line interface: one module per subcommand, each an `Args` struct
//! and a `run` function. Contract: `../docs/data-contract.md`.

mod features;
mod generate;
mod model;
mod run;
mod train;
mod validate;

use std::path::Path;

use anyhow::Context;
use clap::{Parser, Subcommand};
use earlywarn::config::Config;
use earlywarn::ingest::{self, Book, IngestReport};

/// Nightly B2B credit-risk early warning: validate a receivables book, score
/// every account, and write the collections queue, credit-limit changes and a
/// 13-week cash forecast.
#[derive(Debug, Parser)]
#[command(name = "earlywarn", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No progress display (it shows only on a terminal anyway).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    // Each subcommand's help (summary, details, example) is the doc comment
    // of its `Args` struct.
    Run(run::Args),
    Train(train::Args),
    Validate(validate::Args),
    Generate(generate::Args),
    Features(features::Args),
    /// Read a model artifact: `model show` prints its scorecard table.
    Model(model::Args),
    /// Print the default configuration, every key with a comment (TOML).
    ///
    /// Example: earlywarn config > earlywarn.toml
    #[command(verbatim_doc_comment)]
    Config,
}

pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let progress = earlywarn::progress::Progress::new(cli.quiet);
    match cli.command {
        Command::Run(args) => run::run(args, &progress),
        Command::Train(args) => train::run(args, &progress),
        Command::Validate(args) => validate::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Features(args) => features::run(args),
        Command::Model(args) => model::run(args),
        Command::Config => {
            print!("{}", earlywarn::config::DEFAULT_TOML);
            Ok(())
        }
    }
}

/// What `run`, `train` and `features` start from: the book read and checked
/// (exit 3 over the reject limit), and the day to work as of (the given
/// one, or the last day in the data).
pub struct Input {
    pub book: Book,
    pub report: IngestReport,
    pub as_of: chrono::NaiveDate,
}

/// Reads `input` with `config`, its tables as `reading` says (see
/// [`Input`]).
pub fn read_input(
    input: &Path,
    config: &Config,
    as_of: Option<chrono::NaiveDate>,
    reading: ingest::Reading,
) -> anyhow::Result<Input> {
    let (book, report) = ingest::read_book_with(input, config, reading)?;
    report.check_reject_share(config.input.max_reject_share)?;
    let as_of = match as_of {
        Some(d) => d,
        None => report.last_day().context("the input has no dated rows")?,
    };
    Ok(Input {
        book,
        report,
        as_of,
    })
}

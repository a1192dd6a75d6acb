//! Command-line interface: one module per subcommand, each an `Args` struct
//! and a `run` function. Contract: `../docs/data-contract.md`.

mod features;
mod generate;
mod model;
mod run;
mod train;
mod validate;

use clap::{Parser, Subcommand};

/// Nightly B2B credit-risk early warning: validate a receivables book, score
/// every account, and write the collections queue, credit-limit changes and a
/// 13-week cash forecast.
#[derive(Debug, Parser)]
#[command(name = "earlywarn", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The nightly job: validate, compute features as of a day, score, write every output.
    Run(run::Args),
    /// Build point-in-time snapshots, fit the scorecard, validate it, write the model.
    Train(train::Args),
    /// Check an input folder against the data contract; write nothing but --rejects.
    Validate(validate::Args),
    /// Write a synthetic book in the input shape, reproducible from its seed.
    Generate(generate::Args),
    /// Write the point-in-time feature table (or training snapshots) to a file.
    Features(features::Args),
    /// Read a model artifact: `model show` prints its scorecard table.
    Model(model::Args),
}

pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Train(args) => train::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Features(args) => features::run(args),
        Command::Model(args) => model::run(args),
    }
}

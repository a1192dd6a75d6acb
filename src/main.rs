//! The `earlywarn` binary: parse, dispatch, print the error chain, exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("earlywarn: error: {err:#}");
            ExitCode::from(earlywarn::error::exit_code(&err))
        }
    }
}

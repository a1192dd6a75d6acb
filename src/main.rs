//! The `earlywarn` binary: parse, dispatch, print the error chain, exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// Polars allocates and frees large buffers at a high rate; mimalloc keeps
/// them instead of returning pages to the kernel (measured in
/// docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Logs go to stderr, off unless RUST_LOG asks (e.g. RUST_LOG=earlywarn=debug).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = cli::Cli::parse();
    match cli::dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("earlywarn: error: {err:#}");
            ExitCode::from(earlywarn::error::exit_code(&err))
        }
    }
}

//! The `earlywarn` binary: parse, dispatch, print the error chain, exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// Polars allocates and frees large buffers at a high rate; mimalloc keeps
/// them instead of returning pages to the kernel (measured in
/// docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`: its place in `mi_option_e` in both the v2 and
/// v3 `mimalloc.h` of libmimalloc-sys 0.1.49 (the bindings name no constant
/// for it; Cargo.toml pins that version so the value cannot drift).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory goes back to the kernel after 100 ms, not mimalloc's
/// default 1 s: peak RSS at 100k customers 2.3 -> 2.0-2.1 GB for `run`
/// and 2.7-2.8 -> 2.44 GB for `train`, for 2-5% more time (the kernel
/// clears more fresh pages); docs/performance.md. An explicit
/// MIMALLOC_PURGE_DELAY in the environment wins.
fn set_allocator_options() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one option value; mimalloc reads it at each purge.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 100) };
    }
}

fn main() -> ExitCode {
    set_allocator_options();
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

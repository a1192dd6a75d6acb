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

/// Allocator settings, measured at 100k customers (docs/performance.md,
/// session 12). Each fresh page costs the kernel a clearing, and on this
/// project's machines that is most of the system time. So, first, no
/// transparent huge pages: mimalloc asks for them on its 1 GiB arenas, and
/// a 2 MiB page cleared for a few bytes used costs more than it saves (a
/// `run` started after idling: peak RSS lower, system time 3.0-5.9 ->
/// 1.5-2.0 s). This is the process-wide
/// switch mimalloc itself flips for MIMALLOC_ALLOW_THP=0; the kernel checks
/// it at each fault, so it covers memory mapped before `main` too. An
/// explicit MIMALLOC_ALLOW_THP in the environment wins.
fn set_allocator_options() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: sets one flag of this process; no memory is touched.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

/// Second, freed memory is kept a while before it goes back to the kernel,
/// as long as the command's peak stays under its memory target: 500 ms
/// for `run` (1.5 GB target), 1.5 s for `train` (2.5 GB target: at 100k,
/// with its tables read side by side, 1 s peaked at 2.01-2.22 GB, 1.5 s at
/// 2.14-2.20 GB with ~10% fewer page faults, 2 s once at 2.43 GB; the
/// faster the machine, the more is held within the delay), 100 ms for the
/// rest (mimalloc's default is 1 s). MIMALLOC_PURGE_DELAY in the
/// environment wins.
fn set_purge_delay(command: &cli::Command) {
    let purge_delay_ms = match command {
        cli::Command::Run(_) => 500,
        cli::Command::Train(_) => 1500,
        _ => 100,
    };
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one option value; mimalloc reads it at each purge.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, purge_delay_ms) };
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
    set_purge_delay(&args.command);
    match cli::dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("earlywarn: error: {err:#}");
            ExitCode::from(earlywarn::error::exit_code(&err))
        }
    }
}

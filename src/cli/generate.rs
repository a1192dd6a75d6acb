//! `earlywarn generate`: a synthetic book in the input shape.

use std::path::PathBuf;
use std::time::Instant;

use earlywarn::dates;
use earlywarn::generate::{generate, GenParams};
use earlywarn::output::{self, TableFormat};

/// Write a synthetic book in the input shape, reproducible from its seed.
///
/// Writes a synthetic receivables book (customers, invoices, payments, orders,
/// credit requests, events) in the contract's input shape. The same seed and
/// sizes give byte-identical files, whatever the thread count.
///
/// Example: earlywarn generate --out /tmp/book --customers 20000 --months 36 --seed 7 --format parquet
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Folder to write the tables into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of random customers.
    #[arg(long, default_value_t = 1000)]
    pub customers: usize,
    /// Months of history, ending with the month of --end.
    #[arg(long, default_value_t = 36)]
    pub months: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = TableFormat::Csv)]
    pub format: TableFormat,
    /// Last day of history (YYYY-MM-DD); nothing is dated after it.
    #[arg(long, default_value = "2026-10-31", value_parser = dates::parse_iso)]
    pub end: chrono::NaiveDate,
    /// Add five hand-written accounts that each tell one warning-sign story.
    #[arg(long)]
    pub stories: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let params = GenParams {
        customers: args.customers,
        months: args.months,
        seed: args.seed,
        end: args.end,
        stories: args.stories,
    };
    let generated = generate(&params)?;
    let simulated = started.elapsed();
    for (table, mut df) in generated.tables {
        output::write_table(&mut df, &args.out, table, args.format)?;
    }
    println!("{}", generated.summary);
    println!(
        "wrote {} in {:.1}s (simulate {:.1}s)",
        args.out.display(),
        started.elapsed().as_secs_f64(),
        simulated.as_secs_f64()
    );
    Ok(())
}

//! `earlywarn generate`: a synthetic book in the input shape.

use std::path::PathBuf;
use std::time::Instant;

use earlywarn::dates;
use earlywarn::generate::{generate_in_chunks, GenParams};
use earlywarn::output::{TableFormat, TableStream};

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
    /// Customers simulated and written at a time: memory holds one chunk
    /// (~1 GB at 20,000 customers x 36 months). The files do not depend on it.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub chunk_customers: u64,
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
    let mut streams: Vec<TableStream> = Vec::new();
    let summary = generate_in_chunks(&params, args.chunk_customers as usize, |tables| {
        if streams.is_empty() {
            for (table, df) in &tables {
                streams.push(TableStream::create(
                    &args.out,
                    table,
                    args.format,
                    df.schema(),
                )?);
            }
        }
        for (stream, (_, mut df)) in streams.iter_mut().zip(tables) {
            stream.write(&mut df)?;
        }
        Ok(())
    })?;
    for stream in streams {
        stream.finish()?;
    }
    println!("{summary}");
    println!(
        "wrote {} in {:.1}s",
        args.out.display(),
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

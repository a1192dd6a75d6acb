//! Compares two Parquet files by value (schema, row order, every value, nulls
//! equal), for the A/B checks of `docs/performance.md` when a change moves
//! bytes but should not move values (e.g. a different chunking gives other
//! row groups). Exits 1 and names the first differing column otherwise.
//!
//! `cargo run --release --example same_frames -- a.parquet b.parquet`

use polars::prelude::*;

fn read(path: &str) -> PolarsResult<DataFrame> {
    LazyFrame::scan_parquet(PlRefPath::new(path), ScanArgsParquet::default())?.collect()
}

fn main() -> PolarsResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [a, b] = args.as_slice() else {
        eprintln!("usage: same_frames A.parquet B.parquet");
        std::process::exit(2);
    };
    let (a, b) = (read(a)?, read(b)?);
    if a.schema() != b.schema() || a.height() != b.height() {
        println!(
            "differ: schema or height ({} vs {} rows)",
            a.height(),
            b.height()
        );
        std::process::exit(1);
    }
    for (x, y) in a.columns().iter().zip(b.columns()) {
        if !x
            .as_materialized_series()
            .equals_missing(y.as_materialized_series())
        {
            println!("differ: column {}", x.name());
            std::process::exit(1);
        }
    }
    println!("same: {} rows x {} columns", a.height(), a.width());
    Ok(())
}

//! The yardstick of `docs/performance.md`: a bare Polars read of every
//! Parquet table of a book into memory, nothing else (no parsing, no
//! checks). Issue #7 puts it at about 2 s and 0.85 GB for the 100k x 36
//! book on the project's machine; measured next to our own commands, it
//! shows how fast the machine is that day.
//!
//! `cargo run --release --example bare_read -- /tmp/earlywarn-scale/book`

use polars::prelude::*;

fn main() -> PolarsResult<()> {
    let folder = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "data-samples".to_string());
    let mut paths: Vec<_> = std::fs::read_dir(&folder)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    paths.sort();
    let mut frames = Vec::new();
    for path in &paths {
        let source = PlRefPath::new(path.to_string_lossy().as_ref());
        frames.push(LazyFrame::scan_parquet(source, ScanArgsParquet::default())?.collect()?);
    }
    let rows: usize = frames.iter().map(DataFrame::height).sum();
    println!("{} tables, {rows} rows read from {folder}", frames.len());
    Ok(())
}

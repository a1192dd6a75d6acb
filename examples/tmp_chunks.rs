use polars::prelude::*;
fn main() -> PolarsResult<()> {
    for t in ["invoices", "payments", "orders"] {
        let p = format!("/tmp/earlywarn-scale/book/{t}.parquet");
        let t0 = std::time::Instant::now();
        let mut df = LazyFrame::scan_parquet(PlRefPath::new(p.as_str()), ScanArgsParquet::default())?.collect()?;
        let read = t0.elapsed();
        let chunks: Vec<usize> = df.columns().iter().map(|c| c.n_chunks()).collect();
        let t1 = std::time::Instant::now();
        df.rechunk_mut_par();
        println!("{t}: read {:?} chunks {:?} rechunk {:?} size {} MB schema {:?}", read, chunks, t1.elapsed(), df.estimated_size() >> 20, df.schema());
    }
    Ok(())
}

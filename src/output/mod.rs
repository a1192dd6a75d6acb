//! Writers: the only place that writes files.
//!
//! Every file is written to a temporary sibling and renamed into place, so a
//! reader never sees half a file and a failed write leaves the old one.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

pub mod folder;

use crate::ingest::Reject;
use crate::nightly::Nightly;
use crate::schema::{REJECT_RAW, REJECT_REASON, REJECT_ROW, REJECT_TABLE};
use folder::RunFolder;

/// File format of a written table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    Csv,
    Parquet,
}

impl TableFormat {
    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Parquet => "parquet",
        }
    }
}

/// Writes `path` through a temporary sibling and a rename.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create folder {}", dir.display()))?;
    let name = path
        .file_name()
        .context("output path has no file name")?
        .to_string_lossy();
    let tmp: PathBuf = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut w = BufWriter::new(
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?,
        );
        write(&mut w)?;
        w.flush()?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot move {} into place", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// Writes `text` as it is.
pub fn write_text(text: &str, path: &Path) -> Result<()> {
    write_atomic(path, |w| {
        w.write_all(text.as_bytes())?;
        Ok(())
    })
}

/// Writes `df` as CSV (header, comma, ISO dates).
pub fn write_csv(df: &mut DataFrame, path: &Path) -> Result<()> {
    write_atomic(path, |w| {
        CsvWriter::new(w).include_header(true).finish(df)?;
        Ok(())
    })
}

/// Writes `df` as one Parquet file (zstd). The row groups depend on the
/// values alone, not on how the computation chunked them (Polars makes a
/// row group per run of chunks): `df` is put in one chunk first.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    df.rechunk_mut_par();
    write_atomic(path, |w| {
        ParquetWriter::new(w)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)?;
        Ok(())
    })
}

/// Writes `df` as `<dir>/<table>.<ext>`.
pub fn write_table(
    df: &mut DataFrame,
    dir: &Path,
    table: &str,
    format: TableFormat,
) -> Result<PathBuf> {
    let path = dir.join(format!("{table}.{}", format.extension()));
    match format {
        TableFormat::Csv => write_csv(df, &path)?,
        TableFormat::Parquet => write_parquet(df, &path)?,
    }
    Ok(path)
}

/// One table written batch by batch, for tables too big to hold whole
/// (`generate` at book scale): to a temporary sibling of
/// `<dir>/<table>.<ext>`, renamed into place by [`TableStream::finish`].
/// Dropped unfinished, it removes the temporary file. Each batch is put in
/// one chunk first, so a Parquet file has one row group per batch.
pub struct TableStream {
    tmp: PathBuf,
    path: PathBuf,
    writer: Option<StreamWriter>,
}

enum StreamWriter {
    Csv(polars::io::csv::write::BatchedWriter<File>),
    Parquet(Box<polars::io::parquet::write::BatchedWriter<File>>),
}

impl TableStream {
    /// Starts `<dir>/<table>.<ext>` for frames of `schema`.
    pub fn create(dir: &Path, table: &str, format: TableFormat, schema: &Schema) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
        let name = format!("{table}.{}", format.extension());
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut stream = TableStream {
            tmp,
            path,
            writer: None,
        };
        stream.writer = Some(match format {
            TableFormat::Csv => {
                StreamWriter::Csv(CsvWriter::new(file).include_header(true).batched(schema)?)
            }
            TableFormat::Parquet => StreamWriter::Parquet(Box::new(
                ParquetWriter::new(file)
                    .with_compression(ParquetCompression::Zstd(None))
                    .batched(schema)?,
            )),
        });
        Ok(stream)
    }

    /// Appends the rows of `df`.
    pub fn write(&mut self, df: &mut DataFrame) -> Result<()> {
        df.rechunk_mut_par();
        match self.writer.as_mut().expect("open until finished") {
            StreamWriter::Csv(w) => w.write_batch(df)?,
            StreamWriter::Parquet(w) => w.write_batch(df)?,
        }
        Ok(())
    }

    /// Completes the file (header or footer), syncs it and moves it into place.
    pub fn finish(mut self) -> Result<PathBuf> {
        let writer = self.writer.take().expect("open until finished");
        let result = (|| {
            match writer {
                StreamWriter::Csv(mut w) => w.finish()?,
                StreamWriter::Parquet(w) => {
                    w.finish()?;
                }
            }
            File::open(&self.tmp)?.sync_all()?;
            std::fs::rename(&self.tmp, &self.path)
                .with_context(|| format!("cannot move {} into place", self.path.display()))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        result.with_context(|| format!("writing {}", self.path.display()))?;
        Ok(self.path.clone())
    }
}

impl Drop for TableStream {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The rejects as the contract's `rejects.csv` frame: table, row, reason, raw.
pub fn rejects_frame(rejects: &[Reject]) -> DataFrame {
    let n = rejects.len();
    DataFrame::new(
        n,
        vec![
            Column::new(
                REJECT_TABLE.into(),
                rejects.iter().map(|r| r.table).collect::<Vec<_>>(),
            ),
            Column::new(
                REJECT_ROW.into(),
                rejects.iter().map(|r| r.row).collect::<Vec<_>>(),
            ),
            Column::new(
                REJECT_REASON.into(),
                rejects
                    .iter()
                    .map(|r| r.reason.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                REJECT_RAW.into(),
                rejects.iter().map(|r| r.raw.as_str()).collect::<Vec<_>>(),
            ),
        ],
    )
    .expect("columns of equal length")
}

/// Writes `rejects.csv` (header only when there are none).
pub fn write_rejects(rejects: &[Reject], path: &Path) -> Result<()> {
    write_csv(&mut rejects_frame(rejects), path)
}

/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab
/// or carriage return first) gets a leading `'`, so a customer name like
/// `=HYPERLINK(...)` reaches Excel as text. Applied to free-text columns of
/// CSV outputs (names, reasons), never to ids.
pub fn neutralise_formulas(df: &DataFrame, columns: &[&str]) -> PolarsResult<DataFrame> {
    let exprs: Vec<Expr> = columns
        .iter()
        .map(|c| {
            let risky = ["=", "+", "-", "@", "\t", "\r"]
                .iter()
                .map(|p| col(*c).str().starts_with(lit(*p)))
                .reduce(|a, b| a.or(b))
                .expect("prefixes")
                .fill_null(lit(false));
            when(risky)
                .then(concat_str([lit("'"), col(*c)], "", false))
                .otherwise(col(*c))
                .alias(*c)
        })
        .collect();
    df.clone().lazy().with_columns(exprs).collect()
}

/// The scores of the previous run in `out`, if there is one that can be
/// read (`scores.parquet` with customer_id, score, risk_band). The one read
/// of an output folder: it feeds the score change column.
pub fn previous_scores(out: &Path) -> Option<DataFrame> {
    let path = out.join("scores.parquet");
    if !path.is_file() {
        return None;
    }
    let path_str = path.to_string_lossy().into_owned();
    let read = LazyFrame::scan_parquet(PlRefPath::new(path_str.as_str()), Default::default())
        .and_then(|lf| {
            lf.select([col("customer_id"), col("score"), col("risk_band")])
                .collect()
        });
    match read {
        Ok(df) => Some(df),
        Err(e) => {
            tracing::warn!("previous scores in {} not used: {e}", path.display());
            None
        }
    }
}

/// Writes `df` as CSV with the text of `columns` neutralised.
fn neutralised_csv<'a>(
    df: &'a DataFrame,
    columns: &'static [&'static str],
) -> folder::WriteFile<'a> {
    Box::new(move |path| write_csv(&mut neutralise_formulas(df, columns)?, path))
}

/// Every data file of a nightly run into `folder`, side by side, recorded
/// in a fixed order: scores (CSV and Parquet), escalations, credit limits,
/// cash forecast, KPIs, rejects (the report page and run.json come after,
/// from the caller). Text a spreadsheet could run as a formula is
/// neutralised in the CSV files.
pub fn write_run_files(folder: &mut RunFolder, result: &Nightly, rejects: &[Reject]) -> Result<()> {
    use crate::model::score::{REASON_1, REASON_2, REASON_3};
    use crate::nightly::columns::{NAME, REASON, REASONS};
    let jobs: Vec<folder::FileJob> = vec![
        (
            "scores.csv",
            neutralised_csv(&result.scores, &[NAME, REASON_1, REASON_2, REASON_3]),
        ),
        (
            "scores.parquet",
            Box::new(|path| write_parquet(&mut result.scores.clone(), path)),
        ),
        (
            "escalations.csv",
            neutralised_csv(&result.escalations, &[NAME, REASONS]),
        ),
        (
            "credit_limits.csv",
            neutralised_csv(&result.credit_limits, &[REASON]),
        ),
        (
            "cash_forecast.csv",
            Box::new(|path| write_csv(&mut result.cash_forecast.clone(), path)),
        ),
        (
            "kpis.json",
            Box::new(|path| {
                let mut text = serde_json::to_string_pretty(&result.kpis)?;
                text.push('\n');
                write_text(&text, path)
            }),
        ),
        (
            "rejects.csv",
            Box::new(|path| write_csv(&mut rejects_frame(rejects), path)),
        ),
    ];
    folder.write_all(jobs)
}

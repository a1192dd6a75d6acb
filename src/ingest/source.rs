//! Finding and reading one table's file(s): the only code that opens input.
//!
//! A table is `<input>/<table>.csv`, `<input>/<table>.parquet`, or a folder
//! `<input>/<table>/` of Parquet files (hive partitions allowed), or the file
//! or folder a `[input.tables.<table>] file = ...` setting names. CSV is read
//! with every column as text, so that validation sees and can report exactly
//! what the file says; Parquet keeps its own types.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use rayon::prelude::*;

use crate::config::TableReadSettings;
use crate::error::Error;

/// How a table is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
    ParquetFolder,
}

/// Where a table was found.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub format: Format,
}

impl Source {
    /// The number a person gives the first data row: CSV counts lines with the
    /// header as line 1, so data starts at 2; Parquet rows count from 1.
    pub fn first_row_number(&self) -> u64 {
        match self.format {
            Format::Csv => 2,
            Format::Parquet | Format::ParquetFolder => 1,
        }
    }

    /// The files behind this source, sorted (a folder lists its Parquet files).
    pub fn files(&self) -> Vec<PathBuf> {
        match self.format {
            Format::Csv | Format::Parquet => vec![self.path.clone()],
            Format::ParquetFolder => {
                let mut files = Vec::new();
                collect_parquet_files(&self.path, &mut files);
                files.sort();
                files
            }
        }
    }
}

fn collect_parquet_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_parquet_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
}

/// SHA-256 of a file's bytes, as hex.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Finds `table` in `input`. `Ok(None)` when it is absent (the caller decides
/// whether that is allowed); an error when the place is ambiguous.
pub fn locate(
    input: &Path,
    table: &str,
    settings: &TableReadSettings,
) -> Result<Option<Source>, Error> {
    if let Some(file) = &settings.file {
        let path = input.join(file);
        if !path.exists() {
            return Ok(None);
        }
        return Ok(Some(classify(path)));
    }
    let candidates = [
        input.join(format!("{table}.csv")),
        input.join(format!("{table}.parquet")),
        input.join(table),
    ];
    let found: Vec<&PathBuf> = candidates.iter().filter(|p| p.exists()).collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(classify((*one).clone()))),
        many => Err(Error::input(
            input.display().to_string(),
            format!(
                "table {table} is stored more than once ({}); keep one, or name it with [input.tables.{table}] file = ...",
                many.iter()
                    .map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn classify(path: PathBuf) -> Source {
    let format = if path.is_dir() {
        Format::ParquetFolder
    } else if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
    {
        Format::Parquet
    } else {
        Format::Csv
    };
    Source { path, format }
}

/// Reads the whole table. Column names are trimmed, and a UTF-8 byte-order
/// mark on the first one (Excel writes it) is dropped.
pub fn read(source: &Source, settings: &TableReadSettings) -> Result<DataFrame, Error> {
    let file = source.path.display().to_string();
    let unreadable = |e: PolarsError| Error::input(&file, format!("cannot read: {e}"));
    let path_str = source.path.to_string_lossy().into_owned();
    let mut df = match source.format {
        Format::Csv => LazyCsvReader::new(PlRefPath::new(path_str.as_str()))
            .with_separator(settings.delimiter)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_raise_if_empty(false)
            .finish()
            .and_then(|lf| lf.collect())
            .map_err(unreadable)?,
        Format::Parquet => LazyFrame::scan_parquet(
            PlRefPath::new(path_str.as_str()),
            ScanArgsParquet::default(),
        )
        .and_then(|lf| lf.collect())
        .map_err(unreadable)?,
        Format::ParquetFolder => {
            if source.files().is_empty() {
                return Err(Error::input(&file, "folder holds no .parquet files"));
            }
            let args = ScanArgsParquet {
                hive_options: HiveOptions::new_enabled(),
                ..Default::default()
            };
            LazyFrame::scan_parquet(PlRefPath::new(path_str.as_str()), args)
                .and_then(|lf| lf.collect())
                .map_err(unreadable)?
        }
    };
    let names: Vec<PlSmallStr> = df.get_column_names_owned();
    for name in names {
        let clean = name.trim_start_matches('\u{feff}').trim();
        if clean != name.as_str() {
            df.rename(name.as_str(), clean.into()).map_err(unreadable)?;
        }
    }
    // One chunk per column from here on (every later step reads it in
    // place instead of each copying it), except text: the id matching
    // reads ids in their chunks, and most ids are dropped once matched, so
    // copying them (the largest columns) would be wasted.
    let height = df.height();
    let columns: Vec<Column> = df
        .into_columns()
        .into_par_iter()
        .map(|c| match c.dtype().is_string() {
            true => c,
            false => c.rechunk(),
        })
        .collect();
    DataFrame::new(height, columns).map_err(unreadable)
}

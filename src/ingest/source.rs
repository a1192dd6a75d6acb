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

/// One table's file(s), opened once and read whole or a few columns at a
/// time. Column names are trimmed, and a UTF-8 byte-order mark on the
/// first one (Excel writes it) is dropped; every name below is the trimmed
/// one.
///
/// Parquet is read as asked: a projection reads only those columns, so a
/// caller can read a table's largest text column alone, match it, and drop
/// it before the rest is read. CSV is parsed once, when opened (the file
/// holds rows, not columns), and projections are taken from that frame.
pub struct TableReader {
    file: String,
    kind: ReaderKind,
    /// The table's columns and types as read, under trimmed names.
    schema: Schema,
}

enum ReaderKind {
    /// CSV, parsed whole.
    InMemory(DataFrame),
    /// Parquet file or folder: (trimmed name, name in the file) per column.
    Parquet {
        path: String,
        args: Box<ScanArgsParquet>,
        names: Vec<(PlSmallStr, PlSmallStr)>,
    },
}

/// A column name without its byte-order mark and surrounding blanks.
fn trimmed_name(name: &str) -> &str {
    name.trim_start_matches('\u{feff}').trim()
}

impl TableReader {
    pub fn open(source: &Source, settings: &TableReadSettings) -> Result<Self, Error> {
        let file = source.path.display().to_string();
        let unreadable = |e: PolarsError| Error::input(&file, format!("cannot read: {e}"));
        let path = source.path.to_string_lossy().into_owned();
        let rename = |name: &PlSmallStr| PlSmallStr::from(trimmed_name(name));
        let (kind, schema) = match source.format {
            Format::Csv => {
                let mut df = LazyCsvReader::new(PlRefPath::new(path.as_str()))
                    .with_separator(settings.delimiter)
                    .with_has_header(true)
                    .with_infer_schema_length(Some(0))
                    .with_raise_if_empty(false)
                    .finish()
                    .and_then(|lf| lf.collect())
                    .map_err(unreadable)?;
                for name in df.get_column_names_owned() {
                    let clean = rename(&name);
                    if clean != name {
                        df.rename(name.as_str(), clean).map_err(unreadable)?;
                    }
                }
                let schema = df.schema().as_ref().clone();
                (ReaderKind::InMemory(df), schema)
            }
            Format::Parquet | Format::ParquetFolder => {
                if source.format == Format::ParquetFolder && source.files().is_empty() {
                    return Err(Error::input(&file, "folder holds no .parquet files"));
                }
                let args = ScanArgsParquet {
                    hive_options: match source.format {
                        Format::ParquetFolder => HiveOptions::new_enabled(),
                        _ => HiveOptions::default(),
                    },
                    ..Default::default()
                };
                let in_file = LazyFrame::scan_parquet(PlRefPath::new(path.as_str()), args.clone())
                    .and_then(|mut lf| lf.collect_schema())
                    .map_err(unreadable)?;
                let names = in_file
                    .iter_names()
                    .map(|n| (rename(n), n.clone()))
                    .collect();
                let schema = in_file
                    .iter()
                    .map(|(name, dtype)| Field::new(rename(name), dtype.clone()))
                    .collect();
                (
                    ReaderKind::Parquet {
                        path,
                        args: Box::new(args),
                        names,
                    },
                    schema,
                )
            }
        };
        Ok(Self { file, kind, schema })
    }

    /// Every column, in file order, with its type as read.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The whole table.
    pub fn read_all(&self) -> Result<DataFrame, Error> {
        self.read_where(|_| true)
    }

    /// The named columns, in file order.
    pub fn read_columns(&self, columns: &[&str]) -> Result<DataFrame, Error> {
        self.read_where(|name| columns.contains(&name))
    }

    /// Every column but the named ones, in file order.
    pub fn read_all_but(&self, columns: &[&str]) -> Result<DataFrame, Error> {
        self.read_where(|name| !columns.contains(&name))
    }

    /// The columns whose name `wanted` accepts, in file order: one chunk
    /// per column, except text. The id matching reads ids in their chunks,
    /// and most ids are dropped once matched, so copying them (the largest
    /// columns) would be wasted; every other later step reads a column in
    /// place instead of each copying it.
    fn read_where(&self, wanted: impl Fn(&str) -> bool) -> Result<DataFrame, Error> {
        let unreadable = |e: PolarsError| Error::input(&self.file, format!("cannot read: {e}"));
        let df = match &self.kind {
            ReaderKind::InMemory(df) => {
                let names: Vec<PlSmallStr> = df
                    .get_column_names()
                    .into_iter()
                    .filter(|n| wanted(n))
                    .cloned()
                    .collect();
                df.select(names).map_err(unreadable)?
            }
            ReaderKind::Parquet { path, args, names } => {
                let picked: Vec<Expr> = names
                    .iter()
                    .filter(|(clean, _)| wanted(clean))
                    .map(|(clean, in_file)| col(in_file.clone()).alias(clean.clone()))
                    .collect();
                LazyFrame::scan_parquet(PlRefPath::new(path.as_str()), (**args).clone())
                    .and_then(|lf| lf.select(picked).collect())
                    .map_err(unreadable)?
            }
        };
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
}

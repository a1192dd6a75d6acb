//! Ingest: read every input table, parse it to the declared schema, and split
//! good rows from rejected ones. The only stage that reads input.
//!
//! Contract: [`read_book`] returns a [`Book`] whose frames have exactly the
//! columns of [`crate::schema`] (typed, defaults filled) followed by any extra
//! columns of the file, in file order, plus an [`IngestReport`] of rows read,
//! accepted and rejected with the reasons. It fails with [`Error::Input`]
//! (exit 2) for a missing table or column, an unreadable file, or a column
//! whose every value is of the wrong type. The reject-share limit is checked
//! by the caller ([`IngestReport::check_reject_share`]) so that `validate` can
//! still write the rejects first.

mod ids;
mod parse;
mod source;

pub use ids::{invoice_seed, stable_hash};
pub use source::file_sha256;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;

use crate::config::Config;
use crate::error::Error;
use crate::schema::*;
pub use source::Format;

const ROW: &str = "__row";
/// The rule a row breaks, as a code into the table's [`Reasons`]; null when none.
const REASON: &str = "__reason";
const ISSUE: &str = "__issue_date";
const FIRST: &str = "__first_row";
/// True where a row breaks a row rule (pass 1).
const BROKEN: &str = "__broken";

/// The validated input: one frame per table, typed as [`crate::schema`] says.
/// Absent optional tables are empty frames with the declared columns.
///
/// Text ids that refer to another table are checked, matched to integer
/// keys ([`CUSTOMER_KEY`], [`INVOICE_KEY`]) and then dropped, as are the
/// row ids of payments, orders and requests once checked for duplicates:
/// only `customers.customer_id` stays (outputs name customers), and
/// `invoices.invoice_id` becomes [`INVOICE_SEED`], the hash of the id that
/// seeds each invoice's forecast draws.
#[derive(Debug, Clone)]
pub struct Book {
    pub customers: DataFrame,
    /// With the derived [`SETTLED_DATE`] column last among the contract ones.
    pub invoices: DataFrame,
    /// Real payments, or one full payment per `invoices.paid_date` when the
    /// input has no payments table (see [`Settlement`]).
    pub payments: DataFrame,
    pub orders: DataFrame,
    pub credit_requests: DataFrame,
    pub events: DataFrame,
    pub settlement: Settlement,
}

/// Where payments came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Settlement {
    /// The input has a payments table; `invoices.paid_date` is ignored.
    PaymentsTable,
    /// No payments table: each `paid_date` is one full payment on that day.
    PaidDate,
}

/// One rejected input row.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub table: &'static str,
    /// The row as a person counts it in the file (CSV: line number, header = 1).
    pub row: u64,
    pub reason: String,
    /// The row's values as read, a JSON object keyed by the file's own column names.
    pub raw: String,
}

/// What ingest saw of one table.
#[derive(Debug, Clone)]
pub struct TableReport {
    pub table: &'static str,
    /// The file or folder read; `None` when an optional table is absent.
    pub source: Option<PathBuf>,
    pub format: Option<Format>,
    /// The files behind the source (a Parquet folder has many), sorted.
    pub files: Vec<PathBuf>,
    pub read: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    /// Reject reason (without the row-specific part) -> count.
    pub reasons: BTreeMap<String, usize>,
}

impl TableReport {
    pub fn reject_share(&self) -> f64 {
        if self.read == 0 {
            0.0
        } else {
            self.rejected as f64 / self.read as f64
        }
    }

    /// Up to `n` reasons, most frequent first, as `reason (count)`.
    pub fn top_reasons(&self, n: usize) -> Vec<String> {
        let mut v: Vec<(&String, &usize)> = self.reasons.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.into_iter()
            .take(n)
            .map(|(r, c)| format!("{r} ({c})"))
            .collect()
    }
}

/// Everything ingest found.
#[derive(Debug, Clone)]
pub struct IngestReport {
    pub tables: Vec<TableReport>,
    /// Sorted by table (contract order), then row.
    pub rejects: Vec<Reject>,
}

/// One file read, for manifests and fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InputFile {
    pub table: &'static str,
    /// Relative to the input folder, `/`-separated.
    pub path: String,
    pub sha256: String,
}

impl IngestReport {
    /// Every file read, with its SHA-256, in table order then path order.
    /// Files are hashed side by side (each hash is one thread's work).
    pub fn input_files(&self, input: &Path) -> Result<Vec<InputFile>, Error> {
        use rayon::prelude::*;
        let files: Vec<(&'static str, &PathBuf)> = self
            .tables
            .iter()
            .flat_map(|t| t.files.iter().map(move |file| (t.table, file)))
            .collect();
        files
            .into_par_iter()
            .map(|(table, file)| {
                let sha256 = source::file_sha256(file).map_err(|e| {
                    Error::input(file.display().to_string(), format!("cannot read: {e}"))
                })?;
                let rel = file.strip_prefix(input).unwrap_or(file);
                let path = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                Ok(InputFile {
                    table,
                    path,
                    sha256,
                })
            })
            .collect()
    }

    /// `sha256:<hex>` over the lines `table path sha256` of [`Self::input_files`]:
    /// the same files give the same fingerprint wherever the folder lives.
    pub fn fingerprint(&self, input: &Path) -> Result<String, Error> {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for f in self.input_files(input)? {
            hasher.update(format!("{} {} {}\n", f.table, f.path, f.sha256).as_bytes());
        }
        Ok(format!("sha256:{:x}", hasher.finalize()))
    }
    /// Fails with [`Error::TooManyRejects`] (exit 3) for the table with the
    /// largest share of rejected rows when that share is over `limit`.
    pub fn check_reject_share(&self, limit: f64) -> Result<(), Error> {
        let worst = self
            .tables
            .iter()
            .filter(|t| t.reject_share() > limit)
            .max_by(|a, b| a.reject_share().total_cmp(&b.reject_share()));
        match worst {
            None => Ok(()),
            Some(t) => Err(Error::TooManyRejects {
                table: t.table.to_string(),
                read: t.read,
                rejected: t.rejected,
                share: t.reject_share() * 100.0,
                limit: limit * 100.0,
                top: t.top_reasons(3).join("; "),
            }),
        }
    }

    /// The last day any table has a row dated on: the default as-of day.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.tables.iter().filter_map(|t| t.last_date).max()
    }

    pub fn table(&self, name: &str) -> Option<&TableReport> {
        self.tables.iter().find(|t| t.table == name)
    }
}

/// Invoice key -> row of `invoices` (a book cut to a day, or any filtered
/// copy, keeps a subset of the keys, so a key is not always its row).
pub struct InvoiceRows(RowsOfKeys);

enum RowsOfKeys {
    /// Keys 0..n in order, as ingest gives them: a key is its row.
    Identity(usize),
    /// Row by key, `None` for a key not in the frame.
    Table(Vec<Option<usize>>),
}

impl InvoiceRows {
    pub fn new(invoices: &DataFrame) -> PolarsResult<Self> {
        let keys = invoices.column(INVOICE_KEY)?.idx()?.rechunk();
        let n = keys.len();
        if let Ok(keys) = keys.cont_slice() {
            if keys.iter().enumerate().all(|(row, k)| *k as usize == row) {
                return Ok(Self(RowsOfKeys::Identity(n)));
            }
        }
        let mut rows = vec![None; keys.max().map_or(0, |m| m as usize + 1)];
        for (row, k) in keys.iter().enumerate() {
            if let Some(k) = k {
                rows[k as usize] = Some(row);
            }
        }
        Ok(Self(RowsOfKeys::Table(rows)))
    }

    /// The row holding invoice `key`, if any.
    pub fn row(&self, key: IdxSize) -> Option<usize> {
        let key = key as usize;
        match &self.0 {
            RowsOfKeys::Identity(n) => (key < *n).then_some(key),
            RowsOfKeys::Table(rows) => rows.get(key).copied().flatten(),
        }
    }
}

/// How [`read_book_with`] spends the cores on the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// One table after another (each still read and checked on every
    /// core): the lowest peak, for `run`, whose 1.5 GB target leaves no
    /// room for orders' text ids beside invoices and payments.
    OneAfterAnother,
    /// Orders, credit requests and events on a thread of their own, beside
    /// invoices and payments: a core idles through parts of each table's
    /// read, and the two streams fill each other's gaps. At 100k customers
    /// reading peaks 0.2-0.35 GB higher (measured in `run`); `train` peaks
    /// later and higher anyway.
    SideBySide,
}

/// Reads and validates every table of the input folder, one after another
/// ([`read_book_with`]).
pub fn read_book(input: &Path, config: &Config) -> Result<(Book, IngestReport), Error> {
    read_book_with(input, config, Reading::OneAfterAnother)
}

/// Reads and validates every table of the input folder. Either way of
/// [`Reading`] gives the same book, report and rejects, and the same error
/// (that of the earliest table in contract order).
pub fn read_book_with(
    input: &Path,
    config: &Config,
    reading: Reading,
) -> Result<(Book, IngestReport), Error> {
    if !input.is_dir() {
        return Err(Error::input(
            input.display().to_string(),
            "input folder not found",
        ));
    }
    let settlement = match source::locate(input, PAYMENTS, &config.table_settings(PAYMENTS))? {
        Some(_) => Settlement::PaymentsTable,
        None => Settlement::PaidDate,
    };
    let mut reports = Vec::new();
    let mut rejects = Vec::new();
    let load = |spec: &TableSpec,
                checks: &dyn Fn(LazyFrame, &mut Reasons) -> PolarsResult<LazyFrame>,
                keep: &[&'static str],
                match_first: Option<MatchFirst>| {
        load_table(input, spec, config, settlement, checks, keep, match_first)
    };
    let mut take = |loaded: Loaded| {
        rejects.extend(loaded.rejects);
        reports.push(loaded.report);
        (loaded.frame, loaded.index)
    };

    let (customers, customer_ids) = take(load(&CUSTOMERS_SPEC, &|lf, _| Ok(lf), &[], None)?);
    let customers = with_key_after_contract(customers, CUSTOMERS_SPEC.columns.len(), CUSTOMER_KEY)?;
    // A customer's key is its row, so a position in this index is a key.
    let customer_ids = index_of(&customers, CUSTOMER_ID, customer_ids)?;
    let known_customer = |lf: LazyFrame, reasons: &mut Reasons| {
        let unknown = reasons.code("unknown customer_id");
        flag_known(lf, &customer_ids, CUSTOMER_ID, CUSTOMER_KEY, unknown)
    };
    // Orders, requests and events need only the customers. One after
    // another, they are read first, while little else is in memory: an
    // order's two text ids cost ~380 MB at 100k until matched, ~130 MB
    // after, and so the peak of a 100k run is lower when invoices and
    // payments wait beside the checked orders than when they are read
    // beside them (side by side, as `Reading::SideBySide` does). Either
    // way, reports and rejects come in table order, and an error in an
    // earlier table (in that order) is the one reported.
    let read_later = || {
        let mut later: Vec<Result<Loaded, Error>> = Vec::new();
        for (spec, matched) in [
            (&ORDERS_SPEC, &[ORDER_ID, CUSTOMER_ID][..]),
            (&CREDIT_REQUESTS_SPEC, &[REQUEST_ID, CUSTOMER_ID]),
            (&EVENTS_SPEC, &[CUSTOMER_ID]),
        ] {
            // The text ids go at once (with the duplicate check's index).
            let loaded = load(spec, &known_customer, &[CUSTOMER_KEY], None).map(|loaded| Loaded {
                frame: without_matched_ids(loaded.frame, matched),
                index: None,
                ..loaded
            });
            let failed = loaded.is_err();
            later.push(loaded);
            if failed {
                break;
            }
        }
        later
    };
    // Invoices, then payments, which are matched to them: their reports
    // and rejects are taken below, in table order.
    let read_first = || -> Result<(Loaded, Loaded), Error> {
        let mut invoices = load(&INVOICES_SPEC, &known_customer, &[CUSTOMER_KEY], None)?;
        let frame = std::mem::replace(&mut invoices.frame, DataFrame::empty());
        let frame = without_matched_ids(frame, &[CUSTOMER_ID])
            .with_row_index(INVOICE_KEY.into(), None)
            .map_err(internal)?;
        // The one lookup of the text invoice id: it hands payments their
        // key. The index keeps the ids (in one chunk, as the lookup reads
        // them); the book keeps each id's hash, the forecast's seed, from
        // here. Payments read their invoice ids first and alone, and the
        // index goes once they are matched (MatchFirst): neither is in
        // memory beside the rest of the payments.
        let invoice_ids = index_of(&frame, INVOICE_ID, invoices.index.take())?.in_one_chunk();
        invoices.frame = with_seeds_for_ids(frame, invoice_ids.ids())?;
        let invoice_issue = invoices
            .frame
            .column(ISSUE_DATE)
            .map_err(internal)?
            .clone()
            .with_name(ISSUE.into());
        let payments = load(
            &PAYMENTS_SPEC,
            &|lf, reasons| {
                let unknown = reasons.code("unknown invoice_id");
                let early = reasons.code("payment_date before the invoice's issue_date");
                let mut payments = lf.collect()?;
                // A key is null only for an id not found: a missing id
                // broke a row rule already.
                let issue = invoice_issue.take(payments.column(INVOICE_KEY)?.idx()?)?;
                payments.with_column(issue)?;
                flag_where(
                    payments,
                    vec![
                        (col(INVOICE_KEY).is_null(), unknown),
                        (col(PAYMENT_DATE).lt(col(ISSUE)).fill_null(false), early),
                    ],
                )
            },
            &[INVOICE_KEY],
            Some(MatchFirst {
                column: INVOICE_ID,
                index: invoice_ids,
                key: INVOICE_KEY,
            }),
        )?;
        Ok((invoices, payments))
    };
    let (later, first) = match reading {
        Reading::OneAfterAnother => {
            let later = read_later();
            (later, read_first())
        }
        Reading::SideBySide => std::thread::scope(|scope| {
            let later = scope.spawn(read_later);
            let first = read_first();
            let later = later
                .join()
                .expect("the later tables' thread does not panic");
            (later, first)
        }),
    };
    let (invoices, payments) = first?;
    let (invoices, _) = take(invoices);
    let (payments, _) = take(payments);
    let mut later = later.into_iter();
    let mut next_later = || -> Result<DataFrame, Error> {
        let loaded = later
            .next()
            .expect("read above unless an earlier one failed")?;
        Ok(take(loaded).0)
    };
    let orders = next_later()?;
    let credit_requests = next_later()?;
    let events = next_later()?;

    let payments = match settlement {
        Settlement::PaymentsTable => payments,
        Settlement::PaidDate => payments_from_paid_date(&invoices)?,
    };
    // (Payments' invoice ids went as they were matched.)
    let payments = without_matched_ids(payments, &[PAYMENT_ID]);
    let started = std::time::Instant::now();
    let invoices = with_settled_date(invoices, &payments)?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "settlement derived"
    );
    rejects.sort_by(|a, b| {
        table_order(a.table)
            .cmp(&table_order(b.table))
            .then(a.row.cmp(&b.row))
    });
    for (table, df) in [
        (CUSTOMERS, &customers),
        (INVOICES, &invoices),
        (PAYMENTS, &payments),
        (ORDERS, &orders),
    ] {
        tracing::debug!(
            table,
            mb = df.estimated_size() >> 20,
            chunks = df.first_col_n_chunks(),
            "in memory"
        );
    }
    // The text columns kept (customer ids and names) in one chunk too,
    // like every other column of the book: later stages filter and gather
    // them per day.
    let [mut customers, mut invoices] = [customers, invoices];
    customers.rechunk_mut_par();
    invoices.rechunk_mut_par();
    let book = Book {
        customers,
        invoices,
        payments,
        orders,
        credit_requests,
        events,
        settlement,
    };
    Ok((
        book,
        IngestReport {
            tables: reports,
            rejects,
        },
    ))
}

fn table_order(table: &str) -> usize {
    TABLES
        .iter()
        .position(|t| t.name == table)
        .unwrap_or(usize::MAX)
}

fn internal(e: PolarsError) -> Error {
    Error::input("(ingest)", format!("internal error while validating: {e}"))
}

/// `df` without the text id `columns` once they have been checked and
/// matched to integer keys: later stages join and group on the keys, and
/// on 10M-row tables these texts are about half of the book's memory
/// (16 bytes a value before the text itself).
fn without_matched_ids(df: DataFrame, columns: &[&str]) -> DataFrame {
    df.drop_many(columns.iter().copied())
}

/// `invoices` with [`INVOICE_SEED`] in place of the text [`INVOICE_ID`]
/// (see [`INVOICE_SEED`]); `ids` are the same ids, held by the index that
/// matches payments to them.
fn with_seeds_for_ids(mut invoices: DataFrame, ids: &StringChunked) -> Result<DataFrame, Error> {
    let Some(at) = invoices.get_column_index(INVOICE_ID) else {
        return Ok(invoices);
    };
    let seeds = ids::invoice_seeds(ids, INVOICE_SEED.into());
    invoices
        .replace_column(at, seeds.into_column())
        .map_err(internal)?;
    Ok(invoices)
}

/// `df` with its row number as `key`, placed right after the first `n`
/// (contract) columns.
fn with_key_after_contract(df: DataFrame, n: usize, key: &str) -> Result<DataFrame, Error> {
    let names: Vec<PlSmallStr> = df.get_column_names_owned();
    let mut order: Vec<PlSmallStr> = names[..n].to_vec();
    order.push(key.into());
    order.extend(names[n..].iter().cloned());
    df.with_row_index(key.into(), None)
        .and_then(|df| df.select(order))
        .map_err(internal)
}

/// The position in `index` of each row's `column` (see
/// [`ids::IdIndex::lookup`]), as a key column called `name`.
fn look_up(df: &DataFrame, column: &str, index: &ids::IdIndex, name: &str) -> PolarsResult<IdxCa> {
    Ok(index.lookup(df.column(column)?.str()?, name.into()))
}

/// The index of `frame`'s ids in `column`: `built` when the duplicate
/// check's index still holds for the frame, else built anew.
fn index_of(
    frame: &DataFrame,
    column: &str,
    built: Option<ids::IdIndex>,
) -> Result<ids::IdIndex, Error> {
    match built {
        Some(index) => Ok(index),
        None => Ok(ids::IdIndex::new(
            frame
                .column(column)
                .and_then(Column::str)
                .map_err(internal)?,
        )),
    }
}

/// Adds `key`, the position of `column`'s value in `known` (where a
/// position is the key), and sets the reason `unknown` where `column` is
/// not null and not known.
fn flag_known(
    lf: LazyFrame,
    known: &ids::IdIndex,
    column: &str,
    key: &str,
    unknown: u32,
) -> PolarsResult<LazyFrame> {
    let mut df = lf.collect()?;
    let keys = look_up(&df, column, known, key)?;
    // A key is null for a null id or an unknown one.
    let any_unknown = keys.null_count() > df.column(column)?.null_count();
    df.with_column(keys.into_column())?;
    if !any_unknown {
        return Ok(df.lazy());
    }
    flag_where(
        df,
        vec![(col(column).is_not_null().and(col(key).is_null()), unknown)],
    )
}

/// `df` with [`REASON`] set to the code of the first of `rules` a row
/// breaks, where it is still null. Only when some row breaks one is the
/// reason column built (mostly none does, and 10M codes cost memory).
fn flag_where(df: DataFrame, rules: Vec<(Expr, u32)>) -> PolarsResult<LazyFrame> {
    let broken = df
        .clone()
        .lazy()
        .select([any_rule_broken(&rules)])
        .collect()?;
    if !broken[0].bool()?.any() {
        return Ok(df.lazy());
    }
    Ok(df.lazy().with_column(
        col(REASON)
            .fill_null(first_rule_broken(rules))
            .alias(REASON),
    ))
}

/// The reasons rows of one table are rejected for. Rows carry a `u32` code
/// (cheap to compute for millions of rows); only rejected rows get the text.
#[derive(Default)]
struct Reasons(Vec<String>);

impl Reasons {
    /// The code of `reason`, added on first use.
    fn code(&mut self, reason: &str) -> u32 {
        match self.0.iter().position(|r| r == reason) {
            Some(i) => i as u32,
            None => {
                self.0.push(reason.to_string());
                (self.0.len() - 1) as u32
            }
        }
    }

    fn text(&self, code: u32) -> &str {
        &self.0[code as usize]
    }
}

struct Loaded {
    frame: DataFrame,
    report: TableReport,
    rejects: Vec<Reject>,
    /// The table's ids by hash, positions being rows of `frame`, when
    /// the duplicate check's index is still valid for it.
    index: Option<ids::IdIndex>,
}

/// A text reference matched to keys before the rest of its table is read
/// (payments' `invoice_id`): its ids are read alone, looked up in `index`,
/// and dropped with the index, so that neither is in memory beside the
/// table's other columns.
struct MatchFirst {
    /// The contract column, a required text id.
    column: &'static str,
    /// The ids it must name; a position in it is the key.
    index: ids::IdIndex,
    /// The key column the table gets in place of `column` (null where the
    /// id is not in `index`): the frame loaded has no `column`.
    key: &'static str,
}

/// The key column of a [`MatchFirst`] while the table is validated.
const MATCHED_KEY: &str = "__matched_key";

/// Reads one table and validates it in three passes: row rules, then
/// `checks` against earlier tables, then duplicate ids among the survivors
/// (the first occurrence is kept). With `match_first`, that column is read
/// and matched before the others (see [`MatchFirst`]); `checks` then see
/// its key, and rows whose id was not found have a null key.
fn load_table(
    input: &Path,
    spec: &TableSpec,
    config: &Config,
    settlement: Settlement,
    checks: &dyn Fn(LazyFrame, &mut Reasons) -> PolarsResult<LazyFrame>,
    keep: &[&'static str],
    match_first: Option<MatchFirst>,
) -> Result<Loaded, Error> {
    let settings = config.table_settings(spec.name);
    let Some(source) = source::locate(input, spec.name, &settings)? else {
        if spec.required {
            let looked = match &settings.file {
                Some(f) => f.clone(),
                None => format!("{0}.csv, {0}.parquet or {0}/", spec.name),
            };
            return Err(Error::input(
                input.join(spec.name).display().to_string(),
                format!(
                    "required table {} not found (looked for {looked})",
                    spec.name
                ),
            ));
        }
        return Ok(Loaded {
            frame: empty_table(spec, keep),
            report: TableReport {
                table: spec.name,
                source: None,
                format: None,
                files: vec![],
                read: 0,
                accepted: 0,
                rejected: 0,
                first_date: None,
                last_date: None,
                reasons: BTreeMap::new(),
            },
            rejects: vec![],
            index: None,
        });
    };
    let file = source.path.display().to_string();
    let started = std::time::Instant::now();
    let lap = |what: &str| {
        tracing::debug!(
            table = spec.name,
            ms = started.elapsed().as_millis() as u64,
            faults = crate::progress::minor_faults(),
            "{what}"
        );
    };
    let reader = source::TableReader::open(&source, &settings)?;
    let row_offset = source.first_row_number();

    // Map contract columns to the file's columns.
    let source_of = |c: &ColumnSpec| -> &str {
        settings
            .columns
            .get(c.name)
            .map(String::as_str)
            .unwrap_or(c.name)
    };
    // The first column, in contract order, that is required and missing
    // or of a type that can never hold its kind: found from the schema,
    // before any value is read.
    let type_error = |c: &ColumnSpec, message: String| {
        Error::input(
            &file,
            format!(
                "column {}: {message}",
                describe_column(c.name, source_of(c))
            ),
        )
    };
    for c in spec.columns {
        match reader.schema().get(source_of(c)) {
            Some(dtype) => {
                // Whether the values need trimming does not change the type.
                let _typed = parse::parse(col(source_of(c)), dtype, c.kind, &settings, false)
                    .map_err(|m| type_error(c, m))?;
            }
            None if c.required => {
                let found: Vec<String> = reader
                    .schema()
                    .iter_names()
                    .map(|s| s.to_string())
                    .collect();
                return Err(Error::input(
                    &file,
                    format!(
                        "required column {} is missing (columns found: {})",
                        describe_column(c.name, source_of(c)),
                        found.join(", ")
                    ),
                ));
            }
            None => {}
        }
    }
    let parse_column = |c: &ColumnSpec, raw: &DataFrame| -> Result<(Expr, Expr), Error> {
        let src = source_of(c);
        let column = raw.column(src).map_err(internal)?;
        let dtype = column.dtype();
        let clean = dtype.is_string() && parse::is_clean_text(column);
        let parsed = parse::parse(col(src), dtype, c.kind, &settings, clean)
            .map_err(|m| type_error(c, m))?;
        Ok((parsed, parse::present(col(src), dtype, clean)))
    };

    // A reference matched first: its ids alone, then its key and presence.
    let mut matched: Vec<Column> = Vec::new();
    let mut matched_source: Option<&str> = None;
    let matched_key = match_first.as_ref().map(|m| m.key);
    if let Some(m) = match_first {
        let c = spec.column(m.column).expect("a contract column");
        if reader.schema().get(source_of(c)).is_some() {
            let ids = reader.read_columns(&[source_of(c)])?;
            let (parsed, present) = parse_column(c, &ids)?;
            let ids = ids
                .lazy()
                .select([parsed.alias(c.name), present.alias(present_name(c.name))])
                .collect()
                .map_err(internal)?;
            let keys = m.index.lookup(
                ids.column(c.name).and_then(Column::str).map_err(internal)?,
                MATCHED_KEY.into(),
            );
            matched.push(keys.into_column());
            matched.push(ids.column(&present_name(c.name)).map_err(internal)?.clone());
            matched_source = Some(source_of(c));
        }
        lap("matched first");
    }
    let raw = match matched_source {
        Some(src) => reader.read_all_but(&[src])?,
        None => reader.read_all()?,
    };
    lap("read");
    let mut staged = raw.clone();
    if !matched.is_empty() {
        staged.hstack_mut(&matched).map_err(internal)?;
    }
    drop(matched);

    let mut selected = vec![col(ROW)];
    let mut mapped_sources = Vec::new();
    let mut present_flags = Vec::new();
    for c in spec.columns {
        let src = source_of(c);
        if let (Some(key), true) = (matched_key, Some(src) == matched_source) {
            selected.push(col(MATCHED_KEY).alias(key));
            selected.push(col(present_name(c.name)));
            mapped_sources.push(src.to_string());
            continue;
        }
        match raw.schema().get(src) {
            Some(_) => {
                let (parsed, present) = parse_column(c, &raw)?;
                selected.push(parsed.alias(c.name));
                selected.push(present.alias(present_name(c.name)));
                present_flags.push(*c);
                mapped_sources.push(src.to_string());
            }
            None => {
                selected.push(lit(NULL).cast(parse::dtype(c.kind)).alias(c.name));
                selected.push(lit(false).alias(present_name(c.name)));
            }
        }
    }
    // Extra columns are carried as read, unless their name would shadow a
    // contract column mapped from elsewhere, or a column ingest derives
    // (settled_date): those are ignored.

    let extras: Vec<String> = raw
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .filter(|n| {
            !mapped_sources.contains(n)
                && spec.column(n).is_none()
                && n != SETTLED_DATE
                && n != PAYMENTS_TO_SETTLE
                && n != INVOICE_KEY
                && n != CUSTOMER_KEY
                && !n.starts_with("__")
        })
        .collect();
    selected.extend(extras.iter().map(|n| col(n.as_str())));

    let mut reasons = Reasons::default();
    let rules = row_rules(spec, &settings.date_format, settlement, &mut reasons);
    let parsed = staged
        .lazy()
        .with_row_index(ROW, None)
        .select(selected)
        .with_column(any_rule_broken(&rules).alias(BROKEN))
        .collect()
        .map_err(|e| Error::input(&file, format!("cannot parse: {e}")))?;

    lap("parsed");
    // A column none of whose values parse is the wrong type as a whole.
    for c in present_flags.iter().filter(|c| c.kind != Kind::Text) {
        let present = parsed
            .column(&present_name(c.name))
            .and_then(|s| s.sum_reduce())
            .map_err(internal)?;
        let present = present.value().extract::<u64>().unwrap_or(0);
        let valid = parsed.column(c.name).map_err(internal)?;
        let valid = (valid.len() - valid.null_count()) as u64;
        if present > 0 && valid == 0 {
            let src = settings
                .columns
                .get(c.name)
                .map(String::as_str)
                .unwrap_or(c.name);
            let example = first_value(&raw, src).unwrap_or_default();
            let hint = if c.kind == Kind::Date {
                format!(" (expected format {})", settings.date_format)
            } else {
                String::new()
            };
            return Err(Error::input(
                &file,
                format!(
                    "column {}: no value is a valid {}{hint}; the first is {example:?}",
                    describe_column(c.name, src),
                    c.kind.describe()
                ),
            ));
        }
    }
    // Pass 1 rejects; pass 2 checks against earlier tables; pass 3 duplicates.
    // Each pass's rejects are collected at once (few rows), so no pass keeps
    // an earlier pass's frame alive. Pass 1 names the rule a row breaks on
    // the broken rows alone: on every row, 10-15 chained rules would build
    // as many full-length columns.
    let broken = parsed
        .column(BROKEN)
        .and_then(Column::bool)
        .map_err(internal)?;
    let any_broken = broken.any();
    let mut rejected = DataFrame::empty_with_schema(&rejects_schema()).lazy();
    if any_broken {
        let named = parsed
            .clone()
            .lazy()
            .filter(col(BROKEN))
            .with_column(first_rule_broken(rules).alias(REASON))
            .collect()
            .map_err(internal)?;
        rejected = concat_reasons(rejected, &named).map_err(internal)?;
    }
    let mut drop: Vec<PlSmallStr> = spec
        .columns
        .iter()
        .map(|c| present_name(c.name).into())
        .collect();
    drop.push(BROKEN.into());
    let ok = match any_broken {
        true => parsed.lazy().filter(col(BROKEN).not()),
        false => parsed.lazy(),
    }
    .drop(by_name(drop, true, false))
    .with_column(lit(NULL).cast(DataType::UInt32).alias(REASON));
    let checked = checks(ok, &mut reasons)
        .and_then(LazyFrame::collect)
        .map_err(internal)?;
    lap("checked against earlier tables");
    rejected = concat_reasons(rejected, &checked).map_err(internal)?;
    let mut ok = keep_unflagged(checked).map_err(internal)?.lazy();
    let mut index = None;
    if let Some(id) = id_column(spec) {
        let checked = ok.collect().map_err(internal)?;
        let id_index =
            ids::IdIndex::new(checked.column(id).and_then(Column::str).map_err(internal)?);
        let duplicates = id_index.duplicates(
            checked
                .column(ROW)
                .and_then(Column::idx)
                .map_err(internal)?,
        );
        ok = if duplicates.is_empty() {
            // Nothing more is removed: positions in the index are rows.
            index = Some(id_index);
            checked.lazy()
        } else {
            let duplicate = reasons.code(&format!("duplicate {id}"));
            let mut first = vec![None; checked.height()];
            for (position, row) in duplicates {
                first[position as usize] = Some(row);
            }
            let with_dups = checked
                .lazy()
                .with_column(lit(Series::new(FIRST.into(), first)).alias(FIRST))
                .with_column(
                    when(col(FIRST).is_not_null())
                        .then(lit(duplicate))
                        .otherwise(col(REASON))
                        .alias(REASON),
                )
                .collect()
                .map_err(internal)?;
            rejected = concat_reasons(rejected, &with_dups).map_err(internal)?;
            keep_unflagged(with_dups).map_err(internal)?.lazy()
        };
    }

    let mut out: Vec<Expr> = spec
        .columns
        .iter()
        .filter(|c| matched_source.is_none() || Some(source_of(c)) != matched_source)
        .map(|c| col(c.name))
        .collect();
    out.extend(keep.iter().map(|n| col(*n)));
    out.extend(extras.iter().map(|n| col(n.as_str())));
    let frame = ok
        .select(out)
        .collect()
        .and_then(with_defaults)
        .map_err(internal)?;
    lap("duplicates checked");
    let rejected = rejected
        .sort([ROW], Default::default())
        .collect()
        .map_err(internal)?;
    let rows = rejected
        .column(ROW)
        .and_then(Column::idx)
        .map_err(internal)?;
    let as_read = rows_as_read(&reader, &raw, matched_source, rows)?;
    let rejects =
        render_rejects(spec.name, &as_read, &rejected, &reasons, row_offset).map_err(internal)?;

    let mut reasons = BTreeMap::new();
    for r in &rejects {
        *reasons
            .entry(reason_class(&r.reason).to_string())
            .or_insert(0) += 1;
    }
    let (first_date, last_date) = match spec.date_column {
        Some(d) => date_range(&frame, d).map_err(internal)?,
        None => (None, None),
    };
    let report = TableReport {
        table: spec.name,
        files: source.files(),
        source: Some(source.path.clone()),
        format: Some(source.format),
        read: raw.height(),
        accepted: frame.height(),
        rejected: rejects.len(),
        first_date,
        last_date,
        reasons,
    };
    Ok(Loaded {
        frame,
        report,
        rejects,
        index,
    })
}

fn present_name(column: &str) -> String {
    format!("__present_{column}")
}

fn describe_column(name: &str, src: &str) -> String {
    if name == src {
        format!("'{name}'")
    } else {
        format!("'{name}' (mapped from '{src}')")
    }
}

/// The id that must be unique in `spec`'s table, if it has one.
fn id_column(spec: &TableSpec) -> Option<&'static str> {
    match spec.name {
        CUSTOMERS => Some(CUSTOMER_ID),
        INVOICES => Some(INVOICE_ID),
        PAYMENTS => Some(PAYMENT_ID),
        ORDERS => Some(ORDER_ID),
        CREDIT_REQUESTS => Some(REQUEST_ID),
        _ => None,
    }
}

/// `frame` with the contract's defaults filled in (payment terms, the
/// disputed flag), one column at a time. A select of every column with
/// these two as expressions puts all columns in one chunk: at 100k that
/// copied the invoices' text ids (the customer ids about to be dropped,
/// the invoice ids the index copies anyway), ~0.15-0.45 s and ~260 MB of
/// fresh pages.
fn with_defaults(mut frame: DataFrame) -> PolarsResult<DataFrame> {
    for (name, default) in [
        (PAYMENT_TERMS_DAYS, lit(DEFAULT_PAYMENT_TERMS_DAYS)),
        (DISPUTED, lit(false)),
    ] {
        let Some(at) = frame.get_column_index(name) else {
            continue;
        };
        if frame.columns()[at].null_count() == 0 {
            continue;
        }
        let filled = frame
            .select([name])?
            .lazy()
            .select([col(name).fill_null(default)])
            .collect()?;
        frame.replace_column(at, filled.columns()[0].clone())?;
    }
    Ok(frame)
}

/// The row rules of `spec`'s table, in the order they are reported: a
/// condition true where a row breaks it (null counts as not broken), and
/// its reason's code.
fn row_rules(
    spec: &TableSpec,
    date_format: &str,
    settlement: Settlement,
    reasons: &mut Reasons,
) -> Vec<(Expr, u32)> {
    let mut rules: Vec<(Expr, String)> = Vec::new();
    for c in spec.columns {
        let present = col(present_name(c.name));
        if c.required {
            rules.push((present.clone().not(), format!("{} is missing", c.name)));
        }
        if c.kind != Kind::Text {
            let format = if c.kind == Kind::Date {
                format!(" (expected {date_format})")
            } else {
                String::new()
            };
            rules.push((
                present.and(col(c.name).is_null()),
                format!("{} is not a valid {}{format}", c.name, c.kind.describe()),
            ));
        }
    }
    let amount = col(AMOUNT);
    match spec.name {
        CUSTOMERS => {
            rules.push((
                col(CREDIT_LIMIT).lt(lit(0.0)),
                "credit_limit must be >= 0".into(),
            ));
            rules.push((
                col(PAYMENT_TERMS_DAYS).lt(lit(0)),
                "payment_terms_days must be >= 0".into(),
            ));
        }
        INVOICES => {
            rules.push((amount.lt_eq(lit(0.0)), "amount must be > 0".into()));
            rules.push((
                col(DUE_DATE).lt(col(ISSUE_DATE)),
                "due_date before issue_date".into(),
            ));
            if settlement == Settlement::PaidDate {
                rules.push((
                    col(PAID_DATE).lt(col(ISSUE_DATE)),
                    "paid_date before issue_date".into(),
                ));
            }
            rules.push((
                col(WRITTEN_OFF_DATE).lt(col(ISSUE_DATE)),
                "written_off_date before issue_date".into(),
            ));
        }
        PAYMENTS => rules.push((amount.lt_eq(lit(0.0)), "amount must be > 0".into())),
        ORDERS => rules.push((amount.lt(lit(0.0)), "amount must be >= 0".into())),
        CREDIT_REQUESTS => {
            let known = REQUEST_KINDS
                .iter()
                .map(|k| col(KIND).eq(lit(*k)))
                .reduce(|a, b| a.or(b))
                .unwrap();
            rules.push((
                known.not(),
                format!("kind must be one of {}", REQUEST_KINDS.join(", ")),
            ));
            rules.push((
                col(REQUESTED_DAYS).lt(lit(0)),
                "requested_days must be >= 0".into(),
            ));
        }
        EVENTS => {
            rules.push((
                col(SEVERITY).lt(lit(1)).or(col(SEVERITY).gt(lit(5))),
                "severity must be a whole number from 1 to 5".into(),
            ));
            rules.push((
                col(CUSTOMER_ID).is_null().and(col(INDUSTRY).is_null()),
                "event names neither customer_id nor industry".into(),
            ));
        }
        _ => {}
    }
    rules
        .into_iter()
        .map(|(cond, reason)| (cond.fill_null(lit(false)), reasons.code(&reason)))
        .collect()
}

/// True where a row breaks any of `rules` (masks or-ed: cheap on every row).
fn any_rule_broken(rules: &[(Expr, u32)]) -> Expr {
    rules
        .iter()
        .map(|(cond, _)| cond.clone())
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false))
}

/// The code of the first of `rules` a row breaks; null when it breaks none.
fn first_rule_broken(rules: Vec<(Expr, u32)>) -> Expr {
    rules.into_iter().rev().fold(
        lit(NULL).cast(DataType::UInt32),
        |otherwise, (cond, code)| when(cond).then(lit(code)).otherwise(otherwise),
    )
}

fn concat_reasons(rejected: LazyFrame, checked: &DataFrame) -> PolarsResult<LazyFrame> {
    let more = checked
        .clone()
        .lazy()
        .filter(col(REASON).is_not_null())
        .select([
            col(ROW),
            col(REASON),
            if checked.column(FIRST).is_ok() {
                col(FIRST)
            } else {
                lit(NULL).cast(IDX_DTYPE).alias(FIRST)
            },
        ])
        .collect()?;
    concat([rejected, more.lazy()], UnionArgs::default())
}

/// The columns of a table's rejected rows: row, reason code, first row of a duplicate.
fn rejects_schema() -> Schema {
    Schema::from_iter([
        Field::new(ROW.into(), IDX_DTYPE),
        Field::new(REASON.into(), DataType::UInt32),
        Field::new(FIRST.into(), IDX_DTYPE),
    ])
}

/// The rows of `df` no reason rejects: `df` itself when none is rejected
/// (the usual case), so a clean 10M-row table is not copied once per pass.
fn keep_unflagged(df: DataFrame) -> PolarsResult<DataFrame> {
    if df.column(REASON)?.null_count() == df.height() {
        return Ok(df);
    }
    df.lazy().filter(col(REASON).is_null()).collect()
}

/// The reason without its row-specific part, for counting.
fn reason_class(reason: &str) -> &str {
    reason.split(" (first at row").next().unwrap_or(reason)
}

fn first_value(raw: &DataFrame, column: &str) -> Option<String> {
    let s = raw.column(column).ok()?.drop_nulls();
    if s.is_empty() {
        return None;
    }
    Some(any_to_text(&s.get(0).ok()?))
}

fn any_to_text(v: &AnyValue) -> String {
    match v {
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// The `rows` of the table as read, every column in file order: taken from
/// `raw`, and the column `matched` (read and dropped before `raw` was read)
/// read again, when there are rows (only rejected rows are asked for).
fn rows_as_read(
    reader: &source::TableReader,
    raw: &DataFrame,
    matched: Option<&str>,
    rows: &IdxCa,
) -> Result<DataFrame, Error> {
    let picked = raw.take(rows).map_err(internal)?;
    let Some(matched) = matched.filter(|_| !rows.is_empty()) else {
        return Ok(picked);
    };
    let again = reader.read_columns(&[matched])?;
    let again = again.take(rows).map_err(internal)?;
    let mut columns = picked.into_columns();
    columns.extend(again.into_columns());
    let in_file_order: Vec<PlSmallStr> = reader.schema().iter_names().cloned().collect();
    DataFrame::new(rows.len(), columns)
        .and_then(|df| df.select(in_file_order))
        .map_err(internal)
}

/// Builds one [`Reject`] per rejected row from `raw`, those rows as read
/// (in the order of `rejected`).
fn render_rejects(
    table: &'static str,
    raw: &DataFrame,
    rejected: &DataFrame,
    reasons: &Reasons,
    offset: u64,
) -> PolarsResult<Vec<Reject>> {
    if rejected.height() == 0 {
        return Ok(vec![]);
    }
    let rows = rejected.column(ROW)?.idx()?.clone();
    let codes = rejected.column(REASON)?.u32()?.clone();
    let firsts = rejected.column(FIRST)?.idx()?.clone();
    let names = raw.get_column_names_owned();
    let columns = raw.columns();
    let mut out = Vec::with_capacity(raw.height());
    for i in 0..raw.height() {
        let mut json = String::from("{");
        for (j, (name, column)) in names.iter().zip(columns.iter()).enumerate() {
            if j > 0 {
                json.push_str(", ");
            }
            json.push_str(&serde_json::to_string(name.as_str()).expect("string"));
            json.push_str(": ");
            match column.get(i)? {
                AnyValue::Null => json.push_str("null"),
                v => json.push_str(&serde_json::to_string(&any_to_text(&v)).expect("string")),
            }
        }
        json.push('}');
        out.push(Reject {
            table,
            row: rows.get(i).expect("row index") as u64 + offset,
            reason: match (codes.get(i), firsts.get(i)) {
                (Some(code), Some(first)) => format!(
                    "{} (first at row {})",
                    reasons.text(code),
                    first as u64 + offset
                ),
                (Some(code), None) => reasons.text(code).to_string(),
                (None, _) => String::new(),
            },
            raw: json,
        });
    }
    Ok(out)
}

fn date_range(
    df: &DataFrame,
    column: &str,
) -> PolarsResult<(Option<NaiveDate>, Option<NaiveDate>)> {
    let dates = df.column(column)?.date()?.clone();
    let to_date = |d: Option<i32>| d.map(crate::dates::from_days);
    Ok((
        to_date(dates.physical().min()),
        to_date(dates.physical().max()),
    ))
}

/// An empty frame with the declared columns of `spec`, then the derived
/// key columns `keep`.
fn empty_table(spec: &TableSpec, keep: &[&'static str]) -> DataFrame {
    let columns: Vec<Column> = spec
        .columns
        .iter()
        .map(|c| Column::new_empty(c.name.into(), &parse::dtype(c.kind)))
        .chain(
            keep.iter()
                .map(|k| Column::new_empty((*k).into(), &IDX_DTYPE)),
        )
        .collect();
    DataFrame::new(0, columns).expect("empty frame")
}

/// One full payment per invoice on its `paid_date` (no payments table).
fn payments_from_paid_date(invoices: &DataFrame) -> Result<DataFrame, Error> {
    invoices
        .clone()
        .lazy()
        .filter(col(PAID_DATE).is_not_null())
        .select([
            col(PAID_DATE).alias(PAYMENT_DATE),
            col(AMOUNT),
            col(INVOICE_KEY),
        ])
        .collect()
        .map_err(internal)
}

/// Adds [`SETTLED_DATE`]: the first day the invoice's payments, summed in
/// date order, reach its amount within [`SETTLE_TOLERANCE_CENTS`], and
/// [`PAYMENTS_TO_SETTLE`]: how many payments that took. Sums are in whole
/// cents and same-day payments are taken largest first, so the result does
/// not depend on row order.
///
/// Invoice keys are the invoices' row numbers, so payments are bucketed by
/// key with a counting sort (no hashing, no global sort), and each invoice's
/// few payments are settled on their own, in parallel.
fn with_settled_date(invoices: DataFrame, payments: &DataFrame) -> Result<DataFrame, Error> {
    // Validated: no nulls, one chunk (read so, filtered so).
    let amounts = invoices
        .column(AMOUNT)
        .and_then(Column::f64)
        .map_err(internal)?
        .rechunk();
    let paid = PaymentColumns::of(payments).map_err(internal)?;
    let (keys, days, money) = paid.slices().map_err(internal)?;
    let (settled, count) = settle(amounts.cont_slice().map_err(internal)?, keys, days, money);
    // Unsettled invoices: null in both (a count of 0 marks them).
    let valid = Some(count.iter().map(|&n| n > 0).collect());
    let count = Int64Chunked::from_vec_validity(PAYMENTS_TO_SETTLE.into(), count, valid);
    let settled =
        Int32Chunked::from_vec_validity(SETTLED_DATE.into(), settled, count.rechunk_validity())
            .into_column()
            .cast(&DataType::Date)
            .map_err(internal)?;
    let count = count.into_column();
    let mut invoices = invoices;
    invoices
        .with_column(settled)
        .and_then(|df| df.with_column(count))
        .map_err(internal)?;
    // Contract columns, then settled_date, payments_to_settle and
    // invoice_key, then extras.
    let n_contract = INVOICES_SPEC.columns.len();
    let names: Vec<String> = invoices
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .filter(|n| n != INVOICE_KEY && n != SETTLED_DATE && n != PAYMENTS_TO_SETTLE)
        .collect();
    let mut order: Vec<Expr> = names[..n_contract]
        .iter()
        .map(|n| col(n.as_str()))
        .collect();
    order.push(col(SETTLED_DATE));
    order.push(col(PAYMENTS_TO_SETTLE));
    order.push(col(INVOICE_KEY));
    order.extend(names[n_contract..].iter().map(|n| col(n.as_str())));
    invoices.lazy().select(order).collect().map_err(internal)
}

/// A payments table's invoice key, day number and money columns, each in
/// one chunk, to be read as parallel slices.
pub struct PaymentColumns {
    keys: IdxCa,
    days: Int32Chunked,
    money: Float64Chunked,
}

impl PaymentColumns {
    pub fn of(payments: &DataFrame) -> PolarsResult<Self> {
        Ok(Self {
            keys: payments.column(INVOICE_KEY)?.idx()?.rechunk().into_owned(),
            days: payments
                .column(PAYMENT_DATE)?
                .date()?
                .physical()
                .rechunk()
                .into_owned(),
            money: payments.column(AMOUNT)?.f64()?.rechunk().into_owned(),
        })
    }

    /// (invoice key, day, money) of every payment; fails on a null, which
    /// validated payments do not have.
    pub fn slices(&self) -> PolarsResult<(&[IdxSize], &[i32], &[f64])> {
        Ok((
            self.keys.cont_slice()?,
            self.days.cont_slice()?,
            self.money.cont_slice()?,
        ))
    }
}

/// Per invoice key (`amounts[key]`, money): the settlement day and the
/// number of payments it took (0, and day 0, for an invoice not settled),
/// from payments given as parallel slices of invoice key, day number and
/// money (no nulls: validated rows). Money is summed in whole cents.
fn settle(amounts: &[f64], keys: &[IdxSize], days: &[i32], paid: &[f64]) -> (Vec<i32>, Vec<i64>) {
    use crate::exprs::to_cents as cents;
    use rayon::prelude::*;
    // Counting sort of the payments (their positions) by invoice key.
    let mut start = vec![0usize; amounts.len() + 1];
    for &k in keys {
        start[k as usize + 1] += 1;
    }
    for i in 0..amounts.len() {
        start[i + 1] += start[i];
    }
    let mut next = start.clone();
    let mut sorted = vec![0u32; keys.len()];
    for (at, &k) in keys.iter().enumerate() {
        sorted[next[k as usize]] = at as u32;
        next[k as usize] += 1;
    }
    drop(next);
    (0..amounts.len())
        .into_par_iter()
        .map_init(Vec::new, |own: &mut Vec<(i32, i64)>, k| {
            own.clear();
            own.extend(
                sorted[start[k]..start[k + 1]]
                    .iter()
                    .map(|&at| (days[at as usize], cents(paid[at as usize]))),
            );
            own.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            let due = cents(amounts[k]) - SETTLE_TOLERANCE_CENTS;
            let mut sum = 0i64;
            for (i, &(d, p)) in own.iter().enumerate() {
                sum += p;
                if sum >= due {
                    return (d, i as i64 + 1);
                }
            }
            (0, 0)
        })
        .unzip()
}

//! Books as tables: taking one apart and writing it back for ingest.

use std::collections::HashMap;
use std::path::Path;

use earlywarn::config::Config;
use earlywarn::ingest::{read_book, Book};
use earlywarn::output::{write_table, TableFormat};
use earlywarn::schema as s;
use polars::prelude::*;

/// The tables of a book in input shape (ingest's derived settlement left
/// out). The text ids ingest dropped once matched are put back: customer
/// ids looked up by key, invoice ids numbered by key (`I0`, `I1`, ...), and
/// the row ids of payments, orders and requests numbered (`P0`, `O0`, `R0`,
/// ...), unique as ingest wants. The invoices' forecast seeds then differ
/// from the original book's; [`tables_with_invoice_ids`] keeps them.
pub fn tables(book: &Book) -> Vec<(&'static str, DataFrame)> {
    tables_with_invoice_ids(book, &HashMap::new())
}

/// [`tables`], naming each invoice by the original id whose hash is its
/// seed, where `by_seed` (from [`invoice_ids_by_seed`]) holds it.
pub fn tables_with_invoice_ids(
    book: &Book,
    by_seed: &HashMap<u64, String>,
) -> Vec<(&'static str, DataFrame)> {
    let customer_id = ids_by_key(&book.customers, s::CUSTOMER_KEY, s::CUSTOMER_ID);
    let with_customer = |df: &DataFrame| with_id(df, s::CUSTOMER_KEY, s::CUSTOMER_ID, &customer_id);
    let seeds = book
        .invoices
        .column(s::INVOICE_SEED)
        .unwrap()
        .u64()
        .unwrap();
    let keys = book.invoices.column(s::INVOICE_KEY).unwrap().idx().unwrap();
    let invoice_id: HashMap<u32, String> = keys
        .iter()
        .zip(seeds.iter())
        .map(|(k, seed)| {
            let k = k.unwrap();
            let id = seed.and_then(|seed| by_seed.get(&seed).cloned());
            (k, id.unwrap_or_else(|| format!("I{k}")))
        })
        .collect();
    // The id back where ingest put the seed, in the contract's place.
    let mut invoices = with_customer(&book.invoices).drop(s::SETTLED_DATE).unwrap();
    let ids = with_id(&invoices, s::INVOICE_KEY, s::INVOICE_ID, &invoice_id)
        .column(s::INVOICE_ID)
        .unwrap()
        .clone();
    let at = invoices.get_column_index(s::INVOICE_SEED).unwrap();
    invoices.replace_column(at, ids).unwrap();
    vec![
        (s::CUSTOMERS, book.customers.clone()),
        (s::INVOICES, invoices),
        (
            s::PAYMENTS,
            numbered(
                &with_id(&book.payments, s::INVOICE_KEY, s::INVOICE_ID, &invoice_id),
                s::PAYMENT_ID,
                "P",
            ),
        ),
        (
            s::ORDERS,
            numbered(&with_customer(&book.orders), s::ORDER_ID, "O"),
        ),
        (
            s::CREDIT_REQUESTS,
            numbered(&with_customer(&book.credit_requests), s::REQUEST_ID, "R"),
        ),
        (s::EVENTS, with_customer(&book.events)),
    ]
}

/// The invoice ids of an input folder's `invoices.csv`, by their seed.
pub fn invoice_ids_by_seed(input: &Path) -> HashMap<u64, String> {
    let df = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(input.join("invoices.csv")))
        .unwrap()
        .finish()
        .unwrap();
    df.column(s::INVOICE_ID)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(|id| (earlywarn::ingest::invoice_seed(id), id.to_string()))
        .collect()
}

/// Text id by key, from a table holding both.
fn ids_by_key(df: &DataFrame, key: &str, id: &str) -> HashMap<u32, String> {
    let keys = df.column(key).unwrap().idx().unwrap();
    let ids = df.column(id).unwrap().str().unwrap();
    keys.iter()
        .zip(ids.iter())
        .filter_map(|(k, id)| Some((k?, id?.to_string())))
        .collect()
}

/// `df` with the text column `id` of each row's `key` (null without one).
fn with_id(df: &DataFrame, key: &str, id: &str, by_key: &HashMap<u32, String>) -> DataFrame {
    let texts: Vec<Option<&str>> = df
        .column(key)
        .unwrap()
        .idx()
        .unwrap()
        .iter()
        .map(|k| k.and_then(|k| by_key.get(&k)).map(String::as_str))
        .collect();
    let mut df = df.clone();
    df.with_column(Column::new(id.into(), texts)).unwrap();
    df
}

/// `df` with a unique row id `prefix` + row number as `id`.
fn numbered(df: &DataFrame, id: &str, prefix: &str) -> DataFrame {
    let ids: Vec<String> = (0..df.height()).map(|i| format!("{prefix}{i}")).collect();
    let mut df = df.clone();
    df.with_column(Column::new(id.into(), ids)).unwrap();
    df
}

/// Writes the tables as Parquet into `dir` and reads them back.
pub fn write_book(parts: Vec<(&'static str, DataFrame)>, dir: &Path) -> Book {
    for (table, mut df) in parts {
        write_table(&mut df, dir, table, TableFormat::Parquet).unwrap();
    }
    read_book(dir, &Config::default()).unwrap().0
}

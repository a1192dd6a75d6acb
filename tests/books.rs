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
/// and invoice ids looked up by key, and the row ids of payments, orders
/// and requests numbered (`P0`, `O0`, `R0`, ...), unique as ingest wants.
pub fn tables(book: &Book) -> Vec<(&'static str, DataFrame)> {
    let customer_id = ids_by_key(&book.customers, s::CUSTOMER_KEY, s::CUSTOMER_ID);
    let invoice_id = ids_by_key(&book.invoices, s::INVOICE_KEY, s::INVOICE_ID);
    let with_customer = |df: &DataFrame| with_id(df, s::CUSTOMER_KEY, s::CUSTOMER_ID, &customer_id);
    vec![
        (s::CUSTOMERS, book.customers.clone()),
        (
            s::INVOICES,
            with_customer(&book.invoices).drop(s::SETTLED_DATE).unwrap(),
        ),
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

//! Books as tables: taking one apart and writing it back for ingest.

use std::path::Path;

use earlywarn::config::Config;
use earlywarn::ingest::{read_book, Book};
use earlywarn::output::{write_table, TableFormat};
use earlywarn::schema as s;
use polars::prelude::*;

/// The tables of a book in input shape (ingest's derived settlement left out).
pub fn tables(book: &Book) -> Vec<(&'static str, DataFrame)> {
    vec![
        (s::CUSTOMERS, book.customers.clone()),
        (
            s::INVOICES,
            book.invoices.clone().drop(s::SETTLED_DATE).unwrap(),
        ),
        (s::PAYMENTS, book.payments.clone()),
        (s::ORDERS, book.orders.clone()),
        (s::CREDIT_REQUESTS, book.credit_requests.clone()),
        (s::EVENTS, book.events.clone()),
    ]
}

/// Writes the tables as Parquet into `dir` and reads them back.
pub fn write_book(parts: Vec<(&'static str, DataFrame)>, dir: &Path) -> Book {
    for (table, mut df) in parts {
        write_table(&mut df, dir, table, TableFormat::Parquet).unwrap();
    }
    read_book(dir, &Config::default()).unwrap().0
}

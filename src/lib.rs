//! earlywarn: a nightly batch pipeline for B2B credit risk and early warning.
//!
//! Data flows one way (see `ARCHITECTURE.md`):
//! [`ingest`] (read and validate the book) -> features -> model -> actions ->
//! [`output`] (the only place that writes). [`generate`] makes synthetic
//! books in the input shape. Column names live in [`schema`], settings in
//! [`config`], exit-code errors in [`error`].

pub mod actions;
pub mod config;
pub mod dates;
pub mod error;
pub mod exprs;
pub mod features;
pub mod generate;
pub mod ingest;
pub mod model;
pub mod nightly;
pub mod output;
pub mod progress;
pub mod report;
pub mod schema;

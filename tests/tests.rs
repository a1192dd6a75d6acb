//! One integration-test binary (one link of Polars, not one per file).

mod books;
mod workdir;

mod features_fixture;
mod features_time;
mod generator;
mod ingest_formats;
mod model;
mod report;
mod run_cli;
mod validate_cli;

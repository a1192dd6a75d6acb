//! One integration-test binary (one link of Polars, not one per file).

mod workdir;

mod generator;
mod ingest_formats;
mod validate_cli;

//! One integration-test binary (one link of Polars, not one per file).

mod workdir;

mod features_fixture;
mod features_time;
mod generator;
mod ingest_formats;
mod model;
mod validate_cli;

//! The scorecard model, from labelled snapshots to scores.
//!
//! - [`binning`]: monotone bins, weight of evidence, information value;
//! - [`fit`]: the logistic fit (linfa-logistic), the one ndarray crossing;
//! - [`metrics`]: AUC, KS, Gini, Brier, log loss, calibration, capture;
//! - [`train`]: selection, hold-out validation and the shipped fit;
//! - [`scorecard`]: the artifact's contents, scaling and bands;
//! - [`artifact`]: the artifact on disk (format version, content hash);
//! - [`score`] and [`reasons`]: pd, points, band and plain-language reasons;
//! - [`matrix`]: the one place model code reads a Polars frame.

pub mod artifact;
pub mod binning;
pub mod fit;
pub mod matrix;
pub mod metrics;
pub mod psi;
pub mod reasons;
pub mod score;
pub mod scorecard;
pub mod train;

pub use scorecard::Scorecard;

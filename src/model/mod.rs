//! The scorecard model. So far: monotone WoE binning ([`binning`]), the
//! logistic fit ([`fit`]) and validation metrics ([`metrics`]); scaling,
//! reason codes, the artifact and `train` land with issue #4.

pub mod binning;
pub mod fit;
pub mod metrics;

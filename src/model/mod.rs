//! The scorecard model. So far: monotone WoE binning ([`binning`]) and
//! validation metrics ([`metrics`]); fitting, scaling, reason codes and the
//! artifact land with issue #4.

pub mod binning;
pub mod metrics;

//! The TOML configuration: what a user may set, with defaults.
//!
//! Every section denies unknown keys, so a misspelt key is an error naming the
//! key, not a silently ignored setting. `earlywarn` with no `--config` uses
//! [`Config::default`]. `docs/config.md` documents every key.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::actions::escalation::EscalationConfig;
pub use crate::actions::forecast::ForecastConfig;
pub use crate::actions::limits::LimitsConfig;
use crate::error::Error;
use crate::model::scorecard::{Bands, Scaling};
use crate::schema::TABLES;

/// The default configuration as commented TOML (`earlywarn config`);
/// a test checks that it parses to [`Config::default`].
pub const DEFAULT_TOML: &str = include_str!("default-config.toml");

/// The whole configuration file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// How input files are found and read (`[input]`).
    pub input: InputConfig,
    /// How `earlywarn train` builds the scorecard (`[train]`).
    pub train: TrainConfig,
    /// The collection ladder (`[escalation]`).
    pub escalation: EscalationConfig,
    /// Credit-limit rules (`[limits]`).
    pub limits: LimitsConfig,
    /// The cash forecast (`[forecast]`).
    pub forecast: ForecastConfig,
}

/// `[train]`: snapshots, binning, selection, fit, scaling and bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Months between training snapshots (month ends). Default 1.
    pub step_months: u32,
    /// The latest labelled snapshots held out for validation, in months.
    /// Default 3.
    pub holdout_months: u32,
    /// Quantile pre-bins per feature before merging. Default 20.
    pub max_prebins: usize,
    /// Smallest share of non-missing rows a bin may hold. Default 0.05.
    pub min_bin_share: f64,
    /// Features with a lower information value are dropped. Default 0.02.
    pub min_iv: f64,
    /// Of two features whose WoE columns correlate more than this
    /// (absolute), the one with the lower IV is dropped. Default 0.8.
    pub max_correlation: f64,
    /// L2 strength on the coefficients (scikit-learn's 1/C). Default 1.0.
    pub l2: f64,
    /// Feature -> `ascending` (more is riskier), `descending` (more is
    /// safer) or `data` (read the direction from the data). Overrides the
    /// built-in domain directions (`model::train::default_direction`).
    pub directions: BTreeMap<String, DirectionSetting>,
    /// Points scaling (`[train.scaling]`).
    pub scaling: Scaling,
    /// PD thresholds of the risk bands (`[train.bands]`).
    pub bands: Bands,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            step_months: 1,
            holdout_months: 3,
            max_prebins: 20,
            min_bin_share: 0.05,
            min_iv: 0.02,
            max_correlation: 0.8,
            l2: 1.0,
            directions: BTreeMap::new(),
            scaling: Scaling::default(),
            bands: Bands::default(),
        }
    }
}

/// A configured binning direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectionSetting {
    Ascending,
    Descending,
    Data,
}

/// `[input]`: reading an export as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputConfig {
    /// CSV field separator, one ASCII character. Default `,`.
    pub delimiter: String,
    /// chrono `strftime` format of dates in CSV text. Default `%Y-%m-%d` (ISO).
    pub date_format: String,
    /// Largest share of a table's rows that may be rejected before the run
    /// fails with exit code 3. Default `0.05` (5%).
    pub max_reject_share: f64,
    /// Extra spellings of true and false (any case), on top of the contract's
    /// `true/false`, `1/0`, `yes/no`, `t/f`: e.g. `["y", "j"]` and `["n"]`.
    pub true_values: Vec<String>,
    pub false_values: Vec<String>,
    /// Per-table overrides, keyed by contract table name (`[input.tables.invoices]`).
    pub tables: BTreeMap<String, TableMapping>,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            delimiter: ",".into(),
            date_format: "%Y-%m-%d".into(),
            max_reject_share: 0.05,
            true_values: vec![],
            false_values: vec![],
            tables: BTreeMap::new(),
        }
    }
}

/// `[input.tables.<table>]`: how one table is named and spelt in the export.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TableMapping {
    /// File or folder name inside the input folder (default `<table>.csv`,
    /// `<table>.parquet` or `<table>/`).
    pub file: Option<String>,
    /// CSV separator for this file only.
    pub delimiter: Option<String>,
    /// Date format for this file only.
    pub date_format: Option<String>,
    /// Contract column name -> column name in the export.
    pub columns: BTreeMap<String, String>,
}

/// The reading settings of one table, with table overrides applied.
#[derive(Debug, Clone)]
pub struct TableReadSettings {
    pub file: Option<String>,
    pub delimiter: u8,
    pub date_format: String,
    /// Contract column name -> export column name.
    pub columns: BTreeMap<String, String>,
    /// Lower-case spellings read as true / false (contract ones first).
    pub true_values: Vec<String>,
    pub false_values: Vec<String>,
}

impl Config {
    /// Reads and checks a TOML file. Errors (exit code 2) name the file and
    /// the offending key.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Input {
            file: path.display().to_string(),
            message: format!("cannot read config: {e}"),
        })?;
        let config: Config = toml::from_str(&text).map_err(|e| Error::Input {
            file: path.display().to_string(),
            message: format!("invalid config: {}", e.message().trim()),
        })?;
        config.check().map_err(|message| Error::Input {
            file: path.display().to_string(),
            message,
        })?;
        Ok(config)
    }

    /// Loads `path` if given, else the defaults.
    pub fn load_or_default(path: Option<&Path>) -> Result<Config, Error> {
        match path {
            Some(p) => Config::load(p),
            None => Ok(Config::default()),
        }
    }

    /// Checks values serde cannot: ranges, known table and column names.
    pub fn check(&self) -> Result<(), String> {
        let input = &self.input;
        parse_delimiter(&input.delimiter).map_err(|e| format!("input.delimiter: {e}"))?;
        if !(0.0..=1.0).contains(&input.max_reject_share) {
            return Err(format!(
                "input.max_reject_share must be between 0 and 1, got {}",
                input.max_reject_share
            ));
        }
        let clash: Vec<&String> = input
            .true_values
            .iter()
            .filter(|t| input.false_values.iter().any(|f| f.eq_ignore_ascii_case(t)))
            .collect();
        if !clash.is_empty() {
            return Err(format!(
                "input.true_values and input.false_values share {clash:?}"
            ));
        }
        self.check_train()?;
        self.escalation
            .check()
            .map_err(|e| format!("escalation: {e}"))?;
        self.limits.check().map_err(|e| format!("limits: {e}"))?;
        self.forecast
            .check()
            .map_err(|e| format!("forecast: {e}"))?;
        for (table, mapping) in &input.tables {
            let Some(spec) = TABLES.iter().find(|t| t.name == table) else {
                let known: Vec<_> = TABLES.iter().map(|t| t.name).collect();
                return Err(format!(
                    "input.tables.{table}: unknown table (known: {})",
                    known.join(", ")
                ));
            };
            if let Some(d) = &mapping.delimiter {
                parse_delimiter(d).map_err(|e| format!("input.tables.{table}.delimiter: {e}"))?;
            }
            for column in mapping.columns.keys() {
                if spec.column(column).is_none() {
                    let known: Vec<_> = spec.columns.iter().map(|c| c.name).collect();
                    return Err(format!(
                        "input.tables.{table}.columns.{column}: not a column of {table} (known: {})",
                        known.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_train(&self) -> Result<(), String> {
        let t = &self.train;
        if t.step_months == 0 {
            return Err("train.step_months must be at least 1".into());
        }
        if !(0.0..0.5).contains(&t.min_bin_share) {
            return Err(format!(
                "train.min_bin_share must be in [0, 0.5), got {}",
                t.min_bin_share
            ));
        }
        if !(t.max_correlation > 0.0 && t.max_correlation <= 1.0) {
            return Err(format!(
                "train.max_correlation must be in (0, 1], got {}",
                t.max_correlation
            ));
        }
        if !(t.l2 >= 0.0 && t.min_iv >= 0.0 && t.max_prebins >= 1) {
            return Err("train.l2 and train.min_iv must be >= 0, train.max_prebins >= 1".into());
        }
        for feature in t.directions.keys() {
            if !crate::features::FEATURES.contains(&feature.as_str()) {
                return Err(format!(
                    "train.directions.{feature}: not a feature (see docs/features.md)"
                ));
            }
        }
        t.scaling
            .check()
            .map_err(|e| format!("train.scaling: {e}"))?;
        t.bands.check().map_err(|e| format!("train.bands: {e}"))?;
        Ok(())
    }

    /// The reading settings for `table`, table overrides over `[input]` defaults.
    pub fn table_settings(&self, table: &str) -> TableReadSettings {
        let input = &self.input;
        let mapping = input.tables.get(table).cloned().unwrap_or_default();
        let delimiter = mapping.delimiter.as_deref().unwrap_or(&input.delimiter);
        TableReadSettings {
            file: mapping.file,
            // Checked in `check`; a bad value cannot reach here from `load`.
            delimiter: parse_delimiter(delimiter).unwrap_or(b','),
            date_format: mapping
                .date_format
                .unwrap_or_else(|| input.date_format.clone()),
            columns: mapping.columns,
            true_values: words(&["true", "1", "yes", "t"], &input.true_values),
            false_values: words(&["false", "0", "no", "f"], &input.false_values),
        }
    }
}

fn words(contract: &[&str], extra: &[String]) -> Vec<String> {
    let mut v: Vec<String> = contract.iter().map(|w| w.to_string()).collect();
    v.extend(extra.iter().map(|w| w.trim().to_lowercase()));
    v
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    let s = if s == "\\t" { "\t" } else { s };
    match s.as_bytes() {
        [b] if b.is_ascii() => Ok(*b),
        _ => Err(format!("must be one ASCII character, got {s:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let err = toml::from_str::<Config>("[input]\ndelimeter = ';'\n").unwrap_err();
        assert!(err.to_string().contains("delimeter"), "{err}");
    }

    #[test]
    fn table_overrides_fall_back_to_input_defaults() {
        let config: Config = toml::from_str(
            "[input]\ndelimiter = ';'\n[input.tables.invoices]\ndate_format = '%m/%d/%Y'\n",
        )
        .unwrap();
        config.check().unwrap();
        let inv = config.table_settings("invoices");
        assert_eq!(inv.delimiter, b';');
        assert_eq!(inv.date_format, "%m/%d/%Y");
        let cust = config.table_settings("customers");
        assert_eq!(cust.date_format, "%Y-%m-%d");
    }

    #[test]
    fn check_rejects_unknown_table_and_column() {
        let c: Config = toml::from_str("[input.tables.invoice]\nfile = 'x.csv'\n").unwrap();
        assert!(c.check().unwrap_err().contains("unknown table"));
        let c: Config =
            toml::from_str("[input.tables.invoices.columns]\ninvoice_no = 'DocNo'\n").unwrap();
        assert!(c.check().unwrap_err().contains("not a column of invoices"));
        let c: Config = toml::from_str("[input]\nmax_reject_share = 1.5\n").unwrap();
        assert!(c.check().unwrap_err().contains("between 0 and 1"));
        let c: Config = toml::from_str("[input]\ndelimiter = ';;'\n").unwrap();
        assert!(c.check().unwrap_err().contains("one ASCII character"));
    }

    #[test]
    fn train_section_parses_and_is_checked() {
        // The example in docs/config.md.
        let c: Config = toml::from_str(
            "[train]\nholdout_months = 6\nmin_iv = 0.05\n\
             directions = { order_amount_log_ratio = \"descending\", tenure_days = \"data\" }\n\
             [train.bands]\na = 0.01\nb = 0.03\nc = 0.08\nd = 0.25\n",
        )
        .unwrap();
        c.check().unwrap();
        assert_eq!(c.train.holdout_months, 6);
        assert_eq!(c.train.bands.band(0.02), "B");
        assert_eq!(c.train.scaling.base_score, 600.0);
        assert_eq!(
            c.train.directions.get("tenure_days"),
            Some(&DirectionSetting::Data)
        );
        let c: Config = toml::from_str("[train.bands]\na = 0.3\n").unwrap();
        assert!(c.check().unwrap_err().contains("train.bands"));
        let c: Config = toml::from_str("[train.directions]\ntenure = \"data\"\n").unwrap();
        assert!(c.check().unwrap_err().contains("not a feature"));
        assert!(toml::from_str::<Config>("[train]\nmin_ivv = 1\n").is_err());
    }

    #[test]
    fn action_sections_parse_and_are_checked() {
        let c: Config = toml::from_str(
            "[escalation]\nlegal_min_overdue = 20000.0\n[escalation.service_days]\nphone_call = 3\n\
             [limits]\nincrease_pct = 10.0\n[forecast]\nsimulations = 200\n",
        )
        .unwrap();
        c.check().unwrap();
        assert_eq!(c.escalation.service_days.phone_call, 3);
        assert_eq!(c.escalation.service_days.reminder_email, 1);
        assert_eq!(c.limits.round_to, 1000.0);
        let c: Config = toml::from_str("[escalation]\nphone_max_dpd = 10\n").unwrap();
        assert!(c.check().unwrap_err().contains("escalation"));
        let c: Config = toml::from_str("[forecast]\nsimulations = 1\n").unwrap();
        assert!(c.check().unwrap_err().contains("forecast"));
        assert!(toml::from_str::<Config>("[limits]\nround = 5\n").is_err());
    }

    #[test]
    fn the_printed_default_config_is_the_default() {
        let printed: Config = toml::from_str(DEFAULT_TOML).unwrap();
        assert_eq!(printed, Config::default());
        printed.check().unwrap();
    }
}

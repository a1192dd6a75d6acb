//! Turning raw columns into typed ones, one [`Kind`] at a time.
//!
//! A raw column is whatever the file held: text from CSV, or a Parquet type.
//! [`parse`] returns the typed expression, or an error when the raw type can
//! never hold that kind (a Parquet boolean where a date belongs: the whole
//! column is wrong, exit code 2). A single unparseable value becomes null, and
//! [`present`] tells such a null apart from an empty cell.

use polars::prelude::*;

use crate::config::TableReadSettings;
use crate::schema::Kind;

/// The declared type of a parsed column of this kind.
pub fn dtype(kind: Kind) -> DataType {
    match kind {
        Kind::Text => DataType::String,
        Kind::Number => DataType::Float64,
        Kind::Integer => DataType::Int64,
        Kind::Date => DataType::Date,
        Kind::Bool => DataType::Boolean,
    }
}

/// True when `raw` is text with no blank value and no value that starts or
/// ends with whitespace: then it needs no trimming, and a cell is present
/// exactly when it is not null. Checked once per column, in one pass (its
/// chunks in parallel): on millions of ids this saves two string copies per
/// column.
pub fn is_clean_text(raw: &Column) -> bool {
    use rayon::prelude::*;
    let Ok(text) = raw.str() else {
        return false;
    };
    let chunks: Vec<_> = text.downcast_iter().collect();
    chunks
        .into_par_iter()
        .all(|chunk| chunk.iter().flatten().all(trimmed_and_not_blank))
}

/// Neither empty nor starting or ending with whitespace (Unicode's).
fn trimmed_and_not_blank(v: &str) -> bool {
    let mut chars = v.chars();
    match (chars.next(), chars.next_back()) {
        (Some(first), Some(last)) => !first.is_whitespace() && !last.is_whitespace(),
        // One character: first and last.
        (Some(only), None) => !only.is_whitespace(),
        _ => false,
    }
}

/// True where the raw cell holds something (not null, not blank text).
/// `clean`: the column passed [`is_clean_text`].
pub fn present(raw: Expr, raw_dtype: &DataType, clean: bool) -> Expr {
    if raw_dtype.is_string() && !clean {
        raw.str()
            .strip_chars(lit(NULL))
            .str()
            .len_chars()
            .gt(lit(0))
            .fill_null(lit(false))
    } else {
        raw.is_not_null()
    }
}

/// Blank text as null, other text trimmed (nothing to do when `clean`).
fn trimmed(raw: Expr, clean: bool) -> Expr {
    if clean {
        return raw;
    }
    let t = raw.str().strip_chars(lit(NULL));
    when(t.clone().str().len_chars().eq(lit(0)))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(t)
}

/// A finite float, else null (text like `NaN` or `inf` is no amount).
fn finite(x: Expr) -> Expr {
    when(x.clone().abs().lt(lit(f64::INFINITY)))
        .then(x)
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// The typed expression for `raw` read as `kind`; `Err` names the raw type
/// when it cannot hold that kind at all. `clean`: the column passed
/// [`is_clean_text`].
pub fn parse(
    raw: Expr,
    raw_dtype: &DataType,
    kind: Kind,
    settings: &TableReadSettings,
    clean: bool,
) -> Result<Expr, String> {
    let wrong = || Err(format!("holds {raw_dtype}, not a {}", kind.describe()));
    let is_text = raw_dtype.is_string();
    Ok(match kind {
        Kind::Text => {
            if is_text {
                trimmed(raw, clean)
            } else if raw_dtype.is_primitive_numeric()
                || matches!(raw_dtype, DataType::Categorical(..) | DataType::Enum(..))
            {
                raw.cast(DataType::String)
            } else {
                return wrong();
            }
        }
        Kind::Number | Kind::Integer => {
            let number = if is_text {
                finite(trimmed(raw, clean).cast(DataType::Float64))
            } else if raw_dtype.is_primitive_numeric() || raw_dtype.is_decimal() {
                finite(raw.cast(DataType::Float64))
            } else {
                return wrong();
            };
            if kind == Kind::Integer {
                when(number.clone().eq(number.clone().floor()))
                    .then(number.cast(DataType::Int64))
                    .otherwise(lit(NULL).cast(DataType::Int64))
            } else {
                number
            }
        }
        Kind::Date => match raw_dtype {
            DataType::String => trimmed(raw, clean).str().to_date(StrptimeOptions {
                format: Some(settings.date_format.as_str().into()),
                strict: false,
                exact: true,
                cache: true,
            }),
            DataType::Date => raw,
            DataType::Datetime(..) => raw.cast(DataType::Date),
            _ => return wrong(),
        },
        Kind::Bool => match raw_dtype {
            DataType::String => {
                let t = trimmed(raw, clean).str().to_lowercase();
                let any_of = |words: &[String]| {
                    words
                        .iter()
                        .map(|w| t.clone().eq(lit(w.as_str())))
                        .reduce(|a, b| a.or(b))
                        .unwrap()
                };
                when(any_of(&settings.true_values))
                    .then(lit(true))
                    .when(any_of(&settings.false_values))
                    .then(lit(false))
                    .otherwise(lit(NULL).cast(DataType::Boolean))
            }
            DataType::Boolean => raw,
            d if d.is_integer() => when(raw.clone().eq(lit(1)))
                .then(lit(true))
                .when(raw.eq(lit(0)))
                .then(lit(false))
                .otherwise(lit(NULL).cast(DataType::Boolean)),
            _ => return wrong(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(fmt: &str) -> TableReadSettings {
        let mut s = crate::config::Config::default().table_settings("invoices");
        s.date_format = fmt.into();
        s
    }

    fn run(values: &[Option<&str>], kind: Kind, fmt: &str) -> Series {
        let df = df!("x" => values.to_vec()).unwrap();
        let expr = parse(col("x"), &DataType::String, kind, &settings(fmt), false).unwrap();
        df.lazy()
            .select([expr.alias("x")])
            .collect()
            .unwrap()
            .column("x")
            .unwrap()
            .as_materialized_series()
            .clone()
    }

    #[test]
    fn booleans_accept_every_contract_spelling() {
        let s = run(
            &[
                Some("TRUE"),
                Some("f"),
                Some(" Yes "),
                Some("0"),
                Some("1"),
                Some("No"),
                Some("maybe"),
                None,
            ],
            Kind::Bool,
            "",
        );
        let got: Vec<Option<bool>> = s.bool().unwrap().iter().collect();
        assert_eq!(
            got,
            vec![
                Some(true),
                Some(false),
                Some(true),
                Some(false),
                Some(true),
                Some(false),
                None,
                None
            ]
        );
    }

    #[test]
    fn numbers_reject_non_finite_and_integers_reject_fractions() {
        let s = run(
            &[
                Some(" 12.5 "),
                Some("NaN"),
                Some("inf"),
                Some("abc"),
                Some("-3"),
            ],
            Kind::Number,
            "",
        );
        let got: Vec<Option<f64>> = s.f64().unwrap().iter().collect();
        assert_eq!(got, vec![Some(12.5), None, None, None, Some(-3.0)]);
        let s = run(&[Some("30"), Some("30.0"), Some("30.5")], Kind::Integer, "");
        let got: Vec<Option<i64>> = s.i64().unwrap().iter().collect();
        assert_eq!(got, vec![Some(30), Some(30), None]);
    }

    #[test]
    fn dates_follow_the_configured_format_exactly() {
        let s = run(
            &[Some("2024-02-29"), Some("2024-02-30"), Some("03/01/2024")],
            Kind::Date,
            "%Y-%m-%d",
        );
        assert_eq!(s.null_count(), 2);
        let s = run(&[Some("03/01/2024")], Kind::Date, "%m/%d/%Y");
        let d = s.cast(&DataType::String).unwrap();
        assert_eq!(d.str().unwrap().get(0), Some("2024-03-01"));
    }

    #[test]
    fn clean_text_is_text_without_blanks_or_outer_whitespace() {
        let clean =
            |values: &[Option<&str>]| is_clean_text(&Column::new("x".into(), values.to_vec()));
        assert!(clean(&[Some("C001"), None, Some("a b")]));
        assert!(!clean(&[Some("C001"), Some(" C002")]));
        assert!(!clean(&[Some("C001\t")]));
        assert!(!clean(&[Some("")]));
        assert!(!clean(&[Some("\u{a0}x")]));
        // One character is its own first and last.
        assert!(clean(&[Some("C")]));
        assert!(!clean(&[Some(" ")]));
        // Every chunk is looked at: a blank in the second one counts.
        let mut chunked = StringChunked::new("x".into(), [Some("C001")]);
        chunked
            .append(&StringChunked::new("x".into(), [Some("C002 ")]))
            .unwrap();
        assert_eq!(chunked.chunks().len(), 2);
        assert!(!is_clean_text(&chunked.into_column()));
        assert!(!is_clean_text(&Column::new("x".into(), [1i64])));
        // A clean column parses to the same values as the trimming path.
        let df = df!("x" => [Some("C001"), None, Some("a b")]).unwrap();
        let s = &settings("%Y-%m-%d");
        let both = df
            .lazy()
            .select([
                parse(col("x"), &DataType::String, Kind::Text, s, true)
                    .unwrap()
                    .alias("fast"),
                parse(col("x"), &DataType::String, Kind::Text, s, false)
                    .unwrap()
                    .alias("slow"),
                present(col("x"), &DataType::String, true).alias("pf"),
                present(col("x"), &DataType::String, false).alias("ps"),
            ])
            .collect()
            .unwrap();
        assert!(both
            .column("fast")
            .unwrap()
            .equals_missing(both.column("slow").unwrap()));
        assert!(both
            .column("pf")
            .unwrap()
            .equals_missing(both.column("ps").unwrap()));
    }

    #[test]
    fn a_parquet_type_that_cannot_hold_the_kind_is_an_error() {
        let err = parse(
            col("x"),
            &DataType::Boolean,
            Kind::Date,
            &settings("%Y-%m-%d"),
            false,
        )
        .unwrap_err();
        assert!(err.contains("not a date"), "{err}");
    }
}

//! From Polars frames to plain vectors: the one place model code reads a
//! DataFrame (and [`super::fit`] the one place vectors become ndarray).

use polars::prelude::*;

/// Columns as `f64` (integers and booleans cast), nulls as `None`, in the
/// order of `names`; converted in parallel.
pub fn float_columns(df: &DataFrame, names: &[&str]) -> PolarsResult<Vec<Vec<Option<f64>>>> {
    use rayon::prelude::*;
    names
        .par_iter()
        .map(|name| {
            let c = df.column(name)?.cast(&DataType::Float64)?;
            Ok(c.f64()?.iter().collect())
        })
        .collect()
}

/// A boolean column, nulls as `None`.
pub fn bool_column(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<bool>>> {
    Ok(df.column(name)?.bool()?.iter().collect())
}

/// A date column as days since 1970-01-01.
pub fn day_column(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i32>>> {
    Ok(df.column(name)?.date()?.physical().iter().collect())
}

/// A text column.
pub fn str_column(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|s| s.map(str::to_string))
        .collect())
}

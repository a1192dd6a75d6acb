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

/// A numeric column in 9 bytes a value (an `Option<f64>` takes 16): the
/// training rows of 100k customers x 36 months are ~2.9M x 45 of these.
pub struct FloatColumn {
    values: Vec<f64>,
    present: Vec<bool>,
}

impl FloatColumn {
    /// The value of row `r`, `None` where it was null.
    pub fn get(&self, r: usize) -> Option<f64> {
        self.present[r].then(|| self.values[r])
    }
}

impl FloatColumn {
    /// An empty column with room for `rows` values (room never written to
    /// costs no memory pages).
    pub fn with_capacity(rows: usize) -> FloatColumn {
        FloatColumn {
            values: Vec::with_capacity(rows),
            present: Vec::with_capacity(rows),
        }
    }
}

/// Appends the rows of `df` where `keep` is true to `out`, one
/// [`FloatColumn`] per name (integers and booleans cast), in the order of
/// `names`. `df` is taken: each column is released once converted, so the
/// frame and its vectors are never held whole side by side. Converted in
/// parallel.
pub fn append_float_columns_where(
    mut df: DataFrame,
    names: &[&str],
    keep: &[bool],
    out: &mut [FloatColumn],
) -> PolarsResult<()> {
    use rayon::prelude::*;
    assert_eq!(names.len(), out.len(), "a column to append to per name");
    let columns = names
        .iter()
        .map(|name| df.drop_in_place(name))
        .collect::<PolarsResult<Vec<Column>>>()?;
    drop(df);
    columns.into_par_iter().zip(out).try_for_each(|(c, out)| {
        let c = c.cast(&DataType::Float64)?;
        for (v, _) in c.f64()?.iter().zip(keep).filter(|(_, k)| **k) {
            out.values.push(v.unwrap_or(0.0));
            out.present.push(v.is_some());
        }
        Ok(())
    })
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

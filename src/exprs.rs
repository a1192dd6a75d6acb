//! One-line Polars expression helpers shared by the stages.

use polars::prelude::*;

/// A money column as whole cents (`i64`): exact sums whatever the row order.
pub fn cents(column: &str) -> Expr {
    (col(column) * lit(100.0))
        .round(0, RoundMode::HalfAwayFromZero)
        .cast(DataType::Int64)
}

/// Cents back to money (`f64`).
pub fn money(cents: Expr) -> Expr {
    cents.cast(DataType::Float64) / lit(100.0)
}

/// A date column as its day number (days since 1970-01-01, `i32`).
pub fn day(column: &str) -> Expr {
    col(column).cast(DataType::Int32)
}

/// `x` where positive, else 0.
pub fn positive(x: Expr) -> Expr {
    when(x.clone().gt(lit(0))).then(x).otherwise(lit(0))
}

/// True where `column`'s day lies in the trailing window `(on - days, on]`.
pub fn in_window(column: &str, on: i32, days: i32) -> Expr {
    day(column)
        .gt(lit(on - days))
        .and(day(column).lt_eq(lit(on)))
}

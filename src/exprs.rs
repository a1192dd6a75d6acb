//! One-line Polars expression helpers shared by the stages.

use polars::prelude::*;

/// A money column as whole cents (`i64`): exact sums whatever the row order.
/// The value times 100, rounded half away from zero, as Polars'
/// `(x * 100).round(0, HalfAwayFromZero).cast(Int64)` gives it (amounts are
/// finite, see ingest), but in one pass with one buffer: on 8.4M invoices
/// the three-step expression took 0.2 s, most of it faulting in fresh
/// memory for each step.
pub fn cents(column: &str) -> Expr {
    use polars::chunked_array::ops::arity::unary_elementwise_values;
    col(column).map(
        |c| {
            let money = c.cast(&DataType::Float64)?;
            let cents: Int64Chunked = unary_elementwise_values(money.f64()?, to_cents);
            Ok(cents.into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Int64)),
    )
}

/// One amount as whole cents, as [`cents`] converts a column (for code that
/// reads money columns as slices): `(money * 100.0).round() as i64`, for
/// every input (tested), without `f64::round`, which the baseline x86-64
/// target has no instruction for and calls libm's `round` (~1.3% of a 100k
/// `run`'s CPU, session 14). The truncating cast is one instruction; the
/// remainder it leaves is exact below 2^53, where a rounded value differs
/// from its truncation, and 0 above, where values are whole.
#[inline]
pub fn to_cents(money: f64) -> i64 {
    let scaled = money * 100.0;
    let whole = scaled as i64;
    let rest = scaled - whole as f64;
    if rest >= 0.5 {
        whole.saturating_add(1)
    } else if rest <= -0.5 {
        whole.saturating_sub(1)
    } else {
        whole
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The cents of any amount, big or small, whole, a half cent or
        /// next to one, infinite or NaN, are those of `f64::round`.
        #[test]
        fn to_cents_rounds_as_f64_round(
            bits: u64,
            cents: i64,
            step in -2i64..=2,
        ) {
            let near_half = (cents as f64 + 0.5) / 100.0;
            let next = f64::from_bits(near_half.to_bits().wrapping_add(step as u64));
            for money in [f64::from_bits(bits), cents as f64 / 100.0, near_half, next, -next] {
                proptest::prop_assert_eq!(to_cents(money), (money * 100.0).round() as i64, "{}", money);
            }
        }
    }

    #[test]
    fn to_cents_at_the_edges() {
        for money in [
            0.0,
            -0.0,
            0.005,
            -0.005,
            0.49999999999999994 / 100.0,
            1.005,
            2.675,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MAX,
            f64::MIN,
            i64::MAX as f64 / 100.0,
            i64::MIN as f64 / 100.0,
            4.503599627370497e13,
        ] {
            assert_eq!(to_cents(money), (money * 100.0).round() as i64, "{money}");
        }
    }

    /// The one-pass cents equal Polars' three-step expression, value for
    /// value: halves either side of zero, binary fractions that sit just
    /// below or above a half cent, nulls, big amounts, and in a group-by.
    #[test]
    fn cents_equal_polars_rounding() {
        let values = [
            Some(0.005),
            Some(-0.005),
            Some(1.005),
            Some(2.675),
            Some(-2.675),
            Some(0.125),
            Some(-0.125),
            None,
            Some(13184.16),
            Some(123_456_789.995),
            Some(-0.0),
            Some(7.0),
        ];
        let df = df!("amount" => values, "group" => [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]).unwrap();
        let polars = (col("amount") * lit(100.0))
            .round(0, RoundMode::HalfAwayFromZero)
            .cast(DataType::Int64);
        let both = df
            .clone()
            .lazy()
            .select([
                cents("amount").alias("ours"),
                polars.clone().alias("polars"),
            ])
            .collect()
            .unwrap();
        let ours = both.column("ours").unwrap();
        assert_eq!(ours.dtype(), &DataType::Int64);
        assert!(ours.equals_missing(both.column("polars").unwrap()));
        // By hand: 0.005 * 100 = 0.5 rounds away from zero to 1; 1.005 is
        // stored just below (100.49999...) and gives 100; 0.125 is exact.
        let got: Vec<Option<i64>> = ours.i64().unwrap().iter().collect();
        assert_eq!(
            got[..8],
            [
                Some(1),
                Some(-1),
                Some(100),
                Some(268),
                Some(-268),
                Some(13),
                Some(-13),
                None
            ]
        );
        let sums = df
            .lazy()
            .group_by([col("group")])
            .agg([
                cents("amount").sum().alias("ours"),
                polars.sum().alias("polars"),
            ])
            .sort(["group"], Default::default())
            .collect()
            .unwrap();
        assert!(sums
            .column("ours")
            .unwrap()
            .equals_missing(sums.column("polars").unwrap()));
    }
}

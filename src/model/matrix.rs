//! From Polars frames to plain vectors: the one place model code reads a
//! DataFrame (and [`super::fit`] the one place vectors become ndarray).

use polars::prelude::*;

use super::binning::Counts;

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

/// A numeric column of training rows: the 100k-customer x 36-month book
/// gives ~2.9M rows x 49 of these. Most features take few distinct values
/// (counts, days, shares of a few invoices: 2 to ~2,500 on that book), so
/// a column starts as 2-byte codes into its distinct values, found as rows
/// are appended, and becomes plain values (9 bytes a row) only when it
/// meets more than [`MAX_CODES`] of them (balances, ratios of money). A
/// coded column can be binned by one count per distinct value
/// ([`Self::codes`]) instead of a selection over every row.
pub struct FloatColumn {
    repr: Repr,
}

enum Repr {
    Coded {
        /// Per row, its value's place in `values`; [`NULL_CODE`] for null.
        codes: Vec<u16>,
        /// The distinct values, in the order first met.
        values: Vec<f64>,
        /// Each value's code, by its bits (so -0.0 and 0.0, or two NaNs
        /// with different payloads, stay apart, as plain values would).
        index: PlHashMap<u64, u16>,
        /// A direct-mapped cache in front of `index`: the bits and code
        /// of the value last met in each slot ([`NULL_CODE`]: none). Most
        /// columns hold few values, often repeated (zero counts), which
        /// then skip the map.
        cache: Box<[(u64, u16); CACHE_SLOTS]>,
    },
    Plain {
        values: Vec<f64>,
        present: Vec<bool>,
    },
}

/// The code of a null row in a coded column.
pub const NULL_CODE: u16 = u16::MAX;
/// Slots of a coded column's cache of recent values.
const CACHE_SLOTS: usize = 1024;

/// A value's slot in the cache: the top bits of a multiplicative hash.
fn cache_slot(bits: u64) -> usize {
    (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - CACHE_SLOTS.trailing_zeros())) as usize
}
/// The most distinct values a coded column holds (codes 0..MAX_CODES).
pub const MAX_CODES: usize = NULL_CODE as usize;

impl FloatColumn {
    /// An empty (coded) column with room for `rows` rows (room never
    /// written to costs no memory pages).
    pub fn with_capacity(rows: usize) -> FloatColumn {
        FloatColumn {
            repr: Repr::Coded {
                codes: Vec::with_capacity(rows),
                values: Vec::new(),
                index: PlHashMap::default(),
                cache: Box::new([(0, NULL_CODE); CACHE_SLOTS]),
            },
        }
    }

    /// The value of row `r`, `None` where it was null.
    pub fn get(&self, r: usize) -> Option<f64> {
        match &self.repr {
            Repr::Coded { codes, values, .. } => values.get(codes[r] as usize).copied(),
            Repr::Plain { values, present } => present[r].then(|| values[r]),
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Coded { codes, .. } => codes.len(),
            Repr::Plain { values, .. } => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// For a coded column, each row's code ([`NULL_CODE`] for null) and the
    /// distinct values the codes point at; `None` for a plain one.
    pub fn codes(&self) -> Option<(&[u16], &[f64])> {
        match &self.repr {
            Repr::Coded { codes, values, .. } => Some((codes, values)),
            Repr::Plain { .. } => None,
        }
    }

    /// For a coded column, the goods and bads of `rows` per distinct value
    /// (`(value, counts)`, every value once, in code order) and of its null
    /// rows, counted without reading a value; `None` for a plain one.
    pub fn value_counts(
        &self,
        rows: &[usize],
        bad: &[bool],
    ) -> Option<(Vec<(f64, Counts)>, Counts)> {
        let (codes, values) = self.codes()?;
        let mut counts = vec![Counts::default(); values.len() + 1];
        for &r in rows {
            // The null code is clamped onto the last entry.
            let c = &mut counts[(codes[r] as usize).min(values.len())];
            c.bads += u64::from(bad[r]);
            c.goods += u64::from(!bad[r]);
        }
        let missing = counts.pop().expect("the null entry");
        Some((values.iter().copied().zip(counts).collect(), missing))
    }

    /// `f` of each row's value, read by row number: for a coded column `f`
    /// runs once per distinct value (and once for null) and rows read a
    /// table; for a plain one it runs per row.
    pub fn mapped<T: Copy, F: Fn(Option<f64>) -> T>(&self, f: F) -> Mapped<'_, T, F> {
        match &self.repr {
            Repr::Coded { codes, values, .. } => {
                let mut table: Vec<T> = values.iter().map(|v| f(Some(*v))).collect();
                // The null code reads the last entry.
                table.push(f(None));
                Mapped::Table { codes, table }
            }
            Repr::Plain { .. } => Mapped::Direct { column: self, f },
        }
    }

    /// Appends one row. In a coded column, a value met lately is found in
    /// the cache, others in the map.
    pub fn push(&mut self, value: Option<f64>) {
        match &mut self.repr {
            Repr::Coded {
                codes,
                values,
                index,
                cache,
            } => {
                let code = match value.map(f64::to_bits) {
                    None => NULL_CODE,
                    Some(bits) => match &mut cache[cache_slot(bits)] {
                        (cached, code) if *code != NULL_CODE && *cached == bits => *code,
                        slot => match index.get(&bits) {
                            Some(&code) => {
                                *slot = (bits, code);
                                code
                            }
                            None if values.len() < MAX_CODES => {
                                let code = values.len() as u16;
                                index.insert(bits, code);
                                values.push(f64::from_bits(bits));
                                *slot = (bits, code);
                                code
                            }
                            None => {
                                self.make_plain();
                                return self.push(value);
                            }
                        },
                    },
                };
                codes.push(code);
            }
            Repr::Plain { values, present } => {
                values.push(value.unwrap_or(0.0));
                present.push(value.is_some());
            }
        }
    }

    /// Turns a coded column into plain values, with room for as many rows
    /// again as the codes had.
    fn make_plain(&mut self) {
        let Repr::Coded { codes, values, .. } = &self.repr else {
            return;
        };
        let room = codes.capacity();
        let mut plain = Vec::with_capacity(room);
        let mut present = Vec::with_capacity(room);
        for &c in codes {
            let v = values.get(c as usize).copied();
            plain.push(v.unwrap_or(0.0));
            present.push(v.is_some());
        }
        self.repr = Repr::Plain {
            values: plain,
            present,
        };
    }
}

/// [`FloatColumn::mapped`]: `f` of a row's value, by row number.
pub enum Mapped<'a, T, F> {
    Table { codes: &'a [u16], table: Vec<T> },
    Direct { column: &'a FloatColumn, f: F },
}

impl<T: Copy, F: Fn(Option<f64>) -> T> Mapped<'_, T, F> {
    pub fn get(&self, r: usize) -> T {
        match self {
            // NULL_CODE is past every value: clamped onto the null entry.
            Mapped::Table { codes, table } => table[(codes[r] as usize).min(table.len() - 1)],
            Mapped::Direct { column, f } => f(column.get(r)),
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
            out.push(v);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A column of `pushed`, pushed one at a time.
    fn pushed_one_by_one(pushed: &[Option<f64>]) -> FloatColumn {
        let mut column = FloatColumn::with_capacity(pushed.len());
        for &v in pushed {
            column.push(v);
        }
        column
    }

    /// The values pushed, read back by row, directly and through a table.
    fn read_back(column: &FloatColumn) -> (Vec<Option<u64>>, Vec<Option<u64>>) {
        let mapped = column.mapped(|v| v.map(f64::to_bits));
        (
            (0..column.len())
                .map(|r| column.get(r).map(f64::to_bits))
                .collect(),
            (0..column.len()).map(|r| mapped.get(r)).collect(),
        )
    }

    #[test]
    fn a_column_of_few_values_is_coded_and_reads_back_what_was_pushed() {
        let pushed = [
            Some(2.5),
            None,
            Some(-0.0),
            Some(0.0),
            Some(2.5),
            None,
            Some(f64::NAN),
        ];
        let column = pushed_one_by_one(&pushed);
        let (codes, values) = column.codes().expect("coded");
        // 2.5, -0.0, 0.0 and NaN: four distinct values, in the order met;
        // nulls take the null code.
        assert_eq!(values.len(), 4);
        assert_eq!(codes, &[0, NULL_CODE, 1, 2, 0, NULL_CODE, 3]);
        let want: Vec<Option<u64>> = pushed.iter().map(|v| v.map(f64::to_bits)).collect();
        let (direct, table) = read_back(&column);
        assert_eq!(direct, want);
        assert_eq!(table, want);
        // Rows 0, 1, 4, 5 and 6, rows 4 and 5 bad: 2.5 once good and once
        // bad, NaN once good, the other values not among them; nulls once
        // good and once bad.
        let bad = [false, false, true, true, true, true, false];
        let c = |goods, bads| Counts { goods, bads };
        let (values, missing) = column.value_counts(&[0, 1, 4, 5, 6], &bad).unwrap();
        let counts: Vec<Counts> = values.iter().map(|(_, k)| *k).collect();
        assert_eq!(counts, [c(1, 1), c(0, 0), c(0, 0), c(1, 0)]);
        assert_eq!(missing, c(1, 1));
    }

    #[test]
    fn runs_of_one_value_take_its_code() {
        // Pushed values repeat (a run skips the map): 0.0 first (its bits
        // are 0, as the empty column's last value), -0.0 right after 0.0,
        // runs broken by nulls, and NaN twice.
        let pushed = [
            Some(0.0),
            Some(0.0),
            Some(-0.0),
            Some(-0.0),
            None,
            Some(-0.0),
            Some(0.0),
            Some(7.0),
            Some(7.0),
            Some(0.0),
            Some(f64::NAN),
            Some(f64::NAN),
        ];
        let column = pushed_one_by_one(&pushed);
        let (codes, values) = column.codes().expect("coded");
        assert_eq!(values.len(), 4);
        assert_eq!(codes, &[0, 0, 1, 1, NULL_CODE, 1, 0, 2, 2, 0, 3, 3]);
        let want: Vec<Option<u64>> = pushed.iter().map(|v| v.map(f64::to_bits)).collect();
        assert_eq!(read_back(&column), (want.clone(), want));
    }

    #[test]
    fn a_column_that_meets_too_many_values_turns_plain_and_loses_none() {
        // One more distinct value than there are codes, a null after
        // every fifth, and the first values again at the end.
        let mut pushed: Vec<Option<f64>> = Vec::new();
        for i in 0..=MAX_CODES {
            pushed.push(Some(i as f64 * 0.5));
            if i % 5 == 0 {
                pushed.push(None);
            }
        }
        pushed.extend((0..10).map(|i| Some(i as f64 * 0.5)));
        let mut column = FloatColumn::with_capacity(pushed.len());
        let mut distinct = 0;
        for v in &pushed {
            column.push(*v);
            distinct += usize::from(v.is_some_and(|v| v == (distinct as f64) * 0.5));
            // Coded as long as every value has a code.
            assert_eq!(column.codes().is_some(), distinct <= MAX_CODES);
        }
        assert!(column.codes().is_none(), "plain");
        let want: Vec<Option<u64>> = pushed.iter().map(|v| v.map(f64::to_bits)).collect();
        let (direct, table) = read_back(&column);
        assert_eq!(direct, want);
        assert_eq!(table, want);
    }
}

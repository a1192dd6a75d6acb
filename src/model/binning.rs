//! Monotone binning with weight of evidence, the way scorecards are built.
//!
//! Per feature: quantile pre-bins (edges are observed values, a bin holds
//! every value up to and including its edge, so ties are never split), then
//! merges until every bin holds at least `min_bin_share` of the non-missing
//! rows and the bad rate is monotone in the value (direction found from the
//! data unless fixed). Missing values are a bin of their own. Weight of
//! evidence is smoothed with 0.5 per cell, so an empty class gives a finite
//! value.

use serde::{Deserialize, Serialize};

/// How the bad rate moves as the value grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is riskier (e.g. days past due).
    Ascending,
    /// More is safer (e.g. tenure).
    Descending,
}

/// Settings of [`bin_feature`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BinningParams {
    /// Quantile pre-bins before merging. Default 20.
    pub max_prebins: usize,
    /// Smallest share of the non-missing rows a bin may hold. Default 0.05.
    pub min_bin_share: f64,
    /// Fixed direction, or `None` to take it from the data. Default `None`.
    pub direction: Option<Direction>,
}

impl Default for BinningParams {
    fn default() -> Self {
        BinningParams {
            max_prebins: 20,
            min_bin_share: 0.05,
            direction: None,
        }
    }
}

/// Goods and bads in one bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    pub goods: u64,
    pub bads: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.goods + self.bads
    }
    pub fn bad_rate(&self) -> f64 {
        if self.total() == 0 {
            0.0
        } else {
            self.bads as f64 / self.total() as f64
        }
    }
    fn add(self, o: Counts) -> Counts {
        Counts {
            goods: self.goods + o.goods,
            bads: self.bads + o.bads,
        }
    }
}

/// A bin of values `<= upper` (and above the previous bin's upper);
/// `upper: None` is the last bin, up to infinity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub upper: Option<f64>,
    pub counts: Counts,
}

/// The bins of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binning {
    /// Value bins, lowest first; at least one.
    pub bins: Vec<Bin>,
    /// Rows whose value is missing, if any.
    pub missing: Option<Counts>,
    pub direction: Direction,
}

impl Binning {
    /// The bin a value falls in: `None` for the missing bin.
    pub fn bin_of(&self, value: Option<f64>) -> Option<usize> {
        bin_position(self.bins.iter().map(|b| b.upper), value)
    }

    /// Total goods and bads over every bin, missing included.
    pub fn totals(&self) -> Counts {
        self.bins
            .iter()
            .map(|b| b.counts)
            .chain(self.missing)
            .fold(Counts::default(), Counts::add)
    }
}

/// The bin a value falls in, given the bins' upper bounds lowest first
/// (`None` = unbounded): the first whose bound is at or above it, else the
/// last. `None` for a missing (or NaN) value. The one bin lookup, shared by
/// binning, scoring and stability.
pub fn bin_position(
    uppers: impl ExactSizeIterator<Item = Option<f64>>,
    value: Option<f64>,
) -> Option<usize> {
    let v = value.filter(|v| !v.is_nan())?;
    let last = uppers.len().saturating_sub(1);
    let mut uppers = uppers;
    Some(
        uppers
            .position(|u| u.is_none_or(|u| v <= u))
            .unwrap_or(last),
    )
}

/// Smoothed weight of evidence of a bin: ln(share of goods / share of bads),
/// each count plus 0.5 and each total plus 0.5.
pub fn woe(bin: Counts, totals: Counts) -> f64 {
    let good = (bin.goods as f64 + 0.5) / (totals.goods as f64 + 0.5);
    let bad = (bin.bads as f64 + 0.5) / (totals.bads as f64 + 0.5);
    (good / bad).ln()
}

/// Information value: sum over bins (missing included) of (share of goods -
/// share of bads) x WoE, with the smoothing of [`woe`].
pub fn information_value(binning: &Binning) -> f64 {
    let totals = binning.totals();
    binning
        .bins
        .iter()
        .map(|b| b.counts)
        .chain(binning.missing)
        .map(|c| {
            let good = (c.goods as f64 + 0.5) / (totals.goods as f64 + 0.5);
            let bad = (c.bads as f64 + 0.5) / (totals.bads as f64 + 0.5);
            (good - bad) * woe(c, totals)
        })
        .sum()
}

/// Bins one feature (see the module docs). `values` and `bad` are parallel.
pub fn bin_feature(values: &[Option<f64>], bad: &[bool], params: &BinningParams) -> Binning {
    bin_rows(
        || values.iter().copied().zip(bad.iter().copied()),
        params,
        &mut Vec::new(),
    )
}

/// [`bin_feature`] over rows given as (value, bad) by `rows`, which is
/// called twice (once to find the edges, once to count): the rows are
/// never gathered into a vector of their own. `scratch`: space for the
/// present values, reused from feature to feature.
pub fn bin_rows<I>(rows: impl Fn() -> I, params: &BinningParams, scratch: &mut Vec<u64>) -> Binning
where
    I: Iterator<Item = (Option<f64>, bool)>,
{
    // As keys in f64's total order: selection compares integers.
    let present = scratch;
    present.clear();
    present.extend(rows().filter_map(|(v, _)| v.filter(|v| !v.is_nan()).map(ordered_key)));
    let mut missing = Counts::default();
    let n = present.len();
    if n == 0 {
        for (_, b) in rows() {
            if b {
                missing.bads += 1
            } else {
                missing.goods += 1
            }
        }
        return no_present_value(missing, params);
    }

    // Pre-bins: edges at quantiles (the values a full sort would put at
    // those positions, found without sorting), deduplicated; the largest
    // value closes the last bin, which runs to infinity.
    let positions = prebin_positions(n, params);
    let edges: Vec<f64> = order_statistics(present, &positions)
        .into_iter()
        .map(from_ordered_key)
        .collect();
    let (edges, mut bins) = prebins(edges);
    // A value belongs to the first bin whose edge it does not exceed: the
    // number of edges below it (a count over at most `max_prebins` edges,
    // branch-free, rather than a binary search).
    for (v, b) in rows() {
        let counts = match v.filter(|v| !v.is_nan()) {
            Some(v) => &mut bins[edges.iter().map(|e| usize::from(*e < v)).sum::<usize>()].counts,
            None => &mut missing,
        };
        if b {
            counts.bads += 1
        } else {
            counts.goods += 1
        }
    }
    merged(bins, missing, n, params)
}

/// [`bin_rows`] from the rows' counts per distinct value, `(value,
/// counts)` in any order (each value once, NaN among them or not), and
/// the missing rows' counts: the same bins, found without reading a row
/// (for a column stored as codes into its distinct values).
pub fn bin_counted(values: &[(f64, Counts)], missing: Counts, params: &BinningParams) -> Binning {
    // Present values in f64's total order, as the selection of `bin_rows`
    // orders them; NaN counts as missing there too.
    let mut present: Vec<(u64, Counts)> = Vec::with_capacity(values.len());
    let mut missing = missing;
    for &(v, c) in values {
        if v.is_nan() {
            missing = missing.add(c);
        } else if c.total() > 0 {
            present.push((ordered_key(v), c));
        }
    }
    present.sort_unstable_by_key(|(k, _)| *k);
    let n = present.iter().map(|(_, c)| c.total()).sum::<u64>() as usize;
    if n == 0 {
        return no_present_value(missing, params);
    }
    // The value at sorted position p: the first whose running count
    // exceeds p.
    let positions = prebin_positions(n, params);
    let mut edges = Vec::with_capacity(positions.len());
    let (mut at, mut before) = (0, 0u64);
    for p in positions {
        while before + present[at].1.total() <= p as u64 {
            before += present[at].1.total();
            at += 1;
        }
        edges.push(from_ordered_key(present[at].0));
    }
    let (edges, mut bins) = prebins(edges);
    for &(k, c) in &present {
        let v = from_ordered_key(k);
        let b = &mut bins[edges.iter().map(|e| usize::from(*e < v)).sum::<usize>()].counts;
        *b = b.add(c);
    }
    merged(bins, missing, n, params)
}

/// The one bin of a feature with no present value.
fn no_present_value(missing: Counts, params: &BinningParams) -> Binning {
    Binning {
        bins: vec![Bin {
            upper: None,
            counts: Counts::default(),
        }],
        missing: (missing.total() > 0).then_some(missing),
        direction: params.direction.unwrap_or(Direction::Ascending),
    }
}

/// The sorted positions of `n` present values whose values are the
/// pre-bins' edges: one per quantile, and the largest value last.
fn prebin_positions(n: usize, params: &BinningParams) -> Vec<usize> {
    let prebins = params.max_prebins.max(1);
    (1..prebins)
        .map(|q| (q * n / prebins).min(n - 1))
        .chain([n - 1])
        .collect()
}

/// From the values at [`prebin_positions`]: the edges (deduplicated, each
/// under the largest value) and empty bins, one per edge and a last one
/// that the largest value closes and that runs to infinity.
fn prebins(mut edges: Vec<f64>) -> (Vec<f64>, Vec<Bin>) {
    let max = edges.pop().expect("n - 1 is among the positions");
    edges.dedup();
    edges.retain(|e| *e < max);
    let mut bins: Vec<Bin> = edges
        .iter()
        .map(|e| Bin {
            upper: Some(*e),
            counts: Counts::default(),
        })
        .collect();
    bins.push(Bin {
        upper: None,
        counts: Counts::default(),
    });
    (edges, bins)
}

/// Pre-bins with their counts merged until monotone and large enough (see
/// the module docs). `n`: the present rows.
fn merged(mut bins: Vec<Bin>, missing: Counts, n: usize, params: &BinningParams) -> Binning {
    let missing = (missing.total() > 0).then_some(missing);
    let direction = params.direction.unwrap_or_else(|| trend(&bins));
    let min_count = (params.min_bin_share * n as f64).ceil() as u64;
    loop {
        let violation = bins.windows(2).position(|w| match direction {
            Direction::Ascending => w[0].counts.bad_rate() > w[1].counts.bad_rate(),
            Direction::Descending => w[0].counts.bad_rate() < w[1].counts.bad_rate(),
        });
        if let Some(i) = violation {
            merge(&mut bins, i);
            continue;
        }
        let small = (0..bins.len())
            .filter(|i| bins[*i].counts.total() < min_count)
            .min_by_key(|i| (bins[*i].counts.total(), *i));
        match small {
            Some(_) if bins.len() == 1 => break,
            Some(0) => merge(&mut bins, 0),
            Some(i) if i == bins.len() - 1 => merge(&mut bins, i - 1),
            Some(i) => {
                // With the neighbour whose bad rate is closer.
                let r = bins[i].counts.bad_rate();
                let left = (bins[i - 1].counts.bad_rate() - r).abs();
                let right = (bins[i + 1].counts.bad_rate() - r).abs();
                if left <= right {
                    merge(&mut bins, i - 1)
                } else {
                    merge(&mut bins, i)
                }
            }
            None => break,
        }
    }
    Binning {
        bins,
        missing,
        direction,
    }
}

/// `v`'s bits, made to sort as [`f64::total_cmp`] sorts the values (sign
/// bit flipped for positives, every bit for negatives).
fn ordered_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The inverse of [`ordered_key`].
fn from_ordered_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// The values that sorting `values` would put at each of `positions`
/// (ascending, repeats allowed), found by selection: about
/// log2(positions) passes over the data instead of a full sort, which on
/// millions of rows per feature made binning the slow part of training.
/// Reorders `values`.
fn order_statistics<T: Ord + Copy + Default>(values: &mut [T], positions: &[usize]) -> Vec<T> {
    fn select<T: Ord + Copy>(values: &mut [T], offset: usize, positions: &[usize], out: &mut [T]) {
        if positions.is_empty() {
            return;
        }
        let at = positions[positions.len() / 2];
        let (left, nth, right) = values.select_nth_unstable(at - offset);
        let before = positions.partition_point(|p| *p < at);
        let after = positions.partition_point(|p| *p <= at);
        out[before..after].fill(*nth);
        let (out_left, rest) = out.split_at_mut(before);
        select(left, offset, &positions[..before], out_left);
        select(
            right,
            at + 1,
            &positions[after..],
            &mut rest[after - before..],
        );
    }
    let mut out = vec![T::default(); positions.len()];
    select(values, 0, positions, &mut out);
    out
}

/// Merges bin `i + 1` into bin `i` (keeping the right one's upper edge).
fn merge(bins: &mut Vec<Bin>, i: usize) {
    let right = bins.remove(i + 1);
    bins[i].counts = bins[i].counts.add(right.counts);
    bins[i].upper = right.upper;
}

/// The direction the pre-bins' bad rates lean: the sign of their
/// count-weighted covariance with the bin's position.
fn trend(bins: &[Bin]) -> Direction {
    let n: f64 = bins.iter().map(|b| b.counts.total() as f64).sum();
    let mean_pos: f64 = bins
        .iter()
        .enumerate()
        .map(|(i, b)| i as f64 * b.counts.total() as f64)
        .sum::<f64>()
        / n;
    let rate: f64 = bins.iter().map(|b| b.counts.bads as f64).sum::<f64>() / n;
    let cov: f64 = bins
        .iter()
        .enumerate()
        .map(|(i, b)| {
            (i as f64 - mean_pos) * (b.counts.bad_rate() - rate) * b.counts.total() as f64
        })
        .sum();
    if cov >= 0.0 {
        Direction::Ascending
    } else {
        Direction::Descending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(goods: u64, bads: u64) -> Counts {
        Counts { goods, bads }
    }

    #[test]
    fn woe_and_iv_against_a_hand_computed_table() {
        // Bins (goods, bads): (40, 10), (30, 20), (10, 30); totals 80 and 60.
        // Smoothed shares: goods 40.5/80.5, 30.5/80.5, 10.5/80.5;
        // bads 10.5/60.5, 20.5/60.5, 30.5/60.5.
        let binning = Binning {
            bins: vec![
                Bin {
                    upper: Some(1.0),
                    counts: c(40, 10),
                },
                Bin {
                    upper: Some(2.0),
                    counts: c(30, 20),
                },
                Bin {
                    upper: None,
                    counts: c(10, 30),
                },
            ],
            missing: None,
            direction: Direction::Ascending,
        };
        let t = binning.totals();
        assert_eq!(t, c(80, 60));
        let hand = [
            ((40.5f64 / 80.5) / (10.5 / 60.5)).ln(), // 1.06431
            ((30.5f64 / 80.5) / (20.5 / 60.5)).ln(), // 0.11169
            ((10.5f64 / 80.5) / (30.5 / 60.5)).ln(), // -1.35197
        ];
        for (b, want) in binning.bins.iter().zip(hand) {
            assert!((woe(b.counts, t) - want).abs() < 1e-12);
        }
        // Pinned values, independently computed with Python's math.log.
        assert!((hand[0] - 1.06431).abs() < 1e-5 && (hand[2] + 1.35197).abs() < 1e-5);
        let iv = (40.5 / 80.5 - 10.5 / 60.5) * hand[0]
            + (30.5 / 80.5 - 20.5 / 60.5) * hand[1]
            + (10.5 / 80.5 - 30.5 / 60.5) * hand[2];
        assert!((information_value(&binning) - iv).abs() < 1e-12);
        assert!((iv - 0.86044).abs() < 1e-5, "{iv}");
        // An empty class is finite.
        assert!(woe(c(0, 5), t).is_finite() && woe(c(5, 0), t).is_finite());
    }

    #[test]
    fn bins_are_monotone_large_enough_and_never_split_ties() {
        // Values 0..100 (each twice), bad when v >= 70 except every 10th;
        // plus a bump (bads at 20..25) that breaks monotonicity, and 10 missing.
        let mut values = Vec::new();
        let mut bad = Vec::new();
        for v in 0..100 {
            for _ in 0..2 {
                values.push(Some(v as f64));
                bad.push((v >= 70 && v % 10 != 0) || (20..25).contains(&v));
            }
        }
        for k in 0..10 {
            values.push(None);
            bad.push(k < 3);
        }
        let b = bin_feature(&values, &bad, &BinningParams::default());
        assert_eq!(b.direction, Direction::Ascending);
        assert_eq!(b.missing, Some(c(7, 3)));
        let rates: Vec<f64> = b.bins.iter().map(|x| x.counts.bad_rate()).collect();
        assert!(rates.windows(2).all(|w| w[0] <= w[1]), "{rates:?}");
        assert!(
            b.bins.iter().all(|x| x.counts.total() >= 10),
            "{:?}",
            b.bins
        );
        assert_eq!(b.bins.iter().map(|x| x.counts.total()).sum::<u64>(), 200);
        // Both copies of each value share a bin: every total is even.
        assert!(b.bins.iter().all(|x| x.counts.total() % 2 == 0));
        assert_eq!(b.bin_of(None), None);
        assert_eq!(b.bin_of(Some(-5.0)), Some(0));
        assert_eq!(b.bin_of(Some(1e9)), Some(b.bins.len() - 1));
    }

    #[test]
    fn a_fixed_direction_is_obeyed() {
        let values: Vec<Option<f64>> = (0..100).map(|v| Some(v as f64)).collect();
        let bad: Vec<bool> = (0..100).map(|v| v < 30).collect();
        let b = bin_feature(&values, &bad, &BinningParams::default());
        assert_eq!(b.direction, Direction::Descending);
        let forced = bin_feature(
            &values,
            &bad,
            &BinningParams {
                direction: Some(Direction::Ascending),
                ..Default::default()
            },
        );
        // Against the data, monotone ascending means one bin.
        assert_eq!(forced.bins.len(), 1);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Selection finds, bit for bit, what a full sort puts at each
        /// position: ties, both zeros and repeated positions included.
        #[test]
        fn order_statistics_equal_a_full_sort(
            values in proptest::collection::vec(
                proptest::prop_oneof![proptest::strategy::Strategy::prop_map(-5i32..5, f64::from), proptest::num::f64::NORMAL, proptest::strategy::Just(-0.0)],
                1..300,
            ),
            picks in proptest::collection::vec(0.0f64..1.0, 0..25),
        ) {
            let n = values.len();
            let mut positions: Vec<usize> = picks.iter().map(|p| ((p * n as f64) as usize).min(n - 1)).collect();
            positions.sort_unstable();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let expected: Vec<u64> = positions.iter().map(|p| sorted[*p].to_bits()).collect();
            let mut keys: Vec<u64> = values.iter().map(|v| ordered_key(*v)).collect();
            let found: Vec<u64> = order_statistics(&mut keys, &positions).into_iter().map(|k| from_ordered_key(k).to_bits()).collect();
            proptest::prop_assert_eq!(found, expected);
        }

        /// Binning from counts per distinct value gives the bins binning
        /// the rows gives, bit for bit: repeated values, both zeros, NaN
        /// (missing to both), missing rows, values listed in any order and
        /// with zero counts.
        #[test]
        fn binning_from_counts_equals_binning_the_rows(
            rows in proptest::collection::vec(
                (
                    proptest::option::weighted(0.85, proptest::prop_oneof![
                        proptest::strategy::Strategy::prop_map(-3i32..40, f64::from),
                        proptest::strategy::Just(-0.0),
                        proptest::strategy::Just(f64::NAN),
                        proptest::num::f64::NORMAL,
                    ]),
                    proptest::bool::weighted(0.3),
                ),
                0..400,
            ),
            prebins in 1usize..25,
            min_share in 0.0f64..0.2,
            fixed in proptest::option::of(proptest::bool::ANY),
            unused in proptest::collection::vec(proptest::num::f64::NORMAL, 0..3),
        ) {
            let params = BinningParams {
                max_prebins: prebins,
                min_bin_share: min_share,
                direction: fixed.map(|a| if a { Direction::Ascending } else { Direction::Descending }),
            };
            let values: Vec<Option<f64>> = rows.iter().map(|r| r.0).collect();
            let bad: Vec<bool> = rows.iter().map(|r| r.1).collect();
            let from_rows = bin_feature(&values, &bad, &params);
            // Counts per distinct bit pattern, in the order first met (as a
            // coded column holds them), then values no row holds.
            let mut distinct: Vec<(f64, Counts)> = Vec::new();
            let mut missing = Counts::default();
            for (v, y) in values.iter().zip(&bad) {
                let c = match v {
                    None => &mut missing,
                    Some(v) => match distinct.iter().position(|(d, _)| d.to_bits() == v.to_bits()) {
                        Some(i) => &mut distinct[i].1,
                        None => {
                            distinct.push((*v, Counts::default()));
                            &mut distinct.last_mut().unwrap().1
                        }
                    },
                };
                if *y { c.bads += 1 } else { c.goods += 1 }
            }
            distinct.extend(unused.iter().map(|v| (*v, Counts::default())));
            let from_counts = bin_counted(&distinct, missing, &params);
            // Debug output shows every bit that matters (edges, counts).
            proptest::prop_assert_eq!(format!("{from_counts:?}"), format!("{from_rows:?}"));
        }

        /// On any data: bad rates monotone in the chosen direction, every
        /// value bin at least min_share of the present rows (or the only
        /// bin), no row lost, bins ordered, and every value placed in the
        /// bin that counted it.
        #[test]
        fn binning_invariants_hold_on_random_data(
            rows in proptest::collection::vec(
                (proptest::option::weighted(0.9, 0i32..50), 0u8..100, 0u8..100),
                1..400,
            ),
            min_share in 0.0f64..0.2,
            fixed in proptest::option::of(proptest::bool::ANY),
        ) {
            // A bad chance that rises with the value, plus noise.
            let values: Vec<Option<f64>> = rows.iter().map(|r| r.0.map(f64::from)).collect();
            let bad: Vec<bool> = rows
                .iter()
                .map(|r| u32::from(r.1) < 10 + r.0.unwrap_or(25) as u32 + u32::from(r.2) / 4)
                .collect();
            let params = BinningParams {
                max_prebins: 20,
                min_bin_share: min_share,
                direction: fixed.map(|a| if a { Direction::Ascending } else { Direction::Descending }),
            };
            let b = bin_feature(&values, &bad, &params);
            let rates: Vec<f64> = b.bins.iter().map(|x| x.counts.bad_rate()).collect();
            let monotone = match b.direction {
                Direction::Ascending => rates.windows(2).all(|w| w[0] <= w[1]),
                Direction::Descending => rates.windows(2).all(|w| w[0] >= w[1]),
            };
            proptest::prop_assert!(monotone, "{:?}", b);
            if let Some(d) = params.direction {
                proptest::prop_assert_eq!(b.direction, d);
            }
            let present = values.iter().filter(|v| v.is_some()).count() as u64;
            let min = (min_share * present as f64).ceil() as u64;
            if b.bins.len() > 1 {
                for bin in &b.bins {
                    proptest::prop_assert!(bin.counts.total() >= min, "{:?}", b);
                }
            }
            proptest::prop_assert_eq!(b.totals().total(), values.len() as u64);
            let uppers: Vec<f64> = b.bins.iter().filter_map(|x| x.upper).collect();
            proptest::prop_assert!(uppers.windows(2).all(|w| w[0] < w[1]));
            proptest::prop_assert!(b.bins.last().unwrap().upper.is_none());
            let mut recount = vec![Counts::default(); b.bins.len()];
            let mut missing = Counts::default();
            for (v, y) in values.iter().zip(&bad) {
                let c = match b.bin_of(*v) {
                    Some(i) => &mut recount[i],
                    None => &mut missing,
                };
                if *y { c.bads += 1 } else { c.goods += 1 }
            }
            let counted: Vec<Counts> = b.bins.iter().map(|x| x.counts).collect();
            proptest::prop_assert_eq!(recount, counted);
            proptest::prop_assert_eq!(b.missing.unwrap_or_default(), missing);
        }
    }
}

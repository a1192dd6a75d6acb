//! Population stability: how far today's population has moved from the
//! one the model was trained on.
//!
//! PSI = sum over bins of (A - E) x ln(A / E), A and E the actual and
//! expected shares, each floored at 0.0001 so an empty bin stays finite.
//! Reading: under 0.10 stable, 0.10-0.25 watch, over 0.25 a significant
//! shift (the domain brief's thresholds).

use super::scorecard::{FeatureCard, Scorecard};

const FLOOR: f64 = 1e-4;

/// PSI of two distributions over the same bins (counts or shares).
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    let (te, ta) = (expected.iter().sum::<f64>(), actual.iter().sum::<f64>());
    if te <= 0.0 || ta <= 0.0 {
        return 0.0;
    }
    expected
        .iter()
        .zip(actual)
        .map(|(e, a)| {
            let (e, a) = ((e / te).max(FLOOR), (a / ta).max(FLOOR));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// The reading of a PSI value.
pub fn reading(psi: f64) -> &'static str {
    if psi < 0.10 {
        "stable"
    } else if psi <= 0.25 {
        "watch"
    } else {
        "significant shift"
    }
}

/// PSI of one feature: training rows per bin (goods + bads) against
/// `values` (today's, one per customer).
pub fn feature_psi(card: &FeatureCard, values: &[Option<f64>]) -> f64 {
    let mut expected: Vec<f64> = card
        .bins
        .iter()
        .map(|b| (b.goods + b.bads) as f64)
        .collect();
    expected.push(
        card.missing
            .as_ref()
            .map_or(0.0, |b| (b.goods + b.bads) as f64),
    );
    let mut actual = vec![0.0; expected.len()];
    for v in values {
        // Value bins first, the missing bin last.
        actual[card.bin_index(*v).unwrap_or(card.bins.len())] += 1.0;
    }
    psi(&expected, &actual)
}

/// PSI of the score: today's unrounded-or-rounded scores against the ten
/// equal shares the training deciles cut.
pub fn score_psi(card: &Scorecard, scores: &[f64]) -> f64 {
    let cuts = &card.score_deciles;
    if cuts.is_empty() {
        return 0.0;
    }
    let expected = vec![1.0; cuts.len() + 1];
    let mut actual = vec![0.0; cuts.len() + 1];
    for s in scores {
        actual[cuts.iter().position(|c| s < c).unwrap_or(cuts.len())] += 1.0;
    }
    psi(&expected, &actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_by_hand() {
        // E = (0.5, 0.5), A = (0.6, 0.4):
        // (0.6 - 0.5) ln(0.6/0.5) + (0.4 - 0.5) ln(0.4/0.5)
        // = 0.1 x 0.18232 + (-0.1)(-0.22314) = 0.040546
        let p = psi(&[50.0, 50.0], &[60.0, 40.0]);
        assert!((p - 0.040_546_5).abs() < 1e-6, "{p}");
        assert_eq!(psi(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        // An empty actual bin is floored, not infinite:
        // (0.0001 - 0.5) ln(0.0001/0.5) + (1 - 0.5) ln(1/0.5)
        // = (-0.4999)(-8.517193) + 0.5 x 0.693147 = 4.257744 + 0.346574
        let p = psi(&[1.0, 1.0], &[0.0, 1.0]);
        assert!((p - 4.604_318).abs() < 1e-5, "{p}");
        assert_eq!(reading(0.05), "stable");
        assert_eq!(reading(0.10), "watch");
        assert_eq!(reading(0.25), "watch");
        assert_eq!(reading(0.26), "significant shift");
    }
}

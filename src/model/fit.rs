//! The logistic fit, on linfa-logistic: the one place data crosses into
//! ndarray (linfa's 0.16; Polars uses another version), as views of plain
//! `f64` slices (the fit's matrix, and the blocks of Newton's Hessian).
//!
//! Measured facts this code relies on (see the project's stack notes):
//! linfa-logistic's "positive" class is the *more frequent* label, so with
//! bads the minority its coefficients describe the goods and must be
//! negated; its objective is the sum of log-losses + alpha/2 ||w||^2 with the
//! intercept unpenalised, so alpha = 1/C of scikit-learn; its gradient
//! tolerance applies to the summed gradient, so it is scaled by the rows.

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, ArrayView2};
use rayon::prelude::*;
use thiserror::Error;

/// A fitted P(bad) = 1 / (1 + exp(-(intercept + x . coefficients))).
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    pub intercept: f64,
    pub coefficients: Vec<f64>,
    /// Mean log loss on the rows it was fitted on.
    pub log_loss: f64,
}

impl LogisticFit {
    /// P(bad) of one row.
    pub fn predict(&self, row: &[f64]) -> f64 {
        let z = self.intercept
            + row
                .iter()
                .zip(&self.coefficients)
                .map(|(x, w)| x * w)
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum FitError {
    #[error("the matrix has {values} values, not {rows} rows x {cols} columns")]
    Shape {
        values: usize,
        rows: usize,
        cols: usize,
    },
    #[error("cannot fit with only one class ({bads} bad of {rows} rows)")]
    OneClass { bads: usize, rows: usize },
    #[error("the logistic fit failed: {0}")]
    Linfa(String),
}

/// Gradient tolerance per row (linfa sums the gradient over rows).
const TOLERANCE_PER_ROW: f64 = 1e-7;
const MAX_ITERATIONS: u64 = 1000;

/// Fits P(bad) on a row-major matrix (`rows.len() == bad.len() * cols`) with
/// L2 strength `l2` on the coefficients (scikit-learn's 1/C), intercept
/// unpenalised. `start`: a fit of the same columns (say, on a sample) to
/// start the search from, instead of zeros; the optimum is the same, it is
/// reached in fewer steps.
pub fn fit_logistic(
    rows: &[f64],
    cols: usize,
    bad: &[bool],
    l2: f64,
    start: Option<&LogisticFit>,
) -> Result<LogisticFit, FitError> {
    let n = bad.len();
    if rows.len() != n * cols {
        return Err(FitError::Shape {
            values: rows.len(),
            rows: n,
            cols,
        });
    }
    let bads = bad.iter().filter(|b| **b).count();
    if bads == 0 || bads == n {
        return Err(FitError::OneClass { bads, rows: n });
    }
    // A view: the rows are not copied (330 MB at 100k customers).
    let x = ArrayView2::from_shape((n, cols), rows).map_err(|e| FitError::Linfa(e.to_string()))?;
    let data = DatasetBase::new(x, Array1::from(bad.to_vec()));
    let mut params = LogisticRegression::default()
        .alpha(l2)
        .gradient_tolerance(TOLERANCE_PER_ROW * n as f64)
        .max_iterations(MAX_ITERATIONS);
    if let Some(start) = start.filter(|s| s.coefficients.len() == cols) {
        // linfa's parameters describe its positive class: the more frequent
        // label, or on a tie the first row's (see `label_classes` there).
        let positive_is_bad = 2 * bads > n || (2 * bads == n && bad[0]);
        let sign = if positive_is_bad { 1.0 } else { -1.0 };
        let mut initial: Vec<f64> = start.coefficients.iter().map(|w| sign * w).collect();
        initial.push(sign * start.intercept);
        params = params.initial_params(Array1::from(initial));
    }
    let started = std::time::Instant::now();
    let fitted = params
        .fit(&data)
        .map_err(|e| FitError::Linfa(e.to_string()))?;
    tracing::debug!(
        rows = n,
        cols,
        warm = start.is_some(),
        ms = started.elapsed().as_millis() as u64,
        "logistic fit"
    );
    // Coefficients describe linfa's positive class: flip them when it is "good".
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let mut fit = LogisticFit {
        intercept: sign * fitted.intercept(),
        coefficients: fitted.params().iter().map(|w| sign * w).collect(),
        log_loss: 0.0,
    };
    // In parallel, in row order: the same values whatever the threads.
    let pd: Vec<f64> = rows
        .par_chunks(cols.max(1))
        .map(|row| fit.predict(row))
        .collect();
    fit.log_loss = super::metrics::log_loss(&pd, bad);
    Ok(fit)
}

/// A full Newton step smaller than this ends [`newton_start`]'s iterations.
const STEP_DONE: f64 = 1e-5;

/// Newton's method for the same penalised objective as [`fit_logistic`]
/// (log-losses summed, `l2`/2 ||w||^2, intercept free), used on large books
/// as the point linfa-logistic starts from: Newton needs a handful of passes
/// over the rows where linfa's L-BFGS, at the gradient tolerance it is held
/// to, takes hundreds (measured: 37 s for 2.6M x 14 even from a nearby
/// start). linfa still makes the fit: it starts here, checks the gradient,
/// and moves on only if it is not yet small enough.
///
/// Sums are taken per block of rows, in parallel, then added in block
/// order: the result does not depend on the thread count. Newton starts
/// from `from` (coefficients, then the intercept) when given, else from no
/// coefficients and the base rate's log odds as the intercept.
pub fn newton_start(
    rows: &[f64],
    cols: usize,
    bad: &[bool],
    l2: f64,
    from: Option<&[f64]>,
) -> LogisticFit {
    const BLOCK: usize = 16_384;
    let k = cols + 1; // coefficients, then the intercept
    let mut theta = match from {
        Some(from) => {
            assert_eq!(
                from.len(),
                k,
                "a start has a value per column and an intercept"
            );
            from.to_vec()
        }
        // No coefficient, and the intercept at the base rate's log odds:
        // the optimum of the intercept alone (from zero, the first steps
        // at 100k mostly moved the intercept).
        None => {
            let bads = bad.iter().filter(|b| **b).count() as f64;
            let goods = bad.len() as f64 - bads;
            let mut theta = vec![0.0; k];
            if bads > 0.0 && goods > 0.0 {
                theta[cols] = (bads / goods).ln();
            }
            theta
        }
    };
    let objective = |theta: &[f64]| -> f64 {
        let parts: Vec<f64> = rows
            .par_chunks(BLOCK * cols.max(1))
            .zip(bad.par_chunks(BLOCK))
            .map(|(x, y)| {
                x.chunks(cols.max(1))
                    .zip(y)
                    .map(|(row, &y)| {
                        let z =
                            theta[cols] + row.iter().zip(theta).map(|(a, b)| a * b).sum::<f64>();
                        // log(1 + e^z) - y z, computed without overflow.
                        z.max(0.0) + (-z.abs()).exp().ln_1p() - if y { z } else { 0.0 }
                    })
                    .sum()
            })
            .collect();
        parts.iter().sum::<f64>() + 0.5 * l2 * theta[..cols].iter().map(|w| w * w).sum::<f64>()
    };
    let started = std::time::Instant::now();
    let mut current = objective(&theta);
    let mut iterations = 0;
    let mut last_step = f64::NAN;
    for _ in 0..50 {
        iterations += 1;
        let parts: Vec<(Vec<f64>, Vec<f64>)> = rows
            .par_chunks(BLOCK * cols.max(1))
            .zip(bad.par_chunks(BLOCK))
            // Jobs of 8 blocks or more: one scratch per job, not per block.
            .with_min_len(8)
            .map_init(Vec::new, |scratch, (x, y)| {
                gradient_and_hessian(x, y, cols, &theta, scratch)
            })
            .collect();
        let (mut g, mut h) = (vec![0.0; k], vec![0.0; k * k]);
        for (pg, ph) in &parts {
            g.iter_mut().zip(pg).for_each(|(a, b)| *a += b);
            h.iter_mut().zip(ph).for_each(|(a, b)| *a += b);
        }
        for a in 0..cols {
            g[a] += l2 * theta[a];
            h[a * k + a] += l2;
        }
        let Some(step) = solve_symmetric(&mut h, &mut g, k) else {
            break;
        };
        // Near the optimum each full step squares the error (at 100k the
        // step after one of 1e-6 is ~1e-12): a full step under STEP_DONE
        // leaves an error of ~1e-10, far inside linfa's gradient tolerance
        // (~1e-6 in the coefficients at 2.6M rows). It is taken as it is
        // and ends the iterations: no line search, whose comparisons would
        // only see rounding noise there (and halve the step over and over
        // on it; seen at 100k: 19 halvings, an objective pass each).
        let full = step.iter().fold(0.0f64, |m, d| m.max(d.abs()));
        if full < STEP_DONE {
            theta.iter_mut().zip(&step).for_each(|(a, d)| *a -= d);
            current = objective(&theta);
            last_step = full;
            break;
        }
        // Halve the step until the objective does not rise.
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            let trial: Vec<f64> = theta.iter().zip(&step).map(|(a, d)| a - t * d).collect();
            let value = objective(&trial);
            if value <= current {
                theta = trial;
                current = value;
                accepted = true;
                break;
            }
            t /= 2.0;
        }
        last_step = t * full;
        if !accepted || last_step < 1e-10 {
            break;
        }
    }
    tracing::debug!(
        rows = bad.len(),
        cols,
        warm = from.is_some(),
        iterations,
        last_step,
        ms = started.elapsed().as_millis() as u64,
        "newton"
    );
    LogisticFit {
        intercept: theta[cols],
        coefficients: theta[..cols].to_vec(),
        // The mean log loss: the objective less its penalty, per row.
        log_loss: (current - 0.5 * l2 * theta[..cols].iter().map(|w| w * w).sum::<f64>())
            / bad.len().max(1) as f64,
    }
}

/// The log-loss gradient and Hessian (full, row-major) over one block of
/// rows at `theta` (coefficients, then the intercept): g = X'(p - y) and
/// H = X' diag(p(1 - p)) X, with X the rows plus a column of ones. H is
/// one matrix product (ndarray's, single-threaded and so deterministic)
/// of the rows scaled by sqrt(p(1 - p)): ~5x faster than summing the
/// outer products row by row (2.6M x 15 at 100k customers). `scaled`:
/// scratch space, reused from block to block (a fresh 2 MB block each
/// time is fresh pages for the kernel to clear).
fn gradient_and_hessian(
    x: &[f64],
    y: &[bool],
    cols: usize,
    theta: &[f64],
    scaled: &mut Vec<f64>,
) -> (Vec<f64>, Vec<f64>) {
    let k = cols + 1;
    let mut g = vec![0.0; k];
    scaled.clear();
    for (row, &y) in x.chunks(cols.max(1)).zip(y) {
        let row = &row[..cols];
        let z = theta[cols] + row.iter().zip(theta).map(|(a, b)| a * b).sum::<f64>();
        let p = 1.0 / (1.0 + (-z).exp());
        let r = p - if y { 1.0 } else { 0.0 };
        for (g, a) in g.iter_mut().zip(row) {
            *g += r * a;
        }
        g[cols] += r;
        let s = (p * (1.0 - p)).sqrt();
        scaled.extend(row.iter().map(|a| s * a));
        scaled.push(s);
    }
    let scaled = ArrayView2::from_shape((y.len(), k), scaled).expect("k values a row");
    let h = scaled.t().dot(&scaled);
    (g, h.iter().copied().collect())
}

/// Solves `h x = g` for a symmetric positive definite `h` (k x k, row-major)
/// by Cholesky; `None` when `h` is not positive definite.
fn solve_symmetric(h: &mut [f64], g: &mut [f64], k: usize) -> Option<Vec<f64>> {
    // h = L L^T, L stored in the lower triangle of h.
    for j in 0..k {
        let mut d = h[j * k + j];
        for m in 0..j {
            d -= h[j * k + m] * h[j * k + m];
        }
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        h[j * k + j] = d;
        for i in j + 1..k {
            let mut v = h[i * k + j];
            for m in 0..j {
                v -= h[i * k + m] * h[j * k + m];
            }
            h[i * k + j] = v / d;
        }
    }
    // L y = g, then L^T x = y.
    for i in 0..k {
        for m in 0..i {
            g[i] -= h[i * k + m] * g[m];
        }
        g[i] /= h[i * k + i];
    }
    for i in (0..k).rev() {
        for m in i + 1..k {
            g[i] -= h[m * k + i] * g[m];
        }
        g[i] /= h[i * k + i];
    }
    Some(g.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 16 rows x 2 columns, 5 bads (a minority, so linfa's positive class is
    /// "good" and the sign flip is exercised).
    const X: [f64; 32] = [
        -0.8, 0.3, -0.5, -0.2, -0.3, 0.4, -0.1, -0.6, 0.0, 0.1, 0.2, -0.3, 0.4, 0.5, 0.6, -0.1,
        0.9, 0.7, 1.1, 0.2, -0.6, -0.4, 0.3, 0.9, 0.7, 0.6, 1.3, -0.2, -0.2, 0.8, 0.5, 0.0,
    ];
    const Y: [u8; 16] = [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1];

    fn bad() -> Vec<bool> {
        Y.iter().map(|y| *y == 1).collect()
    }

    #[test]
    fn matches_scikit_learn_on_a_fixed_matrix() {
        // scikit-learn 1.9.1, the same X and y:
        //   LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(X, y)
        //   coef_ = [1.06069723, 0.14412297], intercept_ = -1.1209336859829375
        //   log_loss(y, predict_proba(X)[:, 1]) = 0.5085764233045467
        let fit = fit_logistic(&X, 2, &bad(), 1.0, None).unwrap();
        assert!((fit.coefficients[0] - 1.06069723).abs() < 1e-5, "{fit:?}");
        assert!((fit.coefficients[1] - 0.14412297).abs() < 1e-5, "{fit:?}");
        assert!((fit.intercept + 1.1209336859829375).abs() < 1e-5, "{fit:?}");
        assert!((fit.log_loss - 0.5085764233045467).abs() < 1e-7, "{fit:?}");
    }

    #[test]
    fn swapping_which_class_is_the_majority_only_flips_signs() {
        // The same data with the labels inverted: now bads are the majority,
        // linfa's positive class is "bad", and no flip happens. The model of
        // P(bad) must be the exact mirror of the first.
        let fit = fit_logistic(&X, 2, &bad(), 1.0, None).unwrap();
        let inverted: Vec<bool> = bad().iter().map(|b| !b).collect();
        let mirror = fit_logistic(&X, 2, &inverted, 1.0, None).unwrap();
        assert!((fit.intercept + mirror.intercept).abs() < 1e-5);
        for (a, b) in fit.coefficients.iter().zip(&mirror.coefficients) {
            assert!((a + b).abs() < 1e-5);
        }
        assert!((fit.log_loss - mirror.log_loss).abs() < 1e-7);
    }

    #[test]
    fn a_warm_start_reaches_the_same_optimum() {
        // From the optimum itself, from a nearby point, and with the labels
        // inverted (linfa's positive class flips): the scikit-learn numbers
        // of the test above every time.
        let cold = fit_logistic(&X, 2, &bad(), 1.0, None).unwrap();
        let near = LogisticFit {
            intercept: -0.9,
            coefficients: vec![1.3, 0.0],
            log_loss: 0.0,
        };
        for start in [&cold, &near] {
            let warm = fit_logistic(&X, 2, &bad(), 1.0, Some(start)).unwrap();
            assert!((warm.coefficients[0] - 1.06069723).abs() < 1e-5, "{warm:?}");
            assert!((warm.coefficients[1] - 0.14412297).abs() < 1e-5, "{warm:?}");
            assert!(
                (warm.intercept + 1.1209336859829375).abs() < 1e-5,
                "{warm:?}"
            );
        }
        let inverted: Vec<bool> = bad().iter().map(|b| !b).collect();
        let mirror_start = LogisticFit {
            intercept: 0.9,
            coefficients: vec![-1.3, 0.0],
            log_loss: 0.0,
        };
        let mirror = fit_logistic(&X, 2, &inverted, 1.0, Some(&mirror_start)).unwrap();
        assert!(
            (mirror.coefficients[0] + 1.06069723).abs() < 1e-5,
            "{mirror:?}"
        );
        assert!(
            (mirror.intercept - 1.1209336859829375).abs() < 1e-5,
            "{mirror:?}"
        );
    }

    #[test]
    fn a_warm_start_at_the_optimum_stays_there_exactly() {
        // Started at its own optimum, linfa stops at once and returns it
        // bit for bit; started at the mirror image (the sign convention
        // got wrong) it wanders off in the 8th decimal (measured). Both
        // ways round of linfa's positive class.
        for labels in [bad(), bad().iter().map(|b| !b).collect()] {
            let cold = fit_logistic(&X, 2, &labels, 1.0, None).unwrap();
            let warm = fit_logistic(&X, 2, &labels, 1.0, Some(&cold)).unwrap();
            assert_eq!(warm, cold);
        }
    }

    #[test]
    fn newton_reaches_the_same_optimum_from_a_warm_start() {
        // Started near a refit's previous answer, or far from it, Newton
        // lands on the scikit-learn optimum below (what training relies on
        // when a refit starts from the previous fit less a dropped column).
        let cold = newton_start(&X, 2, &bad(), 1.0, None);
        for from in [[1.0, 0.1, -1.0], [-3.0, 2.0, 4.0]] {
            let warm = newton_start(&X, 2, &bad(), 1.0, Some(&from));
            for (a, b) in warm.coefficients.iter().zip(&cold.coefficients) {
                assert!((a - b).abs() < 1e-9, "{warm:?} vs {cold:?}");
            }
            assert!((warm.intercept - cold.intercept).abs() < 1e-9);
            assert!((warm.coefficients[0] - 1.06069723).abs() < 1e-7);
        }
    }

    #[test]
    fn newton_finds_the_scikit_learn_optimum_and_linfa_keeps_it() {
        // The scikit-learn numbers of `matches_scikit_learn_on_a_fixed_matrix`,
        // which Newton reaches far more tightly than linfa's tolerance.
        let start = newton_start(&X, 2, &bad(), 1.0, None);
        assert!(
            (start.coefficients[0] - 1.06069723).abs() < 1e-7,
            "{start:?}"
        );
        assert!(
            (start.coefficients[1] - 0.14412297).abs() < 1e-7,
            "{start:?}"
        );
        assert!(
            (start.intercept + 1.1209336859829375).abs() < 1e-7,
            "{start:?}"
        );
        assert!(
            (start.log_loss - 0.5085764233045467).abs() < 1e-9,
            "{start:?}"
        );
        // From there linfa's gradient check passes at once: it returns the
        // start unchanged.
        let fit = fit_logistic(&X, 2, &bad(), 1.0, Some(&start)).unwrap();
        assert_eq!(fit.coefficients, start.coefficients);
        assert_eq!(fit.intercept, start.intercept);
    }

    #[test]
    fn bad_shapes_and_one_class_are_clear_errors() {
        assert_eq!(
            fit_logistic(&X[..31], 2, &bad(), 1.0, None)
                .unwrap_err()
                .to_string(),
            "the matrix has 31 values, not 16 rows x 2 columns"
        );
        assert_eq!(
            fit_logistic(&X, 2, &[false; 16], 1.0, None).unwrap_err(),
            FitError::OneClass { bads: 0, rows: 16 }
        );
    }
}

//! The scorecard: training on the bundled sample, the shipped artifact,
//! scoring and reasons, and the artifact's checks.

use std::sync::OnceLock;

use chrono::NaiveDate;
use earlywarn::config::{Config, TrainConfig};
use earlywarn::features::{self, LabelParams, FEATURES};
use earlywarn::ingest;
use earlywarn::model::scorecard::{
    BinCard, Exclusion, FeatureCard, Metrics, Scorecard, Training, Validation,
};
use earlywarn::model::{artifact, matrix, score, train};
use polars::prelude::*;

use crate::workdir::Workdir;

const SAMPLE_AS_OF: &str = "2026-10-31";

struct Sample {
    snapshots: DataFrame,
    today: DataFrame,
    fingerprint: String,
    as_of: NaiveDate,
}

/// The sample's snapshots and features on its last day, computed once.
fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let input = std::path::Path::new("data-samples");
        let (book, report) = ingest::read_book(input, &Config::default()).unwrap();
        let as_of = earlywarn::dates::parse_iso(SAMPLE_AS_OF).unwrap();
        Sample {
            snapshots: features::snapshots(&book, as_of, LabelParams::default(), 1).unwrap(),
            today: features::as_of(&book, as_of, 60).unwrap(),
            fingerprint: report.fingerprint(input).unwrap(),
            as_of,
        }
    })
}

fn shipped() -> Scorecard {
    artifact::load(std::path::Path::new("models/default.json")).unwrap()
}

fn train_on(snapshots: &DataFrame) -> Scorecard {
    let s = sample();
    train::train(
        train::TrainInput {
            rows: train::TrainingRows::from_snapshots(snapshots.clone()).unwrap(),
            as_of: s.as_of,
            bad_event: LabelParams::default(),
            data_fingerprint: s.fingerprint.clone(),
            customer_sample: None,
        },
        &TrainConfig::default(),
    )
    .unwrap()
}

#[test]
fn retraining_the_sample_reproduces_the_shipped_model_byte_for_byte() {
    // README: earlywarn train --input data-samples --model-out models/default.json
    // Run here on one thread; the shipped file was made on two.
    let wd = Workdir::new();
    let input = std::fs::canonicalize("data-samples").unwrap();
    wd.run_env(
        &[
            "train",
            "--input",
            input.to_str().unwrap(),
            "--model-out",
            "m.json",
        ],
        &[("RAYON_NUM_THREADS", "1"), ("POLARS_MAX_THREADS", "1")],
    )
    .expect_code(0)
    .expect_stdout_contains("hold-out")
    .expect_stdout_contains("written to m.json");
    let bytes = std::fs::read("models/default.json").unwrap();
    assert!(
        wd.read("m.json").as_bytes() == bytes.as_slice(),
        "models/default.json is not what its README command makes: retrain it"
    );
    // And the in-process training on the same snapshots gives the same card.
    assert_eq!(train_on(&sample().snapshots), shipped());
}

#[test]
fn the_shipped_model_obeys_its_selection_rules() {
    let card = shipped();
    let t = &card.settings;
    assert!(card.features.len() >= 5, "{} features", card.features.len());
    for f in &card.features {
        // WoE is ln(good share / bad share): a safer bin has a higher WoE, so
        // a coefficient on P(bad) must not be positive.
        assert!(f.coefficient <= 0.0, "{}: {}", f.name, f.coefficient);
        assert!(f.iv >= t.min_iv, "{}: IV {}", f.name, f.iv);
        // Monotone bad rate across value bins, in the stated direction.
        let rates: Vec<f64> = f
            .bins
            .iter()
            .map(|b| b.bads as f64 / (b.goods + b.bads) as f64)
            .collect();
        let ok = match f.direction {
            earlywarn::model::binning::Direction::Ascending => {
                rates.windows(2).all(|w| w[0] <= w[1])
            }
            earlywarn::model::binning::Direction::Descending => {
                rates.windows(2).all(|w| w[0] >= w[1])
            }
        };
        assert!(ok, "{}: bad rates {rates:?} not monotone", f.name);
    }
    // Every candidate is either in the model or excluded with a reason.
    let mut all: Vec<&str> = card.features.iter().map(|f| f.name.as_str()).collect();
    all.extend(card.excluded.iter().map(|e| e.feature.as_str()));
    all.sort();
    let mut expected: Vec<&str> = FEATURES.to_vec();
    expected.sort();
    assert_eq!(all, expected);
    // The sample exercises all three exclusion rules.
    for rule in ["below the minimum", "correlates", "wrong sign"] {
        assert!(
            card.excluded.iter().any(|e| e.reason.contains(rule)),
            "no exclusion for {rule:?}"
        );
    }
    // Hold-out validation is present and better than chance.
    let holdout = card.validation.holdout.as_ref().unwrap();
    assert!(holdout.auc.unwrap() > 0.75, "{holdout:?}");
    assert!(holdout.rows > 0 && holdout.bads > 0);
    assert_eq!(
        holdout.rows + card.validation.train.rows,
        card.training.rows
    );
    assert_eq!(card.training.holdout_from.to_string(), "2026-05-31");
}

#[test]
fn the_fit_is_the_penalised_optimum_of_its_own_woe_matrix() {
    // An independent check of the shipped coefficients: at the optimum of
    // sum(log loss) + l2/2 |w|^2, the gradient vanishes:
    //   d/dw_j = sum_i (p_i - y_i) x_ij + l2 w_j = 0,  d/db = sum_i (p_i - y_i) = 0.
    let card = shipped();
    let s = sample();
    let labelled = s
        .snapshots
        .filter(&s.snapshots.column("bad").unwrap().is_not_null())
        .unwrap();
    let names: Vec<&str> = card.features.iter().map(|f| f.name.as_str()).collect();
    let columns = matrix::float_columns(&labelled, &names).unwrap();
    let bad = matrix::bool_column(&labelled, "bad").unwrap();
    let n = labelled.height();
    assert_eq!(n, card.training.rows);
    let mut grad = vec![0.0; names.len()];
    let mut grad_b = 0.0;
    for i in 0..n {
        let x: Vec<f64> = card
            .features
            .iter()
            .zip(&columns)
            .map(|(f, c)| f.place(c[i]).woe)
            .collect();
        let z = card.intercept
            + x.iter()
                .zip(&card.features)
                .map(|(x, f)| x * f.coefficient)
                .sum::<f64>();
        let p = 1.0 / (1.0 + (-z).exp());
        let r = p - if bad[i].unwrap() { 1.0 } else { 0.0 };
        grad_b += r;
        for (g, x) in grad.iter_mut().zip(&x) {
            *g += r * x;
        }
    }
    for (g, f) in grad.iter_mut().zip(&card.features) {
        *g += card.settings.l2 * f.coefficient;
    }
    // Per-row gradient below 1e-6: the fit's own tolerance is 1e-7 x rows
    // on the gradient's norm.
    for (g, name) in grad.iter().zip(&names) {
        assert!((g / n as f64).abs() < 1e-6, "{name}: gradient {g}");
    }
    assert!(
        (grad_b / n as f64).abs() < 1e-6,
        "intercept gradient {grad_b}"
    );
}

#[test]
fn the_hold_out_never_reaches_the_validated_fit() {
    // Scramble the hold-out rows (snapshots from 2026-05-31 on): null every
    // feature and flip every label. The training-part metrics must not move;
    // the hold-out metrics must.
    let s = sample();
    let day = col("as_of").gt_eq(
        lit(earlywarn::dates::to_days(
            earlywarn::dates::parse_iso("2026-05-31").unwrap(),
        ))
        .cast(DataType::Date),
    );
    let mut exprs: Vec<Expr> = FEATURES
        .iter()
        .map(|f| {
            when(day.clone())
                .then(lit(NULL).cast(DataType::Float64))
                .otherwise(col(*f).cast(DataType::Float64))
                .alias(*f)
        })
        .collect();
    exprs.push(
        when(day.clone())
            .then(col("bad").not())
            .otherwise(col("bad"))
            .alias("bad"),
    );
    let scrambled = s
        .snapshots
        .clone()
        .lazy()
        .with_columns(exprs)
        .collect()
        .unwrap();
    let original = shipped();
    let changed = train_on(&scrambled);
    assert_eq!(changed.validation.train, original.validation.train);
    assert_ne!(changed.validation.holdout, original.validation.holdout);
}

/// A two-feature card built by hand.
fn hand_card() -> Scorecard {
    let bin = |upper: Option<f64>, woe: f64, coefficient: f64| BinCard {
        upper,
        goods: 1,
        bads: 1,
        woe,
        // points = -factor x coefficient x woe, factor = 20 / ln 2
        points: -20.0 / std::f64::consts::LN_2 * coefficient * woe,
    };
    let late = FeatureCard {
        name: "late_share_90".into(),
        direction: earlywarn::model::binning::Direction::Ascending,
        iv: 0.3,
        coefficient: -0.8,
        bins: vec![bin(Some(0.2), 1.0, -0.8), bin(None, -1.5, -0.8)],
        missing: Some(bin(None, 0.0, -0.8)),
    };
    let requests = FeatureCard {
        name: "term_extensions_90".into(),
        direction: earlywarn::model::binning::Direction::Ascending,
        iv: 0.1,
        coefficient: -0.5,
        bins: vec![bin(Some(0.0), 0.4, -0.5), bin(None, -1.0, -0.5)],
        missing: None,
    };
    let empty = Metrics {
        rows: 0,
        bads: 0,
        auc: None,
        ks: None,
        gini: None,
        brier: 0.0,
        log_loss: 0.0,
        top_decile_capture: None,
        calibration: vec![],
    };
    let day = earlywarn::dates::parse_iso("2026-01-31").unwrap();
    let scaling = Default::default();
    let mut card = Scorecard {
        format: "earlywarn-scorecard".into(),
        format_version: 1,
        content_hash: String::new(),
        bad_event: LabelParams::default(),
        training: Training {
            as_of: day,
            first_snapshot: day,
            last_labelled_snapshot: day,
            snapshot_days: 1,
            rows: 0,
            bads: 0,
            holdout_from: day,
            data_fingerprint: String::new(),
            customer_sample: None,
            fitted_on: String::new(),
        },
        odds: "good:bad".into(),
        scaling,
        bands: Default::default(),
        intercept: -3.0,
        base_points: earlywarn::model::scorecard::Scaling::default().score_of_logit(-3.0),
        features: vec![late, requests],
        excluded: vec![Exclusion {
            feature: "tenure_days".into(),
            iv: Some(0.0),
            reason: "test".into(),
        }],
        validation: Validation {
            train: empty,
            holdout: None,
            single_feature_holdout_auc: vec![],
        },
        score_deciles: vec![],
        settings: TrainConfig::default(),
    };
    artifact::seal(&mut card);
    card
}

#[test]
fn scoring_one_customer_by_hand() {
    let card = hand_card();
    // late_share_90 = 0.5 -> second bin, WoE -1.5; term_extensions_90 = 2 ->
    // second bin, WoE -1.0.
    // z = -3 + (-0.8)(-1.5) + (-0.5)(-1.0) = -3 + 1.2 + 0.5 = -1.3
    // pd = 1 / (1 + e^1.3) = 0.214165...; band E (>= 0.20).
    // points = offset - factor z = 487.1229 + 28.8539 x 1.3 = 524.633 -> 525.
    // Lost points against each feature's best bin: late 28.8539 x 0.8 x
    // (1.0 - -1.5) = 57.71; requests 28.8539 x 0.5 x (0.4 - -1.0) = 20.20.
    let s = score::score_one(&card, &[Some(0.5), Some(2.0)], false, Some(3.0));
    assert_eq!(s.pd, 0.214165);
    assert_eq!(s.score, 525);
    assert_eq!(s.band, "E");
    assert_eq!(
        s.reasons,
        [
            "paid 50% of invoices late in the last 90 days".to_string(),
            "2 term-extension requests in the last 90 days".to_string(),
            String::new(),
        ]
    );
    // Both missing: the late share takes its missing bin (WoE 0), the
    // request count has none and is neutral (WoE 0): z = -3,
    // pd = 1 / (1 + e^3) = 0.047426 -> band B.
    let s = score::score_one(&card, &[None, None], false, None);
    assert_eq!(s.pd, 0.047426);
    assert_eq!(s.band, "B");
    // z = -3 + 0.5 = -2.5: pd = 1 / (1 + e^2.5) = 0.075858 -> band C; the
    // missing late share costs 28.8539 x 0.8 x 1.0 = 23.08 points, more
    // than the requests' 20.20.
    let s = score::score_one(&card, &[None, Some(2.0)], false, None);
    assert_eq!(s.pd, 0.075858);
    assert_eq!(s.band, "C");
    assert_eq!(s.reasons[0], "no invoice settled in the last 90 days");
    // The best customer loses nothing: no reasons.
    let s = score::score_one(&card, &[Some(0.1), Some(0.0)], false, None);
    assert_eq!(s.reasons, [String::new(), String::new(), String::new()]);
    // In default: pd 1, band E, the lowest score, and the days past due first.
    let s = score::score_one(&card, &[Some(0.1), Some(0.0)], true, Some(75.0));
    assert_eq!((s.pd, s.band), (1.0, "E"));
    assert_eq!(s.score, card.min_score().round() as i64);
    assert_eq!(s.reasons[0], "in default: an invoice 75 days past due");
}

#[test]
fn scores_of_the_sample_agree_with_their_pd_and_bands() {
    let card = shipped();
    let s = sample();
    let scored = score::score(&card, &s.today).unwrap();
    assert_eq!(scored.height(), s.today.height());
    let pd = matrix::float_columns(&scored, &["pd", "score"]).unwrap();
    let band = matrix::str_column(&scored, "risk_band").unwrap();
    let reason = matrix::str_column(&scored, "reason_1").unwrap();
    let in_default = matrix::bool_column(&s.today, "in_default").unwrap();
    let (factor, offset) = (card.scaling.factor(), card.scaling.offset());
    let mut defaults = 0;
    for i in 0..scored.height() {
        let (p, points) = (pd[0][i].unwrap(), pd[1][i].unwrap());
        let band = band[i].as_deref().unwrap();
        if in_default[i].unwrap() {
            defaults += 1;
            assert_eq!((p, band), (1.0, "E"));
            assert!(reason[i].as_deref().unwrap().starts_with("in default"));
            continue;
        }
        // score = offset + factor ln(good:bad odds), up to rounding of both:
        // half a point, and pd to 6 decimals moves ln odds by up to
        // 5e-7 / (p (1 - p)).
        let from_pd = offset + factor * ((1.0 - p) / p).ln();
        let slack = 0.5 + factor * 5e-7 / (p * (1.0 - p)) + 1e-9;
        assert!(
            (points - from_pd).abs() <= slack,
            "row {i}: {points} vs {from_pd}"
        );
        assert_eq!(band, card.bands.band(p));
    }
    assert!(
        defaults > 0,
        "the sample has accounts in default on its last day"
    );
}

#[test]
fn a_changed_truncated_or_foreign_artifact_is_refused_with_a_clear_message() {
    let text = std::fs::read_to_string("models/default.json").unwrap();
    assert!(artifact::parse(&text).is_ok());
    // One points value changed by hand.
    let card = shipped();
    let points = format!("\"points\": {}", card.features[0].bins[0].points);
    assert!(text.contains(&points));
    let tampered = text.replacen(&points, "\"points\": 99.0", 1);
    let err = artifact::parse(&tampered).unwrap_err();
    assert!(err.contains("content hash does not match"), "{err}");
    let err = artifact::parse(&text[..text.len() / 2]).unwrap_err();
    assert!(err.contains("truncated or not JSON"), "{err}");
    let err = artifact::parse(&text.replacen("\"format_version\": 1", "\"format_version\": 2", 1))
        .unwrap_err();
    assert!(err.contains("format version 2"), "{err}");
    let err = artifact::parse("{\"format\": \"other\"}").unwrap_err();
    assert!(err.contains("not an earlywarn model"), "{err}");
    // Through the command line: exit 2, the file named.
    let wd = Workdir::new();
    wd.write("bad.json", &tampered);
    wd.run(&["model", "show", "--model", "bad.json"])
        .expect_code(2)
        .expect_stderr_contains("bad.json")
        .expect_stderr_contains("content hash does not match");
}

#[test]
fn model_show_prints_one_row_per_bin() {
    let card = shipped();
    let wd = Workdir::new();
    let model = std::fs::canonicalize("models/default.json").unwrap();
    let run = wd.run(&["model", "show", "--model", model.to_str().unwrap()]);
    run.expect_code(0);
    let out = run.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "feature,bin,lower,upper,goods,bads,bad_rate,woe,points,iv,coefficient"
    );
    assert!(lines[1].starts_with("(base),"));
    let bins: usize = card
        .features
        .iter()
        .map(|f| f.bins.len() + usize::from(f.missing.is_some()))
        .sum();
    assert_eq!(lines.len(), 2 + bins);
    let first = &card.features[0];
    assert!(
        lines[2].starts_with(&format!("{},\"(-inf, ", first.name)),
        "{}",
        lines[2]
    );
}

#[test]
fn pd_and_score_recomputed_from_the_printed_table_match_scoring() {
    // Read the CSV of `model show` back, and score every sample customer
    // from it alone: the bin is the row with lower < value <= upper (or
    // `missing`; no missing row means WoE 0 and 0 points), pd the logistic
    // of the base row's coefficient (the intercept) + sum of coefficient x
    // woe, score the sum of points.
    let wd = Workdir::new();
    let model = std::fs::canonicalize("models/default.json").unwrap();
    wd.run(&[
        "model",
        "show",
        "--model",
        model.to_str().unwrap(),
        "--out",
        "card.csv",
    ])
    .expect_code(0);
    let table = CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(wd.path("card.csv")))
        .unwrap()
        .finish()
        .unwrap();
    let feature = matrix::str_column(&table, "feature").unwrap();
    let bin = matrix::str_column(&table, "bin").unwrap();
    let nums =
        matrix::float_columns(&table, &["lower", "upper", "woe", "points", "coefficient"]).unwrap();
    let (lower, upper, woe, points, coef) = (&nums[0], &nums[1], &nums[2], &nums[3], &nums[4]);
    assert_eq!(feature[0].as_deref(), Some("(base)"));
    let mut names: Vec<&str> = feature[1..].iter().map(|f| f.as_deref().unwrap()).collect();
    names.dedup();

    let s = sample();
    let values = matrix::float_columns(&s.today, &names).unwrap();
    let in_default = matrix::bool_column(&s.today, "in_default").unwrap();
    let scored = score::score(&shipped(), &s.today).unwrap();
    let got = matrix::float_columns(&scored, &["pd", "score"]).unwrap();
    let mut checked = 0;
    for i in 0..s.today.height() {
        if in_default[i].unwrap() {
            continue;
        }
        let mut z = coef[0].unwrap();
        let mut total = points[0].unwrap();
        for (k, name) in names.iter().enumerate() {
            let v = values[k][i];
            let row = (1..table.height()).find(|&r| {
                feature[r].as_deref() == Some(*name)
                    && match v {
                        None => bin[r].as_deref() == Some("missing"),
                        Some(v) => {
                            bin[r].as_deref() != Some("missing")
                                && lower[r].is_none_or(|l| v > l)
                                && upper[r].is_none_or(|u| v <= u)
                        }
                    }
            });
            if let Some(r) = row {
                z += coef[r].unwrap() * woe[r].unwrap();
                total += points[r].unwrap();
            }
        }
        let pd = 1.0 / (1.0 + (-z).exp());
        assert!((pd - got[0][i].unwrap()).abs() <= 5e-7 + 1e-12, "row {i}");
        assert_eq!(total.round(), got[1][i].unwrap(), "row {i}");
        checked += 1;
    }
    assert!(checked > 200, "{checked}");
}

#[test]
fn training_on_a_customer_sample_says_so_in_the_artifact() {
    let wd = Workdir::new();
    let input = std::fs::canonicalize("data-samples").unwrap();
    let input = input.to_str().unwrap();
    wd.run(&[
        "train",
        "--input",
        input,
        "--model-out",
        "m.json",
        "--customer-share",
        "0.7",
    ])
    .expect_code(0)
    .expect_stdout_contains("training on a 0.7 sample of the customers");
    let card = artifact::load(&wd.path("m.json")).unwrap();
    let sample = card.training.customer_sample.expect("sample recorded");
    assert_eq!((sample.share, sample.of), (0.7, 305));
    assert!((150..280).contains(&sample.customers), "{sample:?}");
    assert!(card.training.rows < shipped().training.rows);
    // Not a share: a usage error, nothing written.
    for bad in ["0", "1.5", "half"] {
        wd.run(&[
            "train",
            "--input",
            input,
            "--model-out",
            "n.json",
            "--customer-share",
            bad,
        ])
        .expect_code(2);
    }
    assert!(!wd.path("n.json").exists());
}

#[test]
fn training_rows_are_the_labelled_snapshot_rows_within_their_sized_bound() {
    // `train` sizes its vectors with most_labelled_rows before the sweep
    // and appends each snapshot day's labelled rows as it is finished.
    let s = sample();
    let (book, _) =
        ingest::read_book(std::path::Path::new("data-samples"), &Config::default()).unwrap();
    let bound = features::most_labelled_rows(&book, s.as_of, LabelParams::default(), 1).unwrap();
    let bad = s.snapshots.column("bad").unwrap().bool().unwrap();
    let labelled = bad.len() - bad.null_count();
    // The bound is a row per customer and labelled day: the days whose
    // rows carry a label, counted here from the snapshots themselves.
    let days = s
        .snapshots
        .column("as_of")
        .unwrap()
        .date()
        .unwrap()
        .physical();
    let mut labelled_days: Vec<i32> = days
        .iter()
        .zip(bad.iter())
        .filter_map(|(d, b)| b.and(d))
        .collect();
    labelled_days.sort_unstable();
    labelled_days.dedup();
    assert_eq!(bound, book.customers.height() * labelled_days.len());
    assert!(labelled > 0 && labelled <= bound, "{labelled} of {bound}");
    // Day by day or whole, the same rows: the same model.
    let whole = train_on(&s.snapshots);
    let mut rows = train::TrainingRows::with_capacity(bound);
    for day in labelled_days.iter().chain([&i32::MAX]) {
        // The unlabelled days too (the last one: i32::MAX takes the rest).
        let from = labelled_days.iter().filter(|d| *d < day).max().copied();
        let mask = days
            .iter()
            .map(|d| d.is_some_and(|d| from.is_none_or(|f| d > f) && d <= *day))
            .collect::<BooleanChunked>();
        rows.append(s.snapshots.filter(&mask).unwrap()).unwrap();
    }
    assert_eq!(rows.len(), labelled);
    let by_day = train::train(
        train::TrainInput {
            rows,
            as_of: s.as_of,
            bad_event: LabelParams::default(),
            data_fingerprint: s.fingerprint.clone(),
            customer_sample: None,
        },
        &TrainConfig::default(),
    )
    .unwrap();
    assert_eq!(artifact::to_json(&by_day), artifact::to_json(&whole));
}

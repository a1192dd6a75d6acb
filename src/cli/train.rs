//! `earlywarn train`: fit the scorecard from point-in-time snapshots.

use std::path::PathBuf;

use earlywarn::config::Config;
use earlywarn::dates;
use earlywarn::features::{self, LabelParams};
use earlywarn::model::scorecard::{CustomerSample, Metrics};
use earlywarn::model::train::{train, TrainInput, TrainingRows};
use earlywarn::model::{artifact, Scorecard};
use earlywarn::output;
use earlywarn::progress::Progress;

/// Train the scorecard from point-in-time snapshots and write the model.
///
/// Builds month-end snapshots from the history known on --as-of, bins and fits
/// the scorecard, validates it on the latest snapshots (held out), refits on
/// all of them and writes the model artifact. Prints the validation table.
///
/// Example: earlywarn train --input data-samples --model-out models/default.json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Input folder with the history to learn from.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the model artifact (JSON).
    #[arg(long)]
    pub model_out: PathBuf,
    /// Train on the history known on this day (YYYY-MM-DD); default: the last day in the data.
    #[arg(long, value_parser = dates::parse_iso)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Days past due that make an account "bad".
    #[arg(long, default_value_t = 60)]
    pub bad_dpd: u32,
    /// Days after a snapshot in which the bad event is looked for.
    #[arg(long, default_value_t = 90)]
    pub horizon_days: u32,
    /// TOML config (see docs/config.md, section [train]).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Train on this share of the customers (0 < share <= 1), chosen by a
    /// hash of their id, all of their rows: for books too big to snapshot
    /// whole (1M customers). The artifact records the sample.
    #[arg(long, value_parser = parse_share)]
    pub customer_share: Option<f64>,
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(format!("{s:?} is not a share between 0 (excluded) and 1")),
    }
}

pub fn run(args: Args, progress: &Progress) -> anyhow::Result<()> {
    progress.stage("reading");
    let config = Config::load_or_default(args.config.as_deref())?;
    // Tables side by side: train peaks in the snapshots, well above what
    // reading holds even so (docs/performance.md, session 18).
    let super::Input {
        book,
        report,
        as_of,
    } = super::read_input(
        &args.input,
        &config,
        args.as_of,
        earlywarn::ingest::Reading::SideBySide,
    )?;
    let bad_event = LabelParams {
        bad_dpd: args.bad_dpd.into(),
        horizon_days: args.horizon_days.into(),
    };
    let (book, customer_sample) = match args.customer_share {
        None => (book, None),
        Some(share) => {
            let of = book.customers.height();
            let book = features::customer_sample(book, share)?;
            let sample = CustomerSample {
                share,
                customers: book.customers.height(),
                of,
            };
            println!(
                "training on a {share} sample of the customers: {} of {of}",
                sample.customers
            );
            (book, Some(sample))
        }
    };
    let started = std::time::Instant::now();
    progress.stage("snapshots");
    // Training needs the snapshots only: the book goes in, and its big
    // tables are released as soon as they are bucketed; each snapshot
    // day's labelled rows become vectors as the day is finished.
    // The input files are hashed for the fingerprint meanwhile (~0.1 s of
    // one core at 100k customers, beside the bucketing's one-core stretches).
    let step = config.train.step_months;
    let (data_fingerprint, rows) = std::thread::scope(|scope| {
        let fingerprint = scope.spawn(|| {
            let started = std::time::Instant::now();
            let fingerprint = report.fingerprint(&args.input);
            tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "input files fingerprinted"
            );
            fingerprint
        });
        let rows = features::most_labelled_rows(&book, as_of, bad_event, step).and_then(|most| {
            let mut rows = TrainingRows::with_capacity(most);
            features::snapshots_each(book, as_of, bad_event, step, |day| rows.append(day))?;
            Ok(rows)
        });
        let fingerprint = fingerprint
            .join()
            .expect("the fingerprint's thread does not panic");
        (fingerprint, rows)
    });
    // A file that cannot be read again is the error to report first.
    let (data_fingerprint, rows) = (data_fingerprint?, rows?);
    tracing::info!(
        labelled_rows = rows.len(),
        ms = started.elapsed().as_millis() as u64,
        "snapshots built"
    );
    progress.stage("binning, fitting, validating");
    let card = train(
        TrainInput {
            rows,
            as_of,
            bad_event,
            data_fingerprint,
            customer_sample,
        },
        &config.train,
    )?;
    output::write_atomic(&args.model_out, |w| {
        use std::io::Write;
        w.write_all(artifact::to_json(&card).as_bytes())?;
        Ok(())
    })?;
    progress.finish();
    print!("{}", summary(&card));
    println!(
        "model {} written to {}",
        card.version(),
        args.model_out.display()
    );
    Ok(())
}

/// The validation table and the selected features, for people.
pub fn summary(card: &Scorecard) -> String {
    let t = &card.training;
    let mut out = format!(
        "bad = {}+ days past due or written off within {} days\n\
         trained on {} customer-month-ends ({} bad) at {} snapshot days, {} .. {}; hold-out from {}\n\n",
        card.bad_event.bad_dpd,
        card.bad_event.horizon_days,
        t.rows,
        t.bads,
        t.snapshot_days,
        t.first_snapshot,
        t.last_labelled_snapshot,
        t.holdout_from
    );
    out += &format!(
        "{:<9} {:>8} {:>6} {:>6} {:>6} {:>6} {:>7} {:>8} {:>12}\n",
        "", "rows", "bads", "AUC", "KS", "Gini", "Brier", "log loss", "top-10% bads"
    );
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    let mut line = |name: &str, m: &Metrics| {
        out += &format!(
            "{:<9} {:>8} {:>6} {:>6} {:>6} {:>6} {:>7.4} {:>8.4} {:>12}\n",
            name,
            m.rows,
            m.bads,
            opt(m.auc),
            opt(m.ks),
            opt(m.gini),
            m.brier,
            m.log_loss,
            opt(m.top_decile_capture)
        );
    };
    line("train", &card.validation.train);
    match &card.validation.holdout {
        Some(m) => line("hold-out", m),
        None => out += "hold-out  (no labelled snapshot in the hold-out months)\n",
    }
    let singles = &card.validation.single_feature_holdout_auc;
    if !singles.is_empty() {
        out += "best single features on the hold-out (AUC):";
        for s in singles.iter().take(3) {
            out += &format!(" {} {:.3};", s.feature, s.auc);
        }
        out.pop();
        out.push('\n');
    }
    if let Some(h) = &card.validation.holdout {
        out += "hold-out calibration (10 bins by pd): rows, mean pd, observed bad rate\n";
        for (i, b) in h.calibration.iter().enumerate() {
            out += &format!(
                "  {:>2} {:>8} {:>8.4} {:>8.4}\n",
                i + 1,
                b.count,
                b.mean_pd,
                b.bad_rate
            );
        }
    }
    out += &format!("\nfeatures in the model ({}):\n", card.features.len());
    for f in &card.features {
        out += &format!(
            "  {:<28} IV {:.3}  coefficient {:+.3}  {} bins\n",
            f.name,
            f.iv,
            f.coefficient,
            f.bins.len() + usize::from(f.missing.is_some())
        );
    }
    out += &format!(
        "{} candidates left out (reasons in the artifact's \"excluded\")\n",
        card.excluded.len()
    );
    out
}

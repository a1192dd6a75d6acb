//! The report's charts, drawn with plotters' SVG backend into strings.
//!
//! Contract: each function returns one `<svg>` element (no XML namespace
//! URL: the page is inline HTML and names no external address), the same
//! bytes for the same data.

use plotters::prelude::*;

use crate::model::reasons::{money, percent};

/// Band colours, A (best) to E (worst).
pub const BAND_COLOURS: [RGBColor; 5] = [
    RGBColor(46, 125, 50),
    RGBColor(124, 179, 66),
    RGBColor(251, 192, 45),
    RGBColor(245, 124, 0),
    RGBColor(198, 40, 40),
];
const BLUE_: RGBColor = RGBColor(33, 102, 172);
const FONT: (&str, u32) = ("sans-serif", 13);

type Draw = Box<dyn FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> Result<(), String>>;

fn svg(size: (u32, u32), draw: Draw) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out.replacen(r#" xmlns="http://www.w3.org/2000/svg""#, "", 1))
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Stacked bars: `stacks[i][k]` is the height of stack k in column i.
fn stacked(
    title: &str,
    columns: Vec<String>,
    stacks: Vec<Vec<f64>>,
    colours: &'static [RGBColor],
    y_desc: &'static str,
    y_fmt: fn(&f64) -> String,
) -> Result<String, String> {
    let title = title.to_string();
    svg(
        (640, 300),
        Box::new(move |root| {
            let top = stacks
                .iter()
                .map(|s| s.iter().sum::<f64>())
                .fold(0.0, f64::max)
                .max(1.0)
                * 1.1;
            let n = columns.len();
            let mut chart = ChartBuilder::on(root)
                .caption(title, FONT)
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(70)
                .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..top)
                .map_err(err)?;
            let labels = columns.clone();
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n.max(1))
                .x_label_formatter(&move |x| {
                    // Bars are centred on whole numbers: label those.
                    let i = x.round();
                    if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                        labels[i as usize].clone()
                    } else {
                        String::new()
                    }
                })
                .y_desc(y_desc)
                .y_label_formatter(&y_fmt)
                .label_style(FONT)
                .draw()
                .map_err(err)?;
            for (i, stack) in stacks.iter().enumerate() {
                let mut base = 0.0;
                for (k, h) in stack.iter().enumerate() {
                    if *h <= 0.0 {
                        continue;
                    }
                    let colour = colours[k % colours.len()];
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(i as f64 - 0.4, base), (i as f64 + 0.4, base + h)],
                            colour.filled(),
                        )))
                        .map_err(err)?;
                    base += h;
                }
            }
            Ok(())
        }),
    )
}

/// Scores in 20-point buckets, each bar stacked by band.
pub fn score_histogram(scores: &[(i64, usize)]) -> Result<String, String> {
    let lo = scores.iter().map(|s| s.0).min().unwrap_or(0).div_euclid(20) * 20;
    let hi = scores.iter().map(|s| s.0).max().unwrap_or(0).div_euclid(20) * 20;
    let buckets = ((hi - lo) / 20 + 1) as usize;
    let mut stacks = vec![vec![0.0; 5]; buckets];
    for (score, band) in scores {
        stacks[((score - lo) / 20) as usize][(*band).min(4)] += 1.0;
    }
    let columns = (0..buckets)
        .map(|k| format!("{}", lo + 20 * k as i64))
        .collect();
    stacked(
        "Accounts by score (20-point buckets), coloured by band A-E",
        columns,
        stacks,
        &BAND_COLOURS,
        "accounts",
        |v| format!("{v:.0}"),
    )
}

/// Open amount by aging bucket.
pub fn aging(buckets: &[(&str, f64)]) -> Result<String, String> {
    stacked(
        "Open receivables by days past due",
        buckets.iter().map(|b| b.0.to_string()).collect(),
        buckets.iter().map(|b| vec![b.1]).collect(),
        &[BLUE_],
        "amount",
        |v| money(*v),
    )
}

/// Accounts by previous band, stacked by today's band.
pub fn migration(counts: &[[usize; 5]; 5]) -> Result<String, String> {
    stacked(
        "Band migration: previous run's band (columns) to today's (colours)",
        ["A", "B", "C", "D", "E"]
            .iter()
            .map(|b| b.to_string())
            .collect(),
        counts
            .iter()
            .map(|row| row.iter().map(|c| *c as f64).collect())
            .collect(),
        &BAND_COLOURS,
        "accounts",
        |v| format!("{v:.0}"),
    )
}

/// Weekly expected collections with the p10-p90 range.
pub fn forecast(weeks: &[(f64, f64, f64)]) -> Result<String, String> {
    let weeks = weeks.to_vec();
    svg(
        (640, 300),
        Box::new(move |root| {
            let top = weeks.iter().map(|w| w.2).fold(1.0, f64::max) * 1.1;
            let n = weeks.len() as f64;
            let mut chart = ChartBuilder::on(root)
                .caption(
                    "13-week collections: expected, with the p10-p90 range",
                    FONT,
                )
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(80)
                .build_cartesian_2d(0.5f64..n + 0.5, 0f64..top)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_labels(weeks.len())
                .x_label_formatter(&|x| format!("w{x:.0}"))
                .y_label_formatter(&|v| money(*v))
                .y_desc("collections")
                .label_style(FONT)
                .draw()
                .map_err(err)?;
            let mut band: Vec<(f64, f64)> = weeks
                .iter()
                .enumerate()
                .map(|(i, w)| (i as f64 + 1.0, w.2))
                .collect();
            band.extend(
                weeks
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(i, w)| (i as f64 + 1.0, w.1)),
            );
            chart
                .draw_series(std::iter::once(Polygon::new(band, BLUE_.mix(0.2).filled())))
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(
                    weeks.iter().enumerate().map(|(i, w)| (i as f64 + 1.0, w.0)),
                    BLUE_.stroke_width(2),
                ))
                .map_err(err)?;
            Ok(())
        }),
    )
}

/// Mean pd against the observed bad rate per calibration bin.
pub fn calibration(points: &[(f64, f64)]) -> Result<String, String> {
    let points = points.to_vec();
    svg(
        (420, 320),
        Box::new(move |root| {
            let top = points.iter().map(|p| p.0.max(p.1)).fold(0.01, f64::max) * 1.1;
            let mut chart = ChartBuilder::on(root)
                .caption("Hold-out calibration: predicted vs observed", FONT)
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(55)
                .build_cartesian_2d(0f64..top, 0f64..top)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("mean pd")
                .y_desc("observed bad rate")
                .x_label_formatter(&|v| percent(*v))
                .y_label_formatter(&|v| percent(*v))
                .label_style(FONT)
                .draw()
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new([(0.0, 0.0), (top, top)], BLACK.mix(0.3)))
                .map_err(err)?;
            chart
                .draw_series(points.iter().map(|p| Circle::new(*p, 4, BLUE_.filled())))
                .map_err(err)?;
            Ok(())
        }),
    )
}

/// Information value per feature, as horizontal bars (in the model: blue).
pub fn information_value(features: &[(String, f64, bool)]) -> Result<String, String> {
    let features = features.to_vec();
    let height = 40 + 18 * features.len() as u32;
    svg(
        (640, height.max(120)),
        Box::new(move |root| {
            let top = features.iter().map(|f| f.1).fold(0.05, f64::max) * 1.1;
            let n = features.len();
            let names: Vec<String> = features.iter().map(|f| f.0.clone()).collect();
            let mut chart = ChartBuilder::on(root)
                .caption(
                    "Information value per candidate feature (blue: in the model)",
                    FONT,
                )
                .margin(10)
                .x_label_area_size(25)
                .y_label_area_size(200)
                .build_cartesian_2d(0f64..top, 0f64..n as f64)
                .map_err(err)?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(n.max(1))
                .y_label_formatter(&move |y| {
                    let i = (*y - 0.5).round();
                    if (y - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                        names[names.len() - 1 - i as usize].clone()
                    } else {
                        String::new()
                    }
                })
                .x_label_formatter(&|v| format!("{v:.2}"))
                .label_style(("sans-serif", 11))
                .draw()
                .map_err(err)?;
            for (i, (_, iv, kept)) in features.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let colour = if *kept {
                    BLUE_
                } else {
                    RGBColor(170, 170, 170)
                };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, y + 0.15), (*iv, y + 0.85)],
                        colour.filled(),
                    )))
                    .map_err(err)?;
            }
            Ok(())
        }),
    )
}

//! report.html as a person meets it: every section, the run's own
//! numbers, well-formed, nothing fetched from anywhere.

use polars::prelude::*;

use crate::workdir::Workdir;

fn sample_run_twice() -> Workdir {
    let wd = Workdir::new();
    for dir in ["data-samples", "models"] {
        let src = std::fs::canonicalize(dir).unwrap();
        std::os::unix::fs::symlink(src, wd.path(dir)).unwrap();
    }
    // A previous run, so the page has a band migration.
    wd.run(&["run", "--as-of", "2026-09-30"]).expect_code(0);
    wd.run(&["run"]).expect_code(0);
    wd
}

fn csv(wd: &Workdir, file: &str) -> DataFrame {
    CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(wd.path(file)))
        .unwrap()
        .finish()
        .unwrap()
}

#[test]
fn the_report_has_every_section_and_the_runs_own_numbers() {
    let wd = sample_run_twice();
    let page = wd.read("out/report.html");
    for id in [
        "headline",
        "band-counts",
        "action-counts",
        "limit-counts",
        "chart-scores",
        "chart-aging",
        "chart-forecast",
        "chart-migration",
        "escalations",
        "limits",
        "model-card",
        "validation",
        "chart-calibration",
        "chart-iv",
        "stability",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "no section {id}");
    }
    assert_eq!(page.matches("<svg").count(), 6);

    // Band counts as in scores.csv.
    let scores = csv(&wd, "out/scores.csv");
    let bands = scores.column("risk_band").unwrap().str().unwrap().clone();
    let counts: Vec<usize> = ["A", "B", "C", "D", "E"]
        .iter()
        .map(|b| bands.iter().filter(|x| *x == Some(*b)).count())
        .collect();
    let row: String = counts
        .iter()
        .map(|n| format!("<td class=\"n\">{n}</td>"))
        .collect();
    assert!(
        page.contains(&format!("<tr><td>accounts</td>{row}</tr>")),
        "band counts {counts:?}"
    );

    // Totals as in kpis.json, formatted for people.
    let kpis: serde_json::Value = serde_json::from_str(&wd.read("out/kpis.json")).unwrap();
    let open = earlywarn::model::reasons::money(kpis["totals"]["open_balance"].as_f64().unwrap());
    assert!(
        page.contains(&format!("<div class=\"v\">{open}</div>")),
        "open balance {open}"
    );
    let dso = format!("{:.1}", kpis["dso"].as_f64().unwrap());
    assert!(
        page.contains(&format!("<div class=\"v\">{dso}</div>")),
        "DSO {dso}"
    );

    // The 13-week total as the sum of cash_forecast.csv.
    let forecast = csv(&wd, "out/cash_forecast.csv");
    let total: f64 = forecast
        .column("expected_collections")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .map(Option::unwrap)
        .sum();
    let total = earlywarn::model::reasons::money(total);
    assert!(
        page.contains(&format!("<div class=\"v\">{total}</div>")),
        "forecast {total}"
    );

    // The queue: as many rows as escalations.csv has, up to 25, in its order.
    let queue = csv(&wd, "out/escalations.csv");
    let first = queue
        .column("customer_id")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    assert!(page.contains(&format!(
        "Collection queue: top {} of {}",
        queue.height().min(25),
        queue.height()
    )));
    assert!(page.contains(&format!("<td class=\"n\">1</td><td>{first}<br />")));
}

#[test]
fn the_report_is_well_formed_and_self_contained() {
    let wd = sample_run_twice();
    let page = wd.read("out/report.html");
    // Well-formed XHTML: every tag closed, every entity valid.
    let mut reader = quick_xml::Reader::from_str(&page);
    reader.config_mut().check_end_names = true;
    let mut depth: i64 = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    // Nothing to fetch: no address, no script, no external style or font.
    for needle in [
        "http://", "https://", "<script", "<link", "@import", "url(", "src=",
    ] {
        assert!(!page.contains(needle), "report.html contains {needle:?}");
    }
}

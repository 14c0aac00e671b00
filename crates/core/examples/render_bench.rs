//! Render time per page: the bundled page (askama) against the same page written as a user
//! template (`pages/examples/bundled-page.html`, byte-identical output) and the shipped example
//! template (`pages/examples/custom-page.html`), all three in minijinja's fuel budget.
//!
//! `cargo run --release -p edgepages-core --features template-check --example render_bench`
//!
//! Each run renders every page × locale of the example config with a request's values on it,
//! the three sites interleaved (their order rotating from run to run), so the machine's drift
//! falls on all three alike; the figures are the medians of the runs, and of each run's own
//! ratio to the bundled page.

#![allow(clippy::unwrap_used)]

use std::time::Instant;

use edgepages_core::config::load;
use edgepages_core::template::TemplateSource;
use edgepages_core::template::check::prepare;
use edgepages_core::{PageKind, RenderContext, Site, locale, render, static_page};

const RUNS: usize = 15;
const ROUNDS: usize = 200;

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let text = std::fs::read_to_string(format!("{root}/edgepages.toml")).unwrap();
    let config = load::parse(&text, "edgepages.toml").unwrap();
    let logo = config.brand.logo.as_ref().map(|l| std::fs::read_to_string(format!("{root}/{l}")).unwrap());
    let bundled = Site::new(config, logo.as_deref()).unwrap();
    let with = |file: &str| {
        let source = TemplateSource {
            path: file.to_owned(),
            text: std::fs::read_to_string(format!("{root}/pages/examples/{file}")).unwrap(),
        };
        prepare(bundled.clone(), Some(source), None).unwrap()
    };
    let sites = [
        ("bundled (askama)", bundled.clone()),
        ("bundled-page.html (minijinja)", with("bundled-page.html")),
        ("custom-page.html (minijinja)", with("custom-page.html")),
    ];

    let ctx = RenderContext {
        method: Some("GET"),
        request_id: Some("8f1a2b3c4d5e6f70-LHR"),
        path: Some("/basket?step=2".to_owned()),
        now_unix_s: Some(1_795_543_200),
        status: None,
    };
    let pages: Vec<_> = bundled
        .config
        .locales
        .available
        .iter()
        .flat_map(|tag| PageKind::ALL.map(|kind| static_page(kind, locale::find(tag).unwrap(), &bundled.config)))
        .collect();

    let mut micros: Vec<Vec<f64>> = vec![Vec::new(); sites.len()];
    let mut bytes = vec![0; sites.len()];
    for run in 0..RUNS {
        for offset in 0..sites.len() {
            let i = (run + offset) % sites.len();
            let site = &sites[i].1;
            let started = Instant::now();
            for _ in 0..ROUNDS {
                for page in &pages {
                    bytes[i] = render(page, site, &ctx).unwrap().body.len();
                }
            }
            #[allow(clippy::cast_precision_loss)]
            micros[i].push(started.elapsed().as_secs_f64() * 1e6 / (ROUNDS * pages.len()) as f64);
        }
    }
    println!("render time per HTML page, {} pages × {ROUNDS} rounds, median of {RUNS} runs", pages.len());
    for (i, (name, _)) in sites.iter().enumerate() {
        let mut ratios: Vec<f64> = micros[i].iter().zip(&micros[0]).map(|(a, b)| a / b).collect();
        println!(
            "  {name:<32} {:>6.1} µs  ({:.2}× the bundled page; last page {} bytes)",
            median(&mut micros[i].clone()),
            median(&mut ratios),
            bytes[i]
        );
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

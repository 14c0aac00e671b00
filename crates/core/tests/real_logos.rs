//! Real logos, as their projects ship them (`tests/logos/real/`, sources and licences in
//! `SOURCES.toml`): each is accepted, draws the same before and after cleaning (both rasterised
//! with resvg), and keeps every page within budget; or it is refused for a reason listed here.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use edgepages_core::logo;
use edgepages_core::{Site, static_pages};
use flate2::Compression;
use flate2::write::GzEncoder;
use resvg::{tiny_skia, usvg};

/// The logos refused, with the reason a person would agree with.
const REFUSED: &[(&str, &str)] = &[
    // Ziggy, Zig's mascot: a full illustration, already optimised by its project, still 18 KB
    // cleaned. Inlined into every error page it would be most of each page's weight.
    ("zig-ziggy.svg", "after cleaning"),
];

/// The page budget, as `edgepages check` holds it (`crates/cli/src/weight.rs`).
const BUDGET: usize = 6 * 1024;

/// The side, in pixels, of the square each logo is drawn into.
const RASTER: f32 = 256.0;

/// A pixel differs when a channel moves by more than this (of 255): antialiasing of an edge
/// moved by path rounding stays under it.
const CHANNEL_TOLERANCE: u8 = 24;

/// At most this share of pixels may differ.
const PIXEL_TOLERANCE: f64 = 0.005;

#[derive(Debug, serde::Deserialize)]
struct Sources {
    logo: Vec<Source>,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Source {
    file: String,
    repo: String,
    path: String,
    commit: String,
    editor: String,
    license: String,
    note: Option<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/logos/real")
}

fn sources() -> Vec<Source> {
    let text = std::fs::read_to_string(corpus_dir().join("SOURCES.toml")).unwrap();
    toml::from_str::<Sources>(&text).unwrap().logo
}

fn read(file: &str) -> String {
    std::fs::read_to_string(corpus_dir().join(file)).unwrap()
}

#[test]
fn every_logo_has_its_source_and_licence_beside_it() {
    let sources = sources();
    let mut listed: Vec<_> = sources.iter().map(|s| s.file.clone()).collect();
    listed.sort();
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| Path::new(f).extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")))
        .collect();
    files.sort();
    assert_eq!(listed, files);
    for s in &sources {
        assert!(s.repo.contains('/') && !s.path.is_empty() && !s.license.is_empty() && !s.editor.is_empty(), "{s:?}");
        assert!(s.commit.len() == 40 && s.commit.chars().all(|c| c.is_ascii_hexdigit()), "{s:?}");
    }
    let editors: std::collections::BTreeSet<_> =
        sources.iter().map(|s| s.editor.split([',', ' ']).next().unwrap().to_owned()).collect();
    assert!(sources.len() >= 40 && editors.len() >= 4, "{} logos from {editors:?}", sources.len());
}

#[test]
fn real_logos_are_accepted_or_refused_for_a_listed_reason() {
    let sources = sources();
    let mut accepted = 0;
    for s in &sources {
        let outcome = logo::clean(&read(&s.file));
        match (REFUSED.iter().find(|(f, _)| *f == s.file), outcome) {
            (None, Ok(_)) => accepted += 1,
            (None, Err(e)) => panic!("{} ({}) is refused: {e}", s.file, s.editor),
            (Some((_, why)), Err(e)) => assert!(e.to_string().contains(why), "{}: {e}", s.file),
            (Some(_), Ok(_)) => panic!("{} is accepted: take it off REFUSED", s.file),
        }
    }
    // The goal: at least 95% accepted.
    assert!(accepted * 100 >= sources.len() * 95, "{accepted} of {} accepted", sources.len());
}

#[test]
fn cleaned_logos_draw_the_same() {
    let mut failures = Vec::new();
    for s in sources() {
        let original = read(&s.file);
        let Ok(cleaned) = logo::clean(&original) else { continue };
        let before = rasterise(&original);
        let after = rasterise(&cleaned.svg);
        assert!(before.pixels().iter().any(|p| p.alpha() > 0), "{} draws nothing", s.file);
        let share = differing_share(&before, &after);
        if share > PIXEL_TOLERANCE {
            failures.push(format!("{}: {:.2}% of pixels differ", s.file, share * 100.0));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn cleaned_logos_are_canonical() {
    for s in sources() {
        let Ok(once) = logo::clean(&read(&s.file)) else { continue };
        let twice = logo::clean(&once.svg).unwrap();
        assert_eq!(twice.svg, once.svg, "{}", s.file);
    }
}

#[test]
fn every_page_stays_within_budget_with_each_logo() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let text = std::fs::read_to_string(format!("{root}/edgepages.toml")).unwrap();
    let config = edgepages_core::config::load::parse(&text, "edgepages.toml").unwrap();
    let mut over = Vec::new();
    for s in sources() {
        let original = read(&s.file);
        if logo::clean(&original).is_err() {
            continue;
        }
        let site = Site::new(config.clone(), Some(&original)).unwrap();
        let heaviest = static_pages(&site).unwrap().iter().map(|p| gzip_len(&p.body)).max().unwrap();
        if heaviest > BUDGET {
            over.push(format!("{}: {heaviest} bytes gzipped", s.file));
        }
    }
    assert!(over.is_empty(), "{over:#?}");
}

/// Whole-output snapshots of a few cleaned logos, one per editor, and what their reports say.
#[test]
fn cleaned_logos_snapshot() {
    for file in [
        "jupyter-squarelogo.svg",
        "kde-kdenlive.svg",
        "vite-logo.svg",
        "rust-ferris-flat-happy.svg",
        "jupyter-favicon.svg",
    ] {
        let cleaned = logo::clean(&read(file)).unwrap();
        insta::assert_snapshot!(file, format!("{}\n\n{}", cleaned.report, cleaned.svg));
    }
}

/// The figure the guide gives (docs/src/logo.md): `cargo test -p edgepages-core --test real_logos -- --nocapture corpus_figure`.
#[test]
fn corpus_figure() {
    let sources = sources();
    let accepted = sources.iter().filter(|s| logo::clean(&read(&s.file)).is_ok()).count();
    let before: usize = sources.iter().map(|s| read(&s.file).len()).sum();
    let after: usize = sources.iter().filter_map(|s| logo::clean(&read(&s.file)).ok()).map(|c| c.svg.len()).sum();
    println!("accepted {accepted} of {}; {before} bytes in, {after} bytes out for the accepted", sources.len());
    for s in &sources {
        match logo::clean(&read(&s.file)) {
            Ok(c) => println!("{:<38} ok      {}", s.file, c.report),
            Err(e) => println!("{:<38} REFUSED {e}", s.file),
        }
    }
}

fn rasterise(svg: &str) -> tiny_skia::Pixmap {
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).unwrap();
    let size = tree.size();
    let scale = RASTER / size.width().max(size.height());
    // Truncation is fine: a pixel more or less on each side of a 256 px square.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (w, h) = ((size.width() * scale).ceil().max(1.0) as u32, (size.height() * scale).ceil().max(1.0) as u32);
    let mut pixmap = tiny_skia::Pixmap::new(w, h).unwrap();
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap
}

fn differing_share(a: &tiny_skia::Pixmap, b: &tiny_skia::Pixmap) -> f64 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()), "the cleaned logo changed size");
    let differing = a
        .pixels()
        .iter()
        .zip(b.pixels())
        .filter(|(p, q)| {
            p.red().abs_diff(q.red()) > CHANNEL_TOLERANCE
                || p.green().abs_diff(q.green()) > CHANNEL_TOLERANCE
                || p.blue().abs_diff(q.blue()) > CHANNEL_TOLERANCE
                || p.alpha().abs_diff(q.alpha()) > CHANNEL_TOLERANCE
        })
        .count();
    #[allow(clippy::cast_precision_loss)]
    let share = differing as f64 / a.pixels().len() as f64;
    share
}

fn gzip_len(body: &str) -> usize {
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    e.write_all(body.as_bytes()).unwrap();
    e.finish().unwrap().len()
}

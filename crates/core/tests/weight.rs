//! Each page stays within 6 KB gzipped, even with the longest values a request can put on it,
//! and makes no request to anything outside itself.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write as _;

use common::{example_site, fixture_site};
use edgepages_core::status::StatusNote;
use edgepages_core::{Format, PageKind, RenderContext, Site, render, static_page, static_pages};
use flate2::Compression;
use flate2::write::GzEncoder;

const BUDGET: usize = 6 * 1024;

fn gzip_len(body: &str) -> usize {
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    e.write_all(body.as_bytes()).unwrap();
    e.finish().unwrap().len()
}

/// The longest incident text a status page can put on a page (`[status]`).
static HEAVIEST_STATUS: std::sync::LazyLock<StatusNote> =
    std::sync::LazyLock::new(|| StatusNote::heaviest(common::NOW));

fn worst_case_context() -> RenderContext<'static> {
    RenderContext {
        method: Some("POST"),
        request_id: Some(Box::leak("Z".repeat(128).into_boxed_str())),
        path: Some(format!("/{}…", "<&\"'".repeat(40))),
        now_unix_s: Some(common::NOW),
        status: Some(&HEAVIEST_STATUS),
    }
}

fn assert_within_budget(site: &Site) {
    for page in static_pages(site).unwrap() {
        let gzipped = gzip_len(&page.body);
        assert!(gzipped <= BUDGET, "{} is {gzipped} bytes gzipped", page.key);
    }
    for tag in &site.config.locales.available {
        for kind in PageKind::ALL {
            let mut decision = static_page(kind, edgepages_core::locale::find(tag).unwrap(), &site.config);
            decision.maintenance_end = Some(common::NOW + 60);
            for format in [Format::Html, Format::Problem, Format::Plain] {
                decision.format = format;
                let body = render(&decision, site, &worst_case_context()).unwrap().body;
                let gzipped = gzip_len(&body);
                assert!(gzipped <= BUDGET, "{tag} {kind:?} {format:?} is {gzipped} bytes gzipped");
            }
        }
    }
}

#[test]
fn fixture_pages_fit_the_budget() {
    assert_within_budget(&fixture_site());
}

#[test]
fn example_pages_fit_the_budget() {
    assert_within_budget(&example_site());
}

#[test]
fn pages_reference_nothing_outside_themselves() {
    for page in static_pages(&example_site()).unwrap() {
        for needle in [" src=", "<link", "@import", "url(", "<iframe", "<object", "http-equiv=\"refresh"] {
            assert!(!page.body.contains(needle), "{} contains {needle}", page.key);
        }
    }
}

#[test]
fn rendering_is_deterministic() {
    let a = static_pages(&example_site()).unwrap();
    let b = static_pages(&example_site()).unwrap();
    assert_eq!(a, b);
}

#[cfg(feature = "template-check")]
#[test]
fn the_example_user_template_fits_the_budget() {
    assert_within_budget(&common::fixture_site_with_template());
}

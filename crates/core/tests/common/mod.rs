//! Shared fixtures for core's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use edgepages_core::config::load;
use edgepages_core::locale::{self, Locale};
use edgepages_core::{Clock, Site};

pub const NOW: u64 = 1_795_543_200; // 2026-11-24T18:00:00Z

pub fn fixture_site() -> Site {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let text = std::fs::read_to_string(format!("{dir}/edgepages.toml")).unwrap();
    let config = load::parse(&text, "fixtures/edgepages.toml").unwrap();
    let logo = std::fs::read_to_string(format!("{dir}/logo.svg")).unwrap();
    Site::new(config, Some(&logo)).unwrap()
}

/// The repository's bundled example, as the demo and the worker use it.
pub fn example_site() -> Site {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let text = std::fs::read_to_string(format!("{root}/edgepages.toml")).unwrap();
    let config = load::parse(&text, "edgepages.toml").unwrap();
    let logo = config.brand.logo.as_ref().map(|l| std::fs::read_to_string(format!("{root}/{l}")).unwrap());
    Site::new(config, logo.as_deref()).unwrap()
}

pub fn clock() -> Clock {
    Clock { now_unix_s: NOW, seed: 42 }
}

pub fn locale(tag: &str) -> &'static Locale {
    locale::find(tag).unwrap()
}

/// The text between `open` and `close`, the first time they appear.
pub fn between<'a>(body: &'a str, open: &str, close: &str) -> &'a str {
    let start = body.find(open).unwrap() + open.len();
    let end = start + body[start..].find(close).unwrap();
    &body[start..end]
}

/// The fixture site with the shipped example template (`pages/examples/custom-page.html` and
/// `.txt`) as its `[pages]` templates.
#[cfg(feature = "template-check")]
pub fn fixture_site_with_template() -> Site {
    use edgepages_core::template::TemplateSource;
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../pages/examples");
    let source = |name: &str| {
        let text = std::fs::read_to_string(format!("{examples}/{name}")).unwrap();
        Some(TemplateSource { path: format!("brand/{name}"), text })
    };
    let mut site = fixture_site();
    site.config.pages = Some(edgepages_core::config::Pages {
        template: Some("brand/custom-page.html".into()),
        text_template: Some("brand/custom-page.txt".into()),
        in_page_retry: true,
    });
    edgepages_core::template::check::prepare(site, source("custom-page.html"), source("custom-page.txt")).unwrap()
}

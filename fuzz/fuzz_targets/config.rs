//! The config parser: any text is either a config that renders, or errors that each name a key
//! and, where they have one, a line and column inside the text. Never a panic.
#![no_main]

use edgepages_core::config::load;
use edgepages_core::{PageKind, RenderContext, Site, locale, render, static_page};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match load::parse(text, "fuzz.toml") {
        Ok(config) => {
            let tag = config.locales.default.clone();
            let site = Site::new(config, None).expect("without a logo there is nothing to refuse");
            let locale = locale::find(&tag).expect("a checked config names a bundled default locale");
            let page = static_page(PageKind::Fallback, locale, &site.config);
            let rendered = render(&page, &site, &RenderContext::default()).expect("a checked config renders");
            assert!(rendered.body.starts_with("<!doctype html>"));
        }
        Err(err) => {
            assert!(!err.problems.is_empty());
            let lines = text.split('\n').count();
            for problem in &err.problems {
                if let Some(line) = problem.line {
                    assert!((1..=lines).contains(&line), "line {line} of {lines}: {problem:?}");
                }
                assert!(!problem.message.is_empty());
            }
            let _ = err.to_string();
        }
    }
});

//! The status page parsers: any bytes, for every provider and with or without components, give a
//! summary whose every text is clean and capped and whose times are real, or a reason. Never a
//! panic.
#![no_main]

use edgepages_core::config::Provider;
use edgepages_core::status::text::{TITLE_CHARS, UPDATE_CHARS};
use edgepages_core::status::{StatusNote, parse};
use libfuzzer_sys::fuzz_target;

fn clean(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.chars().count() <= max
        && !text.chars().any(|c| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

fuzz_target!(|data: &[u8]| {
    let components = [String::new(), "API".to_owned()];
    for provider in [Provider::Statuspage, Provider::Instatus, Provider::Betterstack] {
        for site in [&components[..0], &components[1..]] {
            match parse(provider, data, site) {
                Ok(summary) => {
                    if let Some(incident) = &summary.incident {
                        assert!(clean(&incident.title, TITLE_CHARS), "{:?}", incident.title);
                        if let Some(update) = &incident.latest {
                            assert!(clean(&update.text, UPDATE_CHARS), "{:?}", update.text);
                        }
                    }
                    for m in &summary.maintenances {
                        assert!(clean(&m.title, TITLE_CHARS), "{:?}", m.title);
                    }
                    let note = StatusNote::at(&summary, 1_800_000_000);
                    let _ = note.problem_members();
                    let _ = summary.switch_at(1_800_000_000);
                }
                Err(reason) => assert!(!reason.to_string().is_empty()),
            }
        }
    }
});

//! Accept and Accept-Language negotiation: any header text gives an answer, never a panic, and
//! the language is always one the site offers.
#![no_main]

use edgepages_core::Format;
use edgepages_core::locale;
use edgepages_core::negotiate::{choose_format, choose_language};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    let format = choose_format(Some(header));
    assert_eq!(format, choose_format(Some(header)), "negotiation is deterministic");
    if !header.to_ascii_lowercase().contains("html") && !header.contains('*') {
        assert_ne!(format, Format::Html, "HTML is only chosen when text/html or a wildcard is accepted: {header:?}");
    }

    let available: Vec<String> = ["en", "cy", "fr"].iter().map(|t| (*t).to_owned()).collect();
    let default = locale::find("cy").expect("cy is bundled");
    let chosen = choose_language(Some(header), &available, default);
    assert!(available.iter().any(|t| t == chosen.tag), "{} is not offered", chosen.tag);
});

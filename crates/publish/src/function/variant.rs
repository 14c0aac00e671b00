//! The CloudFront Function that names each viewer's variant (`html.fr`) for the cache key: its
//! source, the port of core's negotiation in `variant.js`, filled in with the site's locales.
//! Not deployed yet: it is the piece the function's association will need (see the README's
//! Lambda@Edge section); `tests/tests/variant_function.rs` holds it to core's answers.

use edgepages_core::Config;
use edgepages_core::locale;

const SOURCE: &str = include_str!("variant.js");

/// The header the function sets, and the cache policy will include.
pub const VARIANT_HEADER: &str = "x-edgepages-variant";

/// The function's source for `config`'s locales.
pub fn source(config: &Config) -> String {
    let canonical = |tag: &str| locale::find(tag).map_or_else(|| tag.to_owned(), |l| l.tag.to_owned());
    let available: Vec<[String; 2]> =
        config.locales.available.iter().map(|tag| [tag.clone(), canonical(tag)]).collect();
    SOURCE.replacen("__AVAILABLE__", &serde_json::to_string(&available).unwrap_or_else(|_| "[]".into()), 1).replacen(
        "__DEFAULT__",
        &serde_json::Value::from(canonical(&config.locales.default)).to_string(),
        1,
    )
}

//! The CloudFront Function that names each viewer's variant (`html.fr`) for the cache key: its
//! source, the port of core's negotiation in `variant.js`, filled in with the site's locales.
//! `tests/tests/variant_function.rs` holds it to core's answers.

use edgepages_core::Config;
use edgepages_core::locale;
pub use edgepages_core::negotiate::VARIANT_HEADER;

const SOURCE: &str = include_str!("variant.js");

/// Which answer the function names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// Each viewer's own variant, negotiated from `Accept` and `Accept-Language`.
    PerViewer,
    /// One variant for every viewer: HTML in the default language.
    Shared,
}

/// The one variant [`Naming::Shared`] names for `config`, such as `html.en`.
pub fn shared_variant(config: &Config) -> String {
    format!("html.{}", canonical(&config.locales.default))
}

fn canonical(tag: &str) -> String {
    locale::find(tag).map_or_else(|| tag.to_owned(), |l| l.tag.to_owned())
}

/// The function's source for `config`'s locales.
pub fn source(config: &Config, naming: Naming) -> String {
    let available: Vec<[String; 2]> =
        config.locales.available.iter().map(|tag| [tag.clone(), canonical(tag)]).collect();
    let json = |v: serde_json::Value| v.to_string();
    let shared = match naming {
        Naming::PerViewer => serde_json::Value::Null,
        Naming::Shared => serde_json::Value::from(shared_variant(config)),
    };
    SOURCE
        .replacen("__AVAILABLE__", &json(serde_json::json!(available)), 1)
        .replacen("__DEFAULT__", &json(serde_json::Value::from(canonical(&config.locales.default))), 1)
        .replacen("__SHARED__", &json(shared), 1)
}

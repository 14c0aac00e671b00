//! The edgepages Lambda@Edge function: CloudFront's origin-response event in, the origin's
//! response untouched or a branded page out, decided by the same core as the Cloudflare worker
//! (`edge/`). Built as a plain wasm module (no wasm-bindgen) that `index.mjs` loads in Node.js,
//! since Lambda@Edge runs only AWS's Node.js and Python runtimes, with no environment.
//!
//! - [`event`]: the documented event and response shapes;
//! - [`respond`]: the decision, carried out;
//! - [`headers`]: what CloudFront forbids a function to set;
//! - [`status`]: the status page's copy (`[status]`), read by `index.mjs`;
//! - `abi`: the few exports `index.mjs` calls (wasm only).

#[cfg(target_arch = "wasm32")]
mod abi;
pub mod event;
pub mod headers;
pub mod respond;
pub mod status;

use std::sync::OnceLock;

use edgepages_core::{Clock, Rendered, Site};
use serde_json::json;

use crate::respond::Answer;

/// The site from `edgepages.toml`, checked and prepared when the function was built.
fn baked_site() -> Site {
    include!(concat!(env!("OUT_DIR"), "/site.rs"))
}

fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(baked_site)
}

/// The generic page rendered at build time, for when rendering at request time fails.
const FALLBACK_HTML: &str = include_str!(concat!(env!("OUT_DIR"), "/fallback.html"));
const FALLBACK_CSP: &str = include_str!(concat!(env!("OUT_DIR"), "/fallback.csp"));

/// The static fallback page, as rendered when the function was built; made once per instance.
pub fn fallback() -> &'static Rendered {
    static FALLBACK: OnceLock<Rendered> = OnceLock::new();
    FALLBACK.get_or_init(|| Rendered {
        status: 500,
        headers: edgepages_core::render::fallback_headers(FALLBACK_CSP)
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned()))
            .collect(),
        body: FALLBACK_HTML.to_owned(),
    })
}

/// What `index.mjs` gets when a page replaces the origin's response.
#[derive(serde::Serialize)]
struct Reply<'a> {
    response: &'a event::Generated,
}

impl Reply<'_> {
    fn json(generated: &event::Generated) -> String {
        serde_json::to_string(&Reply { response: generated }).expect("a generated response serialises")
    }
}

/// Answers one origin-response event (JSON), as JSON for `index.mjs`: `{"response": {...}}` to
/// replace the origin's response, `{"pass": true}` to return it untouched, and `"error"` beside
/// `pass` when the event could not be read (the origin's response then goes through untouched:
/// edgepages never replaces what it does not understand).
pub fn handle(event_json: &[u8], now_unix_s: u64, seed: u64) -> String {
    let event = match serde_json::from_slice::<event::Event>(event_json) {
        Ok(event) => event,
        // Where and what kind, never the text: serde quotes an offending value, and index.mjs logs
        // this line.
        Err(e) => {
            let why = format!("unreadable event: {:?} error at line {}, column {}", e.classify(), e.line(), e.column());
            return json!({ "pass": true, "error": why }).to_string();
        }
    };
    #[cfg(feature = "chaos")]
    assert!(
        !event.records.first().is_some_and(|r| r.cf.request.querystring.contains("chaos=panic")),
        "chaos=panic: the test-only chaos feature panics here on purpose"
    );
    let status = status::now(now_unix_s.saturating_mul(1000));
    match respond::respond_with_status(&event, site(), Clock { now_unix_s, seed }, fallback(), &status) {
        Answer::PassThrough => json!({ "pass": true }).to_string(),
        Answer::Replace(generated) => Reply::json(&generated),
    }
}

/// What `index.mjs` needs to skip the module for a response it would pass through untouched:
/// the statuses the function may replace, and the prefix of the probe paths it answers whatever
/// the status (`{"statuses": [...], "probe": "/.well-known/edgepages/probe/"}`).
pub fn triage_json() -> String {
    json!({ "statuses": respond::replaceable_statuses(site()), "probe": edgepages_core::probe::PREFIX }).to_string()
}

/// The fallback page as a CloudFront response, for `index.mjs` to keep in case the module traps:
/// without the origin's read-only headers, which `index.mjs` copies in from each event.
pub fn fallback_json() -> String {
    Reply::json(&respond::generated(fallback(), false, &event::Headers::new()))
}

#[cfg(test)]
mod tests;

//! Turning core's decisions into worker responses, and the baked fallback page.

use edgepages_core::forward::{BYPASS_HEADER, bypass_allowed};
use edgepages_core::request::request_id;
use edgepages_core::{PageDecision, RenderContext, RequestFacts, Site, render};
use worker::{Headers, Request, Response, Url};

use crate::log;
use crate::settings::Settings;

/// The generic page rendered at build time, for when rendering at request time fails.
pub const FALLBACK_HTML: &str = include_str!(concat!(env!("OUT_DIR"), "/fallback.html"));
const FALLBACK_CSP: &str = include_str!(concat!(env!("OUT_DIR"), "/fallback.csp"));

/// The fallback page's headers; the JS entry uses the same list when the wasm module traps.
pub fn fallback_headers() -> [(&'static str, &'static str); 8] {
    render::fallback_headers(FALLBACK_CSP)
}

/// The request's facts, copied out of the worker's JS-backed request. The healthy path needs only
/// the method and path; the headers a page needs are read only when a page may be answered,
/// because every read crosses from wasm into JS.
#[derive(Debug, Default)]
pub struct OwnedFacts {
    method: String,
    path: String,
    accept: Option<String>,
    accept_language: Option<String>,
    request_id: Option<String>,
    bypass: bool,
    headers_loaded: bool,
}

impl OwnedFacts {
    pub fn basic(method: String, url: &Url) -> Self {
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        OwnedFacts { method, path, ..OwnedFacts::default() }
    }

    /// Reads the headers that negotiation, the request ID and the maintenance bypass need.
    pub fn load_headers(&mut self, req: &Request, settings: &Settings) -> worker::Result<()> {
        if self.headers_loaded {
            return Ok(());
        }
        let headers = req.headers();
        let ids: Vec<(&str, Option<String>)> = edgepages_core::request::REQUEST_ID_HEADERS
            .iter()
            .map(|name| Ok((*name, headers.get(name)?)))
            .collect::<worker::Result<_>>()?;
        self.request_id =
            request_id(|name| ids.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.as_deref())).map(str::to_owned);
        self.bypass = bypass_allowed(
            settings.bypass_secret.as_deref(),
            headers.get(BYPASS_HEADER)?.as_deref(),
            headers.get("cookie")?.as_deref(),
        );
        self.accept = headers.get("accept")?;
        self.accept_language = headers.get("accept-language")?;
        self.headers_loaded = true;
        Ok(())
    }

    pub fn facts(&self) -> RequestFacts<'_> {
        RequestFacts {
            method: &self.method,
            path: &self.path,
            accept: self.accept.as_deref(),
            accept_language: self.accept_language.as_deref(),
            request_id: self.request_id.as_deref(),
            maintenance_bypass: self.bypass,
        }
    }
}

/// Renders `page`; if that fails, the baked fallback page answers instead.
pub fn page(page: &PageDecision, site: &Site, facts: &RequestFacts<'_>, now_unix_s: u64) -> worker::Result<Response> {
    let note = crate::status::note_at(crate::now_ms());
    let context = RenderContext::for_request(facts, now_unix_s).with_status(note.as_ref());
    let rendered = match render(page, site, &context) {
        Ok(rendered) => rendered,
        Err(err) => {
            log::internal_error(&err.to_string());
            return fallback();
        }
    };
    let headers = Headers::new();
    for (name, value) in &rendered.headers {
        headers.set(name, value)?;
    }
    // A HEAD answer has the headers of the page and no body.
    let body = if facts.method == "HEAD" { Vec::new() } else { rendered.body.into_bytes() };
    Ok(Response::builder().with_status(rendered.status).with_headers(headers).fixed(body))
}

/// The static branded page, served when anything inside the worker fails.
pub fn fallback() -> worker::Result<Response> {
    let headers = Headers::new();
    for (name, value) in fallback_headers() {
        headers.set(name, value)?;
    }
    Ok(Response::builder().with_status(500).with_headers(headers).fixed(FALLBACK_HTML.as_bytes().to_vec()))
}

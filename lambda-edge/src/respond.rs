//! The origin-response decision, carried out: the event's facts go to core's [`decide`], exactly
//! as the worker's do, and a page decision comes back as the response CloudFront expects. Pure:
//! the clock and the seed come from the caller.

use edgepages_core::config::Maintenance;
use edgepages_core::negotiate::{VARIANT_HEADER, headers_for_variant};
use edgepages_core::outcome::OriginOutcome;
use edgepages_core::page::reason_phrase;
use edgepages_core::request::request_id;
use edgepages_core::{Clock, Decision, Gate, RenderContext, Rendered, RequestFacts, Site, decide, gate, render};

use crate::event::{Event, Generated, Header, Headers, first};
use crate::headers::{allowed, canonical};

/// CloudFront's limit on a response an origin-response function generates, headers and body
/// together ("Quotas on Lambda@Edge"): 1 MB. Kept with a margin for the JSON around it.
pub const MAX_GENERATED_BYTES: usize = 1_000_000;

/// What the function does with the origin's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Return the origin's response exactly as it came.
    PassThrough,
    /// Return this instead.
    Replace(Generated),
}

/// Decides what the viewer gets for `event`. `fallback` is the static page used when rendering
/// fails or the answer would be too large.
pub fn respond(event: &Event, site: &Site, clock: Clock, fallback: &Rendered) -> Answer {
    let Some(cf) = event.records.first().map(|r| &r.cf) else { return Answer::PassThrough };
    let Ok(status) = cf.response.status.trim().parse::<u16>() else { return Answer::PassThrough };
    let request = &cf.request;
    let path = if request.querystring.is_empty() {
        request.uri.clone()
    } else {
        format!("{}?{}", request.uri, request.querystring)
    };
    let cloudfront_id = cf.config.request_id.as_str();
    // The variant CloudFront's viewer-request function chose, which the cache key holds, wins
    // over the headers: the answer is cached under that key, so it must be that variant's.
    let named =
        first(&request.headers, VARIANT_HEADER).and_then(|v| headers_for_variant(v, &site.config.locales.available));
    let facts = RequestFacts {
        method: &request.method,
        path: &path,
        accept: named.map_or_else(|| first(&request.headers, "accept"), |(accept, _)| Some(accept)),
        accept_language: named.map_or_else(|| first(&request.headers, "accept-language"), |(_, tag)| Some(tag)),
        // CloudFront's own ID for the viewer's request, checked like any other request ID.
        request_id: request_id(|name| (name == "x-amz-cf-id").then_some(cloudfront_id)),
        maintenance_bypass: false,
    };
    let outcome = OriginOutcome::Response {
        status,
        content_type: first(&cf.response.headers, "content-type"),
        retry_after: first(&cf.response.headers, "retry-after"),
    };
    // Maintenance (baked into the function: it has no environment) answers every request, as
    // the worker's gate does; there is no bypass, since no secret can be baked into the code.
    let page = if let Gate::Answer(page) = gate(&facts, &site.config, clock) {
        page
    } else {
        match decide(&facts, &outcome, &site.config, clock) {
            Decision::PassThrough => return Answer::PassThrough,
            Decision::Page(page) => page,
            // No copy is kept here: CloudFront's own cache is the stale store (`stale-if-error`
            // from the origin), and this function runs only when it had none to serve.
            Decision::ServeStale { fallback, .. } => fallback,
        }
    };
    let head = facts.method == "HEAD";
    let answer = match render(&page, site, &RenderContext::for_request(&facts, clock.now_unix_s)) {
        Ok(rendered) => generated(&rendered, head),
        Err(_) => generated(fallback, head),
    };
    if size(&answer) > MAX_GENERATED_BYTES {
        return Answer::Replace(generated(fallback, head));
    }
    Answer::Replace(answer)
}

/// Every status this function may replace: any other goes back untouched without asking the
/// module, which `index.mjs` does to keep a healthy response's cost near a plain handler's.
/// Computed by asking [`decide`] itself, with a request that no rule lets through; every status
/// when the site has maintenance configured, since that depends on the clock.
pub fn replaceable_statuses(site: &Site) -> Vec<u16> {
    if site.config.edge.maintenance != Maintenance::Off {
        return (100..=599).collect();
    }
    let facts = RequestFacts { method: "GET", path: "/", accept: Some("text/html"), ..RequestFacts::default() };
    (100..=599)
        .filter(|&status| {
            let outcome = OriginOutcome::Response { status, content_type: None, retry_after: None };
            decide(&facts, &outcome, &site.config, Clock { now_unix_s: 0, seed: 0 }) != Decision::PassThrough
        })
        .collect()
}

/// `rendered` as CloudFront's response object, without a header CloudFront forbids.
pub fn generated(rendered: &Rendered, head: bool) -> Generated {
    let mut headers = Headers::new();
    for (name, value) in rendered.headers.iter().filter(|(name, _)| allowed(name)) {
        headers
            .entry((*name).to_owned())
            .or_default()
            .push(Header { key: Some(canonical(name)), value: value.clone() });
    }
    Generated {
        status: rendered.status.to_string(),
        status_description: reason_phrase(rendered.status).to_owned(),
        headers,
        // A HEAD answer has the headers of the page and no body.
        body: if head { String::new() } else { rendered.body.clone() },
        body_encoding: "text",
    }
}

/// The bytes CloudFront counts: every header's name and value, and the body.
pub fn size(answer: &Generated) -> usize {
    let headers: usize =
        answer.headers.values().flatten().map(|h| h.key.as_ref().map_or(0, String::len) + h.value.len() + 4).sum();
    headers + answer.body.len()
}

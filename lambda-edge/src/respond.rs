//! The origin-response decision, carried out: the event's facts go to core's [`decide`], exactly
//! as the worker's do, and a page decision comes back as the response CloudFront expects. Pure:
//! the clock and the seed come from the caller.

use edgepages_core::config::{Maintenance, in_force_with_status};
use edgepages_core::negotiate::{VARIANT_HEADER, headers_for_variant};
use edgepages_core::outcome::OriginOutcome;
use edgepages_core::page::reason_phrase;
use edgepages_core::request::request_id;
use edgepages_core::status::StatusNote;
use edgepages_core::{Clock, Decision, Gate, RenderContext, Rendered, RequestFacts, Site, decide, gate, probe, render};

use crate::event::{Event, Generated, Header, Headers, Request, first};
use crate::headers::{allowed, canonical, read_only};

/// CloudFront's limit on a response an origin-response function generates, headers and body
/// together ("Quotas on Lambda@Edge", cloudfront-limits.html#limits-lambda-at-edge): 1 MB, read
/// as 10^6 bytes, the smaller of the two readings (AWS does not say which). No margin beyond that:
/// how CloudFront counts is not documented, and [`size`] counts as the emulator does.
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
    respond_with_status(event, site, clock, fallback, &Status::default())
}

/// What the status page (`[status]`) says as the function last read it: the note a page shows,
/// and its word on maintenance (on until a published end while a scheduled one is in progress).
#[derive(Debug, Clone, Default)]
pub struct Status {
    pub note: Option<StatusNote>,
    pub maintenance: Option<Maintenance>,
}

/// [`respond`], with what the status page says: its maintenance in force over the baked
/// config's (`in_force_with_status`; the function has no var and no KV switch), and its incident
/// on the page.
pub fn respond_with_status(
    event: &Event,
    site: &Site,
    clock: Clock,
    fallback: &Rendered,
    page_status: &Status,
) -> Answer {
    let Some(cf) = event.records.first().map(|r| &r.cf) else { return Answer::PassThrough };
    let Ok(status) = cf.response.status.trim().parse::<u16>() else { return Answer::PassThrough };
    let request = &cf.request;
    let origin_headers = &cf.response.headers;
    let head = request.method == "HEAD";
    if let Some(asked) = probe::parse(&request.method, &request.uri) {
        return answer_probe(asked, request, site, clock, fallback, origin_headers);
    }
    let cloudfront_id = cf.config.request_id.as_str();
    let facts = RequestFacts {
        // The path alone: CloudFront caches this answer under its cache key, which always holds
        // the path, and holds the query string only if the behavior's cache policy says so, which
        // the function cannot see (see `shared`).
        path: &request.uri,
        // CloudFront's own ID for the viewer's request, checked like any other request ID, only on
        // an answer CloudFront never shares (see `shared`).
        request_id: if shared(&request.method) {
            None
        } else {
            request_id(|name| (name == "x-amz-cf-id").then_some(cloudfront_id))
        },
        ..negotiated(request, site)
    };
    let outcome = OriginOutcome::Response {
        status,
        content_type: first(&cf.response.headers, "content-type"),
        retry_after: first(&cf.response.headers, "retry-after"),
    };
    // Maintenance (baked into the function: it has no environment) answers every request, as
    // the worker's gate does; there is no bypass, since no secret can be baked into the code.
    let mut config = std::borrow::Cow::Borrowed(&site.config);
    if page_status.maintenance.is_some() {
        let baked = site.config.edge.maintenance;
        config.to_mut().edge.maintenance =
            in_force_with_status(None, None, page_status.maintenance, baked, clock.now_unix_s);
    }
    let page = if let Gate::Answer(page) = gate(&facts, &config, clock) {
        page
    } else {
        match decide(&facts, &outcome, &site.config, clock) {
            Decision::PassThrough => return Answer::PassThrough,
            Decision::Page(page) => page,
            // No copy is kept here: CloudFront's own cache is the stale store (`stale-if-error`
            // from the origin). The function runs on every origin response, errors included, and
            // not only when CloudFront holds no copy: it "executes even if an error is returned
            // from the origin" and is skipped only for a cached object that "has not expired"
            // (lambda-cloudfront-trigger-events.html). Whether CloudFront then serves its expired
            // copy ("Origin unavailable", HTTPStatusCodes.html) or this answer is not documented:
            // inferred that its copy wins, as for an origin 5xx without a function.
            Decision::ServeStale { fallback, .. } => fallback,
        }
    };
    let context = RenderContext::for_request(&facts, clock.now_unix_s).with_status(page_status.note.as_ref());
    let answer = match render(&page, site, &context) {
        Ok(rendered) => generated(&rendered, head, origin_headers),
        Err(_) => generated(fallback, head, origin_headers),
    };
    if size(&answer) > MAX_GENERATED_BYTES {
        return Answer::Replace(generated(fallback, head, origin_headers));
    }
    Answer::Replace(answer)
}

/// Whether CloudFront may give this method's answer to other viewers. It keeps a 5xx for at
/// least the error caching TTL whatever its `Cache-Control` ("Control how long CloudFront caches
/// errors") and collapses simultaneous requests ("Simultaneous requests for the same object"),
/// both by cache key; it "always caches responses to GET and HEAD requests", OPTIONS where the
/// behavior says so, and "does not cache responses to requests that use the other methods" ("How
/// CloudFront processes HTTP 4xx and 5xx status codes from your origin"). A shared answer shows
/// nothing of one viewer's request but the path: the viewer still has CloudFront's ID for their
/// own request in the `X-Amz-Cf-Id` header CloudFront adds to every answer.
fn shared(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// The request's method and the answer's variant: the one CloudFront's viewer-request function
/// named, which the cache key holds, over the forwarded headers, since the answer is cached under
/// that key and must be that variant's.
fn negotiated<'e>(request: &'e Request, site: &Site) -> RequestFacts<'e> {
    let named =
        first(&request.headers, VARIANT_HEADER).and_then(|v| headers_for_variant(v, &site.config.locales.available));
    RequestFacts {
        method: &request.method,
        // No `Accept` here means CloudFront did not forward it (legacy cache settings, a behavior
        // whose viewer events are the team's own, shared mode without the variant header), not a
        // client that sent none: curl sends `*/*`. Browsers are the likelier viewer: HTML.
        accept: named
            .map_or_else(|| first(&request.headers, "accept").or(Some("text/html")), |(accept, _)| Some(accept)),
        accept_language: named.map_or_else(|| first(&request.headers, "accept-language"), |(_, tag)| Some(tag)),
        ..RequestFacts::default()
    }
}

/// The answer to a probe of `verify --live` ([`probe`]): the page this site shows for `status`,
/// as an origin error of that status gets it, in the viewer's variant, with nothing of the
/// request on it, marked so that `verify` can tell it from a custom error response's page. No
/// gate: maintenance does not change what CloudFront does with the answer. A status the site
/// does not intercept is no probe here: the origin's response goes through.
fn answer_probe(
    status: u16,
    request: &Request,
    site: &Site,
    clock: Clock,
    fallback: &Rendered,
    origin_headers: &Headers,
) -> Answer {
    let facts = RequestFacts { path: "", ..negotiated(request, site) };
    let outcome = OriginOutcome::Response { status, content_type: None, retry_after: None };
    let page = match decide(&facts, &outcome, &site.config, clock) {
        Decision::Page(page) | Decision::ServeStale { fallback: page, .. } => page,
        Decision::PassThrough => return Answer::PassThrough,
    };
    let context =
        RenderContext { method: Some(facts.method), now_unix_s: Some(clock.now_unix_s), ..RenderContext::default() };
    let mut rendered = render(&page, site, &context).unwrap_or_else(|_| fallback.clone());
    rendered.headers.retain(|(name, _)| *name != "x-edgepages");
    rendered.headers.push(("x-edgepages", probe::MARK.to_owned()));
    Answer::Replace(generated(&rendered, request.method == "HEAD", origin_headers))
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

/// `rendered` as CloudFront's response object: the page's headers but any CloudFront forbids a
/// function to set, and the origin's read-only headers exactly as they came (`origin`), since a
/// result that adds, changes or drops one is refused ([`crate::headers`]).
pub fn generated(rendered: &Rendered, head: bool, origin: &Headers) -> Generated {
    let mut headers: Headers =
        origin.iter().filter(|(name, _)| read_only(name)).map(|(n, v)| (n.clone(), v.clone())).collect();
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

/// The bytes CloudFront counts (inferred, as the emulator counts them): every header's name, with
/// ": " and CRLF, its value, and the body. A header without `key` counts its lower-case name,
/// which Lambda@Edge writes for it.
pub fn size(answer: &Generated) -> usize {
    let headers: usize = answer
        .headers
        .iter()
        .flat_map(|(name, values)| values.iter().map(move |h| (name, h)))
        .map(|(name, h)| h.key.as_ref().map_or(name.len(), String::len) + h.value.len() + 4)
        .sum();
    headers + answer.body.len()
}

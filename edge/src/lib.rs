//! The edgepages Cloudflare Worker: forwards each request to the origin within a deadline and
//! answers failures with the branded page core decides and renders. Healthy responses stream
//! through untouched.
//!
//! Native builds see an empty crate, so `cargo test` at the root never compiles workers-rs.
#![cfg(target_arch = "wasm32")]

mod answer;
mod breakers;
#[cfg(feature = "chaos")]
mod chaos;
mod healthy_path;
mod log;
mod origin;
mod settings;
mod stale;
#[cfg(feature = "status")]
mod status;
#[cfg(not(feature = "status"))]
#[path = "status_off.rs"]
mod status;
mod switch;

use edgepages_core::breaker::{Admission, Health};
use edgepages_core::client::{CLIENT_IP_HEADER, ClientIp};
use edgepages_core::decide::shed;
use edgepages_core::retry::{Attempted, should_retry};
use edgepages_core::{Clock, Decision, Gate, RequestFacts, Site, decide, gate, target};
use wasm_bindgen::prelude::wasm_bindgen;
use worker::{Context, Env, Request, Response, event};

use crate::answer::OwnedFacts;
use crate::log::Answer;
use crate::origin::Attempt;
use crate::settings::Settings;

/// The whole path in Rust, for a request the JS entry's fast path does not take (see `fast`).
#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    respond(req, &env, &ctx, now_ms(), None).await
}

/// [`handle`], with every error ending in a branded page: the platform's own error page is never
/// shown.
async fn respond(
    req: Request,
    env: &Env,
    ctx: &Context,
    started_ms: u64,
    sent: Option<Attempt>,
) -> worker::Result<Response> {
    match handle(req, env, ctx, started_ms, sent).await {
        Ok(response) => Ok(response),
        Err(err) => {
            log::internal_error(&err.to_string());
            answer::fallback()
        }
    }
}

/// The baked fallback page and its headers (as a JSON object), for the JS entry to keep in case
/// the wasm module itself traps.
#[wasm_bindgen]
pub fn fallback_page() -> Vec<String> {
    let headers: serde_json::Map<String, serde_json::Value> =
        answer::fallback_headers().iter().map(|(k, v)| ((*k).to_owned(), (*v).into())).collect();
    vec![answer::FALLBACK_HTML.to_owned(), serde_json::Value::Object(headers).to_string()]
}

/// Answers `req`: maintenance, the breaker, the origin within the deadline, and what core decides
/// of its outcome. `sent` is the first attempt when the JS entry already sent the request, having
/// found the breaker closed; the rest is the same.
async fn handle(
    req: Request,
    env: &Env,
    ctx: &Context,
    started_ms: u64,
    sent: Option<Attempt>,
) -> worker::Result<Response> {
    let settings = Settings::current(env, started_ms);
    let site = &settings.site;
    let policy = &site.config.edge;
    let url = req.url()?;
    let mut owned = OwnedFacts::basic(req.method().to_string(), &url);
    let mut clock = Clock { now_unix_s: started_ms / 1000, seed: 0 };

    #[cfg(feature = "chaos")]
    chaos::on_handle(&req).await?;

    // Headers are read only when a page may be the answer: here, for maintenance and its bypass.
    if policy.maintenance.is_active(clock.now_unix_s) {
        owned.load_headers(&req, &settings)?;
        clock.seed = random_seed();
    }
    let (deadline_ms, path_origin) = match gate(&owned.facts(), &site.config, clock) {
        Gate::Answer(page) => {
            status::await_read(started_ms, policy.deadline_ms).await;
            log::intercepted(Answer::Page, &owned.facts(), "maintenance", None, &page, started_ms);
            return answer::page(&page, site, &owned.facts(), clock.now_unix_s);
        }
        Gate::Forward { deadline_ms, origin } => (deadline_ms, origin),
    };
    // A kept copy is filed under the page's public URL; only a GET has one.
    let stale_key = (policy.stale_if_error_s > 0 && owned.facts().method == "GET").then(|| stale::key(&url));
    let target = target::target_url(&url, settings.origin_for(path_origin)?);
    let client = ClientIp::parse(req.headers().get(CLIENT_IP_HEADER)?.as_deref());
    let edits = origin::header_edits(&url, req.headers().get("cookie")?.as_deref(), client);
    let slot = breakers::slot(target::breaker_key(&target), started_ms);
    let record = |outcome: &edgepages_core::OriginOutcome<'_>, probe: Option<u32>| {
        let client = client.map(ClientIp::key);
        breakers::record(slot, &policy.breaker, Health::of(outcome), url.path(), client, now_ms(), probe);
    };
    let upload_ms = policy.upload_timeout_ms;

    let mut probe = None;
    let mut attempt = if let Some(attempt) = sent {
        attempt
    } else {
        // A failing origin is left alone for a cool-down: visitors get the answer at once.
        match breakers::admit(slot, &policy.breaker, started_ms) {
            Admission::Shed { cooldown_left_s } => {
                owned.load_headers(&req, &settings)?;
                clock.seed = random_seed();
                let facts = owned.facts();
                let decision = shed(&facts, &site.config, clock, cooldown_left_s);
                let decision = status::decide_again(env, decision, &facts, started_ms, deadline_ms, clock).await;
                return carry_out(decision, &facts, site, "shed", None, stale_key.as_deref(), started_ms, clock).await;
            }
            admission => probe = admission.ticket(),
        }
        origin::send(&req, &target, &edits, deadline_ms, upload_ms, false).await?
    };
    // A declared length of 0 is no body at all; any other body (or one of unknown length) is one.
    let has_body = req.inner().body().is_some() && req.headers().get("content-length")?.as_deref() != Some("0");
    let mut attempts = 1;
    let mut outcome_label = attempt.label();
    let mut detail = attempt.detail.clone();
    loop {
        if !attempt.is_healthy() {
            owned.load_headers(&req, &settings)?;
            clock.seed = random_seed();
        }
        let facts = owned.facts();
        let outcome = attempt.outcome();
        let decision = decide(&facts, &outcome, &site.config, clock);
        if decision == Decision::PassThrough {
            record(&outcome, probe);
            let Some(resp) = attempt.into_inner() else { return answer::fallback() };
            let resp = match stale_key {
                Some(key) => stale::keep_if_allowed(ctx, &req, resp, policy, key, url.path(), started_ms),
                None => resp,
            };
            return Ok(Response::from(resp));
        }
        // One more try, only when core says it can help without adding load.
        let ms_left = u64::from(deadline_ms).saturating_sub(now_ms() - started_ms);
        if should_retry(&outcome, &Attempted { method: facts.method, has_body, attempts, ms_left }) {
            let ms_left = u32::try_from(ms_left).unwrap_or(u32::MAX);
            attempt = origin::send(&req, &target, &edits, ms_left, upload_ms, true).await?;
            attempts += 1;
            outcome_label = format!("{outcome_label}+retry:{}", attempt.label());
            detail = attempt.detail.clone().or(detail);
            continue;
        }
        record(&outcome, probe);
        attempt.discard_body();
        let decision = status::decide_again(env, decision, &facts, started_ms, deadline_ms, clock).await;
        return carry_out(
            decision,
            &facts,
            site,
            &outcome_label,
            detail.as_deref(),
            stale_key.as_deref(),
            started_ms,
            clock,
        )
        .await;
    }
}

/// Answers with a page, or with the page's kept copy when core offers one and it is usable.
#[allow(clippy::too_many_arguments)]
async fn carry_out(
    decision: Decision,
    facts: &RequestFacts<'_>,
    site: &Site,
    outcome: &str,
    detail: Option<&str>,
    stale_key: Option<&str>,
    started_ms: u64,
    clock: Clock,
) -> worker::Result<Response> {
    let page = match (decision, stale_key) {
        (Decision::PassThrough, _) => return answer::fallback(),
        (Decision::Page(page), _) | (Decision::ServeStale { fallback: page, .. }, None) => page,
        (Decision::ServeStale { max_stale_s, fallback }, Some(stale_key)) => {
            let cause = fallback.reason.cause.label();
            match stale::serve(stale_key, max_stale_s, facts, site, &cause, clock.now_unix_s).await {
                Ok(Some(copy)) => {
                    log::intercepted(Answer::Stale, facts, outcome, detail, &fallback, started_ms);
                    return Ok(copy);
                }
                Ok(None) => {}
                Err(err) => log::internal_error(&format!("reading a stale copy: {err}")),
            }
            fallback
        }
    };
    log::intercepted(Answer::Page, facts, outcome, detail, &page, started_ms);
    answer::page(&page, site, facts, clock.now_unix_s)
}

/// Milliseconds since the Unix epoch, without allocating a JS `Date`.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A per-request seed for Retry-After jitter.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
fn random_seed() -> u64 {
    (js_sys::Math::random() * u64::MAX as f64) as u64
}

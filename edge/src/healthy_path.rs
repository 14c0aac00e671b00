//! The healthy path, carried out by the JS entry (`edge/entry.mjs`): Rust routes the request and
//! keeps the breaker and stale-copy state, JS sends it and hands a healthy response straight
//! back, so the common case never awaits wasm. Every rule stays here; JS only carries out the
//! route. A failure comes back through [`fail`] to the same `handle` as every other request.

use edgepages_core::breaker::Health;
use edgepages_core::breaker::table::Slot;
use edgepages_core::client::{ClientIp, ClientKey};
use edgepages_core::{Clock, Gate, gate, target};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::{Context, Env, Request, Url};

use crate::answer::OwnedFacts;
use crate::origin::{self, Attempt};
use crate::settings::Settings;
use crate::{breakers, stale};

/// How the JS entry sends a request itself: `[target URL, deadline ms, breaker slot (-1: off),
/// keep a stale copy of a 200, the client's key for the breaker (0: none), then header edits as
/// name, value pairs (value null: delete)]`. `cookie` is the request's `Cookie` header, which the
/// edits may change, and `client_ip` its `CF-Connecting-IP`, which the edits name to the origin.
/// `undefined` when only `handle` may answer it: maintenance (its bypass needs the headers), a
/// breaker protecting the origin, or a URL it cannot route.
#[wasm_bindgen]
#[allow(clippy::needless_pass_by_value)]
pub fn route(
    env: &Env,
    method: String,
    url: &str,
    cookie: Option<String>,
    client_ip: Option<String>,
    now_ms: f64,
) -> Option<Vec<JsValue>> {
    #[cfg(feature = "chaos")]
    crate::chaos::on_route(url);
    let now_ms = epoch_ms(now_ms);
    let settings = Settings::current(env, now_ms);
    let config = &settings.site.config;
    if config.edge.maintenance.is_active(now_ms / 1000) {
        return None;
    }
    let url = Url::parse(url).ok()?;
    let owned = OwnedFacts::basic(method, &url);
    let facts = owned.facts();
    let Gate::Forward { deadline_ms, origin } = gate(&facts, config, Clock { now_unix_s: now_ms / 1000, seed: 0 })
    else {
        return None;
    };
    let keep = config.edge.stale_if_error_s > 0
        && facts.method == "GET"
        && stale::is_due(&stale::key(&url), url.path(), now_ms);
    let target = target::target_url(&url, settings.origin_for(origin).ok()?);
    let slot = if config.edge.breaker.is_on() {
        f64::from(breakers::closed_slot(target::breaker_key(&target), now_ms)?.number())
    } else {
        -1.0
    };
    let client = ClientIp::parse(client_ip.as_deref());
    let edits = origin::header_edits(&url, cookie.as_deref(), client);
    let mut shape = Vec::with_capacity(5 + 2 * edits.len());
    let client_key = ClientKey::number(client.map(ClientIp::key));
    shape.extend([target.as_str().into(), deadline_ms.into(), slot.into(), keep.into(), client_key.into()]);
    for edit in &edits {
        shape.push(edit.name().into());
        shape.push(edit.value().map_or(JsValue::NULL, JsValue::from));
    }
    Some(shape)
}

/// Records a healthy answer to `client` (its key from `route`) for the breaker in `slot`, as
/// `handle` does for its own requests. (A healthy answer's path does not matter to the breaker:
/// only 500s are told apart by page.)
#[wasm_bindgen]
pub fn healthy(env: &Env, slot: u32, client: u32, now_ms: f64) {
    let settings = Settings::get(env);
    let policy = &settings.site.config.edge.breaker;
    let client = ClientKey::from_number(client);
    breakers::record(Slot::from_number(slot), policy, Health::Healthy, "", client, epoch_ms(now_ms), None);
}

/// How long a request's body may take to arrive ([`edgepages_core::config::EdgePolicy::upload_timeout_ms`]
/// or the var `UPLOAD_TIMEOUT_MS`), for the JS entry's sends.
#[wasm_bindgen]
pub fn upload_timeout_ms(env: &Env) -> u32 {
    Settings::get(env).site.config.edge.upload_timeout_ms
}

/// `response` (a 200 the route said to keep), having scheduled a copy of it to be kept if core
/// allows; the visitor's half of the body streams on.
#[wasm_bindgen]
pub fn keep(
    env: &Env,
    ctx: worker::worker_sys::Context,
    request: web_sys::Request,
    response: web_sys::Response,
    started_ms: f64,
) -> web_sys::Response {
    let settings = Settings::get(env);
    let req = Request::from(request);
    let Ok(url) = req.url() else { return response };
    let ctx = Context::new(ctx);
    let policy = &settings.site.config.edge;
    stale::keep_if_allowed(&ctx, &req, response, policy, stale::key(&url), url.path(), epoch_ms(started_ms))
}

/// Answers a request the JS entry sent that failed: `sent` is what the transport said of it (the
/// origin's 5xx, or what went wrong and whether a bound cut it).
#[wasm_bindgen(wasm_bindgen_futures = worker::wasm_bindgen_futures)]
#[allow(clippy::needless_pass_by_value)]
pub async fn fail(
    request: web_sys::Request,
    env: Env,
    ctx: worker::worker_sys::Context,
    sent: JsValue,
    deadline_ms: u32,
    started_ms: f64,
) -> Result<web_sys::Response, JsValue> {
    let attempt = Attempt::of(&sent, deadline_ms);
    let answer = crate::respond(Request::from(request), &env, &Context::new(ctx), epoch_ms(started_ms), Some(attempt))
        .await
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    Ok(answer.into())
}

/// A JS `Date.now()` as whole milliseconds.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn epoch_ms(ms: f64) -> u64 {
    ms as u64
}

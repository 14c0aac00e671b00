//! Stale-if-error at the edge: keeping the last good copy of a page in a Cache API cache of the
//! edge's own, and answering with it when the origin fails. Core decides what may be kept, for how
//! long, how often each page and the isolate may write, and how many copies are made at once;
//! this module, and the transport's `relay` (`edge/transport.mjs`), only move bytes.

use std::cell::RefCell;

use edgepages_core::config::EdgePolicy;
use edgepages_core::hash::Seed;
use edgepages_core::stale::{
    self, COPY_BOUND_MS, CopiesInFlight, CopyOf, Exchange, MAX_STALE_HEADER, MAX_STORED_BYTES, STORED_AT_HEADER,
    WriteBudget,
};
use edgepages_core::{RequestFacts, Site, negotiate};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Cache, Context, Request, Response, Url};

use crate::log;

/// A cache of its own, so that a kept copy never meets the zone's CDN cache.
const CACHE_NAME: &str = "edgepages-stale";
/// Each page's copy is refreshed at most this often per isolate: keeping costs a tee and a write.
const REFRESH_MS: u64 = 10_000;
/// Slots remembering when a page was last kept, by a hash of its key. Two pages that share a
/// slot only cost an extra write now and then; memory stays fixed however many pages there are.
const SLOTS: usize = 1024;

thread_local! {
    static KEPT_AT_MS: RefCell<[(u64, u64); SLOTS]> = const { RefCell::new([(0, 0); SLOTS]) };
    /// Made on an isolate's first request (random values may not be drawn at global scope), with
    /// the secret seed that decides which pages share a write slot.
    static WRITES: RefCell<WriteBudget> = RefCell::new(WriteBudget::seeded(Seed::from_draws(js_sys::Math::random)));
    static COPIES: RefCell<CopiesInFlight> = RefCell::new(CopiesInFlight::default());
}

#[wasm_bindgen(module = "/transport.mjs")]
extern "C" {
    /// `relay` in `edge/transport.mjs`: the response as the visitor gets it, and its copy.
    type Relayed;
    #[wasm_bindgen(js_name = relay)]
    fn transport_relay(response: &web_sys::Response, limit: f64, bound_ms: f64) -> Relayed;
    #[wasm_bindgen(method, getter)]
    fn response(this: &Relayed) -> web_sys::Response;
    /// Resolves to the copy's chunks (`Uint8Array`s), or null when there is none.
    #[wasm_bindgen(method, getter)]
    fn copy(this: &Relayed) -> js_sys::Promise;
}

/// The cache key of a page: its public URL (scheme, host, path and query), never the origin's.
/// A request's URL carries no fragment.
pub fn key(url: &Url) -> String {
    url.as_str().to_owned()
}

/// Hands `resp` back, having arranged for a copy of it to be kept if core allows. The body is
/// relayed: each chunk goes on to the visitor as it is read and is kept for the copy too, up to
/// [`MAX_STORED_BYTES`] (past that, whatever length the origin declared or did not, the copy is
/// given up and the body streams on), so nothing is read ahead of a slow visitor. At most
/// [`stale::MAX_COPIES_IN_FLIGHT`] copies are made at once. `path` is the page's, for its share of
/// the writes.
pub fn keep_if_allowed(
    ctx: &Context,
    req: &Request,
    resp: web_sys::Response,
    policy: &EdgePolicy,
    key: String,
    path: &str,
    now_ms: u64,
) -> web_sys::Response {
    if policy.stale_if_error_s == 0
        || resp.status() != 200
        || req.inner().method() != "GET"
        || !COPIES.with(|copies| copies.borrow().has_room())
        || !due(&key, now_ms)
    {
        return resp;
    }
    let request_header = |name: &str| req.headers().has(name).unwrap_or(true);
    let resp_headers = resp.headers();
    let header = |name: &str| resp_headers.get(name).ok().flatten();
    let (content_type, cache_control, vary) = (header("content-type"), header("cache-control"), header("vary"));
    let exchange = Exchange {
        method: "GET",
        request_has_authorization: request_header("authorization"),
        request_has_cookie: request_header("cookie"),
        request_has_unkeyed_input: req.headers().keys().any(|name| stale::is_unkeyed_input(&name)),
        status: 200,
        content_type: content_type.as_deref(),
        cache_control: cache_control.as_deref(),
        has_set_cookie: resp_headers.has("set-cookie").unwrap_or(true),
        vary: vary.as_deref(),
        content_length: header("content-length").and_then(|v| v.trim().parse().ok()),
    };
    let Ok(keep) = stale::keepable(&exchange, policy) else { return resp };
    if !WRITES.with(|budget| budget.borrow_mut().take(copy_of(&key, path), now_ms)) {
        return resp;
    }
    let headers = match copy_headers(&resp, keep.max_stale_s, now_ms / 1000) {
        Ok(headers) => headers,
        Err(err) => {
            log::internal_error(&format!("copying a response to keep: {err:?}"));
            return resp;
        }
    };
    if !COPIES.with(|copies| copies.borrow_mut().start()) {
        return resp;
    }
    #[allow(clippy::cast_precision_loss)]
    let relayed = transport_relay(&resp, MAX_STORED_BYTES as f64, COPY_BOUND_MS as f64);
    let copy = relayed.copy();
    ctx.wait_until(async move {
        let chunks = JsFuture::from(copy).await;
        COPIES.with(|copies| copies.borrow_mut().done());
        let kept = match chunks {
            Ok(chunks) if chunks.is_null() => Ok(()),
            Ok(chunks) => put_copy(&key, headers, &chunks.into()).await,
            Err(err) => Err(err),
        };
        if let Err(err) = kept {
            log::internal_error(&format!("keeping a stale copy: {err:?}"));
        }
    });
    relayed.response()
}

/// Puts a copy made of `chunks` in the cache under `key`.
async fn put_copy(key: &str, headers: web_sys::Headers, chunks: &js_sys::Array) -> Result<(), JsValue> {
    let blob = web_sys::Blob::new_with_u8_array_sequence(chunks)?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    headers.set("content-length", &(blob.size() as u64).to_string())?;
    let init = web_sys::ResponseInit::new();
    init.set_status(200);
    init.set_headers(&headers);
    let copy = web_sys::Response::new_with_opt_blob_and_init(Some(&blob), &init)?;
    let cache = Cache::open(CACHE_NAME.to_owned()).await;
    cache.put(key, Response::from(copy)).await.map_err(JsValue::from)
}

/// Marks `key` as kept at `now_ms`, unless it was kept within [`REFRESH_MS`].
fn due(key: &str, now_ms: u64) -> bool {
    with_slot(key, |entry, hash| {
        if is_fresh(entry, hash, now_ms) {
            return false;
        }
        *entry = (hash, now_ms);
        true
    })
}

/// Whether a copy of `key` (on `path`) would be kept at `now_ms`, changing nothing: the JS entry
/// asks first, so that a page kept within [`REFRESH_MS`], a write the budget has no room for, or
/// a copy past the number made at once, never crosses into wasm.
pub fn is_due(key: &str, path: &str, now_ms: u64) -> bool {
    // Cheapest first: most requests are for a page kept within the last few seconds.
    with_slot(key, |entry, hash| !is_fresh(entry, hash, now_ms))
        && COPIES.with(|copies| copies.borrow().has_room())
        && WRITES.with(|budget| budget.borrow().has_room(copy_of(key, path), now_ms))
}

/// The URL `key` (on `path`) as the write budget counts it. A key is a serialised URL, whose only
/// `?` starts its query (a `?` in a path is percent-encoded, and a request's URL has no fragment).
fn copy_of<'a>(key: &str, path: &'a str) -> CopyOf<'a> {
    CopyOf { path, has_query: key.contains('?') }
}

fn is_fresh(entry: &(u64, u64), hash: u64, now_ms: u64) -> bool {
    entry.0 == hash && now_ms.saturating_sub(entry.1) < REFRESH_MS
}

/// Runs `f` on the slot of `key` and the key's hash.
fn with_slot<T>(key: &str, f: impl FnOnce(&mut (u64, u64), u64) -> T) -> T {
    let hash = edgepages_core::hash::fnv1a(key.as_bytes());
    #[allow(clippy::cast_possible_truncation)]
    let slot = (hash % SLOTS as u64) as usize;
    KEPT_AT_MS.with(|kept| f(&mut kept.borrow_mut()[slot], hash))
}

/// The headers a kept copy is stored with: its lifetime, its age cap, and when it was kept.
fn copy_headers(resp: &web_sys::Response, max_stale_s: u32, now_unix_s: u64) -> Result<web_sys::Headers, JsValue> {
    let headers = web_sys::Headers::new_with_headers(&resp.headers())?;
    headers.set("cache-control", &format!("public, max-age={max_stale_s}"))?;
    for gone in ["expires", "age", "set-cookie", "transfer-encoding"] {
        headers.delete(gone)?;
    }
    headers.set(STORED_AT_HEADER, &now_unix_s.to_string())?;
    headers.set(MAX_STALE_HEADER, &max_stale_s.to_string())?;
    Ok(headers)
}

/// The kept copy of `key`, if there is one no older than `max_stale_s` that the client accepts,
/// marked as stale (`x-edgepages: stale; age=…; cause=…`) and never to be cached downstream.
pub async fn serve(
    key: &str,
    max_stale_s: u32,
    facts: &RequestFacts<'_>,
    site: &Site,
    cause: &str,
    now_unix_s: u64,
) -> worker::Result<Option<Response>> {
    let cache = Cache::open(CACHE_NAME.to_owned()).await;
    let Some(copy) = cache.get(key, false).await? else { return Ok(None) };
    let headers = copy.headers().clone();
    let max_stale_s = stale::max_stale(headers.get(MAX_STALE_HEADER)?.as_deref(), max_stale_s);
    let Some(age) = stale::usable_age(headers.get(STORED_AT_HEADER)?.as_deref(), now_unix_s, max_stale_s) else {
        return Ok(None);
    };
    let content_type = headers.get("content-type")?.unwrap_or_default();
    if !negotiate::accepts(facts.accept, &content_type) {
        return Ok(None);
    }
    headers.delete(STORED_AT_HEADER)?;
    headers.delete(MAX_STALE_HEADER)?;
    headers.set("cache-control", "no-store")?;
    headers.set("age", &age.to_string())?;
    headers.set("x-edgepages", &stale::marker(age, cause))?;

    // The banner needs the whole page in memory, so only a page of known, small size gets one.
    let small =
        headers.get("content-length")?.and_then(|v| v.parse::<u64>().ok()).is_some_and(|n| n <= MAX_STORED_BYTES);
    if site.config.edge.stale_banner && content_type.starts_with("text/html") && small {
        let mut copy = copy;
        let html = copy.text().await?;
        let locale = edgepages_core::decide::choose_locale(facts, &site.config);
        let banner = edgepages_core::render::stale_banner(site, locale, age)
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        let body = stale::insert_banner(&html, &banner).unwrap_or(html);
        headers.delete("content-length")?;
        return Ok(Some(Response::builder().with_status(200).with_headers(headers).fixed(body.into_bytes())));
    }
    Ok(Some(copy.with_headers(headers).with_status(200)))
}

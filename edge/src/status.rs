//! The site's status page (`[status]`) in the worker: read beside the requests, at most once per
//! refresh interval per isolate, in `waitUntil`, within a timeout and a size cap
//! (`edge/status.mjs` moves the bytes); each read numbered, so a late one never undoes a newer
//! one. Core says what every read means ([`StatusCopy`]), when to read next, how long a branded
//! answer waits for a read in flight, and what the page shows; a read that fails leaves the page
//! as it was, with one log line. A healthy request never waits for a read.

use std::cell::{Cell, RefCell};
use std::future::Future as _;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use edgepages_core::status::copy::{READ_TIMEOUT_MS, next_read_ms};
use edgepages_core::status::{MAX_BODY_BYTES, ReadOutcome, Settled, StatusCopy, StatusNote, parse};
use edgepages_core::{Clock, Decision, Gate, RequestFacts, gate};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen_futures::{JsFuture, future_to_promise};
use worker::{Delay, Env};

use crate::log;
use crate::settings::Settings;

#[wasm_bindgen(module = "/status.mjs")]
extern "C" {
    /// `fetchCapped` in `edge/status.mjs`: resolves to `{ status, body }` or `{ error }`.
    #[wasm_bindgen(js_name = fetchCapped)]
    fn fetch_capped(url: &str, timeout_ms: u32, cap_bytes: u32) -> js_sys::Promise;
}

thread_local! {
    static COPY: RefCell<StatusCopy> = RefCell::new(StatusCopy::default());
    /// Reads started in this isolate, so that each has a number.
    static STARTED: Cell<u64> = const { Cell::new(0) };
    /// The newest read in flight: (its number, the promise that settles with it).
    static IN_FLIGHT: RefCell<Option<(u64, js_sys::Promise)>> = const { RefCell::new(None) };
}

/// Starts a read of the status page at `now_ms`, beside the request (in `ctx.waitUntil`, so that
/// it lands even after the request is answered), and returns when the next read is due: the JS
/// entry calls this only once that time has come, so a request in between does no more than a
/// comparison. Never, when the site has no status page (or `STATUS_URL` is `off`).
#[wasm_bindgen]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
pub fn status_refresh(env: &Env, ctx: &worker::worker_sys::Context, now_ms: f64) -> f64 {
    let settings = Settings::get(env);
    let Some(source) = settings.status.clone() else { return f64::INFINITY };
    let read = STARTED.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    let env = env.clone();
    let cap = u32::try_from(MAX_BODY_BYTES).unwrap_or(u32::MAX);
    let reading = future_to_promise(async move {
        let url = source.json_url();
        let answer = JsFuture::from(fetch_capped(&url, READ_TIMEOUT_MS, cap)).await.unwrap_or(JsValue::UNDEFINED);
        let outcome = outcome(&answer, &source);
        let now_ms = crate::now_ms();
        let settled = COPY.with(|copy| copy.borrow_mut().settle(read, outcome, now_ms));
        IN_FLIGHT.with(|pending| {
            if pending.borrow().as_ref().is_some_and(|(n, _)| *n == read) {
                *pending.borrow_mut() = None;
            }
        });
        if let Settled::Failed(why) = &settled {
            log::status_unread(&url, read, why);
        }
        apply(&env, now_ms);
        Ok(JsValue::UNDEFINED)
    });
    IN_FLIGHT.with(|pending| *pending.borrow_mut() = Some((read, reading.clone())));
    if let Err(err) = ctx.wait_until(&reading) {
        log::internal_error(&format!("handing status read {read} to waitUntil: {err:?}"));
    }
    next_read_ms(now_ms as u64) as f64
}

/// What `answer` (from `fetchCapped`) came to.
fn outcome(answer: &JsValue, source: &edgepages_core::config::StatusSource) -> ReadOutcome {
    let field = |name: &str| js_sys::Reflect::get(answer, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    if let Some(error) = field("error").as_string() {
        return ReadOutcome::Failed(error);
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let status = field("status").as_f64().map_or(0, |s| s as u16);
    if status != 200 {
        return ReadOutcome::Failed(format!("HTTP {status}"));
    }
    let body = js_sys::Uint8Array::new(&field("body")).to_vec();
    match parse(source.provider, &body, &source.components) {
        Ok(summary) => ReadOutcome::Read(summary),
        Err(why) => ReadOutcome::Refused(why),
    }
}

/// The status page's word on maintenance, at `now_ms`, applied to the isolate's settings.
fn apply(env: &Env, now_ms: u64) {
    let word = COPY.with(|copy| copy.borrow().switch_at(now_ms));
    Settings::apply_status(env, word, now_ms / 1000);
}

/// What a page answered at `now_ms` shows from the status page, if anything.
pub fn note_at(now_ms: u64) -> Option<StatusNote> {
    COPY.with(|copy| copy.borrow().note_at(now_ms))
}

/// Before a branded answer: when the copy is not fresh and a read is in flight, waits for it,
/// but no longer than core's bound and never past the request's deadline (`started_ms` plus
/// `deadline_ms`). Returns at once otherwise.
pub async fn await_read(started_ms: u64, deadline_ms: u32) {
    let in_flight = IN_FLIGHT.with(|pending| pending.borrow().as_ref().map(|(_, promise)| promise.clone()));
    let wait_ms =
        COPY.with(|copy| copy.borrow().answer_wait_ms(in_flight.is_some(), crate::now_ms(), started_ms, deadline_ms));
    let Some(promise) = in_flight.filter(|_| wait_ms > 0) else { return };
    let mut read = JsFuture::from(promise);
    let mut bound = Delay::from(Duration::from_millis(wait_ms));
    std::future::poll_fn(|cx| {
        if Pin::new(&mut read).poll(cx).is_ready() || Pin::new(&mut bound).poll(cx).is_ready() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// `decision` for a request whose origin failed, once a read in flight has had its bounded wait
/// ([`await_read`]): unchanged, unless that read switched maintenance on, in which case the
/// request gets the maintenance page (or goes on with the bypass, and keeps its own answer).
pub async fn decide_again(
    env: &Env,
    decision: Decision,
    facts: &RequestFacts<'_>,
    started_ms: u64,
    deadline_ms: u32,
    clock: Clock,
) -> Decision {
    if Settings::get(env).status.is_none() {
        return decision;
    }
    await_read(started_ms, deadline_ms).await;
    let settings = Settings::current(env, crate::now_ms());
    match gate(facts, &settings.site.config, clock) {
        Gate::Answer(page) => Decision::Page(page),
        Gate::Forward { .. } => decision,
    }
}

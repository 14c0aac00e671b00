//! A worker built without the `status` feature (its config has no `[status]`): the status page is
//! never read, and answers carry nothing from it. The same calls as `status.rs`, doing nothing,
//! so that the rest of the worker reads the same either way.

use edgepages_core::status::StatusNote;
use edgepages_core::{Clock, Decision, RequestFacts};
use wasm_bindgen::prelude::wasm_bindgen;
use worker::Env;

/// Never: there is no status page to read.
#[wasm_bindgen]
pub fn status_refresh(_env: &Env, _ctx: &worker::worker_sys::Context, _now_ms: f64) -> f64 {
    f64::INFINITY
}

pub fn note_at(_now_ms: u64) -> Option<StatusNote> {
    None
}

#[allow(clippy::unused_async)]
pub async fn await_read(_started_ms: u64, _deadline_ms: u32) {}

#[allow(clippy::unused_async)]
pub async fn decide_again(
    _env: &Env,
    decision: Decision,
    _facts: &RequestFacts<'_>,
    _started_ms: u64,
    _deadline_ms: u32,
    _clock: Clock,
) -> Decision {
    decision
}

//! The maintenance switch in a KV namespace (binding `EDGEPAGES`, key `maintenance`), as the JS
//! entry reads it: JS does the reading, off the request path once the isolate has a value, and
//! hands each value here. Core says which setting is in force and how often to read again.

use edgepages_core::config::{Maintenance, SWITCH_FIRST_WAIT_MS, SWITCH_REFRESH_MS};
use wasm_bindgen::prelude::wasm_bindgen;
use worker::Env;

use crate::log;
use crate::settings::Settings;

/// Applies `value`, what the switch's key holds (`None`: no such key), read at `now_ms`, and
/// returns when to read it again. A value that is not a maintenance setting is logged and
/// counts as none.
#[wasm_bindgen]
#[allow(clippy::needless_pass_by_value)]
pub fn switch_read(env: &Env, value: Option<String>, now_ms: f64) -> f64 {
    let switch = value
        .as_deref()
        .map(str::trim)
        .filter(|raw| !raw.is_empty())
        .and_then(|raw| Maintenance::parse(raw).map_err(|why| log::bad_var("KV maintenance", &why)).ok());
    if let Some(in_force) = Settings::apply_switch(env, switch) {
        log::maintenance_switched(in_force);
    }
    next_read(now_ms)
}

/// Notes that reading the switch failed at `now_ms` (the last value read stays in force), and
/// returns when to try again.
#[wasm_bindgen]
#[allow(clippy::needless_pass_by_value)]
pub fn switch_failed(error: String, now_ms: f64) -> f64 {
    log::internal_error(&format!("reading the KV maintenance switch: {error}"));
    next_read(now_ms)
}

/// How long an isolate's first request waits for the first read, in milliseconds.
#[wasm_bindgen]
#[allow(clippy::cast_precision_loss)]
pub fn switch_first_wait_ms() -> f64 {
    SWITCH_FIRST_WAIT_MS as f64
}

#[allow(clippy::cast_precision_loss)]
fn next_read(now_ms: f64) -> f64 {
    now_ms + SWITCH_REFRESH_MS as f64
}

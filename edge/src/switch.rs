//! The maintenance switch in a KV namespace (binding `EDGEPAGES`, key `maintenance`), as the JS
//! entry reads it: JS does the reading, beside the requests, and hands each value here with the
//! number of its read. Core says which setting is in force, when to read again, and which of the
//! reads' values still counts.

use std::cell::RefCell;

use edgepages_core::config::{Maintenance, SWITCH_FIRST_WAIT_MS, SwitchReads, next_switch_read_ms};
use wasm_bindgen::prelude::wasm_bindgen;
use worker::Env;

use crate::log;
use crate::settings::Settings;

thread_local! {
    static READS: RefCell<SwitchReads> = RefCell::new(SwitchReads::default());
}

/// Applies `value`, what the switch's key held (`None`: no such key) for read number `read`,
/// settled at `now_ms`, unless a newer read's value was applied already. A value that is not a
/// maintenance setting is logged and counts as none.
#[wasm_bindgen]
#[allow(clippy::needless_pass_by_value, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn switch_read(env: &Env, value: Option<String>, read: f64, now_ms: f64) {
    if !READS.with(|reads| reads.borrow_mut().accept(read as u64)) {
        return;
    }
    let switch = value
        .as_deref()
        .map(str::trim)
        .filter(|raw| !raw.is_empty())
        .and_then(|raw| Maintenance::parse(raw).map_err(|why| log::bad_var("KV maintenance", &why)).ok());
    Settings::apply_switch(env, switch, now_ms as u64 / 1000);
}

/// Notes that read number `read` of the switch failed (the last value read stays in force).
#[wasm_bindgen]
#[allow(clippy::needless_pass_by_value)]
pub fn switch_failed(error: String, read: f64) {
    log::internal_error(&format!("reading the KV maintenance switch (read {read}): {error}"));
}

/// When to read the switch next, as a read starts at `now_ms`: whether or not it ever settles.
#[wasm_bindgen]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
pub fn switch_next_read_ms(now_ms: f64) -> f64 {
    next_switch_read_ms(now_ms as u64) as f64
}

/// How long requests wait, at most, for an isolate's first read, in milliseconds.
#[wasm_bindgen]
#[allow(clippy::cast_precision_loss)]
pub fn switch_first_wait_ms() -> f64 {
    SWITCH_FIRST_WAIT_MS as f64
}

//! The status page (`[status]`) in the function: the instance's copy ([`StatusCopy`]), and what
//! `index.mjs` needs to read it. Lambda@Edge has no `waitUntil` and no timer between invocations,
//! so `index.mjs` starts a read inside an invocation that is about to answer with a page, at most
//! once per refresh interval, and waits for it only as long as [`StatusCopy::answer_wait_ms`]
//! says; core decides what every read means, as for the worker.

use std::cell::RefCell;

use edgepages_core::status::copy::{READ_TIMEOUT_MS, REFRESH_MS};
use edgepages_core::status::{MAX_BODY_BYTES, ReadOutcome, Settled, StatusCopy, parse};
use serde_json::json;

use crate::respond::Status;
use crate::site;

thread_local! {
    static COPY: RefCell<StatusCopy> = RefCell::new(StatusCopy::default());
}

/// How `index.mjs` reads the status page: `{"url", "timeout_ms", "cap_bytes", "refresh_ms"}`, or
/// `{}` when the site has none (then it never reads).
pub fn plan_json() -> String {
    match &site().config.status {
        Some(source) => json!({
            "url": source.json_url(),
            "timeout_ms": READ_TIMEOUT_MS,
            "cap_bytes": MAX_BODY_BYTES,
            "refresh_ms": REFRESH_MS,
        })
        .to_string(),
        None => "{}".to_owned(),
    }
}

/// Settles read number `read` at `now_ms`: `body` is the answer's body when the answer was a
/// 200 (`answered`), else the reason it was not (the runtime's words or `HTTP 500`, never a
/// body). Returns `{"problem": …}` for the log when the read gave nothing usable, else `{}`.
pub fn settle(read: u64, answered: bool, body: &[u8], now_ms: u64) -> String {
    let outcome = match (answered, &site().config.status) {
        (true, Some(source)) => match parse(source.provider, body, &source.components) {
            Ok(summary) => ReadOutcome::Read(summary),
            Err(why) => ReadOutcome::Refused(why),
        },
        (true, None) => ReadOutcome::Failed("the site has no [status]".to_owned()),
        (false, _) => ReadOutcome::Failed(String::from_utf8_lossy(body).chars().take(200).collect()),
    };
    match COPY.with_borrow_mut(|copy| copy.settle(read, outcome, now_ms)) {
        Settled::Failed(why) => json!({ "problem": why }).to_string(),
        Settled::Updated | Settled::Outdated => "{}".to_owned(),
    }
}

/// How long an answer at `now_ms` waits for the read in flight (`reading`): nothing when the
/// copy is fresh, else the bound (the origin has answered already: no deadline is left to keep).
pub fn wait_ms(reading: bool, now_ms: u64) -> u64 {
    COPY.with_borrow(|copy| copy.answer_wait_ms(reading, now_ms, now_ms, u32::MAX))
}

/// Whether the status page switches maintenance on at `now_ms`: then every response enters the
/// module, not only the statuses it would replace otherwise.
pub fn maintenance_on(now_ms: u64) -> bool {
    COPY.with_borrow(|copy| copy.switch_at(now_ms)).is_some_and(|m| m.is_active(now_ms / 1000))
}

/// What the status page says at `now_ms`, for [`crate::respond::respond_with_status`].
pub fn now(now_ms: u64) -> Status {
    COPY.with_borrow(|copy| Status { note: copy.note_at(now_ms), maintenance: copy.switch_at(now_ms) })
}

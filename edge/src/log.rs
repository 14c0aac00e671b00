//! One structured line per intercepted request, and warnings. Never logs a query string, a
//! header value other than the request ID, or a secret.

use edgepages_core::{PageDecision, RequestFacts};
use serde_json::json;
use worker::{console_error, console_log, console_warn};

/// How a failure was answered.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// With the branded page (or problem+json, or text).
    Page,
    /// With the page's kept copy; the decision logged is the page it replaced.
    Stale,
}

/// One line per intercepted request.
pub fn intercepted(
    answer: Answer,
    facts: &RequestFacts<'_>,
    outcome: &str,
    detail: Option<&str>,
    page: &PageDecision,
    started_ms: u64,
) {
    let event = match answer {
        Answer::Page => "intercepted",
        Answer::Stale => "stale",
    };
    let line = json!({
        "edgepages": event,
        "request_id": facts.request_id,
        "method": facts.method,
        "path": facts.path.split('?').next().unwrap_or_default(),
        "outcome": outcome,
        "detail": detail,
        "decision": { "status": page.status, "page": page.kind.as_str(), "retry_after": page.retry_after_s, "format": page.format },
        "ms": crate::now_ms().saturating_sub(started_ms),
    });
    console_log!("{line}");
}

pub fn internal_error(message: &str) {
    console_error!("{}", json!({ "edgepages": "internal_error", "error": message }));
}

/// Where requests go, once per isolate: the origin and the path put before each request's.
pub fn origin(source: &str, origin: &edgepages_core::target::Origin) {
    console_log!(
        "{}",
        json!({ "edgepages": "origin", "from": source, "origin": origin.as_str(), "path_prefix": origin.path_prefix() })
    );
}

pub fn bad_var(name: &str, why: &str) {
    console_warn!("{}", json!({ "edgepages": "bad_var", "var": name, "problem": why }));
}

/// The KV switch or the status page changed the maintenance in force in this isolate.
pub fn maintenance_switched(in_force: edgepages_core::config::Maintenance) {
    console_log!("{}", json!({ "edgepages": "maintenance_switched", "in_force": in_force.to_string() }));
}

/// A read of the status page gave nothing usable: where, which read, and why (never its body).
/// The page goes on as it was.
#[cfg(feature = "status")]
pub fn status_unread(url: &str, read: u64, why: &str) {
    console_warn!("{}", json!({ "edgepages": "status_unread", "url": url, "read": read, "problem": why }));
}

/// `STATUS_URL` is `off`: the isolate does not read the status page.
#[cfg(feature = "status")]
pub fn status_off() {
    console_log!("{}", json!({ "edgepages": "status_off", "var": "STATUS_URL" }));
}

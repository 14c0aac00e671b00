//! One structured line per intercepted request, and warnings. Never logs a query string, a
//! header value other than the request ID, or a secret.

use edgepages_core::{PageDecision, RequestFacts};
use serde_json::json;
use worker::{console_error, console_log, console_warn};

pub fn intercepted(
    facts: &RequestFacts<'_>,
    outcome: &str,
    detail: Option<&str>,
    page: &PageDecision,
    started_ms: u64,
) {
    line("intercepted", facts, outcome, detail, page, started_ms);
}

/// A failure answered with the page's kept copy; `page` is what would have been shown instead.
pub fn served_stale(
    facts: &RequestFacts<'_>,
    outcome: &str,
    detail: Option<&str>,
    page: &PageDecision,
    started_ms: u64,
) {
    line("stale", facts, outcome, detail, page, started_ms);
}

fn line(
    event: &str,
    facts: &RequestFacts<'_>,
    outcome: &str,
    detail: Option<&str>,
    page: &PageDecision,
    started_ms: u64,
) {
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

pub fn bad_var(name: &str, why: &str) {
    console_warn!("{}", json!({ "edgepages": "bad_var", "var": name, "problem": why }));
}

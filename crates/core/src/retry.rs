//! The one verdict on sending a request to the origin a second time (pingora's model: the error
//! says whether a retry can help, and one loop checks it against the attempts made). Retries are
//! what turn an overload into an outage, so the answer is no unless every condition holds.

use crate::outcome::OriginOutcome;
use crate::request::is_safe_method;

/// Below this many milliseconds left before the deadline, a retry could not get an answer in time.
pub const MIN_RETRY_BUDGET_MS: u64 = 50;

/// What the edge knows about a request it has sent and that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempted<'a> {
    /// Upper-case method.
    pub method: &'a str,
    /// The request carries a body (which may have been consumed by the first attempt).
    pub has_body: bool,
    /// How many times it has been sent.
    pub attempts: u32,
    /// Milliseconds left before its deadline.
    pub ms_left: u64,
}

/// Whether to send the request once more after `outcome`: only after a connection that failed
/// before any application saw the request (refused, reset), never after a timeout or a status;
/// only for a safe method (RFC 9110 §9.2.1) without a body; only once; and only with time left.
pub fn should_retry(outcome: &OriginOutcome<'_>, req: &Attempted<'_>) -> bool {
    let cured_by_retry = matches!(outcome, OriginOutcome::Failure(kind) if kind.is_retryable());
    cured_by_retry
        && is_safe_method(req.method)
        && !req.has_body
        && req.attempts < 2
        && req.ms_left >= MIN_RETRY_BUDGET_MS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::FailureKind;

    #[test]
    fn only_a_bodiless_safe_request_after_a_connect_failure_is_sent_again_once_in_time() {
        let get = Attempted { method: "GET", has_body: false, attempts: 1, ms_left: 900 };
        let refused = OriginOutcome::Failure(FailureKind::Refused);
        let reset = OriginOutcome::Failure(FailureKind::Reset);
        let status = |status| OriginOutcome::Response { status, content_type: None, retry_after: None };
        let table: [(&str, OriginOutcome<'_>, Attempted<'_>, bool); 14] = [
            ("GET refused", refused, get, true),
            ("GET reset", reset, get, true),
            ("HEAD reset", reset, Attempted { method: "HEAD", ..get }, true),
            ("OPTIONS reset", reset, Attempted { method: "OPTIONS", ..get }, true),
            ("a GET with a body", reset, Attempted { has_body: true, ..get }, false),
            ("POST", reset, Attempted { method: "POST", ..get }, false),
            ("PUT", reset, Attempted { method: "PUT", ..get }, false),
            ("PATCH", reset, Attempted { method: "PATCH", ..get }, false),
            ("DELETE", reset, Attempted { method: "DELETE", ..get }, false),
            ("a second retry", reset, Attempted { attempts: 2, ..get }, false),
            ("no time left", reset, Attempted { ms_left: MIN_RETRY_BUDGET_MS - 1, ..get }, false),
            ("a timeout", OriginOutcome::Failure(FailureKind::Timeout), get, false),
            ("an origin 502", status(502), get, false),
            ("a DNS failure", OriginOutcome::Failure(FailureKind::Dns), get, false),
        ];
        for (case, outcome, req, expected) in table {
            assert_eq!(should_retry(&outcome, &req), expected, "{case}");
        }
    }
}

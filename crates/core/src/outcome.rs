//! What happened when the edge asked the origin, and how each outcome is classified.
//!
//! Modelled on pingora's error type: every failure has a kind, a source (who failed) and whether
//! it is safe to try again.

use serde::Serialize;

/// How a request to the origin failed before any usable response arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The connection was refused: nothing listens, or a load balancer has no healthy target.
    Refused,
    /// The origin's name did not resolve.
    Dns,
    /// No response headers within the deadline.
    Timeout,
    /// The connection was reset or closed before the headers.
    Reset,
    /// The TLS handshake failed.
    Tls,
    /// Anything else the runtime reported.
    Other,
    /// The client did not finish sending the request's body within the upload bound: its own
    /// slowness, not the origin's.
    SlowUpload,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Refused => "refused",
            FailureKind::Dns => "dns",
            FailureKind::Timeout => "timeout",
            FailureKind::Reset => "reset",
            FailureKind::Tls => "tls",
            FailureKind::Other => "other",
            FailureKind::SlowUpload => "slow_upload",
        }
    }

    /// The honest status for this failure: a missed deadline is a 504, a request whose body did
    /// not arrive in time a 408 (RFC 9110 §15.5.9), the rest are 502.
    pub fn status(self) -> u16 {
        match self {
            FailureKind::Timeout => 504,
            FailureKind::SlowUpload => 408,
            _ => 502,
        }
    }

    /// Who failed: the client, for a body that did not arrive; else the way to the origin.
    pub fn source(self) -> Source {
        match self {
            FailureKind::SlowUpload => Source::Client,
            _ => Source::Network,
        }
    }

    /// The failures that a second attempt can cure without adding load: the request never
    /// reached a working application. Timeouts are excluded: retrying one doubles the wait and
    /// piles more work onto an origin that is already slow.
    pub fn is_retryable(self) -> bool {
        matches!(self, FailureKind::Refused | FailureKind::Reset)
    }

    /// Sorts a failed fetch by the runtime's message. workerd reports connection failures as
    /// plain `Error`s, so the wording is all there is to go on.
    pub fn from_runtime_message(message: &str) -> FailureKind {
        let message = message.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| message.contains(w));
        if has(&["refused", "econnrefused"]) {
            FailureKind::Refused
        } else if has(&["dns", "lookup", "resolve", "enotfound", "getaddrinfo", "name or service"]) {
            FailureKind::Dns
        } else if has(&["tls", "ssl", "certificate", "handshake"]) {
            FailureKind::Tls
        } else if has(&["reset", "connection lost", "disconnected", "closed", "econnreset", "broken pipe"]) {
            FailureKind::Reset
        } else if has(&["timed out", "timeout"]) {
            FailureKind::Timeout
        } else {
            FailureKind::Other
        }
    }

    /// Cloudflare answers a subrequest with 52x/530 when it cannot reach the origin itself.
    pub fn from_cloudflare_status(status: u16) -> Option<FailureKind> {
        Some(match status {
            521 => FailureKind::Refused,
            522 | 524 => FailureKind::Timeout,
            523 | 530 => FailureKind::Dns,
            525 | 526 => FailureKind::Tls,
            520 | 527 => FailureKind::Other,
            _ => return None,
        })
    }
}

/// The outcome of one request to the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginOutcome<'a> {
    /// Response headers arrived.
    Response {
        status: u16,
        content_type: Option<&'a str>,
        /// The origin's own `Retry-After`, verbatim.
        retry_after: Option<&'a str>,
    },
    /// No usable response.
    Failure(FailureKind),
}

/// Who is responsible for the answer a visitor sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The origin answered with an error status.
    Origin,
    /// The origin could not be reached in time, or at all.
    Network,
    /// The edge itself chose to answer: maintenance, load shedding, or an internal error.
    Edge,
    /// The client itself: its request did not arrive in time.
    Client,
}

/// Why a page is shown: the cause and its source. Whether the edge may try the origin again is
/// [`crate::retry::should_retry`]'s to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub cause: Cause,
    pub source: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum Cause {
    /// The origin's own 5xx.
    OriginStatus(u16),
    Failure(FailureKind),
    Maintenance,
    /// The origin is failing and the breaker keeps traffic off it for a cool-down.
    Shed,
    /// The worker itself failed; the static fallback page is shown.
    Internal,
}

impl Cause {
    /// A short label for logs: `status_503`, `timeout`, `maintenance`.
    pub fn label(self) -> String {
        match self {
            Cause::OriginStatus(s) => format!("status_{s}"),
            Cause::Failure(kind) => kind.as_str().to_owned(),
            Cause::Maintenance => "maintenance".to_owned(),
            Cause::Shed => "shed".to_owned(),
            Cause::Internal => "internal".to_owned(),
        }
    }
}

/// Whether a content type is JSON (`application/json`, `application/problem+json`, `…+json`).
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let Some((ty, sub)) = essence.split_once('/') else { return false };
    ty.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json") || sub.to_ascii_lowercase().ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudflare_codes_map_to_failure_kinds() {
        assert_eq!(FailureKind::from_cloudflare_status(521), Some(FailureKind::Refused));
        assert_eq!(FailureKind::from_cloudflare_status(522), Some(FailureKind::Timeout));
        assert_eq!(FailureKind::from_cloudflare_status(524), Some(FailureKind::Timeout));
        assert_eq!(FailureKind::from_cloudflare_status(526), Some(FailureKind::Tls));
        assert_eq!(FailureKind::from_cloudflare_status(530), Some(FailureKind::Dns));
        assert_eq!(FailureKind::from_cloudflare_status(502), None);
        assert_eq!(FailureKind::from_cloudflare_status(529), None);
    }

    #[test]
    fn runtime_messages_are_classified() {
        // The words workerd uses locally (seen in the e2e suite), and the wider runtime's.
        for (message, kind) in [
            ("Error: Network connection lost.", FailureKind::Reset),
            ("TypeError: fetch failed: connect ECONNREFUSED 127.0.0.1:9", FailureKind::Refused),
            ("Error: internal error", FailureKind::Other),
            ("Error: DNS lookup failed", FailureKind::Dns),
            ("Error: TLS peer's certificate is not trusted", FailureKind::Tls),
            ("Error: The operation timed out", FailureKind::Timeout),
            ("Error: socket closed by peer", FailureKind::Reset),
        ] {
            assert_eq!(FailureKind::from_runtime_message(message), kind, "{message}");
        }
    }

    #[test]
    fn statuses_are_honest() {
        assert_eq!(FailureKind::Timeout.status(), 504);
        assert_eq!((FailureKind::SlowUpload.status(), FailureKind::SlowUpload.source()), (408, Source::Client));
        assert!(!FailureKind::SlowUpload.is_retryable(), "a body is never sent twice");
        for kind in [FailureKind::Refused, FailureKind::Dns, FailureKind::Reset, FailureKind::Tls, FailureKind::Other] {
            assert_eq!(kind.status(), 502, "{kind:?}");
        }
    }

    #[test]
    fn json_detection() {
        assert!(is_json("application/json"));
        assert!(is_json("application/problem+json; charset=utf-8"));
        assert!(is_json("Application/JSON"));
        assert!(is_json("application/vnd.api+json"));
        assert!(!is_json("text/html"));
        assert!(!is_json("application/jsonp"));
        assert!(!is_json("json"));
    }
}

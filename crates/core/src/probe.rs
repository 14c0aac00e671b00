//! The live probe's path, shared by the Lambda@Edge function that answers it and by
//! `edgepages verify --live`, which requests it on the real distribution to see what a viewer
//! gets when the function answers with a given status: its answer, a custom error response that
//! replaced it, or CloudFront's own error.
//!
//! A probe is `GET /.well-known/edgepages/probe/<status>/<nonce>`. It is built to tell nothing and
//! to be worth nothing to anyone else:
//! - the status is one of the five 5xx CloudFront can put a custom error response on, and the
//!   answer is the page the site shows anyone for that status; nothing of the request is shown
//!   (no path, no nonce, no request ID);
//! - the nonce makes each probe its own cache key, so CloudFront's error caching (which keeps a
//!   5xx whatever its `Cache-Control`) keeps each answer under a key no viewer asks for;
//! - anything else under the prefix (another status, a short or odd nonce, another method, a
//!   trailing part) is no probe, and the origin's answer goes through as for any path.

/// Where probes live ([RFC 8615](https://www.rfc-editor.org/rfc/rfc8615) well-known space).
pub const PREFIX: &str = "/.well-known/edgepages/probe/";

/// The `x-edgepages` value on a probe's answer: what tells `verify` that the function's own
/// answer reached it, since no static page carries the header.
pub const MARK: &str = "probe";

/// The statuses a probe may ask for: the 5xx CloudFront allows custom error responses for
/// ("Generate custom error responses", CloudFront Developer Guide).
pub const STATUSES: [u16; 5] = [500, 501, 502, 503, 504];

/// A nonce is 16 to 64 characters of the URL-safe base64 alphabet.
const NONCE_LEN: std::ops::RangeInclusive<usize> = 16..=64;

/// The probe path for `status` and `nonce` (which [`parse`] accepts only if it is well formed).
pub fn path(status: u16, nonce: &str) -> String {
    format!("{PREFIX}{status}/{nonce}")
}

/// The status a request asks for, if it is a probe: `GET` or `HEAD` of exactly
/// `PREFIX<status>/<nonce>` with a status in [`STATUSES`] and a well-formed nonce.
pub fn parse(method: &str, uri: &str) -> Option<u16> {
    if method != "GET" && method != "HEAD" {
        return None;
    }
    let (status, nonce) = uri.strip_prefix(PREFIX)?.split_once('/')?;
    let nonce_ok =
        NONCE_LEN.contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if status.len() != 3 || !status.bytes().all(|b| b.is_ascii_digit()) || !nonce_ok {
        return None;
    }
    let status: u16 = status.parse().ok()?;
    STATUSES.contains(&status).then_some(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "Zr4v9Qp2-_xYk7Lm";

    #[test]
    fn a_probe_names_one_of_the_five_statuses_and_a_nonce() {
        for status in STATUSES {
            assert_eq!(parse("GET", &path(status, NONCE)), Some(status));
        }
        assert_eq!(parse("HEAD", &path(503, NONCE)), Some(503));
        assert_eq!(parse("GET", &path(502, &"a".repeat(64))), Some(502));
    }

    #[test]
    fn anything_else_under_the_prefix_is_no_probe() {
        let cases = [
            path(404, NONCE),
            path(505, NONCE),
            path(200, NONCE),
            format!("{PREFIX}0502/{NONCE}"),
            format!("{PREFIX}+502/{NONCE}"),
            format!("{PREFIX}502"),
            format!("{PREFIX}502/"),
            path(502, "short"),
            path(502, &"a".repeat(65)),
            path(502, "with space in it ok"),
            path(502, "%3Cscript%3Ealert"),
            format!("{}/more", path(502, NONCE)),
            format!("/x{}", path(502, NONCE)),
            path(502, "Zr4v9Qp2.xYk7Lm0"),
        ];
        for uri in &cases {
            assert_eq!(parse("GET", uri), None, "{uri}");
        }
        for method in ["POST", "PUT", "OPTIONS", "get"] {
            assert_eq!(parse(method, &path(502, NONCE)), None, "{method}");
        }
    }
}

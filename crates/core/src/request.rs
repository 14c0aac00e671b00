//! What core needs to know about a request, gathered by the caller from whatever HTTP types it has.

/// Headers that may carry a request ID, in the order they are trusted.
pub const REQUEST_ID_HEADERS: [&str; 4] = ["cf-ray", "x-amz-cf-id", "x-request-id", "traceparent"];

/// The longest request ID shown; longer values are ignored rather than cut, as a cut ID is useless.
const MAX_REQUEST_ID_LEN: usize = 128;
/// The longest path shown on a page; longer ones are cut with an ellipsis.
const MAX_SHOWN_PATH_CHARS: usize = 160;

/// Request facts, borrowed from the caller's request.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts<'a> {
    /// Upper-case method, for example `GET`.
    pub method: &'a str,
    /// Path and query, for example `/cart?step=2`.
    pub path: &'a str,
    pub accept: Option<&'a str>,
    pub accept_language: Option<&'a str>,
    /// From [`request_id`].
    pub request_id: Option<&'a str>,
    /// The caller checked the maintenance bypass secret and it matched.
    pub maintenance_bypass: bool,
}

/// Safe methods (RFC 9110 §9.2.1): the only ones edgepages may send twice. POST, PUT, PATCH and
/// DELETE never are.
pub fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

impl RequestFacts<'_> {
    /// The path and query as shown on a page, cut to a readable length.
    pub fn shown_path(&self) -> String {
        let mut chars = self.path.chars();
        let head: String = chars.by_ref().take(MAX_SHOWN_PATH_CHARS).collect();
        if chars.next().is_some() { format!("{head}…") } else { head }
    }
}

/// Picks the request ID from the first of [`REQUEST_ID_HEADERS`] that holds a usable one.
///
/// `header` looks a header up by its lower-case name. A value must be 1–128 visible ASCII
/// characters; for `traceparent`, the 32-hex-digit trace ID is taken. Values are still escaped
/// wherever they are shown: this check keeps pages readable, not safe.
pub fn request_id<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Option<&'a str> {
    REQUEST_ID_HEADERS.iter().find_map(|name| {
        // HTTP's optional whitespace is space and tab only (RFC 9110 §5.6.3).
        let value = header(name)?.trim_matches([' ', '\t']);
        if *name == "traceparent" { trace_id(value) } else { is_usable_id(value).then_some(value) }
    })
}

fn is_usable_id(value: &str) -> bool {
    !value.is_empty() && value.len() <= MAX_REQUEST_ID_LEN && value.bytes().all(|b| b.is_ascii_graphic())
}

/// `version-traceid-parentid-flags` (W3C Trace Context); the all-zero trace ID is invalid.
fn trace_id(traceparent: &str) -> Option<&str> {
    let mut fields = traceparent.split('-');
    let version = fields.next()?;
    let trace = fields.next()?;
    let parent = fields.next()?;
    let flags = fields.next()?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && trace.bytes().any(|b| b != b'0')
        && hex(parent, 16)
        && hex(flags, 2);
    valid.then_some(trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(headers: &[(&'static str, &'static str)]) -> Option<&'static str> {
        request_id(|name| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v))
    }

    #[test]
    fn takes_headers_in_trust_order() {
        assert_eq!(id(&[("x-request-id", "abc"), ("cf-ray", "8f1a2b3c4d5e6f70-LHR")]), Some("8f1a2b3c4d5e6f70-LHR"));
        assert_eq!(id(&[("x-request-id", "abc"), ("x-amz-cf-id", "Ab_12==")]), Some("Ab_12=="));
        assert_eq!(id(&[("x-request-id", " abc ")]), Some("abc"));
        assert_eq!(id(&[]), None);
    }

    #[test]
    fn traceparent_yields_its_trace_id() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(id(&[("traceparent", tp)]), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        assert_eq!(id(&[("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")]), None);
        assert_eq!(id(&[("traceparent", "00-xyz-00f067aa0ba902b7-01")]), None);
        assert_eq!(id(&[("traceparent", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]), None);
    }

    #[test]
    fn unusable_values_fall_through_to_the_next_header() {
        let long: &'static str = Box::leak("a".repeat(129).into_boxed_str());
        assert_eq!(id(&[("cf-ray", long), ("x-request-id", "ok")]), Some("ok"));
        assert_eq!(id(&[("cf-ray", "has space"), ("x-request-id", "ok")]), Some("ok"));
        assert_eq!(id(&[("cf-ray", "é"), ("x-request-id", "")]), None);
    }

    #[test]
    fn shown_path_is_cut_on_a_char_boundary() {
        let path = format!("/{}", "ü".repeat(300));
        let facts = RequestFacts { path: &path, ..RequestFacts::default() };
        let shown = facts.shown_path();
        assert_eq!(shown.chars().count(), MAX_SHOWN_PATH_CHARS + 1);
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn only_safe_methods_may_be_replayed() {
        for (method, expected) in
            [("GET", true), ("HEAD", true), ("POST", false), ("PUT", false), ("PATCH", false), ("DELETE", false)]
        {
            assert_eq!(is_safe_method(method), expected, "{method}");
        }
    }
}

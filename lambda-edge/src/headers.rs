//! The response headers CloudFront rules on, in an origin-response function's result ("Restrictions
//! on all edge functions", CloudFront Developer Guide, section "HTTP headers"): the disallowed ones
//! a function can never add, and the read-only ones it must return exactly as the origin sent
//! them. A result breaking either rule fails CloudFront's validation, and the viewer gets
//! CloudFront's own 502.

/// "Disallowed headers": "not exposed to edge functions, and functions can't add them. If your
/// function adds one of these headers, it fails CloudFront validation and CloudFront returns HTTP
/// status code 502 (Bad Gateway) to the viewer." Also the families in [`DISALLOWED_PREFIXES`].
const DISALLOWED: [&str; 25] = [
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "trailer",
    "upgrade",
    "x-accel-buffering",
    "x-accel-charset",
    "x-accel-limit-rate",
    "x-accel-redirect",
    "x-amzn-auth",
    "x-amzn-cf-billing",
    "x-amzn-cf-id",
    "x-amzn-cf-xff",
    "x-amzn-errortype",
    "x-amzn-fle-profile",
    "x-amzn-header-count",
    "x-amzn-header-order",
    "x-amzn-lambda-integration-tag",
    "x-amzn-requestid",
    "x-cache",
    "x-forwarded-proto",
    "x-real-ip",
];

/// The disallowed families: `X-Amz-Cf-*` and `X-Edge-*`.
const DISALLOWED_PREFIXES: [&str; 2] = ["x-amz-cf-", "x-edge-"];

/// "Read-only headers in origin response events (Lambda@Edge only)": Transfer-Encoding and Via.
/// A function "can read them ... but it can't change the values"; it "can't add, modify, or
/// delete them". CloudFront refuses a result that dropped one: "the function tried to delete
/// read-only header, headerName : Transfer-Encoding" (CodeGenieApp/serverless-express #369).
pub const READ_ONLY_IN_ORIGIN_RESPONSE: [&str; 2] = ["transfer-encoding", "via"];

/// Whether response header `name` (any case) is disallowed.
pub fn disallowed(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    DISALLOWED.contains(&name.as_str()) || DISALLOWED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Whether `name` (any case) is read-only in an origin-response event: copied from the origin's
/// response into every answer, never set from anywhere else.
pub fn read_only(name: &str) -> bool {
    READ_ONLY_IN_ORIGIN_RESPONSE.contains(&name.to_ascii_lowercase().as_str())
}

/// Whether a function may set response header `name` (any case) from a page of its own.
pub fn allowed(name: &str) -> bool {
    !disallowed(name) && !read_only(name)
}

/// `content-security-policy` → `Content-Security-Policy`, the form CloudFront itself would add.
pub fn canonical(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map_or_else(String::new, |c| c.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase())
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_families_and_names_are_disallowed_in_any_case() {
        for name in ["X-Amz-Cf-Pop", "x-edge-location", "Connection", "X-Cache", "Keep-Alive", "X-Amzn-RequestId"] {
            assert!(disallowed(name) && !allowed(name), "{name}");
        }
        for name in ["retry-after", "content-security-policy", "x-edgepages", "cache-control", "vary", "via"] {
            assert!(!disallowed(name), "{name}");
        }
    }

    #[test]
    fn via_and_transfer_encoding_are_read_only_and_never_set_from_a_page() {
        for name in ["Via", "transfer-encoding", "TRANSFER-ENCODING"] {
            assert!(read_only(name) && !allowed(name), "{name}");
        }
        assert!(!read_only("content-length"), "Content-Length is read-only only in request events");
    }

    #[test]
    fn names_are_capitalised_per_part() {
        assert_eq!(canonical("content-security-policy"), "Content-Security-Policy");
        assert_eq!(canonical("x-robots-tag"), "X-Robots-Tag");
        assert_eq!(canonical("ETAG"), "Etag");
    }
}

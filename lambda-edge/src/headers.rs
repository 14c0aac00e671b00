//! The response headers an origin-response function may not add or change. CloudFront answers a
//! response that breaks this rule with its own 502 ("Restrictions on edge functions", CloudFront
//! Developer Guide: the disallowed headers, and those read-only in origin-response events).

/// Disallowed in every event, and read-only in origin-response events (`transfer-encoding`, `via`).
const FORBIDDEN: [&str; 27] = [
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
    "transfer-encoding",
    "via",
];

/// Disallowed name families: `X-Amz-Cf-*` and `X-Edge-*`.
const FORBIDDEN_PREFIXES: [&str; 2] = ["x-amz-cf-", "x-edge-"];

/// Whether a function may set response header `name` (any case).
pub fn allowed(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !FORBIDDEN.contains(&name.as_str()) && !FORBIDDEN_PREFIXES.iter().any(|p| name.starts_with(p))
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
    fn the_documented_families_and_names_are_refused_in_any_case() {
        for name in ["Via", "Transfer-Encoding", "X-Amz-Cf-Pop", "x-edge-location", "Connection", "X-Cache"] {
            assert!(!allowed(name), "{name}");
        }
        for name in ["retry-after", "content-security-policy", "x-edgepages", "cache-control", "vary"] {
            assert!(allowed(name), "{name}");
        }
    }

    #[test]
    fn names_are_capitalised_per_part() {
        assert_eq!(canonical("content-security-policy"), "Content-Security-Policy");
        assert_eq!(canonical("x-robots-tag"), "X-Robots-Tag");
        assert_eq!(canonical("ETAG"), "Etag");
    }
}

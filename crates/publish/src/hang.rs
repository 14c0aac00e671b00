//! How long a hung origin can hold a viewer behind CloudFront, from its origin settings and
//! CloudFront's documented rules (cited in the guide, docs/src/outages.md):
//! - each connection attempt waits up to the connection timeout (1–10 s, default 10) to connect,
//!   and there are up to `ConnectionAttempts` attempts (1–3, default 3);
//! - once connected, CloudFront waits up to the response timeout (`OriginReadTimeout`, default
//!   30 s) for the response; if it times out, CloudFront tries again as many times as the
//!   connection attempts allow (for GET and HEAD requests).
//!
//! So a viewer's GET waits at most attempts × (connection timeout + response timeout) before
//! CloudFront gives up and answers 504: 3 × (10 + 30) = 120 s with the defaults.

use aws_sdk_cloudfront::types::Origin;

/// CloudFront's defaults when a setting is absent.
pub const DEFAULT_CONNECTION_ATTEMPTS: u64 = 3;
pub const DEFAULT_CONNECTION_TIMEOUT_S: u64 = 10;
pub const DEFAULT_RESPONSE_TIMEOUT_S: u64 = 30;

/// The longest, in seconds, a GET to a hung `origin` can wait before CloudFront answers 504.
pub fn worst_case_hang_s(origin: &Origin) -> u64 {
    let positive =
        |v: Option<i32>, default: u64| v.and_then(|v| u64::try_from(v).ok()).filter(|v| *v > 0).unwrap_or(default);
    let attempts = positive(origin.connection_attempts, DEFAULT_CONNECTION_ATTEMPTS);
    let connect = positive(origin.connection_timeout, DEFAULT_CONNECTION_TIMEOUT_S);
    let response =
        positive(origin.custom_origin_config.as_ref().and_then(|c| c.origin_read_timeout), DEFAULT_RESPONSE_TIMEOUT_S);
    attempts * (connect + response)
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudfront::types::{CustomOriginConfig, OriginProtocolPolicy};

    use super::*;

    fn origin(attempts: Option<i32>, connect: Option<i32>, read: Option<i32>) -> Origin {
        let custom = CustomOriginConfig::builder()
            .http_port(80)
            .https_port(443)
            .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
            .set_origin_read_timeout(read)
            .build()
            .unwrap();
        Origin::builder()
            .id("alb")
            .domain_name("alb.example")
            .set_connection_attempts(attempts)
            .set_connection_timeout(connect)
            .custom_origin_config(custom)
            .build()
            .unwrap()
    }

    #[test]
    fn the_bound_follows_cloudfronts_documented_rules() {
        assert_eq!(worst_case_hang_s(&origin(None, None, None)), 120, "the defaults: 3 × (10 + 30)");
        assert_eq!(worst_case_hang_s(&origin(Some(1), Some(3), Some(10))), 13);
        assert_eq!(worst_case_hang_s(&origin(Some(2), None, Some(5))), 30);
        assert_eq!(worst_case_hang_s(&origin(Some(0), Some(-1), None)), 120, "nonsense reads as the default");
    }
}

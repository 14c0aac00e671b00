//! Custom error responses around the Lambda@Edge function: for each error code, whether its
//! custom error response carries the static page or only the error caching TTL, so that viewers
//! get the function's answers whichever way CloudFront orders the two, and the static pages still
//! brand what CloudFront answers itself where the function does not run.
//!
//! What AWS documents, and what is inferred:
//! - the origin-response function "executes after CloudFront receives a response from the origin
//!   ... even if an error is returned from the origin" (CloudFront Developer Guide, "CloudFront
//!   events that can trigger a Lambda@Edge function"). That it does not run when no response
//!   came (CloudFront could not connect, or its origin response timeout ran out) is inferred;
//! - whether a custom error response for a status replaces the function's answer with that status
//!   is not documented. `custom_error_order` says which this distribution does, and
//!   `edgepages verify --live` finds out;
//! - "If the CloudFront error code is Capacity Exceeded or Limit Exceeded, CloudFront returns a 503
//!   status code to the viewer without using your custom error page" ("Generate custom error
//!   responses");
//! - a custom error response may set only `ErrorCachingMinTTL`, with no page: CloudFront then
//!   keeps the error for that long and returns it as it was (the `CustomErrorResponse` API
//!   reference: `ResponsePagePath` and `ResponseCode` are optional, each requiring the other).

use edgepages_core::Config;
use edgepages_core::config::CustomErrorOrder;
use serde::Serialize;

/// Why a code keeps its page, or keeps only its TTL, under the configured order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// No function runs (no `[cloudfront.lambda_edge]`, or it is disabled).
    NoFunction,
    /// The custom error responses come before the function: a page never hides its answer.
    BeforeFunction,
    /// The function does not answer this code (`[edge] intercept`), so only the page can.
    NotAnswered,
    /// Its usual source is CloudFront's own error, where the function does not run: 504, the
    /// origin response timeout, which runs out before an ALB's idle timeout (60 s by default)
    /// whenever it is shorter (CloudFront's default is 30 s).
    CloudFrontsOwn,
    /// The function's answer wins it: 500 (CloudFront's own 500 was, in docs before 2024, a
    /// function that threw; now that is a 503, http-503-service-unavailable.html; this function
    /// never throws), 502 (an ALB's own 502 is the outage; CloudFront's own, an origin it
    /// cannot reach at all, is rarer), 503 (a custom page is skipped only for CloudFront's
    /// "Capacity Exceeded or Limit Exceeded" 503s, custom-error-pages.html, a throttled or
    /// timed-out function among them; a thrown function's 503 would get one, inferred from that
    /// narrow wording, but this function never throws).
    FunctionAnswers,
}

/// The custom error response publish sets for `code`: with its page, or with only its TTL.
pub fn serves_page(config: &Config, code: u16) -> (bool, Why) {
    let Some(function) = config.cloudfront.as_ref().and_then(|cf| cf.lambda_edge.as_ref()).filter(|f| f.enabled) else {
        return (true, Why::NoFunction);
    };
    match function.custom_error_order {
        CustomErrorOrder::BeforeFunction => (true, Why::BeforeFunction),
        CustomErrorOrder::AfterFunction if !config.edge.intercept.contains(&code) => (true, Why::NotAnswered),
        CustomErrorOrder::AfterFunction if code == 504 => (true, Why::CloudFrontsOwn),
        CustomErrorOrder::AfterFunction => (false, Why::FunctionAnswers),
    }
}

/// The order `config` assumes: the default when it says nothing.
pub fn assumed(config: &Config) -> CustomErrorOrder {
    config.cloudfront.as_ref().and_then(|cf| cf.lambda_edge.as_ref()).map(|f| f.custom_error_order).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use edgepages_core::config::load::parse;

    use super::*;

    fn config(function: &str) -> Config {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../edgepages.toml")).unwrap();
        parse(&format!("{text}\n{function}"), "edgepages.toml").unwrap()
    }

    #[test]
    fn every_code_keeps_its_page_without_the_function_or_before_it() {
        for function in ["", "[cloudfront.lambda_edge]\nenabled = false\ncustom_error_order = \"after-function\"\n"] {
            assert_eq!(serves_page(&config(function), 502), (true, Why::NoFunction));
        }
        let before = config("[cloudfront.lambda_edge]\nenabled = true\n");
        for code in [500, 501, 502, 503, 504] {
            assert_eq!(serves_page(&before, code), (true, Why::BeforeFunction), "{code}");
        }
        assert_eq!(assumed(&before), CustomErrorOrder::BeforeFunction);
    }

    #[test]
    fn after_the_function_only_its_answers_lose_their_page_and_504_keeps_it() {
        let after = config("[cloudfront.lambda_edge]\nenabled = true\ncustom_error_order = \"after-function\"\n");
        assert_eq!(assumed(&after), CustomErrorOrder::AfterFunction);
        let pages: Vec<(u16, bool)> = [500, 501, 502, 503, 504].map(|c| (c, serves_page(&after, c).0)).to_vec();
        assert_eq!(pages, [(500, false), (501, true), (502, false), (503, false), (504, true)]);
        assert_eq!(serves_page(&after, 501).1, Why::NotAnswered);
        assert_eq!(serves_page(&after, 504).1, Why::CloudFrontsOwn);
    }

    #[test]
    fn an_unknown_order_is_refused_by_name() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../edgepages.toml")).unwrap();
        let err = parse(
            &format!("{text}\n[cloudfront.lambda_edge]\nenabled = true\ncustom_error_order = \"first\"\n"),
            "edgepages.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("custom_error_order") && err.contains("before-function"), "{err}");
    }
}

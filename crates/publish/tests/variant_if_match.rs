//! The variant's writes are conditional: each update and publish sends the ETag it was planned
//! from (or the one the write before it returned), and a refusal is said as a change made by
//! someone else, not overwritten. Nor are they held to the defaults of quotas an account can
//! raise: the write is made and AWS's own refusal named, as the quota it is. CreateCachePolicy
//! and UpdateCachePolicy refuse a key over "Headers per cache policy" with
//! TooManyHeadersInCachePolicy, and CreateCachePolicy one past "Cache policies per AWS account"
//! with TooManyCachePolicies (API_CreateCachePolicy.html, API_UpdateCachePolicy.html; the quotas
//! in cloudfront-limits.html). moto enforces neither If-Match on these nor the quotas, so the real
//! SDK is held to AWS's answers here (aws-smithy-mocks).

#![allow(clippy::unwrap_used)]

use aws_sdk_cloudfront::types::CachePolicyConfig;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::{Response as HttpResponse, StatusCode};
use aws_smithy_types::body::SdkBody;
use edgepages_publish::aws::{Aws, AwsError, Quota};
use edgepages_publish::progress::Quiet;
use edgepages_publish::session::apply::Context;
use edgepages_publish::session::{Clients, Part, Step};
use edgepages_publish::variant::aws::VariantWritten;
use edgepages_publish::variant::plan::VariantStep;

fn precondition_failed() -> HttpResponse {
    let body = "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">\
                <Error><Type>Sender</Type><Code>PreconditionFailed</Code><Message>The precondition given in one or \
                more of the request-header fields evaluated to false.</Message></Error></ErrorResponse>";
    HttpResponse::new(StatusCode::try_from(412).unwrap(), SdkBody::from(body))
}

/// Makes the variant's `steps` through the apply loop with `aws`: the error it stopped at, and
/// what it wrote of the variant before.
async fn apply(aws: Aws, steps: Vec<VariantStep>) -> (AwsError, VariantWritten) {
    let clients = Clients { aws: Some(aws), function: None, alb: None };
    let steps: Vec<Step> = steps.into_iter().map(|step| Step::Variant(Box::new(step))).collect();
    let stopped = edgepages_publish::session::apply::apply(&steps, &Context::new(&clients), &Quiet).await.unwrap_err();
    assert_eq!(stopped.part, Part::Variant);
    (stopped.source, stopped.written.variant)
}

#[tokio::test]
async fn publish_sends_the_etag_its_update_returned_and_a_stale_one_is_refused_not_overwritten() {
    let update = mock!(aws_sdk_cloudfront::Client::update_function)
        .match_requests(|r| r.if_match() == Some("E-read"))
        .then_output(|| {
            aws_sdk_cloudfront::operation::update_function::UpdateFunctionOutput::builder().e_tag("E-updated").build()
        });
    let publish = mock!(aws_sdk_cloudfront::Client::publish_function)
        .match_requests(|r| r.if_match() == Some("E-updated"))
        .then_http_response(precondition_failed);
    let cloudfront = mock_client!(aws_sdk_cloudfront, RuleMode::MatchAny, [&update, &publish], |c| c
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled()));
    let aws = Aws::new(mock_client!(aws_sdk_s3, RuleMode::MatchAny, []), cloudfront);
    let steps = vec![
        VariantStep::UpdateFunction { name: "edgepages-variant-E1".into(), etag: "E-read".into(), code: "//".into() },
        VariantStep::PublishFunction { name: "edgepages-variant-E1".into(), etag: None },
    ];
    let (err, done) = apply(aws, steps).await;
    assert_eq!(
        err.to_string(),
        "publish CloudFront Function edgepages-variant-E1 to live: it was changed by someone else after it was read \
         (If-Match failed); nothing of theirs was overwritten"
    );
    assert_eq!(done.done, ["update CloudFront Function edgepages-variant-E1's code"]);
    assert_eq!((update.num_calls(), publish.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_copy_changed_since_it_was_read_is_refused() {
    let stale = mock!(aws_sdk_cloudfront::Client::update_cache_policy)
        .match_requests(|r| r.if_match() == Some("E-copy") && r.id() == Some("copy-1"))
        .then_http_response(precondition_failed);
    let cloudfront = mock_client!(aws_sdk_cloudfront, RuleMode::MatchAny, [&stale], |c| c
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled()));
    let aws = Aws::new(mock_client!(aws_sdk_s3, RuleMode::MatchAny, []), cloudfront);
    let config = CachePolicyConfig::builder().name("edgepages-variant-own").min_ttl(0).build().unwrap();
    let steps = vec![VariantStep::UpdatePolicy { id: "copy-1".into(), etag: "E-copy".into(), config }];
    let (err, done) = apply(aws, steps).await;
    assert!(
        err.to_string().ends_with(
            "it was changed by someone else after it was read (If-Match failed); nothing of theirs was overwritten"
        ),
        "{err}"
    );
    assert!(done.done.is_empty());
    assert_eq!(stale.num_calls(), 1);
}

/// CloudFront's error answer with `code` (HTTP 400).
fn refused(code: &'static str) -> impl Fn() -> HttpResponse {
    move || {
        let body = format!(
            "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">\
             <Error><Type>Sender</Type><Code>{code}</Code><Message>The number of headers in the cache policy exceeds \
             the maximum.</Message></Error></ErrorResponse>"
        );
        HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body))
    }
}

fn a_copy() -> CachePolicyConfig {
    CachePolicyConfig::builder().name("edgepages-variant-busy").min_ttl(0).build().unwrap()
}

async fn apply_one(step: VariantStep, rule: &aws_smithy_mocks::Rule) -> (AwsError, VariantWritten) {
    let cloudfront = mock_client!(aws_sdk_cloudfront, RuleMode::MatchAny, [rule], |c| c
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled()));
    apply(Aws::new(mock_client!(aws_sdk_s3, RuleMode::MatchAny, []), cloudfront), vec![step]).await
}

#[tokio::test]
async fn a_cache_key_over_the_accounts_header_quota_is_refused_by_cloudfront_and_named_as_that_quota() {
    let create = mock!(aws_sdk_cloudfront::Client::create_cache_policy)
        .then_http_response(refused("TooManyHeadersInCachePolicy"));
    let (err, done) = apply_one(VariantStep::CreatePolicy { config: a_copy() }, &create).await;
    assert!(matches!(err, AwsError::OverQuota { quota: Quota::HeadersPerCachePolicy, .. }), "{err:?}");
    assert!(
        err.to_string().ends_with(
            "AWS refused it with TooManyHeadersInCachePolicy: the account's quota of headers per cache policy (10 \
             unless raised) is reached"
        ),
        "{err}"
    );
    assert!(done.done.is_empty());

    let update = mock!(aws_sdk_cloudfront::Client::update_cache_policy)
        .then_http_response(refused("TooManyHeadersInCachePolicy"));
    let step = VariantStep::UpdatePolicy { id: "copy-1".into(), etag: "E-copy".into(), config: a_copy() };
    let (err, _) = apply_one(step, &update).await;
    assert!(matches!(err, AwsError::OverQuota { quota: Quota::HeadersPerCachePolicy, .. }), "{err:?}");
}

#[tokio::test]
async fn an_account_out_of_cache_policies_is_named_as_that_quota() {
    let create =
        mock!(aws_sdk_cloudfront::Client::create_cache_policy).then_http_response(refused("TooManyCachePolicies"));
    let (err, _) = apply_one(VariantStep::CreatePolicy { config: a_copy() }, &create).await;
    assert!(matches!(err, AwsError::OverQuota { quota: Quota::CachePolicies, .. }), "{err:?}");
    assert!(err.to_string().contains("the account's quota of cache policies (20 unless raised)"), "{err}");
}

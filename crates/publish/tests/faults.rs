//! Credentials, permission, throttling and region faults as the real SDK reports them, from the
//! answers AWS gives (aws-smithy-mocks): moto can refuse, throttle or expire nothing.

#![allow(clippy::unwrap_used)]

use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::{Response as HttpResponse, StatusCode};
use aws_smithy_types::body::SdkBody;
use edgepages_publish::aws::{Aws, AwsError};
use edgepages_publish::fault::Fault;

fn answer(status: u16, body: &str, headers: &[(&'static str, &'static str)]) -> HttpResponse {
    let mut response = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body.to_owned()));
    for (name, value) in headers {
        response.headers_mut().insert(*name, *value);
    }
    response
}

/// CloudFront's error document.
fn cloudfront_error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">\
         <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>b8d9b8c1-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )
}

/// S3's error document.
fn s3_error(code: &str, message: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>")
}

fn aws_answering_cloudfront(status: u16, body: String) -> Aws {
    let rule =
        mock!(aws_sdk_cloudfront::Client::get_distribution).then_http_response(move || answer(status, &body, &[]));
    let cloudfront = mock_client!(aws_sdk_cloudfront, RuleMode::MatchAny, [&rule], |c| c
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled()));
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, []);
    Aws::new(s3, cloudfront)
}

fn aws_answering_s3(status: u16, body: String, headers: &'static [(&'static str, &'static str)]) -> Aws {
    let rule = mock!(aws_sdk_s3::Client::list_objects_v2).then_http_response(move || answer(status, &body, headers));
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&rule], |c| c
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled()));
    let cloudfront = mock_client!(aws_sdk_cloudfront, RuleMode::MatchAny, []);
    Aws::new(s3, cloudfront)
}

fn fault_of(err: &AwsError) -> Fault {
    err.fault().unwrap_or_else(|| panic!("not a fault: {err}")).clone()
}

#[tokio::test]
async fn access_denied_names_the_permission_aws_named() {
    let words = "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudfront:GetDistribution \
                 on resource: arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE123";
    let aws = aws_answering_cloudfront(403, cloudfront_error("AccessDenied", words));
    let err = aws.read_distribution("E2EXAMPLE123").await.unwrap_err();
    assert_eq!(fault_of(&err), Fault::AccessDenied(words.to_owned()));
    assert_eq!(err.to_string(), format!("reading distribution E2EXAMPLE123: access denied: {words}"));
}

#[tokio::test]
async fn throttling_is_said_as_such() {
    let aws = aws_answering_cloudfront(400, cloudfront_error("Throttling", "Rate exceeded"));
    let err = aws.read_distribution("E2EXAMPLE123").await.unwrap_err();
    assert_eq!(fault_of(&err), Fault::Throttled);
}

#[tokio::test]
async fn unknown_and_expired_keys_are_told_apart() {
    let aws = aws_answering_cloudfront(
        403,
        cloudfront_error("InvalidClientTokenId", "The security token included in the request is invalid."),
    );
    assert_eq!(fault_of(&aws.read_distribution("E2EXAMPLE123").await.unwrap_err()), Fault::BadCredentials);

    let aws = aws_answering_s3(400, s3_error("ExpiredToken", "The provided token has expired."), &[]);
    let err = aws.list_keys("pages-bucket", "edgepages/").await.unwrap_err();
    assert_eq!(fault_of(&err), Fault::ExpiredCredentials);
}

#[tokio::test]
async fn a_bucket_in_another_region_names_its_region() {
    let body = s3_error(
        "PermanentRedirect",
        "The bucket you are attempting to access must be addressed using the specified endpoint.",
    );
    let aws = aws_answering_s3(301, body, &[("x-amz-bucket-region", "eu-west-1")]);
    let err = aws.list_keys("pages-bucket", "edgepages/").await.unwrap_err();
    assert_eq!(fault_of(&err), Fault::WrongRegion(Some("eu-west-1".into())));
}

#[tokio::test]
async fn a_missing_distribution_keeps_its_own_words() {
    let aws = aws_answering_cloudfront(
        404,
        cloudfront_error("NoSuchDistribution", "The specified distribution does not exist."),
    );
    let err = aws.read_distribution("E2EXAMPLE123").await.unwrap_err();
    assert!(matches!(err, AwsError::NoSuchDistribution { .. }), "{err}");
    assert_eq!(err.fault(), None);
}

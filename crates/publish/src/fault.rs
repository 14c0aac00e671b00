//! What kind of trouble an AWS call met (credentials, permissions, throttling, the network, the
//! bucket's region), read from the SDK's error. This module states the fault; the binary says
//! what to do about it.

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Trouble a person fixes outside edgepages, in the credentials, the permissions or the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// No credentials were found anywhere the AWS config chain looks.
    NoCredentials,
    /// The credentials could not be loaded: the provider's own words (an SSO session that has
    /// expired, a role that cannot be assumed, a profile that is not valid).
    CredentialsNotLoaded(String),
    /// AWS did not accept the credentials: an unknown key, or a secret that does not match.
    BadCredentials,
    /// The credentials, or the session they came from, have expired.
    ExpiredCredentials,
    /// The credentials lack a permission. AWS's own words, which usually name it.
    AccessDenied(String),
    /// AWS kept throttling the calls, through the SDK's retries.
    Throttled,
    /// AWS could not be reached: why, in the connector's words.
    Unreachable(String),
    /// The bucket is in another region than the one the call was signed for; the bucket's
    /// region, when AWS said it.
    WrongRegion(Option<String>),
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::NoCredentials => write!(f, "no AWS credentials were found"),
            Fault::CredentialsNotLoaded(why) => write!(f, "the AWS credentials could not be loaded: {why}"),
            Fault::BadCredentials => write!(f, "AWS did not accept these credentials"),
            Fault::ExpiredCredentials => write!(f, "the AWS credentials have expired"),
            Fault::AccessDenied(said) => write!(f, "access denied: {said}"),
            Fault::Throttled => write!(f, "AWS is throttling these requests, and retrying did not get through"),
            Fault::Unreachable(why) => write!(f, "AWS could not be reached: {why}"),
            Fault::WrongRegion(Some(region)) => {
                write!(f, "the bucket is in region {region}, not the one [s3] region (or AWS_REGION) gives")
            }
            Fault::WrongRegion(None) => {
                write!(f, "the bucket is in another region than the one [s3] region (or AWS_REGION) gives")
            }
        }
    }
}

/// Codes AWS services answer for a key it does not know or a signature that does not match.
const BAD_CREDENTIALS: &[&str] = &[
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
    "AuthFailure",
];
const EXPIRED: &[&str] = &["ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired", "RequestExpired"];
const ACCESS_DENIED: &[&str] =
    &["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden"];
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequests",
];
/// S3's codes for a request signed for, or sent to, a region the bucket is not in.
const WRONG_REGION: &[&str] =
    &["PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"];

/// The fault behind `error`, or `None` when it is something else (a missing bucket, a conflict,
/// a bad request), whose own code and message say enough.
pub fn classify<E>(error: &SdkError<E, HttpResponse>) -> Option<Fault>
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    if let Some(credentials) = find_in_chain::<CredentialsError>(error) {
        return Some(match credentials {
            CredentialsError::CredentialsNotLoaded(_) => Fault::NoCredentials,
            other => Fault::CredentialsNotLoaded(innermost(other)),
        });
    }
    match error {
        SdkError::TimeoutError(_) => return Some(Fault::Unreachable("the request timed out".into())),
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            return Some(Fault::Unreachable(innermost(error)));
        }
        _ => {}
    }
    let raw = error.raw_response()?;
    let status = raw.status().as_u16();
    let header = |name: &str| raw.headers().get(name).map(str::to_owned);
    let code = error.code().unwrap_or_default();
    let said = || error.message().map_or_else(|| code.to_owned(), str::to_owned);
    if BAD_CREDENTIALS.contains(&code) {
        Some(Fault::BadCredentials)
    } else if EXPIRED.contains(&code) {
        Some(Fault::ExpiredCredentials)
    } else if THROTTLED.contains(&code) || status == 429 {
        Some(Fault::Throttled)
    } else if WRONG_REGION.contains(&code) || (status == 301 && code.is_empty()) {
        Some(Fault::WrongRegion(header("x-amz-bucket-region")))
    } else if ACCESS_DENIED.contains(&code) || (status == 403 && code.is_empty()) {
        // A HEAD request's 403 has no body, so no code and no message: say what it was.
        Some(Fault::AccessDenied(if code.is_empty() { "403 Forbidden".to_owned() } else { said() }))
    } else {
        None
    }
}

/// The first error of type `T` in `error`'s chain of sources, `error` included.
fn find_in_chain<'a, T: std::error::Error + 'static>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// The last cause in `error`'s chain: the one that says what actually happened.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(source) = last.source() {
        last = source;
    }
    last.to_string()
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    type Error = SdkError<ListObjectsV2Error, HttpResponse>;

    fn answered(status: u16, code: Option<&str>, message: Option<&str>, headers: &[(&str, &str)]) -> Error {
        let mut meta = ErrorMetadata::builder();
        if let Some(code) = code {
            meta = meta.code(code);
        }
        if let Some(message) = message {
            meta = meta.message(message);
        }
        let mut raw = Response::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        for (name, value) in headers {
            raw.headers_mut().insert(name.to_string(), value.to_string());
        }
        SdkError::service_error(ListObjectsV2Error::generic(meta.build()), raw)
    }

    fn dispatch(connector: ConnectorError) -> Error {
        SdkError::dispatch_failure(connector)
    }

    #[test]
    fn credentials_that_cannot_be_found_or_loaded_are_told_apart() {
        let none = CredentialsError::not_loaded("no providers in chain provided credentials");
        let got = classify(&dispatch(ConnectorError::other(none.into(), None)));
        assert_eq!(got, Some(Fault::NoCredentials));

        let sso = CredentialsError::provider_error("the SSO session has expired or is invalid");
        let got = classify(&dispatch(ConnectorError::other(sso.into(), None)));
        assert_eq!(got, Some(Fault::CredentialsNotLoaded("the SSO session has expired or is invalid".into())));
    }

    #[test]
    fn what_aws_answers_is_classified_by_its_code() {
        let cases = [
            (403, "InvalidAccessKeyId", Fault::BadCredentials),
            (403, "SignatureDoesNotMatch", Fault::BadCredentials),
            (403, "InvalidClientTokenId", Fault::BadCredentials),
            (400, "ExpiredToken", Fault::ExpiredCredentials),
            (403, "AccessDenied", Fault::AccessDenied("Access Denied".into())),
            (400, "Throttling", Fault::Throttled),
            (503, "SlowDown", Fault::Throttled),
            (400, "AuthorizationHeaderMalformed", Fault::WrongRegion(None)),
        ];
        for (status, code, fault) in cases {
            assert_eq!(classify(&answered(status, Some(code), Some("Access Denied"), &[])), Some(fault), "{code}");
        }
    }

    #[test]
    fn access_denied_keeps_awss_words_which_name_the_permission() {
        let words = "User: arn:aws:iam::111122223333:user/ci is not authorized to perform: \
                     cloudfront:GetDistribution on resource: arn:aws:cloudfront::111122223333:distribution/E1";
        let got = classify(&answered(403, Some("AccessDenied"), Some(words), &[]));
        assert_eq!(got, Some(Fault::AccessDenied(words.to_owned())));
        assert!(got.unwrap().to_string().contains("cloudfront:GetDistribution"));
    }

    #[test]
    fn answers_without_a_code_are_read_by_status() {
        let head_forbidden = answered(403, None, None, &[]);
        assert_eq!(classify(&head_forbidden), Some(Fault::AccessDenied("403 Forbidden".into())));
        assert_eq!(classify(&answered(429, None, None, &[])), Some(Fault::Throttled));
        let moved = answered(301, None, None, &[("x-amz-bucket-region", "eu-west-1")]);
        assert_eq!(classify(&moved), Some(Fault::WrongRegion(Some("eu-west-1".into()))));
    }

    #[test]
    fn the_network_is_unreachable_when_the_connection_or_the_clock_fails() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused (os error 111)");
        let got = classify(&dispatch(ConnectorError::io(refused.into())));
        assert_eq!(got, Some(Fault::Unreachable("Connection refused (os error 111)".into())));
        let timed_out = classify(&Error::timeout_error("took too long"));
        assert_eq!(timed_out, Some(Fault::Unreachable("the request timed out".into())));
    }

    #[test]
    fn other_answers_are_left_to_their_own_words() {
        assert_eq!(classify(&answered(404, Some("NoSuchBucket"), Some("gone"), &[])), None);
        assert_eq!(classify(&answered(409, Some("PreconditionFailed"), None, &[])), None);
        assert_eq!(classify(&answered(500, Some("InternalError"), None, &[])), None);
    }
}

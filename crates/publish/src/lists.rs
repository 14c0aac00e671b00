//! A distribution config's lists as slices (origins, cache behaviors, custom error responses),
//! empty where CloudFront left a list out: what every part reads a config with.

use aws_sdk_cloudfront::types::{CacheBehavior, CustomErrorResponse, DistributionConfig, Origin};

pub fn origins(config: &DistributionConfig) -> &[Origin] {
    config.origins.as_ref().map_or(&[], |o| o.items.as_slice())
}

pub fn behaviors(config: &DistributionConfig) -> &[CacheBehavior] {
    config.cache_behaviors.as_ref().and_then(|b| b.items.as_deref()).unwrap_or(&[])
}

pub fn error_responses(config: &DistributionConfig) -> &[CustomErrorResponse] {
    config.custom_error_responses.as_ref().and_then(|r| r.items.as_deref()).unwrap_or(&[])
}

pub fn error_response(config: &DistributionConfig, code: u16) -> Option<&CustomErrorResponse> {
    error_responses(config).iter().find(|r| r.error_code == i32::from(code))
}

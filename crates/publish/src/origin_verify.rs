//! The distribution's half of the ALB guard: a secret custom header on the site's origin (the
//! one the default behavior uses), which the ALB's guard rules look for to tell CloudFront's
//! requests from visitors of its own DNS name. The secret is never shown: the plan and the
//! record name it by a short fingerprint.

use aws_sdk_cloudfront::types::{CustomHeaders, DistributionConfig, Origin, OriginCustomHeader};

use crate::alb::loop_check::CloudFrontRequest;
use crate::association::{BehaviorKey, targets};
use crate::error::PlanError;
use crate::forwarding::{Policies, reaches_origin};
use crate::lists::origins;
use crate::secret::fingerprint;
use edgepages_core::config::ORIGIN_VERIFY_HEADER as ORIGIN_HEADER;

/// What `publish` wants of the header.
#[derive(Clone, PartialEq, Eq)]
pub enum OriginHeader {
    /// On the site's origin, with this secret.
    Set(String),
    /// Not there: the guard is being taken away.
    Removed,
}

impl std::fmt::Debug for OriginHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OriginHeader::Set(s) => write!(f, "Set(fingerprint {})", fingerprint(s)),
            OriginHeader::Removed => f.write_str("Removed"),
        }
    }
}

/// The site's origin: the default behavior's.
pub fn site_origin(config: &DistributionConfig) -> Option<&Origin> {
    let id = &config.default_cache_behavior.as_ref()?.target_origin_id;
    origins(config).iter().find(|o| &o.id == id)
}

/// The header's value on the site's origin, if it is there.
pub fn secret(config: &DistributionConfig) -> Option<&str> {
    header(site_origin(config)?)
}

fn header(origin: &Origin) -> Option<&str> {
    origin
        .custom_headers
        .as_ref()?
        .items
        .as_ref()?
        .iter()
        .find(|h| h.header_name.eq_ignore_ascii_case(ORIGIN_HEADER))
        .map(|h| h.header_value.as_str())
}

/// Puts the header with `secret` on the site's origin, or takes it away (`None`); every other
/// custom header stays as it is.
pub fn set(config: &mut DistributionConfig, secret: Option<&str>) -> Result<(), PlanError> {
    let Some(id) = config.default_cache_behavior.as_ref().map(|b| b.target_origin_id.clone()) else {
        return Ok(());
    };
    let Some(origin) = config.origins.as_mut().and_then(|o| o.items.iter_mut().find(|o| o.id == id)) else {
        return Ok(());
    };
    let mut items: Vec<OriginCustomHeader> =
        origin.custom_headers.as_ref().and_then(|h| h.items.clone()).unwrap_or_default();
    let had = items.iter().any(|h| h.header_name.eq_ignore_ascii_case(ORIGIN_HEADER));
    if secret.is_none() && !had {
        return Ok(());
    }
    items.retain(|h| !h.header_name.eq_ignore_ascii_case(ORIGIN_HEADER));
    if let Some(secret) = secret {
        items.push(OriginCustomHeader::builder().header_name(ORIGIN_HEADER).header_value(secret).build()?);
    }
    origin.custom_headers = if items.is_empty() {
        None
    } else {
        let quantity = i32::try_from(items.len()).unwrap_or(i32::MAX);
        Some(CustomHeaders::builder().quantity(quantity).set_items(Some(items)).build()?)
    };
    Ok(())
}

/// The header on the site's origin in words, for the plan.
pub fn summary(config: &DistributionConfig) -> Option<String> {
    let origin = site_origin(config)?;
    header(origin)
        .map(|s| format!("{ORIGIN_HEADER} on origin {}: a secret (fingerprint {})", origin.id, fingerprint(s)))
}

/// The requests CloudFront sends the site's origin, one per behavior that uses it: with the
/// origin's domain as `Host` unless the behavior forwards the viewer's (then `canonical_host`,
/// the host viewers use), and the origin's custom headers. `Err` names a policy not read.
pub fn cloudfront_requests(
    config: &DistributionConfig,
    policies: &Policies,
    canonical_host: &str,
) -> Vec<(BehaviorKey, Result<CloudFrontRequest, String>)> {
    let Some(origin) = site_origin(config) else { return Vec::new() };
    let headers: Vec<(String, String)> = origin
        .custom_headers
        .as_ref()
        .and_then(|h| h.items.as_ref())
        .map(|items| items.iter().map(|h| (h.header_name.clone(), h.header_value.clone())).collect())
        .unwrap_or_default();
    targets(config)
        .into_iter()
        .map(|key| {
            let request = reaches_origin(config, &key, policies, "host").map(|forwarded| CloudFrontRequest {
                host: if forwarded { canonical_host.to_owned() } else { origin.domain_name.clone() },
                headers: headers.clone(),
            });
            (key, request)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudfront::types::{CustomOriginConfig, DefaultCacheBehavior, OriginProtocolPolicy, Origins};

    use super::*;

    fn config() -> DistributionConfig {
        let alb = Origin::builder()
            .id("alb")
            .domain_name("shop-1.eu-west-1.elb.amazonaws.com")
            .custom_origin_config(
                CustomOriginConfig::builder()
                    .http_port(80)
                    .https_port(443)
                    .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                    .build()
                    .unwrap(),
            )
            .custom_headers(
                CustomHeaders::builder()
                    .quantity(1)
                    .items(OriginCustomHeader::builder().header_name("x-team").header_value("theirs").build().unwrap())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        DistributionConfig::builder()
            .caller_reference("r")
            .comment("")
            .enabled(true)
            .origins(Origins::builder().quantity(1).items(alb).build().unwrap())
            .default_cache_behavior(
                DefaultCacheBehavior::builder()
                    .target_origin_id("alb")
                    .viewer_protocol_policy(aws_sdk_cloudfront::types::ViewerProtocolPolicy::RedirectToHttps)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    #[test]
    fn the_header_goes_on_the_site_origin_beside_theirs_and_comes_off_leaving_theirs() {
        let before = config();
        let mut with = before.clone();
        set(&mut with, Some("s3cret-value")).unwrap();
        assert_eq!(secret(&with), Some("s3cret-value"));
        let names: Vec<&str> = site_origin(&with)
            .unwrap()
            .custom_headers
            .as_ref()
            .unwrap()
            .items
            .as_ref()
            .unwrap()
            .iter()
            .map(|h| h.header_name.as_str())
            .collect();
        assert_eq!(names, ["x-team", ORIGIN_HEADER]);
        let words = summary(&with).unwrap();
        assert!(!words.contains("s3cret-value") && words.contains(&fingerprint("s3cret-value")), "{words}");

        let mut again = with.clone();
        set(&mut again, Some("s3cret-value")).unwrap();
        assert_eq!(again, with, "the same secret twice changes nothing");
        set(&mut again, None).unwrap();
        assert_eq!(again, before, "taken away, the origin is as it was");
    }

    #[test]
    fn cloudfront_sends_the_origins_domain_unless_the_behavior_forwards_host() {
        let mut with = config();
        set(&mut with, Some("s3cret-value")).unwrap();
        let requests = cloudfront_requests(&with, &Policies::new(), "www.example.com");
        let [(key, Ok(request))] = requests.as_slice() else { panic!("{requests:?}") };
        assert_eq!(key, &BehaviorKey(None));
        assert_eq!(request.host, "shop-1.eu-west-1.elb.amazonaws.com");
        assert!(request.headers.contains(&(ORIGIN_HEADER.to_owned(), "s3cret-value".to_owned())));

        #[allow(deprecated, reason = "legacy settings forward Host by name")]
        {
            let forwarded = aws_sdk_cloudfront::types::ForwardedValues::builder()
                .query_string(false)
                .headers(aws_sdk_cloudfront::types::Headers::builder().quantity(1).items("Host").build().unwrap())
                .build()
                .unwrap();
            with.default_cache_behavior.as_mut().unwrap().forwarded_values = Some(forwarded);
        }
        let requests = cloudfront_requests(&with, &Policies::new(), "www.example.com");
        assert!(matches!(&requests[0].1, Ok(r) if r.host == "www.example.com"), "{requests:?}");
    }
}

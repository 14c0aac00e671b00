//! Which viewer headers reach the origin, and so the origin-response function, on a behavior:
//! those its origin request policy forwards, those its cache policy puts in the cache key
//! (CloudFront forwards those too), or those its legacy `ForwardedValues` names. `verify`
//! reads the policies; what they mean for `Accept` and `Accept-Language` is decided here.

use std::collections::BTreeMap;

use aws_sdk_cloudfront::types::{CachePolicyHeaderBehavior, DistributionConfig, OriginRequestPolicyHeaderBehavior};

use crate::association::{BehaviorKey, read_behavior, targets};
use crate::variant::source::VARIANT_HEADER;
use crate::verify::Check;

/// The headers the function negotiates with.
pub const NEGOTIATED: [&str; 2] = ["accept", "accept-language"];

/// What one policy forwards of the viewer's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forwards {
    /// Every viewer header (`allViewer`, `allViewerAndWhitelistCloudFront`, or legacy `*`).
    All,
    /// Every viewer header but these (`allExcept`), lower-cased.
    AllExcept(Vec<String>),
    /// Only these, lower-cased (`whitelist`; empty for `none`).
    Only(Vec<String>),
}

impl Forwards {
    pub fn from_origin_request_policy(behavior: &OriginRequestPolicyHeaderBehavior, headers: &[String]) -> Forwards {
        let names = lower(headers);
        match behavior {
            OriginRequestPolicyHeaderBehavior::AllViewer
            | OriginRequestPolicyHeaderBehavior::AllViewerAndWhitelistCloudFront => Forwards::All,
            OriginRequestPolicyHeaderBehavior::AllExcept => Forwards::AllExcept(names),
            OriginRequestPolicyHeaderBehavior::Whitelist => Forwards::Only(names),
            _ => Forwards::Only(Vec::new()),
        }
    }

    pub fn from_cache_policy(behavior: &CachePolicyHeaderBehavior, headers: &[String]) -> Forwards {
        match behavior {
            CachePolicyHeaderBehavior::Whitelist => Forwards::Only(lower(headers)),
            _ => Forwards::Only(Vec::new()),
        }
    }

    /// The legacy `ForwardedValues` headers: `*` forwards all.
    pub fn from_legacy(headers: &[String]) -> Forwards {
        if headers.iter().any(|h| h == "*") { Forwards::All } else { Forwards::Only(lower(headers)) }
    }

    fn includes(&self, header: &str) -> bool {
        match self {
            Forwards::All => true,
            Forwards::AllExcept(names) => !names.iter().any(|n| n == header),
            Forwards::Only(names) => names.iter().any(|n| n == header),
        }
    }
}

fn lower(headers: &[String]) -> Vec<String> {
    headers.iter().map(|h| h.to_ascii_lowercase()).collect()
}

/// A policy as `verify` found it, by ID: what it forwards, or why it could not be read.
pub type Policies = BTreeMap<String, Result<Forwards, String>>;

/// The policy IDs a behavior names: its origin request policy and its cache policy.
pub fn policy_ids(config: &DistributionConfig, key: &BehaviorKey) -> (Option<String>, Option<String>) {
    let pick = |orp: &Option<String>, cache: &Option<String>| {
        (orp.clone().filter(|s| !s.is_empty()), cache.clone().filter(|s| !s.is_empty()))
    };
    read_behavior(
        config,
        key,
        |b| pick(&b.origin_request_policy_id, &b.cache_policy_id),
        |b| pick(&b.origin_request_policy_id, &b.cache_policy_id),
    )
    .unwrap_or((None, None))
}

#[allow(deprecated, reason = "legacy cache settings are still what some distributions have")]
fn legacy_headers(config: &DistributionConfig, key: &BehaviorKey) -> Option<Vec<String>> {
    let forwarded = read_behavior(config, key, |b| b.forwarded_values.as_ref(), |b| b.forwarded_values.as_ref())??;
    Some(forwarded.headers.as_ref().and_then(|h| h.items.clone()).unwrap_or_default())
}

/// What behavior `key` puts in its cache key, and what its origin request policy forwards;
/// `Err` names a policy that could not be read.
fn forwarding(
    config: &DistributionConfig,
    key: &BehaviorKey,
    policies: &Policies,
) -> Result<(Forwards, Option<Forwards>), String> {
    let (orp, cache) = policy_ids(config, key);
    let read = |id: &String| match policies.get(id) {
        Some(Ok(forwards)) => Ok(forwards.clone()),
        Some(Err(why)) => Err(format!("policy {id} could not be read: {why}")),
        None => Err(format!("policy {id} was not read")),
    };
    // Legacy ForwardedValues are the cache key and what is forwarded, both at once.
    let keyed = match &cache {
        Some(id) => read(id)?,
        None => Forwards::from_legacy(&legacy_headers(config, key).unwrap_or_default()),
    };
    Ok((keyed, orp.as_ref().map(read).transpose()?))
}

/// Whether the viewer's `header` (lower-case) reaches the origin on behavior `key`.
pub fn reaches_origin(
    config: &DistributionConfig,
    key: &BehaviorKey,
    policies: &Policies,
    header: &str,
) -> Result<bool, String> {
    let (keyed, forwarded) = forwarding(config, key, policies)?;
    Ok(keyed.includes(header) || forwarded.is_some_and(|f| f.includes(header)))
}

/// Of [`NEGOTIATED`], those that reach the origin on behavior `key`, and those of them in its
/// cache key; `Err` names a policy that could not be read.
fn reaching(
    config: &DistributionConfig,
    key: &BehaviorKey,
    policies: &Policies,
) -> Result<(Vec<&'static str>, Vec<&'static str>), String> {
    let (keyed, forwarded) = forwarding(config, key, policies)?;
    let seen = NEGOTIATED
        .into_iter()
        .filter(|h| keyed.includes(h) || forwarded.as_ref().is_some_and(|f| f.includes(h)))
        .collect();
    let in_key = NEGOTIATED.into_iter().filter(|h| keyed.includes(h)).collect();
    Ok((seen, in_key))
}

/// What the function sees on every behavior it runs on. Where `Accept` and `Accept-Language`
/// do not reach it, it still answers branded pages, in HTML and the default language; where
/// they reach it without being in the cache key, CloudFront keeps a 5xx answer for the error
/// caching TTL under a key that does not tell viewers apart, so one viewer's language or
/// format can reach another. Both warn rather than fail. On the behaviors in `named`, where a
/// viewer-request function names the variant, that header is what must reach it instead.
pub fn check(config: &DistributionConfig, policies: &Policies, named: &[BehaviorKey]) -> Check {
    let subject = "headers the function sees".to_owned();
    let mut short = Vec::new();
    let mut shared = Vec::new();
    let mut unnamed = Vec::new();
    for key in targets(config) {
        if named.contains(&key) {
            match reaches_origin(config, &key, policies, VARIANT_HEADER) {
                Ok(true) => {}
                Ok(false) => unnamed.push(format!("{key} does not forward {VARIANT_HEADER}")),
                Err(why) => unnamed.push(format!("{key}: {why}")),
            }
            continue;
        }
        match reaching(config, &key, policies) {
            Ok((seen, in_key)) => {
                let missing: Vec<&str> = NEGOTIATED.into_iter().filter(|h| !seen.contains(h)).collect();
                if !missing.is_empty() {
                    short.push(format!("{key} does not forward {}", missing.join(" or ")));
                }
                let unkeyed: Vec<&str> = seen.iter().copied().filter(|h| !in_key.contains(h)).collect();
                if !unkeyed.is_empty() {
                    shared.push(format!("{key} forwards {} without it in the cache key", unkeyed.join(" and ")));
                }
            }
            Err(why) => short.push(format!("{key}: {why}")),
        }
    }
    let mut said = Vec::new();
    if !short.is_empty() {
        said.push(format!(
            "{}: there the function answers HTML in the default language; an origin request policy that forwards \
             Accept and Accept-Language (such as the managed AllViewerExceptHostHeader) lets it answer API clients \
             and each language",
            short.join("; ")
        ));
    }
    if !shared.is_empty() {
        said.push(format!(
            "{}: CloudFront keeps an error answer for the error caching TTL under the cache key, so a viewer may be \
             given another viewer's language or format until it expires",
            shared.join("; ")
        ));
    }
    if !unnamed.is_empty() {
        said.push(format!(
            "{}: there the function answers by Accept and Accept-Language instead of the variant the viewer-request \
             function names, so one viewer's answer may reach another; an origin request policy that forwards all \
             viewer headers (such as the managed AllViewerExceptHostHeader) or names {VARIANT_HEADER} mends it",
            unnamed.join("; ")
        ));
    }
    if said.is_empty() {
        let detail = if named.is_empty() {
            "Accept and Accept-Language reach it, in the cache key, on every behavior it runs on"
        } else {
            "the variant, or Accept and Accept-Language in the cache key, reach it on every behavior it runs on"
        };
        Check::pass(subject, detail.into())
    } else {
        Check::warn(subject, said.join(". "))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudfront::types::{CacheBehavior, ViewerProtocolPolicy};

    use super::*;
    use crate::fixtures::existing;

    const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
    const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

    fn policies() -> Policies {
        Policies::from([
            (ALL_VIEWER.to_owned(), Ok(Forwards::All)),
            (CACHING_DISABLED.to_owned(), Ok(Forwards::Only(Vec::new()))),
            ("lang-only".to_owned(), Ok(Forwards::Only(vec!["accept-language".into()]))),
            ("no-accept".to_owned(), Ok(Forwards::AllExcept(vec!["accept".into()]))),
            ("secret".to_owned(), Err("AccessDenied: not allowed".into())),
        ])
    }

    /// `existing()` with the default behavior on `orp` and `CachingDisabled`, and an `/api/*`
    /// behavior to the same origin on `api_orp`.
    fn with(orp: Option<&str>, api_orp: Option<&str>) -> DistributionConfig {
        let mut config = existing();
        let default = config.default_cache_behavior.as_mut().unwrap();
        default.origin_request_policy_id = orp.map(str::to_owned);
        default.cache_policy_id = Some(CACHING_DISABLED.into());
        let api = CacheBehavior::builder()
            .path_pattern("/api/*")
            .target_origin_id("alb")
            .viewer_protocol_policy(ViewerProtocolPolicy::HttpsOnly)
            .cache_policy_id(CACHING_DISABLED)
            .set_origin_request_policy_id(api_orp.map(str::to_owned))
            .build()
            .unwrap();
        crate::fixtures::push_behavior(&mut config, api);
        config
    }

    #[test]
    fn headers_forwarded_and_in_the_cache_key_pass() {
        let mut p = policies();
        p.insert("variant-key".into(), Ok(Forwards::Only(vec!["accept".into(), "accept-language".into()])));
        let mut config = with(None, None);
        config.default_cache_behavior.as_mut().unwrap().cache_policy_id = Some("variant-key".into());
        for b in config.cache_behaviors.as_mut().unwrap().items.as_mut().unwrap() {
            b.cache_policy_id = Some("variant-key".into());
        }
        let c = check(&config, &p, &[]);
        assert!(c.ok && !c.warning, "{c:?}");
    }

    #[test]
    fn headers_forwarded_outside_the_cache_key_warn_that_answers_may_be_shared() {
        let c = check(&with(Some(ALL_VIEWER), Some(ALL_VIEWER)), &policies(), &[]);
        assert!(c.ok && c.warning, "{c:?}");
        assert!(
            c.detail.starts_with(
                "default behavior forwards accept and accept-language without it in the cache key; behavior /api/* \
                 forwards accept and accept-language without it in the cache key: CloudFront keeps"
            ),
            "{c:?}"
        );
    }

    #[test]
    fn where_the_variant_is_named_it_must_reach_the_function_instead_of_accept() {
        let named = [BehaviorKey(None), BehaviorKey(Some("/api/*".into()))];
        // All viewer headers forwarded: the variant reaches it, and Accept outside the key no
        // longer matters there.
        let c = check(&with(Some(ALL_VIEWER), Some(ALL_VIEWER)), &policies(), &named);
        assert!(c.ok && !c.warning, "{c:?}");
        assert!(c.detail.starts_with("the variant, or Accept"), "{c:?}");
        // An origin request policy that names only Accept-Language does not carry it.
        let c = check(&with(Some(ALL_VIEWER), Some("lang-only")), &policies(), &named);
        assert!(c.ok && c.warning, "{c:?}");
        assert!(
            c.detail.starts_with("behavior /api/* does not forward x-edgepages-variant: there the function answers"),
            "{c:?}"
        );
        // A copy with the variant in its key forwards it whatever the origin request policy.
        let mut p = policies();
        p.insert("copy".into(), Ok(Forwards::Only(vec!["x-edgepages-variant".into()])));
        let mut config = with(None, Some("lang-only"));
        config.cache_behaviors.as_mut().unwrap().items.as_mut().unwrap()[1].cache_policy_id = Some("copy".into());
        let c = check(&config, &p, &named[1..]);
        assert!(c.detail.starts_with("default behavior does not forward accept or accept-language"), "{c:?}");
        assert!(!c.detail.contains("/api/*"), "{c:?}");
    }

    #[test]
    fn each_behavior_short_of_a_header_is_named_with_a_warning() {
        let c = check(&with(None, Some("lang-only")), &policies(), &[]);
        assert!(c.ok && c.warning, "{c:?}");
        assert!(
            c.detail.starts_with(
                "default behavior does not forward accept or accept-language; behavior /api/* does not forward accept:"
            ),
            "{c:?}"
        );
        let c = check(&with(Some("no-accept"), Some(ALL_VIEWER)), &policies(), &[]);
        assert!(c.detail.starts_with("default behavior does not forward accept:"), "{c:?}");
    }

    #[test]
    fn a_policy_that_could_not_be_read_is_said_not_guessed() {
        let c = check(&with(Some("secret"), Some(ALL_VIEWER)), &policies(), &[]);
        assert!(c.warning, "{c:?}");
        assert!(c.detail.starts_with("default behavior: policy secret could not be read: AccessDenied"), "{c:?}");
    }

    #[test]
    #[allow(deprecated, reason = "legacy cache settings are still what some distributions have")]
    fn legacy_forwarded_headers_count_when_there_is_no_cache_policy() {
        use aws_sdk_cloudfront::types::{CookiePreference, ForwardedValues, Headers, ItemSelection};
        let mut config = with(None, Some(ALL_VIEWER));
        let default = config.default_cache_behavior.as_mut().unwrap();
        default.cache_policy_id = None;
        let legacy = |names: &[&str]| {
            ForwardedValues::builder()
                .query_string(false)
                .cookies(CookiePreference::builder().forward(ItemSelection::None).build().unwrap())
                .headers(
                    Headers::builder()
                        .quantity(i32::try_from(names.len()).unwrap())
                        .set_items(Some(names.iter().map(|n| (*n).to_owned()).collect()))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        };
        // /api/* forwards everything outside its cache key, so it is left out of what is tested.
        let config_without_api = |mut c: DistributionConfig| {
            let behaviors = c.cache_behaviors.as_mut().unwrap();
            behaviors.items.as_mut().unwrap().retain(|b| b.path_pattern != "/api/*");
            behaviors.quantity = 1;
            c
        };
        default.forwarded_values = Some(legacy(&["Accept", "Accept-Language"]));
        let c = check(&config_without_api(config.clone()), &policies(), &[]);
        assert!(!c.warning, "{c:?}");
        config.default_cache_behavior.as_mut().unwrap().forwarded_values = Some(legacy(&["*"]));
        assert!(!check(&config_without_api(config.clone()), &policies(), &[]).warning);
        config.default_cache_behavior.as_mut().unwrap().forwarded_values = Some(legacy(&["Host"]));
        let c = check(&config_without_api(config), &policies(), &[]);
        assert!(c.detail.starts_with("default behavior does not forward accept or accept-language"), "{c:?}");
    }

    #[test]
    fn policy_header_behaviors_are_read_as_cloudfront_documents_them() {
        let names = vec!["Accept".to_owned()];
        assert_eq!(
            Forwards::from_origin_request_policy(&OriginRequestPolicyHeaderBehavior::AllExcept, &names),
            Forwards::AllExcept(vec!["accept".into()])
        );
        assert_eq!(
            Forwards::from_origin_request_policy(&OriginRequestPolicyHeaderBehavior::None, &names),
            Forwards::Only(Vec::new())
        );
        assert_eq!(
            Forwards::from_origin_request_policy(
                &OriginRequestPolicyHeaderBehavior::AllViewerAndWhitelistCloudFront,
                &[]
            ),
            Forwards::All
        );
        assert_eq!(
            Forwards::from_cache_policy(&CachePolicyHeaderBehavior::Whitelist, &names),
            Forwards::Only(vec!["accept".into()])
        );
    }
}

//! Which behaviors get which variant function, the cache policy copies that hold the variant in
//! the key, and the writes that make them: all a pure function of the spec, the distribution
//! config and what was read. Behaviors that cache nothing cannot hold a header in their key, so
//! they get one answer for all viewers, or, when listed in `per_viewer`, each viewer's own.

use std::collections::BTreeMap;

use aws_sdk_cloudfront::types::{
    CachePolicyConfig, CachePolicyHeaderBehavior, CachePolicyHeadersConfig, DistributionConfig, EventType,
    FunctionAssociation, FunctionAssociations, Headers, ParametersInCacheKeyAndForwardedToOrigin,
};
use serde::Serialize;

use super::VariantSpec;
use super::source::VARIANT_HEADER;
use crate::association::{BehaviorKey, associations, read_behavior, replace_one, targets};
use crate::error::PlanError;

/// A copy's name is this and its original's ID, so a later publish finds the original again.
pub const COPY_PREFIX: &str = "edgepages-variant-";
/// Shown in a plan in place of an ID or ARN that CloudFront has not given yet.
pub const NEW: &str = "(new)";

/// What a behavior gets, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Mode {
    /// It caches: the per-viewer function, and a copy of its cache policy (`policy`, the
    /// original's ID) with the variant in the key.
    Keyed { policy: String },
    /// It caches nothing: the shared function, one answer for every viewer; `policy` is its own.
    Shared { policy: String },
    /// It caches nothing and `per_viewer` lists it: nothing added; each viewer's own answer.
    PerViewer { policy: String },
    /// The team's own function holds a viewer event, which a CloudFront Function cannot share.
    Theirs { arn: String },
    /// Legacy cache settings (no cache policy): nothing added.
    Legacy,
}

/// A CloudFront Function as read: its ARN, the development stage's ETag and code, and the live
/// stage's code (`None` when never published).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCloudFrontFunction {
    pub arn: String,
    pub etag: String,
    pub development: Vec<u8>,
    pub live: Option<Vec<u8>>,
}

/// A cache policy as read, with its ETag for a conditional update.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundPolicy {
    pub config: CachePolicyConfig,
    pub etag: String,
}

/// What exists: the functions by name, every policy the target behaviors name (and the
/// originals of copies) by ID, and the copies by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FoundVariant {
    pub functions: BTreeMap<String, FoundCloudFrontFunction>,
    pub policies: BTreeMap<String, Result<FoundPolicy, String>>,
    pub copies: BTreeMap<String, String>,
}

/// One write, in the order they are made.
#[derive(Debug, Clone, PartialEq)]
pub enum VariantStep {
    CreateFunction {
        name: String,
        code: String,
    },
    UpdateFunction {
        name: String,
        etag: String,
        code: String,
    },
    /// Publishes the development stage to live; `etag` is the read one when no create or
    /// update comes first (else the one that write returns).
    PublishFunction {
        name: String,
        etag: Option<String>,
    },
    CreatePolicy {
        config: CachePolicyConfig,
    },
    UpdatePolicy {
        id: String,
        etag: String,
        config: CachePolicyConfig,
    },
}

impl VariantStep {
    /// The step in a plan's words.
    pub fn describe(&self) -> String {
        match self {
            VariantStep::CreateFunction { name, .. } => format!("create CloudFront Function {name}"),
            VariantStep::UpdateFunction { name, .. } => format!("update CloudFront Function {name}'s code"),
            VariantStep::PublishFunction { name, .. } => format!("publish CloudFront Function {name} to live"),
            VariantStep::CreatePolicy { config } => format!("create cache policy {}", config.name),
            VariantStep::UpdatePolicy { config, .. } => {
                format!("update cache policy {} to its original's settings", config.name)
            }
        }
    }
}

/// The plan: each target behavior's mode, and the writes.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantPlan {
    pub behaviors: Vec<(BehaviorKey, Mode)>,
    pub steps: Vec<VariantStep>,
}

/// What the distribution update does with the variant: the spec, the plan and the names of
/// the functions and copies to point behaviors at (placeholders until they are made).
#[derive(Debug, Clone, PartialEq)]
pub struct VariantEdit {
    pub spec: VariantSpec,
    pub plan: VariantPlan,
    pub names: Names,
}

/// The IDs and ARNs the distribution will name: the functions' ARNs by name and the copies'
/// IDs by their original's ID; [`NEW`] for those not made yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub functions: BTreeMap<String, String>,
    pub copies: BTreeMap<String, String>,
}

/// The copy of `original` (ID `id`) that holds the variant in its cache key.
pub fn copy_of(id: &str, original: &CachePolicyConfig) -> Result<CachePolicyConfig, PlanError> {
    let mut copy = original.clone();
    copy.name = format!("{COPY_PREFIX}{id}");
    copy.comment = Some(format!("edgepages: {} with {VARIANT_HEADER} in the cache key", original.name));
    let params = copy.parameters_in_cache_key_and_forwarded_to_origin.get_or_insert_with(|| {
        ParametersInCacheKeyAndForwardedToOrigin::builder()
            .enable_accept_encoding_gzip(false)
            .build()
            .unwrap_or_else(|_| unreachable!("enable_accept_encoding_gzip is set; the other fields are optional"))
    });
    let mut names: Vec<String> = match &params.headers_config {
        Some(h) if h.header_behavior == CachePolicyHeaderBehavior::Whitelist => {
            h.headers.as_ref().and_then(|h| h.items.clone()).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    // Not held to CloudFront's default quota of headers per cache policy here: the quota is
    // adjustable, so the write is made and AWS's own refusal (TooManyHeadersInCachePolicy) named.
    if !names.iter().any(|n| n.eq_ignore_ascii_case(VARIANT_HEADER)) {
        names.push(VARIANT_HEADER.to_owned());
    }
    params.headers_config = Some(
        CachePolicyHeadersConfig::builder()
            .header_behavior(CachePolicyHeaderBehavior::Whitelist)
            .headers(Headers::builder().quantity(len_i32(names.len())).set_items(Some(names)).build()?)
            .build()?,
    );
    Ok(copy)
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The ID of the original a policy copies, when `config` is one of edgepages' copies.
pub fn original_of(config: &CachePolicyConfig) -> Option<&str> {
    config.name.strip_prefix(COPY_PREFIX).filter(|id| !id.is_empty())
}

/// The behavior's cache policy ID; `None` for legacy cache settings.
pub fn cache_policy_id(config: &DistributionConfig, key: &BehaviorKey) -> Option<String> {
    read_behavior(config, key, |b| b.cache_policy_id.clone(), |b| b.cache_policy_id.clone())
        .flatten()
        .filter(|id| !id.is_empty())
}

/// The behavior's CloudFront Function associations.
pub fn function_associations<'a>(config: &'a DistributionConfig, key: &BehaviorKey) -> &'a [FunctionAssociation] {
    read_behavior(config, key, |b| b.function_associations.as_ref(), |b| b.function_associations.as_ref())
        .flatten()
        .and_then(|f| f.items.as_deref())
        .unwrap_or(&[])
}

/// The behavior's viewer-request CloudFront Function, if any.
pub fn viewer_request_function(config: &DistributionConfig, key: &BehaviorKey) -> Option<String> {
    function_associations(config, key)
        .iter()
        .find(|a| a.event_type == EventType::ViewerRequest)
        .map(|a| a.function_arn.clone())
}

/// The team's own function that holds a viewer event on the behavior: a viewer-request
/// CloudFront Function not ours, or a viewer-event Lambda@Edge function (AWS: a behavior cannot
/// combine CloudFront Functions and Lambda@Edge in viewer events).
fn theirs(config: &DistributionConfig, key: &BehaviorKey, spec: &VariantSpec) -> Option<String> {
    let lambda = associations(config, key)
        .unwrap_or(&[])
        .iter()
        .find(|a| matches!(a.event_type, EventType::ViewerRequest | EventType::ViewerResponse));
    lambda
        .map(|a| a.lambda_function_arn.clone())
        .or_else(|| viewer_request_function(config, key).filter(|arn| !spec.is_ours(arn)))
}

fn pattern_of(key: &BehaviorKey) -> &str {
    key.0.as_deref().unwrap_or("*")
}

fn read<'a>(found: &'a FoundVariant, id: &str, key: &BehaviorKey) -> Result<&'a FoundPolicy, PlanError> {
    match found.policies.get(id) {
        Some(Ok(policy)) => Ok(policy),
        Some(Err(why)) => {
            Err(PlanError::PolicyUnread { id: id.to_owned(), behavior: key.to_string(), why: why.clone() })
        }
        None => Err(PlanError::PolicyUnread { id: id.to_owned(), behavior: key.to_string(), why: "not read".into() }),
    }
}

/// The original cache policy behind behavior `key`: its own, or the one its copy copies.
fn original<'a>(
    found: &'a FoundVariant,
    id: &'a str,
    key: &BehaviorKey,
) -> Result<(&'a str, &'a FoundPolicy), PlanError> {
    let policy = read(found, id, key)?;
    match original_of(&policy.config) {
        Some(original) => Ok((original, read(found, original, key)?)),
        None => Ok((id, policy)),
    }
}

/// What behavior `key` gets.
fn mode(
    config: &DistributionConfig,
    key: &BehaviorKey,
    spec: &VariantSpec,
    found: &FoundVariant,
) -> Result<Mode, PlanError> {
    if let Some(arn) = theirs(config, key, spec) {
        return Ok(Mode::Theirs { arn });
    }
    let Some(id) = cache_policy_id(config, key) else { return Ok(Mode::Legacy) };
    let (original_id, policy) = original(found, &id, key)?;
    // A policy whose longest TTL is 0 caches nothing, and CloudFront refuses headers in its key.
    let caches = policy.config.max_ttl.unwrap_or(0) > 0;
    let policy = original_id.to_owned();
    if caches {
        Ok(Mode::Keyed { policy })
    } else if spec.per_viewer.iter().any(|p| p == pattern_of(key)) {
        Ok(Mode::PerViewer { policy })
    } else {
        Ok(Mode::Shared { policy })
    }
}

/// Plans the functions and copies `spec` needs on `config`, from what was `found`.
pub fn plan(spec: &VariantSpec, config: &DistributionConfig, found: &FoundVariant) -> Result<VariantPlan, PlanError> {
    let keys = targets(config);
    let mut behaviors = Vec::new();
    for key in &keys {
        behaviors.push((key.clone(), mode(config, key, spec, found)?));
    }
    for pattern in &spec.per_viewer {
        let listed = behaviors.iter().find(|(k, _)| pattern_of(k) == pattern);
        let why = match listed {
            None => "which is not a behavior the function runs on".to_owned(),
            Some((_, Mode::Keyed { .. })) => "which caches: the variant is in its cache key already".to_owned(),
            Some((_, Mode::Theirs { arn })) => format!("where {arn} holds the viewer events"),
            Some((_, Mode::Legacy)) => "which has legacy cache settings".to_owned(),
            Some((_, Mode::Shared { .. } | Mode::PerViewer { .. })) => continue,
        };
        return Err(PlanError::PerViewerNotUncached { pattern: pattern.clone(), why });
    }
    let mut steps = Vec::new();
    if !spec.enabled {
        return Ok(VariantPlan { behaviors, steps });
    }
    let needs = |f: fn(&Mode) -> bool| behaviors.iter().any(|(_, m)| f(m));
    for (function, needed) in [
        (&spec.per_viewer_function, needs(|m| matches!(m, Mode::Keyed { .. }))),
        (&spec.shared_function, needs(|m| matches!(m, Mode::Shared { .. }))),
    ] {
        if !needed {
            continue;
        }
        let code = function.code.as_bytes();
        match found.functions.get(&function.name) {
            None => {
                steps.push(VariantStep::CreateFunction { name: function.name.clone(), code: function.code.clone() });
                steps.push(VariantStep::PublishFunction { name: function.name.clone(), etag: None });
            }
            Some(f) if f.development != code => {
                steps.push(VariantStep::UpdateFunction {
                    name: function.name.clone(),
                    etag: f.etag.clone(),
                    code: function.code.clone(),
                });
                steps.push(VariantStep::PublishFunction { name: function.name.clone(), etag: None });
            }
            Some(f) if f.live.as_deref() != Some(code) => {
                steps.push(VariantStep::PublishFunction { name: function.name.clone(), etag: Some(f.etag.clone()) });
            }
            Some(_) => {}
        }
    }
    let mut planned: Vec<&str> = Vec::new();
    for (key, m) in &behaviors {
        let Mode::Keyed { policy } = m else { continue };
        if planned.contains(&policy.as_str()) {
            continue;
        }
        planned.push(policy);
        let wanted = copy_of(policy, &read(found, policy, key)?.config)?;
        match found.copies.get(&wanted.name) {
            None => steps.push(VariantStep::CreatePolicy { config: wanted }),
            Some(id) => {
                let copy = read(found, id, key)?;
                if copy.config != wanted {
                    steps.push(VariantStep::UpdatePolicy { id: id.clone(), etag: copy.etag.clone(), config: wanted });
                }
            }
        }
    }
    Ok(VariantPlan { behaviors, steps })
}

impl VariantPlan {
    pub fn write_count(&self) -> usize {
        self.steps.len()
    }

    /// The names the distribution will use, from what was found: [`NEW`] for what the steps
    /// create. The caller replaces them with CloudFront's answers once the steps are made.
    pub fn names(&self, spec: &VariantSpec, found: &FoundVariant) -> Names {
        let mut names = Names::default();
        for function in [&spec.per_viewer_function, &spec.shared_function] {
            let arn = found.functions.get(&function.name).map_or_else(|| NEW.to_owned(), |f| f.arn.clone());
            names.functions.insert(function.name.clone(), arn);
        }
        for (_, m) in &self.behaviors {
            if let Mode::Keyed { policy } = m {
                let id = found.copies.get(&format!("{COPY_PREFIX}{policy}")).cloned();
                names.copies.insert(policy.clone(), id.unwrap_or_else(|| NEW.to_owned()));
            }
        }
        names
    }
}

/// Sets each target behavior's viewer-request function and cache policy as `plan` says; with
/// `enabled = false`, takes edgepages' functions and copies away. Every other association and
/// setting is kept.
pub fn set(
    config: &mut DistributionConfig,
    spec: &VariantSpec,
    plan: &VariantPlan,
    names: &Names,
) -> Result<(), PlanError> {
    for (key, m) in &plan.behaviors {
        let function = |f: &super::FunctionSpec| names.functions.get(&f.name).cloned();
        // Anywhere but a cached behavior with edgepages on, the behavior's original policy.
        let (function, policy) = match (spec.enabled, m) {
            (_, Mode::Theirs { .. } | Mode::Legacy) => continue,
            (true, Mode::Keyed { policy }) => {
                (function(&spec.per_viewer_function), names.copies.get(policy).unwrap_or(policy))
            }
            (true, Mode::Shared { policy }) => (function(&spec.shared_function), policy),
            (_, Mode::Keyed { policy } | Mode::Shared { policy } | Mode::PerViewer { policy }) => (None, policy),
        };
        put(config, key, function, Some(policy.clone()))?;
    }
    Ok(())
}

/// Puts `function` as behavior `key`'s viewer-request CloudFront Function (`None` removes it)
/// and `policy` as its cache policy; every other association is kept where it was.
pub fn put(
    config: &mut DistributionConfig,
    key: &BehaviorKey,
    function: Option<String>,
    policy: Option<String>,
) -> Result<(), PlanError> {
    let (slot, cache_policy) = match &key.0 {
        None => {
            let Some(b) = config.default_cache_behavior.as_mut() else { return Ok(()) };
            (&mut b.function_associations, &mut b.cache_policy_id)
        }
        Some(pattern) => {
            let found = config
                .cache_behaviors
                .as_mut()
                .and_then(|b| b.items.as_mut())
                .and_then(|items| items.iter_mut().find(|b| &b.path_pattern == pattern));
            let Some(b) = found else { return Ok(()) };
            (&mut b.function_associations, &mut b.cache_policy_id)
        }
    };
    if policy.is_some() {
        *cache_policy = policy;
    }
    let mut items = slot.as_ref().and_then(|l| l.items.clone()).unwrap_or_default();
    let at = items.iter().position(|a| a.event_type == EventType::ViewerRequest);
    let wanted = function
        .map(|arn| FunctionAssociation::builder().function_arn(arn).event_type(EventType::ViewerRequest).build())
        .transpose()?;
    if !replace_one(&mut items, at, wanted) {
        return Ok(());
    }
    // An emptied list goes absent, as before the first association, so a rollback gives back
    // exactly what it read.
    *slot = if items.is_empty() {
        None
    } else {
        Some(FunctionAssociations::builder().quantity(len_i32(items.len())).set_items(Some(items)).build()?)
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudfront::types::{
        CacheBehavior, CachePolicyCookieBehavior, CachePolicyCookiesConfig, CachePolicyQueryStringBehavior,
        CachePolicyQueryStringsConfig, LambdaFunctionAssociation, LambdaFunctionAssociations, ViewerProtocolPolicy,
    };

    use super::*;
    use crate::fixtures::{existing, push_behavior};
    use crate::variant::FunctionSpec;

    const CACHING: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
    const DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
    const ARN: &str = "arn:aws:cloudfront::123456789012:function/edgepages-variant-E2EXAMPLE123";

    fn spec(per_viewer: &[&str]) -> VariantSpec {
        let f =
            |kind: &str| FunctionSpec { name: format!("edgepages-{kind}-E2EXAMPLE123"), code: format!("// {kind}") };
        VariantSpec {
            enabled: true,
            per_viewer_function: f("variant"),
            shared_function: f("shared"),
            per_viewer: per_viewer.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    fn policy(name: &str, max_ttl: i64, headers: &[&str]) -> CachePolicyConfig {
        let headers = if headers.is_empty() {
            CachePolicyHeadersConfig::builder().header_behavior(CachePolicyHeaderBehavior::None).build().unwrap()
        } else {
            let items: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
            CachePolicyHeadersConfig::builder()
                .header_behavior(CachePolicyHeaderBehavior::Whitelist)
                .headers(Headers::builder().quantity(len_i32(items.len())).set_items(Some(items)).build().unwrap())
                .build()
                .unwrap()
        };
        CachePolicyConfig::builder()
            .name(name)
            .min_ttl(0)
            .default_ttl(max_ttl / 2)
            .max_ttl(max_ttl)
            .parameters_in_cache_key_and_forwarded_to_origin(
                ParametersInCacheKeyAndForwardedToOrigin::builder()
                    .enable_accept_encoding_gzip(true)
                    .headers_config(headers)
                    .cookies_config(
                        CachePolicyCookiesConfig::builder()
                            .cookie_behavior(CachePolicyCookieBehavior::None)
                            .build()
                            .unwrap(),
                    )
                    .query_strings_config(
                        CachePolicyQueryStringsConfig::builder()
                            .query_string_behavior(CachePolicyQueryStringBehavior::All)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    fn found() -> FoundVariant {
        let mut found = FoundVariant::default();
        for (id, config) in [
            (CACHING, policy("Managed-CachingOptimized", 31_536_000, &[])),
            (DISABLED, policy("Managed-CachingDisabled", 0, &[])),
            ("own", policy("shop-pages", 600, &["Origin"])),
        ] {
            found.policies.insert(id.into(), Ok(FoundPolicy { config, etag: format!("E-{id}") }));
        }
        found
    }

    /// The default behavior caching nothing (an app behind an ALB), `/pages/*` caching with the
    /// team's own policy, and `/api/*` caching nothing; all three to the ALB.
    fn config() -> DistributionConfig {
        let mut config = existing();
        config.default_cache_behavior.as_mut().unwrap().cache_policy_id = Some(DISABLED.into());
        for (pattern, policy) in [("/pages/*", "own"), ("/api/*", DISABLED)] {
            let b = CacheBehavior::builder()
                .path_pattern(pattern)
                .target_origin_id("alb")
                .viewer_protocol_policy(ViewerProtocolPolicy::HttpsOnly)
                .cache_policy_id(policy)
                .build()
                .unwrap();
            push_behavior(&mut config, b);
        }
        config
    }

    fn key(pattern: Option<&str>) -> BehaviorKey {
        BehaviorKey(pattern.map(str::to_owned))
    }

    #[test]
    fn caching_behaviors_are_keyed_the_others_shared_unless_listed() {
        let plan = plan(&spec(&["/api/*"]), &config(), &found()).unwrap();
        assert_eq!(
            plan.behaviors,
            [
                (key(None), Mode::Shared { policy: DISABLED.into() }),
                (key(Some("/pages/*")), Mode::Keyed { policy: "own".into() }),
                (key(Some("/api/*")), Mode::PerViewer { policy: DISABLED.into() }),
            ]
        );
        let described: Vec<String> = plan.steps.iter().map(VariantStep::describe).collect();
        assert_eq!(
            described,
            [
                "create CloudFront Function edgepages-variant-E2EXAMPLE123",
                "publish CloudFront Function edgepages-variant-E2EXAMPLE123 to live",
                "create CloudFront Function edgepages-shared-E2EXAMPLE123",
                "publish CloudFront Function edgepages-shared-E2EXAMPLE123 to live",
                "create cache policy edgepages-variant-own",
            ]
        );
    }

    #[test]
    fn the_copy_adds_the_variant_to_the_key_and_keeps_everything_else() {
        let original = policy("shop-pages", 600, &["Origin"]);
        let copy = copy_of("own", &original).unwrap();
        assert_eq!(copy.name, "edgepages-variant-own");
        assert_eq!(original_of(&copy), Some("own"));
        let headers = copy.parameters_in_cache_key_and_forwarded_to_origin.as_ref().unwrap().headers_config.as_ref();
        assert_eq!(headers.unwrap().headers.as_ref().unwrap().items.as_deref().unwrap(), ["Origin", VARIANT_HEADER]);
        assert_eq!(headers.unwrap().headers.as_ref().unwrap().quantity, 2);
        let mut back = copy.clone();
        back.name = original.name.clone();
        back.comment = original.comment.clone();
        back.parameters_in_cache_key_and_forwarded_to_origin =
            original.parameters_in_cache_key_and_forwarded_to_origin.clone();
        assert_eq!(back, original, "nothing else differs");
        // A policy with no headers gets a whitelist of the one; a copy of a copy adds nothing.
        let bare = copy_of(CACHING, &policy("Managed-CachingOptimized", 1, &[])).unwrap();
        let bare_headers = bare.parameters_in_cache_key_and_forwarded_to_origin.unwrap().headers_config.unwrap();
        assert_eq!(bare_headers.header_behavior, CachePolicyHeaderBehavior::Whitelist);
        assert_eq!(
            copy_of("own", &copy).unwrap().parameters_in_cache_key_and_forwarded_to_origin,
            copy.parameters_in_cache_key_and_forwarded_to_origin
        );
        // A key at CloudFront's default quota of 10 headers still gets the variant: the quota is
        // adjustable, so CloudFront, knowing the account's, says (TooManyHeadersInCachePolicy).
        let full: Vec<String> = (0..10).map(|i| format!("h{i}")).collect();
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        let busy = copy_of("p1", &policy("busy", 60, &full)).unwrap();
        let headers = busy.parameters_in_cache_key_and_forwarded_to_origin.unwrap().headers_config.unwrap().headers;
        assert_eq!(headers.as_ref().unwrap().quantity, 11);
        assert_eq!(headers.unwrap().items.unwrap().last().map(String::as_str), Some(VARIANT_HEADER));
    }

    #[test]
    fn set_points_behaviors_at_the_functions_and_copy_and_keeps_theirs() {
        let spec = spec(&[]);
        let before = config();
        let plan = plan(&spec, &before, &found()).unwrap();
        let mut names = plan.names(&spec, &found());
        assert_eq!(names.copies["own"], NEW);
        names.functions.insert(spec.per_viewer_function.name.clone(), ARN.into());
        names.functions.insert(spec.shared_function.name.clone(), ARN.replace("variant", "shared"));
        names.copies.insert("own".into(), "copy-1".into());
        let mut after = before.clone();
        set(&mut after, &spec, &plan, &names).unwrap();
        assert_eq!(cache_policy_id(&after, &key(Some("/pages/*"))).as_deref(), Some("copy-1"));
        assert_eq!(viewer_request_function(&after, &key(Some("/pages/*"))).as_deref(), Some(ARN));
        assert_eq!(cache_policy_id(&after, &key(None)).as_deref(), Some(DISABLED));
        assert_eq!(viewer_request_function(&after, &key(None)), Some(ARN.replace("variant", "shared")));
        // The pages bucket's behavior and the /static/* behavior to another origin are untouched.
        let untouched = key(Some("/static/*"));
        assert_eq!(function_associations(&after, &untouched), function_associations(&before, &untouched));
        // Again: no change. Disabled: everything goes back as it was.
        let mut again = after.clone();
        set(&mut again, &spec, &plan, &names).unwrap();
        assert_eq!(again, after);
        let mut found = found();
        found.policies.insert(
            "copy-1".into(),
            Ok(FoundPolicy {
                config: copy_of("own", &policy("shop-pages", 600, &["Origin"])).unwrap(),
                etag: "E1".into(),
            }),
        );
        let off = VariantSpec { enabled: false, ..spec.clone() };
        let off_plan = super::plan(&off, &after, &found).unwrap();
        assert!(off_plan.steps.is_empty());
        set(&mut after, &off, &off_plan, &names).unwrap();
        assert_eq!(after, before);
    }

    #[test]
    fn a_behavior_whose_viewer_events_are_theirs_is_left_alone() {
        let mut config = config();
        let lambda = LambdaFunctionAssociation::builder()
            .lambda_function_arn("arn:aws:lambda:us-east-1:123456789012:function:auth:7")
            .event_type(EventType::ViewerRequest)
            .build()
            .unwrap();
        let items = config.cache_behaviors.as_mut().unwrap().items.as_mut().unwrap();
        items[1].lambda_function_associations =
            Some(LambdaFunctionAssociations::builder().quantity(1).items(lambda).build().unwrap());
        let theirs_cf = "arn:aws:cloudfront::123456789012:function/their-rewrite";
        put(&mut config, &key(None), Some(theirs_cf.into()), None).unwrap();
        let spec = spec(&[]);
        let plan = plan(&spec, &config, &found()).unwrap();
        assert_eq!(plan.behaviors[0].1, Mode::Theirs { arn: theirs_cf.into() });
        assert!(matches!(&plan.behaviors[1].1, Mode::Theirs { arn } if arn.ends_with("auth:7")));
        let mut after = config.clone();
        set(&mut after, &spec, &plan, &plan.names(&spec, &found())).unwrap();
        assert_eq!(viewer_request_function(&after, &key(None)).as_deref(), Some(theirs_cf));
        assert_eq!(associations(&after, &key(Some("/pages/*"))), associations(&config, &key(Some("/pages/*"))));
        // per_viewer may not name it.
        let e = super::plan(&self::spec(&["*"]), &config, &found()).unwrap_err();
        assert!(e.to_string().contains(&format!("\"*\", where {theirs_cf} holds the viewer events")), "{e}");
    }

    #[test]
    fn per_viewer_must_name_a_behavior_that_caches_nothing() {
        for (pattern, why) in [
            ("/pages/*", "which caches: the variant is in its cache key already"),
            ("/nope/*", "which is not a behavior the function runs on"),
            ("/static/*", "which is not a behavior the function runs on"),
        ] {
            let e = plan(&spec(&[pattern]), &config(), &found()).unwrap_err();
            assert_eq!(e, PlanError::PerViewerNotUncached { pattern: pattern.into(), why: why.into() });
        }
    }

    #[test]
    fn nothing_to_write_when_the_functions_are_live_and_the_copy_matches() {
        let spec = spec(&[]);
        let mut found = found();
        for f in [&spec.per_viewer_function, &spec.shared_function] {
            let code = f.code.as_bytes().to_vec();
            found.functions.insert(
                f.name.clone(),
                FoundCloudFrontFunction {
                    arn: ARN.into(),
                    etag: "EF".into(),
                    development: code.clone(),
                    live: Some(code),
                },
            );
        }
        let copy = copy_of("own", &policy("shop-pages", 600, &["Origin"])).unwrap();
        found.copies.insert(copy.name.clone(), "copy-1".into());
        found.policies.insert("copy-1".into(), Ok(FoundPolicy { config: copy.clone(), etag: "EC".into() }));
        assert!(plan(&spec, &config(), &found).unwrap().steps.is_empty());

        // Development ahead of live: publish only, with the read ETag. New code: update, then publish.
        found.functions.get_mut(&spec.shared_function.name).unwrap().live = Some(b"old".to_vec());
        found.functions.get_mut(&spec.per_viewer_function.name).unwrap().development = b"old".to_vec();
        // The team changed the original: the copy follows it.
        let mut changed = policy("shop-pages", 60, &["Origin"]);
        changed.comment = Some("shorter".into());
        found.policies.insert("own".into(), Ok(FoundPolicy { config: changed.clone(), etag: "E2".into() }));
        let steps = plan(&spec, &config(), &found).unwrap().steps;
        assert_eq!(
            steps,
            [
                VariantStep::UpdateFunction {
                    name: spec.per_viewer_function.name.clone(),
                    etag: "EF".into(),
                    code: spec.per_viewer_function.code.clone()
                },
                VariantStep::PublishFunction { name: spec.per_viewer_function.name.clone(), etag: None },
                VariantStep::PublishFunction { name: spec.shared_function.name.clone(), etag: Some("EF".into()) },
                VariantStep::UpdatePolicy {
                    id: "copy-1".into(),
                    etag: "EC".into(),
                    config: copy_of("own", &changed).unwrap()
                },
            ]
        );
    }

    #[test]
    fn a_behavior_on_a_copy_is_planned_from_its_original() {
        let mut config = config();
        config.cache_behaviors.as_mut().unwrap().items.as_mut().unwrap()[0].cache_policy_id = Some("copy-1".into());
        let mut found = found();
        found.policies.insert(
            "copy-1".into(),
            Ok(FoundPolicy {
                config: copy_of("own", &policy("shop-pages", 600, &["Origin"])).unwrap(),
                etag: "EC".into(),
            }),
        );
        found.copies.insert("edgepages-variant-own".into(), "copy-1".into());
        let plan = plan(&spec(&[]), &config, &found).unwrap();
        assert_eq!(plan.behaviors[1].1, Mode::Keyed { policy: "own".into() });
        assert!(
            !plan
                .steps
                .iter()
                .any(|s| matches!(s, VariantStep::CreatePolicy { .. } | VariantStep::UpdatePolicy { .. }))
        );
        // An unreadable policy is named, never guessed at.
        found.policies.insert(DISABLED.into(), Err("AccessDenied: no".into()));
        let e = super::plan(&spec(&[]), &config, &found).unwrap_err();
        assert_eq!(
            e,
            PlanError::PolicyUnread {
                id: DISABLED.into(),
                behavior: "default behavior".into(),
                why: "AccessDenied: no".into()
            }
        );
    }
}

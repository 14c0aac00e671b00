//! The Lambda@Edge function's origin-response association: which behaviors get it (the default
//! one and every other behavior that leads to the same origin, never the pages' own), setting
//! it there while every other association is kept exactly, and reading it back.

use aws_sdk_cloudfront::types::{
    CacheBehavior, DefaultCacheBehavior, DistributionConfig, EventType, LambdaFunctionAssociation,
    LambdaFunctionAssociations,
};
use serde::{Deserialize, Serialize};

use crate::error::PlanError;

/// Shown in a plan in place of a version number that Lambda has not given yet.
pub const NEW_VERSION: &str = "(new version)";

/// What the config wants of the association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeFunction {
    /// The function's name, as in `[cloudfront.lambda_edge]`.
    pub name: String,
    /// The numbered version's ARN to associate; `None` takes edgepages' association away
    /// (`enabled = false`).
    pub version_arn: Option<String>,
}

/// A cache behavior by what names it: `None` for the default behavior, else its path pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BehaviorKey(pub Option<String>);

impl std::fmt::Display for BehaviorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("default behavior"),
            Some(pattern) => write!(f, "behavior {pattern}"),
        }
    }
}

/// The behaviors the function belongs on: the default behavior and every other behavior that
/// leads to the default behavior's origin. The pages' own behavior leads to the pages bucket.
pub fn targets(config: &DistributionConfig) -> Vec<BehaviorKey> {
    let Some(default) = &config.default_cache_behavior else { return Vec::new() };
    let site = &default.target_origin_id;
    std::iter::once(BehaviorKey(None))
        .chain(
            crate::lists::behaviors(config)
                .iter()
                .filter(|b| &b.target_origin_id == site)
                .map(|b| BehaviorKey(Some(b.path_pattern.clone()))),
        )
        .collect()
}

/// Reads from behavior `key`, the default one with `default` and any other with `other`;
/// `None` when the behavior does not exist. The two are different SDK types.
pub fn read_behavior<'a, T>(
    config: &'a DistributionConfig,
    key: &BehaviorKey,
    default: impl FnOnce(&'a DefaultCacheBehavior) -> T,
    other: impl FnOnce(&'a CacheBehavior) -> T,
) -> Option<T> {
    match &key.0 {
        None => config.default_cache_behavior.as_ref().map(default),
        Some(pattern) => crate::lists::behaviors(config).iter().find(|b| &b.path_pattern == pattern).map(other),
    }
}

/// The associations of one behavior; `None` when the behavior does not exist.
pub fn associations<'a>(config: &'a DistributionConfig, key: &BehaviorKey) -> Option<&'a [LambdaFunctionAssociation]> {
    let list = read_behavior(
        config,
        key,
        |b| b.lambda_function_associations.as_ref(),
        |b| b.lambda_function_associations.as_ref(),
    )?;
    Some(list.and_then(|l| l.items.as_deref()).unwrap_or(&[]))
}

fn associations_mut<'a>(
    config: &'a mut DistributionConfig,
    key: &BehaviorKey,
) -> Option<&'a mut Option<LambdaFunctionAssociations>> {
    match &key.0 {
        None => Some(&mut config.default_cache_behavior.as_mut()?.lambda_function_associations),
        Some(pattern) => config
            .cache_behaviors
            .as_mut()?
            .items
            .as_mut()?
            .iter_mut()
            .find(|b| &b.path_pattern == pattern)
            .map(|b| &mut b.lambda_function_associations),
    }
}

/// The behavior's origin-response association, if it has one.
pub fn origin_response<'a>(config: &'a DistributionConfig, key: &BehaviorKey) -> Option<&'a LambdaFunctionAssociation> {
    associations(config, key)?.iter().find(|a| a.event_type == EventType::OriginResponse)
}

/// The function name in a Lambda ARN, qualified or not
/// (`arn:aws:lambda:us-east-1:123456789012:function:NAME[:VERSION]`).
pub fn function_of(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.nth(5)? == "function").then(|| parts.next()).flatten()
}

/// Whether `arn` is a version of function `name` in us-east-1.
fn is_ours(arn: &str, name: &str) -> bool {
    arn.split(':').nth(3) == Some(crate::function::REGION) && function_of(arn) == Some(name)
}

/// Sets (or, with no version, takes away) the function's origin-response association on every
/// target behavior. Another function's origin-response association is refused: a behavior
/// has at most one, and edgepages never replaces a team's own.
pub fn set(config: &mut DistributionConfig, function: &EdgeFunction) -> Result<(), PlanError> {
    for key in targets(config) {
        if let Some(theirs) = origin_response(config, &key).filter(|a| !is_ours(&a.lambda_function_arn, &function.name))
        {
            if function.version_arn.is_none() {
                continue;
            }
            return Err(PlanError::OriginResponseTaken {
                behavior: key.to_string(),
                arn: theirs.lambda_function_arn.clone(),
            });
        }
        let wanted = match &function.version_arn {
            Some(arn) => Some(
                LambdaFunctionAssociation::builder()
                    .lambda_function_arn(arn)
                    .event_type(EventType::OriginResponse)
                    .include_body(false)
                    .build()?,
            ),
            None => None,
        };
        put(config, &key, wanted)?;
    }
    Ok(())
}

/// Puts `wanted` in place of the behavior's origin-response association (`None` removes it),
/// keeping every other association where it was.
pub fn put(
    config: &mut DistributionConfig,
    key: &BehaviorKey,
    wanted: Option<LambdaFunctionAssociation>,
) -> Result<(), PlanError> {
    let Some(slot) = associations_mut(config, key) else { return Ok(()) };
    let mut items = slot.as_ref().and_then(|l| l.items.clone()).unwrap_or_default();
    let at = items.iter().position(|a| a.event_type == EventType::OriginResponse);
    if !replace_one(&mut items, at, wanted) {
        return Ok(());
    }
    // An emptied list goes absent, which CloudFront reads as none: the same as before an
    // association was first added, so a rollback gives back exactly what it read.
    *slot = if items.is_empty() {
        None
    } else {
        Some(
            LambdaFunctionAssociations::builder()
                .quantity(i32::try_from(items.len()).unwrap_or(i32::MAX))
                .set_items(Some(items))
                .build()?,
        )
    };
    Ok(())
}

/// Puts `wanted` at `at` in `items` (appends it when `at` is `None`; `None` removes the one at
/// `at`), keeping every other item where it was; `false` when nothing changed.
pub fn replace_one<T: PartialEq>(items: &mut Vec<T>, at: Option<usize>, wanted: Option<T>) -> bool {
    match (at, wanted) {
        (Some(i), Some(w)) if items[i] == w => return false,
        (Some(i), Some(w)) => items[i] = w,
        (None, Some(w)) => items.push(w),
        (Some(i), None) => {
            items.remove(i);
        }
        (None, None) => return false,
    }
    true
}

/// A behavior's origin-response association in a plan's words.
pub fn summary(config: &DistributionConfig, key: &BehaviorKey) -> Option<String> {
    origin_response(config, key).map(|a| a.lambda_function_arn.clone())
}

/// Every behavior in either config, for describing changes to any of them.
pub fn all_keys(before: &DistributionConfig, after: &DistributionConfig) -> Vec<BehaviorKey> {
    let mut keys = vec![BehaviorKey(None)];
    for config in [before, after] {
        for b in crate::lists::behaviors(config) {
            let key = BehaviorKey(Some(b.path_pattern.clone()));
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudfront::types::ViewerProtocolPolicy;

    use super::*;
    use crate::fixtures::existing;

    const V3: &str = "arn:aws:lambda:us-east-1:123456789012:function:edgepages-E2EXAMPLE123:3";

    fn ours(version: Option<&str>) -> EdgeFunction {
        EdgeFunction { name: "edgepages-E2EXAMPLE123".into(), version_arn: version.map(str::to_owned) }
    }

    fn association(arn: &str, event: EventType) -> LambdaFunctionAssociation {
        LambdaFunctionAssociation::builder().lambda_function_arn(arn).event_type(event).build().unwrap()
    }

    /// `existing()` with an `/api/*` behavior to the ALB whose viewer-request function is the
    /// team's own.
    fn with_api() -> DistributionConfig {
        let mut config = existing();
        let theirs = association("arn:aws:lambda:us-east-1:123456789012:function:auth:7", EventType::ViewerRequest);
        let api = CacheBehavior::builder()
            .path_pattern("/api/*")
            .target_origin_id("alb")
            .viewer_protocol_policy(ViewerProtocolPolicy::HttpsOnly)
            .lambda_function_associations(
                LambdaFunctionAssociations::builder().quantity(1).items(theirs).build().unwrap(),
            )
            .build()
            .unwrap();
        crate::fixtures::push_behavior(&mut config, api);
        config
    }

    #[test]
    fn the_targets_are_the_default_behavior_and_those_to_its_origin() {
        let keys = targets(&with_api());
        assert_eq!(keys, [BehaviorKey(None), BehaviorKey(Some("/api/*".into()))]);
        assert_eq!(keys[1].to_string(), "behavior /api/*");
    }

    #[test]
    fn set_adds_origin_response_and_keeps_every_other_association() {
        let before = with_api();
        let mut after = before.clone();
        set(&mut after, &ours(Some(V3))).unwrap();
        for key in targets(&after) {
            assert_eq!(origin_response(&after, &key).unwrap().lambda_function_arn, V3, "{key}");
            assert_eq!(origin_response(&after, &key).unwrap().include_body, Some(false));
        }
        let api = BehaviorKey(Some("/api/*".into()));
        assert_eq!(associations(&after, &api).unwrap()[0], associations(&before, &api).unwrap()[0]);
        assert_eq!(associations(&after, &api).unwrap().len(), 2);
        assert_eq!(
            after.cache_behaviors.as_ref().unwrap().items.as_ref().unwrap()[1]
                .lambda_function_associations
                .as_ref()
                .unwrap()
                .quantity,
            2
        );
        // The /static/* behavior leads elsewhere and is left exactly as it was.
        let static_key = BehaviorKey(Some("/static/*".into()));
        assert_eq!(associations(&after, &static_key), associations(&before, &static_key));
        // Setting again changes nothing.
        let mut again = after.clone();
        set(&mut again, &ours(Some(V3))).unwrap();
        assert_eq!(again, after);
    }

    #[test]
    fn a_new_version_replaces_the_old_in_place_and_disabling_takes_it_away() {
        let mut config = with_api();
        set(&mut config, &ours(Some(V3))).unwrap();
        let v4 = V3.replace(":3", ":4");
        set(&mut config, &ours(Some(&v4))).unwrap();
        let api = BehaviorKey(Some("/api/*".into()));
        assert_eq!(origin_response(&config, &api).unwrap().lambda_function_arn, v4);
        assert_eq!(associations(&config, &api).unwrap().len(), 2);
        set(&mut config, &ours(None)).unwrap();
        assert_eq!(config, with_api());
    }

    #[test]
    fn another_functions_origin_response_is_refused_and_never_replaced() {
        let mut config = with_api();
        let theirs = "arn:aws:lambda:us-east-1:123456789012:function:rewrite:2";
        put(&mut config, &BehaviorKey(Some("/api/*".into())), Some(association(theirs, EventType::OriginResponse)))
            .unwrap();
        let e = set(&mut config.clone(), &ours(Some(V3))).unwrap_err();
        assert_eq!(e, PlanError::OriginResponseTaken { behavior: "behavior /api/*".into(), arn: theirs.into() });
        // Taking ours away leaves theirs.
        let before = config.clone();
        set(&mut config, &ours(None)).unwrap();
        assert_eq!(config, before);
    }

    #[test]
    fn function_names_are_read_from_arns() {
        assert_eq!(function_of(V3), Some("edgepages-E2EXAMPLE123"));
        assert_eq!(function_of("arn:aws:lambda:us-east-1:1:function:f"), Some("f"));
        assert_eq!(function_of("arn:aws:iam::1:role/f"), None);
        assert!(!is_ours("arn:aws:lambda:eu-west-1:1:function:edgepages-E2EXAMPLE123:1", "edgepages-E2EXAMPLE123"));
    }
}

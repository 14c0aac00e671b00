//! The rollback record: what the parts `publish` owns looked like before it changed them, and
//! how to put exactly those parts back. Parts it does not own are never in the record, so a
//! rollback keeps whatever anyone else changed since.

use aws_sdk_cloudfront::types::{
    AllowedMethods, CachedMethods, DistributionConfig, EventType, LambdaFunctionAssociation, Method, S3OriginConfig,
    ViewerProtocolPolicy,
};
use serde::{Deserialize, Serialize};

use crate::association::{self, BehaviorKey};
use crate::describe::OwnedKeys;
use crate::desired::Desired;
use crate::error::PlanError;
use crate::lists::{behaviors, error_response, origins};
use crate::variant::plan as variant;
use crate::wiring::Wiring;

/// Written next to the pages after each publish that changed the distribution, one per publish
/// ([`crate::records`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackRecord {
    pub format: u32,
    pub distribution_id: String,
    /// When the publish was made (RFC 3339, UTC); absent from format 1 records.
    #[serde(default)]
    pub published_at: Option<String>,
    /// The distribution's ETag just after the publish; a different ETag at rollback time means
    /// someone changed the distribution since.
    pub published_etag: String,
    pub before: OwnedState,
    /// Set once a rollback has undone this publish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<RolledBack>,
}

/// When a rollback undid a publish, and the distribution's ETag after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolledBack {
    pub at: String,
    pub etag: String,
}

/// Format 2 added the publish time and the rollback mark; format 1 records still read.
pub const RECORD_FORMAT: u32 = 2;

/// The owned parts of a distribution config, as they were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedState {
    pub origin_id: String,
    pub origin: Option<OriginFields>,
    pub path_pattern: String,
    pub behavior: Option<BehaviorFields>,
    pub error_responses: Vec<ErrorResponseFields>,
    pub timeouts: Option<TimeoutFields>,
    /// The origin-response associations of the behaviors the Lambda@Edge function goes on;
    /// `None` when publish did not manage them (and in records older than the function).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_response: Option<Vec<OriginResponseFields>>,
    /// Whether the ALB guard's origin header was on the site's origin; `None` when publish did
    /// not manage it. Only its absence is restored (the guard's rules are taken away first):
    /// the secret itself is never recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_header: Option<bool>,
    /// The viewer-request functions and cache policies of the behaviors the Lambda@Edge
    /// function goes on; `None` when publish did not manage them (and in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<Vec<VariantFields>>,
}

/// One behavior's viewer-request CloudFront Function and cache policy as they were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantFields {
    pub behavior: BehaviorKey,
    pub viewer_request: Option<String>,
    pub cache_policy_id: Option<String>,
}

/// One behavior's origin-response association as it was; `arn: None` when it had none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginResponseFields {
    pub behavior: BehaviorKey,
    pub arn: Option<String>,
    pub include_body: Option<bool>,
}

/// The fields of the pages origin that `publish` sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginFields {
    pub domain_name: String,
    pub origin_path: Option<String>,
    /// `None` when the origin had no `S3OriginConfig`.
    pub s3_origin_access_identity: Option<String>,
    pub s3_read_timeout: Option<i32>,
    pub origin_access_control_id: Option<String>,
    pub connection_attempts: Option<i32>,
    pub connection_timeout: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BehaviorFields {
    pub viewer_protocol_policy: String,
    pub compress: Option<bool>,
    pub cache_policy_id: Option<String>,
    /// Allowed and cached methods, in their order; `None` when the behavior had none.
    pub allowed_methods: Option<(Vec<String>, Option<Vec<String>>)>,
}

/// One managed code's error response; `present: false` when the code had none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponseFields {
    pub code: u16,
    pub present: bool,
    pub response_page_path: Option<String>,
    pub response_code: Option<String>,
    pub error_caching_min_ttl: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeoutFields {
    pub origin_id: String,
    pub connection_attempts: Option<i32>,
    pub connection_timeout: Option<i32>,
    pub read_timeout: Option<i32>,
}

impl OwnedState {
    /// Captures the parts of `config` that `desired`, wired as `wiring` says, would change.
    pub fn capture(config: &DistributionConfig, desired: &Desired, wiring: &Wiring) -> OwnedState {
        let origin_id = desired.origin_id();
        let path_pattern = desired.path_pattern();
        let origin = origins(config).iter().find(|o| o.id == origin_id).map(|o| OriginFields {
            domain_name: o.domain_name.clone(),
            origin_path: o.origin_path.clone(),
            s3_origin_access_identity: o.s3_origin_config.as_ref().map(|s| s.origin_access_identity.clone()),
            s3_read_timeout: o.s3_origin_config.as_ref().and_then(|s| s.origin_read_timeout),
            origin_access_control_id: o.origin_access_control_id.clone(),
            connection_attempts: o.connection_attempts,
            connection_timeout: o.connection_timeout,
        });
        let behavior = behaviors(config).iter().find(|b| b.path_pattern == path_pattern).map(|b| BehaviorFields {
            viewer_protocol_policy: b.viewer_protocol_policy.as_str().to_owned(),
            compress: b.compress,
            cache_policy_id: b.cache_policy_id.clone(),
            allowed_methods: b
                .allowed_methods
                .as_ref()
                .map(|m| (names(&m.items), m.cached_methods.as_ref().map(|c| names(&c.items)))),
        });
        let error_responses = desired
            .error_pages
            .iter()
            .map(|page| {
                let r = error_response(config, page.code);
                ErrorResponseFields {
                    code: page.code,
                    present: r.is_some(),
                    response_page_path: r.and_then(|r| r.response_page_path.clone()),
                    response_code: r.and_then(|r| r.response_code.clone()),
                    error_caching_min_ttl: r.and_then(|r| r.error_caching_min_ttl),
                }
            })
            .collect();
        let timeouts = desired.origin_timeouts.as_ref().and_then(|t| {
            origins(config).iter().find(|o| o.id == t.id).map(|o| TimeoutFields {
                origin_id: o.id.clone(),
                connection_attempts: o.connection_attempts,
                connection_timeout: o.connection_timeout,
                read_timeout: o.custom_origin_config.as_ref().and_then(|c| c.origin_read_timeout),
            })
        });
        let origin_response = wiring.edge_function.as_ref().map(|_| {
            association::targets(config)
                .into_iter()
                .map(|key| {
                    let found = association::origin_response(config, &key);
                    OriginResponseFields {
                        arn: found.map(|a| a.lambda_function_arn.clone()),
                        include_body: found.and_then(|a| a.include_body),
                        behavior: key,
                    }
                })
                .collect()
        });
        let origin_header = wiring.origin_header.as_ref().map(|_| crate::origin_verify::secret(config).is_some());
        let variant = wiring.variant.as_ref().map(|_| {
            association::targets(config)
                .into_iter()
                .map(|key| VariantFields {
                    viewer_request: variant::viewer_request_function(config, &key),
                    cache_policy_id: variant::cache_policy_id(config, &key),
                    behavior: key,
                })
                .collect()
        });
        OwnedState {
            origin_id,
            origin,
            path_pattern,
            behavior,
            error_responses,
            timeouts,
            origin_response,
            origin_header,
            variant,
        }
    }

    /// Whether undoing the publish takes the ALB guard away: it put the header on.
    pub fn removes_guard(&self) -> bool {
        self.origin_header == Some(false)
    }

    /// The names of the parts this state covers, to describe a rollback's changes.
    pub fn keys(&self) -> OwnedKeys {
        OwnedKeys {
            origin_id: self.origin_id.clone(),
            path_pattern: self.path_pattern.clone(),
            codes: self.error_responses.iter().map(|r| r.code).collect(),
            timeouts_origin: self.timeouts.as_ref().map(|t| t.origin_id.clone()),
            origin_response: self.origin_response.is_some(),
            origin_header: self.removes_guard(),
            variant: self.variant.is_some(),
        }
    }

    /// `current` with the owned parts put back as captured.
    pub fn restore(&self, current: &DistributionConfig) -> Result<DistributionConfig, PlanError> {
        let mut config = current.clone();
        self.restore_origin(&mut config);
        self.restore_behavior(&mut config)?;
        self.restore_error_responses(&mut config);
        self.restore_timeouts(&mut config);
        if self.removes_guard() {
            crate::origin_verify::set(&mut config, None)?;
        }
        for fields in self.origin_response.iter().flatten() {
            let was = match &fields.arn {
                Some(arn) => Some(
                    LambdaFunctionAssociation::builder()
                        .lambda_function_arn(arn)
                        .event_type(EventType::OriginResponse)
                        .set_include_body(fields.include_body)
                        .build()?,
                ),
                None => None,
            };
            association::put(&mut config, &fields.behavior, was)?;
        }
        for fields in self.variant.iter().flatten() {
            // A function that was not there goes only if it is edgepages' own: one a team put
            // on since stays.
            let now = variant::viewer_request_function(&config, &fields.behavior);
            let function =
                fields.viewer_request.clone().or(now.filter(|arn| !crate::variant::is_edgepages_function(arn)));
            variant::put(&mut config, &fields.behavior, function, fields.cache_policy_id.clone())?;
        }
        Ok(config)
    }

    fn restore_origin(&self, config: &mut DistributionConfig) {
        let Some(origins) = config.origins.as_mut() else { return };
        match &self.origin {
            None => origins.items.retain(|o| o.id != self.origin_id),
            Some(fields) => {
                if let Some(o) = origins.items.iter_mut().find(|o| o.id == self.origin_id) {
                    o.domain_name.clone_from(&fields.domain_name);
                    o.origin_path.clone_from(&fields.origin_path);
                    o.s3_origin_config = fields.s3_origin_access_identity.as_ref().map(|oai| {
                        S3OriginConfig::builder()
                            .origin_access_identity(oai)
                            .set_origin_read_timeout(fields.s3_read_timeout)
                            .build()
                    });
                    o.origin_access_control_id.clone_from(&fields.origin_access_control_id);
                    o.connection_attempts = fields.connection_attempts;
                    o.connection_timeout = fields.connection_timeout;
                }
            }
        }
        origins.quantity = len_i32(origins.items.len());
    }

    fn restore_behavior(&self, config: &mut DistributionConfig) -> Result<(), PlanError> {
        let Some(behaviors) = config.cache_behaviors.as_mut() else { return Ok(()) };
        let items = behaviors.items.get_or_insert_with(Vec::new);
        match &self.behavior {
            None => items.retain(|b| b.path_pattern != self.path_pattern),
            Some(fields) => {
                if let Some(b) = items.iter_mut().find(|b| b.path_pattern == self.path_pattern) {
                    b.viewer_protocol_policy = ViewerProtocolPolicy::from(fields.viewer_protocol_policy.as_str());
                    b.compress = fields.compress;
                    b.cache_policy_id.clone_from(&fields.cache_policy_id);
                    b.allowed_methods = match &fields.allowed_methods {
                        None => None,
                        Some((allowed, cached)) => Some(
                            AllowedMethods::builder()
                                .quantity(len_i32(allowed.len()))
                                .set_items(Some(methods(allowed)))
                                .set_cached_methods(match cached {
                                    Some(c) => Some(
                                        CachedMethods::builder()
                                            .quantity(len_i32(c.len()))
                                            .set_items(Some(methods(c)))
                                            .build()?,
                                    ),
                                    None => None,
                                })
                                .build()?,
                        ),
                    };
                }
            }
        }
        behaviors.quantity = len_i32(items.len());
        if items.is_empty() {
            behaviors.items = None;
        }
        Ok(())
    }

    fn restore_error_responses(&self, config: &mut DistributionConfig) {
        let Some(responses) = config.custom_error_responses.as_mut() else { return };
        let items = responses.items.get_or_insert_with(Vec::new);
        for fields in &self.error_responses {
            let code = i32::from(fields.code);
            if !fields.present {
                items.retain(|r| r.error_code != code);
            } else if let Some(r) = items.iter_mut().find(|r| r.error_code == code) {
                r.response_page_path.clone_from(&fields.response_page_path);
                r.response_code.clone_from(&fields.response_code);
                r.error_caching_min_ttl = fields.error_caching_min_ttl;
            }
        }
        responses.quantity = len_i32(items.len());
        if items.is_empty() {
            responses.items = None;
        }
    }

    fn restore_timeouts(&self, config: &mut DistributionConfig) {
        let Some(fields) = &self.timeouts else { return };
        let Some(origins) = config.origins.as_mut() else { return };
        if let Some(o) = origins.items.iter_mut().find(|o| o.id == fields.origin_id) {
            o.connection_attempts = fields.connection_attempts;
            o.connection_timeout = fields.connection_timeout;
            if let Some(custom) = o.custom_origin_config.as_mut() {
                custom.origin_read_timeout = fields.read_timeout;
            }
        }
    }
}

fn names(methods: &[Method]) -> Vec<String> {
    methods.iter().map(|m| m.as_str().to_owned()).collect()
}

fn methods(names: &[String]) -> Vec<Method> {
    names.iter().map(|n| Method::from(n.as_str())).collect()
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudfront::types::{CacheBehaviors, CustomErrorResponses};
    use edgepages_core::config::OriginTimeouts;

    use super::*;
    use crate::describe::describe;
    use crate::distribution::with_desired;
    use crate::fixtures::desired;
    use crate::fixtures::existing;

    fn with_timeouts() -> Desired {
        let mut d = desired();
        d.origin_timeouts = Some(OriginTimeouts {
            id: "alb".into(),
            connection_attempts: Some(1),
            connection_timeout: Some(2),
            read_timeout: Some(9),
        });
        d
    }

    #[test]
    fn restore_after_publish_gives_back_the_original_exactly() {
        let d = with_timeouts();
        let original = existing();
        let state = OwnedState::capture(&original, &d, &Wiring::default());
        let published = with_desired(&original, &d, &Wiring::default(), "OAC1").unwrap();
        assert_ne!(published, original);
        assert_eq!(state.restore(&published).unwrap(), original);
    }

    #[test]
    fn a_publish_that_put_the_guards_header_on_rolls_back_without_it_and_one_that_found_it_keeps_it() {
        use crate::origin_verify::{OriginHeader, secret};
        let d = desired();
        let w = Wiring { origin_header: Some(OriginHeader::Set("s3cret".into())), ..Wiring::default() };
        let original = existing();
        let state = OwnedState::capture(&original, &d, &w);
        let published = with_desired(&original, &d, &w, "OAC1").unwrap();
        assert_eq!(secret(&published), Some("s3cret"));
        let restored = state.restore(&published).unwrap();
        assert_eq!(secret(&restored), None);
        assert_eq!(restored, original);
        assert!(describe(&published, &restored, &state.keys()).iter().any(|c| c.target == "origin header"));

        // Published again over a distribution that already had it: the rollback leaves it.
        let again = OwnedState::capture(&published, &d, &w);
        assert_eq!(secret(&again.restore(&published).unwrap()), Some("s3cret"));
    }

    #[test]
    fn restore_puts_each_behaviors_viewer_request_function_and_cache_policy_back_and_keeps_theirs() {
        use crate::association::BehaviorKey;
        use crate::variant::plan::VariantEdit;
        use crate::variant::plan::{Mode, Names, VariantPlan, cache_policy_id, put, viewer_request_function};
        use crate::variant::{FunctionSpec, VariantSpec};
        let function =
            |kind: &str| FunctionSpec { name: format!("edgepages-{kind}-E2EXAMPLE123"), code: String::new() };
        let spec = VariantSpec {
            enabled: true,
            per_viewer_function: function("variant"),
            shared_function: function("shared"),
            per_viewer: Vec::new(),
        };
        let shared_arn = "arn:aws:cloudfront::123456789012:function/edgepages-shared-E2EXAMPLE123";
        let keyed_arn = "arn:aws:cloudfront::123456789012:function/edgepages-variant-E2EXAMPLE123";
        let mut names = Names::default();
        names.functions.insert(spec.shared_function.name.clone(), shared_arn.into());
        names.functions.insert(spec.per_viewer_function.name.clone(), keyed_arn.into());
        names.copies.insert("own".into(), "copy-1".into());
        let default = BehaviorKey(None);
        let plan = |mode: Mode| VariantPlan { behaviors: vec![(default.clone(), mode)], steps: Vec::new() };
        let mut original = existing();
        original.default_cache_behavior.as_mut().unwrap().cache_policy_id = Some("own".into());
        let d = desired();
        let mut w = Wiring {
            variant: Some(VariantEdit {
                spec: spec.clone(),
                plan: plan(Mode::Keyed { policy: "own".into() }),
                names: names.clone(),
            }),
            ..Wiring::default()
        };
        let state = OwnedState::capture(&original, &d, &w);
        let published = with_desired(&original, &d, &w, "OAC1").unwrap();
        assert_eq!(cache_policy_id(&published, &default).as_deref(), Some("copy-1"));
        assert_eq!(viewer_request_function(&published, &default).as_deref(), Some(keyed_arn));
        assert!(
            describe(&original, &published, &state.keys()).iter().any(|c| c.target == "cache policy, default behavior")
        );
        assert_eq!(state.restore(&published).unwrap(), original);

        // A function the team put on since stays; only edgepages' own goes.
        let mut theirs_since = published.clone();
        let theirs = "arn:aws:cloudfront::123456789012:function/their-rewrite";
        put(&mut theirs_since, &default, Some(theirs.into()), None).unwrap();
        let restored = state.restore(&theirs_since).unwrap();
        assert_eq!(viewer_request_function(&restored, &default).as_deref(), Some(theirs));
        assert_eq!(cache_policy_id(&restored, &default).as_deref(), Some("own"));

        // From keyed to shared and back: the record of the second publish gives back the first.
        w.variant.as_mut().unwrap().plan = plan(Mode::Shared { policy: "own".into() });
        let second_state = OwnedState::capture(&published, &d, &w);
        let second = with_desired(&published, &d, &w, "OAC1").unwrap();
        assert_eq!(viewer_request_function(&second, &default).as_deref(), Some(shared_arn));
        assert_eq!(cache_policy_id(&second, &default).as_deref(), Some("own"));
        assert_eq!(second_state.restore(&second).unwrap(), published);
        // Older records, written before the variant, read as none.
        let mut old = serde_json::to_value(&second_state).unwrap();
        old.as_object_mut().unwrap().remove("variant");
        assert_eq!(serde_json::from_value::<OwnedState>(old).unwrap().variant, None);
    }

    #[test]
    fn restore_puts_the_previous_function_associations_back() {
        use crate::association::{BehaviorKey, EdgeFunction, origin_response};
        let arn = |v: u32| format!("arn:aws:lambda:us-east-1:123456789012:function:edgepages-E2EXAMPLE123:{v}");
        let d = desired();
        let mut w = Wiring {
            edge_function: Some(EdgeFunction { name: "edgepages-E2EXAMPLE123".into(), version_arn: Some(arn(1)) }),
            ..Wiring::default()
        };
        let original = existing();
        let first = with_desired(&original, &d, &w, "OAC1").unwrap();
        let state = OwnedState::capture(&original, &d, &w);
        assert_eq!(state.restore(&first).unwrap(), original);

        w.edge_function.as_mut().unwrap().version_arn = Some(arn(2));
        let state = OwnedState::capture(&first, &d, &w);
        let second = with_desired(&first, &d, &w, "OAC1").unwrap();
        let restored = state.restore(&second).unwrap();
        assert_eq!(origin_response(&restored, &BehaviorKey(None)).unwrap().lambda_function_arn, arn(1));
        assert_eq!(restored, first);
        // A record survives JSON, and one written before the function existed reads as none.
        let text = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<OwnedState>(&text).unwrap(), state);
        let mut old = serde_json::to_value(&state).unwrap();
        old.as_object_mut().unwrap().remove("origin_response");
        assert_eq!(serde_json::from_value::<OwnedState>(old).unwrap().origin_response, None);
    }

    #[test]
    fn restore_of_a_fresh_distribution_leaves_no_empty_lists_behind() {
        let d = desired();
        let mut original = existing();
        original.cache_behaviors = Some(CacheBehaviors::builder().quantity(0).build().unwrap());
        original.custom_error_responses = Some(CustomErrorResponses::builder().quantity(0).build().unwrap());
        let state = OwnedState::capture(&original, &d, &Wiring::default());
        let published = with_desired(&original, &d, &Wiring::default(), "OAC1").unwrap();
        assert_eq!(state.restore(&published).unwrap(), original);
    }

    #[test]
    fn a_second_publish_rolls_back_to_the_first() {
        let d = desired();
        let first = with_desired(&existing(), &d, &Wiring::default(), "OAC1").unwrap();
        let mut d2 = d.clone();
        d2.error_ttl = 5;
        let state = OwnedState::capture(&first, &d2, &Wiring::default());
        let second = with_desired(&first, &d2, &Wiring::default(), "OAC1").unwrap();
        assert_eq!(state.restore(&second).unwrap(), first);
    }

    #[test]
    fn changes_made_by_others_since_survive_a_rollback() {
        let d = desired();
        let original = existing();
        let state = OwnedState::capture(&original, &d, &Wiring::default());
        let mut published = with_desired(&original, &d, &Wiring::default(), "OAC1").unwrap();
        published.comment = "changed by the platform team".into();
        let restored = state.restore(&published).unwrap();
        assert_eq!(restored.comment, "changed by the platform team");
        let mut expected = original;
        expected.comment = "changed by the platform team".into();
        assert_eq!(restored, expected);
    }

    #[test]
    fn the_record_round_trips_through_json() {
        let record = RollbackRecord {
            format: RECORD_FORMAT,
            distribution_id: "E2EXAMPLE123".into(),
            published_at: Some("2026-12-02T08:10:50Z".into()),
            published_etag: "E1".into(),
            rolled_back: Some(RolledBack { at: "2026-12-02T09:00:00Z".into(), etag: "E2".into() }),
            before: OwnedState::capture(
                &with_desired(&existing(), &with_timeouts(), &Wiring::default(), "OAC1").unwrap(),
                &with_timeouts(),
                &Wiring::default(),
            ),
        };
        let text = serde_json::to_string(&record).unwrap();
        assert_eq!(serde_json::from_str::<RollbackRecord>(&text).unwrap(), record);
    }

    #[test]
    fn a_format_1_record_still_reads() {
        let mut record = RollbackRecord {
            format: 1,
            distribution_id: "E2EXAMPLE123".into(),
            published_at: None,
            published_etag: "E1".into(),
            before: OwnedState::capture(&existing(), &desired(), &Wiring::default()),
            rolled_back: None,
        };
        let mut v = serde_json::to_value(&record).unwrap();
        v.as_object_mut().unwrap().remove("published_at");
        assert_eq!(serde_json::from_value::<RollbackRecord>(v).unwrap(), record);
        record.format = RECORD_FORMAT;
        assert!(!serde_json::to_string(&record).unwrap().contains("rolled_back"));
    }
}

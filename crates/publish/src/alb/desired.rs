//! The rules `maintenance on` wants: the maintenance rule (every path, a fixed 503 with the
//! compact page) and, for the team's addresses or its secret header, a bypass that routes a
//! request exactly as the listener did before maintenance. ALB conditions cannot be negated, so
//! the bypass is rules of its own at higher priorities, not an exception inside the maintenance
//! rule; and a rule that matches ends the evaluation, so one rule forwarding as the default
//! action does would skip every rule of the team's (a path rule to another target group, a host
//! rule answering 403, an authenticate action). The bypass is therefore a [`bypass_block`]: a
//! copy of each rule of the listener but maintenance's, in their order, each with the bypass
//! condition added, then a rule that forwards what is left as the default action does.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, HttpHeaderConditionConfig, PathPatternConditionConfig,
    RuleCondition, SourceIpConditionConfig,
};

use super::error::AlbPlanError;
use super::listener::{FoundListener, FoundRule, describe_conditions};
use super::listener::{RuleSpec, condition_key, normalised};

/// Condition values an ALB rule may hold in all: the quota "condition values per rule" (the
/// config's check says, from it, which rules bypass networks leave uncopied).
pub use edgepages_core::config::MAX_CONDITION_VALUES;

/// What the config and the command line ask of the listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// The compact page, at most 1024 characters.
    pub page: String,
    /// The promised end (RFC 3339), if any.
    pub until: Option<String>,
    /// The team's networks; no bypass rule when empty.
    pub bypass_cidrs: Vec<String>,
    /// The team's secret header; no header bypass rule when `None`.
    pub bypass_header: Option<BypassHeader>,
}

/// A header name and its secret value, which is never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct BypassHeader {
    pub name: String,
    pub secret: String,
}

impl std::fmt::Debug for BypassHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BypassHeader({}: (secret))", self.name)
    }
}

impl RuleSpec {
    /// The maintenance rule: every path answered with the page, as a 503.
    pub fn maintenance(page: &str) -> RuleSpec {
        RuleSpec { conditions: maintenance_conditions(), actions: maintenance_actions(page), transforms: Vec::new() }
    }

    /// The last rule of a bypass block: requests matching `conditions` that none of the block's
    /// copies matched, forwarded as the listener's `default_actions`.
    pub fn bypass(conditions: Vec<RuleCondition>, default_actions: &[Action]) -> RuleSpec {
        RuleSpec { conditions, actions: numbered(default_actions), transforms: Vec::new() }
    }

    /// `rule` for requests that also match `extra` (`with`, in words) only: its conditions and
    /// `extra` (all must match), its actions and its transforms. Refused when the copy would
    /// hold more condition values than a rule may.
    pub fn copy_of(rule: &FoundRule, extra: &[RuleCondition], with: &str) -> Result<RuleSpec, AlbPlanError> {
        // "Each rule can optionally include up to one of each of the following conditions:
        // host-header, http-request-method, path-pattern, and source-ip" (listener-rules.html).
        let once = ["host-header", "http-request-method", "path-pattern", "source-ip"];
        if let Some(field) = extra
            .iter()
            .filter_map(|c| c.field.as_deref())
            .find(|f| once.contains(f) && rule.conditions.iter().any(|c| c.field.as_deref() == Some(*f)))
        {
            return Err(AlbPlanError::CopyTwice {
                priority: rule.priority,
                arn: rule.arn.clone(),
                field: field.to_owned(),
                with: with.to_owned(),
            });
        }
        let mut conditions: Vec<RuleCondition> = rule.conditions.iter().map(without_legacy_values).collect();
        conditions.extend(extra.iter().cloned());
        let values: usize = conditions.iter().map(|c| condition_key(c).1.len().max(1)).sum();
        if values > MAX_CONDITION_VALUES {
            return Err(AlbPlanError::CopyOverLimit {
                priority: rule.priority,
                arn: rule.arn.clone(),
                values,
                with: with.to_owned(),
            });
        }
        Ok(RuleSpec { conditions, actions: numbered(&rule.actions), transforms: rule.transforms.clone() })
    }
}

/// A bypass for requests matching `conditions` (`with`, in words): a copy of each rule of
/// `found` but maintenance's (the team's and the guard's alike), in priority order, each limited
/// to those requests, then [`RuleSpec::bypass`]. The ALB evaluates rules lowest priority first
/// and the first whose conditions all match wins, the default action last; so a request matching
/// `conditions` is answered by the first copy whose original matches it, which is the rule that
/// answered it before maintenance, or by the default action when none does: routed exactly as
/// before, whatever the rules do (forward elsewhere, answer 403, authenticate first).
///
/// One exception, never in the bypass's favour: an `authenticate-oidc` action cannot be copied,
/// as the ALB never gives its client secret back (DescribeRules leaves it out) and CreateRule
/// requires it (AuthenticateOidcActionConfig, ClientSecret: "required if you are creating a
/// rule"). The copy of such a rule answers with `page` instead, so that the bypass never gets
/// past a login; those rules come back in [`Block::held`].
pub fn bypass_block(
    found: &FoundListener,
    conditions: &[RuleCondition],
    with: &str,
    page: &str,
) -> Result<Block, AlbPlanError> {
    let mut kept: Vec<&FoundRule> =
        found.rules.iter().filter(|r| !r.role.is_some_and(super::Role::is_maintenance)).collect();
    kept.sort_by_key(|r| r.priority);
    let mut block = Block { specs: Vec::with_capacity(kept.len() + 1), held: Vec::new() };
    for rule in kept {
        let mut copy = RuleSpec::copy_of(rule, conditions, with)?;
        if rule.actions.iter().any(|a| a.r#type == Some(ActionTypeEnum::AuthenticateOidc)) {
            copy.actions = maintenance_actions(page);
            copy.transforms = Vec::new();
            block.held.push(format!("{}: {}", rule.priority, describe_conditions(&rule.conditions)));
        }
        block.specs.push(copy);
    }
    block.specs.push(RuleSpec::bypass(conditions.to_vec(), &found.default_actions));
    Ok(block)
}

/// A bypass block's rules, in order, and the team's rules whose copies answer with the page
/// (`priority: what they match`).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub specs: Vec<RuleSpec>,
    pub held: Vec<String>,
}

/// A condition as a rule accepts it back: DescribeRules returns the values both in the legacy
/// `Values` and in the condition's config, and CreateRule takes only one of them.
pub fn without_legacy_values(c: &RuleCondition) -> RuleCondition {
    let mut c = c.clone();
    let has_config = c.host_header_config.is_some()
        || c.path_pattern_config.is_some()
        || c.http_header_config.is_some()
        || c.query_string_config.is_some()
        || c.http_request_method_config.is_some()
        || c.source_ip_config.is_some();
    if has_config {
        c.values = None;
    }
    c
}

/// Actions numbered in their order, as a new rule's must be.
pub fn numbered(actions: &[Action]) -> Vec<Action> {
    normalised(actions)
        .into_iter()
        .zip(1..)
        .map(|(mut a, order)| {
            a.order = Some(order);
            a
        })
        .collect()
}

/// Requests carrying the header with its secret.
pub fn bypass_header_conditions(header: &BypassHeader) -> Vec<RuleCondition> {
    vec![
        RuleCondition::builder()
            .field("http-header")
            .http_header_config(
                HttpHeaderConditionConfig::builder().http_header_name(&header.name).values(&header.secret).build(),
            )
            .build(),
    ]
}

/// Every path.
pub fn maintenance_conditions() -> Vec<RuleCondition> {
    vec![
        RuleCondition::builder()
            .field("path-pattern")
            .path_pattern_config(PathPatternConditionConfig::builder().values("*").build())
            .build(),
    ]
}

/// A 503 with the page.
pub fn maintenance_actions(page: &str) -> Vec<Action> {
    vec![
        Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .order(1)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code("503")
                    .content_type(edgepages_core::compact::CONTENT_TYPE)
                    .message_body(page)
                    .build(),
            )
            .build(),
    ]
}

/// The team's networks.
pub fn bypass_conditions(cidrs: &[String]) -> Vec<RuleCondition> {
    vec![
        RuleCondition::builder()
            .field("source-ip")
            .source_ip_config(SourceIpConditionConfig::builder().set_values(Some(cidrs.to_vec())).build())
            .build(),
    ]
}

/// Whether `rule` is written as `spec`: the same conditions, actions and transforms.
pub fn same_spec(rule: &FoundRule, spec: &RuleSpec) -> bool {
    same_conditions(&rule.conditions, &spec.conditions)
        && normalised(&rule.actions) == normalised(&spec.actions)
        && rule.transforms == spec.transforms
}

/// Whether two lists of conditions match the same requests.
pub fn same_conditions(a: &[RuleCondition], b: &[RuleCondition]) -> bool {
    let keys = |list: &[RuleCondition]| {
        let mut keys: Vec<_> = list.iter().map(condition_key).collect();
        keys.sort();
        keys
    };
    keys(a) == keys(b)
}

/// The fixed response's body, if the actions are one fixed response.
pub fn fixed_body(actions: &[Action]) -> Option<&str> {
    match actions {
        [a] if a.r#type == Some(ActionTypeEnum::FixedResponse) => {
            a.fixed_response_config.as_ref().and_then(|f| f.message_body.as_deref())
        }
        _ => None,
    }
}

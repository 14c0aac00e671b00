//! The listener as read ([`FoundListener`]: its default actions, and its rules with the tags
//! that say which are edgepages'), the writes a plan makes to it ([`RuleStep`]), and its rules in
//! words, for plans, for `status`, and for saying what others changed between a read and a
//! write. Header values are secrets, so they are only ever shown by fingerprint.

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, RuleCondition, RuleTransform};
use serde::Serialize;

use super::Role;

/// One rule of the listener, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundRule {
    pub arn: String,
    pub priority: u32,
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<Action>,
    /// Rewrites the rule makes (host header, URL), kept on the guard's copies.
    pub transforms: Vec<RuleTransform>,
    /// Which of edgepages' rules it is, by its tag; `None` for everyone else's.
    pub role: Option<Role>,
    /// The maintenance rule's promised end, from its tag.
    pub until: Option<String>,
}

/// The listener as read: its default actions and every rule but the default one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FoundListener {
    pub default_actions: Vec<Action>,
    pub rules: Vec<FoundRule>,
    /// The load balancer the listener belongs to, as DescribeListeners said.
    pub load_balancer_arn: Option<String>,
}

impl FoundListener {
    /// edgepages' rules of `role`.
    pub fn ours(&self, role: Role) -> Vec<&FoundRule> {
        self.rules.iter().filter(|r| r.role == Some(role)).collect()
    }

    /// Everyone else's rules.
    pub fn others(&self) -> impl Iterator<Item = &FoundRule> {
        self.rules.iter().filter(|r| r.role.is_none())
    }
}

/// One write, in the order they are made, maintenance's or the guard's, with the rule it
/// writes. A spec can hold a secret (the bypass header's, the origin header's), so it is never
/// serialised.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum RuleStep {
    Create {
        role: Role,
        priority: u32,
        #[serde(skip)]
        spec: RuleSpec,
    },
    Modify {
        role: Role,
        arn: String,
        #[serde(skip)]
        spec: RuleSpec,
    },
    Delete {
        role: Role,
        arn: String,
    },
    /// Rules of edgepages' own given new priorities in one SetRulePriorities call, their order
    /// kept: the guard's, moved after the maintenance rule to make room before it.
    Move {
        moves: Vec<Moved>,
    },
}

/// One rule a [`RuleStep::Move`] renumbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    pub role: Role,
    pub arn: String,
    pub from: u32,
    pub to: u32,
}

/// A line per rule of others and the default actions: what a re-read compares to refuse a
/// write when anyone changed the listener since it was planned.
pub fn others_state(found: &FoundListener) -> Vec<String> {
    let mut lines = vec![format!("default action: {}", describe_actions(&found.default_actions))];
    let mut others: Vec<&FoundRule> = found.others().collect();
    others.sort_by_key(|r| r.priority);
    lines.extend(others.iter().map(|r| format!("rule {} at priority {}: {}", r.arn, r.priority, describe_rule(r))));
    lines
}

/// What changed between two [`others_state`]s, in words; empty when nothing did.
pub fn drift(before: &[String], now: &[String]) -> Vec<String> {
    let mut said: Vec<String> = before.iter().filter(|l| !now.contains(l)).map(|l| format!("was: {l}")).collect();
    said.extend(now.iter().filter(|l| !before.contains(l)).map(|l| format!("now: {l}")));
    said
}

/// A rule in words (header values by fingerprint only).
pub fn describe_rule(rule: &FoundRule) -> String {
    format!("{} → {}", describe_conditions(&rule.conditions), describe_actions(&rule.actions))
}

/// Conditions in words: `field values and field values`. A header condition's values are
/// often secrets (the guard's, the bypass's, or a team's own), so they are shown only by
/// fingerprint: enough to see that one changed.
pub fn describe_conditions(conditions: &[RuleCondition]) -> String {
    let conditions: Vec<String> = conditions
        .iter()
        .map(|c| {
            let (field, mut values) = condition_key(c);
            if c.http_header_config.is_some() || c.field.as_deref() == Some("http-header") {
                values =
                    values.iter().map(|v| format!("(secret, fingerprint {})", crate::secret::fingerprint(v))).collect();
            }
            format!("{field} {}", values.join(" | "))
        })
        .collect();
    conditions.join(" and ")
}

pub fn describe_actions(actions: &[Action]) -> String {
    normalised(actions)
        .iter()
        .map(|a| {
            let kind = a.r#type.as_ref().map_or("?", ActionTypeEnum::as_str);
            if let Some(f) = &a.fixed_response_config {
                format!(
                    "{kind} {} {} ({} characters)",
                    f.status_code.as_deref().unwrap_or(""),
                    f.content_type.as_deref().unwrap_or(""),
                    f.message_body.as_deref().map_or(0, |b| b.chars().count())
                )
            } else if let Some(tg) = &a.target_group_arn {
                format!("{kind} {tg}")
            } else if let Some(forward) = &a.forward_config {
                let groups: Vec<&str> =
                    forward.target_groups.iter().flatten().filter_map(|t| t.target_group_arn.as_deref()).collect();
                format!("{kind} {}", groups.join(", "))
            } else {
                kind.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", then ")
}

/// A rule's content, as written: what it matches, what it does, and its transforms.
#[derive(Clone, PartialEq)]
pub struct RuleSpec {
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<Action>,
    pub transforms: Vec<RuleTransform>,
}

/// Header conditions hold secrets (the bypass header's, the guard's origin header's), so a
/// spec shows what each condition matches with those values hidden.
impl std::fmt::Debug for RuleSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let conditions: Vec<String> = self
            .conditions
            .iter()
            .map(|c| {
                let (field, values) = condition_key(c);
                if field.starts_with("http-header") {
                    format!("{field}: (secret)")
                } else {
                    format!("{field} {values:?}")
                }
            })
            .collect();
        f.debug_struct("RuleSpec")
            .field("conditions", &conditions)
            .field("actions", &self.actions)
            .field("transforms", &self.transforms)
            .finish()
    }
}

/// What a condition matches, whichever way it was written: its field (with the header's name,
/// lower-cased, for `http-header`) and its sorted values.
pub fn condition_key(c: &RuleCondition) -> (String, Vec<String>) {
    let query = c.query_string_config.as_ref().and_then(|q| q.values.as_ref()).map(|pairs| {
        pairs
            .iter()
            .map(|p| format!("{}={}", p.key.as_deref().unwrap_or(""), p.value.as_deref().unwrap_or("")))
            .collect::<Vec<_>>()
    });
    let regex = |r: Option<&Vec<String>>| r.map(|r| r.iter().map(|v| format!("regex:{v}")).collect::<Vec<_>>());
    let mut values: Vec<String> = [
        c.path_pattern_config.as_ref().and_then(|p| p.values.clone()),
        c.path_pattern_config.as_ref().and_then(|p| regex(p.regex_values.as_ref())),
        c.source_ip_config.as_ref().and_then(|p| p.values.clone()),
        c.host_header_config.as_ref().and_then(|p| p.values.clone()),
        c.host_header_config.as_ref().and_then(|p| regex(p.regex_values.as_ref())),
        c.http_header_config.as_ref().and_then(|p| p.values.clone()),
        c.http_header_config.as_ref().and_then(|p| regex(p.regex_values.as_ref())),
        c.http_request_method_config.as_ref().and_then(|p| p.values.clone()),
        query,
        regex(c.regex_values.as_ref()),
        c.values.clone(),
    ]
    .into_iter()
    .flatten()
    .flatten()
    .collect();
    values.sort();
    values.dedup();
    let mut field = c.field.clone().unwrap_or_default();
    if let Some(name) = c.http_header_config.as_ref().and_then(|h| h.http_header_name.as_deref()) {
        field = format!("{field} {}", name.to_ascii_lowercase());
    }
    (field, values)
}

/// Actions as compared: in their order, with the order numbers themselves left out (the ALB
/// fills them in).
pub fn normalised(actions: &[Action]) -> Vec<Action> {
    let mut sorted = actions.to_vec();
    sorted.sort_by_key(|a| a.order.unwrap_or(0));
    sorted
        .into_iter()
        .map(|mut a| {
            a.order = None;
            a
        })
        .collect()
}

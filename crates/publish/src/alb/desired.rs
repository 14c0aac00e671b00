//! The rules `maintenance on` wants: the maintenance rule (every path, a fixed 503 with the
//! compact page) and, for the team's addresses, a bypass rule that forwards exactly as the
//! listener's default action does. ALB conditions cannot be negated, so the bypass is a rule of
//! its own at a higher priority, not an exception inside the maintenance rule.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, HttpHeaderConditionConfig, PathPatternConditionConfig,
    RuleCondition, RuleTransform, SourceIpConditionConfig,
};

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

impl RuleSpec {
    /// The maintenance rule: every path answered with the page, as a 503.
    pub fn maintenance(page: &str) -> RuleSpec {
        RuleSpec { conditions: maintenance_conditions(), actions: maintenance_actions(page), transforms: Vec::new() }
    }

    /// A bypass rule: requests matching `conditions` forwarded as the listener's `default_actions`.
    pub fn bypass(conditions: Vec<RuleCondition>, default_actions: &[Action]) -> RuleSpec {
        RuleSpec { conditions, actions: numbered(default_actions), transforms: Vec::new() }
    }
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

/// Whether two lists of conditions match the same requests.
pub fn same_conditions(a: &[RuleCondition], b: &[RuleCondition]) -> bool {
    let keys = |list: &[RuleCondition]| {
        let mut keys: Vec<_> = list.iter().map(condition_key).collect();
        keys.sort();
        keys
    };
    keys(a) == keys(b)
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

/// The fixed response's body, if the actions are one fixed response.
pub fn fixed_body(actions: &[Action]) -> Option<&str> {
    match actions {
        [a] if a.r#type == Some(ActionTypeEnum::FixedResponse) => {
            a.fixed_response_config.as_ref().and_then(|f| f.message_body.as_deref())
        }
        _ => None,
    }
}

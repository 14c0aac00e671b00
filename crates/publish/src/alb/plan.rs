//! The listener's plan: a pure function of the listener as read ([`Found`]) and what is
//! [`Wanted`], listing the rule writes in the order they are made. Only rules tagged as
//! edgepages' are ever changed or removed; nobody else's rule, priority or default action is.
//! Also `status`, and the description of anything others changed between a read and a write.

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, RuleCondition, RuleTransform};
use serde::Serialize;

use super::desired::{
    RuleSpec, Wanted, bypass_conditions, bypass_header_conditions, condition_key, fixed_body, maintenance_actions,
    maintenance_conditions, normalised, same_conditions,
};
use super::{MAX_RULES, Role};
use crate::describe::{Change, ChangeKind};

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
pub struct Found {
    pub default_actions: Vec<Action>,
    pub rules: Vec<FoundRule>,
    /// The load balancer the listener belongs to, as DescribeListeners said.
    pub load_balancer_arn: Option<String>,
}

impl Found {
    fn ours(&self, role: Role) -> Vec<&FoundRule> {
        self.rules.iter().filter(|r| r.role == Some(role)).collect()
    }

    fn others(&self) -> impl Iterator<Item = &FoundRule> {
        self.rules.iter().filter(|r| r.role.is_none())
    }

    /// Where the guard's rules begin, if it is there: maintenance's rules must come before.
    fn guard_first(&self) -> Option<u32> {
        self.rules.iter().filter(|r| r.role.is_some_and(|role| !role.is_maintenance())).map(|r| r.priority).min()
    }
}

/// One write, in the order they are made, maintenance's or the guard's, with the rule it
/// writes. A spec can hold a secret (the bypass header's, the origin header's), so it is never
/// serialised.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlbPlan {
    pub steps: Vec<Step>,
    pub changes: Vec<Change>,
    /// Others' rules evaluated before the maintenance rule, which still reach their targets:
    /// `priority: what they match`.
    pub ahead: Vec<String>,
}

impl AlbPlan {
    pub fn write_count(&self) -> usize {
        self.steps.len()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlbPlanError {
    #[error(
        "the listener has {count} {role} rules tagged {tag}={role}; edgepages makes one. Delete the extra ones \
         ({arns}), then run this again",
        tag = super::ROLE_TAG, role = role.as_str(), arns = arns.join(", ")
    )]
    Duplicate { role: Role, count: usize, arns: Vec<String> },
    #[error(
        "no free priority is left before the maintenance rule (priority {maintenance}) for the bypass rule; \
         run `edgepages maintenance off`, then `on` again"
    )]
    NoPriorityBeforeMaintenance { maintenance: u32 },
    #[error(
        "no free priority is left before edgepages' guard rules (from priority {guard}) for maintenance's rules, \
         which must come first; remove [alb] canonical_host and publish, then run this again"
    )]
    NoPriorityBeforeGuard { guard: u32 },
    #[error(
        "the guard cannot copy rule {arn} (priority {priority}) for CloudFront's requests: with the origin header \
         it would have {values} condition values, over the ALB's limit of {max} per rule; split the rule or drop a value",
        max = super::guard::MAX_CONDITION_VALUES
    )]
    CopyOverLimit { priority: u32, arn: String, values: usize },
    #[error(
        "the listener would have {would} rules, over the ALB's limit of {MAX_RULES} per listener; remove some rules \
         (or drop [alb] bypass_cidrs) and run this again"
    )]
    TooManyRules { would: usize },
}

/// The lowest priorities are evaluated first.
const TOP: u32 = 1;
const LOWEST: u32 = 50_000;

fn free_priority(taken: &[u32], from: u32, below: u32) -> Option<u32> {
    (from..below).find(|p| !taken.contains(p))
}

fn single(found: &Found, role: Role) -> Result<Option<&FoundRule>, AlbPlanError> {
    match found.ours(role).as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => {
            Err(AlbPlanError::Duplicate { role, count: many.len(), arns: many.iter().map(|r| r.arn.clone()).collect() })
        }
    }
}

/// `maintenance on`: the maintenance rule, and the bypass rule when there are bypass networks.
pub fn plan_on(found: &Found, wanted: &Wanted) -> Result<AlbPlan, AlbPlanError> {
    let maintenance = single(found, Role::Maintenance)?;
    // Every rule but ours for maintenance keeps its priority; the guard's included.
    let mut taken: Vec<u32> =
        found.rules.iter().filter(|r| !r.role.is_some_and(Role::is_maintenance)).map(|r| r.priority).collect();
    taken.extend(maintenance.map(|r| r.priority));
    let guard_first = found.guard_first();
    let mut steps = Vec::new();
    let mut changes = Vec::new();

    // The bypasses first, so that the team is never locked out while the page goes up.
    let by_address = (!wanted.bypass_cidrs.is_empty())
        .then(|| (bypass_conditions(&wanted.bypass_cidrs), wanted.bypass_cidrs.join(", ")));
    let by_header = wanted
        .bypass_header
        .as_ref()
        .map(|h| (bypass_header_conditions(h), format!("header {}: (secret)", h.name.to_ascii_lowercase())));
    let mut bypass_priority = None;
    for (role, want) in [(Role::Bypass, by_address), (Role::BypassHeader, by_header)] {
        let priority = plan_bypass(found, role, want, maintenance, &taken, &mut steps, &mut changes)?;
        taken.extend(priority);
        bypass_priority = bypass_priority.max(priority);
    }

    let page_summary = || {
        format!(
            "every path → 503, {} characters{}",
            wanted.page.chars().count(),
            wanted.until.as_deref().map_or_else(String::new, |u| format!(", until {u}"))
        )
    };
    let maintenance_priority = match maintenance {
        None => {
            let priority =
                free_priority(&taken, bypass_priority.map_or(TOP, |b| b + 1), guard_first.unwrap_or(LOWEST + 1))
                    .ok_or_else(|| match guard_first {
                        Some(guard) => AlbPlanError::NoPriorityBeforeGuard { guard },
                        None => AlbPlanError::TooManyRules { would: found.rules.len() + 1 },
                    })?;
            steps.push(Step::Create { role: Role::Maintenance, priority, spec: RuleSpec::maintenance(&wanted.page) });
            changes.push(change(
                ChangeKind::Add,
                format!("maintenance rule, priority {priority}"),
                None,
                Some(page_summary()),
            ));
            priority
        }
        Some(rule) => {
            let page_matches = fixed_body(&rule.actions) == Some(wanted.page.as_str())
                && normalised(&rule.actions) == normalised(&maintenance_actions(&wanted.page))
                && same_conditions(&rule.conditions, &maintenance_conditions());
            if !page_matches || rule.until != wanted.until {
                let spec = RuleSpec::maintenance(&wanted.page);
                steps.push(Step::Modify { role: Role::Maintenance, arn: rule.arn.clone(), spec });
                changes.push(change(
                    ChangeKind::Modify,
                    format!("maintenance rule, priority {}", rule.priority),
                    Some(describe_rule(rule)),
                    Some(page_summary()),
                ));
            }
            rule.priority
        }
    };

    let would = found.rules.iter().filter(|r| !r.role.is_some_and(Role::is_maintenance)).count()
        + 1
        + usize::from(!wanted.bypass_cidrs.is_empty())
        + usize::from(wanted.bypass_header.is_some());
    if would > MAX_RULES {
        return Err(AlbPlanError::TooManyRules { would });
    }
    let ahead = found
        .others()
        .filter(|r| r.priority < maintenance_priority)
        .map(|r| format!("{}: {}", r.priority, describe_rule(r)))
        .collect();
    Ok(AlbPlan { steps, changes, ahead })
}

/// A bypass rule's steps (`want`: its conditions and those in words, `None` for none); returns
/// its priority once they are made.
fn plan_bypass(
    found: &Found,
    which: Role,
    want: Option<(Vec<RuleCondition>, String)>,
    maintenance: Option<&FoundRule>,
    taken: &[u32],
    steps: &mut Vec<Step>,
    changes: &mut Vec<Change>,
) -> Result<Option<u32>, AlbPlanError> {
    let existing = single(found, which)?;
    let name = if which == Role::Bypass { "bypass rule" } else { "header bypass rule" };
    let describe =
        |words: &str| format!("{words} → the listener's default action ({})", describe_actions(&found.default_actions));
    match (existing, want) {
        (None, Some((conditions, words))) => {
            let below = maintenance.map_or_else(|| found.guard_first().unwrap_or(LOWEST), |m| m.priority);
            let priority = free_priority(taken, TOP, below)
                .ok_or(AlbPlanError::NoPriorityBeforeMaintenance { maintenance: below })?;
            steps.push(Step::Create {
                role: which,
                priority,
                spec: RuleSpec::bypass(conditions, &found.default_actions),
            });
            changes.push(change(ChangeKind::Add, format!("{name}, priority {priority}"), None, Some(describe(&words))));
            Ok(Some(priority))
        }
        (Some(rule), Some((conditions, words))) => {
            if !same_conditions(&rule.conditions, &conditions)
                || normalised(&rule.actions) != normalised(&found.default_actions)
            {
                let spec = RuleSpec::bypass(conditions, &found.default_actions);
                steps.push(Step::Modify { role: which, arn: rule.arn.clone(), spec });
                changes.push(change(
                    ChangeKind::Modify,
                    format!("{name}, priority {}", rule.priority),
                    Some(describe_rule(rule)),
                    Some(describe(&words)),
                ));
            }
            Ok(Some(rule.priority))
        }
        (Some(rule), None) => {
            steps.push(Step::Delete { role: which, arn: rule.arn.clone() });
            changes.push(change(
                ChangeKind::Remove,
                format!("{name}, priority {}", rule.priority),
                Some(describe_rule(rule)),
                None,
            ));
            Ok(None)
        }
        (None, None) => Ok(None),
    }
}

/// `maintenance off`: edgepages' rules removed, the maintenance rule first.
pub fn plan_off(found: &Found) -> AlbPlan {
    let mut ours: Vec<(Role, &FoundRule)> =
        found.rules.iter().filter_map(|r| Some((r.role.filter(|role| role.is_maintenance())?, r))).collect();
    ours.sort_by_key(|(role, r)| (std::cmp::Reverse(*role), r.priority));
    let steps = ours.iter().map(|(role, r)| Step::Delete { role: *role, arn: r.arn.clone() }).collect();
    let changes = ours
        .iter()
        .map(|(role, r)| {
            change(
                ChangeKind::Remove,
                format!("{} rule, priority {}", role.as_str(), r.priority),
                Some(describe_rule(r)),
                None,
            )
        })
        .collect();
    AlbPlan { steps, changes, ahead: Vec::new() }
}

/// What `status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub on: bool,
    pub until: Option<String>,
    /// The promised end has passed and the page is still up: the ALB cannot take a rule down
    /// by itself.
    pub overdue: bool,
    /// edgepages' rules: `(role, priority, ARN)`.
    pub rules: Vec<(Role, u32, String)>,
}

/// `now` is RFC 3339 in UTC, compared as text (both are `YYYY-MM-DDTHH:MM:SSZ`).
pub fn status(found: &Found, now: &str) -> Status {
    let maintenance = found.ours(Role::Maintenance).first().copied();
    let until = maintenance.and_then(|m| m.until.clone());
    let mut rules: Vec<_> = found
        .rules
        .iter()
        .filter_map(|r| r.role.filter(|role| role.is_maintenance()).map(|role| (role, r.priority, r.arn.clone())))
        .collect();
    rules.sort_by_key(|(_, p, _)| *p);
    Status { on: maintenance.is_some(), overdue: until.as_deref().is_some_and(|u| u <= now), until, rules }
}

/// A line per rule of others and the default actions: what a re-read compares to refuse a
/// write when anyone changed the listener since it was planned.
pub fn others_state(found: &Found) -> Vec<String> {
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

fn describe_rule(rule: &FoundRule) -> String {
    format!("{} → {}", describe_conditions(&rule.conditions), describe_actions(&rule.actions))
}

/// Conditions in words: `field values and field values`. A header condition's values are
/// often secrets (the guard's, the bypass's, or a team's own), so they are shown only by
/// fingerprint: enough to see that one changed.
pub(crate) fn describe_conditions(conditions: &[RuleCondition]) -> String {
    let conditions: Vec<String> = conditions
        .iter()
        .map(|c| {
            let (field, mut values) = condition_key(c);
            if c.http_header_config.is_some() || c.field.as_deref() == Some("http-header") {
                values = values
                    .iter()
                    .map(|v| format!("(secret, fingerprint {})", crate::origin_verify::fingerprint(v)))
                    .collect();
            }
            format!("{field} {}", values.join(" | "))
        })
        .collect();
    conditions.join(" and ")
}

pub(crate) fn describe_actions(actions: &[Action]) -> String {
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

fn change(kind: ChangeKind, target: String, before: Option<String>, after: Option<String>) -> Change {
    Change { kind, target, before, after }
}

#[cfg(test)]
mod tests {
    use aws_sdk_elasticloadbalancingv2::types::{
        ActionTypeEnum, HostHeaderConditionConfig, PathPatternConditionConfig,
    };

    use super::*;

    const TG: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop/73e2d6bc24d8a067";

    fn forward(tg: &str) -> Vec<Action> {
        vec![Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(tg).order(1).build()]
    }

    fn theirs(priority: u32, condition: RuleCondition) -> FoundRule {
        FoundRule {
            arn: format!("arn:rule/theirs-{priority}"),
            priority,
            conditions: vec![condition],
            actions: forward(TG),
            transforms: Vec::new(),
            role: None,
            until: None,
        }
    }

    /// A listener with the team's `/api/*` rule at 10 and a host rule at 20.
    fn listener() -> Found {
        let path = RuleCondition::builder()
            .field("path-pattern")
            .path_pattern_config(PathPatternConditionConfig::builder().values("/api/*").build())
            .build();
        let host = RuleCondition::builder()
            .field("host-header")
            .host_header_config(HostHeaderConditionConfig::builder().values("admin.example.com").build())
            .build();
        Found { default_actions: forward(TG), rules: vec![theirs(10, path), theirs(20, host)], ..Found::default() }
    }

    fn wanted(cidrs: &[&str], until: Option<&str>) -> Wanted {
        Wanted {
            page: "<!doctype html><p>back soon</p>".into(),
            until: until.map(str::to_owned),
            bypass_cidrs: cidrs.iter().map(|c| (*c).to_owned()).collect(),
            bypass_header: None,
        }
    }

    /// `found` once `plan` was carried out, as the adapter would leave it: each rule as its
    /// step's spec writes it.
    fn applied(found: &Found, plan: &AlbPlan, wanted: &Wanted) -> Found {
        let mut after = found.clone();
        let made = |role: Role, priority: u32, arn: String, spec: &RuleSpec| FoundRule {
            arn,
            priority,
            conditions: spec.conditions.clone(),
            actions: spec.actions.clone(),
            transforms: spec.transforms.clone(),
            role: Some(role),
            until: if role == Role::Maintenance { wanted.until.clone() } else { None },
        };
        for step in &plan.steps {
            match step {
                Step::Create { role, priority, spec } => {
                    after.rules.push(made(*role, *priority, format!("arn:rule/ours-{priority}"), spec));
                }
                Step::Modify { role, arn, spec } => {
                    let priority = after.rules.iter().find(|r| &r.arn == arn).unwrap().priority;
                    after.rules.retain(|r| &r.arn != arn);
                    after.rules.push(made(*role, priority, arn.clone(), spec));
                }
                Step::Delete { arn, .. } => after.rules.retain(|r| &r.arn != arn),
            }
        }
        after
    }

    /// The steps without their specs: `create ROLE PRIORITY`, `modify ROLE ARN`, `delete ROLE ARN`.
    fn shape(plan: &AlbPlan) -> Vec<String> {
        plan.steps
            .iter()
            .map(|step| match step {
                Step::Create { role, priority, .. } => format!("create {} {priority}", role.as_str()),
                Step::Modify { role, arn, .. } => format!("modify {} {arn}", role.as_str()),
                Step::Delete { role, arn } => format!("delete {} {arn}", role.as_str()),
            })
            .collect()
    }

    #[test]
    fn on_puts_the_bypass_then_the_page_at_the_first_free_priorities_and_twice_is_nothing() {
        let found = listener();
        let want = wanted(&["203.0.113.0/24"], Some("2026-12-02T18:00:00Z"));
        let plan = plan_on(&found, &want).unwrap();
        assert_eq!(shape(&plan), ["create bypass 1", "create maintenance 2"]);
        assert_eq!(plan.ahead, Vec::<String>::new());
        assert!(plan.changes[1].after.as_deref().unwrap().ends_with("until 2026-12-02T18:00:00Z"));
        let Step::Create { spec: bypass, .. } = &plan.steps[0] else { panic!("{:?}", plan.steps) };
        assert_eq!(bypass.conditions, bypass_conditions(&want.bypass_cidrs));
        assert_eq!(bypass.actions, found.default_actions, "forwarded exactly as the default action, numbered");
        let Step::Create { spec: page, .. } = &plan.steps[1] else { panic!("{:?}", plan.steps) };
        assert_eq!(page, &RuleSpec::maintenance(&want.page));
        let after = applied(&found, &plan, &want);
        assert_eq!(plan_on(&after, &want).unwrap().steps, []);
        assert_eq!(others_state(&after), others_state(&found), "nobody else's rule changed");
    }

    #[test]
    fn others_rules_ahead_of_the_page_are_listed_never_renumbered() {
        let mut found = listener();
        found.rules[0].priority = 1;
        let plan = plan_on(&found, &wanted(&[], None)).unwrap();
        assert_eq!(shape(&plan), ["create maintenance 2"]);
        assert_eq!(plan.ahead, [format!("1: path-pattern /api/* → forward {TG}")]);
    }

    #[test]
    fn a_new_end_time_or_new_networks_modify_in_place_and_dropping_the_networks_deletes_the_bypass() {
        let found = listener();
        let first = wanted(&["203.0.113.0/24"], None);
        let on = applied(&found, &plan_on(&found, &first).unwrap(), &first);

        let later = wanted(&["203.0.113.0/24"], Some("2026-12-02T20:00:00Z"));
        assert_eq!(shape(&plan_on(&on, &later).unwrap()), ["modify maintenance arn:rule/ours-2"]);

        let more = wanted(&["203.0.113.0/24", "2001:db8::/32"], None);
        assert_eq!(shape(&plan_on(&on, &more).unwrap()), ["modify bypass arn:rule/ours-1"]);

        let none = wanted(&[], None);
        assert_eq!(shape(&plan_on(&on, &none).unwrap()), ["delete bypass arn:rule/ours-1"]);
    }

    #[test]
    fn a_changed_default_action_updates_the_bypass_to_match() {
        let found = listener();
        let want = wanted(&["203.0.113.0/24"], None);
        let mut on = applied(&found, &plan_on(&found, &want).unwrap(), &want);
        on.default_actions = forward("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/1");
        assert_eq!(shape(&plan_on(&on, &want).unwrap()), ["modify bypass arn:rule/ours-1"]);
    }

    #[test]
    fn off_removes_only_ours_the_page_first_and_restores_the_listener_exactly() {
        let found = listener();
        let want = wanted(&["203.0.113.0/24"], None);
        let on = applied(&found, &plan_on(&found, &want).unwrap(), &want);
        let off = plan_off(&on);
        assert_eq!(shape(&off), ["delete maintenance arn:rule/ours-2", "delete bypass arn:rule/ours-1"]);
        assert_eq!(applied(&on, &off, &want), found);
        assert_eq!(plan_off(&found).steps, []);
    }

    #[test]
    fn a_bypass_header_is_a_rule_of_its_own_before_the_page_and_its_secret_is_never_in_the_words() {
        use crate::alb::desired::BypassHeader;
        let found = listener();
        let header = |secret: &str| BypassHeader { name: "X-Maintenance-Bypass".into(), secret: secret.into() };
        let want = Wanted { bypass_header: Some(header("0123456789abcdef-one")), ..wanted(&["203.0.113.0/24"], None) };
        let plan = plan_on(&found, &want).unwrap();
        assert_eq!(shape(&plan), ["create bypass 1", "create bypass-header 2", "create maintenance 3",]);
        let on = applied(&found, &plan, &want);
        assert_eq!(plan_on(&on, &want).unwrap().steps, []);

        let rotated = Wanted { bypass_header: Some(header("0123456789abcdef-two")), ..want.clone() };
        let plan = plan_on(&on, &rotated).unwrap();
        assert_eq!(shape(&plan), ["modify bypass-header arn:rule/ours-2"]);
        let words = format!("{:?} {:?} {}", plan.changes, plan.steps, serde_json::to_string(&plan).unwrap());
        assert!(!words.contains("0123456789abcdef"), "{words}");
        assert!(words.contains("http-header x-maintenance-bypass (secret, fingerprint "), "{words}");

        let none = Wanted { bypass_header: None, ..want.clone() };
        assert_eq!(shape(&plan_on(&on, &none).unwrap()), ["delete bypass-header arn:rule/ours-2"]);
        let off = plan_off(&on);
        assert_eq!(shape(&off)[0], "delete maintenance arn:rule/ours-3", "the page first");
        assert_eq!(applied(&on, &off, &want), found);
    }

    #[test]
    fn status_reports_an_overdue_end() {
        let found = listener();
        let want = wanted(&[], Some("2026-12-02T18:00:00Z"));
        let on = applied(&found, &plan_on(&found, &want).unwrap(), &want);
        let before = status(&on, "2026-12-02T17:59:59Z");
        assert!(before.on && !before.overdue);
        assert_eq!(before.rules, [(Role::Maintenance, 1, "arn:rule/ours-1".to_owned())]);
        assert!(status(&on, "2026-12-02T18:00:00Z").overdue);
        assert!(!status(&found, "2026-12-02T18:00:00Z").on);
    }

    #[test]
    fn duplicates_a_full_listener_and_no_room_for_the_bypass_are_refused() {
        let found = listener();
        let want = wanted(&[], None);
        let mut twice = applied(&found, &plan_on(&found, &want).unwrap(), &want);
        let mut copy = twice.rules.last().unwrap().clone();
        copy.arn = "arn:rule/copy".into();
        copy.priority = 30;
        twice.rules.push(copy);
        assert!(matches!(plan_on(&twice, &want), Err(AlbPlanError::Duplicate { count: 2, .. })));

        let mut full = listener();
        full.rules = (1..=100).map(|p| theirs(p, maintenance_conditions()[0].clone())).collect();
        assert_eq!(plan_on(&full, &want), Err(AlbPlanError::TooManyRules { would: 101 }));

        // The page sits at 1 and the team's rules fill nothing before it: no room for a bypass.
        let on = applied(&found, &plan_on(&found, &want).unwrap(), &want);
        assert_eq!(
            plan_on(&on, &wanted(&["203.0.113.0/24"], None)),
            Err(AlbPlanError::NoPriorityBeforeMaintenance { maintenance: 1 })
        );
    }

    #[test]
    fn drift_names_what_changed() {
        let found = listener();
        let mut now = found.clone();
        now.rules[1].priority = 5;
        let said = drift(&others_state(&found), &others_state(&now));
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(said[0].starts_with("was: rule arn:rule/theirs-20 at priority 20"), "{said:?}");
        assert!(said[1].starts_with("now: rule arn:rule/theirs-20 at priority 5"), "{said:?}");
        assert!(drift(&others_state(&found), &others_state(&found)).is_empty());
    }
}

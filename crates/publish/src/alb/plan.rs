//! The listener's plan: a pure function of the listener as read ([`FoundListener`]) and what is
//! [`Wanted`], listing the rule writes in the order they are made. Only rules tagged as
//! edgepages' are ever changed or removed; nobody else's rule, priority or default action is.
//! Also `status`.

use aws_sdk_elasticloadbalancingv2::types::RuleCondition;
use serde::Serialize;

use super::Role;
use super::desired::{
    Wanted, bypass_block, bypass_conditions, bypass_header_conditions, fixed_body, maintenance_actions,
    maintenance_conditions, same_conditions, same_spec,
};
use super::error::AlbPlanError;
use super::listener::{
    FoundListener, FoundRule, Moved, RuleSpec, RuleStep, describe_actions, describe_rule, normalised,
};
use crate::change::{Change, ChangeKind};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlbPlan {
    pub steps: Vec<RuleStep>,
    pub changes: Vec<Change>,
    /// Others' rules evaluated before the maintenance rule, which still reach their targets:
    /// `priority: what they match`.
    pub ahead: Vec<String>,
    /// Others' rules that authenticate with OIDC, whose copies in the bypass answer with the
    /// page (see [`bypass_block`]): `priority: what they match`.
    pub held: Vec<String>,
    /// Bypasses the config asks for that the plan leaves out, and why (see [`plan_on`]).
    pub left_out: Vec<String>,
}

impl AlbPlan {
    pub fn write_count(&self) -> usize {
        self.steps.len()
    }
}

/// The lowest priorities are evaluated first.
const TOP: u32 = 1;
/// The ALB's highest rule priority.
pub(crate) const LOWEST: u32 = 50_000;

fn single(found: &FoundListener, role: Role) -> Result<Option<&FoundRule>, AlbPlanError> {
    match found.ours(role).as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => {
            Err(AlbPlanError::Duplicate { role, count: many.len(), arns: many.iter().map(|r| r.arn.clone()).collect() })
        }
    }
}

/// One place in the layout `plan_on` wants, in evaluation order.
enum Slot<'a> {
    /// A rule of edgepages' that stays; with the spec it must be changed to, if it must.
    Keep { rule: &'a FoundRule, change: Option<RuleSpec> },
    /// A rule to create.
    New { role: Role, spec: RuleSpec },
}

/// `maintenance on`: a bypass block for the team's networks and one for its header (each when
/// configured: [`bypass_block`]), then the maintenance rule, all before the guard's rules,
/// which move after it when they are in the way. Nobody else's rule is renumbered.
///
/// The page must come before the team's rules, or the requests they match still reach the
/// site; and each bypass block before the page. When the free priorities before the team's
/// first rule cannot hold both blocks and the page, a block is left out (the header's is kept
/// first: it also works behind CloudFront) and the plan says which and why; the page always goes
/// up, as early as it can.
pub fn plan_on(found: &FoundListener, wanted: &Wanted) -> Result<AlbPlan, AlbPlanError> {
    // A bypass that cannot copy a rule of the listener (too many condition values, or a
    // condition the bypass's own would repeat) is left out, said, and the page still goes up.
    let mut cannot = Vec::new();
    let mut buildable = |key: &str, conditions: Option<(Vec<RuleCondition>, String)>| match conditions {
        None => false,
        Some((conditions, with)) => match bypass_block(found, &conditions, &with, &wanted.page) {
            Ok(_) => true,
            Err(e) => {
                cannot.push(format!("the bypass for [alb] {key}: {e}"));
                false
            }
        },
    };
    let by_address = buildable(
        "bypass_cidrs",
        (!wanted.bypass_cidrs.is_empty())
            .then(|| (bypass_conditions(&wanted.bypass_cidrs), "the bypass's networks".to_owned())),
    );
    let by_header = buildable(
        "bypass_header",
        wanted
            .bypass_header
            .as_ref()
            .map(|h| (bypass_header_conditions(h), format!("the bypass header {}", h.name.to_ascii_lowercase()))),
    );
    let mut candidates = vec![(by_address, by_header)];
    for fewer in [(false, by_header), (by_address, false), (false, false)] {
        if !candidates.contains(&fewer) {
            candidates.push(fewer);
        }
    }
    // The first priority none of the team's rules holds, and the team's first rule after it:
    // the page goes between them when it can.
    let theirs: std::collections::BTreeSet<u32> = found.others().map(|r| r.priority).collect();
    let first_free = (TOP..=LOWEST).find(|p| !theirs.contains(p)).unwrap_or(LOWEST);
    let their_next = theirs.range(first_free..).next().copied().unwrap_or(LOWEST + 1);
    let mut best = None;
    for (i, &(address, header)) in candidates.iter().enumerate() {
        let narrowed = Wanted {
            bypass_cidrs: if address { wanted.bypass_cidrs.clone() } else { Vec::new() },
            bypass_header: if header { wanted.bypass_header.clone() } else { None },
            ..wanted.clone()
        };
        let (mut plan, page_at) = plan_with(found, &narrowed)?;
        let fits = page_at < their_next;
        if fits || i + 1 == candidates.len() {
            plan.left_out.append(&mut cannot);
            let room = their_next.saturating_sub(first_free);
            if by_address && !address {
                plan.left_out.push(format!(
                    "the bypass for [alb] bypass_cidrs: it needs a copy of each of the listener's rules before the page, \
                     and only {room} priorities are free before your rule at priority {their_next}"
                ));
            }
            if by_header && !header {
                plan.left_out.push(format!(
                    "the bypass for [alb] bypass_header: it needs a copy of each of the listener's rules before the page, \
                     and only {room} priorities are free before your rule at priority {their_next}"
                ));
            }
            best = Some(plan);
            break;
        }
    }
    Ok(best.unwrap_or_else(|| unreachable!("the last candidate is always taken")))
}

/// What [`plan_with`] gathers before placing: the layout in evaluation order, the rules to
/// delete (last), the plan's words so far, and the rules the bypass holds.
#[derive(Default)]
struct Draft<'a> {
    layout: Vec<Slot<'a>>,
    deletes: Vec<&'a FoundRule>,
    changes: Vec<Change>,
    held: Vec<String>,
}

/// The bypass blocks `wanted` asks for, each rule by rule against the one on the listener:
/// changed in place, the rest created or deleted.
fn draft_bypass<'a>(found: &'a FoundListener, wanted: &Wanted, draft: &mut Draft<'a>) -> Result<(), AlbPlanError> {
    let by_address = (!wanted.bypass_cidrs.is_empty()).then(|| {
        (bypass_conditions(&wanted.bypass_cidrs), wanted.bypass_cidrs.join(", "), "the bypass's networks".to_owned())
    });
    let by_header = wanted.bypass_header.as_ref().map(|h| {
        let name = h.name.to_ascii_lowercase();
        (bypass_header_conditions(h), format!("header {name}: (secret)"), format!("the bypass header {name}"))
    });
    let mut blocks: Vec<(u32, Vec<Slot>)> = Vec::new();
    for (role, want) in [(Role::Bypass, by_address), (Role::BypassHeader, by_header)] {
        let mut existing = found.ours(role);
        existing.sort_by_key(|r| r.priority);
        let (specs, words) = match want {
            Some((conditions, words, with)) => {
                let block = bypass_block(found, &conditions, &with, &wanted.page)?;
                for rule in block.held {
                    if !draft.held.contains(&rule) {
                        draft.held.push(rule);
                    }
                }
                (block.specs, Some(words))
            }
            None => (Vec::new(), None),
        };
        let same = existing.len() == specs.len() && existing.iter().zip(&specs).all(|(r, s)| same_spec(r, s));
        if !same {
            draft.changes.push(block_change(found, role, &existing, words.as_deref(), specs.len()));
        }
        draft.deletes.extend(existing.iter().skip(specs.len()).copied());
        let slots = specs
            .into_iter()
            .enumerate()
            .map(|(i, spec)| match existing.get(i) {
                Some(rule) => Slot::Keep { rule, change: (!same_spec(rule, &spec)).then_some(spec) },
                None => Slot::New { role, spec },
            })
            .collect();
        blocks.push((existing.first().map_or(u32::MAX, |r| r.priority), slots));
    }
    // A block already on the listener keeps its place; a new one goes after it. Each block is
    // whole by itself, so their order does not change how any request is answered.
    blocks.sort_by_key(|(first, _)| *first);
    draft.layout.extend(blocks.into_iter().flat_map(|(_, slots)| slots));
    Ok(())
}

/// [`plan_on`] with the bypass blocks `wanted` asks for, and the page's priority.
fn plan_with(found: &FoundListener, wanted: &Wanted) -> Result<(AlbPlan, u32), AlbPlanError> {
    let maintenance = single(found, Role::Maintenance)?;
    // The bypasses first, so that the team is never locked out while the page goes up.
    let mut draft = Draft::default();
    draft_bypass(found, wanted, &mut draft)?;
    draft_page(maintenance, wanted, &mut draft);
    let mut guard: Vec<&FoundRule> =
        found.rules.iter().filter(|r| r.role.is_some_and(|role| !role.is_maintenance())).collect();
    guard.sort_by_key(|r| r.priority);
    draft.layout.extend(guard.iter().map(|rule| Slot::Keep { rule, change: None }));

    let placed = place(found, &draft.layout)?;
    let Draft { layout, deletes, mut changes, held } = draft;
    let mut steps = Vec::new();
    let moves = moves(&layout, &placed);
    if !moves.is_empty() {
        changes.push(change_of(
            ChangeKind::Modify,
            format!("{} of edgepages' rules moved after the maintenance rule", moves.len()),
            Some(format!("priorities {}", span(moves.iter().map(|m| m.from)))),
            Some(format!("priorities {}, in the same order", span(moves.iter().map(|m| m.to)))),
        ));
        steps.push(RuleStep::Move { moves });
    }
    let maintenance_priority = write_slots(layout, &placed, wanted, &mut steps, &mut changes);
    steps.extend(deletes.iter().map(|r| RuleStep::Delete { role: r.role.unwrap_or(Role::Bypass), arn: r.arn.clone() }));

    let ahead = found
        .others()
        .filter(|r| r.priority < maintenance_priority)
        .map(|r| format!("{}: {}", r.priority, describe_rule(r)))
        .collect();
    Ok((AlbPlan { steps, changes, ahead, held, left_out: Vec::new() }, maintenance_priority))
}

/// The page's summary in a plan: every path, its size, and the promised end.
fn page_summary(wanted: &Wanted) -> String {
    format!(
        "every path → 503, {} characters{}",
        wanted.page.chars().count(),
        wanted.until.as_deref().map_or_else(String::new, |u| format!(", until {u}"))
    )
}

/// The maintenance rule's slot, after the bypass blocks: a new rule, or the one on the listener
/// (`maintenance`), changed when its page or its promised end differs.
fn draft_page<'a>(maintenance: Option<&'a FoundRule>, wanted: &Wanted, draft: &mut Draft<'a>) {
    let page = RuleSpec::maintenance(&wanted.page);
    draft.layout.push(match maintenance {
        None => Slot::New { role: Role::Maintenance, spec: page },
        Some(rule) => {
            let page_matches = fixed_body(&rule.actions) == Some(wanted.page.as_str())
                && normalised(&rule.actions) == normalised(&maintenance_actions(&wanted.page))
                && same_conditions(&rule.conditions, &maintenance_conditions());
            let change = (!page_matches || rule.until != wanted.until).then_some(page);
            if change.is_some() {
                draft.changes.push(change_of(
                    ChangeKind::Modify,
                    format!("maintenance rule, priority {}", rule.priority),
                    Some(describe_rule(rule)),
                    Some(page_summary(wanted)),
                ));
            }
            Slot::Keep { rule, change }
        }
    });
}

/// The rules of edgepages' that stay but must move to where they were `placed`.
fn moves(layout: &[Slot], placed: &[u32]) -> Vec<Moved> {
    layout
        .iter()
        .zip(placed)
        .filter_map(|(slot, &to)| match slot {
            Slot::Keep { rule, .. } if rule.priority != to => Some(Moved {
                role: rule.role.unwrap_or(Role::GuardCopy),
                arn: rule.arn.clone(),
                from: rule.priority,
                to,
            }),
            _ => None,
        })
        .collect()
}

/// The creates and changes of `layout`, each at the priority it was `placed` at; returns the
/// maintenance rule's priority.
fn write_slots(
    layout: Vec<Slot>,
    placed: &[u32],
    wanted: &Wanted,
    steps: &mut Vec<RuleStep>,
    changes: &mut Vec<Change>,
) -> u32 {
    let mut maintenance_priority = LOWEST;
    for (slot, &priority) in layout.into_iter().zip(placed) {
        match slot {
            Slot::New { role, spec } => {
                if role == Role::Maintenance {
                    changes.push(change_of(
                        ChangeKind::Add,
                        format!("maintenance rule, priority {priority}"),
                        None,
                        Some(page_summary(wanted)),
                    ));
                    maintenance_priority = priority;
                }
                steps.push(RuleStep::Create { role, priority, spec });
            }
            Slot::Keep { rule, change } => {
                if rule.role == Some(Role::Maintenance) {
                    maintenance_priority = priority;
                }
                if let Some(spec) = change {
                    steps.push(RuleStep::Modify {
                        role: rule.role.unwrap_or(Role::Maintenance),
                        arn: rule.arn.clone(),
                        spec,
                    });
                }
            }
        }
    }
    maintenance_priority
}

/// The priority of each slot of `layout`, in evaluation order: each after the one before; a
/// rule that stays keeps its own when it is after the one before, and moves when it is not.
/// The team's rules keep theirs, so a new rule takes a priority none of theirs holds; before
/// the maintenance rule, one the page or the guard holds is taken too (they come after, so they
/// move), but not a bypass rule's (kept, or deleted only last). A rule that moves goes where no
/// rule is now: moto's SetRulePriorities refuses a priority in use, even one a rule the same call
/// moves away holds. AWS documents less ("You can reorder the rules as long as there are no
/// priority conflicts in the new order",
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetRulePriorities.html>);
/// the stricter reading is safe under both.
fn place(found: &FoundListener, layout: &[Slot]) -> Result<Vec<u32>, AlbPlanError> {
    use std::collections::BTreeSet;
    let now: BTreeSet<u32> = found.rules.iter().map(|r| r.priority).collect();
    let theirs: BTreeSet<u32> = found.others().map(|r| r.priority).collect();
    let bypass_now: BTreeSet<u32> = found
        .rules
        .iter()
        .filter(|r| matches!(r.role, Some(Role::Bypass | Role::BypassHeader)))
        .map(|r| r.priority)
        .collect();
    let mut given: BTreeSet<u32> = BTreeSet::new();
    let mut placed = Vec::with_capacity(layout.len());
    let mut prev = TOP - 1;
    let mut past_page = false;
    for slot in layout {
        let kept = match slot {
            Slot::Keep { rule, .. } if rule.priority > prev && !given.contains(&rule.priority) => Some(rule.priority),
            _ => None,
        };
        let priority = match (kept, slot) {
            (Some(priority), _) => Some(priority),
            (None, Slot::Keep { .. }) => (prev + 1..=LOWEST).find(|p| !now.contains(p) && !given.contains(p)),
            (None, Slot::New { .. }) if !past_page => {
                (prev + 1..=LOWEST).find(|p| !theirs.contains(p) && !bypass_now.contains(p) && !given.contains(p))
            }
            (None, Slot::New { .. }) => (prev + 1..=LOWEST).find(|p| !now.contains(p) && !given.contains(p)),
        }
        .ok_or(AlbPlanError::NoFreePriority)?;
        given.insert(priority);
        placed.push(priority);
        prev = priority;
        // A priority of the page's or the guard's that a new rule took before the page is then
        // freed: both come after, so the one that held it moves.
        past_page |= matches!(slot, Slot::New { role: Role::Maintenance, .. })
            || matches!(slot, Slot::Keep { rule, .. } if rule.role == Some(Role::Maintenance));
    }
    Ok(placed)
}

/// `a–b`, or `a` alone.
fn span(priorities: impl Iterator<Item = u32>) -> String {
    let all: Vec<u32> = priorities.collect();
    match (all.iter().min(), all.iter().max()) {
        (Some(lo), Some(hi)) if lo != hi => format!("{lo}–{hi}"),
        (Some(lo), _) => lo.to_string(),
        _ => String::new(),
    }
}

/// The plan's words for a bypass block that changes: added, changed or removed.
fn block_change(
    found: &FoundListener,
    role: Role,
    existing: &[&FoundRule],
    words: Option<&str>,
    rules: usize,
) -> Change {
    let name = if role == Role::Bypass { "bypass rules" } else { "header bypass rules" };
    let before = (!existing.is_empty())
        .then(|| format!("{} rules at priorities {}", existing.len(), span(existing.iter().map(|r| r.priority))));
    let after = words.map(|words| {
        format!(
            "{words} → each of the listener's {} rules as it answers now, then its default action ({}): {rules} rules",
            rules - 1,
            describe_actions(&found.default_actions)
        )
    });
    let kind = match (&before, &after) {
        (None, _) => ChangeKind::Add,
        (_, None) => ChangeKind::Remove,
        _ => ChangeKind::Modify,
    };
    change_of(kind, name.to_owned(), before, after)
}

/// `maintenance off`: maintenance's rules removed, the page first; then the guard's rules, if
/// `on` moved them, back where they were.
pub fn plan_off(found: &FoundListener) -> AlbPlan {
    let mut ours: Vec<(Role, &FoundRule)> =
        found.rules.iter().filter_map(|r| Some((r.role.filter(|role| role.is_maintenance())?, r))).collect();
    ours.sort_by_key(|(role, r)| (std::cmp::Reverse(*role), r.priority));
    let mut steps: Vec<RuleStep> =
        ours.iter().map(|(role, r)| RuleStep::Delete { role: *role, arn: r.arn.clone() }).collect();
    let mut changes: Vec<Change> = ours
        .iter()
        .map(|(role, r)| {
            change_of(
                ChangeKind::Remove,
                format!("{} rule, priority {}", role.as_str(), r.priority),
                Some(describe_rule(r)),
                None,
            )
        })
        .collect();
    // The guard's rules, if `on` moved them after the page, go back where the guard puts them.
    let leaving: Vec<u32> = ours.iter().map(|(_, r)| r.priority).collect();
    let moves = super::guard::home_moves(found, &leaving);
    if !moves.is_empty() {
        changes.push(change_of(
            ChangeKind::Modify,
            format!("{} of edgepages' guard rules moved back", moves.len()),
            Some(format!("priorities {}", span(moves.iter().map(|m| m.from)))),
            Some(format!("priorities {}, in the same order", span(moves.iter().map(|m| m.to)))),
        ));
        steps.push(RuleStep::Move { moves });
    }
    AlbPlan { steps, changes, ahead: Vec::new(), held: Vec::new(), left_out: Vec::new() }
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
pub fn status(found: &FoundListener, now: &str) -> Status {
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

fn change_of(kind: ChangeKind, target: String, before: Option<String>, after: Option<String>) -> Change {
    Change { kind, target, before, after }
}

/// Test support: requests of every kind, and a listener once steps were carried out, as the
/// adapter leaves it. The listeners themselves are in [`crate::fixtures`].
#[cfg(test)]
pub(crate) mod tests_support {
    use super::{FoundListener, FoundRule, Role, RuleStep};
    use crate::alb::evaluate::Request;
    pub use crate::fixtures::ALB_DNS;

    /// An address inside the team's network, 203.0.113.0/24, and one outside it.
    pub const OFFICE: &str = "203.0.113.9";
    pub const ELSEWHERE: &str = "198.51.100.7";

    /// Requests of every kind: each path, host, method, address, bypass header (right, wrong,
    /// none) and CloudFront origin header (`origin`, when given) the listeners tell apart.
    pub fn requests(bypass_header: (&str, &str), origin: Option<(&str, &str)>) -> Vec<Request> {
        let mut all = Vec::new();
        for path in ["/", "/api/orders", "/API/orders", "/account/me", "/admin/users", "/upload", "/upload/x"] {
            for host in ["www.example.com", "admin.example.com", ALB_DNS] {
                for method in ["GET", "POST"] {
                    for source in [OFFICE, ELSEWHERE] {
                        for header in [None, Some(bypass_header.1), Some("wrong-secret-0123456789")] {
                            for from_cloudfront in [false, true] {
                                if from_cloudfront && origin.is_none() {
                                    continue;
                                }
                                let mut headers: Vec<(String, String)> = Vec::new();
                                if let Some(value) = header {
                                    headers.push((bypass_header.0.to_ascii_uppercase(), value.to_owned()));
                                }
                                if let (true, Some((name, value))) = (from_cloudfront, origin) {
                                    headers.push((name.to_owned(), value.to_owned()));
                                }
                                all.push(Request {
                                    host: host.into(),
                                    path: path.into(),
                                    method: method.into(),
                                    source: source.parse().unwrap(),
                                    headers,
                                    query: Vec::new(),
                                });
                            }
                        }
                    }
                }
            }
        }
        all
    }

    /// `found` once `steps` were carried out: each rule as its step's spec writes it, a created
    /// rule named `arn:rule/ours-<priority>` (with `'` added while that is taken), the
    /// maintenance rule tagged with `until`.
    pub fn applied_steps(found: &FoundListener, steps: &[RuleStep], until: Option<&str>) -> FoundListener {
        let mut after = found.clone();
        for step in steps {
            match step {
                RuleStep::Create { role, priority, spec } => after.rules.push(FoundRule {
                    // Unique, even where a rule made earlier at this priority has moved on.
                    arn: (0..100)
                        .map(|n| format!("arn:rule/ours-{priority}{}", "'".repeat(n)))
                        .find(|arn| found.rules.iter().chain(&after.rules).all(|r| &r.arn != arn))
                        .expect("some name is free"),
                    priority: *priority,
                    conditions: spec.conditions.clone(),
                    actions: spec.actions.clone(),
                    transforms: spec.transforms.clone(),
                    role: Some(*role),
                    until: (*role == Role::Maintenance).then(|| until.map(str::to_owned)).flatten(),
                }),
                RuleStep::Modify { role, arn, spec } => {
                    let rule = after.rules.iter_mut().find(|r| &r.arn == arn).expect("a modified rule exists");
                    rule.conditions.clone_from(&spec.conditions);
                    rule.actions.clone_from(&spec.actions);
                    rule.transforms.clone_from(&spec.transforms);
                    if *role == Role::Maintenance {
                        rule.until = until.map(str::to_owned);
                    }
                }
                RuleStep::Delete { arn, .. } => after.rules.retain(|r| &r.arn != arn),
                RuleStep::Move { moves } => {
                    for m in moves {
                        assert!(
                            !after.rules.iter().any(|r| r.priority == m.to),
                            "moto's SetRulePriorities refuses {}, in use (the plans keep to its stricter rule)",
                            m.to
                        );
                    }
                    for m in moves {
                        after.rules.iter_mut().find(|r| r.arn == m.arn).expect("a moved rule exists").priority = m.to;
                    }
                }
            }
            let mut priorities: Vec<u32> = after.rules.iter().map(|r| r.priority).collect();
            priorities.sort_unstable();
            let count = priorities.len();
            priorities.dedup();
            assert_eq!(priorities.len(), count, "two rules share a priority after {step:?}");
        }
        after.rules.sort_by_key(|r| r.priority);
        after
    }

    /// The steps without their specs: `create ROLE PRIORITY`, `modify ROLE ARN`, `delete ROLE
    /// ARN`, `move FROM>TO ...`.
    pub fn shape(steps: &[RuleStep]) -> Vec<String> {
        steps
            .iter()
            .map(|step| match step {
                RuleStep::Create { role, priority, .. } => format!("create {} {priority}", role.as_str()),
                RuleStep::Modify { role, arn, .. } => format!("modify {} {arn}", role.as_str()),
                RuleStep::Delete { role, arn } => format!("delete {} {arn}", role.as_str()),
                RuleStep::Move { moves } => {
                    let each: Vec<String> = moves.iter().map(|m| format!("{}>{}", m.from, m.to)).collect();
                    format!("move {}", each.join(" "))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::{applied_steps, shape as shape_of};
    use super::*;
    use crate::alb::desired::numbered;
    use crate::alb::listener::{drift, others_state};
    use crate::fixtures::{API, WEB, listener};
    use aws_sdk_elasticloadbalancingv2::types::Action;

    fn forward(tg: &str) -> Vec<Action> {
        numbered(&[crate::fixtures::forward(tg)])
    }

    /// A rule of the team's with one condition, forwarding to the web.
    fn theirs(priority: u32, condition: RuleCondition) -> FoundRule {
        crate::fixtures::theirs(priority, vec![condition], &[crate::fixtures::forward(WEB)])
    }

    fn wanted(cidrs: &[&str], until: Option<&str>) -> Wanted {
        Wanted {
            page: "<!doctype html><p>back soon</p>".into(),
            until: until.map(str::to_owned),
            bypass_cidrs: cidrs.iter().map(|c| (*c).to_owned()).collect(),
            bypass_header: None,
        }
    }

    fn applied(found: &FoundListener, plan: &AlbPlan, wanted: &Wanted) -> FoundListener {
        applied_steps(found, &plan.steps, wanted.until.as_deref())
    }

    fn shape(plan: &AlbPlan) -> Vec<String> {
        shape_of(&plan.steps)
    }

    /// `found` with its rules in priority order, for comparing listeners.
    fn sorted(found: &FoundListener) -> FoundListener {
        let mut found = found.clone();
        found.rules.sort_by_key(|r| r.priority);
        found
    }

    #[test]
    fn on_puts_a_copy_of_each_rule_then_the_pass_then_the_page_at_the_first_free_priorities_and_twice_is_nothing() {
        let found = listener();
        let want = wanted(&["203.0.113.0/24"], Some("2026-12-02T18:00:00Z"));
        let plan = plan_on(&found, &want).unwrap();
        assert_eq!(shape(&plan), ["create bypass 1", "create bypass 2", "create bypass 3", "create maintenance 4"]);
        assert_eq!(plan.ahead, Vec::<String>::new());
        assert!(plan.changes.last().unwrap().after.as_deref().unwrap().ends_with("until 2026-12-02T18:00:00Z"));
        let specs: Vec<&RuleSpec> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                RuleStep::Create { spec, .. } => Some(spec),
                _ => None,
            })
            .collect();
        let source = bypass_conditions(&want.bypass_cidrs);
        assert!(same_conditions(&specs[0].conditions, &[found.rules[0].conditions[0].clone(), source[0].clone()]));
        assert!(same_conditions(&specs[1].conditions, &[found.rules[1].conditions[0].clone(), source[0].clone()]));
        assert_eq!(specs[2].conditions, source);
        assert_eq!(specs[2].actions, found.default_actions, "what is left forwarded as the default action, numbered");
        assert_eq!(specs[3], &RuleSpec::maintenance(&want.page));
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
        assert_eq!(plan.ahead, [format!("1: path-pattern /api/* → forward {API}")]);
    }

    #[test]
    fn a_new_end_time_or_new_networks_modify_in_place_and_dropping_the_networks_deletes_the_bypass() {
        let found = listener();
        let first = wanted(&["203.0.113.0/24"], None);
        let on = applied(&found, &plan_on(&found, &first).unwrap(), &first);

        let later = wanted(&["203.0.113.0/24"], Some("2026-12-02T20:00:00Z"));
        assert_eq!(shape(&plan_on(&on, &later).unwrap()), ["modify maintenance arn:rule/ours-4"]);

        let more = wanted(&["203.0.113.0/24", "2001:db8::/32"], None);
        assert_eq!(
            shape(&plan_on(&on, &more).unwrap()),
            ["modify bypass arn:rule/ours-1", "modify bypass arn:rule/ours-2", "modify bypass arn:rule/ours-3"]
        );

        let none = wanted(&[], None);
        assert_eq!(
            shape(&plan_on(&on, &none).unwrap()),
            ["delete bypass arn:rule/ours-1", "delete bypass arn:rule/ours-2", "delete bypass arn:rule/ours-3"]
        );
    }

    #[test]
    fn a_changed_default_action_or_a_new_rule_of_theirs_updates_the_bypass_to_match() {
        let found = listener();
        let want = wanted(&["203.0.113.0/24"], None);
        let on = applied(&found, &plan_on(&found, &want).unwrap(), &want);
        let mut blue = on.clone();
        blue.default_actions = forward("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/1");
        assert_eq!(shape(&plan_on(&blue, &want).unwrap()), ["modify bypass arn:rule/ours-3"]);

        // A third rule of theirs: its copy takes the pass rule's place, and the pass rule goes
        // after, which moves the page it is in the way of.
        let mut more = on.clone();
        more.rules.push(theirs(30, maintenance_conditions()[0].clone()));
        let plan = plan_on(&more, &want).unwrap();
        assert_eq!(shape(&plan), ["move 4>5", "modify bypass arn:rule/ours-3", "create bypass 4"]);
        let after = applied(&more, &plan, &want);
        assert_eq!(plan_on(&after, &want).unwrap().steps, [], "then nothing");
    }

    #[test]
    fn off_removes_only_ours_the_page_first_and_restores_the_listener_exactly() {
        let found = listener();
        let want = wanted(&["203.0.113.0/24"], None);
        let on = applied(&found, &plan_on(&found, &want).unwrap(), &want);
        let off = plan_off(&on);
        assert_eq!(
            shape(&off),
            [
                "delete maintenance arn:rule/ours-4",
                "delete bypass arn:rule/ours-1",
                "delete bypass arn:rule/ours-2",
                "delete bypass arn:rule/ours-3"
            ]
        );
        assert_eq!(applied(&on, &off, &want), sorted(&found));
        assert_eq!(plan_off(&found).steps, []);
    }

    #[test]
    fn a_bypass_header_is_a_block_of_its_own_before_the_page_and_its_secret_is_never_in_the_words() {
        use crate::alb::desired::BypassHeader;
        let found = listener();
        let header = |secret: &str| BypassHeader { name: "X-Maintenance-Bypass".into(), secret: secret.into() };
        let want = Wanted { bypass_header: Some(header("0123456789abcdef-one")), ..wanted(&["203.0.113.0/24"], None) };
        let plan = plan_on(&found, &want).unwrap();
        assert_eq!(
            shape(&plan),
            [
                "create bypass 1",
                "create bypass 2",
                "create bypass 3",
                "create bypass-header 4",
                "create bypass-header 5",
                "create bypass-header 6",
                "create maintenance 7"
            ]
        );
        let on = applied(&found, &plan, &want);
        assert_eq!(plan_on(&on, &want).unwrap().steps, []);

        let rotated = Wanted { bypass_header: Some(header("0123456789abcdef-two")), ..want.clone() };
        let plan = plan_on(&on, &rotated).unwrap();
        assert_eq!(
            shape(&plan),
            [
                "modify bypass-header arn:rule/ours-4",
                "modify bypass-header arn:rule/ours-5",
                "modify bypass-header arn:rule/ours-6"
            ]
        );
        let words = format!("{:?} {:?} {}", plan.changes, plan.steps, serde_json::to_string(&plan).unwrap());
        assert!(!words.contains("0123456789abcdef-"), "{words}");
        assert!(words.contains("header x-maintenance-bypass: (secret)"), "{words}");

        let none = Wanted { bypass_header: None, ..want.clone() };
        assert_eq!(
            shape(&plan_on(&on, &none).unwrap()),
            [
                "delete bypass-header arn:rule/ours-4",
                "delete bypass-header arn:rule/ours-5",
                "delete bypass-header arn:rule/ours-6"
            ]
        );
        let off = plan_off(&on);
        assert_eq!(shape(&off)[0], "delete maintenance arn:rule/ours-7", "the page first");
        assert_eq!(applied(&on, &off, &want), sorted(&found));
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
    fn duplicates_are_refused_and_the_quota_and_a_page_already_up_are_not_in_the_way() {
        let found = listener();
        let want = wanted(&[], None);
        let mut twice = applied(&found, &plan_on(&found, &want).unwrap(), &want);
        let mut copy = twice.rules.iter().find(|r| r.role == Some(Role::Maintenance)).unwrap().clone();
        copy.arn = "arn:rule/copy".into();
        copy.priority = 30;
        twice.rules.push(copy);
        assert!(matches!(plan_on(&twice, &want), Err(AlbPlanError::Duplicate { count: 2, .. })));

        // Rules per load balancer is a quota an account can raise: a listener already over its
        // default (100) is planned for, and the ALB, knowing the account's quota, says.
        let mut full = listener();
        full.rules = (2..=151).map(|p| theirs(p, maintenance_conditions()[0].clone())).collect();
        assert_eq!(shape(&plan_on(&full, &want).unwrap()), ["create maintenance 1"]);

        // The page already at 1, and a bypass wanted: the page moves after it, still up.
        let on = applied(&found, &plan_on(&found, &want).unwrap(), &want);
        let with_bypass = wanted(&["203.0.113.0/24"], None);
        let plan = plan_on(&on, &with_bypass).unwrap();
        assert_eq!(shape(&plan), ["move 1>4", "create bypass 1", "create bypass 2", "create bypass 3"]);
        let after = applied(&on, &plan, &with_bypass);
        assert_eq!(plan_on(&after, &with_bypass).unwrap().steps, []);
    }

    #[test]
    fn a_rule_with_its_own_source_ip_cannot_take_the_networks_the_page_goes_up_without_and_says_to_use_the_header() {
        let mut found = listener();
        found.rules.push(theirs(30, bypass_conditions(&["198.51.100.0/24".to_owned()])[0].clone()));
        let plan = plan_on(&found, &wanted(&["203.0.113.0/24"], None)).unwrap();
        assert_eq!(shape(&plan), ["create maintenance 1"]);
        assert_eq!(plan.left_out.len(), 1, "{:?}", plan.left_out);
        assert!(plan.left_out[0].starts_with("the bypass for [alb] bypass_cidrs: rule arn:rule/theirs-30"));
        assert!(plan.left_out[0].contains("use [alb] bypass_header"), "{:?}", plan.left_out);
    }

    /// The case: during maintenance the team (by network or by header) reached
    /// `/api/*` on the web target group, skipped a host rule answering 403 and got past a login,
    /// because the bypass forwarded as the default action does. Every request of every kind is
    /// answered by the ALB's documented rule order (`evaluate`), before and during maintenance.
    #[test]
    fn a_bypassed_request_is_answered_exactly_as_before_maintenance_and_every_other_one_gets_the_page() {
        use std::collections::BTreeSet;

        use super::tests_support::{OFFICE, requests};
        use crate::alb::desired::BypassHeader;
        use crate::alb::evaluate::answer;
        use crate::fixtures::team_listener;
        const SECRET: &str = "team-only-0123456789abcdef";
        let found = team_listener();
        let header = BypassHeader { name: "X-Maintenance-Bypass".into(), secret: SECRET.into() };
        let want = Wanted { bypass_header: Some(header), ..wanted(&["203.0.113.0/24"], None) };
        let plan = plan_on(&found, &want).unwrap();
        assert_eq!(plan.held, ["400: path-pattern /admin/*"], "the OIDC login cannot be copied, so it is held");
        assert_eq!(plan.left_out, Vec::<String>::new());
        let on = applied(&found, &plan, &want);
        let page = normalised(&maintenance_actions(&want.page));
        let office: std::net::IpAddr = OFFICE.parse().unwrap();

        let mut answered_by = BTreeSet::new();
        let mut bypassed_count = 0;
        for request in requests(("x-maintenance-bypass", SECRET), None) {
            let before = answer(&found, &request);
            let during = answer(&on, &request);
            let bypassed = request.source == office
                || request.headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("x-maintenance-bypass") && v == SECRET);
            if bypassed && before.rule.as_deref() != Some("arn:rule/theirs-400") {
                assert_eq!(during.actions, before.actions, "{request:?}: answered as before maintenance");
                bypassed_count += 1;
            } else {
                assert_eq!(during.actions, page, "{request:?}: the page (a login is never skipped)");
            }
            answered_by.insert(before.rule.unwrap_or_default());
        }
        assert_eq!(answered_by.len(), 6, "each rule of theirs and the default answer some request: {answered_by:?}");
        assert!(bypassed_count > 100, "{bypassed_count}");

        let off = applied(&on, &plan_off(&on), &want);
        for request in requests(("x-maintenance-bypass", SECRET), None) {
            assert_eq!(answer(&off, &request), answer(&found, &request), "{request:?}: as before, once off");
        }
    }

    /// The page must come before the team's first rule; with no room there for a bypass, the
    /// page still goes up, without it, and the plan says so.
    #[test]
    fn a_bypass_with_no_room_before_their_first_rule_is_left_out_and_the_page_still_goes_first() {
        use crate::alb::desired::BypassHeader;
        use crate::fixtures::team_listener;
        let mut found = team_listener();
        for (rule, priority) in found.rules.iter_mut().zip([7, 8, 9, 10, 11]) {
            rule.priority = priority;
        }
        let header = BypassHeader { name: "x-maintenance-bypass".into(), secret: "team-only-0123456789abcdef".into() };
        // Each block is six rules: both and the page cannot fit in 1–6, one and the page cannot.
        let both = Wanted { bypass_header: Some(header.clone()), ..wanted(&["203.0.113.0/24"], None) };
        let plan = plan_on(&found, &both).unwrap();
        assert_eq!(shape(&plan), ["create maintenance 1"]);
        assert_eq!(plan.left_out.len(), 2, "{:?}", plan.left_out);
        assert!(plan.left_out[0].contains("bypass_cidrs") && plan.left_out[0].contains("only 6 priorities are free"));
        assert_eq!(plan.ahead, Vec::<String>::new(), "the page covers every rule of theirs");

        // Room for one block: the header's is kept, as it also works behind CloudFront.
        for (rule, priority) in found.rules.iter_mut().zip([8, 9, 10, 11, 12]) {
            rule.priority = priority;
        }
        let plan = plan_on(&found, &both).unwrap();
        assert_eq!(shape(&plan).last().map(String::as_str), Some("create maintenance 7"));
        assert!(shape(&plan).iter().all(|s| !s.starts_with("create bypass ")), "{:?}", shape(&plan));
        assert_eq!(plan.left_out.len(), 1);
        assert!(plan.left_out[0].contains("bypass_cidrs"), "{:?}", plan.left_out);
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

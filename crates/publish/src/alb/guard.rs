//! The guard's rules and their plan: no visitor is served on the ALB's own DNS name, and
//! CloudFront's requests, which carry that name as `Host` unless the behavior forwards the
//! viewer's, still are. A pure function of the listener as read and what is [`GuardWanted`].
//!
//! ALB conditions cannot be negated, so "redirect unless the request came from CloudFront" is
//! a rule that lets CloudFront's requests through (they carry a secret origin header) ahead of
//! the redirect. A rule that forwards ends the evaluation, so letting them through as the
//! default action does would skip the team's own rules; instead every rule of theirs gets a
//! copy with the secret header added, in their order, ahead of the pass rule. CloudFront's
//! requests are then routed exactly as before, and nothing of theirs is renumbered.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, HostHeaderConditionConfig, HttpHeaderConditionConfig, RedirectActionConfig,
    RedirectActionStatusCodeEnum, RuleCondition,
};
use serde::Serialize;

use super::Role;
use super::desired::{numbered, same_spec};
use super::error::AlbPlanError;
use super::listener::{
    FoundListener, FoundRule, RuleSpec, RuleStep, describe_actions, describe_conditions, describe_rule,
};
use crate::change::{Change, ChangeKind};

/// The custom origin header CloudFront adds to its requests to the ALB, and the ALB's rules
/// look for. Its value is the secret.
pub use edgepages_core::config::ORIGIN_VERIFY_HEADER as ORIGIN_HEADER;

/// Free priorities left at the top for maintenance's bypass and page rules, which must be
/// evaluated before the guard's: the pass rule forwards, and would let CloudFront's requests
/// past a maintenance rule below it.
pub const ROOM_FOR_MAINTENANCE: usize = 2;

/// What the config and the distribution as read ask of the listener.
#[derive(Clone, PartialEq, Eq)]
pub struct GuardWanted {
    /// The ALB's own DNS name, as the load balancer reports it.
    pub alb_dns: String,
    /// Where visitors of the ALB's DNS name are sent, such as `www.example.com`.
    pub canonical_host: String,
    /// The origin header's value, when CloudFront is in front; `None` for a site whose visitors
    /// reach the ALB directly by the canonical host, which needs only the redirect. Never printed.
    pub secret: Option<String>,
    /// Whether the redirect may exist: only once CloudFront sends the header everywhere (see
    /// [`redirect_allowed`]), or every viewer would loop while the distribution deploys.
    pub redirect: bool,
}

impl std::fmt::Debug for GuardWanted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardWanted")
            .field("alb_dns", &self.alb_dns)
            .field("canonical_host", &self.canonical_host)
            .field("secret", &"(secret)")
            .field("redirect", &self.redirect)
            .finish()
    }
}

/// The redirect may go in once the distribution as read sends the header with this secret and
/// has deployed; once in, it stays while the header does (another change deploying does not
/// bring back the risk).
pub fn redirect_allowed(header_sent: bool, deployed: bool, redirect_exists: bool) -> bool {
    header_sent && (deployed || redirect_exists)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardPlan {
    pub steps: Vec<RuleStep>,
    pub changes: Vec<Change>,
    /// The redirect is wanted but waits for the distribution to deploy the origin header.
    pub redirect_waits: bool,
    /// Others' rules evaluated before the redirect: visitors of the ALB's DNS name whose
    /// requests they match still reach the targets. `priority: what they match`.
    pub ahead: Vec<String>,
}

impl GuardPlan {
    pub fn write_count(&self) -> usize {
        self.steps.len()
    }
}

/// The rule `rule` of the team's, for CloudFront's requests only.
fn copy_of(rule: &FoundRule, secret: &str) -> Result<RuleSpec, AlbPlanError> {
    RuleSpec::copy_of(rule, &[secret_condition(secret)], "the origin header, for CloudFront's requests")
}

fn secret_condition(secret: &str) -> RuleCondition {
    RuleCondition::builder()
        .field("http-header")
        .http_header_config(HttpHeaderConditionConfig::builder().http_header_name(ORIGIN_HEADER).values(secret).build())
        .build()
}

/// The redirect: requests for the ALB's DNS name go to the canonical host, path and query kept.
pub fn redirect_spec(wanted: &GuardWanted) -> RuleSpec {
    RuleSpec {
        conditions: vec![
            RuleCondition::builder()
                .field("host-header")
                .host_header_config(HostHeaderConditionConfig::builder().values(&wanted.alb_dns).build())
                .build(),
        ],
        actions: vec![
            Action::builder()
                .r#type(ActionTypeEnum::Redirect)
                .order(1)
                .redirect_config(
                    RedirectActionConfig::builder()
                        .protocol("HTTPS")
                        .port("443")
                        .host(&wanted.canonical_host)
                        .path("/#{path}")
                        .query("#{query}")
                        .status_code(RedirectActionStatusCodeEnum::Http301)
                        .build(),
                )
                .build(),
        ],
        transforms: Vec::new(),
    }
}

/// The copies of the team's rules, in their order, then the pass rule; none without CloudFront.
fn core_specs(found: &FoundListener, wanted: &GuardWanted) -> Result<Vec<(Role, RuleSpec)>, AlbPlanError> {
    let Some(secret) = &wanted.secret else { return Ok(Vec::new()) };
    let mut theirs: Vec<&FoundRule> = found.rules.iter().filter(|r| r.role.is_none()).collect();
    theirs.sort_by_key(|r| r.priority);
    let mut specs = theirs
        .into_iter()
        .map(|r| Ok((Role::GuardCopy, copy_of(r, secret)?)))
        .collect::<Result<Vec<_>, AlbPlanError>>()?;
    specs.push((
        Role::GuardPass,
        RuleSpec {
            conditions: vec![secret_condition(secret)],
            actions: numbered(&found.default_actions),
            transforms: Vec::new(),
        },
    ));
    Ok(specs)
}

fn ours(found: &FoundListener, wanted_roles: &[Role]) -> Vec<FoundRule> {
    let mut picked: Vec<FoundRule> =
        found.rules.iter().filter(|r| r.role.is_some_and(|role| wanted_roles.contains(&role))).cloned().collect();
    picked.sort_by_key(|r| r.priority);
    picked
}

/// `publish` with `canonical_host` set: the guard's rules as `wanted`, changing only edgepages'
/// own. `None` for `wanted` takes the guard away (the redirect first).
pub fn plan_guard(found: &FoundListener, wanted: Option<&GuardWanted>) -> Result<GuardPlan, AlbPlanError> {
    let core = ours(found, &[Role::GuardCopy, Role::GuardPass]);
    let redirect = ours(found, &[Role::GuardRedirect]);
    if redirect.len() > 1 {
        return Err(AlbPlanError::Duplicate {
            role: Role::GuardRedirect,
            count: redirect.len(),
            arns: redirect.iter().map(|r| r.arn.clone()).collect(),
        });
    }
    let redirect = redirect.into_iter().next();
    let mut plan = GuardPlan { steps: Vec::new(), changes: Vec::new(), redirect_waits: false, ahead: Vec::new() };
    let Some(wanted) = wanted else {
        for rule in redirect.iter().chain(core.iter().rev()) {
            delete(&mut plan, rule);
        }
        return Ok(plan);
    };
    plan.redirect_waits = !wanted.redirect;
    let want_core = core_specs(found, wanted)?;
    let mut layout = Layout::of(found, &core, redirect.as_ref(), &want_core)?;
    let core_last = if layout.core_in_place {
        layout.taken.extend(core.iter().map(|r| r.priority));
        core.last().map(|r| r.priority)
    } else {
        // Rebuilt: the redirect goes first and comes back last, so CloudFront's requests are
        // never redirected while their rules are missing.
        for rule in redirect.iter().chain(core.iter().rev()) {
            delete(&mut plan, rule);
        }
        create_core(&mut plan, want_core, &mut layout)?
    };
    let redirect_kept = layout.core_in_place.then_some(redirect.as_ref()).flatten();
    let want_redirect = wanted.redirect.then(|| redirect_spec(wanted));
    let redirect_priority = plan_redirect(&mut plan, redirect_kept, want_redirect, &mut layout, core_last)?;
    if let Some(at) = redirect_priority {
        plan.ahead = found
            .rules
            .iter()
            .filter(|r| r.role.is_none() && r.priority < at)
            .map(|r| format!("{}: {}", r.priority, describe_conditions(&r.conditions)))
            .collect();
    }
    Ok(plan)
}

/// Where the guard's rules go on the listener as read.
struct Layout {
    /// The priorities held by rules that stay where they are.
    taken: Vec<u32>,
    /// Where edgepages' guard begins: after maintenance's rules, or leaving them room.
    start: u32,
    /// Whether the copies and the pass rule on the listener stay as they are.
    core_in_place: bool,
}

impl Layout {
    fn of(
        found: &FoundListener,
        core: &[FoundRule],
        redirect: Option<&FoundRule>,
        want_core: &[(Role, RuleSpec)],
    ) -> Result<Layout, AlbPlanError> {
        let maintenance_last =
            found.rules.iter().filter(|r| r.role.is_some_and(Role::is_maintenance)).map(|r| r.priority).max();
        let taken: Vec<u32> = found.rules.iter().filter(|r| !is_guard(r)).map(|r| r.priority).collect();
        let start = match maintenance_last {
            Some(m) => m + 1,
            None => nth_free(&taken, 1, ROOM_FOR_MAINTENANCE).ok_or(AlbPlanError::NoFreePriority)?,
        };
        // `maintenance on` moves the guard after its own rules when they need the room; once
        // maintenance is off, the guard goes back to the top, before the team's rules.
        let home = maintenance_last.is_some() || core.first().or(redirect).is_none_or(|first| first.priority <= start);
        let core_in_place = home
            && core.len() == want_core.len()
            && core.iter().zip(want_core).all(|(rule, (role, spec))| rule.role == Some(*role) && same_spec(rule, spec))
            && core.first().is_none_or(|first| maintenance_last.is_none_or(|m| m < first.priority));
        Ok(Layout { taken, start, core_in_place })
    }
}

/// The copies and the pass rule, created in order from the start; returns the last's priority.
fn create_core(
    plan: &mut GuardPlan,
    want_core: Vec<(Role, RuleSpec)>,
    layout: &mut Layout,
) -> Result<Option<u32>, AlbPlanError> {
    let mut last = None;
    for (role, spec) in want_core {
        let from = last.map_or(layout.start, |l: u32| l + 1);
        let priority = free_after(&layout.taken, from).ok_or(AlbPlanError::NoFreePriority)?;
        layout.taken.push(priority);
        last = Some(priority);
        create(plan, role, priority, spec);
    }
    Ok(last)
}

/// The redirect after the pass rule (ending at `core_last`): kept, changed, moved, created or
/// deleted; returns its priority when there is one.
fn plan_redirect(
    plan: &mut GuardPlan,
    kept: Option<&FoundRule>,
    wanted: Option<RuleSpec>,
    layout: &mut Layout,
    core_last: Option<u32>,
) -> Result<Option<u32>, AlbPlanError> {
    let after_core = core_last.map_or(layout.start, |c| c + 1);
    Ok(match (kept, wanted) {
        (Some(rule), Some(spec)) => {
            if !same_spec(rule, &spec) || core_last.is_some_and(|c| c > rule.priority) {
                modify_or_move(plan, rule, spec, &mut layout.taken, (core_last, after_core))?
            } else {
                Some(rule.priority)
            }
        }
        (None, Some(spec)) => {
            let priority = free_after(&layout.taken, after_core).ok_or(AlbPlanError::NoFreePriority)?;
            create(plan, Role::GuardRedirect, priority, spec);
            Some(priority)
        }
        (Some(rule), None) => {
            delete(plan, rule);
            None
        }
        (None, None) => None,
    })
}

/// A redirect that must change: in place when it still comes after the pass rule, otherwise
/// deleted and created again after it.
fn modify_or_move(
    plan: &mut GuardPlan,
    rule: &FoundRule,
    spec: RuleSpec,
    taken: &mut Vec<u32>,
    (core_last, after_core): (Option<u32>, u32),
) -> Result<Option<u32>, AlbPlanError> {
    if core_last.is_none_or(|c| c < rule.priority) {
        plan.changes.push(Change {
            kind: ChangeKind::Modify,
            target: format!("guard redirect rule, priority {}", rule.priority),
            before: Some(describe_rule(rule)),
            after: Some(describe_spec(&spec)),
        });
        plan.steps.push(RuleStep::Modify { role: Role::GuardRedirect, arn: rule.arn.clone(), spec });
        return Ok(Some(rule.priority));
    }
    delete(plan, rule);
    let priority = free_after(taken, after_core).ok_or(AlbPlanError::NoFreePriority)?;
    taken.push(priority);
    create(plan, Role::GuardRedirect, priority, spec);
    Ok(Some(priority))
}

/// Once the rules at `leaving` (maintenance's) are gone: the guard's rules moved back to where
/// [`plan_guard`] puts them, before the team's rules with room for maintenance left above, their
/// order kept. None when they are there already, or when one would land where another of the
/// guard's rules is now (SetRulePriorities in moto refuses a priority in use, even by a rule the
/// same call moves): the next publish then puts the guard back.
pub(crate) fn home_moves(found: &FoundListener, leaving: &[u32]) -> Vec<super::listener::Moved> {
    let mut guard: Vec<&FoundRule> = found.rules.iter().filter(|r| is_guard(r)).collect();
    guard.sort_by_key(|r| r.priority);
    let mut taken: Vec<u32> =
        found.rules.iter().filter(|r| !is_guard(r) && !leaving.contains(&r.priority)).map(|r| r.priority).collect();
    let Some(mut from) = nth_free(&taken, 1, ROOM_FOR_MAINTENANCE) else { return Vec::new() };
    let mut moves = Vec::new();
    for rule in &guard {
        let Some(home) = free_after(&taken, from) else { return Vec::new() };
        taken.push(home);
        from = home + 1;
        if home != rule.priority {
            if guard.iter().any(|g| g.priority == home) {
                return Vec::new();
            }
            let role = rule.role.unwrap_or(Role::GuardCopy);
            moves.push(super::listener::Moved { role, arn: rule.arn.clone(), from: rule.priority, to: home });
        }
    }
    moves
}

fn is_guard(rule: &FoundRule) -> bool {
    matches!(rule.role, Some(Role::GuardCopy | Role::GuardPass | Role::GuardRedirect))
}

fn free_after(taken: &[u32], from: u32) -> Option<u32> {
    (from..=50_000).find(|p| !taken.contains(p))
}

/// The free priority after `skip` free ones, counting from `from`.
fn nth_free(taken: &[u32], from: u32, skip: usize) -> Option<u32> {
    (from..=50_000).filter(|p| !taken.contains(p)).nth(skip)
}

fn create(plan: &mut GuardPlan, role: Role, priority: u32, spec: RuleSpec) {
    plan.changes.push(Change {
        kind: ChangeKind::Add,
        target: format!("{} rule, priority {priority}", role_words(role)),
        before: None,
        after: Some(describe_spec(&spec)),
    });
    plan.steps.push(RuleStep::Create { role, priority, spec });
}

fn delete(plan: &mut GuardPlan, rule: &FoundRule) {
    let role_of = rule.role.unwrap_or(Role::GuardCopy);
    plan.changes.push(Change {
        kind: ChangeKind::Remove,
        target: format!("{} rule, priority {}", role_words(role_of), rule.priority),
        before: Some(describe_rule(rule)),
        after: None,
    });
    plan.steps.push(RuleStep::Delete { role: role_of, arn: rule.arn.clone() });
}

fn role_words(role: Role) -> &'static str {
    match role {
        Role::GuardCopy => "guard copy",
        Role::GuardPass => "guard pass",
        Role::GuardRedirect => "guard redirect",
        Role::Bypass => "bypass",
        Role::BypassHeader => "header bypass",
        Role::Maintenance => "maintenance",
    }
}

fn describe_spec(spec: &RuleSpec) -> String {
    format!("{} → {}", describe_conditions(&spec.conditions), describe_actions(&spec.actions))
}

#[cfg(test)]
mod tests {
    use aws_sdk_elasticloadbalancingv2::types::PathPatternConditionConfig;

    use super::*;
    use crate::alb::desired::same_conditions;
    use crate::alb::desired::{Wanted, maintenance_conditions};
    use crate::alb::plan::{plan_off, plan_on};

    use crate::fixtures::{API, WEB as TG, listener, path};

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn forward(tg: &str) -> Vec<Action> {
        numbered(&[crate::fixtures::forward(tg)])
    }

    fn theirs(priority: u32, condition: RuleCondition, tg: &str) -> FoundRule {
        crate::fixtures::theirs(priority, vec![condition], &[crate::fixtures::forward(tg)])
    }

    fn wanted(redirect: bool) -> GuardWanted {
        GuardWanted {
            alb_dns: "shop-1234567890.eu-west-1.elb.amazonaws.com".into(),
            canonical_host: "www.example.com".into(),
            secret: Some(SECRET.into()),
            redirect,
        }
    }

    /// `found` once `plan` was carried out.
    fn applied(found: &FoundListener, plan: &GuardPlan) -> FoundListener {
        crate::alb::plan::tests_support::applied_steps(found, &plan.steps, None)
    }

    fn created(steps: &[RuleStep]) -> Vec<(Role, u32)> {
        steps
            .iter()
            .filter_map(|s| match s {
                RuleStep::Create { role, priority, .. } => Some((*role, *priority)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn copies_in_their_order_then_pass_leave_room_for_maintenance_and_the_redirect_waits_for_the_header() {
        let found = listener();
        let plan = plan_guard(&found, Some(&wanted(false))).unwrap();
        assert_eq!(created(&plan.steps), [(Role::GuardCopy, 3), (Role::GuardCopy, 4), (Role::GuardPass, 5)]);
        assert!(plan.redirect_waits);
        let RuleStep::Create { spec, .. } = &plan.steps[0] else { panic!() };
        assert_eq!(spec.actions, forward(API), "the copy does what their /api/* rule does");
        assert!(same_conditions(&spec.conditions, &[path("/api/*"), secret_condition(SECRET)]));
        assert!(spec.conditions[0].values.is_none(), "the legacy values are not sent back with the config");

        let first = applied(&found, &plan);
        let second = plan_guard(&first, Some(&wanted(true))).unwrap();
        assert_eq!(created(&second.steps), [(Role::GuardRedirect, 6)]);
        assert_eq!(second.steps.len(), 1);
        assert_eq!(second.ahead, Vec::<String>::new(), "their rules come after the redirect");

        let done = applied(&first, &second);
        assert_eq!(plan_guard(&done, Some(&wanted(true))).unwrap().steps, [], "twice is nothing");
    }

    #[test]
    fn their_rules_before_the_redirect_are_listed_never_renumbered() {
        let mut found = listener();
        found.rules[0].priority = 1;
        let plan = plan_guard(&found, Some(&wanted(true))).unwrap();
        assert_eq!(
            created(&plan.steps),
            [(Role::GuardCopy, 4), (Role::GuardCopy, 5), (Role::GuardPass, 6), (Role::GuardRedirect, 7)]
        );
        assert_eq!(plan.ahead, ["1: path-pattern /api/*"]);
    }

    #[test]
    fn without_cloudfront_the_guard_is_the_redirect_alone_and_a_cloudfront_guard_shrinks_to_it() {
        let found = listener();
        let alone = GuardWanted { secret: None, ..wanted(true) };
        let plan = plan_guard(&found, Some(&alone)).unwrap();
        assert_eq!(created(&plan.steps), [(Role::GuardRedirect, 3)]);

        let behind = applied(&found, &plan_guard(&found, Some(&wanted(false))).unwrap());
        let behind = applied(&behind, &plan_guard(&behind, Some(&wanted(true))).unwrap());
        let shrunk = plan_guard(&behind, Some(&alone)).unwrap();
        let after = applied(&behind, &shrunk);
        let roles: Vec<Option<Role>> = {
            let mut rules = after.rules.clone();
            rules.sort_by_key(|r| r.priority);
            rules.iter().map(|r| r.role).collect()
        };
        assert_eq!(roles, [Some(Role::GuardRedirect), None, None]);
        assert_eq!(plan_guard(&after, Some(&alone)).unwrap().steps, []);
    }

    #[test]
    fn the_secret_is_never_in_the_words_or_the_json() {
        let plan = plan_guard(&listener(), Some(&wanted(true))).unwrap();
        let words = format!("{:?}", plan.changes);
        let json = serde_json::to_string(&plan).unwrap();
        assert!(words.contains("http-header x-edgepages-origin-verify (secret, fingerprint "), "{words}");
        assert!(!words.contains(SECRET) && !json.contains(SECRET));
        assert!(!format!("{:?}", wanted(true)).contains(SECRET));
        // The steps carry the rules as written, secret included; their debug form hides it.
        let steps = format!("{:?}", plan.steps);
        assert!(steps.contains("http-header x-edgepages-origin-verify: (secret)"), "{steps}");
        assert!(!steps.contains(SECRET), "{steps}");
    }

    #[test]
    fn a_changed_rule_of_theirs_rebuilds_the_copies_with_the_redirect_out_first_and_back_last() {
        let found = listener();
        let on = applied(&found, &plan_guard(&found, Some(&wanted(false))).unwrap());
        let on = applied(&on, &plan_guard(&on, Some(&wanted(true))).unwrap());
        let mut changed = on.clone();
        changed.rules.iter_mut().find(|r| r.arn == "arn:rule/theirs-10").unwrap().actions = forward(TG);
        let plan = plan_guard(&changed, Some(&wanted(true))).unwrap();
        let roles: Vec<(&str, Role)> = plan
            .steps
            .iter()
            .map(|s| match s {
                RuleStep::Create { role, .. } => ("create", *role),
                RuleStep::Modify { role, .. } => ("modify", *role),
                RuleStep::Delete { role, .. } => ("delete", *role),
                RuleStep::Move { .. } => ("move", Role::GuardCopy),
            })
            .collect();
        assert_eq!(
            roles,
            [
                ("delete", Role::GuardRedirect),
                ("delete", Role::GuardPass),
                ("delete", Role::GuardCopy),
                ("delete", Role::GuardCopy),
                ("create", Role::GuardCopy),
                ("create", Role::GuardCopy),
                ("create", Role::GuardPass),
                ("create", Role::GuardRedirect),
            ]
        );
        let after = applied(&changed, &plan);
        assert_eq!(plan_guard(&after, Some(&wanted(true))).unwrap().steps, []);
    }

    #[test]
    fn a_new_canonical_host_modifies_the_redirect_in_place_and_none_takes_the_guard_away_redirect_first() {
        let found = listener();
        let on = applied(&found, &plan_guard(&found, Some(&wanted(false))).unwrap());
        let on = applied(&on, &plan_guard(&on, Some(&wanted(true))).unwrap());
        let mut elsewhere = wanted(true);
        elsewhere.canonical_host = "shop.example.com".into();
        let plan = plan_guard(&on, Some(&elsewhere)).unwrap();
        assert!(matches!(plan.steps.as_slice(), [RuleStep::Modify { role: Role::GuardRedirect, .. }]));

        let off = plan_guard(&on, None).unwrap();
        assert!(matches!(off.steps.first(), Some(RuleStep::Delete { role: Role::GuardRedirect, .. })));
        assert_eq!(applied(&on, &off), found, "the listener exactly as it was");
    }

    #[test]
    fn maintenance_goes_in_before_the_guard_and_the_guard_after_maintenance() {
        let found = listener();
        let guarded = applied(&found, &plan_guard(&found, Some(&wanted(false))).unwrap());
        let page = Wanted {
            page: "<p>soon</p>".into(),
            until: None,
            bypass_cidrs: vec!["203.0.113.0/24".into()],
            bypass_header: None,
        };
        // The bypass copies the guard's rules too (3, 4, 5) and theirs (10, 20): six rules, then
        // the page, where the guard was; the guard moves after, its order kept.
        let on = plan_on(&guarded, &page).unwrap();
        assert_eq!(
            crate::alb::plan::tests_support::shape(&on.steps),
            [
                "move 3>8 4>9 5>11",
                "create bypass 1",
                "create bypass 2",
                "create bypass 3",
                "create bypass 4",
                "create bypass 5",
                "create bypass 6",
                "create maintenance 7"
            ]
        );
        assert_eq!(plan_off(&guarded).steps, [], "maintenance off leaves the guard");
        let during = crate::alb::plan::tests_support::applied_steps(&guarded, &on.steps, None);
        assert_eq!(plan_guard(&during, Some(&wanted(false))).unwrap().steps, [], "the guard is in place after it");

        // Off puts the guard back where it was, before their rules: the listener exactly as it was.
        let off_plan = plan_off(&during);
        assert_eq!(crate::alb::plan::tests_support::shape(&off_plan.steps).last().unwrap(), "move 8>3 9>4 11>5");
        let off = crate::alb::plan::tests_support::applied_steps(&during, &off_plan.steps, None);
        let mut before = guarded.clone();
        before.rules.sort_by_key(|r| r.priority);
        assert_eq!(off, before);
        // Were it left moved (a move SetRulePriorities would refuse), the next publish puts it back.
        let mut moved = off.clone();
        for (rule, to) in moved.rules.iter_mut().filter(|r| r.role.is_some()).zip([8, 9, 11]) {
            rule.priority = to;
        }
        let back = plan_guard(&moved, Some(&wanted(false))).unwrap();
        assert_eq!(created(&back.steps), [(Role::GuardCopy, 3), (Role::GuardCopy, 4), (Role::GuardPass, 5)]);

        // With maintenance already on, a new guard starts right after it.
        let mut with_page = found.clone();
        with_page.rules.push(FoundRule {
            arn: "arn:rule/page".into(),
            priority: 1,
            conditions: maintenance_conditions(),
            actions: forward(TG),
            transforms: Vec::new(),
            role: Some(Role::Maintenance),
            until: None,
        });
        assert_eq!(
            created(&plan_guard(&with_page, Some(&wanted(false))).unwrap().steps),
            [(Role::GuardCopy, 2), (Role::GuardCopy, 3), (Role::GuardPass, 4)]
        );
    }

    /// With the guard in place, CloudFront's requests (the origin header, the ALB's name as Host)
    /// and visitors of the ALB's name alike: bypassed, answered as before maintenance (the
    /// redirect included); otherwise the page; and as before again once maintenance is off.
    #[test]
    fn behind_the_guard_a_bypassed_request_is_answered_as_before_and_every_other_one_gets_the_page() {
        use crate::alb::desired::{BypassHeader, maintenance_actions};
        use crate::alb::evaluate::answer;
        use crate::alb::listener::normalised;
        use crate::alb::plan::tests_support::{ALB_DNS, OFFICE, applied_steps, requests};
        use crate::fixtures::team_listener;
        const TEAM: &str = "team-only-0123456789abcdef";
        let team = team_listener();
        let guard = GuardWanted { alb_dns: ALB_DNS.into(), ..wanted(true) };
        let guarded = applied(&team, &plan_guard(&team, Some(&guard)).unwrap());
        let want = Wanted {
            page: "<p>soon</p>".into(),
            until: None,
            bypass_cidrs: vec!["203.0.113.0/24".into()],
            bypass_header: Some(BypassHeader { name: "x-maintenance-bypass".into(), secret: TEAM.into() }),
        };
        let plan = plan_on(&guarded, &want).unwrap();
        let on = applied_steps(&guarded, &plan.steps, None);
        let page = normalised(&maintenance_actions(&want.page));
        let office: std::net::IpAddr = OFFICE.parse().unwrap();
        let (mut redirected, mut bypassed) = (0, 0);
        for request in requests(("x-maintenance-bypass", TEAM), Some((ORIGIN_HEADER, SECRET))) {
            let before = answer(&guarded, &request);
            let during = answer(&on, &request);
            let is_bypassed = request.source == office || request.headers.iter().any(|(_, v)| v == TEAM);
            let behind_oidc = before.actions.iter().any(|a| a.r#type == Some(ActionTypeEnum::AuthenticateOidc));
            if is_bypassed && !behind_oidc {
                assert_eq!(during.actions, before.actions, "{request:?}");
                bypassed += 1;
                redirected += usize::from(before.actions[0].r#type == Some(ActionTypeEnum::Redirect));
            } else {
                assert_eq!(during.actions, page, "{request:?}");
            }
        }
        assert!(bypassed > 100 && redirected > 0, "{bypassed} bypassed, {redirected} of them redirected");
        let off = applied_steps(&on, &plan_off(&on).steps, None);
        for request in requests(("x-maintenance-bypass", TEAM), Some((ORIGIN_HEADER, SECRET))) {
            assert_eq!(answer(&off, &request).actions, answer(&guarded, &request).actions, "{request:?}");
        }
    }

    #[test]
    fn a_rule_of_theirs_too_big_to_copy_is_refused_and_the_rule_quota_is_left_to_the_alb() {
        let mut found = listener();
        let five = RuleCondition::builder()
            .field("path-pattern")
            .path_pattern_config(
                PathPatternConditionConfig::builder()
                    .set_values(Some(["/a", "/b", "/c", "/d", "/e"].map(str::to_owned).to_vec()))
                    .build(),
            )
            .build();
        found.rules.push(theirs(30, five, TG));
        assert_eq!(
            plan_guard(&found, Some(&wanted(false))),
            Err(AlbPlanError::CopyOverLimit {
                priority: 30,
                arn: "arn:rule/theirs-30".into(),
                values: 6,
                with: "the origin header, for CloudFront's requests".into()
            })
        );

        // Rules per load balancer is a quota an account can raise: the guard is planned past
        // its default (100), and the ALB, knowing the account's quota, says.
        let mut full = listener();
        full.rules = (10..=69).map(|p| theirs(p, path("/x"), TG)).collect();
        assert_eq!(plan_guard(&full, Some(&wanted(false))).unwrap().steps.len(), 61);
    }
}

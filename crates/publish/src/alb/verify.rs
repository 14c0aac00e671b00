//! `verify`'s checks of the ALB guard, judged from what was read: the listener, and behind
//! CloudFront the requests it sends to the site's origin. Pure, so that every verdict is tested
//! here; the CLI only reads and shows.

use super::Role;
use super::guard::{GuardPlan, GuardWanted, plan_guard};
use super::listener::FoundListener;
use super::loop_check::{self, CloudFrontRequest, Verdict};
use crate::association::BehaviorKey;
use crate::verify::Check;

const NO_LOOP: &str = "guard: no redirect loop";
const REDIRECT: &str = "guard: redirect";
const RULES: &str = "guard: rules";

/// `who` (are | can be) redirected back to `whom` by `rule`.
fn looped(who: &str, whom: &str, rule: &str, certain: bool) -> String {
    format!("{who} {} redirected back to {whom} by {rule}", if certain { "are" } else { "can be" })
}

/// The guard behind CloudFront: no loop for CloudFront's `requests` (one per behavior to the
/// site's origin, or why it could not be worked out), the redirect in place once the origin
/// header is, and the guard's copies current with the team's rules.
pub fn behind_cloudfront(
    found: &FoundListener,
    requests: &[(BehaviorKey, Result<CloudFrontRequest, String>)],
    host: &str,
    alb_dns: &str,
    secret: Option<&str>,
) -> Vec<Check> {
    let loops: Vec<String> = requests
        .iter()
        .filter_map(|(behavior, request)| match request {
            Ok(request) => match loop_check::check(found, request, host) {
                Verdict::Loop { rule, certain } => {
                    let who = format!("{behavior}: CloudFront's requests (Host {})", request.host);
                    Some(looped(&who, host, &rule, certain))
                }
                Verdict::NoLoop { .. } => None,
            },
            Err(why) => Some(format!("{behavior}: {why}")),
        })
        .collect();
    let mut checks = vec![if loops.is_empty() {
        Check::pass(
            NO_LOOP.into(),
            "CloudFront's requests reach the targets on every behavior to the site's origin".into(),
        )
    } else {
        Check::fail(NO_LOOP.into(), loops.join("; "))
    }];

    let redirect = found.rules.iter().find(|r| r.role == Some(Role::GuardRedirect));
    checks.push(match (secret, redirect) {
        (_, Some(rule)) => {
            Check::pass(REDIRECT.into(), format!("priority {}: {alb_dns} → https://{host}", rule.priority))
        }
        (Some(_), None) => Check::warn(
            REDIRECT.into(),
            "not in place yet: it goes in once the distribution has deployed the origin header; publish again then"
                .into(),
        ),
        (None, None) => Check::fail(REDIRECT.into(), "no origin header on the site's origin; publish".into()),
    });
    if let Some(secret) = secret {
        let wanted = GuardWanted {
            alb_dns: alb_dns.to_owned(),
            canonical_host: host.to_owned(),
            secret: Some(secret.to_owned()),
            redirect: redirect.is_some(),
        };
        let current = plan_guard(found, Some(&wanted)).is_ok_and(|p| p.changes.is_empty());
        checks.push(if current {
            Check::pass(RULES.into(), "a copy of each of your rules for CloudFront's requests, then the pass rule".into())
        } else {
            Check::fail(
                RULES.into(),
                "out of date with the listener's rules (a rule was added, changed or removed since the publish): CloudFront's \
                 requests may skip it; publish again"
                    .into(),
            )
        });
    }
    checks
}

/// The guard of a site with no CloudFront in front: a visitor of the canonical host is never
/// sent back to it, and the redirect is in place as `wanted` (`plan` is the guard's plan for it).
pub fn alone(found: &FoundListener, plan: &GuardPlan, wanted: &GuardWanted) -> Vec<Check> {
    let host = &wanted.canonical_host;
    let visitor = CloudFrontRequest { host: host.clone(), headers: Vec::new() };
    let loops = match loop_check::check(found, &visitor, host) {
        Verdict::NoLoop { served_by } => {
            Check::pass(NO_LOOP.into(), format!("visitors of {host} are served by {served_by}"))
        }
        Verdict::Loop { rule, certain } => {
            Check::fail(NO_LOOP.into(), looped(&format!("visitors of {host}"), "it", &rule, certain))
        }
    };
    let redirect = found.rules.iter().find(|r| r.role == Some(Role::GuardRedirect));
    let in_place = match redirect {
        Some(rule) if plan.steps.is_empty() => {
            Check::pass(REDIRECT.into(), format!("priority {}: {} → https://{host}", rule.priority, wanted.alb_dns))
        }
        Some(_) => Check::fail(REDIRECT.into(), "differs from the config; publish".into()),
        None => Check::fail(REDIRECT.into(), "not in place; publish".into()),
    };
    vec![loops, in_place]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alb::loop_check::tests::{ALB, SECRET, cloudfront, forward, guarded, guarded_as, listener, path, rule};

    const HOST: &str = "www.example.com";

    /// Each check as `subject: ok|warn|FAIL: detail`, the way `verify` prints it.
    fn said_of(checks: &[Check]) -> Vec<String> {
        checks
            .iter()
            .map(|c| {
                let mark = if c.warning {
                    "warn"
                } else if c.ok {
                    "ok"
                } else {
                    "FAIL"
                };
                format!("{}: {mark}: {}", c.subject, c.detail)
            })
            .collect()
    }

    fn default_behavior(
        request: Result<CloudFrontRequest, String>,
    ) -> Vec<(BehaviorKey, Result<CloudFrontRequest, String>)> {
        vec![(BehaviorKey(None), request)]
    }

    fn alone_wanted() -> GuardWanted {
        GuardWanted { alb_dns: ALB.into(), canonical_host: HOST.into(), secret: None, redirect: true }
    }

    #[test]
    fn the_whole_guard_in_place_passes_every_check() {
        let requests = default_behavior(Ok(cloudfront(ALB, Some(SECRET))));
        let checks = behind_cloudfront(&guarded(), &requests, HOST, ALB, Some(SECRET));
        let said = said_of(&checks);
        assert_eq!(said.len(), 3, "{said:#?}");
        assert_eq!(
            said[0],
            "guard: no redirect loop: ok: CloudFront's requests reach the targets on every behavior to the site's origin"
        );
        assert!(said[1].starts_with("guard: redirect: ok: priority "), "{said:#?}");
        assert!(said[1].ends_with(&format!(": {ALB} → https://{HOST}")), "{said:#?}");
        assert!(said[2].starts_with("guard: rules: ok: "), "{said:#?}");
    }

    #[test]
    fn requests_without_the_secret_loop_and_the_behavior_is_named() {
        let requests = vec![
            (BehaviorKey(None), Ok(cloudfront(ALB, Some(SECRET)))),
            (BehaviorKey(Some("/api/*".into())), Ok(cloudfront(ALB, None))),
            (BehaviorKey(Some("/odd/*".into())), Err("its origin request policy cannot be read".into())),
        ];
        let checks = behind_cloudfront(&guarded(), &requests, HOST, ALB, Some(SECRET));
        assert!(checks[0].failed(), "{checks:#?}");
        let problems: Vec<&str> = checks[0].detail.split("; ").collect();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems[0].starts_with(&format!(
                "behavior /api/*: CloudFront's requests (Host {ALB}) are redirected back to {HOST} by priority "
            )),
            "{problems:#?}"
        );
        assert_eq!(problems[1], "behavior /odd/*: its origin request policy cannot be read");
    }

    #[test]
    fn the_redirect_waits_for_the_header_and_without_one_fails() {
        let waiting = guarded_as(&GuardWanted { redirect: false, ..alone_wanted_with_secret() });
        let requests = default_behavior(Ok(cloudfront(ALB, Some(SECRET))));
        let checks = behind_cloudfront(&waiting, &requests, HOST, ALB, Some(SECRET));
        let said = said_of(&checks);
        assert!(said[1].starts_with("guard: redirect: warn: not in place yet"), "{said:#?}");
        assert!(said[2].starts_with("guard: rules: ok: "), "{said:#?}");

        let checks = behind_cloudfront(&listener(), &default_behavior(Ok(cloudfront(ALB, None))), HOST, ALB, None);
        let said = said_of(&checks);
        assert_eq!(said[1], "guard: redirect: FAIL: no origin header on the site's origin; publish");
        assert_eq!(said.len(), 2, "no secret, so no copies to judge: {said:#?}");
    }

    #[test]
    fn a_rule_the_team_added_since_the_publish_makes_the_copies_stale() {
        let mut found = guarded();
        found.rules.push(rule(20, path("/new/*"), forward(), None));
        let requests = default_behavior(Ok(cloudfront(ALB, Some(SECRET))));
        let checks = behind_cloudfront(&found, &requests, HOST, ALB, Some(SECRET));
        assert!(checks[2].failed(), "{checks:#?}");
        assert!(checks[2].detail.starts_with("out of date with the listener's rules"), "{checks:#?}");
    }

    fn alone_wanted_with_secret() -> GuardWanted {
        GuardWanted { secret: Some(SECRET.into()), ..alone_wanted() }
    }

    #[test]
    fn alone_the_redirect_in_place_passes_and_missing_or_different_fails() {
        let wanted = alone_wanted();
        let found = guarded_as(&wanted);
        let current = plan_guard(&found, Some(&wanted)).unwrap();
        let said_now = said_of(&alone(&found, &current, &wanted));
        assert!(said_now[0].starts_with(&format!("guard: no redirect loop: ok: visitors of {HOST} are served by ")));
        assert!(said_now[1].starts_with("guard: redirect: ok: priority "), "{said_now:#?}");

        let bare = listener();
        let to_do = plan_guard(&bare, Some(&wanted)).unwrap();
        assert_eq!(said_of(&alone(&bare, &to_do, &wanted))[1], "guard: redirect: FAIL: not in place; publish");

        let other_host = GuardWanted { canonical_host: "shop.example.com".into(), ..alone_wanted() };
        let differs = plan_guard(&found, Some(&other_host)).unwrap();
        assert_eq!(
            said_of(&alone(&found, &differs, &other_host))[1],
            "guard: redirect: FAIL: differs from the config; publish"
        );
    }

    #[test]
    fn alone_a_redirect_of_the_canonical_host_to_itself_is_a_loop() {
        use aws_sdk_elasticloadbalancingv2::types::{
            Action, ActionTypeEnum, HostHeaderConditionConfig, RedirectActionConfig, RuleCondition,
        };
        let own_host = RuleCondition::builder()
            .field("host-header")
            .host_header_config(HostHeaderConditionConfig::builder().values(HOST).build())
            .build();
        let redirect = vec![
            Action::builder()
                .r#type(ActionTypeEnum::Redirect)
                .redirect_config(RedirectActionConfig::builder().host("#{host}").protocol("HTTPS").build())
                .build(),
        ];
        let wanted = alone_wanted();
        let mut found = guarded_as(&wanted);
        found.rules.push(rule(1, own_host, redirect, None));
        let plan = plan_guard(&found, Some(&wanted)).unwrap();
        assert_eq!(
            said_of(&alone(&found, &plan, &wanted))[0],
            format!(
                "guard: no redirect loop: FAIL: visitors of {HOST} are redirected back to it by priority 1: host-header {HOST} → redirect"
            )
        );
    }
}

//! The proof `verify` gives that no viewer can loop: the listener's rules evaluated as the ALB
//! evaluates them (lowest priority first, the first match wins) for a request as CloudFront
//! sends it, with the `Host` and origin headers read from the distribution. What a rule tests
//! that the read config cannot know (the path, the query, the method, the viewer's address) may
//! go either way, so a redirect to the canonical host behind such a condition counts as a loop.

use aws_sdk_elasticloadbalancingv2::types::{ActionTypeEnum, RuleCondition};

use super::listener::{FoundListener, FoundRule, condition_key, describe_rule};
use crate::glob::wildcard_matches;

/// A request as CloudFront sends it to the ALB.
#[derive(Clone, PartialEq, Eq)]
pub struct CloudFrontRequest {
    /// The origin's domain name, or the viewer's host when the behavior forwards `Host`.
    pub host: String,
    /// The origin's custom headers (values are secrets: never printed).
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for CloudFrontRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("CloudFrontRequest").field("host", &self.host).field("headers", &names).finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No rule can redirect it to the canonical host; `served_by` is the first rule sure to
    /// match (or the default action).
    NoLoop { served_by: String },
    /// `rule` sends it back to the canonical host: for every such request (`certain`) or for
    /// those its other conditions match.
    Loop { rule: String, certain: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    Yes,
    No,
    Maybe,
}

/// How `found`'s listener answers `request`, as far as loops go.
pub fn check(found: &FoundListener, request: &CloudFrontRequest, canonical_host: &str) -> Verdict {
    // Maintenance's rules are left out: the page answers everything but the bypass, and the
    // bypass answers exactly as the rules without maintenance do (`desired::bypass_block`), so a
    // loop can only be one of those rules' own. Judged three-valued, the bypass's copies would
    // look like loops of their own (a source-ip condition is unknown here).
    let mut rules: Vec<&FoundRule> =
        found.rules.iter().filter(|r| !r.role.is_some_and(super::Role::is_maintenance)).collect();
    rules.sort_by_key(|r| r.priority);
    for rule in rules {
        let matched = rule_matches(&rule.conditions, request);
        if matched == Match::No {
            continue;
        }
        let words = format!("priority {}: {}", rule.priority, describe_rule(rule));
        if redirects_to(rule, request, canonical_host) {
            return Verdict::Loop { rule: words, certain: matched == Match::Yes };
        }
        if matched == Match::Yes {
            return Verdict::NoLoop { served_by: words };
        }
    }
    let default = FoundRule {
        arn: String::new(),
        priority: u32::MAX,
        conditions: Vec::new(),
        actions: found.default_actions.clone(),
        transforms: Vec::new(),
        role: None,
        until: None,
    };
    if redirects_to(&default, request, canonical_host) {
        Verdict::Loop { rule: "the default action".into(), certain: true }
    } else {
        Verdict::NoLoop { served_by: "the default action".into() }
    }
}

fn redirects_to(rule: &FoundRule, request: &CloudFrontRequest, canonical_host: &str) -> bool {
    rule.actions.iter().any(|a| {
        a.r#type == Some(ActionTypeEnum::Redirect)
            && a.redirect_config.as_ref().is_some_and(|r| {
                let host = r.host.as_deref().unwrap_or("#{host}");
                let host = host.replace("#{host}", &request.host);
                host.eq_ignore_ascii_case(canonical_host)
            })
    })
}

fn rule_matches(conditions: &[RuleCondition], request: &CloudFrontRequest) -> Match {
    conditions.iter().map(|c| condition_matches(c, request)).fold(Match::Yes, |all, one| match (all, one) {
        (Match::No, _) | (_, Match::No) => Match::No,
        (Match::Maybe, _) | (_, Match::Maybe) => Match::Maybe,
        (Match::Yes, Match::Yes) => Match::Yes,
    })
}

fn any_value(values: &[String], text: &str) -> Match {
    let text = text.to_ascii_lowercase();
    if values.iter().any(|v| wildcard_matches(&v.to_ascii_lowercase(), &text)) { Match::Yes } else { Match::No }
}

fn condition_matches(c: &RuleCondition, request: &CloudFrontRequest) -> Match {
    let (field, values) = condition_key(c);
    if values.iter().any(|v| v.starts_with("regex:")) {
        return Match::Maybe;
    }
    match c.field.as_deref().unwrap_or_default() {
        "host-header" => any_value(&values, &request.host),
        "http-header" => {
            let name = c.http_header_config.as_ref().and_then(|h| h.http_header_name.as_deref()).unwrap_or_default();
            match request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                Some((_, value)) => any_value(&values, value),
                None => Match::No,
            }
        }
        "path-pattern" if values.iter().any(|v| v == "*" || v == "/*") => Match::Yes,
        _ => {
            let _ = field;
            Match::Maybe
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use aws_sdk_elasticloadbalancingv2::types::{Action, HostHeaderConditionConfig, RedirectActionConfig};

    use super::*;
    use crate::alb::Role;
    use crate::alb::guard::{GuardWanted, ORIGIN_HEADER, plan_guard};
    use crate::alb::listener::RuleStep;

    pub(crate) use crate::fixtures::{ALB_DNS as ALB, listener, path};
    pub(crate) const SECRET: &str = "0123456789abcdef0123456789abcdef";

    /// A forward to the web, numbered.
    pub(crate) fn forward() -> Vec<Action> {
        crate::alb::desired::numbered(&[crate::fixtures::forward(crate::fixtures::WEB)])
    }

    pub(crate) fn rule(priority: u32, condition: RuleCondition, actions: Vec<Action>, role: Option<Role>) -> FoundRule {
        FoundRule {
            arn: format!("arn:rule/{priority}"),
            priority,
            conditions: vec![condition],
            actions,
            transforms: Vec::new(),
            role,
            until: None,
        }
    }

    /// The listener with the whole guard in place.
    pub(crate) fn guarded() -> FoundListener {
        guarded_as(&GuardWanted {
            alb_dns: ALB.into(),
            canonical_host: "www.example.com".into(),
            secret: Some(SECRET.into()),
            redirect: true,
        })
    }

    /// The listener with the guard `wanted` in place.
    pub(crate) fn guarded_as(wanted: &GuardWanted) -> FoundListener {
        let mut found = listener();
        for step in plan_guard(&found, Some(wanted)).unwrap().steps {
            let RuleStep::Create { role, priority, spec } = step else { panic!("{step:?}") };
            found.rules.push(FoundRule {
                arn: format!("arn:rule/{priority}"),
                priority,
                conditions: spec.conditions,
                actions: spec.actions,
                transforms: Vec::new(),
                role: Some(role),
                until: None,
            });
        }
        found
    }

    pub(crate) fn cloudfront(host: &str, secret: Option<&str>) -> CloudFrontRequest {
        CloudFrontRequest {
            host: host.into(),
            headers: secret.map(|s| vec![(ORIGIN_HEADER.to_ascii_uppercase(), s.to_owned())]).unwrap_or_default(),
        }
    }

    #[test]
    fn cloudfront_with_the_secret_is_served_and_without_it_loops() {
        let found = guarded();
        assert!(matches!(
            check(&found, &cloudfront(ALB, Some(SECRET)), "www.example.com"),
            Verdict::NoLoop { served_by } if served_by.contains("x-edgepages-origin-verify (secret, fingerprint ")
        ));
        // The loop case: the origin header is missing (or stale), and CloudFront sends the ALB's name.
        assert!(matches!(
            check(&found, &cloudfront(ALB, None), "www.example.com"),
            Verdict::Loop { certain: true, .. }
        ));
        assert!(matches!(
            check(&found, &cloudfront(&ALB.to_ascii_uppercase(), Some("an-old-secret")), "www.example.com"),
            Verdict::Loop { certain: true, .. }
        ));
    }

    #[test]
    fn a_behavior_forwarding_the_viewers_host_never_meets_the_redirect() {
        assert!(matches!(
            check(&guarded(), &cloudfront("www.example.com", None), "www.example.com"),
            Verdict::NoLoop { .. }
        ));
    }

    #[test]
    fn a_redirect_of_theirs_behind_a_path_condition_is_a_possible_loop_and_names_the_rule() {
        let redirect = vec![
            Action::builder()
                .r#type(ActionTypeEnum::Redirect)
                .redirect_config(RedirectActionConfig::builder().host("#{host}").protocol("HTTPS").build())
                .build(),
        ];
        let mut found = listener();
        found.rules.push(rule(5, path("/old/*"), redirect, None));
        let verdict = check(&found, &cloudfront("www.example.com", None), "www.example.com");
        assert_eq!(
            verdict,
            Verdict::Loop { rule: "priority 5: path-pattern /old/* → redirect".into(), certain: false }
        );
        // The host of a different site is not a loop.
        assert!(matches!(check(&found, &cloudfront(ALB, None), "www.example.com"), Verdict::NoLoop { .. }));
    }

    #[test]
    fn wildcard_hosts_match_case_insensitively() {
        let host = RuleCondition::builder()
            .field("host-header")
            .host_header_config(HostHeaderConditionConfig::builder().values("*.ELB.amazonaws.com").build())
            .build();
        let redirect = vec![
            Action::builder()
                .r#type(ActionTypeEnum::Redirect)
                .redirect_config(RedirectActionConfig::builder().host("www.example.com").build())
                .build(),
        ];
        let found = FoundListener {
            default_actions: forward(),
            rules: vec![rule(1, host, redirect, None)],
            ..FoundListener::default()
        };
        assert!(matches!(
            check(&found, &cloudfront(ALB, None), "www.example.com"),
            Verdict::Loop { certain: true, .. }
        ));
    }
}

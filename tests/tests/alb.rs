//! `edgepages maintenance on | off | status` against moto's Elastic Load Balancing, through the
//! recording proxy: the rules added and tagged, the team's own rules and the default action
//! unchanged, `on` twice making no write, `off` giving the listener back exactly, and a change
//! made by someone else between the read and the write refused.
//!
//! moto does not serve traffic through the ALB, so what visitors would get (the page, the
//! bypass) is asserted from the rules as read back.

#![allow(clippy::unwrap_used)]

mod aws;

use aws::{Rig, writes};
use aws_sdk_elasticloadbalancingv2::types::{ActionTypeEnum, Rule};
use edgepages_e2e::aws_fixture::{Alb, Start};
use edgepages_e2e::aws_proxy::Faults;

/// A rig whose config has `[alb]` for a fresh ALB with the team's rules, and the ALB.
fn with_alb(more: &str) -> (Rig, Alb) {
    let rig = Rig::new(Start::Fresh);
    let alb = rig.fixture.alb().unwrap();
    let config = std::fs::read_to_string(&rig.config).unwrap();
    let section = format!("\n[alb]\nlistener_arn = \"{}\"\n{more}", alb.listener_arn);
    std::fs::write(&rig.config, config + &section).unwrap();
    (rig, alb)
}

/// The rig's redactions, with the ALB's: `[LISTENER]`, `[ALB_DNS]`, the target groups `[TG_WEB]`
/// and `[TG_API]`, the team's rules `[RULE_API]` and `[RULE_ADMIN]`, every other rule `[RULE]`
/// (moto names them at random), and the origin header secret's `[FINGERPRINT]`.
fn redactions(rig: &Rig, alb: &Alb) -> aws::Redactions {
    rig.redactions()
        .value("RULE_API", &alb.rules["api"])
        .value("RULE_ADMIN", &alb.rules["admin"])
        .value("LISTENER", &alb.listener_arn)
        .value("ALB_DNS", &alb.dns_name)
        .value("TG_WEB", &alb.target_groups[0])
        .value("TG_API", &alb.target_groups[1])
        .pattern("RULE", r#"(arn:aws:elasticloadbalancing:[a-z0-9-]+:\d+:listener-rule/[^\s,;)"]+)"#)
        .pattern("FINGERPRINT", r"fingerprint ([0-9a-f]{8})")
}

/// The listener's rules but the default one, by priority, and their tags.
fn rules(rig: &Rig, alb: &Alb) -> Vec<(Rule, Vec<(String, String)>)> {
    let read = rig.fixture.elb.describe_rules().listener_arn(&alb.listener_arn).send();
    let mut rules: Vec<Rule> =
        rig.block_on(read).unwrap().rules.unwrap().into_iter().filter(|r| r.is_default != Some(true)).collect();
    rules.sort_by_key(|r| r.priority.as_deref().unwrap().parse::<u32>().unwrap());
    rules
        .into_iter()
        .map(|r| {
            let tags = rig
                .block_on(rig.fixture.elb.describe_tags().resource_arns(r.rule_arn.clone().unwrap()).send())
                .unwrap()
                .tag_descriptions
                .unwrap_or_default()
                .into_iter()
                .flat_map(|d| d.tags.unwrap_or_default())
                .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
                .collect();
            (r, tags)
        })
        .collect()
}

/// The listener's default actions.
fn default_actions(rig: &Rig, alb: &Alb) -> Vec<aws_sdk_elasticloadbalancingv2::types::Action> {
    let read = rig.fixture.elb.describe_listeners().listener_arns(&alb.listener_arn).send();
    rig.block_on(read).unwrap().listeners.unwrap().remove(0).default_actions.unwrap()
}

#[test]
fn maintenance_goes_on_at_the_alb_leaves_theirs_alone_and_off_gives_the_listener_back_exactly() {
    let (rig, alb) = with_alb("bypass_cidrs = [\"203.0.113.0/24\", \"2001:db8::/32\"]\n");
    let before = rules(&rig, &alb);
    let default_before = default_actions(&rig, &alb);
    assert_eq!(before.len(), 2);

    let r = redactions(&rig, &alb);
    let status = rig.run(&["maintenance", "status"]).ok();
    insta::assert_snapshot!("maintenance_status_off", status.transcript(&r));

    // The bypass rules (a copy of each of the listener's 2 rules, then its default action), the
    // maintenance rule at 4 until the end given, and 4 write calls.
    rig.proxy.clear();
    let dry = rig.run(&["maintenance", "on", "--until", "2099-12-02T18:00:00Z", "--dry-run"]).ok();
    insta::assert_snapshot!("maintenance_on_dry_run", dry.transcript(&r));
    assert_eq!(writes(&rig), Vec::<String>::new(), "--dry-run wrote");

    let on = rig.run(&["maintenance", "on", "--until", "2099-12-02T18:00:00Z", "--yes"]).ok();
    insta::assert_snapshot!("maintenance_on", on.transcript(&r));
    assert_eq!(writes(&rig), ["CreateRule", "CreateRule", "CreateRule", "CreateRule"]);

    let after = rules(&rig, &alb);
    assert_eq!(after.len(), 6);
    // The team's rules, byte for byte, at their own priorities; the default action too.
    assert_eq!(after[4], before[0]);
    assert_eq!(after[5], before[1]);
    assert_eq!(default_actions(&rig, &alb), default_before);

    // The bypass: a copy of each of their rules for the team's networks, then the default action.
    for (bypass, bypass_tags) in &after[..3] {
        assert_eq!(bypass_tags, &[("edgepages".to_owned(), "bypass".to_owned())]);
        let source = bypass.conditions().iter().find_map(|c| c.source_ip_config.as_ref()).unwrap().values();
        assert_eq!(source, ["203.0.113.0/24", "2001:db8::/32"]);
    }
    let api = &after[0].0;
    assert!(api.conditions().iter().any(|c| c.path_pattern_config.as_ref().is_some_and(|p| p.values() == ["/api/*"])));
    assert_eq!(
        api.actions()[0].target_group_arn.as_deref(),
        Some(alb.target_groups[1].as_str()),
        "their /api/* rule's"
    );
    let admin = &after[1].0;
    assert_eq!(admin.actions()[0].fixed_response_config.as_ref().and_then(|f| f.status_code.as_deref()), Some("403"));
    let the_rest = &after[2].0;
    assert_eq!(the_rest.actions()[0].r#type, Some(ActionTypeEnum::Forward));
    assert_eq!(
        the_rest.actions()[0].target_group_arn.as_deref(),
        Some(alb.target_groups[0].as_str()),
        "as the default action does"
    );

    let (page_rule, page_tags) = &after[3];
    assert_eq!(page_rule.priority.as_deref(), Some("4"));
    assert_eq!(
        page_tags,
        &[
            ("edgepages".to_owned(), "maintenance".to_owned()),
            ("edgepages-until".to_owned(), "2099-12-02T18:00:00Z".to_owned())
        ]
    );
    assert_eq!(page_rule.conditions()[0].path_pattern_config.as_ref().unwrap().values(), ["*"]);
    let fixed = page_rule.actions()[0].fixed_response_config.as_ref().unwrap();
    assert_eq!((fixed.status_code.as_deref(), fixed.content_type.as_deref()), (Some("503"), Some("text/html")));
    // moto does not hold the body to the ALB's limit, so the test does.
    let body = fixed.message_body.as_deref().unwrap();
    assert!(body.chars().count() <= 1024, "{} characters", body.chars().count());
    assert!(body.starts_with("<!doctype html><html lang=\"en\""), "{body}");
    assert!(body.contains("<time datetime=\"2099-12-02T18:00:00Z\">2099-12-02 18:00 UTC</time>"), "{body}");
    assert_eq!(body, rig.run(&["maintenance", "page", "--until", "2099-12-02T18:00:00Z"]).ok().stdout.trim_end());

    // On again: read, and not one write.
    rig.proxy.clear();
    let again = rig.run(&["maintenance", "on", "--until", "2099-12-02T18:00:00Z", "--yes"]).ok();
    insta::assert_snapshot!("maintenance_on_again", again.transcript(&r));
    assert_eq!(writes(&rig), Vec::<String>::new());

    let status = rig.run(&["maintenance", "status"]).ok();
    insta::assert_snapshot!("maintenance_status_on", status.transcript(&r));
    let json: serde_json::Value =
        serde_json::from_str(&rig.run(&["--json", "maintenance", "status"]).ok().stdout).unwrap();
    assert_eq!(json["status"]["on"], true);
    assert_eq!(json["status"]["overdue"], false);

    // A new end time changes the page in place; no end time takes the tag away.
    rig.proxy.clear();
    rig.run(&["maintenance", "on", "--until", "2099-12-03T09:00:00Z", "--yes"]).ok();
    assert_eq!(writes(&rig), ["ModifyRule", "AddTags"]);
    rig.proxy.clear();
    rig.run(&["maintenance", "on", "--yes"]).ok();
    assert_eq!(writes(&rig), ["ModifyRule", "RemoveTags"]);
    let (page_rule, page_tags) = &rules(&rig, &alb)[3];
    assert_eq!(page_tags, &[("edgepages".to_owned(), "maintenance".to_owned())]);
    let body = page_rule.actions()[0].fixed_response_config.as_ref().unwrap().message_body.clone().unwrap();
    assert!(!body.contains("<time"), "{body}");

    let page_arn = page_rule.rule_arn.clone().unwrap();
    let past = aws_sdk_elasticloadbalancingv2::types::Tag::builder()
        .key("edgepages-until")
        .value("2001-01-01T00:00:00Z")
        .build();
    rig.block_on(rig.fixture.elb.add_tags().resource_arns(page_arn).tags(past).send()).unwrap();
    let overdue = rig.run(&["maintenance", "status"]).ok();
    insta::assert_snapshot!("maintenance_status_overdue", overdue.transcript(&r));
    let json: serde_json::Value =
        serde_json::from_str(&rig.run(&["--json", "maintenance", "status"]).ok().stdout).unwrap();
    assert_eq!(json["status"]["overdue"], true);

    rig.proxy.clear();
    let off = rig.run(&["maintenance", "off", "--yes"]).ok();
    insta::assert_snapshot!("maintenance_off", off.transcript(&r));
    assert_eq!(writes(&rig), ["DeleteRule", "DeleteRule", "DeleteRule", "DeleteRule"]);
    assert_eq!(rules(&rig, &alb), before, "the listener is as it was");
    assert_eq!(default_actions(&rig, &alb), default_before);

    rig.proxy.clear();
    rig.run(&["maintenance", "off", "--yes"]).ok();
    assert_eq!(writes(&rig), Vec::<String>::new(), "off twice writes nothing");
}

#[test]
fn a_rule_moved_by_someone_else_between_the_read_and_the_write_is_named_and_nothing_is_written() {
    let (rig, alb) = with_alb("");
    let before = rules(&rig, &alb);
    rig.proxy.set_rival_rule(&alb.rules["admin"], 15);
    rig.proxy.clear();
    let refused = rig.run(&["maintenance", "on", "--yes"]).fails();
    // What changed (the admin rule from 20 to 15), and nothing done before the failure.
    insta::assert_snapshot!(refused.transcript(&redactions(&rig, &alb)));
    assert_eq!(writes(&rig), Vec::<String>::new());
    let after = rules(&rig, &alb);
    assert_eq!(after.len(), before.len(), "no rule was added");
}

#[test]
fn without_an_alb_section_or_with_a_past_end_nothing_is_read() {
    // Both are refused before any call: the proxy sees nothing at all.
    let rig = Rig::new(Start::Fresh);
    let run = rig.run(&["maintenance", "on", "--yes"]).fails();
    insta::assert_snapshot!("no_alb_section", run.transcript(&rig.redactions()));
    let (rig, alb) = with_alb("");
    let r = redactions(&rig, &alb);
    rig.proxy.clear();
    let run = rig.run(&["maintenance", "on", "--until", "2001-01-01T00:00:00Z", "--yes"]).fails();
    insta::assert_snapshot!("until_in_the_past", run.transcript(&r));
    let run = rig.run(&["maintenance", "on", "--until", "tomorrow"]);
    insta::assert_snapshot!("until_unreadable", run.transcript(&r));
    assert_eq!(rig.proxy.seen(), [], "nothing was read or written");
}

/// Points the test distribution's site origin (`alb`) at `domain`, as a site behind CloudFront has it.
fn point_site_origin_at(rig: &Rig, domain: &str) {
    let cf = &rig.fixture.cloudfront;
    let got = rig.block_on(cf.get_distribution_config().id(&rig.distribution).send()).unwrap();
    let mut config = got.distribution_config.unwrap();
    let origins = config.origins.as_mut().unwrap();
    domain.clone_into(&mut origins.items.iter_mut().find(|o| o.id == "alb").unwrap().domain_name);
    let update =
        cf.update_distribution().id(&rig.distribution).if_match(got.e_tag.unwrap()).distribution_config(config).send();
    rig.block_on(update).unwrap();
}

/// The custom headers of the distribution's site origin, as read.
fn origin_headers(rig: &Rig) -> Vec<(String, String)> {
    let got = rig.block_on(rig.fixture.cloudfront.get_distribution_config().id(&rig.distribution).send()).unwrap();
    let config = got.distribution_config.unwrap();
    let origin = config.origins.unwrap().items.into_iter().find(|o| o.id == "alb").unwrap();
    origin
        .custom_headers
        .and_then(|h| h.items)
        .unwrap_or_default()
        .into_iter()
        .map(|h| (h.header_name, h.header_value))
        .collect()
}

fn tag_of(rule: &(Rule, Vec<(String, String)>)) -> Option<&str> {
    rule.1.iter().find(|(k, _)| k == "edgepages").map(|(_, v)| v.as_str())
}

#[test]
fn the_guard_redirects_the_albs_own_name_lets_cloudfront_through_and_verify_finds_the_loop() {
    let (rig, alb) = with_alb("canonical_host = \"www.example.com\"\n");
    point_site_origin_at(&rig, &alb.dns_name);
    let before = rules(&rig, &alb);
    let default_before = default_actions(&rig, &alb);

    let r = redactions(&rig, &alb);
    // The copies at 3 and 4, the pass rule at 5, the header on the site's origin by its
    // fingerprint; no redirect yet: it waits until the distribution has deployed the header.
    rig.proxy.clear();
    let dry = rig.run(&["publish", "--dry-run"]).ok();
    insta::assert_snapshot!("guard_dry_run", dry.transcript(&r));
    assert_eq!(writes(&rig), Vec::<String>::new(), "--dry-run wrote");

    // First publish: the copies and the pass rule, then the distribution with the header.
    let first = rig.run(&["publish", "--yes"]).ok();
    let created: Vec<String> = writes(&rig).into_iter().filter(|w| w == "CreateRule").collect();
    assert_eq!(created.len(), 3, "{:?}", writes(&rig));
    let headers = origin_headers(&rig);
    let secret = &headers.iter().find(|(n, _)| n == "x-edgepages-origin-verify").unwrap().1;
    assert!(secret.len() == 32 && secret.chars().all(|c| c.is_ascii_hexdigit()), "{secret}");
    for text in [&dry.stdout, &dry.stderr, &first.stdout, &first.stderr] {
        assert!(!text.contains(secret.as_str()), "the secret was printed: {text}");
    }
    insta::assert_snapshot!("guard_first_publish", first.transcript(&r));

    let after = rules(&rig, &alb);
    assert_eq!(after.len(), 5);
    assert_eq!(after[3], before[0], "their rules byte for byte");
    assert_eq!(after[4], before[1]);
    assert_eq!(default_actions(&rig, &alb), default_before);
    let roles: Vec<Option<&str>> = after.iter().map(tag_of).collect();
    assert_eq!(roles, [Some("guard-copy"), Some("guard-copy"), Some("guard-pass"), None, None]);
    // The copy of their /api/* rule: their conditions and the header, their action.
    let copy = &after[0].0;
    let header = copy.conditions().iter().find_map(|c| c.http_header_config.as_ref()).unwrap();
    assert_eq!(
        (header.http_header_name.as_deref(), header.values()),
        (Some("x-edgepages-origin-verify"), [secret.clone()].as_slice())
    );
    assert!(copy.conditions().iter().any(|c| c.path_pattern_config.as_ref().is_some_and(|p| p.values() == ["/api/*"])));
    assert_eq!(copy.actions()[0].target_group_arn.as_deref(), Some(alb.target_groups[1].as_str()));
    let pass = &after[2].0;
    assert_eq!(
        pass.actions()[0].target_group_arn.as_deref(),
        Some(alb.target_groups[0].as_str()),
        "as the default action"
    );

    // Second publish, with the header deployed: the redirect, and nothing else.
    rig.proxy.clear();
    let second = rig.run(&["publish", "--yes"]).ok();
    assert_eq!(writes(&rig), ["CreateRule"], "{}", second.stdout);
    let redirect = rules(&rig, &alb).remove(3);
    assert_eq!(tag_of(&redirect), Some("guard-redirect"));
    assert_eq!(redirect.0.priority.as_deref(), Some("6"));
    assert_eq!(
        redirect.0.conditions()[0].host_header_config.as_ref().unwrap().values(),
        std::slice::from_ref(&alb.dns_name)
    );
    // moto serves no traffic, so the Location visitors would get is asserted from the rule.
    let to = redirect.0.actions()[0].redirect_config.as_ref().unwrap();
    assert_eq!(
        (to.protocol.as_deref(), to.host.as_deref(), to.port.as_deref(), to.path.as_deref(), to.query.as_deref()),
        (Some("HTTPS"), Some("www.example.com"), Some("443"), Some("/#{path}"), Some("#{query}"))
    );
    assert_eq!(
        to.status_code.as_ref().map(aws_sdk_elasticloadbalancingv2::types::RedirectActionStatusCodeEnum::as_str),
        Some("HTTP_301")
    );
    insta::assert_snapshot!("guard_second_publish", second.transcript(&r));

    // Nothing changed: not one write.
    rig.proxy.clear();
    let third = rig.run(&["publish", "--yes"]).ok();
    insta::assert_snapshot!("guard_third_publish", third.transcript(&r));
    assert_eq!(writes(&rig), Vec::<String>::new());

    // The loop: the header is taken off the origin by hand, and CloudFront's requests, which
    // carry the ALB's name as Host, would now be redirected to the site they came from.
    let cf = &rig.fixture.cloudfront;
    let got = rig.block_on(cf.get_distribution_config().id(&rig.distribution).send()).unwrap();
    let mut config = got.distribution_config.unwrap();
    let origin = config.origins.as_mut().unwrap().items.iter_mut().find(|o| o.id == "alb").unwrap();
    origin.custom_headers = None;
    let update =
        cf.update_distribution().id(&rig.distribution).if_match(got.e_tag.unwrap()).distribution_config(config).send();
    rig.block_on(update).unwrap();
    rig.proxy.clear();
    let looped = rig.run(&["verify"]).fails();
    let calls = |action: &str| rig.proxy.seen().iter().filter(|c| c.action.as_deref() == Some(action)).count();
    assert_eq!((calls("DescribeListeners"), calls("DescribeLoadBalancers")), (1, 1), "the listener is read once");
    insta::assert_snapshot!("guard_loop", looped.transcript(&r));

    // canonical_host gone: the guard comes off, the redirect first, and the listener is as it was.
    rig.edit_config("canonical_host = \"www.example.com\"\n", "");
    rig.proxy.clear();
    rig.run(&["publish", "--yes"]).ok();
    let deleted: Vec<String> = writes(&rig).into_iter().filter(|w| w == "DeleteRule").collect();
    assert_eq!(deleted.len(), 4, "{:?}", writes(&rig));
    assert_eq!(rules(&rig, &alb), before);
    assert_eq!(default_actions(&rig, &alb), default_before);
}

#[test]
fn rolling_back_the_publish_that_put_the_guard_in_takes_its_rules_off_before_the_header() {
    let (rig, alb) = with_alb("canonical_host = \"www.example.com\"\n");
    point_site_origin_at(&rig, &alb.dns_name);
    let before = rules(&rig, &alb);
    rig.run(&["publish", "--yes"]).ok();
    rig.run(&["publish", "--yes"]).ok();
    assert_eq!(rules(&rig, &alb).len(), 6, "copies, pass, redirect and theirs");

    rig.proxy.clear();
    let dry = rig.run(&["rollback", "--dry-run"]).ok();
    insta::assert_snapshot!(dry.transcript(&redactions(&rig, &alb)));
    let redirect_at = dry.stdout.find("- guard redirect rule, priority 6").unwrap_or_else(|| panic!("{}", dry.stdout));
    let pass_at = dry.stdout.find("- guard pass rule, priority 5").unwrap_or_else(|| panic!("{}", dry.stdout));
    let header_at = dry.stdout.find("- origin header").unwrap_or_else(|| panic!("{}", dry.stdout));
    assert!(redirect_at < pass_at && pass_at < header_at, "{}", dry.stdout);
    assert_eq!(writes(&rig), Vec::<String>::new(), "--dry-run wrote");

    rig.run(&["rollback", "--yes"]).ok();
    let done = writes(&rig);
    let deletes: Vec<usize> = done.iter().enumerate().filter(|(_, w)| *w == "DeleteRule").map(|(i, _)| i).collect();
    assert_eq!(deletes, [0, 1, 2, 3], "the rules first: {done:?}");
    assert!(done.len() > 4, "then the distribution: {done:?}");
    assert_eq!(rules(&rig, &alb), before, "the listener as it was");
    assert_eq!(origin_headers(&rig), Vec::<(String, String)>::new(), "the header gone");
}

/// Makes the rig's site one without CloudFront (no [s3], no [cloudfront]) whose `[alb]` asks
/// for the guard at `alb`'s listener.
fn alb_only(rig: &Rig, alb: &Alb) {
    let mut text = String::new();
    let mut skip = false;
    for line in std::fs::read_to_string(&rig.config).unwrap().lines() {
        if line.starts_with('[') {
            skip = line.starts_with("[s3") || line.starts_with("[cloudfront");
        }
        if !skip {
            text.push_str(line);
            text.push('\n');
        }
    }
    let section = format!("\n[alb]\nlistener_arn = \"{}\"\ncanonical_host = \"www.example.com\"\n", alb.listener_arn);
    std::fs::write(&rig.config, text + &section).unwrap();
}

#[test]
fn an_alb_only_site_gets_the_redirect_alone_maintenance_goes_before_it_and_verify_finds_a_loop() {
    let rig = Rig::new(Start::Fresh);
    let alb = rig.fixture.alb().unwrap();
    alb_only(&rig, &alb);
    let before = rules(&rig, &alb);

    let r = redactions(&rig, &alb);
    // The redirect at 3 alone (no copy, no pass rule): 1 write call.
    rig.proxy.clear();
    let plan = rig.run(&["plan"]).ok();
    insta::assert_snapshot!("alb_only_plan", plan.transcript(&r));
    assert_eq!(writes(&rig), Vec::<String>::new(), "plan wrote");

    let published = rig.run(&["publish", "--yes"]).ok();
    assert_eq!(writes(&rig), ["CreateRule"]);
    insta::assert_snapshot!("alb_only_published", published.transcript(&r));
    let after = rules(&rig, &alb);
    assert_eq!(tag_of(&after[0]), Some("guard-redirect"));
    assert_eq!(
        after[0].0.conditions()[0].host_header_config.as_ref().unwrap().values(),
        std::slice::from_ref(&alb.dns_name)
    );
    assert!(
        after.iter().all(|(r, _)| r.conditions().iter().all(|c| c.http_header_config.is_none())),
        "no header rules"
    );
    assert_eq!(&after[1..], before.as_slice(), "their rules byte for byte");

    rig.proxy.clear();
    rig.run(&["publish", "--yes"]).ok();
    assert_eq!(writes(&rig), Vec::<String>::new(), "twice is nothing");

    // Maintenance goes in before the guard's redirect.
    rig.run(&["maintenance", "on", "--yes"]).ok();
    let on = rules(&rig, &alb);
    assert_eq!((tag_of(&on[0]), on[0].0.priority.as_deref()), (Some("maintenance"), Some("1")));
    rig.run(&["maintenance", "off", "--yes"]).ok();
    assert_eq!(rules(&rig, &alb), after, "off leaves the guard");

    // A redirect of the team's own that sends the canonical host back to itself.
    let back = rig
        .fixture
        .elb
        .create_rule()
        .listener_arn(&alb.listener_arn)
        .priority(1)
        .conditions(
            aws_sdk_elasticloadbalancingv2::types::RuleCondition::builder()
                .field("host-header")
                .host_header_config(
                    aws_sdk_elasticloadbalancingv2::types::HostHeaderConditionConfig::builder()
                        .values("www.example.com")
                        .build(),
                )
                .build(),
        )
        .actions(
            aws_sdk_elasticloadbalancingv2::types::Action::builder()
                .r#type(ActionTypeEnum::Redirect)
                .redirect_config(
                    aws_sdk_elasticloadbalancingv2::types::RedirectActionConfig::builder()
                        .host("#{host}")
                        .protocol("HTTPS")
                        .port("443")
                        .status_code(aws_sdk_elasticloadbalancingv2::types::RedirectActionStatusCodeEnum::Http301)
                        .build(),
                )
                .build(),
        )
        .send();
    rig.block_on(back).unwrap();
    let looped = rig.run(&["verify"]).fails();
    insta::assert_snapshot!("alb_only_loop", looped.transcript(&r));
}

/// The publish of an ALB-only guard verifies by reading the listener again; when that read is
/// refused, nothing was judged, so it exits 3 ("could not check"), as `verify` does, and never
/// 1, which a deploy script reads as "roll back". The redirect was written and is said to be.
#[test]
fn an_alb_only_publish_whose_verification_could_not_read_the_listener_exits_3() {
    let faults = Faults { fail_rule_reads_after_a_write: true, ..Faults::default() };
    let rig = Rig::with_faults(Start::Fresh, faults, "");
    let alb = rig.fixture.alb().unwrap();
    alb_only(&rig, &alb);
    let published = rig.run(&["publish", "--yes"]);
    assert_eq!(writes(&rig), ["CreateRule"]);
    assert_eq!(published.code, 3, "{}\n{}", published.stdout, published.stderr);
    insta::assert_snapshot!("alb_only_published_unverified", published.transcript(&redactions(&rig, &alb)));
}

#[test]
fn a_rule_moved_between_publishs_read_and_the_guards_write_stops_it_before_the_distribution() {
    let (rig, alb) = with_alb("canonical_host = \"www.example.com\"\n");
    point_site_origin_at(&rig, &alb.dns_name);
    rig.proxy.set_rival_rule(&alb.rules["admin"], 15);
    rig.proxy.clear();
    let refused = rig.run(&["publish", "--yes"]).fails();
    // The admin rule moved to 15, and the publish stopped after 0 of 3 rule writes, neither the
    // pages nor the distribution touched.
    insta::assert_snapshot!(refused.transcript(&redactions(&rig, &alb)));
    assert_eq!(writes(&rig), Vec::<String>::new());
    assert_eq!(origin_headers(&rig), Vec::<(String, String)>::new(), "the distribution untouched");
}

#[test]
fn a_bypass_header_lets_the_team_through_by_a_secret_from_the_environment_never_printed() {
    const SECRET: &str = "team-only-0123456789abcdef";
    let (rig, alb) = with_alb("bypass_header = \"x-maintenance-bypass\"\n");
    let before = rules(&rig, &alb);

    let missing = rig.run(&["maintenance", "on", "--yes"]).fails();
    assert!(
        missing.stderr.contains(
            "[alb] bypass_header = \"x-maintenance-bypass\" needs its secret value in EDGEPAGES_ALB_BYPASS_SECRET"
        ),
        "{}",
        missing.stderr
    );
    let short = rig.run_with(&["maintenance", "on", "--yes"], &[("EDGEPAGES_ALB_BYPASS_SECRET", "short")]).fails();
    assert!(short.stderr.contains("shorter than 16 characters"), "{}", short.stderr);
    assert_eq!(rules(&rig, &alb), before, "nothing written");

    rig.proxy.clear();
    let on = rig.run_with(&["maintenance", "on", "--yes"], &[("EDGEPAGES_ALB_BYPASS_SECRET", SECRET)]).ok();
    assert_eq!(writes(&rig), ["CreateRule", "CreateRule", "CreateRule", "CreateRule"]);
    assert!(
        !on.stdout.contains(SECRET) && !on.stderr.contains(SECRET),
        "the secret was printed:\n{}{}",
        on.stdout,
        on.stderr
    );
    let after = rules(&rig, &alb);
    for (rule, tags) in &after[..3] {
        assert_eq!(tags, &[("edgepages".to_owned(), "bypass-header".to_owned())]);
        let header = rule.conditions().iter().find_map(|c| c.http_header_config.as_ref()).unwrap();
        assert_eq!(
            (header.http_header_name.as_deref(), header.values()),
            (Some("x-maintenance-bypass"), [SECRET.to_owned()].as_slice())
        );
    }
    assert_eq!(
        after[2].0.actions()[0].target_group_arn.as_deref(),
        Some(alb.target_groups[0].as_str()),
        "what is left, as the default action"
    );
    assert_eq!(tag_of(&after[3]), Some("maintenance"));

    // On again without the secret at hand: the rule's own value is kept, and nothing is written.
    rig.proxy.clear();
    let again = rig.run(&["maintenance", "on", "--yes"]).ok();
    assert!(again.stdout.contains("up to date: nothing to write"), "{}", again.stdout);
    assert_eq!(writes(&rig), Vec::<String>::new());
    let status = rig.run(&["--json", "maintenance", "status"]).ok();
    assert!(!status.stdout.contains(SECRET), "{}", status.stdout);

    rig.run(&["maintenance", "off", "--yes"]).ok();
    assert_eq!(rules(&rig, &alb), before);
}

/// The listener as edgepages reads it (roles from the tags), through the SDK straight to moto.
fn found(rig: &Rig, alb: &Alb) -> edgepages_publish::alb::listener::FoundListener {
    let aws = edgepages_publish::alb::aws::AlbAws::new(rig.fixture.elb.clone());
    rig.block_on(aws.read(&alb.listener_arn)).unwrap()
}

/// moto routes no traffic, so the listener as read back is run through the ALB's documented
/// rule order (`edgepages_publish::alb::evaluate`) for requests of every kind: the team's, by
/// network and by header, answered by the same rules as before maintenance (their `/api/*`
/// target group, their 403 for admin.example.com); everyone else, the page; and once off, the
/// listener answers as it did.
#[test]
fn the_team_reaches_the_same_rules_as_before_maintenance_and_everyone_else_the_page() {
    use edgepages_publish::alb::evaluate::{Request, answer};
    const SECRET: &str = "team-only-0123456789abcdef";
    let (rig, alb) = with_alb("bypass_cidrs = [\"203.0.113.0/24\"]\nbypass_header = \"x-maintenance-bypass\"\n");
    let before = found(&rig, &alb);
    rig.run_with(&["maintenance", "on", "--yes"], &[("EDGEPAGES_ALB_BYPASS_SECRET", SECRET)]).ok();
    let during = found(&rig, &alb);
    let page = rules(&rig, &alb).into_iter().find(|r| tag_of(r) == Some("maintenance")).unwrap().0;
    let page_actions = edgepages_publish::alb::listener::normalised(page.actions());

    let mut kinds = std::collections::BTreeSet::new();
    for path in ["/", "/api/orders", "/API/orders"] {
        for host in ["www.example.com", "admin.example.com"] {
            for (source, header) in [
                ("203.0.113.9", None),
                ("198.51.100.7", Some(SECRET)),
                ("198.51.100.7", Some("guess-0123456789")),
                ("198.51.100.7", None),
            ] {
                let request = Request {
                    host: host.into(),
                    path: path.into(),
                    method: "GET".into(),
                    source: source.parse().unwrap(),
                    headers: header
                        .map(|v| vec![("X-Maintenance-Bypass".to_owned(), v.to_owned())])
                        .unwrap_or_default(),
                    query: Vec::new(),
                };
                let was = answer(&before, &request);
                let now = answer(&during, &request);
                if source.starts_with("203.0.113.") || header == Some(SECRET) {
                    assert_eq!(now.actions, was.actions, "{request:?}: as before maintenance");
                    kinds.insert(was.rule.clone().unwrap_or_default());
                } else {
                    assert_eq!(now.actions, page_actions, "{request:?}: the page");
                }
            }
        }
    }
    assert_eq!(kinds.len(), 3, "their two rules and the default action each answered the team: {kinds:?}");
    rig.run(&["maintenance", "off", "--yes"]).ok();
    assert_eq!(found(&rig, &alb), before, "as it was");
}

/// Rules per Application Load Balancer is an adjustable quota, so edgepages makes the write and
/// names the ALB's own refusal (TooManyRules), with what was written before it. moto holds the
/// load balancer to the quota its tag names (tests/moto/server.py (g)): here, room for one more.
#[test]
fn a_load_balancer_at_its_rule_quota_is_named_by_the_albs_own_refusal_and_off_cleans_up() {
    let (rig, alb) = with_alb("bypass_cidrs = [\"203.0.113.0/24\"]\n");
    let before = rules(&rig, &alb);
    let listener = rig.block_on(rig.fixture.elb.describe_listeners().listener_arns(&alb.listener_arn).send()).unwrap();
    let balancer = listener.listeners.unwrap().remove(0).load_balancer_arn.unwrap();
    let quota = aws_sdk_elasticloadbalancingv2::types::Tag::builder()
        .key("edgepages-test:rules-per-load-balancer")
        .value("3")
        .build();
    rig.block_on(rig.fixture.elb.add_tags().resource_arns(balancer).tags(quota).send()).unwrap();

    let refused = rig.run(&["maintenance", "on", "--yes"]).fails();
    for said in [
        "maintenance on stopped; done before the failure: bypass rule added at priority 1",
        "adding the bypass rule at priority 2: AWS refused it with TooManyRules: the account's quota of rules per \
         Application Load Balancer (100 unless raised; it counts every listener's rules but the default ones) is reached",
        "ask for a higher quota in the Service Quotas console (Elastic Load Balancing: Rules per Application Load Balancer)",
    ] {
        assert!(refused.stderr.contains(said), "{said:?} in:\n{}", refused.stderr);
    }
    assert_eq!(writes(&rig), ["CreateRule", "CreateRule"]);
    rig.run(&["maintenance", "off", "--yes"]).ok();
    assert_eq!(rules(&rig, &alb), before, "the rule made before the refusal is taken off");
}

/// With the guard in place, the bypass copies the guard's rules too and the page goes where the
/// guard was: the guard moves after it in one SetRulePriorities call, verify still finds no
/// loop, and `maintenance off` puts the guard back where it was.
#[test]
fn with_the_guard_in_place_maintenance_moves_it_after_the_page_and_off_puts_it_back() {
    let (rig, alb) = with_alb("canonical_host = \"www.example.com\"\nbypass_cidrs = [\"203.0.113.0/24\"]\n");
    point_site_origin_at(&rig, &alb.dns_name);
    rig.run(&["publish", "--yes"]).ok();
    rig.run(&["publish", "--yes"]).ok();
    let guarded = rules(&rig, &alb);
    let roles: Vec<Option<&str>> = guarded.iter().map(tag_of).collect();
    assert_eq!(roles, [Some("guard-copy"), Some("guard-copy"), Some("guard-pass"), Some("guard-redirect"), None, None]);

    rig.proxy.clear();
    let on = rig.run(&["maintenance", "on", "--yes"]).ok();
    assert_eq!(writes(&rig)[0], "SetRulePriorities", "{}", on.stdout);
    let during = rules(&rig, &alb);
    let roles: Vec<(Option<&str>, &str)> =
        during.iter().map(|r| (tag_of(r), r.0.priority.as_deref().unwrap())).collect();
    let page_at = roles.iter().position(|(role, _)| *role == Some("maintenance")).unwrap();
    assert_eq!(roles[..page_at].iter().filter(|(role, _)| *role == Some("bypass")).count(), 7, "{roles:?}");
    let theirs_at = roles.iter().position(|(role, _)| role.is_none()).unwrap();
    assert!(page_at < theirs_at, "the page before their rules: {roles:?}");
    assert!(roles[page_at + 1..].iter().filter(|(role, _)| role.is_some_and(|r| r.starts_with("guard"))).count() == 4);
    let verified = rig.run(&["verify"]).ok();
    assert!(verified.stdout.contains("ok   guard: no redirect loop"), "{}", verified.stdout);

    rig.proxy.clear();
    rig.run(&["maintenance", "off", "--yes"]).ok();
    assert_eq!(writes(&rig).last().map(String::as_str), Some("SetRulePriorities"));
    assert_eq!(rules(&rig, &alb), guarded, "the guard back where it was");
    rig.proxy.clear();
    rig.run(&["publish", "--yes"]).ok();
    assert_eq!(writes(&rig), Vec::<String>::new(), "publish has nothing to put back");
}

/// The `--json` documents of `maintenance` and of a publish with the guard, whole: the shape a
/// script reads.
#[test]
fn the_json_documents_keep_their_shape() {
    let (rig, alb) = with_alb("canonical_host = \"www.example.com\"\nbypass_cidrs = [\"203.0.113.0/24\"]\n");
    point_site_origin_at(&rig, &alb.dns_name);
    let r = redactions(&rig, &alb)
        .pattern("ETAG", r#""(?:if_match|distribution_etag)": "([A-Z0-9]+)""#)
        .pattern("OAC", r#""created_oac": "([A-Z0-9]+)""#)
        .pattern("RECORD", r#""rollback_record": "[^"]*?(\d{8}T\d{6}\d*Z-[A-Za-z0-9]+)"#)
        .pattern("KEYS", r#""uploaded": \[([^\]]*)\]"#)
        .pattern("UPLOADS", r#""uploads": \[([^\]]*)\]"#);
    let plan = rig.run(&["--json", "plan"]).ok();
    insta::assert_snapshot!("json_guard_plan", plan.transcript(&r));
    let published = rig.run(&["--json", "publish", "--yes", "--no-verify"]).ok();
    insta::assert_snapshot!("json_guard_publish", published.transcript(&r));
    let dry = rig.run(&["--json", "maintenance", "on", "--dry-run", "--until", "2099-12-02T18:00:00Z"]).ok();
    insta::assert_snapshot!("json_maintenance_dry_run", dry.transcript(&r));
    let on = rig.run(&["--json", "maintenance", "on", "--yes", "--until", "2099-12-02T18:00:00Z"]).ok();
    insta::assert_snapshot!("json_maintenance_on", on.transcript(&r));
    let status = rig.run(&["--json", "maintenance", "status"]).ok();
    insta::assert_snapshot!(
        "json_maintenance_status",
        status.transcript(&r.clone().pattern("NOW", r#""now": "([^"]+)""#))
    );
    let off = rig.run(&["--json", "maintenance", "off", "--yes"]).ok();
    insta::assert_snapshot!("json_maintenance_off", off.transcript(&r));
}

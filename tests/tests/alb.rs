//! `edgepages maintenance on | off | status` against moto's Elastic Load Balancing, through the
//! recording proxy: the rules added and tagged, the team's own rules and the default action
//! unchanged, `on` twice making no write, `off` giving the listener back exactly, and a change
//! made by someone else between the read and the write refused.
//!
//! moto does not serve traffic through the ALB, so what visitors would get (the page, the
//! bypass) is asserted from the rules as read back.

#![allow(clippy::unwrap_used)]

mod aws;

use aws::Rig;
use aws_sdk_elasticloadbalancingv2::types::{ActionTypeEnum, Rule};
use edgepages_e2e::aws_fixture::{Alb, Start};

/// A rig whose config has `[alb]` for a fresh ALB with the team's rules, and the ALB.
fn with_alb(more: &str) -> (Rig, Alb) {
    let rig = Rig::new(Start::Fresh);
    let alb = rig.fixture.alb().unwrap();
    let config = std::fs::read_to_string(&rig.config).unwrap();
    let section = format!("\n[alb]\nlistener_arn = \"{}\"\n{more}", alb.listener_arn);
    std::fs::write(&rig.config, config + &section).unwrap();
    (rig, alb)
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

fn writes(rig: &Rig) -> Vec<String> {
    rig.proxy.writes().into_iter().map(|w| w.action.unwrap_or(w.method)).collect()
}

#[test]
fn maintenance_goes_on_at_the_alb_leaves_theirs_alone_and_off_gives_the_listener_back_exactly() {
    let (rig, alb) = with_alb("bypass_cidrs = [\"203.0.113.0/24\", \"2001:db8::/32\"]\n");
    let before = rules(&rig, &alb);
    let default_before = default_actions(&rig, &alb);
    assert_eq!(before.len(), 2);

    let status = rig.run(&["maintenance", "status"]).ok();
    assert!(
        status.stdout.contains(&format!("maintenance is off at listener {}", alb.listener_arn)),
        "{}",
        status.stdout
    );

    rig.proxy.clear();
    let dry = rig.run(&["maintenance", "on", "--until", "2099-12-02T18:00:00Z", "--dry-run"]).ok();
    assert!(dry.stdout.contains("+ bypass rule, priority 1"), "{}", dry.stdout);
    assert!(dry.stdout.contains("+ maintenance rule, priority 2"), "{}", dry.stdout);
    assert!(dry.stdout.contains("until 2099-12-02T18:00:00Z"), "{}", dry.stdout);
    assert!(dry.stdout.contains("2 write calls"), "{}", dry.stdout);
    assert_eq!(writes(&rig), Vec::<String>::new(), "--dry-run wrote");

    let on = rig.run(&["maintenance", "on", "--until", "2099-12-02T18:00:00Z", "--yes"]).ok();
    assert!(on.stdout.contains("maintenance on: bypass rule added at priority 1"), "{}", on.stdout);
    assert_eq!(writes(&rig), ["CreateRule", "CreateRule"]);

    let after = rules(&rig, &alb);
    assert_eq!(after.len(), 4);
    // The team's rules, byte for byte, at their own priorities; the default action too.
    assert_eq!(after[2], before[0]);
    assert_eq!(after[3], before[1]);
    assert_eq!(default_actions(&rig, &alb), default_before);

    let (bypass, bypass_tags) = &after[0];
    assert_eq!(bypass.priority.as_deref(), Some("1"));
    assert_eq!(bypass_tags, &[("edgepages".to_owned(), "bypass".to_owned())]);
    let source = bypass.conditions()[0].source_ip_config.as_ref().unwrap().values();
    assert_eq!(source, ["203.0.113.0/24", "2001:db8::/32"]);
    let forward = &bypass.actions()[0];
    assert_eq!(forward.r#type, Some(ActionTypeEnum::Forward));
    assert_eq!(forward.target_group_arn.as_deref(), Some(alb.target_groups[0].as_str()), "as the default action does");

    let (page_rule, page_tags) = &after[1];
    assert_eq!(page_rule.priority.as_deref(), Some("2"));
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
    assert!(again.stdout.contains("up to date: nothing to write"), "{}", again.stdout);
    assert_eq!(writes(&rig), Vec::<String>::new());

    let status = rig.run(&["maintenance", "status"]).ok();
    assert!(status.stdout.contains("maintenance is ON at listener"), "{}", status.stdout);
    assert!(status.stdout.contains("until 2099-12-02T18:00:00Z"), "{}", status.stdout);
    assert!(status.stdout.contains("    bypass rule, priority 1: "), "{}", status.stdout);
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
    let (page_rule, page_tags) = &rules(&rig, &alb)[1];
    assert_eq!(page_tags, &[("edgepages".to_owned(), "maintenance".to_owned())]);
    let body = page_rule.actions()[0].fixed_response_config.as_ref().unwrap().message_body.clone().unwrap();
    assert!(!body.contains("<time"), "{body}");

    // An end that has passed: the ALB cannot end the rule by itself, so status says so.
    let page_arn = page_rule.rule_arn.clone().unwrap();
    let past = aws_sdk_elasticloadbalancingv2::types::Tag::builder()
        .key("edgepages-until")
        .value("2001-01-01T00:00:00Z")
        .build();
    rig.block_on(rig.fixture.elb.add_tags().resource_arns(page_arn).tags(past).send()).unwrap();
    let overdue = rig.run(&["maintenance", "status"]).ok();
    assert!(
        overdue.stderr.contains(
            "its end (2001-01-01T00:00:00Z) has passed and the page is still up: the ALB cannot end it by itself"
        ),
        "{}",
        overdue.stderr
    );
    let json: serde_json::Value =
        serde_json::from_str(&rig.run(&["--json", "maintenance", "status"]).ok().stdout).unwrap();
    assert_eq!(json["status"]["overdue"], true);

    rig.proxy.clear();
    let off = rig.run(&["maintenance", "off", "--yes"]).ok();
    assert!(off.stdout.contains("maintenance off: maintenance rule"), "{}", off.stdout);
    assert_eq!(writes(&rig), ["DeleteRule", "DeleteRule"]);
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
    assert!(
        refused.stderr.contains(&format!(
            "listener {} was changed by someone else after it was read, so nothing more was written",
            alb.listener_arn
        )),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains(&format!("was: rule {} at priority 20", alb.rules["admin"])), "{}", refused.stderr);
    assert!(refused.stderr.contains(&format!("now: rule {} at priority 15", alb.rules["admin"])), "{}", refused.stderr);
    assert!(refused.stderr.contains("maintenance on stopped; done before the failure: nothing"), "{}", refused.stderr);
    assert_eq!(writes(&rig), Vec::<String>::new());
    let after = rules(&rig, &alb);
    assert_eq!(after.len(), before.len(), "no rule was added");
}

#[test]
fn without_an_alb_section_or_with_a_past_end_nothing_is_read() {
    // Both are refused before any call: the proxy sees nothing at all.
    let rig = Rig::new(Start::Fresh);
    let run = rig.run(&["maintenance", "on", "--yes"]).fails();
    assert!(run.stderr.contains("has no [alb] section"), "{}", run.stderr);
    let (rig, _) = with_alb("");
    rig.proxy.clear();
    let run = rig.run(&["maintenance", "on", "--until", "2001-01-01T00:00:00Z", "--yes"]).fails();
    assert!(run.stderr.contains("--until 2001-01-01T00:00:00Z is in the past"), "{}", run.stderr);
    let run = rig.run(&["maintenance", "on", "--until", "tomorrow"]);
    assert_eq!(run.code, 2, "a usage error: {run:?}");
    assert!(run.stderr.contains("is not \"off\", \"on\" or an RFC 3339 time"), "{}", run.stderr);
    assert_eq!(rig.proxy.seen(), [], "nothing was read or written");
}

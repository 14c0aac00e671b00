//! The status page parsers on recorded and documented answers of each provider
//! (`tests/status/SOURCES.md` says where each came from), and on hostile and broken variants:
//! every fault gives no status and a reason, never a panic or a half-read incident.

use edgepages_core::config::{Maintenance as Switch, Provider};
use edgepages_core::status::{Impact, Incident, Maintenance, Phase, Summary, Unreadable, Update, parse};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/status/{path}", env!("CARGO_MANIFEST_DIR"))).expect(path)
}

fn at(rfc3339: &str) -> u64 {
    edgepages_core::status::time::unix_seconds(rfc3339).expect(rfc3339)
}

fn components(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn statuspage_documented_summary() {
    let summary = parse(Provider::Statuspage, &fixture("statuspage/summary-documented.json"), &[]).unwrap();
    assert_eq!(
        summary.incident,
        Some(Incident {
            title: "Unplanned Database Outage".into(),
            impact: Impact::Critical,
            latest: Some(Update {
                text:
                    "Our master database has ham sandwiches flying out of the rack, and we're working our hardest to \
                       stop the bleeding. The whole site is down while we restore functionality, and we'll provide \
                       another update within 30 minutes."
                        .into(),
                at_unix_s: at("2014-05-14T20:22:40Z"),
            }),
        })
    );
    assert_eq!(
        summary.maintenances,
        [
            Maintenance {
                title: "Web Tier Recycle".into(),
                phase: Phase::InProgress,
                starts_unix_s: at("2014-05-14T20:30:00Z"),
                ends_unix_s: Some(at("2014-05-14T22:30:00Z")),
            },
            Maintenance {
                title: "Network Maintenance (No Interruption Expected)".into(),
                phase: Phase::Scheduled,
                starts_unix_s: at("2014-05-18T04:00:00Z"),
                ends_unix_s: Some(at("2014-05-18T05:30:00Z")),
            },
        ]
    );
    let during = at("2014-05-14T21:00:00Z");
    assert_eq!(summary.switch_at(during), Some(Switch::Until(at("2014-05-14T22:30:00Z"))));
    assert_eq!(summary.maintenance_at(during).map(|m| m.title.as_str()), Some("Web Tier Recycle"));
    let after = at("2014-05-14T22:30:00Z");
    assert_eq!(summary.switch_at(after), None, "the in-progress one is over at its published end");
    assert_eq!(
        summary.maintenance_at(after).map(|m| m.title.as_str()),
        Some("Network Maintenance (No Interruption Expected)"),
        "then the next one is shown, not switched on"
    );
}

#[test]
fn statuspage_components_choose_what_is_the_sites() {
    // The documented example's incidents name no components: with components set, none is ours.
    let summary =
        parse(Provider::Statuspage, &fixture("statuspage/summary-documented.json"), &components(&["API"])).unwrap();
    assert_eq!(summary, Summary::default());
}

#[test]
fn github_recorded_incidents_all_resolved_show_nothing() {
    let body = fixture("statuspage/github-incidents-2024-09-16.json");
    assert_eq!(parse(Provider::Statuspage, &body, &[]).unwrap(), Summary::default());
}

#[test]
fn github_recorded_incident_reopened_by_component_name_or_id() {
    // The recorded answer, with its incidents marked open again: GitHub's real update texts,
    // times, markup and component lists.
    let mut json: serde_json::Value =
        serde_json::from_slice(&fixture("statuspage/github-incidents-2024-09-16.json")).unwrap();
    for incident in json["incidents"].as_array_mut().unwrap() {
        incident["status"] = "investigating".into();
        incident["incident_updates"].as_array_mut().unwrap().remove(0);
    }
    let body = serde_json::to_vec(&json).unwrap();

    let newest = parse(Provider::Statuspage, &body, &[]).unwrap().incident.unwrap();
    assert_eq!(
        newest.title, "Incident with Pages and Actions",
        "no components set: the newest update on the page wins"
    );

    let pages = parse(Provider::Statuspage, &body, &components(&["pages"])).unwrap().incident.unwrap();
    assert_eq!(pages.title, "Incident with Pages and Actions");
    assert_eq!(pages.impact, Impact::Major);
    assert_eq!(
        pages.latest,
        Some(Update {
            text: "Actions is experiencing degraded performance. We are continuing to investigate.".into(),
            at_unix_s: at("2024-09-16T21:55:28Z"),
        })
    );
    let by_id = parse(Provider::Statuspage, &body, &components(&["br0l2tvcx85d"])).unwrap();
    assert_eq!(by_id.incident, Some(pages));
    assert_eq!(
        parse(Provider::Statuspage, &body, &components(&["Git Operations"])).unwrap().incident,
        None,
        "the SSH incident lists no components, so it is no configured component's"
    );
}

#[test]
fn github_recorded_markup_is_text() {
    let mut json: serde_json::Value =
        serde_json::from_slice(&fixture("statuspage/github-incidents-2024-09-16.json")).unwrap();
    let ssh = &mut json["incidents"][1];
    ssh["status"] = "investigating".into();
    // Keep the update GitHub wrote with `<br /><br />` as the newest.
    ssh["incident_updates"].as_array_mut().unwrap().drain(0..3);
    let body = serde_json::to_vec(&json).unwrap();
    let latest = parse(Provider::Statuspage, &body, &[]).unwrap().incident.unwrap().latest.unwrap();
    assert_eq!(
        latest.text,
        "We are seeing up to 2% of Git SSH connections failing. We have taken suspected problematic hosts out of \
         rotation and are monitoring for recovery and continuing to investigate."
    );
}

#[test]
fn instatus_documented_summary() {
    let summary = parse(Provider::Instatus, &fixture("instatus/summary-documented.json"), &[]).unwrap();
    assert_eq!(
        summary.incident,
        Some(Incident { title: "We're facing an issue with our API".into(), impact: Impact::Major, latest: None })
    );
    let start = at("2022-06-11T18:55:54Z");
    assert_eq!(
        summary.maintenances,
        [Maintenance {
            title: "Database maintenance".into(),
            phase: Phase::Scheduled,
            starts_unix_s: start,
            ends_unix_s: Some(start + 3600),
        }]
    );
    assert_eq!(summary.switch_at(start + 60), None, "not started yet, whatever the clock says");
    let mut json: serde_json::Value = serde_json::from_slice(&fixture("instatus/summary-documented.json")).unwrap();
    json["activeMaintenances"][0]["status"] = "INPROGRESS".into();
    let started = parse(Provider::Instatus, &serde_json::to_vec(&json).unwrap(), &[]).unwrap();
    assert_eq!(started.switch_at(start + 60), Some(Switch::Until(start + 3600)));
    json["activeMaintenances"][0]["status"] = "COMPLETED".into();
    let done = parse(Provider::Instatus, &serde_json::to_vec(&json).unwrap(), &[]).unwrap();
    assert!(done.maintenances.is_empty(), "marked completed: over");
}

#[test]
fn betterstack_recorded_operational_page_shows_nothing() {
    let summary = parse(Provider::Betterstack, &fixture("betterstack/latitude-index-trimmed.json"), &[]).unwrap();
    assert_eq!(summary, Summary::default());
}

#[test]
fn betterstack_documented_reports() {
    let body = fixture("betterstack/reports-documented-shape.json");
    let summary = parse(Provider::Betterstack, &body, &components(&["Checkout"])).unwrap();
    assert_eq!(
        summary.incident,
        Some(Incident {
            title: "Status report title".into(),
            impact: Impact::Major,
            latest: Some(Update {
                text: "The first status update message for this report.".into(),
                at_unix_s: at("2021-12-08T15:05:24Z"),
            }),
        })
    );
    let (start, end) = (at("2021-12-09T02:00:00Z"), at("2021-12-09T04:00:00Z"));
    assert_eq!(summary.maintenances[0].phase, Phase::Window);
    assert_eq!(summary.switch_at(start - 1), None);
    assert_eq!(summary.switch_at(start), Some(Switch::Until(end)), "in progress from its start, by its window");
    assert_eq!(summary.switch_at(end), None);
    assert_eq!(parse(Provider::Betterstack, &body, &components(&["Blog"])).unwrap(), Summary::default());
    assert_eq!(parse(Provider::Betterstack, &body, &components(&["12345"])).unwrap(), summary, "by resource ID");
}

#[test]
fn hostile_text_is_cleaned_and_capped() {
    let summary = parse(Provider::Statuspage, &fixture("hostile/statuspage-markup.json"), &[]).unwrap();
    let incident = summary.incident.unwrap();
    assert_eq!(incident.title, "Outage gnp.exe now");
    assert_eq!(
        incident.latest.unwrap().text,
        "alert(document.cookie) Read this \u{5e9}\u{5dc}\u{5d5}\u{5dd} [31mred [0m https://evil.example/login p95 < 5 s & \"rising\" 'fast'"
    );
}

#[test]
fn a_100_kb_update_gives_no_status() {
    let text = String::from_utf8(fixture("statuspage/summary-documented.json")).unwrap();
    let huge = text.replace("Our master database has ham sandwiches", &"A".repeat(100 * 1024));
    assert_eq!(
        parse(Provider::Statuspage, huge.as_bytes(), &[]),
        Err(Unreadable::TextTooLong {
            field: "incidents[0].incident_updates[0].body".into(),
            bytes: 100 * 1024 + 183,
            limit: 16 * 1024
        })
    );
}

#[test]
fn broken_answers_give_a_reason() {
    let reason = |provider, path: &str| parse(provider, &fixture(path), &[]).unwrap_err().to_string();
    assert_eq!(
        reason(Provider::Statuspage, "hostile/not-json.html"),
        "the answer is not JSON: it starts with \"<!DOCTYPE html>\\n<html><head><title>502 B\""
    );
    let wrong_types = reason(Provider::Statuspage, "hostile/statuspage-wrong-types.json");
    assert!(wrong_types.starts_with("the JSON is not Statuspage's summary.json: invalid type: map"), "{wrong_types}");
    assert_eq!(
        reason(Provider::Statuspage, "hostile/statuspage-bad-date.json"),
        "scheduled_maintenances[1].scheduled_until is not a time: \"half past four\""
    );
    assert!(reason(Provider::Statuspage, "hostile/statuspage-missing-name.json").contains("missing field `name`"));
    // Another provider's answer is not mistaken for this one's.
    assert!(reason(Provider::Instatus, "statuspage/summary-documented.json").contains("missing field `status`"));
    assert!(reason(Provider::Betterstack, "instatus/summary-documented.json").contains("missing field `data`"));
    assert!(reason(Provider::Statuspage, "betterstack/latitude-index-trimmed.json").contains("missing field `page`"));
}

#[test]
fn garbage_never_panics() {
    let nested = vec![b'['; 100_000];
    let seeds: [&[u8]; 8] = [
        b"",
        b"{",
        b"{\"page\":{},\"incidents\":[{\"name\":1}]}",
        b"{\"page\":{},\"incidents\":[{\"name\":\"x\",\"status\":\"investigating\",\"incident_updates\":[{\"body\":\"\"}]}]}",
        b"\xff\xfe\x00{",
        b"{\"data\":{\"type\":\"status_page\"},\"included\":[{\"id\":[],\"type\":\"x\"}]}",
        b"{\"page\":{\"status\":\"UP\"},\"activeMaintenances\":[{\"name\":\"m\",\"start\":\"2022-06-11T18:55:54Z\",\"status\":\"INPROGRESS\",\"duration\":\"-5\"}]}",
        &nested,
    ];
    for body in seeds {
        for provider in [Provider::Statuspage, Provider::Instatus, Provider::Betterstack] {
            let _ = parse(provider, body, &[]);
        }
    }
    let deep = format!("{}{}", "{\"page\":".repeat(10_000), "1");
    assert!(parse(Provider::Statuspage, deep.as_bytes(), &[]).is_err(), "nesting is bounded by serde_json");
}

/// Times a hostile status page may send that no calendar before 10000 holds, or a zone that is
/// not ASCII: each is refused with a reason naming the field, and nothing after the parse (the
/// note, its problem members, the switch) panics. Each input is in `fuzz/corpus/status`.
#[test]
fn times_past_9999_and_odd_zones_are_refused_never_a_panic() {
    let cases: [(Provider, &str, &str); 4] = [
        (
            Provider::Statuspage,
            r#"{"page":{},"incidents":[{"name":"Down","status":"investigating","incident_updates":[{"body":"x","display_at":"9999-12-31T23:59:59-01:00"}]}]}"#,
            "incidents[0].incident_updates[0].display_at is not a time: \"9999-12-31T23:59:59-01:00\"",
        ),
        (
            Provider::Statuspage,
            r#"{"page":{},"incidents":[],"scheduled_maintenances":[{"name":"M","status":"in_progress","scheduled_for":"2026-12-08T00:00:00Z","scheduled_until":"9999-12-31T23:59:59-01:00"}]}"#,
            "scheduled_maintenances[0].scheduled_until is not a time: \"9999-12-31T23:59:59-01:00\"",
        ),
        (
            Provider::Instatus,
            r#"{"page":{"status":"UNDERMAINTENANCE"},"activeMaintenances":[{"name":"M","status":"INPROGRESS","start":"2026-12-08T00:00:00Z","duration":"4294967295"}]}"#,
            "ends after 9999-12-31T23:59:59Z",
        ),
        (
            Provider::Instatus,
            r#"{"page":{"status":"UNDERMAINTENANCE"},"activeMaintenances":[{"name":"M","status":"INPROGRESS","start":"Sat Jun 11 2022 18:55:50 GMT+0\u20ac"}]}"#,
            "activeMaintenances[0].start is not a time",
        ),
    ];
    for (provider, body, reason) in cases {
        let got = parse(provider, body.as_bytes(), &[]);
        let err = got.as_ref().map_err(ToString::to_string).expect_err(body);
        assert!(err.contains(reason), "{body}\ngave {err:?}");
    }
}

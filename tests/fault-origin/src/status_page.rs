//! A fake status page, for the tests of the edge's `[status]`: each provider's recorded or
//! documented JSON (the fixtures in `crates/core/tests/status/`), a maintenance in progress now,
//! and hostile answers. Picked per request by `fault=status_json&sample=NAME`, or per path with a
//! standing behaviour; a hang and a 500 are the origin's own `fault=hang` and `fault=status`.
//!
//! | `sample=` | answer |
//! |---|---|
//! | `statuspage` | Statuspage's documented summary.json: an incident, a maintenance in progress (2014) |
//! | `github_incidents` | GitHub's recorded incidents.json (all resolved) |
//! | `instatus` | Instatus's documented summary.json |
//! | `betterstack` | Better Stack's documented report shapes: an incident and a maintenance window |
//! | `betterstack_operational` | Better Stack's recorded index.json (trimmed): all operational |
//! | `maintenance_now&ends_in=S` | the Statuspage summary with its maintenance in progress from a minute ago until S seconds from now (default 600) |
//! | `maintenance_completed&ends_in=S` | the same maintenance, marked completed before its planned end |
//! | `markup` | the Statuspage summary with script, markup, links and RTL overrides in its incident |
//! | `huge_update` | the Statuspage summary with a 100 KiB update |
//! | `not_json` | an HTML error page, labelled `application/json` |
//! | `garbage` | bytes that are no text at all, labelled `application/json` |

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

macro_rules! fixture {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../crates/core/tests/status/", $path))
    };
}

const STATUSPAGE: &str = fixture!("statuspage/summary-documented.json");
const GITHUB_INCIDENTS: &str = fixture!("statuspage/github-incidents-2024-09-16.json");
const INSTATUS: &str = fixture!("instatus/summary-documented.json");
const BETTERSTACK: &str = fixture!("betterstack/reports-documented-shape.json");
const BETTERSTACK_OPERATIONAL: &str = fixture!("betterstack/latitude-index-trimmed.json");
const MARKUP: &str = fixture!("hostile/statuspage-markup.json");
const NOT_JSON: &str = fixture!("hostile/not-json.html");

/// The size of `huge_update`'s update text.
pub const HUGE_UPDATE_BYTES: usize = 100 * 1024;

/// The answer for `query`'s `sample`, as (content type, body), at `now`; `None` for a sample
/// this server does not have.
pub fn answer(query: &BTreeMap<String, String>, now: SystemTime) -> Option<(&'static str, Vec<u8>)> {
    const JSON: &str = "application/json; charset=utf-8";
    let body = match query.get("sample").map(String::as_str)? {
        "statuspage" => STATUSPAGE.as_bytes().to_vec(),
        "github_incidents" => GITHUB_INCIDENTS.as_bytes().to_vec(),
        "instatus" => INSTATUS.as_bytes().to_vec(),
        "betterstack" => BETTERSTACK.as_bytes().to_vec(),
        "betterstack_operational" => BETTERSTACK_OPERATIONAL.as_bytes().to_vec(),
        "markup" => MARKUP.as_bytes().to_vec(),
        "huge_update" => STATUSPAGE
            .replacen("Our master database has ham sandwiches", &"A".repeat(HUGE_UPDATE_BYTES), 1)
            .into_bytes(),
        sample @ ("maintenance_now" | "maintenance_completed") => {
            let ends_in = query.get("ends_in").and_then(|v| v.parse().ok()).unwrap_or(600);
            let status = if sample == "maintenance_now" { "in_progress" } else { "completed" };
            maintenance_now(now, Duration::from_secs(ends_in), status)
        }
        "not_json" => NOT_JSON.as_bytes().to_vec(),
        "garbage" => (0u8..=255).cycle().take(4096).map(|b| b.wrapping_mul(37) | 0x80).collect(),
        _ => return None,
    };
    Some((JSON, body))
}

/// The documented Statuspage summary, its "Web Tier Recycle" maintenance planned from a minute
/// before `now` until `ends_in` after it, with `status` (`in_progress`, or `completed` early),
/// and the other one scheduled for tomorrow.
fn maintenance_now(now: SystemTime, ends_in: Duration, status: &str) -> Vec<u8> {
    let mut summary: serde_json::Value = serde_json::from_str(STATUSPAGE).expect("the fixture is JSON");
    let time = |t: SystemTime| humantime::format_rfc3339_seconds(t).to_string();
    let day = Duration::from_hours(24);
    let maintenances = summary["scheduled_maintenances"].as_array_mut().expect("the fixture lists maintenances");
    for m in maintenances.iter_mut() {
        let (start, end) = if m["status"] == "in_progress" {
            m["status"] = status.into();
            (now - Duration::from_mins(1), now + ends_in)
        } else {
            (now + day, now + day + Duration::from_mins(90))
        };
        m["scheduled_for"] = time(start).into();
        m["scheduled_until"] = time(end).into();
    }
    serde_json::to_vec(&summary).expect("JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn every_sample_answers_and_json_ones_parse() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_hours(500_000);
        for sample in ["statuspage", "github_incidents", "instatus", "betterstack", "betterstack_operational", "markup"]
        {
            let (content_type, body) = answer(&query(&[("sample", sample)]), now).expect(sample);
            assert!(content_type.starts_with("application/json"));
            serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_else(|e| panic!("{sample}: {e}"));
        }
        let (_, huge) = answer(&query(&[("sample", "huge_update")]), now).unwrap();
        assert!(huge.len() > HUGE_UPDATE_BYTES);
        let (_, html) = answer(&query(&[("sample", "not_json")]), now).unwrap();
        assert!(html.starts_with(b"<!DOCTYPE html>"));
        let (_, garbage) = answer(&query(&[("sample", "garbage")]), now).unwrap();
        assert!(std::str::from_utf8(&garbage).is_err());
        assert_eq!(answer(&query(&[("sample", "nope")]), now), None);
        assert_eq!(answer(&query(&[]), now), None);
    }

    #[test]
    fn the_maintenance_is_in_progress_around_now() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_hours(500_000);
        let (_, body) = answer(&query(&[("sample", "maintenance_now"), ("ends_in", "120")]), now).unwrap();
        let summary: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let recycle = &summary["scheduled_maintenances"][1];
        assert_eq!(recycle["status"], "in_progress");
        assert_eq!(recycle["scheduled_for"], "2027-01-15T07:59:00Z");
        assert_eq!(recycle["scheduled_until"], "2027-01-15T08:02:00Z");
        assert_eq!(summary["scheduled_maintenances"][0]["scheduled_for"], "2027-01-16T08:00:00Z");
        let (_, body) = answer(&query(&[("sample", "maintenance_completed")]), now).unwrap();
        let summary: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(summary["scheduled_maintenances"][1]["status"], "completed");
        assert_eq!(summary["scheduled_maintenances"][1]["scheduled_until"], "2027-01-15T08:10:00Z");
    }
}

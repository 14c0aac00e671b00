//! Atlassian Statuspage's `/api/v2/summary.json` (also its `incidents.json`, which has the same
//! incidents and no maintenances).
//!
//! Fields, as the Status API documents them on every hosted page's `/api` (for example
//! <https://www.githubstatus.com/api#summary> and <https://status.chargebee.com/api>):
//! `page` {id, name, url, updated_at}; `incidents` and `scheduled_maintenances`, each
//! {id, name, status, impact, created_at, updated_at, shortlink, incident_updates [{body, status,
//! created_at, display_at, …}]}, and for maintenances `scheduled_for` and `scheduled_until`.
//! Incident statuses: investigating, identified, monitoring, resolved, postmortem; maintenance
//! statuses: scheduled, in_progress, verifying, completed; impacts: none, minor, major, critical
//! (maintenance for maintenances). Real answers also list each incident's `components` [{id,
//! name, …}] (GitHub's, recorded in `tests/status/statuspage/`), which is how an incident is
//! matched to `[status] components`.

use serde::Deserialize;

use super::error::Unreadable;
use super::model::{Impact, Incident, Maintenance, Phase, Summary, Update};
use super::parse::{Components, json, text, time};
use super::text::{TITLE_CHARS, UPDATE_CHARS};

const PROVIDER: &str = "Statuspage's summary.json";

#[derive(Deserialize)]
struct Body {
    /// Present in every Status API answer (an object); its absence means this is some other JSON.
    #[allow(dead_code, reason = "required to recognise the answer; nothing in it is shown")]
    page: Page,
    incidents: Vec<RawIncident>,
    #[serde(default)]
    scheduled_maintenances: Vec<RawIncident>,
}

/// The `page` object; none of its fields are read.
#[derive(Deserialize)]
struct Page {}

#[derive(Deserialize)]
struct RawIncident {
    name: String,
    status: String,
    #[serde(default)]
    impact: Option<String>,
    #[serde(default)]
    incident_updates: Option<Vec<RawUpdate>>,
    #[serde(default)]
    components: Option<Vec<RawComponent>>,
    #[serde(default)]
    scheduled_for: Option<String>,
    #[serde(default)]
    scheduled_until: Option<String>,
}

#[derive(Deserialize)]
struct RawUpdate {
    body: String,
    #[serde(default)]
    display_at: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Deserialize)]
struct RawComponent {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

pub(super) fn parse(body: &[u8], site: Components<'_>) -> Result<Summary, Unreadable> {
    let body: Body = json(body, PROVIDER)?;
    let mut incident: Option<Incident> = None;
    for (i, raw) in body.incidents.iter().enumerate() {
        if !is_active(&raw.status) || !site.wants(component_names(raw)) {
            continue;
        }
        let found = read_incident(raw, &format!("incidents[{i}]"))?;
        if found.newer_than(incident.as_ref()) {
            incident = Some(found);
        }
    }
    let mut maintenances = Vec::new();
    for (i, raw) in body.scheduled_maintenances.iter().enumerate() {
        let at = format!("scheduled_maintenances[{i}]");
        let phase = phase(&raw.status).ok_or_else(|| Unreadable::Shape {
            provider: PROVIDER,
            detail: format!("{at}.status {:?} is not a maintenance status", super::error::quoted(&raw.status)),
        })?;
        if phase == Phase::Completed || !site.wants(component_names(raw)) {
            continue;
        }
        maintenances.push(read_maintenance(raw, phase, &at)?);
    }
    Ok(Summary { incident, maintenances })
}

/// Resolved and post-mortem incidents are over; anything else is still open.
fn is_active(status: &str) -> bool {
    !matches!(status, "resolved" | "postmortem" | "completed")
}

fn phase(status: &str) -> Option<Phase> {
    match status {
        "scheduled" => Some(Phase::Scheduled),
        "in_progress" | "verifying" => Some(Phase::InProgress),
        "completed" => Some(Phase::Completed),
        _ => None,
    }
}

fn component_names(raw: &RawIncident) -> impl Iterator<Item = &str> {
    raw.components.iter().flatten().flat_map(|c| c.id.as_deref().into_iter().chain(c.name.as_deref()))
}

fn read_incident(raw: &RawIncident, at: &str) -> Result<Incident, Unreadable> {
    let title = text(&raw.name, TITLE_CHARS, || format!("{at}.name"))?;
    let mut latest: Option<Update> = None;
    for (j, update) in raw.incident_updates.iter().flatten().enumerate() {
        let field = |name: &str| format!("{at}.incident_updates[{j}].{name}");
        let stamp = update.display_at.as_deref().or(update.created_at.as_deref()).ok_or_else(|| Unreadable::Shape {
            provider: PROVIDER,
            detail: format!("{} has neither display_at nor created_at", field("")),
        })?;
        let at_unix_s = time(stamp, || field("display_at"))?;
        if latest.as_ref().is_none_or(|l| at_unix_s > l.at_unix_s) {
            latest = Some(Update { text: text(&update.body, UPDATE_CHARS, || field("body"))?, at_unix_s });
        }
    }
    let impact = match raw.impact.as_deref() {
        Some("none" | "maintenance") | None => Impact::None,
        Some("minor") => Impact::Minor,
        Some("major") => Impact::Major,
        Some("critical") => Impact::Critical,
        Some(_) => Impact::Unknown,
    };
    Ok(Incident { title, impact, latest })
}

fn read_maintenance(raw: &RawIncident, phase: Phase, at: &str) -> Result<Maintenance, Unreadable> {
    let title = text(&raw.name, TITLE_CHARS, || format!("{at}.name"))?;
    let starts = raw
        .scheduled_for
        .as_deref()
        .ok_or_else(|| Unreadable::Shape { provider: PROVIDER, detail: format!("{at} has no scheduled_for") })?;
    let starts_unix_s = time(starts, || format!("{at}.scheduled_for"))?;
    let ends_unix_s =
        raw.scheduled_until.as_deref().map(|end| time(end, || format!("{at}.scheduled_until"))).transpose()?;
    Ok(Maintenance { title, phase, starts_unix_s, ends_unix_s })
}

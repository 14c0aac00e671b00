//! Instatus's `/summary.json`.
//!
//! Fields, as <https://instatus.com/help/api/public-data> documents them: `page` {name, url,
//! status: UP | HASISSUES | UNDERMAINTENANCE}; `activeIncidents` [{name, started, status:
//! INVESTIGATING | IDENTIFIED | MONITORING | RESOLVED, impact, url}]; `activeMaintenances` [{name,
//! start, status: NOTSTARTEDYET | INPROGRESS | COMPLETED, duration (minutes, as text), url}].
//! The documented example writes times as JavaScript `Date` text; RFC 3339 is read as well.
//!
//! The summary carries no update text and names no components (so `[status] components` is
//! refused for Instatus by the config check): an incident is shown by its title alone.

use serde::Deserialize;

use crate::config::{LAST_RFC3339_S, rfc3339};

use super::error::{Unreadable, quoted};
use super::model::{Impact, Incident, Maintenance, Phase, Summary};
use super::parse::{Components, json, text, time};
use super::text::TITLE_CHARS;

const PROVIDER: &str = "Instatus's summary.json";

#[derive(Deserialize)]
struct Body {
    #[allow(dead_code, reason = "required to recognise the answer")]
    page: Page,
    #[serde(default, rename = "activeIncidents")]
    active_incidents: Vec<RawIncident>,
    #[serde(default, rename = "activeMaintenances")]
    active_maintenances: Vec<RawMaintenance>,
}

#[derive(Deserialize)]
struct Page {
    /// Instatus's mark: Statuspage's `page` has no `status`.
    #[allow(dead_code, reason = "required to recognise the answer")]
    status: String,
}

#[derive(Deserialize)]
struct RawIncident {
    name: String,
    status: String,
    #[serde(default)]
    impact: Option<String>,
}

#[derive(Deserialize)]
struct RawMaintenance {
    name: String,
    start: String,
    status: String,
    #[serde(default)]
    duration: Option<Minutes>,
}

/// The documented `"60"`; a number is read as well.
#[derive(Deserialize)]
#[serde(untagged)]
enum Minutes {
    Text(String),
    Number(u32),
}

pub(super) fn parse(body: &[u8], site: Components<'_>) -> Result<Summary, Unreadable> {
    let body: Body = json(body, PROVIDER)?;
    // The summary names no components; a configured list is refused by the config check, and
    // an item naming none is never the site's, so say so rather than show nothing silently.
    if !site.0.is_empty() {
        return Err(Unreadable::Shape {
            provider: PROVIDER,
            detail: "it names no components, so [status] components cannot be matched".into(),
        });
    }
    let mut incident = None;
    for (i, raw) in body.active_incidents.iter().enumerate() {
        if raw.status == "RESOLVED" {
            continue;
        }
        let title = text(&raw.name, TITLE_CHARS, || format!("activeIncidents[{i}].name"))?;
        let impact = match raw.impact.as_deref() {
            Some("DEGRADEDPERFORMANCE" | "MINOROUTAGE" | "PARTIALOUTAGE") => Impact::Minor,
            Some("MAJOROUTAGE") => Impact::Major,
            Some("OPERATIONAL" | "UNDERMAINTENANCE") | None => Impact::None,
            Some(_) => Impact::Unknown,
        };
        // The first open one: the summary holds no update times to rank them by.
        incident.get_or_insert(Incident { title, impact, latest: None });
    }
    let mut maintenances = Vec::new();
    for (i, raw) in body.active_maintenances.iter().enumerate() {
        let at = format!("activeMaintenances[{i}]");
        let phase = match raw.status.as_str() {
            "NOTSTARTEDYET" => Phase::Scheduled,
            "INPROGRESS" => Phase::InProgress,
            "COMPLETED" => continue,
            other => {
                return Err(Unreadable::Shape {
                    provider: PROVIDER,
                    detail: format!("{at}.status {:?} is not a maintenance status", quoted(other)),
                });
            }
        };
        let title = text(&raw.name, TITLE_CHARS, || format!("{at}.name"))?;
        let starts_unix_s = time(&raw.start, || format!("{at}.start"))?;
        let minutes = match &raw.duration {
            None => None,
            Some(Minutes::Number(n)) => Some(*n),
            Some(Minutes::Text(t)) if t.trim().is_empty() => None,
            Some(Minutes::Text(t)) => Some(t.trim().parse::<u32>().map_err(|_| Unreadable::Shape {
                provider: PROVIDER,
                detail: format!("{at}.duration {:?} is not a number of minutes", quoted(t)),
            })?),
        };
        let ends_unix_s = match minutes.filter(|m| *m > 0) {
            None => None,
            // No calendar this code writes holds an end past year 9999: refused, not clamped, as
            // such a duration is a fault, not a schedule.
            Some(m) => {
                Some(starts_unix_s.checked_add(u64::from(m) * 60).filter(|end| *end <= LAST_RFC3339_S).ok_or_else(
                    || Unreadable::Shape {
                        provider: PROVIDER,
                        detail: format!("{at}.duration of {m} minutes ends after {}", rfc3339(LAST_RFC3339_S)),
                    },
                )?)
            }
        };
        maintenances.push(Maintenance { title, phase, starts_unix_s, ends_unix_s });
    }
    Ok(Summary { incident, maintenances })
}

//! Better Stack's `/index.json`, a JSON:API document.
//!
//! Fields, as Better Stack documents them: the page is `data` {type: status_page, attributes
//! {company_name, aggregate_state, …}}, and `included` holds `status_page_section`s,
//! `status_page_resource`s {public_name, status, …} and `status_report`s
//! (<https://betterstack.com/docs/uptime/status-pages/subscribing-to-status-updates/subscribing-to-api>).
//! A report's attributes are {title, report_type: manual | automatic | maintenance, starts_at,
//! ends_at (maintenance), affected_resources [{status_page_resource_id, status}], aggregate_state:
//! operational | maintenance | downtime | degraded}, and its updates are `status_update`s
//! {message, published_at, status_report_id}
//! (<https://betterstack.com/docs/uptime/api/status-page-reports-api-response-params>).
//!
//! A report of type manual or automatic is an open incident while its state is downtime or
//! degraded; a maintenance report has no status of its own, so it is in progress from its start
//! to its end ([`Phase::Window`]).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::{Unreadable, quoted};
use super::model::{Impact, Incident, Maintenance, Phase, Summary, Update};
use super::parse::{Components, json, text, time};
use super::text::{TITLE_CHARS, UPDATE_CHARS};

const PROVIDER: &str = "Better Stack's index.json";

#[derive(Deserialize)]
struct Body {
    data: Page,
    #[serde(default)]
    included: Vec<Item>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(rename = "type")]
    kind: String,
}

/// One JSON:API resource: its attributes are read by type below (kept as raw JSON until then, so
/// that one parser reads them all: the edge carries no second one for a JSON tree).
#[derive(Deserialize)]
struct Item {
    id: Id,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    attributes: Option<Box<serde_json::value::RawValue>>,
}

/// JSON:API IDs are strings; Better Stack writes some references as numbers.
#[derive(Clone)]
struct Id(String);

impl Id {
    fn key(&self) -> String {
        self.0.clone()
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an ID, a string or a whole number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_owned()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[derive(Deserialize)]
struct Resource {
    #[serde(default)]
    public_name: Option<String>,
}

#[derive(Deserialize)]
#[allow(clippy::struct_field_names, reason = "Better Stack's own field names")]
struct Report {
    title: String,
    report_type: String,
    #[serde(default)]
    starts_at: Option<String>,
    #[serde(default)]
    ends_at: Option<String>,
    #[serde(default)]
    aggregate_state: Option<String>,
    #[serde(default)]
    affected_resources: Option<Vec<Affected>>,
}

#[derive(Deserialize)]
struct Affected {
    status_page_resource_id: Id,
}

#[derive(Deserialize)]
struct StatusUpdate {
    message: String,
    published_at: String,
    status_report_id: Id,
}

/// Item `i`'s attributes, read as `T` (none: an empty object).
fn attributes<'a, T: Deserialize<'a>>(item: &'a Item, i: usize) -> Result<T, Unreadable> {
    let raw = item.attributes.as_deref().map_or("{}", serde_json::value::RawValue::get);
    serde_json::from_slice(raw.as_bytes())
        .map_err(|e| Unreadable::Shape { provider: PROVIDER, detail: format!("included[{i}].attributes: {e}") })
}

pub(super) fn parse(body: &[u8], site: Components<'_>) -> Result<Summary, Unreadable> {
    let body: Body = json(body, PROVIDER)?;
    if body.data.kind != "status_page" {
        return Err(Unreadable::Shape {
            provider: PROVIDER,
            detail: format!("data.type is {:?}, not \"status_page\"", quoted(&body.data.kind)),
        });
    }
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut reports = Vec::new();
    let mut updates: BTreeMap<String, Vec<(usize, StatusUpdate)>> = BTreeMap::new();
    for (i, item) in body.included.iter().enumerate() {
        match item.kind.as_str() {
            "status_page_resource" => {
                let resource: Resource = attributes(item, i)?;
                if let Some(name) = resource.public_name {
                    names.insert(item.id.key(), name);
                }
            }
            "status_report" => {
                let report: Report = attributes(item, i)?;
                reports.push((i, item.id.key(), report));
            }
            "status_update" => {
                let update: StatusUpdate = attributes(item, i)?;
                updates.entry(update.status_report_id.key()).or_default().push((i, update));
            }
            // Sections and whatever else the page includes say nothing about incidents.
            _ => {}
        }
    }

    let mut incident: Option<Incident> = None;
    let mut maintenances = Vec::new();
    for (i, id, report) in &reports {
        let at = format!("included[{i}]");
        let affected = report.affected_resources.as_deref().unwrap_or_default();
        let resources: Vec<String> = affected
            .iter()
            .flat_map(|a| {
                let id = a.status_page_resource_id.key();
                let name = names.get(&id).cloned();
                [Some(id), name].into_iter().flatten()
            })
            .collect();
        if !site.wants(resources.iter().map(String::as_str)) {
            continue;
        }
        match report.report_type.as_str() {
            "manual" | "automatic" => {
                let state = report.aggregate_state.as_deref().unwrap_or_default().to_ascii_lowercase();
                let impact = match state.as_str() {
                    "downtime" => Impact::Major,
                    "degraded" => Impact::Minor,
                    _ => continue,
                };
                let found = Incident {
                    title: text(&report.title, TITLE_CHARS, || format!("{at}.attributes.title"))?,
                    impact,
                    latest: latest_update(updates.get(id.as_str()))?,
                };
                if found.newer_than(incident.as_ref()) {
                    incident = Some(found);
                }
            }
            "maintenance" => {
                let title = text(&report.title, TITLE_CHARS, || format!("{at}.attributes.title"))?;
                let field = |name: &str| format!("{at}.attributes.{name}");
                let starts = report.starts_at.as_deref().ok_or_else(|| Unreadable::Shape {
                    provider: PROVIDER,
                    detail: format!("{} is missing", field("starts_at")),
                })?;
                let starts_unix_s = time(starts, || field("starts_at"))?;
                let ends_unix_s = report.ends_at.as_deref().map(|end| time(end, || field("ends_at"))).transpose()?;
                maintenances.push(Maintenance { title, phase: Phase::Window, starts_unix_s, ends_unix_s });
            }
            other => {
                return Err(Unreadable::Shape {
                    provider: PROVIDER,
                    detail: format!("{at}.attributes.report_type {:?} is not a report type", quoted(other)),
                });
            }
        }
    }
    Ok(Summary { incident, maintenances })
}

/// The newest of a report's updates.
fn latest_update(updates: Option<&Vec<(usize, StatusUpdate)>>) -> Result<Option<Update>, Unreadable> {
    let mut latest: Option<Update> = None;
    for (i, update) in updates.into_iter().flatten() {
        let field = |name: &str| format!("included[{i}].attributes.{name}");
        let at_unix_s = time(&update.published_at, || field("published_at"))?;
        if latest.as_ref().is_none_or(|l| at_unix_s > l.at_unix_s) {
            latest = Some(Update { text: text(&update.message, UPDATE_CHARS, || field("message"))?, at_unix_s });
        }
    }
    Ok(latest)
}

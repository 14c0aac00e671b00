//! What a branded answer carries from the status page ([`StatusNote`]), and the names of its
//! problem+json extension members. The page templates and the adapters wire it in; this module
//! only decides what it holds.

use serde::Serialize;

use super::model::{Impact, Summary};
use crate::config::rfc3339;

/// The problem+json (RFC 9457 §3.2) extension member holding the incident: an object with
/// [`INCIDENT_TITLE`], [`INCIDENT_IMPACT`] and, when the team posted one, [`INCIDENT_UPDATE`] and
/// [`INCIDENT_UPDATED_AT`] (RFC 3339).
pub const INCIDENT_MEMBER: &str = "incident";
pub const INCIDENT_TITLE: &str = "title";
pub const INCIDENT_IMPACT: &str = "impact";
pub const INCIDENT_UPDATE: &str = "update";
pub const INCIDENT_UPDATED_AT: &str = "updated_at";
/// The member holding the published end of the maintenance in force (RFC 3339). It is the member
/// the answers already use for a configured end, so clients read one name for both.
pub const MAINTENANCE_END_MEMBER: &str = "maintenance_until";

/// What the status page adds to one answer: its incident, and the end of the maintenance in
/// progress. Built per answer, as the maintenance depends on the time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusNote {
    pub incident: Option<IncidentNote>,
    /// The published end of the status page's maintenance in progress, Unix seconds.
    pub maintenance_end: Option<u64>,
}

/// The incident as the page shows it: every text already cleaned and capped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentNote {
    pub title: String,
    pub impact: Impact,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update: Option<String>,
    /// When the update was posted, RFC 3339, for `<time datetime>` and problem+json.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// The same time as Unix seconds, for the page to show in the visitor's language.
    #[serde(skip)]
    pub updated_unix_s: Option<u64>,
}

impl StatusNote {
    /// The note for an answer at `now_s` from the last good read of the status page.
    pub fn at(summary: &Summary, now_s: u64) -> StatusNote {
        let incident = summary.incident.as_ref().map(|i| IncidentNote {
            title: i.title.clone(),
            impact: i.impact,
            update: i.latest.as_ref().map(|u| u.text.clone()),
            updated_at: i.latest.as_ref().map(|u| rfc3339(u.at_unix_s)),
            updated_unix_s: i.latest.as_ref().map(|u| u.at_unix_s),
        });
        let maintenance_end = summary.maintenances.iter().find(|m| m.in_progress_at(now_s)).and_then(|m| m.ends_unix_s);
        StatusNote { incident, maintenance_end }
    }

    /// The heaviest note a page can carry, for weighing pages against their budget: a title and
    /// an update at their caps ([`super::text::TITLE_CHARS`], [`super::text::UPDATE_CHARS`]), of
    /// characters that compress worst (four-byte characters drawn at random, with the five that
    /// HTML escapes between them), an update time and a maintenance end.
    pub fn heaviest(now_unix_s: u64) -> StatusNote {
        let mut state = now_unix_s | 1;
        let mut text = |chars: usize| -> String {
            (0..chars)
                .map(|i| {
                    if i % 5 == 4 {
                        return ['<', '>', '&', '"', '\''][(i / 5) % 5];
                    }
                    // xorshift64: spread over the supplementary ideographs, U+20000 to U+2A6DF.
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    char::from_u32(0x2_0000 + u32::try_from(state % 0xA6E0).unwrap_or(0)).unwrap_or('\u{2_0000}')
                })
                .collect()
        };
        let (title, update) = (text(super::text::TITLE_CHARS), text(super::text::UPDATE_CHARS));
        StatusNote {
            incident: Some(IncidentNote {
                title,
                impact: Impact::Critical,
                update: Some(update),
                updated_at: Some(rfc3339(now_unix_s)),
                updated_unix_s: Some(now_unix_s),
            }),
            maintenance_end: Some(now_unix_s + 3600),
        }
    }

    /// The problem+json extension members this note adds, by the names above.
    pub fn problem_members(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut members = serde_json::Map::new();
        if let Some(incident) = &self.incident
            && let Ok(value) = serde_json::to_value(incident)
        {
            members.insert(INCIDENT_MEMBER.to_owned(), value);
        }
        if let Some(end) = self.maintenance_end {
            members.insert(MAINTENANCE_END_MEMBER.to_owned(), rfc3339(end).into());
        }
        members
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{Incident, Maintenance, Phase, Update};

    #[test]
    fn the_members_use_the_documented_names() {
        let summary = Summary {
            incident: Some(Incident {
                title: "Unplanned Database Outage".into(),
                impact: Impact::Critical,
                latest: Some(Update { text: "We are restoring it.".into(), at_unix_s: 1_400_098_960 }),
            }),
            maintenances: vec![Maintenance {
                title: "Web Tier Recycle".into(),
                phase: Phase::InProgress,
                starts_unix_s: 1_400_099_000,
                ends_unix_s: Some(1_400_106_600),
            }],
        };
        let note = StatusNote::at(&summary, 1_400_100_000);
        assert_eq!(note.maintenance_end, Some(1_400_106_600));
        assert_eq!(
            serde_json::Value::Object(note.problem_members()),
            serde_json::json!({
                "incident": {
                    "title": "Unplanned Database Outage",
                    "impact": "critical",
                    "update": "We are restoring it.",
                    "updated_at": "2014-05-14T20:22:40Z"
                },
                "maintenance_until": "2014-05-14T22:30:00Z"
            })
        );
        assert_eq!(StatusNote::at(&summary, 1_400_106_600).maintenance_end, None, "over at its end");
        assert!(StatusNote::default().problem_members().is_empty());
    }
}

//! What a status page says, in one shape for every provider: the active incident affecting the
//! site, and its scheduled maintenances, with what is in progress or coming at a given time.

use serde::Serialize;

use crate::config::Maintenance as Switch;

/// How bad the team says an incident is, in Statuspage's words (the other providers' are mapped
/// onto these by their parsers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    None,
    Minor,
    Major,
    Critical,
    /// A value this version does not know; the incident is still shown.
    Unknown,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
            Impact::Unknown => "unknown",
        }
    }
}

/// The team's latest word on an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update {
    /// Plain text, cleaned and capped ([`super::text`]).
    pub text: String,
    /// When it was published, Unix seconds.
    pub at_unix_s: u64,
}

/// An unresolved incident on the site's components.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// Plain text, cleaned and capped.
    pub title: String,
    pub impact: Impact,
    /// The newest update; `None` where the provider's public JSON carries no update text
    /// (Instatus's summary).
    pub latest: Option<Update>,
}

impl Incident {
    /// Whether this incident's latest update is newer than `current`'s: which of two open
    /// incidents a page shows. One without updates loses to one with; a tie keeps `current`.
    pub fn newer_than(&self, current: Option<&Incident>) -> bool {
        let stamp = |i: &Incident| i.latest.as_ref().map(|u| u.at_unix_s);
        current.is_none_or(|c| stamp(self) > stamp(c))
    }
}

/// Where a scheduled maintenance stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Announced, not started.
    Scheduled,
    /// The team (or the provider's automatic transition) marked it in progress.
    InProgress,
    /// Marked completed: over, whatever its planned end.
    Completed,
    /// The provider states no status (Better Stack): in progress from its start to its end.
    Window,
}

/// A scheduled maintenance on the site's components.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Maintenance {
    /// Plain text, cleaned and capped.
    pub title: String,
    pub phase: Phase,
    /// The planned start, Unix seconds.
    pub starts_unix_s: u64,
    /// The planned end, Unix seconds, where the team published one.
    pub ends_unix_s: Option<u64>,
}

impl Maintenance {
    /// Whether it is under way at `now_s`: marked in progress (or, for a provider that states no
    /// status, inside its window), and its published end not passed. A maintenance marked in
    /// progress that overruns its end stops counting at the end: the team promised that time.
    pub fn in_progress_at(&self, now_s: u64) -> bool {
        let before_end = self.ends_unix_s.is_none_or(|end| now_s < end);
        match self.phase {
            Phase::InProgress => before_end,
            Phase::Window => self.starts_unix_s <= now_s && before_end,
            Phase::Scheduled | Phase::Completed => false,
        }
    }

    /// Whether it is still to come at `now_s`.
    pub fn upcoming_at(&self, now_s: u64) -> bool {
        matches!(self.phase, Phase::Scheduled | Phase::Window) && now_s < self.starts_unix_s
    }
}

/// Everything the edge keeps of one read of the status page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Summary {
    /// The unresolved incident on the site's components with the newest update.
    pub incident: Option<Incident>,
    /// The scheduled maintenances on the site's components, not completed, earliest start first,
    /// at most [`MAX_MAINTENANCES`].
    pub maintenances: Vec<Maintenance>,
}

/// How many maintenances a summary keeps: the earliest-starting ones.
pub const MAX_MAINTENANCES: usize = 16;

impl Summary {
    /// The maintenance to show at `now_s`: the one in progress, else the next to start.
    pub fn maintenance_at(&self, now_s: u64) -> Option<&Maintenance> {
        self.maintenances
            .iter()
            .find(|m| m.in_progress_at(now_s))
            .or_else(|| self.maintenances.iter().filter(|m| m.upcoming_at(now_s)).min_by_key(|m| m.starts_unix_s))
    }

    /// What the status page says of the site's maintenance switch at `now_s`: on until the
    /// published end while a maintenance is in progress, else nothing (the page never switches
    /// maintenance off: see [`crate::config::in_force_with_status`]).
    pub fn switch_at(&self, now_s: u64) -> Option<Switch> {
        let m = self.maintenances.iter().find(|m| m.in_progress_at(now_s))?;
        Some(m.ends_unix_s.map_or(Switch::On, Switch::Until))
    }

    /// Keeps the earliest-starting maintenances that are not completed, at most
    /// [`MAX_MAINTENANCES`]; the parsers call it last.
    pub(super) fn settle(mut self) -> Summary {
        self.maintenances.retain(|m| m.phase != Phase::Completed);
        self.maintenances.sort_by_key(|m| m.starts_unix_s);
        self.maintenances.truncate(MAX_MAINTENANCES);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(phase: Phase, starts: u64, ends: Option<u64>) -> Maintenance {
        Maintenance { title: "Database upgrade".into(), phase, starts_unix_s: starts, ends_unix_s: ends }
    }

    #[test]
    fn in_progress_until_its_end_or_completion() {
        let marked = window(Phase::InProgress, 100, Some(200));
        assert!(marked.in_progress_at(50), "marked in progress early: the team's word");
        assert!(marked.in_progress_at(199));
        assert!(!marked.in_progress_at(200), "over at its published end");
        assert!(window(Phase::InProgress, 100, None).in_progress_at(u64::MAX));
        assert!(!window(Phase::Scheduled, 100, Some(200)).in_progress_at(150), "not marked in progress");
        assert!(!window(Phase::Completed, 100, Some(200)).in_progress_at(150));
        let timed = window(Phase::Window, 100, Some(200));
        assert!(!timed.in_progress_at(99));
        assert!(timed.in_progress_at(100));
        assert!(!timed.in_progress_at(200));
    }

    #[test]
    fn shows_the_one_in_progress_else_the_next() {
        let summary = Summary {
            incident: None,
            maintenances: vec![
                window(Phase::Scheduled, 500, Some(600)),
                window(Phase::Scheduled, 300, Some(400)),
                window(Phase::InProgress, 100, Some(200)),
                window(Phase::Completed, 0, Some(1000)),
            ],
        }
        .settle();
        assert_eq!(summary.maintenances.len(), 3, "the completed one is dropped");
        assert_eq!(summary.maintenance_at(150).map(|m| m.starts_unix_s), Some(100));
        assert_eq!(summary.switch_at(150), Some(Switch::Until(200)));
        assert_eq!(summary.maintenance_at(250).map(|m| m.starts_unix_s), Some(300));
        assert_eq!(summary.switch_at(250), None, "upcoming is shown, not switched on");
        assert_eq!(summary.maintenance_at(700), None);
    }
}

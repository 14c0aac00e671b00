//! The edge's copy of the status page: how often it is read, how long a read may take, which
//! read's answer counts, how long a copy is fresh and how long it is kept, and how long a branded
//! answer waits for a read in flight. Pure: the adapters fetch (off the request path), keep the
//! time, and hand each read's outcome to [`StatusCopy::settle`].

use super::error::Unreadable;
use super::model::Summary;
use super::note::StatusNote;
use crate::config::{Maintenance, SwitchReads};

/// How often each isolate (worker) or container (Lambda@Edge) reads the status page, at most:
/// a team's update reaches the page, and a scheduled maintenance switches, within this. Every
/// isolate reads on its own, so this is also the load on the provider per isolate: 30 s keeps it
/// at two requests a minute, which the providers' cached public JSON is made for, while a
/// maintenance still starts and ends within half a minute of the team's word.
pub const REFRESH_MS: u64 = 30_000;

/// How long one read may take, headers and body, before it is given up. A status page this slow
/// is a broken one; the copy already held stays.
pub const READ_TIMEOUT_MS: u32 = 2_000;

/// A copy read this recently is fresh: a branded answer never waits for a newer one. Two refresh
/// intervals, so that the read in flight of an isolate with steady traffic never holds an answer
/// back; only an isolate that has no copy yet, or has not read for a while, waits.
pub const FRESH_MS: u64 = 2 * REFRESH_MS;

/// How long a copy is shown while every read since fails: the team's last word stands for ten
/// minutes (a status page down in the middle of a maintenance does not end it at once), then it
/// is dropped and the page is as without `[status]`.
pub const KEEP_MS: u64 = 10 * 60_000;

/// The most a branded answer waits for a read in flight when the copy is not fresh. Short: the
/// visitor is already waiting on a failed origin, and the page is useful without the status.
pub const ANSWER_WAIT_MS: u64 = 150;

/// What one read of the status page came to, as the adapter saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The provider's answer, parsed ([`super::parse`]).
    Read(Summary),
    /// The answer was refused: why.
    Refused(Unreadable),
    /// No usable answer: a status other than 200, a timeout, a network error, a body over the
    /// cap. The adapter's words; never the body.
    Failed(String),
}

/// What [`StatusCopy::settle`] did with a read, for the adapter's log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The copy is now this read's answer.
    Updated,
    /// A newer read was applied already; this one is dropped.
    Outdated,
    /// The read failed; the copy held (if any) stays until it is [`KEEP_MS`] old. The reason, for
    /// the log: it names no text from the answer.
    Failed(String),
}

/// The last good read, and the reads' numbering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCopy {
    copy: Option<(Summary, u64)>,
    reads: SwitchReads,
}

impl StatusCopy {
    /// Applies read number `read` (counted from 1 as reads start) that settled at `now_ms`,
    /// unless a newer read was applied already: a slow read never undoes a newer one.
    pub fn settle(&mut self, read: u64, outcome: ReadOutcome, now_ms: u64) -> Settled {
        match outcome {
            ReadOutcome::Read(summary) => {
                if !self.reads.accept(read) {
                    return Settled::Outdated;
                }
                self.copy = Some((summary, now_ms));
                Settled::Updated
            }
            ReadOutcome::Refused(why) => Settled::Failed(why.for_log()),
            ReadOutcome::Failed(why) => Settled::Failed(why),
        }
    }

    /// The copy to show at `now_ms`: the last good read, unless it is older than [`KEEP_MS`].
    pub fn summary_at(&self, now_ms: u64) -> Option<&Summary> {
        self.copy.as_ref().filter(|(_, at)| now_ms.saturating_sub(*at) < KEEP_MS).map(|(summary, _)| summary)
    }

    /// What an answer at `now_ms` carries from the status page.
    pub fn note_at(&self, now_ms: u64) -> Option<StatusNote> {
        self.summary_at(now_ms).map(|summary| StatusNote::at(summary, now_ms / 1000))
    }

    /// The status page's word on maintenance at `now_ms` ([`Summary::switch_at`]), for
    /// [`crate::config::in_force_with_status`].
    pub fn switch_at(&self, now_ms: u64) -> Option<Maintenance> {
        self.summary_at(now_ms).and_then(|summary| summary.switch_at(now_ms / 1000))
    }

    /// Whether the copy was read within [`FRESH_MS`] of `now_ms`.
    pub fn is_fresh(&self, now_ms: u64) -> bool {
        self.copy.as_ref().is_some_and(|(_, at)| now_ms.saturating_sub(*at) < FRESH_MS)
    }

    /// How long a branded answer at `now_ms` waits for the read in flight (`reading`), for a
    /// request that started at `started_ms` with a deadline of `deadline_ms`: nothing when the
    /// copy is fresh or no read is in flight, else [`ANSWER_WAIT_MS`], but never past the deadline.
    pub fn answer_wait_ms(&self, reading: bool, now_ms: u64, started_ms: u64, deadline_ms: u32) -> u64 {
        if !reading || self.is_fresh(now_ms) {
            return 0;
        }
        let deadline_left = (started_ms + u64::from(deadline_ms)).saturating_sub(now_ms);
        ANSWER_WAIT_MS.min(deadline_left)
    }
}

/// When to read next, once a read starts at `now_ms`: never later than [`REFRESH_MS`] on,
/// whether that read settles or not (a read that hangs is cut by [`READ_TIMEOUT_MS`]).
pub fn next_read_ms(now_ms: u64) -> u64 {
    now_ms.saturating_add(REFRESH_MS)
}

/// When what is in force must be worked out again though nothing was read: the end of the
/// status page's maintenance in progress, when the config's own setting takes over again.
pub fn reconsider_at(word: Option<Maintenance>) -> Option<u64> {
    word.and_then(Maintenance::end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{Impact, Incident, Maintenance as Window, Phase, Update};

    const T: u64 = 1_795_543_200_000;

    fn summary(title: &str) -> Summary {
        Summary {
            incident: Some(Incident {
                title: title.into(),
                impact: Impact::Major,
                latest: Some(Update { text: "Investigating.".into(), at_unix_s: T / 1000 - 60 }),
            }),
            maintenances: vec![Window {
                title: "Database upgrade".into(),
                phase: Phase::InProgress,
                starts_unix_s: T / 1000 - 600,
                ends_unix_s: Some(T / 1000 + 3600),
            }],
        }
    }

    #[test]
    fn a_late_read_never_undoes_a_newer_one() {
        let mut copy = StatusCopy::default();
        assert_eq!(copy.settle(2, ReadOutcome::Read(summary("new")), T), Settled::Updated);
        assert_eq!(copy.settle(1, ReadOutcome::Read(summary("old")), T + 10), Settled::Outdated);
        assert_eq!(copy.summary_at(T + 10).unwrap().incident.as_ref().unwrap().title, "new");
    }

    #[test]
    fn a_failed_read_keeps_the_copy_until_it_is_too_old() {
        let mut copy = StatusCopy::default();
        copy.settle(1, ReadOutcome::Read(summary("held")), T);
        let failed = copy.settle(2, ReadOutcome::Failed("HTTP 500".into()), T + REFRESH_MS);
        assert_eq!(failed, Settled::Failed("HTTP 500".into()));
        assert!(copy.summary_at(T + KEEP_MS - 1).is_some(), "the team's last word stands");
        assert_eq!(copy.switch_at(T + KEEP_MS - 1), Some(Maintenance::Until(T / 1000 + 3600)));
        assert_eq!(copy.summary_at(T + KEEP_MS), None, "dropped once too old");
        assert_eq!(copy.switch_at(T + KEEP_MS), None);
        assert_eq!(copy.note_at(T + KEEP_MS), None);
        // A refusal is logged without the answer's text.
        let refused = copy.settle(3, ReadOutcome::Refused(Unreadable::NotJson { start: "<html>secret".into() }), T);
        assert_eq!(refused, Settled::Failed("the answer is not JSON".into()));
    }

    #[test]
    fn a_branded_answer_waits_only_without_a_fresh_copy_and_within_the_deadline() {
        let mut copy = StatusCopy::default();
        assert_eq!(copy.answer_wait_ms(true, T, T, 1000), ANSWER_WAIT_MS, "no copy yet, a read in flight");
        assert_eq!(copy.answer_wait_ms(false, T, T, 1000), 0, "nothing to wait for");
        assert_eq!(copy.answer_wait_ms(true, T + 950, T, 1000), 50, "never past the origin's deadline");
        assert_eq!(copy.answer_wait_ms(true, T + 5000, T, 1000), 0, "the deadline has passed");
        copy.settle(1, ReadOutcome::Read(summary("x")), T);
        assert_eq!(copy.answer_wait_ms(true, T + FRESH_MS - 1, T + FRESH_MS - 1, 1000), 0, "fresh");
        assert_eq!(copy.answer_wait_ms(true, T + FRESH_MS, T + FRESH_MS, 1000), ANSWER_WAIT_MS, "stale");
    }

    #[test]
    fn the_note_and_the_switch_follow_the_clock() {
        let mut copy = StatusCopy::default();
        copy.settle(1, ReadOutcome::Read(summary("x")), T);
        let note = copy.note_at(T).unwrap();
        assert_eq!(note.maintenance_end, Some(T / 1000 + 3600));
        assert_eq!(copy.switch_at(T + 3_600_000), None, "over at its published end");
        assert_eq!(reconsider_at(copy.switch_at(T)), Some(T / 1000 + 3600));
        assert_eq!(next_read_ms(T), T + REFRESH_MS);
    }
}

//! The maintenance switch: off, on, or on until an RFC 3339 time. Parsed the same way from
//! `edgepages.toml`, the worker's `MAINTENANCE` var and its KV switch, and which of the three is
//! in force.

use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Maintenance {
    #[default]
    Off,
    /// On until switched off; no end time is promised.
    On,
    /// On until this Unix time (seconds); off from then on by itself.
    Until(u64),
}

impl Maintenance {
    /// `off`, `on` (also `false`/`true`, `0`/`1`, empty for off) or an RFC 3339 time such as
    /// `2026-11-24T18:00:00Z`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        match s.to_ascii_lowercase().as_str() {
            "" | "off" | "false" | "0" => return Ok(Maintenance::Off),
            "on" | "true" | "1" => return Ok(Maintenance::On),
            _ => {}
        }
        let time = humantime::parse_rfc3339_weak(s).map_err(|e| {
            format!("{s:?} is not \"off\", \"on\" or an RFC 3339 time like \"2026-11-24T18:00:00Z\" ({e})")
        })?;
        let secs = time.duration_since(UNIX_EPOCH).map_err(|_| format!("{s:?} is before 1970"))?;
        if !s.ends_with(['Z', 'z']) {
            return Err(format!("{s:?} has no time zone; end it with Z (UTC), like \"2026-11-24T18:00:00Z\""));
        }
        Ok(Maintenance::Until(secs.as_secs()))
    }

    /// Whether maintenance is in force at `now` (Unix seconds).
    pub fn is_active(self, now_s: u64) -> bool {
        match self {
            Maintenance::Off => false,
            Maintenance::On => true,
            Maintenance::Until(end) => now_s < end,
        }
    }

    /// Whether this is an end time that has passed at `now_s`.
    pub fn has_ended(self, now_s: u64) -> bool {
        matches!(self, Maintenance::Until(end) if now_s >= end)
    }

    /// The promised end time, if any.
    pub fn end(self) -> Option<u64> {
        match self {
            Maintenance::Until(end) => Some(end),
            _ => None,
        }
    }
}

/// How long an isolate acts on what it last read of the KV switch before reading it again: a
/// switch takes effect within this (plus the KV store's own propagation).
pub const SWITCH_REFRESH_MS: u64 = 5_000;

/// How long an isolate's first request waits for the switch's first read before going on with
/// the var's or the config's setting; the read still lands for the requests after it.
pub const SWITCH_FIRST_WAIT_MS: u64 = 1_000;

/// The maintenance in force at `now_s`, for a site with no status page: [`in_force_with_status`]
/// with nothing from the page.
pub fn in_force(var: Option<Maintenance>, switch: Option<Maintenance>, config: Maintenance, now_s: u64) -> Maintenance {
    in_force_with_status(var, switch, None, config, now_s)
}

/// The maintenance in force at `now_s`, the one place its precedence is written. The first that
/// has a word wins:
///
/// | # | source | its word | why it ranks here |
/// |---|---|---|---|
/// | 1 | the worker's `MAINTENANCE` var, while set and not ended | off, on, or until a time | an operator's deploy-time word overrides everything; a var whose end time has passed gives way (left behind after a maintenance window, it must not hold the switch off without a word) |
/// | 2 | the KV switch (`edgepages maintenance --target cloudflare`) | off, on, or until a time | switched by hand at run time; `off` ends a maintenance early, even one the status page shows |
/// | 3 | the status page (`[status]`) | on until the published end, while a scheduled maintenance on the site's components is in progress ([`crate::status::Summary::switch_at`]); otherwise nothing | the team's own schedule switches itself, with no deploy and no KV write |
/// | 4 | `[edge] maintenance` in `edgepages.toml` | off, on, or until a time | the baked default |
///
/// The status page only ever switches maintenance on: a page with no maintenance in progress
/// (or a page that could not be read) has no word, so the config's setting stands. An `Off`
/// passed as the page's word is taken as no word.
pub fn in_force_with_status(
    var: Option<Maintenance>,
    switch: Option<Maintenance>,
    status_page: Option<Maintenance>,
    config: Maintenance,
    now_s: u64,
) -> Maintenance {
    let status_page = status_page.filter(|m| *m != Maintenance::Off);
    var.filter(|m| !m.has_ended(now_s)).or(switch).or(status_page).unwrap_or(config)
}

/// When what is in force must be worked out again though nothing was read: the moment the var in
/// force ends, when the switch or the config takes over.
pub fn reconsider_at(var: Option<Maintenance>, now_s: u64) -> Option<u64> {
    var.filter(|m| !m.has_ended(now_s)).and_then(Maintenance::end)
}

/// The KV switch's reads in one isolate, numbered as they start: a read that settles late (after
/// a newer one was applied) is not applied, so a slow read can never undo a newer value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SwitchReads {
    newest_applied: u64,
}

impl SwitchReads {
    /// Whether the value of read number `read` (counted from 1) is to be applied.
    pub fn accept(&mut self, read: u64) -> bool {
        if read <= self.newest_applied {
            return false;
        }
        self.newest_applied = read;
        true
    }
}

/// When to read the switch next, once a read starts at `now_ms`: never later than
/// [`SWITCH_REFRESH_MS`] on, whether that read settles or not.
pub fn next_switch_read_ms(now_ms: u64) -> u64 {
    now_ms.saturating_add(SWITCH_REFRESH_MS)
}

/// Formats Unix seconds as `2026-11-24T18:00:00Z`.
pub fn rfc3339(unix_s: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(unix_s)).to_string()
}

impl fmt::Display for Maintenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Maintenance::Off => f.write_str("off"),
            Maintenance::On => f.write_str("on"),
            Maintenance::Until(end) => f.write_str(&rfc3339(*end)),
        }
    }
}

impl Serialize for Maintenance {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Maintenance {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Maintenance::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_790_000_000;

    #[test]
    fn the_var_wins_then_the_switch_then_the_config() {
        let until = Maintenance::Until(1_800_000_000);
        assert_eq!(in_force(Some(Maintenance::Off), Some(Maintenance::On), until, NOW), Maintenance::Off);
        assert_eq!(in_force(Some(until), Some(Maintenance::Off), Maintenance::Off, NOW), until);
        assert_eq!(in_force(None, Some(Maintenance::On), Maintenance::Off, NOW), Maintenance::On);
        assert_eq!(in_force(None, Some(Maintenance::Off), until, NOW), Maintenance::Off, "the switch can end it early");
        assert_eq!(in_force(None, None, until, NOW), until);
    }

    #[test]
    fn a_var_whose_end_has_passed_gives_way_to_the_switch_and_the_config() {
        let ended = Maintenance::Until(NOW - 1);
        assert_eq!(in_force(Some(ended), Some(Maintenance::On), Maintenance::Off, NOW), Maintenance::On);
        assert_eq!(in_force(Some(ended), None, Maintenance::On, NOW), Maintenance::On);
        assert_eq!(in_force(Some(ended), None, Maintenance::Off, NOW), Maintenance::Off);
        // A var that ends later wins until then, and says when to look again.
        let later = Maintenance::Until(NOW + 60);
        assert_eq!(in_force(Some(later), Some(Maintenance::On), Maintenance::Off, NOW), later);
        assert_eq!(reconsider_at(Some(later), NOW), Some(NOW + 60));
        assert_eq!(in_force(Some(later), Some(Maintenance::On), Maintenance::Off, NOW + 60), Maintenance::On);
        assert_eq!(reconsider_at(Some(later), NOW + 60), None);
        assert_eq!(reconsider_at(Some(Maintenance::On), NOW), None);
        assert_eq!(reconsider_at(None, NOW), None);
    }

    #[test]
    fn a_late_read_never_undoes_a_newer_one() {
        let mut reads = SwitchReads::default();
        assert!(reads.accept(2), "read 2 settled first");
        assert!(!reads.accept(1), "read 1, which never settled until now, is too old");
        assert!(!reads.accept(2));
        assert!(reads.accept(3));
        assert_eq!(next_switch_read_ms(1_000), 1_000 + SWITCH_REFRESH_MS);
    }

    #[test]
    fn precedence_var_then_switch_then_status_page_then_config() {
        use Maintenance::{Off, On, Until};
        let page = Some(Until(1_800_000_000));
        // (var, switch, status page, config) => in force
        let table = [
            (None, None, None, Off, Off),
            (None, None, None, On, On),
            (None, None, page, Off, Until(1_800_000_000)),
            (None, None, page, On, Until(1_800_000_000)),
            (None, None, Some(On), Off, On),
            (None, None, Some(Off), On, On),
            (None, Some(Off), page, Off, Off),
            (None, Some(On), page, Off, On),
            (None, Some(Until(NOW + 5)), page, Off, Until(NOW + 5)),
            (Some(Off), Some(On), page, On, Off),
            (Some(Until(NOW + 7)), None, page, Off, Until(NOW + 7)),
            (Some(On), Some(Off), None, Off, On),
            // A var whose end has passed gives way to the status page too.
            (Some(Until(NOW - 1)), None, page, Off, Until(1_800_000_000)),
        ];
        for (var, switch, status_page, config, want) in table {
            assert_eq!(
                in_force_with_status(var, switch, status_page, config, NOW),
                want,
                "var {var:?}, switch {switch:?}, page {status_page:?}, config {config:?}"
            );
        }
        assert_eq!(in_force(None, None, On, NOW), in_force_with_status(None, None, None, On, NOW));
    }

    #[test]
    fn parses_switches_and_times() {
        assert_eq!(Maintenance::parse(""), Ok(Maintenance::Off));
        assert_eq!(Maintenance::parse("OFF"), Ok(Maintenance::Off));
        assert_eq!(Maintenance::parse("on"), Ok(Maintenance::On));
        assert_eq!(Maintenance::parse("true"), Ok(Maintenance::On));
        assert_eq!(Maintenance::parse("2026-11-24T18:00:00Z"), Ok(Maintenance::Until(1_795_543_200)));
        assert!(Maintenance::parse("2026-11-24T18:00:00").unwrap_err().contains("time zone"));
        assert!(Maintenance::parse("tomorrow").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn ends_by_itself() {
        let m = Maintenance::Until(1000);
        assert!(m.is_active(999));
        assert!(!m.is_active(1000));
        assert!(Maintenance::On.is_active(u64::MAX));
        assert!(!Maintenance::Off.is_active(0));
    }

    #[test]
    fn round_trips_through_its_text() {
        for m in [Maintenance::Off, Maintenance::On, Maintenance::Until(1_795_543_200)] {
            assert_eq!(Maintenance::parse(&m.to_string()), Ok(m));
        }
        assert_eq!(rfc3339(1_795_543_200), "2026-11-24T18:00:00Z");
    }
}

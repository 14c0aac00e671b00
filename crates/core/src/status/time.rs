//! The providers' timestamps as Unix seconds: RFC 3339 with any offset (Statuspage writes
//! `2014-05-14T14:22:40.301-06:00`, Better Stack `2025-02-16T14:20:00.000Z`), and the JavaScript
//! `Date` text that Instatus's documented example shows (`Sat Jun 11 2022 18:55:50 GMT+0000
//! (Coordinated Universal Time)`).

use std::time::UNIX_EPOCH;

use crate::config::LAST_RFC3339_S;

/// `raw` as Unix seconds, or `None` when it is neither form, before 1970, or after
/// [`LAST_RFC3339_S`] (a year-9999 time with a negative offset lands there).
pub fn unix_seconds(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    rfc3339(raw).or_else(|| javascript_date(raw)).filter(|s| *s <= LAST_RFC3339_S)
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`. humantime reads the UTC calendar part; the offset is
/// applied here, as humantime knows only `Z`.
fn rfc3339(raw: &str) -> Option<u64> {
    if raw.len() < 20 || !raw.is_ascii() {
        return None;
    }
    let (local, offset_s) = if let Some(local) = raw.strip_suffix(['Z', 'z']) {
        (local, 0)
    } else {
        let (local, offset) = raw.split_at(raw.len() - 6);
        let sign = match offset.as_bytes()[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let (hours, minutes) = offset[1..].split_once(':')?;
        let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
        if hours > 23 || minutes > 59 || offset[1..].len() != 5 {
            return None;
        }
        (local, sign * (hours * 3600 + minutes * 60))
    };
    // humantime takes `T` or a space, and fractions; the offset has been taken off.
    if local.as_bytes().get(10) != Some(&b'T') && local.as_bytes().get(10) != Some(&b't') {
        return None;
    }
    let utc = humantime::parse_rfc3339_weak(&local.replace('t', "T")).ok()?;
    let local_s = i64::try_from(utc.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    u64::try_from(local_s - offset_s).ok()
}

/// JavaScript's `Date.prototype.toString()`: `Sat Jun 11 2022 18:55:50 GMT+0000 (…)`.
fn javascript_date(raw: &str) -> Option<u64> {
    let mut words = raw.split_ascii_whitespace();
    let _weekday = words.next()?;
    let month = match words.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let day: u8 = words.next()?.parse().ok()?;
    let year: u16 = words.next()?.parse().ok()?;
    let time = words.next()?;
    let zone = words.next()?.strip_prefix("GMT")?;
    // Lengths in bytes, then byte slices: both only mean characters for ASCII.
    if !zone.is_ascii() || zone.len() != 5 || time.len() != 8 {
        return None;
    }
    rfc3339(&format!("{year:04}-{month:02}-{day:02}T{time}{}:{}", &zone[..3], &zone[3..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_applied() {
        // 2014-05-14T20:22:40Z, written in Mountain Daylight Time as Statuspage's example does.
        assert_eq!(unix_seconds("2014-05-14T14:22:40.301-06:00"), Some(1_400_098_960));
        assert_eq!(unix_seconds("2014-05-14T20:22:40Z"), Some(1_400_098_960));
        assert_eq!(unix_seconds("2014-05-15T01:52:40+05:30"), Some(1_400_098_960));
        assert_eq!(unix_seconds("2024-09-16T22:08:39.333Z"), Some(1_726_524_519));
    }

    #[test]
    fn instatus_documented_javascript_dates() {
        assert_eq!(
            unix_seconds("Sat Jun 11 2022 18:55:50 GMT+0000 (Coordinated Universal Time)"),
            unix_seconds("2022-06-11T18:55:50Z")
        );
        assert_eq!(unix_seconds("Sat Jun 11 2022 20:55:50 GMT+0200 (CEST)"), unix_seconds("2022-06-11T18:55:50Z"));
    }

    #[test]
    fn the_last_second_of_9999_is_the_latest() {
        assert_eq!(unix_seconds("9999-12-31T23:59:59Z"), Some(LAST_RFC3339_S));
        assert_eq!(unix_seconds("9999-12-31T23:59:59+01:00"), Some(LAST_RFC3339_S - 3600));
    }

    #[test]
    fn anything_else_is_none() {
        for bad in [
            "",
            "tomorrow",
            "2014-05-14",
            "2014-05-14T14:22:40",
            "2014-05-14T14:22:40+25:00",
            "2014-13-14T14:22:40Z",
            "1969-12-31T23:59:59Z",
            "2014-05-14 14:22:40Z",
            "Sat Foo 11 2022 18:55:50 GMT+0000",
            "９９９９-05-14T14:22:40Z",
            // Past the last second RFC 3339 can write once the offset is applied.
            "9999-12-31T23:59:59-01:00",
            // A zone of five bytes that are not five characters.
            "Sat Jun 11 2022 18:55:50 GMT+0\u{20ac}",
            "Sat Jun 11 2022 18:55:50 GMT\u{20ac}00",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad:?}");
        }
    }
}

//! How long clients are told to wait when a maintenance's end is published: the time left, spread
//! as every Retry-After is, but never past the end plus [`PAST_END_MARGIN_S`].

use crate::decide::jittered;

/// The most a Retry-After may reach past the published end. Spreading returning clients over
/// this minute keeps them from arriving as one herd at the end; more would keep them away from a
/// site that is back.
pub const PAST_END_MARGIN_S: u32 = 60;

/// The longest a client is asked to stay away, however far the published end: a maintenance can
/// be marked completed early, and an end years away is more likely a typo (or a hostile status
/// page) than a plan.
pub const MAX_WAIT_S: u32 = 86_400;

/// Seconds to send in Retry-After at `now_s` for a maintenance promised to end at `end_s`: the
/// time left (at least 1, at most [`MAX_WAIT_S`]), plus a share of it drawn from `seed` as [`jittered`] draws it (up to
/// `jitter_percent`), but that share is at most [`PAST_END_MARGIN_S`]: clients spread over the
/// margin rather than all landing on its far edge. An end already passed (a maintenance running
/// late) gives a short wait inside the margin.
pub fn until_end(end_s: u64, now_s: u64, jitter_percent: u8, seed: u64) -> u32 {
    let left = u32::try_from(end_s.saturating_sub(now_s)).unwrap_or(u32::MAX).clamp(1, MAX_WAIT_S);
    let share = u32::try_from(u64::from(left) * u64::from(jitter_percent.min(100)) / 100).unwrap_or(u32::MAX);
    let most = share.min(PAST_END_MARGIN_S);
    // `jittered(most, 100, seed)` is `most` plus 0..=`most`, drawn as every Retry-After's jitter.
    let extra = jittered(most, 100, seed) - most;
    left.saturating_add(extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_spread_but_never_past_the_end_and_margin() {
        let (now, end) = (1_000_000, 1_000_000 + 7200);
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..500 {
            let s = until_end(end, now, 50, seed);
            assert!((7200..=7200 + PAST_END_MARGIN_S).contains(&s), "{s}");
            seen.insert(s);
        }
        assert!(seen.len() > 40, "spread across the margin, not one herd: {}", seen.len());
        let at_edge = (0..500).filter(|seed| until_end(end, now, 50, *seed) == 7200 + PAST_END_MARGIN_S).count();
        assert!(at_edge < 30, "{at_edge} of 500 on the margin's far edge");
        assert_eq!(until_end(end, now, 0, 7), 7200, "no jitter: exactly the time left");
        // An end years away (a status page's typo, or a hostile one) asks no client to stay
        // away longer than a day: the maintenance may be marked completed long before.
        let far = now + 100 * 365 * 86_400;
        for seed in 0..50 {
            let s = until_end(far, now, 50, seed);
            assert!((MAX_WAIT_S..=MAX_WAIT_S + PAST_END_MARGIN_S).contains(&s), "{s}");
        }
        // A short wait is spread by its own share, within the margin.
        for seed in 0..100 {
            assert!((20..=30).contains(&until_end(now + 20, now, 50, seed)));
        }
    }

    #[test]
    fn an_end_already_passed_gives_a_short_wait() {
        for seed in 0..100 {
            assert!((1..=1 + PAST_END_MARGIN_S).contains(&until_end(100, 5000, 100, seed)));
        }
        assert_eq!(until_end(u64::MAX, 0, 0, 0), MAX_WAIT_S, "the farthest end is the longest wait, never a wrap");
    }
}

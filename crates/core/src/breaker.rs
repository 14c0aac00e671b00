//! The circuit breaker that sheds load from a failing origin (seed 002): pure state, driven by
//! the caller's clock. The edge keeps one per origin per isolate.
//!
//! Closed, it counts consecutive failures. At `failures` in a row it opens: for `cooldown_s` the
//! origin gets nothing and visitors get the branded 503 at once. Then one probe request at a time
//! is let through; a healthy answer closes the breaker, a failure opens it for another cool-down.

use serde::{Deserialize, Serialize};

use crate::outcome::OriginOutcome;

/// `[edge.breaker]` in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerPolicy {
    /// Consecutive origin failures that open the breaker; 0 turns it off.
    pub failures: u32,
    /// Seconds the origin is left alone once the breaker opens.
    pub cooldown_s: u32,
}

impl Default for BreakerPolicy {
    /// Ten failures in a row is an outage, not bad luck; ten seconds is long enough for an
    /// overloaded origin to drain its queue and short enough that a recovered one is soon used.
    fn default() -> Self {
        BreakerPolicy { failures: 10, cooldown_s: 10 }
    }
}

impl BreakerPolicy {
    pub fn is_on(self) -> bool {
        self.failures > 0
    }

    fn cooldown_ms(self) -> u64 {
        u64::from(self.cooldown_s) * 1000
    }
}

/// What one origin outcome says about the origin's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// It answered below 500: it is working.
    Healthy,
    /// It failed: no answer in time, no connection, or a 500/502/503/504 (or Cloudflare's 52x).
    Failing,
    /// Any other 5xx (501, 505, …): a property of the request, not of the origin's health.
    Neutral,
}

impl Health {
    pub fn of(outcome: &OriginOutcome<'_>) -> Health {
        match *outcome {
            OriginOutcome::Response { status, .. } if status < 500 => Health::Healthy,
            OriginOutcome::Response { status: 500 | 502 | 503 | 504 | 520..=527 | 530, .. }
            | OriginOutcome::Failure(_) => Health::Failing,
            OriginOutcome::Response { .. } => Health::Neutral,
        }
    }
}

/// Whether a request may go to the origin now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The breaker is closed (or off).
    Allow,
    /// The breaker is half open and this request is its one probe.
    Probe,
    /// The breaker is open: answer without the origin. The cool-down ends in about this many seconds.
    Shed { cooldown_left_s: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Closed,
    Open {
        until_ms: u64,
    },
    /// A probe went out at `since_ms`; until it reports, or a cool-down passes, others are shed.
    HalfOpen {
        since_ms: u64,
    },
}

/// One origin's breaker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breaker {
    consecutive_failures: u32,
    state: State,
}

impl Breaker {
    /// Decides whether a request may go to the origin at `now_ms`.
    pub fn admit(&mut self, policy: &BreakerPolicy, now_ms: u64) -> Admission {
        if !policy.is_on() {
            return Admission::Allow;
        }
        match self.state {
            State::Closed => Admission::Allow,
            State::Open { until_ms } if now_ms < until_ms => {
                Admission::Shed { cooldown_left_s: seconds_until(now_ms, until_ms) }
            }
            // A probe that never reported (its request was cancelled) must not keep the breaker
            // half open for ever: after a cool-down, another probe goes.
            State::HalfOpen { since_ms } if now_ms < since_ms + policy.cooldown_ms() => {
                Admission::Shed { cooldown_left_s: seconds_until(now_ms, since_ms + policy.cooldown_ms()) }
            }
            State::Open { .. } | State::HalfOpen { .. } => {
                self.state = State::HalfOpen { since_ms: now_ms };
                Admission::Probe
            }
        }
    }

    /// Records what the origin did for a request that was let through.
    pub fn record(&mut self, policy: &BreakerPolicy, health: Health, now_ms: u64) {
        if !policy.is_on() {
            return;
        }
        match health {
            Health::Neutral => {}
            Health::Healthy => *self = Breaker::default(),
            Health::Failing => {
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                let trips = match self.state {
                    State::Closed => self.consecutive_failures >= policy.failures,
                    State::HalfOpen { .. } => true,
                    // Answers to requests let through before it opened change nothing.
                    State::Open { .. } => false,
                };
                if trips {
                    self.state = State::Open { until_ms: now_ms + policy.cooldown_ms() };
                }
            }
        }
    }

    /// Open or half open: the origin is being protected.
    pub fn is_protecting(&self) -> bool {
        self.state != State::Closed
    }
}

fn seconds_until(now_ms: u64, until_ms: u64) -> u32 {
    u32::try_from(until_ms.saturating_sub(now_ms).div_ceil(1000)).unwrap_or(u32::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::FailureKind;

    const POLICY: BreakerPolicy = BreakerPolicy { failures: 3, cooldown_s: 10 };

    fn fail_times(breaker: &mut Breaker, n: u32, now_ms: u64) {
        for _ in 0..n {
            assert_eq!(breaker.admit(&POLICY, now_ms), Admission::Allow);
            breaker.record(&POLICY, Health::Failing, now_ms);
        }
    }

    #[test]
    fn opens_after_the_burst_and_sheds_for_the_cooldown() {
        let mut b = Breaker::default();
        fail_times(&mut b, 2, 0);
        assert!(!b.is_protecting());
        fail_times(&mut b, 1, 1000);
        assert!(b.is_protecting());
        assert_eq!(b.admit(&POLICY, 1000), Admission::Shed { cooldown_left_s: 10 });
        assert_eq!(b.admit(&POLICY, 10_500), Admission::Shed { cooldown_left_s: 1 });
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut b = Breaker::default();
        fail_times(&mut b, 2, 0);
        b.record(&POLICY, Health::Healthy, 0);
        fail_times(&mut b, 2, 0);
        assert_eq!(b.admit(&POLICY, 0), Admission::Allow);
        // A 501 says nothing about the origin's health either way.
        b.record(&POLICY, Health::Neutral, 0);
        fail_times(&mut b, 1, 0);
        assert!(b.is_protecting());
    }

    #[test]
    fn after_the_cooldown_one_probe_goes_and_its_answer_decides() {
        let mut b = Breaker::default();
        fail_times(&mut b, 3, 0);
        assert_eq!(b.admit(&POLICY, 11_000), Admission::Probe);
        assert!(matches!(b.admit(&POLICY, 11_001), Admission::Shed { .. }), "only one probe at a time");
        b.record(&POLICY, Health::Failing, 11_200);
        assert_eq!(b.admit(&POLICY, 12_000), Admission::Shed { cooldown_left_s: 10 }, "a failed probe reopens");
        assert_eq!(b.admit(&POLICY, 21_200), Admission::Probe);
        b.record(&POLICY, Health::Healthy, 21_300);
        assert_eq!(b.admit(&POLICY, 21_301), Admission::Allow);
        assert!(!b.is_protecting());
    }

    #[test]
    fn a_lost_probe_is_replaced_after_a_cooldown() {
        let mut b = Breaker::default();
        fail_times(&mut b, 3, 0);
        assert_eq!(b.admit(&POLICY, 10_000), Admission::Probe);
        assert!(matches!(b.admit(&POLICY, 19_999), Admission::Shed { .. }));
        assert_eq!(b.admit(&POLICY, 20_000), Admission::Probe);
    }

    #[test]
    fn late_answers_do_not_extend_the_cooldown() {
        let mut b = Breaker::default();
        fail_times(&mut b, 3, 0);
        b.record(&POLICY, Health::Failing, 9_000);
        assert_eq!(b.admit(&POLICY, 10_000), Admission::Probe);
    }

    #[test]
    fn off_lets_everything_through() {
        let off = BreakerPolicy { failures: 0, cooldown_s: 10 };
        let mut b = Breaker::default();
        for _ in 0..100 {
            assert_eq!(b.admit(&off, 0), Admission::Allow);
            b.record(&off, Health::Failing, 0);
        }
    }

    #[test]
    fn health_of_outcomes() {
        let status = |status| OriginOutcome::Response { status, content_type: None, retry_after: None };
        assert_eq!(Health::of(&status(200)), Health::Healthy);
        assert_eq!(Health::of(&status(404)), Health::Healthy);
        for s in [500, 502, 503, 504, 522, 530] {
            assert_eq!(Health::of(&status(s)), Health::Failing, "{s}");
        }
        assert_eq!(Health::of(&status(501)), Health::Neutral);
        assert_eq!(Health::of(&OriginOutcome::Failure(FailureKind::Refused)), Health::Failing);
    }
}

//! The circuit breaker that sheds load from a failing origin (seed 002): pure state, driven by
//! the caller's clock. The edge keeps one per origin per isolate ([`table`]).
//!
//! Closed, it counts the origin's answers over a short sliding window ([`window`]). It opens when
//! the window holds at least `min_requests` answers, at least `failure_percent` of them were
//! failures, and the failures were seen by many clients: at least [`MIN_FAILING_CLIENTS`] of
//! them, and at least `failure_percent` of the clients seen in the window. So neither one broken
//! page, nor one client's own trouble, nor a lucky success decides. The breaker is for an outage:
//! an origin that cannot answer, or is too busy to. So:
//! - the origin's distress counts: no answer in time, no connection, 502, 503, 504, and
//!   Cloudflare's 52x;
//! - a 500 does not count at all. It is the application's own answer: it was up, ran the
//!   handler, and answered. It may be one page's bug, one route's answer to a parameter it
//!   cannot parse (`/users/<not-a-number>`, which a client chooses: counting pages by path let
//!   one such route count as many), or a database every page needs; in none of these is the
//!   origin too busy to answer, and shedding the site would shed the pages that work. Visitors
//!   still get the branded 500, or the page's last good copy;
//! - a failure one client brings on itself does not count at all: its body too slow to arrive
//!   ([`crate::FailureKind::SlowUpload`]). And whatever one client sees, even the origin's 503 on
//!   every path (a rate limit on its address), is that client's alone: it is one client however
//!   many requests it sends ([`crate::client`]);
//! - an answer below 500 counts as healthy; other 5xx (501, 505, …) are the request's own and do
//!   not count at all.
//!
//! Open, the origin gets nothing for `cooldown_s` and visitors get the branded 503 at once. Then
//! one probe request at a time is let through: only the probe's own answer closes the breaker (a
//! late answer to a request let through before it opened changes nothing), and a failed probe
//! opens it for another cool-down.
//!
//! Modelled on resilience4j's failure-rate window with a minimum number of calls (and its
//! `ignoreExceptions`: some failures are not the backend's), and Envoy's outlier detection, which
//! tells gateway errors (502, 503, 504: `consecutive_gateway_failure`) apart from the
//! application's own 5xx and, in its failure-percentage
//! detector, judges only from enough hosts each with enough requests (`minimum_hosts`,
//! `request_volume`): here the judges are the clients, and one of them is never enough.

pub mod table;
mod window;

use serde::{Deserialize, Serialize};

use crate::client::ClientKey;
use crate::hash::Seed;
use crate::outcome::{FailureKind, OriginOutcome};
pub use window::REMEMBERED_CLIENTS;
use window::Window;

/// How many different clients must see the origin fail within the window before it counts as the
/// origin's distress, rather than one client's own trouble. (A client the edge cannot name counts
/// as a new one with each answer.)
pub const MIN_FAILING_CLIENTS: u64 = 3;
/// The longest window, in seconds.
pub const MAX_WINDOW_S: u32 = 60;

/// `[edge.breaker]` in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerPolicy {
    /// `false` turns the breaker off.
    pub enabled: bool,
    /// The sliding window the failure rate is measured over, in seconds.
    pub window_s: u32,
    /// Fewer answers than this in the window never open the breaker.
    pub min_requests: u32,
    /// The share of the window's answers, in percent, that must be failures to open it.
    pub failure_percent: u32,
    /// Seconds the origin is left alone once the breaker opens.
    pub cooldown_s: u32,
}

impl Default for BreakerPolicy {
    /// Half of at least ten answers in ten seconds is an outage, not bad luck; ten seconds is long
    /// enough for an overloaded origin to drain its queue and short enough that a recovered one
    /// is soon used again.
    fn default() -> Self {
        BreakerPolicy { enabled: true, window_s: 10, min_requests: 10, failure_percent: 50, cooldown_s: 10 }
    }
}

impl BreakerPolicy {
    pub fn is_on(self) -> bool {
        self.enabled
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
    /// The origin is in trouble: no answer in time, no connection, a 502/503/504 (or Cloudflare's
    /// 52x).
    Distress,
    /// A 500 (the application's own answer) or any other 5xx (501, 505, …), or a failure the
    /// client brought on itself: a property of the request, not of the origin's health.
    Neutral,
}

impl Health {
    pub fn of(outcome: &OriginOutcome<'_>) -> Health {
        match *outcome {
            OriginOutcome::Response { status, .. } if status < 500 => Health::Healthy,
            OriginOutcome::Failure(FailureKind::SlowUpload) => Health::Neutral,
            OriginOutcome::Response { status: 502 | 503 | 504 | 520..=527 | 530, .. } | OriginOutcome::Failure(_) => {
                Health::Distress
            }
            OriginOutcome::Response { .. } => Health::Neutral,
        }
    }
}

/// Whether a request may go to the origin now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The breaker is closed (or off).
    Allow,
    /// The breaker is half open and this request is its one probe; its answer is recorded with
    /// this ticket.
    Probe { ticket: u32 },
    /// The breaker is open: answer without the origin. The cool-down ends in about this many seconds.
    Shed { cooldown_left_s: u32 },
}

impl Admission {
    /// The probe ticket to record the answer with, if this request is the probe.
    pub fn ticket(self) -> Option<u32> {
        match self {
            Admission::Probe { ticket } => Some(ticket),
            Admission::Allow | Admission::Shed { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Closed,
    Open {
        until_ms: u64,
    },
    /// The probe `ticket` went out at `since_ms`; until it reports, or a cool-down passes, others
    /// are shed.
    HalfOpen {
        since_ms: u64,
        ticket: u32,
    },
}

/// One origin's breaker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breaker {
    window: Window,
    state: State,
    tickets: u32,
}

impl Breaker {
    /// A closed breaker whose sample of clients is drawn under `seed`, the isolate's secret
    /// ([`crate::hash::Seed`]): with it, an attacker cannot tell which of its addresses would be
    /// sampled.
    pub fn seeded(seed: Seed) -> Breaker {
        Breaker { window: Window::seeded(seed), ..Breaker::default() }
    }

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
            State::HalfOpen { since_ms, .. } if now_ms < since_ms + policy.cooldown_ms() => {
                Admission::Shed { cooldown_left_s: seconds_until(now_ms, since_ms + policy.cooldown_ms()) }
            }
            State::Open { .. } | State::HalfOpen { .. } => {
                self.tickets = self.tickets.wrapping_add(1);
                self.state = State::HalfOpen { since_ms: now_ms, ticket: self.tickets };
                Admission::Probe { ticket: self.tickets }
            }
        }
    }

    /// Records what the origin did for a request that was let through: from `client` (if the edge
    /// knows it), as the probe `probe` if it was one.
    pub fn record(
        &mut self,
        policy: &BreakerPolicy,
        health: Health,
        client: Option<ClientKey>,
        now_ms: u64,
        probe: Option<u32>,
    ) {
        if !policy.is_on() {
            return;
        }
        match self.state {
            State::Closed => {
                self.window.add(health, client, now_ms / 1000, policy.window_s);
                if self.window.trips(policy, now_ms / 1000) {
                    self.open(policy, now_ms);
                }
            }
            // Only the probe's own answer decides; a late answer to a request let through before
            // the breaker opened, or a replaced probe's, changes nothing.
            State::HalfOpen { ticket, .. } if probe == Some(ticket) => match health {
                Health::Healthy | Health::Neutral => {
                    *self = Breaker { window: self.window.emptied(), tickets: self.tickets, state: State::Closed }
                }
                Health::Distress => self.open(policy, now_ms),
            },
            State::HalfOpen { .. } | State::Open { .. } => {}
        }
    }

    fn open(&mut self, policy: &BreakerPolicy, now_ms: u64) {
        self.window = self.window.emptied();
        self.state = State::Open { until_ms: now_ms + policy.cooldown_ms() };
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

    const POLICY: BreakerPolicy =
        BreakerPolicy { enabled: true, window_s: 10, min_requests: 10, failure_percent: 50, cooldown_s: 10 };

    /// Admits and records `n` answers of `health` at `now_ms`, asserting each was let in.
    fn answer(breaker: &mut Breaker, n: u32, health: Health, now_ms: u64) {
        for _ in 0..n {
            assert_eq!(breaker.admit(&POLICY, now_ms), Admission::Allow, "shed while recording {health:?}");
            breaker.record(&POLICY, health, None, now_ms, None);
        }
    }

    /// [`answer`], from the client numbered `client`.
    fn answer_from(breaker: &mut Breaker, n: u32, health: Health, client: u32, now_ms: u64) {
        for _ in 0..n {
            assert_eq!(
                breaker.admit(&POLICY, now_ms),
                Admission::Allow,
                "shed while recording {health:?} from {client}"
            );
            breaker.record(&POLICY, health, ClientKey::from_number(client), now_ms, None);
        }
    }

    /// [`answer`], from the client at `ip`.
    fn answer_from_ip(breaker: &mut Breaker, health: Health, ip: &str, now_ms: u64) {
        assert_eq!(breaker.admit(&POLICY, now_ms), Admission::Allow, "shed while recording {health:?} from {ip}");
        let client = crate::client::ClientIp::parse(Some(ip)).map(crate::client::ClientIp::key);
        breaker.record(&POLICY, health, client, now_ms, None);
    }

    fn open_one() -> Breaker {
        let mut b = Breaker::default();
        answer(&mut b, 10, Health::Distress, 0);
        assert!(b.is_protecting());
        b
    }

    #[test]
    fn opens_at_the_failure_rate_once_the_window_has_enough_answers() {
        let mut b = Breaker::default();
        answer(&mut b, 9, Health::Distress, 0);
        assert!(!b.is_protecting(), "fewer than min_requests answers never open it");
        answer(&mut b, 1, Health::Distress, 1000);
        assert!(b.is_protecting());
        assert_eq!(b.admit(&POLICY, 1000), Admission::Shed { cooldown_left_s: 10 });
        assert_eq!(b.admit(&POLICY, 10_500), Admission::Shed { cooldown_left_s: 1 });
    }

    #[test]
    fn an_overloaded_origin_that_still_answers_one_in_five_is_shed() {
        let mut b = Breaker::default();
        let mut shed_at = None;
        for i in 0..50u32 {
            if b.admit(&POLICY, u64::from(i) * 100) != Admission::Allow {
                shed_at = Some(i);
                break;
            }
            let health = if i % 5 == 0 { Health::Healthy } else { Health::Distress };
            b.record(&POLICY, health, None, u64::from(i) * 100, None);
        }
        assert_eq!(shed_at, Some(10), "shed as soon as the window holds min_requests answers");
    }

    #[test]
    fn one_broken_page_never_opens_it_however_often_it_is_asked_for() {
        let mut b = Breaker::default();
        answer(&mut b, 300, Health::of(&status(500)), 0);
        answer_from(&mut b, 30, Health::of(&status(500)), 1, 5_000);
        assert!(!b.is_protecting());
    }

    #[test]
    fn one_route_answering_500_to_every_parameter_never_opens_it() {
        // `/users/<not-a-number>` answering 500 (an unhandled parse error), to many clients on
        // a quiet isolate: the app's own answer, on a route a client may choose to call badly.
        let mut b = Breaker::default();
        for client in 1..=20 {
            answer_from(&mut b, 3, Health::of(&status(500)), client, 0);
        }
        assert!(!b.is_protecting(), "one route's 500s opened it");
    }

    #[test]
    fn one_client_failing_on_every_path_never_opens_it() {
        // nginx limit_req answering one client 503 on every path, on a quiet isolate and then
        // among other visitors: that client's trouble is its own, however much it sends.
        let mut b = Breaker::default();
        for i in 0..300u64 {
            answer_from(&mut b, 1, Health::Distress, 7, i * 20);
        }
        assert!(!b.is_protecting(), "one client opened it on a quiet isolate");
        for visitor in 100..110 {
            answer_from(&mut b, 1, Health::Healthy, visitor, 6_000);
        }
        answer_from(&mut b, 200, Health::Distress, 7, 6_500);
        assert!(!b.is_protecting(), "one client opened it among others");
    }

    #[test]
    fn a_few_addresses_among_many_visitors_cannot_open_it() {
        let mut b = Breaker::default();
        for visitor in 100..120 {
            answer_from(&mut b, 2, Health::Healthy, visitor, 1_000);
        }
        for attacker in 1..=4 {
            answer_from(&mut b, 100, Health::Distress, attacker, 2_000);
        }
        assert!(!b.is_protecting(), "4 addresses of 24 opened it");
    }

    #[test]
    fn the_addresses_of_one_home_or_one_routed_block_are_one_client() {
        // One subscriber's /56 (256 /64s), or one rented IPv4 /24, each address over the
        // origin's rate limit, among five visitors.
        for attacker in [|n: u32| format!("2001:db8:0:{n:x}::1"), |n: u32| format!("203.0.113.{n}")] {
            let mut b = Breaker::default();
            for visitor in 1..=5 {
                answer_from_ip(&mut b, Health::Healthy, &format!("198.51.{visitor}.1"), 0);
            }
            for round in 0..3 {
                for n in 1..=250 {
                    answer_from_ip(&mut b, Health::Distress, &attacker(n), 1_000 + round * 1_000);
                }
                assert!(!b.is_protecting(), "250 addresses of one block ({}) opened it", attacker(1));
            }
        }
    }

    /// The address of a network numbered `n` (an IPv4 /24 of its own) in `10.0.0.0/8`.
    fn network(n: u32) -> String {
        format!("10.{}.{}.1", n / 256, n % 256)
    }

    #[test]
    fn a_flood_of_new_networks_cannot_push_a_busy_sites_visitors_out_of_the_count() {
        // 400 visitors a second, each from a network of its own; from the second second on, an
        // attacker with 150 networks, each over the origin's rate limit, asks five times a second
        // from each, ahead of the visitors. It is 27% of the clients, whatever its share of the
        // requests, under any seed.
        let visitors = |b: &mut Breaker, second: u64| {
            for visitor in 0..400 {
                answer_from_ip(b, Health::Healthy, &network(visitor), second * 1000);
            }
        };
        for seed in 0..8 {
            let mut b = Breaker::seeded(Seed::fixed(seed));
            visitors(&mut b, 0);
            for second in 1..12u64 {
                for _ in 0..5 {
                    for attacker in 0..150 {
                        answer_from_ip(&mut b, Health::Distress, &network(10_000 + attacker), second * 1000);
                    }
                }
                visitors(&mut b, second);
            }
            assert!(!b.is_protecting(), "seed {seed}: 150 networks of 550 opened it");
        }
    }

    #[test]
    fn most_of_a_busy_sites_visitors_seeing_the_origin_fail_open_it() {
        // Past the sample's size: 600 of 1000 networks see the origin fail, under any seed.
        for seed in 0..8 {
            let mut b = Breaker::seeded(Seed::fixed(seed));
            let mut opened_at = None;
            'seconds: for second in 0..10u64 {
                for n in 0..1000 {
                    if b.admit(&POLICY, second * 1000) != Admission::Allow {
                        opened_at = Some(second);
                        break 'seconds;
                    }
                    let health = if n % 5 < 3 { Health::Distress } else { Health::Healthy };
                    let client = crate::client::ClientIp::parse(Some(&network(n))).map(crate::client::ClientIp::key);
                    b.record(&POLICY, health, client, second * 1000, None);
                }
            }
            assert_eq!(opened_at, Some(0), "seed {seed}: 600 of 1000 networks failing did not open it at once");
        }
    }

    #[test]
    fn many_clients_seeing_the_origin_fail_open_it() {
        let mut b = Breaker::default();
        answer_from(&mut b, 10, Health::Distress, 1, 0);
        answer_from(&mut b, 10, Health::Distress, 2, 0);
        assert!(!b.is_protecting(), "two clients are not yet many");
        answer_from(&mut b, 1, Health::Distress, 3, 100);
        assert!(b.is_protecting(), "three clients all failing is the origin's trouble");

        // Among healthy visitors, as soon as most of the clients seen are failing.
        let mut b = Breaker::default();
        for visitor in 100..104 {
            answer_from(&mut b, 3, Health::Healthy, visitor, 0);
        }
        for client in 1..=3 {
            answer_from(&mut b, 4, Health::Distress, client, 1_000);
            assert!(!b.is_protecting(), "{client} failing clients of {} opened it", 4 + client);
        }
        answer_from(&mut b, 1, Health::Distress, 4, 1_000);
        assert!(b.is_protecting(), "4 of 8 clients failing, and most of the answers");
    }

    #[test]
    fn one_busy_broken_page_does_not_hide_the_origin_failing_after_it() {
        // Its 500s are no evidence either way: they neither open the breaker nor water down the
        // failures that follow.
        let mut b = Breaker::default();
        for client in 1..=4 {
            answer_from(&mut b, 12, Health::of(&status(500)), client, 0);
        }
        for client in 10..=19 {
            answer_from(&mut b, 1, Health::Distress, client, 1_000);
        }
        assert!(b.is_protecting(), "ten clients seeing the origin fail, after 48 answers of one broken page");
    }

    #[test]
    fn a_healthy_origin_under_a_burst_is_never_shed() {
        let mut b = Breaker::default();
        for ms in (0..60_000).step_by(10) {
            answer(&mut b, 1, Health::Healthy, ms);
        }
        // Now and then a failure or a 501 among them changes nothing.
        answer(&mut b, 3, Health::Distress, 60_000);
        answer(&mut b, 50, Health::Neutral, 60_000);
        assert!(!b.is_protecting());
    }

    #[test]
    fn failures_leave_the_window_as_it_slides() {
        let mut b = Breaker::default();
        answer(&mut b, 10, Health::Healthy, 0);
        answer(&mut b, 9, Health::Distress, 1_000);
        assert!(!b.is_protecting(), "9 in 19 is under half");
        // At 11 s, seconds 0 and 1 are out of the 10 s window: 9 new failures are too few to
        // count, where with the old ones still in they would be 18 in 28.
        answer(&mut b, 9, Health::Distress, 11_500);
        assert!(!b.is_protecting());
    }

    #[test]
    fn after_the_cooldown_one_probe_goes_and_only_its_answer_decides() {
        let mut b = open_one();
        let Admission::Probe { ticket } = b.admit(&POLICY, 11_000) else { panic!("no probe") };
        assert!(matches!(b.admit(&POLICY, 11_001), Admission::Shed { .. }), "only one probe at a time");
        b.record(&POLICY, Health::Distress, None, 11_200, Some(ticket));
        assert_eq!(b.admit(&POLICY, 12_000), Admission::Shed { cooldown_left_s: 10 }, "a failed probe reopens");
        let Admission::Probe { ticket } = b.admit(&POLICY, 21_200) else { panic!("no probe") };
        b.record(&POLICY, Health::Healthy, None, 21_300, Some(ticket));
        assert_eq!(b.admit(&POLICY, 21_301), Admission::Allow);
        assert!(!b.is_protecting());
        // Closed again with an empty window: it takes a new run of failures to open it.
        answer(&mut b, 9, Health::Distress, 21_400);
        assert!(!b.is_protecting());
    }

    #[test]
    fn a_late_answer_cannot_close_an_open_breaker() {
        let mut b = open_one();
        // A request let through before it opened answers healthy after: nothing changes.
        b.record(&POLICY, Health::Healthy, None, 500, None);
        assert!(b.is_protecting());
        assert!(matches!(b.admit(&POLICY, 600), Admission::Shed { .. }));
        // Nor while half open: only the probe's own answer closes it.
        let Admission::Probe { ticket } = b.admit(&POLICY, 10_000) else { panic!("no probe") };
        b.record(&POLICY, Health::Healthy, None, 10_100, None);
        b.record(&POLICY, Health::Healthy, None, 10_100, Some(ticket.wrapping_add(1)));
        assert!(matches!(b.admit(&POLICY, 10_200), Admission::Shed { .. }));
        b.record(&POLICY, Health::Healthy, None, 10_300, Some(ticket));
        assert_eq!(b.admit(&POLICY, 10_400), Admission::Allow);
    }

    #[test]
    fn a_lost_probe_is_replaced_after_a_cooldown_and_its_late_answer_ignored() {
        let mut b = open_one();
        let Admission::Probe { ticket: lost } = b.admit(&POLICY, 10_000) else { panic!("no probe") };
        assert!(matches!(b.admit(&POLICY, 19_999), Admission::Shed { .. }));
        let Admission::Probe { ticket } = b.admit(&POLICY, 20_000) else { panic!("no probe") };
        assert_ne!(ticket, lost);
        b.record(&POLICY, Health::Healthy, None, 20_100, Some(lost));
        assert!(b.is_protecting(), "the replaced probe's late answer closed it");
    }

    #[test]
    fn late_failures_do_not_extend_the_cooldown() {
        let mut b = open_one();
        b.record(&POLICY, Health::Distress, None, 9_000, None);
        assert!(matches!(b.admit(&POLICY, 10_000), Admission::Probe { .. }));
    }

    #[test]
    fn off_lets_everything_through() {
        let off = BreakerPolicy { enabled: false, ..POLICY };
        let mut b = Breaker::default();
        for _ in 0..100 {
            assert_eq!(b.admit(&off, 0), Admission::Allow);
            b.record(&off, Health::Distress, None, 0, None);
        }
    }

    fn status(status: u16) -> OriginOutcome<'static> {
        OriginOutcome::Response { status, content_type: None, retry_after: None }
    }

    #[test]
    fn health_of_outcomes() {
        assert_eq!(Health::of(&status(200)), Health::Healthy);
        assert_eq!(Health::of(&status(404)), Health::Healthy);
        // The application's own answer: the origin was up to give it.
        assert_eq!(Health::of(&status(500)), Health::Neutral);
        for s in [502, 503, 504, 520, 522, 527, 530] {
            assert_eq!(Health::of(&status(s)), Health::Distress, "{s}");
        }
        assert_eq!(Health::of(&status(501)), Health::Neutral);
        assert_eq!(Health::of(&status(505)), Health::Neutral);
        for kind in [FailureKind::Refused, FailureKind::Timeout, FailureKind::Reset, FailureKind::Dns] {
            assert_eq!(Health::of(&OriginOutcome::Failure(kind)), Health::Distress, "{kind:?}");
        }
        // The client's own body never arrived in time: not the origin's doing.
        assert_eq!(Health::of(&OriginOutcome::Failure(FailureKind::SlowUpload)), Health::Neutral);
    }
}

//! The breaker's sliding window: the origin's answers counted per second, and a sample of the
//! recent clients and whether each saw the origin fail, in
//! fixed memory however busy the origin is.
//!
//! The clients are a bottom-k sample (Cohen and Kaplan, "Summarizing data using bottom-k
//! sketches", PODC 2007): each client has a rank, a keyed hash of its key under the isolate's
//! secret seed, and once the table is full of clients seen within the window, a newcomer takes
//! the place of the one of highest rank only if its own is lower. So the sample is a uniform draw
//! from the distinct clients seen, whatever their number and however often each one asks: an
//! attacker's share of it is its share of the clients, which sending more requests, or from more
//! addresses in turn, does not raise. (Before, the newest client pushed out the one seen longest
//! ago, so a flood of new addresses emptied the table of the site's visitors.)

use super::{BreakerPolicy, Health, MAX_WINDOW_S, MIN_FAILING_CLIENTS};
use crate::client::ClientKey;
use crate::hash::Seed;

/// One second of answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Second {
    /// The Unix second these counts are for; a slot holding an older second is empty.
    at: u64,
    all: Tally,
    /// Answers to requests whose client is not known: each counts as a client of its own.
    anonymous: Tally,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    healthy: u32,
    distress: u32,
}

impl Tally {
    fn add(&mut self, health: Health) {
        let count = match health {
            Health::Healthy => &mut self.healthy,
            Health::Distress => &mut self.distress,
            Health::Neutral => return,
        };
        *count = count.saturating_add(1);
    }
}

/// Tallies summed over the window.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    healthy: u64,
    distress: u64,
}

impl Sum {
    fn add(&mut self, tally: Tally) {
        self.healthy += u64::from(tally.healthy);
        self.distress += u64::from(tally.distress);
    }

    fn answers(self) -> u64 {
        self.healthy + self.distress
    }
}

/// A client seen recently: the last second it had a healthy answer, and the last it saw the
/// origin in distress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Client {
    key: Option<ClientKey>,
    /// The key's rank under the window's seed: the lowest ranks stay in the sample.
    rank: u64,
    seen_s: u64,
    healthy_s: Option<u64>,
    distress_s: Option<u64>,
}

/// Clients remembered: a sample of those seen within the window, enough that a handful of
/// networks cannot be the majority of a site's visitors.
pub const REMEMBERED_CLIENTS: usize = 128;

#[allow(clippy::cast_possible_truncation)]
const SECONDS: usize = MAX_WINDOW_S as usize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Window {
    seconds: [Second; SECONDS],
    clients: [Client; REMEMBERED_CLIENTS],
    /// The secret the clients' ranks are keyed with.
    seed: Seed,
}

impl Default for Window {
    fn default() -> Self {
        Window::seeded(Seed::default())
    }
}

impl Window {
    /// An empty window whose clients are ranked under `seed`.
    pub(super) fn seeded(seed: Seed) -> Window {
        Window { seconds: [Second::default(); SECONDS], clients: [Client::default(); REMEMBERED_CLIENTS], seed }
    }

    /// This window, emptied.
    pub(super) fn emptied(&self) -> Window {
        Window::seeded(self.seed)
    }

    /// Counts one answer of `health` to `client` in second `now_s`.
    pub(super) fn add(&mut self, health: Health, client: Option<ClientKey>, now_s: u64, window_s: u32) {
        if health == Health::Neutral {
            return;
        }
        #[allow(clippy::cast_possible_truncation)]
        let second = &mut self.seconds[(now_s % SECONDS as u64) as usize];
        if second.at != now_s {
            *second = Second { at: now_s, ..Second::default() };
        }
        second.all.add(health);
        match client {
            Some(key) => self.remember_client(key, health, now_s, window_s),
            None => second.anonymous.add(health),
        }
    }

    /// Whether the window at `now_s` says the origin itself is failing: enough answers, enough of
    /// them failures, and those failures seen by enough of the recent clients. One client's own
    /// trouble (a rate limit on its address, its slow uploads) fails only that client, however
    /// many requests it sends.
    pub(super) fn trips(&self, policy: &BreakerPolicy, now_s: u64) -> bool {
        let live = |at: u64| in_window(at, now_s, policy.window_s);
        let (mut all, mut anonymous) = (Sum::default(), Sum::default());
        for second in self.seconds.iter().filter(|s| live(s.at)) {
            all.add(second.all);
            anonymous.add(second.anonymous);
        }
        let live_known = |c: &&Client| c.key.is_some() && live(c.seen_s);
        let failed = |c: &Client| c.distress_s.is_some_and(live);
        let counted = |c: &&Client| failed(c) || c.healthy_s.is_some_and(live);
        let clients = self.clients.iter().filter(live_known).filter(counted).count() as u64 + anonymous.answers();
        let failing_clients =
            self.clients.iter().filter(live_known).filter(|c| failed(c)).count() as u64 + anonymous.distress;

        let share = |part: u64, whole: u64| part * 100 >= u64::from(policy.failure_percent) * whole;
        all.answers() >= u64::from(policy.min_requests.max(1))
            && share(all.distress, all.answers())
            && failing_clients >= MIN_FAILING_CLIENTS
            && share(failing_clients, clients)
    }

    /// Notes an answer of `health` to the client `key` at `now_s`, if the client is in the sample.
    fn remember_client(&mut self, key: ClientKey, health: Health, now_s: u64, window_s: u32) {
        let known = self.clients.iter().position(|c| c.key == Some(key));
        let Some(slot) = known.or_else(|| self.sample(key, now_s, window_s)) else { return };
        let client = &mut self.clients[slot];
        client.seen_s = now_s;
        match health {
            Health::Healthy => client.healthy_s = Some(now_s),
            Health::Distress => client.distress_s = Some(now_s),
            Health::Neutral => {}
        }
    }

    /// The place of a client not yet remembered, if it enters the sample: a free place (never
    /// used, or its client gone out of the window); when there is none, the place of the client
    /// of highest rank, if the newcomer's is lower.
    fn sample(&mut self, key: ClientKey, now_s: u64, window_s: u32) -> Option<usize> {
        let rank = key.rank(self.seed);
        let live = |c: &Client| c.key.is_some() && in_window(c.seen_s, now_s, window_s);
        let slot = self.clients.iter().position(|c| !live(c)).or_else(|| {
            let (highest, held) = self.clients.iter().enumerate().max_by_key(|(_, c)| c.rank)?;
            (rank < held.rank).then_some(highest)
        })?;
        self.clients[slot] = Client { key: Some(key), rank, ..Client::default() };
        Some(slot)
    }
}

fn in_window(at: u64, now_s: u64, window_s: u32) -> bool {
    at <= now_s && at + u64::from(window_s.clamp(1, MAX_WINDOW_S)) > now_s
}

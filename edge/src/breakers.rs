//! The isolate's breakers, one per origin in a bounded table: core decides, this keeps the state
//! between requests.

use std::cell::RefCell;

use edgepages_core::breaker::table::{Breakers, Slot};
use edgepages_core::breaker::{Admission, BreakerPolicy, Health};
use edgepages_core::client::ClientKey;
use edgepages_core::hash::Seed;

thread_local! {
    /// Made on an isolate's first request (random values may not be drawn at global scope), with
    /// the seed its breakers sample clients under: secret, so no attacker can pick the addresses
    /// that would be sampled.
    static BREAKERS: RefCell<Breakers> = RefCell::new(Breakers::seeded(Seed::from_draws(js_sys::Math::random)));
}

/// The slot of `origin`'s breaker, made on first use.
pub fn slot(origin: &str, now_ms: u64) -> Slot {
    BREAKERS.with(|breakers| breakers.borrow_mut().slot(origin, now_ms))
}

/// Whether a request to the origin of `slot` may go now (a probe carries the ticket its answer
/// must be recorded with).
pub fn admit(slot: Slot, policy: &BreakerPolicy, now_ms: u64) -> Admission {
    BREAKERS.with(|breakers| breakers.borrow_mut().get_mut(slot).map_or(Admission::Allow, |b| b.admit(policy, now_ms)))
}

/// The slot of `origin`'s breaker while it lets every request through, changing nothing; `None`
/// while it protects the origin (open or half open), when only [`admit`] may decide.
pub fn closed_slot(origin: &str, now_ms: u64) -> Option<Slot> {
    BREAKERS.with(|breakers| {
        let mut breakers = breakers.borrow_mut();
        let slot = breakers.slot(origin, now_ms);
        breakers.get_mut(slot).is_some_and(|b| !b.is_protecting()).then_some(slot)
    })
}

/// Records what the origin of the breaker in `slot` did for a request from `client` that was let
/// through (`probe`: the ticket, if it was the probe). A slot evicted since names nothing, and
/// then nothing happens. `_path` is no longer counted (500s stopped counting, and with them the
/// pages that answered them); it stays until the caller in `lib.rs` next changes.
pub fn record(
    slot: Slot,
    policy: &BreakerPolicy,
    health: Health,
    _path: &str,
    client: Option<ClientKey>,
    now_ms: u64,
    probe: Option<u32>,
) {
    if policy.is_on() {
        BREAKERS.with(|breakers| {
            if let Some(breaker) = breakers.borrow_mut().get_mut(slot) {
                breaker.record(policy, health, client, now_ms, probe);
            }
        });
    }
}

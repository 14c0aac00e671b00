//! The isolate's breakers, one per origin: core decides, this keeps the state between requests.

use std::cell::RefCell;

use edgepages_core::breaker::{Admission, Breaker, BreakerPolicy, Health};

thread_local! {
    /// A list, not a map: a worker has one origin, or a few with `edge.paths` origins. A breaker's
    /// index (its slot) never changes, so the JS entry can name it by number.
    static BREAKERS: RefCell<Vec<(String, Breaker)>> = const { RefCell::new(Vec::new()) };
}

/// The slot of `origin`'s breaker, made on first use.
fn slot_of(origin: &str) -> usize {
    BREAKERS.with(|breakers| {
        let mut breakers = breakers.borrow_mut();
        breakers.iter().position(|(o, _)| o == origin).unwrap_or_else(|| {
            breakers.push((origin.to_owned(), Breaker::default()));
            breakers.len() - 1
        })
    })
}

/// Runs `f` on the breaker in `slot`; a slot from before the wasm instance was re-created is
/// gone, and then nothing happens.
fn with_slot<T>(slot: usize, f: impl FnOnce(&mut Breaker) -> T) -> Option<T> {
    BREAKERS.with(|breakers| breakers.borrow_mut().get_mut(slot).map(|(_, breaker)| f(breaker)))
}

/// Whether a request to `origin` may go now.
pub fn admit(origin: &str, policy: &BreakerPolicy, now_ms: u64) -> Admission {
    if !policy.is_on() {
        return Admission::Allow;
    }
    with_slot(slot_of(origin), |b| b.admit(policy, now_ms)).unwrap_or(Admission::Allow)
}

/// The slot of `origin`'s breaker while it lets every request through, changing nothing; `None`
/// while it protects the origin (open or half open), when only [`admit`] may decide.
pub fn closed_slot(origin: &str) -> Option<usize> {
    let slot = slot_of(origin);
    with_slot(slot, |b| !b.is_protecting()).unwrap_or(false).then_some(slot)
}

/// Records what `origin` did for a request that was let through.
pub fn record(origin: &str, policy: &BreakerPolicy, health: Health, now_ms: u64) {
    if policy.is_on() {
        record_slot(slot_of(origin), policy, health, now_ms);
    }
}

/// Records what the origin of the breaker in `slot` did for a request that was let through.
pub fn record_slot(slot: usize, policy: &BreakerPolicy, health: Health, now_ms: u64) {
    if policy.is_on() {
        with_slot(slot, |b| b.record(policy, health, now_ms));
    }
}

//! The isolate's breakers, one per origin: core decides, this keeps the state between requests.

use std::cell::RefCell;

use edgepages_core::breaker::{Admission, Breaker, BreakerPolicy, Health};

thread_local! {
    /// A list, not a map: a worker has one origin, or a few with `edge.paths` origins.
    static BREAKERS: RefCell<Vec<(String, Breaker)>> = const { RefCell::new(Vec::new()) };
}

fn with_breaker<T>(origin: &str, f: impl FnOnce(&mut Breaker) -> T) -> T {
    BREAKERS.with(|breakers| {
        let mut breakers = breakers.borrow_mut();
        let index = breakers.iter().position(|(o, _)| o == origin).unwrap_or_else(|| {
            breakers.push((origin.to_owned(), Breaker::default()));
            breakers.len() - 1
        });
        f(&mut breakers[index].1)
    })
}

/// Whether a request to `origin` may go now.
pub fn admit(origin: &str, policy: &BreakerPolicy, now_ms: u64) -> Admission {
    if !policy.is_on() {
        return Admission::Allow;
    }
    with_breaker(origin, |b| b.admit(policy, now_ms))
}

/// Records what `origin` did for a request that was let through.
pub fn record(origin: &str, policy: &BreakerPolicy, health: Health, now_ms: u64) {
    if !policy.is_on() {
        return;
    }
    with_breaker(origin, |b| b.record(policy, health, now_ms));
}

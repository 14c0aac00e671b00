//! The isolate's breakers, one per origin, in a table of fixed size: with `ORIGIN_URL` empty each
//! hostname the worker serves is an origin of its own, and a table that grew with every hostname
//! would be a way to exhaust the isolate's memory. When it is full, the breaker used longest ago
//! makes room.
//!
//! A breaker is named by a [`Slot`] that the JS fast path can hold across an await. A slot whose
//! breaker was since evicted names nothing, so a late answer never lands on another origin's.

use super::Breaker;
use crate::hash::Seed;

/// The most origins whose breakers an isolate keeps.
pub const MAX_ORIGINS: usize = 64;

/// A breaker's place in the table, and which tenant of that place it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(u32);

impl Slot {
    /// As a number, for JS.
    pub fn number(self) -> u32 {
        self.0
    }

    pub fn from_number(n: u32) -> Slot {
        Slot(n)
    }

    #[allow(clippy::cast_possible_truncation)]
    fn new(index: usize, tenant: u32) -> Slot {
        Slot((tenant % (u32::MAX / MAX_ORIGINS as u32)) * MAX_ORIGINS as u32 + index as u32)
    }

    fn index(self) -> usize {
        self.0 as usize % MAX_ORIGINS
    }
}

#[derive(Debug, Clone)]
struct Entry {
    origin: String,
    breaker: Breaker,
    slot: Slot,
    used_ms: u64,
}

/// The breakers, by origin (`scheme://host:port`).
#[derive(Debug, Clone, Default)]
pub struct Breakers {
    entries: Vec<Entry>,
    tenants: u32,
    seed: Seed,
}

impl Breakers {
    /// An empty table whose breakers sample clients under `seed` ([`Breaker::seeded`]).
    pub fn seeded(seed: Seed) -> Breakers {
        Breakers { seed, ..Breakers::default() }
    }

    /// The slot of `origin`'s breaker, made on first use at `now_ms`.
    pub fn slot(&mut self, origin: &str, now_ms: u64) -> Slot {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.origin == origin) {
            entry.used_ms = now_ms;
            return entry.slot;
        }
        self.tenants = self.tenants.wrapping_add(1);
        let index = if self.entries.len() < MAX_ORIGINS {
            self.entries.len()
        } else {
            self.entries.iter().enumerate().min_by_key(|(_, e)| e.used_ms).map_or(0, |(i, _)| i)
        };
        let entry = Entry {
            origin: origin.to_owned(),
            breaker: Breaker::seeded(self.seed),
            slot: Slot::new(index, self.tenants),
            used_ms: now_ms,
        };
        if index == self.entries.len() {
            self.entries.push(entry);
        } else {
            self.entries[index] = entry;
        }
        self.entries[index].slot
    }

    /// The breaker in `slot`, unless it has been evicted since.
    pub fn get_mut(&mut self, slot: Slot) -> Option<&mut Breaker> {
        self.entries.get_mut(slot.index()).filter(|e| e.slot == slot).map(|e| &mut e.breaker)
    }

    /// How many origins have a breaker.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breaker::{BreakerPolicy, Health};

    #[test]
    fn one_breaker_per_origin() {
        let mut t = Breakers::default();
        let a = t.slot("https://a.example", 0);
        assert_eq!(t.slot("https://a.example", 1), a);
        assert_ne!(t.slot("https://b.example", 2), a);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn the_table_is_bounded_and_evicts_the_origin_used_longest_ago() {
        let mut t = Breakers::default();
        let first = t.slot("https://host-0.example", 0);
        let busy = t.slot("https://busy.example", 1);
        for i in 1..10_000u64 {
            t.slot(&format!("https://host-{i}.example"), 10 + i);
            t.slot("https://busy.example", 10 + i);
        }
        assert_eq!(t.len(), MAX_ORIGINS, "the table grew past its cap");
        assert_eq!(t.slot("https://busy.example", 20_000), busy, "a busy origin keeps its breaker");
        assert!(t.get_mut(first).is_none(), "an evicted origin's slot names nothing");
    }

    #[test]
    fn a_late_answer_for_an_evicted_slot_never_lands_on_the_new_tenant() {
        let mut t = Breakers::default();
        let policy = BreakerPolicy::default();
        let old = t.slot("https://old.example", 0);
        for i in 0..MAX_ORIGINS {
            t.slot(&format!("https://new-{i}.example"), 1);
        }
        for _ in 0..100 {
            if let Some(b) = t.get_mut(old) {
                b.record(&policy, Health::Distress, None, 2_000, None);
            }
        }
        for i in 0..MAX_ORIGINS {
            let slot = t.slot(&format!("https://new-{i}.example"), 3);
            assert!(!t.get_mut(slot).unwrap().is_protecting(), "new-{i} took the old origin's failures");
        }
    }
}

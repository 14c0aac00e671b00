//! Hashes for bookkeeping keys: FNV-1a (a few lines, no hasher state, well spread for URLs and
//! paths) where an attacker may predict the outcome, and SipHash-1-3 under a secret per-isolate
//! [`Seed`] where it must not (which clients the breaker samples, which pages share a write
//! slot). SipHash is the keyed hash made for exactly this: inputs an attacker chooses, outputs
//! it cannot predict without the key (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
//! 2012).

use std::hash::Hasher;

use siphasher::sip::SipHasher13;

/// The 64-bit FNV-1a hash of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

/// A secret key for [`keyed`], drawn once per isolate by the adapter (core has no randomness).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seed(u64, u64);

impl Seed {
    /// A seed from four draws of `random` (each in `[0, 1)`, as JS's `Math.random` gives; 32 bits
    /// of each are used).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub fn from_draws(mut random: impl FnMut() -> f64) -> Seed {
        let mut draw = || u64::from((random().clamp(0.0, 1.0) * f64::from(u32::MAX)) as u32);
        Seed(draw() << 32 | draw(), draw() << 32 | draw())
    }

    /// A fixed seed, for tests.
    pub const fn fixed(n: u64) -> Seed {
        Seed(n, !n)
    }
}

/// The SipHash-1-3 of `bytes` under `seed`.
pub fn keyed(seed: Seed, bytes: &[u8]) -> u64 {
    let mut hasher = SipHasher13::new_with_keys(seed.0, seed.1);
    hasher.write(bytes);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_differ_by_seed_and_seeds_by_draws() {
        let (a, b) = (Seed::fixed(1), Seed::fixed(2));
        assert_eq!(keyed(a, b"203.0.113"), keyed(a, b"203.0.113"));
        assert_ne!(keyed(a, b"203.0.113"), keyed(b, b"203.0.113"));
        let mut draws = [0.25, 0.5, 0.75, 0.999].into_iter();
        let seed = Seed::from_draws(|| draws.next().unwrap_or_default());
        assert_ne!(seed, Seed::from_draws(|| 0.5));
        assert_ne!(seed, Seed::default());
    }

    #[test]
    fn matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}

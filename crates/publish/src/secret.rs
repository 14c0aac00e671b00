//! Secrets as they may be shown: by a short fingerprint, enough to tell two apart and nothing to
//! rebuild one from; and bytes as hex, for making one.

use sha2::{Digest as _, Sha256};

/// A secret's fingerprint, safe to show: enough to tell two apart, nothing to rebuild it from.
pub fn fingerprint(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes())[..4])
}

/// `bytes` as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

//! The maintenance bypass: the team sends the secret in `x-edgepages-bypass` or in the cookie
//! `edgepages_bypass`, and gets through to the origin.

pub const HEADER: &str = "x-edgepages-bypass";
const COOKIE: &str = "edgepages_bypass";

/// Whether the request carries the secret. Compared in constant time.
pub fn allowed(secret: Option<&str>, header: Option<&str>, cookies: Option<&str>) -> bool {
    let Some(secret) = secret else { return false };
    let from_cookie = cookies.and_then(|c| {
        c.split(';').find_map(|pair| pair.trim().strip_prefix(COOKIE).and_then(|rest| rest.strip_prefix('=')))
    });
    [header, from_cookie]
        .into_iter()
        .flatten()
        .any(|given| constant_time_eq(given.trim().as_bytes(), secret.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

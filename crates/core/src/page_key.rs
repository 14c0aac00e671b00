//! Which page a path names, for the edge's per-page bookkeeping (the stale copies' write
//! allowance): one key for every spelling a client can
//! give the same handler, so that respelling a URL cannot make one page count as many.
//!
//! The spellings folded together are the ones servers commonly treat alike: percent-encoding
//! (RFC 3986 §6.2.2.2 makes an encoded unreserved character equivalent to the character itself;
//! this folds every encoding, since many frameworks decode the whole path before routing), letter
//! case (case-insensitive routers and file systems), repeated or trailing slashes, `.` segments,
//! and `;parameters` on a segment (Java servlet containers strip them before routing). The key
//! is a hash: bookkeeping, never a cache key.

use percent_encoding::percent_decode_str;

/// The key of the page `path` (no query) names.
pub fn of(path: &str) -> u64 {
    let decoded = percent_decode_str(path).collect::<Vec<u8>>();
    let mut normal = Vec::with_capacity(decoded.len() + 1);
    for segment in decoded.split(|b| *b == b'/') {
        let segment = segment.split(|b| *b == b';').next().unwrap_or_default();
        if segment.is_empty() || segment == b"." {
            continue;
        }
        normal.push(b'/');
        normal.extend(segment.iter().map(u8::to_ascii_lowercase));
    }
    if normal.is_empty() {
        normal.push(b'/');
    }
    crate::hash::fnv1a(&normal).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_one_page_is_one_page() {
        let page = of("/p/x");
        for spelling in ["/p/x/", "/P/x", "/p/%78", "/p/%58", "//p//x", "/p/./x", "/p/x;jsessionid=1", "/%70/x"] {
            assert_eq!(of(spelling), page, "{spelling}");
        }
        assert_eq!(of(""), of("/"));
    }

    #[test]
    fn different_pages_stay_different() {
        let pages = ["/p/x", "/p/y", "/p", "/p/x/y", "/q/x", "/", "/p/xy"];
        for (i, a) in pages.iter().enumerate() {
            for b in &pages[i + 1..] {
                assert_ne!(of(a), of(b), "{a} and {b}");
            }
        }
    }
}

//! What the edge changes in a request it forwards to the origin, written once for every path
//! that sends one (the worker's JS fast path and its Rust handler): the maintenance bypass secret
//! never travels on, in its header or its cookie, and a rewritten host is named in
//! `X-Forwarded-Host` and `X-Forwarded-Proto`. Also how the bypass secret is recognised.

/// The request header that carries the maintenance bypass secret.
pub const BYPASS_HEADER: &str = "x-edgepages-bypass";
/// The cookie that carries the maintenance bypass secret.
pub const BYPASS_COOKIE: &str = "edgepages_bypass";
/// The shortest bypass secret accepted: a shorter one could be guessed.
pub const MIN_BYPASS_SECRET_LEN: usize = 16;

/// One change to the outbound request's headers, applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderEdit {
    /// Delete the header, if present.
    Remove(&'static str),
    /// Set the header, replacing any value it had.
    Set(&'static str, String),
}

impl HeaderEdit {
    pub fn name(&self) -> &'static str {
        match self {
            HeaderEdit::Remove(name) | HeaderEdit::Set(name, _) => name,
        }
    }

    /// The new value; `None` removes the header.
    pub fn value(&self) -> Option<&str> {
        match self {
            HeaderEdit::Remove(_) => None,
            HeaderEdit::Set(_, value) => Some(value),
        }
    }
}

/// The public side of a forwarded request, when the edge sends it to another host than the one
/// the visitor asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewritten<'a> {
    /// The host the visitor asked for, with its port when it is not the scheme's default.
    pub host: &'a str,
    /// `http` or `https`.
    pub proto: &'a str,
}

/// The edits to make to a request's headers before it goes on to the origin. `cookie` is the
/// request's `Cookie` header; `rewritten` is set when the request's host was rewritten to
/// another origin's.
pub fn header_edits(cookie: Option<&str>, rewritten: Option<Rewritten<'_>>) -> Vec<HeaderEdit> {
    let mut edits = vec![HeaderEdit::Remove(BYPASS_HEADER)];
    if let Some(kept) = cookie.and_then(|c| without_cookie(c, BYPASS_COOKIE)) {
        edits.push(match kept {
            Some(rest) => HeaderEdit::Set("cookie", rest),
            None => HeaderEdit::Remove("cookie"),
        });
    }
    if let Some(public) = rewritten {
        edits.push(HeaderEdit::Set("x-forwarded-host", public.host.to_owned()));
        edits.push(HeaderEdit::Set("x-forwarded-proto", public.proto.to_owned()));
    }
    edits
}

/// `header` without the cookies called `name`: `None` when it has none (nothing to change),
/// `Some(None)` when nothing is left, else the other cookies exactly as they were sent.
pub fn without_cookie(header: &str, name: &str) -> Option<Option<String>> {
    let pairs: Vec<&str> = header.split(';').collect();
    let is_named = |pair: &&str| cookie_name(pair) == name;
    if !pairs.iter().any(is_named) {
        return None;
    }
    let kept: Vec<&str> = pairs.into_iter().filter(|pair| !is_named(pair)).collect();
    let joined = kept.join(";");
    // Only the separator before the first kept cookie goes: each cookie's own bytes stay.
    let rest = joined.trim_start_matches([' ', '\t']);
    Some((!rest.trim().is_empty()).then(|| rest.to_owned()))
}

/// The values of the cookies called `name` in a `Cookie` header.
pub fn cookie_values<'a>(header: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    header.split(';').filter_map(move |pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim())
    })
}

fn cookie_name(pair: &str) -> &str {
    pair.split_once('=').map_or("", |(key, _)| key.trim())
}

/// Whether a request carries the maintenance bypass `secret`, in the header or the cookie.
/// Compared in constant time; no secret (or one too short to be accepted) lets nobody through.
pub fn bypass_allowed(secret: Option<&str>, header: Option<&str>, cookies: Option<&str>) -> bool {
    let Some(secret) = secret.filter(|s| s.len() >= MIN_BYPASS_SECRET_LEN) else { return false };
    let from_cookie = cookies.into_iter().flat_map(|c| cookie_values(c, BYPASS_COOKIE));
    header
        .map(str::trim)
        .into_iter()
        .chain(from_cookie)
        .any(|given| constant_time_eq(given.as_bytes(), secret.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bypass_cookie_is_cut_and_every_other_cookie_kept_byte_for_byte() {
        let strip = |h: &str| without_cookie(h, BYPASS_COOKIE);
        assert_eq!(strip("a=1; edgepages_bypass=s3cret; b=2"), Some(Some("a=1; b=2".into())));
        assert_eq!(strip("edgepages_bypass=s3cret; a=1;b=\"q; x\""), Some(Some("a=1;b=\"q; x\"".into())));
        assert_eq!(strip("a=1;  edgepages_bypass=s3cret"), Some(Some("a=1".into())));
        assert_eq!(strip("a=1 ;edgepages_bypass=x; edgepages_bypass=y ;c=  3"), Some(Some("a=1 ;c=  3".into())));
        assert_eq!(strip("edgepages_bypass=s3cret"), Some(None));
        assert_eq!(strip(" edgepages_bypass = s3cret ; "), Some(None));
        // Nothing to do: other cookies, even ones whose names contain the bypass cookie's.
        assert_eq!(strip("a=1; b=2"), None);
        assert_eq!(strip("my_edgepages_bypass=1; edgepages_bypass_x=2; flag"), None);
        assert_eq!(strip(""), None);
    }

    #[test]
    fn edits_remove_the_secret_everywhere_and_name_a_rewritten_host() {
        assert_eq!(header_edits(None, None), [HeaderEdit::Remove(BYPASS_HEADER)]);
        assert_eq!(header_edits(Some("a=1"), None), [HeaderEdit::Remove(BYPASS_HEADER)]);
        assert_eq!(
            header_edits(Some("edgepages_bypass=s; a=1"), None),
            [HeaderEdit::Remove(BYPASS_HEADER), HeaderEdit::Set("cookie", "a=1".into())]
        );
        assert_eq!(
            header_edits(Some("edgepages_bypass=s"), Some(Rewritten { host: "shop.example:8443", proto: "https" })),
            [
                HeaderEdit::Remove(BYPASS_HEADER),
                HeaderEdit::Remove("cookie"),
                HeaderEdit::Set("x-forwarded-host", "shop.example:8443".into()),
                HeaderEdit::Set("x-forwarded-proto", "https".into()),
            ]
        );
        for edit in header_edits(Some("edgepages_bypass=s3cret-value"), None) {
            assert!(!edit.value().unwrap_or_default().contains("s3cret"), "{edit:?}");
        }
    }

    #[test]
    fn the_bypass_is_recognised_in_the_header_or_the_cookie_only_with_a_long_secret() {
        let secret = Some("team-secret-0123456789");
        assert!(bypass_allowed(secret, Some(" team-secret-0123456789 "), None));
        assert!(bypass_allowed(secret, None, Some("a=b; edgepages_bypass=team-secret-0123456789")));
        assert!(bypass_allowed(secret, None, Some("edgepages_bypass=wrong; edgepages_bypass=team-secret-0123456789")));
        assert!(!bypass_allowed(secret, Some("team-secret"), Some("x_edgepages_bypass=team-secret-0123456789")));
        assert!(!bypass_allowed(secret, None, Some("edgepages_bypassX=team-secret-0123456789")));
        assert!(!bypass_allowed(None, Some(""), Some("edgepages_bypass=")));
        // A secret too short to be safe lets nobody through, even with the right value.
        assert!(!bypass_allowed(Some("short"), Some("short"), Some("edgepages_bypass=short")));
    }
}

//! Stale-if-error: which healthy answers the edge may keep as a page's last good copy, and how a
//! kept copy is answered when the origin later fails.
//!
//! The rules err towards not keeping: a personal page served to someone else is far worse than
//! an error page. A copy is kept only for a GET answered 200 with an allowed type, with no
//! `Set-Cookie`, no `private` or `no-store`, no `Vary` beyond `Accept-Encoding`, and no
//! `Authorization` on the request. A request that carried cookies is kept only when the origin
//! said `public` (or gave an `s-maxage`), so that a session-personalised page with no
//! `Cache-Control` at all is never shared.

use crate::config::EdgePolicy;

/// The header on a kept copy that says when it was kept (Unix seconds).
pub const STORED_AT_HEADER: &str = "x-edgepages-stored-at";
/// The largest copy kept, when the origin declares a length; the edge tees the body while it
/// streams to the visitor, so a copy must stay small.
pub const MAX_STORED_BYTES: u64 = 2 * 1024 * 1024;

/// A healthy exchange, as far as keeping a copy is concerned.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exchange<'a> {
    pub method: &'a str,
    pub request_has_authorization: bool,
    pub request_has_cookie: bool,
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub cache_control: Option<&'a str>,
    pub has_set_cookie: bool,
    pub vary: Option<&'a str>,
    pub content_length: Option<u64>,
}

/// Why an answer is not kept. The reasons are for tests and debugging, not for visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotKept {
    Off,
    NotGet,
    NotOk,
    TypeNotAllowed,
    Authorization,
    CookieWithoutPublic,
    SetCookie,
    Private,
    NoStore,
    Varies,
    TooLarge,
}

/// Whether the answer to this exchange may be kept as the page's last good copy.
pub fn keepable(ex: &Exchange<'_>, policy: &EdgePolicy) -> Result<(), NotKept> {
    let directives = CacheControl::parse(ex.cache_control.unwrap_or_default());
    let checks = [
        (policy.stale_if_error_s == 0, NotKept::Off),
        (ex.method != "GET", NotKept::NotGet),
        (ex.status != 200, NotKept::NotOk),
        (!ex.content_type.is_some_and(|t| type_allowed(t, &policy.stale_types)), NotKept::TypeNotAllowed),
        (ex.request_has_authorization, NotKept::Authorization),
        (ex.has_set_cookie, NotKept::SetCookie),
        (directives.private, NotKept::Private),
        (directives.no_store, NotKept::NoStore),
        (ex.request_has_cookie && !directives.shared, NotKept::CookieWithoutPublic),
        (ex.vary.is_some_and(varies_beyond_encoding), NotKept::Varies),
        (ex.content_length.is_some_and(|n| n > MAX_STORED_BYTES), NotKept::TooLarge),
    ];
    match checks.into_iter().find(|(failed, _)| *failed) {
        Some((_, reason)) => Err(reason),
        None => Ok(()),
    }
}

/// The age of a kept copy at `now_unix_s`, if it may still be served under `max_stale_s`.
pub fn usable_age(stored_at: Option<&str>, now_unix_s: u64, max_stale_s: u32) -> Option<u64> {
    let stored_at: u64 = stored_at?.trim().parse().ok()?;
    let age = now_unix_s.saturating_sub(stored_at);
    (age <= u64::from(max_stale_s)).then_some(age)
}

/// The `x-edgepages` header of a stale answer: `stale; age=42; cause=status_502`.
pub fn marker(age_s: u64, cause: &str) -> String {
    format!("stale; age={age_s}; cause={cause}")
}

/// `html` with `banner` inserted just inside `<body …>`; `None` if there is no body tag.
pub fn insert_banner(html: &str, banner: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    // `<body` followed by `>` or whitespace, so that `<bodyguard>` is not taken for it.
    let open = loop {
        let at = from + lower[from..].find("<body")?;
        if matches!(lower.as_bytes().get(at + 5), Some(b'>' | b' ' | b'\t' | b'\n' | b'\r')) {
            break at;
        }
        from = at + 5;
    };
    let end = open + lower[open..].find('>')? + 1;
    Some(format!("{}{banner}{}", &html[..end], &html[end..]))
}

fn type_allowed(content_type: &str, allowed: &[String]) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    allowed.iter().any(|t| t.eq_ignore_ascii_case(essence))
}

fn varies_beyond_encoding(vary: &str) -> bool {
    vary.split(',').map(str::trim).any(|field| !field.is_empty() && !field.eq_ignore_ascii_case("accept-encoding"))
}

/// The `Cache-Control` directives that matter here (RFC 9111 §5.2.2).
#[derive(Debug, Default)]
struct CacheControl {
    private: bool,
    no_store: bool,
    /// `public` or `s-maxage`: the origin meant the answer for shared caches.
    shared: bool,
}

impl CacheControl {
    fn parse(value: &str) -> CacheControl {
        let mut cc = CacheControl::default();
        for directive in value.split(',') {
            let name = directive.split('=').next().unwrap_or_default().trim().to_ascii_lowercase();
            match name.as_str() {
                // `private="set-cookie"` is still private as far as a whole-page copy goes.
                "private" => cc.private = true,
                "no-store" => cc.no_store = true,
                "public" | "s-maxage" => cc.shared = true,
                _ => {}
            }
        }
        cc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> EdgePolicy {
        EdgePolicy { stale_if_error_s: 600, ..EdgePolicy::default() }
    }

    fn page() -> Exchange<'static> {
        Exchange { method: "GET", status: 200, content_type: Some("text/html; charset=utf-8"), ..Exchange::default() }
    }

    #[test]
    fn a_plain_public_page_is_kept() {
        assert_eq!(keepable(&page(), &policy()), Ok(()));
        let with_encoding = Exchange { vary: Some("Accept-Encoding"), content_length: Some(50_000), ..page() };
        assert_eq!(keepable(&with_encoding, &policy()), Ok(()));
    }

    #[test]
    fn personal_answers_are_never_kept() {
        let p = policy();
        assert_eq!(keepable(&Exchange { has_set_cookie: true, ..page() }, &p), Err(NotKept::SetCookie));
        assert_eq!(keepable(&Exchange { request_has_authorization: true, ..page() }, &p), Err(NotKept::Authorization));
        let public_but_authorized =
            Exchange { request_has_authorization: true, cache_control: Some("public, max-age=60"), ..page() };
        assert_eq!(keepable(&public_but_authorized, &p), Err(NotKept::Authorization));
        assert_eq!(keepable(&Exchange { cache_control: Some("private"), ..page() }, &p), Err(NotKept::Private));
        assert_eq!(
            keepable(&Exchange { cache_control: Some("max-age=0, PRIVATE=\"set-cookie\""), ..page() }, &p),
            Err(NotKept::Private)
        );
        assert_eq!(keepable(&Exchange { cache_control: Some("no-store"), ..page() }, &p), Err(NotKept::NoStore));
        for vary in ["Cookie", "accept-encoding, Authorization", "*", "Accept-Language"] {
            assert_eq!(keepable(&Exchange { vary: Some(vary), ..page() }, &p), Err(NotKept::Varies), "{vary}");
        }
    }

    #[test]
    fn a_request_with_cookies_is_kept_only_when_the_origin_says_public() {
        let p = policy();
        let cookie = Exchange { request_has_cookie: true, ..page() };
        assert_eq!(keepable(&cookie, &p), Err(NotKept::CookieWithoutPublic));
        assert_eq!(keepable(&Exchange { cache_control: Some("public, max-age=30"), ..cookie }, &p), Ok(()));
        assert_eq!(keepable(&Exchange { cache_control: Some("s-maxage=30"), ..cookie }, &p), Ok(()));
    }

    #[test]
    fn only_ok_gets_of_allowed_types_when_on() {
        let p = policy();
        assert_eq!(keepable(&page(), &EdgePolicy::default()), Err(NotKept::Off));
        assert_eq!(keepable(&Exchange { method: "HEAD", ..page() }, &p), Err(NotKept::NotGet));
        assert_eq!(keepable(&Exchange { method: "POST", ..page() }, &p), Err(NotKept::NotGet));
        assert_eq!(keepable(&Exchange { status: 206, ..page() }, &p), Err(NotKept::NotOk));
        assert_eq!(
            keepable(&Exchange { content_type: Some("application/json"), ..page() }, &p),
            Err(NotKept::TypeNotAllowed)
        );
        assert_eq!(keepable(&Exchange { content_type: None, ..page() }, &p), Err(NotKept::TypeNotAllowed));
        let json = EdgePolicy { stale_types: vec!["text/html".into(), "application/json".into()], ..p.clone() };
        assert_eq!(keepable(&Exchange { content_type: Some("application/json"), ..page() }, &json), Ok(()));
        assert_eq!(
            keepable(&Exchange { content_length: Some(MAX_STORED_BYTES + 1), ..page() }, &p),
            Err(NotKept::TooLarge)
        );
    }

    #[test]
    fn copies_expire_at_the_maximum_staleness() {
        assert_eq!(usable_age(Some("1000"), 1060, 600), Some(60));
        assert_eq!(usable_age(Some("1000"), 1600, 600), Some(600));
        assert_eq!(usable_age(Some("1000"), 1601, 600), None);
        assert_eq!(usable_age(Some("soon"), 1000, 600), None);
        assert_eq!(usable_age(None, 1000, 600), None);
        assert_eq!(marker(42, "status_502"), "stale; age=42; cause=status_502");
    }

    #[test]
    fn the_banner_goes_just_inside_the_body() {
        assert_eq!(
            insert_banner("<html><BODY class=\"x\"><p>hi</p></body>", "<b>old</b>").as_deref(),
            Some("<html><BODY class=\"x\"><b>old</b><p>hi</p></body>")
        );
        assert_eq!(
            insert_banner("<bodyguard></bodyguard><body>", "!").as_deref(),
            Some("<bodyguard></bodyguard><body>!")
        );
        assert_eq!(insert_banner("<p>no body tag</p>", "!"), None);
        assert_eq!(insert_banner("<body", "!"), None);
    }
}

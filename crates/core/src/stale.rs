//! Stale-if-error: which healthy answers the edge may keep as a page's last good copy, and how a
//! kept copy is answered when the origin later fails.
//!
//! The rules err towards not keeping: a personal page served to someone else is far worse than
//! an error page. A copy is kept only for a GET answered 200 with an allowed type, with no
//! `Set-Cookie`, no `private` or `no-store`, no `Vary` beyond `Accept-Encoding`, and no
//! `Authorization` on the request. A request that carried cookies is kept only when the origin
//! said `public` (or gave an `s-maxage`), so that a session-personalised page with no
//! `Cache-Control` at all is never shared.
//!
//! A copy is keyed by the page's public URL alone, so a request that carried a header an origin
//! may build its page from, and that the edge did not set itself, is never kept: its page may be
//! the client's, not the URL's (web cache poisoning through unkeyed inputs,
//! [`is_unkeyed_input`]).
//!
//! The origin's own word on staleness is obeyed: a page marked `no-cache`, `must-revalidate` or
//! `proxy-revalidate` is never served stale (RFC 9111 §4.2.4), and `stale-if-error=N` (RFC 5861
//! §4) caps how old its copy may be when served.
//!
//! A copy is held in memory while it is made, so it is kept only up to [`MAX_STORED_BYTES`] (a
//! body of unknown length is abandoned there), and it is read at the visitor's own pace (never
//! buffered ahead of a slow visitor), so at most [`MAX_COPIES_IN_FLIGHT`] are made at once
//! ([`CopiesInFlight`]): an isolate holds no more than their product for copies, however many slow
//! visitors it serves. Writes are rationed per page and per isolate ([`WriteBudget`]), so that
//! random query strings cannot turn every request into a cache write, nor use up the writes of
//! the site's other pages.

use crate::config::EdgePolicy;
use crate::hash::Seed;

/// The header on a kept copy that says when it was kept (Unix seconds).
pub const STORED_AT_HEADER: &str = "x-edgepages-stored-at";
/// The header on a kept copy that caps its age (seconds), from the origin's `stale-if-error`.
pub const MAX_STALE_HEADER: &str = "x-edgepages-max-stale";
/// The largest copy kept: a declared length over it is never kept, and a body of unknown length
/// is abandoned once it passes it. The edge tees the body while it streams to the visitor, so a
/// copy must stay small.
pub const MAX_STORED_BYTES: u64 = 2 * 1024 * 1024;

/// The most copies an isolate makes at once. A copy is read at its visitor's pace, so a slow
/// visitor holds one for as long as it reads; past this, pages are served without a copy being
/// made, until one is done.
pub const MAX_COPIES_IN_FLIGHT: u32 = 4;

/// How long a copy may take to be made, read at its visitor's pace: past it the copy is given up
/// (the visitor's body goes on), so that a visitor that stops reading holds no copy for ever. A
/// page of [`MAX_STORED_BYTES`] is kept for a visitor reading at 35 KiB/s or faster.
pub const COPY_BOUND_MS: u64 = 60_000;

/// The copies being made in an isolate, against [`MAX_COPIES_IN_FLIGHT`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopiesInFlight(u32);

impl CopiesInFlight {
    /// Whether another copy may start now (it is then counted until [`CopiesInFlight::done`]).
    pub fn start(&mut self) -> bool {
        if self.0 >= MAX_COPIES_IN_FLIGHT {
            return false;
        }
        self.0 += 1;
        true
    }

    /// A copy is kept, or given up.
    pub fn done(&mut self) {
        self.0 = self.0.saturating_sub(1);
    }

    /// Whether a copy could start now, changing nothing.
    pub fn has_room(self) -> bool {
        self.0 < MAX_COPIES_IN_FLIGHT
    }
}

/// A healthy exchange, as far as keeping a copy is concerned. Facts, not a state machine: each
/// flag is independent.
#[derive(Debug, Clone, Copy, Default)]
#[allow(clippy::struct_excessive_bools)]
pub struct Exchange<'a> {
    pub method: &'a str,
    pub request_has_authorization: bool,
    pub request_has_cookie: bool,
    /// The request carried a header [`is_unkeyed_input`] names.
    pub request_has_unkeyed_input: bool,
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
    /// The request carried a header the page may have been built from ([`is_unkeyed_input`]).
    UnkeyedInput,
    CookieWithoutPublic,
    SetCookie,
    Private,
    NoStore,
    Varies,
    TooLarge,
    /// `no-cache`, `must-revalidate` or `proxy-revalidate`: never to be served stale.
    MustRevalidate,
    /// `stale-if-error=0`.
    NoStaleAllowed,
}

/// A copy that may be kept, and for how long it may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    /// The oldest, in seconds, the copy may be when served: the policy's, or the origin's
    /// `stale-if-error` when that is shorter.
    pub max_stale_s: u32,
}

/// Whether the answer to this exchange may be kept as the page's last good copy, and for how long.
pub fn keepable(ex: &Exchange<'_>, policy: &EdgePolicy) -> Result<Keep, NotKept> {
    let directives = CacheControl::parse(ex.cache_control.unwrap_or_default());
    let checks = [
        (policy.stale_if_error_s == 0, NotKept::Off),
        (ex.method != "GET", NotKept::NotGet),
        (ex.status != 200, NotKept::NotOk),
        (!ex.content_type.is_some_and(|t| type_allowed(t, &policy.stale_types)), NotKept::TypeNotAllowed),
        (ex.request_has_authorization, NotKept::Authorization),
        (ex.request_has_unkeyed_input, NotKept::UnkeyedInput),
        (ex.has_set_cookie, NotKept::SetCookie),
        (directives.private, NotKept::Private),
        (directives.no_store, NotKept::NoStore),
        (ex.request_has_cookie && !directives.shared, NotKept::CookieWithoutPublic),
        (ex.vary.is_some_and(varies_beyond_encoding), NotKept::Varies),
        (ex.content_length.is_some_and(|n| n > MAX_STORED_BYTES), NotKept::TooLarge),
        (directives.must_revalidate, NotKept::MustRevalidate),
        (directives.stale_if_error_s == Some(0), NotKept::NoStaleAllowed),
    ];
    match checks.into_iter().find(|(failed, _)| *failed) {
        Some((_, reason)) => Err(reason),
        None => Ok(Keep {
            max_stale_s: directives
                .stale_if_error_s
                .map_or(policy.stale_if_error_s, |n| n.min(policy.stale_if_error_s)),
        }),
    }
}

/// Request headers that tell an application which host, scheme, port, path or method a request
/// had: what frameworks build a page's links and routes from, and what web cache poisoning feeds
/// them (James Kettle, "Practical Web Cache Poisoning", PortSwigger Research, 2018; the
/// proxy and rewrite headers at the head of Param Miner's `resources/headers` wordlist,
/// github.com/PortSwigger/param-miner). Every `X-Forwarded-…` header counts, bar the ones the
/// edge sets itself ([`crate::forward::SET_BY_EDGE`]), which never reach the origin as the client
/// sent them.
const UNKEYED_INPUTS: [&str; 20] = [
    // host
    "x-host",
    "x-original-host",
    "x-http-host-override",
    "proxy-host",
    "x-server-name",
    // scheme and port
    "x-url-scheme",
    "x-scheme",
    "front-end-https",
    "x-https",
    "x-server-port",
    // path and URL
    "x-original-url",
    "x-original-uri",
    "x-rewrite-url",
    "x-http-path-override",
    "x-http-destinationurl",
    "x-proxy-url",
    "request-uri",
    // method
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

/// Whether a request header (its name in lower case) is one a page may have been built from that
/// the edge did not set: a copy made for such a request is never kept.
pub fn is_unkeyed_input(name: &str) -> bool {
    (name.starts_with("x-forward") && !crate::forward::SET_BY_EDGE.contains(&name)) || UNKEYED_INPUTS.contains(&name)
}

/// The age cap a kept copy carries ([`MAX_STALE_HEADER`]), applied to the policy's `max_stale_s`.
pub fn max_stale(stored_cap: Option<&str>, max_stale_s: u32) -> u32 {
    stored_cap.and_then(|v| v.trim().parse::<u32>().ok()).map_or(max_stale_s, |cap| cap.min(max_stale_s))
}

/// A ration of cache writes per isolate, kept per page as well as in all: the isolate writes at
/// most [`WRITES_PER_S`] copies a second (bursts of [`WRITE_BURST`]), of which URLs with a query
/// string at most half ([`QUERIED_WRITES_PER_S`]), and the URLs of any one page (every query
/// string and spelling of its path, [`crate::page_key`]) at most one every
/// [`PAGE_WRITE_EVERY_MS`] (bursts of [`PAGE_WRITE_BURST`]). So random query strings on one page
/// spend that page's share, and on any number of pages at most half the isolate's: the other half
/// is kept for pages asked for without a query, which is how a site's pages are linked and
/// mostly asked for. Pure: the caller passes the time in.
///
/// Fixed memory: pages share [`PAGE_SLOTS`] slots, and two pages in one slot share its ration (a
/// newcomer inherits what the other spent; before, it started afresh, so two colliding pages
/// asked for in turn had no ration at all). Which pages share a slot is a keyed hash under the
/// isolate's secret seed ([`Seed`]), so an attacker cannot pick a page that starves another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteBudget {
    isolate: Bucket,
    /// The share of `isolate` URLs with a query string may use.
    queried: Bucket,
    pages: Vec<Bucket>,
    seed: Seed,
}

/// Cache writes an isolate may make a second, and in a burst: a site's pages are kept well
/// within it, while a flood of distinct URLs is not written through.
pub const WRITES_PER_S: u32 = 10;
pub const WRITE_BURST: u32 = 20;
/// Of those, what URLs with a query string may use.
pub const QUERIED_WRITES_PER_S: u32 = WRITES_PER_S / 2;
pub const QUERIED_WRITE_BURST: u32 = WRITE_BURST / 2;
/// One page's writes (all its URLs): a burst, then one every this many milliseconds.
pub const PAGE_WRITE_BURST: u32 = 3;
pub const PAGE_WRITE_EVERY_MS: u64 = 2_000;
/// Pages whose writes are counted apart.
pub const PAGE_SLOTS: usize = 256;

impl Default for WriteBudget {
    fn default() -> Self {
        WriteBudget::seeded(Seed::default())
    }
}

/// A URL a copy would be written for: its path, and whether it has a query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyOf<'a> {
    pub path: &'a str,
    pub has_query: bool,
}

impl WriteBudget {
    /// A full budget whose pages share slots by a keyed hash under `seed`.
    pub fn seeded(seed: Seed) -> WriteBudget {
        WriteBudget {
            isolate: Bucket::new(1000 / u64::from(WRITES_PER_S), WRITE_BURST),
            queried: Bucket::new(1000 / u64::from(QUERIED_WRITES_PER_S), QUERIED_WRITE_BURST),
            pages: vec![Bucket::page(); PAGE_SLOTS],
            seed,
        }
    }

    /// Whether a copy of `url` could be written at `now_ms`, changing nothing.
    pub fn has_room(&self, url: CopyOf<'_>, now_ms: u64) -> bool {
        self.isolate.has_room(now_ms)
            && (!url.has_query || self.queried.has_room(now_ms))
            && self.pages[self.slot(url.path)].has_room(now_ms)
    }

    /// Takes one write for a copy of `url` at `now_ms`, if there is room.
    pub fn take(&mut self, url: CopyOf<'_>, now_ms: u64) -> bool {
        if !self.has_room(url, now_ms) {
            return false;
        }
        let slot = self.slot(url.path);
        if url.has_query {
            self.queried.take(now_ms);
        }
        self.pages[slot].take(now_ms) && self.isolate.take(now_ms)
    }

    /// The slot of the page `path` names.
    #[allow(clippy::cast_possible_truncation)]
    fn slot(&self, path: &str) -> usize {
        let key = crate::page_key::of(path);
        (crate::hash::keyed(self.seed, &key.to_le_bytes()) % PAGE_SLOTS as u64) as usize
    }
}

/// A token bucket: one token every `every_ms`, holding at most `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    every_ms: u64,
    burst: u32,
    /// Tokens in thousandths, and when they were last counted.
    milli_tokens: u64,
    at_ms: u64,
}

impl Bucket {
    fn new(every_ms: u64, burst: u32) -> Bucket {
        Bucket { every_ms: every_ms.max(1), burst, milli_tokens: u64::from(burst) * 1000, at_ms: 0 }
    }

    fn page() -> Bucket {
        Bucket::new(PAGE_WRITE_EVERY_MS, PAGE_WRITE_BURST)
    }

    fn refilled(&self, now_ms: u64) -> u64 {
        let earned = now_ms.saturating_sub(self.at_ms).saturating_mul(1000) / self.every_ms;
        self.milli_tokens.saturating_add(earned).min(u64::from(self.burst) * 1000)
    }

    fn has_room(&self, now_ms: u64) -> bool {
        self.refilled(now_ms) >= 1000
    }

    fn take(&mut self, now_ms: u64) -> bool {
        let tokens = self.refilled(now_ms);
        self.at_ms = self.at_ms.max(now_ms);
        if tokens < 1000 {
            self.milli_tokens = tokens;
            return false;
        }
        self.milli_tokens = tokens - 1000;
        true
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

/// The `Cache-Control` directives that matter here (RFC 9111 §5.2.2, RFC 5861 §4). Flags, not a
/// state machine: each directive is independent.
#[derive(Debug, Default)]
#[allow(clippy::struct_excessive_bools)]
struct CacheControl {
    private: bool,
    no_store: bool,
    /// `public` or `s-maxage`: the origin meant the answer for shared caches.
    shared: bool,
    /// `no-cache`, `must-revalidate` or `proxy-revalidate`: never served stale.
    must_revalidate: bool,
    stale_if_error_s: Option<u32>,
}

impl CacheControl {
    fn parse(value: &str) -> CacheControl {
        let mut cc = CacheControl::default();
        for directive in value.split(',') {
            let name = directive.split('=').next().unwrap_or_default().trim().to_ascii_lowercase();
            let value = || directive.split_once('=').map(|(_, v)| v.trim().trim_matches('"'));
            match name.as_str() {
                // `private="set-cookie"` is still private as far as a whole-page copy goes, and
                // likewise `no-cache="…"` for revalidation.
                "private" => cc.private = true,
                "no-store" => cc.no_store = true,
                "public" | "s-maxage" => cc.shared = true,
                "no-cache" | "must-revalidate" | "proxy-revalidate" => cc.must_revalidate = true,
                // A malformed value is ignored, as RFC 9111 §4.2.1 asks of a cache; the lowest
                // of repeated ones wins, erring towards fresher.
                "stale-if-error" => {
                    if let Some(n) = value().and_then(|v| v.parse::<u32>().ok()) {
                        cc.stale_if_error_s = Some(cc.stale_if_error_s.map_or(n, |m| m.min(n)));
                    }
                }
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

    const KEEP: Result<Keep, NotKept> = Ok(Keep { max_stale_s: 600 });

    #[test]
    fn a_plain_public_page_is_kept() {
        assert_eq!(keepable(&page(), &policy()), KEEP);
        let with_encoding = Exchange { vary: Some("Accept-Encoding"), content_length: Some(50_000), ..page() };
        assert_eq!(keepable(&with_encoding, &policy()), KEEP);
    }

    #[test]
    fn pages_that_must_be_revalidated_are_never_kept() {
        let p = policy();
        for cc in ["no-cache", "max-age=60, must-revalidate", "public, proxy-revalidate", "NO-CACHE=\"set-cookie\""] {
            assert_eq!(
                keepable(&Exchange { cache_control: Some(cc), ..page() }, &p),
                Err(NotKept::MustRevalidate),
                "{cc}"
            );
        }
    }

    #[test]
    fn the_origins_stale_if_error_caps_the_copys_age() {
        let p = policy();
        let with = |cc| keepable(&Exchange { cache_control: Some(cc), ..page() }, &p);
        assert_eq!(with("max-age=60, stale-if-error=120"), Ok(Keep { max_stale_s: 120 }));
        assert_eq!(with("stale-if-error=\"30\", stale-if-error=90"), Ok(Keep { max_stale_s: 30 }));
        assert_eq!(with("stale-if-error=86400"), KEEP, "never longer than the policy");
        assert_eq!(with("stale-if-error=soon"), KEEP, "a malformed value is ignored");
        assert_eq!(with("stale-if-error=0"), Err(NotKept::NoStaleAllowed));
        assert_eq!(max_stale(Some("120"), 600), 120);
        assert_eq!(max_stale(Some("9000"), 600), 600);
        assert_eq!(max_stale(Some("x"), 600), 600);
        assert_eq!(max_stale(None, 600), 600);
    }

    fn bare(path: &str) -> CopyOf<'_> {
        CopyOf { path, has_query: false }
    }

    fn queried(path: &str) -> CopyOf<'_> {
        CopyOf { path, has_query: true }
    }

    #[test]
    fn writes_are_rationed_per_second_with_a_burst() {
        let mut budget = WriteBudget::default();
        let taken = (0..1000).filter(|i| budget.take(bare(&format!("/page-{i}")), 1_000)).count();
        assert_eq!(taken, 20, "a burst of distinct pages writes at most the burst");
        assert!(!budget.has_room(bare("/another"), 1_000));
        assert!(!budget.has_room(bare("/another"), 1_099));
        assert!(budget.has_room(bare("/another"), 1_100), "one write a tenth of a second later");
        let over_a_second = (0..1000u64).filter(|i| budget.take(bare(&format!("/more-{i}")), 1_100 + i)).count();
        assert_eq!(over_a_second, 10, "then ten a second");
        assert!(
            budget.take(bare("/late"), 60_000) && budget.has_room(bare("/later"), 60_000),
            "an idle budget refills"
        );
    }

    #[test]
    fn only_so_many_copies_are_made_at_once() {
        let mut copies = CopiesInFlight::default();
        let started = (0..10).filter(|_| copies.start()).count();
        assert_eq!(started, MAX_COPIES_IN_FLIGHT as usize);
        assert!(!copies.has_room());
        copies.done();
        assert!(copies.has_room() && copies.start() && !copies.start(), "one done makes room for one");
    }

    #[test]
    fn random_query_strings_on_one_page_spend_only_that_pages_share() {
        // The caller asks by path: `/search?q=1`, `/search?q=2`, … are all `/search`.
        let mut budget = WriteBudget::default();
        let flood = (0..1000).filter(|_| budget.take(queried("/search"), 1_000)).count();
        assert_eq!(flood, 3, "one page's URLs write at most its burst");
        assert!(!budget.take(queried("/Search/"), 1_500), "however the path is spelled");
        assert!(budget.take(queried("/search"), 3_000), "then one every two seconds");
        for page in ["/", "/about", "/products/42"] {
            assert!(budget.take(bare(page), 1_000), "{page}: another page's copy is still written");
        }
    }

    #[test]
    fn pages_that_share_a_slot_share_its_ration() {
        for seed in 0..4 {
            let mut budget = WriteBudget::seeded(Seed::fixed(seed));
            let other = (0..10_000).map(|i| format!("/p{i}")).find(|p| budget.slot(p) == budget.slot("/a")).unwrap();
            let taken = (0..20).filter(|i| budget.take(bare(if i % 2 == 0 { "/a" } else { &other }), 1_000)).count();
            assert_eq!(taken, PAGE_WRITE_BURST as usize, "/a and {other} each started afresh on the other's slot");
        }
        // Which pages share a slot changes with the seed.
        let slots = |seed| {
            let budget = WriteBudget::seeded(Seed::fixed(seed));
            (0..32).map(|i| budget.slot(&format!("/p{i}"))).collect::<Vec<_>>()
        };
        assert_ne!(slots(1), slots(2));
    }

    #[test]
    fn random_query_strings_on_many_pages_leave_pages_without_one_their_writes() {
        // Random query strings on 40 pages, 100 a second, for ten seconds; in the last second, ten
        // of the site's pages asked for without a query string.
        let mut budget = WriteBudget::default();
        let mut written = 0;
        for ms in (0..10_000u64).step_by(10) {
            budget.take(queried(&format!("/page-{}", ms % 40)), ms);
            if ms >= 9_000 && ms % 100 == 0 {
                written += usize::from(budget.take(bare(&format!("/real-{ms}")), ms));
            }
        }
        assert!(written >= 5, "the flood left {written} of 10 writes in a second to pages without a query");
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
    fn a_page_made_for_a_header_the_edge_did_not_set_is_never_kept() {
        let p = policy();
        assert_eq!(keepable(&Exchange { request_has_unkeyed_input: true, ..page() }, &p), Err(NotKept::UnkeyedInput));
        for name in [
            "x-forwarded-prefix",
            "x-forwarded-port",
            "x-forwarded-server",
            "x-forwarded-scheme",
            "x-forwarded-ssl",
            "x-forwarded",
            "x-original-url",
            "x-rewrite-url",
            "x-http-method-override",
            "x-host",
        ] {
            assert!(is_unkeyed_input(name), "{name}");
        }
        // The edge replaces these itself, and Cloudflare adds the first two to every request.
        for name in ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded", "accept", "cf-ray"] {
            assert!(!is_unkeyed_input(name), "{name}");
        }
    }

    #[test]
    fn a_request_with_cookies_is_kept_only_when_the_origin_says_public() {
        let p = policy();
        let cookie = Exchange { request_has_cookie: true, ..page() };
        assert_eq!(keepable(&cookie, &p), Err(NotKept::CookieWithoutPublic));
        assert_eq!(keepable(&Exchange { cache_control: Some("public, max-age=30"), ..cookie }, &p), KEEP);
        assert_eq!(keepable(&Exchange { cache_control: Some("s-maxage=30"), ..cookie }, &p), KEEP);
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
        assert_eq!(keepable(&Exchange { content_type: Some("application/json"), ..page() }, &json), KEEP);
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

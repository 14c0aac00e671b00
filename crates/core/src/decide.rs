//! The decisions: what to do before contacting the origin ([`gate`]) and what to answer once
//! its outcome is known ([`decide`]). Pure: time and a jitter seed come from the caller.

use crate::config::{Config, EdgePolicy, Maintenance, RetryAfter};
use crate::locale::Locale;
use crate::negotiate::{self, Format};
use crate::outcome::{Cause, FailureKind, OriginOutcome, Reason, Source, is_json};
use crate::page::PageKind;
use crate::request::RequestFacts;
use crate::status::eta::until_end;

/// The caller's clock and randomness, passed in so that core stays pure and testable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub now_unix_s: u64,
    /// Any per-request random number; it only spreads Retry-After.
    pub seed: u64,
}

/// What the edge does before it contacts the origin.
#[derive(Debug, Clone, PartialEq)]
pub enum Gate<'c> {
    /// Ask the origin.
    Forward {
        /// Wait this long for the response headers.
        deadline_ms: u32,
        /// Another origin for this path, from the config.
        origin: Option<&'c str>,
    },
    /// Answer without contacting the origin.
    Answer(PageDecision),
}

/// What the edge answers once the origin's outcome is known.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Stream the origin's response through untouched.
    PassThrough,
    /// Answer with a generated page.
    Page(PageDecision),
    /// Answer with the last good copy of this page if the edge has one no older than
    /// `max_stale_s`; otherwise with `fallback`.
    ServeStale { max_stale_s: u32, fallback: PageDecision },
}

/// Everything needed to render one error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct PageDecision {
    /// The status sent to the visitor: the real one.
    pub status: u16,
    pub kind: PageKind,
    /// Seconds, for the `Retry-After` header and the page's countdown.
    pub retry_after_s: u32,
    pub format: Format,
    pub locale: &'static Locale,
    pub reason: Reason,
    /// When maintenance promises to end (Unix seconds).
    pub maintenance_end: Option<u64>,
}

/// Decides whether to contact the origin at all.
pub fn gate<'c>(req: &RequestFacts<'_>, config: &'c Config, clock: Clock) -> Gate<'c> {
    let policy = &config.edge;
    if policy.maintenance.is_active(clock.now_unix_s) && !req.maintenance_bypass {
        return Gate::Answer(maintenance_page(req, config, clock));
    }
    let rule = policy.rule_for(req.path);
    Gate::Forward {
        deadline_ms: rule.and_then(|r| r.deadline_ms).unwrap_or(policy.deadline_ms),
        origin: rule.and_then(|r| r.origin.as_deref()),
    }
}

/// Decides what to answer, given what the origin did.
pub fn decide(req: &RequestFacts<'_>, outcome: &OriginOutcome<'_>, config: &Config, clock: Clock) -> Decision {
    let policy = &config.edge;
    let retry = &policy.retry_after;
    let format = negotiate::choose_format(req.accept);

    let (status, kind, reason, retry_after_s) = match *outcome {
        OriginOutcome::Response { status, content_type, retry_after } => {
            if status < 500 {
                return Decision::PassThrough;
            }
            if let Some(failure) = FailureKind::from_cloudflare_status(status) {
                failure_answer(failure, retry, clock)
            } else {
                if !policy.intercept.contains(&status) {
                    return Decision::PassThrough;
                }
                let api_error = format == Format::Problem && content_type.is_some_and(is_json);
                if api_error && policy.pass_json_errors {
                    return Decision::PassThrough;
                }
                let base = if status == 503 { retry.overload } else { retry.error };
                let seconds = retry_after
                    .and_then(|v| parse_retry_after(v, clock.now_unix_s))
                    .unwrap_or_else(|| jittered(base, retry.jitter_percent, clock.seed));
                let reason = Reason { cause: Cause::OriginStatus(status), source: Source::Origin };
                (status, PageKind::for_status(status), reason, seconds)
            }
        }
        OriginOutcome::Failure(failure) => failure_answer(failure, retry, clock),
    };

    let page = PageDecision {
        status,
        kind,
        retry_after_s,
        format,
        locale: choose_locale(req, config),
        reason,
        maintenance_end: None,
    };
    offer_stale(page, req, policy)
}

/// What to answer, without asking the origin, while the breaker protects it (seed 002): the
/// branded 503, or the page's last good copy. Clients are told to come back no sooner than the
/// cool-down ends.
pub fn shed(req: &RequestFacts<'_>, config: &Config, clock: Clock, cooldown_left_s: u32) -> Decision {
    let retry = &config.edge.retry_after;
    let page = PageDecision {
        status: 503,
        kind: PageKind::Unavailable,
        retry_after_s: jittered(retry.overload.max(cooldown_left_s), retry.jitter_percent, clock.seed),
        format: negotiate::choose_format(req.accept),
        locale: choose_locale(req, config),
        reason: Reason { cause: Cause::Shed, source: Source::Edge },
        maintenance_end: None,
    };
    offer_stale(page, req, &config.edge)
}

/// Only a GET has a copy worth serving; anything else must hear about the failure.
fn offer_stale(page: PageDecision, req: &RequestFacts<'_>, policy: &EdgePolicy) -> Decision {
    if policy.stale_if_error_s > 0 && req.method == "GET" {
        Decision::ServeStale { max_stale_s: policy.stale_if_error_s, fallback: page }
    } else {
        Decision::Page(page)
    }
}

fn failure_answer(failure: FailureKind, retry: &RetryAfter, clock: Clock) -> (u16, PageKind, Reason, u32) {
    let status = failure.status();
    let base = if failure == FailureKind::Timeout { retry.timeout } else { retry.connect };
    let reason = Reason { cause: Cause::Failure(failure), source: failure.source() };
    (status, PageKind::for_status(status), reason, jittered(base, retry.jitter_percent, clock.seed))
}

fn maintenance_page(req: &RequestFacts<'_>, config: &Config, clock: Clock) -> PageDecision {
    let retry = &config.edge.retry_after;
    let end = config.edge.maintenance.end();
    // A published end (the config's, the var's, the KV switch's or the status page's) is when to
    // come back: the time left, spread over at most a minute past it. With none, the configured
    // wait.
    let seconds = match end {
        Some(end) => until_end(end, clock.now_unix_s, retry.jitter_percent, clock.seed),
        None => jittered(retry.maintenance, retry.jitter_percent, clock.seed),
    };
    PageDecision {
        status: 503,
        kind: PageKind::Maintenance,
        retry_after_s: seconds,
        format: negotiate::choose_format(req.accept),
        locale: choose_locale(req, config),
        reason: Reason { cause: Cause::Maintenance, source: Source::Edge },
        maintenance_end: end,
    }
}

/// A page decision for a static file (CloudFront custom error pages): no request, no jitter;
/// the page's script adds jitter in the browser.
pub fn static_page(kind: PageKind, locale: &'static Locale, config: &Config) -> PageDecision {
    let retry = &config.edge.retry_after;
    let (retry_after_s, cause, source) = match kind {
        PageKind::GatewayTimeout => (retry.timeout, Cause::Failure(FailureKind::Timeout), Source::Network),
        PageKind::BadGateway => (retry.connect, Cause::OriginStatus(502), Source::Origin),
        PageKind::Unavailable => (retry.overload, Cause::OriginStatus(503), Source::Origin),
        PageKind::Maintenance => (retry.maintenance, Cause::Maintenance, Source::Edge),
        PageKind::InternalError | PageKind::Fallback => {
            (retry.error, Cause::OriginStatus(kind.default_status()), Source::Origin)
        }
    };
    PageDecision {
        status: kind.default_status(),
        kind,
        retry_after_s,
        format: Format::Html,
        locale,
        reason: Reason { cause, source },
        maintenance_end: match config.edge.maintenance {
            Maintenance::Until(end) if kind == PageKind::Maintenance => Some(end),
            _ => None,
        },
    }
}

/// The best of the site's locales for the visitor's Accept-Language, or the site's default.
pub fn choose_locale(req: &RequestFacts<'_>, config: &Config) -> &'static Locale {
    let default = crate::locale::find(&config.locales.default)
        .or_else(|| crate::locale::find("en"))
        .expect("the bundled locales include en");
    negotiate::choose_language(req.accept_language, &config.locales.available, default)
}

/// `base` plus up to `jitter_percent`% of it, drawn from `seed`. The base is the floor.
pub fn jittered(base: u32, jitter_percent: u8, seed: u64) -> u32 {
    let spread = u64::from(base) * u64::from(jitter_percent.min(100)) / 100;
    let extra = splitmix64(seed) % (spread + 1);
    base.saturating_add(u32::try_from(extra).unwrap_or(u32::MAX))
}

/// SplitMix64: one well-mixed number per seed, so that neighbouring seeds spread widely.
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An origin's `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now_unix_s: u64) -> Option<u32> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u32>() {
        return Some(seconds);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    let at = date.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(u32::try_from(at.saturating_sub(now_unix_s)).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, PathRule};

    const NOW: u64 = 1_795_500_000;

    fn config() -> Config {
        crate::config::load::parse(
            "[brand]\nname = \"Example\"\n[locales]\ndefault = \"en\"\navailable = [\"en\", \"cy\"]\n",
            "t.toml",
        )
        .unwrap()
    }

    fn browser(method: &'static str) -> RequestFacts<'static> {
        RequestFacts {
            method,
            path: "/basket",
            accept: Some("text/html,*/*;q=0.8"),
            accept_language: Some("cy-GB,en;q=0.5"),
            request_id: Some("abc"),
            maintenance_bypass: false,
        }
    }

    fn clock(seed: u64) -> Clock {
        Clock { now_unix_s: NOW, seed }
    }

    fn page(d: Decision) -> PageDecision {
        match d {
            Decision::Page(p) => p,
            other => panic!("expected a page, got {other:?}"),
        }
    }

    fn response(status: u16) -> OriginOutcome<'static> {
        OriginOutcome::Response { status, content_type: Some("text/html"), retry_after: None }
    }

    #[test]
    fn healthy_and_client_error_responses_pass_through() {
        for status in [200, 204, 301, 304, 404, 429, 499] {
            assert_eq!(
                decide(&browser("GET"), &response(status), &config(), clock(1)),
                Decision::PassThrough,
                "{status}"
            );
        }
    }

    #[test]
    fn origin_5xx_keeps_its_real_status() {
        for (status, kind) in [
            (500, PageKind::InternalError),
            (502, PageKind::BadGateway),
            (503, PageKind::Unavailable),
            (504, PageKind::GatewayTimeout),
        ] {
            let p = page(decide(&browser("GET"), &response(status), &config(), clock(1)));
            assert_eq!((p.status, p.kind), (status, kind));
            assert_eq!(p.reason.source, Source::Origin);
            assert_eq!(p.format, Format::Html);
            assert_eq!(p.locale.tag, "cy");
        }
    }

    #[test]
    fn statuses_not_intercepted_pass_through() {
        assert_eq!(decide(&browser("GET"), &response(501), &config(), clock(1)), Decision::PassThrough);
        let mut c = config();
        c.edge.intercept = vec![501, 502];
        let p = page(decide(&browser("GET"), &response(501), &c, clock(1)));
        assert_eq!((p.status, p.kind), (501, PageKind::Fallback));
        assert_eq!(decide(&browser("GET"), &response(500), &c, clock(1)), Decision::PassThrough);
    }

    #[test]
    fn failures_map_to_honest_statuses() {
        let cases = [
            (FailureKind::Timeout, 504, PageKind::GatewayTimeout),
            (FailureKind::Refused, 502, PageKind::BadGateway),
            (FailureKind::Dns, 502, PageKind::BadGateway),
            (FailureKind::Reset, 502, PageKind::BadGateway),
            (FailureKind::Tls, 502, PageKind::BadGateway),
            (FailureKind::Other, 502, PageKind::BadGateway),
        ];
        for (failure, status, kind) in cases {
            let p = page(decide(&browser("GET"), &OriginOutcome::Failure(failure), &config(), clock(1)));
            assert_eq!((p.status, p.kind, p.reason.source), (status, kind, Source::Network), "{failure:?}");
        }
        // A body that never arrived is the client's: 408, said so.
        let p = page(decide(&browser("POST"), &OriginOutcome::Failure(FailureKind::SlowUpload), &config(), clock(1)));
        assert_eq!((p.status, p.kind, p.reason.source), (408, PageKind::Fallback, Source::Client));
    }

    #[test]
    fn cloudflare_52x_are_classified_as_failures() {
        let p = page(decide(&browser("GET"), &response(522), &config(), clock(1)));
        assert_eq!((p.status, p.reason.cause), (504, Cause::Failure(FailureKind::Timeout)));
        let p = page(decide(&browser("GET"), &response(521), &config(), clock(1)));
        assert_eq!((p.status, p.reason.cause), (502, Cause::Failure(FailureKind::Refused)));
    }

    #[test]
    fn api_clients_get_problem_json_or_the_origins_json_error() {
        let api = RequestFacts { accept: Some("application/json"), ..browser("POST") };
        let json_error =
            OriginOutcome::Response { status: 503, content_type: Some("application/json"), retry_after: None };
        assert_eq!(decide(&api, &json_error, &config(), clock(1)), Decision::PassThrough);
        // An HTML error body is never passed on, whoever asks.
        assert_eq!(page(decide(&api, &response(503), &config(), clock(1))).format, Format::Problem);
        // A browser never gets the origin's JSON error either.
        assert_eq!(page(decide(&browser("GET"), &json_error, &config(), clock(1))).format, Format::Html);
        let mut c = config();
        c.edge.pass_json_errors = false;
        assert_eq!(page(decide(&api, &json_error, &c, clock(1))).format, Format::Problem);
    }

    #[test]
    fn retry_after_has_a_floor_and_spreads_across_seeds() {
        let c = config();
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let p = page(decide(&browser("GET"), &OriginOutcome::Failure(FailureKind::Timeout), &c, clock(seed)));
            assert!((30..=45).contains(&p.retry_after_s), "{}", p.retry_after_s);
            seen.insert(p.retry_after_s);
        }
        assert!(seen.len() >= 12, "only {} distinct values: {seen:?}", seen.len());
        // The same seed gives the same answer.
        let a = decide(&browser("GET"), &response(502), &c, clock(7));
        assert_eq!(a, decide(&browser("GET"), &response(502), &c, clock(7)));
    }

    #[test]
    fn jitter_bounds() {
        assert_eq!(jittered(10, 0, 12345), 10);
        for seed in 0..1000 {
            let v = jittered(10, 100, seed);
            assert!((10..=20).contains(&v));
        }
        assert_eq!(jittered(u32::MAX, 100, 3), u32::MAX);
    }

    #[test]
    fn the_origins_retry_after_is_kept() {
        let with = |value| OriginOutcome::Response { status: 503, content_type: None, retry_after: Some(value) };
        assert_eq!(page(decide(&browser("GET"), &with("120"), &config(), clock(1))).retry_after_s, 120);
        let date = httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(NOW + 90));
        assert_eq!(page(decide(&browser("GET"), &with(&date), &config(), clock(1))).retry_after_s, 90);
        // Garbage falls back to our own.
        assert!((30..=45).contains(&page(decide(&browser("GET"), &with("soon"), &config(), clock(1))).retry_after_s));
    }

    #[test]
    fn maintenance_answers_before_the_origin_and_respects_its_end() {
        let mut c = config();
        c.edge.maintenance = Maintenance::Until(NOW + 100);
        let Gate::Answer(p) = gate(&browser("GET"), &c, clock(1)) else { panic!("expected the maintenance page") };
        assert_eq!((p.status, p.kind, p.maintenance_end), (503, PageKind::Maintenance, Some(NOW + 100)));
        // The time left, spread by up to half of it (the config's jitter), never past end + 60 s.
        for seed in 0..200 {
            let Gate::Answer(p) = gate(&browser("GET"), &c, clock(seed)) else { panic!() };
            assert!((100..=150).contains(&p.retry_after_s), "{}", p.retry_after_s);
        }
        c.edge.maintenance = Maintenance::Until(NOW + 7200);
        for seed in 0..200 {
            let Gate::Answer(p) = gate(&browser("GET"), &c, clock(seed)) else { panic!() };
            assert!((7200..=7200 + crate::status::eta::PAST_END_MARGIN_S).contains(&p.retry_after_s));
        }
        c.edge.maintenance = Maintenance::Until(NOW + 100);
        // The team's bypass goes through; after the end everyone does.
        let team = RequestFacts { maintenance_bypass: true, ..browser("GET") };
        assert!(matches!(gate(&team, &c, clock(1)), Gate::Forward { .. }));
        assert!(matches!(gate(&browser("GET"), &c, Clock { now_unix_s: NOW + 100, seed: 1 }), Gate::Forward { .. }));
        c.edge.maintenance = Maintenance::On;
        let Gate::Answer(p) = gate(&browser("POST"), &c, clock(1)) else { panic!() };
        assert!((300..=450).contains(&p.retry_after_s));
    }

    #[test]
    fn stale_copies_are_offered_for_failed_gets_only_when_enabled() {
        let mut c = config();
        let failed = OriginOutcome::Failure(FailureKind::Timeout);
        assert!(matches!(decide(&browser("GET"), &failed, &c, clock(1)), Decision::Page(_)));
        c.edge.stale_if_error_s = 600;
        let Decision::ServeStale { max_stale_s, fallback } = decide(&browser("GET"), &failed, &c, clock(1)) else {
            panic!("expected stale")
        };
        assert_eq!((max_stale_s, fallback.status), (600, 504));
        assert!(matches!(decide(&browser("POST"), &failed, &c, clock(1)), Decision::Page(_)));
        assert_eq!(decide(&browser("GET"), &response(200), &c, clock(1)), Decision::PassThrough);
    }

    #[test]
    fn shedding_answers_503_no_sooner_than_the_cooldown_and_offers_stale_copies() {
        let mut c = config();
        let Decision::Page(p) = shed(&browser("GET"), &c, clock(7), 5) else { panic!("expected a page") };
        assert_eq!(
            (p.status, p.kind, p.reason.cause, p.reason.source),
            (503, PageKind::Unavailable, Cause::Shed, Source::Edge)
        );
        assert!((30..=45).contains(&p.retry_after_s), "{}", p.retry_after_s);
        let Decision::Page(long) = shed(&browser("POST"), &c, clock(7), 120) else { panic!() };
        assert!(long.retry_after_s >= 120, "never sooner than the cool-down ends");
        c.edge.stale_if_error_s = 60;
        assert!(matches!(shed(&browser("GET"), &c, clock(7), 5), Decision::ServeStale { max_stale_s: 60, .. }));
        assert!(matches!(shed(&browser("POST"), &c, clock(7), 5), Decision::Page(_)));
    }

    #[test]
    fn gate_applies_path_rules() {
        let mut c = config();
        c.edge.paths = vec![PathRule {
            prefix: "/reports".into(),
            deadline_ms: Some(30_000),
            origin: Some("https://reports.internal".into()),
        }];
        let reports = RequestFacts { path: "/reports/q3", ..browser("GET") };
        assert_eq!(
            gate(&reports, &c, clock(1)),
            Gate::Forward { deadline_ms: 30_000, origin: Some("https://reports.internal") }
        );
        assert_eq!(gate(&browser("POST"), &c, clock(1)), Gate::Forward { deadline_ms: 8000, origin: None });
    }
}

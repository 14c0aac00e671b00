//! The `edgepages.toml` model: brand, locales, copy, edge policy and publish targets.
//!
//! The model is plain serde data, which the edge compiles in (`bake`); the checks that make a
//! parsed config safe to render from live in [`check`], and reading TOML with line-and-key
//! errors in [`load`] behind the `toml` feature.

mod alb;
mod check;
mod color;
#[cfg(feature = "toml")]
pub mod load;
mod maintenance;
mod status;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use alb::{AlbTarget, BYPASS_SECRET_ENV, MAX_BYPASS_CIDRS, check_bypass_secret};
pub use check::{CLOUDFRONT_ERROR_CODES, KeyPath, KeySegment, Problem, UPLOAD_TIMEOUT_RANGE_MS};
pub use color::HexColor;
pub use maintenance::{
    Maintenance, SWITCH_FIRST_WAIT_MS, SWITCH_REFRESH_MS, SwitchReads, in_force, in_force_with_status,
    next_switch_read_ms, reconsider_at, rfc3339,
};
pub use status::{Provider, StatusSource, fetchable as status_page_fetchable};

pub use crate::breaker::BreakerPolicy;
use crate::page::PageKind;

/// Everything `edgepages.toml` says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub brand: Brand,
    #[serde(default)]
    pub locales: Locales,
    /// Per-locale, per-page overrides of the bundled copy: `[copy.en.unavailable]`.
    #[serde(default)]
    pub copy: BTreeMap<String, BTreeMap<PageKind, CopyOverride>>,
    #[serde(default)]
    pub edge: EdgePolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudfront: Option<CloudFrontTarget>,
    /// The load balancer `edgepages maintenance` switches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alb: Option<AlbTarget>,
    /// The site's own page templates, instead of the bundled ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<Pages>,
    /// The team's status page: its incident text and scheduled maintenance (`crate::status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusSource>,
}

/// `[pages]`: the site's own page templates (minijinja), each a path relative to the config file.
/// The variables they may use are documented in the guide's template chapter (docs/src/templates.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pages {
    /// The HTML page's template, such as `brand/page.html`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The plain-text page's template, such as `brand/page.txt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_template: Option<String>,
    /// `false` says the HTML template knowingly leaves out the in-page retry (the countdown that
    /// re-checks the site and reloads when it is back); `check` then does not ask for its hook.
    #[serde(default = "Pages::default_in_page_retry")]
    pub in_page_retry: bool,
}

impl Pages {
    fn default_in_page_retry() -> bool {
        true
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Brand {
    /// The site's name, shown on every page.
    pub name: String,
    /// Path to an SVG logo, relative to the config file; inlined into every page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// Where visitors can ask for help (https: or mailto:).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_url: Option<String>,
    /// The site's status page, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
    #[serde(default = "Palette::default_light")]
    pub light: Palette,
    #[serde(default = "Palette::default_dark")]
    pub dark: Palette,
}

/// The colours of one colour scheme. `accent` is used for links and for the button, whose
/// label is drawn in `background`; both pairs must reach WCAG AA (4.5:1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Palette {
    pub accent: HexColor,
    pub background: HexColor,
    pub text: HexColor,
}

impl Palette {
    pub fn default_light() -> Self {
        Palette {
            accent: HexColor::rgb(0x1f, 0x5f, 0xbf),
            background: HexColor::rgb(0xf7, 0xf7, 0xf5),
            text: HexColor::rgb(0x1b, 0x1f, 0x24),
        }
    }

    pub fn default_dark() -> Self {
        Palette {
            accent: HexColor::rgb(0x8a, 0xb4, 0xff),
            background: HexColor::rgb(0x16, 0x18, 0x1d),
            text: HexColor::rgb(0xec, 0xec, 0xea),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Locales {
    /// The locale used when Accept-Language matches none of `available`.
    pub default: String,
    /// The locales the site offers; each must be bundled in `pages/locales/`.
    pub available: Vec<String>,
}

impl Default for Locales {
    fn default() -> Self {
        Locales { default: "en".into(), available: vec!["en".into()] }
    }
}

/// Replaces some of a page's bundled sentences.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

/// How the edge treats the origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EdgePolicy {
    /// How long to wait for the origin's response headers, in milliseconds, counted from when the
    /// request (its body included) has been sent.
    pub deadline_ms: u32,
    /// How long a request's body may take to arrive from the client and be sent on, in
    /// milliseconds from the start; past it the request ends as the client's own failure (408).
    pub upload_timeout_ms: u32,
    /// Per-path-prefix overrides; the longest matching prefix wins.
    pub paths: Vec<PathRule>,
    /// Origin statuses replaced by a page. Others pass through untouched.
    pub intercept: Vec<u16>,
    /// Let an origin's JSON error body through to a client that asked for JSON.
    pub pass_json_errors: bool,
    pub retry_after: RetryAfter,
    /// Serve the last good copy of a failed GET if it is at most this many seconds old; 0 is off.
    pub stale_if_error_s: u32,
    /// Media types whose 200 answers may be kept as a last good copy.
    pub stale_types: Vec<String>,
    /// Put a short localised notice at the top of a stale HTML page.
    pub stale_banner: bool,
    /// Shedding load from a failing origin.
    pub breaker: BreakerPolicy,
    /// `"off"`, `"on"` or an RFC 3339 end time. The worker's `MAINTENANCE` var overrides it.
    pub maintenance: Maintenance,
}

impl Default for EdgePolicy {
    fn default() -> Self {
        EdgePolicy {
            deadline_ms: 8000,
            upload_timeout_ms: DEFAULT_UPLOAD_TIMEOUT_MS,
            paths: Vec::new(),
            intercept: vec![500, 502, 503, 504],
            pass_json_errors: true,
            retry_after: RetryAfter::default(),
            stale_if_error_s: 0,
            stale_types: vec!["text/html".to_owned()],
            stale_banner: false,
            breaker: BreakerPolicy::default(),
            maintenance: Maintenance::Off,
        }
    }
}

/// A minute for a request body to arrive: nginx's `client_body_timeout` default (there between two
/// reads; here for the whole body, as Envoy's `request_timeout` counts it, so that a trickle cannot
/// stretch it).
pub const DEFAULT_UPLOAD_TIMEOUT_MS: u32 = 60_000;

impl EdgePolicy {
    /// The rule with the longest prefix that matches `path`, if any.
    pub fn rule_for(&self, path: &str) -> Option<&PathRule> {
        self.paths.iter().filter(|rule| path_has_prefix(path, &rule.prefix)).max_by_key(|rule| rule.prefix.len())
    }

    /// The deadline for `path`: the matching rule's, or the default.
    pub fn deadline_for(&self, path: &str) -> u32 {
        self.rule_for(path).and_then(|r| r.deadline_ms).unwrap_or(self.deadline_ms)
    }
}

/// `/api` matches `/api`, `/api/x` and `/api?q`, but not `/apix`; a prefix ending in `/` matches
/// anything below it.
fn path_has_prefix(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with(['/', '?']),
        None => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathRule {
    /// Starts with `/`.
    pub prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u32>,
    /// Another origin for this prefix (`https://…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// Seconds a client is told to wait, per failure class, before jitter is added on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryAfter {
    /// The origin missed the deadline (504).
    pub timeout: u32,
    /// The connection failed: refused, dns, reset, tls (502).
    pub connect: u32,
    /// The origin answered 500/502/504 itself.
    pub error: u32,
    /// The origin answered 503, or is being protected from load.
    pub overload: u32,
    /// Maintenance with no end time.
    pub maintenance: u32,
    /// Up to this share of the base is added, drawn from the caller's seed, so that clients do
    /// not come back in one herd. The base is the floor.
    pub jitter_percent: u8,
}

impl Default for RetryAfter {
    fn default() -> Self {
        RetryAfter { timeout: 30, connect: 15, error: 10, overload: 30, maintenance: 300, jitter_percent: 50 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Target {
    pub bucket: String,
    /// Key prefix the pages live under, without slashes at either end.
    #[serde(default = "S3Target::default_prefix")]
    pub prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl S3Target {
    fn default_prefix() -> String {
        DEFAULT_PAGES_PREFIX.into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudFrontTarget {
    pub distribution_id: String,
    /// Origin statuses answered with a page. Each needs a page (5xx).
    #[serde(default = "CloudFrontTarget::default_error_codes")]
    pub error_codes: Vec<u16>,
    /// Seconds CloudFront caches an error before asking the origin again.
    #[serde(default = "CloudFrontTarget::default_error_ttl")]
    pub error_caching_min_ttl: u32,
    /// The site's own (custom) origin, whose timeouts `publish` shortens so that a hung origin
    /// fails in seconds rather than CloudFront's default 30 s × 3 attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<OriginTimeouts>,
    /// The Lambda@Edge function `publish` deploys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_edge: Option<LambdaEdgeTarget>,
}

/// `[cloudfront.lambda_edge]`: the Lambda@Edge function `publish` deploys in us-east-1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaEdgeTarget {
    /// Whether `publish` deploys the function; `false` leaves the function alone.
    pub enabled: bool,
    /// The function's execution role. Without it, `publish` creates (or reuses)
    /// [`LambdaEdgeTarget::DEFAULT_ROLE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The function's name; `edgepages-<distribution_id>` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_name: Option<String>,
    /// Path patterns (`*` for the default behavior) of behaviors that cache nothing where the
    /// function still answers each viewer in their own language and format. Such a behavior
    /// cannot hold the variant in its cache key, so an answer there may reach another viewer
    /// for the error caching TTL; every other such behavior gets one answer for all viewers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_viewer: Vec<String>,
    /// Whether CloudFront's custom error responses replace the function's answer for their status.
    /// AWS does not document it; `edgepages verify --live` finds out on the real distribution.
    #[serde(default, skip_serializing_if = "CustomErrorOrder::is_default")]
    pub custom_error_order: CustomErrorOrder,
}

/// Where CloudFront's custom error responses come, for a status the Lambda@Edge function answers
/// with: `publish` sets them up to give viewers the function's answer either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CustomErrorOrder {
    /// They apply only to what the function did not answer: every code keeps its page, which
    /// brands CloudFront's own errors.
    #[default]
    BeforeFunction,
    /// They replace the function's answer: a code the function answers keeps only its error
    /// caching TTL, unless CloudFront's own error is its usual source.
    AfterFunction,
}

impl CustomErrorOrder {
    pub fn is_default(&self) -> bool {
        *self == CustomErrorOrder::default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CustomErrorOrder::BeforeFunction => "before-function",
            CustomErrorOrder::AfterFunction => "after-function",
        }
    }
}

impl LambdaEdgeTarget {
    /// The role `publish` creates when the config names none.
    pub const DEFAULT_ROLE: &'static str = "edgepages-lambda-edge";
}

impl CloudFrontTarget {
    /// The name of the function `publish` deploys: `[cloudfront.lambda_edge] function_name`, or
    /// its default; `None` unless the section is there with `enabled = true`.
    pub fn function_name(&self) -> Option<String> {
        self.lambda_edge.as_ref().filter(|t| t.enabled)?;
        self.configured_function_name()
    }

    /// The function's name whenever the section is there, enabled or not: with
    /// `enabled = false`, publish takes this function's association away.
    pub fn configured_function_name(&self) -> Option<String> {
        let target = self.lambda_edge.as_ref()?;
        Some(target.function_name.clone().unwrap_or_else(|| format!("edgepages-{}", self.distribution_id)))
    }
}

/// `[cloudfront.origin]`: the custom origin's connection settings, by origin ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginTimeouts {
    /// The origin's ID in the distribution, such as `alb`.
    pub id: String,
    /// CloudFront's ConnectionAttempts: 1 to 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_attempts: Option<u8>,
    /// CloudFront's ConnectionTimeout in seconds: 1 to 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_timeout: Option<u8>,
    /// CloudFront's OriginReadTimeout in seconds: 1 to 180 (over 60 needs a quota increase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_timeout: Option<u8>,
}

impl CloudFrontTarget {
    fn default_error_codes() -> Vec<u16> {
        vec![500, 502, 503, 504]
    }
    fn default_error_ttl() -> u32 {
        10
    }
}

impl Config {
    /// What the edge adapters (the worker and the Lambda@Edge function) read: everything but
    /// the publish targets, `[s3]`, `[cloudfront]` and `[alb]`, which only the CLI reads. They
    /// are baked without them, so no bucket, distribution or listener ships in edge code.
    #[must_use]
    pub fn for_edge(self) -> Config {
        Config { s3: None, cloudfront: None, alb: None, ..self }
    }

    /// The key prefix static pages are written and published under: `[s3] prefix`, or its default.
    pub fn pages_prefix(&self) -> &str {
        self.s3.as_ref().map_or(DEFAULT_PAGES_PREFIX, |s3| s3.prefix.as_str())
    }
}

/// Where pages live when the config names no S3 target.
pub const DEFAULT_PAGES_PREFIX: &str = "edgepages";

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(prefix: &str, deadline_ms: u32) -> PathRule {
        PathRule { prefix: prefix.into(), deadline_ms: Some(deadline_ms), origin: None }
    }

    #[cfg(all(feature = "toml", feature = "bake"))]
    #[test]
    fn the_edge_is_baked_without_the_publish_targets() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../edgepages.toml");
        let config = load::parse(&std::fs::read_to_string(path).unwrap(), "edgepages.toml").unwrap();
        let targets = ["example-shop-error-pages", "E2EXAMPLE123"];
        let whole = crate::bake::to_rust(&crate::Site::new(config.clone(), None).unwrap());
        assert!(targets.iter().all(|t| whole.contains(t)), "the example names its bucket and distribution");
        let edge = config.clone().for_edge();
        let baked = crate::bake::to_rust(&crate::Site::new(edge.clone(), None).unwrap());
        for target in targets {
            assert!(!baked.contains(target), "{target} baked into the edge");
        }
        assert_eq!((edge.s3, edge.cloudfront, edge.alb), (None, None, None));
        assert_eq!(
            (edge.brand, edge.locales, edge.copy, edge.edge),
            (config.brand, config.locales, config.copy, config.edge)
        );
    }

    #[test]
    fn longest_prefix_wins_on_segment_boundaries() {
        let policy = EdgePolicy {
            paths: vec![rule("/api", 2000), rule("/api/reports", 30_000), rule("/static/", 500)],
            ..EdgePolicy::default()
        };
        assert_eq!(policy.deadline_for("/api"), 2000);
        assert_eq!(policy.deadline_for("/api?x=1"), 2000);
        assert_eq!(policy.deadline_for("/api/users"), 2000);
        assert_eq!(policy.deadline_for("/api/reports/7"), 30_000);
        assert_eq!(policy.deadline_for("/apix"), 8000);
        assert_eq!(policy.deadline_for("/static/app.js"), 500);
        assert_eq!(policy.deadline_for("/"), 8000);
    }
}

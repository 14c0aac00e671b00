//! The config's checks: every problem of a parsed config at once, each with the key it is
//! under, so that a config that passes is safe to render from and to publish.

use std::fmt;

use super::{Config, LambdaEdgeTarget, alb};
use crate::locale;

/// A key inside the config, such as `edge.paths[1].prefix`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPath(pub Vec<KeySegment>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySegment {
    Key(String),
    Index(usize),
}

impl KeyPath {
    pub(super) fn new(keys: &[&str]) -> Self {
        KeyPath(keys.iter().map(|k| KeySegment::Key((*k).to_owned())).collect())
    }
    pub(super) fn index(mut self, i: usize) -> Self {
        self.0.push(KeySegment::Index(i));
        self
    }
    pub(super) fn key(mut self, k: &str) -> Self {
        self.0.push(KeySegment::Key(k.to_owned()));
        self
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                KeySegment::Key(k) if i == 0 => f.write_str(k)?,
                KeySegment::Key(k) => write!(f, ".{k}")?,
                KeySegment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// One thing wrong with a parsed config, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: KeyPath,
    pub message: String,
}

const DEADLINE_RANGE_MS: (u32, u32) = (100, 120_000);
/// An upload bound from a second (a form post on a good line) to an hour (a large file on a poor one).
pub const UPLOAD_TIMEOUT_RANGE_MS: (u32, u32) = (1_000, 3_600_000);
const RETRY_AFTER_RANGE_S: (u32, u32) = (1, 86_400);
/// CloudFront accepts custom error responses for these codes only.
pub const CLOUDFRONT_ERROR_CODES: [u16; 11] = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

impl Config {
    /// Every semantic problem, section by section. Empty means renderable.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Problems(Vec::new());
        self.check_brand(&mut out);
        self.check_locales(&mut out);
        self.check_copy(&mut out);
        self.check_edge(&mut out);
        self.check_targets(&mut out);
        self.check_pages(&mut out);
        if let Some(status) = &self.status {
            super::status::check(status, &mut out);
        }
        out.0
    }

    /// What is valid but cannot do what it seems to: `check` says each, and nothing refuses it.
    pub fn warnings(&self) -> Vec<Problem> {
        let mut out = Problems(Vec::new());
        if let Some(alb) = &self.alb {
            copies_the_networks_cannot_make(&alb.bypass_cidrs, &mut out);
        }
        // The ALB matches a source-ip condition against the address that connects to it:
        // "If a client is behind a proxy, this is the IP address of the proxy" and "This condition
        // is not satisfied by the addresses in the X-Forwarded-For header" (SourceIpConditionConfig,
        // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SourceIpConditionConfig.html).
        if let Some(alb) = &self.alb
            && !alb.bypass_cidrs.is_empty()
            && self.cloudfront.is_some()
        {
            out.add(
                KeyPath::new(&["alb", "bypass_cidrs"]),
                "behind CloudFront the ALB sees CloudFront's addresses, never the visitor's (a source-ip condition is \
                 not satisfied by X-Forwarded-For), so these networks never match a request that comes through \
                 CloudFront; use [alb] bypass_header, with the header forwarded to the ALB by the behavior's origin \
                 request policy",
            );
        }
        out.0
    }

    fn check_pages(&self, out: &mut Problems) {
        let Some(pages) = &self.pages else { return };
        for (key, path) in [("template", &pages.template), ("text_template", &pages.text_template)] {
            if let Some(path) = path
                && let Err(why) = super::site_file::check(path)
            {
                out.add(KeyPath::new(&["pages", key]), why);
            }
        }
        if pages.template.is_some() && pages.template == pages.text_template {
            out.add(
                KeyPath::new(&["pages", "text_template"]),
                "names the HTML template; the text page needs a template of its own (or none, for the bundled one)",
            );
        }
        if !pages.in_page_retry && pages.template.is_none() {
            out.add(
                KeyPath::new(&["pages", "in_page_retry"]),
                "applies to a [pages] template only: the bundled page always has the in-page retry",
            );
        }
    }

    fn check_brand(&self, out: &mut Problems) {
        let name = self.brand.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            out.add(KeyPath::new(&["brand", "name"]), "must be 1 to 80 characters");
        }
        if let Some(logo) = &self.brand.logo
            && let Err(why) = super::site_file::check(logo)
        {
            out.add(KeyPath::new(&["brand", "logo"]), why);
        }
        for (key, url) in [("support_url", &self.brand.support_url), ("status_url", &self.brand.status_url)] {
            if let Some(url) = url
                && let Err(why) = check_link(url)
            {
                out.add(KeyPath::new(&["brand", key]), why);
            }
        }
        for (scheme, palette) in [("light", &self.brand.light), ("dark", &self.brand.dark)] {
            for (key, fg) in [("text", palette.text), ("accent", palette.accent)] {
                let ratio = fg.contrast(palette.background);
                if ratio < 4.5 {
                    out.add(
                        KeyPath::new(&["brand", scheme, key]),
                        format!(
                            "{fg} on background {} has contrast {ratio:.2}:1; WCAG AA needs at least 4.5:1",
                            palette.background
                        ),
                    );
                }
            }
        }
    }

    fn check_locales(&self, out: &mut Problems) {
        let bundled = locale::bundled_tags().join(", ");
        let available = &self.locales.available;
        for (i, tag) in available.iter().enumerate() {
            let at = KeyPath::new(&["locales", "available"]).index(i);
            if locale::find(tag).is_none() {
                out.add(at, format!("{tag:?} is not a bundled locale; bundled: {bundled}"));
            } else if available[..i].iter().any(|t| t.eq_ignore_ascii_case(tag)) {
                out.add(at, format!("{tag:?} is listed twice"));
            }
        }
        if available.is_empty() {
            out.add(KeyPath::new(&["locales", "available"]), "must list at least one locale");
        }
        if !available.iter().any(|t| t.eq_ignore_ascii_case(&self.locales.default)) {
            out.add(
                KeyPath::new(&["locales", "default"]),
                format!("{:?} must be one of locales.available", self.locales.default),
            );
        }
    }

    fn check_copy(&self, out: &mut Problems) {
        for (tag, pages) in &self.copy {
            if !self.locales.available.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
                out.add(KeyPath::new(&["copy", tag]), format!("{tag:?} is not in locales.available"));
            }
            for (kind, copy) in pages {
                for (key, text) in [("title", &copy.title), ("message", &copy.message), ("advice", &copy.advice)] {
                    if text.as_ref().is_some_and(|t| t.trim().is_empty() || t.chars().count() > 300) {
                        out.add(KeyPath::new(&["copy", tag, kind.as_str(), key]), "must be 1 to 300 characters");
                    }
                }
            }
        }
    }

    fn check_edge(&self, out: &mut Problems) {
        let edge = &self.edge;
        out.range(KeyPath::new(&["edge", "deadline_ms"]), edge.deadline_ms, DEADLINE_RANGE_MS, "milliseconds");
        out.range(
            KeyPath::new(&["edge", "upload_timeout_ms"]),
            edge.upload_timeout_ms,
            UPLOAD_TIMEOUT_RANGE_MS,
            "milliseconds",
        );
        for (i, rule) in edge.paths.iter().enumerate() {
            let at = KeyPath::new(&["edge", "paths"]).index(i);
            if !rule.prefix.starts_with('/') || rule.prefix.contains(['?', '#', ' ']) {
                out.add(at.clone().key("prefix"), format!("{:?} must be a path starting with /", rule.prefix));
            } else if edge.paths[..i].iter().any(|r| r.prefix == rule.prefix) {
                out.add(at.clone().key("prefix"), format!("{:?} is listed twice", rule.prefix));
            }
            if let Some(ms) = rule.deadline_ms {
                out.range(at.clone().key("deadline_ms"), ms, DEADLINE_RANGE_MS, "milliseconds");
            }
            if let Some(Err(why)) = rule.origin.as_deref().map(crate::target::Origin::parse) {
                out.add(at.key("origin"), why);
            }
        }
        for (i, status) in edge.intercept.iter().enumerate() {
            if !(500..=599).contains(status) {
                out.add(KeyPath::new(&["edge", "intercept"]).index(i), format!("{status} is not a 5xx status"));
            }
        }
        let r = &edge.retry_after;
        for (key, value) in [
            ("timeout", r.timeout),
            ("connect", r.connect),
            ("error", r.error),
            ("overload", r.overload),
            ("maintenance", r.maintenance),
        ] {
            out.range(KeyPath::new(&["edge", "retry_after", key]), value, RETRY_AFTER_RANGE_S, "seconds");
        }
        if edge.stale_if_error_s > 7 * 86_400 {
            out.add(KeyPath::new(&["edge", "stale_if_error_s"]), "must be at most 604800 seconds (a week)");
        }
        for (i, media_type) in edge.stale_types.iter().enumerate() {
            let valid = media_type.split_once('/').is_some_and(|(ty, sub)| {
                let token = |s: &str| {
                    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
                };
                token(ty) && token(sub)
            });
            if !valid {
                out.add(
                    KeyPath::new(&["edge", "stale_types"]).index(i),
                    format!("{media_type:?} must be a media type like \"text/html\", with no parameters"),
                );
            }
        }
        let breaker = &edge.breaker;
        let key = |k: &str| KeyPath::new(&["edge", "breaker", k]);
        out.range(key("window_s"), breaker.window_s, (1, crate::breaker::MAX_WINDOW_S), "seconds");
        out.range(key("min_requests"), breaker.min_requests, (1, 100_000), "answers");
        out.range(key("failure_percent"), breaker.failure_percent, (1, 100), "percent");
        out.range(key("cooldown_s"), breaker.cooldown_s, (1, 3600), "seconds");
        if r.jitter_percent > 100 {
            out.add(KeyPath::new(&["edge", "retry_after", "jitter_percent"]), "must be 0 to 100");
        }
    }

    fn check_targets(&self, out: &mut Problems) {
        if let Some(alb) = &self.alb {
            alb::check(alb, out);
        }
        if let Some(s3) = &self.s3 {
            if let Err(why) = check_bucket_name(&s3.bucket) {
                out.add(KeyPath::new(&["s3", "bucket"]), why);
            }
            let p = &s3.prefix;
            if p.is_empty()
                || p.starts_with('/')
                || p.ends_with('/')
                || p.contains("//")
                || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
            {
                out.add(
                    KeyPath::new(&["s3", "prefix"]),
                    format!("{p:?} must be letters, digits, - _ . and inner /, with no slash at either end"),
                );
            }
        }
        if let Some(cf) = &self.cloudfront {
            let id = &cf.distribution_id;
            if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
                out.add(
                    KeyPath::new(&["cloudfront", "distribution_id"]),
                    format!(
                        "{id:?} is not a CloudFront distribution ID (upper-case letters and digits, like E2EXAMPLE123)"
                    ),
                );
            }
            for (i, code) in cf.error_codes.iter().enumerate() {
                if !CLOUDFRONT_ERROR_CODES.contains(code) {
                    out.add(
                        KeyPath::new(&["cloudfront", "error_codes"]).index(i),
                        format!("CloudFront cannot customise {code}; allowed: {CLOUDFRONT_ERROR_CODES:?}"),
                    );
                }
            }
            if cf.error_caching_min_ttl > 31_536_000 {
                out.add(KeyPath::new(&["cloudfront", "error_caching_min_ttl"]), "must be at most 31536000 seconds");
            }
            if let Some(function) = &cf.lambda_edge {
                check_lambda_edge(function, out);
            }
            if let Some(origin) = &cf.origin {
                let key = |k: &str| KeyPath::new(&["cloudfront", "origin", k]);
                if origin.id.is_empty() || origin.id.len() > 128 {
                    out.add(key("id"), "must name an origin of the distribution (1 to 128 characters)");
                }
                for (name, value, range) in [
                    ("connection_attempts", origin.connection_attempts, (1, 3)),
                    ("connection_timeout", origin.connection_timeout, (1, 10)),
                    ("read_timeout", origin.read_timeout, (1, 180)),
                ] {
                    if let Some(v) = value {
                        out.range(
                            key(name),
                            u32::from(v),
                            range,
                            if name == "connection_attempts" { "attempts" } else { "seconds" },
                        );
                    }
                }
                if origin.connection_attempts.is_none()
                    && origin.connection_timeout.is_none()
                    && origin.read_timeout.is_none()
                {
                    out.add(
                        key("id"),
                        "names an origin but sets none of connection_attempts, connection_timeout, read_timeout",
                    );
                }
            }
        }
    }
}

/// Collects problems in the order they are found.
pub(super) struct Problems(pub(super) Vec<Problem>);

fn check_lambda_edge(function: &LambdaEdgeTarget, out: &mut Problems) {
    let key = |k: &str| KeyPath::new(&["cloudfront", "lambda_edge", k]);
    if let Some(name) = &function.function_name
        && (name.is_empty()
            || name.len() > 64
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)))
    {
        out.add(
            key("function_name"),
            format!("{name:?} must be 1 to 64 letters, digits, - and _ (a Lambda function name)"),
        );
    }
    for (i, pattern) in function.per_viewer.iter().enumerate() {
        if pattern.is_empty() || pattern.len() > 255 || function.per_viewer[..i].contains(pattern) {
            out.add(
                KeyPath::new(&["cloudfront", "lambda_edge", "per_viewer"]).index(i),
                format!("{pattern:?} must be a behavior's path pattern (1 to 255 characters), once"),
            );
        }
    }
    if let Some(arn) = &function.role_arn
        && !is_role_arn(arn)
    {
        out.add(key("role_arn"), format!("{arn:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"));
    }
}

/// `arn:<partition>:iam::<12 digits>:role/<path and name>`.
fn is_role_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let name = resource.strip_prefix("role/").unwrap_or_default();
    partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && !name.ends_with('/')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
}

impl Problems {
    pub(super) fn add(&mut self, key: KeyPath, message: impl Into<String>) {
        self.0.push(Problem { key, message: message.into() });
    }

    pub(super) fn range(&mut self, key: KeyPath, value: u32, (lo, hi): (u32, u32), unit: &str) {
        if !(lo..=hi).contains(&value) {
            self.add(key, format!("must be {lo} to {hi} {unit}, not {value}"));
        }
    }
}

/// Links are put in `href`: only `https:`, `http:` and `mailto:` are safe there.
fn check_link(url: &str) -> Result<(), String> {
    let ok_scheme = ["https://", "http://", "mailto:"].iter().any(|s| url.starts_with(s));
    if !ok_scheme {
        return Err(format!("{url:?} must start with https://, http:// or mailto:"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>') {
        return Err(format!("{url:?} contains spaces, quotes or angle brackets"));
    }
    Ok(())
}

/// The S3 rules for bucket names, minus the legacy ones.
fn check_bucket_name(name: &str) -> Result<(), String> {
    let valid = (3..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !name.contains("..");
    if valid {
        Ok(())
    } else {
        Err(format!("{name:?} is not a valid S3 bucket name (3-63 lower-case letters, digits, - and .)"))
    }
}

/// The bypass by networks copies each of the listener's rules with the networks as one more
/// condition, and "You can specify up to five match evaluations per rule"
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html>):
/// which of the team's rules cannot be copied follows from the networks alone, so `check` says
/// where the line is; `maintenance on` names each rule over it.
fn copies_the_networks_cannot_make(cidrs: &[String], out: &mut Problems) {
    let networks = match cidrs.len() {
        0 => return,
        1 => "this network".to_owned(),
        n => format!("these {n} networks"),
    };
    let max = alb::MAX_CONDITION_VALUES;
    out.add(
        KeyPath::new(&["alb", "bypass_cidrs"]),
        format!(
            "the bypass copies each of the listener's rules with {networks} as one more condition, and an ALB rule \
             holds at most {max} condition values: a rule of the team's with more than {} values cannot be copied, \
             and `maintenance on` leaves the networks' bypass out, naming the rule",
            max.saturating_sub(cidrs.len())
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_must_be_safe_in_href() {
        assert!(check_link("https://example.com/help").is_ok());
        assert!(check_link("mailto:help@example.com").is_ok());
        assert!(check_link("javascript:alert(1)").is_err());
        assert!(check_link("https://x\" onmouseover=\"alert(1)").is_err());
    }

    #[cfg(feature = "toml")]
    #[test]
    fn bypass_networks_behind_cloudfront_are_warned_of_never_refused() {
        let mut config: Config = toml::from_str(
            "[brand]\nname = \"Shop\"\n[alb]\nlistener_arn = \"arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/2\"\nbypass_cidrs = [\"203.0.113.0/24\"]\n",
        )
        .unwrap();
        let copies =
            |config: &Config| config.warnings().into_iter().filter(|w| w.message.contains("cannot be copied")).count();
        assert_eq!(config.warnings().len(), copies(&config), "no CloudFront, so the ALB sees the team's own addresses");
        config.cloudfront = Some(toml::from_str("distribution_id = \"E2EXAMPLE123\"").unwrap());
        let warned: Vec<Problem> =
            config.warnings().into_iter().filter(|w| !w.message.contains("cannot be copied")).collect();
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert_eq!(warned[0].key.to_string(), "alb.bypass_cidrs");
        assert!(warned[0].message.contains("bypass_header"), "{}", warned[0].message);
        assert_eq!(config.problems(), [], "a warning, not a refusal");
        config.alb.as_mut().unwrap().bypass_cidrs.clear();
        assert_eq!(config.warnings(), []);
    }

    /// The bypass by networks copies each of the team's rules with one more condition holding
    /// the networks, and "You can specify up to five match evaluations per rule"
    /// (rule-condition-types.html,
    /// <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html>):
    /// with N networks, a rule of theirs with more than 5 - N values cannot be copied. `check`
    /// cannot read the listener, so it says where that line is, from the config alone.
    #[cfg(feature = "toml")]
    #[test]
    fn bypass_networks_say_which_of_the_teams_rules_they_cannot_copy() {
        let with = |cidrs: &str| -> Config {
            toml::from_str(&format!(
                "[brand]\nname = \"Shop\"\n[alb]\nlistener_arn = \"arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/2\"\nbypass_cidrs = [{cidrs}]\n"
            ))
            .unwrap()
        };
        let said = |config: &Config| -> Vec<String> {
            config.warnings().into_iter().map(|w| format!("{}: {}", w.key, w.message)).collect()
        };
        assert_eq!(
            said(&with("\"203.0.113.0/24\", \"2001:db8::/32\", \"198.51.100.0/24\"")),
            ["alb.bypass_cidrs: the bypass copies each of the listener's rules with these 3 networks as one more \
              condition, and an ALB rule holds at most 5 condition values: a rule of the team's with more than 2 \
              values cannot be copied, and `maintenance on` leaves the networks' bypass out, naming the rule"]
        );
        assert_eq!(
            said(&with("\"203.0.113.0/24\"")),
            ["alb.bypass_cidrs: the bypass copies each of the listener's rules with this network as one more \
              condition, and an ALB rule holds at most 5 condition values: a rule of the team's with more than 4 \
              values cannot be copied, and `maintenance on` leaves the networks' bypass out, naming the rule"]
        );
        assert_eq!(with("").warnings(), []);
        assert_eq!(with("\"203.0.113.0/24\"").problems(), [], "a warning, not a refusal");
    }

    #[test]
    fn bucket_names() {
        assert!(check_bucket_name("my-pages.example").is_ok());
        for bad in ["ab", "MyBucket", "-abc", "abc-", "a..b", "under_score"] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
    }
}

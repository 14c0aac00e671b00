//! `verify`: checks, from what was read back, that every configured error code reaches its
//! page: the error response, the page object and its content type, and a cache behavior that
//! leads to the pages origin with its Origin Access Control.

use std::collections::BTreeMap;

use aws_sdk_cloudfront::types::DistributionConfig;
use serde::Serialize;

use crate::desired::Desired;
use crate::glob::path_matches;
use crate::lists::{behaviors, error_response, origins};

/// What verify read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    pub distribution: DistributionConfig,
    /// The content type of each page object read back, by key; `None` when it does not exist.
    pub objects: BTreeMap<String, Option<String>>,
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub subject: String,
    pub ok: bool,
    /// A pass that is worse than it could be, such as headers the function cannot see.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub warning: bool,
    /// The check could not be made, for trouble on the checking side (a host name that did not
    /// resolve): nothing was judged. Never `ok`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub could_not_check: bool,
    pub detail: String,
}

/// What a set of checks comes to, and so the code `verify` (and a publish's own verification)
/// exits with: a pipeline rolls back on `Failed` only, and runs `verify` again on
/// `CouldNotCheck`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed.
    Passed,
    /// A check found something wrong with the site.
    Failed,
    /// Nothing was found wrong, but not everything could be checked (credentials, the network,
    /// a config that could not be read).
    CouldNotCheck,
}

impl Verdict {
    /// A failed check outweighs one that could not be made: that much is known to be wrong.
    pub fn of(checks: &[Check]) -> Verdict {
        if checks.iter().any(Check::failed) {
            Verdict::Failed
        } else if checks.iter().any(|c| c.could_not_check) {
            Verdict::CouldNotCheck
        } else {
            Verdict::Passed
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::CouldNotCheck => "could_not_check",
        }
    }
}

/// The page path verify reads for `code`: the live one if there is one, else the desired one.
pub fn page_path(live: &DistributionConfig, desired: &Desired, code: u16) -> String {
    error_response(live, code)
        .and_then(|r| r.response_page_path.clone())
        .or_else(|| desired.error_pages.iter().find(|p| p.code == code).map(|p| p.page_path.clone()))
        .unwrap_or_default()
}

/// The S3 key for a viewer path under the pages origin (whose origin path is empty).
pub fn object_key(page_path: &str) -> String {
    page_path.trim_start_matches('/').to_owned()
}

/// Runs every check; all must pass.
pub fn verify(desired: &Desired, live: &Live) -> Vec<Check> {
    let mut checks = Vec::new();
    for page in &desired.error_pages {
        let code = page.code;
        if !page.serves_page {
            checks.push(ttl_only(desired, live, code));
            continue;
        }
        let path = page_path(&live.distribution, desired, code);
        checks.push(match error_response(&live.distribution, code) {
            None => Check::fail(format!("error response {code}"), "the distribution has none".into()),
            Some(r) => {
                let mut wrong = Vec::new();
                if r.response_page_path.as_deref() != Some(page.page_path.as_str()) {
                    wrong.push(format!(
                        "page {:?}, expected {:?}",
                        r.response_page_path.as_deref().unwrap_or(""),
                        page.page_path
                    ));
                }
                if r.response_code.as_deref() != Some(code.to_string().as_str()) {
                    wrong.push(format!("answers as {:?}, expected {code}", r.response_code.as_deref().unwrap_or("")));
                }
                if r.error_caching_min_ttl != Some(i64::from(desired.error_ttl)) {
                    wrong.push(format!("cached {:?} s, expected {}", r.error_caching_min_ttl, desired.error_ttl));
                }
                if wrong.is_empty() {
                    Check::pass(
                        format!("error response {code}"),
                        format!("{path} as {code}, cached {} s", desired.error_ttl),
                    )
                } else {
                    Check::fail(format!("error response {code}"), wrong.join("; "))
                }
            }
        });
        let key = object_key(&path);
        checks.push(match live.objects.get(&key) {
            Some(Some(ct)) if ct.starts_with("text/html") => {
                Check::pass(format!("object {key}"), format!("exists, {ct}"))
            }
            Some(Some(ct)) => {
                Check::fail(format!("object {key}"), format!("has content type {ct:?}, expected text/html"))
            }
            _ => Check::fail(format!("object {key}"), format!("does not exist in bucket {}", desired.bucket)),
        });
        checks.push(route(desired, &live.distribution, &path));
    }
    checks
}

/// The error response for a code the Lambda@Edge function answers with, where custom error
/// responses come after it (`custom_error_order = "after-function"`): the TTL, and no page.
fn ttl_only(desired: &Desired, live: &Live, code: u16) -> Check {
    let subject = format!("error response {code}");
    let Some(r) = error_response(&live.distribution, code) else {
        return Check::fail(subject, "the distribution has none".into());
    };
    let mut wrong = Vec::new();
    if let Some(path) = r.response_page_path.as_deref().filter(|p| !p.is_empty()) {
        wrong.push(format!("serves page {path:?}, which would replace the function's answer"));
    }
    if r.error_caching_min_ttl != Some(i64::from(desired.error_ttl)) {
        wrong.push(format!("cached {:?} s, expected {}", r.error_caching_min_ttl, desired.error_ttl));
    }
    if wrong.is_empty() {
        Check::pass(subject, format!("no page (the function answers), cached {} s", desired.error_ttl))
    } else {
        Check::fail(subject, wrong.join("; "))
    }
}

/// Which behavior serves `path`, and whether it reaches the pages bucket through OAC.
fn route(desired: &Desired, config: &DistributionConfig, path: &str) -> Check {
    let subject = format!("route {path}");
    let (behavior, target) = match behaviors(config).iter().find(|b| path_matches(&b.path_pattern, path)) {
        Some(b) => (format!("cache behavior {}", b.path_pattern), b.target_origin_id.clone()),
        None => match &config.default_cache_behavior {
            Some(d) => ("the default cache behavior".to_owned(), d.target_origin_id.clone()),
            None => return Check::fail(subject, "no cache behavior matches".into()),
        },
    };
    let Some(origin) = origins(config).iter().find(|o| o.id == target) else {
        return Check::fail(subject, format!("{behavior} points at origin {target:?}, which does not exist"));
    };
    let bucket_host = format!("{}.s3.", desired.bucket);
    let bucket_host_global = format!("{}.s3.amazonaws.com", desired.bucket);
    if !(origin.domain_name.starts_with(&bucket_host) || origin.domain_name == bucket_host_global) {
        return Check::fail(
            subject,
            format!("{behavior} leads to {}, not bucket {}", origin.domain_name, desired.bucket),
        );
    }
    if origin.origin_access_control_id.as_deref().is_none_or(str::is_empty) {
        return Check::fail(
            subject,
            format!("origin {target} has no Origin Access Control, so CloudFront cannot read the bucket"),
        );
    }
    Check::pass(subject, format!("{behavior} → origin {target} ({})", origin.domain_name))
}

impl Check {
    pub fn pass(subject: String, detail: String) -> Check {
        Check { subject, ok: true, warning: false, could_not_check: false, detail }
    }

    pub fn fail(subject: String, detail: String) -> Check {
        Check { subject, ok: false, warning: false, could_not_check: false, detail }
    }

    /// Passes, but says what is worse than it could be.
    pub fn warn(subject: String, detail: String) -> Check {
        Check { subject, ok: true, warning: true, could_not_check: false, detail }
    }

    /// Could not be made: nothing was judged.
    pub fn could_not_check(subject: String, detail: String) -> Check {
        Check { subject, ok: false, warning: false, could_not_check: true, detail }
    }

    /// Found something wrong, as opposed to passing or not having been made.
    pub fn failed(&self) -> bool {
        !self.ok && !self.could_not_check
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::with_desired;
    use crate::fixtures::desired;
    use crate::fixtures::existing;
    use crate::wiring::Wiring;

    fn published() -> Live {
        let d = desired();
        let distribution = with_desired(&existing(), &d, &Wiring::default(), "OAC1").unwrap();
        let objects = d.objects.iter().map(|o| (o.key.clone(), Some(o.content_type.to_owned()))).collect();
        Live { distribution, objects }
    }

    #[test]
    fn a_published_distribution_passes_every_check() {
        let checks = verify(&desired(), &published());
        assert_eq!(checks.len(), 6);
        assert!(checks.iter().all(|c| c.ok), "{checks:#?}");
        assert_eq!(
            checks[2].detail,
            "cache behavior /edgepages/* → origin edgepages-pages-bucket (pages-bucket.s3.eu-west-1.amazonaws.com)"
        );
    }

    #[test]
    fn an_untouched_distribution_fails() {
        let live = Live { distribution: existing(), objects: BTreeMap::new() };
        let checks = verify(&desired(), &live);
        assert!(checks.iter().all(|c| !c.ok), "{checks:#?}");
        assert_eq!(checks[0].detail, "the distribution has none");
        assert!(checks[2].detail.contains("the default cache behavior leads to shop-alb-1234"), "{}", checks[2].detail);
    }

    #[test]
    fn a_missing_object_a_wrong_type_and_a_shadowing_behavior_are_each_caught() {
        let mut live = published();
        live.objects.insert("edgepages/502.html".into(), None);
        live.objects.insert("edgepages/503.html".into(), Some("binary/octet-stream".into()));
        let checks = verify(&desired(), &live);
        assert!(!checks[1].ok && checks[1].detail.contains("does not exist"));
        assert!(!checks[4].ok && checks[4].detail.contains("binary/octet-stream"));

        let mut live = published();
        let items = live.distribution.cache_behaviors.as_mut().unwrap().items.as_mut().unwrap();
        items.rotate_left(1);
        items[0].path_pattern = "/edge*".into();
        let checks = verify(&desired(), &live);
        assert!(!checks[2].ok);
        assert!(checks[2].detail.contains("cache behavior /edge* leads to shop-assets.s3"), "{}", checks[2].detail);
    }

    #[test]
    fn a_code_the_function_answers_after_custom_errors_needs_its_ttl_and_no_page() {
        let mut d = desired();
        d.error_pages[0].serves_page = false;
        let distribution = with_desired(&existing(), &d, &Wiring::default(), "OAC1").unwrap();
        let objects = d.objects.iter().map(|o| (o.key.clone(), Some(o.content_type.to_owned()))).collect();
        let checks = verify(&d, &Live { distribution, objects });
        assert!(checks.iter().all(|c| c.ok), "{checks:#?}");
        assert_eq!(checks[0].detail, "no page (the function answers), cached 10 s");
        // The distribution as a before-function publish left it: 502 still serves its page.
        let checks = verify(&d, &published());
        assert!(!checks[0].ok);
        assert!(checks[0].detail.contains("which would replace the function's answer"), "{}", checks[0].detail);
    }

    #[test]
    fn an_origin_without_oac_fails() {
        let mut live = published();
        live.distribution.origins.as_mut().unwrap().items[2].origin_access_control_id = None;
        assert!(verify(&desired(), &live).iter().any(|c| !c.ok && c.detail.contains("no Origin Access Control")));
    }
}

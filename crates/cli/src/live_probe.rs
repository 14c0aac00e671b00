//! `verify --live URL`: asks the real distribution what a viewer gets when the Lambda@Edge
//! function answers with each error code, by requesting the function's probe
//! ([`edgepages_core::probe`]) as an API client in the site's second language would; then says,
//! per code, whose answer arrived (the function's, a custom error response's page, or CloudFront's
//! own error) and what to change. Reads nothing from AWS: only the config and the URL.

use anyhow::{Context as _, Result};
use base64::Engine as _;
use edgepages_core::Config;
use edgepages_core::probe;
use edgepages_publish::live::{Expected, Finding, Observed, Verdict, classify, judge};
use edgepages_publish::order;
use edgepages_publish::verify::Check;

/// What verify asks for: problem+json, the format the static pages never are.
const ACCEPT: &str = "application/json";
const PROBLEM: &str = "application/problem+json";

/// The codes probed: those the function answers ([edge] intercept) that CloudFront can put a
/// custom error response on, among `[cloudfront] error_codes` when the config has them.
pub fn codes(config: &Config) -> Vec<u16> {
    let intercepted = |code: &u16| config.edge.intercept.contains(code) && probe::STATUSES.contains(code);
    match &config.cloudfront {
        Some(cf) => cf.error_codes.iter().copied().filter(intercepted).collect(),
        None => probe::STATUSES.iter().copied().filter(intercepted).collect(),
    }
}

/// The language asked for: the site's first other than its default, so that a static page (the
/// default language) and the function's answer differ in it too. `None` for a one-language site.
fn second_language(config: &Config) -> Option<&str> {
    config.locales.available.iter().map(String::as_str).find(|tag| *tag != config.locales.default)
}

/// One probe per code, made one after another; a request that could not be made is a check that
/// could not be made.
pub async fn checks(client: &reqwest::Client, base: &str, config: &Config) -> Result<Vec<Check>> {
    let order = order::assumed(config);
    let language = second_language(config);
    let mut checks = Vec::new();
    for code in codes(config) {
        let url = format!("{}{}", base.trim_end_matches('/'), probe::path(code, &nonce()?));
        let subject = format!("live {code}");
        let mut request = client.get(&url).header("accept", ACCEPT).header("cache-control", "no-cache");
        if let Some(tag) = language {
            request = request.header("accept-language", tag);
        }
        let observed = match request.send().await {
            Ok(response) => observed(response).await,
            Err(e) => {
                checks.push(Check::could_not_check(
                    subject,
                    format!("requesting {url} failed: {}", edgepages_publish::aws::causes(&e)),
                ));
                continue;
            }
        };
        let expected = Expected { order, serves_page: order::serves_page(config, code).0 };
        checks.push(check(subject, code, &observed, expected, language));
    }
    if checks.is_empty() {
        anyhow::bail!(
            "no code to probe: none of [cloudfront] error_codes is one the function answers ([edge] intercept)"
        );
    }
    Ok(checks)
}

/// 18 random bytes in the URL-safe alphabet: 24 characters, a cache key no one else asks for.
fn nonce() -> Result<String> {
    let mut bytes = [0u8; 18];
    getrandom::getrandom(&mut bytes).map_err(|e| anyhow::anyhow!("{e}")).context("making the probe's nonce")?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

async fn observed(response: reqwest::Response) -> Observed {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    Observed { status, headers, body: response.text().await.unwrap_or_default() }
}

/// The check for one probe: the verdict, in words, with what to change.
fn check(subject: String, code: u16, observed: &Observed, expected: Expected, language: Option<&str>) -> Check {
    let finding = classify(observed, code);
    let status = observed.status;
    match (judge(&finding, expected), &finding) {
        (Verdict::AsConfigured, Finding::Function { content_type, language: got }) => {
            let asked_format = content_type.starts_with(PROBLEM);
            let asked_language = language.is_none_or(|tag| got == tag);
            let answered = format!("the function's answer reached the viewer ({status}, {content_type}, {got})");
            if asked_format && asked_language {
                Check::pass(subject, answered)
            } else {
                Check::warn(
                    subject,
                    format!(
                        "{answered}, not the {PROBLEM}{} asked for: this behavior gives every viewer one answer (the \
                         shared mode), or does not forward Accept and Accept-Language to the function (`edgepages \
                         verify` says which)",
                        language.map_or_else(String::new, |tag| format!(" in {tag}"))
                    ),
                )
            }
        }
        (Verdict::AsConfigured, _) => Check::pass(
            subject,
            format!(
                "the custom error response's page, as set for {code} (custom_error_order = \"after-function\"): \
                 CloudFront's own {code}, where the function does not run, gets it too"
            ),
        ),
        (Verdict::OrderIsBeforeFunction, _) => Check::warn(
            subject,
            format!(
                "the function's answer reached the viewer although the custom error response for {code} has a page: \
                 this distribution applies custom error responses before the function. Set custom_error_order = \
                 \"before-function\" in [cloudfront.lambda_edge] and run `edgepages publish`, so that every code \
                 keeps its page for CloudFront's own errors"
            ),
        ),
        (Verdict::OrderIsAfterFunction, _) => Check::fail(
            subject,
            format!(
                "a custom error response replaced the function's answer with the static page ({status}: HTML, one \
                 language, no Retry-After): this distribution applies custom error responses after the function. \
                 Set custom_error_order = \"after-function\" in [cloudfront.lambda_edge], then run `edgepages \
                 publish`: the codes the function answers keep only their error caching TTL"
            ),
        ),
        (Verdict::PageStillSet, _) => Check::fail(
            subject,
            format!(
                "a custom error response's page replaced the function's answer, but custom_error_order = \
                 \"after-function\" sets {code} without one: the distribution is not as the config says. Run \
                 `edgepages publish` (`edgepages verify` shows what differs)"
            ),
        ),
        (Verdict::CouldNotCheck, _) => Check::could_not_check(
            subject,
            format!(
                "CloudFront could not reach the origin ({status}), so no origin-response function ran: nothing about \
                 the function was judged. Run it again once the origin answers"
            ),
        ),
        (Verdict::Broken, finding) => Check::fail(subject, broken(finding, code, status)),
    }
}

fn broken(finding: &Finding, code: u16, status: u16) -> String {
    match finding {
        Finding::Rejected => format!(
            "CloudFront refused the function's answer and sent its own {status} (a Lambda validation error). Package \
             and publish the function with this edgepages; CloudFront logs why in CloudWatch, log group \
             /aws/cloudfront/LambdaEdge/<distribution ID>, in the region nearest the viewer"
        ),
        Finding::Throttled => format!(
            "Lambda@Edge throttled the function (LambdaLimitExceeded): CloudFront sends its own unbranded {status} \
             on every cache miss, healthy pages included, until the regional quotas (requests per second, \
             concurrent executions) allow it again. Ask for a higher quota, and alarm on the distribution's \
             Lambda@Edge throttles"
        ),
        Finding::FunctionFailed => format!(
            "the function failed (a Lambda execution error: it threw or timed out), and CloudFront sent its own \
             {status}. Its log is in CloudWatch as /aws/lambda/us-east-1.<function>, in the region nearest the viewer"
        ),
        Finding::OtherErrorPage => format!(
            "a custom error response's page for {status} answered, not the function's {code}: it replaced an error \
             CloudFront made itself (a refused or failed function, or an origin it could not reach), whose \
             X-Cache header did not say which. CloudFront's access logs (x-edge-detailed-result-type) do"
        ),
        Finding::NotTheFunction => format!(
            "the function did not answer the probe ({status}, not its answer): it is not the origin-response \
             function of the behavior for this path, or the published version predates probes. Run `edgepages \
             publish`, then `edgepages verify`"
        ),
        Finding::Function { .. } | Finding::CustomErrorPage | Finding::OriginUnreachable => {
            format!("unexpected answer ({status})")
        }
    }
}

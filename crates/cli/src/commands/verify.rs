//! `edgepages verify`: reads back the live distribution and the page objects and checks that
//! every configured code reaches its branded page; optionally requests a URL that must fail and
//! checks that the branded page answers. `--healthy` is the deploy gate (seed 001): it only
//! requests URLs that must answer for real, reading nothing from AWS. Exits non-zero on any
//! mismatch, for deploy pipelines. `--live` asks the real distribution what a viewer gets when the
//! Lambda@Edge function answers (`crate::live_probe`).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use edgepages_publish::session::guard::GuardAlone;
use edgepages_publish::verify::{Check, Verdict};
use serde::Serialize;

use crate::aws_setup::{FunctionCode, alb_clients, alb_only, runtime, setup};
use crate::checks_view::{self, exit_code};
use crate::cli::Global;
use crate::output::Output;

/// Every page carries this, so a page served anywhere can be told apart from the origin's own.
pub use edgepages_publish::live::PAGE_MARKER;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also request this URL, which must fail, and check that the branded page answers it.
    #[arg(long, value_name = "URL", value_parser = http_url)]
    url: Option<String>,
    /// A deploy gate: request this URL (repeatable), which must answer below 500 from the origin
    /// itself, not with an edgepages page or a stale copy. Checks only these URLs: nothing is
    /// read from AWS, and no config is needed.
    #[arg(long, value_name = "URL", conflicts_with = "url", value_parser = http_url)]
    healthy: Vec<String>,
    /// More statuses `--healthy` accepts besides 2xx and 3xx: a code (`404`) or a class (`4xx`),
    /// repeatable or comma-separated. A 5xx is never healthy.
    #[arg(long, value_name = "STATUS", requires = "healthy", value_delimiter = ',', value_parser = expected_status)]
    expect: Vec<Expected>,
    /// The site's URL on CloudFront (`https://www.example.com`): request the Lambda@Edge
    /// function's probe for each error code, and report whether its answer reached the viewer or a
    /// custom error response replaced it. Reads the config, nothing from AWS.
    #[arg(long, value_name = "URL", conflicts_with_all = ["url", "healthy"], value_parser = http_url)]
    live: Option<String>,
}

/// A status `--healthy` accepts: one code, or a class such as `2xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Code(u16),
    Class(u16),
}

impl Expected {
    /// What `--healthy` accepts without `--expect`: success and redirection.
    const DEFAULT: [Expected; 2] = [Expected::Class(2), Expected::Class(3)];

    fn accepts(self, status: u16) -> bool {
        match self {
            Expected::Code(code) => status == code,
            Expected::Class(class) => status / 100 == class,
        }
    }
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::Code(code) => write!(f, "{code}"),
            Expected::Class(class) => write!(f, "{class}xx"),
        }
    }
}

/// `404` or `4xx`, from 100 to 499: a 5xx is never healthy.
fn expected_status(raw: &str) -> Result<Expected, String> {
    let raw = raw.trim();
    let expected = if let Some(class) = raw.strip_suffix("xx").or_else(|| raw.strip_suffix("XX")) {
        class.parse::<u16>().ok().filter(|c| (1..=5).contains(c)).map(Expected::Class)
    } else {
        raw.parse::<u16>().ok().filter(|c| (100..=599).contains(c)).map(Expected::Code)
    };
    match expected {
        Some(Expected::Class(5)) => Err("a 5xx status is never healthy".into()),
        Some(Expected::Code(code)) if code >= 500 => Err("a 5xx status is never healthy".into()),
        Some(expected) => Ok(expected),
        None => Err(format!("{raw:?} is neither a status (404) nor a class (4xx)")),
    }
}

/// An http(s) URL, checked when the arguments are read, so that a typo is a usage error.
fn http_url(raw: &str) -> Result<String, String> {
    // Core's parse, which refuses a host outside ASCII before url's IDNA step can panic on it.
    let url = edgepages_core::target::parse_url(raw).map_err(|e| match e {
        edgepages_core::target::UrlError::NonAsciiHost => {
            "not a URL here: give a Unicode host name in its ASCII form (xn--…)".to_owned()
        }
        edgepages_core::target::UrlError::Invalid(e) if raw.is_ascii() => format!("not a URL: {e}"),
        edgepages_core::target::UrlError::Invalid(e) => {
            format!("not a URL: {e}; give a Unicode host name in its ASCII form (xn--…)")
        }
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("must be an http:// or https:// URL, not {}:", url.scheme()));
    }
    Ok(raw.to_owned())
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    let report = match runtime()?.block_on(gather(args, global, out)) {
        Ok(checks) => VerifyReport::judged(checks),
        Err(err) => {
            // Whatever stopped the reading, nothing was judged: never the exit code of a mismatch.
            let report = VerifyReport::unchecked(&err);
            if out.json {
                out.json(&serde_json::to_value(&report)?)?;
            }
            out.error(&err, crate::advice::advice(&err, &global.config).as_deref());
            return Ok(exit_code(report.verdict));
        }
    };
    if out.json {
        out.json(&serde_json::to_value(&report)?)?;
    } else {
        checks_view::show(out, report.checks.as_deref().unwrap_or_default());
    }
    Ok(exit_code(report.verdict))
}

/// What `verify` found, as printed.
#[derive(Debug, Serialize)]
struct VerifyReport {
    ok: bool,
    verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<Vec<Check>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl VerifyReport {
    fn judged(checks: Vec<Check>) -> VerifyReport {
        let verdict = Verdict::of(&checks);
        VerifyReport { ok: verdict == Verdict::Passed, verdict, checks: Some(checks), error: None }
    }

    fn unchecked(err: &anyhow::Error) -> VerifyReport {
        VerifyReport { ok: false, verdict: Verdict::CouldNotCheck, checks: None, error: Some(format!("{err:#}")) }
    }
}

/// The checks `args` asks for, made.
async fn gather(args: &Args, global: &Global, out: &Output) -> Result<Vec<Check>> {
    if !args.healthy.is_empty() {
        let client = client()?;
        let mut checks = Vec::new();
        let accepted: Vec<Expected> = Expected::DEFAULT.iter().chain(&args.expect).copied().collect();
        for url in &args.healthy {
            checks.push(check_healthy(&client, url, &accepted).await);
        }
        return Ok(checks);
    }
    let site = crate::site_files::load_site(&global.config)?;
    if let Some(base) = &args.live {
        return crate::live_probe::checks(&client()?, base, &site.config).await;
    }
    if let Some(alb) = alb_only(&site).filter(|_| args.url.is_none()) {
        let clients = alb_clients(alb).await;
        let host = alb.canonical_host.as_deref().unwrap_or_default();
        return Ok(GuardAlone::read(&alb.listener_arn, host, &clients).await?.checks());
    }
    let (targets, clients) = setup(&site, &global.config, FunctionCode::None, out).await?;
    let mut checks = edgepages_publish::session::verify::checks(&targets, &clients).await?;
    if let Some(url) = &args.url {
        checks.push(check_url(&client()?, url).await);
    }
    Ok(checks)
}

fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_mins(1))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client")
}

/// What a URL answered: status, the `x-edgepages` and `content-type` headers, and the body.
struct Answered {
    status: reqwest::StatusCode,
    edgepages: Option<String>,
    content_type: String,
    body: String,
}

/// Requests `url` as a browser would; a failed request is a failed check on `subject`, but a
/// host name that does not resolve here is one that could not be made.
async fn request(client: &reqwest::Client, url: &str, subject: &str) -> Result<Answered, Check> {
    let response = match client.get(url).header("accept", "text/html").send().await {
        Ok(response) => response,
        // Only a request that could not connect is asked whether its host resolves at all.
        Err(e)
            if e.is_connect()
                && let Some(unresolved) = unresolvable(url).await =>
        {
            return Err(Check::could_not_check(subject.to_owned(), unresolved));
        }
        Err(e) => {
            return Err(Check::fail(
                subject.to_owned(),
                format!("request failed: {}", edgepages_publish::aws::causes(&e)),
            ));
        }
    };
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (edgepages, content_type) = (header("x-edgepages"), header("content-type").unwrap_or_default());
    let status = response.status();
    Ok(Answered { status, edgepages, content_type, body: response.text().await.unwrap_or_default() })
}

/// Why `url`'s host cannot be resolved from here, if it cannot. A failed lookup says nothing of
/// the site: the runner may have lost its DNS, and rolling a deploy back would not mend it.
/// Through a proxy the proxy resolves names, so nothing is looked up here.
async fn unresolvable(url: &str) -> Option<String> {
    const PROXY_VARIABLES: [&str; 6] =
        ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];
    if PROXY_VARIABLES.iter().any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty())) {
        return None;
    }
    let url = reqwest::Url::parse(url).ok()?;
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = url.port_or_known_default()?;
    match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(_) => None,
        Err(e) => Some(format!("could not resolve {host} from here ({e}); nothing was judged")),
    }
}

/// Requests `url`, which must answer with one of the `accepted` statuses and the origin's own page.
async fn check_healthy(client: &reqwest::Client, url: &str, accepted: &[Expected]) -> Check {
    let subject = format!("healthy {url}");
    let a = match request(client, url, &subject).await {
        Ok(answered) => answered,
        Err(failed) => return failed,
    };
    let status = a.status;
    let (ok, detail) = if let Some(answer) = a.edgepages.filter(|e| e.starts_with("stale")) {
        (false, format!("answered {status} with a stale copy ({answer}): the origin is failing"))
    } else if status.is_server_error() || a.body.contains(PAGE_MARKER) {
        (false, format!("answered {status} with an error page: the site is not healthy"))
    } else if !accepted.iter().any(|e| e.accepts(status.as_u16())) {
        let list = accepted.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        (false, format!("answered {status}, not one of {list} (--expect accepts more)"))
    } else {
        (true, format!("answered {status}"))
    };
    if ok { Check::pass(subject, detail) } else { Check::fail(subject, detail) }
}

/// Requests `url`, which must fail with the branded page.
async fn check_url(client: &reqwest::Client, url: &str) -> Check {
    let subject = format!("url {url}");
    let a = match request(client, url, &subject).await {
        Ok(answered) => answered,
        Err(failed) => return failed,
    };
    let status = a.status;
    let (ok, detail) = if status.is_success() || status.is_redirection() {
        (false, format!("answered {status}: it must fail to show the error page"))
    } else if !a.body.contains(PAGE_MARKER) {
        (false, format!("answered {status} with a page that is not an edgepages page ({})", a.content_type))
    } else {
        (true, format!("answered {status} with the branded page"))
    };
    if ok { Check::pass(subject, detail) } else { Check::fail(subject, detail) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_statuses_parse_and_match() {
        assert_eq!(expected_status("404"), Ok(Expected::Code(404)));
        assert_eq!(expected_status(" 4xx"), Ok(Expected::Class(4)));
        assert!(expected_status("5xx").unwrap_err().contains("never healthy"));
        assert!(expected_status("502").unwrap_err().contains("never healthy"));
        assert!(expected_status("42").unwrap_err().contains("neither a status"));
        assert!(expected_status("xx").is_err() && expected_status("6xx").is_err());
        assert!(Expected::Class(2).accepts(204) && !Expected::Class(2).accepts(301));
        assert!(Expected::Code(404).accepts(404) && !Expected::Code(404).accepts(410));
        assert_eq!(Expected::DEFAULT.map(|e| e.to_string()), ["2xx", "3xx"]);
    }
}

//! `edgepages verify`: reads back the live distribution and the page objects and checks that
//! every configured code reaches its branded page; optionally requests a URL that must fail and
//! checks that the branded page answers. `--healthy` is the deploy gate (seed 001): it only
//! requests URLs that must answer for real, reading nothing from AWS. Exits non-zero on any
//! mismatch, for deploy pipelines.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use edgepages_publish::verify::{Check, Live, object_key, page_path, verify};

use crate::aws_setup::{Target, runtime, target};
use crate::cli::Global;
use crate::output::Output;

/// Every page carries this, so a page served anywhere can be told apart from the origin's own.
pub const PAGE_MARKER: &str = r#"<meta name="generator" content="edgepages">"#;

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
}

/// An http(s) URL, checked when the arguments are read, so that a typo is a usage error.
fn http_url(raw: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(raw).map_err(|e| {
        if raw.is_ascii() {
            format!("not a URL: {e}")
        } else {
            format!("not a URL: {e}; give a Unicode host name in its ASCII form (xn--…)")
        }
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("must be an http:// or https:// URL, not {}:", url.scheme()));
    }
    Ok(raw.to_owned())
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let checks = if args.healthy.is_empty() {
            checks(&target(&global.config).await?, args.url.as_deref()).await?
        } else {
            let client = client()?;
            let mut checks = Vec::new();
            for url in &args.healthy {
                checks.push(check_healthy(&client, url).await);
            }
            checks
        };
        let ok = checks.iter().all(|c| c.ok);
        if out.json {
            out.json(&serde_json::json!({ "ok": ok, "checks": checks }))?;
        } else {
            show(out, &checks);
        }
        Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
    })
}

/// Reads back and checks; read calls only.
pub async fn checks(t: &Target, url: Option<&str>) -> Result<Vec<Check>> {
    let d = &t.desired;
    let dist = t.aws.read_distribution(&d.distribution_id).await?;
    let keys: Vec<String> = d.error_pages.iter().map(|p| object_key(&page_path(&dist.config, d, p.code))).collect();
    let objects = t.aws.head_objects(&d.bucket, &keys).await?;
    let mut checks = verify(d, &Live { distribution: dist.config, objects });
    if let Some(url) = url {
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

/// Requests `url` as a browser would; a failed request is a failed check on `subject`.
async fn request(client: &reqwest::Client, url: &str, subject: &str) -> Result<Answered, Check> {
    let response = client.get(url).header("accept", "text/html").send().await.map_err(|e| Check {
        subject: subject.to_owned(),
        ok: false,
        detail: format!("request failed: {}", error_chain(&e)),
    })?;
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (edgepages, content_type) = (header("x-edgepages"), header("content-type").unwrap_or_default());
    let status = response.status();
    Ok(Answered { status, edgepages, content_type, body: response.text().await.unwrap_or_default() })
}

/// `error: cause: cause`, because reqwest's own words ("error sending request") omit the reason.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// Requests `url`, which must answer below 500 with the origin's own page.
async fn check_healthy(client: &reqwest::Client, url: &str) -> Check {
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
    } else {
        (true, format!("answered {status}"))
    };
    Check { subject, ok, detail }
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
    Check { subject, ok, detail }
}

pub fn show(out: &Output, checks: &[Check]) {
    for check in checks {
        if check.ok {
            out.good("ok  ", &format!("{}: {}", check.subject, check.detail));
        } else {
            out.bad("FAIL", &format!("{}: {}", check.subject, check.detail));
        }
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed == 0 {
        out.good("verified:", &format!("{} checks passed", checks.len()));
    } else {
        out.bad("not verified:", &format!("{failed} of {} checks failed", checks.len()));
    }
}

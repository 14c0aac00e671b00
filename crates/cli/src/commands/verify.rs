//! `edgepages verify`: reads back the live distribution and the page objects and checks that
//! every configured code reaches its branded page; optionally requests a URL that must fail and
//! checks that the branded page answers. Exits non-zero on any mismatch, for deploy pipelines.

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
    #[arg(long, value_name = "URL")]
    url: Option<String>,
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let t = target(&global.config).await?;
        let checks = checks(&t, args.url.as_deref()).await?;
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
        checks.push(check_url(url).await?);
    }
    Ok(checks)
}

/// Requests `url`, which must fail with the branded page.
async fn check_url(url: &str) -> Result<Check> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_mins(1))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client")?;
    let subject = format!("url {url}");
    let response = match client.get(url).header("accept", "text/html").send().await {
        Ok(r) => r,
        Err(e) => return Ok(Check { subject, ok: false, detail: format!("request failed: {e}") }),
    };
    let status = response.status();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = response.text().await.unwrap_or_default();
    let branded = body.contains(PAGE_MARKER);
    let (ok, detail) = if status.is_success() || status.is_redirection() {
        (false, format!("answered {status}: it must fail to show the error page"))
    } else if !branded {
        (false, format!("answered {status} with a page that is not an edgepages page ({content_type})"))
    } else {
        (true, format!("answered {status} with the branded page"))
    };
    Ok(Check { subject, ok, detail })
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

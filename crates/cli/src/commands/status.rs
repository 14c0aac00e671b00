//! `edgepages status`: what the edge would show now from the site's status page (`[status]`): its
//! open incident, its scheduled maintenance, and whether that switches maintenance on. Reads the
//! live page (a short timeout, the same size cap as the edge) or a saved answer (`--from`).
//! Exits 3 when the page could not be read, as `verify` does for "could not check".

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use edgepages_core::config::{Maintenance as Switch, Maintenance, StatusSource, rfc3339};
use edgepages_core::status::{self, Phase, StatusNote, Summary, Unreadable};
use serde::Serialize;

use crate::cli::Global;
use crate::output::Output;
use crate::site_files::load_site;

/// How long the CLI waits for the status page: longer than the edge does, as a person waits.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Read this saved answer of the status page instead of fetching it.
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// Say what the edge would show at this time (RFC 3339, UTC) instead of now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<u64>,
}

fn parse_time(raw: &str) -> Result<u64, String> {
    match Maintenance::parse(raw)? {
        Maintenance::Until(at) => Ok(at),
        _ => Err(format!("{raw:?} is not a time; give one like 2026-12-02T18:00:00Z")),
    }
}

/// Why the status page gave nothing: it could not be fetched, or its answer was refused.
#[derive(Debug)]
pub enum NotRead {
    Fetch { url: String, why: String },
    Refused { place: String, reason: Unreadable },
}

impl std::fmt::Display for NotRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotRead::Fetch { url, why } => write!(f, "reading {url} failed: {why}"),
            NotRead::Refused { place, reason } => write!(f, "the answer from {place} was refused: {reason}"),
        }
    }
}

impl std::error::Error for NotRead {}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    let site = load_site(&global.config)?;
    let source = status_source(&site.config, &global.config)?;
    let now = args.at.unwrap_or_else(now_unix);
    let place = args.from.as_ref().map_or_else(|| source.json_url(), |p| p.display().to_string());
    out.progress(&format!("reading {place}"));
    match read(&source, args.from.as_deref()) {
        Ok(summary) => {
            let report = Report::new(&source, place, now, &summary);
            if out.json {
                out.json(&serde_json::to_value(&report)?)?;
            } else {
                report.show(out);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(not_read) => {
            if out.json {
                out.json(&serde_json::json!({
                    "source": place,
                    "provider": source.provider.as_str(),
                    "at": rfc3339(now),
                    "read": false,
                    "reason": not_read.to_string(),
                }))?;
            }
            out.error(
                &anyhow!(not_read).context("the status page could not be read"),
                Some("the edge shows its pages without a status while its page cannot be read"),
            );
            Ok(ExitCode::from(3))
        }
    }
}

/// `[status]`, or an error saying it is missing.
pub fn status_source(config: &edgepages_core::Config, path: &Path) -> Result<StatusSource> {
    config.status.clone().with_context(|| {
        format!("{} has no [status] section; it needs provider and url (see the guide's status page chapter, docs/src/status.md)", path.display())
    })
}

/// The status page's summary: from `from`, or fetched from the page.
pub fn read(source: &StatusSource, from: Option<&Path>) -> Result<Summary, NotRead> {
    let (place, body) = match from {
        Some(path) => {
            let body = std::fs::read(path)
                .map_err(|e| NotRead::Fetch { url: path.display().to_string(), why: e.to_string() })?;
            (path.display().to_string(), body)
        }
        None => (source.json_url(), fetch(&source.json_url())?),
    };
    status::parse(source.provider, &body, &source.components).map_err(|reason| NotRead::Refused { place, reason })
}

/// GETs `url`, reading at most one byte past the cap so that core can refuse a larger answer.
fn fetch(url: &str) -> Result<Vec<u8>, NotRead> {
    let fail = |why: String| NotRead::Fetch { url: url.to_owned(), why };
    let client = reqwest::blocking::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .redirect(redirect_policy())
        .user_agent(concat!("edgepages/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .map_err(|e| fail(edgepages_publish::aws::causes(&e)))?;
    if !response.status().is_success() {
        return Err(fail(format!("it answered {}", response.status())));
    }
    let cap = u64::try_from(status::MAX_BODY_BYTES).unwrap_or(u64::MAX) + 1;
    let mut body = Vec::new();
    response.take(cap).read_to_end(&mut body).map_err(|e| fail(e.to_string()))?;
    Ok(body)
}

/// Up to three redirects, each to an address `[status] url` could hold itself: a redirect
/// must not turn an https page into a plain-http one that anyone on the path could write.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > 3 {
            attempt.error("more than 3 redirects")
        } else if !edgepages_core::config::status_page_fetchable(attempt.url()) {
            let why = format!("redirected to {}, which is not https", attempt.url());
            attempt.error(why)
        } else {
            attempt.follow()
        }
    })
}

/// The end of the status page's maintenance for `--until status`: the one in progress at `now`,
/// else the next to start.
pub fn maintenance_end(summary: &Summary, now: u64) -> Result<u64> {
    let m = summary
        .maintenance_at(now)
        .context("the status page shows no scheduled maintenance in progress or to come for the site's components")?;
    m.ends_unix_s.with_context(|| format!("the status page's maintenance {:?} publishes no end", m.title))
}

/// What `edgepages status` says, printed once as text or JSON.
#[derive(Debug, Serialize)]
struct Report {
    source: String,
    provider: &'static str,
    /// The components chosen; empty is the whole page.
    components: Vec<String>,
    at: String,
    read: bool,
    incident: Option<status::IncidentNote>,
    maintenance: Option<MaintenanceView>,
    /// What the status page says of the maintenance switch: `on`, an end time, or nothing.
    switch: Option<String>,
    /// The problem+json extension members an answer would carry.
    problem_members: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Serialize)]
struct MaintenanceView {
    title: String,
    phase: Phase,
    in_progress: bool,
    starts: String,
    ends: Option<String>,
}

impl Report {
    fn new(source: &StatusSource, place: String, now: u64, summary: &Summary) -> Report {
        let note = StatusNote::at(summary, now);
        Report {
            source: place,
            provider: source.provider.as_str(),
            components: source.components.clone(),
            at: rfc3339(now),
            read: true,
            incident: note.incident.clone(),
            maintenance: summary.maintenance_at(now).map(|m| MaintenanceView {
                title: m.title.clone(),
                phase: m.phase,
                in_progress: m.in_progress_at(now),
                starts: rfc3339(m.starts_unix_s),
                ends: m.ends_unix_s.map(rfc3339),
            }),
            switch: summary.switch_at(now).map(|s| match s {
                Switch::Until(end) => rfc3339(end),
                other => other.to_string(),
            }),
            problem_members: note.problem_members(),
        }
    }

    fn show(&self, out: &Output) {
        out.result(&format!("status page ({}): {}", self.provider, self.source));
        let components = if self.components.is_empty() { "all".to_owned() } else { self.components.join(", ") };
        out.result(&format!("components: {components}"));
        out.result(&format!("at: {}", self.at));
        match &self.incident {
            Some(incident) => {
                out.result(&format!("incident: {} (impact {})", incident.title, incident.impact.as_str()));
                match (&incident.update, &incident.updated_at) {
                    (Some(update), Some(at)) => out.result(&format!("  latest update, {at}: {update}")),
                    _ => out.result("  no update text in this provider's summary"),
                }
            }
            None => out.result("incident: none"),
        }
        match &self.maintenance {
            Some(m) => {
                let when = match &m.ends {
                    Some(end) => format!("{} to {end}", m.starts),
                    None => format!("from {}, no end published", m.starts),
                };
                let state = if m.in_progress { "in progress" } else { "to come" };
                out.result(&format!("maintenance: {} ({state}, {when})", m.title));
            }
            None => out.result("maintenance: none"),
        }
        match &self.switch {
            Some(switch) => out.result(&format!(
                "the edge switches maintenance on ({switch}) unless its MAINTENANCE var or KV switch says otherwise"
            )),
            None => out.result("the edge's maintenance is as its var, KV switch and config say"),
        }
    }
}

fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

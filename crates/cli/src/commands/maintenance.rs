//! `edgepages maintenance on | off | status | page`: a maintenance page switched at the ALB
//! itself, as listener rules edgepages owns: planned, confirmed, re-checked before each write,
//! and removed exactly by `off`; or, with `--target cloudflare`, the worker's KV switch
//! (`maintenance_kv.rs`).

use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use edgepages_core::Site;
use edgepages_core::config::{AlbTarget, BYPASS_SECRET_ENV, Maintenance, check_bypass_secret, rfc3339};
use edgepages_publish::alb::Role;
use edgepages_publish::alb::aws::{Listener, RulesWritten};
use edgepages_publish::alb::desired::{BypassHeader, Wanted};
use edgepages_publish::alb::listener::FoundListener;
use edgepages_publish::alb::plan::{AlbPlan, plan_off, plan_on, status};
use edgepages_publish::session::apply::{Context, apply as session_apply};
use edgepages_publish::session::{Clients, Step};
use serde::Serialize;
use serde_json::json;

use super::maintenance_kv::{self, KvArgs};
use crate::aws_setup::{alb_clients, runtime};
use crate::cli::Global;
use crate::output::{BarProgress, Output};
use crate::plan_view::show_change;
use crate::site_files::load_site;
use crate::writing::{Run, confirm_and_apply};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    /// Where to switch: the ALB's listener rules ([alb]), or the Cloudflare worker's KV switch.
    #[arg(long, global = true, value_enum, default_value_t = Target::Alb)]
    target: Target,
    #[command(flatten)]
    kv: KvArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    Alb,
    Cloudflare,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Put the maintenance page up at the ALB (and the bypass for [alb] bypass_cidrs).
    On {
        /// When the site is expected back (RFC 3339, UTC, like 2026-12-02T18:00:00Z), or `status`
        /// for the end of the status page's scheduled maintenance ([status]): shown on the page;
        /// the ALB cannot end it by itself, so `status` reports it once overdue.
        #[arg(long, value_name = "RFC3339|status", value_parser = until_time)]
        until: Option<Until>,
        #[command(flatten)]
        apply: ApplyArgs,
    },
    /// Take edgepages' rules off the listener; nothing else on it changes.
    Off {
        #[command(flatten)]
        apply: ApplyArgs,
    },
    /// Whether the page is up, until when, and edgepages' rules.
    Status,
    /// Print the page the ALB would serve, to see it before switching it on.
    Page {
        /// The page's language; [locales] default when left out (the one the ALB serves).
        #[arg(long, value_name = "TAG")]
        locale: Option<String>,
        #[arg(long, value_name = "RFC3339|status", value_parser = until_time)]
        until: Option<Until>,
    },
}

#[derive(Debug, clap::Args)]
struct ApplyArgs {
    /// Apply without asking; required when stdin is not a terminal.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Show the plan and stop, without any write call.
    #[arg(long)]
    dry_run: bool,
}

/// `--until`: a time, or `status` for the end the status page publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Until {
    At(u64),
    Status,
}

fn until_time(raw: &str) -> Result<Until, String> {
    if raw.trim().eq_ignore_ascii_case("status") {
        return Ok(Until::Status);
    }
    match Maintenance::parse(raw)? {
        Maintenance::Until(end) => Ok(Until::At(end)),
        _ => Err(format!("{raw:?} is not a time or `status`; give one like 2026-12-02T18:00:00Z")),
    }
}

/// The end `--until` names: as given, or the end of the status page's maintenance in progress
/// (else the next one) for the site's components. `site` is the config at `config`, when it was
/// loaded already.
fn resolve_until(
    until: Option<Until>,
    site: Option<&Site>,
    config: &std::path::Path,
    out: &Output,
) -> Result<Option<u64>> {
    match until {
        None => Ok(None),
        Some(Until::At(end)) => Ok(Some(end)),
        Some(Until::Status) => {
            let loaded;
            let site = if let Some(site) = site {
                site
            } else {
                loaded = load_site(config)?;
                &loaded
            };
            let source = super::status::status_source(&site.config, config)?;
            out.progress(&format!("--until status: reading {}", source.json_url()));
            let summary =
                super::status::read(&source, None).context("--until status: the status page could not be read")?;
            let end = super::status::maintenance_end(&summary, now_unix()).context("--until status")?;
            out.progress(&format!("--until status: the maintenance ends {}", rfc3339(end)));
            Ok(Some(end))
        }
    }
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    if args.target == Target::Cloudflare {
        return at_cloudflare(args, global, out);
    }
    let site = load_site(&global.config)?;
    if let Action::Page { locale, until } = &args.action {
        let until = resolve_until(*until, Some(&site), &global.config, out)?;
        let locale = page_locale(&site, locale.as_deref())?;
        let page = edgepages_core::compact::render(&site, locale, until).context("rendering the page")?;
        out.result(&page);
        return Ok(ExitCode::SUCCESS);
    }
    let alb = site.config.alb.clone().with_context(|| {
        format!(
            "{} has no [alb] section; maintenance at the load balancer needs [alb] listener_arn",
            global.config.display()
        )
    })?;
    let until = match &args.action {
        Action::On { until, .. } => resolve_until(*until, Some(&site), &global.config, out)?,
        _ => None,
    };
    if let Some(end) = until
        && end <= now_unix()
    {
        bail!("--until {} is in the past", rfc3339(end));
    }
    runtime()?.block_on(async {
        let clients = alb_clients(&alb).await;
        out.progress(&format!("reading listener {}", alb.listener_arn));
        let found = clients.alb()?.read(&alb.listener_arn).await?;
        let (apply, switch, which) = match &args.action {
            Action::On { apply, .. } => {
                let wanted = wanted(&site, &alb, &found, until)?;
                (apply, Switch { plan: plan_on(&found, &wanted)?, until: wanted.until }, "on")
            }
            Action::Off { apply } => (apply, Switch { plan: plan_off(&found), until: None }, "off"),
            Action::Status => return show_status(out, &alb, &found),
            Action::Page { .. } => unreachable!("answered above"),
        };
        let listener = Listener::planned_from(&alb.listener_arn, &found, switch.until.as_deref());
        switch_at(out, &clients, listener, &switch.plan, apply, which).await
    })
}

/// Maintenance's plan for the listener, and the promised end its rule is tagged with.
struct Switch {
    plan: AlbPlan,
    until: Option<String>,
}

/// What `maintenance on` or `off` did, as printed: its plan, and what it wrote (null until it
/// writes).
#[derive(Debug, Serialize)]
struct SwitchReport<'a> {
    plan: &'a AlbPlan,
    applied: Option<&'a RulesWritten>,
}

/// The worker's KV switch: no config needed, as the worker carries its own (except for
/// `--until status`, which reads the config's [status]).
fn at_cloudflare(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    match &args.action {
        Action::On { until, apply } => {
            let until = resolve_until(*until, None, &global.config, out)?;
            if let Some(end) = until
                && end <= now_unix()
            {
                bail!("--until {} is in the past", rfc3339(end));
            }
            let value = until.map_or(Maintenance::On, Maintenance::Until);
            maintenance_kv::set(&args.kv, value, apply.dry_run, apply.yes, out)
        }
        Action::Off { apply } => maintenance_kv::set(&args.kv, Maintenance::Off, apply.dry_run, apply.yes, out),
        Action::Status => maintenance_kv::status(&args.kv, now_unix(), out),
        Action::Page { .. } => bail!(
            "`maintenance page` prints the ALB's compact page; the worker's maintenance page is the site's own              (`edgepages render`)"
        ),
    }
}

fn page_locale(site: &Site, tag: Option<&str>) -> Result<&'static edgepages_core::locale::Locale> {
    let tag = tag.unwrap_or(&site.config.locales.default);
    if !site.config.locales.available.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
        bail!("--locale {tag}: the site's locales are {}", site.config.locales.available.join(", "));
    }
    edgepages_core::locale::find(tag).with_context(|| format!("no bundled locale {tag}"))
}

fn wanted(site: &Site, alb: &AlbTarget, found: &FoundListener, until: Option<u64>) -> Result<Wanted> {
    let locale = page_locale(site, None)?;
    let page = edgepages_core::compact::render(site, locale, until).context("rendering the ALB's page")?;
    let limit = edgepages_core::compact::ALB_BODY_LIMIT;
    let chars = page.chars().count();
    if chars > limit {
        bail!(
            "the ALB's page is {chars} characters, over its limit of {limit}; `edgepages check` says which copy to shorten"
        );
    }
    Ok(Wanted {
        page,
        until: until.map(rfc3339),
        bypass_cidrs: alb.bypass_cidrs.clone(),
        bypass_header: bypass_header(alb, found, std::env::var(BYPASS_SECRET_ENV).ok())?,
    })
}

/// The header bypass: its secret from the environment, or, when that is unset, from the rule
/// already on the listener (so that `on` again needs no secret at hand).
fn bypass_header(alb: &AlbTarget, found: &FoundListener, from_env: Option<String>) -> Result<Option<BypassHeader>> {
    let Some(name) = &alb.bypass_header else { return Ok(None) };
    let secret = match from_env.filter(|s| !s.is_empty()) {
        Some(secret) => {
            check_bypass_secret(&secret).map_err(anyhow::Error::msg)?;
            secret
        }
        None => found
            .rules
            .iter()
            .filter(|r| r.role == Some(Role::BypassHeader))
            .flat_map(|r| &r.conditions)
            .find_map(|c| c.http_header_config.as_ref()?.values.as_ref()?.first().cloned())
            .with_context(|| {
                format!(
                    "[alb] bypass_header = {name:?} needs its secret value in {BYPASS_SECRET_ENV} (it is never kept in \
                     the config)"
                )
            })?,
    };
    Ok(Some(BypassHeader { name: name.clone(), secret }))
}

/// Shows `plan` for `listener`, then (unless `--dry-run`, or nothing to write) asks and writes.
async fn switch_at(
    out: &Output,
    clients: &Clients,
    listener: Listener,
    plan: &AlbPlan,
    apply: &ApplyArgs,
    which: &'static str,
) -> Result<ExitCode> {
    crate::confirm::refuse_json_prompt(out.json, apply.yes, apply.dry_run)?;
    if !out.json {
        show_plan(out, &listener.arn, plan);
    }
    if apply.dry_run || plan.steps.is_empty() {
        if out.json {
            out.json(&serde_json::to_value(SwitchReport { plan, applied: None })?)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let steps: Vec<Step> = plan.steps.iter().cloned().map(Step::Rule).collect();
    let context = Context { listener: Some(listener), ..Context::new(clients) };
    let question = format!("Make these {} writes?", plan.write_count());
    let run = Run::Maintenance { which };
    let progress = BarProgress::new(out);
    let written =
        confirm_and_apply(apply.yes, Some(&question), run, || session_apply(&steps, &context, &progress)).await?;
    if out.json {
        out.json(&serde_json::to_value(SwitchReport { plan, applied: Some(&written.rules) })?)?;
    } else {
        out.good(&format!("maintenance {which}:"), &written.rules.said());
    }
    Ok(ExitCode::SUCCESS)
}

/// The listener's plan for people: its changes, then what it cannot do and why.
fn show_plan(out: &Output, listener_arn: &str, plan: &AlbPlan) {
    out.result(&format!("listener {listener_arn}:"));
    for change in &plan.changes {
        show_change(out, change);
    }
    if !plan.ahead.is_empty() {
        out.warn(&format!(
            "these rules of the listener come before the maintenance rule, so their requests still reach the \
             site: {}",
            plan.ahead.join("; ")
        ));
    }
    for left_out in &plan.left_out {
        out.warn(&format!("left out: {left_out}; the page goes up without it"));
    }
    if !plan.held.is_empty() {
        out.warn(&format!(
            "these rules of the listener authenticate with OIDC, whose client secret the ALB never gives back, so \
             the bypass cannot copy them: bypassed requests they match get the maintenance page: {}",
            plan.held.join("; ")
        ));
    }
    crate::plan_view::show_write_count(out, plan.write_count());
}

fn show_status(out: &Output, alb: &AlbTarget, found: &FoundListener) -> Result<ExitCode> {
    let now = rfc3339(now_unix());
    let s = status(found, &now);
    if out.json {
        out.json(&json!({ "listener_arn": alb.listener_arn, "now": now, "status": s }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let state = if s.on { "ON" } else { "off" };
    let until = s.until.as_deref().map_or_else(String::new, |u| format!(", until {u}"));
    out.result(&format!("maintenance is {state} at listener {}{until}", alb.listener_arn));
    if s.overdue {
        out.warn(&format!(
            "its end ({}) has passed and the page is still up: the ALB cannot end it by itself; run `edgepages \
             maintenance off`",
            s.until.as_deref().unwrap_or_default()
        ));
    }
    for (role, priority, arn) in &s.rules {
        out.result(&format!("    {} rule, priority {priority}: {arn}", role.as_str()));
    }
    Ok(ExitCode::SUCCESS)
}

fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

//! `edgepages maintenance on | off | status | page`: a maintenance page switched at the ALB
//! itself, as listener rules edgepages owns: planned, confirmed, re-checked before each write,
//! and removed exactly by `off`; or, with `--target cloudflare`, the worker's KV switch
//! (`maintenance_kv.rs`).

use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use edgepages_core::Site;
use edgepages_core::config::{AlbTarget, BYPASS_SECRET_ENV, Maintenance, check_bypass_secret, rfc3339};
use edgepages_publish::alb::Role;
use edgepages_publish::alb::aws::{AlbApplied, AlbAws};
use edgepages_publish::alb::desired::{BypassHeader, Wanted};
use edgepages_publish::alb::plan::{AlbPlan, Found, Step, plan_off, plan_on, status};
use serde_json::json;

use super::maintenance_kv::{self, KvArgs};
use crate::aws_setup::{alb_client, runtime};
use crate::cli::Global;
use crate::output::Output;
use crate::plan_view::show_change;
use crate::site_files::load_site;

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
/// (else the next one) for the site's components.
fn resolve_until(until: Option<Until>, config: &std::path::Path, out: &Output) -> Result<Option<u64>> {
    match until {
        None => Ok(None),
        Some(Until::At(end)) => Ok(Some(end)),
        Some(Until::Status) => {
            let site = load_site(config)?;
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
        let until = resolve_until(*until, &global.config, out)?;
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
        Action::On { until, .. } => resolve_until(*until, &global.config, out)?,
        _ => None,
    };
    if let Some(end) = until
        && end <= now_unix()
    {
        bail!("--until {} is in the past", rfc3339(end));
    }
    runtime()?.block_on(async {
        let aws = alb_client(&alb).await;
        out.progress(&format!("reading listener {}", alb.listener_arn));
        let found = aws.read(&alb.listener_arn).await?;
        match &args.action {
            Action::On { apply, .. } => {
                let wanted = wanted(&site, &alb, &found, until)?;
                let plan = plan_on(&found, &wanted)?;
                carry_out(out, &aws, &alb, &found, &plan, &wanted, apply, "on").await
            }
            Action::Off { apply } => {
                let wanted = Wanted { page: String::new(), until: None, bypass_cidrs: Vec::new(), bypass_header: None };
                let plan = plan_off(&found);
                carry_out(out, &aws, &alb, &found, &plan, &wanted, apply, "off").await
            }
            Action::Status => show_status(out, &alb, &found),
            Action::Page { .. } => unreachable!("answered above"),
        }
    })
}

/// The worker's KV switch: no config needed, as the worker carries its own (except for
/// `--until status`, which reads the config's [status]).
fn at_cloudflare(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    match &args.action {
        Action::On { until, apply } => {
            let until = resolve_until(*until, &global.config, out)?;
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

fn wanted(site: &Site, alb: &AlbTarget, found: &Found, until: Option<u64>) -> Result<Wanted> {
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
fn bypass_header(alb: &AlbTarget, found: &Found, from_env: Option<String>) -> Result<Option<BypassHeader>> {
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

#[allow(clippy::too_many_arguments, reason = "one call site per action; a struct would only rename them")]
async fn carry_out(
    out: &Output,
    aws: &AlbAws,
    alb: &AlbTarget,
    found: &Found,
    plan: &AlbPlan,
    wanted: &Wanted,
    apply: &ApplyArgs,
    which: &str,
) -> Result<ExitCode> {
    crate::confirm::refuse_json_prompt(out.json, apply.yes, apply.dry_run)?;
    if !out.json {
        out.result(&format!("listener {}:", alb.listener_arn));
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
        if plan.steps.is_empty() {
            out.good("up to date:", "nothing to write");
        } else {
            out.result(&format!("{} write calls", plan.write_count()));
        }
    }
    if apply.dry_run || plan.steps.is_empty() {
        if out.json {
            out.json(&json!({ "plan": plan, "applied": null }))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    crate::confirm::ask(apply.yes, &format!("Make these {} writes?", plan.write_count()))?;
    let mut done = AlbApplied::default();
    if let Err(e) = aws.apply(&alb.listener_arn, found, plan, wanted, &mut done).await {
        return Err(anyhow::Error::new(e)
            .context(format!("maintenance {which} stopped; done before the failure: {}", said(&done))));
    }
    if out.json {
        out.json(&json!({ "plan": plan, "applied": done }))?;
    } else {
        out.good(&format!("maintenance {which}:"), &said(&done));
    }
    Ok(ExitCode::SUCCESS)
}

fn said(done: &AlbApplied) -> String {
    if done.done.is_empty() {
        return "nothing".to_owned();
    }
    let mut created = done.created.iter();
    done.done
        .iter()
        .map(|step| match step {
            Step::Create { role, priority, .. } => format!(
                "{} rule added at priority {priority} ({})",
                role.as_str(),
                created.next().map_or("?", String::as_str)
            ),
            Step::Modify { role, arn, .. } => format!("{} rule {arn} changed", role.as_str()),
            Step::Delete { role, arn } => format!("{} rule {arn} removed", role.as_str()),
            Step::Move { moves } => format!("{} of edgepages' rules moved after the maintenance rule", moves.len()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn show_status(out: &Output, alb: &AlbTarget, found: &Found) -> Result<ExitCode> {
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

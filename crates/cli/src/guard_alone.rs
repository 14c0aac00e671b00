//! The guard of a site with no CloudFront in front: `[alb] canonical_host` without `[s3]` or
//! `[cloudfront]`. Its visitors reach the ALB by the canonical host's own DNS record, so the
//! guard is the redirect alone (no origin header, no copies). `plan`, `publish` and `verify`
//! come here for such a config.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use edgepages_core::config::AlbTarget;
use edgepages_publish::alb::aws::{AlbApplied, AlbAws};
use edgepages_publish::alb::guard::{GuardWanted, plan_guard};
use edgepages_publish::alb::guard_verify;
use edgepages_publish::alb::plan::Found;
use edgepages_publish::verify::Check;
use serde_json::json;

use crate::aws_setup::alb_client;
use crate::guard::PlannedGuard;
use crate::output::Output;
use crate::site_files::load_site;

/// The config's `[alb]` when it asks for the guard of a site without CloudFront.
pub fn alb_only(config: &Path) -> Result<Option<AlbTarget>> {
    let site = load_site(config)?;
    let c = &site.config;
    Ok(c.alb.clone().filter(|a| a.canonical_host.is_some() && c.s3.is_none() && c.cloudfront.is_none()))
}

fn wanted(alb: &AlbTarget, alb_dns: String) -> Result<GuardWanted> {
    let canonical_host = alb.canonical_host.clone().context("[alb] canonical_host was checked")?;
    if canonical_host.eq_ignore_ascii_case(&alb_dns) {
        anyhow::bail!(
            "[alb] canonical_host is the ALB's own DNS name ({alb_dns}); give the host name visitors use, such as \
             www.example.com"
        );
    }
    Ok(GuardWanted { alb_dns, canonical_host, secret: None, redirect: true })
}

async fn read_and_plan(alb: &AlbTarget) -> Result<(PlannedGuard, GuardWanted)> {
    let aws: AlbAws = alb_client(alb).await;
    let found: Found = aws.read(&alb.listener_arn).await?;
    let wanted = wanted(alb, aws.dns_name(&alb.listener_arn, &found).await?)?;
    let plan =
        plan_guard(&found, Some(&wanted)).with_context(|| format!("planning the guard on {}", alb.listener_arn))?;
    Ok((PlannedGuard { listener_arn: alb.listener_arn.clone(), aws, found, plan }, wanted))
}

/// `plan` and `publish` (`dry_run` for `plan` and `--dry-run`).
pub async fn publish(alb: &AlbTarget, dry_run: bool, yes: bool, out: &Output) -> Result<ExitCode> {
    let (g, wanted) = read_and_plan(alb).await?;
    let writes = g.plan.write_count();
    if !out.json {
        out.result(&format!("plan for the ALB guard of {} (no CloudFront in front)", wanted.canonical_host));
        out.result("");
        crate::plan_view::show_guard(out, &g);
        out.result("");
        if writes == 0 {
            out.good("up to date:", "nothing to write");
        } else {
            out.result(&format!("{writes} write calls"));
        }
    }
    if dry_run {
        if out.json {
            out.json(&json!({ "guard": crate::plan_view::guard_json(&g) }))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut done = AlbApplied::default();
    if writes > 0 {
        crate::confirm::ask(yes, &format!("Make these {writes} writes?"))?;
        g.aws.apply_guard(&g.listener_arn, &g.found, &g.plan, &mut done).await.map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "publish stopped at the ALB guard's rules after {} of {writes} rule writes",
                done.done.len()
            ))
        })?;
    }
    let checks = checks(alb).await?;
    let ok = checks.iter().all(|c| c.ok);
    if out.json {
        out.json(&json!({
            "guard": crate::plan_view::guard_json(&g),
            "guard_applied": done,
            "verify": { "ok": ok, "checks": checks },
        }))?;
    } else {
        if writes > 0 {
            out.good("published", &format!("ALB guard: {} rule writes", done.done.len()));
        }
        crate::commands::verify::show(out, &checks);
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `verify`: the redirect is there and current, and a visitor of the canonical host is never
/// sent back to it.
pub async fn checks(alb: &AlbTarget) -> Result<Vec<Check>> {
    let (g, wanted) = read_and_plan(alb).await?;
    Ok(guard_verify::alone(&g.found, &g.plan, &wanted))
}

//! `edgepages publish`: reads and plans a publish session, shows the plan, asks, has the
//! session carry it out (the function, the variant, the guard, the pages, then the distribution
//! with `If-Match` and its rollback record), waits if asked, verifies, and prints one report.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use edgepages_core::Site;
use edgepages_publish::alb::aws::RulesWritten;
use edgepages_publish::function::aws::FunctionWritten;
use edgepages_publish::pages::PagesWritten;
use edgepages_publish::session::guard::GuardAlone;
use edgepages_publish::session::{Clients, GuardPart, Session, Targets, Written};
use edgepages_publish::variant::aws::VariantWritten;
use edgepages_publish::verify::{Check, Verdict};
use serde::Serialize;

use crate::aws_setup::{FunctionCode, alb_clients, alb_only, runtime, setup};
use crate::checks_view::exit_code;
use crate::cli::Global;
use crate::deploy_wait::{WaitArgs, seconds, until_deployed};
use crate::output::{BarProgress, Output};
use crate::site_files::load_site;
use crate::writing::{Run, confirm_and_apply, now_rfc3339};
use crate::{checks_view, plan_view};

#[derive(Debug, clap::Args)]
#[allow(clippy::struct_excessive_bools, reason = "each is a command-line switch")]
pub struct Args {
    /// Apply without asking; required when stdin is not a terminal.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Show the plan and stop, without any write call.
    #[arg(long)]
    dry_run: bool,
    /// Publish despite traps: a 403/404 → 200 rewrite on the distribution, an error TTL over
    /// 60 s, or error codes without a page of their own.
    #[arg(long)]
    force: bool,
    /// Skip the verification after publishing.
    #[arg(long)]
    no_verify: bool,
    /// Upload the pages only, for a distribution managed as code (`edgepages export`): no
    /// change to the distribution, the OAC, the bucket policy or any function.
    #[arg(long, conflicts_with = "lambda_zip")]
    pages_only: bool,
    #[command(flatten)]
    wait: WaitArgs,
    #[command(flatten)]
    function: FunctionArgs,
}

/// How `plan` and `publish` get the Lambda@Edge function's code.
#[derive(Debug, clap::Args)]
pub struct FunctionArgs {
    /// The Lambda@Edge function's zip, made by `edgepages lambda-edge package`; without it, the
    /// function is packaged for this config first (when [cloudfront.lambda_edge] is enabled).
    #[arg(long, value_name = "FILE.zip")]
    lambda_zip: Option<PathBuf>,
}

impl FunctionArgs {
    pub fn code(&self) -> FunctionCode<'_> {
        self.lambda_zip.as_deref().map_or(FunctionCode::Package, FunctionCode::Zip)
    }
}

/// What a publish did, as printed: the plan, what each part wrote, the wait, and the checks.
#[derive(Debug, Serialize)]
struct PublishReport<'a> {
    plan: &'a Session,
    guard_applied: Option<&'a RulesWritten>,
    applied: &'a PagesWritten,
    function_applied: Option<&'a FunctionWritten>,
    variant_applied: Option<&'a VariantWritten>,
    deployed_after_s: Option<u64>,
    verify: Verified<'a>,
}

/// The checks a publish ends with (none with `--no-verify`).
#[derive(Debug, Serialize)]
pub struct Verified<'a> {
    ok: bool,
    checks: &'a [Check],
}

impl<'a> Verified<'a> {
    pub fn of(checks: &'a [Check]) -> Verified<'a> {
        Verified { ok: checks.iter().all(|c| c.ok), checks }
    }
}

/// What `publish --pages-only` did, as printed.
#[derive(Debug, Serialize)]
struct PagesOnlyReport<'a> {
    applied: &'a PagesWritten,
    verify: Verified<'a>,
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    crate::confirm::refuse_json_prompt(out.json, args.yes, args.dry_run)?;
    let site = load_site(&global.config)?;
    runtime()?.block_on(async {
        if let Some(alb) = alb_only(&site) {
            let clients = alb_clients(alb).await;
            let host = alb.canonical_host.as_deref().unwrap_or_default();
            let g = GuardAlone::read(&alb.listener_arn, host, &clients).await?;
            return guard_alone(&g, &clients, args.dry_run, args.yes, global, out).await;
        }
        Box::pin(publish(&site, args, global, out)).await
    })
}

/// The session read and planned, shown, and (unless `--dry-run`) carried out.
async fn publish(site: &Site, args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    let code = if args.pages_only { FunctionCode::None } else { args.function.code() };
    let (targets, clients) = setup(site, &global.config, code, out).await?;
    let progress = BarProgress::new(out);
    let session = if args.pages_only {
        Session::read_pages_only(&targets, &clients, &progress).await?
    } else {
        Session::read(&targets, &clients, &progress).await?
    };
    if !out.json {
        plan_view::show(out, &session);
    } else if args.dry_run {
        out.json(&serde_json::to_value(&session)?)?;
    }
    if !session.pages_only && !session.traps().is_empty() && !args.force {
        bail!(
            "refusing to publish: {}\n(--force publishes anyway)",
            session.traps().iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        );
    }
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let writes = session.write_count();
    let run = if session.pages_only {
        Run::PagesOnly
    } else {
        let guard_writes = session.guard.as_ref().map_or(0, |g| g.plan.write_count());
        Run::Publish { planned_uploads: session.pages.uploads.len(), guard_writes, config: &global.config }
    };
    let question = format!("Make these {writes} writes?");
    let apply = || async { session.apply(&clients, &now_rfc3339(), &progress).await };
    let written = confirm_and_apply(args.yes, (writes > 0).then_some(question.as_str()), run, apply).await?;
    let deployed_after = if args.wait.wait && !session.pages_only {
        let waited = until_deployed(clients.aws()?, &session.desired.distribution_id, args.wait.wait_timeout, out)
            .await
            .context(if session.pages.is_empty() { "nothing was written" } else { "the publish is complete" })?;
        Some(waited)
    } else {
        None
    };
    let checks = match verify_after(&targets, &clients, args).await {
        Ok(checks) => checks,
        Err(err) => return Ok(could_not_verify(&err, global, out)),
    };
    report(out, &session, &written, deployed_after, &checks)?;
    Ok(exit_code(Verdict::of(&checks)))
}

/// What a publish ends with: verify's checks, none with `--no-verify`.
async fn verify_after(targets: &Targets, clients: &Clients, args: &Args) -> Result<Vec<Check>> {
    if args.no_verify {
        return Ok(Vec::new());
    }
    Ok(edgepages_publish::session::verify::checks(targets, clients).await?)
}

/// The publish is made, but its verification could not read what it checks: nothing was
/// judged, so the exit code is not a mismatch's.
fn could_not_verify(err: &anyhow::Error, global: &Global, out: &Output) -> ExitCode {
    out.error(err, crate::advice::advice(err, &global.config).as_deref());
    exit_code(Verdict::CouldNotCheck)
}

/// Prints what the publish did: JSON, or a line per part that wrote, then the checks.
fn report(
    out: &Output,
    session: &Session,
    written: &Written,
    deployed_after: Option<std::time::Duration>,
    checks: &[Check],
) -> Result<()> {
    if session.pages_only {
        if out.json {
            return out.json(&serde_json::to_value(PagesOnlyReport {
                applied: &written.pages,
                verify: Verified::of(checks),
            })?);
        }
        let uploaded = written.pages.uploaded.len();
        out.good("published", &format!("{uploaded} pages uploaded; the distribution was left as it is"));
        checks_view::show(out, checks);
        return Ok(());
    }
    if out.json {
        let report = PublishReport {
            plan: session,
            guard_applied: session.guard.as_ref().map(|_| &written.rules),
            applied: &written.pages,
            function_applied: session.function.as_ref().map(|_| &written.function),
            variant_applied: session.wiring.variant.as_ref().map(|_| &written.variant),
            deployed_after_s: deployed_after.map(|d| d.as_secs()),
            verify: Verified::of(checks),
        };
        return out.json(&serde_json::to_value(report)?);
    }
    show_published(out, session, written);
    if let Some(waited) = deployed_after {
        let id = &session.desired.distribution_id;
        out.good("deployed", &format!("distribution {id} (waited {})", seconds(waited)));
    }
    checks_view::show(out, checks);
    Ok(())
}

/// A line for each part that had writes to make.
fn show_published(out: &Output, session: &Session, written: &Written) {
    let writes = |n: Option<usize>| n.unwrap_or(0) > 0;
    let lines = [
        writes(session.function.as_ref().map(|f| f.plan.write_count()))
            .then(|| format!("function {}", written.function.said())),
        writes(session.guard.as_ref().map(|g| g.plan.write_count()))
            .then(|| format!("ALB guard: {} rule writes", written.rules.done.len())),
        writes(session.wiring.variant.as_ref().map(|v| v.plan.write_count()))
            .then(|| format!("variant: {}", written.variant.done.join(", "))),
        (!session.pages.is_empty()).then(|| {
            let etag = written.pages.distribution_etag.as_ref();
            let distribution = etag.map_or_else(String::new, |e| format!(", distribution updated (ETag {e})"));
            format!("{} pages uploaded{distribution}", written.pages.uploaded.len())
        }),
    ];
    for line in lines.iter().flatten() {
        out.good("published", line);
    }
}

/// What the guard of a site without CloudFront did, as printed.
#[derive(Debug, Serialize)]
struct GuardAloneReport<'a> {
    guard: &'a GuardPart,
    #[serde(skip_serializing_if = "Option::is_none")]
    guard_applied: Option<&'a RulesWritten>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verify: Option<Verified<'a>>,
}

/// `plan` and `publish` of the guard of a site without CloudFront (`dry_run` for `plan` and
/// `--dry-run`).
pub async fn guard_alone(
    g: &GuardAlone,
    clients: &Clients,
    dry_run: bool,
    yes: bool,
    global: &Global,
    out: &Output,
) -> Result<ExitCode> {
    let writes = g.part.plan.write_count();
    if !out.json {
        out.result(&format!("plan for the ALB guard of {} (no CloudFront in front)", g.wanted.canonical_host));
        out.result("");
        plan_view::show_guard(out, &g.part);
        out.result("");
        plan_view::show_write_count(out, writes);
    }
    if dry_run {
        if out.json {
            out.json(&serde_json::to_value(GuardAloneReport { guard: &g.part, guard_applied: None, verify: None })?)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let question = format!("Make these {writes} writes?");
    let progress = BarProgress::new(out);
    let apply = || g.apply(clients, &progress);
    let written =
        confirm_and_apply(yes, (writes > 0).then_some(question.as_str()), Run::GuardAlone { writes }, apply).await?;
    // Read again: what was just written is what is checked. A read that fails judges nothing.
    let after = match GuardAlone::read(&g.part.listener_arn, &g.wanted.canonical_host, clients).await {
        Ok(after) => after,
        Err(err) => {
            let done = written.rules.done.len();
            let err = anyhow::Error::from(err).context(format!(
                "the ALB guard is published ({done} rule writes), but reading it back to verify it failed"
            ));
            return Ok(could_not_verify(&err, global, out));
        }
    };
    let checks = after.checks();
    if out.json {
        let report = GuardAloneReport {
            guard: &g.part,
            guard_applied: Some(&written.rules),
            verify: Some(Verified::of(&checks)),
        };
        out.json(&serde_json::to_value(report)?)?;
    } else {
        if writes > 0 {
            out.good("published", &format!("ALB guard: {} rule writes", written.rules.done.len()));
        }
        checks_view::show(out, &checks);
    }
    Ok(exit_code(Verdict::of(&checks)))
}

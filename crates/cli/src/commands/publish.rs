//! `edgepages publish`: render, read, plan, confirm, upload the changed pages, then update the
//! distribution with `If-Match`, save the rollback record, and verify.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use edgepages_publish::alb::aws::AlbApplied;
use edgepages_publish::apply::{Applied, ApplyError, Progress, apply};
use edgepages_publish::association::EdgeFunction;
use edgepages_publish::function::aws::FunctionApplied;
use edgepages_publish::function::plan::{Found, FunctionPlan, Step};
use edgepages_publish::function::planned_version_arn;
use edgepages_publish::variant::VariantEdit;
use edgepages_publish::variant::aws::VariantApplied;
use edgepages_publish::verify::Check;
use edgepages_publish::{Current, Plan, RollbackRecord, plan};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::aws_setup::{FunctionCode, FunctionTarget, Target, function_target, runtime, target};
use crate::cli::Global;
use crate::deploy_wait::{WaitArgs, seconds, until_deployed};
use crate::guard::PlannedGuard;
use crate::output::Output;
use crate::plan_view;

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

/// The Lambda@Edge function's part of a plan.
#[derive(Debug)]
pub struct PlannedFunction {
    pub target: FunctionTarget,
    pub found: Found,
    pub plan: FunctionPlan,
}

/// Reads the current state and plans against it; read calls only. Sets what `t`'s desired
/// state associates of the function, which only reading it tells.
pub async fn read_and_plan(
    t: &mut Target,
    function: &FunctionArgs,
    config: &Path,
    out: &Output,
) -> Result<(Current, Plan, Option<PlannedFunction>, Option<PlannedGuard>)> {
    let code = function.lambda_zip.as_deref().map_or(FunctionCode::Package, FunctionCode::Zip);
    let function = match function_target(t, config, code, out).await? {
        Some(target) => {
            out.progress(&format!("reading function {} in us-east-1", target.spec.name));
            let found = target.aws.read(&target.spec).await?;
            let plan = edgepages_publish::function::plan::plan(&target.spec, &found)?;
            Some(PlannedFunction { target, found, plan })
        }
        None => None,
    };
    t.desired.edge_function = t.cloudfront.configured_function_name().map(|name| EdgeFunction {
        version_arn: function.as_ref().map(|f| planned_version_arn(&f.target.spec, &f.found, &f.plan)),
        name,
    });
    let d = &t.desired;
    out.progress(&format!("reading s3://{}/{}/ and distribution {}", d.bucket, d.prefix, d.distribution_id));
    let current = t.aws.read_current(d).await?;
    t.desired.variant = match &t.variant {
        Some(spec) => {
            out.progress("reading the variant functions and the behaviors' cache policies");
            let found = t.aws.read_variant(spec, &current.distribution).await?;
            let plan = edgepages_publish::variant::plan::plan(spec, &current.distribution, &found)?;
            let names = plan.names(spec, &found);
            Some(VariantEdit { spec: spec.clone(), plan, names })
        }
        None => None,
    };
    let guard = crate::guard::plan(t, &current.distribution).await?;
    let plan = plan(&t.desired, &current)?;
    Ok((current, plan, function, guard))
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    crate::confirm::refuse_json_prompt(out.json, args.yes, args.dry_run)?;
    runtime()?.block_on(async {
        if let Some(alb) = crate::guard_alone::alb_only(&global.config)? {
            return crate::guard_alone::publish(&alb, args.dry_run, args.yes, out).await;
        }
        let mut t = target(&global.config).await?;
        if args.pages_only {
            return pages_only(&t, args, out).await;
        }
        let (current, plan, function, guard) = read_and_plan(&mut t, &args.function, &global.config, out).await?;
        if !out.json || args.dry_run {
            plan_view::show(out, &t.desired, &current, &plan, function.as_ref(), guard.as_ref())?;
        }
        if !plan.traps.is_empty() && !args.force {
            bail!(
                "refusing to publish: {}\n(--force publishes anyway)",
                plan.traps.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
            );
        }
        if args.dry_run {
            return Ok(ExitCode::SUCCESS);
        }
        let function_writes = function.as_ref().map_or(0, |f| f.plan.write_count());
        let guard_writes = guard.as_ref().map_or(0, |g| g.plan.write_count());
        let variant_writes = t.desired.variant.as_ref().map_or(0, |v| v.plan.write_count());
        let writes = plan.write_count() + function_writes + guard_writes + variant_writes;
        if writes > 0 {
            crate::confirm::ask(args.yes, &format!("Make these {writes} writes?"))?;
        }
        let progress = BarProgress::new(out);
        let function_applied = apply_function(&mut t, function.as_ref(), &progress).await?;
        let variant_applied = apply_variant(&mut t, &progress).await?;
        let guard_applied = apply_guard(guard.as_ref()).await?;
        let applied = if plan.is_empty() {
            Applied::default()
        } else {
            let published_at = now_rfc3339();
            apply(&t.aws, &t.desired, &current, &plan, &published_at, &progress)
                .await
                .map_err(|e| explain(e, plan.uploads.len(), &global.config))?
        };
        let deployed_after = if args.wait.wait {
            let waited = until_deployed(&t.aws, &t.desired.distribution_id, args.wait.wait_timeout, out)
                .await
                .context(if plan.is_empty() { "nothing was written" } else { "the publish is complete" })?;
            Some(waited)
        } else {
            None
        };
        let (checks, ok) = verify_after(&t, args).await?;
        if out.json {
            out.json(&json!({
                "plan": plan_view::to_json(&t.desired, &current, &plan, function.as_ref(), guard.as_ref()),
                "guard_applied": guard.as_ref().map(|_| &guard_applied),
                "applied": applied,
                "function_applied": function.as_ref().map(|_| &function_applied),
                "variant_applied": t.desired.variant.as_ref().map(|_| &variant_applied),
                "deployed_after_s": deployed_after.map(|d| d.as_secs()),
                "verify": { "ok": ok, "checks": checks },
            }))?;
        } else {
            let published = [
                (function_writes > 0).then(|| format!("function {}", function_done(&function_applied))),
                (guard_writes > 0).then(|| format!("ALB guard: {} rule writes", guard_applied.done.len())),
                (variant_writes > 0).then(|| format!("variant: {}", variant_applied.done.join(", "))),
                (!plan.is_empty()).then(|| {
                    let etag = applied.distribution_etag.as_ref();
                    let distribution = etag.map_or_else(String::new, |e| format!(", distribution updated (ETag {e})"));
                    format!("{} pages uploaded{distribution}", applied.uploaded.len())
                }),
            ];
            for line in published.iter().flatten() {
                out.good("published", line);
            }
            if let Some(waited) = deployed_after {
                out.good(
                    "deployed",
                    &format!("distribution {} (waited {})", t.desired.distribution_id, seconds(waited)),
                );
            }
            super::verify::show(out, &checks);
        }
        Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
    })
}

/// `publish --pages-only`: the plan's uploads, then the same verification.
async fn pages_only(t: &Target, args: &Args, out: &Output) -> Result<ExitCode> {
    let d = &t.desired;
    out.progress(&format!("reading s3://{}/{}/ and distribution {}", d.bucket, d.prefix, d.distribution_id));
    let current = t.aws.read_current(d).await?;
    let plan = plan(d, &current)?.pages_only();
    if !out.json || args.dry_run {
        plan_view::show(out, d, &current, &plan, None, None)?;
    }
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    if !plan.is_empty() {
        crate::confirm::ask(args.yes, &format!("Make these {} writes?", plan.write_count()))?;
    }
    let progress = BarProgress::new(out);
    let applied = apply(&t.aws, d, &current, &plan, &now_rfc3339(), &progress)
        .await
        .map_err(|e| anyhow::Error::new(e).context("uploading the pages"))?;
    let (checks, ok) = verify_after(t, args).await?;
    if out.json {
        out.json(&json!({ "applied": applied, "verify": { "ok": ok, "checks": checks } }))?;
    } else {
        out.good(
            "published",
            &format!("{} pages uploaded; the distribution was left as it is", applied.uploaded.len()),
        );
        super::verify::show(out, &checks);
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// What a publish ends with: verify's checks (none with `--no-verify`), and whether all passed.
async fn verify_after(t: &Target, args: &Args) -> Result<(Vec<Check>, bool)> {
    let checks = if args.no_verify { Vec::new() } else { super::verify::checks(t, None).await? };
    let ok = checks.iter().all(|c| c.ok);
    Ok((checks, ok))
}

/// The Lambda@Edge function first: it does nothing until a distribution uses it. Then the
/// version Lambda just numbered goes in place of the plan's placeholder.
async fn apply_function(
    t: &mut Target,
    function: Option<&PlannedFunction>,
    progress: &BarProgress<'_>,
) -> Result<FunctionApplied> {
    let mut applied = FunctionApplied::default();
    let Some(f) = function else { return Ok(applied) };
    if f.plan.write_count() > 0 {
        f.target.aws.apply(&f.target.spec, &f.found, &f.plan, progress, &mut applied).await.map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "publish stopped at the Lambda@Edge function; done before the failure: {}; neither the pages nor \
                 the distribution were touched",
                function_done(&applied)
            ))
        })?;
    }
    if let Some(edge) = t.desired.edge_function.as_mut() {
        edge.version_arn = Some(
            applied
                .published_version
                .clone()
                .or_else(|| f.plan.current_version.as_ref().map(|v| v.arn.clone()))
                .context("the function has no version to associate")?,
        );
    }
    Ok(applied)
}

/// The variant functions and policy copies, after the Lambda@Edge function and before the
/// distribution: they do nothing until the distribution names them, which it then does by the
/// names CloudFront gave.
async fn apply_variant(t: &mut Target, progress: &BarProgress<'_>) -> Result<VariantApplied> {
    let mut applied = VariantApplied::default();
    let Some(v) = t.desired.variant.as_mut().filter(|v| v.plan.write_count() > 0) else { return Ok(applied) };
    t.aws.apply_variant(&v.plan, progress, &mut applied).await.map_err(|e| {
        let done = if applied.done.is_empty() { "nothing".to_owned() } else { applied.done.join(", ") };
        anyhow::Error::new(e).context(format!(
            "publish stopped at the variant functions and cache policies; done before the failure: {done}; the \
             distribution was not touched"
        ))
    })?;
    applied.fill(&mut v.names);
    Ok(applied)
}

/// The guard's rules, before the distribution: when they go in, the copies and the pass rule
/// are there before CloudFront sends the header (the redirect waits for a later publish); when
/// they go, the redirect is gone before the header is.
async fn apply_guard(guard: Option<&PlannedGuard>) -> Result<AlbApplied> {
    let mut done = AlbApplied::default();
    if let Some(g) = guard.filter(|g| g.plan.write_count() > 0) {
        g.aws.apply_guard(&g.listener_arn, &g.found, &g.plan, &mut done).await.map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "publish stopped at the ALB guard's rules after {} of {} rule writes; neither the pages nor the \
                 distribution were touched",
                done.done.len(),
                g.plan.write_count()
            ))
        })?;
    }
    Ok(done)
}

/// What was written of the function, in words.
fn function_done(done: &FunctionApplied) -> String {
    let said: Vec<String> = done
        .done
        .iter()
        .map(|step| match step {
            Step::CreateRole => format!("role {} created", done.created_role.as_deref().unwrap_or("?")),
            Step::PutLoggingPolicy => "the role's logging policy put".to_owned(),
            Step::CreateFunction => "function created".to_owned(),
            Step::UpdateCode => "code updated".to_owned(),
            Step::UpdateSetup => "settings updated".to_owned(),
            Step::PublishVersion => format!("version {} published", done.published_version.as_deref().unwrap_or("?")),
        })
        .collect();
    if said.is_empty() { "nothing".to_owned() } else { said.join(", ") }
}

/// Now, as RFC 3339 in UTC to the millisecond: the time a publish's record carries, which also
/// orders the records.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

/// Says what a failed apply had written, and what it had not. A rollback record that S3 did
/// not take is written beside the config, since no other copy of it exists.
fn explain(e: ApplyError, planned_uploads: usize, config: &Path) -> anyhow::Error {
    let w = &e.written;
    let mut done = vec![format!("{} of {planned_uploads} page uploads", w.uploaded.len())];
    if let Some(id) = &w.created_oac {
        done.push(format!("origin access control {id} created"));
    }
    if w.wrote_bucket_policy {
        done.push("bucket policy written".into());
    }
    let distribution = if e.distribution_changed {
        let kept = match &e.unsaved_record {
            Some(record) => match keep_locally(record, config) {
                Ok(path) => format!(
                    "; it is kept in {path} instead: `edgepages rollback --from-file {path}` undoes this publish, \
                     and plain `edgepages rollback` would NOT (it would undo an older one)",
                    path = path.display()
                ),
                Err(why) => format!(
                    "; it could not be kept locally either ({why}); a rollback cannot undo this publish, \
                     so note the distribution's settings now"
                ),
            },
            None => String::new(),
        };
        format!(
            "the distribution WAS updated (ETag {}) but its rollback record was NOT saved to S3{kept}",
            w.distribution_etag.as_deref().unwrap_or("?")
        )
    } else {
        "the distribution was not changed".to_owned()
    };
    let uploaded = if w.uploaded.is_empty() { "none".to_owned() } else { w.uploaded.join(", ") };
    let summary =
        format!("publish stopped; done before the failure: {}; {distribution}; uploaded: {uploaded}", done.join(", "));
    anyhow::Error::new(e).context(summary)
}

/// Writes `record` beside `config` (never over an existing file); returns the path.
fn keep_locally(record: &RollbackRecord, config: &Path) -> Result<PathBuf> {
    let dir = config.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stamp: String =
        record.published_at.as_deref().unwrap_or_default().chars().filter(char::is_ascii_alphanumeric).collect();
    let path = dir.join(format!("edgepages-rollback-{}-{stamp}.json", record.distribution_id));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let text = serde_json::to_vec_pretty(record).context("serialising the record")?;
    std::io::Write::write_all(&mut file, &text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Upload progress: a bar on a terminal, lines with `-v` otherwise.
struct BarProgress<'a> {
    out: &'a Output,
    bar: ProgressBar,
}

impl<'a> BarProgress<'a> {
    fn new(out: &'a Output) -> Self {
        let bar = ProgressBar::hidden();
        BarProgress { out, bar }
    }
}

impl Progress for BarProgress<'_> {
    fn uploading(&self, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        self.bar.set_style(
            ProgressStyle::with_template("{spinner} uploading pages {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }
    fn uploaded(&self, key: &str) {
        self.bar.inc(1);
        self.bar.set_message(key.to_owned());
        if self.bar.is_hidden() {
            self.out.progress(&format!("uploaded {key}"));
        }
        if self.bar.position() == self.bar.length().unwrap_or(0) {
            self.bar.finish_and_clear();
        }
    }
    fn step(&self, what: &str) {
        self.out.progress(what);
    }
}

impl std::fmt::Debug for BarProgress<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BarProgress")
    }
}

//! `edgepages rollback`: chooses the publish to undo (the newest by default; an older one only
//! when named), has the session's rollback put the distribution's edgepages parts back from that
//! publish's record (`edgepages_publish::session::rollback`), then marks the record as used.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use edgepages_publish::change::Change;
use edgepages_publish::records::{Listed, choose};
use edgepages_publish::rollback::RolledBack;
use edgepages_publish::session::rollback::Rollback;
use edgepages_publish::session::{Clients, Targets};
use serde::Serialize;
use serde_json::json;

use crate::aws_setup::{FunctionCode, runtime, setup};
use crate::cli::Global;
use crate::deploy_wait::{WaitArgs, seconds, until_deployed};
use crate::output::{BarProgress, Output};
use crate::plan_view::show_change;
use crate::site_files::load_site;
use crate::writing::{Run, confirm_and_apply, now_rfc3339};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Roll back without asking; required when stdin is not a terminal.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Show what would change and stop, without any write call.
    #[arg(long)]
    dry_run: bool,
    /// List the rollback records, oldest first, and stop.
    #[arg(long, conflicts_with_all = ["record", "from_file"])]
    list: bool,
    /// Undo this publish (an ID from `--list`) instead of the newest.
    #[arg(long, value_name = "ID", conflicts_with = "from_file")]
    record: Option<String>,
    /// Undo the publish whose record is in this file: the copy `publish` keeps beside the
    /// config when S3 would not take the record.
    #[arg(long, value_name = "FILE")]
    from_file: Option<PathBuf>,
    #[command(flatten)]
    wait: WaitArgs,
}

/// A rollback as printed: the publish it undoes, what changes, and, once made, the
/// distribution's new ETag.
#[derive(Debug, Serialize)]
struct RollbackReport<'a> {
    undoes: Undoes<'a>,
    if_match: &'a str,
    changes: &'a [Change],
    applied: bool,
    #[serde(flatten)]
    made: Option<Made<'a>>,
}

/// Once the rollback is made: the distribution's new ETag, and how long `--wait` waited.
#[derive(Debug, Serialize)]
struct Made<'a> {
    etag: &'a str,
    deployed_after_s: Option<u64>,
}

#[derive(Debug, Serialize)]
struct Undoes<'a> {
    id: &'a str,
    published_at: Option<&'a str>,
    published_etag: &'a str,
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    let site = load_site(&global.config)?;
    runtime()?.block_on(async {
        let (targets, clients) = setup(&site, &global.config, FunctionCode::None, out).await?;
        let d = &targets.desired;
        let Some(chosen) = chosen_record(args, &targets, &clients, out).await? else { return Ok(ExitCode::SUCCESS) };
        if chosen.record.distribution_id != d.distribution_id {
            bail!(
                "record {} is for distribution {}, not {}",
                chosen.id,
                chosen.record.distribution_id,
                d.distribution_id
            );
        }
        let record = &chosen.record;
        let listener = targets.guard.as_ref().map(|g| g.listener_arn.as_str());
        let rollback = Rollback::read(&d.distribution_id, record, listener, &clients).await?;
        if rollback.current.etag != record.published_etag {
            out.warn(&format!(
                "distribution {} changed after publish {} (ETag {} then, {} now); rollback puts back only edgepages' own parts and keeps the rest",
                d.distribution_id, chosen.id, record.published_etag, rollback.current.etag
            ));
        }
        let mut report = RollbackReport {
            undoes: Undoes { id: &chosen.id, published_at: record.published_at.as_deref(), published_etag: &record.published_etag },
            if_match: &rollback.current.etag,
            changes: &rollback.changes,
            applied: false,
            made: None,
        };
        if out.json && (args.dry_run || rollback.changes.is_empty()) {
            out.json(&serde_json::to_value(&report)?)?;
            return Ok(ExitCode::SUCCESS);
        }
        if !out.json {
            show_plan(out, &chosen, &rollback);
        }
        if rollback.is_up_to_date() {
            out.good("up to date:", "the distribution already matches the record; nothing to roll back");
            return Ok(ExitCode::SUCCESS);
        }
        if args.dry_run {
            return Ok(ExitCode::SUCCESS);
        }
        let guard_writes = rollback.guard.as_ref().map_or(0, |g| g.plan.write_count());
        let progress = BarProgress::new(out);
        let apply = || rollback.apply(&clients, &progress);
        let written =
            confirm_and_apply(args.yes, Some("Roll back these changes?"), Run::Rollback { guard_writes }, apply).await?;
        let etag = written.pages.distribution_etag.clone().unwrap_or_default();
        mark_used(&targets, &clients, &chosen, args.from_file.is_some(), &etag).await?;
        if !out.json {
            out.good("rolled back", &format!("publish {} on distribution {} (ETag {etag})", chosen.id, d.distribution_id));
        }
        let deployed_after = wait(args, &clients, &d.distribution_id, out).await?;
        if out.json {
            report.applied = true;
            report.made = Some(Made { etag: &etag, deployed_after_s: deployed_after });
            out.json(&serde_json::to_value(&report)?)?;
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// What the rollback changes, for people.
fn show_plan(out: &Output, chosen: &Listed, rollback: &Rollback) {
    out.result(&format!(
        "rollback of publish {} ({}) on distribution {} (If-Match: {}):",
        chosen.id,
        chosen.record.published_at.as_deref().unwrap_or("time not recorded"),
        rollback.distribution_id,
        rollback.current.etag
    ));
    for change in &rollback.changes {
        show_change(out, change);
    }
}

/// `--wait`: until CloudFront reports the distribution deployed; the seconds waited.
async fn wait(args: &Args, clients: &Clients, id: &str, out: &Output) -> Result<Option<u64>> {
    if !args.wait.wait {
        return Ok(None);
    }
    let waited =
        until_deployed(clients.aws()?, id, args.wait.wait_timeout, out).await.context("the rollback is complete")?;
    if !out.json {
        out.good("deployed", &format!("distribution {id} (waited {})", seconds(waited)));
    }
    Ok(Some(waited.as_secs()))
}

/// The record to undo: from `--from-file`, `--record`, or the newest. `None` after `--list`.
async fn chosen_record(args: &Args, t: &Targets, clients: &Clients, out: &Output) -> Result<Option<Listed>> {
    if let Some(path) = &args.from_file {
        let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let record = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a rollback record edgepages can read", path.display()))?;
        let kept = [Listed::new(path.display().to_string(), record)];
        return Ok(Some(choose(&kept, None, &t.desired.distribution_id)?.clone()));
    }
    let records = clients.aws()?.records(&t.desired).await?;
    if args.list {
        list(out, &records)?;
        return Ok(None);
    }
    let chosen = choose(&records, args.record.as_deref(), &t.desired.distribution_id)?.clone();
    if let Some(newest) = records.last().filter(|newest| newest.id != chosen.id) {
        out.warn(&format!(
            "this undoes publish {}, not the newest one ({}); the newer publish's parts are put back as they were before {}",
            chosen.id, newest.id, chosen.id
        ));
    }
    Ok(Some(chosen))
}

/// Marks `chosen` as undone, where it was read from; says loudly when that fails, since a
/// second rollback would then undo the same publish again.
async fn mark_used(t: &Targets, clients: &Clients, chosen: &Listed, from_file: bool, etag: &str) -> Result<()> {
    let mut used = chosen.record.clone();
    used.rolled_back = Some(RolledBack { at: now_rfc3339(), etag: etag.to_owned() });
    let marked = if from_file {
        serde_json::to_vec_pretty(&used)
            .map_err(anyhow::Error::from)
            .and_then(|text| std::fs::write(&chosen.key, text).map_err(anyhow::Error::from))
    } else {
        match clients.aws() {
            Ok(aws) => aws.put_record(&t.desired.bucket, &chosen.key, &used).await.map_err(anyhow::Error::from),
            Err(e) => Err(e.into()),
        }
    };
    marked.with_context(|| {
        format!(
            "the distribution WAS rolled back (ETag {etag}), but record {} could not be marked as used, so a \
             second rollback would undo publish {} again",
            chosen.id, chosen.id
        )
    })
}

/// The records, oldest first: ID, time, ETag, and whether a rollback used it.
fn list(out: &Output, records: &[Listed]) -> Result<()> {
    if out.json {
        let rows: Vec<_> = records
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "published_at": r.record.published_at,
                    "published_etag": r.record.published_etag,
                    "rolled_back": r.record.rolled_back,
                })
            })
            .collect();
        return out.json(&json!({ "records": rows }));
    }
    if records.is_empty() {
        out.result("no rollback records: edgepages has not changed this distribution yet");
    }
    for r in records {
        let state = r.record.rolled_back.as_ref().map_or_else(String::new, |b| format!("  rolled back at {}", b.at));
        out.result(&format!(
            "{}  published {}  ETag {}{state}",
            r.id,
            r.record.published_at.as_deref().unwrap_or("(time not recorded)"),
            r.record.published_etag
        ));
    }
    Ok(())
}

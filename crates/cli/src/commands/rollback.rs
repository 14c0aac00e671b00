//! `edgepages rollback`: puts the distribution's edgepages parts back as they were before a
//! publish, from that publish's record, with `If-Match`, then marks the record as used. The
//! newest publish by default; an older one only when named. Everything else on the
//! distribution, including changes made since by others, stays.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use edgepages_publish::PlanError;
use edgepages_publish::describe::describe;
use edgepages_publish::records::{Listed, choose};
use edgepages_publish::rollback::RolledBack;
use serde_json::json;

use crate::aws_setup::{Target, runtime, target};
use crate::cli::Global;
use crate::commands::publish::now_rfc3339;
use crate::deploy_wait::{WaitArgs, seconds, until_deployed};
use crate::output::Output;
use crate::plan_view::show_change;

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

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let t = target(&global.config).await?;
        let d = &t.desired;
        let Some(chosen) = chosen_record(args, &t, out).await? else { return Ok(ExitCode::SUCCESS) };
        if chosen.record.distribution_id != d.distribution_id {
            bail!(
                "record {} is for distribution {}, not {}",
                chosen.id,
                chosen.record.distribution_id,
                d.distribution_id
            );
        }
        let record = &chosen.record;
        let (current, unmodelled) = t.aws.read_distribution_to_update(&d.distribution_id).await?;
        PlanError::refuse_unmodelled(&d.distribution_id, &unmodelled)?;
        if current.etag != record.published_etag {
            out.warn(&format!(
                "distribution {} changed after publish {} (ETag {} then, {} now); rollback puts back only edgepages' own parts and keeps the rest",
                d.distribution_id, chosen.id, record.published_etag, current.etag
            ));
        }
        let restored = record.before.restore(&current.config)?;
        let mut changes = describe(&current.config, &restored, &record.before.keys());
        let guard = if record.before.removes_guard() { Some(crate::guard::removal(&t).await?) } else { None };
        // The guard's rules go before the header does, so they are listed first.
        if let Some(g) = &guard {
            changes.splice(0..0, g.plan.changes.iter().cloned());
        }
        let guard_writes = guard.as_ref().map_or(0, |g| g.plan.write_count());
        let undoes = json!({
            "id": chosen.id,
            "published_at": record.published_at,
            "published_etag": record.published_etag,
        });
        if out.json && (args.dry_run || changes.is_empty()) {
            out.json(
                &json!({ "undoes": undoes, "if_match": current.etag, "changes": changes, "applied": false }),
            )?;
            return Ok(ExitCode::SUCCESS);
        }
        if !out.json {
            out.result(&format!(
                "rollback of publish {} ({}) on distribution {} (If-Match: {}):",
                chosen.id,
                record.published_at.as_deref().unwrap_or("time not recorded"),
                d.distribution_id,
                current.etag
            ));
            for change in &changes {
                show_change(out, change);
            }
        }
        if restored == current.config && guard_writes == 0 {
            out.good("up to date:", "the distribution already matches the record; nothing to roll back");
            return Ok(ExitCode::SUCCESS);
        }
        if args.dry_run {
            return Ok(ExitCode::SUCCESS);
        }
        crate::confirm::ask(args.yes, "Roll back these changes?")?;
        if let Some(g) = guard.as_ref().filter(|_| guard_writes > 0) {
            let mut done = edgepages_publish::alb::aws::AlbApplied::default();
            g.aws.apply_guard(&g.listener_arn, &g.found, &g.plan, &mut done).await.map_err(|e| {
                anyhow::Error::new(e).context(format!(
                    "rollback stopped at the ALB guard's rules after {} of {guard_writes} rule writes; the \
                     distribution was not touched",
                    done.done.len()
                ))
            })?;
        }
        let etag = t.aws.update_distribution(&d.distribution_id, restored, &current.etag).await?;

        mark_used(&t, &chosen, args.from_file.is_some(), &etag).await?;
        if !out.json {
            out.good("rolled back", &format!("publish {} on distribution {} (ETag {etag})", chosen.id, d.distribution_id));
        }
        let deployed_after = if args.wait.wait {
            let waited = until_deployed(&t.aws, &d.distribution_id, args.wait.wait_timeout, out)
                .await
                .context("the rollback is complete")?;
            if !out.json {
                out.good("deployed", &format!("distribution {} (waited {})", d.distribution_id, seconds(waited)));
            }
            Some(waited.as_secs())
        } else {
            None
        };
        if out.json {
            out.json(&json!({
                "undoes": undoes, "if_match": current.etag, "changes": changes, "applied": true, "etag": etag,
                "deployed_after_s": deployed_after,
            }))?;
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The record to undo: from `--from-file`, `--record`, or the newest. `None` after `--list`.
async fn chosen_record(args: &Args, t: &Target, out: &Output) -> Result<Option<Listed>> {
    if let Some(path) = &args.from_file {
        let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let record = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a rollback record edgepages can read", path.display()))?;
        let kept = [Listed::new(path.display().to_string(), record)];
        return Ok(Some(choose(&kept, None, &t.desired.distribution_id)?.clone()));
    }
    let records = t.aws.records(&t.desired).await?;
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
async fn mark_used(t: &Target, chosen: &Listed, from_file: bool, etag: &str) -> Result<()> {
    let mut used = chosen.record.clone();
    used.rolled_back = Some(RolledBack { at: now_rfc3339(), etag: etag.to_owned() });
    let marked = if from_file {
        serde_json::to_vec_pretty(&used)
            .map_err(anyhow::Error::from)
            .and_then(|text| std::fs::write(&chosen.key, text).map_err(anyhow::Error::from))
    } else {
        t.aws.put_record(&t.desired.bucket, &chosen.key, &used).await.map_err(anyhow::Error::from)
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

//! `edgepages rollback`: puts the distribution's edgepages parts back as they were before the
//! last publish that changed them, from the record saved next to the pages, with `If-Match`.
//! Everything else on the distribution, including changes made since by others, stays.

use std::process::ExitCode;

use anyhow::{Result, bail};
use edgepages_publish::PlanError;
use edgepages_publish::distribution::describe;
use serde_json::json;

use crate::aws_setup::{runtime, target};
use crate::cli::Global;
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
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let t = target(&global.config).await?;
        let d = &t.desired;
        let key = d.rollback_key();
        let Some(record) = t.aws.get_record(&d.bucket, &key).await? else {
            bail!("there is no rollback record at s3://{}/{key}: edgepages has not changed distribution {} yet", d.bucket, d.distribution_id);
        };
        let current = t.aws.read_distribution(&d.distribution_id).await?;
        PlanError::refuse_unmodelled(&d.distribution_id, &current.unmodelled)?;
        if current.etag != record.published_etag {
            out.warn(&format!(
                "distribution {} changed after the last publish (ETag {} then, {} now); rollback puts back only edgepages' own parts and keeps the rest",
                d.distribution_id, record.published_etag, current.etag
            ));
        }
        let restored = record.before.restore(&current.config)?;
        let changes = describe(&current.config, &restored, &record.before.keys());
        if out.json && (args.dry_run || changes.is_empty()) {
            out.json(&json!({ "if_match": current.etag, "changes": changes, "applied": false }))?;
            return Ok(ExitCode::SUCCESS);
        }
        if !out.json {
            out.result(&format!("rollback of distribution {} (If-Match: {}):", d.distribution_id, current.etag));
            for change in &changes {
                show_change(out, change);
            }
        }
        if restored == current.config {
            out.good("up to date:", "the distribution already matches the record; nothing to roll back");
            return Ok(ExitCode::SUCCESS);
        }
        if args.dry_run {
            return Ok(ExitCode::SUCCESS);
        }
        crate::confirm::ask(args.yes, "Roll back these changes?")?;
        let etag = t.aws.update_distribution(&d.distribution_id, restored, &current.etag).await?;
        if out.json {
            out.json(&json!({ "if_match": current.etag, "changes": changes, "applied": true, "etag": etag }))?;
        } else {
            out.good("rolled back", &format!("distribution {} (ETag {etag})", d.distribution_id));
        }
        Ok(ExitCode::SUCCESS)
    })
}

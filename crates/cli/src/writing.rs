//! Confirm, write, and say what was written before a failure: the one way every command that
//! writes to AWS (publish, the guard of a site without CloudFront, maintenance at the ALB,
//! rollback) does it. The library's apply loop writes and keeps the record; this module asks
//! first and words the record when the loop stops.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use edgepages_publish::RollbackRecord;
use edgepages_publish::session::{Part, Stopped, Written};

/// Which command writes, and what its words need when it stops.
#[derive(Debug, Clone, Copy)]
pub enum Run<'a> {
    /// `publish`: `planned_uploads` pages, `guard_writes` rule writes; a rollback record S3
    /// would not take is kept beside `config`.
    Publish { planned_uploads: usize, guard_writes: usize, config: &'a Path },
    /// `publish --pages-only`.
    PagesOnly,
    /// `publish` of the guard of a site without CloudFront: `writes` rule writes.
    GuardAlone { writes: usize },
    /// `rollback`: `guard_writes` rule writes before the distribution.
    Rollback { guard_writes: usize },
    /// `maintenance on` or `off`.
    Maintenance { which: &'static str },
}

/// Asks `question` (none: nothing to ask), then writes with `apply`; a stop becomes an error
/// that says what was written before it.
pub async fn confirm_and_apply<F>(
    yes: bool,
    question: Option<&str>,
    run: Run<'_>,
    apply: impl FnOnce() -> F,
) -> Result<Written>
where
    F: Future<Output = Result<Written, Stopped>>,
{
    if let Some(question) = question {
        crate::confirm::ask(yes, question)?;
    }
    apply().await.map_err(|stopped| said(stopped, run))
}

/// `stopped` as the error the command ends with: what was done before the failure, in the
/// command's words, and its cause.
fn said(stopped: Stopped, run: Run<'_>) -> anyhow::Error {
    let w = &stopped.written;
    let summary = match (stopped.part, run) {
        (Part::Function, _) => format!(
            "publish stopped at the Lambda@Edge function; done before the failure: {}; neither the pages nor the \
             distribution were touched",
            w.function.said()
        ),
        (Part::Variant, _) => format!(
            "publish stopped at the variant functions and cache policies; done before the failure: {}; the \
             distribution was not touched",
            w.variant.said()
        ),
        (Part::Listener, Run::Maintenance { which }) => {
            format!("maintenance {which} stopped; done before the failure: {}", w.rules.said())
        }
        (Part::Listener, Run::Publish { guard_writes, .. }) => format!(
            "publish stopped at the ALB guard's rules after {} of {guard_writes} rule writes; neither the pages nor \
             the distribution were touched",
            w.rules.done.len()
        ),
        (Part::Listener, Run::GuardAlone { writes }) => {
            format!("publish stopped at the ALB guard's rules after {} of {writes} rule writes", w.rules.done.len())
        }
        (Part::Listener, Run::Rollback { guard_writes }) => format!(
            "rollback stopped at the ALB guard's rules after {} of {guard_writes} rule writes; the distribution was \
             not touched",
            w.rules.done.len()
        ),
        (Part::Pages | Part::Distribution, Run::Publish { planned_uploads, config, .. }) => {
            return explained(stopped, planned_uploads, config);
        }
        (_, Run::PagesOnly) => "uploading the pages".to_owned(),
        // The distribution alone, or a part this command does not write: AWS's words say it all.
        _ => return anyhow::Error::new(stopped),
    };
    anyhow::Error::new(stopped).context(summary)
}

/// Says what a publish stopped at the pages or the distribution had written, and what it had
/// not. A rollback record that S3 did not take is written beside the config, since no other
/// copy of it exists.
fn explained(stopped: Stopped, planned_uploads: usize, config: &Path) -> anyhow::Error {
    let w = &stopped.written.pages;
    let mut done = vec![format!("{} of {planned_uploads} page uploads", w.uploaded.len())];
    if let Some(id) = &w.created_oac {
        done.push(format!("origin access control {id} created"));
    }
    if w.wrote_bucket_policy {
        done.push("bucket policy written".into());
    }
    let distribution = if stopped.distribution_changed() {
        let kept = match &stopped.unsaved_record {
            Some(record) => match keep_locally(record, config) {
                Ok(path) => format!(
                    "; it is kept in {path} instead: `edgepages rollback --from-file {path}` undoes this publish, \
                     and plain `edgepages rollback` would NOT (it would undo an older one)",
                    path = path.display()
                ),
                Err(why) => format!(
                    "; it could not be kept locally either ({why}); a rollback cannot undo this publish, so note \
                     the distribution's settings now"
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
    anyhow::Error::new(stopped).context(summary)
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

/// Now, as RFC 3339 in UTC to the millisecond: the time a publish's record carries, which also
/// orders the records.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

//! Carries out a plan, in the only safe order: pages first, then the Origin Access Control and
//! the bucket policy, then the distribution with `If-Match`, then the rollback record. A failure
//! stops (no new upload starts; those in flight finish) and says exactly what was written; the
//! distribution is never touched before every page is in place.

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;

use crate::aws::{Aws, AwsError};
use crate::desired::Desired;
use crate::distribution::with_desired;
use crate::plan::{Current, Plan};
use crate::records::record_key;
use crate::rollback::{RECORD_FORMAT, RollbackRecord};

/// Uploads run this many at a time.
const UPLOAD_CONCURRENCY: usize = 8;

/// Told of each step as it happens, so the caller can show progress.
pub trait Progress {
    fn uploading(&self, total: usize);
    fn uploaded(&self, key: &str);
    fn step(&self, what: &str);
}

/// Progress that shows nothing, for a caller that reports only at the end (and for tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn uploading(&self, _: usize) {}
    fn uploaded(&self, _: &str) {}
    fn step(&self, _: &str) {}
}

/// What a completed apply wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Applied {
    pub uploaded: Vec<String>,
    pub created_oac: Option<String>,
    pub wrote_bucket_policy: bool,
    /// The distribution's new ETag, when it was updated.
    pub distribution_etag: Option<String>,
    pub rollback_record: Option<String>,
}

/// A failed apply: the error, and what had been written before it. It reads as its error, and
/// hands on that error's causes, not the error itself, so that nothing is said twice.
#[derive(Debug)]
pub struct ApplyError {
    pub source: AwsError,
    pub written: Applied,
    /// Whether the distribution had been changed when the error happened.
    pub distribution_changed: bool,
    /// The rollback record that could not be saved, when that was the failure: the caller
    /// keeps it elsewhere, since no other copy exists.
    pub unsaved_record: Option<Box<RollbackRecord>>,
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for ApplyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.source)
    }
}

/// Carries out `plan`. `published_at` (RFC 3339, UTC) dates the rollback record; the caller
/// reads the clock.
pub async fn apply(
    aws: &Aws,
    desired: &Desired,
    current: &Current,
    plan: &Plan,
    published_at: &str,
    progress: &dyn Progress,
) -> Result<Applied, ApplyError> {
    let mut done = Applied::default();
    let fail = |source, written: &Applied, distribution_changed| ApplyError {
        source,
        written: written.clone(),
        distribution_changed,
        unsaved_record: None,
    };

    if !plan.uploads.is_empty() {
        progress.uploading(plan.uploads.len());
        let mut pending = plan
            .uploads
            .iter()
            .filter_map(|u| desired.objects.iter().find(|o| o.key == u.key))
            .collect::<Vec<_>>()
            .into_iter();
        let mut in_flight = FuturesUnordered::new();
        let mut failure = None;
        loop {
            // After a failure no new upload starts; those in flight finish, so that exactly what
            // was written is known and reported.
            while failure.is_none() && in_flight.len() < UPLOAD_CONCURRENCY {
                let Some(page) = pending.next() else { break };
                in_flight.push(async move { (page, aws.put_page(&desired.bucket, page).await) });
            }
            let Some((page, result)) = in_flight.next().await else { break };
            match result {
                Ok(()) => {
                    progress.uploaded(&page.key);
                    done.uploaded.push(page.key.clone());
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failure {
            return Err(fail(e, &done, false));
        }
    }

    let oac_id = match &current.oac_id {
        Some(id) => id.clone(),
        None if plan.create_oac => {
            progress.step(&format!("creating origin access control {}", desired.oac_name()));
            let id = aws.create_oac(&desired.oac_name()).await.map_err(|e| fail(e, &done, false))?;
            done.created_oac = Some(id.clone());
            id
        }
        // Only a plan that leaves the distribution alone (pages only) plans no OAC it lacks.
        None => String::new(),
    };

    if let Some(policy) = &plan.bucket_policy {
        // S3 has no conditional write for a bucket policy: re-read it just before writing, and
        // refuse if anyone changed it since the plan was made from it.
        let now = aws.bucket_policy(&desired.bucket).await.map_err(|e| fail(e, &done, false))?;
        if now != current.bucket_policy {
            return Err(fail(AwsError::PolicyChanged { bucket: desired.bucket.clone() }, &done, false));
        }
        progress.step(&format!("writing the policy of bucket {}", desired.bucket));
        aws.put_bucket_policy(&desired.bucket, policy).await.map_err(|e| fail(e, &done, false))?;
        done.wrote_bucket_policy = true;
    }

    if plan.distribution.is_some() {
        // Recomputed with the real OAC ID: the plan may have shown a placeholder.
        let config = with_desired(&current.distribution, desired, &oac_id).map_err(|e| {
            fail(AwsError::Call { action: "planning the distribution".into(), message: e.to_string() }, &done, false)
        })?;
        progress.step(&format!("updating distribution {} (If-Match: {})", desired.distribution_id, current.etag));
        let etag = aws
            .update_distribution(&desired.distribution_id, config, &current.etag)
            .await
            .map_err(|e| fail(e, &done, false))?;
        done.distribution_etag = Some(etag.clone());

        let key = record_key(desired, published_at, &etag);
        progress.step(&format!("saving the rollback record s3://{}/{key}", desired.bucket));
        let record = RollbackRecord {
            format: RECORD_FORMAT,
            distribution_id: desired.distribution_id.clone(),
            published_at: Some(published_at.to_owned()),
            published_etag: etag,
            before: plan.before.clone(),
            rolled_back: None,
        };
        if let Err(e) = aws.put_record(&desired.bucket, &key, &record).await {
            return Err(ApplyError { unsaved_record: Some(Box::new(record)), ..fail(e, &done, true) });
        }
        done.rollback_record = Some(key);
    }
    Ok(done)
}

//! The pages' part of a publish, written by the apply loop: the changed page objects uploaded
//! a few at a time, the Origin Access Control created, and the bucket policy written once it is
//! re-read unchanged. Nothing here touches the distribution.

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use serde::Serialize;

use crate::aws::{Aws, AwsError};
use crate::desired::Desired;
use crate::plan::{Current, Upload};
use crate::progress::Progress;

/// Uploads run this many at a time.
const UPLOAD_CONCURRENCY: usize = 8;

/// What the apply loop wrote of the pages and the distribution.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PagesWritten {
    pub uploaded: Vec<String>,
    pub created_oac: Option<String>,
    pub wrote_bucket_policy: bool,
    /// The distribution's new ETag, when it was updated.
    pub distribution_etag: Option<String>,
    pub rollback_record: Option<String>,
}

impl Aws {
    /// Uploads `uploads` of `desired`'s pages, [`UPLOAD_CONCURRENCY`] at a time. After a failure
    /// no new upload starts and those in flight finish, so that `done` says exactly what was
    /// written; the first failure is returned.
    pub async fn upload_pages(
        &self,
        desired: &Desired,
        uploads: &[Upload],
        progress: &dyn Progress,
        done: &mut PagesWritten,
    ) -> Result<(), AwsError> {
        progress.uploading(uploads.len());
        let mut pending = uploads
            .iter()
            .filter_map(|u| desired.objects.iter().find(|o| o.key == u.key))
            .collect::<Vec<_>>()
            .into_iter();
        let mut in_flight = FuturesUnordered::new();
        let mut failure = None;
        loop {
            while failure.is_none() && in_flight.len() < UPLOAD_CONCURRENCY {
                let Some(page) = pending.next() else { break };
                in_flight.push(async move { (page, self.put_page(&desired.bucket, page).await) });
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
        failure.map_or(Ok(()), Err)
    }

    /// Creates the Origin Access Control `desired` names.
    pub async fn create_named_oac(
        &self,
        desired: &Desired,
        progress: &dyn Progress,
        done: &mut PagesWritten,
    ) -> Result<(), AwsError> {
        progress.step(&format!("creating origin access control {}", desired.oac_name()));
        done.created_oac = Some(self.create_oac(&desired.oac_name()).await?);
        Ok(())
    }

    /// Writes `policy` on `desired`'s bucket. S3 has no conditional write for a bucket policy:
    /// it is read again just before, and the write refused if anyone changed it since the plan
    /// was made from `current`.
    pub async fn write_bucket_policy(
        &self,
        desired: &Desired,
        current: &Current,
        policy: &str,
        progress: &dyn Progress,
        done: &mut PagesWritten,
    ) -> Result<(), AwsError> {
        let now = self.bucket_policy(&desired.bucket).await?;
        if now != current.bucket_policy {
            return Err(AwsError::PolicyChanged { bucket: desired.bucket.clone() });
        }
        progress.step(&format!("writing the policy of bucket {}", desired.bucket));
        self.put_bucket_policy(&desired.bucket, policy).await?;
        done.wrote_bucket_policy = true;
        Ok(())
    }
}

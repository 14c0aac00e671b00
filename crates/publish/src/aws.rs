//! Thin adapters over already-built S3 and CloudFront clients: each call reads or writes one
//! thing and turns the SDK's error into one that says what was being done.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudfront::types::{
    DistributionConfig, OriginAccessControlConfig, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use base64::Engine as _;

use futures_util::StreamExt as _;

use crate::desired::{DIGEST_METADATA, Desired, PAGE_CACHE_CONTROL, PageObject};
use crate::fault::{self, Fault};
use crate::forwarding::{Forwards, Policies};
use crate::kms::{Encryption, Key};
use crate::plan::{Current, StoredObject};
use crate::records::{Listed, legacy_key, records_prefix};
use crate::rollback::RollbackRecord;
use crate::sdk_xml::{self, AnswerBody};
use crate::unmodelled::dropped_elements;

/// Objects read at a time when planning.
const HEAD_CONCURRENCY: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("{action}: {message}")]
    Call { action: String, message: String },
    #[error(
        "distribution {id} was changed by someone else after it was read (If-Match failed with \
         PreconditionFailed); nothing of theirs was overwritten"
    )]
    PreconditionFailed { id: String },
    #[error(
        "the policy of bucket {bucket} was changed by someone else after it was read; nothing of theirs was overwritten"
    )]
    PolicyChanged { bucket: String },
    #[error("distribution {id} does not exist (or these credentials cannot see it)")]
    NoSuchDistribution { id: String },
    #[error("bucket {bucket} does not exist (or these credentials cannot see it)")]
    NoSuchBucket { bucket: String },
    #[error("{key} in bucket {bucket} is not a rollback record edgepages can read: {message}")]
    BadRecord { bucket: String, key: String, message: String },
    #[error(
        "function {name} was changed by someone else after it was read (its revision no longer matched); \
         nothing of theirs was overwritten"
    )]
    FunctionChanged { name: String },
    #[error(
        "listener {arn} was changed by someone else after it was read, so nothing more was written: {}",
        said.join("; ")
    )]
    ListenerChanged { arn: String, said: Vec<String> },
    #[error("listener {arn} does not exist (or these credentials cannot see it)")]
    NoSuchListener { arn: String },
    /// AWS refused a write as over one of the account's quotas. Each is adjustable, so
    /// edgepages never holds a write to the default itself: it makes the write and names this.
    #[error("{action}: AWS refused it with {code}: {quota} is reached")]
    OverQuota { action: String, quota: Quota, code: String },
    /// Trouble in the credentials, the permissions or the network; the SDK's own words are the
    /// source, for whoever asks for the causes.
    #[error("{action}: {fault}")]
    Fault {
        action: String,
        fault: Fault,
        #[source]
        detail: Detail,
    },
}

impl AwsError {
    /// The credentials, permissions or network trouble behind this error, if that is what it is.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            AwsError::Fault { fault, .. } => Some(fault),
            _ => None,
        }
    }
}

/// An account quota AWS enforces on a write edgepages makes; each is adjustable in Service
/// Quotas, so the default is only what most accounts have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// "Rules per Application Load Balancer", 100 by default, counting every listener's rules but
    /// the default ones (load-balancer-limits.html in the ALB guide); CreateRule refuses with
    /// TooManyRules ("You've reached the limit on the number of rules per load balancer",
    /// API_CreateRule.html).
    RulesPerLoadBalancer,
    /// "Headers per cache policy", 10 by default (cloudfront-limits.html); CreateCachePolicy
    /// and UpdateCachePolicy refuse with TooManyHeadersInCachePolicy.
    HeadersPerCachePolicy,
    /// "Cache policies per AWS account", 20 custom ones by default; CreateCachePolicy refuses
    /// with TooManyCachePolicies.
    CachePolicies,
}

impl Quota {
    /// The error code AWS refuses with.
    pub fn code(self) -> &'static str {
        match self {
            Quota::RulesPerLoadBalancer => "TooManyRules",
            Quota::HeadersPerCachePolicy => "TooManyHeadersInCachePolicy",
            Quota::CachePolicies => "TooManyCachePolicies",
        }
    }

    /// The quota's name in Service Quotas, with its service.
    pub fn name(self) -> &'static str {
        match self {
            Quota::RulesPerLoadBalancer => "Elastic Load Balancing: Rules per Application Load Balancer",
            Quota::HeadersPerCachePolicy => "CloudFront: Headers per cache policy",
            Quota::CachePolicies => "CloudFront: Cache policies per AWS account",
        }
    }
}

impl std::fmt::Display for Quota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Quota::RulesPerLoadBalancer => {
                "the account's quota of rules per Application Load Balancer (100 unless raised; it counts every \
                 listener's rules but the default ones)"
            }
            Quota::HeadersPerCachePolicy => "the account's quota of headers per cache policy (10 unless raised)",
            Quota::CachePolicies => "the account's quota of cache policies (20 unless raised)",
        })
    }
}

/// Like [`call`], but a refusal with the code of one of `quotas` becomes [`AwsError::OverQuota`].
pub(crate) fn call_within<E>(
    action: impl Into<String>,
    quotas: &'static [Quota],
) -> impl FnOnce(SdkError<E, HttpResponse>) -> AwsError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    let action = action.into();
    move |e| match over_quota(&e, quotas) {
        Some(quota) => AwsError::OverQuota { action, quota, code: quota.code().to_owned() },
        None => call(action)(e),
    }
}

/// Which of `quotas` AWS refused `e` for, by its error code.
pub(crate) fn over_quota<E: ProvideErrorMetadata>(
    e: &SdkError<E, HttpResponse>,
    quotas: &'static [Quota],
) -> Option<Quota> {
    let code = e.as_service_error().and_then(ProvideErrorMetadata::code)?;
    quotas.iter().copied().find(|q| q.code() == code)
}

/// What the SDK said, in full, behind a [`Fault`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Detail(pub String);

/// Turns an AWS call's error into one that says what was being done and what went wrong: the
/// [`Fault`] when it is one, else the service's own code and message, or, when the call never
/// got an answer, the chain of causes (no SDK debug dump).
pub(crate) fn call<E>(action: impl Into<String>) -> impl FnOnce(SdkError<E, HttpResponse>) -> AwsError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    let action = action.into();
    move |e| match fault::classify(&e) {
        Some(fault) => AwsError::Fault { action, fault, detail: Detail(answered(&e)) },
        None => AwsError::Call { action, message: answered(&e) },
    }
}

/// Like [`call`], but the service's refusal of a conditional write (`refused`: a failed
/// `If-Match`, a stale revision ID) becomes `changed`: someone else wrote after the read, and
/// nothing of theirs was overwritten. Never retried.
pub(crate) fn call_unless_changed<E>(
    action: impl Into<String>,
    refused: impl FnOnce(&E) -> bool,
    changed: AwsError,
) -> impl FnOnce(SdkError<E, HttpResponse>) -> AwsError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    let action = action.into();
    move |e| if e.as_service_error().is_some_and(refused) { changed } else { call(action)(e) }
}

/// What AWS answered, in words: `Code: message`, or the chain of causes.
pub(crate) fn answered<E: std::error::Error + ProvideErrorMetadata>(e: &E) -> String {
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => causes(e),
    }
}

/// `error: cause: cause`, each said once: reqwest's and the SDK's own words ("error sending request",
/// "dispatch failure") omit the reason, which is in the chain.
pub fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        source = cause.source();
    }
    text
}

/// The distribution as read: its config, ETag and ARN.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadDistribution {
    pub config: DistributionConfig,
    pub etag: String,
    pub arn: String,
}

/// The two clients `publish` uses, built by the caller from the AWS config chain.
#[derive(Debug, Clone)]
pub struct Aws {
    pub s3: aws_sdk_s3::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    /// KMS, in the bucket's region, to read the key of an SSE-KMS bucket; without it such a key
    /// is reported as unread.
    pub kms: Option<aws_sdk_kms::Client>,
}

impl Aws {
    pub fn new(s3: aws_sdk_s3::Client, cloudfront: aws_sdk_cloudfront::Client) -> Self {
        Aws { s3, cloudfront, kms: None }
    }

    #[must_use]
    pub fn with_kms(self, kms: aws_sdk_kms::Client) -> Self {
        Aws { kms: Some(kms), ..self }
    }

    /// The bucket's default encryption (GetBucketEncryption) and, for SSE-KMS, its key as read:
    /// read calls only. What cannot be read is said in the answer, not an error: the bucket may
    /// not use KMS at all.
    pub async fn read_encryption(&self, bucket: &str) -> Encryption {
        use aws_sdk_s3::types::ServerSideEncryption;
        let out = match self.s3.get_bucket_encryption().bucket(bucket).send().await {
            Ok(out) => out,
            // A bucket without a configuration of its own encrypts with SSE-S3.
            Err(e)
                if e.as_service_error().and_then(ProvideErrorMetadata::code)
                    == Some("ServerSideEncryptionConfigurationNotFoundError") =>
            {
                return Encryption::S3Managed;
            }
            Err(e) => return Encryption::Unknown(answered(&e)),
        };
        let by_default = out
            .server_side_encryption_configuration
            .and_then(|c| c.rules.into_iter().find_map(|r| r.apply_server_side_encryption_by_default));
        match by_default {
            Some(d) if matches!(d.sse_algorithm, ServerSideEncryption::AwsKms | ServerSideEncryption::AwsKmsDsse) => {
                let read = self.read_key(d.kms_master_key_id.as_deref().unwrap_or("alias/aws/s3")).await;
                Encryption::Kms { key: d.kms_master_key_id, read }
            }
            _ => Encryption::S3Managed,
        }
    }

    /// KMS key `key` (an ID, an ARN or an alias): its ARN, who manages it, and its policy.
    async fn read_key(&self, key: &str) -> Result<Key, String> {
        let kms = self.kms.as_ref().ok_or("edgepages was given no KMS client")?;
        let described = kms.describe_key().key_id(key).send().await.map_err(|e| answered(&e))?;
        let meta = described.key_metadata.ok_or("DescribeKey answered without the key")?;
        let arn = meta.arn.unwrap_or_else(|| key.to_owned());
        if meta.key_manager == Some(aws_sdk_kms::types::KeyManagerType::Aws) {
            return Ok(Key { arn, aws_managed: true, policy: String::new() });
        }
        let policy = kms.get_key_policy().key_id(&arn).policy_name("default").send().await.map_err(|e| answered(&e))?;
        Ok(Key { arn, aws_managed: false, policy: policy.policy.unwrap_or_default() })
    }

    /// Reads everything the plan needs. Read calls only.
    pub async fn read_current(&self, desired: &Desired) -> Result<Current, AwsError> {
        let listed = self.list_keys(&desired.bucket, &format!("{}/", desired.prefix)).await?;
        // The pages publish would write are read whole (their digest and headers); the rest of
        // the prefix is only listed.
        let pages: Vec<String> =
            desired.objects.iter().map(|o| o.key.clone()).filter(|key| listed.contains(key)).collect();
        let mut objects: BTreeMap<String, StoredObject> =
            listed.into_iter().map(|key| (key, StoredObject::default())).collect();
        for (key, stored) in self.head_objects(&desired.bucket, &pages).await? {
            objects.insert(key, stored.unwrap_or_default());
        }
        let (dist, unmodelled) = self.read_distribution_to_update(&desired.distribution_id).await?;
        let oac_id = self.find_oac(&desired.oac_name()).await?;
        let bucket_policy = self.bucket_policy(&desired.bucket).await?;
        let encryption = self.read_encryption(&desired.bucket).await;
        Ok(Current {
            objects,
            distribution: dist.config,
            etag: dist.etag,
            distribution_arn: dist.arn,
            unmodelled,
            oac_id,
            bucket_policy,
            encryption,
        })
    }

    /// The keys that start with `prefix`.
    pub async fn list_keys(&self, bucket: &str, prefix: &str) -> Result<BTreeSet<String>, AwsError> {
        let mut objects = BTreeSet::new();
        let mut pages = self.s3.list_objects_v2().bucket(bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                if e.as_service_error()
                    .is_some_and(aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error::is_no_such_bucket)
                {
                    AwsError::NoSuchBucket { bucket: bucket.to_owned() }
                } else {
                    call(format!("listing s3://{bucket}/{prefix}"))(e)
                }
            })?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    objects.insert(key.to_owned());
                }
            }
        }
        Ok(objects)
    }

    /// Reads the distribution, for a caller that only looks at it (`verify`).
    pub async fn read_distribution(&self, id: &str) -> Result<ReadDistribution, AwsError> {
        Ok(self.get_distribution(id).await?.0)
    }

    /// Reads the distribution for a caller that may write it back (`plan`, `publish`,
    /// `rollback`), with the elements of its config that such a write would drop: the XML it
    /// came in, against the XML the SDK would send back for the same config.
    pub async fn read_distribution_to_update(&self, id: &str) -> Result<(ReadDistribution, Vec<String>), AwsError> {
        let (dist, answer) = self.get_distribution(id).await?;
        let checking = |message: String| AwsError::Call {
            action: format!("checking that distribution {id} survives a round trip through the SDK"),
            message,
        };
        let read = answer.take().map_err(checking)?;
        let sent = sdk_xml::update_body(id, dist.config.clone()).await.map_err(checking)?;
        let unmodelled = dropped_elements(&read, &sent, "DistributionConfig").map_err(checking)?;
        Ok((dist, unmodelled))
    }

    /// The origin request and cache policies the function's behaviors name, for
    /// [`forwarding::check`](crate::forwarding::check): each read once; one that cannot be read
    /// is kept with AWS's answer, not guessed at.
    pub async fn read_policies(&self, config: &DistributionConfig) -> Policies {
        let mut policies = Policies::new();
        for key in crate::association::targets(config) {
            let (orp, cache) = crate::forwarding::policy_ids(config, &key);
            if let Some(id) = orp.filter(|id| !policies.contains_key(id)) {
                let read = self.cloudfront.get_origin_request_policy().id(&id).send().await.map_err(|e| answered(&e));
                let forwards = read.map(|out| {
                    let headers = out
                        .origin_request_policy
                        .and_then(|p| p.origin_request_policy_config)
                        .and_then(|c| c.headers_config);
                    headers.map_or(Forwards::Only(Vec::new()), |h| {
                        Forwards::from_origin_request_policy(
                            &h.header_behavior,
                            h.headers.and_then(|h| h.items).as_deref().unwrap_or_default(),
                        )
                    })
                });
                policies.insert(id, forwards);
            }
            if let Some(id) = cache.filter(|id| !policies.contains_key(id)) {
                let read = self.cloudfront.get_cache_policy().id(&id).send().await.map_err(|e| answered(&e));
                let forwards = read.map(|out| {
                    let headers = out
                        .cache_policy
                        .and_then(|p| p.cache_policy_config)
                        .and_then(|c| c.parameters_in_cache_key_and_forwarded_to_origin)
                        .and_then(|p| p.headers_config);
                    headers.map_or(Forwards::Only(Vec::new()), |h| {
                        Forwards::from_cache_policy(
                            &h.header_behavior,
                            h.headers.and_then(|h| h.items).as_deref().unwrap_or_default(),
                        )
                    })
                });
                policies.insert(id, forwards);
            }
        }
        policies
    }

    /// `GetDistribution`, with the raw body of its answer.
    async fn get_distribution(&self, id: &str) -> Result<(ReadDistribution, AnswerBody), AwsError> {
        let answer = AnswerBody::default();
        let out =
            self.cloudfront.get_distribution().id(id).customize().interceptor(answer.clone()).send().await.map_err(
                |e| {
                    if e.as_service_error().is_some_and(
                        aws_sdk_cloudfront::operation::get_distribution::GetDistributionError::is_no_such_distribution,
                    ) {
                        AwsError::NoSuchDistribution { id: id.to_owned() }
                    } else {
                        call(format!("reading distribution {id}"))(e)
                    }
                },
            )?;
        let missing = |what: &str| AwsError::Call {
            action: format!("reading distribution {id}"),
            message: format!("the answer had no {what}"),
        };
        let etag = out.e_tag().ok_or_else(|| missing("ETag"))?.to_owned();
        let dist = out.distribution.ok_or_else(|| missing("Distribution"))?;
        let config = dist.distribution_config.ok_or_else(|| missing("DistributionConfig"))?;
        Ok((ReadDistribution { config, etag, arn: dist.arn }, answer))
    }

    /// What CloudFront says of the distribution's deployment: `InProgress` or `Deployed`.
    pub async fn distribution_status(&self, id: &str) -> Result<String, AwsError> {
        let out = self
            .cloudfront
            .get_distribution()
            .id(id)
            .send()
            .await
            .map_err(call(format!("reading the status of distribution {id}")))?;
        Ok(out.distribution.map(|d| d.status).unwrap_or_default())
    }

    /// The ID of the Origin Access Control called `name`, if there is one.
    pub async fn find_oac(&self, name: &str) -> Result<Option<String>, AwsError> {
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .cloudfront
                .list_origin_access_controls()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(call("listing origin access controls"))?;
            let Some(list) = out.origin_access_control_list else { return Ok(None) };
            if let Some(found) = list.items.unwrap_or_default().into_iter().find(|o| o.name == name) {
                return Ok(Some(found.id));
            }
            match list.next_marker.filter(|m| list.is_truncated && !m.is_empty()) {
                Some(next) => marker = Some(next),
                None => return Ok(None),
            }
        }
    }

    pub async fn bucket_policy(&self, bucket: &str) -> Result<Option<String>, AwsError> {
        match self.s3.get_bucket_policy().bucket(bucket).send().await {
            Ok(out) => Ok(out.policy),
            Err(e) if e.as_service_error().and_then(ProvideErrorMetadata::code) == Some("NoSuchBucketPolicy") => {
                Ok(None)
            }
            Err(e) => Err(call(format!("reading the policy of bucket {bucket}"))(e)),
        }
    }

    /// Uploads one page, with its MD5 so that S3 rejects a body damaged on the way, and its
    /// digest, which the next plan compares.
    pub async fn put_page(&self, bucket: &str, page: &PageObject) -> Result<(), AwsError> {
        let md5 = md5::Digest::finalize(<md5::Md5 as md5::Digest>::new_with_prefix(&page.body));
        self.s3
            .put_object()
            .bucket(bucket)
            .key(&page.key)
            .content_type(page.content_type)
            .cache_control(PAGE_CACHE_CONTROL)
            .metadata(DIGEST_METADATA, &page.digest)
            .content_md5(base64::engine::general_purpose::STANDARD.encode(md5))
            .body(ByteStream::from(page.body.clone()))
            .send()
            .await
            .map_err(call(format!("uploading s3://{bucket}/{}", page.key)))?;
        Ok(())
    }

    pub async fn create_oac(&self, name: &str) -> Result<String, AwsError> {
        let config = OriginAccessControlConfig::builder()
            .name(name)
            .description("edgepages: CloudFront reads the status pages from S3")
            .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
            .signing_behavior(OriginAccessControlSigningBehaviors::Always)
            .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
            .build()
            .map_err(|e| AwsError::Call { action: "building the origin access control".into(), message: causes(&e) })?;
        let out = self
            .cloudfront
            .create_origin_access_control()
            .origin_access_control_config(config)
            .send()
            .await
            .map_err(call(format!("creating origin access control {name}")))?;
        out.origin_access_control.map(|o| o.id).ok_or_else(|| AwsError::Call {
            action: format!("creating origin access control {name}"),
            message: "the answer had no OriginAccessControl".into(),
        })
    }

    pub async fn put_bucket_policy(&self, bucket: &str, policy: &str) -> Result<(), AwsError> {
        self.s3
            .put_bucket_policy()
            .bucket(bucket)
            .policy(policy)
            .send()
            .await
            .map_err(call(format!("writing the policy of bucket {bucket}")))?;
        Ok(())
    }

    /// Sends `config` with `If-Match: if_match`; returns the new ETag. Never retried over a
    /// `PreconditionFailed`: that means someone else changed the distribution.
    pub async fn update_distribution(
        &self,
        id: &str,
        config: DistributionConfig,
        if_match: &str,
    ) -> Result<String, AwsError> {
        let out = self
            .cloudfront
            .update_distribution()
            .id(id)
            .if_match(if_match)
            .distribution_config(config)
            .send()
            .await
            .map_err(call_unless_changed(
                format!("updating distribution {id}"),
                aws_sdk_cloudfront::operation::update_distribution::UpdateDistributionError::is_precondition_failed,
                AwsError::PreconditionFailed { id: id.to_owned() },
            ))?;
        Ok(out.e_tag.unwrap_or_default())
    }

    pub async fn put_record(&self, bucket: &str, key: &str, record: &RollbackRecord) -> Result<(), AwsError> {
        let body = serde_json::to_vec_pretty(record).expect("a rollback record serialises");
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .cache_control("no-store")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(call(format!("saving the rollback record s3://{bucket}/{key}")))?;
        Ok(())
    }

    /// Every rollback record of `desired`'s distribution, oldest first: a record from before
    /// records were kept per publish comes first.
    pub async fn records(&self, desired: &Desired) -> Result<Vec<Listed>, AwsError> {
        let mut records = Vec::new();
        let legacy = legacy_key(desired);
        if let Some(record) = self.get_record(&desired.bucket, &legacy).await? {
            records.push(Listed::new(legacy, record));
        }
        for key in self.list_keys(&desired.bucket, &records_prefix(desired)).await? {
            if let Some(record) = self.get_record(&desired.bucket, &key).await? {
                records.push(Listed::new(key, record));
            }
        }
        Ok(records)
    }

    pub async fn get_record(&self, bucket: &str, key: &str) -> Result<Option<RollbackRecord>, AwsError> {
        let out = match self.s3.get_object().bucket(bucket).key(key).send().await {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(aws_sdk_s3::operation::get_object::GetObjectError::is_no_such_key) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(call(format!("reading the rollback record s3://{bucket}/{key}"))(e)),
        };
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| AwsError::Call {
                action: format!("reading the rollback record s3://{bucket}/{key}"),
                message: causes(&e),
            })?
            .into_bytes();
        serde_json::from_slice(&bytes).map(Some).map_err(|e| AwsError::BadRecord {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message: e.to_string(),
        })
    }

    /// Each key's headers and digest, or `None` when the object does not exist. A few at a time.
    pub async fn head_objects(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> Result<BTreeMap<String, Option<StoredObject>>, AwsError> {
        let heads = keys.iter().map(|key| async move { (key.clone(), self.head_object(bucket, key).await) });
        let mut found = BTreeMap::new();
        let mut answers = futures_util::stream::iter(heads).buffer_unordered(HEAD_CONCURRENCY);
        while let Some((key, stored)) = answers.next().await {
            found.insert(key, stored?);
        }
        Ok(found)
    }

    async fn head_object(&self, bucket: &str, key: &str) -> Result<Option<StoredObject>, AwsError> {
        match self.s3.head_object().bucket(bucket).key(key).send().await {
            Ok(out) => Ok(Some(StoredObject {
                digest: out.metadata.as_ref().and_then(|m| m.get(DIGEST_METADATA)).cloned(),
                content_type: out.content_type,
                cache_control: out.cache_control,
            })),
            Err(e)
                if e.as_service_error()
                    .is_some_and(aws_sdk_s3::operation::head_object::HeadObjectError::is_not_found) =>
            {
                Ok(None)
            }
            Err(e) => Err(call(format!("reading s3://{bucket}/{key}"))(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::causes;

    #[derive(Debug, thiserror::Error)]
    #[error("dispatch failure")]
    struct Dispatch(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("dispatch failure: connection refused")]
    struct Repeats(#[source] std::io::Error);

    #[test]
    fn causes_are_chained_and_each_said_once() {
        let refused = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        assert_eq!(causes(&Dispatch(refused())), "dispatch failure: connection refused");
        assert_eq!(causes(&Repeats(refused())), "dispatch failure: connection refused");
    }
}

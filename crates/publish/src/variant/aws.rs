//! Thin adapter over an already-built CloudFront client: reads the variant functions and the
//! cache policies the target behaviors name, and makes each step of a [`VariantPlan`](super::plan::VariantPlan). Every update
//! and publish sends the ETag it was planned from (or the one the write before it returned), so
//! a change made by anyone since is refused, not overwritten.

use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{CachePolicyType, DistributionConfig, FunctionConfig, FunctionRuntime, FunctionStage};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::VariantSpec;
use super::plan::{
    FoundCloudFrontFunction, FoundPolicy, FoundVariant, Names, VariantStep, cache_policy_id, original_of,
};
use crate::association::targets;
use crate::aws::{Aws, AwsError, Quota, answered, call, call_unless_changed, call_within, over_quota};
use crate::progress::Progress;

/// The comment on edgepages' CloudFront Functions.
const COMMENT: &str = "edgepages: names the answer's variant in x-edgepages-variant";

/// What the apply loop wrote of the variant, and the names CloudFront gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct VariantWritten {
    /// The steps completed, in the plan's words.
    pub done: Vec<String>,
    /// ARNs of functions created, by name.
    #[serde(skip)]
    pub function_arns: Vec<(String, String)>,
    /// IDs of the copies created, by their original's ID.
    #[serde(skip)]
    pub copy_ids: Vec<(String, String)>,
    /// The ETag the last create or update answered, for a publish that follows it.
    #[serde(skip)]
    pub etag: Option<String>,
}

impl VariantWritten {
    /// What was written, in words: `nothing`, or each step.
    pub fn said(&self) -> String {
        if self.done.is_empty() { "nothing".to_owned() } else { self.done.join(", ") }
    }

    /// `names` with what this apply created in place of [`super::plan::NEW`].
    pub fn fill(&self, names: &mut Names) {
        names.functions.extend(self.function_arns.iter().cloned());
        names.copies.extend(self.copy_ids.iter().cloned());
    }
}

impl Aws {
    /// Reads both functions of `spec`, every cache policy the target behaviors of `config`
    /// name (with the originals of edgepages' copies), and edgepages' copies by name.
    pub async fn read_variant(
        &self,
        spec: &VariantSpec,
        config: &DistributionConfig,
    ) -> Result<FoundVariant, AwsError> {
        let mut found = FoundVariant::default();
        for function in [&spec.per_viewer_function, &spec.shared_function] {
            if let Some(f) = self.read_cf_function(&function.name).await? {
                found.functions.insert(function.name.clone(), f);
            }
        }
        let mut wanted: Vec<String> = targets(config).iter().filter_map(|k| cache_policy_id(config, k)).collect();
        let mut at = 0;
        while at < wanted.len() {
            let id = wanted[at].clone();
            at += 1;
            if found.policies.contains_key(&id) {
                continue;
            }
            let read = self.read_cache_policy(&id).await;
            if let Ok(policy) = &read
                && let Some(original) = original_of(&policy.config)
            {
                wanted.push(original.to_owned());
            }
            found.policies.insert(id, read);
        }
        // Custom policies by name, for the copies of the originals read above (a copy's name
        // holds its original's ID); copies made for other distributions' policies are not read.
        let mut marker = None;
        loop {
            let out = self
                .cloudfront
                .list_cache_policies()
                .r#type(CachePolicyType::Custom)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(call("listing the account's cache policies"))?;
            let Some(list) = out.cache_policy_list else { break };
            for summary in list.items.unwrap_or_default() {
                let Some(policy) = summary.cache_policy else { continue };
                let Some(config) = policy.cache_policy_config else { continue };
                if original_of(&config).is_some_and(|original| found.policies.contains_key(original)) {
                    found.copies.insert(config.name.clone(), policy.id.clone());
                    if let std::collections::btree_map::Entry::Vacant(slot) = found.policies.entry(policy.id) {
                        let read = self.read_cache_policy(slot.key()).await;
                        slot.insert(read);
                    }
                }
            }
            match list.next_marker.filter(|m| !m.is_empty()) {
                Some(next) => marker = Some(next),
                None => break,
            }
        }
        Ok(found)
    }

    async fn read_cache_policy(&self, id: &str) -> Result<FoundPolicy, String> {
        let out = self.cloudfront.get_cache_policy().id(id).send().await.map_err(|e| answered(&e))?;
        let config = out.cache_policy.and_then(|p| p.cache_policy_config).ok_or("no config in the answer")?;
        Ok(FoundPolicy { config, etag: out.e_tag.unwrap_or_default() })
    }

    /// A CloudFront Function's development stage and, if published, its live code.
    async fn read_cf_function(&self, name: &str) -> Result<Option<FoundCloudFrontFunction>, AwsError> {
        let action = || format!("reading CloudFront Function {name}");
        let development =
            match self.cloudfront.describe_function().name(name).stage(FunctionStage::Development).send().await {
                Ok(out) => out,
                Err(e) if e.as_service_error().is_some_and(|s| s.code() == Some("NoSuchFunctionExists")) => {
                    return Ok(None);
                }
                Err(e) => return Err(call(action())(e)),
            };
        let arn =
            development.function_summary.and_then(|s| s.function_metadata).map(|m| m.function_arn).unwrap_or_default();
        let code = |stage| async move {
            self.cloudfront
                .get_function()
                .name(name)
                .stage(stage)
                .send()
                .await
                .map(|out| out.function_code.map(Blob::into_inner).unwrap_or_default())
        };
        let dev_code = code(FunctionStage::Development).await.map_err(call(action()))?;
        let live = match code(FunctionStage::Live).await {
            Ok(bytes) => Some(bytes),
            Err(e) if e.as_service_error().is_some_and(|s| s.code() == Some("NoSuchFunctionExists")) => None,
            Err(e) => return Err(call(action())(e)),
        };
        Ok(Some(FoundCloudFrontFunction {
            arn,
            etag: development.e_tag.unwrap_or_default(),
            development: dev_code,
            live,
        }))
    }

    /// Makes `step`, one of a [`VariantPlan`](super::plan::VariantPlan)'s, and records it in
    /// `done`, which holds the ETag the write before it answered.
    pub async fn write_variant(
        &self,
        step: &VariantStep,
        progress: &dyn Progress,
        done: &mut VariantWritten,
    ) -> Result<(), AwsError> {
        let what = step.describe();
        progress.step(&what);
        match step {
            VariantStep::CreateFunction { .. }
            | VariantStep::UpdateFunction { .. }
            | VariantStep::PublishFunction { .. } => self.write_cf_function(step, &what, done).await?,
            VariantStep::CreatePolicy { .. } | VariantStep::UpdatePolicy { .. } => {
                self.write_policy_copy(step, &what, done).await?;
            }
        }
        done.done.push(what);
        Ok(())
    }

    /// A CloudFront Function created, updated with `If-Match`, or published to live.
    async fn write_cf_function(
        &self,
        step: &VariantStep,
        what: &str,
        done: &mut VariantWritten,
    ) -> Result<(), AwsError> {
        match step {
            VariantStep::CreateFunction { name, code } => {
                let (settings, code) = function_config(code);
                let out = self
                    .cloudfront
                    .create_function()
                    .name(name)
                    .function_config(settings.map_err(|e| build(what, &e))?)
                    .function_code(code)
                    .send()
                    .await
                    .map_err(call(what))?;
                done.etag = out.e_tag;
                let arn = out.function_summary.and_then(|s| s.function_metadata).map(|m| m.function_arn);
                done.function_arns.push((name.clone(), arn.unwrap_or_default()));
            }
            VariantStep::UpdateFunction { name, etag: planned, code } => {
                let (settings, code) = function_config(code);
                let out = self
                    .cloudfront
                    .update_function()
                    .name(name)
                    .if_match(planned)
                    .function_config(settings.map_err(|e| build(what, &e))?)
                    .function_code(code)
                    .send()
                    .await
                    .map_err(changed(what))?;
                done.etag = out.e_tag;
            }
            VariantStep::PublishFunction { name, etag: planned } => {
                let if_match = planned.clone().or_else(|| done.etag.take()).unwrap_or_default();
                self.cloudfront.publish_function().name(name).if_match(if_match).send().await.map_err(changed(what))?;
            }
            VariantStep::CreatePolicy { .. } | VariantStep::UpdatePolicy { .. } => {}
        }
        Ok(())
    }

    /// A cache policy copy created, or updated with `If-Match`.
    async fn write_policy_copy(
        &self,
        step: &VariantStep,
        what: &str,
        done: &mut VariantWritten,
    ) -> Result<(), AwsError> {
        match step {
            VariantStep::CreatePolicy { config } => {
                let out = self
                    .cloudfront
                    .create_cache_policy()
                    .cache_policy_config(config.clone())
                    .send()
                    .await
                    .map_err(call_within(what, &[Quota::HeadersPerCachePolicy, Quota::CachePolicies]))?;
                let id = out.cache_policy.map(|p| p.id).unwrap_or_default();
                if let Some(original) = original_of(config) {
                    done.copy_ids.push((original.to_owned(), id));
                }
            }
            VariantStep::UpdatePolicy { id, etag: planned, config } => {
                self.cloudfront
                    .update_cache_policy()
                    .id(id)
                    .if_match(planned)
                    .cache_policy_config(config.clone())
                    .send()
                    .await
                    .map_err(|e| match over_quota(&e, &[Quota::HeadersPerCachePolicy]) {
                        Some(quota) => {
                            AwsError::OverQuota { action: what.to_owned(), quota, code: quota.code().to_owned() }
                        }
                        None => changed(what)(e),
                    })?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// A CloudFront Function's settings and `code`, as sent.
fn function_config(code: &str) -> (Result<FunctionConfig, aws_sdk_cloudfront::error::BuildError>, Blob) {
    (
        FunctionConfig::builder().comment(COMMENT).runtime(FunctionRuntime::CloudfrontJs20).build(),
        Blob::new(code.as_bytes()),
    )
}

fn build(what: &str, e: &dyn std::error::Error) -> AwsError {
    AwsError::Call { action: what.to_owned(), message: e.to_string() }
}

/// A refused `If-Match` means someone changed it after it was read.
fn changed<E>(what: &str) -> impl FnOnce(SdkError<E, HttpResponse>) -> AwsError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    let refused = AwsError::Call {
        action: what.to_owned(),
        message:
            "it was changed by someone else after it was read (If-Match failed); nothing of theirs was overwritten"
                .into(),
    };
    call_unless_changed(what, |e: &E| e.code() == Some("PreconditionFailed"), refused)
}

//! Thin adapter over already-built Lambda (us-east-1) and IAM clients: reads what exists of the
//! function and its role, and makes each step of a [`FunctionPlan`](super::plan::FunctionPlan). Every write to the function sends
//! the revision it was planned from, so a change made by anyone since is refused, not
//! overwritten; roles and their policies are created under names `publish` owns.

use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, FunctionConfiguration, LastUpdateStatus, Runtime, State};

use super::plan::{FoundLambda, FoundRole, FoundVersion, LambdaStep, role_arn};
use super::policies::{logging_policy, logging_policy_name, same_policy, trust_policy};
use super::{FunctionSpec, Role, Setup};
use crate::aws::{AwsError, call, call_unless_changed};
use crate::progress::Progress;

/// Pauses while waiting for a new role to become usable, or an update to finish: IAM is
/// eventually consistent, and Lambda refuses a write while the last one is in progress.
const PAUSES_S: [u64; 9] = [1, 2, 3, 5, 5, 5, 10, 10, 10];

/// The clients the function needs, built by the caller (Lambda's for us-east-1).
#[derive(Debug, Clone)]
pub struct FunctionAws {
    pub lambda: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
}

/// What the apply loop wrote of the function, and what the next step writes with.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct FunctionWritten {
    /// The steps completed, in order.
    pub done: Vec<LambdaStep>,
    /// The role created, its ARN.
    pub created_role: Option<String>,
    /// The version published, its qualified ARN.
    pub published_version: Option<String>,
    /// The role the function runs with: planned, or created by an earlier step.
    #[serde(skip)]
    pub role: String,
    /// The revision the next write sends: read, or answered by the write before it.
    #[serde(skip)]
    pub revision: Option<String>,
}

impl FunctionWritten {
    /// Before the first step of the plan for `spec`, from what was `found`.
    pub fn start(spec: &FunctionSpec, found: &FoundLambda) -> FunctionWritten {
        FunctionWritten {
            role: role_arn(spec, found),
            revision: found.latest.as_ref().map(|l| l.revision_id.clone()),
            ..FunctionWritten::default()
        }
    }

    /// What was written, in words: `nothing`, or each step.
    pub fn said(&self) -> String {
        let said: Vec<String> = self
            .done
            .iter()
            .map(|step| match step {
                LambdaStep::CreateRole => format!("role {} created", self.created_role.as_deref().unwrap_or("?")),
                LambdaStep::PutLoggingPolicy => "the role's logging policy put".to_owned(),
                LambdaStep::CreateFunction => "function created".to_owned(),
                LambdaStep::UpdateCode => "code updated".to_owned(),
                LambdaStep::UpdateSetup => "settings updated".to_owned(),
                LambdaStep::PublishVersion => {
                    format!("version {} published", self.published_version.as_deref().unwrap_or("?"))
                }
            })
            .collect();
        if said.is_empty() { "nothing".to_owned() } else { said.join(", ") }
    }
}

impl FunctionAws {
    pub fn new(lambda: aws_sdk_lambda::Client, iam: aws_sdk_iam::Client) -> Self {
        FunctionAws { lambda, iam }
    }

    /// Reads the managed role (if the config does not give one), the function and its versions.
    pub async fn read(&self, spec: &FunctionSpec) -> Result<FoundLambda, AwsError> {
        let role = match &spec.role {
            Role::Managed(name) => self.read_role(name, &spec.name).await?,
            Role::Given(_) => None,
        };
        let (latest, versions) = self.read_function(&spec.name).await?;
        Ok(FoundLambda { role, latest, versions })
    }

    /// The function's `$LATEST` and its published versions; `None` and none if it does not exist.
    pub async fn read_function(&self, name: &str) -> Result<(Option<FoundVersion>, Vec<FoundVersion>), AwsError> {
        let Some(latest) = self.configuration(name, None).await? else { return Ok((None, Vec::new())) };
        Ok((Some(found_version(&latest)), self.versions(name).await?))
    }

    async fn read_role(&self, name: &str, function: &str) -> Result<Option<FoundRole>, AwsError> {
        let role = match self.iam.get_role().role_name(name).send().await {
            Ok(out) => out.role,
            Err(e)
                if e.as_service_error()
                    .is_some_and(aws_sdk_iam::operation::get_role::GetRoleError::is_no_such_entity_exception) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(call(format!("reading IAM role {name}"))(e)),
        };
        let Some(role) = role else { return Ok(None) };
        let policy_name = logging_policy_name(function);
        let logging_policy_current =
            match self.iam.get_role_policy().role_name(name).policy_name(&policy_name).send().await {
                Ok(out) => same_policy(&out.policy_document, &logging_policy(function)),
                Err(e)
                    if e.as_service_error().is_some_and(
                        aws_sdk_iam::operation::get_role_policy::GetRolePolicyError::is_no_such_entity_exception,
                    ) =>
                {
                    false
                }
                Err(e) => return Err(call(format!("reading policy {policy_name} of IAM role {name}"))(e)),
            };
        Ok(Some(FoundRole {
            arn: role.arn,
            trust_policy: role.assume_role_policy_document.unwrap_or_default(),
            logging_policy_current,
        }))
    }

    /// The function's configuration (`$LATEST`, or the version `qualifier`); `None` if it does
    /// not exist.
    pub async fn configuration(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<Option<FunctionConfiguration>, AwsError> {
        match self
            .lambda
            .get_function_configuration()
            .function_name(name)
            .set_qualifier(qualifier.map(str::to_owned))
            .send()
            .await
        {
            Ok(out) => Ok(Some(configuration_of(out))),
            Err(e) if e.as_service_error().is_some_and(
                aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationError::is_resource_not_found_exception,
            ) => Ok(None),
            Err(e) => Err(call(format!("reading function {name} in us-east-1"))(e)),
        }
    }

    /// The published versions, oldest first.
    pub async fn versions(&self, name: &str) -> Result<Vec<FoundVersion>, AwsError> {
        let mut versions = Vec::new();
        let mut marker = None;
        loop {
            let page = self
                .lambda
                .list_versions_by_function()
                .function_name(name)
                .set_marker(marker)
                .send()
                .await
                .map_err(call(format!("listing the versions of function {name}")))?;
            versions.extend(page.versions().iter().filter(|v| v.version() != Some("$LATEST")).map(found_version));
            marker = page.next_marker().filter(|m| !m.is_empty()).map(str::to_owned);
            if marker.is_none() {
                break;
            }
        }
        versions.sort_by_key(|v| v.version.parse::<u64>().unwrap_or(0));
        Ok(versions)
    }

    /// Makes `step`, one of the plan for `spec`, and records it in `done`, which holds what the
    /// steps before it left: the role to run with and the revision to send.
    pub async fn write(
        &self,
        spec: &FunctionSpec,
        step: LambdaStep,
        progress: &dyn Progress,
        done: &mut FunctionWritten,
    ) -> Result<(), AwsError> {
        let name = &spec.name;
        match step {
            LambdaStep::CreateRole | LambdaStep::PutLoggingPolicy => {
                // A role the config names is used as it is.
                let Role::Managed(role_name) = &spec.role else { return Ok(()) };
                self.write_role(name, role_name, step, progress, done).await?;
            }
            LambdaStep::CreateFunction => {
                progress.step(&format!("creating function {name} in us-east-1 and publishing version 1"));
                let created = self.create_function(spec, &done.role, done.created_role.is_some(), progress).await?;
                done.done.push(step);
                let version = created.version().unwrap_or("1").to_owned();
                self.wait_until_ready(name, Some(&version), progress).await?;
                done.published_version = Some(qualified(created.function_arn().unwrap_or_default(), &version));
                return Ok(());
            }
            LambdaStep::UpdateCode | LambdaStep::UpdateSetup => {
                let revision = self.write_latest(spec, step, progress, done).await?;
                done.done.push(step);
                done.revision = self.settled(name, revision.as_deref(), progress).await?;
                return Ok(());
            }
            LambdaStep::PublishVersion => {
                progress.step(&format!("publishing a version of function {name}"));
                // CodeSha256 and the revision make Lambda refuse if $LATEST is not what was just
                // written.
                let out = self
                    .lambda
                    .publish_version()
                    .function_name(name)
                    .code_sha256(&spec.code_sha256)
                    .set_revision_id(done.revision.clone())
                    .description(version_description())
                    .send()
                    .await
                    .map_err(|e| refused_if_changed(e, name, "publishing a version of function"))?;
                let version = out.version().unwrap_or_default().to_owned();
                self.wait_until_ready(name, Some(&version), progress).await?;
                done.published_version = Some(qualified(out.function_arn().unwrap_or_default(), &version));
            }
        }
        done.done.push(step);
        Ok(())
    }

    /// The managed role `role_name`: created, or given the logging policy for function `name`.
    async fn write_role(
        &self,
        name: &str,
        role_name: &str,
        step: LambdaStep,
        progress: &dyn Progress,
        done: &mut FunctionWritten,
    ) -> Result<(), AwsError> {
        if step == LambdaStep::CreateRole {
            progress.step(&format!("creating IAM role {role_name}"));
            done.role = self.create_role(role_name).await?;
            done.created_role = Some(done.role.clone());
            return Ok(());
        }
        let policy = logging_policy_name(name);
        progress.step(&format!("putting policy {policy} on IAM role {role_name}"));
        self.iam
            .put_role_policy()
            .role_name(role_name)
            .policy_name(&policy)
            .policy_document(logging_policy(name).to_string())
            .send()
            .await
            .map_err(call(format!("putting policy {policy} on IAM role {role_name}")))?;
        Ok(())
    }

    /// `$LATEST`'s code or settings, sent with the revision `done` holds; the revision Lambda
    /// answered.
    async fn write_latest(
        &self,
        spec: &FunctionSpec,
        step: LambdaStep,
        progress: &dyn Progress,
        done: &FunctionWritten,
    ) -> Result<Option<String>, AwsError> {
        let name = &spec.name;
        if step == LambdaStep::UpdateCode {
            progress.step(&format!("updating the code of function {name} ({})", spec.code_sha256));
            let out = self
                .lambda
                .update_function_code()
                .function_name(name)
                .zip_file(Blob::new(spec.zip.clone()))
                .set_revision_id(done.revision.clone())
                .send()
                .await
                .map_err(|e| refused_if_changed(e, name, "updating the code of function"))?;
            return Ok(out.revision_id);
        }
        progress.step(&format!("setting the runtime, memory, timeout and role of function {name}"));
        let out = self.update_setup(name, &Setup::wanted(&done.role), done.revision.clone()).await?;
        Ok(out.revision_id)
    }

    async fn update_setup(
        &self,
        name: &str,
        wanted: &Setup,
        revision: Option<String>,
    ) -> Result<aws_sdk_lambda::operation::update_function_configuration::UpdateFunctionConfigurationOutput, AwsError>
    {
        self.lambda
            .update_function_configuration()
            .function_name(name)
            .runtime(Runtime::from(wanted.runtime.as_str()))
            .handler(&wanted.handler)
            .role(&wanted.role_arn)
            .memory_size(wanted.memory_mb)
            .timeout(wanted.timeout_s)
            .set_revision_id(revision)
            .send()
            .await
            .map_err(|e| refused_if_changed(e, name, "updating the settings of function"))
    }

    async fn create_role(&self, name: &str) -> Result<String, AwsError> {
        let out = self
            .iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust_policy().to_string())
            .description("Runs edgepages' Lambda@Edge functions; made by `edgepages publish`")
            .send()
            .await
            .map_err(call(format!("creating IAM role {name}")))?;
        Ok(out.role.map(|r| r.arn).unwrap_or_default())
    }

    /// Creates the function and publishes version 1. A role created moments ago may not be
    /// assumable yet (IAM is eventually consistent): Lambda says so, and the call is repeated.
    async fn create_function(
        &self,
        spec: &FunctionSpec,
        role: &str,
        new_role: bool,
        progress: &dyn Progress,
    ) -> Result<FunctionConfiguration, AwsError> {
        let name = &spec.name;
        let wanted = Setup::wanted(role);
        let mut pauses = PAUSES_S.iter();
        loop {
            let sent = self
                .lambda
                .create_function()
                .function_name(name)
                .runtime(Runtime::from(wanted.runtime.as_str()))
                .handler(&wanted.handler)
                .role(&wanted.role_arn)
                .memory_size(wanted.memory_mb)
                .timeout(wanted.timeout_s)
                .code(FunctionCode::builder().zip_file(Blob::new(spec.zip.clone())).build())
                .description(version_description())
                .publish(true)
                .send()
                .await;
            match sent {
                Ok(out) => return Ok(configuration_of(out)),
                Err(e) => {
                    let role_not_ready = new_role
                        && e.as_service_error().is_some_and(|s| {
                            s.is_invalid_parameter_value_exception() && s.to_string().contains("role")
                        });
                    match pauses.next() {
                        Some(&pause) if role_not_ready => {
                            progress.step(&format!("the new role is not usable yet; trying again in {pause} s"));
                            tokio::time::sleep(Duration::from_secs(pause)).await;
                        }
                        _ => return Err(call(format!("creating function {name} in us-east-1"))(e)),
                    }
                }
            }
        }
    }

    /// After a write to `$LATEST` that answered `revision`: waits for the update to finish, and
    /// returns the revision the next conditional write must send.
    async fn settled(
        &self,
        name: &str,
        revision: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<Option<String>, AwsError> {
        Ok(self.wait_until_ready(name, None, progress).await?.or_else(|| revision.map(str::to_owned)))
    }

    /// Waits while the function (or `version`) is being created or updated; returns its
    /// revision once it is ready.
    async fn wait_until_ready(
        &self,
        name: &str,
        version: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<Option<String>, AwsError> {
        let mut pauses = PAUSES_S.iter();
        loop {
            let Some(config) = self.configuration(name, version).await? else {
                return Err(AwsError::Call {
                    action: format!("reading function {name} back"),
                    message: "it no longer exists".into(),
                });
            };
            let busy = config.state() == Some(&State::Pending)
                || config.last_update_status() == Some(&LastUpdateStatus::InProgress);
            let failed = config.state() == Some(&State::Failed)
                || config.last_update_status() == Some(&LastUpdateStatus::Failed);
            if failed {
                return Err(AwsError::Call {
                    action: format!("deploying function {name}"),
                    message: config
                        .last_update_status_reason()
                        .or(config.state_reason())
                        .unwrap_or("Lambda reports it failed")
                        .to_owned(),
                });
            }
            if !busy {
                return Ok(config.revision_id().map(str::to_owned));
            }
            let Some(&pause) = pauses.next() else {
                return Err(AwsError::Call {
                    action: format!("waiting for function {name}"),
                    message: "it was still being updated after a minute".into(),
                });
            };
            progress.step(&format!("function {name} is being updated; checking again in {pause} s"));
            tokio::time::sleep(Duration::from_secs(pause)).await;
        }
    }
}

fn version_description() -> String {
    format!("edgepages {}", env!("CARGO_PKG_VERSION"))
}

/// `arn` qualified with `version`, whether or not Lambda already qualified it.
fn qualified(arn: &str, version: &str) -> String {
    if arn.ends_with(&format!(":{version}")) { arn.to_owned() } else { format!("{arn}:{version}") }
}

fn refused_if_changed<E>(e: aws_sdk_lambda::error::SdkError<E>, name: &str, action: &str) -> AwsError
where
    E: std::error::Error + aws_sdk_lambda::error::ProvideErrorMetadata + 'static,
{
    let changed = AwsError::FunctionChanged { name: name.to_owned() };
    let refused = |e: &E| aws_sdk_lambda::error::ProvideErrorMetadata::code(e) == Some("PreconditionFailedException");
    call_unless_changed(format!("{action} {name}"), refused, changed)(e)
}

/// The configuration in any of Lambda's answers that carry one.
fn configuration_of(out: impl Into<FunctionConfigurationParts>) -> FunctionConfiguration {
    out.into().0
}

/// Lambda's get, create and publish answers each carry a function's configuration, as
/// separate types with the same fields.
struct FunctionConfigurationParts(FunctionConfiguration);

macro_rules! configuration_parts {
    ($($output:ty),*) => {$(
        impl From<$output> for FunctionConfigurationParts {
            fn from(o: $output) -> Self {
                FunctionConfigurationParts(
                    FunctionConfiguration::builder()
                        .set_function_arn(o.function_arn)
                        .set_runtime(o.runtime)
                        .set_role(o.role)
                        .set_handler(o.handler)
                        .set_timeout(o.timeout)
                        .set_memory_size(o.memory_size)
                        .set_code_sha256(o.code_sha256)
                        .set_version(o.version)
                        .set_revision_id(o.revision_id)
                        .set_state(o.state)
                        .set_state_reason(o.state_reason)
                        .set_last_update_status(o.last_update_status)
                        .set_last_update_status_reason(o.last_update_status_reason)
                        .build(),
                )
            }
        }
    )*};
}

configuration_parts!(
    aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput,
    aws_sdk_lambda::operation::create_function::CreateFunctionOutput
);

fn found_version(c: &FunctionConfiguration) -> FoundVersion {
    FoundVersion {
        version: c.version().unwrap_or("$LATEST").to_owned(),
        arn: c.function_arn().unwrap_or_default().to_owned(),
        code_sha256: c.code_sha256().unwrap_or_default().to_owned(),
        setup: Setup {
            runtime: c.runtime().map(|r| r.as_str().to_owned()).unwrap_or_default(),
            handler: c.handler().unwrap_or_default().to_owned(),
            role_arn: c.role().unwrap_or_default().to_owned(),
            memory_mb: c.memory_size().unwrap_or_default(),
            timeout_s: c.timeout().unwrap_or_default(),
        },
        revision_id: c.revision_id().unwrap_or_default().to_owned(),
    }
}

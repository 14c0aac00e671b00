//! The function's plan: a pure function of its [`FunctionSpec`] and what exists ([`FoundLambda`]),
//! listing the writes in the order they are made. A version is published only when no
//! published version already holds this code with these settings, so a second publish with
//! nothing changed makes no write.

use serde::Serialize;

use super::policies::trusts_both_services;
use super::{FunctionSpec, Role, Setup};
use crate::change::{Change, ChangeKind};

/// The managed role as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRole {
    pub arn: String,
    /// The trust policy, as IAM returns it (URL-encoded JSON).
    pub trust_policy: String,
    /// Whether the inline logging policy for this function is there and as wanted.
    pub logging_policy_current: bool,
}

/// The function's unqualified settings (`$LATEST`) or one published version's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundVersion {
    /// `$LATEST`, or the version's number.
    pub version: String,
    /// The version's ARN, qualified with its number.
    pub arn: String,
    pub code_sha256: String,
    pub setup: Setup,
    /// Lambda's revision of it, sent back so that a write fails if anyone changed it since.
    pub revision_id: String,
}

/// What exists of the function, in us-east-1.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FoundLambda {
    /// The managed role; `None` when it does not exist, or when the config gives a role ARN.
    pub role: Option<FoundRole>,
    /// `$LATEST`, when the function exists.
    pub latest: Option<FoundVersion>,
    /// The published versions, oldest first.
    pub versions: Vec<FoundVersion>,
}

/// One write, in the order they are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LambdaStep {
    /// Create the managed role with its trust policy.
    CreateRole,
    /// Put the role's inline logging policy for this function.
    PutLoggingPolicy,
    /// Create the function and publish its first version in the same call.
    CreateFunction,
    UpdateCode,
    UpdateSetup,
    PublishVersion,
}

/// Why the function cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FunctionPlanError {
    #[error(
        "role {name} exists but does not let both lambda.amazonaws.com and edgelambda.amazonaws.com assume it, \
         which Lambda@Edge needs; edgepages will not change a role's trust policy: fix it, or set \
         [cloudfront.lambda_edge] role_arn to another role"
    )]
    RoleNotTrusted { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionPlan {
    pub steps: Vec<LambdaStep>,
    /// The published version that already holds the wanted code and settings, if one does: the
    /// one the distribution is to use when nothing is written.
    pub current_version: Option<FoundVersion>,
    pub changes: Vec<Change>,
}

impl FunctionPlan {
    pub fn write_count(&self) -> usize {
        self.steps.len()
    }
}

/// Shown in place of the role's ARN when it does not exist yet.
pub const NEW_ROLE: &str = "(new role)";

/// The role ARN the function is to run with: given, found, or [`NEW_ROLE`].
pub fn role_arn(spec: &FunctionSpec, found: &FoundLambda) -> String {
    match &spec.role {
        Role::Given(arn) => arn.clone(),
        Role::Managed(_) => found.role.as_ref().map_or_else(|| NEW_ROLE.to_owned(), |r| r.arn.clone()),
    }
}

pub fn plan(spec: &FunctionSpec, found: &FoundLambda) -> Result<FunctionPlan, FunctionPlanError> {
    let mut steps = Vec::new();
    let mut changes = Vec::new();
    if let Role::Managed(name) = &spec.role {
        match &found.role {
            None => {
                steps.extend([LambdaStep::CreateRole, LambdaStep::PutLoggingPolicy]);
                changes.push(change(ChangeKind::Add, format!("role {name}"), None, Some("trusted by Lambda@Edge")));
            }
            Some(role) if !trusts_both_services(&role.trust_policy) => {
                return Err(FunctionPlanError::RoleNotTrusted { name: name.clone() });
            }
            Some(role) if !role.logging_policy_current => {
                steps.push(LambdaStep::PutLoggingPolicy);
                changes.push(change(
                    ChangeKind::Modify,
                    format!("role {name}"),
                    None,
                    Some(&format!("logging policy for {}", spec.name)),
                ));
            }
            Some(_) => {}
        }
    }
    let wanted = Setup::wanted(&role_arn(spec, found));
    let target = format!("function {} (us-east-1)", spec.name);
    let current_version =
        found.versions.iter().rev().find(|v| v.code_sha256 == spec.code_sha256 && v.setup == wanted).cloned();
    match &found.latest {
        None => {
            steps.push(LambdaStep::CreateFunction);
            changes.push(change(ChangeKind::Add, target, None, Some(&describe(&spec.code_sha256, &wanted))));
        }
        Some(latest) => {
            if latest.code_sha256 != spec.code_sha256 {
                steps.push(LambdaStep::UpdateCode);
            }
            if latest.setup != wanted {
                steps.push(LambdaStep::UpdateSetup);
            }
            if current_version.is_none() {
                steps.push(LambdaStep::PublishVersion);
            }
            let newest = found.versions.last();
            let before = changes.len();
            changes.extend(Change::between(
                target.clone(),
                Some(newest.map_or_else(
                    || "no published version".to_owned(),
                    |v| format!("version {}: {}", v.version, describe(&v.code_sha256, &v.setup)),
                )),
                Some(current_version.as_ref().map_or_else(
                    || format!("a new version: {}", describe(&spec.code_sha256, &wanted)),
                    |v| format!("version {}: {}", v.version, describe(&v.code_sha256, &v.setup)),
                )),
            ));
            // The versions are as wanted, but `$LATEST` was changed by hand: say what is set back.
            if changes.len() == before
                && steps.iter().any(|s| matches!(s, LambdaStep::UpdateCode | LambdaStep::UpdateSetup))
            {
                changes.extend(Change::between(
                    format!("{target} $LATEST"),
                    Some(describe(&latest.code_sha256, &latest.setup)),
                    Some(describe(&spec.code_sha256, &wanted)),
                ));
            }
        }
    }
    Ok(FunctionPlan { steps, current_version, changes })
}

/// The numbered version a plan associates: the one that already holds this code with these
/// settings, else the one publish is about to publish, shown as
/// [`NEW_VERSION`](crate::association::NEW_VERSION) until Lambda numbers it.
pub fn planned_version_arn(spec: &FunctionSpec, found: &FoundLambda, planned: &FunctionPlan) -> String {
    if let Some(version) = &planned.current_version {
        return version.arn.clone();
    }
    let function = found.latest.as_ref().map_or_else(
        || format!("arn:aws:lambda:{}:(account):function:{}", super::REGION, spec.name),
        |latest| latest.arn.split(':').take(7).collect::<Vec<_>>().join(":"),
    );
    format!("{function}:{}", crate::association::NEW_VERSION)
}

fn describe(code_sha256: &str, setup: &Setup) -> String {
    format!(
        "code {code_sha256}, {}, {} MB, {} s, role {}",
        setup.runtime, setup.memory_mb, setup.timeout_s, setup.role_arn
    )
}

fn change(kind: ChangeKind, target: String, before: Option<&str>, after: Option<&str>) -> Change {
    Change { kind, target, before: before.map(str::to_owned), after: after.map(str::to_owned) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::policies::trust_policy;
    use crate::function::tests_support::{ROLE_ARN, spec};

    fn role() -> FoundRole {
        FoundRole { arn: ROLE_ARN.into(), trust_policy: trust_policy().to_string(), logging_policy_current: true }
    }

    fn version(number: &str, code: &str) -> FoundVersion {
        FoundVersion {
            version: number.into(),
            arn: format!("arn:aws:lambda:us-east-1:123456789012:function:edgepages-E2EXAMPLE123:{number}"),
            code_sha256: spec(code).code_sha256,
            setup: Setup::wanted(ROLE_ARN),
            revision_id: format!("rev-{number}"),
        }
    }

    fn deployed(code: &str) -> FoundLambda {
        FoundLambda { role: Some(role()), latest: Some(version("$LATEST", code)), versions: vec![version("1", code)] }
    }

    #[test]
    fn nothing_exists_so_everything_is_created() {
        let plan = plan(&spec("v1"), &FoundLambda::default()).unwrap();
        assert_eq!(plan.steps, [LambdaStep::CreateRole, LambdaStep::PutLoggingPolicy, LambdaStep::CreateFunction]);
        assert_eq!(plan.current_version, None);
        let targets: Vec<_> = plan.changes.iter().map(|c| (c.kind, c.target.as_str())).collect();
        assert_eq!(
            targets,
            [
                (ChangeKind::Add, "role edgepages-lambda-edge"),
                (ChangeKind::Add, "function edgepages-E2EXAMPLE123 (us-east-1)")
            ]
        );
        assert!(plan.changes[1].after.as_deref().unwrap().contains("nodejs22.x, 128 MB, 5 s, role (new role)"));
    }

    #[test]
    fn the_same_code_and_settings_make_no_write() {
        let plan = plan(&spec("v1"), &deployed("v1")).unwrap();
        assert!(plan.steps.is_empty(), "{:?}", plan.steps);
        assert!(plan.changes.is_empty(), "{:?}", plan.changes);
        assert_eq!(plan.current_version.unwrap().version, "1");
    }

    #[test]
    fn new_code_updates_the_function_and_publishes_a_version() {
        let plan = plan(&spec("v2"), &deployed("v1")).unwrap();
        assert_eq!(plan.steps, [LambdaStep::UpdateCode, LambdaStep::PublishVersion]);
        let change = &plan.changes[0];
        assert_eq!(change.kind, ChangeKind::Modify);
        assert!(change.before.as_deref().unwrap().starts_with("version 1: code "), "{change:?}");
        assert!(change.after.as_deref().unwrap().starts_with("a new version: code "), "{change:?}");
    }

    #[test]
    fn code_already_uploaded_but_never_published_is_published() {
        // A publish that stopped between updating the code and publishing a version.
        let mut found = deployed("v1");
        found.latest = Some(version("$LATEST", "v2"));
        assert_eq!(plan(&spec("v2"), &found).unwrap().steps, [LambdaStep::PublishVersion]);
    }

    #[test]
    fn an_older_version_with_the_same_code_is_reused() {
        // Rolled back to code that an earlier version already holds: no new version.
        let mut found = deployed("v1");
        found.versions.push(version("2", "v2"));
        found.latest = Some(version("$LATEST", "v2"));
        let plan = plan(&spec("v1"), &found).unwrap();
        assert_eq!(plan.steps, [LambdaStep::UpdateCode]);
        assert_eq!(plan.current_version.unwrap().version, "1");
    }

    #[test]
    fn changed_settings_are_set_back_and_published() {
        let mut found = deployed("v1");
        let latest = found.latest.as_mut().unwrap();
        latest.setup.timeout_s = 30;
        found.versions[0].setup.timeout_s = 30;
        assert_eq!(plan(&spec("v1"), &found).unwrap().steps, [LambdaStep::UpdateSetup, LambdaStep::PublishVersion]);
    }

    #[test]
    fn latest_changed_by_hand_is_set_back_and_said() {
        let mut found = deployed("v1");
        found.latest.as_mut().unwrap().setup.timeout_s = 30;
        let plan = plan(&spec("v1"), &found).unwrap();
        assert_eq!(plan.steps, [LambdaStep::UpdateSetup]);
        assert_eq!(plan.current_version.as_ref().unwrap().version, "1");
        let change = &plan.changes[0];
        assert_eq!(change.target, "function edgepages-E2EXAMPLE123 (us-east-1) $LATEST");
        assert!(change.before.as_deref().unwrap().contains(", 30 s,"), "{change:?}");
        assert!(change.after.as_deref().unwrap().contains(", 5 s,"), "{change:?}");
    }

    #[test]
    fn a_given_role_is_used_as_it_is() {
        let mut given = spec("v1");
        given.role = Role::Given("arn:aws:iam::123456789012:role/theirs".into());
        let plan = plan(&given, &FoundLambda::default()).unwrap();
        assert_eq!(plan.steps, [LambdaStep::CreateFunction]);
        assert!(plan.changes[0].after.as_deref().unwrap().ends_with("role arn:aws:iam::123456789012:role/theirs"));
    }

    #[test]
    fn the_managed_role_gets_this_functions_logging_policy_when_it_lacks_it() {
        let mut found = deployed("v1");
        found.role.as_mut().unwrap().logging_policy_current = false;
        assert_eq!(plan(&spec("v1"), &found).unwrap().steps, [LambdaStep::PutLoggingPolicy]);
    }

    #[test]
    fn a_managed_role_lambda_at_edge_cannot_assume_is_refused() {
        let mut found = deployed("v1");
        found.role.as_mut().unwrap().trust_policy = trust_policy().to_string().replace("edgelambda", "states");
        assert_eq!(
            plan(&spec("v1"), &found).unwrap_err(),
            FunctionPlanError::RoleNotTrusted { name: "edgepages-lambda-edge".into() }
        );
    }
}

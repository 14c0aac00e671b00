//! What to do about an error: the variable, command or permission that fixes it. The libraries
//! state the fault; this module, knowing the flags and the config file, says the fix.

use std::path::Path;

use edgepages_publish::apply::ApplyError;
use edgepages_publish::aws::{AwsError, Quota};
use edgepages_publish::fault::Fault;

/// The fix for `err`, when it is a fault a person fixes outside edgepages.
pub fn advice(err: &anyhow::Error, config: &Path) -> Option<String> {
    let aws = err.chain().find_map(|e| {
        e.downcast_ref::<AwsError>().or_else(|| e.downcast_ref::<ApplyError>().map(|applied| &applied.source))
    })?;
    let fault = match aws {
        AwsError::PreconditionFailed { .. } | AwsError::FunctionChanged { .. } | AwsError::PolicyChanged { .. } => {
            return Some("run `edgepages plan` to see it as it is now, then publish again".to_owned());
        }
        AwsError::ListenerChanged { .. } => {
            return Some("run the command again: it plans from the listener as it is now".to_owned());
        }
        AwsError::OverQuota { quota, .. } => {
            let room = match quota {
                Quota::RulesPerLoadBalancer => {
                    "or remove rules from the load balancer's listeners (`edgepages maintenance off` removes \
                     maintenance's own; dropping [alb] bypass_cidrs or bypass_header saves a copy of each rule)"
                }
                Quota::HeadersPerCachePolicy => {
                    "or take a header out of that policy's cache key, or list the behavior's path in \
                     [cloudfront.lambda_edge] per_viewer"
                }
                Quota::CachePolicies => "or delete custom cache policies the account no longer uses",
            };
            return Some(format!("ask for a higher quota in the Service Quotas console ({}), {room}", quota.name()));
        }
        _ => aws.fault()?,
    };
    Some(match fault {
        Fault::NoCredentials => "set AWS_PROFILE to a profile in ~/.aws/config, or AWS_ACCESS_KEY_ID and \
                                 AWS_SECRET_ACCESS_KEY; `aws sts get-caller-identity` shows whether they work"
            .to_owned(),
        Fault::CredentialsNotLoaded(_) => "if AWS_PROFILE names an SSO profile, run `aws sso login`; otherwise set \
                                           AWS_PROFILE to a working profile in ~/.aws/config, or AWS_ACCESS_KEY_ID and \
                                           AWS_SECRET_ACCESS_KEY"
            .to_owned(),
        Fault::BadCredentials => "these are not valid keys for AWS (a typo, a deleted key, or another partition's): \
                                  check AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; \
                                  `aws sts get-caller-identity` shows which are used"
            .to_owned(),
        Fault::ExpiredCredentials => "renew them: `aws sso login` for an SSO profile, or new temporary keys \
                                      (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN together)"
            .to_owned(),
        Fault::AccessDenied(_) => "grant these credentials the permission AWS named; the guide's Permissions \
                                   chapter (docs/src/permissions.md) lists every permission each command uses"
            .to_owned(),
        Fault::Throttled => "wait a minute and run it again; AWS_MAX_ATTEMPTS=10 gives the SDK more retries".to_owned(),
        Fault::Unreachable(_) => "check the network and any proxy (HTTPS_PROXY); if AWS_ENDPOINT_URL is set, it must \
                                  point at a server that answers"
            .to_owned(),
        Fault::WrongRegion(Some(region)) => format!("set region = \"{region}\" under [s3] in {}", config.display()),
        Fault::WrongRegion(None) => {
            format!("set region under [s3] in {} to the bucket's region (the S3 console shows it)", config.display())
        }
    })
}

#[cfg(test)]
mod tests {
    use edgepages_publish::apply::Applied;
    use edgepages_publish::aws::Detail;

    use super::*;

    fn fault(fault: Fault) -> AwsError {
        AwsError::Fault { action: "listing s3://b/edgepages/".into(), fault, detail: Detail("the SDK's words".into()) }
    }

    #[test]
    fn a_fault_is_answered_with_its_fix_wherever_it_sits_in_the_chain() {
        let config = Path::new("site/edgepages.toml");
        let direct = anyhow::Error::new(fault(Fault::NoCredentials)).context("reading the bucket");
        assert!(advice(&direct, config).unwrap().contains("AWS_PROFILE"));

        let applied = ApplyError {
            source: fault(Fault::WrongRegion(Some("eu-west-1".into()))),
            written: Applied::default(),
            distribution_changed: false,
            unsaved_record: None,
        };
        let got = advice(&anyhow::Error::new(applied).context("publish stopped"), config).unwrap();
        assert_eq!(got, "set region = \"eu-west-1\" under [s3] in site/edgepages.toml");
    }

    #[test]
    fn access_denied_names_the_guides_permissions_chapter() {
        let denied = anyhow::Error::new(fault(Fault::AccessDenied("s3:PutObject".into())));
        let got = advice(&denied, Path::new("edgepages.toml")).unwrap();
        assert!(got.contains("docs/src/permissions.md"), "{got}");
        let chapter = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/src/permissions.md");
        assert!(chapter.is_file(), "{} is not there", chapter.display());
    }

    #[test]
    fn a_write_refused_because_someone_else_changed_the_thing_says_to_plan_again() {
        let changed = anyhow::Error::new(AwsError::PreconditionFailed { id: "E1".into() });
        assert!(advice(&changed, Path::new("edgepages.toml")).unwrap().contains("edgepages plan"));
        assert!(!AwsError::PreconditionFailed { id: "E1".into() }.to_string().contains("edgepages"), "the fault only");
    }

    #[test]
    fn other_errors_get_no_advice() {
        let call = AwsError::Call { action: "reading distribution E1".into(), message: "InternalError".into() };
        assert_eq!(advice(&anyhow::Error::new(call), Path::new("edgepages.toml")), None);
        assert_eq!(advice(&anyhow::anyhow!("a config error"), Path::new("edgepages.toml")), None);
    }

    #[test]
    fn a_quota_is_answered_with_where_to_raise_it_and_how_to_make_room() {
        let config = Path::new("edgepages.toml");
        let over = AwsError::OverQuota {
            action: "adding the bypass rule at priority 2".into(),
            quota: Quota::RulesPerLoadBalancer,
            code: "TooManyRules".into(),
        };
        let got = advice(&anyhow::Error::new(over).context("maintenance on stopped"), config).unwrap();
        assert!(got.starts_with("ask for a higher quota in the Service Quotas console (Elastic Load Balancing: Rules per Application Load Balancer)"), "{got}");
        assert!(got.contains("maintenance off"), "{got}");
    }
}

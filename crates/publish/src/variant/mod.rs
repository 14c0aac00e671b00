//! The answer's variant in the cache key, so that one viewer's language or format never reaches
//! another: the CloudFront Functions that name the variant on viewer request ([`source`]), which
//! behaviors get which, with a copy of their cache policy that holds the variant ([`plan`]),
//! and the thin adapter over the CloudFront client that reads and writes them ([`aws`]).

pub mod aws;
pub mod plan;
pub mod source;
pub mod verify;

use edgepages_core::Config;

use self::plan::{Names, VariantPlan};
use self::source::{Naming, source};

/// What the distribution update does with the variant: the spec, the plan and the names of
/// the functions and copies to point behaviors at (placeholders until they are made).
#[derive(Debug, Clone, PartialEq)]
pub struct VariantEdit {
    pub spec: VariantSpec,
    pub plan: VariantPlan,
    pub names: Names,
}

/// What the config wants: the two functions' names and code, and the behaviors that answer per
/// viewer though they cache nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantSpec {
    /// `false` (`[cloudfront.lambda_edge] enabled = false`) takes edgepages' functions and policy
    /// copies off every behavior.
    pub enabled: bool,
    /// The function that names each viewer's variant, for behaviors that cache.
    pub per_viewer_function: FunctionSpec,
    /// The function that names one variant for all, for behaviors that cache nothing.
    pub shared_function: FunctionSpec,
    /// `[cloudfront.lambda_edge] per_viewer`: path patterns, `*` for the default behavior.
    pub per_viewer: Vec<String>,
}

/// One CloudFront Function: its name and its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    pub name: String,
    pub code: String,
}

impl VariantSpec {
    /// The spec for `config`'s `[cloudfront.lambda_edge]`; `None` without that section.
    pub fn new(config: &Config) -> Option<VariantSpec> {
        let cf = config.cloudfront.as_ref()?;
        let lambda = cf.lambda_edge.as_ref()?;
        let function = |kind: &str, naming| FunctionSpec {
            name: format!("edgepages-{kind}-{}", cf.distribution_id),
            code: source(config, naming),
        };
        Some(VariantSpec {
            enabled: lambda.enabled,
            per_viewer_function: function("variant", Naming::PerViewer),
            shared_function: function("shared", Naming::Shared),
            per_viewer: lambda.per_viewer.clone(),
        })
    }

    /// Whether `arn` is one of this spec's two functions.
    pub fn is_ours(&self, arn: &str) -> bool {
        [&self.per_viewer_function, &self.shared_function]
            .iter()
            .any(|f| arn.rsplit_once(":function/").is_some_and(|(_, name)| name == f.name))
    }
}

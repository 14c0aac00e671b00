//! The answer's variant in the cache key, so that one viewer's language or format never reaches
//! another: the CloudFront Functions that name the variant on viewer request ([`source`]), which
//! behaviors get which, with a copy of their cache policy that holds the variant ([`plan`]),
//! and the thin adapter over the CloudFront client that reads and writes them ([`aws`]).

pub mod aws;
pub mod plan;
pub mod source;
pub mod verify;

use edgepages_core::Config;

use self::source::{Naming, source};

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
            name: format!("{}{}", function_prefix(kind), cf.distribution_id),
            code: source(config, naming),
        };
        Some(VariantSpec {
            enabled: lambda.enabled,
            per_viewer_function: function(PER_VIEWER_KIND, Naming::PerViewer),
            shared_function: function(SHARED_KIND, Naming::Shared),
            per_viewer: lambda.per_viewer.clone(),
        })
    }

    /// Whether `arn` is one of this spec's two functions.
    pub fn is_ours(&self, arn: &str) -> bool {
        function_name(arn)
            .is_some_and(|name| name == self.per_viewer_function.name || name == self.shared_function.name)
    }
}

/// edgepages names its functions `edgepages-<kind>-<distribution ID>`, one of each kind.
const PER_VIEWER_KIND: &str = "variant";
const SHARED_KIND: &str = "shared";

fn function_prefix(kind: &str) -> String {
    format!("edgepages-{kind}-")
}

/// The name in a CloudFront Function's ARN.
fn function_name(arn: &str) -> Option<&str> {
    arn.rsplit_once(":function/").map(|(_, name)| name)
}

/// Whether `arn` is a CloudFront Function that edgepages names, whatever its distribution: what
/// a rollback, which has no spec, may take off a behavior.
pub fn is_edgepages_function(arn: &str) -> bool {
    function_name(arn)
        .is_some_and(|name| [PER_VIEWER_KIND, SHARED_KIND].iter().any(|kind| name.starts_with(&function_prefix(kind))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FUNCTIONS: &str = "arn:aws:cloudfront::123456789012:function/";

    #[test]
    fn ours_is_this_distributions_pair_and_edgepages_is_any_distributions() {
        let function = |name: &str| FunctionSpec { name: name.into(), code: String::new() };
        let spec = VariantSpec {
            enabled: true,
            per_viewer_function: function("edgepages-variant-E1"),
            shared_function: function("edgepages-shared-E1"),
            per_viewer: Vec::new(),
        };
        for name in ["edgepages-variant-E1", "edgepages-shared-E1"] {
            assert!(spec.is_ours(&format!("{FUNCTIONS}{name}")), "{name}");
            assert!(is_edgepages_function(&format!("{FUNCTIONS}{name}")), "{name}");
        }
        assert!(!spec.is_ours(&format!("{FUNCTIONS}edgepages-variant-E2")));
        assert!(is_edgepages_function(&format!("{FUNCTIONS}edgepages-variant-E2")));
        for theirs in ["edgepages-redirects", "my-edgepages-variant-E1", "variant-E1"] {
            assert!(!spec.is_ours(&format!("{FUNCTIONS}{theirs}")), "{theirs}");
            assert!(!is_edgepages_function(&format!("{FUNCTIONS}{theirs}")), "{theirs}");
        }
        assert!(!is_edgepages_function("edgepages-variant-E1"), "not an ARN");
    }
}

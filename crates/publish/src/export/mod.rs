//! `edgepages export`: the parts of a distribution `publish` owns, as data ([`Parts`]), for a
//! team whose distribution lives in CloudFormation ([`cloudformation`]) or Terraform
//! ([`terraform`]). Pure: everything comes from the config, nothing is read from AWS.

pub mod cloudformation;
pub mod terraform;

use edgepages_core::config::OriginTimeouts;

use crate::desired::{CACHING_OPTIMIZED_POLICY_ID, Desired};
use crate::variant::VariantSpec;

/// What `publish` would set on the distribution and the bucket, by the names it would use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    pub distribution_id: String,
    pub bucket: String,
    /// The pages' S3 origin: its ID and regional domain name.
    pub origin_id: String,
    pub origin_domain: String,
    /// The Origin Access Control's name.
    pub oac_name: String,
    /// The pages' cache behavior: GET and HEAD, redirect to HTTPS, compressed, CachingOptimized.
    pub path_pattern: String,
    pub cache_policy_id: &'static str,
    /// `(code, page path, error caching TTL)`, the response code being the code itself; no page
    /// where only the TTL is set (`crate::order`).
    pub error_responses: Vec<(u16, Option<String>, u32)>,
    /// The site origin's timeouts, when `[cloudfront.origin]` sets them.
    pub timeouts: Option<OriginTimeouts>,
    /// The bucket policy statement's resource: the pages.
    pub readable_resource: String,
    /// The Lambda@Edge function's name, when `[cloudfront.lambda_edge]` is enabled; its
    /// numbered version is the team's to pass in.
    pub lambda_function: Option<String>,
    /// The two CloudFront Functions that name the variant, when the function is enabled.
    pub variant: Option<VariantSpec>,
}

/// Every HTTP method the pages' behavior allows and caches.
pub const METHODS: [&str; 2] = ["GET", "HEAD"];

impl Parts {
    pub fn new(desired: &Desired, lambda_function: Option<String>, variant: Option<VariantSpec>) -> Parts {
        Parts {
            distribution_id: desired.distribution_id.clone(),
            bucket: desired.bucket.clone(),
            origin_id: desired.origin_id(),
            origin_domain: desired.origin_domain(),
            oac_name: desired.oac_name(),
            path_pattern: desired.path_pattern(),
            cache_policy_id: CACHING_OPTIMIZED_POLICY_ID,
            error_responses: desired
                .error_pages
                .iter()
                .map(|p| (p.code, p.serves_page.then(|| p.page_path.clone()), desired.error_ttl))
                .collect(),
            timeouts: desired.origin_timeouts.clone(),
            readable_resource: desired.readable_resource(),
            lambda_function,
            variant: variant.filter(|v| v.enabled),
        }
    }

    /// The bucket policy statement `publish` writes, with the distribution's ARN as the
    /// format expresses it.
    pub fn statement(&self, distribution_arn: &serde_json::Value) -> serde_json::Value {
        crate::policy::statement_for(&self.distribution_id, &self.readable_resource, distribution_arn)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fixtures::desired;
    use crate::wiring::Wiring;

    /// `desired()` with the site origin's timeouts and the Lambda@Edge function.
    pub fn parts() -> Parts {
        let mut d = desired();
        d.origin_timeouts = Some(OriginTimeouts {
            id: "alb".into(),
            connection_attempts: Some(1),
            connection_timeout: Some(3),
            read_timeout: Some(10),
        });
        Parts::new(&d, Some("edgepages-E2EXAMPLE123".into()), None)
    }

    #[test]
    fn the_parts_are_what_publish_sets() {
        use crate::distribution::with_desired;
        use crate::fixtures::existing;
        use crate::lists::{behaviors, error_response, origins};
        let mut d = desired();
        d.origin_timeouts = parts().timeouts;
        let p = Parts::new(&d, None, None);
        let config = with_desired(&existing(), &d, &Wiring::default(), "OAC1").unwrap();
        let origin = origins(&config).iter().find(|o| o.id == p.origin_id).unwrap();
        assert_eq!(origin.domain_name, p.origin_domain);
        let behavior = behaviors(&config).iter().find(|b| b.path_pattern == p.path_pattern).unwrap();
        assert_eq!(behavior.target_origin_id, p.origin_id);
        assert_eq!(behavior.cache_policy_id.as_deref(), Some(p.cache_policy_id));
        assert_eq!(behavior.compress, Some(true));
        assert_eq!(behavior.viewer_protocol_policy.as_str(), "redirect-to-https");
        let methods: Vec<&str> = behavior
            .allowed_methods
            .as_ref()
            .unwrap()
            .items
            .iter()
            .map(aws_sdk_cloudfront::types::Method::as_str)
            .collect();
        assert_eq!(methods, METHODS);
        for (code, path, ttl) in &p.error_responses {
            let r = error_response(&config, *code).unwrap();
            assert_eq!(r.response_page_path.as_deref(), path.as_deref());
            assert_eq!(r.response_code.as_deref(), path.as_ref().map(|_| code.to_string()).as_deref());
            assert_eq!(r.error_caching_min_ttl, Some(i64::from(*ttl)));
        }
        let alb = origins(&config).iter().find(|o| o.id == "alb").unwrap();
        assert_eq!((alb.connection_attempts, alb.connection_timeout), (Some(1), Some(3)));
        assert_eq!(alb.custom_origin_config.as_ref().unwrap().origin_read_timeout, Some(10));
    }
}

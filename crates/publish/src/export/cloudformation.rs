//! The parts as a CloudFormation template (JSON): the Origin Access Control, the bucket policy
//! and, with the Lambda@Edge function, the two variant CloudFront Functions as resources of
//! their own; and a distribution holding exactly `publish`'s parts, plus the least CloudFormation
//! requires of a distribution, for a team to copy its parts into their own.

use serde_json::{Value, json};

use super::{METHODS, Parts};

/// The managed cache policy "CachingDisabled", for the example's default behavior.
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// The example's stand-in for the team's own origin, when `[cloudfront.origin]` names none.
const SITE_ORIGIN: &str = "site";
/// The parameter that names the distribution the bucket policy lets read the pages.
pub const DISTRIBUTION_PARAMETER: &str = "EdgepagesDistributionId";

/// The template.
pub fn template(parts: &Parts) -> Value {
    let mut parameters = parameters(parts);
    if let Some(name) = &parts.lambda_function {
        parameters["EdgepagesFunctionVersionArn"] = json!({
            "Type": "String",
            "Description": format!("A numbered version of the Lambda@Edge function {name} (us-east-1), as `edgepages publish` publishes it."),
        });
    }
    let mut resources = json!({
        "EdgepagesOriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": { "OriginAccessControlConfig": {
                "Name": parts.oac_name,
                "Description": "edgepages: CloudFront reads the error pages from the bucket",
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }},
        },
        "EdgepagesPagesReadPolicy": bucket_policy(parts),
        "Distribution": distribution(parts),
    });
    if let Some(variant) = &parts.variant {
        for (logical, function) in [
            ("EdgepagesVariantFunction", &variant.per_viewer_function),
            ("EdgepagesSharedVariantFunction", &variant.shared_function),
        ] {
            resources[logical] = json!({
                "Type": "AWS::CloudFront::Function",
                "Properties": {
                    "Name": function.name,
                    "AutoPublish": true,
                    "FunctionCode": function.code,
                    "FunctionConfig": { "Comment": "edgepages: names the answer's variant in x-edgepages-variant", "Runtime": "cloudfront-js-2.0" },
                },
            });
        }
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!(
            "edgepages: what `edgepages publish` owns of distribution {} and bucket {}",
            parts.distribution_id, parts.bucket
        ),
        "Parameters": parameters,
        "Resources": resources,
    })
}

/// The example distribution: `publish`'s parts, and the least a distribution needs besides.
fn distribution(parts: &Parts) -> Value {
    let site = parts.timeouts.as_ref().map_or(SITE_ORIGIN, |t| t.id.as_str());
    let mut default_behavior = json!({
        "TargetOriginId": site,
        "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": CACHING_DISABLED,
    });
    if parts.lambda_function.is_some() {
        default_behavior["LambdaFunctionAssociations"] = json!([{
            "EventType": "origin-response",
            "LambdaFunctionARN": { "Ref": "EdgepagesFunctionVersionArn" },
            "IncludeBody": false,
        }]);
    }
    json!({
        "Type": "AWS::CloudFront::Distribution",
        "Metadata": { "edgepages": {
            "owns": owned_paths(parts),
            "note": format!(
                "Copy the parts listed in owns into your own distribution ({DISTRIBUTION_PARAMETER}, the one the \
                 bucket policy names); the rest is the least a distribution needs. This example distribution is \
                 not granted the pages."
            ),
        }},
        "Properties": { "DistributionConfig": {
            "Enabled": true,
            "Origins": [
                {
                    "Id": parts.origin_id,
                    "DomainName": parts.origin_domain,
                    "S3OriginConfig": { "OriginAccessIdentity": "" },
                    "OriginAccessControlId": { "Ref": "EdgepagesOriginAccessControl" },
                },
                site_origin(parts, site),
            ],
            "DefaultCacheBehavior": default_behavior,
            "CacheBehaviors": [{
                "PathPattern": parts.path_pattern,
                "TargetOriginId": parts.origin_id,
                "ViewerProtocolPolicy": "redirect-to-https",
                "AllowedMethods": METHODS,
                "CachedMethods": METHODS,
                "Compress": true,
                "CachePolicyId": parts.cache_policy_id,
            }],
            "CustomErrorResponses": parts.error_responses.iter().map(custom_error_response).collect::<Vec<_>>(),
        }},
    })
}

/// The template's parameters: the distribution the bucket policy names, and the example's origin.
fn parameters(parts: &Parts) -> Value {
    json!({
        DISTRIBUTION_PARAMETER: {
            "Type": "String",
            "Default": parts.distribution_id,
            "AllowedPattern": "^[A-Z0-9]+$",
            "ConstraintDescription": "a CloudFront distribution ID: upper-case letters and digits, such as E2EXAMPLE123",
            "Description": format!(
                "The distribution that serves the pages: edgepages.toml's [cloudfront] distribution_id, {}. The bucket \
                 policy lets this distribution, and only it, read the pages; the example Distribution below is not it.",
                parts.distribution_id
            ),
        },
        "SiteOriginDomainName": {
            "Type": "String",
            "Description": "The site's own origin (an ALB's DNS name): only the example distribution uses it.",
        },
    })
}

/// The example's stand-in for the team's own origin, with `[cloudfront.origin]`'s timeouts.
fn site_origin(parts: &Parts, site: &str) -> Value {
    let mut site_origin = json!({
        "Id": site,
        "DomainName": { "Ref": "SiteOriginDomainName" },
        "CustomOriginConfig": { "OriginProtocolPolicy": "https-only" },
    });
    if let Some(t) = &parts.timeouts {
        if let Some(v) = t.connection_attempts {
            site_origin["ConnectionAttempts"] = json!(v);
        }
        if let Some(v) = t.connection_timeout {
            site_origin["ConnectionTimeout"] = json!(v);
        }
        if let Some(v) = t.read_timeout {
            site_origin["CustomOriginConfig"]["OriginReadTimeout"] = json!(v);
        }
    }
    site_origin
}

/// The bucket policy with the one statement `publish` adds, for the distribution the parameter
/// names: its `Sid` and its `AWS:SourceArn` both come from [`DISTRIBUTION_PARAMETER`], so they
/// name the same distribution however the template is deployed.
fn bucket_policy(parts: &Parts) -> Value {
    let mut statement = parts.statement(&json!({
        "Fn::Sub": format!("arn:${{AWS::Partition}}:cloudfront::${{AWS::AccountId}}:distribution/${{{DISTRIBUTION_PARAMETER}}}"),
    }));
    statement["Sid"] = json!({ "Fn::Sub": crate::policy::statement_id(&format!("${{{DISTRIBUTION_PARAMETER}}}")) });
    json!({
        "Type": "AWS::S3::BucketPolicy",
        "Metadata": { "edgepages": format!(
            "An AWS::S3::BucketPolicy is the bucket's whole policy: if the bucket has one, add this statement to it \
             instead. It grants the distribution {DISTRIBUTION_PARAMETER} names (by default {}, the one edgepages.toml \
             names), not the example Distribution.",
            parts.distribution_id
        )},
        "Properties": {
            "Bucket": parts.bucket,
            "PolicyDocument": { "Version": "2012-10-17", "Statement": [statement]},
        },
    })
}

/// The distribution's parts `publish` owns, as paths into the example's `DistributionConfig`.
fn owned_paths(parts: &Parts) -> Vec<String> {
    let mut owned =
        vec![format!("Origins[Id={}]", parts.origin_id), format!("CacheBehaviors[PathPattern={}]", parts.path_pattern)];
    owned.extend(parts.error_responses.iter().map(|(code, _, _)| format!("CustomErrorResponses[ErrorCode={code}]")));
    if let Some(t) = &parts.timeouts {
        owned.push(format!("Origins[Id={}]: ConnectionAttempts, ConnectionTimeout, OriginReadTimeout", t.id));
    }
    if parts.lambda_function.is_some() {
        owned.push("DefaultCacheBehavior and every behavior to the site's origin: LambdaFunctionAssociations[EventType=origin-response]".into());
    }
    owned
}

/// One `CustomErrorResponse`: with its page, or with only its TTL (`crate::order`).
fn custom_error_response((code, path, ttl): &(u16, Option<String>, u32)) -> Value {
    match path {
        Some(path) => {
            json!({ "ErrorCode": code, "ResponseCode": code, "ResponsePagePath": path, "ErrorCachingMinTTL": ttl })
        }
        None => json!({ "ErrorCode": code, "ErrorCachingMinTTL": ttl }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::parts;

    #[test]
    fn the_template_holds_the_owned_parts_by_publishs_names() {
        let t = template(&parts());
        let config = &t["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
        assert_eq!(config["Origins"][0]["Id"], "edgepages-pages-bucket");
        assert_eq!(config["Origins"][0]["OriginAccessControlId"]["Ref"], "EdgepagesOriginAccessControl");
        assert_eq!(config["Origins"][1]["Id"], "alb");
        assert_eq!(config["Origins"][1]["CustomOriginConfig"]["OriginReadTimeout"], 10);
        assert_eq!(config["CacheBehaviors"][0]["PathPattern"], "/edgepages/*");
        assert_eq!(
            config["CustomErrorResponses"][1],
            json!({
                "ErrorCode": 503, "ResponseCode": 503, "ResponsePagePath": "/edgepages/503.html", "ErrorCachingMinTTL": 10,
            })
        );
        assert_eq!(
            config["DefaultCacheBehavior"]["LambdaFunctionAssociations"][0]["LambdaFunctionARN"]["Ref"],
            "EdgepagesFunctionVersionArn"
        );
        let statement = &t["Resources"]["EdgepagesPagesReadPolicy"]["Properties"]["PolicyDocument"]["Statement"][0];
        assert_eq!(statement["Resource"], "arn:aws:s3:::pages-bucket/edgepages/*.html");
        assert!(t["Resources"].get("EdgepagesVariantFunction").is_none(), "no variant without its spec");
    }

    #[test]
    fn a_code_without_its_page_is_exported_with_its_ttl_alone() {
        let mut p = parts();
        p.error_responses[0].1 = None;
        let config = &template(&p)["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
        assert_eq!(config["CustomErrorResponses"][0], json!({ "ErrorCode": 502, "ErrorCachingMinTTL": 10 }));
    }

    /// The bucket policy's `Sid` named the configured distribution while its `AWS:SourceArn`
    /// named the template's own example `Distribution`: a team that pasted the statement beside
    /// its real distribution granted the wrong one.
    #[test]
    fn the_statements_sid_and_source_arn_name_one_distribution_the_parameter_which_defaults_to_the_configured_one() {
        let t = template(&parts());
        let statement = &t["Resources"]["EdgepagesPagesReadPolicy"]["Properties"]["PolicyDocument"]["Statement"][0];
        let parameter = format!("${{{DISTRIBUTION_PARAMETER}}}");
        let sid = statement["Sid"]["Fn::Sub"].as_str().unwrap();
        let source = statement["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"].as_str().unwrap();
        assert_eq!(sid, format!("EdgepagesRead{parameter}"));
        assert!(source.ends_with(&format!(":distribution/{parameter}")), "{source}");
        assert!(!t.to_string().contains("${Distribution}"), "nothing grants the example distribution");
        let declared = &t["Parameters"][DISTRIBUTION_PARAMETER];
        assert_eq!(declared["Default"], "E2EXAMPLE123");
        assert!(declared["Description"].as_str().unwrap().contains("[cloudfront] distribution_id, E2EXAMPLE123"));
    }
}

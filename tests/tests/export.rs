//! `edgepages export cloudformation|terraform` for a distribution managed as code: cfn-lint
//! passes the template (and fails a broken one, so the linter is live); the Terraform names only
//! the AWS provider's own arguments; and a distribution made from the template is what
//! `publish` would make, so `plan` has nothing to change, `publish --pages-only` uploads the
//! pages alone and `verify` passes.

#![allow(clippy::unwrap_used)]

mod aws;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use aws::Rig;
use aws_sdk_cloudfront::types::{
    AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomErrorResponse, CustomErrorResponses,
    CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, Method, Origin, OriginAccessControlConfig,
    OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols,
    OriginProtocolPolicy, Origins, S3OriginConfig, ViewerProtocolPolicy,
};
use edgepages_e2e::aws_fixture::Start;
use serde_json::Value;

/// The example's own `[cloudfront.origin]`, which the rig leaves out, and the function.
const ORIGIN_AND_FUNCTION: &str = "\n[cloudfront.origin]\nid = \"alb\"\nconnection_attempts = 1\nconnection_timeout = 3\n\
                                   read_timeout = 10\n\n[cloudfront.lambda_edge]\nenabled = true\n";

fn export(rig: &Rig, format: &str, dir: &Path) -> Value {
    let file = dir.join(format!("{format}.json"));
    rig.run(&["export", format, "--out", file.to_str().unwrap()]).ok();
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

fn cfn_lint(template: &Path) -> std::process::Output {
    let lint = edgepages_e2e::moto::python().with_file_name("cfn-lint");
    Command::new(&lint).arg(template).output().unwrap_or_else(|e| panic!("{}: {e}", lint.display()))
}

#[test]
fn cfn_lint_passes_the_template_and_fails_a_broken_one() {
    let rig = Rig::with(Start::Existing, None, ORIGIN_AND_FUNCTION);
    let dir = tempfile::tempdir().unwrap();
    let template = export(&rig, "cloudformation", dir.path());
    assert!(template["Resources"]["EdgepagesVariantFunction"]["Properties"]["FunctionCode"].is_string());
    let path = dir.path().join("cloudformation.json");
    let linted = cfn_lint(&path);
    assert!(
        linted.status.success(),
        "{}{}",
        String::from_utf8_lossy(&linted.stdout),
        String::from_utf8_lossy(&linted.stderr)
    );

    let mut broken = template.clone();
    broken["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["CustomErrorResponses"][0]["ErrorCachingMinTTL"] =
        "ten seconds".into();
    std::fs::write(&path, broken.to_string()).unwrap();
    let linted = cfn_lint(&path);
    assert!(!linted.status.success(), "cfn-lint passed a broken template");
    assert!(String::from_utf8_lossy(&linted.stdout).contains("'ten seconds' is not of type 'number'"), "{linted:?}");
}

/// The arguments of each block, from the AWS provider's documentation
/// (website/docs/r/cloudfront_distribution.html.markdown,
/// cloudfront_origin_access_control.html.markdown, s3_bucket_policy.html.markdown and
/// cloudfront_function.html.markdown in hashicorp/terraform-provider-aws).
fn arguments(block: &str) -> BTreeSet<&'static str> {
    let names: &[&str] = match block {
        "origin" => &[
            "connection_attempts",
            "connection_timeout",
            "custom_origin_config",
            "domain_name",
            "custom_header",
            "origin_access_control_id",
            "origin_id",
            "origin_path",
            "origin_shield",
            "s3_origin_config",
        ],
        "s3_origin_config" => &["origin_access_identity"],
        "custom_origin_config" => &[
            "http_port",
            "https_port",
            "origin_protocol_policy",
            "origin_ssl_protocols",
            "origin_keepalive_timeout",
            "origin_read_timeout",
        ],
        "ordered_cache_behavior" => &[
            "allowed_methods",
            "cached_methods",
            "cache_policy_id",
            "compress",
            "default_ttl",
            "field_level_encryption_id",
            "forwarded_values",
            "lambda_function_association",
            "function_association",
            "max_ttl",
            "min_ttl",
            "origin_request_policy_id",
            "path_pattern",
            "realtime_log_config_arn",
            "response_headers_policy_id",
            "smooth_streaming",
            "target_origin_id",
            "trusted_key_groups",
            "trusted_signers",
            "viewer_protocol_policy",
        ],
        "custom_error_response" => &["error_caching_min_ttl", "error_code", "response_code", "response_page_path"],
        "lambda_function_association" => &["event_type", "lambda_arn", "include_body"],
        "aws_cloudfront_origin_access_control" => {
            &["name", "description", "origin_access_control_origin_type", "signing_behavior", "signing_protocol"]
        }
        "aws_s3_bucket_policy" => &["bucket", "policy"],
        "aws_cloudfront_function" => &["name", "runtime", "comment", "code", "publish", "key_value_store_associations"],
        other => panic!("no argument list for {other}"),
    };
    names.iter().copied().collect()
}

/// Every key of `object` is an argument of `block`; nested blocks are checked the same way.
fn check_block(block: &str, object: &Value, seen: &mut Vec<String>) {
    let allowed = arguments(block);
    for (key, value) in object.as_object().unwrap() {
        // A comment, which Terraform ignores in a block body
        // (https://developer.hashicorp.com/terraform/language/syntax/json#comment-properties).
        if key == "//" {
            seen.push(format!("{block}.//"));
            continue;
        }
        assert!(allowed.contains(key.as_str()), "{key} is not an argument of {block}");
        seen.push(format!("{block}.{key}"));
        if matches!(key.as_str(), "s3_origin_config" | "custom_origin_config") {
            check_block(key, value, seen);
        }
    }
}

#[test]
fn the_terraform_names_only_the_providers_own_arguments() {
    let rig = Rig::with(Start::Existing, None, ORIGIN_AND_FUNCTION);
    let dir = tempfile::tempdir().unwrap();
    let document = export(&rig, "terraform", dir.path());
    let mut seen = Vec::new();
    for (kind, resources) in document["resource"].as_object().unwrap() {
        for resource in resources.as_object().unwrap().values() {
            check_block(kind, resource, &mut seen);
        }
    }
    let local = document["locals"]["edgepages"].as_object().unwrap();
    for (block, items) in local {
        match block.as_str() {
            // The team's own origin: its ID and the timeouts publish sets on it.
            "site_origin" => check_block("origin", items, &mut seen),
            _ => items.as_array().unwrap().iter().for_each(|item| check_block(block, item, &mut seen)),
        }
    }
    assert_eq!(
        local.keys().map(String::as_str).collect::<Vec<_>>(),
        ["custom_error_response", "lambda_function_association", "ordered_cache_behavior", "origin", "site_origin"]
    );
    // The checker saw the nested blocks too, so it cannot pass by looking at nothing.
    for expected in [
        "origin.s3_origin_config",
        "s3_origin_config.origin_access_identity",
        "custom_origin_config.origin_read_timeout",
        "aws_cloudfront_function.code",
        "aws_s3_bucket_policy.//",
    ] {
        assert!(seen.iter().any(|s| s == expected), "{expected} not checked: {seen:?}");
    }
}

/// The template's origins, with the OAC and the site's domain filled in.
fn origins_from(c: &Value, oac_id: &str, site_domain: &str) -> Vec<Origin> {
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    let number = |v: &Value| i32::try_from(v.as_i64().unwrap()).unwrap();
    c["Origins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let mut b = Origin::builder().id(text(&o["Id"]));
            if o.get("S3OriginConfig").is_some() {
                b = b
                    .domain_name(text(&o["DomainName"]))
                    .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
                    .origin_access_control_id(oac_id);
            } else {
                let custom = &o["CustomOriginConfig"];
                b = b
                    .domain_name(site_domain)
                    .custom_origin_config(
                        CustomOriginConfig::builder()
                            .http_port(80)
                            .https_port(443)
                            .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                            .set_origin_read_timeout(custom.get("OriginReadTimeout").map(number))
                            .build()
                            .unwrap(),
                    )
                    .set_connection_attempts(o.get("ConnectionAttempts").map(number))
                    .set_connection_timeout(o.get("ConnectionTimeout").map(number));
            }
            b.build().unwrap()
        })
        .collect()
}

/// The distribution config of the template's distribution, as the API takes it: the template's
/// references resolved to `oac_id` and `site_domain`.
fn from_template(template: &Value, caller_reference: &str, oac_id: &str, site_domain: &str) -> DistributionConfig {
    let c = &template["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    let number = |v: &Value| i32::try_from(v.as_i64().unwrap()).unwrap();
    let origins = origins_from(c, oac_id, site_domain);
    let methods =
        |v: &Value| v.as_array().unwrap().iter().map(|m| Method::from(m.as_str().unwrap())).collect::<Vec<_>>();
    let behaviors: Vec<CacheBehavior> = c["CacheBehaviors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let allowed = methods(&b["AllowedMethods"]);
            let cached = methods(&b["CachedMethods"]);
            CacheBehavior::builder()
                .path_pattern(text(&b["PathPattern"]))
                .target_origin_id(text(&b["TargetOriginId"]))
                .viewer_protocol_policy(ViewerProtocolPolicy::from(b["ViewerProtocolPolicy"].as_str().unwrap()))
                .compress(b["Compress"].as_bool().unwrap())
                .cache_policy_id(text(&b["CachePolicyId"]))
                .allowed_methods(
                    AllowedMethods::builder()
                        .quantity(i32::try_from(allowed.len()).unwrap())
                        .set_items(Some(allowed))
                        .cached_methods(
                            CachedMethods::builder()
                                .quantity(i32::try_from(cached.len()).unwrap())
                                .set_items(Some(cached))
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        })
        .collect();
    let responses: Vec<CustomErrorResponse> = c["CustomErrorResponses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            CustomErrorResponse::builder()
                .error_code(number(&r["ErrorCode"]))
                .response_code(r["ResponseCode"].to_string())
                .response_page_path(text(&r["ResponsePagePath"]))
                .error_caching_min_ttl(r["ErrorCachingMinTTL"].as_i64().unwrap())
                .build()
                .unwrap()
        })
        .collect();
    let default = &c["DefaultCacheBehavior"];
    let len = |n: usize| i32::try_from(n).unwrap();
    DistributionConfig::builder()
        .caller_reference(caller_reference)
        .comment("managed as code")
        .enabled(true)
        .origins(Origins::builder().quantity(len(origins.len())).set_items(Some(origins)).build().unwrap())
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id(text(&default["TargetOriginId"]))
                .viewer_protocol_policy(ViewerProtocolPolicy::from(default["ViewerProtocolPolicy"].as_str().unwrap()))
                .cache_policy_id(text(&default["CachePolicyId"]))
                .build()
                .unwrap(),
        )
        .cache_behaviors(
            CacheBehaviors::builder().quantity(len(behaviors.len())).set_items(Some(behaviors)).build().unwrap(),
        )
        .custom_error_responses(
            CustomErrorResponses::builder().quantity(len(responses.len())).set_items(Some(responses)).build().unwrap(),
        )
        .build()
        .unwrap()
}

/// `value` with every `Fn::Sub` resolved as CloudFormation would on deploying `template` with
/// its parameters' defaults, in moto's account and partition. A reference to one of the
/// template's resources fails the test: the bucket policy must name the configured distribution,
/// never the template's example one.
fn resolved(template: &Value, value: &Value) -> Value {
    match value {
        Value::Object(object) => match object.get("Fn::Sub").and_then(Value::as_str) {
            Some(text) => {
                let mut out = String::new();
                let mut rest = text;
                while let Some(at) = rest.find("${") {
                    out.push_str(&rest[..at]);
                    let end = rest[at..].find('}').unwrap() + at;
                    let name = &rest[at + 2..end];
                    out.push_str(match name {
                        "AWS::Partition" => "aws",
                        "AWS::AccountId" => "123456789012",
                        parameter => template["Parameters"][parameter]["Default"]
                            .as_str()
                            .unwrap_or_else(|| panic!("{text} names {parameter}, which is not a parameter")),
                    });
                    rest = &rest[end + 1..];
                }
                out.push_str(rest);
                Value::String(out)
            }
            None => Value::Object(object.iter().map(|(k, v)| (k.clone(), resolved(template, v))).collect()),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| resolved(template, v)).collect()),
        other => other.clone(),
    }
}

#[test]
fn a_distribution_made_from_the_template_needs_nothing_from_publish_but_the_pages() {
    let origin_only = ORIGIN_AND_FUNCTION.split("\n[cloudfront.lambda_edge]").next().unwrap();
    let rig = Rig::with(Start::Existing, None, origin_only);
    let dir = tempfile::tempdir().unwrap();
    let template = export(&rig, "cloudformation", dir.path());
    let cf = &rig.fixture.cloudfront;

    // What CloudFormation would make of it: the OAC, the bucket policy, the distribution.
    let oac = template["Resources"]["EdgepagesOriginAccessControl"]["Properties"]["OriginAccessControlConfig"].clone();
    let oac_config = OriginAccessControlConfig::builder()
        .name(oac["Name"].as_str().unwrap())
        .description(oac["Description"].as_str().unwrap())
        .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
        .signing_behavior(OriginAccessControlSigningBehaviors::Always)
        .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
        .build()
        .unwrap();
    let created =
        rig.block_on(cf.create_origin_access_control().origin_access_control_config(oac_config).send()).unwrap();
    let oac_id = created.origin_access_control.unwrap().id;
    let (current, etag) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let config =
        from_template(&template, &current.caller_reference, &oac_id, "shop-alb-1234.eu-west-1.elb.amazonaws.com");
    rig.block_on(cf.update_distribution().id(&rig.distribution).if_match(etag).distribution_config(config).send())
        .unwrap();
    // The bucket policy as CloudFormation would resolve it, the parameters at their defaults.
    let policy =
        resolved(&template, &template["Resources"]["EdgepagesPagesReadPolicy"]["Properties"]["PolicyDocument"]);
    let put = rig.fixture.s3.put_bucket_policy().bucket(&rig.bucket).policy(policy.to_string());
    rig.block_on(put.send()).unwrap();

    // publish has nothing to change but the pages: the template is exactly its parts.
    let planned = rig.run(&["plan"]).ok();
    assert!(planned.stdout.contains(&format!("  distribution {}: no change", rig.distribution)), "{}", planned.stdout);
    assert!(!planned.stdout.contains("bucket policy"), "{}", planned.stdout);
    assert!(!planned.stdout.contains("origin access control"), "{}", planned.stdout);

    rig.proxy.clear();
    let published = rig.run(&["publish", "--pages-only", "--yes"]).ok();
    let writes: BTreeSet<String> = rig
        .proxy
        .writes()
        .into_iter()
        .map(|w| format!("{} {}", w.method, w.path.split('/').nth(1).unwrap_or("")))
        .collect();
    assert_eq!(writes, BTreeSet::from([format!("PUT {}", rig.bucket)]), "only page uploads");
    assert!(published.stdout.contains("the distribution was left as it is"), "{}", published.stdout);
    assert!(published.stdout.contains("checks passed"), "{}", published.stdout);
    rig.run(&["verify"]).ok();
}

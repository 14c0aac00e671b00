//! The parts as Terraform JSON (`.tf.json`, which needs no HCL writer): the Origin Access
//! Control, the bucket policy and the variant CloudFront Functions as resources, and the
//! distribution's parts as `local.edgepages`, in the AWS provider's own argument names, for
//! `dynamic` blocks in the team's `aws_cloudfront_distribution` (the guide shows them: docs/src/export.md).

use serde_json::{Map, Value, json};

use super::{METHODS, Parts};

/// Terraform reads `${` and `%{` in any string as a template: a literal one is doubled.
fn literal(text: &str) -> String {
    text.replace("${", "$${").replace("%{", "%%{")
}

/// The `.tf.json` document.
pub fn document(parts: &Parts) -> Value {
    let policy = json!({ "Version": "2012-10-17", "Statement": [parts.statement(&json!("SOURCE_ARN"))] });
    // The account's ID comes from Terraform; everything else in the policy is literal.
    let policy = literal(&policy.to_string()).replace(
        "SOURCE_ARN",
        &format!(
            "arn:${{data.aws_partition.current.partition}}:cloudfront::${{data.aws_caller_identity.current.account_id}}:distribution/{}",
            parts.distribution_id
        ),
    );
    let mut locals = distribution_parts(parts);
    let mut variables = Map::new();
    if let Some(name) = &parts.lambda_function {
        variables.insert(
            "edgepages_function_version_arn".into(),
            json!({
                "type": "string",
                "description": format!("A numbered version of the Lambda@Edge function {name} (us-east-1), as `edgepages publish` publishes it"),
            }),
        );
        locals.insert(
            "lambda_function_association".into(),
            json!([{
                "event_type": "origin-response",
                "lambda_arn": "${var.edgepages_function_version_arn}",
                "include_body": false,
            }]),
        );
    }
    let mut resources = json!({
        "aws_cloudfront_origin_access_control": { "edgepages": {
            "name": parts.oac_name,
            "description": "edgepages: CloudFront reads the error pages from the bucket",
            "origin_access_control_origin_type": "s3",
            "signing_behavior": "always",
            "signing_protocol": "sigv4",
        }},
        "aws_s3_bucket_policy": { "edgepages_pages": {
            // Terraform ignores a "//" property in a block body (the JSON syntax's comments:
            // https://developer.hashicorp.com/terraform/language/syntax/json#comment-properties).
            "//": "An aws_s3_bucket_policy is the bucket's whole policy: S3's PutBucketPolicy replaces every statement the bucket has. If the bucket has a policy, add this statement to it instead.",
            "bucket": parts.bucket,
            "policy": policy,
        }},
    });
    if let Some(variant) = &parts.variant {
        resources["aws_cloudfront_function"] = functions(variant);
    }
    let mut document = json!({
        "//": format!(
            "edgepages: what `edgepages publish` owns of distribution {} and bucket {}; local.edgepages holds the distribution's parts for dynamic blocks (see docs/src/export.md in the edgepages guide)",
            parts.distribution_id, parts.bucket
        ),
        "data": { "aws_caller_identity": { "current": {} }, "aws_partition": { "current": {} } },
        "locals": { "edgepages": Value::Object(locals) },
        "resource": resources,
    });
    if !variables.is_empty() {
        document["variable"] = Value::Object(variables);
    }
    document
}

/// The distribution's parts, by the provider's block and argument names.
fn distribution_parts(parts: &Parts) -> Map<String, Value> {
    let mut locals = Map::new();
    locals.insert(
        "origin".into(),
        json!([{
            "origin_id": parts.origin_id,
            "domain_name": parts.origin_domain,
            "origin_access_control_id": "${aws_cloudfront_origin_access_control.edgepages.id}",
            "s3_origin_config": { "origin_access_identity": "" },
        }]),
    );
    locals.insert(
        "ordered_cache_behavior".into(),
        json!([{
            "path_pattern": parts.path_pattern,
            "target_origin_id": parts.origin_id,
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": METHODS,
            "cached_methods": METHODS,
            "compress": true,
            "cache_policy_id": parts.cache_policy_id,
        }]),
    );
    locals.insert(
        "custom_error_response".into(),
        parts
            .error_responses
            .iter()
            .map(|(code, path, ttl)| match path {
                Some(path) => json!({
                    "error_code": code,
                    "response_code": code,
                    "response_page_path": path,
                    "error_caching_min_ttl": ttl,
                }),
                None => json!({ "error_code": code, "error_caching_min_ttl": ttl }),
            })
            .collect(),
    );
    if let Some(t) = &parts.timeouts {
        let mut origin = json!({ "origin_id": t.id });
        if let Some(v) = t.connection_attempts {
            origin["connection_attempts"] = json!(v);
        }
        if let Some(v) = t.connection_timeout {
            origin["connection_timeout"] = json!(v);
        }
        if let Some(v) = t.read_timeout {
            origin["custom_origin_config"] = json!({ "origin_read_timeout": v });
        }
        locals.insert("site_origin".into(), origin);
    }
    locals
}

/// The two variant CloudFront Functions, published.
fn functions(variant: &crate::variant::VariantSpec) -> Value {
    let mut functions = Map::new();
    for (name, function) in
        [("edgepages_variant", &variant.per_viewer_function), ("edgepages_shared_variant", &variant.shared_function)]
    {
        functions.insert(
            name.into(),
            json!({
                "name": function.name,
                "runtime": "cloudfront-js-2.0",
                "comment": "edgepages: names the answer's variant in x-edgepages-variant",
                "publish": true,
                "code": literal(&function.code),
            }),
        );
    }
    Value::Object(functions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::parts;

    #[test]
    fn the_document_names_publishs_parts_in_the_providers_words() {
        let d = document(&parts());
        let local = &d["locals"]["edgepages"];
        assert_eq!(local["origin"][0]["origin_id"], "edgepages-pages-bucket");
        assert_eq!(local["ordered_cache_behavior"][0]["path_pattern"], "/edgepages/*");
        assert_eq!(local["custom_error_response"][0]["response_page_path"], "/edgepages/502.html");
        assert_eq!(local["site_origin"]["custom_origin_config"]["origin_read_timeout"], 10);
        assert_eq!(local["lambda_function_association"][0]["lambda_arn"], "${var.edgepages_function_version_arn}");
        let policy = d["resource"]["aws_s3_bucket_policy"]["edgepages_pages"]["policy"].as_str().unwrap();
        let said = d["resource"]["aws_s3_bucket_policy"]["edgepages_pages"]["//"].as_str().unwrap();
        assert!(said.contains("the bucket's whole policy"), "{said}");
        assert!(
            policy.contains("\"AWS:SourceArn\":\"arn:${data.aws_partition.current.partition}:cloudfront::${data.aws_caller_identity.current.account_id}:distribution/E2EXAMPLE123\""),
            "{policy}"
        );
    }

    #[test]
    fn a_code_without_its_page_is_exported_with_its_ttl_alone() {
        let mut p = parts();
        p.error_responses[0].1 = None;
        let d = document(&p);
        let responses = &d["locals"]["edgepages"]["custom_error_response"];
        assert_eq!(responses[0], serde_json::json!({ "error_code": 502, "error_caching_min_ttl": 10 }));
        assert_eq!(responses[1]["response_page_path"], "/edgepages/503.html");
    }

    #[test]
    fn template_characters_in_literal_text_are_doubled() {
        assert_eq!(literal("a ${b} %{c} $d"), "a $${b} %%{c} $d");
    }
}

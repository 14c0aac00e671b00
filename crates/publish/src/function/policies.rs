//! The IAM documents of the function's managed role: who may assume it, and the one thing it
//! may do, write this function's logs. Lambda@Edge writes them in the region where each replica
//! ran, to a log group named after the function's us-east-1 name.

use serde_json::{Value, json};

/// The services that must be able to assume the role: Lambda, and Lambda@Edge's replicas.
pub const TRUSTED_SERVICES: [&str; 2] = ["lambda.amazonaws.com", "edgelambda.amazonaws.com"];

/// The trust policy of the managed role.
pub fn trust_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": TRUSTED_SERVICES },
            "Action": "sts:AssumeRole",
        }],
    })
}

/// The name of the role's inline policy for `function`: one per function, so that sites sharing
/// the role each get their own and none is widened.
pub fn logging_policy_name(function: &str) -> String {
    format!("logs-{function}")
}

/// Lets `function`'s replicas create and write their log groups, in any region, and nothing else.
pub fn logging_policy(function: &str) -> Value {
    let group = format!("arn:aws:logs:*:*:log-group:/aws/lambda/{}.{function}", super::REGION);
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [group.clone(), format!("{group}:*")],
        }],
    })
}

/// Whether a trust policy (as IAM returns it: JSON, URL-encoded) lets every service in
/// [`TRUSTED_SERVICES`] assume the role.
pub fn trusts_both_services(document: &str) -> bool {
    let Some(policy) = decode(document) else { return false };
    let statements = match &policy["Statement"] {
        Value::Array(items) => items.clone(),
        one @ Value::Object(_) => vec![one.clone()],
        _ => return false,
    };
    let mut trusted = Vec::new();
    for statement in statements
        .iter()
        .filter(|s| s["Effect"] == "Allow" && actions(&s["Action"]).iter().any(|a| a == "sts:AssumeRole"))
    {
        trusted.extend(actions(&statement["Principal"]["Service"]));
    }
    TRUSTED_SERVICES.iter().all(|service| trusted.iter().any(|t| t == service))
}

/// Whether two policy documents (JSON, either URL-encoded as IAM returns them) say the same.
pub fn same_policy(stored: &str, wanted: &Value) -> bool {
    decode(stored).is_some_and(|v| &v == wanted)
}

/// IAM returns policy documents URL-encoded (RFC 3986); the JSON inside.
pub fn decode(document: &str) -> Option<Value> {
    serde_json::from_str(document).ok().or_else(|| {
        let text = percent_encoding::percent_decode_str(document).decode_utf8().ok()?;
        serde_json::from_str(&text).ok()
    })
}

/// A string or a list of strings.
fn actions(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trust_policy_is_recognised_encoded_or_not() {
        let ours = trust_policy().to_string();
        assert!(trusts_both_services(&ours));
        let encoded = percent_encoding::utf8_percent_encode(&ours, percent_encoding::NON_ALPHANUMERIC).to_string();
        assert!(encoded.starts_with("%7B"));
        assert!(trusts_both_services(&encoded));
    }

    #[test]
    fn a_role_only_lambda_may_assume_is_not_enough() {
        let lambda_only = json!({
            "Version": "2012-10-17",
            "Statement": { "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" },
        });
        assert!(!trusts_both_services(&lambda_only.to_string()));
        let denied = trust_policy().to_string().replace("Allow", "Deny");
        assert!(!trusts_both_services(&denied));
        let two_statements = json!({
            "Statement": [
                { "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": ["sts:AssumeRole"] },
                { "Effect": "Allow", "Principal": { "Service": ["edgelambda.amazonaws.com"] }, "Action": "sts:AssumeRole" },
            ],
        });
        assert!(trusts_both_services(&two_statements.to_string()));
        assert!(!trusts_both_services("not json"));
    }

    #[test]
    fn the_logging_policy_names_only_this_functions_log_groups() {
        let policy = logging_policy("edgepages-E1");
        assert_eq!(
            policy["Statement"][0]["Resource"],
            json!([
                "arn:aws:logs:*:*:log-group:/aws/lambda/us-east-1.edgepages-E1",
                "arn:aws:logs:*:*:log-group:/aws/lambda/us-east-1.edgepages-E1:*",
            ])
        );
        assert!(same_policy(&policy.to_string(), &policy));
        assert!(!same_policy(&logging_policy("other").to_string(), &policy));
        assert_eq!(logging_policy_name("edgepages-E1"), "logs-edgepages-E1");
    }
}

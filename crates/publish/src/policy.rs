//! The bucket policy statement that lets only this distribution read the pages, merged into
//! whatever policy the bucket already has.

use serde_json::{Value, json};

use crate::desired::Desired;
use crate::error::PlanError;

/// The statement's `Sid`, one per distribution.
pub fn statement_id(distribution_id: &str) -> String {
    format!("EdgepagesRead{distribution_id}")
}

/// The statement that grants CloudFront (this distribution only, by `AWS:SourceArn`) read
/// access to the page objects.
pub fn statement(desired: &Desired, distribution_arn: &str) -> Value {
    statement_for(&desired.distribution_id, &desired.readable_resource(), &json!(distribution_arn))
}

/// The statement for distribution `distribution_id` reading `resource`, with the
/// distribution's ARN as given: a string, or a template's expression for it (`edgepages export`).
pub fn statement_for(distribution_id: &str, resource: &str, distribution_arn: &Value) -> Value {
    json!({
        "Sid": statement_id(distribution_id),
        "Effect": "Allow",
        "Principal": { "Service": "cloudfront.amazonaws.com" },
        "Action": "s3:GetObject",
        "Resource": resource,
        "Condition": { "StringEquals": { "AWS:SourceArn": distribution_arn } }
    })
}

/// The policy to write, or `None` when `current` already holds exactly this statement. Other
/// statements are kept as they are.
pub fn merged(current: Option<&str>, desired: &Desired, distribution_arn: &str) -> Result<Option<String>, PlanError> {
    let mut policy: Value = match current {
        Some(text) if !text.trim().is_empty() => {
            serde_json::from_str(text).map_err(|e| PlanError::BucketPolicy(e.to_string()))?
        }
        _ => json!({ "Version": "2012-10-17", "Statement": [] }),
    };
    let ours = statement(desired, distribution_arn);
    let sid = statement_id(&desired.distribution_id);
    let Some(statements) = policy.get_mut("Statement") else {
        return Err(PlanError::BucketPolicy("it has no Statement".into()));
    };
    // A single statement may be written as an object rather than a list.
    if statements.is_object() {
        *statements = Value::Array(vec![statements.take()]);
    }
    let Some(list) = statements.as_array_mut() else {
        return Err(PlanError::BucketPolicy("its Statement is neither a list nor an object".into()));
    };
    match list.iter_mut().find(|s| s.get("Sid").and_then(Value::as_str) == Some(sid.as_str())) {
        Some(existing) if *existing == ours => return Ok(None),
        Some(existing) => *existing = ours,
        None => list.push(ours),
    }
    Ok(Some(serde_json::to_string(&policy).expect("a JSON value serialises")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::desired;

    const ARN: &str = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE123";

    #[test]
    fn a_bucket_without_policy_gets_one_statement() {
        let text = merged(None, &desired(), ARN).unwrap().unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["Statement"].as_array().unwrap().len(), 1);
        assert_eq!(v["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceArn"], ARN);
        assert_eq!(v["Statement"][0]["Resource"], "arn:aws:s3:::pages-bucket/edgepages/*.html");
    }

    #[test]
    fn other_statements_survive_and_a_second_merge_changes_nothing() {
        let theirs = r#"{"Version":"2012-10-17","Statement":{"Sid":"Theirs","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::pages-bucket/*"}}"#;
        let once = merged(Some(theirs), &desired(), ARN).unwrap().unwrap();
        let v: Value = serde_json::from_str(&once).unwrap();
        assert_eq!(v["Statement"][0]["Sid"], "Theirs");
        assert_eq!(v["Statement"][1]["Sid"], "EdgepagesReadE2EXAMPLE123");
        assert_eq!(merged(Some(&once), &desired(), ARN).unwrap(), None);
    }

    #[test]
    fn a_policy_that_is_not_json_is_left_alone() {
        assert!(matches!(merged(Some("{nope"), &desired(), ARN), Err(PlanError::BucketPolicy(_))));
    }
}

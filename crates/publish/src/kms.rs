//! Buckets encrypted with SSE-KMS by default: the pages `publish` uploads are encrypted with the
//! bucket's KMS key, and CloudFront, reading them through the OAC, needs `kms:Decrypt` on that
//! key from the key's own policy, which edgepages does not own. Without it viewers get S3's
//! 403, not the branded page. What the bucket and key say ([`Encryption`]), whether the key's
//! policy lets the distribution decrypt ([`verdict`]), and the statement to add ([`statement`]).
//!
//! From CloudFront's developer guide, "Restrict access to an Amazon S3 origin", SSE-KMS
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html>):
//! the key policy statement `AllowCloudFrontServicePrincipalSSE-KMS` lets the service principal
//! `cloudfront.amazonaws.com` use the key, conditioned on `AWS:SourceArn` being the
//! distribution. AWS's example also grants `kms:Encrypt` and `kms:GenerateDataKey*`, for uploads
//! through CloudFront; reading an SSE-KMS object takes `kms:Decrypt` alone (S3's user guide,
//! "Using server-side encryption with AWS KMS keys": downloading needs `kms:Decrypt`), and
//! edgepages uploads straight to S3, so the statement grants that only. An AWS managed key
//! (`aws/s3`, also what SSE-KMS without a key ID uses) cannot be granted: its key policy
//! cannot be changed (KMS developer guide, "AWS managed keys"); that is inferred to rule it out.

use serde_json::{Value, json};

use crate::glob::wildcard_matches;
use crate::verify::Check;

/// The statement's `Sid`, as AWS's guide names it.
pub const STATEMENT_ID: &str = "AllowCloudFrontServicePrincipalSSE-KMS";

/// The bucket's default encryption, and, for SSE-KMS, its key as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// SSE-S3 (every bucket's default since January 2023), or none: nothing to grant.
    S3Managed,
    /// SSE-KMS or DSSE-KMS: the key as the bucket names it (`None`: the AWS managed `aws/s3`),
    /// and what was read of it, or why it could not be.
    Kms { key: Option<String>, read: Result<Key, String> },
    /// The bucket's encryption could not be read (`why`).
    Unknown(String),
}

/// A KMS key as read: its ARN, whether AWS manages it, and its policy (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub arn: String,
    pub aws_managed: bool,
    pub policy: String,
}

/// Whether CloudFront can decrypt the pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not SSE-KMS: nothing to grant.
    NothingToGrant,
    /// The key's policy lets the distribution decrypt.
    Granted { key: String },
    /// It does not; `statement` (JSON) is what to add.
    NotGranted { key: String, statement: String },
    /// An AWS managed key, whose policy cannot be changed.
    AwsManaged { key: String },
    /// The key or its policy could not be read (or judged): `why`, and the statement to look for.
    Unread { key: String, why: String, statement: String },
    /// The bucket's encryption could not be read: `why`, and the statement a KMS key would need.
    EncryptionUnread { why: String, statement: String },
}

/// The key policy statement that lets distribution `distribution_arn` decrypt with the key.
pub fn statement(distribution_arn: &str) -> Value {
    json!({
        "Sid": STATEMENT_ID,
        "Effect": "Allow",
        "Principal": { "Service": "cloudfront.amazonaws.com" },
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": { "StringEquals": { "AWS:SourceArn": distribution_arn } }
    })
}

/// What `encryption` means for distribution `distribution_arn`.
pub fn verdict(encryption: &Encryption, distribution_arn: &str) -> Verdict {
    let wanted = statement(distribution_arn).to_string();
    let (key, read) = match encryption {
        Encryption::S3Managed => return Verdict::NothingToGrant,
        Encryption::Unknown(why) => return Verdict::EncryptionUnread { why: why.clone(), statement: wanted },
        Encryption::Kms { key, read } => (key, read),
    };
    let named = key.clone().unwrap_or_else(|| "aws/s3 (the AWS managed key)".to_owned());
    let key = match read {
        Err(why) => return Verdict::Unread { key: named, why: why.clone(), statement: wanted },
        Ok(key) => key,
    };
    if key.aws_managed || key_is_aws_managed_alias(&named) {
        return Verdict::AwsManaged { key: key.arn.clone() };
    }
    match grants(&key.policy, &key.arn, distribution_arn) {
        Ok(true) => Verdict::Granted { key: key.arn.clone() },
        Ok(false) => Verdict::NotGranted { key: key.arn.clone(), statement: wanted },
        Err(why) => Verdict::Unread { key: key.arn.clone(), why, statement: wanted },
    }
}

fn key_is_aws_managed_alias(key: &str) -> bool {
    key.starts_with("alias/aws/") || key.contains(":alias/aws/")
}

/// Whether `policy` lets CloudFront, for `distribution_arn`, call `kms:Decrypt` on key
/// `key_arn`: an Allow for the service principal, the action (or a wildcard of it), and every
/// condition one on `AWS:SourceArn` that the distribution meets; and no such Deny. A condition
/// on anything else cannot be judged from here: `Err`.
fn grants(policy: &str, key_arn: &str, distribution_arn: &str) -> Result<bool, String> {
    let policy: Value = serde_json::from_str(policy).map_err(|e| format!("its key policy is not JSON ({e})"))?;
    let statements = match &policy["Statement"] {
        Value::Array(list) => list.clone(),
        one @ Value::Object(_) => vec![one.clone()],
        _ => return Err("its key policy has no Statement".into()),
    };
    let mut allowed = false;
    for s in &statements {
        let applies = any_of(&s["Principal"]["Service"], |p| p.eq_ignore_ascii_case("cloudfront.amazonaws.com"))
            || s["Principal"] == json!("*")
            || any_of(&s["Principal"]["AWS"], |p| p == "*");
        let decrypts = any_of(&s["Action"], |a| wildcard_matches(&a.to_ascii_lowercase(), "kms:decrypt"));
        let on_key = s.get("Resource").is_none_or(|r| any_of(r, |r| r == "*" || wildcard_matches(r, key_arn)));
        if !(applies && decrypts && on_key) {
            continue;
        }
        let met = source_arn_met(&s["Condition"], distribution_arn)?;
        match s["Effect"].as_str() {
            Some("Deny") if met => return Ok(false),
            Some("Allow") if met => allowed = true,
            _ => {}
        }
    }
    Ok(allowed)
}

/// Whether `condition` (a statement's `Condition`) is met by a request from
/// `distribution_arn`: none, or only `AWS:SourceArn` tests it meets.
fn source_arn_met(condition: &Value, distribution_arn: &str) -> Result<bool, String> {
    let Some(operators) = condition.as_object() else { return Ok(true) };
    let mut met = true;
    for (operator, tests) in operators {
        for (key, values) in tests.as_object().into_iter().flatten() {
            if !key.eq_ignore_ascii_case("aws:SourceArn") {
                return Err(format!("its key policy has a condition on {key}, which edgepages cannot judge"));
            }
            let matches = match operator.as_str() {
                "StringEquals" | "ArnEquals" => any_of(values, |v| v == distribution_arn),
                "StringLike" | "ArnLike" => any_of(values, |v| wildcard_matches(v, distribution_arn)),
                other => return Err(format!("its key policy tests AWS:SourceArn with {other}")),
            };
            met &= matches;
        }
    }
    Ok(met)
}

/// Whether `value` (a string or a list of them) holds one for which `test` is true.
fn any_of(value: &Value, test: impl Fn(&str) -> bool) -> bool {
    match value {
        Value::String(one) => test(one),
        Value::Array(many) => many.iter().filter_map(Value::as_str).any(test),
        _ => false,
    }
}

/// `verify`'s check of bucket `bucket`'s key.
pub fn check(bucket: &str, verdict: &Verdict) -> Check {
    let subject = format!("encryption of bucket {bucket}");
    match verdict {
        Verdict::NothingToGrant => Check::pass(subject, "not SSE-KMS: CloudFront reads the pages".into()),
        Verdict::Granted { key } => {
            Check::pass(subject, format!("SSE-KMS with {key}, whose policy lets the distribution decrypt"))
        }
        Verdict::NotGranted { key, statement } => Check::fail(
            subject,
            format!(
                "SSE-KMS with {key}, whose policy does not let the distribution decrypt, so viewers get S3's 403; add \
                 this statement to the key policy: {statement}"
            ),
        ),
        Verdict::AwsManaged { key } => Check::fail(
            subject,
            format!(
                "SSE-KMS with the AWS managed key {key}, whose policy cannot be changed to let CloudFront decrypt, so \
                 viewers get S3's 403; set the bucket's default encryption to SSE-S3 or to a customer managed key"
            ),
        ),
        Verdict::Unread { key, why, statement } => Check::could_not_check(
            subject,
            format!("SSE-KMS with {key}: {why}; its policy must hold this statement: {statement}"),
        ),
        Verdict::EncryptionUnread { why, statement } => Check::warn(
            subject,
            format!(
                "its default encryption could not be read ({why}); if it is SSE-KMS, the key policy must hold this \
                 statement: {statement}"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIST: &str = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE123";
    const KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    /// The key policy KMS gives a new key: the account's root only.
    fn default_policy() -> Value {
        json!({ "Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
            "Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": { "AWS": "arn:aws:iam::123456789012:root" }, "Action": "kms:*", "Resource": "*"
        }]})
    }

    fn kms(policy: &Value) -> Encryption {
        let read = Ok(Key { arn: KEY.into(), aws_managed: false, policy: policy.to_string() });
        Encryption::Kms { key: Some(KEY.into()), read }
    }

    fn with(statement: Value) -> Value {
        let mut policy = default_policy();
        policy["Statement"].as_array_mut().unwrap().push(statement);
        policy
    }

    #[test]
    fn the_default_key_policy_does_not_let_cloudfront_decrypt_and_the_statement_to_add_does() {
        let Verdict::NotGranted { statement: added, .. } = verdict(&kms(&default_policy()), DIST) else { panic!() };
        let added: Value = serde_json::from_str(&added).unwrap();
        assert_eq!(added["Sid"], STATEMENT_ID);
        assert_eq!(verdict(&kms(&with(added)), DIST), Verdict::Granted { key: KEY.into() });
        // AWS's own example, three actions and the principal in a list, grants too.
        let aws = json!({ "Sid": STATEMENT_ID, "Effect": "Allow",
            "Principal": { "Service": ["cloudfront.amazonaws.com"] },
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"], "Resource": "*",
            "Condition": { "StringEquals": { "AWS:SourceArn": DIST } } });
        assert_eq!(verdict(&kms(&with(aws)), DIST), Verdict::Granted { key: KEY.into() });
    }

    #[test]
    fn another_distribution_a_deny_or_an_unknown_condition_are_told_apart() {
        let other = statement("arn:aws:cloudfront::123456789012:distribution/EOTHER");
        assert!(matches!(verdict(&kms(&with(other)), DIST), Verdict::NotGranted { .. }));
        let mut denied = with(statement(DIST));
        denied["Statement"].as_array_mut().unwrap().push(json!({ "Effect": "Deny",
            "Principal": { "Service": "cloudfront.amazonaws.com" }, "Action": "kms:*", "Resource": "*" }));
        assert!(matches!(verdict(&kms(&denied), DIST), Verdict::NotGranted { .. }));
        let like = json!({ "Effect": "Allow", "Principal": { "Service": "cloudfront.amazonaws.com" },
            "Action": "kms:Decrypt", "Resource": "*",
            "Condition": { "ArnLike": { "aws:sourcearn": "arn:aws:cloudfront::123456789012:distribution/*" } } });
        assert_eq!(verdict(&kms(&with(like)), DIST), Verdict::Granted { key: KEY.into() });
        let vpc = json!({ "Effect": "Allow", "Principal": { "Service": "cloudfront.amazonaws.com" },
            "Action": "kms:Decrypt", "Resource": "*", "Condition": { "StringEquals": { "aws:SourceVpce": "vpce-1" } } });
        assert!(matches!(verdict(&kms(&with(vpc)), DIST), Verdict::Unread { .. }));
    }

    #[test]
    fn an_aws_managed_key_cannot_be_granted_and_an_unreadable_one_is_not_judged() {
        let managed = Encryption::Kms {
            key: None,
            read: Ok(Key { arn: KEY.into(), aws_managed: true, policy: default_policy().to_string() }),
        };
        assert_eq!(verdict(&managed, DIST), Verdict::AwsManaged { key: KEY.into() });
        let denied = Encryption::Kms { key: Some(KEY.into()), read: Err("AccessDeniedException: no".into()) };
        let Verdict::Unread { why, statement, .. } = verdict(&denied, DIST) else { panic!() };
        assert!(why.contains("AccessDenied") && statement.contains(DIST));
        assert_eq!(verdict(&Encryption::S3Managed, DIST), Verdict::NothingToGrant);
        assert!(check("b", &verdict(&denied, DIST)).could_not_check);
        assert!(check("b", &verdict(&kms(&default_policy()), DIST)).failed());
        assert!(check("b", &verdict(&Encryption::S3Managed, DIST)).ok);
        let unknown = check("b", &verdict(&Encryption::Unknown("AccessDenied: no".into()), DIST));
        assert!(unknown.ok && unknown.warning, "a bucket that may not use KMS at all is not held against the site");
    }
}

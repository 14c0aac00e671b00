//! `verify` as a session: the live distribution, the page objects, the bucket's encryption, the
//! Lambda@Edge function and its associations, the variant, the headers the function sees and
//! the ALB guard, each read back and judged by its part's pure checks. Read calls only.

use super::{Clients, Targets, guard};
use crate::aws::{Aws, AwsError};
use crate::verify::{Check, Live, object_key, page_path, verify};

/// Reads back everything `targets` names and checks it.
pub async fn checks(targets: &Targets, clients: &Clients) -> Result<Vec<Check>, AwsError> {
    let d = &targets.desired;
    let aws = clients.aws()?;
    let dist = aws.read_distribution(&d.distribution_id).await?;
    let keys: Vec<String> = d.error_pages.iter().map(|p| object_key(&page_path(&dist.config, d, p.code))).collect();
    let objects = aws
        .head_objects(&d.bucket, &keys)
        .await?
        .into_iter()
        .map(|(key, stored)| (key, stored.map(|s| s.content_type.unwrap_or_default())))
        .collect();
    let live = Live { distribution: dist.config, objects };
    let mut checks = verify(d, &live);
    checks.push(kms_check(aws, &d.bucket, &dist.arn).await);
    if let Some(name) = targets.function_name() {
        checks.extend(function_checks(targets, clients, name, &live).await?);
    }
    if let Some(g) = &targets.guard
        && let Some(host) = &g.canonical_host
    {
        checks.extend(guard::checks(&g.listener_arn, host, &live.distribution, clients).await?);
    }
    Ok(checks)
}

/// Whether CloudFront can decrypt the pages when the bucket encrypts them with a KMS key: the
/// key's policy must let the distribution (`distribution_arn`) decrypt (see `kms`).
async fn kms_check(aws: &Aws, bucket: &str, distribution_arn: &str) -> Check {
    let encryption = aws.read_encryption(bucket).await;
    crate::kms::check(bucket, &crate::kms::verdict(&encryption, distribution_arn))
}

/// The function (its version holds its code), its associations, the variant and the headers
/// the function sees.
async fn function_checks(
    targets: &Targets,
    clients: &Clients,
    name: &str,
    live: &Live,
) -> Result<Vec<Check>, AwsError> {
    use crate::function::verify::{associated, check, holding_latest};
    let (latest, versions) = clients.function()?.read_function(name).await?;
    let mut checks = vec![check(name, latest.as_ref(), &versions)];
    checks.push(associated(&live.distribution, name, holding_latest(latest.as_ref(), &versions)));
    let aws = clients.aws()?;
    let named = match &targets.variant {
        Some(spec) => {
            let found = aws.read_variant(spec, &live.distribution).await?;
            let (check, named) = crate::variant::verify::check(spec, &live.distribution, &found);
            checks.push(check);
            named
        }
        None => Vec::new(),
    };
    let policies = aws.read_policies(&live.distribution).await;
    checks.push(crate::forwarding::check(&live.distribution, &policies, &named));
    Ok(checks)
}

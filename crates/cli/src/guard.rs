//! The ALB guard's part of `publish`, `plan` and `verify`: reads the listener and its load
//! balancer's DNS name, decides the origin header's secret (kept from the distribution as read,
//! or made new), plans the guard's rules, and checks from the read config that no viewer of
//! CloudFront can loop.

use anyhow::{Context as _, Result};
use aws_sdk_cloudfront::types::DistributionConfig;
use edgepages_core::config::AlbTarget;
use edgepages_publish::alb::Role;
use edgepages_publish::alb::aws::AlbAws;
use edgepages_publish::alb::guard::{GuardPlan, GuardWanted, plan_guard, redirect_allowed};
use edgepages_publish::alb::guard_verify;
use edgepages_publish::alb::plan::Found;
use edgepages_publish::origin_verify::{self, OriginHeader};
use edgepages_publish::verify::Check;

use crate::aws_setup::{Target, alb_client};

/// The guard's part of a plan.
#[derive(Debug)]
pub struct PlannedGuard {
    pub listener_arn: String,
    pub aws: AlbAws,
    pub found: Found,
    pub plan: GuardPlan,
}

/// A new secret: 128 random bits, as hex.
fn new_secret() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("making the origin header's secret")?;
    Ok(origin_verify::hex(&bytes))
}

/// The guard's plan from the listener and `distribution` as read; sets what `t`'s desired
/// state wants of the origin header. `None` when the config has no `[alb]`. Without a
/// `canonical_host` the listener is still read, so that a guard left from an earlier publish
/// is taken away.
pub async fn plan(t: &mut Target, distribution: &DistributionConfig) -> Result<Option<PlannedGuard>> {
    let Some(alb) = t.alb.clone() else { return Ok(None) };
    let existing = origin_verify::secret(distribution).map(str::to_owned);
    let aws = alb_client(&alb).await;
    let found = aws.read(&alb.listener_arn).await?;
    let wanted = if let Some(host) = &alb.canonical_host {
        let secret = match &existing {
            Some(secret) => secret.clone(),
            None => new_secret()?,
        };
        let redirect_exists = found.rules.iter().any(|r| r.role == Some(Role::GuardRedirect));
        let sent = existing.as_deref() == Some(secret.as_str());
        let deployed =
            sent && !redirect_exists && t.aws.distribution_status(&t.desired.distribution_id).await? == "Deployed";
        t.desired.origin_header = Some(OriginHeader::Set(secret.clone()));
        Some(GuardWanted {
            alb_dns: aws.dns_name(&alb.listener_arn, &found).await?,
            canonical_host: host.clone(),
            redirect: redirect_allowed(sent, deployed, redirect_exists),
            secret: Some(secret),
        })
    } else {
        if existing.is_some() {
            t.desired.origin_header = Some(OriginHeader::Removed);
        }
        None
    };
    let plan =
        plan_guard(&found, wanted.as_ref()).with_context(|| format!("planning the guard on {}", alb.listener_arn))?;
    Ok(Some(PlannedGuard { listener_arn: alb.listener_arn, aws, found, plan }))
}

/// Taking the guard's rules away, the redirect first: what a rollback of the publish that put
/// the guard in does before it takes the header off the distribution.
pub async fn removal(t: &Target) -> Result<PlannedGuard> {
    let alb = t.alb.as_ref().context(
        "this publish put the ALB guard in place; rolling it back takes the guard's rules off the listener before \
         the header off the distribution (or every viewer would loop), and that needs [alb] listener_arn in the config",
    )?;
    let aws = alb_client(alb).await;
    let found = aws.read(&alb.listener_arn).await?;
    let plan =
        plan_guard(&found, None).with_context(|| format!("planning the guard's removal on {}", alb.listener_arn))?;
    Ok(PlannedGuard { listener_arn: alb.listener_arn.clone(), aws, found, plan })
}

/// `verify`'s checks of the guard: no loop for CloudFront's requests on any behavior to the
/// site's origin, the redirect in place, and the copies current with the team's rules.
pub async fn checks(alb: &AlbTarget, host: &str, distribution: &DistributionConfig, t: &Target) -> Result<Vec<Check>> {
    let aws = alb_client(alb).await;
    let found = aws.read(&alb.listener_arn).await?;
    let alb_dns = aws.dns_name(&alb.listener_arn, &found).await?;
    let policies = t.aws.read_policies(distribution).await;
    let requests = origin_verify::cloudfront_requests(distribution, &policies, host);
    Ok(guard_verify::behind_cloudfront(&found, &requests, host, &alb_dns, origin_verify::secret(distribution)))
}

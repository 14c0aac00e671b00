//! The ALB guard's part of a session: the listener and its load balancer's DNS name read, the
//! origin header's secret decided (kept from the distribution as read, or the new one), and the
//! guard's rules planned; its removal, for a rollback; and the guard of a site with no CloudFront
//! in front (`[alb] canonical_host` without `[s3]` or `[cloudfront]`), whose visitors reach the
//! ALB by the canonical host's own DNS record, so that the guard is the redirect alone.

use aws_sdk_cloudfront::types::DistributionConfig;

use super::apply::{Context, apply};
use super::step::Step;
use super::{Clients, GuardPart, GuardTarget, ReadError, Stopped, Written};
use crate::alb::Role;
use crate::alb::aws::Listener;
use crate::alb::guard::{GuardWanted, plan_guard, redirect_allowed};
use crate::alb::verify;
use crate::aws::AwsError;
use crate::desired::Desired;
use crate::origin_verify::{self, OriginHeader};
use crate::progress::Progress;
use crate::verify::Check;

/// The guard's plan from the listener and `distribution` as read, and what the distribution is
/// to carry of the origin header. Without a canonical host the listener is still read, so that
/// a guard left from an earlier publish is taken away.
pub(crate) async fn read(
    target: &GuardTarget,
    desired: &Desired,
    distribution: &DistributionConfig,
    clients: &Clients,
) -> Result<(GuardPart, Option<OriginHeader>), ReadError> {
    let existing = origin_verify::secret(distribution).map(str::to_owned);
    let alb = clients.alb()?;
    let found = alb.read(&target.listener_arn).await?;
    let (wanted, header) = if let Some(host) = &target.canonical_host {
        let secret = existing.clone().unwrap_or_else(|| target.new_secret.clone());
        let redirect_exists = found.rules.iter().any(|r| r.role == Some(Role::GuardRedirect));
        let sent = existing.as_deref() == Some(secret.as_str());
        let deployed = sent
            && !redirect_exists
            && clients.aws()?.distribution_status(&desired.distribution_id).await? == "Deployed";
        let wanted = GuardWanted {
            alb_dns: alb.dns_name(&target.listener_arn, &found).await?,
            canonical_host: host.clone(),
            redirect: redirect_allowed(sent, deployed, redirect_exists),
            secret: Some(secret.clone()),
        };
        (Some(wanted), Some(OriginHeader::Set(secret)))
    } else {
        (None, existing.map(|_| OriginHeader::Removed))
    };
    let plan = plan_guard(&found, wanted.as_ref()).map_err(|source| ReadError::Guard {
        listener: target.listener_arn.clone(),
        removal: false,
        source,
    })?;
    Ok((GuardPart { listener_arn: target.listener_arn.clone(), found, plan }, header))
}

/// Taking the guard's rules away, the redirect first: what a rollback of the publish that put
/// the guard in does before it takes the header off the distribution.
pub(crate) async fn removal(listener_arn: &str, clients: &Clients) -> Result<GuardPart, ReadError> {
    let found = clients.alb()?.read(listener_arn).await?;
    let plan = plan_guard(&found, None).map_err(|source| ReadError::Guard {
        listener: listener_arn.to_owned(),
        removal: true,
        source,
    })?;
    Ok(GuardPart { listener_arn: listener_arn.to_owned(), found, plan })
}

/// The guard's checks behind CloudFront: no loop for CloudFront's requests on any behavior to
/// the site's origin, the redirect in place, and the copies current with the team's rules.
pub(crate) async fn checks(
    listener_arn: &str,
    host: &str,
    distribution: &DistributionConfig,
    clients: &Clients,
) -> Result<Vec<Check>, AwsError> {
    let alb = clients.alb()?;
    let found = alb.read(listener_arn).await?;
    let alb_dns = alb.dns_name(listener_arn, &found).await?;
    let policies = clients.aws()?.read_policies(distribution).await;
    let requests = origin_verify::cloudfront_requests(distribution, &policies, host);
    Ok(verify::behind_cloudfront(&found, &requests, host, &alb_dns, origin_verify::secret(distribution)))
}

/// The guard of a site with no CloudFront in front, read and planned.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardAlone {
    pub part: GuardPart,
    pub wanted: GuardWanted,
}

impl GuardAlone {
    /// Reads the listener of `[alb]` and plans the redirect to `canonical_host`.
    pub async fn read(listener_arn: &str, canonical_host: &str, clients: &Clients) -> Result<GuardAlone, ReadError> {
        let alb = clients.alb()?;
        let found = alb.read(listener_arn).await?;
        let alb_dns = alb.dns_name(listener_arn, &found).await?;
        if canonical_host.eq_ignore_ascii_case(&alb_dns) {
            return Err(ReadError::CanonicalIsAlb { alb_dns });
        }
        let wanted = GuardWanted { alb_dns, canonical_host: canonical_host.to_owned(), secret: None, redirect: true };
        let plan = plan_guard(&found, Some(&wanted)).map_err(|source| ReadError::Guard {
            listener: listener_arn.to_owned(),
            removal: false,
            source,
        })?;
        Ok(GuardAlone { part: GuardPart { listener_arn: listener_arn.to_owned(), found, plan }, wanted })
    }

    pub fn steps(&self) -> Vec<Step> {
        self.part.plan.steps.iter().cloned().map(Step::Rule).collect()
    }

    pub async fn apply(&self, clients: &Clients, progress: &dyn Progress) -> Result<Written, Stopped> {
        let listener = Listener::planned_from(&self.part.listener_arn, &self.part.found, None);
        apply(&self.steps(), &Context { listener: Some(listener), ..Context::new(clients) }, progress).await
    }

    /// `verify`: the redirect is there and current, and a visitor of the canonical host is never
    /// sent back to it.
    pub fn checks(&self) -> Vec<Check> {
        verify::alone(&self.part.found, &self.part.plan, &self.wanted)
    }
}

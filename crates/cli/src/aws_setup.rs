//! Turns a loaded site into what a session reads and writes: its [`Targets`] (the desired state
//! rendered from the pages, the function, the variant, the guard) and the AWS [`Clients`], built
//! from the AWS config chain as the aws CLI does (`AWS_PROFILE`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, credentials). `plan`, `publish`, `verify` and `rollback` share it.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use aws_config::{BehaviorVersion, Region};
use edgepages_core::config::{AlbTarget, CloudFrontTarget};
use edgepages_core::{Site, static_pages};
use edgepages_publish::Desired;
use edgepages_publish::alb::aws::AlbAws;
use edgepages_publish::aws::Aws;
use edgepages_publish::function::{FunctionSpec, REGION as FUNCTION_REGION, aws::FunctionAws};
use edgepages_publish::session::{Clients, GuardTarget, LambdaTarget, Targets};
use edgepages_publish::variant::VariantSpec;

use crate::output::Output;

/// A runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the async runtime")
}

/// Where the Lambda@Edge function's code comes from.
#[derive(Debug, Clone, Copy)]
pub enum FunctionCode<'a> {
    /// A zip made by `edgepages lambda-edge package`.
    Zip(&'a Path),
    /// Packaged now, for this config.
    Package,
    /// Not needed: verify and rollback read the function, never deploy it.
    None,
}

/// A site's targets and the clients for them. `config_path` is where the site was loaded from.
pub async fn setup(
    site: &Site,
    config_path: &Path,
    code: FunctionCode<'_>,
    out: &Output,
) -> Result<(Targets, Clients)> {
    let config = &site.config;
    let (Some(s3), Some(cloudfront)) = (&config.s3, &config.cloudfront) else {
        bail!(
            "{} has no {}; publishing needs an [s3] bucket and a [cloudfront] distribution_id (`edgepages init` shows both)",
            config_path.display(),
            if config.s3.is_none() { "[s3] section" } else { "[cloudfront] section" }
        );
    };
    let pages = static_pages(site).context("rendering the pages")?;
    let shared = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let region = s3.region.clone().or_else(|| shared.region().map(ToString::to_string)).with_context(|| {
        format!("no AWS region for bucket {}: set [s3] region in {}, or AWS_REGION", s3.bucket, config_path.display())
    })?;
    let aws = bucket_clients(&shared, &region);
    let desired = Desired::new(config, &pages, &region)?;
    let lambda = match cloudfront.configured_function_name() {
        Some(name) => Some(lambda_target(site, cloudfront, name, config_path, code, out)?),
        None => None,
    };
    let guard = config.alb.as_ref().map(guard_target).transpose()?;
    let clients = Clients {
        aws: Some(aws),
        function: match lambda.as_ref().filter(|l| l.enabled) {
            Some(_) => Some(function_clients().await),
            None => None,
        },
        alb: match &config.alb {
            Some(alb) => Some(alb_client(alb).await),
            None => None,
        },
    };
    Ok((Targets { desired, lambda, variant: VariantSpec::new(config), guard }, clients))
}

/// S3 and CloudFront from the chain, and KMS in the bucket's `region`.
fn bucket_clients(shared: &aws_config::SdkConfig, region: &str) -> Aws {
    let mut s3 = aws_sdk_s3::config::Builder::from(shared).region(Region::new(region.to_owned()));
    if shared.endpoint_url().is_some() {
        // S3-compatible servers (moto, MinIO, LocalStack) rarely serve virtual-host buckets.
        s3 = s3.force_path_style(true);
    }
    let mut cloudfront = aws_sdk_cloudfront::config::Builder::from(shared);
    if shared.region().is_none() {
        // CloudFront is global; its API is signed for us-east-1.
        cloudfront = cloudfront.region(Region::from_static("us-east-1"));
    }
    // KMS in the bucket's region, where an SSE-KMS bucket's key lives.
    let kms = aws_sdk_kms::config::Builder::from(shared).region(Region::new(region.to_owned())).build();
    Aws::new(aws_sdk_s3::Client::from_conf(s3.build()), aws_sdk_cloudfront::Client::from_conf(cloudfront.build()))
        .with_kms(aws_sdk_kms::Client::from_conf(kms))
}

/// `[cloudfront.lambda_edge]`, with the function's zip when it is enabled and `code` says where
/// the zip comes from.
fn lambda_target(
    site: &Site,
    cloudfront: &CloudFrontTarget,
    name: String,
    config_path: &Path,
    code: FunctionCode<'_>,
    out: &Output,
) -> Result<LambdaTarget> {
    let enabled = cloudfront.function_name().is_some();
    let zip = match code {
        _ if !enabled => None,
        FunctionCode::Zip(path) => {
            Some(std::fs::read(path).with_context(|| format!("reading the function's zip {}", path.display()))?)
        }
        FunctionCode::Package => Some(crate::package::package_for(site, config_path, None, None, out)?),
        FunctionCode::None => None,
    };
    let spec = match zip {
        Some(zip) => Some(FunctionSpec::new(cloudfront, zip).context("[cloudfront.lambda_edge] is enabled")?),
        None => None,
    };
    Ok(LambdaTarget { name, enabled, spec })
}

/// `[alb]` for the guard, with a new secret for the origin header in case the distribution has
/// none yet: 128 random bits, as hex.
fn guard_target(alb: &AlbTarget) -> Result<GuardTarget> {
    let new_secret = match &alb.canonical_host {
        Some(_) => {
            let mut bytes = [0u8; 16];
            getrandom::getrandom(&mut bytes)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("making the origin header's secret")?;
            edgepages_publish::secret::hex(&bytes)
        }
        None => String::new(),
    };
    Ok(GuardTarget { listener_arn: alb.listener_arn.clone(), canonical_host: alb.canonical_host.clone(), new_secret })
}

/// The config's `[alb]` when it asks for the guard of a site without CloudFront: `[alb]
/// canonical_host` without `[s3]` or `[cloudfront]`.
pub fn alb_only(site: &Site) -> Option<&AlbTarget> {
    let c = &site.config;
    c.alb.as_ref().filter(|a| a.canonical_host.is_some() && c.s3.is_none() && c.cloudfront.is_none())
}

/// The Elastic Load Balancing client for `[alb]`'s region (its own, or its listener's), or the
/// AWS chain's.
pub async fn alb_client(alb: &AlbTarget) -> AlbAws {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = alb.region() {
        loader = loader.region(Region::new(region.to_owned()));
    }
    AlbAws::new(aws_sdk_elasticloadbalancingv2::Client::new(&loader.load().await))
}

/// Clients for `[alb]` alone: maintenance, and the guard of a site without CloudFront.
pub async fn alb_clients(alb: &AlbTarget) -> Clients {
    Clients { aws: None, function: None, alb: Some(alb_client(alb).await) }
}

/// Lambda's client for us-east-1, where Lambda@Edge functions live, and IAM's.
async fn function_clients() -> FunctionAws {
    let shared =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::from_static(FUNCTION_REGION)).load().await;
    FunctionAws::new(aws_sdk_lambda::Client::new(&shared), aws_sdk_iam::Client::new(&shared))
}

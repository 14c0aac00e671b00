//! Builds the S3, CloudFront, Lambda and IAM clients from the AWS config chain, as the aws CLI
//! does (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, credentials), and everything `plan`,
//! `publish`, `verify` and `rollback` share: the site, its pages and the desired state.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use aws_config::{BehaviorVersion, Region};
use edgepages_core::config::{AlbTarget, CloudFrontTarget};
use edgepages_core::static_pages;
use edgepages_publish::Desired;
use edgepages_publish::alb::aws::AlbAws;
use edgepages_publish::aws::Aws;
use edgepages_publish::function::{FunctionSpec, REGION as FUNCTION_REGION, aws::FunctionAws};

use crate::output::Output;
use crate::site_files::load_site;

/// The site rendered into its desired state, and clients for its bucket's region.
#[derive(Debug)]
pub struct Target {
    pub desired: Desired,
    pub aws: Aws,
    /// The config's `[cloudfront]`, for the Lambda@Edge function's part.
    pub cloudfront: CloudFrontTarget,
    /// The config's `[alb]`, for the guard's part.
    pub alb: Option<AlbTarget>,
    /// The variant functions, with `[cloudfront.lambda_edge]`.
    pub variant: Option<edgepages_publish::variant::VariantSpec>,
}

pub async fn target(config_path: &Path) -> Result<Target> {
    let site = load_site(config_path)?;
    let config = &site.config;
    if config.s3.is_none() || config.cloudfront.is_none() {
        bail!(
            "{} has no {}; publishing needs an [s3] bucket and a [cloudfront] distribution_id (`edgepages init` shows both)",
            config_path.display(),
            if config.s3.is_none() { "[s3] section" } else { "[cloudfront] section" }
        );
    }
    let pages = static_pages(&site).context("rendering the pages")?;

    let shared = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let region = config
        .s3
        .as_ref()
        .and_then(|s3| s3.region.clone())
        .or_else(|| shared.region().map(ToString::to_string))
        .with_context(|| {
            format!(
                "no AWS region for bucket {}: set [s3] region in {}, or AWS_REGION",
                config.s3.as_ref().map_or("", |s| s.bucket.as_str()),
                config_path.display()
            )
        })?;
    let mut s3 = aws_sdk_s3::config::Builder::from(&shared).region(Region::new(region.clone()));
    if shared.endpoint_url().is_some() {
        // S3-compatible servers (moto, MinIO, LocalStack) rarely serve virtual-host buckets.
        s3 = s3.force_path_style(true);
    }
    let mut cloudfront = aws_sdk_cloudfront::config::Builder::from(&shared);
    if shared.region().is_none() {
        // CloudFront is global; its API is signed for us-east-1.
        cloudfront = cloudfront.region(Region::from_static("us-east-1"));
    }
    // KMS in the bucket's region, where an SSE-KMS bucket's key lives.
    let kms = aws_sdk_kms::config::Builder::from(&shared).region(Region::new(region.clone())).build();
    let aws =
        Aws::new(aws_sdk_s3::Client::from_conf(s3.build()), aws_sdk_cloudfront::Client::from_conf(cloudfront.build()))
            .with_kms(aws_sdk_kms::Client::from_conf(kms));
    let desired = Desired::new(config, &pages, &region)?;
    let cloudfront = config.cloudfront.clone().context("[cloudfront] was checked above")?;
    let variant = edgepages_publish::variant::VariantSpec::new(config);
    Ok(Target { desired, aws, cloudfront, alb: config.alb.clone(), variant })
}

/// A runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the async runtime")
}

/// The Lambda@Edge function of `[cloudfront.lambda_edge]`, with clients for it.
#[derive(Debug)]
pub struct FunctionTarget {
    pub spec: FunctionSpec,
    pub aws: FunctionAws,
}

/// Where the function's code comes from.
#[derive(Debug, Clone, Copy)]
pub enum FunctionCode<'a> {
    /// A zip made by `edgepages lambda-edge package`.
    Zip(&'a Path),
    /// Packaged now, for this config.
    Package,
}

/// The function target of `t`'s config (at `config_path`), or `None` when it does not enable
/// the function.
pub async fn function_target(
    t: &Target,
    config_path: &Path,
    code: FunctionCode<'_>,
    out: &Output,
) -> Result<Option<FunctionTarget>> {
    if t.cloudfront.function_name().is_none() {
        return Ok(None);
    }
    let zip = match code {
        FunctionCode::Zip(path) => {
            std::fs::read(path).with_context(|| format!("reading the function's zip {}", path.display()))?
        }
        FunctionCode::Package => crate::commands::lambda_edge::package_for(config_path, None, None, out)?,
    };
    let spec = FunctionSpec::new(&t.cloudfront, zip).context("[cloudfront.lambda_edge] is enabled")?;
    Ok(Some(FunctionTarget { spec, aws: function_clients().await }))
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

/// Lambda's client for us-east-1, where Lambda@Edge functions live, and IAM's.
pub async fn function_clients() -> FunctionAws {
    let shared =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::from_static(FUNCTION_REGION)).load().await;
    FunctionAws::new(aws_sdk_lambda::Client::new(&shared), aws_sdk_iam::Client::new(&shared))
}

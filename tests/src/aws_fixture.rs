//! Distributions, buckets and sites for the publish tests, made with the AWS SDK directly
//! against the API server, and a site folder with an `edgepages.toml` that names them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context as _, Result};
use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudfront::types::{CustomErrorResponse, CustomErrorResponses, DistributionConfig};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use crate::worker::repo_root;

pub const REGION: &str = "eu-west-1";

/// The environment the `edgepages` binary needs to reach `endpoint` with test credentials.
pub fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", REGION.into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_CONFIG_FILE", "/dev/null".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
    ]
}

/// S3, CloudFront, Lambda (us-east-1), IAM, ELB and KMS clients for `endpoint`.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub s3: aws_sdk_s3::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub kms: aws_sdk_kms::Client,
    endpoint: String,
}

/// An ALB made by `tests/moto/alb_fixture.py`: its listener (default action: forward to the
/// first target group), its target groups, and the team's own two rules.
#[derive(Debug, Clone)]
pub struct Alb {
    pub listener_arn: String,
    pub target_groups: Vec<String>,
    /// The team's rules by what they are for: `api` (path `/api/*`, priority 10) and `admin`
    /// (host `admin.example.com`, priority 20).
    pub rules: std::collections::BTreeMap<String, String>,
    pub dns_name: String,
}

pub use edgepages_publish::fixtures::Start;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A name no other test in this process uses.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

impl Fixture {
    pub async fn new(endpoint: &str) -> Fixture {
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new(REGION))
            .credentials_provider(aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await;
        let s3 = aws_sdk_s3::config::Builder::from(&shared).force_path_style(true).build();
        let lambda = aws_sdk_lambda::config::Builder::from(&shared).region(Region::new("us-east-1")).build();
        Fixture {
            s3: aws_sdk_s3::Client::from_conf(s3),
            cloudfront: aws_sdk_cloudfront::Client::new(&shared),
            lambda: aws_sdk_lambda::Client::from_conf(lambda),
            iam: aws_sdk_iam::Client::new(&shared),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&shared),
            kms: aws_sdk_kms::Client::new(&shared),
            endpoint: endpoint.to_owned(),
        }
    }

    /// A VPC, an ALB, target groups and a listener with the team's rules, in moto (by boto3,
    /// since moto's ALB needs EC2 subnets and this crate has no EC2 client).
    pub fn alb(&self) -> Result<Alb> {
        let out = std::process::Command::new(crate::moto::python())
            .arg(repo_root().join("tests/moto/alb_fixture.py"))
            .arg(&self.endpoint)
            .arg(unique_name("shop").replace('-', ""))
            .output()
            .context("running tests/moto/alb_fixture.py")?;
        anyhow::ensure!(out.status.success(), "alb_fixture.py failed: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).context("reading alb_fixture.py's answer")?;
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned).context("alb_fixture.py: a string");
        Ok(Alb {
            listener_arn: text(&v["listener_arn"])?,
            target_groups: v["target_groups"]
                .as_array()
                .context("target_groups")?
                .iter()
                .map(text)
                .collect::<Result<_>>()?,
            rules: v["rules"]
                .as_object()
                .context("rules")?
                .iter()
                .map(|(k, arn)| Ok((k.clone(), text(arn)?)))
                .collect::<Result<_>>()?,
            dns_name: text(&v["dns_name"])?,
        })
    }

    pub async fn bucket(&self) -> Result<String> {
        let name = unique_name("pages");
        self.bucket_named(&name).await?;
        Ok(name)
    }

    /// Makes bucket `name` in the rig's region.
    pub async fn bucket_named(&self, name: &str) -> Result<()> {
        self.s3
            .create_bucket()
            .bucket(name)
            .create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(REGION))
                    .build(),
            )
            .send()
            .await
            .context("creating the bucket")?;
        Ok(())
    }

    pub async fn distribution(&self, start: Start) -> Result<String> {
        let out = self
            .cloudfront
            .create_distribution()
            .distribution_config(distribution_config(start))
            .send()
            .await
            .context("creating the distribution")?;
        Ok(out.distribution.context("no distribution")?.id)
    }

    /// The distribution's config and ETag, as `publish` would read them.
    pub async fn config(&self, id: &str) -> Result<(DistributionConfig, String)> {
        let out = self.cloudfront.get_distribution_config().id(id).send().await.context("reading the distribution")?;
        Ok((out.distribution_config.context("no config")?, out.e_tag.unwrap_or_default()))
    }

    /// Adds an error response to the distribution, as someone else would.
    pub async fn add_error_response(&self, id: &str, response: CustomErrorResponse) -> Result<()> {
        let (mut config, etag) = self.config(id).await?;
        let responses = config
            .custom_error_responses
            .get_or_insert_with(|| CustomErrorResponses::builder().quantity(0).build().expect("quantity"));
        let items = responses.items.get_or_insert_with(Vec::new);
        items.push(response);
        responses.quantity = i32::try_from(items.len())?;
        self.cloudfront.update_distribution().id(id).if_match(etag).distribution_config(config).send().await?;
        Ok(())
    }

    /// The keys in `bucket`.
    pub async fn keys(&self, bucket: &str) -> Result<Vec<String>> {
        let out = self.s3.list_objects_v2().bucket(bucket).send().await?;
        Ok(out.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect())
    }
}

/// The shared distribution fixture, with a caller reference of its own (CloudFront refuses a
/// second distribution with the same one).
fn distribution_config(start: Start) -> DistributionConfig {
    let mut config = edgepages_publish::fixtures::distribution(start);
    config.caller_reference = unique_name("ref");
    config
}

/// A site folder: the bundled example config pointed at `bucket` and `distribution`, with
/// `extra` appended to its `[cloudfront]` table (the last one once the example's
/// `[cloudfront.origin]` is left out), and the logo beside it.
pub fn site(dir: &Path, bucket: &str, distribution: &str, extra: &str) -> Result<PathBuf> {
    let root = repo_root();
    let example = std::fs::read_to_string(root.join("edgepages.toml"))?;
    let mut text = String::new();
    let mut in_origin_table = false;
    for line in example.lines() {
        // The example's own [cloudfront.origin] is left out: a test that wants one says so.
        if line.starts_with('[') {
            in_origin_table = line.trim() == "[cloudfront.origin]";
        }
        if in_origin_table {
            continue;
        }
        let line = match line.split_once(" = ") {
            Some(("bucket", _)) => format!("bucket = \"{bucket}\""),
            Some(("region", _)) => format!("region = \"{REGION}\""),
            Some(("distribution_id", _)) => format!("distribution_id = \"{distribution}\""),
            _ => line.to_owned(),
        };
        text.push_str(&line);
        text.push('\n');
    }
    // [cloudfront] is the last table left, so `extra` lands in it.
    text.push_str(extra);
    std::fs::create_dir_all(dir.join("pages/brand"))?;
    std::fs::copy(root.join("pages/brand/logo.svg"), dir.join("pages/brand/logo.svg"))?;
    let path = dir.join("edgepages.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

//! Why a plan cannot be made.

/// A reason the desired state cannot be applied to the current distribution.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("the config has no [{0}] section; publish needs both [s3] and [cloudfront]")]
    MissingSection(&'static str),
    #[error(
        "the distribution already has a cache behavior for {pattern} that points at origin {origin_id:?}, \
         which edgepages does not own; change [s3] prefix or remove that behavior"
    )]
    PathPatternTaken { pattern: String, origin_id: String },
    #[error(
        "the distribution has an origin with ID {id:?} that is not an S3 origin; edgepages uses that ID \
         for its pages bucket, so rename that origin or the bucket"
    )]
    OriginIdTaken { id: String },
    #[error(
        "the distribution's {behavior} already has an origin-response function, {arn}, which is not edgepages'; \
         a behavior takes one, so remove it or set [cloudfront.lambda_edge] enabled = false"
    )]
    OriginResponseTaken { behavior: String, arn: String },
    #[error(
        "[cloudfront.lambda_edge] per_viewer names {pattern:?}, {why}; it lists behaviors the function runs on that \
         cache nothing"
    )]
    PerViewerNotUncached { pattern: String, why: String },
    #[error("cache policy {id}, named by the {behavior}, was not read: {why}")]
    PolicyUnread { id: String, behavior: String, why: String },
    #[error("[cloudfront.origin] id = {id:?} is not an origin of the distribution; it has: {}", available.join(", "))]
    UnknownOrigin { id: String, available: Vec<String> },
    #[error(
        "[cloudfront.origin] id = {id:?} is an S3 origin; read_timeout applies to custom origins (such as an ALB) only"
    )]
    NotCustomOrigin { id: String },
    #[error("the bucket policy is not valid JSON, so edgepages will not rewrite it: {0}")]
    BucketPolicy(String),
    #[error("building the CloudFront request: {0}")]
    Build(String),
    #[error(
        "distribution {id} has settings that this edgepages cannot carry over: {}. Its aws-sdk-cloudfront ({sdk}) \
         does not know them, so an update would silently drop them; nothing was written. Please upgrade edgepages",
        elements.join(", ")
    )]
    Unmodelled { id: String, elements: Vec<String>, sdk: &'static str },
}

impl PlanError {
    /// Refuses a write to distribution `id` while it has elements the SDK would drop.
    pub fn refuse_unmodelled(id: &str, elements: &[String]) -> Result<(), PlanError> {
        if elements.is_empty() {
            return Ok(());
        }
        Err(PlanError::Unmodelled {
            id: id.to_owned(),
            elements: elements.to_vec(),
            sdk: aws_sdk_cloudfront::meta::PKG_VERSION,
        })
    }
}

impl From<aws_sdk_cloudfront::error::BuildError> for PlanError {
    fn from(e: aws_sdk_cloudfront::error::BuildError) -> Self {
        PlanError::Build(e.to_string())
    }
}

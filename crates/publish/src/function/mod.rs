//! The Lambda@Edge function `publish` deploys in us-east-1: what it should be ([`FunctionSpec`]),
//! the IAM documents its role needs ([`policies`]), the plan from what exists ([`plan`]), and
//! the thin adapter over the Lambda and IAM clients that reads and writes it ([`aws`]), and
//! `verify`'s check of it ([`verify`]).

pub mod aws;
pub mod plan;
pub mod policies;
pub mod verify;

use base64::Engine as _;
use edgepages_core::config::{CloudFrontTarget, LambdaEdgeTarget};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// Lambda@Edge functions must live here, whatever region the site is in.
pub const REGION: &str = "us-east-1";
/// The Node.js runtime the packaged `index.mjs` is written for.
pub const RUNTIME: &str = "nodejs22.x";
/// `index.mjs` exports `handler`.
pub const HANDLER: &str = "index.handler";
/// The smallest memory Lambda offers; the function answers in well under a millisecond.
pub const MEMORY_MB: i32 = 128;
/// Far above the function's cold start, far below CloudFront's 30 s limit for origin triggers.
pub const TIMEOUT_S: i32 = 5;

/// The settings of a function or of one of its versions that `publish` sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setup {
    pub runtime: String,
    pub handler: String,
    pub role_arn: String,
    pub memory_mb: i32,
    pub timeout_s: i32,
}

impl Setup {
    /// What `publish` sets, with the role `role_arn`.
    pub fn wanted(role_arn: &str) -> Setup {
        Setup {
            runtime: RUNTIME.into(),
            handler: HANDLER.into(),
            role_arn: role_arn.into(),
            memory_mb: MEMORY_MB,
            timeout_s: TIMEOUT_S,
        }
    }
}

/// Where the function's execution role comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Role {
    /// `role_arn` in the config: used as it is, never read or changed.
    Given(String),
    /// Created (or reused) by name, with a logging policy for this function.
    Managed(String),
}

/// The function `publish` should leave deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    pub name: String,
    pub role: Role,
    /// The packaged zip (`edgepages lambda-edge package`).
    pub zip: Vec<u8>,
    /// The zip's SHA-256 in base64: what Lambda reports as `CodeSha256`.
    pub code_sha256: String,
}

impl FunctionSpec {
    /// The spec for `[cloudfront.lambda_edge]`, or `None` when it is absent or not enabled.
    pub fn new(cloudfront: &CloudFrontTarget, zip: Vec<u8>) -> Option<FunctionSpec> {
        let name = cloudfront.function_name()?;
        let role = match cloudfront.lambda_edge.as_ref().and_then(|t| t.role_arn.clone()) {
            Some(arn) => Role::Given(arn),
            None => Role::Managed(LambdaEdgeTarget::DEFAULT_ROLE.to_owned()),
        };
        Some(FunctionSpec { name, role, code_sha256: code_sha256(&zip), zip })
    }
}

/// The SHA-256 of `zip` in base64, as Lambda reports it in `CodeSha256`.
pub fn code_sha256(zip: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(zip))
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::{FunctionSpec, Role, code_sha256};

    pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/edgepages-lambda-edge";

    /// A spec with a managed role and a zip of `code`.
    pub fn spec(code: &str) -> FunctionSpec {
        FunctionSpec {
            name: "edgepages-E2EXAMPLE123".into(),
            role: Role::Managed("edgepages-lambda-edge".into()),
            zip: code.as_bytes().to_vec(),
            code_sha256: code_sha256(code.as_bytes()),
        }
    }
}

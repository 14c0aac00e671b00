//! What the distribution names of the other parts of a publish: the Lambda@Edge function's
//! version, the variant's functions and cache policy copies, and the ALB guard's origin header.
//! Each is known only once its part is read (or written), so it sits beside the desired state,
//! not in it; the apply loop fills in what CloudFront and Lambda name only when written.

use aws_sdk_cloudfront::types::DistributionConfig;

use crate::association::{self, EdgeFunction};
use crate::error::PlanError;
use crate::origin_verify::{self, OriginHeader};
use crate::variant::plan::VariantEdit;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Wiring {
    /// The Lambda@Edge function's association, when `[cloudfront.lambda_edge]` is there (its
    /// version `None` when the function is off: the association goes).
    pub edge_function: Option<EdgeFunction>,
    /// The ALB guard's origin header, when `[alb]` is there.
    pub origin_header: Option<OriginHeader>,
    /// The variant functions and cache policy copies, when `[cloudfront.lambda_edge]` is there.
    pub variant: Option<VariantEdit>,
}

impl Wiring {
    /// Points `config` at the parts as wired; leaves what is not wired as it is.
    pub fn wire(&self, config: &mut DistributionConfig) -> Result<(), PlanError> {
        if let Some(function) = &self.edge_function {
            association::set(config, function)?;
        }
        if let Some(v) = &self.variant {
            crate::variant::plan::set(config, &v.spec, &v.plan, &v.names)?;
        }
        match &self.origin_header {
            Some(OriginHeader::Set(secret)) => origin_verify::set(config, Some(secret))?,
            Some(OriginHeader::Removed) => origin_verify::set(config, None)?,
            None => {}
        }
        Ok(())
    }
}

//! The steps of a publish, a rollback or a switch of maintenance, and the one order they are
//! made in: [`Part`]'s. Each part is written before any part that names it, so nothing ever
//! points at what is not there yet: the Lambda@Edge function and the variant's CloudFront
//! Functions and cache policy copies before the distribution that names them; the ALB guard's
//! rules before the distribution sends their header (and, taken away, before it stops); the pages
//! before the distribution routes errors to them; the rollback record after the distribution.

use aws_sdk_cloudfront::types::DistributionConfig;
use serde::Serialize;

use crate::alb::listener::RuleStep;
use crate::function::plan::LambdaStep;
use crate::plan::{Plan, Upload};
use crate::variant::plan::VariantStep;

/// The parts, in the only safe order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The Lambda@Edge function, its role and its versions.
    Function,
    /// The variant's CloudFront Functions and cache policy copies.
    Variant,
    /// The ALB listener's rules: the guard's, or maintenance's.
    Listener,
    /// The page objects, the Origin Access Control and the bucket policy.
    Pages,
    /// The distribution, and the rollback record of its change.
    Distribution,
}

/// One write, or one batch of page uploads.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Lambda(LambdaStep),
    Variant(Box<VariantStep>),
    Rule(RuleStep),
    /// The pages to upload, a few at a time.
    Upload(Vec<Upload>),
    CreateOac,
    /// The bucket policy to write.
    BucketPolicy(String),
    /// The distribution, with the desired state as wired by what the steps before made.
    UpdateDistribution,
    /// The rollback record of the update.
    SaveRecord,
    /// A rollback: the distribution's config as it was, sent with `If-Match`.
    RestoreDistribution {
        config: Box<DistributionConfig>,
        if_match: String,
    },
}

impl Step {
    pub fn part(&self) -> Part {
        match self {
            Step::Lambda(_) => Part::Function,
            Step::Variant(_) => Part::Variant,
            Step::Rule(_) => Part::Listener,
            Step::Upload(_) | Step::CreateOac | Step::BucketPolicy(_) => Part::Pages,
            Step::UpdateDistribution | Step::SaveRecord | Step::RestoreDistribution { .. } => Part::Distribution,
        }
    }

    /// The write calls it makes (the rollback record counts as one).
    pub fn writes(&self) -> usize {
        match self {
            Step::Upload(uploads) => uploads.len(),
            _ => 1,
        }
    }
}

/// `steps` in the safe order, each part's own order kept.
pub fn in_order(mut steps: Vec<Step>) -> Vec<Step> {
    steps.sort_by_key(Step::part);
    steps
}

/// The writes of all `steps`.
pub fn write_count(steps: &[Step]) -> usize {
    steps.iter().map(Step::writes).sum()
}

impl Plan {
    /// The pages' and the distribution's steps, in the order this plan makes them.
    pub fn steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        if !self.uploads.is_empty() {
            steps.push(Step::Upload(self.uploads.clone()));
        }
        if self.create_oac {
            steps.push(Step::CreateOac);
        }
        if let Some(policy) = &self.bucket_policy {
            steps.push(Step::BucketPolicy(policy.clone()));
        }
        if self.distribution.is_some() {
            steps.extend([Step::UpdateDistribution, Step::SaveRecord]);
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alb::Role;
    use crate::change::ChangeKind;

    #[test]
    fn each_part_goes_before_the_parts_that_name_it_and_keeps_its_own_order() {
        let upload = Step::Upload(vec![Upload { key: "edgepages/503.html".into(), kind: ChangeKind::Add }]);
        let redirect = Step::Rule(RuleStep::Delete { role: Role::GuardRedirect, arn: "arn:rule/1".into() });
        let pass = Step::Rule(RuleStep::Delete { role: Role::GuardPass, arn: "arn:rule/2".into() });
        let variant =
            Step::Variant(Box::new(VariantStep::PublishFunction { name: "edgepages-shared-E1".into(), etag: None }));
        // The parts last to first, each in its own order.
        let steps = vec![
            Step::UpdateDistribution,
            Step::SaveRecord,
            upload.clone(),
            Step::CreateOac,
            redirect.clone(),
            pass.clone(),
            variant.clone(),
            Step::Lambda(LambdaStep::UpdateCode),
            Step::Lambda(LambdaStep::PublishVersion),
        ];
        assert_eq!(
            in_order(steps),
            [
                Step::Lambda(LambdaStep::UpdateCode),
                Step::Lambda(LambdaStep::PublishVersion),
                variant,
                redirect,
                pass,
                upload,
                Step::CreateOac,
                Step::UpdateDistribution,
                Step::SaveRecord,
            ]
        );
    }
}

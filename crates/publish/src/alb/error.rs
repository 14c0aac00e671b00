//! Why the listener's rules cannot be planned.

use super::Role;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlbPlanError {
    #[error(
        "the listener has {count} {role} rules tagged {tag}={role}; edgepages makes one. Delete the extra ones \
         ({arns}), then run this again",
        tag = super::ROLE_TAG, role = role.as_str(), arns = arns.join(", ")
    )]
    Duplicate { role: Role, count: usize, arns: Vec<String> },
    #[error(
        "rule {arn} (priority {priority}) cannot be copied with {with}: the copy would have {values} condition values, \
         over the ALB's limit of {max} per rule; split the rule or drop a value",
        max = edgepages_core::config::MAX_CONDITION_VALUES
    )]
    CopyOverLimit { priority: u32, arn: String, values: usize, with: String },
    #[error(
        "rule {arn} (priority {priority}) cannot be copied with {with}: it has a {field} condition of its own, and an \
         ALB rule takes one; the bypass by networks cannot hold it, so use [alb] bypass_header instead"
    )]
    CopyTwice { priority: u32, arn: String, field: String, with: String },
    #[error("the listener has no free priority left (the ALB numbers rules from 1 to 50000)")]
    NoFreePriority,
}

//! A rollback, as a session: the distribution's edgepages parts put back as a publish's record
//! says they were, with `If-Match`; when that publish put the ALB guard in, the guard's rules
//! come off the listener first (the redirect first), so no viewer loops. Everything else on the
//! distribution, including changes made since by others, stays. Marking the record as used is
//! the caller's, as the record may be a file of its own.

use aws_sdk_cloudfront::types::DistributionConfig;

use super::apply::{Context, apply};
use super::step::Step;
use super::{Clients, GuardPart, ReadError, Stopped, Written, guard};
use crate::alb::aws::Listener;
use crate::aws::ReadDistribution;
use crate::change::Change;
use crate::describe::describe;
use crate::error::PlanError;
use crate::progress::Progress;
use crate::rollback::RollbackRecord;

/// A rollback, read and planned.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollback {
    pub distribution_id: String,
    /// The distribution as it is now.
    pub current: ReadDistribution,
    /// The config to put back.
    pub restored: DistributionConfig,
    /// What changes, the guard's rules first (they go before the header does).
    pub changes: Vec<Change>,
    /// Taking the guard away, when the publish being undone put it in.
    pub guard: Option<GuardPart>,
}

impl Rollback {
    /// Reads distribution `distribution_id` and plans putting back what `record` holds;
    /// `listener_arn` is `[alb]`'s, needed when the publish put the guard in.
    pub async fn read(
        distribution_id: &str,
        record: &RollbackRecord,
        listener_arn: Option<&str>,
        clients: &Clients,
    ) -> Result<Rollback, ReadError> {
        let (current, unmodelled) = clients.aws()?.read_distribution_to_update(distribution_id).await?;
        PlanError::refuse_unmodelled(distribution_id, &unmodelled)?;
        let restored = record.before.restore(&current.config)?;
        let mut changes = describe(&current.config, &restored, &record.before.keys());
        let guard = if record.before.removes_guard() {
            let arn = listener_arn.ok_or(ReadError::GuardNeedsListener)?;
            Some(guard::removal(arn, clients).await?)
        } else {
            None
        };
        if let Some(g) = &guard {
            changes.splice(0..0, g.plan.changes.iter().cloned());
        }
        Ok(Rollback { distribution_id: distribution_id.to_owned(), current, restored, changes, guard })
    }

    /// Whether the distribution and the listener already are as the record says.
    pub fn is_up_to_date(&self) -> bool {
        self.restored == self.current.config && self.guard.as_ref().is_none_or(|g| g.plan.steps.is_empty())
    }

    /// The guard's rules, then the distribution.
    pub fn steps(&self) -> Vec<Step> {
        let mut steps: Vec<Step> =
            self.guard.iter().flat_map(|g| g.plan.steps.iter().cloned().map(Step::Rule)).collect();
        steps.push(Step::RestoreDistribution {
            config: Box::new(self.restored.clone()),
            if_match: self.current.etag.clone(),
        });
        super::step::in_order(steps)
    }

    pub async fn apply(&self, clients: &Clients, progress: &dyn Progress) -> Result<Written, Stopped> {
        let listener = self.guard.as_ref().map(|g| Listener::planned_from(&g.listener_arn, &g.found, None));
        let context = Context { listener, distribution_id: Some(&self.distribution_id), ..Context::new(clients) };
        apply(&self.steps(), &context, progress).await
    }
}

//! The one apply loop: it makes a run's steps in their order, each by its part's writer, keeps
//! one record of what was written ([`Written`]), and at the first failure stops and hands back
//! that record with the failure ([`Stopped`]). Publish, the guard alone, maintenance and rollback
//! all go through it.

use super::step::Step;
use super::{Clients, Session, Stopped, Written};
use crate::alb::aws::Listener;
use crate::aws::AwsError;
use crate::distribution::with_desired;
use crate::function::aws::FunctionWritten;
use crate::progress::Progress;
use crate::records::record_key;
use crate::rollback::{RECORD_FORMAT, RollbackRecord};
use crate::wiring::Wiring;

/// What a run's steps are written from: the clients, and what each part's writer needs beside
/// its step.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub clients: &'a Clients,
    /// A publish's plan: the function's spec, the desired state, what was read, the wiring.
    pub session: Option<&'a Session>,
    /// The listener the rule steps write to, as planned.
    pub listener: Option<Listener>,
    /// When the publish was made (RFC 3339, UTC), for its rollback record; the caller reads
    /// the clock.
    pub published_at: &'a str,
    /// The distribution a [`Step::RestoreDistribution`] writes to.
    pub distribution_id: Option<&'a str>,
}

impl<'a> Context<'a> {
    pub fn new(clients: &'a Clients) -> Context<'a> {
        Context { clients, session: None, listener: None, published_at: "", distribution_id: None }
    }
}

/// Why a step failed: AWS's answer, and the rollback record when saving it was the write that
/// failed (no other copy of it exists).
struct Failed {
    source: AwsError,
    unsaved_record: Option<Box<RollbackRecord>>,
}

impl From<AwsError> for Failed {
    fn from(source: AwsError) -> Failed {
        Failed { source, unsaved_record: None }
    }
}

/// Makes `steps` in their order. Stops at the first failure, saying what was written before it.
pub async fn apply(steps: &[Step], context: &Context<'_>, progress: &dyn Progress) -> Result<Written, Stopped> {
    let mut written = Written::default();
    if let Some(f) = context.session.and_then(|s| s.function.as_ref()) {
        written.function = FunctionWritten::start(&f.spec, &f.found);
    }
    for step in steps {
        if let Err(failed) = write(step, context, progress, &mut written).await {
            return Err(Stopped {
                part: step.part(),
                source: failed.source,
                written,
                unsaved_record: failed.unsaved_record,
            });
        }
    }
    Ok(written)
}

/// Makes one step, by its part's writer.
async fn write(
    step: &Step,
    context: &Context<'_>,
    progress: &dyn Progress,
    written: &mut Written,
) -> Result<(), Failed> {
    let clients = context.clients;
    match step {
        Step::Lambda(step) => {
            let spec =
                &session(context, "the function")?.function.as_ref().ok_or_else(|| missing("the function"))?.spec;
            clients.function()?.write(spec, *step, progress, &mut written.function).await?;
        }
        Step::Variant(step) => clients.aws()?.write_variant(step, progress, &mut written.variant).await?,
        Step::Rule(step) => {
            let listener = context.listener.as_ref().ok_or_else(|| missing("the listener"))?;
            clients.alb()?.write_rule(listener, step, &mut written.rules).await?;
        }
        Step::Upload(uploads) => {
            let d = &session(context, "the pages")?.desired;
            clients.aws()?.upload_pages(d, uploads, progress, &mut written.pages).await?;
        }
        Step::CreateOac => {
            let d = &session(context, "the pages")?.desired;
            clients.aws()?.create_named_oac(d, progress, &mut written.pages).await?;
        }
        Step::BucketPolicy(policy) => {
            let s = session(context, "the bucket policy")?;
            clients.aws()?.write_bucket_policy(&s.desired, &s.current, policy, progress, &mut written.pages).await?;
        }
        Step::UpdateDistribution => {
            update_distribution(session(context, "the distribution")?, clients, progress, written).await?;
        }
        Step::SaveRecord => save_record(session(context, "the record")?, context, clients, progress, written).await?,
        Step::RestoreDistribution { config, if_match } => {
            let id = context.distribution_id.ok_or_else(|| missing("the distribution"))?;
            let etag = clients.aws()?.update_distribution(id, (**config).clone(), if_match).await?;
            written.pages.distribution_etag = Some(etag);
        }
    }
    Ok(())
}

fn session<'a>(context: &Context<'a>, what: &str) -> Result<&'a Session, AwsError> {
    context.session.ok_or_else(|| missing(what))
}

fn missing(what: &str) -> AwsError {
    AwsError::Call { action: format!("writing {what}"), message: "the run was given no plan for it".into() }
}

/// The wiring as written: the function's version and the variant's names as Lambda and
/// CloudFront gave them, in place of the plan's placeholders.
fn wiring_as_written(session: &Session, written: &Written) -> Wiring {
    let mut wiring = session.wiring.clone();
    if let (Some(edge), Some(f)) = (wiring.edge_function.as_mut(), session.function.as_ref()) {
        edge.version_arn = written
            .function
            .published_version
            .clone()
            .or_else(|| f.plan.current_version.as_ref().map(|v| v.arn.clone()));
    }
    if let Some(v) = wiring.variant.as_mut() {
        written.variant.fill(&mut v.names);
    }
    wiring
}

/// The distribution, recomputed with the real names (the plan may have shown placeholders),
/// sent with `If-Match`.
async fn update_distribution(
    session: &Session,
    clients: &Clients,
    progress: &dyn Progress,
    written: &mut Written,
) -> Result<(), AwsError> {
    let (d, current) = (&session.desired, &session.current);
    let oac_id = written.pages.created_oac.clone().or_else(|| current.oac_id.clone()).unwrap_or_default();
    let wiring = wiring_as_written(session, written);
    let config = with_desired(&current.distribution, d, &wiring, &oac_id)
        .map_err(|e| AwsError::Call { action: "planning the distribution".into(), message: e.to_string() })?;
    progress.step(&format!("updating distribution {} (If-Match: {})", d.distribution_id, current.etag));
    let etag = clients.aws()?.update_distribution(&d.distribution_id, config, &current.etag).await?;
    written.pages.distribution_etag = Some(etag);
    Ok(())
}

/// The rollback record of the update just made.
async fn save_record(
    session: &Session,
    context: &Context<'_>,
    clients: &Clients,
    progress: &dyn Progress,
    written: &mut Written,
) -> Result<(), Failed> {
    let d = &session.desired;
    let etag = written.pages.distribution_etag.clone().unwrap_or_default();
    let key = record_key(d, context.published_at, &etag);
    progress.step(&format!("saving the rollback record s3://{}/{key}", d.bucket));
    let record = RollbackRecord {
        format: RECORD_FORMAT,
        distribution_id: d.distribution_id.clone(),
        published_at: Some(context.published_at.to_owned()),
        published_etag: etag,
        before: session.pages.before.clone(),
        rolled_back: None,
    };
    if let Err(source) = clients.aws()?.put_record(&d.bucket, &key, &record).await {
        return Err(Failed { source, unsaved_record: Some(Box::new(record)) });
    }
    written.pages.rollback_record = Some(key);
    Ok(())
}

impl Session {
    /// Makes every step of the session, in the safe order. `published_at` (RFC 3339, UTC)
    /// dates the rollback record; the caller reads the clock.
    pub async fn apply(
        &self,
        clients: &Clients,
        published_at: &str,
        progress: &dyn Progress,
    ) -> Result<Written, Stopped> {
        let listener = self.guard.as_ref().map(|g| Listener::planned_from(&g.listener_arn, &g.found, None));
        let context = Context { session: Some(self), listener, published_at, ..Context::new(clients) };
        apply(&self.steps(), &context, progress).await
    }
}

//! Reading a session: each part read once, in the order its plan needs (the function first, as
//! the distribution names its version; the distribution before the variant and the guard, which
//! are planned from it), then planned as pure functions of what was read. Read calls only.

use super::{Clients, FunctionPart, ReadError, Session, Targets, guard};
use crate::association::EdgeFunction;
use crate::function::plan::planned_version_arn;
use crate::plan::plan;
use crate::progress::Progress;
use crate::variant::plan::VariantEdit;
use crate::wiring::Wiring;

impl Session {
    /// Reads every part `targets` names with `clients`, and plans each.
    pub async fn read(targets: &Targets, clients: &Clients, progress: &dyn Progress) -> Result<Session, ReadError> {
        let function = match targets.lambda.as_ref().and_then(|l| l.spec.as_ref()) {
            Some(spec) => {
                progress.step(&format!("reading function {} in us-east-1", spec.name));
                let found = clients.function()?.read(spec).await?;
                let plan = crate::function::plan::plan(spec, &found)?;
                Some(FunctionPart { spec: spec.clone(), found, plan })
            }
            None => None,
        };
        let mut wiring = Wiring {
            edge_function: targets.lambda.as_ref().map(|l| &l.name).map(|name| EdgeFunction {
                version_arn: function.as_ref().map(|f| planned_version_arn(&f.spec, &f.found, &f.plan)),
                name: name.clone(),
            }),
            ..Wiring::default()
        };
        let d = &targets.desired;
        let aws = clients.aws()?;
        progress.step(&format!("reading s3://{}/{}/ and distribution {}", d.bucket, d.prefix, d.distribution_id));
        let current = aws.read_current(d).await?;
        wiring.variant = match &targets.variant {
            Some(spec) => {
                progress.step("reading the variant functions and the behaviors' cache policies");
                let found = aws.read_variant(spec, &current.distribution).await?;
                let plan = crate::variant::plan::plan(spec, &current.distribution, &found)?;
                let names = plan.names(spec, &found);
                Some(VariantEdit { spec: spec.clone(), plan, names })
            }
            None => None,
        };
        let guard = match &targets.guard {
            Some(target) => {
                let (part, header) = guard::read(target, d, &current.distribution, clients).await?;
                wiring.origin_header = header;
                Some(part)
            }
            None => None,
        };
        let pages = plan(d, &wiring, &current)?;
        Ok(Session { desired: d.clone(), current, function, guard, wiring, pages, pages_only: false })
    }

    /// `--pages-only`: the pages' uploads alone, for a distribution and bucket policy managed
    /// elsewhere; nothing else is read but the bucket and the distribution.
    pub async fn read_pages_only(
        targets: &Targets,
        clients: &Clients,
        progress: &dyn Progress,
    ) -> Result<Session, ReadError> {
        let d = &targets.desired;
        progress.step(&format!("reading s3://{}/{}/ and distribution {}", d.bucket, d.prefix, d.distribution_id));
        let current = clients.aws()?.read_current(d).await?;
        let pages = plan(d, &Wiring::default(), &current)?.pages_only();
        Ok(Session {
            desired: d.clone(),
            current,
            function: None,
            guard: None,
            wiring: Wiring::default(),
            pages,
            pages_only: true,
        })
    }
}

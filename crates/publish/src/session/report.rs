//! A session's plan as data a machine reads (`--json`): every part's writes and changes, the
//! traps, and the write count, in the shape `plan` and `publish` print.

use serde::Serialize;
use serde::ser::Serializer;

use super::{FunctionPart, GuardPart, Session};
use crate::change::Change;
use crate::plan::{Trap, Upload};
use crate::variant::plan::VariantEdit;
use crate::variant::plan::{Mode, VariantStep};

/// The plan of a session, as printed.
#[derive(Serialize)]
struct PlanView<'a> {
    guard: Option<&'a GuardPart>,
    variant: Option<VariantView<'a>>,
    function: Option<&'a FunctionPart>,
    custom_error_order: Option<ErrorOrderView>,
    distribution_id: &'a str,
    bucket: &'a str,
    prefix: &'a str,
    if_match: &'a str,
    uploads: &'a [Upload],
    unchanged: usize,
    left_in_place: &'a [String],
    create_origin_access_control: bool,
    bucket_policy: bool,
    distribution_changes: &'a [Change],
    traps: Vec<TrapView<'a>>,
    writes: usize,
}

#[derive(Serialize)]
struct VariantView<'a> {
    enabled: bool,
    behaviors: Vec<BehaviorView<'a>>,
    steps: Vec<String>,
    writes: usize,
}

#[derive(Serialize)]
struct BehaviorView<'a> {
    behavior: String,
    mode: &'a Mode,
}

#[derive(Serialize)]
struct ErrorOrderView {
    assumed: &'static str,
    pages: Vec<u16>,
    ttl_only: Vec<u16>,
}

#[derive(Serialize)]
struct TrapView<'a> {
    trap: &'a Trap,
    message: String,
}

impl Serialize for Session {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = &self.desired;
        let codes =
            |with_page: bool| d.error_pages.iter().filter(|p| p.serves_page == with_page).map(|p| p.code).collect();
        PlanView {
            guard: self.guard.as_ref(),
            variant: self.wiring.variant.as_ref().map(variant_view),
            function: self.function.as_ref(),
            custom_error_order: d.custom_error_order.map(|order| ErrorOrderView {
                assumed: order.as_str(),
                pages: codes(true),
                ttl_only: codes(false),
            }),
            distribution_id: &d.distribution_id,
            bucket: &d.bucket,
            prefix: &d.prefix,
            if_match: &self.current.etag,
            uploads: &self.pages.uploads,
            unchanged: self.pages.unchanged,
            left_in_place: &self.pages.left_in_place,
            create_origin_access_control: self.pages.create_oac,
            bucket_policy: self.pages.bucket_policy.is_some(),
            distribution_changes: &self.pages.changes,
            traps: self.pages.traps.iter().map(|trap| TrapView { trap, message: trap.to_string() }).collect(),
            writes: self.write_count(),
        }
        .serialize(serializer)
    }
}

fn variant_view(v: &VariantEdit) -> VariantView<'_> {
    VariantView {
        enabled: v.spec.enabled,
        behaviors: v
            .plan
            .behaviors
            .iter()
            .map(|(key, mode)| BehaviorView { behavior: key.to_string(), mode })
            .collect(),
        steps: v.plan.steps.iter().map(VariantStep::describe).collect(),
        writes: v.plan.write_count(),
    }
}

/// The function's part, as printed.
#[derive(Serialize)]
struct FunctionView<'a> {
    name: &'a str,
    region: &'static str,
    code_sha256: &'a str,
    steps: &'a [crate::function::plan::LambdaStep],
    changes: &'a [Change],
    current_version: Option<&'a str>,
    writes: usize,
}

impl Serialize for FunctionPart {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        FunctionView {
            name: &self.spec.name,
            region: crate::function::REGION,
            code_sha256: &self.spec.code_sha256,
            steps: &self.plan.steps,
            changes: &self.plan.changes,
            current_version: self.plan.current_version.as_ref().map(|v| v.arn.as_str()),
            writes: self.plan.write_count(),
        }
        .serialize(serializer)
    }
}

/// The guard's part, as printed.
#[derive(Serialize)]
struct GuardView<'a> {
    listener_arn: &'a str,
    steps: &'a [crate::alb::listener::RuleStep],
    changes: &'a [Change],
    redirect_waits: bool,
    ahead: &'a [String],
    writes: usize,
}

impl Serialize for GuardPart {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        GuardView {
            listener_arn: &self.listener_arn,
            steps: &self.plan.steps,
            changes: &self.plan.changes,
            redirect_waits: self.plan.redirect_waits,
            ahead: &self.plan.ahead,
            writes: self.plan.write_count(),
        }
        .serialize(serializer)
    }
}

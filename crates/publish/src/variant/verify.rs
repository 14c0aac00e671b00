//! `verify`'s check of the variant in the cache key: the functions live with this config's code,
//! the copies matching their originals, and every behavior pointed at them, which is to say
//! that a publish now would have nothing to do.

use aws_sdk_cloudfront::types::DistributionConfig;

use super::VariantSpec;
use super::plan::{FoundVariant, Mode, cache_policy_id, plan, set, viewer_request_function};
use crate::association::BehaviorKey;
use crate::verify::Check;

/// The check, and the behaviors where the function answers by the named variant (for the
/// headers check).
pub fn check(spec: &VariantSpec, config: &DistributionConfig, found: &FoundVariant) -> (Check, Vec<BehaviorKey>) {
    let subject = "the variant in the cache key".to_owned();
    let planned = match plan(spec, config, found) {
        Ok(planned) => planned,
        Err(e) => return (Check::fail(subject, e.to_string()), Vec::new()),
    };
    if !planned.steps.is_empty() {
        let steps: Vec<String> = planned.steps.iter().map(super::plan::VariantStep::describe).collect();
        return (Check::fail(subject, format!("not as publish leaves it; it would {}", steps.join(", "))), Vec::new());
    }
    let mut wanted = config.clone();
    if let Err(e) = set(&mut wanted, spec, &planned, &planned.names(spec, found)) {
        return (Check::fail(subject, e.to_string()), Vec::new());
    }
    let mut off = Vec::new();
    for (key, _) in &planned.behaviors {
        for (what, now, then) in [
            ("viewer-request function", viewer_request_function(config, key), viewer_request_function(&wanted, key)),
            ("cache policy", cache_policy_id(config, key), cache_policy_id(&wanted, key)),
        ] {
            if now != then {
                let show = |v: Option<String>| v.unwrap_or_else(|| "none".into());
                off.push(format!("{key} has {what} {}, not {}", show(now), show(then)));
            }
        }
    }
    if !off.is_empty() {
        return (Check::fail(subject, off.join("; ")), Vec::new());
    }
    let listed = |f: fn(&Mode) -> bool, words: &str| {
        let keys: Vec<String> = planned.behaviors.iter().filter(|(_, m)| f(m)).map(|(k, _)| k.to_string()).collect();
        (!keys.is_empty()).then(|| format!("{words}: {}", keys.join(", ")))
    };
    let detail = [
        listed(|m| matches!(m, Mode::Keyed { .. }), "each viewer's variant in the cache key"),
        listed(|m| matches!(m, Mode::Shared { .. }), "one answer for all"),
        listed(|m| matches!(m, Mode::PerViewer { .. }), "each viewer's own (per_viewer)"),
        listed(|m| matches!(m, Mode::Theirs { .. } | Mode::Legacy), "left alone"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("; ");
    let named = planned
        .behaviors
        .into_iter()
        .filter(|(_, m)| spec.enabled && matches!(m, Mode::Keyed { .. } | Mode::Shared { .. }))
        .map(|(k, _)| k)
        .collect();
    (Check::pass(subject, detail), named)
}

//! The plan's words for a distribution: each change to the parts `publish` owns, as a line a
//! person reads (before and after), and never a word about the rest.

use crate::association;
use crate::change::Change;
use crate::desired::Desired;
use crate::lists::{behaviors, error_response, origins};
use crate::origin_verify;
use crate::wiring::Wiring;
use aws_sdk_cloudfront::types::{CustomErrorResponse, DistributionConfig, Method, Origin};

/// The parts of a distribution that `publish` owns, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedKeys {
    pub origin_id: String,
    pub path_pattern: String,
    pub codes: Vec<u16>,
    /// The site origin whose timeouts are managed, if any.
    pub timeouts_origin: Option<String>,
    /// Whether the behaviors' origin-response functions are managed.
    pub origin_response: bool,
    /// Whether the ALB guard's origin header is managed.
    pub origin_header: bool,
    /// Whether the behaviors' viewer-request functions and cache policies are managed.
    pub variant: bool,
}

impl OwnedKeys {
    pub fn of(desired: &Desired, wiring: &Wiring) -> OwnedKeys {
        OwnedKeys {
            origin_id: desired.origin_id(),
            path_pattern: desired.path_pattern(),
            codes: desired.error_pages.iter().map(|p| p.code).collect(),
            timeouts_origin: desired.origin_timeouts.as_ref().map(|t| t.id.clone()),
            origin_response: wiring.edge_function.is_some(),
            origin_header: wiring.origin_header.is_some(),
            variant: wiring.variant.is_some(),
        }
    }
}

/// The changes from `before` to `after`, limited to the owned parts.
pub fn describe(before: &DistributionConfig, after: &DistributionConfig, owned: &OwnedKeys) -> Vec<Change> {
    let mut changes = Vec::new();
    let origin_id = &owned.origin_id;
    changes.extend(Change::between(
        format!("origin {origin_id}"),
        origins(before).iter().find(|o| &o.id == origin_id).map(summarise_origin),
        origins(after).iter().find(|o| &o.id == origin_id).map(summarise_origin),
    ));
    let pattern = &owned.path_pattern;
    changes.extend(Change::between(
        format!("cache behavior {pattern}"),
        behavior_summary(before, pattern),
        behavior_summary(after, pattern),
    ));
    for &code in &owned.codes {
        changes.extend(Change::between(
            format!("error response {code}"),
            error_response(before, code).map(summarise_error_response),
            error_response(after, code).map(summarise_error_response),
        ));
    }
    if let Some(id) = &owned.timeouts_origin {
        changes.extend(Change::between(
            format!("origin {id} timeouts"),
            origins(before).iter().find(|o| &o.id == id).map(summarise_timeouts),
            origins(after).iter().find(|o| &o.id == id).map(summarise_timeouts),
        ));
    }
    if owned.origin_response {
        for key in association::all_keys(before, after) {
            changes.extend(Change::between(
                format!("origin-response function, {key}"),
                association::summary(before, &key),
                association::summary(after, &key),
            ));
        }
    }
    if owned.variant {
        use crate::variant::plan::{cache_policy_id, viewer_request_function};
        for key in association::all_keys(before, after) {
            changes.extend(Change::between(
                format!("viewer-request function, {key}"),
                viewer_request_function(before, &key),
                viewer_request_function(after, &key),
            ));
            changes.extend(Change::between(
                format!("cache policy, {key}"),
                cache_policy_id(before, &key),
                cache_policy_id(after, &key),
            ));
        }
    }
    if owned.origin_header {
        changes.extend(Change::between(
            "origin header".to_owned(),
            origin_verify::summary(before),
            origin_verify::summary(after),
        ));
    }
    changes
}

fn summarise_origin(o: &Origin) -> String {
    let oac = o.origin_access_control_id.as_deref().filter(|s| !s.is_empty()).unwrap_or("none");
    let kind = if o.s3_origin_config.is_some() { "S3" } else { "custom" };
    format!("{kind} {}{}, OAC {oac}", o.domain_name, o.origin_path.as_deref().unwrap_or(""))
}

fn behavior_summary(config: &DistributionConfig, pattern: &str) -> Option<String> {
    let items = behaviors(config);
    let (index, b) = items.iter().enumerate().find(|(_, b)| b.path_pattern == pattern)?;
    let methods = b
        .allowed_methods
        .as_ref()
        .map_or_else(String::new, |m| m.items.iter().map(Method::as_str).collect::<Vec<_>>().join("/"));
    Some(format!(
        "→ {}, {}, {methods}, cache policy {}, position {} of {}",
        b.target_origin_id,
        b.viewer_protocol_policy.as_str(),
        b.cache_policy_id.as_deref().unwrap_or("none"),
        index + 1,
        items.len()
    ))
}

fn summarise_error_response(r: &CustomErrorResponse) -> String {
    format!(
        "{} as {}, cached {} s",
        r.response_page_path.as_deref().unwrap_or("(no page)"),
        r.response_code.as_deref().filter(|c| !c.is_empty()).unwrap_or("the origin's status"),
        r.error_caching_min_ttl.map_or_else(|| "default".to_owned(), |t| t.to_string())
    )
}

fn summarise_timeouts(o: &Origin) -> String {
    let read = o
        .custom_origin_config
        .as_ref()
        .and_then(|c| c.origin_read_timeout)
        .map_or_else(|| "default".to_owned(), |t| format!("{t} s"));
    format!(
        "{} connection attempts, connect {}, read {read}",
        o.connection_attempts.map_or_else(|| "default".to_owned(), |a| a.to_string()),
        o.connection_timeout.map_or_else(|| "default".to_owned(), |t| format!("{t} s")),
    )
}

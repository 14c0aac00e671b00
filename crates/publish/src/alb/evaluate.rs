//! The ALB's documented rule order, as a pure function of a listener and one request: which
//! rule answers it, and with what actions. The tests hold edgepages' rules to it (a bypassed
//! request answered exactly as before maintenance); `loop_check` is the three-valued version
//! `verify` uses on what it cannot know.
//!
//! From "Listener rules for your Application Load Balancer" and "Condition types"
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html>):
//! "Rules are evaluated in priority order, from the lowest value to the highest value. The
//! default rule is evaluated last"; a rule's actions are performed when its conditions are met,
//! every one of them; a condition with several values is met when any one matches. Host names,
//! header values and query strings compare without regard to case, and paths and methods with
//! it; `*` and `?` are wildcards; a source-ip condition holds CIDR blocks.

use std::net::IpAddr;

use aws_sdk_elasticloadbalancingv2::types::{Action, RuleCondition};

use super::listener::FoundListener;
use super::listener::normalised;
use crate::glob::wildcard_matches;

/// A request as it reaches the load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub host: String,
    pub path: String,
    pub method: String,
    /// The address that connects to the load balancer (behind CloudFront, CloudFront's).
    pub source: IpAddr,
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
}

/// Who answered a request, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The rule's ARN, or `None` for the default action.
    pub rule: Option<String>,
    /// Its actions, in order, without their order numbers.
    pub actions: Vec<Action>,
}

/// The first rule of `found`, lowest priority first, whose conditions `request` all meets, or
/// the listener's default action.
pub fn answer(found: &FoundListener, request: &Request) -> Answer {
    let mut rules: Vec<_> = found.rules.iter().collect();
    rules.sort_by_key(|r| r.priority);
    match rules.into_iter().find(|r| r.conditions.iter().all(|c| meets(c, request))) {
        Some(rule) => Answer { rule: Some(rule.arn.clone()), actions: normalised(&rule.actions) },
        None => Answer { rule: None, actions: normalised(&found.default_actions) },
    }
}

/// Whether `request` meets condition `c`: any one of its values matches.
///
/// # Panics
/// On a regex value or a field this evaluator does not know, so that a test cannot pass by
/// evaluating a condition it does not understand.
fn meets(c: &RuleCondition, request: &Request) -> bool {
    let field = c.field.as_deref().unwrap_or_default();
    let values = |v: Option<&Vec<String>>| v.cloned().or_else(|| c.values.clone()).unwrap_or_default();
    let any_fold = |values: Vec<String>, text: &str| {
        values.iter().any(|v| wildcard_matches(&v.to_ascii_lowercase(), &text.to_ascii_lowercase()))
    };
    match field {
        "host-header" => {
            let config = c.host_header_config.as_ref();
            assert!(config.is_none_or(|h| h.regex_values.is_none()), "regex host conditions are not evaluated");
            any_fold(values(config.and_then(|h| h.values.as_ref())), &request.host)
        }
        "path-pattern" => {
            let config = c.path_pattern_config.as_ref();
            assert!(config.is_none_or(|p| p.regex_values.is_none()), "regex path conditions are not evaluated");
            values(config.and_then(|p| p.values.as_ref())).iter().any(|v| wildcard_matches(v, &request.path))
        }
        "http-header" => {
            let config = c.http_header_config.as_ref().expect("an http-header condition names its header");
            let name = config.http_header_name.as_deref().unwrap_or_default();
            let wanted = config.values.clone().unwrap_or_default();
            request
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .any(|(_, v)| any_fold(wanted.clone(), v))
        }
        "http-request-method" => {
            let config = c.http_request_method_config.as_ref();
            values(config.and_then(|m| m.values.as_ref())).contains(&request.method)
        }
        "source-ip" => {
            let config = c.source_ip_config.as_ref();
            values(config.and_then(|s| s.values.as_ref())).iter().any(|cidr| in_cidr(cidr, request.source))
        }
        "query-string" => {
            let pairs = c.query_string_config.as_ref().and_then(|q| q.values.clone()).unwrap_or_default();
            pairs.iter().any(|pair| {
                request.query.iter().any(|(k, v)| {
                    pair.key.as_deref().is_none_or(|key| any_fold(vec![key.to_owned()], k))
                        && any_fold(vec![pair.value.clone().unwrap_or_default()], v)
                })
            })
        }
        other => panic!("the evaluator does not know condition field {other:?}"),
    }
}

/// Whether `ip` is inside `cidr` (`203.0.113.0/24`, `2001:db8::/32`).
fn in_cidr(cidr: &str, ip: IpAddr) -> bool {
    let Some((net, len)) = cidr.split_once('/') else { return false };
    let (Ok(net), Ok(len)) = (net.parse::<IpAddr>(), len.parse::<u32>()) else { return false };
    match (net, ip) {
        (IpAddr::V4(net), IpAddr::V4(ip)) => {
            let mask = u32::MAX.checked_shl(32 - len.min(32)).unwrap_or(0);
            u32::from(net) & mask == u32::from(ip) & mask
        }
        (IpAddr::V6(net), IpAddr::V6(ip)) => {
            let mask = u128::MAX.checked_shl(128 - len.min(128)).unwrap_or(0);
            u128::from(net) & mask == u128::from(ip) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks_hold_their_addresses_only() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(in_cidr("203.0.113.0/24", ip("203.0.113.77")));
        assert!(!in_cidr("203.0.113.0/24", ip("203.0.114.1")));
        assert!(in_cidr("0.0.0.0/0", ip("198.51.100.1")));
        assert!(in_cidr("2001:db8::/32", ip("2001:db8:1::7")));
        assert!(!in_cidr("2001:db8::/32", ip("2001:db9::1")));
        assert!(!in_cidr("203.0.113.0/24", ip("2001:db8::1")));
        assert!(in_cidr("203.0.113.7/32", ip("203.0.113.7")) && !in_cidr("203.0.113.7/32", ip("203.0.113.8")));
    }
}

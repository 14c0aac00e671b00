//! The ALB half: a maintenance page switched at the load balancer itself, and the guard that
//! keeps visitors off the ALB's own DNS name, as listener rules that edgepages creates, tags as
//! its own and removes, never touching anyone else's. What the rules should be ([`desired`]),
//! maintenance's plan from the listener as read ([`plan`]) and the guard's ([`guard`]), both as
//! the same steps with the rule each writes; the loop proof ([`loop_check`]) and `verify`'s
//! checks of the guard ([`verify`]); and the thin adapter over an already-built Elastic
//! Load Balancing client that carries out either plan ([`aws`]).

pub mod aws;
pub mod desired;
pub mod error;
pub mod evaluate;
pub mod guard;
pub mod listener;
pub mod loop_check;
pub mod plan;
pub mod verify;

/// The tag every rule edgepages creates carries; its value says which rule it is.
pub const ROLE_TAG: &str = "edgepages";
/// The tag on the maintenance rule that holds the promised end (RFC 3339), for `status`.
pub const UNTIL_TAG: &str = "edgepages-until";

/// Which of edgepages' rules a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Routes the team's addresses as the listener did before maintenance: a copy of each of
    /// its rules for them, then its default action ([`desired::bypass_block`]).
    Bypass,
    /// Routes requests carrying the team's secret header, likewise.
    BypassHeader,
    /// Answers everything else with the compact maintenance page, as a 503.
    Maintenance,
    /// A copy of one of the team's rules for CloudFront's requests (the guard).
    GuardCopy,
    /// Forwards CloudFront's remaining requests as the default action does (the guard).
    GuardPass,
    /// Sends visitors of the ALB's own DNS name to the canonical host (the guard).
    GuardRedirect,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Bypass => "bypass",
            Role::BypassHeader => "bypass-header",
            Role::Maintenance => "maintenance",
            Role::GuardCopy => "guard-copy",
            Role::GuardPass => "guard-pass",
            Role::GuardRedirect => "guard-redirect",
        }
    }

    /// Maintenance's own rules, which `maintenance off` removes.
    pub fn is_maintenance(self) -> bool {
        matches!(self, Role::Bypass | Role::BypassHeader | Role::Maintenance)
    }

    pub fn from_tag(value: &str) -> Option<Role> {
        match value {
            "bypass" => Some(Role::Bypass),
            "bypass-header" => Some(Role::BypassHeader),
            "maintenance" => Some(Role::Maintenance),
            "guard-copy" => Some(Role::GuardCopy),
            "guard-pass" => Some(Role::GuardPass),
            "guard-redirect" => Some(Role::GuardRedirect),
            _ => None,
        }
    }
}

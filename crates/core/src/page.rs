//! The kinds of page edgepages can answer with, and the HTTP facts that belong to each.

use serde::{Deserialize, Serialize};

/// Which page a visitor sees. The HTTP status is carried separately, so a rare 5xx keeps its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    /// 500: the origin failed.
    InternalError,
    /// 502: no valid answer from the origin (refused, dns, reset, tls, or its own 502).
    BadGateway,
    /// 503: the origin is overloaded or said so.
    Unavailable,
    /// 504: the origin missed the deadline.
    GatewayTimeout,
    /// 503 with an end time: planned downtime.
    Maintenance,
    /// Any other failure, with its real status.
    Fallback,
}

impl PageKind {
    pub const ALL: [PageKind; 6] = [
        PageKind::InternalError,
        PageKind::BadGateway,
        PageKind::Unavailable,
        PageKind::GatewayTimeout,
        PageKind::Maintenance,
        PageKind::Fallback,
    ];

    /// The status this page is served with when nothing more specific is known.
    pub fn default_status(self) -> u16 {
        match self {
            PageKind::InternalError | PageKind::Fallback => 500,
            PageKind::BadGateway => 502,
            PageKind::Unavailable | PageKind::Maintenance => 503,
            PageKind::GatewayTimeout => 504,
        }
    }

    /// File stem of the static page: `500`, `502`, `503`, `504`, `maintenance`, `error`.
    pub fn file_stem(self) -> &'static str {
        match self {
            PageKind::InternalError => "500",
            PageKind::BadGateway => "502",
            PageKind::Unavailable => "503",
            PageKind::GatewayTimeout => "504",
            PageKind::Maintenance => "maintenance",
            PageKind::Fallback => "error",
        }
    }

    /// The page for an origin's own 5xx status.
    pub fn for_status(status: u16) -> PageKind {
        match status {
            500 => PageKind::InternalError,
            502 => PageKind::BadGateway,
            503 => PageKind::Unavailable,
            504 => PageKind::GatewayTimeout,
            _ => PageKind::Fallback,
        }
    }

    /// A machine-readable name, used in logs and in problem+json.
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::InternalError => "internal_error",
            PageKind::BadGateway => "bad_gateway",
            PageKind::Unavailable => "unavailable",
            PageKind::GatewayTimeout => "gateway_timeout",
            PageKind::Maintenance => "maintenance",
            PageKind::Fallback => "fallback",
        }
    }
}

/// The standard reason phrase, used as the problem+json `title` (RFC 9457 with `about:blank`).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        408 => "Request Timeout",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        511 => "Network Authentication Required",
        _ => "Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_unique() {
        let mut stems: Vec<_> = PageKind::ALL.iter().map(|k| k.file_stem()).collect();
        stems.sort_unstable();
        stems.dedup();
        assert_eq!(stems.len(), PageKind::ALL.len());
    }

    #[test]
    fn origin_statuses_map_to_their_own_page() {
        assert_eq!(PageKind::for_status(502), PageKind::BadGateway);
        assert_eq!(PageKind::for_status(504), PageKind::GatewayTimeout);
        assert_eq!(PageKind::for_status(507), PageKind::Fallback);
    }
}

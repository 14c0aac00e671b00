//! What the edge changes in a request it forwards to the origin, written once for every path
//! that sends one (the worker's JS fast path and its Rust handler): the maintenance bypass secret
//! never travels on, in its header or its cookie, and the edge names the visitor's host, scheme
//! and address itself, in `X-Forwarded-Host`, `X-Forwarded-Proto`, `X-Forwarded-For` and
//! `Forwarded`, replacing whatever the client sent in them. An origin that builds its links from
//! these headers (Rails, Django with `USE_X_FORWARDED_HOST`, Express with `trust proxy`, Spring's
//! `ForwardedHeaderFilter`) then builds them from the edge's word, never the client's, so a page
//! it answers can be kept and shown to others. Also how the bypass secret is recognised.

use std::net::IpAddr;

use crate::client::ClientIp;

/// The request header that carries the maintenance bypass secret.
pub const BYPASS_HEADER: &str = "x-edgepages-bypass";
/// The cookie that carries the maintenance bypass secret.
pub const BYPASS_COOKIE: &str = "edgepages_bypass";
/// The shortest bypass secret accepted: a shorter one could be guessed.
pub const MIN_BYPASS_SECRET_LEN: usize = 16;
/// The headers the edge sets on every forwarded request, whatever the client sent in them.
pub const SET_BY_EDGE: [&str; 4] = ["x-forwarded-host", "x-forwarded-proto", "x-forwarded-for", "forwarded"];

/// One change to the outbound request's headers, applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderEdit {
    /// Delete the header, if present.
    Remove(&'static str),
    /// Set the header, replacing any value it had.
    Set(&'static str, String),
}

impl HeaderEdit {
    pub fn name(&self) -> &'static str {
        match self {
            HeaderEdit::Remove(name) | HeaderEdit::Set(name, _) => name,
        }
    }

    /// The new value; `None` removes the header.
    pub fn value(&self) -> Option<&str> {
        match self {
            HeaderEdit::Remove(_) => None,
            HeaderEdit::Set(_, value) => Some(value),
        }
    }
}

/// The visitor's side of a forwarded request, as the edge names it to the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Public<'a> {
    /// The host the visitor asked for, with its port when it is not the scheme's default.
    pub host: &'a str,
    /// `http` or `https`.
    pub proto: &'a str,
    /// The visitor's address, when the edge knows it.
    pub client: Option<ClientIp>,
}

/// The edits to make to a request's headers before it goes on to the origin. `cookie` is the
/// request's `Cookie` header (its lines joined, as the runtime gives them).
pub fn header_edits(cookie: Option<&str>, public: &Public<'_>) -> Vec<HeaderEdit> {
    let mut edits = vec![HeaderEdit::Remove(BYPASS_HEADER)];
    if let Some(kept) = cookie.and_then(|c| without_cookie(c, BYPASS_COOKIE)) {
        edits.push(match kept {
            Some(rest) => HeaderEdit::Set("cookie", rest),
            None => HeaderEdit::Remove("cookie"),
        });
    }
    edits.push(HeaderEdit::Set("x-forwarded-host", public.host.to_owned()));
    edits.push(HeaderEdit::Set("x-forwarded-proto", public.proto.to_owned()));
    edits.push(match public.client {
        Some(ip) => HeaderEdit::Set("x-forwarded-for", ip.addr().to_string()),
        None => HeaderEdit::Remove("x-forwarded-for"),
    });
    edits.push(HeaderEdit::Set("forwarded", forwarded(public)));
    edits
}

/// `Forwarded: for=…;host=…;proto=…` (RFC 7239 §4, §5): an unknown client is `for=unknown`
/// (§6.2), and an IPv6 address or a host with a port, which are not tokens, are quoted.
fn forwarded(public: &Public<'_>) -> String {
    let node = match public.client.map(ClientIp::addr) {
        Some(IpAddr::V6(v6)) => format!("[{v6}]"),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        None => "unknown".to_owned(),
    };
    format!("for={};host={};proto={}", token_or_quoted(&node), token_or_quoted(public.host), public.proto)
}

/// `value` as an RFC 9110 §5.6.2 token when it is one, else as a quoted string (§5.6.4).
fn token_or_quoted(value: &str) -> String {
    let is_tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if !value.is_empty() && value.chars().all(is_tchar) {
        return value.to_owned();
    }
    let escaped: String =
        value.chars().flat_map(|c| if matches!(c, '"' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    format!("\"{escaped}\"")
}

/// The cookies of a `Cookie` header, each with the separator before it. A client that sends its
/// cookies on several header lines has them joined with ", " by the runtime (the Fetch standard's
/// combined value) or with "; " (HTTP/2's cookie crumbs, RFC 9113 §8.2.3), so both `;` and `,`
/// end a cookie here: RFC 6265 §4.1.1 allows neither inside one.
fn cookie_pieces(header: &str) -> Vec<(Option<char>, &str)> {
    let mut pieces = Vec::new();
    let (mut start, mut separator) = (0, None);
    for (i, c) in header.char_indices() {
        if c == ';' || c == ',' {
            pieces.push((separator, &header[start..i]));
            (start, separator) = (i + 1, Some(c));
        }
    }
    pieces.push((separator, &header[start..]));
    pieces
}

/// `header` without the cookies called `name`, however its lines were joined: `None` when it
/// has none (nothing to change), `Some(None)` when nothing is left, else the other cookies
/// exactly as they were sent.
pub fn without_cookie(header: &str, name: &str) -> Option<Option<String>> {
    let pieces = cookie_pieces(header);
    let is_named = |piece: &&(Option<char>, &str)| cookie_name(piece.1) == name;
    if !pieces.iter().any(|p| is_named(&p)) {
        return None;
    }
    let mut rest = String::with_capacity(header.len());
    for (separator, piece) in pieces.iter().filter(|p| !is_named(p)) {
        match separator {
            // Only the separator before the first kept cookie goes: each cookie's own bytes stay.
            Some(separator) if !rest.is_empty() => {
                rest.push(*separator);
                rest.push_str(piece);
            }
            _ => rest.push_str(piece.trim_start_matches([' ', '\t'])),
        }
    }
    Some((!rest.trim().is_empty()).then_some(rest))
}

/// The values of the cookies called `name` in a `Cookie` header, however its lines were joined.
pub fn cookie_values<'a>(header: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    cookie_pieces(header).into_iter().filter_map(move |(_, pair)| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim())
    })
}

fn cookie_name(pair: &str) -> &str {
    pair.split_once('=').map_or("", |(key, _)| key.trim())
}

/// Whether a request carries the maintenance bypass `secret`, in the header or the cookie.
/// Compared in constant time; no secret (or one too short to be accepted) lets nobody through.
pub fn bypass_allowed(secret: Option<&str>, header: Option<&str>, cookies: Option<&str>) -> bool {
    let Some(secret) = secret.filter(|s| s.len() >= MIN_BYPASS_SECRET_LEN) else { return false };
    let from_cookie = cookies.into_iter().flat_map(|c| cookie_values(c, BYPASS_COOKIE));
    header
        .map(str::trim)
        .into_iter()
        .chain(from_cookie)
        .any(|given| constant_time_eq(given.as_bytes(), secret.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bypass_cookie_is_cut_and_every_other_cookie_kept_byte_for_byte() {
        let strip = |h: &str| without_cookie(h, BYPASS_COOKIE);
        assert_eq!(strip("a=1; edgepages_bypass=s3cret; b=2"), Some(Some("a=1; b=2".into())));
        assert_eq!(strip("edgepages_bypass=s3cret; a=1;b=\"q; x\""), Some(Some("a=1;b=\"q; x\"".into())));
        assert_eq!(strip("a=1;  edgepages_bypass=s3cret"), Some(Some("a=1".into())));
        assert_eq!(strip("a=1 ;edgepages_bypass=x; edgepages_bypass=y ;c=  3"), Some(Some("a=1 ;c=  3".into())));
        assert_eq!(strip("edgepages_bypass=s3cret"), Some(None));
        assert_eq!(strip(" edgepages_bypass = s3cret ; "), Some(None));
        // Nothing to do: other cookies, even ones whose names contain the bypass cookie's.
        assert_eq!(strip("a=1; b=2"), None);
        assert_eq!(strip("my_edgepages_bypass=1; edgepages_bypass_x=2; flag"), None);
        assert_eq!(strip(""), None);
    }

    #[test]
    fn a_bypass_cookie_on_another_header_line_is_cut_too() {
        let strip = |h: &str| without_cookie(h, BYPASS_COOKIE);
        // Two `Cookie` lines, joined by the runtime with ", " (Fetch) or "; " (HTTP/2 crumbs).
        assert_eq!(strip("a=1, edgepages_bypass=s3cret"), Some(Some("a=1".into())));
        assert_eq!(strip("edgepages_bypass=s3cret, a=1; b=2"), Some(Some("a=1; b=2".into())));
        assert_eq!(strip("a=1; b=2, edgepages_bypass=s3cret,c=3"), Some(Some("a=1; b=2,c=3".into())));
        assert_eq!(strip("a=1,edgepages_bypass=s3cret"), Some(Some("a=1".into())));
        assert_eq!(strip("a=1, b=2"), None, "nothing to cut: the lines stay as they came");
        assert_eq!(
            cookie_values("theme=dark, edgepages_bypass=team-secret-0123456789", BYPASS_COOKIE).collect::<Vec<_>>(),
            ["team-secret-0123456789"]
        );
    }

    fn public(client: Option<&str>) -> Public<'static> {
        Public { host: "shop.example:8443", proto: "https", client: ClientIp::parse(client) }
    }

    #[test]
    fn edits_remove_the_secret_everywhere() {
        let edits = |cookie| header_edits(cookie, &public(None));
        assert_eq!(edits(None)[0], HeaderEdit::Remove(BYPASS_HEADER));
        assert!(!edits(Some("a=1")).iter().any(|e| e.name() == "cookie"), "other cookies are left alone");
        assert!(edits(Some("edgepages_bypass=s; a=1")).contains(&HeaderEdit::Set("cookie", "a=1".into())));
        assert!(edits(Some("edgepages_bypass=s")).contains(&HeaderEdit::Remove("cookie")));
        for edit in edits(Some("edgepages_bypass=s3cret-value")) {
            assert!(!edit.value().unwrap_or_default().contains("s3cret"), "{edit:?}");
        }
    }

    #[test]
    fn the_edge_names_the_visitors_host_scheme_and_address_itself() {
        let set_by_edge = |client| {
            header_edits(None, &public(client))
                .into_iter()
                .filter(|e| SET_BY_EDGE.contains(&e.name()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            set_by_edge(Some("203.0.113.7")),
            [
                HeaderEdit::Set("x-forwarded-host", "shop.example:8443".into()),
                HeaderEdit::Set("x-forwarded-proto", "https".into()),
                HeaderEdit::Set("x-forwarded-for", "203.0.113.7".into()),
                HeaderEdit::Set("forwarded", "for=203.0.113.7;host=\"shop.example:8443\";proto=https".into()),
            ]
        );
        // RFC 7239 §6: an IPv6 node is bracketed and quoted; an unknown one is `unknown`, and then
        // whatever X-Forwarded-For the client sent goes.
        let v6 = set_by_edge(Some("2001:db8::1"));
        assert_eq!(
            v6[3],
            HeaderEdit::Set("forwarded", "for=\"[2001:db8::1]\";host=\"shop.example:8443\";proto=https".into())
        );
        let unknown = set_by_edge(None);
        assert_eq!(unknown[2], HeaderEdit::Remove("x-forwarded-for"));
        assert_eq!(unknown[3].value(), Some("for=unknown;host=\"shop.example:8443\";proto=https"));
        let plain = header_edits(None, &Public { host: "shop.example", proto: "http", client: None });
        assert!(plain.contains(&HeaderEdit::Set("forwarded", "for=unknown;host=shop.example;proto=http".into())));
    }

    #[test]
    fn the_bypass_is_recognised_in_the_header_or_the_cookie_only_with_a_long_secret() {
        let secret = Some("team-secret-0123456789");
        assert!(bypass_allowed(secret, Some(" team-secret-0123456789 "), None));
        assert!(bypass_allowed(secret, None, Some("a=b; edgepages_bypass=team-secret-0123456789")));
        assert!(bypass_allowed(secret, None, Some("edgepages_bypass=wrong; edgepages_bypass=team-secret-0123456789")));
        assert!(!bypass_allowed(secret, Some("team-secret"), Some("x_edgepages_bypass=team-secret-0123456789")));
        assert!(!bypass_allowed(secret, None, Some("edgepages_bypassX=team-secret-0123456789")));
        assert!(!bypass_allowed(None, Some(""), Some("edgepages_bypass=")));
        assert!(bypass_allowed(secret, None, Some("a=b, edgepages_bypass=team-secret-0123456789")), "a second line");
        // A secret too short to be safe lets nobody through, even with the right value.
        assert!(!bypass_allowed(Some("short"), Some("short"), Some("edgepages_bypass=short")));
    }
}

//! One entry for every provider: the body's size cap, the JSON sniff, then the provider's parser;
//! and the helpers the parsers share (the site's components, a field's text or time).

use serde::de::DeserializeOwned;

use super::error::{Unreadable, quoted};
use super::model::Summary;
use super::text::{self, TextProblem};
use super::{betterstack, instatus, statuspage};
use crate::config::Provider;

/// The largest answer read. The adapters stop reading here; a larger body is refused whole,
/// never parsed in part. Big public pages' summaries run to a few hundred KiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What `provider`'s public JSON in `body` says about the site, whose components on the page are
/// `components` (empty: the whole page is the site's). Any fault refuses the whole answer, with
/// the reason: there is never a half-read incident.
pub fn parse(provider: Provider, body: &[u8], components: &[String]) -> Result<Summary, Unreadable> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Unreadable::TooLarge { bytes: body.len(), limit: MAX_BODY_BYTES });
    }
    let start = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = start.trim_ascii_start();
    if !start.starts_with(b"{") {
        return Err(Unreadable::NotJson { start: quoted(&String::from_utf8_lossy(&start[..start.len().min(64)])) });
    }
    let site = Components(components);
    let summary = match provider {
        Provider::Statuspage => statuspage::parse(start, site)?,
        Provider::Instatus => instatus::parse(start, site)?,
        Provider::Betterstack => betterstack::parse(start, site)?,
    };
    Ok(summary.settle())
}

/// Reads `body` as `T`, naming the provider in the error.
pub(super) fn json<T: DeserializeOwned>(body: &[u8], provider: &'static str) -> Result<T, Unreadable> {
    serde_json::from_slice(body).map_err(|e| Unreadable::Shape { provider, detail: e.to_string() })
}

/// The site's components on the status page, by name or ID.
#[derive(Debug, Clone, Copy)]
pub(super) struct Components<'a>(pub(super) &'a [String]);

impl Components<'_> {
    /// Whether an item that names these components (IDs and names mixed) is the site's. With no
    /// components configured, everything is; with some, an item that names none of them is not.
    pub(super) fn wants<'n>(self, mut named: impl Iterator<Item = &'n str>) -> bool {
        self.0.is_empty() || named.any(|n| self.0.iter().any(|c| c.trim().eq_ignore_ascii_case(n.trim())))
    }
}

/// `raw`, cleaned and capped to `max_chars`, or why not, naming `field`.
pub(super) fn text(raw: &str, max_chars: usize, field: impl FnOnce() -> String) -> Result<String, Unreadable> {
    text::clean(raw, max_chars).map_err(|problem| match problem {
        TextProblem::Empty => Unreadable::EmptyText { field: field() },
        TextProblem::TooLong(bytes) => Unreadable::TextTooLong { field: field(), bytes, limit: text::MAX_FIELD_BYTES },
    })
}

/// `raw` as Unix seconds, or why not, naming `field`.
pub(super) fn time(raw: &str, field: impl FnOnce() -> String) -> Result<u64, Unreadable> {
    super::time::unix_seconds(raw).ok_or_else(|| Unreadable::BadTime { field: field(), value: quoted(raw) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_json_and_oversize_are_refused_before_parsing() {
        let html = b"<!DOCTYPE html><html><head><title>Status</title>";
        assert_eq!(
            parse(Provider::Statuspage, html, &[]),
            Err(Unreadable::NotJson { start: "<!DOCTYPE html><html><head><title>Status".into() })
        );
        let huge = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(
            parse(Provider::Instatus, &huge, &[]),
            Err(Unreadable::TooLarge { bytes: MAX_BODY_BYTES + 1, limit: MAX_BODY_BYTES })
        );
        assert!(matches!(
            parse(Provider::Betterstack, b"\xEF\xBB\xBF  {\"data\": 1}", &[]),
            Err(Unreadable::Shape { .. })
        ));
        assert!(matches!(parse(Provider::Statuspage, b"[]", &[]), Err(Unreadable::NotJson { .. })));
    }

    #[test]
    fn components_match_names_or_ids_whatever_the_case() {
        let configured = ["Pages".to_owned(), "br0l2tvcx85d".to_owned()];
        let site = Components(&configured);
        assert!(site.wants(["Actions", "br0l2tvcx85d"].into_iter()));
        assert!(site.wants([" pages "].into_iter()));
        assert!(!site.wants(["Git Operations"].into_iter()));
        assert!(!site.wants(std::iter::empty()), "an item naming no component is not the site's");
        assert!(Components(&[]).wants(std::iter::empty()), "no components configured: the whole page");
    }
}

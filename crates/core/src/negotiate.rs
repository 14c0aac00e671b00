//! Content negotiation: which format (Accept) and which language (Accept-Language) to answer in.
//!
//! Both headers are comma-separated lists with optional `;q=` weights (RFC 9110 §12.5). Malformed
//! members are skipped rather than failing the whole header: a visitor must always get a page.

use serde::{Deserialize, Serialize};

use crate::locale::{self, Locale};

/// The body formats edgepages can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `text/html`: browsers.
    Html,
    /// `application/problem+json` (RFC 9457): API clients.
    Problem,
    /// `text/plain`: curl and other clients that state no preference.
    Plain,
}

impl Format {
    /// The format's name in a [`variant`]: `html`, `problem` or `plain`.
    pub fn tag(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Problem => "problem",
            Format::Plain => "plain",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Problem => "application/problem+json",
            Format::Plain => "text/plain; charset=utf-8",
        }
    }
}

/// The request header that names the answer's [`variant`], set by the CloudFront Function that
/// `publish` puts on viewer requests and held in the cache key.
pub const VARIANT_HEADER: &str = "x-edgepages-variant";

/// The longest header value we look at; the rest is ignored, so a huge header costs nothing.
const MAX_HEADER_LEN: usize = 4096;
/// The most list members we look at.
const MAX_MEMBERS: usize = 64;

/// One member of a weighted list: its value (lower-cased) and its weight in thousandths.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Weighted<'a> {
    value: &'a str,
    q: u16,
}

/// Parses `a;q=0.5, b, c;q=0` into members, skipping malformed ones.
fn weighted_list(header: &str) -> impl Iterator<Item = Weighted<'_>> {
    let header = truncate_at_char_boundary(header, MAX_HEADER_LEN);
    header.split(',').take(MAX_MEMBERS).filter_map(|member| {
        let mut parts = member.split(';');
        let value = parts.next()?.trim();
        if value.is_empty() {
            return None;
        }
        let mut q = 1000;
        for param in parts {
            let Some((name, v)) = param.split_once('=') else { continue };
            if name.trim().eq_ignore_ascii_case("q") {
                q = parse_qvalue(v.trim())?;
            }
        }
        Some(Weighted { value, q })
    })
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, as thousandths.
fn parse_qvalue(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

fn truncate_at_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Whether an `Accept` header admits `media_type` (for a kept copy of a page). No header, or
/// one with nothing usable in it, admits anything; otherwise the most specific matching member
/// decides, and `q=0` refuses.
pub fn accepts(accept: Option<&str>, media_type: &str) -> bool {
    let Some(accept) = accept else { return true };
    let essence = media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let top = essence.split('/').next().unwrap_or_default();
    let mut any_member = false;
    let mut best: Option<(u8, u16)> = None;
    for member in weighted_list(accept) {
        any_member = true;
        let value = member.value.to_ascii_lowercase();
        let specificity = if value == essence {
            2
        } else if value.strip_suffix("/*") == Some(top) {
            1
        } else if value == "*/*" {
            0
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, member.q));
        }
    }
    if any_member { best.is_some_and(|(_, q)| q > 0) } else { true }
}

/// Chooses the format from an `Accept` header.
///
/// The highest weight wins; a more specific match beats a wildcard at the same weight, and at a
/// tie HTML beats problem+json beats plain text. A client that matches us only through `*/*`
/// (curl, most HTTP libraries) or sends no Accept gets plain text; so does one that accepts
/// nothing we offer, since an error answer must still say something.
pub fn choose_format(accept: Option<&str>) -> Format {
    const OFFERS: [(Format, &str, &str); 3] = [
        (Format::Html, "text", "html"),
        (Format::Problem, "application", "problem+json"),
        (Format::Problem, "application", "json"),
    ];
    let Some(accept) = accept else { return Format::Plain };

    // (q, specificity, preference) for each offer; the best triple wins.
    let mut best: Option<(u16, u8, u8, Format)> = None;
    let mut plain_q: Option<(u16, u8)> = None;
    for member in weighted_list(accept) {
        let Some((ty, sub)) = member.value.split_once('/') else { continue };
        let (ty, sub) = (ty.trim(), sub.trim());
        let specificity = match (ty, sub) {
            ("*", "*") => 0,
            (_, "*") => 1,
            _ => 2,
        };
        for (preference, (format, offer_ty, offer_sub)) in OFFERS.iter().enumerate() {
            let matches = specificity == 0
                || (ty.eq_ignore_ascii_case(offer_ty) && (specificity == 1 || sub.eq_ignore_ascii_case(offer_sub)));
            if !matches || member.q == 0 {
                continue;
            }
            let preference = u8::try_from(OFFERS.len() - preference).unwrap_or(0);
            let candidate = (member.q, specificity, preference, *format);
            if best.is_none_or(|b| (candidate.0, candidate.1, candidate.2) > (b.0, b.1, b.2)) {
                best = Some(candidate);
            }
        }
        let plain_match = specificity == 0
            || (ty.eq_ignore_ascii_case("text") && (specificity == 1 || sub.eq_ignore_ascii_case("plain")));
        if plain_match && member.q > 0 && plain_q.is_none_or(|p| (member.q, specificity) > p) {
            plain_q = Some((member.q, specificity));
        }
    }
    match (best, plain_q) {
        (Some((q, specificity, _, format)), plain) if specificity > 0 => {
            // An explicit text/plain with a higher weight still wins over our richer formats.
            match plain {
                Some((pq, ps)) if ps == 2 && pq > q => Format::Plain,
                _ => format,
            }
        }
        _ => Format::Plain,
    }
}

/// Chooses a locale from an `Accept-Language` header among `available` (tags), falling back
/// to `default`. `fr-CA` matches `fr`; `*` matches the default.
pub fn choose_language(
    accept_language: Option<&str>,
    available: &[String],
    default: &'static Locale,
) -> &'static Locale {
    let Some(header) = accept_language else { return default };
    let mut best: Option<(u16, &'static Locale)> = None;
    for member in weighted_list(header) {
        if member.q == 0 {
            continue;
        }
        let candidate = if member.value == "*" {
            Some(default)
        } else {
            let primary = member.value.split(['-', '_']).next().unwrap_or_default();
            available
                .iter()
                .find(|tag| tag.eq_ignore_ascii_case(member.value) || tag.eq_ignore_ascii_case(primary))
                .and_then(|tag| locale::find(tag))
        };
        if let Some(found) = candidate {
            // Earlier members win ties, as the header lists them in preference order.
            if best.is_none_or(|(q, _)| member.q > q) {
                best = Some((member.q, found));
            }
        }
    }
    best.map_or(default, |(_, l)| l)
}

/// The answer's variant for these headers, such as `html.fr`: the format and the language that
/// [`choose_format`] and [`choose_language`] pick. Two requests with the same variant get the
/// same page, so a cache keyed on it never serves one viewer's page to another.
pub fn variant(
    accept: Option<&str>,
    accept_language: Option<&str>,
    available: &[String],
    default: &'static Locale,
) -> String {
    format!("{}.{}", choose_format(accept).tag(), choose_language(accept_language, available, default).tag)
}

/// The `Accept` and `Accept-Language` values that negotiate to `variant` (as [`variant`]
/// writes it, such as `html.fr`), for an answer chosen upstream: CloudFront's viewer-request
/// function names the variant, and the cache key holds it. `None` for anything else, so a
/// value that is not one of the site's variants is never trusted over the viewer's own headers.
pub fn headers_for_variant(variant: &str, available: &[String]) -> Option<(&'static str, &'static str)> {
    let (format, tag) = variant.trim().split_once('.')?;
    let accept = match format {
        "html" => "text/html",
        "problem" => "application/problem+json",
        "plain" => "text/plain",
        _ => return None,
    };
    let locale = available.iter().filter_map(|t| locale::find(t)).find(|l| l.tag == tag)?;
    Some((accept, locale.tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_gives_back_headers_that_negotiate_to_it() {
        let available: Vec<String> = ["en", "fr", "ar", "cy", "de"].map(String::from).to_vec();
        let en = locale::find("en").unwrap();
        for format in ["html", "problem", "plain"] {
            for tag in &available {
                let named = format!("{format}.{tag}");
                let (accept, language) = headers_for_variant(&named, &available).unwrap();
                assert_eq!(variant(Some(accept), Some(language), &available, en), named);
            }
        }
    }

    #[test]
    fn a_variant_outside_the_sites_own_is_not_trusted() {
        let available = vec!["en".to_owned(), "fr".to_owned()];
        for value in ["", "html", "html.", ".fr", "html.de", "json.fr", "HTML.fr", "html.fr.x", "html.FR"] {
            assert_eq!(headers_for_variant(value, &available), None, "{value:?}");
        }
        assert_eq!(headers_for_variant(" problem.fr ", &available), Some(("application/problem+json", "fr")));
    }

    #[test]
    fn the_variant_names_the_format_and_the_language() {
        let available = vec!["en".to_owned(), "fr".to_owned()];
        let en = locale::find("en").unwrap();
        assert_eq!(variant(Some(CHROME), Some("fr-CA,fr;q=0.9"), &available, en), "html.fr");
        assert_eq!(variant(Some("application/json"), None, &available, en), "problem.en");
        assert_eq!(variant(None, Some("de"), &available, en), "plain.en");
    }

    const CHROME: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

    #[test]
    fn browsers_get_html() {
        assert_eq!(choose_format(Some(CHROME)), Format::Html);
        assert_eq!(
            choose_format(Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")),
            Format::Html
        );
    }

    #[test]
    fn api_clients_get_problem_json() {
        assert_eq!(choose_format(Some("application/json")), Format::Problem);
        assert_eq!(choose_format(Some("application/problem+json")), Format::Problem);
        assert_eq!(choose_format(Some("application/json, text/plain, */*")), Format::Problem);
        assert_eq!(choose_format(Some("application/*")), Format::Problem);
    }

    #[test]
    fn curl_like_clients_get_plain_text() {
        assert_eq!(choose_format(None), Format::Plain);
        assert_eq!(choose_format(Some("*/*")), Format::Plain);
        assert_eq!(choose_format(Some("")), Format::Plain);
        assert_eq!(choose_format(Some("text/plain")), Format::Plain);
        assert_eq!(choose_format(Some("image/png")), Format::Plain);
    }

    #[test]
    fn q_values_decide() {
        assert_eq!(choose_format(Some("text/html;q=0.5, application/json")), Format::Problem);
        assert_eq!(choose_format(Some("text/html, application/json;q=0.9")), Format::Html);
        assert_eq!(choose_format(Some("text/html;q=0, */*")), Format::Plain);
        assert_eq!(choose_format(Some("application/json;q=0.2, text/plain;q=0.8")), Format::Plain);
        assert_eq!(choose_format(Some("text/html;q=0.4;level=1, application/json;q=0.3")), Format::Html);
    }

    #[test]
    fn malformed_members_are_skipped_not_fatal() {
        assert_eq!(choose_format(Some("text/html;q=2, application/json")), Format::Problem);
        assert_eq!(choose_format(Some("garbage, ,;;, application/json;q=abc, text/html")), Format::Html);
        assert_eq!(choose_format(Some(",,,,")), Format::Plain);
    }

    #[test]
    fn qvalue_grammar() {
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.123"), Some(123));
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("1.5"), None);
        assert_eq!(parse_qvalue("0.1234"), None);
        assert_eq!(parse_qvalue("-1"), None);
        assert_eq!(parse_qvalue(""), None);
    }

    #[test]
    fn huge_headers_are_cut_at_a_char_boundary() {
        let long = format!("{}, application/json", "é".repeat(5000));
        // The JSON member sits past the cut, so it is not seen.
        assert_eq!(choose_format(Some(&long)), Format::Plain);
    }

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn language_by_q_and_prefix() {
        let en = locale::find("en").unwrap();
        let all = tags(&["en", "cy", "fr", "de"]);
        let pick = |h: Option<&str>| choose_language(h, &all, en).tag;
        assert_eq!(pick(Some("fr-CA,fr;q=0.9,en;q=0.8")), "fr");
        assert_eq!(pick(Some("de-DE")), "de");
        assert_eq!(pick(Some("cy;q=0.4, de;q=0.7")), "de");
        assert_eq!(pick(Some("ja, *;q=0.1")), "en");
        assert_eq!(pick(Some("ja")), "en");
        assert_eq!(pick(Some("fr;q=0, de;q=0.1")), "de");
        assert_eq!(pick(Some("CY")), "cy");
        assert_eq!(pick(Some("fr, de")), "fr");
        assert_eq!(pick(None), "en");
    }

    #[test]
    fn only_available_locales_are_chosen() {
        let cy = locale::find("cy").unwrap();
        let some = tags(&["cy", "en"]);
        // fr is bundled but not enabled in this config.
        assert_eq!(choose_language(Some("fr"), &some, cy).tag, "cy");
        assert_eq!(choose_language(Some("en-GB"), &some, cy).tag, "en");
    }

    #[test]
    fn accepts_checks_a_kept_copy_against_accept() {
        assert!(accepts(None, "text/html"));
        assert!(accepts(Some("text/html,application/xhtml+xml,*/*;q=0.8"), "text/html; charset=utf-8"));
        assert!(accepts(Some("*/*"), "text/html"));
        assert!(accepts(Some("text/*"), "text/html"));
        assert!(!accepts(Some("application/json"), "text/html"));
        assert!(!accepts(Some("text/html;q=0, */*"), "text/html"), "the specific q=0 wins over */*");
        assert!(accepts(Some(",;q=,"), "text/html"), "nothing usable admits anything");
    }
}

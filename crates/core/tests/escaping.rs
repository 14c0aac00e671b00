//! Every request-derived value is escaped, in every format; every answer carries the safety
//! headers; and the CSP's hashes match the page's actual inline style and script.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use common::{between, clock, fixture_site};
use edgepages_core::outcome::{FailureKind, OriginOutcome};
use edgepages_core::request::request_id;
use edgepages_core::{Decision, Format, RenderContext, RequestFacts, decide, render};
use sha2::{Digest, Sha256};

const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg/onload=alert(1)>",
    "</title><script>alert(document.cookie)</script>",
    "javascript:alert(1)",
    "\" autofocus onfocus=\"alert(1)",
    "<!--",
    "]]><script>alert(1)</script>",
    "{{7*7}}{% raw %}",
    "&lt;script&gt;",
    "\u{2028}\u{2029}</script>",
    "%3Cscript%3Ealert(1)%3C/script%3E",
];

/// Answers a browser, an API client and curl, with `path` and `id` taken from the "request".
fn answers(path: &str, id_header: &str, accept_language: &str) -> Vec<(Format, String)> {
    answers_on(&fixture_site(), path, id_header, accept_language)
}

fn answers_on(
    site: &edgepages_core::Site,
    path: &str,
    id_header: &str,
    accept_language: &str,
) -> Vec<(Format, String)> {
    let headers = [("x-request-id", id_header)];
    let id = request_id(|name| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v));
    [("text/html", Format::Html), ("application/json", Format::Problem), ("*/*", Format::Plain)]
        .into_iter()
        .map(|(accept, format)| {
            let req = RequestFacts {
                method: "GET",
                path,
                accept: Some(accept),
                accept_language: Some(accept_language),
                request_id: id,
                maintenance_bypass: false,
            };
            let Decision::Page(page) =
                decide(&req, &OriginOutcome::Failure(FailureKind::Timeout), &site.config, clock())
            else {
                panic!("a timeout is answered with a page")
            };
            assert_eq!(page.format, format);
            (format, render(&page, site, &RenderContext::for_request(&req, common::NOW)).unwrap().body)
        })
        .collect()
}

/// Decodes the entities an HTML escaper may produce (named or numeric).
fn html_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').map(|e| i + e).expect("entity without ;");
        let entity = &rest[i + 1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ if entity.starts_with("#x") => char::from_u32(u32::from_str_radix(&entity[2..], 16).unwrap()).unwrap(),
            _ if entity.starts_with('#') => char::from_u32(entity[1..].parse().unwrap()).unwrap(),
            _ => panic!("unknown entity &{entity};"),
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The text of the `<dd>` after the `<dt>` labelled `label`, checked to hold no raw markup
/// characters, then decoded.
fn shown_value(body: &str, label: &str) -> Option<String> {
    let start = body.find(&format!("<dt>{label}</dt>"))?;
    let dd = &body[start..];
    let open = dd.find("<dd")?;
    let text_start = open + dd[open..].find('>').unwrap() + 1;
    let text = &dd[text_start..text_start + dd[text_start..].find("</dd>").unwrap()];
    assert!(!text.contains(['<', '>', '"', '\'']), "raw markup characters in {text:?}");
    Some(html_unescape(text))
}

#[test]
fn payloads_in_path_and_query_are_escaped() {
    for payload in PAYLOADS {
        let path = format!("/search?q={payload}");
        for (format, body) in answers(&path, "ok", "en") {
            match format {
                Format::Html => {
                    assert_eq!(shown_value(&body, "Page").as_deref(), Some(path.as_str()), "{payload:?}");
                    assert_eq!(body.matches("<script").count(), 1, "only our own script: {payload:?}");
                    assert!(!body.contains("<img"), "{payload:?}");
                    assert_eq!(body.matches("<svg").count(), 1, "only the logo: {payload:?}");
                }
                Format::Problem => {
                    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(json["instance"], path.as_str(), "JSON must round-trip the path exactly");
                }
                Format::Plain => {} // text/plain with nosniff is never interpreted as markup
            }
        }
    }
}

#[test]
fn payloads_in_request_id_headers_are_escaped_or_dropped() {
    for payload in PAYLOADS {
        let usable = !payload.is_empty() && payload.len() <= 128 && payload.bytes().all(|b| b.is_ascii_graphic());
        for (format, body) in answers("/", payload, "en") {
            match format {
                Format::Html => {
                    let expected = usable.then(|| (*payload).to_owned());
                    assert_eq!(shown_value(&body, "Reference"), expected, "{payload:?}");
                    assert_eq!(body.matches("<script").count(), 1, "{payload:?}");
                    assert_eq!(body.matches("<svg").count(), 1, "only the logo: {payload:?}");
                    assert!(!body.contains("<img"), "{payload:?}");
                }
                Format::Problem => {
                    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
                    let expected = if usable { serde_json::Value::from(*payload) } else { serde_json::Value::Null };
                    assert_eq!(json["request_id"], expected, "{payload:?}");
                }
                Format::Plain => {}
            }
        }
    }
}

#[test]
fn hostile_accept_language_changes_nothing_but_the_language() {
    for payload in PAYLOADS {
        for (format, body) in answers("/", "id", payload) {
            if format == Format::Html {
                assert!(body.starts_with("<!doctype html>\n<html lang=\"en\" dir=\"ltr\">"), "{payload:?}");
            }
        }
    }
}

#[test]
fn every_answer_carries_the_safety_headers() {
    let site = fixture_site();
    for accept in ["text/html", "application/json", "*/*"] {
        let req = RequestFacts { method: "GET", path: "/", accept: Some(accept), ..RequestFacts::default() };
        let Decision::Page(page) = decide(
            &req,
            &OriginOutcome::Response { status: 502, content_type: Some("text/html"), retry_after: None },
            &site.config,
            clock(),
        ) else {
            panic!()
        };
        let r = render(&page, &site, &RenderContext::for_request(&req, common::NOW)).unwrap();
        assert_eq!(r.status, 502);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("x-robots-tag"), Some("noindex"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(r.header("retry-after"), Some(page.retry_after_s.to_string().as_str()));
        assert_eq!(r.header("content-language"), Some("en"));
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.starts_with("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    }
}

fn sha256_source(text: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

#[test]
fn csp_hashes_match_the_inline_style_and_script() {
    let site = fixture_site();
    let req = RequestFacts { method: "GET", path: "/", accept: Some("text/html"), ..RequestFacts::default() };
    let Decision::Page(page) = decide(&req, &OriginOutcome::Failure(FailureKind::Refused), &site.config, clock())
    else {
        panic!()
    };
    let r = render(&page, &site, &RenderContext::for_request(&req, common::NOW)).unwrap();
    let header = r.header("content-security-policy").unwrap();
    let meta = between(&r.body, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\">").replace("&#39;", "'");
    for csp in [header, meta.as_str()] {
        assert!(
            csp.contains(&format!("style-src {}", sha256_source(between(&r.body, "<style>", "</style>")))),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("script-src {}", sha256_source(between(&r.body, "<script>", "</script>")))),
            "{csp}"
        );
        assert!(csp.contains("connect-src 'self'"), "the retry check fetches this page: {csp}");
    }
    assert_eq!(r.body.matches("<style").count(), 1, "the logo must not add a style element");
    assert!(!r.body.contains(" style="), "inline style attributes would be blocked by the CSP");
}

/// The shipped example template shows the same hostile values, escaped the same way, and its
/// CSP (computed by `check` from its rendered pages) holds exactly its own style and script.
#[cfg(feature = "template-check")]
#[test]
fn a_user_template_escapes_every_payload_and_its_csp_matches_its_page() {
    let site = common::fixture_site_with_template();
    for payload in PAYLOADS {
        let path = format!("/search?q={payload}");
        for (format, body) in answers_on(&site, &path, payload, "en") {
            if format == Format::Html {
                assert!(body.contains("<main class=\"card\">"), "the user's template rendered it");
                assert_eq!(shown_value(&body, "Page").as_deref(), Some(path.as_str()), "{payload:?}");
                assert_eq!(body.matches("<script").count(), 1, "only our own script: {payload:?}");
                assert!(!body.contains("<img"), "{payload:?}");
            }
        }
    }
    let (_, body) = answers_on(&site, "/", "ok", "en").remove(0);
    let csp = site.csp();
    assert_eq!(
        csp,
        format!(
            "default-src 'none'; style-src '{}'; script-src '{}'; connect-src 'self'; img-src data:; base-uri 'none'; \
             form-action 'none'",
            sha256_source(between(&body, "<style>", "</style>")).trim_matches('\''),
            sha256_source(between(&body, "<script>", "</script>")).trim_matches('\'')
        )
    );
}

/// Issue 22: a logo's ids could take the place of the page's own (`ep-retry`, which the retry
/// script looks up), and a logo URL spelt with a CSS escape or `image-set(` named an external
/// resource. The page keeps each of its ids once, and neither spelling reaches it.
#[test]
fn a_logo_cannot_take_the_pages_ids_or_name_a_resource() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/edgepages.toml")).unwrap();
    let config = edgepages_core::config::load::parse(&text, "fixtures/edgepages.toml").unwrap();
    let logo = r##"<svg xmlns="http://www.w3.org/2000/svg"><g id="ep-retry"><rect id="ep-now" width="1" height="1"/></g><use href="#ep-retry"/><use href="#ep-live"/></svg>"##;
    let site = edgepages_core::Site::new(config.clone(), Some(logo)).unwrap();
    let req = RequestFacts { method: "GET", path: "/", accept: Some("text/html"), ..RequestFacts::default() };
    let Decision::Page(page) = decide(&req, &OriginOutcome::Failure(FailureKind::Refused), &site.config, clock())
    else {
        panic!("a refused connection is answered with a page")
    };
    let body = render(&page, &site, &RenderContext::for_request(&req, common::NOW)).unwrap().body;
    for id in ["ep-retry", "ep-now", "ep-live"] {
        assert_eq!(body.matches(&format!("id=\"{id}\"")).count(), 1, "{id}");
    }
    assert!(!body.contains("href=\"#ep-live\""), "the logo must not point at the page's elements");
    for spelt in [r"\75rl(https://evil.example/x)", "image-set('https://evil.example/x.png' 1x)"] {
        let logo = format!("<svg xmlns=\"http://www.w3.org/2000/svg\"><rect fill=\"{spelt}\"/></svg>");
        assert!(edgepages_core::Site::new(config.clone(), Some(&logo)).is_err(), "{spelt}");
    }
}

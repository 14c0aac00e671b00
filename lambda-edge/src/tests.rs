//! The function's answers to events shaped as AWS documents them, natively: the same calls the
//! wasm module makes, minus the JSON hop to JavaScript.

use serde_json::Value;

use crate::event::tests::documented;
use crate::respond::{MAX_GENERATED_BYTES, size};
use crate::{fallback_json, handle};

const NOW: u64 = 1_790_000_000;

fn answer(event: &str) -> Value {
    serde_json::from_str(&handle(event.as_bytes(), NOW, 7)).unwrap()
}

fn header<'v>(response: &'v Value, name: &str) -> Option<&'v str> {
    response["headers"][name][0]["value"].as_str()
}

#[test]
fn an_albs_own_5xx_becomes_the_branded_page_with_the_real_status() {
    for (status, phrase) in
        [(500, "Internal Server Error"), (502, "Bad Gateway"), (503, "Service Unavailable"), (504, "Gateway Timeout")]
    {
        let out = answer(&documented(status, &[("Accept", "text/html")], &[("Server", "awselb/2.0")]));
        let r = &out["response"];
        assert_eq!(r["status"], status.to_string());
        assert_eq!(r["statusDescription"], phrase);
        assert_eq!(r["bodyEncoding"], "text");
        assert_eq!(header(r, "content-type"), Some("text/html; charset=utf-8"));
        assert!(header(r, "retry-after").is_some_and(|v| v.parse::<u32>().is_ok()), "{r}");
        assert!(r["body"].as_str().unwrap().contains("<meta name=\"generator\" content=\"edgepages\">"), "{status}");
        assert_eq!(r["headers"]["content-type"][0]["key"], "Content-Type");
    }
}

#[test]
fn a_healthy_or_client_error_response_passes_untouched() {
    for status in [200, 301, 404] {
        assert_eq!(answer(&documented(status, &[], &[])), serde_json::json!({ "pass": true }), "{status}");
    }
}

#[test]
fn the_format_and_language_follow_the_forwarded_headers() {
    let json = answer(&documented(503, &[("Accept", "application/json")], &[]));
    assert_eq!(header(&json["response"], "content-type"), Some("application/problem+json"));
    let problem: Value = serde_json::from_str(json["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(problem["status"], 503);

    let text = answer(&documented(503, &[("Accept", "*/*")], &[]));
    assert_eq!(header(&text["response"], "content-type"), Some("text/plain; charset=utf-8"));

    for (accept_language, tag) in [("fr-CA,fr;q=0.9", "fr"), ("ar", "ar"), ("xx-nope", "en"), (";;;,q=", "en")] {
        let page = answer(&documented(503, &[("Accept", "text/html"), ("Accept-Language", accept_language)], &[]));
        assert_eq!(header(&page["response"], "content-language"), Some(tag), "{accept_language}");
    }
    // Nothing forwarded (no origin request policy): the default language, as HTML.
    let bare = answer(&documented(503, &[], &[]));
    assert_eq!(header(&bare["response"], "content-language"), Some("en"));
    assert_eq!(header(&bare["response"], "content-type"), Some("text/html; charset=utf-8"));
}

/// No `Accept` in the event means CloudFront did not forward it (curl sends `*/*`): the viewer is
/// as likely a browser, and gets HTML, in the language asked for if that was forwarded.
#[test]
fn an_event_without_accept_gets_html() {
    let out = answer(&documented(502, &[("Accept-Language", "de")], &[]));
    assert_eq!(header(&out["response"], "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(header(&out["response"], "content-language"), Some("de"));
    let curl = answer(&documented(502, &[("Accept", "*/*")], &[]));
    assert_eq!(header(&curl["response"], "content-type"), Some("text/plain; charset=utf-8"));
}

#[test]
fn the_variant_named_by_the_viewer_request_function_wins_over_the_headers() {
    let browser = [("Accept", "text/html"), ("Accept-Language", "en")];
    let named = answer(&documented(503, &[browser[0], browser[1], ("X-Edgepages-Variant", "problem.fr")], &[]));
    assert_eq!(header(&named["response"], "content-type"), Some("application/problem+json"));
    assert_eq!(header(&named["response"], "content-language"), Some("fr"));
    // A value that is not one of the site's variants is not trusted: the headers decide.
    for value in ["problem.xx", "json.fr", "", "html"] {
        let out = answer(&documented(503, &[browser[0], browser[1], ("X-Edgepages-Variant", value)], &[]));
        assert_eq!(header(&out["response"], "content-type"), Some("text/html; charset=utf-8"), "{value:?}");
        assert_eq!(header(&out["response"], "content-language"), Some("en"), "{value:?}");
    }
}

#[test]
fn the_origins_retry_after_is_kept() {
    let out = answer(&documented(503, &[("Accept", "text/html")], &[("Retry-After", "120")]));
    assert_eq!(header(&out["response"], "retry-after"), Some("120"));
}

const REQUEST_ID: &str = "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==";

/// The documented event for `method` with a query string the cache key need not hold.
fn with_query(method: &str, accept: &str) -> String {
    documented(502, &[("Accept", accept)], &[])
        .replace("\"method\":\"GET\"", &format!("\"method\":\"{method}\""))
        .replace("\"querystring\":\"\"", "\"querystring\":\"token=SECRET-123\"")
}

/// CloudFront keeps a 5xx for at least the error caching TTL whatever its `Cache-Control`, and
/// collapses simultaneous requests, both by cache key ("Control how long CloudFront caches
/// errors"; "Simultaneous requests for the same object"). The key always holds the path, and the
/// query string only if the cache policy says so, which the function cannot see: a page for a GET
/// or HEAD shows the path alone, and no one viewer's request ID.
#[test]
fn a_page_cloudfront_may_share_shows_only_what_its_cache_key_holds() {
    // (A HEAD shares the GET's cached answer, and has no body of its own.)
    for accept in ["text/html", "application/json", "*/*"] {
        let body = answer(&with_query("GET", accept))["response"]["body"].as_str().unwrap().to_owned();
        assert!(!body.contains("SECRET-123"), "{accept}: the query string is on the page");
        assert!(!body.contains(REQUEST_ID), "{accept}: the request ID is on the page");
    }
    let problem: Value =
        serde_json::from_str(answer(&with_query("GET", "application/json"))["response"]["body"].as_str().unwrap())
            .unwrap();
    assert_eq!(problem["instance"], "/");
    assert_eq!(problem.get("request_id"), None);
}

/// CloudFront caches only GET and HEAD (and OPTIONS, where the behavior says so): "CloudFront does
/// not cache responses to requests that use the other methods" (How CloudFront processes HTTP
/// 4xx and 5xx status codes from your origin). Those answers name the viewer's own request.
#[test]
fn a_page_never_cached_names_the_viewers_request() {
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let body = answer(&with_query(method, "application/json"))["response"]["body"].as_str().unwrap().to_owned();
        let problem: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["request_id"], REQUEST_ID, "{method}");
        assert_eq!(problem["instance"], "/", "{method}: the query string is never shown");
    }
}

/// "Restrictions on all edge functions": in origin-response events `Via` and `Transfer-Encoding`
/// are read-only (a function "can't add, modify, or delete them"), and the disallowed headers
/// can never be added; either is CloudFront's own 502. Every answer carries the origin's
/// read-only headers exactly as they came, and nothing disallowed.
#[test]
fn every_answer_keeps_the_origins_read_only_headers_and_sets_nothing_disallowed() {
    let origin = [("Via", "1.1 vegur"), ("Transfer-Encoding", "chunked"), ("Server", "gunicorn")];
    let event = documented(502, &[("Accept", "text/html")], &origin);
    let expected: Value =
        serde_json::from_str::<Value>(&event).unwrap()["Records"][0]["cf"]["response"]["headers"].clone();
    for out in [
        answer(&event),
        answer(&event.replace("\"uri\":\"/\"", "\"uri\":\"/.well-known/edgepages/probe/503/abcdefghijklmnop\"")),
    ] {
        let headers = out["response"]["headers"].as_object().unwrap();
        for name in crate::headers::READ_ONLY_IN_ORIGIN_RESPONSE {
            assert_eq!(headers[name], expected[name], "{name}");
        }
        for name in headers.keys() {
            assert!(!crate::headers::disallowed(name), "{name}");
        }
    }
    // None in the origin's answer: none in ours (adding one is refused too).
    let bare = answer(&documented(502, &[("Accept", "text/html")], &[]));
    for name in crate::headers::READ_ONLY_IN_ORIGIN_RESPONSE {
        assert!(bare["response"]["headers"].get(name).is_none(), "{name}");
    }
    // The fallback kept for a trap carries none of its own: index.mjs copies the event's in.
    let fallback: Value = serde_json::from_str(&fallback_json()).unwrap();
    for name in fallback["response"]["headers"].as_object().unwrap().keys() {
        assert!(crate::headers::allowed(name), "{name}");
    }
}

/// `index.mjs` copies the read-only headers into every answer it makes without the module (a
/// trap, a module that did not load): its list is this crate's.
#[test]
fn index_mjs_keeps_the_same_read_only_headers() {
    let index = include_str!("../index.mjs");
    let line = index.lines().find(|l| l.starts_with("const READ_ONLY")).expect("index.mjs names READ_ONLY");
    let names: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
    assert_eq!(names, crate::headers::READ_ONLY_IN_ORIGIN_RESPONSE);
}

#[test]
fn the_largest_answer_stays_far_under_cloudfronts_limit() {
    // The longest URI CloudFront passes (under 8,192 characters with the query) and long
    // request headers: the page shows a cut path, so the answer stays small.
    let long =
        documented(502, &[("Accept", &"text/html,".repeat(800)), ("Accept-Language", &"fr;q=0.9,".repeat(800))], &[])
            .replace("\"uri\":\"/\"", &format!("\"uri\":\"/{}\"", "a".repeat(4000)))
            .replace("\"querystring\":\"\"", &format!("\"querystring\":\"q={}\"", "%F0%9F%98%80".repeat(340)));
    let event: crate::event::Event = serde_json::from_str(&long).unwrap();
    assert!(event.records[0].cf.request.uri.len() + event.records[0].cf.request.querystring.len() > 8000);
    let crate::respond::Answer::Replace(generated) = crate::respond::respond(
        &event,
        crate::site(),
        edgepages_core::Clock { now_unix_s: NOW, seed: 7 },
        crate::fallback(),
    ) else {
        panic!("a 502 is replaced");
    };
    assert!(size(&generated) < MAX_GENERATED_BYTES / 10, "{}", size(&generated));
}

#[test]
fn a_head_request_gets_the_headers_and_no_body() {
    let out =
        answer(&documented(503, &[("Accept", "text/html")], &[]).replace("\"method\":\"GET\"", "\"method\":\"HEAD\""));
    assert_eq!(out["response"]["body"], "");
    assert_eq!(header(&out["response"], "content-type"), Some("text/html; charset=utf-8"));
}

#[test]
fn an_unreadable_event_passes_the_origins_response_through_and_says_why() {
    let out = answer("{\"Records\": 3}");
    assert_eq!(out["pass"], true);
    assert!(out["error"].as_str().unwrap().starts_with("unreadable event:"), "{out}");
    // A value of the wrong type is never quoted into the log line.
    let secret = documented(502, &[], &[]).replacen("\"headers\":{}", "\"headers\":\"session=s3cr3t\"", 1);
    assert!(secret.contains("s3cr3t"));
    let out = answer(&secret);
    assert_eq!(out["pass"], true);
    assert!(!out["error"].as_str().unwrap().contains("s3cr3t"), "{out}");
}

#[test]
fn the_statuses_handed_to_javascript_are_exactly_those_replaced() {
    let replaceable = crate::respond::replaceable_statuses(crate::site());
    assert!(replaceable.iter().all(|s| (500..=599).contains(s)), "{replaceable:?}");
    for status in [500, 502, 503, 504] {
        assert!(replaceable.contains(&status), "{status}");
    }
    for status in 100..=599 {
        let replaced = answer(&documented(status, &[("Accept", "text/html")], &[])).get("response").is_some();
        assert_eq!(replaced, replaceable.contains(&status), "{status}");
    }
}

/// The bundled site with `[edge] maintenance` set to `value`.
fn in_maintenance(value: &str) -> edgepages_core::Site {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../edgepages.toml")).unwrap();
    assert!(text.contains("maintenance = \"off\""), "the bundled config sets maintenance");
    let text = text.replacen("maintenance = \"off\"", &format!("maintenance = \"{value}\""), 1);
    let config = edgepages_core::config::load::parse(&text, "edgepages.toml").unwrap();
    edgepages_core::Site::new(config, None).unwrap()
}

#[test]
fn maintenance_answers_every_response_as_the_worker_does_until_its_end() {
    use crate::respond::{Answer, replaceable_statuses, respond};
    let event: crate::event::Event =
        serde_json::from_str(&documented(200, &[("Accept", "text/html"), ("Accept-Language", "de")], &[])).unwrap();
    let clock = edgepages_core::Clock { now_unix_s: NOW, seed: 7 };
    let site = in_maintenance("on");
    let Answer::Replace(page) = respond(&event, &site, clock, crate::fallback()) else {
        panic!("a 200 in maintenance")
    };
    assert_eq!(page.status, "503");
    assert_eq!(page.headers["x-edgepages"][0].value, "error; kind=maintenance; cause=maintenance");
    assert_eq!(page.headers["content-language"][0].value, "de");
    assert_eq!(replaceable_statuses(&site).len(), 500, "every status goes to the module");

    let ended = in_maintenance("2026-01-01T00:00:00Z");
    assert_eq!(respond(&event, &ended, clock, crate::fallback()), Answer::PassThrough, "over by now");
}

const NONCE: &str = "Qx7-pL2_vN9tRk4wYz";

/// The documented event for `uri` with the origin's `status`, from a browser asking for French
/// problem+json.
fn probe_event(uri: &str, status: u16) -> String {
    documented(status, &[("Accept", "application/json"), ("Accept-Language", "fr")], &[])
        .replace("\"uri\":\"/\"", &format!("\"uri\":\"{uri}\""))
}

#[test]
fn a_probe_is_answered_as_its_status_in_the_viewers_variant_whatever_the_origin_said() {
    use edgepages_core::probe;
    for origin_status in [404, 200, 503] {
        for asked in [500, 502, 503, 504] {
            let out = answer(&probe_event(&probe::path(asked, NONCE), origin_status));
            let r = &out["response"];
            assert_eq!(r["status"], asked.to_string(), "{origin_status} → {asked}");
            assert_eq!(header(r, "x-edgepages"), Some(probe::MARK));
            assert_eq!(header(r, "content-type"), Some("application/problem+json"));
            assert_eq!(header(r, "content-language"), Some("fr"));
            assert_eq!(header(r, "cache-control"), Some("no-store"));
            // Nothing of the request: no nonce, no path, no request ID.
            let body = r["body"].as_str().unwrap();
            for shown in [NONCE, "well-known", REQUEST_ID] {
                assert!(!body.contains(shown), "{shown} in {body}");
            }
        }
    }
}

#[test]
fn a_probe_for_another_status_or_an_odd_nonce_is_no_probe() {
    use edgepages_core::probe;
    // 501 is a probe status, but this site does not intercept it: the origin's answer goes through.
    for uri in [
        probe::path(404, NONCE),
        probe::path(501, NONCE),
        probe::path(502, "short"),
        format!("{}/x", probe::path(502, NONCE)),
    ] {
        assert_eq!(answer(&probe_event(&uri, 404)), serde_json::json!({ "pass": true }), "{uri}");
    }
    let posted = probe_event(&probe::path(502, NONCE), 404).replace("\"method\":\"GET\"", "\"method\":\"POST\"");
    assert_eq!(answer(&posted), serde_json::json!({ "pass": true }));
}

#[test]
fn a_probe_in_maintenance_is_still_answered_as_its_status() {
    use crate::respond::{Answer, respond};
    let event: crate::event::Event =
        serde_json::from_str(&probe_event(&edgepages_core::probe::path(502, NONCE), 404)).unwrap();
    let clock = edgepages_core::Clock { now_unix_s: NOW, seed: 7 };
    let Answer::Replace(page) = respond(&event, &in_maintenance("on"), clock, crate::fallback()) else {
        panic!("a probe is answered")
    };
    assert_eq!(page.status, "502");
    assert_eq!(page.headers["x-edgepages"][0].value, edgepages_core::probe::MARK);
}

/// A header without `key` still goes out with its name (Lambda@Edge writes it), so it counts
/// against the 1 MB as the emulator counts it (`tests/cloudfront/rules.mjs` `generatedSize`).
#[test]
fn a_header_without_a_key_counts_its_name_against_the_limit() {
    use crate::event::{Generated, Header, Headers};
    let mut headers = Headers::new();
    headers.insert("via".to_owned(), vec![Header { key: None, value: "1.1 x".to_owned() }]);
    let answer = Generated {
        status: "502".to_owned(),
        status_description: String::new(),
        headers,
        body: String::new(),
        body_encoding: "text",
    };
    // "via" + ": " + "1.1 x" + CRLF.
    assert_eq!(size(&answer), 3 + 2 + 5 + 2);
}

//! The packaged Lambda@Edge function behind the CloudFront emulator (`tests/cloudfront/`), over
//! HTTP, in front of the fault origin: what a viewer gets when the origin answers, fails or hangs,
//! with CloudFront's rules enforced (its 502 for a result it refuses, error caching by cache key,
//! the headers each behavior forwards, and custom error responses in either order).

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{client, rig, unique};
use edgepages_e2e::cloudfront::{CloudFront, Options, Order};
use edgepages_e2e::fault_origin::LEAK_MARKER;
use serde_json::json;

/// The header the emulator marks its answers' source with: `function`, `cloudfront` or
/// `custom-error-response` (none when the origin's response went through).
const SOURCE: &str = "x-emulator";
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A per-viewer behavior (CachingDisabled, AllViewerExceptHostHeader) with no custom error
/// responses, shared by the tests that need nothing else.
fn cloudfront() -> &'static CloudFront {
    static CLOUDFRONT: OnceLock<CloudFront> = OnceLock::new();
    CLOUDFRONT.get_or_init(|| CloudFront::start(&rig().origin.url(), Duration::from_secs(2)).unwrap())
}

fn get_from(cf: &CloudFront, path: &str, headers: &[(&str, &str)]) -> reqwest::blocking::Response {
    let mut request = client().get(format!("{}{path}", cf.url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().unwrap()
}

fn get(path: &str, accept: &str, language: &str) -> reqwest::blocking::Response {
    get_from(cloudfront(), path, &[("accept", accept), ("accept-language", language)])
}

fn header<'r>(r: &'r reqwest::blocking::Response, name: &str) -> Option<&'r str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[test]
fn a_healthy_answer_reaches_the_viewer_untouched() {
    let r = get("/menu", "text/html", "en");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-origin"], "fault-origin");
    assert!(r.headers().get(SOURCE).is_none(), "the function returned it as it came: {:?}", r.headers());
    assert_eq!(r.text().unwrap(), "<p>origin ok: /menu</p>");
}

#[test]
fn an_origin_502_becomes_the_branded_page_in_the_viewers_language_without_the_origins_body() {
    let r = get("/checkout?fault=status&code=502", "text/html", "fr-FR,fr;q=0.9");
    assert_eq!(r.status(), 502);
    assert_eq!(header(&r, SOURCE), Some("function"), "{:?}", r.headers());
    assert_eq!(r.headers()["content-language"], "fr");
    assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u32>().is_ok());
    let body = r.text().unwrap();
    assert!(body.contains("<meta name=\"generator\" content=\"edgepages\">"));
    assert!(!body.contains(LEAK_MARKER), "the origin's body leaked");
}

/// Restrictions on all edge functions (CloudFront Developer Guide): `Via` and `Transfer-Encoding`
/// are read-only in origin-response events, and a result that adds, changes or deletes one fails
/// validation: CloudFront's own 502. Most app errors come chunked (gunicorn, Node, Tomcat without
/// a length) or through a proxy that adds `Via` (Heroku's router: `1.1 vegur`).
#[test]
fn an_origin_error_that_came_chunked_and_through_a_proxy_still_gets_the_branded_page() {
    for query in [
        "fault=status&code=502&via=1.1%20vegur",
        "fault=status&code=503&chunked=1",
        "fault=status&code=500&chunked=1&via=1.1%20varnish",
    ] {
        let r = get(&format!("/orders?{query}"), "text/html", "en");
        assert_eq!(
            header(&r, SOURCE),
            Some("function"),
            "{query}: {:?} {:?}",
            r.headers().get("x-emulator-validation"),
            r.headers().get("x-cache")
        );
        assert!(r.status().is_server_error());
        assert!(r.text().unwrap().contains("<meta name=\"generator\" content=\"edgepages\">"), "{query}");
    }
}

#[test]
fn an_api_client_gets_problem_json_and_the_origins_retry_after() {
    let r = get("/api/orders?fault=retry_after&code=503&seconds=90", "application/json", "en");
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(r.headers()["retry-after"], "90");
    let problem: serde_json::Value = serde_json::from_str(&r.text().unwrap()).unwrap();
    assert_eq!(problem["status"], 503);
    // Only what the cache key holds: the path, never the query string.
    assert_eq!(problem["instance"], "/api/orders");
}

/// Without `Accept` in the origin request (legacy cache settings, no origin request policy) the
/// viewer was a browser as often as not: curl sends `*/*`. The page is HTML.
#[test]
fn a_browser_gets_html_where_the_behavior_forwards_no_accept_header() {
    let cf =
        CloudFront::with(&Options::new(&rig().origin.url(), Duration::from_secs(2)).behavior(json!("legacy"))).unwrap();
    // This behavior forwards no query string either: the path itself is broken.
    let path = unique("account");
    rig().origin.set_behaviour(&path, Some("fault=status&code=503"));
    let r = get_from(&cf, &path, &[("accept", BROWSER), ("accept-language", "de")]);
    rig().origin.set_behaviour(&path, None);
    assert_eq!(r.status(), 503);
    assert_eq!(header(&r, SOURCE), Some("function"));
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(r.headers()["content-language"], "en", "Accept-Language is not forwarded either");
}

/// CloudFront keeps a 5xx for at least the error caching TTL, whatever its `Cache-Control`
/// ("Control how long CloudFront caches errors"), under the cache key, which on this behavior is
/// the path alone: the next viewer of the path gets the first one's page. It must hold nothing
/// of the first viewer's: not the query string, not CloudFront's ID for their request.
#[test]
fn a_cached_error_page_holds_nothing_of_the_viewer_who_caused_it() {
    let path = unique("reset");
    rig().origin.set_behaviour(&path, Some("fault=status&code=502"));
    let first = get(&format!("{path}?token=SECRET-A"), "application/json", "en");
    let first_id = header(&first, "x-amz-cf-id").unwrap().to_owned();
    let first_body = first.text().unwrap();
    let second = get(&format!("{path}?token=B"), "application/json", "en");
    assert_eq!(header(&second, "x-cache"), Some("Error from cloudfront"));
    let second_body = second.text().unwrap();
    assert_eq!(second_body, first_body, "the second viewer got the first one's cached answer");
    assert!(!second_body.contains("SECRET-A"), "one viewer's query string reached another: {second_body}");
    assert!(!second_body.contains(&first_id), "one viewer's request ID reached another: {second_body}");
    assert_eq!(rig().origin.hits("GET", &path), 1, "the origin was asked once in the TTL");
    rig().origin.set_behaviour(&path, None);
}

#[test]
fn a_hang_is_cloudfronts_own_504_where_no_custom_error_response_brands_it() {
    // The origin-response function runs "after CloudFront receives a response from the origin":
    // with none, the emulator does not call it (inferred; AWS does not say).
    let r = get(&format!("{}?fault=hang", unique("account")), "text/html", "en");
    assert_eq!(r.status(), 504);
    assert_eq!(header(&r, SOURCE), Some("cloudfront"));
    assert_eq!(header(&r, "server"), Some("CloudFront"));
}

/// AWS does not document whether a custom error response for a status replaces the function's
/// answer with that status. Each order, as the emulator runs it: after the function, the static
/// page replaces the answer; before it, the function's answer reaches the viewer. In both, the
/// static page brands CloudFront's own 504 (the function did not run).
#[test]
fn custom_error_responses_brand_what_the_function_did_not_answer_in_either_order() {
    for order in Order::BOTH {
        let options = Options::new(&rig().origin.url(), Duration::from_secs(1)).with_pages(&[502, 503, 504], order);
        let cf = CloudFront::with(&options).unwrap();
        let api =
            get_from(&cf, &format!("{}?fault=status&code=503", unique("api-cart")), &[("accept", "application/json")]);
        assert_eq!(api.status(), 503, "{order:?}");
        let expected = match order {
            Order::AfterFunction => ("custom-error-response", "text/html; charset=utf-8"),
            Order::BeforeFunction => ("function", "application/problem+json"),
        };
        assert_eq!((header(&api, SOURCE).unwrap(), header(&api, "content-type").unwrap()), expected, "{order:?}");

        let hang = get_from(&cf, &format!("{}?fault=hang", unique("slow")), &[("accept", BROWSER)]);
        assert_eq!(hang.status(), 504, "{order:?}");
        assert_eq!(header(&hang, SOURCE), Some("custom-error-response"), "{order:?}");
        assert!(hang.text().unwrap().contains("<meta name=\"generator\" content=\"edgepages\">"));
    }
}

/// The origin response timeout restarts with each packet ("Origin response timeout",
/// RequestAndResponseBehaviorCustomOrigin): an origin that trickles its answer is never cut off,
/// however long the whole takes. Seed 000's bound holds only for an origin that sends nothing.
#[test]
fn an_origin_that_trickles_is_not_cut_off_by_the_read_timeout() {
    let read_timeout = Duration::from_millis(400);
    let cf = CloudFront::start(&rig().origin.url(), read_timeout).unwrap();
    let started = Instant::now();
    // About 80 bytes of status line and headers, one every 20 ms: over a second and a half.
    let r = get_from(&cf, &format!("{}?fault=drip&ms=20", unique("report")), &[("accept", BROWSER)]);
    let took = started.elapsed();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "ok");
    assert!(took > read_timeout * 3, "{took:?}: the whole answer took several read timeouts");
}

//! The worker end to end, in real workerd (`wrangler dev`), in front of a fault-injecting origin.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read as _;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use common::{
    BYPASS_SECRET, DEADLINE_MS, SHORT_BYPASS_SECRET, SLACK_MS, assert_branded_error, browser, browser_on, chaos_turn,
    chaos_worker, client, client_from, header, maintenance_worker, prefixed_worker, rig, route_mode_worker,
    trickle_post, unique, unresolvable_worker, visitor_ip, worker,
};
use edgepages_core::stale;
use edgepages_e2e::fault_origin::LEAK_MARKER;
use edgepages_e2e::worker::Worker;

#[test]
fn healthy_responses_pass_through_untouched() {
    let path = unique("ok");
    let resp = browser(&path).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(header(&resp, "x-origin"), "fault-origin");
    assert_eq!(header(&resp, "content-type"), "text/html; charset=utf-8");
    assert!(resp.headers().get("x-edgepages").is_none());
    assert_eq!(resp.text().unwrap(), format!("<p>origin ok: {path}</p>"));
}

#[test]
fn requests_reach_the_origin_as_sent_less_the_bypass_secret() {
    let url = format!("{}{}?fault=echo", worker().url, unique("echo"));
    for method in [reqwest::Method::GET, reqwest::Method::PUT, reqwest::Method::POST] {
        let body = if method == reqwest::Method::GET { String::new() } else { format!("order=42&via={method}") };
        let resp = client()
            .request(method.clone(), &url)
            .header("x-custom", "kept, as sent")
            .header("cookie", "session=abc")
            .header("authorization", "Bearer token-1")
            .header("x-edgepages-bypass", "a-secret-that-must-not-travel")
            .body(body.clone())
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{method}");
        let seen: serde_json::Value = serde_json::from_str(&resp.text().unwrap()).unwrap();
        let headers: Vec<(String, String)> = serde_json::from_value(seen["headers"].clone()).unwrap();
        let has = |name: &str, value: &str| headers.iter().any(|(n, v)| n == name && v == value);
        assert_eq!(seen["method"], method.as_str());
        assert_eq!(seen["body"], body.as_str(), "{method}: the body did not arrive intact");
        assert!(has("x-custom", "kept, as sent") && has("cookie", "session=abc"), "{method}: {headers:?}");
        assert!(has("authorization", "Bearer token-1"), "{method}: {headers:?}");
        assert!(!headers.iter().any(|(n, _)| n == "x-edgepages-bypass"), "{method}: the bypass secret travelled on");
    }
}

/// What the echo fault saw: its method, path and headers.
fn echoed(resp: reqwest::blocking::Response) -> (String, Vec<(String, String)>, String) {
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().unwrap();
    let seen: serde_json::Value = serde_json::from_str(&text).unwrap();
    let headers: Vec<(String, String)> = serde_json::from_value(seen["headers"].clone()).unwrap();
    (seen["path"].as_str().unwrap_or_default().to_owned(), headers, text)
}

fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn the_bypass_secret_reaches_the_origin_nowhere_on_either_path() {
    // The fast path (JS sends it): the secret in the header and in a cookie between two others.
    let secret = "a-secret-that-must-not-travel";
    let resp = client()
        .get(format!("{}{}?fault=echo", worker().url, unique("secret-fast")))
        .header("x-edgepages-bypass", secret)
        .header("cookie", format!("theme=dark; edgepages_bypass={secret};lang=\"cy; x\""))
        .send()
        .unwrap();
    let (_, headers, raw) = echoed(resp);
    assert!(!raw.contains(secret), "the secret reached the origin: {raw}");
    assert_eq!(header_in(&headers, "cookie"), Some("theme=dark;lang=\"cy; x\""), "other cookies byte for byte");
    // A cookie header holding nothing but the secret goes altogether.
    let resp = client()
        .get(format!("{}{}?fault=echo", worker().url, unique("secret-only")))
        .header("cookie", format!("edgepages_bypass={secret}"))
        .send()
        .unwrap();
    let (_, headers, raw) = echoed(resp);
    assert!(!raw.contains(secret) && header_in(&headers, "cookie").is_none(), "{raw}");

    // The Rust path: during maintenance, the team's bypassed request is sent by the handler.
    let resp = client()
        .get(format!("{}{}?fault=echo", maintenance_worker().url, unique("secret-handler")))
        .header("cookie", format!("session=abc; edgepages_bypass={BYPASS_SECRET}; lang=cy"))
        .send()
        .unwrap();
    let (_, headers, raw) = echoed(resp);
    assert!(!raw.contains(BYPASS_SECRET), "the secret reached the origin: {raw}");
    assert_eq!(header_in(&headers, "cookie"), Some("session=abc; lang=cy"));
    let resp = client()
        .get(format!("{}{}?fault=echo", maintenance_worker().url, unique("secret-header")))
        .header("x-edgepages-bypass", BYPASS_SECRET)
        .send()
        .unwrap();
    let (_, _, raw) = echoed(resp);
    assert!(!raw.contains(BYPASS_SECRET), "the secret reached the origin: {raw}");
}

#[test]
fn a_rewritten_host_is_named_to_the_origin_and_a_path_in_origin_url_is_honoured() {
    let path = unique("forwarded");
    let (seen_path, headers, _) = echoed(client().get(format!("{}{path}?fault=echo", worker().url)).send().unwrap());
    assert_eq!(seen_path, path);
    let public_host = worker().url.trim_start_matches("http://").to_owned();
    assert_eq!(header_in(&headers, "x-forwarded-host"), Some(public_host.as_str()));
    assert_eq!(header_in(&headers, "x-forwarded-proto"), Some("http"));
    assert_eq!(header_in(&headers, "host"), Some(rig().origin.url().trim_start_matches("http://")));

    // ORIGIN_URL = <origin>/base: the path goes before each request's, and the start says so.
    let (seen_path, _, _) = echoed(client().get(format!("{}{path}?fault=echo", prefixed_worker().url)).send().unwrap());
    assert_eq!(seen_path, format!("/base{path}"));
    let line = prefixed_worker().log_line("\"edgepages\":\"origin\"").unwrap_or_default();
    assert!(line.contains("\"path_prefix\":\"/base\""), "{line}");
}

#[test]
fn production_mode_sends_each_request_to_its_own_url() {
    // ORIGIN_URL empty, as on a Cloudflare route: the request goes to its own host, unchanged.
    let path = unique("route-mode");
    let (seen_path, headers, _) =
        echoed(client().get(format!("{}{path}?fault=echo", route_mode_worker().url)).send().unwrap());
    assert_eq!(seen_path, path);
    // Nothing was rewritten, and the edge still names the visitor's side itself.
    let public_host = rig().origin.url().trim_start_matches("http://").to_owned();
    assert_eq!(header_in(&headers, "host"), Some(public_host.as_str()));
    assert_eq!(header_in(&headers, "x-forwarded-host"), Some(public_host.as_str()));
    let ok = browser_on(route_mode_worker(), &unique("route-ok")).send().unwrap();
    assert_eq!(header(&ok, "x-origin"), "fault-origin");
    let failing = unique("route-502");
    assert_branded_error(
        browser_on(route_mode_worker(), &format!("{failing}?fault=status&code=502")).send().unwrap(),
        502,
    );
    let reset = unique("route-reset");
    assert_branded_error(browser_on(route_mode_worker(), &format!("{reset}?fault=reset")).send().unwrap(), 502);
    assert_eq!(rig().origin.hits("GET", &reset), 2, "one retry of a GET after a reset, in this mode too");
}

#[test]
fn a_bypass_secret_too_short_is_refused_with_a_log_line_never_the_secret() {
    let worker = route_mode_worker();
    let resp = client().get(format!("{}{}", worker.url, unique("short-secret"))).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let line = worker
        .log_line("\"var\":\"MAINTENANCE_BYPASS\"")
        .unwrap_or_else(|| panic!("no line about the secret: {}", worker.log()));
    assert!(line.contains("refused") && line.contains("16"), "{line}");
    assert!(!worker.log().contains(SHORT_BYPASS_SECRET), "the secret was logged");
}

#[test]
fn a_safe_request_with_a_body_is_never_sent_twice() {
    // OPTIONS is safe, so a bodiless one is retried after a reset; one with a body never is.
    let url = |path: &str| format!("{}{path}?fault=reset", worker().url);
    let (bodiless, with_body) = (unique("options"), unique("options-body"));
    let send = |path: &str, body: &'static str| {
        client().request(reqwest::Method::OPTIONS, url(path)).header("accept", "text/html").body(body).send().unwrap()
    };
    assert_branded_error(send(&bodiless, ""), 502);
    assert_eq!(rig().origin.hits("OPTIONS", &bodiless), 2, "a bodiless OPTIONS gets its one retry");
    assert_branded_error(send(&with_body, "a body on a safe method"), 502);
    assert_eq!(rig().origin.hits("OPTIONS", &with_body), 1, "a request with a body was sent twice");
}

#[test]
fn a_stray_rejection_fails_no_request_in_flight() {
    // Requests held in the async handler (the chaos hook sleeps a second before answering their
    // origin's 503), while another request leaves an unhandled rejection in the isolate.
    // Started first, so that the held requests are in flight before the stray one is sent.
    let _turn = chaos_turn();
    let base = chaos_worker().url.clone();
    let url = |path: String| format!("{base}{path}");
    let answers = std::thread::scope(|s| {
        let held: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let resp = client()
                        .get(url(format!("{}?fault=status&code=503", unique("in-flight"))))
                        .header("accept", "text/html")
                        .header("x-edgepages-chaos", "sleep")
                        .send()
                        .unwrap();
                    (resp.status().as_u16(), header(&resp, "x-edgepages"))
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(400));
        let stray = client().get(url(format!("{}?chaos=reject", unique("stray")))).send().unwrap();
        assert_eq!(stray.status().as_u16(), 200, "the request that left the rejection is answered as usual");
        held.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
    });
    for (status, marker) in answers {
        assert_eq!((status, marker.split(';').next()), (503, Some("error")), "{marker}");
        assert!(!marker.contains("kind=fallback"), "a stray rejection failed a request in flight: {marker}");
    }
    // The entry's own log line for it (others, such as what a panic leaves behind, may come first).
    let logged = chaos_worker().log_line(r#""error":"chaos: a stray rejection"#).unwrap_or_default();
    assert!(logged.contains(r#"{"edgepages":"stray_error""#), "the rejection never happened: {}", chaos_worker().log());
}

#[test]
fn redirects_are_handed_back_not_followed() {
    let path = unique("moved");
    let resp = browser(&format!("{path}?fault=redirect&to=/elsewhere")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    assert_eq!(header(&resp, "location"), "/elsewhere");
    assert_eq!(rig().origin.hits("GET", "/elsewhere"), 0, "the worker followed the redirect");
}

#[test]
fn client_errors_pass_through() {
    let resp = browser(&format!("{}?fault=status&code=404", unique("missing"))).send().unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert!(resp.headers().get("x-edgepages").is_none());
    // A 404 is the origin's business: its own body is what the visitor sees.
    assert!(resp.text().unwrap().contains(LEAK_MARKER));
}

#[test]
fn origin_5xx_become_branded_pages_with_the_real_status() {
    for code in [500, 502, 503, 504] {
        let path = unique("status");
        let resp = browser(&format!("{path}?fault=status&code={code}")).send().unwrap();
        let body = assert_branded_error(resp, code);
        assert!(body.contains(&format!("Error {code}")), "{code}");
        assert_eq!(rig().origin.hits("GET", &path), 1, "an origin 5xx is never retried");
    }
}

#[test]
fn a_hung_origin_gets_a_branded_504_at_the_deadline() {
    let started = Instant::now();
    let resp = browser(&format!("{}?fault=hang", unique("hang"))).send().unwrap();
    let elapsed = started.elapsed();
    let body = assert_branded_error(resp, 504);
    assert!(body.contains("taking too long"));
    assert!(elapsed >= Duration::from_millis(DEADLINE_MS - 50), "answered before the deadline: {elapsed:?}");
    assert!(elapsed <= Duration::from_millis(DEADLINE_MS + SLACK_MS), "deadline not held: {elapsed:?}");
}

#[test]
fn headers_dripped_past_the_deadline_are_cut() {
    let started = Instant::now();
    let resp = browser(&format!("{}?fault=drip&ms=100", unique("drip"))).send().unwrap();
    assert_branded_error(resp, 504);
    assert!(started.elapsed() <= Duration::from_millis(DEADLINE_MS + SLACK_MS));
}

#[test]
fn a_reset_connection_is_a_502_and_safe_requests_get_one_retry() {
    let path = unique("reset");
    let body = assert_branded_error(browser(&format!("{path}?fault=reset")).send().unwrap(), 502);
    assert!(body.contains("Error 502"));
    assert_eq!(rig().origin.hits("GET", &path), 2, "a GET is retried once after a connect failure");
}

#[test]
fn an_origin_whose_name_does_not_resolve_is_a_502() {
    // workerd reports a failed DNS lookup to the worker only as "internal error", so locally the
    // cause is `other`; on Cloudflare it arrives as 530/523 and is classified `dns`.
    let resp = client().get(format!("{}/x", unresolvable_worker().url)).header("accept", "text/html").send().unwrap();
    assert!(header(&resp, "x-edgepages").contains("kind=bad_gateway"));
    assert_branded_error(resp, 502);
}

#[test]
fn a_failure_mid_body_aborts_the_stream() {
    let mut resp = browser(&format!("{}?fault=reset_body", unique("reset-body"))).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mut body = Vec::new();
    // The 1000 bytes sent before the reset stream through; then the client sees an incomplete
    // body, never a short one that looks whole.
    let read = resp.read_to_end(&mut body);
    assert!(read.is_err(), "a cut body must end in an error, not look complete");
    assert_eq!(body, vec![b'x'; 1000]);
}

#[test]
fn head_gets_the_pages_headers_without_a_body_and_one_retry() {
    let path = unique("head-reset");
    let resp =
        client().head(format!("{}{path}?fault=reset", worker().url)).header("accept", "text/html").send().unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(header(&resp, "content-type"), "text/html; charset=utf-8");
    assert!(header(&resp, "retry-after").parse::<u32>().is_ok());
    assert_eq!(resp.bytes().unwrap().len(), 0);
    assert_eq!(rig().origin.hits("HEAD", &path), 2, "HEAD is safe: one retry after a connect failure");
}

#[test]
fn unsafe_requests_are_never_retried() {
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let path = unique("unsafe");
        let resp = client()
            .request(method.parse().unwrap(), format!("{}{path}?fault=reset", worker().url))
            .header("accept", "text/html")
            .body("order=42")
            .send()
            .unwrap();
        assert_branded_error(resp, 502);
        assert_eq!(rig().origin.hits(method, &path), 1, "{method} was sent more than once");
    }
}

#[test]
fn api_clients_get_problem_json_or_the_origins_own_json_error() {
    let resp = client()
        .get(format!("{}{}?fault=hang", worker().url, unique("api")))
        .header("accept", "application/json")
        .header("x-request-id", "req-e2e-123")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 504);
    assert_eq!(header(&resp, "content-type"), "application/problem+json");
    let retry_after: u64 = header(&resp, "retry-after").parse().unwrap();
    let json: serde_json::Value = serde_json::from_str(&resp.text().unwrap()).unwrap();
    assert_eq!(json["status"], 504);
    assert_eq!(json["title"], "Gateway Timeout");
    assert_eq!(json["request_id"], "req-e2e-123");
    assert_eq!(json["retry_after"], retry_after);

    // The origin's own JSON error reaches an API client untouched...
    let path = unique("api-json");
    let resp = client()
        .get(format!("{}{path}?fault=json&code=503", worker().url))
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(resp.text().unwrap(), "{\"error\":\"database unavailable\",\"code\":503}");
    // ...but a browser gets the branded page instead.
    assert_branded_error(browser(&format!("{path}?fault=json&code=503")).send().unwrap(), 503);
}

#[test]
fn curl_gets_plain_text() {
    let resp = client().get(format!("{}{}?fault=status&code=502", worker().url, unique("curl"))).send().unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(header(&resp, "content-type"), "text/plain; charset=utf-8");
    let text = resp.text().unwrap();
    assert!(text.starts_with("Example Shop\nError 502: "), "the site's name, then the error: {text}");
    assert!(!text.contains(LEAK_MARKER));
}

#[test]
fn pages_speak_the_visitors_language() {
    let path = format!("{}?fault=status&code=503", unique("lang"));
    let url = format!("{}{path}", worker().url);
    let welsh =
        client().get(&url).header("accept", "text/html").header("accept-language", "cy-GB,en;q=0.5").send().unwrap();
    assert_eq!(header(&welsh, "content-language"), "cy");
    assert!(welsh.text().unwrap().contains("<html lang=\"cy\" dir=\"ltr\">"));
    let arabic = client().get(&url).header("accept", "text/html").header("accept-language", "ar").send().unwrap();
    assert!(arabic.text().unwrap().contains("<html lang=\"ar\" dir=\"rtl\">"));
    let japanese = client().get(&url).header("accept", "text/html").header("accept-language", "ja").send().unwrap();
    assert!(japanese.text().unwrap().contains("<html lang=\"en\" dir=\"ltr\">"));
}

#[test]
fn the_origins_retry_after_is_kept() {
    let resp = browser(&format!("{}?fault=retry_after&code=503&seconds=120", unique("ra"))).send().unwrap();
    assert_eq!(header(&resp, "retry-after"), "120");
    assert_branded_error(resp, 503);
}

#[test]
fn cloudflare_52x_from_the_subrequest_are_classified() {
    let resp = browser(&format!("{}?fault=status&code=522", unique("cf522"))).send().unwrap();
    assert!(header(&resp, "x-edgepages").contains("cause=timeout"));
    assert_branded_error(resp, 504);
}

#[test]
fn a_slow_path_with_a_longer_deadline_is_not_cut() {
    // edgepages.toml gives /reports 30 s; everything else has the worker's 1 s.
    let started = Instant::now();
    let resp = browser("/reports/q3?fault=slow&ms=2000").send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().unwrap(), "<p>slow but fine</p>");
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_branded_error(browser(&format!("{}?fault=slow&ms=2000", unique("not-reports"))).send().unwrap(), 504);
}

#[test]
fn bodies_stream_through_without_buffering() {
    // The origin sends headers and 100 bytes, then hangs: a buffering proxy would never answer.
    let mut resp = browser(&format!("{}?fault=hang_body", unique("hang-body"))).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mut first = [0u8; 100];
    resp.read_exact(&mut first).unwrap();
    assert_eq!(first, [b'x'; 100]);
}

#[test]
fn a_huge_body_streams_through_intact() {
    let mib = 16;
    let mut resp = browser(&format!("{}?fault=huge&mb={mib}", unique("huge"))).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mut total = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = resp.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(buf[..n].iter().all(|b| *b == b'e'));
        total += n;
    }
    assert_eq!(total, mib * 1024 * 1024);
}

#[test]
fn a_panic_inside_the_worker_still_gets_the_branded_page() {
    let _turn = chaos_turn();
    let url = |path: String| format!("{}{path}", chaos_worker().url);
    let panics = [
        // In the fast path's synchronous route, before the request is sent.
        client().get(url(format!("{}?chaos=panic", unique("panic-route")))),
        // In the async handler, answering a failure the fast path handed over.
        client()
            .get(url(format!("{}?fault=status&code=502", unique("panic-handler"))))
            .header("x-edgepages-chaos", "panic"),
    ];
    for request in panics {
        let resp = request.send().unwrap();
        assert_eq!(header(&resp, "x-edgepages"), "error; kind=fallback; cause=internal");
        let body = assert_branded_error(resp, 500);
        assert!(body.contains("This page is unavailable"));
        // And the worker recovers for the next visitor, on either path.
        assert_eq!(client().get(url(unique("after-panic"))).send().unwrap().status().as_u16(), 200);
        let failing = client().get(url(format!("{}?fault=status&code=503", unique("after-panic")))).send().unwrap();
        assert_eq!(header(&failing, "x-edgepages").split(';').next(), Some("error"));
        assert_eq!(failing.status().as_u16(), 503);
    }
}

#[test]
fn request_ids_are_shown_and_each_interception_is_logged_once() {
    let id = format!("e2e-log-{}", std::process::id());
    let path = unique("logged");
    let resp =
        browser(&format!("{path}?fault=status&code=500&token=s3cret")).header("x-request-id", &id).send().unwrap();
    let body = assert_branded_error(resp, 500);
    assert!(body.contains(&format!("<dd>{id}</dd>")));

    let started = Instant::now();
    let line = loop {
        if let Some(line) = worker().log().lines().find(|l| l.contains(&id)).map(str::to_owned) {
            break line;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no log line for {id}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let json: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(json["edgepages"], "intercepted");
    assert_eq!(json["path"], path.as_str());
    assert_eq!(json["outcome"], "status_500");
    assert_eq!(json["decision"]["status"], 500);
    assert!(json["ms"].is_u64());
    assert!(!line.contains("s3cret"), "query strings are never logged");
    assert_eq!(worker().log().matches(&id).count(), 1, "exactly one line per intercepted request");
}

#[test]
fn maintenance_answers_without_troubling_the_origin_and_the_team_gets_through() {
    let path = unique("maint");
    let url = format!("{}{path}", maintenance_worker().url);
    let resp = client().get(&url).header("accept", "text/html").send().unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    // With a published end, Retry-After is the time left until it, spread over at most a minute
    // past it, and at most a day (core's status::eta::until_end): this end is in 2099.
    let retry_after: u64 = header(&resp, "retry-after").parse().unwrap();
    assert!((86_400..=86_460).contains(&retry_after), "{retry_after} for an end in 2099");
    let body = resp.text().unwrap();
    assert!(body.contains("planned maintenance"));
    assert!(body.contains("datetime=\"2099-01-01T00:00:00Z\""));
    let post = client().post(&url).header("accept", "application/json").body("x").send().unwrap();
    assert_eq!(post.status().as_u16(), 503);
    assert_eq!(rig().origin.hits_any(&path), 0, "maintenance must not reach the origin");

    let team = client().get(&url).header("x-edgepages-bypass", BYPASS_SECRET).send().unwrap();
    assert_eq!(team.status().as_u16(), 200);
    let wrong = client().get(&url).header("x-edgepages-bypass", "not-the-secret-at-all").send().unwrap();
    assert_eq!(wrong.status().as_u16(), 503);
    let cookie = client().get(&url).header("cookie", format!("a=b; edgepages_bypass={BYPASS_SECRET}")).send().unwrap();
    assert_eq!(cookie.status().as_u16(), 200);
    assert_eq!(rig().origin.hits("GET", &path), 2);
}

#[test]
fn extreme_paths_and_headers_still_get_the_branded_page() {
    // A long path, a long request ID, a long and malformed Accept-Language, and many headers:
    // the answer is the branded page (or the origin's own), never the platform's exception.
    let long_path = format!("{}/{}", unique("long"), "a".repeat(6000));
    let resp = browser(&format!("{long_path}?fault=status&code=502")).send().unwrap();
    let body = assert_branded_error(resp, 502);
    // The page shows the path cut to 160 characters with an ellipsis, never the whole of it.
    assert!(!body.contains(&"a".repeat(161)), "the long path is not echoed whole");
    assert!(body.contains(&format!("{}…", "a".repeat(100))), "the shown path ends in an ellipsis");

    let mut request = browser(&format!("{}?fault=status&code=503", unique("headers")))
        .header("x-request-id", "r".repeat(6000))
        .header("accept-language", format!("{};q=0.9,{}", "x".repeat(3000), ",;q=,".repeat(500)))
        .header("accept", "text/html;q=0.9,".repeat(200));
    for i in 0..60 {
        request = request.header(format!("x-filler-{i}"), "v".repeat(100));
    }
    let resp = request.send().unwrap();
    let body = assert_branded_error(resp, 503);
    assert!(!body.contains(&"r".repeat(200)), "an oversized request ID is not echoed whole");

    let resp = client().get(format!("{}/{}?fault=ok", worker().url, "%F0%9F%92%A5".repeat(500))).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200, "a long percent-encoded path passes through");
}

/// Requests `path` until the worker answers with its kept copy (keeping happens after the
/// healthy answer has gone, so the first failure may come before the copy is written).
/// The isolate's ration of cache writes, shared by every test in this rig. The one test that
/// spends it on purpose holds it alone and gives it back whole; a test that needs a copy kept
/// holds a share, so that its copy is never refused for want of room another test took.
static WRITE_BUDGET: RwLock<()> = RwLock::new(());

fn share_of_the_write_budget() -> RwLockReadGuard<'static, ()> {
    WRITE_BUDGET.read().unwrap_or_else(PoisonError::into_inner)
}

/// The whole write budget, for a test that spends it: when dropped, it waits for the budget to
/// refill before letting the other tests at it, whether the test passed or not.
struct WholeWriteBudget(#[allow(dead_code)] RwLockWriteGuard<'static, ()>);

impl WholeWriteBudget {
    fn take() -> WholeWriteBudget {
        WholeWriteBudget(WRITE_BUDGET.write().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Drop for WholeWriteBudget {
    fn drop(&mut self) {
        let refill_ms = u64::from(stale::WRITE_BURST) * 1000 / u64::from(stale::WRITES_PER_S);
        std::thread::sleep(Duration::from_millis(refill_ms + 500));
    }
}

fn until_stale(path: &str) -> reqwest::blocking::Response {
    until_stale_on(worker(), path)
}

fn until_stale_on(worker: &Worker, path: &str) -> reqwest::blocking::Response {
    let started = Instant::now();
    loop {
        let resp = browser_on(worker, path).send().unwrap();
        if header(&resp, "x-edgepages").starts_with("stale") || started.elapsed() > Duration::from_secs(5) {
            return resp;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_failing_page_is_answered_with_its_last_good_copy() {
    let _budget = share_of_the_write_budget();
    let path = unique("stale");
    let healthy = browser(&path).send().unwrap();
    assert_eq!(healthy.status().as_u16(), 200);
    let original = healthy.text().unwrap();

    for fault in ["fault=status&code=502", "fault=hang", "fault=reset"] {
        rig().origin.set_behaviour(&path, Some(fault));
        let resp = until_stale(&path);
        assert_eq!(resp.status().as_u16(), 200, "{fault}");
        let marker = header(&resp, "x-edgepages");
        assert!(marker.starts_with("stale; age="), "{fault}: {marker}");
        assert_eq!(header(&resp, "cache-control"), "no-store", "a stale answer is never cached downstream");
        assert_eq!(header(&resp, "x-origin"), "fault-origin", "the origin's own headers are kept");
        assert!(header(&resp, "x-edgepages-stored-at").is_empty(), "the edge's bookkeeping stays inside");
        assert_eq!(resp.text().unwrap(), original, "{fault}: the copy is the origin's page, with no banner");
    }
    assert!(header(&until_stale(&path), "x-edgepages").ends_with("cause=reset"));

    // Only a GET that can use the copy gets it: a form post, and an API client, hear the truth.
    let url = format!("{}{path}", worker().url);
    rig().origin.set_behaviour(&path, Some("fault=status&code=503"));
    let post = client().post(&url).header("accept", "text/html").body("x").send().unwrap();
    assert_branded_error(post, 503);
    let api = client().get(&url).header("accept", "application/json").send().unwrap();
    assert_eq!(api.status().as_u16(), 503);
    assert_eq!(header(&api, "content-type"), "application/problem+json");
    rig().origin.set_behaviour(&path, None);
}

#[test]
fn personal_pages_are_never_served_to_someone_else() {
    /// The origin's standing query for the healthy answer, a request header, and why it is personal.
    type Case = (&'static str, Option<(&'static str, &'static str)>, &'static str);
    let _budget = share_of_the_write_budget();
    // Each case is a page that was healthy once, then failed for an anonymous visitor.
    let cases: [Case; 5] = [
        ("set_cookie=1", None, "the answer set a cookie"),
        ("", Some(("authorization", "Bearer personal-token")), "the request was authorised"),
        ("cache_control=private%2C+max-age%3D60", None, "the answer was private"),
        ("vary=Cookie", None, "the answer varied on cookies"),
        ("", Some(("cookie", "session=personal-0123")), "the request had cookies and the answer was not public"),
    ];
    let mut paths = Vec::new();
    for (query, request_header, why) in cases {
        let path = unique("personal");
        rig().origin.set_behaviour(&path, Some(query));
        let mut request = browser(&path);
        if let Some((name, value)) = request_header {
            request = request.header(name, value);
        }
        assert_eq!(request.send().unwrap().status().as_u16(), 200, "{why}");
        paths.push((path, why));
    }
    // The control: a public page requested with cookies is kept, so the cases above were not
    // merely too quick for the copy to be written.
    let control = unique("public");
    rig().origin.set_behaviour(&control, Some("cache_control=public%2C+max-age%3D60"));
    let first = browser(&control).header("cookie", "theme=dark").send().unwrap();
    assert_eq!(first.status().as_u16(), 200);
    rig().origin.set_behaviour(&control, Some("fault=status&code=502"));
    assert!(header(&until_stale(&control), "x-edgepages").starts_with("stale"), "the control page was not kept");

    for (path, why) in paths {
        rig().origin.set_behaviour(&path, Some("fault=status&code=502"));
        let body = assert_branded_error(browser(&path).send().unwrap(), 502);
        assert!(!body.contains("origin ok"), "{why}: a personal page was served to someone else");
        rig().origin.set_behaviour(&path, None);
    }
}

/// Makes `paths` fail with a 502 and returns, for each, whether its answer was a stale copy.
fn served_stale_after_failing(paths: &[String]) -> Vec<bool> {
    paths
        .iter()
        .map(|path| {
            rig().origin.set_behaviour(path, Some("fault=status&code=502"));
            let resp = browser(path).send().unwrap();
            let stale = header(&resp, "x-edgepages").starts_with("stale");
            if !stale {
                assert_branded_error(resp, 502);
            }
            rig().origin.set_behaviour(path, None);
            stale
        })
        .collect()
}

#[test]
fn pages_the_origin_says_to_revalidate_are_never_served_stale() {
    let _budget = share_of_the_write_budget();
    let mut paths = Vec::new();
    for cc in ["no-cache", "max-age%3D60%2C+must-revalidate", "public%2C+proxy-revalidate"] {
        let path = unique("revalidate");
        rig().origin.set_behaviour(&path, Some(&format!("cache_control={cc}")));
        assert_eq!(browser(&path).send().unwrap().status().as_u16(), 200);
        paths.push(path);
    }
    // The control, kept at the same time: so the pages above were not merely too quick to keep.
    let control = unique("revalidate-control");
    assert_eq!(browser(&control).send().unwrap().status().as_u16(), 200);
    rig().origin.set_behaviour(&control, Some("fault=status&code=502"));
    assert!(header(&until_stale(&control), "x-edgepages").starts_with("stale"), "the control was not kept");
    rig().origin.set_behaviour(&control, None);
    assert_eq!(served_stale_after_failing(&paths), [false, false, false], "a page to revalidate was served stale");
}

#[test]
fn the_origins_stale_if_error_caps_the_copys_age() {
    let _budget = share_of_the_write_budget();
    let (capped, control) = (unique("sie-capped"), unique("sie-control"));
    rig().origin.set_behaviour(&capped, Some("cache_control=max-age%3D0%2C+stale-if-error%3D1"));
    for path in [&capped, &control] {
        assert_eq!(browser(path).send().unwrap().status().as_u16(), 200);
    }
    rig().origin.set_behaviour(&control, Some("fault=status&code=502"));
    assert!(header(&until_stale(&control), "x-edgepages").starts_with("stale"), "the control was not kept");
    rig().origin.set_behaviour(&control, None);
    // Both copies are kept; the capped one may be served for 1 s only.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(served_stale_after_failing(&[capped, control]), [false, true], "stale-if-error=1 was not obeyed");
}

#[test]
fn a_page_of_unknown_length_is_kept_only_up_to_2_mib() {
    let _budget = share_of_the_write_budget();
    let (small, large) = (unique("chunked-small"), unique("chunked-large"));
    rig().origin.set_behaviour(&small, Some("fault=chunked&kb=100"));
    rig().origin.set_behaviour(&large, Some("fault=chunked&kb=3072"));
    let original = browser(&small).send().unwrap().bytes().unwrap();
    assert_eq!(original.len(), 100 * 1024);
    assert_eq!(browser(&large).send().unwrap().bytes().unwrap().len(), 3072 * 1024, "the visitor's copy is whole");

    rig().origin.set_behaviour(&small, Some("fault=status&code=502"));
    let stale = until_stale(&small);
    assert!(header(&stale, "x-edgepages").starts_with("stale"), "a small chunked page was not kept");
    assert_eq!(stale.bytes().unwrap(), original, "the kept copy is the page, byte for byte");
    // Long enough for a copy of the large page to have been written, had it been kept.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(served_stale_after_failing(&[large]), [false], "a 3 MiB page of unknown length was kept");
    rig().origin.set_behaviour(&small, None);
}

#[test]
fn random_query_strings_cannot_make_every_request_a_cache_write() {
    let _alone = WholeWriteBudget::take();
    // One page under 60 distinct query strings, as a crawler or an attacker sends them.
    let path = unique("queries");
    let urls: Vec<String> = (0..60).map(|i| format!("{path}?utm={i}")).collect();
    let started = Instant::now();
    for url in &urls {
        assert_eq!(browser(url).send().unwrap().status().as_u16(), 200);
    }
    let elapsed = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(1));
    rig().origin.set_behaviour(&path, Some("fault=status&code=502"));
    let kept =
        urls.iter().filter(|url| header(&browser(url).send().unwrap(), "x-edgepages").starts_with("stale")).count();
    rig().origin.set_behaviour(&path, None);
    // The isolate's budget: a burst of 20 writes, then 10 a second; the other tests' pages share it.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let most = 20 + (elapsed * 10.0).ceil() as usize;
    eprintln!("{kept} of 60 distinct URLs were kept in {elapsed:.2} s (at most {most})");
    assert!(kept >= 1, "nothing was kept: the budget is not what limited this");
    assert!(kept <= most, "{kept} of 60 URLs were written to the cache in {elapsed:.2} s");
}

/// Asks `worker` for `path` with `headers`, as a client that sets them itself would.
fn with_headers(worker: &Worker, path: &str, headers: &[(&str, &str)]) -> reqwest::blocking::Response {
    let mut request = browser_on(worker, path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().unwrap()
}

#[test]
fn a_client_cannot_choose_the_links_of_a_kept_copy_in_either_mode() {
    // The origin builds its links from the forwarded headers, as Rails, Django, Express and Spring
    // do behind a proxy. A client sends its own; then the page fails, and everyone gets its copy.
    let _budget = share_of_the_write_budget();
    let poison = [
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "https"),
        ("forwarded", "for=198.51.100.1;host=evil.example;proto=https"),
        ("x-forwarded-for", "198.51.100.1"),
    ];
    // The host the visitor asked for: the worker's own, or in route mode the site's (which
    // `--local-upstream` makes the fault origin's).
    let route_host = rig().origin.url().trim_start_matches("http://").to_owned();
    let origin_url_host = worker().url.trim_start_matches("http://").to_owned();
    for (mode, worker, public) in
        [("ORIGIN_URL", worker(), origin_url_host), ("route mode", route_mode_worker(), route_host)]
    {
        let path = unique("poison");
        rig().origin.set_behaviour(&path, Some("fault=links"));
        let first = with_headers(worker, &path, &poison).text().unwrap();
        assert!(first.contains(&format!("href=\"http://{public}/next\"")), "{mode}: the edge's own word: {first}");
        rig().origin.set_behaviour(&path, Some("fault=status&code=502"));
        let copy = until_stale_on(worker, &path);
        assert!(header(&copy, "x-edgepages").starts_with("stale"), "{mode}: the page was not kept at all");
        let copy = copy.text().unwrap();
        assert!(!copy.contains("evil.example"), "{mode}: the kept copy carries the client's links: {copy}");

        // A header the edge does not set itself, that the origin builds from: never kept.
        let prefixed = unique("poison-prefix");
        rig().origin.set_behaviour(&prefixed, Some("fault=links"));
        let first = with_headers(worker, &prefixed, &[("x-forwarded-prefix", "/evil")]).text().unwrap();
        assert!(first.contains("/evil/next"), "{mode}: the origin did not read the prefix: {first}");
        // The control, kept at the same time without the header.
        let control = unique("poison-control");
        rig().origin.set_behaviour(&control, Some("fault=links"));
        assert_eq!(browser_on(worker, &control).send().unwrap().status().as_u16(), 200);
        rig().origin.set_behaviour(&control, Some("fault=status&code=502"));
        assert!(header(&until_stale_on(worker, &control), "x-edgepages").starts_with("stale"), "{mode}: control");
        rig().origin.set_behaviour(&prefixed, Some("fault=status&code=502"));
        let body = assert_branded_error(browser_on(worker, &prefixed).send().unwrap(), 502);
        assert!(!body.contains("/evil/next"), "{mode}: a page built from X-Forwarded-Prefix was kept");
        for p in [&path, &prefixed, &control] {
            rig().origin.set_behaviour(p, None);
        }
    }
}

#[test]
fn the_origin_hears_the_visitors_address_from_the_edge_never_from_the_client() {
    let (_, headers, _) = echoed(
        client_from(23)
            .get(format!("{}{}?fault=echo", worker().url, unique("xff")))
            .header("x-forwarded-for", "198.51.100.1")
            .header("forwarded", "for=198.51.100.1")
            .send()
            .unwrap(),
    );
    let ip = visitor_ip(23);
    assert_eq!(header_in(&headers, "x-forwarded-for"), Some(ip.as_str()), "{headers:?}");
    let forwarded = header_in(&headers, "forwarded").unwrap_or_default();
    assert!(forwarded.starts_with(&format!("for={ip};host=")) && forwarded.ends_with(";proto=http"), "{forwarded}");
}

#[test]
fn the_response_deadline_starts_once_the_body_has_been_sent() {
    // A 1 s deadline, and an upload taking 2.5 s to a healthy origin: not a timeout.
    let body = "order=42&note=sent-slowly-over-a-poor-line";
    let started = Instant::now();
    let url = format!("{}{}?fault=echo", worker().url, unique("slow-upload"));
    let answer = trickle_post(&url, 24, body, Duration::from_millis(2500));
    let took = started.elapsed();
    assert_eq!(answer.status, 200, "cut after {took:?}: {:?}", answer.header("x-edgepages"));
    assert!(answer.text.contains(&format!("\"body\":\"{body}\"")), "the body did not arrive whole: {}", answer.text);
}

#[test]
fn a_bypass_cookie_on_a_second_cookie_line_never_reaches_the_origin() {
    // Two `Cookie` lines: the runtime joins them with ", ", which is not the cookie separator.
    let secret = "a-secret-that-must-not-travel";
    let resp = client()
        .get(format!("{}{}?fault=echo", worker().url, unique("cookie-lines")))
        .header("cookie", "theme=dark")
        .header("cookie", format!("edgepages_bypass={secret}"))
        .send()
        .unwrap();
    let (_, headers, raw) = echoed(resp);
    assert!(!raw.contains(secret), "the secret reached the origin: {raw}");
    assert_eq!(header_in(&headers, "cookie"), Some("theme=dark"), "the other line's cookie is kept");

    // The Rust path, in maintenance: the team's cookie on its own line lets it through, unforwarded.
    let resp = client()
        .get(format!("{}{}?fault=echo", maintenance_worker().url, unique("cookie-lines-handler")))
        .header("cookie", "session=abc")
        .header("cookie", format!("edgepages_bypass={BYPASS_SECRET}"))
        .send()
        .unwrap();
    let (_, headers, raw) = echoed(resp);
    assert!(!raw.contains(BYPASS_SECRET), "the secret reached the origin: {raw}");
    assert_eq!(header_in(&headers, "cookie"), Some("session=abc"));
}

#[test]
fn random_query_strings_on_one_page_leave_other_pages_copies_written() {
    let _alone = WholeWriteBudget::take();
    // A flood of distinct query strings on one page, while a real page is first asked for.
    let (flooded, real) = (unique("flooded"), unique("real-page"));
    let flooding = std::sync::atomic::AtomicBool::new(true);
    let sent = std::thread::scope(|s| {
        let flood: Vec<_> = (0..4)
            .map(|t| {
                let (flooded, flooding) = (&flooded, &flooding);
                s.spawn(move || {
                    let mut n = 0;
                    while flooding.load(std::sync::atomic::Ordering::Relaxed) {
                        let resp = browser(&format!("{flooded}?utm={t}-{n}")).send().unwrap();
                        assert_eq!(resp.status().as_u16(), 200);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(browser(&real).send().unwrap().status().as_u16(), 200);
        std::thread::sleep(Duration::from_millis(300));
        flooding.store(false, std::sync::atomic::Ordering::Relaxed);
        flood.into_iter().map(|t| t.join().unwrap()).sum::<u32>()
    });
    eprintln!("{sent} distinct URLs of {flooded} sent around the real page's first request");
    rig().origin.set_behaviour(&real, Some("fault=status&code=502"));
    let resp = until_stale(&real);
    rig().origin.set_behaviour(&real, None);
    assert!(header(&resp, "x-edgepages").starts_with("stale"), "the flood used up the real page's write");
}

#[test]
fn random_query_strings_on_many_pages_leave_other_pages_copies_written() {
    let _alone = WholeWriteBudget::take();
    // Distinct query strings spread over 100 pages, whose writes together outrun the isolate's,
    // while a real page is first asked for without one.
    let flooded: Vec<String> = (0..100).map(|_| unique("flooded-many")).collect();
    let real = unique("real-page-among-many");
    let flooding = std::sync::atomic::AtomicBool::new(true);
    let sent = std::thread::scope(|s| {
        let flood: Vec<_> = (0..8)
            .map(|t| {
                let (flooded, flooding) = (&flooded, &flooding);
                s.spawn(move || {
                    let mut n = 0;
                    while flooding.load(std::sync::atomic::Ordering::Relaxed) {
                        let page = &flooded[(n * 8 + t) % flooded.len()];
                        let resp = browser(&format!("{page}?utm={t}-{n}")).send().unwrap();
                        assert_eq!(resp.status().as_u16(), 200);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(2500));
        assert_eq!(browser(&real).send().unwrap().status().as_u16(), 200);
        std::thread::sleep(Duration::from_millis(300));
        flooding.store(false, std::sync::atomic::Ordering::Relaxed);
        flood.into_iter().map(|t| t.join().unwrap()).sum::<usize>()
    });
    eprintln!("{sent} distinct URLs on 100 pages sent around the real page's first request");
    rig().origin.set_behaviour(&real, Some("fault=status&code=502"));
    let resp = until_stale(&real);
    rig().origin.set_behaviour(&real, None);
    assert!(header(&resp, "x-edgepages").starts_with("stale"), "the flood used up the real page's write");
}

#[test]
fn only_so_many_copies_are_made_at_once() {
    // Ten pages asked for at once, each streaming for seconds: a copy is made as its page streams,
    // so they would all be in the isolate's memory together. At most a few are made; the rest of
    // the pages are served as usual, without a copy.
    let _alone = WholeWriteBudget::take();
    let paths: Vec<String> = (0..10).map(|_| unique("many-copies")).collect();
    // 1 MiB each, a 64 KiB chunk every 400 ms.
    for path in &paths {
        rig().origin.set_behaviour(path, Some("fault=chunked&kb=1024&ms=400"));
    }
    std::thread::scope(|s| {
        for path in &paths {
            s.spawn(move || {
                let body = browser(path).send().unwrap().bytes().unwrap();
                assert_eq!(body.len(), 1024 * 1024, "{path}: the visitor's page is whole");
            });
        }
    });
    std::thread::sleep(Duration::from_secs(1));
    let kept = served_stale_after_failing(&paths).into_iter().filter(|stale| *stale).count();
    eprintln!("{kept} of 10 pages streamed at once were kept");
    assert!(kept >= 1, "nothing was kept: the bound is not what limited this");
    assert!(kept <= stale::MAX_COPIES_IN_FLIGHT as usize, "{kept} copies were made at once");
}

//! The site's status page (`[status]`) at the edge, end to end: the worker built for
//! `tests/status-page/edgepages.toml` (into `edge/build-status`, so that the shared worker's build
//! in `edge/build` stays as it is) reads the fake status page on the rig's fault origin
//! (`fault=status_json&sample=NAME`, given to a path of each test's own as a standing behaviour,
//! and named to the worker in `STATUS_URL`).
//!
//! Each test runs the worker in workerd directly (what `wrangler dev` runs), with a fresh isolate
//! of its own: an isolate reads the status page at most once per refresh interval (30 s), so
//! tests sharing one would wait on each other's reads. Timings are asserted only as orders of
//! magnitude (a wait for the status page's two-second timeout against none at all); the figures
//! are the benchmark's.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{BYPASS_SECRET, client, header, rig, unique};
use edgepages_core::status::copy::{ANSWER_WAIT_MS, READ_TIMEOUT_MS, REFRESH_MS};
use edgepages_e2e::fault_origin::LEAK_MARKER;
use edgepages_e2e::workerd::{Build, Workerd};
use reqwest::blocking::Response;

/// The worker for the status site, its status page at a path of its own on the fault origin that
/// answers with `behaviour` (a query such as `fault=status_json&sample=markup`).
fn worker_with_status(name: &str, behaviour: &str) -> (Workerd, String) {
    let page = unique(&format!("status-page-{name}"));
    set_status_page(&page, behaviour);
    let status_url = format!("{}{page}", rig().origin.url());
    let origin = rig().origin.url();
    let vars = [
        ("ORIGIN_URL", origin.as_str()),
        ("BREAKER", "off"),
        ("STATUS_URL", status_url.as_str()),
        ("MAINTENANCE_BYPASS", BYPASS_SECRET),
    ];
    (Workerd::start(name, Build::STATUS, &vars, false).unwrap(), page)
}

/// Gives the status page at `page` a standing answer.
fn set_status_page(page: &str, behaviour: &str) {
    rig().origin.set_behaviour(&format!("{page}/api/v2/summary.json"), Some(behaviour));
}

fn get(workerd: &Workerd, path: &str, accept: &str) -> Response {
    client().get(format!("{}{path}", workerd.url)).header("accept", accept).send().unwrap()
}

/// The first answer to `path` (an origin error) whose body contains `needle`, polling for up to
/// `limit`: the isolate's first read may settle after the first branded answer's bounded wait.
fn until_shown(workerd: &Workerd, path: &str, accept: &str, needle: &str, limit: Duration) -> (u16, String, String) {
    let started = Instant::now();
    loop {
        let resp = get(workerd, path, accept);
        let (status, retry_after) = (resp.status().as_u16(), header(&resp, "retry-after"));
        let body = resp.text().unwrap();
        if body.contains(needle) {
            return (status, retry_after, body);
        }
        assert!(
            started.elapsed() < limit,
            "{needle:?} not shown after {limit:?}; last answer {status}:\n{body}\n{}",
            workerd.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How long until `path` answers `status`, polling; panics past `limit`.
fn until_status(workerd: &Workerd, path: &str, status: u16, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let now = get(workerd, path, "text/html").status().as_u16();
        if now == status {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{path} still answered {now} after {limit:?}:\n{}", workerd.log());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_teams_incident_text_is_shown_escaped_in_every_format() {
    let (workerd, _) = worker_with_status("markup", "fault=status_json&sample=markup");
    let path = format!("{}?fault=status&code=502", unique("incident"));

    let (status, _, html) = until_shown(&workerd, &path, "text/html", "Outage gnp.exe now", Duration::from_secs(5));
    assert_eq!(status, 502, "the origin's status stays");
    assert!(html.contains("<h2 id=\"ep-incident\">Latest from our status page</h2>"), "{html}");
    assert!(html.contains("<p dir=\"auto\"><strong>Outage gnp.exe now</strong></p>"), "{html}");
    // Markup became words, what is not markup is escaped, links stay text, the RTL override is gone.
    assert!(
        html.contains("alert(document.cookie) Read this ")
            && html.contains("https://evil.example/login p95 &#60; 5 s &#38; &#34;rising&#34; &#39;fast&#39;</p>"),
        "{html}"
    );
    for hostile in ["<script>alert", "<img", "javascript:", "\u{202E}", "\u{2067}", "<b>", "\u{1b}"] {
        assert!(!html.contains(hostile), "{hostile:?} reached the page:\n{html}");
    }
    assert!(html.contains("<time datetime=\"2014-05-14T20:22:40Z\">2014-05-14 20:22 UTC</time>"), "{html}");
    assert!(!html.contains(LEAK_MARKER), "the origin's error body leaked");

    let problem: serde_json::Value =
        serde_json::from_str(&get(&workerd, &path, "application/json").text().unwrap()).unwrap();
    assert_eq!(problem["status"], 502);
    assert_eq!(problem["incident"]["title"], "Outage gnp.exe now");
    assert_eq!(problem["incident"]["impact"], "critical");
    assert_eq!(problem["incident"]["updated_at"], "2014-05-14T20:22:40Z");
    assert!(problem["incident"]["update"].as_str().unwrap().ends_with("p95 < 5 s & \"rising\" 'fast'"), "{problem}");

    let text = get(&workerd, &path, "text/plain").text().unwrap();
    assert!(text.contains("Latest from our status page: Outage gnp.exe now\n"), "{text}");
    assert!(text.contains("Updated 2014-05-14 20:22 UTC.\n"), "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "control characters reached the text page");
}

#[test]
fn a_maintenance_window_switches_maintenance_on_then_off_when_it_ends() {
    let ends_in = 8;
    let (workerd, _) =
        worker_with_status("window", &format!("fault=status_json&sample=maintenance_now&ends_in={ends_in}"));
    let path = unique("window");
    // A healthy request goes on at once; it starts the isolate's first read, which lands after it.
    assert_eq!(get(&workerd, &path, "text/html").status().as_u16(), 200);
    let on_at = Instant::now();
    let (status, retry_after, html) =
        until_shown(&workerd, &path, "text/html", "We expect to be back by", Duration::from_secs(5));
    // Requests polled before the read landed went on to the origin; none after it does.
    let hits_when_on = rig().origin.hits_any(&path);
    assert_eq!(status, 503);
    assert!(html.contains("<time id=\"ep-until\" datetime=\""), "{html}");
    // The time left until the published end, spread over at most a minute past it.
    let retry_after: u64 = retry_after.parse().unwrap();
    assert!((1..=ends_in + 60).contains(&retry_after), "Retry-After {retry_after} for an end {ends_in} s away");
    assert!(html.contains(&format!("data-retry-after=\"{retry_after}\"")), "the in-page retry reads the same");
    let problem: serde_json::Value =
        serde_json::from_str(&get(&workerd, &path, "application/json").text().unwrap()).unwrap();
    assert_eq!(problem["kind"], "maintenance");
    assert!(problem["maintenance_until"].as_str().unwrap().ends_with('Z'), "{problem}");
    assert_eq!(rig().origin.hits_any(&path), hits_when_on, "maintenance must not reach the origin");

    // The team's bypass still goes through, and is never forwarded.
    let bypassed = client()
        .get(format!("{}{path}?fault=echo", workerd.url))
        .header("x-edgepages-bypass", BYPASS_SECRET)
        .send()
        .unwrap();
    assert_eq!(bypassed.status().as_u16(), 200);
    assert!(!bypassed.text().unwrap().contains(BYPASS_SECRET), "the bypass secret was forwarded");

    // Off by itself at the published end: no read, no deploy, no KV write.
    until_status(&workerd, &path, 200, Duration::from_secs(ends_in) + Duration::from_secs(5));
    assert!(on_at.elapsed() >= Duration::from_secs(ends_in - 2), "off before its end");
    let log = workerd.log();
    assert!(log.contains(r#""edgepages":"maintenance_switched""#), "{log}");
}

#[test]
fn a_maintenance_marked_completed_ends_at_the_next_read() {
    let (workerd, page) = worker_with_status("completed", "fault=status_json&sample=maintenance_now&ends_in=3600");
    let path = unique("completed");
    assert_eq!(get(&workerd, &path, "text/html").status().as_u16(), 200);
    until_status(&workerd, &path, 503, Duration::from_secs(5));
    set_status_page(&page, "fault=status_json&sample=maintenance_completed&ends_in=3600");
    // Within a refresh interval of the team's word (and a read's timeout, on a busy machine).
    let limit = Duration::from_millis(REFRESH_MS + u64::from(READ_TIMEOUT_MS)) + Duration::from_secs(3);
    let off_after = until_status(&workerd, &path, 200, limit);
    eprintln!("maintenance off {off_after:?} after the page marked it completed");
}

#[test]
fn a_hung_status_page_adds_nothing_to_a_healthy_request_and_at_most_the_bound_to_a_branded_one() {
    // The status page accepts and never answers: each read runs into its timeout (2 s).
    let (workerd, _) = worker_with_status("hang-healthy", "fault=hang");
    let started = Instant::now();
    assert_eq!(get(&workerd, &unique("hang-healthy"), "text/html").status().as_u16(), 200);
    let healthy = started.elapsed();
    assert!(
        healthy < Duration::from_millis(u64::from(READ_TIMEOUT_MS) / 2),
        "the healthy request waited for the status page: {healthy:?}"
    );

    // A branded answer with no copy of the page and a read in flight waits for it, but only the
    // bound (150 ms), far short of the read's own timeout.
    let (workerd, _) = worker_with_status("hang-branded", "fault=hang");
    let started = Instant::now();
    let resp = get(&workerd, &format!("{}?fault=status&code=502", unique("hang-branded")), "text/html");
    let branded = started.elapsed();
    assert_eq!(resp.status().as_u16(), 502);
    assert!(!resp.text().unwrap().contains("ep-incident"), "no status, no incident");
    assert!(branded >= Duration::from_millis(ANSWER_WAIT_MS - 20), "it did not wait for the read at all: {branded:?}");
    assert!(
        branded < Duration::from_millis(u64::from(READ_TIMEOUT_MS) - 500),
        "it waited for the read's timeout, not the bound: {branded:?}"
    );
    eprintln!("healthy {healthy:?}, branded {branded:?} (bound {ANSWER_WAIT_MS} ms)");
}

#[test]
fn a_broken_status_page_leaves_the_page_as_it_is_with_one_log_line() {
    for (name, behaviour) in [
        ("status-500", "fault=status&code=500"),
        ("not-json", "fault=status_json&sample=not_json"),
        ("garbage", "fault=status_json&sample=garbage"),
        ("huge-update", "fault=status_json&sample=huge_update"),
        ("over-the-cap", "fault=huge&mb=2"),
        ("over-the-cap-unannounced", "fault=chunked&kb=2048&ms=0"),
        ("hang", "fault=hang"),
    ] {
        let (workerd, _) = worker_with_status(name, behaviour);
        let path = format!("{}?fault=status&code=503", unique(name));
        let resp = get(&workerd, &path, "text/html");
        assert_eq!(resp.status().as_u16(), 503, "{name}");
        let body = resp.text().unwrap();
        assert!(body.contains("<h1>The site is busy right now</h1>"), "{name}: not the page as it is:\n{body}");
        assert!(!body.contains("ep-incident") && !body.contains("status page:"), "{name}: {body}");
        // One line for the read, naming what was wrong, with nothing of the answer's body in it.
        let started = Instant::now();
        while !workerd.log().contains("status_unread") && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = workerd.log();
        let lines: Vec<&str> = log.lines().filter(|l| l.contains("status_unread")).collect();
        assert_eq!(lines.len(), 1, "{name}: {log}");
        for leaked in [LEAK_MARKER, "DOCTYPE", "<html", "AAAAAAAAAA"] {
            assert!(!log.contains(leaked), "{name}: the status page's body reached the log:\n{log}");
        }
        eprintln!("{name}: {}", lines[0].trim());
        // Still the page as it is on the next answer, and the worker still answers healthy ones.
        assert_eq!(get(&workerd, &unique(name), "text/html").status().as_u16(), 200);
    }
}

#[test]
fn the_status_page_never_hears_the_visitors_headers() {
    let (workerd, page) = worker_with_status("headers", "fault=status_json&sample=markup");
    // The request that starts the isolate's first read carries a visitor's secrets.
    let resp = client()
        .get(format!("{}{}?fault=status&code=502", workerd.url, unique("headers")))
        .header("cookie", "session=visitor-secret")
        .header("authorization", "Bearer visitor-secret")
        .header("x-edgepages-bypass", BYPASS_SECRET)
        .header("x-visitor-marker", "visitor-secret")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    let json_path = format!("{page}/api/v2/summary.json");
    let started = Instant::now();
    let heard = loop {
        if let Some(names) = rig().origin.last_header_names(&json_path) {
            break names;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the status page was never read:\n{}", workerd.log());
        std::thread::sleep(Duration::from_millis(50));
    };
    for visitors in ["cookie", "authorization", "x-edgepages-bypass", "x-visitor-marker", "x-forwarded-for"] {
        assert!(!heard.iter().any(|name| name == visitors), "{visitors} reached the status page: {heard:?}");
    }
    assert!(heard.iter().any(|name| name == "accept"), "the read's own header is there: {heard:?}");
}

//! `edgepages status` on each provider's saved answer (`--from`), whole output pinned, its exit
//! code when the page cannot be read, and `maintenance page --until status` against a local
//! status page.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use tempfile::TempDir;

fn fixture(path: &str) -> Vec<u8> {
    fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/status").join(path)).unwrap()
}

/// A folder holding a config with `[status]` and the saved answer `answer.json`.
fn site(status: &str, answer: &[u8]) -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("edgepages.toml"), format!("[brand]\nname = \"Shop\"\n\n[status]\n{status}")).unwrap();
    fs::write(dir.path().join("answer.json"), answer).unwrap();
    dir
}

/// Runs `edgepages ARGS` in `dir`: (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("edgepages")
        .unwrap()
        .current_dir(dir)
        .env_remove("EDGEPAGES_CONFIG")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// `status --from answer.json --at AT`, as text and as JSON, pinned whole.
fn pin(name: &str, status: &str, answer: &[u8], at: &str) {
    let dir = site(status, answer);
    let (code, text, stderr) = run(dir.path(), &["status", "--from", "answer.json", "--at", at]);
    assert_eq!((code, stderr.as_str()), (0, ""), "{text}");
    insta::assert_snapshot!(format!("{name}_text"), text);
    let (code, json, _) = run(dir.path(), &["status", "--from", "answer.json", "--at", at, "--json"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(format!("{name}_json"), keys_sorted(&json));
}

/// `json` re-printed with every object's keys in order. The binary's map order depends on whether
/// serde_json's `preserve_order` is on, which another workspace member's dependency turns on when
/// the whole workspace is built (aws-smithy-mocks), so a snapshot of the raw text would pass or
/// fail by how the test was run.
fn keys_sorted(json: &str) -> String {
    fn sorted(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(sorted).collect()),
            other => other,
        }
    }
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    serde_json::to_string_pretty(&sorted(value)).unwrap() + "\n"
}

#[test]
fn statuspage_documented_during_its_maintenance() {
    pin(
        "statuspage_documented",
        "provider = \"statuspage\"\nurl = \"https://status.chargebee.com\"\n",
        &fixture("statuspage/summary-documented.json"),
        "2014-05-14T21:00:00Z",
    );
}

#[test]
fn statuspage_github_recorded_by_component() {
    pin(
        "statuspage_github",
        "provider = \"statuspage\"\nurl = \"https://www.githubstatus.com\"\ncomponents = [\"Actions\"]\n",
        &fixture("statuspage/github-incidents-2024-09-16.json"),
        "2024-09-16T22:30:00Z",
    );
}

#[test]
fn instatus_documented() {
    pin(
        "instatus_documented",
        "provider = \"instatus\"\nurl = \"https://instat.us\"\n",
        &fixture("instatus/summary-documented.json"),
        "2022-06-11T19:00:00Z",
    );
}

#[test]
fn betterstack_documented_and_recorded() {
    pin(
        "betterstack_documented",
        "provider = \"betterstack\"\nurl = \"https://status.example.com\"\ncomponents = [\"Checkout\"]\n",
        &fixture("betterstack/reports-documented-shape.json"),
        "2021-12-09T03:00:00Z",
    );
    pin(
        "betterstack_latitude",
        "provider = \"betterstack\"\nurl = \"https://status.latitude.so\"\n",
        &fixture("betterstack/latitude-index-trimmed.json"),
        "2025-06-01T06:00:00Z",
    );
}

#[test]
fn hostile_text_is_shown_as_plain_text() {
    pin(
        "statuspage_markup",
        "provider = \"statuspage\"\nurl = \"https://status.example.com\"\n",
        &fixture("hostile/statuspage-markup.json"),
        "2014-05-14T21:00:00Z",
    );
}

#[test]
fn an_unreadable_answer_exits_3_with_the_reason() {
    let dir =
        site("provider = \"statuspage\"\nurl = \"https://status.example.com\"\n", &fixture("hostile/not-json.html"));
    let (code, stdout, stderr) = run(dir.path(), &["status", "--from", "answer.json"]);
    assert_eq!((code, stdout.as_str()), (3, ""));
    insta::assert_snapshot!("unreadable_stderr", stderr);

    let bad_date = site(
        "provider = \"statuspage\"\nurl = \"https://status.example.com\"\n",
        &fixture("hostile/statuspage-bad-date.json"),
    );
    let (code, stdout, stderr) = run(bad_date.path(), &["status", "--from", "answer.json", "--json"]);
    assert_eq!(code, 3);
    assert!(stderr.contains("scheduled_maintenances[1].scheduled_until is not a time: \"half past four\""), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["read"], false);
}

#[test]
fn a_config_without_status_or_with_a_bad_one_is_an_error() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("edgepages.toml"), "[brand]\nname = \"Shop\"\n").unwrap();
    let (code, _, stderr) = run(dir.path(), &["status"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("edgepages.toml has no [status] section"), "{stderr}");

    let bad = site("provider = \"uptimerobot\"\nurl = \"http://status.example.com\"\n", b"{}");
    let (code, _, stderr) = run(bad.path(), &["status", "--from", "answer.json"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("bad_provider_stderr", stderr);
}

/// A status page on 127.0.0.1 that answers every request with `body`, for `count` requests.
fn serve(body: Vec<u8>, count: usize) -> u16 {
    serve_on("127.0.0.1", body, count)
}

/// [`serve`] on another address of the loopback interface.
fn serve_on(host: &str, body: Vec<u8>, count: usize) -> u16 {
    let listener = TcpListener::bind((host, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let mut stream = stream.unwrap();
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    port
}

#[test]
fn maintenance_until_status_takes_the_published_end() {
    // The documented summary, its "Web Tier Recycle" maintenance moved to now, ending on a
    // whole minute an hour or two from now.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let end = (now / 60 + 90) * 60;
    let time = |s: u64| humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(s)).to_string();
    let mut summary: serde_json::Value =
        serde_json::from_slice(&fixture("statuspage/summary-documented.json")).unwrap();
    summary["scheduled_maintenances"][1]["scheduled_for"] = time(now - 60).into();
    summary["scheduled_maintenances"][1]["scheduled_until"] = time(end).into();
    let port = serve(serde_json::to_vec(&summary).unwrap(), 1);
    let dir = site(&format!("provider = \"statuspage\"\nurl = \"http://127.0.0.1:{port}\"\n"), b"");
    let (code, page, stderr) = run(dir.path(), &["maintenance", "page", "--until", "status"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let iso = time(end);
    let shown = format!("{} {} UTC", &iso[..10], &iso[11..16]);
    assert!(page.contains(&shown), "{shown} not in {page}");

    // No maintenance on the page: a clear error, before any AWS call.
    summary["scheduled_maintenances"] = serde_json::json!([]);
    let port = serve(serde_json::to_vec(&summary).unwrap(), 1);
    let dir = site(&format!("provider = \"statuspage\"\nurl = \"http://127.0.0.1:{port}\"\n"), b"");
    let (code, _, stderr) = run(dir.path(), &["maintenance", "on", "--until", "status", "--target", "cloudflare"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(
            "the status page shows no scheduled maintenance in progress or to come for the site's components"
        ),
        "{stderr}"
    );
}

/// A server on `host` that answers one request with a 302 to `to`.
fn redirect(host: &str, to: String) -> u16 {
    let listener = TcpListener::bind((host, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Some(Ok(mut stream)) = listener.incoming().next() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head =
                format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = stream.write_all(head.as_bytes());
        }
    });
    port
}

#[test]
fn a_redirect_is_followed_only_to_an_address_the_config_would_take() {
    // `[status] url` must be https (http only on a loopback name, for tests); a redirect must not
    // go around that rule, or anyone on the path could feed `maintenance on --until status` an
    // end of their choosing. 127.0.0.2 is a loopback address but not a name the rule takes, so
    // it stands for a plain-http host elsewhere.
    let summary = fixture("statuspage/summary-documented.json");
    let elsewhere = serve_on("127.0.0.2", summary.clone(), 1);
    let target = format!("http://127.0.0.2:{elsewhere}/api/v2/summary.json");
    let port = redirect("127.0.0.1", target.clone());
    let dir = site(&format!("provider = \"statuspage\"\nurl = \"http://127.0.0.1:{port}\"\n"), b"");
    let (code, _, stderr) = run(dir.path(), &["status"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(&format!("redirected to {target}, which is not https")), "{stderr}");

    // A redirect to an address the config would take is followed.
    let good = serve(summary, 1);
    let port = redirect("127.0.0.1", format!("http://127.0.0.1:{good}/api/v2/summary.json"));
    let dir = site(&format!("provider = \"statuspage\"\nurl = \"http://127.0.0.1:{port}\"\n"), b"");
    let (code, _, stderr) = run(dir.path(), &["status"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
}

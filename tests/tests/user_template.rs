//! A site's own page template (`tests/user-template/`) at the edge: the worker in `wrangler dev`
//! and the packaged Lambda@Edge function behind the CloudFront stand-in, both built for that
//! config, answer with the template's markup, with a CSP that allows its own style and script,
//! and a template that fails at request time still ends in the baked fallback page.
//!
//! The worker is built into `edge/build` like every worker, so this binary starts no other.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use common::{client, header, rig, unique};
use edgepages_e2e::cloudfront::{CloudFront, Options};
use edgepages_e2e::fault_origin::LEAK_MARKER;
use edgepages_e2e::worker::{Worker, edgepages_binary, repo_root};
use reqwest::blocking::Response;
use sha2::{Digest as _, Sha256};

const CONFIG: &str = "tests/user-template/edgepages.toml";

fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        Worker::start_with_config("user-template", CONFIG, &[("ORIGIN_URL", &rig().origin.url()), ("BREAKER", "off")])
            .unwrap()
    })
}

/// The function packaged for the template's config, as `edgepages lambda-edge package` makes it
/// (which turns on the `user-template` feature itself), behind the stand-in.
fn cloudfront() -> &'static CloudFront {
    static CLOUDFRONT: OnceLock<CloudFront> = OnceLock::new();
    CLOUDFRONT.get_or_init(|| {
        let zip = repo_root().join("target/lambda-edge/edgepages-lambda-edge-user-template.zip");
        let packaged = std::process::Command::new(edgepages_binary())
            .current_dir(repo_root())
            .args(["--config", CONFIG, "lambda-edge", "package", "--out"])
            .arg(&zip)
            .output()
            .unwrap();
        assert!(packaged.status.success(), "{}", String::from_utf8_lossy(&packaged.stderr));
        CloudFront::with(&Options::new(&rig().origin.url(), Duration::from_secs(2)).zip(&zip)).unwrap()
    })
}

fn get(base: &str, path: &str, accept: &str) -> Response {
    client().get(format!("{base}{path}")).header("accept", accept).header("accept-language", "fr").send().unwrap()
}

/// The CSP's `sha256-…` source for `text`.
fn hash(text: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

fn between<'a>(body: &'a str, open: &str, close: &str) -> &'a str {
    let start = body.find(open).unwrap() + open.len();
    &body[start..start + body[start..].find(close).unwrap()]
}

/// The template's HTML page for an origin 502, in French, with a CSP naming its own style and
/// script; and its text page for curl.
fn answers_with_the_templates_markup(base: &str) {
    let r = get(base, &format!("{}?fault=status&code=502", unique("tmpl")), "text/html");
    assert_eq!(r.status(), 502);
    assert_eq!(header(&r, "content-language"), "fr");
    let csp = header(&r, "content-security-policy");
    let body = r.text().unwrap();
    assert!(body.contains("<main class=\"test-template\" data-kind=\"bad_gateway\" data-status=\"502\">"), "{body}");
    assert!(!body.contains("<meta name=\"generator\" content=\"edgepages\">"), "the bundled page answered");
    assert!(!body.contains(LEAK_MARKER), "the origin's body leaked");
    assert!(csp.contains(&format!("style-src {}", hash(between(&body, "<style>", "</style>")))), "{csp}");
    assert!(csp.contains(&format!("script-src {}", hash(between(&body, "<script>", "</script>")))), "{csp}");

    let r = get(base, &format!("{}?fault=status&code=503", unique("tmpl-text")), "text/plain");
    assert_eq!(r.status(), 503);
    assert!(r.text().unwrap().starts_with("FROM THE TEST TEMPLATE: 503 "));
}

/// A request whose path springs the template's trap: the render fails, and the baked fallback
/// page (rendered from the same template when the adapter was built) answers.
fn a_failure_at_request_time_ends_in_the_fallback(base: &str) {
    let r = get(base, &format!("{}/explode-at-the-edge?fault=status&code=502", unique("tmpl")), "text/html");
    assert_eq!(r.status(), 500);
    assert_eq!(header(&r, "x-edgepages"), "error; kind=fallback; cause=internal");
    let body = r.text().unwrap();
    assert!(body.contains("<main class=\"test-template\" data-kind=\"fallback\" data-status=\"500\">"), "{body}");
}

#[test]
fn the_worker_answers_with_the_templates_markup() {
    answers_with_the_templates_markup(&worker().url);
}

#[test]
fn the_worker_answers_a_template_failure_with_the_fallback() {
    a_failure_at_request_time_ends_in_the_fallback(&worker().url);
}

#[test]
fn the_lambda_edge_function_answers_with_the_templates_markup() {
    answers_with_the_templates_markup(&cloudfront().url);
}

#[test]
fn the_lambda_edge_function_answers_a_template_failure_with_the_fallback() {
    a_failure_at_request_time_ends_in_the_fallback(&cloudfront().url);
}

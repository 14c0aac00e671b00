//! `edgepages verify --live` against the CloudFront emulator, in each order AWS leaves open
//! (whether a custom error response replaces the Lambda@Edge function's answer), with the custom
//! error responses `publish` sets for each `custom_error_order`: the verdict, the exit code and
//! the advice a team would act on.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use common::rig;
use edgepages_core::config::load::parse;
use edgepages_e2e::cloudfront::{CloudFront, CustomError, Options, Order};
use edgepages_e2e::worker::{edgepages_binary, repo_root};
use serde_json::json;

/// The bundled config with `[cloudfront.lambda_edge]` and this order, in a folder of its own.
fn config(order: &str) -> (tempfile::TempDir, PathBuf) {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("edgepages.toml")).unwrap();
    let text = format!("{text}\n[cloudfront.lambda_edge]\nenabled = true\ncustom_error_order = \"{order}\"\n");
    let dir = tempfile::tempdir().unwrap();
    // The files a config names stay in its folder: the logo goes beside it, where it names it.
    std::fs::create_dir_all(dir.path().join("pages/brand")).unwrap();
    std::fs::copy(root.join("pages/brand/logo.svg"), dir.path().join("pages/brand/logo.svg")).unwrap();
    let path = dir.path().join("edgepages.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// The emulator with the custom error responses `publish` sets for `config_order` (each code's
/// page, or only its TTL: `edgepages_publish::order`), applied in `cloudfront_order`.
fn distribution(config_order: &str, cloudfront_order: Order) -> Options {
    let (_dir, path) = config(config_order);
    let config = parse(&std::fs::read_to_string(&path).unwrap(), "edgepages.toml").unwrap();
    let mut options = Options::new(&rig().origin.url(), Duration::from_secs(2));
    options.custom_errors = config
        .cloudfront
        .as_ref()
        .unwrap()
        .error_codes
        .iter()
        .map(|&code| CustomError {
            code,
            page: edgepages_publish::order::serves_page(&config, code).0.then(|| format!("/edgepages/{code}.html")),
            ttl: 10,
        })
        .collect();
    options.order = Some(cloudfront_order);
    options
}

/// `edgepages verify --live` on `url` with the config for `config_order`: exit code and output.
fn verify_live(config_order: &str, url: &str) -> (Option<i32>, String) {
    let (_dir, path) = config(config_order);
    let out: Output = Command::new(edgepages_binary())
        .args(["--color", "never", "--config"])
        .arg(&path)
        .args(["verify", "--live", url])
        .output()
        .unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn where_custom_error_responses_come_before_the_function_its_answers_reach_the_viewer() {
    let cf = CloudFront::with(&distribution("before-function", Order::BeforeFunction)).unwrap();
    let (code, out) = verify_live("before-function", &cf.url);
    assert_eq!(code, Some(0), "{out}");
    for status in [500, 502, 503, 504] {
        assert!(
            out.contains(&format!(
                "live {status}: the function's answer reached the viewer ({status}, application/problem+json, cy)"
            )),
            "{out}"
        );
    }
}

#[test]
fn where_they_come_after_it_verify_fails_and_says_to_set_the_order() {
    let cf = CloudFront::with(&distribution("before-function", Order::AfterFunction)).unwrap();
    let (code, out) = verify_live("before-function", &cf.url);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("live 502: a custom error response replaced the function's answer"), "{out}");
    assert!(out.contains("Set custom_error_order = \"after-function\" in [cloudfront.lambda_edge]"), "{out}");
}

/// With `custom_error_order = "after-function"`, publish leaves 500, 502 and 503 without a page,
/// so the function's answer reaches viewers, and keeps 504's for CloudFront's own timeouts: each
/// probe then says so in the order that config assumes; in the other, 504 warns that every code
/// could keep its page.
#[test]
fn publishing_for_the_order_found_gives_viewers_the_functions_answers_in_either_order() {
    let cf = CloudFront::with(&distribution("after-function", Order::AfterFunction)).unwrap();
    let (code, out) = verify_live("after-function", &cf.url);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("live 502: the function's answer reached the viewer"), "{out}");
    assert!(out.contains("live 504: the custom error response's page, as set for 504"), "{out}");

    let cf = CloudFront::with(&distribution("after-function", Order::BeforeFunction)).unwrap();
    let (code, out) = verify_live("after-function", &cf.url);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("live 504: the function's answer reached the viewer although"), "{out}");
    assert!(out.contains("Set custom_error_order = \"before-function\""), "{out}");
}

#[test]
fn a_throttled_function_fails_with_the_quota_to_raise() {
    let mut options = distribution("before-function", Order::BeforeFunction);
    options.throttled = true;
    let cf = CloudFront::with(&options).unwrap();
    let (code, out) = verify_live("before-function", &cf.url);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Lambda@Edge throttled the function (LambdaLimitExceeded)"), "{out}");
    assert!(out.contains("Ask for a higher quota"), "{out}");
}

#[test]
fn a_result_cloudfront_refuses_fails_with_what_to_do() {
    let mut options = distribution("before-function", Order::BeforeFunction);
    options.change_via = true;
    options.custom_errors.clear();
    let cf = CloudFront::with(&options).unwrap();
    let (code, out) = verify_live("before-function", &cf.url);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("live 502: CloudFront refused the function's answer and sent its own 502"), "{out}");
    assert!(out.contains("/aws/cloudfront/LambdaEdge/<distribution ID>"), "{out}");
}

#[test]
fn a_behavior_that_forwards_no_accept_warns_that_every_viewer_gets_one_answer() {
    let options = distribution("before-function", Order::BeforeFunction).behavior(json!("legacy"));
    let cf = CloudFront::with(&options).unwrap();
    let (code, out) = verify_live("before-function", &cf.url);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("text/html; charset=utf-8, en), not the application/problem+json in cy asked for"), "{out}");
}

#[test]
fn an_origin_cloudfront_cannot_reach_is_not_judged() {
    let closed = edgepages_e2e::worker::free_port().unwrap();
    let mut options = distribution("before-function", Order::AfterFunction);
    options.origin = format!("http://127.0.0.1:{closed}");
    options.custom_errors.clear();
    let cf = CloudFront::with(&options).unwrap();
    let (code, out) = verify_live("before-function", &cf.url);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("CloudFront could not reach the origin (502)"), "{out}");
}

#[test]
fn an_unreachable_distribution_could_not_be_checked() {
    let closed = edgepages_e2e::worker::free_port().unwrap();
    let (code, out) = verify_live("before-function", &format!("http://127.0.0.1:{closed}"));
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("live 502: requesting http://127.0.0.1:"), "{out}");
}

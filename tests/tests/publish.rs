//! `edgepages plan`, `publish`, `verify` and `rollback` end to end: the real binary against an
//! AWS API server (moto, patched to keep OAC fields and honour If-Match), through a proxy that
//! records every request.

#![allow(clippy::unwrap_used)]

mod aws;

use std::time::Duration;

use aws::{Rig, serve};
use aws_sdk_cloudfront::types::{CustomErrorResponse, DistributionConfig};
use edgepages_e2e::aws_fixture::{Start, unique_name};
use edgepages_e2e::aws_proxy::{Faults, RIVAL_STATEMENT, UNKNOWN_ELEMENTS};

const PAGES: usize = 36;
const OWNED_ORIGIN_PREFIX: &str = "edgepages-";

fn has_extension(key: &str, extension: &str) -> bool {
    std::path::Path::new(key).extension().is_some_and(|e| e == extension)
}

/// [`Rig::redactions`], with what depends on the timing of concurrent uploads: how many had
/// finished when one failed (`[N] of`), which (`uploaded: [KEYS]`), and which one failed
/// (`[FAILED_PAGE]`).
fn uploads_in_flight(redactions: aws::Redactions) -> aws::Redactions {
    redactions
        .pattern("N", r"\b(\d+) of \d+ page uploads")
        .pattern("KEYS", r"uploaded: ([^;\n]+)")
        .pattern("FAILED_PAGE", r"uploading \S+?/edgepages/(\S+): access denied")
}

/// `config` without the parts edgepages owns: its origin, its behavior, its error codes.
fn without_owned(config: &DistributionConfig) -> DistributionConfig {
    let mut c = config.clone();
    if let Some(origins) = c.origins.as_mut() {
        origins.items.retain(|o| !o.id.starts_with(OWNED_ORIGIN_PREFIX));
        origins.quantity = i32::try_from(origins.items.len()).unwrap();
    }
    if let Some(behaviors) = c.cache_behaviors.as_mut() {
        let items = behaviors.items.get_or_insert_with(Vec::new);
        items.retain(|b| b.path_pattern != "/edgepages/*");
        behaviors.quantity = i32::try_from(items.len()).unwrap();
        if items.is_empty() {
            behaviors.items = None;
        }
    }
    if let Some(responses) = c.custom_error_responses.as_mut() {
        let items = responses.items.get_or_insert_with(Vec::new);
        items.retain(|r| ![500, 502, 503, 504].contains(&r.error_code));
        responses.quantity = i32::try_from(items.len()).unwrap();
        if items.is_empty() {
            responses.items = None;
        }
    }
    c
}

#[test]
fn a_fresh_distribution_gets_its_pages_error_responses_and_a_verified_route() {
    let rig = Rig::new(Start::Fresh);
    // The plan, what was published, and verify's 13 checks, the bucket's encryption among them.
    let run = rig.run(&["publish", "--yes"]).ok();
    insta::assert_snapshot!(run.transcript(&rig.redactions()));

    let keys = rig.block_on(rig.fixture.keys(&rig.bucket)).unwrap();
    assert_eq!(keys.iter().filter(|k| has_extension(k, "html")).count(), PAGES);
    let records = format!("edgepages/_edgepages/rollback/{}/", rig.distribution);
    assert_eq!(keys.iter().filter(|k| k.starts_with(&records)).count(), 1, "one rollback record: {keys:?}");
    assert!(keys.iter().all(|k| k.starts_with("edgepages/")), "nothing outside the prefix: {keys:?}");

    let (config, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let origin =
        config.origins.as_ref().unwrap().items.iter().find(|o| o.id == format!("edgepages-{}", rig.bucket)).unwrap();
    assert_eq!(origin.domain_name, format!("{}.s3.eu-west-1.amazonaws.com", rig.bucket));
    assert!(origin.origin_access_control_id.as_deref().is_some_and(|id| !id.is_empty()));
    let behavior = &config.cache_behaviors.as_ref().unwrap().items.as_ref().unwrap()[0];
    assert_eq!(behavior.path_pattern, "/edgepages/*");
    for code in [500, 502, 503, 504] {
        let r = config
            .custom_error_responses
            .as_ref()
            .unwrap()
            .items
            .as_ref()
            .unwrap()
            .iter()
            .find(|r| r.error_code == code)
            .unwrap();
        assert_eq!(r.response_page_path.as_deref(), Some(format!("/edgepages/{code}.html").as_str()));
        assert_eq!(r.response_code.as_deref(), Some(code.to_string().as_str()));
        assert_eq!(r.error_caching_min_ttl, Some(10));
    }

    let object =
        rig.block_on(rig.fixture.s3.head_object().bucket(&rig.bucket).key("edgepages/fr/503.html").send()).unwrap();
    assert_eq!(object.content_type(), Some("text/html; charset=utf-8"));
    assert_eq!(object.cache_control(), Some("public, max-age=60"));
    let policy = rig.block_on(rig.fixture.s3.get_bucket_policy().bucket(&rig.bucket).send()).unwrap();
    assert!(policy.policy().unwrap().contains(&format!(":distribution/{}", rig.distribution)));
}

/// CloudFront takes an Origin Access Control name of at most 64 characters (moto is patched to
/// refuse a longer one, as CloudFront does: see tests/moto/server.py), and bucket names run to 63.
#[test]
fn a_bucket_of_63_characters_gets_an_oac_cloudfront_takes_found_again_by_its_name() {
    let rig = Rig::new(Start::Fresh);
    let base = unique_name("long-pages");
    let bucket = format!("{base}-{}", "x".repeat(63 - base.len() - 1));
    rig.block_on(rig.fixture.bucket_named(&bucket)).unwrap();
    rig.edit_config(&format!("bucket = \"{}\"", rig.bucket), &format!("bucket = \"{bucket}\""));

    let r =
        rig.redactions().value("LONG_OAC", edgepages_publish::desired::oac_name(&bucket)).value("LONG_BUCKET", &bucket);
    let first = rig.run(&["publish", "--yes"]).ok();
    insta::assert_snapshot!("long_bucket_first", first.transcript(&r));
    let (config, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let origin = config.origins.unwrap().items.into_iter().find(|o| o.domain_name.starts_with(&bucket)).unwrap();
    let oac_id = origin.origin_access_control_id.unwrap();
    let oac = rig.block_on(rig.fixture.cloudfront.get_origin_access_control().id(&oac_id).send()).unwrap();
    let name = oac.origin_access_control.unwrap().origin_access_control_config.unwrap().name;
    assert!(name.len() <= 64 && name.starts_with(&format!("edgepages-{base}")), "{name}");

    // Found again by that name: the second publish makes no OAC, nor anything else.
    rig.proxy.clear();
    let second = rig.run(&["publish", "--yes"]).ok();
    insta::assert_snapshot!("long_bucket_second", second.transcript(&r));
    assert_eq!(rig.proxy.writes(), []);
    // And export names the same one, for a distribution kept as code.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.json");
    rig.run(&["export", "cloudformation", "--out", file.to_str().unwrap()]).ok();
    let template: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let exported =
        &template["Resources"]["EdgepagesOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]["Name"];
    assert_eq!(exported.as_str(), Some(name.as_str()));
}

/// A bucket that encrypts new objects with a customer managed KMS key: CloudFront, through the
/// OAC, reads the pages only if the key's policy lets the distribution decrypt (CloudFront's
/// guide, "Restrict access to an Amazon S3 origin", SSE-KMS), or viewers get S3's 403. moto
/// keeps bucket encryption and key policies as AWS does, but serves nothing through CloudFront,
/// so what is asserted is the read and the verdict: publish refuses with the statement to add,
/// verify fails, and both pass once the key policy holds it.
#[test]
fn an_sse_kms_bucket_is_refused_until_its_key_lets_the_distribution_decrypt_and_verify_checks_it() {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let rig = Rig::new(Start::Fresh);
    let key = rig.block_on(rig.fixture.kms.create_key().send()).unwrap().key_metadata.unwrap();
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .kms_master_key_id(&key.key_id)
        .build()
        .unwrap();
    let rule = ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(by_default).build();
    let encryption = ServerSideEncryptionConfiguration::builder().rules(rule).build().unwrap();
    rig.block_on(
        rig.fixture
            .s3
            .put_bucket_encryption()
            .bucket(&rig.bucket)
            .server_side_encryption_configuration(encryption)
            .send(),
    )
    .unwrap();
    let arn = key.arn.unwrap();

    let r = rig.redactions().value("KEY", &arn);
    // Refused, with the statement to add: AllowCloudFrontServicePrincipalSSE-KMS, for this
    // distribution's ARN.
    let refused = rig.run(&["publish", "--yes"]).fails();
    insta::assert_snapshot!("kms_refused", refused.transcript(&r));
    assert_eq!(rig.proxy.writes(), [], "nothing written");

    // Published anyway (--force): verify says why viewers would get S3's 403.
    let distribution_arn = format!("arn:aws:cloudfront::123456789012:distribution/{}", rig.distribution);
    rig.run(&["publish", "--yes", "--force"]).fails();
    let failed = rig.run(&["verify"]).fails();
    insta::assert_snapshot!("kms_verify_fails", failed.transcript(&r));

    // The statement added to the key's policy, as the message says: both pass.
    let policy = rig.block_on(rig.fixture.kms.get_key_policy().key_id(&arn).policy_name("default").send()).unwrap();
    let mut policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    policy["Statement"].as_array_mut().unwrap().push(edgepages_publish::kms::statement(&distribution_arn));
    let put = rig.fixture.kms.put_key_policy().key_id(&arn).policy_name("default").policy(policy.to_string());
    rig.block_on(put.send()).unwrap();
    let verified = rig.run(&["verify"]).ok();
    insta::assert_snapshot!("kms_verify_passes", verified.transcript(&r));
    rig.run(&["publish", "--yes"]).ok();
}

#[test]
fn an_alb_origin_a_static_behavior_and_a_404_page_survive_exactly() {
    let rig = Rig::new(Start::Existing);
    let (before, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    rig.run(&["publish", "--yes"]).ok();
    let (after, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    assert_ne!(after, before);
    assert_eq!(without_owned(&after), before, "everything edgepages does not own is exactly as it was");
    let not_found =
        after.custom_error_responses.as_ref().unwrap().items.as_ref().unwrap().iter().find(|r| r.error_code == 404);
    assert_eq!(not_found.unwrap().response_page_path.as_deref(), Some("/not-found.html"));
}

#[test]
fn a_second_publish_with_nothing_changed_makes_no_writes() {
    let rig = Rig::new(Start::Existing);
    rig.run(&["publish", "--yes"]).ok();
    rig.proxy.clear();
    let run = rig.run(&["publish", "--yes"]).ok();
    insta::assert_snapshot!(run.transcript(&rig.redactions()));
    assert!(!rig.proxy.seen().is_empty());
    assert_eq!(rig.proxy.writes(), []);
}

#[test]
fn plan_and_dry_run_make_no_write_calls() {
    let rig = Rig::new(Start::Existing);
    // Every page to upload, the OAC, the bucket policy, the distribution's changes (the error
    // responses among them), and PAGES + 4 write calls.
    let run = rig.run(&["plan"]).ok();
    insta::assert_snapshot!("plan", run.transcript(&rig.redactions()));
    let json = rig.run(&["--json", "plan"]).ok();
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(plan["writes"], PAGES + 4);
    assert_eq!(plan["distribution_changes"].as_array().unwrap().len(), 6);
    rig.run(&["publish", "--dry-run"]).ok();

    let refused = rig.run(&["publish"]).fails();
    insta::assert_snapshot!("publish_without_yes", refused.transcript(&rig.redactions()));

    assert!(rig.proxy.seen().len() >= 4 * 4, "each command read the state");
    assert_eq!(rig.proxy.writes(), [], "no write call at all");
}

#[test]
fn rollback_restores_the_original_distribution() {
    let rig = Rig::new(Start::Existing);
    let (original, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    rig.run(&["publish", "--yes"]).ok();
    let r = rig.redactions();
    let dry = rig.run(&["rollback", "--dry-run"]).ok();
    insta::assert_snapshot!("rollback_dry_run", dry.transcript(&r));
    let (still_published, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    assert_ne!(still_published, original, "--dry-run changed nothing");

    let run = rig.run(&["rollback", "--yes"]).ok();
    insta::assert_snapshot!("rollback", run.transcript(&r));
    let (restored, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    assert_eq!(restored, original);
    let verify = rig.run(&["verify"]).fails();
    insta::assert_snapshot!("verify_after_rollback", verify.transcript(&r));
}

#[test]
fn a_failed_upload_leaves_the_distribution_untouched_and_says_so() {
    let rig = Rig::with(Start::Existing, Some(5), "");
    let (before, etag) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let run = rig.run(&["publish", "--yes"]).fails();
    // How many uploads finished, and which, depends on timing: the next test pins them.
    let r = uploads_in_flight(rig.redactions());
    insta::assert_snapshot!(run.transcript(&r));
    assert_eq!(run.stderr.matches("Access Denied").count(), 1, "the cause is said once: {}", run.stderr);

    let (after, etag_after) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    assert_eq!((after, etag_after), (before, etag));
    let writes = rig.proxy.writes();
    assert!(
        writes.iter().all(|w| w.method == "PUT" && w.path.contains("/edgepages/")),
        "only page uploads: {writes:?}"
    );
    let keys = rig.block_on(rig.fixture.keys(&rig.bucket)).unwrap();
    assert!(!keys.iter().any(|k| has_extension(k, "json")), "no rollback record: {keys:?}");
}

#[test]
fn uploads_failing_partway_launch_no_more_and_report_exactly_what_was_written() {
    // The 5th upload is refused while others are in flight, already stored by S3 but not yet
    // answered: publish must wait for them and name every object it wrote, and no other.
    let faults = Faults { fail_upload: Some(5), slow_uploads: Some(Duration::from_millis(300)), ..Faults::default() };
    let rig = Rig::with_faults(Start::Existing, faults, "");
    let run = rig.run(&["publish", "--yes"]).fails();
    let keys = rig.block_on(rig.fixture.keys(&rig.bucket)).unwrap();
    let stored: Vec<&String> = keys.iter().filter(|k| has_extension(k, "html")).collect();
    assert!(!stored.is_empty(), "no upload was in flight when one failed: the rig did not test anything");
    let reported = run.stderr.split("uploaded: ").nth(1).unwrap_or_default().lines().next().unwrap_or_default();
    let mut reported: Vec<&str> = reported.split(", ").map(str::trim).filter(|k| !k.is_empty()).collect();
    reported.sort_unstable();
    let mut stored: Vec<&str> = stored.iter().map(|k| k.as_str()).collect();
    stored.sort_unstable();
    assert_eq!(reported, stored, "what publish said it wrote is not what S3 holds: {}", run.stderr);
    let page_put = |s: &&edgepages_e2e::aws_proxy::Seen| {
        s.method == "PUT" && has_extension(s.path.split('?').next().unwrap_or_default(), "html")
    };
    let launched = rig.proxy.seen().iter().filter(page_put).count();
    assert_eq!(launched, 8, "uploads were launched after one failed (8 run at a time)");
}

#[test]
fn a_bucket_policy_changed_between_the_plan_and_the_write_is_refused() {
    let rig = Rig::with_faults(Start::Existing, Faults { rival_policy: true, ..Faults::default() }, "");
    let (before, etag) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let run = rig.run(&["publish", "--yes"]).fails();
    insta::assert_snapshot!(run.transcript(&uploads_in_flight(rig.redactions())));
    let policy = rig.block_on(async {
        rig.fixture.s3.get_bucket_policy().bucket(&rig.bucket).send().await.unwrap().policy.unwrap_or_default()
    });
    assert!(policy.contains(RIVAL_STATEMENT), "their policy was overwritten: {policy}");
    assert_eq!(rig.block_on(rig.fixture.config(&rig.distribution)).unwrap(), (before, etag), "a half-done publish");
    // Run again, the plan starts from their policy, and keeps their statement beside its own.
    rig.run(&["publish", "--yes"]).ok();
    let policy = rig.block_on(async {
        rig.fixture.s3.get_bucket_policy().bucket(&rig.bucket).send().await.unwrap().policy.unwrap_or_default()
    });
    assert!(policy.contains(RIVAL_STATEMENT) && policy.contains("EdgepagesRead"), "{policy}");
}

#[test]
fn traps_are_refused_unless_forced() {
    let rig = Rig::new(Start::Fresh);
    let spa = CustomErrorResponse::builder()
        .error_code(403)
        .response_page_path("/index.html")
        .response_code("200")
        .error_caching_min_ttl(0)
        .build()
        .unwrap();
    rig.block_on(rig.fixture.add_error_response(&rig.distribution, spa)).unwrap();
    rig.proxy.clear();
    let run = rig.run(&["publish", "--yes"]).fails();
    insta::assert_snapshot!("trap_success_rewrite", run.transcript(&rig.redactions()));
    assert_eq!(rig.proxy.writes(), []);
    rig.run(&["publish", "--yes", "--force"]).ok();

    let long_ttl = Rig::new(Start::Fresh);
    long_ttl.edit_config("error_caching_min_ttl = 10", "error_caching_min_ttl = 300");
    let run = long_ttl.run(&["publish", "--yes"]).fails();
    insta::assert_snapshot!("trap_long_error_ttl", run.transcript(&long_ttl.redactions()));

    let no_page = Rig::new(Start::Fresh);
    no_page.edit_config("error_codes = [500, 502, 503, 504]", "error_codes = [500, 501]");
    let run = no_page.run(&["publish", "--yes"]).fails();
    insta::assert_snapshot!("trap_code_without_page", run.transcript(&no_page.redactions()));
    assert_eq!(long_ttl.proxy.writes().len() + no_page.proxy.writes().len(), 0);
}

#[test]
fn the_site_origin_is_told_to_give_up_in_seconds() {
    let rig = Rig::with(
        Start::Existing,
        None,
        "\n[cloudfront.origin]\nid = \"alb\"\nconnection_attempts = 1\nconnection_timeout = 3\nread_timeout = 10\n",
    );
    let plan = rig.run(&["plan"]).ok();
    insta::assert_snapshot!(plan.transcript(&rig.redactions()));
    rig.run(&["publish", "--yes"]).ok();
    let (config, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let alb = config.origins.as_ref().unwrap().items.iter().find(|o| o.id == "alb").unwrap();
    assert_eq!((alb.connection_attempts, alb.connection_timeout), (Some(1), Some(3)));
    assert_eq!(alb.custom_origin_config.as_ref().unwrap().origin_read_timeout, Some(10));
}

#[test]
fn verify_checks_the_distribution_and_a_failing_url() {
    let rig = Rig::new(Start::Fresh);
    let r = rig.redactions();
    let untouched = rig.run(&["verify"]).fails();
    insta::assert_snapshot!("verify_untouched", untouched.transcript(&r));

    rig.run(&["publish", "--yes"]).ok();
    let page = rig.block_on(async {
        let object = rig.fixture.s3.get_object().bucket(&rig.bucket).key("edgepages/503.html").send().await.unwrap();
        String::from_utf8(object.body.collect().await.unwrap().to_vec()).unwrap()
    });
    let branded = serve(503, page);
    let run = rig.run(&["verify", "--url", &branded]).ok();
    insta::assert_snapshot!("verify_url_branded", run.transcript(&r));

    let unbranded = serve(502, "<h1>502 Bad Gateway</h1><hr>nginx".into());
    let run = rig.run(&["verify", "--url", &unbranded]).fails();
    insta::assert_snapshot!("verify_url_unbranded", run.transcript(&r));
    let healthy = serve(200, "<h1>welcome</h1>".into());
    let run = rig.run(&["--json", "verify", "--url", &healthy]).fails();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["ok"], false);
    // The whole report: the last check says that a URL for a failure must fail.
    insta::assert_snapshot!("verify_url_healthy_json", run.transcript(&r));
}

#[test]
fn a_missing_distribution_or_bucket_is_named() {
    let rig = Rig::new(Start::Fresh);
    rig.edit_config(&rig.distribution, "E0NOSUCHDIST");
    let run = rig.run(&["plan"]).fails();
    insta::assert_snapshot!("no_such_distribution", run.transcript(&rig.redactions()));

    rig.edit_config(&rig.bucket, "no-such-bucket-here");
    let run = rig.run(&["plan"]).fails();
    insta::assert_snapshot!("no_such_bucket", run.transcript(&rig.redactions()));
}

#[test]
fn a_distribution_setting_the_sdk_does_not_know_is_named_and_never_dropped() {
    let rig = Rig::new(Start::Existing);
    rig.run(&["publish", "--yes"]).ok();
    rig.proxy.set_unknown_elements(true);
    rig.proxy.clear();
    // Each names the elements (UNKNOWN_ELEMENTS) and says to upgrade edgepages.
    for args in [&["plan"][..], &["publish", "--yes"], &["rollback", "--yes"]] {
        let run = rig.run(args).fails();
        insta::assert_snapshot!(format!("unknown_elements_{}", args[0]), run.transcript(&rig.redactions()));
    }
    assert!(!UNKNOWN_ELEMENTS.is_empty());
    assert_eq!(rig.proxy.writes(), [], "nothing was written");
    // Once the SDK knows them (here: once CloudFront stops sending them), both work again.
    rig.proxy.set_unknown_elements(false);
    rig.run(&["rollback", "--yes"]).ok();
}

#[test]
fn pages_whose_etags_are_not_their_md5_are_not_uploaded_again() {
    // Under SSE-KMS, and for multipart uploads, S3's ETag is not the body's MD5.
    let rig = Rig::with_faults(Start::Existing, Faults { opaque_etags: true, ..Faults::default() }, "");
    rig.run(&["publish", "--yes"]).ok();
    rig.proxy.clear();
    let run = rig.run(&["publish", "--yes"]).ok();
    assert!(rig.proxy.etags_rewritten() >= PAGES, "the rig rewrote no listing: it tested nothing");
    insta::assert_snapshot!(run.transcript(&rig.redactions()));
    assert_eq!(rig.proxy.writes(), []);
}

#[test]
fn a_page_whose_content_type_changed_is_uploaded_again() {
    let rig = Rig::new(Start::Existing);
    rig.run(&["publish", "--yes"]).ok();
    let key = "edgepages/503.html";
    // Someone re-types one page in place, keeping its body, its Cache-Control and its metadata.
    rig.block_on(async {
        let head = rig.fixture.s3.head_object().bucket(&rig.bucket).key(key).send().await.unwrap();
        rig.fixture
            .s3
            .copy_object()
            .bucket(&rig.bucket)
            .key(key)
            .copy_source(format!("{}/{key}", rig.bucket))
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
            .content_type("text/plain")
            .set_cache_control(head.cache_control)
            .set_metadata(head.metadata)
            .send()
            .await
            .unwrap();
    });
    rig.proxy.clear();
    rig.run(&["publish", "--yes"]).ok();
    let writes = rig.proxy.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(writes[0].method == "PUT" && writes[0].path.contains(key), "{writes:?}");
    let head = rig.block_on(rig.fixture.s3.head_object().bucket(&rig.bucket).key(key).send()).unwrap();
    assert_eq!(head.content_type(), Some("text/html; charset=utf-8"));
}

/// The IDs `rollback --list --json` shows, oldest first, and whether each was rolled back.
fn records(rig: &Rig) -> Vec<(String, bool)> {
    let run = rig.run(&["--json", "rollback", "--list"]).ok();
    let list: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    list["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_owned(), !r["rolled_back"].is_null()))
        .collect()
}

#[test]
fn each_publish_keeps_its_record_and_a_rollback_is_never_repeated_or_silently_older() {
    let rig = Rig::new(Start::Existing);
    let (original, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    rig.run(&["publish", "--yes"]).ok();
    let (first, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    rig.edit_config("error_caching_min_ttl = 10", "error_caching_min_ttl = 5");
    rig.run(&["publish", "--yes"]).ok();
    let listed = records(&rig);
    assert_eq!(listed.len(), 2, "each publish keeps its own record: {listed:?}");
    let (older, newer) = (listed[0].0.clone(), listed[1].0.clone());

    let r = rig.redactions().value("NEWER", &newer).value("OLDER", &older);
    let run = rig.run(&["rollback", "--yes"]).ok();
    insta::assert_snapshot!("rollback_newest", run.transcript(&r));
    assert_eq!(rig.block_on(rig.fixture.config(&rig.distribution)).unwrap().0, first, "the newest publish undone");
    assert_eq!(records(&rig), [(older.clone(), false), (newer.clone(), true)], "the record is marked as used");

    rig.proxy.clear();
    let again = rig.run(&["rollback", "--yes"]).fails();
    insta::assert_snapshot!("rollback_again", again.transcript(&r));
    assert_eq!(rig.proxy.writes(), [], "a refused rollback writes nothing");

    let run = rig.run(&["rollback", "--yes", "--record", &older]).ok();
    insta::assert_snapshot!("rollback_older", run.transcript(&r));
    assert_eq!(rig.block_on(rig.fixture.config(&rig.distribution)).unwrap().0, original);
}

#[test]
fn a_record_s3_would_not_take_is_kept_beside_the_config_and_undoes_its_own_publish() {
    let rig = Rig::with_faults(Start::Existing, Faults { fail_record: true, ..Faults::default() }, "");
    let (original, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let run = rig.run(&["publish", "--yes"]).fails();
    let dir = rig.config.parent().unwrap();
    let kept: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("edgepages-rollback-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let file = kept[0].to_string_lossy().into_owned();
    // The record was NOT saved to S3; `rollback --from-file` with the kept file undoes it.
    let stem = kept[0].file_stem().unwrap().to_string_lossy().into_owned();
    let r = uploads_in_flight(rig.redactions().value("KEPT", &file).value("KEPT_ID", &stem));
    insta::assert_snapshot!("record_not_saved", run.transcript(&r));

    let plain = rig.run(&["rollback", "--yes"]).fails();
    insta::assert_snapshot!("record_not_in_s3", plain.transcript(&r));
    rig.run(&["rollback", "--yes", "--from-file", &file]).ok();
    assert_eq!(rig.block_on(rig.fixture.config(&rig.distribution)).unwrap().0, original);
    let record: serde_json::Value = serde_json::from_slice(&std::fs::read(&kept[0]).unwrap()).unwrap();
    assert!(record["rolled_back"]["etag"].is_string(), "the kept record is marked as used: {record}");
    let again = rig.run(&["rollback", "--yes", "--from-file", &file]).fails();
    insta::assert_snapshot!("record_kept_already_used", again.transcript(&r));
}

/// The distribution reads (GetDistribution) after the first update, in order.
fn reads_after_update(rig: &Rig) -> usize {
    let seen = rig.proxy.seen();
    let update = seen.iter().position(|s| s.method == "PUT" && s.path.ends_with("/config")).unwrap();
    let read = format!("/2020-05-31/distribution/{}", rig.distribution);
    seen[update..].iter().filter(|s| s.method == "GET" && s.path == read).count()
}

#[test]
fn publish_wait_returns_once_the_distribution_is_deployed() {
    let rig = Rig::with_faults(Start::Existing, Faults { deploying_reads: Some(2), ..Faults::default() }, "");
    let run = rig.run(&["publish", "--yes", "--wait", "--no-verify"]).ok();
    insta::assert_snapshot!(run.transcript(&rig.redactions()));
    assert_eq!(reads_after_update(&rig), 3, "two reads said InProgress, the third Deployed, then it stopped");
}

#[test]
fn publish_wait_gives_up_after_its_timeout_and_says_the_change_is_made() {
    let rig = Rig::with_faults(Start::Existing, Faults { deploying_reads: Some(usize::MAX), ..Faults::default() }, "");
    let run = rig.run(&["publish", "--yes", "--wait", "--wait-timeout", "2s"]).fails();
    insta::assert_snapshot!("wait_timeout", run.transcript(&rig.redactions()));
    assert!(reads_after_update(&rig) >= 2, "it polled");
    let bad = rig.run(&["publish", "--wait-timeout", "soon"]);
    insta::assert_snapshot!("wait_timeout_unreadable", bad.transcript(&rig.redactions()));
}

/// The `--json` documents of `plan`, `publish`, `verify` and `rollback`, whole: the shape a script
/// reads. A publish with the Lambda@Edge function's zip named, so that every part of the plan
/// and of what was written is in it.
#[test]
fn the_json_documents_keep_their_shape() {
    let function = unique_name("edgepages-fn");
    let rig = Rig::new(Start::Existing);
    // A role of its own: the managed one is another test's to create.
    let trust = edgepages_publish::function::policies::trust_policy().to_string();
    let create = rig.fixture.iam.create_role().role_name(unique_name("json-role")).assume_role_policy_document(trust);
    let role = rig.block_on(create.send()).unwrap().role.unwrap().arn;
    let section =
        format!("\n[cloudfront.lambda_edge]\nenabled = true\nfunction_name = \"{function}\"\nrole_arn = \"{role}\"\n");
    let config = std::fs::read_to_string(&rig.config).unwrap();
    std::fs::write(&rig.config, config + &section).unwrap();
    let zip = edgepages_e2e::cloudfront::chaos_zip();
    let zip = zip.to_str().unwrap();
    let code = edgepages_publish::function::code_sha256(&std::fs::read(zip).unwrap());
    let r = json_redactions(rig.redactions().value("FUNCTION", &function).value("CODE", &code).value("ROLE", &role));
    let plan = rig.run(&["--json", "plan", "--lambda-zip", zip]).ok();
    insta::assert_snapshot!("json_plan", plan.transcript(&r));
    let published = rig.run(&["--json", "publish", "--yes", "--lambda-zip", zip]).ok();
    insta::assert_snapshot!("json_publish", published.transcript(&r));
    let verified = rig.run(&["--json", "verify"]).ok();
    insta::assert_snapshot!("json_verify", verified.transcript(&r));
    let dry = rig.run(&["--json", "rollback", "--dry-run"]).ok();
    insta::assert_snapshot!("json_rollback_dry_run", dry.transcript(&r));
    let rolled_back = rig.run(&["--json", "rollback", "--yes"]).ok();
    insta::assert_snapshot!("json_rollback", rolled_back.transcript(&r));
    let listed = rig.run(&["--json", "rollback", "--list"]).ok();
    insta::assert_snapshot!("json_rollback_list", listed.transcript(&r));
}

/// [`Rig::redactions`], with what a JSON document holds that varies from run to run: ETags,
/// moto's IDs, and the order uploads finished in.
fn json_redactions(redactions: aws::Redactions) -> aws::Redactions {
    redactions
        .pattern("ETAG", r#""(?:if_match|etag|distribution_etag|published_etag)": "([A-Z0-9]+)""#)
        .pattern("OAC", r#""created_oac": "([A-Z0-9]+)""#)
        .pattern("RECORD", r#""(?:id|rollback_record)": "[^"]*?(\d{8}T\d{6}\d*Z-[A-Za-z0-9]+)"#)
        .pattern("VERSION", r":function:\[FUNCTION\]:(\d+)")
        .pattern("KEYS", r#""uploaded": \[([^\]]*)\]"#)
}

/// A publish whose own verification could not check something exits 3, as `verify` does, and
/// not 1, which a deploy script reads as "roll back": here the bucket encrypts with a KMS key
/// these credentials cannot read (it does not exist), so whether CloudFront may decrypt the
/// pages is unknown. A mismatch stays 1 (`an_sse_kms_bucket_is_refused_until_its_key_...`).
#[test]
fn a_publish_whose_verification_could_not_check_exits_3() {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let rig = Rig::new(Start::Fresh);
    let key = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-4000-8000-000000000000";
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .kms_master_key_id(key)
        .build()
        .unwrap();
    let rule = ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(by_default).build();
    let encryption = ServerSideEncryptionConfiguration::builder().rules(rule).build().unwrap();
    let put =
        rig.fixture.s3.put_bucket_encryption().bucket(&rig.bucket).server_side_encryption_configuration(encryption);
    rig.block_on(put.send()).unwrap();

    let run = rig.run(&["publish", "--yes"]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    // The pages and the distribution were published; one check (the key) could not be made.
    insta::assert_snapshot!(run.transcript(&rig.redactions().value("KEY", key)));
    let verified = rig.run(&["verify"]);
    assert_eq!(verified.code, 3, "{}", verified.stdout);
}

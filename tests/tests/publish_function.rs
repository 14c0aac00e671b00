//! `edgepages plan` and `publish` deploying the Lambda@Edge function against moto's Lambda and
//! IAM, through the recording proxy: created with its role, left alone when nothing changed,
//! a new version only for new code, and a role the config names used and never touched.

#![allow(clippy::unwrap_used)]

mod aws;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use aws::{Rig, writes};
use edgepages_e2e::aws_fixture::{Start, unique_name};
use edgepages_e2e::cloudfront::chaos_zip;
use edgepages_publish::function::code_sha256;

/// `[cloudfront.lambda_edge]` for `function`, with `more` lines.
fn section(function: &str, more: &str) -> String {
    format!("\n[cloudfront.lambda_edge]\nenabled = true\nfunction_name = \"{function}\"\n{more}")
}

/// A rig whose config enables a function of its own with a role of the team's own (made here,
/// trusted by Lambda@Edge): the rig, the function's name and the role's ARN.
fn with_their_role(start: Start) -> (Rig, String, String) {
    let function = unique_name("edgepages-fn");
    let rig = Rig::new(start);
    let trust = edgepages_publish::function::policies::trust_policy().to_string();
    let create = rig.fixture.iam.create_role().role_name(unique_name("theirs")).assume_role_policy_document(trust);
    let role_arn = rig.block_on(create.send()).unwrap().role.unwrap().arn;
    let config = std::fs::read_to_string(&rig.config).unwrap();
    std::fs::write(&rig.config, config + &section(&function, &format!("role_arn = \"{role_arn}\"\n"))).unwrap();
    (rig, function, role_arn)
}

/// The packaged function, and a copy with one more file in it: the same function, new code.
/// `by-hand.zip` beside it is a third.
fn zips(dir: &Path) -> (PathBuf, PathBuf) {
    let v1 = chaos_zip();
    let bytes = std::fs::read(&v1).unwrap_or_else(|e| panic!("{}: {e} (run scripts/build-lambda-edge)", v1.display()));
    let with_note = |note: &str, name: &str| {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            out.raw_copy_file(archive.by_index(i).unwrap()).unwrap();
        }
        out.start_file("NOTE", zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(note.as_bytes()).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, out.finish().unwrap().into_inner()).unwrap();
        path
    };
    with_note("uploaded by hand", "by-hand.zip");
    (v1, with_note("the next release", "next.zip"))
}

fn sha(path: &Path) -> String {
    code_sha256(&std::fs::read(path).unwrap())
}

/// The rig's redactions, with the `[FUNCTION]`'s name and each zip's code as `[CODE_<name>]`.
fn redactions(rig: &Rig, function: &str, zips: &[(&str, &Path)]) -> aws::Redactions {
    zips.iter()
        .fold(rig.redactions().value("FUNCTION", function), |r, (name, zip)| r.value(&format!("CODE_{name}"), sha(zip)))
}

/// The published versions' numbers and code, oldest first.
fn versions(rig: &Rig, function: &str) -> Vec<(String, String)> {
    let listed = rig.block_on(rig.fixture.lambda.list_versions_by_function().function_name(function).send()).unwrap();
    listed
        .versions()
        .iter()
        .filter(|v| v.version() != Some("$LATEST"))
        .map(|v| (v.version().unwrap().to_owned(), v.code_sha256().unwrap().to_owned()))
        .collect()
}

#[test]
fn the_function_is_created_then_left_alone_then_given_a_version_only_for_new_code() {
    let function = unique_name("edgepages-fn");
    let rig = Rig::with(Start::Existing, None, &section(&function, ""));
    let dir = tempfile::tempdir().unwrap();
    let (v1, v2) = zips(dir.path());
    let zip = |path: &Path| path.to_str().unwrap().to_owned();

    let r = redactions(&rig, &function, &[("V1", &v1), ("V2", &v2)]);
    // The role and the function, added.
    let planned = rig.run(&["plan", "--lambda-zip", &zip(&v1)]).ok();
    insta::assert_snapshot!("function_created_plan", planned.transcript(&r));
    let json: serde_json::Value =
        serde_json::from_str(&rig.run(&["plan", "--json", "--lambda-zip", &zip(&v1)]).ok().stdout).unwrap();
    assert_eq!(json["function"]["steps"], serde_json::json!(["create_role", "put_logging_policy", "create_function"]));
    assert_eq!(json["function"]["code_sha256"], sha(&v1));
    assert_eq!(json["function"]["region"], "us-east-1");
    assert_eq!(json["function"]["writes"], 3);
    // The pages, the OAC, the bucket policy, the distribution and its record, then the function's,
    // then the shared variant function's create and publish (the default behavior caches nothing).
    let uploads = json["uploads"].as_array().unwrap().len() as u64;
    assert_eq!(json["variant"]["writes"], 2, "{json}");
    assert_eq!(json["writes"].as_u64(), Some(uploads + 1 + 1 + 2 + 3 + 2), "{json}");
    assert_eq!(writes(&rig), Vec::<String>::new(), "plan wrote");

    let published = rig.run(&["publish", "--yes", "--lambda-zip", &zip(&v1)]).ok();
    insta::assert_snapshot!("function_created", published.transcript(&r));
    let role =
        rig.block_on(rig.fixture.iam.get_role().role_name("edgepages-lambda-edge").send()).unwrap().role.unwrap();
    let trust = percent_decode(role.assume_role_policy_document().unwrap());
    assert!(trust.contains("edgelambda.amazonaws.com") && trust.contains("lambda.amazonaws.com"), "{trust}");
    let logging = rig
        .block_on(
            rig.fixture
                .iam
                .get_role_policy()
                .role_name("edgepages-lambda-edge")
                .policy_name(format!("logs-{function}"))
                .send(),
        )
        .unwrap();
    assert!(percent_decode(&logging.policy_document).contains(&format!("/aws/lambda/us-east-1.{function}")));
    let latest = rig.block_on(rig.fixture.lambda.get_function_configuration().function_name(&function).send()).unwrap();
    assert_eq!(
        (latest.runtime().map(aws_sdk_lambda::types::Runtime::as_str), latest.handler(), latest.role()),
        (Some("nodejs22.x"), Some("index.handler"), Some(role.arn.as_str()))
    );
    assert_eq!(latest.code_sha256(), Some(sha(&v1).as_str()));
    assert_eq!(versions(&rig, &function), [("1".to_owned(), sha(&v1))]);

    // Nothing changed: read, and not one write.
    rig.proxy.clear();
    let again = rig.run(&["publish", "--yes", "--lambda-zip", &zip(&v1)]).ok();
    insta::assert_snapshot!("function_left_alone", again.transcript(&r));
    let seen = rig.proxy.seen();
    assert!(seen.iter().any(|s| s.action.as_deref() == Some("GetRole")), "the role was not read: {seen:?}");
    assert!(seen.iter().any(|s| s.path.contains(&format!("/functions/{function}/versions"))), "{seen:?}");
    assert_eq!(writes(&rig), Vec::<String>::new());

    // New code: the code is updated, exactly one version published, and the distribution
    // moved to it (with its rollback record).
    rig.proxy.clear();
    rig.run(&["publish", "--yes", "--lambda-zip", &zip(&v2)]).ok();
    let distribution = format!("PUT /2020-05-31/distribution/{}/config", rig.distribution);
    let written = writes(&rig);
    assert_eq!(
        written[..3],
        [
            format!("PUT /2015-03-31/functions/{function}/code"),
            format!("POST /2015-03-31/functions/{function}/versions"),
            distribution.clone(),
        ]
    );
    assert_eq!(written.len(), 4, "{written:?}");
    assert_eq!(versions(&rig, &function), [("1".to_owned(), sha(&v1)), ("2".to_owned(), sha(&v2))]);

    // Back to the first code: version 1 already holds it, so no new version; the distribution
    // goes back to version 1.
    rig.proxy.clear();
    rig.run(&["publish", "--yes", "--lambda-zip", &zip(&v1)]).ok();
    let written = writes(&rig);
    assert_eq!(written[..2], [format!("PUT /2015-03-31/functions/{function}/code"), distribution]);
    assert_eq!(written.len(), 3, "{written:?}");
    assert_eq!(versions(&rig, &function).len(), 2);
    rig.run(&["verify"]).ok();

    // Code uploaded by hand and never published: no version a distribution can use holds it.
    let by_hand = std::fs::read(dir.path().join("by-hand.zip")).unwrap();
    let update = rig.fixture.lambda.update_function_code().function_name(&function).zip_file(by_hand.into());
    rig.block_on(update.send()).unwrap();
    let failed = rig.run(&["verify"]).fails();
    let r = r.value("CODE_BY_HAND", sha(&dir.path().join("by-hand.zip")));
    insta::assert_snapshot!("function_code_by_hand", failed.transcript(&r));
}

#[test]
fn a_role_the_config_names_is_used_and_never_touched() {
    let (rig, function, role_arn) = with_their_role(Start::Fresh);

    rig.proxy.clear();
    rig.run(&["publish", "--yes", "--lambda-zip", chaos_zip().to_str().unwrap()]).ok();
    let latest = rig.block_on(rig.fixture.lambda.get_function_configuration().function_name(&function).send()).unwrap();
    assert_eq!(latest.role(), Some(role_arn.as_str()));
    let iam: Vec<_> = rig.proxy.seen().into_iter().filter_map(|s| s.action).collect();
    assert_eq!(iam, Vec::<String>::new(), "the named role was read or changed");
    assert_eq!(versions(&rig, &function).len(), 1);
}

#[test]
fn a_publish_stopped_at_the_function_says_what_it_did_and_the_next_one_finishes_it() {
    let (rig, function, role) = with_their_role(Start::Existing);
    let dir = tempfile::tempdir().unwrap();
    let (v1, v2) = zips(dir.path());
    let zip = |path: &Path| path.to_str().unwrap().to_owned();
    rig.run(&["publish", "--yes", "--lambda-zip", &zip(&v1)]).ok();
    rig.proxy.set_fail_publish_version(true);
    let (before, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();

    rig.proxy.clear();
    let stopped = rig.run(&["publish", "--yes", "--lambda-zip", &zip(&v2)]).fails();
    // What was done before the failure, what AWS answered in its own words, and no SDK dump.
    let r = redactions(&rig, &function, &[("V1", &v1), ("V2", &v2)]).value("ROLE", &role);
    insta::assert_snapshot!(stopped.transcript(&r));
    assert_eq!(
        writes(&rig),
        [
            format!("PUT /2015-03-31/functions/{function}/code"),
            format!("POST /2015-03-31/functions/{function}/versions")
        ],
        "the code, then the refused publish, and nothing after"
    );
    let (after, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    assert_eq!(after, before, "the distribution was touched");
    assert_eq!(versions(&rig, &function), [("1".to_owned(), sha(&v1))]);

    // Allowed again: the code is there, so only the version is published.
    rig.proxy.set_fail_publish_version(false);
    rig.proxy.clear();
    rig.run(&["publish", "--yes", "--lambda-zip", &zip(&v2)]).ok();
    let written = writes(&rig);
    assert_eq!(
        written[..2],
        [
            format!("POST /2015-03-31/functions/{function}/versions"),
            format!("PUT /2020-05-31/distribution/{}/config", rig.distribution)
        ]
    );
    assert_eq!(versions(&rig, &function), [("1".to_owned(), sha(&v1)), ("2".to_owned(), sha(&v2))]);
}

#[test]
fn a_missing_zip_is_named_before_anything_is_read() {
    let rig = Rig::with(Start::Fresh, None, &section(&unique_name("edgepages-fn"), ""));
    let run = rig.run(&["plan", "--lambda-zip", "/nonexistent/function.zip"]);
    insta::assert_snapshot!(run.transcript(&rig.redactions()));
    assert!(rig.proxy.seen().is_empty(), "{:?}", rig.proxy.seen());
}

/// The team's own additions before edgepages comes: an `/api/*` behavior to the site's origin
/// with their viewer-request Lambda@Edge function, and a CloudFront Function on the default
/// behavior. Returns their Lambda association's ARN.
fn their_functions(rig: &Rig) -> String {
    use aws_sdk_cloudfront::types::{
        CacheBehavior, EventType, FunctionAssociation, FunctionAssociations, LambdaFunctionAssociation,
        LambdaFunctionAssociations, ViewerProtocolPolicy,
    };
    let auth = "arn:aws:lambda:us-east-1:123456789012:function:their-auth:7".to_owned();
    let (mut config, etag) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let lambda = LambdaFunctionAssociation::builder()
        .lambda_function_arn(&auth)
        .event_type(EventType::ViewerRequest)
        .include_body(false)
        .build()
        .unwrap();
    let api = CacheBehavior::builder()
        .path_pattern("/api/*")
        .target_origin_id("alb")
        .viewer_protocol_policy(ViewerProtocolPolicy::HttpsOnly)
        .cache_policy_id("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
        .lambda_function_associations(LambdaFunctionAssociations::builder().quantity(1).items(lambda).build().unwrap())
        .build()
        .unwrap();
    let behaviors = config.cache_behaviors.as_mut().unwrap();
    behaviors.items.as_mut().unwrap().push(api);
    behaviors.quantity += 1;
    let rewrite = FunctionAssociation::builder()
        .function_arn("arn:aws:cloudfront::123456789012:function/their-rewrite")
        .event_type(EventType::ViewerRequest)
        .build()
        .unwrap();
    config.default_cache_behavior.as_mut().unwrap().function_associations =
        Some(FunctionAssociations::builder().quantity(1).items(rewrite).build().unwrap());
    let update = rig.fixture.cloudfront.update_distribution().id(&rig.distribution).if_match(etag);
    rig.block_on(update.distribution_config(config).send()).unwrap();
    auth
}

/// Puts the managed origin request policy AllViewerExceptHostHeader on the default behavior
/// and `/api/*`, as a team proxying an app would.
fn forward_all_but_host(rig: &Rig) {
    const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
    let (mut config, etag) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    config.default_cache_behavior.as_mut().unwrap().origin_request_policy_id = Some(ALL_VIEWER_EXCEPT_HOST.into());
    for b in config.cache_behaviors.as_mut().unwrap().items.as_mut().unwrap() {
        if b.path_pattern == "/api/*" {
            b.origin_request_policy_id = Some(ALL_VIEWER_EXCEPT_HOST.into());
        }
    }
    let update = rig.fixture.cloudfront.update_distribution().id(&rig.distribution).if_match(etag);
    rig.block_on(update.distribution_config(config).send()).unwrap();
}

/// Each behavior's Lambda@Edge associations as `(path pattern or "default", event, ARN)`.
fn lambda_associations(rig: &Rig) -> Vec<(String, String, String)> {
    let (config, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let default = config.default_cache_behavior.as_ref().unwrap();
    let mut listed = vec![("default".to_owned(), default.lambda_function_associations.clone())];
    for b in config.cache_behaviors.as_ref().and_then(|b| b.items.clone()).unwrap_or_default() {
        listed.push((b.path_pattern.clone(), b.lambda_function_associations.clone()));
    }
    listed
        .into_iter()
        .flat_map(|(behavior, list)| {
            list.and_then(|l| l.items)
                .unwrap_or_default()
                .into_iter()
                .map(move |a| (behavior.clone(), a.event_type.as_str().to_owned(), a.lambda_function_arn.clone()))
        })
        .collect()
}

#[test]
fn the_version_is_associated_with_the_sites_behaviors_theirs_are_kept_and_rollback_puts_the_old_back() {
    let function = unique_name("edgepages-fn");
    let rig = Rig::with(Start::Existing, None, &section(&function, ""));
    let auth = their_functions(&rig);
    let (before, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (v1, v2) = zips(dir.path());
    let zip = |path: &Path| path.to_str().unwrap().to_owned();

    let r = redactions(&rig, &function, &[("V1", &v1), ("V2", &v2)]);
    // Not a snapshot: whether the shared role exists yet depends on the other tests.
    let planned = rig.run(&["plan", "--lambda-zip", &zip(&v1)]).ok();
    let placeholder = format!("arn:aws:lambda:us-east-1:(account):function:{function}:(new version)");
    for behavior in ["default behavior", "behavior /api/*"] {
        let line = format!("+ origin-response function, {behavior}\n        + {placeholder}\n");
        assert!(planned.stdout.contains(&line), "{line} in\n{}", planned.stdout);
    }

    rig.run(&["publish", "--yes", "--lambda-zip", &zip(&v1)]).ok();
    let version = |n: u32| {
        let listed = versions(&rig, &function);
        assert!(listed.len() >= n as usize, "{listed:?}");
        let arn = rig
            .block_on(
                rig.fixture
                    .lambda
                    .get_function_configuration()
                    .function_name(&function)
                    .qualifier(n.to_string())
                    .send(),
            )
            .unwrap()
            .function_arn
            .unwrap();
        assert!(arn.ends_with(&format!(":{n}")), "{arn}");
        arn
    };
    let ours = |arn: &str| {
        vec![
            ("default".to_owned(), "origin-response".to_owned(), arn.to_owned()),
            ("/api/*".to_owned(), "viewer-request".to_owned(), auth.clone()),
            ("/api/*".to_owned(), "origin-response".to_owned(), arn.to_owned()),
        ]
    };
    let v1_arn = version(1);
    assert_eq!(
        lambda_associations(&rig),
        ours(&v1_arn),
        "on the default behavior and /api/*, not /static/* or the pages'"
    );
    let (after, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    assert_eq!(
        after.default_cache_behavior.as_ref().unwrap().function_associations,
        before.default_cache_behavior.as_ref().unwrap().function_associations,
        "their CloudFront Function is kept"
    );
    // Version 1 on 2 behaviors; neither forwards Accept or Accept-Language yet: a warning, not a
    // failure.
    let verified = rig.run(&["verify"]).ok();
    insta::assert_snapshot!("association_verified", verified.transcript(&r));
    forward_all_but_host(&rig);
    let verified = rig.run(&["verify"]).ok();
    insta::assert_snapshot!("association_verified_forwarding", verified.transcript(&r));

    // Nothing changed: not one write, the association included.
    rig.proxy.clear();
    rig.run(&["publish", "--yes", "--lambda-zip", &zip(&v1)]).ok();
    assert_eq!(writes(&rig), Vec::<String>::new());

    // New code: a new version, and the distribution moved to it with If-Match.
    rig.proxy.clear();
    rig.run(&["publish", "--yes", "--lambda-zip", &zip(&v2)]).ok();
    let writes_now = writes(&rig);
    assert_eq!(
        writes_now[..2],
        [
            format!("PUT /2015-03-31/functions/{function}/code"),
            format!("POST /2015-03-31/functions/{function}/versions")
        ]
    );
    assert_eq!(writes_now[2], format!("PUT /2020-05-31/distribution/{}/config", rig.distribution), "{writes_now:?}");
    assert_eq!(writes_now.len(), 4, "and its rollback record: {writes_now:?}");
    let v2_arn = version(2);
    assert_eq!(lambda_associations(&rig), ours(&v2_arn));

    // Rollback: version 1 again, theirs untouched, and version 2 still there.
    let dry = rig.run(&["rollback", "--dry-run"]).ok();
    insta::assert_snapshot!("association_rollback_dry_run", dry.transcript(&r));
    rig.run(&["rollback", "--yes"]).ok();
    assert_eq!(lambda_associations(&rig), ours(&v1_arn));
    assert_eq!(versions(&rig, &function).len(), 2, "old versions stay");
    let failed = rig.run(&["verify"]).fails();
    insta::assert_snapshot!("association_rolled_back_verify", failed.transcript(&r));

    // Turned off: publish takes its association away and keeps theirs.
    rig.edit_config("enabled = true", "enabled = false");
    rig.run(&["publish", "--yes"]).ok();
    assert_eq!(lambda_associations(&rig), [("/api/*".to_owned(), "viewer-request".to_owned(), auth.clone())]);
}

fn percent_decode(text: &str) -> String {
    form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes()).next().unwrap().1.into_owned()
}

/// `custom_error_order = "after-function"` (what `verify --live` finds on a distribution whose
/// custom error responses replace the function's answer): the plan says so; 500, 502 and 503 keep
/// only their error caching TTL, so the function's answer reaches viewers, and 504 its page, for
/// CloudFront's own timeouts; `verify` holds the distribution to it; going back restores the pages.
#[test]
fn custom_error_responses_are_set_up_for_the_order_the_config_names() {
    // A role of its own: the default one is another test's to create and see planned.
    let (rig, function, role) = with_their_role(Start::Existing);
    let config = std::fs::read_to_string(&rig.config).unwrap();
    std::fs::write(&rig.config, config + "custom_error_order = \"after-function\"\n").unwrap();
    let zip = chaos_zip();
    let zip = zip.to_str().unwrap();

    let r = redactions(&rig, &function, &[("V1", Path::new(zip))]).value("ROLE", &role);
    // The assumption the error responses are set up for, and `edgepages verify --live URL` to
    // settle it.
    let planned = rig.run(&["plan", "--lambda-zip", zip]).ok();
    insta::assert_snapshot!("after_function_plan", planned.transcript(&r));

    rig.run(&["publish", "--yes", "--lambda-zip", zip]).ok();
    let pages = |rig: &Rig| {
        let (config, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
        let responses = config.custom_error_responses.unwrap().items.unwrap_or_default();
        let mut pages: Vec<(i32, Option<String>, Option<i64>)> = responses
            .into_iter()
            .filter(|r| r.error_code >= 500)
            .map(|r| (r.error_code, r.response_page_path.filter(|p| !p.is_empty()), r.error_caching_min_ttl))
            .collect();
        pages.sort();
        pages
    };
    assert_eq!(
        pages(&rig),
        [
            (500, None, Some(10)),
            (502, None, Some(10)),
            (503, None, Some(10)),
            (504, Some("/edgepages/504.html".to_owned()), Some(10))
        ]
    );
    let verified = rig.run(&["verify"]).ok();
    insta::assert_snapshot!("after_function_verified", verified.transcript(&r));

    rig.edit_config("custom_error_order = \"after-function\"", "custom_error_order = \"before-function\"");
    rig.run(&["verify"]).fails();
    rig.run(&["publish", "--yes", "--lambda-zip", zip]).ok();
    assert!(
        pages(&rig).iter().all(|(code, page, _)| page.as_deref() == Some(format!("/edgepages/{code}.html").as_str()))
    );
}

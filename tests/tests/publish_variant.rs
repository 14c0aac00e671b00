//! `edgepages plan`, `publish`, `verify` and `rollback` putting the answer's variant in the
//! cache key, against moto through the recording proxy: the per-viewer CloudFront Function and
//! a copy of the cache policy on a behavior that caches, the shared function on one that caches
//! nothing, nothing on one listed in `per_viewer`; no write when nothing changed; rollback and
//! `enabled = false` putting every behavior back.

#![allow(clippy::unwrap_used)]

mod aws;

use aws::Rig;
use aws_sdk_cloudfront::types::{
    CacheBehavior, CachePolicyConfig, CachePolicyCookieBehavior, CachePolicyCookiesConfig, CachePolicyHeaderBehavior,
    CachePolicyHeadersConfig, CachePolicyQueryStringBehavior, CachePolicyQueryStringsConfig, DistributionConfig,
    EventType, FunctionStage, ParametersInCacheKeyAndForwardedToOrigin, ViewerProtocolPolicy,
};
use edgepages_e2e::aws_fixture::{Start, unique};
use edgepages_e2e::cloudfront::chaos_zip;

const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/// A cache policy of the team's own that caches for up to 10 minutes; its ID.
fn their_caching_policy(rig: &Rig) -> String {
    let params = ParametersInCacheKeyAndForwardedToOrigin::builder()
        .enable_accept_encoding_gzip(true)
        .headers_config(
            CachePolicyHeadersConfig::builder().header_behavior(CachePolicyHeaderBehavior::None).build().unwrap(),
        )
        .cookies_config(
            CachePolicyCookiesConfig::builder().cookie_behavior(CachePolicyCookieBehavior::None).build().unwrap(),
        )
        .query_strings_config(
            CachePolicyQueryStringsConfig::builder()
                .query_string_behavior(CachePolicyQueryStringBehavior::All)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let config = CachePolicyConfig::builder()
        .name(unique("shop-pages"))
        .min_ttl(0)
        .default_ttl(60)
        .max_ttl(600)
        .parameters_in_cache_key_and_forwarded_to_origin(params)
        .build()
        .unwrap();
    let out = rig.block_on(rig.fixture.cloudfront.create_cache_policy().cache_policy_config(config).send()).unwrap();
    out.cache_policy.unwrap().id
}

/// The team's distribution before edgepages: the default behavior caching nothing and
/// forwarding every viewer header but Host, `/pages/*` caching with `policy`, and `/api/*`
/// caching nothing; all three to the ALB.
fn their_behaviors(rig: &Rig, policy: &str) {
    let (mut config, etag) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    config.default_cache_behavior.as_mut().unwrap().origin_request_policy_id = Some(ALL_VIEWER_EXCEPT_HOST.into());
    let behaviors = config.cache_behaviors.as_mut().unwrap();
    for (pattern, cache) in [("/pages/*", policy), ("/api/*", CACHING_DISABLED)] {
        let b = CacheBehavior::builder()
            .path_pattern(pattern)
            .target_origin_id("alb")
            .viewer_protocol_policy(ViewerProtocolPolicy::HttpsOnly)
            .cache_policy_id(cache)
            .origin_request_policy_id(ALL_VIEWER_EXCEPT_HOST)
            .build()
            .unwrap();
        behaviors.items.as_mut().unwrap().push(b);
        behaviors.quantity += 1;
    }
    let update = rig.fixture.cloudfront.update_distribution().id(&rig.distribution).if_match(etag);
    rig.block_on(update.distribution_config(config).send()).unwrap();
}

/// Each behavior as `(path pattern or "*", cache policy, viewer-request CloudFront Function)`.
fn behaviors(config: &DistributionConfig) -> Vec<(String, String, Option<String>)> {
    let viewer_request = |list: Option<&aws_sdk_cloudfront::types::FunctionAssociations>| {
        list.and_then(|l| l.items.as_ref())
            .and_then(|items| items.iter().find(|a| a.event_type == EventType::ViewerRequest))
            .map(|a| a.function_arn.clone())
    };
    let default = config.default_cache_behavior.as_ref().unwrap();
    let mut out = vec![(
        "*".to_owned(),
        default.cache_policy_id.clone().unwrap_or_default(),
        viewer_request(default.function_associations.as_ref()),
    )];
    for b in config.cache_behaviors.as_ref().and_then(|b| b.items.as_ref()).unwrap() {
        out.push((
            b.path_pattern.clone(),
            b.cache_policy_id.clone().unwrap_or_default(),
            viewer_request(b.function_associations.as_ref()),
        ));
    }
    out
}

/// The write calls the proxy saw, as `METHOD path`.
fn writes(rig: &Rig) -> Vec<String> {
    rig.proxy
        .writes()
        .into_iter()
        .map(|w| format!("{} {}", w.method, w.path.split('?').next().unwrap_or_default()))
        .collect()
}

#[test]
fn each_behavior_gets_its_variant_nothing_is_written_twice_and_rollback_and_disabling_put_them_back() {
    let function = unique("edgepages-fn");
    let extra = format!(
        "\n[cloudfront.lambda_edge]\nenabled = true\nfunction_name = \"{function}\"\nper_viewer = [\"/api/*\"]\n"
    );
    let rig = Rig::with(Start::Existing, None, &extra);
    let policy = their_caching_policy(&rig);
    their_behaviors(&rig, &policy);
    let (before, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let zip = chaos_zip();
    let zip = zip.to_str().unwrap();
    let dist = &rig.distribution;
    let (per_viewer, shared) = (format!("edgepages-variant-{dist}"), format!("edgepages-shared-{dist}"));
    let copy_name = format!("edgepages-variant-{policy}");

    // The plan says what each behavior gets, and writes nothing.
    rig.proxy.clear();
    let planned = rig.run(&["plan", "--lambda-zip", zip]).ok();
    for line in [
        "  the variant in the cache key:\n    default behavior: caches nothing; one answer for every viewer".to_owned(),
        format!("    behavior /pages/*: caches; each viewer's own variant, in a copy of cache policy {policy}\n"),
        "    behavior /api/*: caches nothing, in per_viewer; each viewer's own answer".to_owned(),
        format!(
            "    + create CloudFront Function {per_viewer}\n    + publish CloudFront Function {per_viewer} to live\n"
        ),
        format!("    + create CloudFront Function {shared}\n    + publish CloudFront Function {shared} to live\n"),
        format!("    + create cache policy {copy_name}\n"),
        format!("~ cache policy, behavior /pages/*\n        - {policy}\n        + (new)\n"),
        "+ viewer-request function, default behavior\n        + (new)\n".to_owned(),
    ] {
        assert!(planned.stdout.contains(&line), "{line:?} in\n{}", planned.stdout);
    }
    assert!(!planned.stdout.contains("viewer-request function, behavior /api/*"), "{}", planned.stdout);
    assert_eq!(writes(&rig), Vec::<String>::new());

    // Publish: the two functions, live; the copy; then the distribution names them.
    rig.proxy.clear();
    rig.run(&["publish", "--yes", "--lambda-zip", zip]).ok();
    let variant_writes: Vec<String> = writes(&rig)
        .into_iter()
        .filter(|w| w.contains("/2020-05-31/function") || w.contains("/cache-policy"))
        .collect();
    assert_eq!(
        variant_writes,
        [
            "POST /2020-05-31/function".to_owned(),
            format!("POST /2020-05-31/function/{per_viewer}/publish"),
            "POST /2020-05-31/function".to_owned(),
            format!("POST /2020-05-31/function/{shared}/publish"),
            "POST /2020-05-31/cache-policy".to_owned(),
        ]
    );
    let (after, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let copies = rig.block_on(rig.fixture.cloudfront.list_cache_policies().send()).unwrap();
    let copy = copies
        .cache_policy_list
        .unwrap()
        .items
        .unwrap()
        .into_iter()
        .filter_map(|s| s.cache_policy)
        .find(|p| p.cache_policy_config.as_ref().is_some_and(|c| c.name == copy_name))
        .expect("the copy exists");
    let key_headers = copy
        .cache_policy_config
        .as_ref()
        .and_then(|c| c.parameters_in_cache_key_and_forwarded_to_origin.as_ref())
        .and_then(|p| p.headers_config.as_ref())
        .and_then(|h| h.headers.as_ref())
        .and_then(|h| h.items.clone());
    assert_eq!(key_headers.as_deref(), Some(&["x-edgepages-variant".to_owned()][..]));
    assert_eq!(copy.cache_policy_config.as_ref().unwrap().max_ttl, Some(600), "the rest is the original's");
    let arn = |name: &str| format!("arn:aws:cloudfront::123456789012:function/{name}");
    let was = behaviors(&before);
    let without_pages = |c: &DistributionConfig| {
        let mut listed = behaviors(c);
        listed.retain(|(pattern, _, _)| pattern != "/edgepages/*");
        listed
    };
    assert_eq!(
        without_pages(&after),
        [
            ("*".to_owned(), CACHING_DISABLED.to_owned(), Some(arn(&shared))),
            was[1].clone(),
            ("/pages/*".to_owned(), copy.id.clone(), Some(arn(&per_viewer))),
            was[3].clone(),
        ],
        "the pages' and /static/* behaviors untouched; /api/* (per_viewer) untouched"
    );
    // What runs live is the site's own port of core's negotiation.
    let live = rig
        .block_on(rig.fixture.cloudfront.get_function().name(&per_viewer).stage(FunctionStage::Live).send())
        .unwrap();
    let code = String::from_utf8(live.function_code.unwrap().into_inner()).unwrap();
    assert!(code.contains("var SHARED = null;") && code.contains("function chooseLanguage"), "{code}");

    let verified = rig.run(&["verify"]).ok();
    assert!(
        verified.stdout.contains(
            "ok   the variant in the cache key: each viewer's variant in the cache key: behavior /pages/*; one \
             answer for all: default behavior; each viewer's own (per_viewer): behavior /api/*\n"
        ),
        "{}",
        verified.stdout
    );

    // Only /api/*, which answers per viewer, can share an answer between viewers.
    assert!(
        verified.stdout.contains(
            "warn headers the function sees: behavior /api/* forwards accept and accept-language without it in the \
             cache key: CloudFront keeps"
        ),
        "{}",
        verified.stdout
    );

    // Nothing changed: not one write.
    rig.proxy.clear();
    rig.run(&["publish", "--yes", "--lambda-zip", zip]).ok();
    assert_eq!(writes(&rig), Vec::<String>::new());

    // Rollback: every behavior as it was; the functions and the copy stay.
    rig.run(&["rollback", "--yes"]).ok();
    let (rolled, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    assert_eq!(behaviors(&rolled), was);
    let failed = rig.run(&["verify"]).fails();
    assert!(
        failed.stdout.contains(&format!(
            "FAIL the variant in the cache key: default behavior has viewer-request function none, not {}",
            arn(&shared)
        )),
        "{}",
        failed.stdout
    );

    // Published again, then turned off: every behavior back on its own policy, no function of ours.
    rig.proxy.clear();
    rig.run(&["publish", "--yes", "--lambda-zip", zip]).ok();
    assert!(
        !writes(&rig).iter().any(|w| w.contains("/2020-05-31/function") || w.contains("/cache-policy")),
        "the functions and the copy are reused: {:?}",
        writes(&rig)
    );
    rig.edit_config("enabled = true", "enabled = false");
    rig.run(&["publish", "--yes"]).ok();
    let (off, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    assert_eq!(without_pages(&off), was);
}

/// moto holds no managed policies; `tests/moto/server.py` serves the ones publish reads, and they
/// must read back as AWS documents them, or a copy publish makes of one differs from the copy it
/// would make on AWS. using-managed-cache-policies.html: CachingOptimized caches compressed
/// objects (Gzip and Brotli) with TTLs of 1 s, 1 day and 365 days; CachingDisabled caches nothing
/// and compresses nothing. using-managed-origin-request-policies.html: AllViewer and
/// AllViewerExceptHostHeader forward every cookie and query string; CORS-S3Origin three headers
/// and neither cookies nor query strings.
#[test]
fn the_managed_policies_read_back_as_aws_documents_them() {
    let rig = Rig::new(Start::Fresh);
    let cf = &rig.fixture.cloudfront;
    let cache = |id: &str| {
        let out = rig.block_on(cf.get_cache_policy().id(id).send()).unwrap();
        let config = out.cache_policy.unwrap().cache_policy_config.unwrap();
        let p = config.parameters_in_cache_key_and_forwarded_to_origin.clone().unwrap();
        (
            config.name.clone(),
            (config.min_ttl, config.default_ttl.unwrap(), config.max_ttl.unwrap()),
            (p.enable_accept_encoding_gzip, p.enable_accept_encoding_brotli),
        )
    };
    assert_eq!(
        cache("658327ea-f89d-4fab-a63d-7e88639e58f6"),
        ("Managed-CachingOptimized".into(), (1, 86_400, 31_536_000), (true, Some(true)))
    );
    assert_eq!(cache(CACHING_DISABLED), ("Managed-CachingDisabled".into(), (0, 0, 0), (false, Some(false))));
    let origin_request = |id: &str| {
        let out = rig.block_on(cf.get_origin_request_policy().id(id).send()).unwrap();
        let config = out.origin_request_policy.unwrap().origin_request_policy_config.unwrap();
        (
            config.name.clone(),
            config.cookies_config.unwrap().cookie_behavior.as_str().to_owned(),
            config.query_strings_config.unwrap().query_string_behavior.as_str().to_owned(),
        )
    };
    assert_eq!(
        origin_request("216adef6-5c7f-47e4-b989-5492eafa07d3"),
        ("Managed-AllViewer".into(), "all".into(), "all".into())
    );
    assert_eq!(
        origin_request(ALL_VIEWER_EXCEPT_HOST),
        ("Managed-AllViewerExceptHostHeader".into(), "all".into(), "all".into())
    );
    assert_eq!(
        origin_request("88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"),
        ("Managed-CORS-S3Origin".into(), "none".into(), "none".into())
    );
}

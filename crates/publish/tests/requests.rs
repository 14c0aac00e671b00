//! The exact requests `publish` sends, pinned with aws-smithy-mocks: the parts moto cannot show
//! (it ignores If-Match and drops OriginAccessControlId, S3OriginConfig and FunctionAssociations
//! on a round trip), and a modelled `PreconditionFailed`.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use aws_sdk_cloudfront::operation::create_origin_access_control::CreateOriginAccessControlOutput;
use aws_sdk_cloudfront::operation::list_origin_access_controls::ListOriginAccessControlsOutput;
use aws_sdk_cloudfront::operation::update_distribution::{
    UpdateDistributionError, UpdateDistributionInput, UpdateDistributionOutput,
};
use aws_sdk_cloudfront::types::error::PreconditionFailed;
use aws_sdk_cloudfront::types::{
    CacheBehavior, DistributionConfig, EventType, FunctionAssociation, FunctionAssociations, OriginAccessControl,
    OriginAccessControlList, ViewerProtocolPolicy,
};
use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyOutput;
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use aws_sdk_s3::operation::put_bucket_policy::{PutBucketPolicyInput, PutBucketPolicyOutput};
use aws_sdk_s3::operation::put_object::PutObjectOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::{Response as HttpResponse, StatusCode};
use aws_smithy_types::body::SdkBody;
use edgepages_publish::aws::{Aws, AwsError};
use edgepages_publish::fixtures::{Start, desired, distribution, push_behavior};
use edgepages_publish::progress::Quiet;
use edgepages_publish::session::{Clients, Part, Session, Targets};
use edgepages_publish::wiring::Wiring;
use edgepages_publish::{RollbackRecord, plan};

const ARN: &str = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE123";
const THEIR_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Theirs","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::pages-bucket/*"}]}"#;

/// A behavior with a CloudFront Function attached: moto would drop the association.
fn with_function() -> CacheBehavior {
    let association = FunctionAssociation::builder()
        .function_arn("arn:aws:cloudfront::123456789012:function/rewrite")
        .event_type(EventType::ViewerRequest)
        .build()
        .unwrap();
    CacheBehavior::builder()
        .path_pattern("/static/*")
        .target_origin_id("alb")
        .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
        .function_associations(FunctionAssociations::builder().quantity(1).items(association).build().unwrap())
        .build()
        .unwrap()
}

/// The fixture's fresh distribution with a team's behavior that has a function attached.
fn distribution_config() -> DistributionConfig {
    let mut config = distribution(Start::Fresh);
    push_behavior(&mut config, with_function());
    config
}

/// Every rule the tests use, with what the write calls were sent.
struct Mocks {
    list: Rule,
    policy: Rule,
    encryption: Rule,
    get_distribution: Rule,
    list_oacs: Rule,
    create_oac: Rule,
    put_object: Rule,
    put_policy: Rule,
    update: Rule,
    updates: Arc<Mutex<Vec<UpdateDistributionInput>>>,
    policies: Arc<Mutex<Vec<PutBucketPolicyInput>>>,
    records: Arc<Mutex<Vec<String>>>,
    aws: Aws,
}

/// GetDistribution's answer for `config`, as CloudFront's XML: the SDK reads it as it would read
/// the real thing, and `publish` sees the raw body it checks for elements the SDK would drop.
async fn distribution_xml(config: &DistributionConfig) -> String {
    let config = edgepages_publish::sdk_xml::update_body("E2EXAMPLE123", config.clone()).await.unwrap();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Distribution xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">\
         <Id>E2EXAMPLE123</Id><ARN>{ARN}</ARN><Status>Deployed</Status>\
         <LastModifiedTime>2026-01-01T00:00:00Z</LastModifiedTime>\
         <InProgressInvalidationBatches>0</InProgressInvalidationBatches>\
         <DomainName>d111111abcdef8.cloudfront.net</DomainName>{config}</Distribution>"
    )
}

async fn mocks(update_fails: bool) -> Mocks {
    let list = mock!(aws_sdk_s3::Client::list_objects_v2).then_output(|| ListObjectsV2Output::builder().build());
    let policy = mock!(aws_sdk_s3::Client::get_bucket_policy)
        .then_output(|| GetBucketPolicyOutput::builder().policy(THEIR_POLICY).build());
    // Every bucket's default since January 2023: SSE-S3.
    let encryption = mock!(aws_sdk_s3::Client::get_bucket_encryption).then_output(|| {
        use aws_sdk_s3::types::{
            ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
            ServerSideEncryptionRule,
        };
        let by_default =
            ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256).build().unwrap();
        let rule = ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(by_default).build();
        aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput::builder()
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder().rules(rule).build().unwrap(),
            )
            .build()
    });
    let xml = distribution_xml(&distribution_config()).await;
    let get_distribution = mock!(aws_sdk_cloudfront::Client::get_distribution).then_http_response(move || {
        let mut response = HttpResponse::new(StatusCode::try_from(200).unwrap(), SdkBody::from(xml.clone()));
        response.headers_mut().insert("ETag", "ETAG1");
        response
    });
    let list_oacs = mock!(aws_sdk_cloudfront::Client::list_origin_access_controls).then_output(|| {
        ListOriginAccessControlsOutput::builder()
            .origin_access_control_list(
                OriginAccessControlList::builder()
                    .marker("")
                    .max_items(100)
                    .is_truncated(false)
                    .quantity(0)
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let create_oac = mock!(aws_sdk_cloudfront::Client::create_origin_access_control).then_output(|| {
        CreateOriginAccessControlOutput::builder()
            .origin_access_control(OriginAccessControl::builder().id("OACNEW").build().unwrap())
            .build()
    });
    let records = Arc::new(Mutex::new(Vec::new()));
    let seen = records.clone();
    let put_object = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(move |req| {
            if req.key().is_some_and(|k| k.contains("/_edgepages/rollback/")) {
                let body = req.body().bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
                seen.lock().unwrap().push(body);
            }
            true
        })
        .then_output(|| PutObjectOutput::builder().build());
    let policies = Arc::new(Mutex::new(Vec::new()));
    let seen = policies.clone();
    let put_policy = mock!(aws_sdk_s3::Client::put_bucket_policy)
        .match_requests(move |req| {
            seen.lock().unwrap().push(req.clone());
            true
        })
        .then_output(|| PutBucketPolicyOutput::builder().build());
    let updates = Arc::new(Mutex::new(Vec::new()));
    let seen = updates.clone();
    let update = mock!(aws_sdk_cloudfront::Client::update_distribution).match_requests(move |req| {
        seen.lock().unwrap().push(req.clone());
        true
    });
    let update = if update_fails {
        update.then_error(|| {
            UpdateDistributionError::PreconditionFailed(PreconditionFailed::builder().message("stale").build())
        })
    } else {
        update.then_output(|| UpdateDistributionOutput::builder().e_tag("ETAG2").build())
    };
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&list, &policy, &encryption, &put_object, &put_policy]);
    let cloudfront =
        mock_client!(aws_sdk_cloudfront, RuleMode::MatchAny, [&get_distribution, &list_oacs, &create_oac, &update]);
    Mocks {
        list,
        policy,
        encryption,
        get_distribution,
        list_oacs,
        create_oac,
        put_object,
        put_policy,
        update,
        updates,
        policies,
        records,
        aws: Aws::new(s3, cloudfront),
    }
}

/// A publish session of `desired` alone, read through `m`'s clients.
async fn read(m: &Mocks, desired: edgepages_publish::Desired) -> (Session, Clients) {
    let clients = Clients { aws: Some(m.aws.clone()), function: None, alb: None };
    let targets = Targets { desired, lambda: None, variant: None, guard: None };
    (Session::read(&targets, &clients, &Quiet).await.unwrap(), clients)
}

#[tokio::test]
async fn planning_reads_and_never_writes() {
    let m = mocks(false).await;
    let current = m.aws.read_current(&desired()).await.unwrap();
    let p = plan(&desired(), &Wiring::default(), &current).unwrap();
    assert_eq!(p.write_count(), 2 + 1 + 1 + 2);
    assert_eq!(
        [m.list.num_calls(), m.policy.num_calls(), m.get_distribution.num_calls(), m.list_oacs.num_calls()],
        [1, 1, 1, 1]
    );
    assert_eq!(m.encryption.num_calls(), 1, "the bucket's default encryption, for an SSE-KMS key");
    assert_eq!(current.encryption, edgepages_publish::kms::Encryption::S3Managed);
    assert_eq!(
        [m.put_object.num_calls(), m.put_policy.num_calls(), m.create_oac.num_calls(), m.update.num_calls()],
        [0, 0, 0, 0]
    );
}

#[tokio::test]
async fn publish_sends_if_match_and_the_fields_moto_drops() {
    let m = mocks(false).await;
    let d = desired();
    let (session, clients) = read(&m, d).await;
    let applied = session.apply(&clients, "2026-12-02T08:10:50Z", &Quiet).await.unwrap().pages;
    assert_eq!(applied.uploaded.len(), 2);
    assert_eq!(applied.created_oac.as_deref(), Some("OACNEW"));
    assert_eq!(applied.distribution_etag.as_deref(), Some("ETAG2"));

    let updates = m.updates.lock().unwrap();
    assert_eq!(updates.len(), 1, "one update, never retried");
    let sent = &updates[0];
    assert_eq!(sent.if_match(), Some("ETAG1"));
    assert_eq!(sent.id(), Some("E2EXAMPLE123"));
    let config = sent.distribution_config().unwrap();
    let ours = config.origins.as_ref().unwrap().items.iter().find(|o| o.id == "edgepages-pages-bucket").unwrap();
    assert_eq!(ours.origin_access_control_id.as_deref(), Some("OACNEW"), "the real OAC ID, not the plan's placeholder");
    assert_eq!(ours.s3_origin_config.as_ref().unwrap().origin_access_identity, "");
    let behaviors = config.cache_behaviors.as_ref().unwrap().items.as_ref().unwrap();
    assert_eq!(behaviors[1], with_function(), "the behavior with a function association is sent back whole");
    assert_eq!(behaviors[0].path_pattern, "/edgepages/*");

    // The uploads (2 pages) and the rollback record are S3 puts; the record comes last.
    assert_eq!(m.put_object.num_calls(), 3);
    let records = m.records.lock().unwrap();
    let record: RollbackRecord = serde_json::from_str(&records[0]).unwrap();
    assert_eq!(record.published_etag, "ETAG2");
    assert_eq!(record.published_at.as_deref(), Some("2026-12-02T08:10:50Z"));
    assert!(record.before.origin.is_none() && record.before.behavior.is_none());

    let policies = m.policies.lock().unwrap();
    let policy: serde_json::Value = serde_json::from_str(policies[0].policy().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Sid"], "Theirs", "their statement is kept");
    assert_eq!(policy["Statement"][1]["Condition"]["StringEquals"]["AWS:SourceArn"], ARN);
}

#[tokio::test]
async fn precondition_failed_stops_without_retrying_or_saving_a_record() {
    let m = mocks(true).await;
    let d = desired();
    let (session, clients) = read(&m, d).await;
    let err = session.apply(&clients, "2026-12-02T08:10:50Z", &Quiet).await.unwrap_err();
    assert!(matches!(err.source, AwsError::PreconditionFailed { ref id } if id == "E2EXAMPLE123"), "{err:?}");
    assert_eq!(err.part, Part::Distribution);
    assert!(!err.distribution_changed());
    assert!(err.to_string().contains("changed by someone else"), "{err}");
    assert_eq!(m.update.num_calls(), 1, "a PreconditionFailed is never retried");
    assert_eq!(m.put_object.num_calls(), 2, "the pages, but no rollback record");
    assert!(m.records.lock().unwrap().is_empty());
}

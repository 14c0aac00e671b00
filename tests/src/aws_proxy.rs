//! A recording HTTP proxy in front of the AWS API server: it logs every request's method and
//! path, so a test can prove that a command made no write call. It can also misbehave on request
//! ([`Faults`]): fail the k-th page upload, to show what a failure in the middle of publishing
//! leaves behind, or slip in a rival's change to the distribution just before the binary's own
//! update, to show that `If-Match` stops a write based on stale state (seed 004).

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// One request that passed through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The `Action` of a query-protocol call (IAM's), which every call POSTs.
    pub action: Option<String>,
}

impl Seen {
    /// Everything but GET and HEAD changes state on S3, CloudFront and Lambda; IAM's, Elastic
    /// Load Balancing's and KMS's calls are all POSTs, and only their `Get…`, `List…` and
    /// `Describe…` actions read.
    pub fn is_write(&self) -> bool {
        match &self.action {
            Some(action) => !["Get", "List", "Describe"].iter().any(|read| action.starts_with(read)),
            None => self.method != "GET" && self.method != "HEAD",
        }
    }
}

#[derive(Debug)]
pub struct RecordingProxy {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    unknown_elements: Arc<AtomicBool>,
    fail_publish_version: Arc<AtomicBool>,
    etags_rewritten: Arc<AtomicUsize>,
    rival_rule: Arc<Mutex<Option<(String, u32)>>>,
    runtime: tokio::runtime::Runtime,
}

/// How the proxy misbehaves.
#[derive(Debug, Clone, Copy, Default)]
#[allow(clippy::struct_excessive_bools, reason = "each is one independent fault a test switches on")]
pub struct Faults {
    /// Fail the page upload with this 1-based number with S3's `AccessDenied`.
    pub fail_upload: Option<usize>,
    /// Answer every other page upload this long after S3 has stored it, so that uploads are still
    /// in flight, already written, when one fails.
    pub slow_uploads: Option<std::time::Duration>,
    /// Before forwarding the first `UpdateDistribution`, update the distribution itself (its
    /// comment becomes [`RIVAL_COMMENT`]), as someone else working on it at the same time would.
    pub rival_update: bool,
    /// After answering the first read of a bucket policy, write a policy of a rival's own (with
    /// the statement [`RIVAL_STATEMENT`]), as someone changing it between a plan and its write.
    pub rival_policy: bool,
    /// Give every S3 object an ETag that is not its body's MD5, as S3 does under SSE-KMS and
    /// for multipart uploads: in listings and in `ETag` headers.
    pub opaque_etags: bool,
    /// Refuse every rollback record upload with S3's `AccessDenied`.
    pub fail_record: bool,
    /// After each `UpdateDistribution`, this many distribution reads say `InProgress`, as
    /// CloudFront's do while it deploys a change (moto's say `Deployed` at once).
    pub deploying_reads: Option<usize>,
    /// Once a write has passed, refuse every `DescribeRules` with Elastic Load Balancing's
    /// `AccessDenied`, as a role that may write the rules but lost the right to read them would.
    pub fail_rule_reads_after_a_write: bool,
}

/// The elements [`RecordingProxy::set_unknown_elements`] adds to a distribution's config: a
/// setting and an origin field that no aws-sdk-cloudfront models.
pub const UNKNOWN_ELEMENTS: [&str; 2] = ["FutureSetting", "Origins/Items/Origin/FutureShield"];

/// The `Sid` of the statement a rival's bucket policy holds.
pub const RIVAL_STATEMENT: &str = "TheirsAddedMeanwhile";

/// The comment a rival's update leaves on the distribution.
pub const RIVAL_COMMENT: &str = "changed by someone else meanwhile";

struct Shared {
    upstream: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    faults: Faults,
    uploads: AtomicUsize,
    rival_done: AtomicBool,
    rival_policy_done: AtomicBool,
    unknown_elements: Arc<AtomicBool>,
    fail_publish_version: Arc<AtomicBool>,
    etags_rewritten: Arc<AtomicUsize>,
    rival_rule: Arc<Mutex<Option<(String, u32)>>>,
    /// Distribution reads still to answer `InProgress`.
    deploying: AtomicUsize,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl RecordingProxy {
    /// A proxy to `upstream` that misbehaves as `faults` says.
    pub fn start(upstream: &str, faults: Faults) -> Result<RecordingProxy> {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let url = format!("http://{}", listener.local_addr()?);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let unknown_elements = Arc::new(AtomicBool::new(false));
        let fail_publish_version = Arc::new(AtomicBool::new(false));
        let etags_rewritten = Arc::new(AtomicUsize::new(0));
        let rival_rule = Arc::new(Mutex::new(None));
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            seen: seen.clone(),
            faults,
            uploads: AtomicUsize::new(0),
            rival_done: AtomicBool::new(false),
            rival_policy_done: AtomicBool::new(false),
            unknown_elements: unknown_elements.clone(),
            fail_publish_version: fail_publish_version.clone(),
            etags_rewritten: etags_rewritten.clone(),
            rival_rule: rival_rule.clone(),
            deploying: AtomicUsize::new(0),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| forward(shared.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(RecordingProxy { url, seen, unknown_elements, fail_publish_version, etags_rewritten, rival_rule, runtime })
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("the log lock").clone()
    }

    /// The write requests so far.
    pub fn writes(&self) -> Vec<Seen> {
        self.seen().into_iter().filter(Seen::is_write).collect()
    }

    /// From now on, or no longer, every distribution read carries [`UNKNOWN_ELEMENTS`], as
    /// CloudFront's answers would once it has a feature newer than the SDK.
    pub fn set_unknown_elements(&self, on: bool) {
        self.unknown_elements.store(on, Ordering::SeqCst);
    }

    /// From now on, or no longer, every Lambda `PublishVersion` is refused with Lambda's
    /// `AccessDeniedException` (a role without `lambda:PublishVersion`), so that a publish stops
    /// between uploading the function's code and publishing it.
    pub fn set_fail_publish_version(&self, on: bool) {
        self.fail_publish_version.store(on, Ordering::SeqCst);
    }

    /// Once, right after answering the next `DescribeRules`, move the listener rule `arn` to
    /// `priority` (`SetRulePriorities`), as someone working on the listener between a read and
    /// a write would.
    pub fn set_rival_rule(&self, arn: &str, priority: u32) {
        *self.rival_rule.lock().expect("the rival lock") = Some((arn.to_owned(), priority));
    }

    /// How many S3 ETags [`Faults::opaque_etags`] has replaced so far.
    pub fn etags_rewritten(&self) -> usize {
        self.etags_rewritten.load(Ordering::SeqCst)
    }

    pub fn clear(&self) {
        self.seen.lock().expect("the log lock").clear();
    }

    /// The runtime the proxy runs on, for async fixtures.
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }
}

/// The API action a request calls: the query protocols (IAM, Elastic Load Balancing) name it in
/// the form, the JSON ones (KMS) in X-Amz-Target, as `TrentService.DescribeKey`; `None` for the
/// REST ones (S3, CloudFront, Lambda).
fn action_of(req: &Request<()>, body: &Bytes) -> Option<String> {
    let target = req.headers().get("x-amz-target").and_then(|v| v.to_str().ok()).and_then(|t| t.rsplit('.').next());
    target.map(str::to_owned).or_else(|| {
        (req.method() == hyper::Method::POST)
            .then(|| form_urlencoded::parse(body).find(|(key, _)| key == "Action").map(|(_, value)| value.into_owned()))
            .flatten()
    })
}

async fn forward(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(http_body_util::Collected::to_bytes).unwrap_or_default();
    let req = Request::from_parts(parts, ());
    let method = req.method().clone();
    let path_and_query = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let action = action_of(&req, &body);
    shared.seen.lock().expect("the log lock").push(Seen {
        method: method.to_string(),
        path: path_and_query.clone(),
        action: action.clone(),
    });

    if let Some(refusal) = refused(&shared, &method, req.uri().path(), action.as_deref()) {
        return Ok(refusal);
    }

    let is_rules_read = action.as_deref() == Some("DescribeRules");
    let is_page_upload =
        method == hyper::Method::PUT && std::path::Path::new(req.uri().path()).extension().is_some_and(|e| e == "html");
    let is_distribution_update = method == hyper::Method::PUT && req.uri().path().ends_with("/config");
    let is_distribution_read = method == hyper::Method::GET
        && req.uri().path().starts_with("/2020-05-31/distribution/")
        && req.uri().path().matches('/').count() == 3;
    let is_policy_read = method == hyper::Method::GET
        && req.uri().query().is_some_and(|q| q.split('&').any(|p| p == "policy" || p.starts_with("policy=")));
    let authorization = req.headers().get("authorization").cloned();
    if is_distribution_update
        && shared.faults.rival_update
        && !shared.rival_done.swap(true, Ordering::SeqCst)
        && let Err(why) = rival_update(&shared, req.uri().path(), authorization.clone()).await
    {
        return Ok(rig_failure(&format!("the test proxy's rival update failed: {why}")));
    }

    let (parts, ()) = req.into_parts();
    let mut upstream = Request::builder().method(parts.method).uri(format!("{}{path_and_query}", shared.upstream));
    for (name, value) in &parts.headers {
        upstream = upstream.header(name, value);
    }
    let Ok(upstream) = upstream.body(Full::new(body)) else { return Ok(bad_gateway("could not build the request")) };
    match shared.client.request(upstream).await {
        Ok(resp) => {
            let (mut parts, body) = resp.into_parts();
            let mut body = body.collect().await.map(http_body_util::Collected::to_bytes).unwrap_or_default();
            if shared.faults.opaque_etags && !path_and_query.starts_with("/2020-05-31/") {
                let (rewritten, count) = opaque_etags(&body);
                if count > 0 {
                    body = rewritten;
                    parts.headers.remove(hyper::header::CONTENT_LENGTH);
                }
                if let Some(etag) = parts.headers.get(hyper::header::ETAG).and_then(|v| v.to_str().ok()) {
                    let opaque = hyper::header::HeaderValue::from_str(&format!("\"{}\"", opaque_etag(etag)));
                    parts.headers.insert(hyper::header::ETAG, opaque.expect("hex digits and quotes"));
                    shared.etags_rewritten.fetch_add(1, Ordering::SeqCst);
                }
                shared.etags_rewritten.fetch_add(count, Ordering::SeqCst);
            }
            if is_distribution_update && parts.status.is_success() {
                shared.deploying.store(shared.faults.deploying_reads.unwrap_or(0), Ordering::SeqCst);
            }
            if is_distribution_read
                && parts.status.is_success()
                && shared.deploying.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
            {
                body = Bytes::from(String::from_utf8_lossy(&body).replacen(
                    "<Status>Deployed</Status>",
                    "<Status>InProgress</Status>",
                    1,
                ));
                parts.headers.remove(hyper::header::CONTENT_LENGTH);
            }
            if is_distribution_read && parts.status.is_success() && shared.unknown_elements.load(Ordering::SeqCst) {
                body = with_unknown_elements(&body);
                parts.headers.remove(hyper::header::CONTENT_LENGTH);
            }
            if is_rules_read && parts.status.is_success() {
                let rival = shared.rival_rule.lock().expect("the rival lock").take();
                if let Some((arn, priority)) = rival
                    && let Err(why) = rival_rule(&shared, &arn, priority, authorization.clone()).await
                {
                    return Ok(rig_failure(&format!("the test proxy's rival rule change failed: {why}")));
                }
            }
            if let Some(delay) = shared.faults.slow_uploads.filter(|_| is_page_upload) {
                tokio::time::sleep(delay).await;
            }
            if is_policy_read && shared.faults.rival_policy && !shared.rival_policy_done.swap(true, Ordering::SeqCst) {
                let bucket_uri = format!("{}{}", shared.upstream, req_path(&path_and_query));
                if let Err(why) = rival_policy(&shared, &bucket_uri, authorization).await {
                    return Ok(rig_failure(&format!("the test proxy's rival policy failed: {why}")));
                }
            }
            Ok(Response::from_parts(parts, Full::new(body)))
        }
        Err(e) => Ok(bad_gateway(&e.to_string())),
    }
}

/// The refusal a fault injects for this request, if any: it never reaches moto.
fn refused(shared: &Shared, method: &hyper::Method, path: &str, action: Option<&str>) -> Option<Response<Full<Bytes>>> {
    if action == Some("DescribeRules")
        && shared.faults.fail_rule_reads_after_a_write
        && shared.seen.lock().expect("the log lock").iter().any(Seen::is_write)
    {
        return Some(elb_access_denied());
    }
    if method == hyper::Method::PUT && std::path::Path::new(path).extension().is_some_and(|e| e == "html") {
        let n = shared.uploads.fetch_add(1, Ordering::SeqCst) + 1;
        if shared.faults.fail_upload == Some(n) {
            return Some(access_denied());
        }
    }
    if shared.faults.fail_record && method == hyper::Method::PUT && path.contains("/_edgepages/rollback") {
        return Some(access_denied());
    }
    if shared.fail_publish_version.load(Ordering::SeqCst)
        && method == hyper::Method::POST
        && path.starts_with("/2015-03-31/functions/")
        && path.ends_with("/versions")
    {
        return Some(lambda_access_denied());
    }
    None
}

/// Reads the distribution (`path` is its `/config`) and writes its config back with another
/// comment, with the ETag it just read: the binary's own `If-Match` is now out of date. The
/// binary's `authorization` header goes along: moto routes on it and checks no signature.
/// Moves listener rule `arn` to `priority`, signed as the binary's own request was.
async fn rival_rule(
    shared: &Shared,
    arn: &str,
    priority: u32,
    authorization: Option<hyper::header::HeaderValue>,
) -> Result<()> {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "SetRulePriorities")
        .append_pair("Version", "2015-12-01")
        .append_pair("RulePriorities.member.1.RuleArn", arn)
        .append_pair("RulePriorities.member.1.Priority", &priority.to_string())
        .finish();
    let mut request = Request::builder()
        .method(hyper::Method::POST)
        .uri(format!("{}/", shared.upstream))
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let status = shared.client.request(request.body(Full::new(Bytes::from(body)))?).await?.status();
    anyhow::ensure!(status.is_success(), "SetRulePriorities answered {status}");
    Ok(())
}

async fn rival_update(shared: &Shared, path: &str, authorization: Option<hyper::header::HeaderValue>) -> Result<()> {
    let config_uri = format!("{}{path}", shared.upstream);
    let distribution_uri = config_uri.trim_end_matches("/config").to_owned();
    let request = |method: hyper::Method, uri: &str| {
        let builder = Request::builder().method(method).uri(uri);
        match &authorization {
            Some(value) => builder.header("authorization", value.clone()),
            None => builder,
        }
    };
    let read =
        shared.client.request(request(hyper::Method::GET, &distribution_uri).body(Full::new(Bytes::new()))?).await?;
    anyhow::ensure!(read.status().is_success(), "GetDistribution answered {}", read.status());
    let etag = read.headers().get("etag").ok_or_else(|| anyhow::anyhow!("no ETag on the distribution"))?.clone();
    let xml = String::from_utf8(read.into_body().collect().await?.to_bytes().to_vec())?;
    let start = xml.find("<DistributionConfig").ok_or_else(|| anyhow::anyhow!("no <DistributionConfig>"))?;
    let end = xml.find("</DistributionConfig>").ok_or_else(|| anyhow::anyhow!("an unclosed <DistributionConfig>"))?;
    let config = &xml[start..end + "</DistributionConfig>".len()];
    let (before, rest) = config.split_once("<Comment>").ok_or_else(|| anyhow::anyhow!("no <Comment>"))?;
    let (_, after) = rest.split_once("</Comment>").ok_or_else(|| anyhow::anyhow!("an unclosed <Comment>"))?;
    let body = format!("{before}<Comment>{RIVAL_COMMENT}</Comment>{after}").replacen(
        "<DistributionConfig>",
        "<DistributionConfig xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">",
        1,
    );
    let write = request(hyper::Method::PUT, &config_uri).header("if-match", etag).body(Full::new(Bytes::from(body)))?;
    let status = shared.client.request(write).await?.status();
    anyhow::ensure!(status.is_success(), "UpdateDistribution answered {status}");
    Ok(())
}

/// An ETag that is not an MD5: the value reversed, with a part count, as a multipart upload's.
fn opaque_etag(etag: &str) -> String {
    let hex: String = etag.trim_matches('"').chars().filter(char::is_ascii_hexdigit).rev().collect();
    format!("{hex}-2")
}

/// An S3 listing with every `<ETag>` made opaque, and how many there were.
fn opaque_etags(body: &[u8]) -> (Bytes, usize) {
    let xml = String::from_utf8_lossy(body);
    let mut out = String::with_capacity(xml.len());
    let mut rest: &str = &xml;
    let mut count = 0;
    while let Some(start) = rest.find("<ETag>") {
        let Some(len) = rest[start..].find("</ETag>") else { break };
        let value = &rest[start + "<ETag>".len()..start + len];
        let value = value.replace("&quot;", "").replace("&#34;", "");
        out.push_str(&rest[..start]);
        out.push_str("<ETag>&quot;");
        out.push_str(&opaque_etag(&value));
        out.push_str("&quot;</ETag>");
        rest = &rest[start + len + "</ETag>".len()..];
        count += 1;
    }
    out.push_str(rest);
    (Bytes::from(out), count)
}

/// A distribution's XML with [`UNKNOWN_ELEMENTS`] in it.
fn with_unknown_elements(body: &[u8]) -> Bytes {
    let xml = String::from_utf8_lossy(body)
        .replacen("</Origin>", "<FutureShield><Enabled>true</Enabled></FutureShield></Origin>", 1)
        .replacen("</DistributionConfig>", "<FutureSetting>on</FutureSetting></DistributionConfig>", 1);
    Bytes::from(xml)
}

/// The path of a path-and-query.
fn req_path(path_and_query: &str) -> &str {
    path_and_query.split('?').next().unwrap_or(path_and_query)
}

/// Writes a bucket policy of a rival's own to `bucket_uri` (path-style, `…/bucket`).
async fn rival_policy(
    shared: &Shared,
    bucket_uri: &str,
    authorization: Option<hyper::header::HeaderValue>,
) -> Result<()> {
    let bucket = bucket_uri.rsplit('/').next().unwrap_or_default();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{RIVAL_STATEMENT}","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/theirs/*"}}]}}"#
    );
    let mut write = Request::builder().method(hyper::Method::PUT).uri(format!("{bucket_uri}?policy"));
    if let Some(value) = authorization {
        write = write.header("authorization", value);
    }
    let status = shared.client.request(write.body(Full::new(Bytes::from(policy)))?).await?.status();
    anyhow::ensure!(status.is_success(), "PutBucketPolicy answered {status}");
    Ok(())
}

/// S3's `AccessDenied`, which the SDK does not retry.
fn access_denied() -> Response<Full<Bytes>> {
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied (injected by the test proxy)</Message></Error>";
    Response::builder()
        .status(403)
        .header("content-type", "application/xml")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("a static response")
}

fn lambda_access_denied() -> Response<Full<Bytes>> {
    let body = r#"{"Type":"User","Message":"not allowed to publish versions (injected by the test proxy)"}"#;
    Response::builder()
        .status(403)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", "AccessDeniedException")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("a static response")
}

/// An answer the SDK does not retry, so a broken rig shows up as itself.
/// Elastic Load Balancing's refusal, in its query protocol's error document.
fn elb_access_denied() -> Response<Full<Bytes>> {
    let body = "<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error><Type>Sender</Type>\
                <Code>AccessDenied</Code><Message>not allowed to describe rules (injected by the test proxy)</Message>\
                </Error><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>";
    Response::builder()
        .status(403)
        .header("content-type", "text/xml")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("a static response")
}

fn rig_failure(why: &str) -> Response<Full<Bytes>> {
    Response::builder().status(400).body(Full::new(Bytes::from(why.to_owned()))).expect("a static response")
}

fn bad_gateway(why: &str) -> Response<Full<Bytes>> {
    Response::builder().status(502).body(Full::new(Bytes::from(why.to_owned()))).expect("a static response")
}

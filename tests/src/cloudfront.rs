//! Runs the CloudFront emulator (`tests/cloudfront/emulator.mjs`) in Node on loopback, in front of
//! an origin, with the packaged Lambda@Edge function built with the test-only chaos feature
//! (`scripts/build-lambda-edge target/lambda-edge/edgepages-lambda-edge-chaos.zip`, which
//! scripts/test runs first). Each test picks the distribution it needs ([`Options`]): the cache
//! behavior, the custom error responses and, since AWS does not document it, whether they replace
//! the function's answer ([`Order`]).

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde_json::json;

use crate::process::watch_over;
use crate::worker::{edgepages_binary, free_port, repo_root};

/// The packaged function the emulator calls.
pub fn chaos_zip() -> PathBuf {
    repo_root().join("target/lambda-edge/edgepages-lambda-edge-chaos.zip")
}

/// Whether CloudFront applies a custom error response to the function's answer for the same
/// status. AWS documents neither, so the emulator runs each way on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// A custom error response with a page replaces the function's answer.
    AfterFunction,
    /// Custom error responses apply only to what the function did not generate.
    BeforeFunction,
}

impl Order {
    pub const BOTH: [Order; 2] = [Order::AfterFunction, Order::BeforeFunction];

    fn as_str(self) -> &'static str {
        match self {
            Order::AfterFunction => "after-function",
            Order::BeforeFunction => "before-function",
        }
    }
}

/// One `CustomErrorResponse`: `page` (with the code as the response code) or, without one, only
/// the error caching TTL.
#[derive(Debug, Clone)]
pub struct CustomError {
    pub code: u16,
    pub page: Option<String>,
    pub ttl: u32,
}

/// The distribution a test runs against.
#[derive(Debug, Clone)]
pub struct Options {
    /// The packaged function: [`chaos_zip`] unless a test names another.
    pub zip: PathBuf,
    pub origin: String,
    /// CloudFront's origin response timeout.
    pub read_timeout: Duration,
    /// A behavior named in `tests/cloudfront/policies.mjs` (`per-viewer`, `variant`,
    /// `caching-unkeyed`, `legacy`), or a behavior object as JSON.
    pub behavior: serde_json::Value,
    pub error_caching_min_ttl: u32,
    pub custom_errors: Vec<CustomError>,
    pub order: Option<Order>,
    /// Lambda's regional quotas refuse every invocation.
    pub throttled: bool,
    /// Every answer the function generates gets another `Via`, as a function that breaks the
    /// read-only rule would: CloudFront refuses each.
    pub change_via: bool,
}

impl Options {
    /// A per-viewer behavior (CachingDisabled, AllViewerExceptHostHeader) in front of `origin`,
    /// without custom error responses.
    pub fn new(origin: &str, read_timeout: Duration) -> Options {
        Options {
            zip: chaos_zip(),
            origin: origin.to_owned(),
            read_timeout,
            behavior: json!("per-viewer"),
            error_caching_min_ttl: 10,
            custom_errors: Vec::new(),
            order: None,
            throttled: false,
            change_via: false,
        }
    }

    /// Custom error responses with the static pages publish uploads, for every code in `codes`,
    /// applied in `order`.
    #[must_use]
    pub fn with_pages(mut self, codes: &[u16], order: Order) -> Options {
        self.custom_errors = codes
            .iter()
            .map(|&code| CustomError { code, page: Some(format!("/edgepages/{code}.html")), ttl: 10 })
            .collect();
        self.order = Some(order);
        self
    }

    /// The function packaged in `zip` instead of the chaos build.
    #[must_use]
    pub fn zip(mut self, zip: &Path) -> Options {
        zip.clone_into(&mut self.zip);
        self
    }

    #[must_use]
    pub fn behavior(mut self, behavior: serde_json::Value) -> Options {
        self.behavior = behavior;
        self
    }
}

#[derive(Debug)]
pub struct CloudFront {
    pub url: String,
    child: Child,
}

impl CloudFront {
    /// The emulator with [`Options::new`]: a per-viewer behavior in front of `origin`.
    pub fn start(origin: &str, read_timeout: Duration) -> Result<CloudFront> {
        CloudFront::with(&Options::new(origin, read_timeout))
    }

    pub fn with(options: &Options) -> Result<CloudFront> {
        let zip = &options.zip;
        if !zip.is_file() {
            bail!(
                "{} is missing: run `EDGEPAGES_LAMBDA_FEATURES=chaos scripts/build-lambda-edge {}` first",
                zip.display(),
                zip.display()
            );
        }
        let port = free_port()?;
        let custom_errors: Vec<serde_json::Value> = options
            .custom_errors
            .iter()
            .map(|c| match &c.page {
                Some(page) => json!({ "code": c.code, "pagePath": page, "responseCode": c.code, "ttl": c.ttl }),
                None => json!({ "code": c.code, "ttl": c.ttl }),
            })
            .collect();
        let config = json!({
            "zip": zip,
            "port": port,
            "origin": options.origin,
            "readTimeoutMs": u64::try_from(options.read_timeout.as_millis()).unwrap_or(u64::MAX),
            // One attempt, as `publish` sets the origin (CloudFront's default is 3).
            "connectionAttempts": 1,
            "behavior": options.behavior,
            "errorCachingMinTtl": options.error_caching_min_ttl,
            "customErrors": custom_errors,
            "customErrorOrder": options.order.map(Order::as_str),
            "pages": static_pages()?,
            "throttled": options.throttled,
            "changeVia": options.change_via,
        });
        let child = Command::new("node")
            .arg(repo_root().join("tests/cloudfront/emulator.mjs"))
            .arg(config.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .context("starting node (the CloudFront emulator)")?;
        watch_over(child.id())?;
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the CloudFront emulator did not listen on {url} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(CloudFront { url, child })
    }
}

impl Drop for CloudFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bundled site's static pages, as `edgepages render` writes them for S3: the custom error
/// pages the emulator serves. Rendered once per test binary by the `edgepages` binary beside it,
/// into `target/emulator-pages` (cargo runs test binaries one after another, and the output is
/// byte-identical from one run to the next).
pub fn static_pages() -> Result<&'static Path> {
    static PAGES: OnceLock<PathBuf> = OnceLock::new();
    if let Some(dir) = PAGES.get() {
        return Ok(dir);
    }
    let dir = repo_root().join("target/emulator-pages");
    let out = Command::new(edgepages_binary())
        .current_dir(repo_root())
        .args(["--config", "edgepages.toml", "render", "--out"])
        .arg(&dir)
        .output()
        .context("running `edgepages render` (cargo build -p edgepages first)")?;
    if !out.status.success() {
        bail!("edgepages render failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(PAGES.get_or_init(|| dir))
}

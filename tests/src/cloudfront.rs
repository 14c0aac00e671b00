//! Runs the CloudFront stand-in (`tests/cloudfront-standin.mjs`) in Node on loopback, in front of
//! an origin, with the packaged Lambda@Edge function built with the test-only chaos feature
//! (`scripts/build-lambda-edge target/lambda-edge/edgepages-lambda-edge-chaos.zip`, which
//! scripts/test runs first).

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::process::watch_over;
use crate::worker::{free_port, repo_root};

/// The packaged function the stand-in calls.
pub fn chaos_zip() -> PathBuf {
    repo_root().join("target/lambda-edge/edgepages-lambda-edge-chaos.zip")
}

#[derive(Debug)]
pub struct CloudFront {
    pub url: String,
    child: Child,
}

impl CloudFront {
    /// Starts the stand-in in front of `origin`, giving up on the origin after `read_timeout`.
    pub fn start(origin: &str, read_timeout: Duration) -> Result<CloudFront> {
        CloudFront::start_with(&chaos_zip(), origin, read_timeout)
    }

    /// [`CloudFront::start`], calling the function packaged in `zip`.
    pub fn start_with(zip: &std::path::Path, origin: &str, read_timeout: Duration) -> Result<CloudFront> {
        if !zip.is_file() {
            bail!(
                "{} is missing: run `EDGEPAGES_LAMBDA_FEATURES=chaos scripts/build-lambda-edge {}` first",
                zip.display(),
                zip.display()
            );
        }
        let port = free_port()?;
        let child = Command::new("node")
            .arg(repo_root().join("tests/cloudfront-standin.mjs"))
            .arg(zip)
            .arg(port.to_string())
            .arg(origin)
            .arg(read_timeout.as_millis().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .context("starting node (the CloudFront stand-in)")?;
        watch_over(child.id())?;
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the CloudFront stand-in did not listen on {url} within 30 s");
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

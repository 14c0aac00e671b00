//! Runs the real worker in `wrangler dev` (workerd) on loopback, with the vars a test needs.
//!
//! wrangler runs in its own process group, with a watchdog that ends the group when the test
//! process exits, so no workerd outlives the suite even when a test panics.

use std::fmt::Write as _;
use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::process::watch_over;

/// How long wrangler may take to build (if needed) and start.
const START_TIMEOUT: Duration = Duration::from_mins(5);

#[derive(Debug)]
pub struct Worker {
    pub url: String,
    /// Where `wrangler dev --persist-to` keeps its local state (the KV namespace among it).
    pub state: PathBuf,
    log: PathBuf,
    child: Child,
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `edgepages` binary beside the running test binary (`cargo test` at the root builds it).
pub fn edgepages_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let bin = exe.parent().and_then(Path::parent).expect("target/<profile>").join("edgepages");
    assert!(bin.exists(), "{} is missing: run `cargo build -p edgepages` first", bin.display());
    bin
}

/// A free TCP port on loopback.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Worker {
    /// Starts `wrangler dev --local` from the repository root with `vars`, and waits until it
    /// answers. The worker is built with the `chaos` feature, for the panic test.
    pub fn start(name: &str, vars: &[(&str, &str)]) -> Result<Worker> {
        Worker::start_with(name, vars, &[])
    }

    /// [`Worker::start`], with more arguments for `wrangler dev` (for example
    /// `--local-upstream HOST:PORT`, which gives each request the origin's host as its own).
    pub fn start_with(name: &str, vars: &[(&str, &str)], args: &[&str]) -> Result<Worker> {
        Worker::start_for(name, None, vars, args)
    }

    /// [`Worker::start`], built for the config at `config` (relative to the repository root)
    /// instead of `edgepages.toml`. The build lands where every worker's does (`edge/build`), so
    /// a test binary that starts one starts no other.
    pub fn start_with_config(name: &str, config: &str, vars: &[(&str, &str)]) -> Result<Worker> {
        Worker::start_for(name, Some(config), vars, &[])
    }

    fn start_for(name: &str, config: Option<&str>, vars: &[(&str, &str)], args: &[&str]) -> Result<Worker> {
        let root = repo_root();
        let port = free_port()?;
        let inspector = free_port()?;
        let dir = std::env::temp_dir().join(format!("edgepages-e2e-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let log = dir.join("wrangler.log");

        let mut command = format!(
            "source scripts/toolchain-env && exec npx --no-install wrangler dev --local --ip 127.0.0.1 --port {port} --inspector-port {inspector} --persist-to '{}' --show-interactive-dev-session=false",
            dir.join("state").display()
        );
        for (key, value) in vars {
            let _ = write!(command, " --var '{key}:{value}'");
        }
        for arg in args {
            let _ = write!(command, " '{arg}'");
        }
        let mut child = Command::new("bash");
        if let Some(config) = config {
            child.env("EDGEPAGES_CONFIG", config);
        }
        let child = child
            .arg("-c")
            .arg(&command)
            .current_dir(&root)
            .env("EDGEPAGES_EDGE_FEATURES", "chaos")
            .stdin(Stdio::null())
            .stdout(File::create(&log)?)
            .stderr(File::create(dir.join("wrangler.err"))?)
            .process_group(0)
            .spawn()
            .context("starting wrangler dev (run scripts/setup first)")?;
        watch_over(child.id())?;

        let worker = Worker { url: format!("http://127.0.0.1:{port}"), state: dir.join("state"), log, child };
        worker.wait_until_ready(&dir)?;
        Ok(worker)
    }

    fn wait_until_ready(&self, dir: &Path) -> Result<()> {
        let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(5)).build()?;
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if client.get(format!("{}/__ready", self.url)).send().is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let err = std::fs::read_to_string(dir.join("wrangler.err")).unwrap_or_default();
        bail!("wrangler dev did not answer within {START_TIMEOUT:?}; its stderr:\n{err}")
    }

    /// What the worker logged so far: `console.log` goes to wrangler's stdout, `console.warn` and
    /// `console.error` to its stderr; both are here.
    pub fn log(&self) -> String {
        let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
        read(&self.log) + &read(&self.log.with_file_name("wrangler.err"))
    }
}

impl Worker {
    /// The first line of the log containing `needle`, waiting up to 10 s for it (a line is
    /// written after the answer that caused it may already have arrived).
    pub fn log_line(&self, needle: &str) -> Option<String> {
        let started = Instant::now();
        loop {
            if let Some(line) = self.log().lines().find(|l| l.contains(needle)) {
                return Some(line.to_owned());
            }
            if started.elapsed() > Duration::from_secs(10) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(format!("-{}", self.child.id())).status();
        let _ = self.child.wait();
    }
}

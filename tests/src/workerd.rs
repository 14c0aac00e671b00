//! The worker in workerd directly, without wrangler: it starts in a fraction of a second, so a test
//! can have a fresh isolate of its own, and it can bind services `wrangler dev` cannot, such as a
//! KV namespace the test controls (`tests/kv-switch/kv-service.mjs`: a read held back, or never
//! answered). workerd is the one `wrangler dev` runs (`node_modules/.bin/workerd`), serving the
//! worker as built in `edge/build` with its entry, as the benchmarks do.

use std::fmt::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::process::watch_over;
use crate::worker::{free_port, repo_root};

/// The modules of the edgepages worker as shipped, for a workerd config: its entry and transport,
/// and the worker-build output in `edge/build`.
pub fn worker_modules(root: &Path) -> String {
    let build = root.join("edge/build");
    format!(
        r#"[
    (name = "entry.mjs", esModule = embed "{entry}"),
    (name = "transport.mjs", esModule = embed "{transport}"),
    (name = "build/index.js", esModule = embed "{index}"),
    (name = "build/index_bg.wasm", wasm = embed "{wasm}"),
  ]"#,
        entry = root.join("edge/entry.mjs").display(),
        transport = root.join("edge/transport.mjs").display(),
        index = build.join("index.js").display(),
        wasm = build.join("index_bg.wasm").display(),
    )
}

/// A workerd process serving the edgepages worker, with its maintenance switch in a KV namespace
/// the test controls.
#[derive(Debug)]
pub struct Workerd {
    /// The worker.
    pub url: String,
    /// The KV service's control socket (`/control`, `/control/reads`).
    pub kv: String,
    log: PathBuf,
    child: Child,
}

impl Workerd {
    /// Builds the worker if it is out of date (with the `chaos` feature, as the e2e suites use
    /// it), then serves it with `vars` and the KV namespace bound as `EDGEPAGES`.
    pub fn start_with_kv(name: &str, vars: &[(&str, &str)]) -> Result<Workerd> {
        let root = repo_root();
        let status = Command::new(root.join("scripts/build-worker"))
            .env("EDGEPAGES_EDGE_FEATURES", "chaos")
            .stdout(Stdio::null())
            .status()
            .context("running scripts/build-worker")?;
        if !status.success() {
            bail!("scripts/build-worker failed");
        }
        let dir = std::env::temp_dir().join(format!("edgepages-workerd-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let (port, kv_port) = (free_port()?, free_port()?);
        let mut bindings = String::new();
        for (key, value) in vars {
            write!(bindings, "(name = \"{key}\", text = \"{value}\"), ")?;
        }
        bindings.push_str("(name = \"EDGEPAGES\", kvNamespace = \"kv\")");
        let config = format!(
            r#"using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .main), (name = "kv", worker = .kv), (name = "loopback", network = (allow = ["public", "private", "local"]))],
  sockets = [
    (name = "main", address = "127.0.0.1:{port}", http = (), service = "main"),
    (name = "kv", address = "127.0.0.1:{kv_port}", http = (), service = "kv"),
  ],
);
const main :Workerd.Worker = (
  modules = {modules},
  compatibilityDate = "2026-04-01", bindings = [{bindings}], globalOutbound = "loopback",
);
const kv :Workerd.Worker = (
  modules = [(name = "kv-service.mjs", esModule = embed "{kv_service}")],
  compatibilityDate = "2026-04-01",
);
"#,
            modules = worker_modules(&root),
            kv_service = root.join("tests/kv-switch/kv-service.mjs").display(),
        );
        let config_path = dir.join("workerd.capnp");
        std::fs::write(&config_path, config)?;
        let log = dir.join("workerd.log");
        let child = Command::new(root.join("node_modules/.bin/workerd"))
            .arg("serve")
            .arg("--import-path=/")
            .arg("--verbose")
            .arg(&config_path)
            .stdout(std::fs::File::create(dir.join("workerd.out"))?)
            .stderr(std::fs::File::create(&log)?)
            .process_group(0)
            .spawn()
            .context("starting workerd (run scripts/setup first)")?;
        watch_over(child.id())?;
        let workerd =
            Workerd { url: format!("http://127.0.0.1:{port}"), kv: format!("http://127.0.0.1:{kv_port}"), log, child };
        workerd.wait_until_ready()?;
        Ok(workerd)
    }

    /// Waits until the KV service answers (the worker itself is not asked: its first request is
    /// the tests' to make).
    fn wait_until_ready(&self) -> Result<()> {
        let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(2)).build()?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if client.get(format!("{}/control", self.kv)).send().is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("workerd did not start within 20 s; its log:\n{}", self.log())
    }

    /// Sets what the KV service does (`value=on`, `hold=next&hold_ms=0`, …: see its file).
    pub fn kv(&self, query: &str) -> Result<()> {
        let resp = reqwest::blocking::get(format!("{}/control?{query}", self.kv))?;
        if !resp.status().is_success() {
            bail!("the KV service refused {query}: {}", resp.status());
        }
        Ok(())
    }

    /// How many reads of the switch the KV service has had.
    pub fn kv_reads(&self) -> Result<u64> {
        Ok(reqwest::blocking::get(format!("{}/control/reads", self.kv))?.text()?.trim().parse()?)
    }

    /// What workerd logged so far (the worker's console lines among it).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
            + &std::fs::read_to_string(self.log.with_file_name("workerd.out")).unwrap_or_default()
    }
}

impl Drop for Workerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! The worker in workerd directly, without wrangler: it starts in a fraction of a second, so a test
//! can have a fresh isolate of its own, and it can bind services `wrangler dev` cannot, such as a
//! KV namespace the test controls (`tests/kv-switch/kv-service.mjs`: a read held back, or never
//! answered). workerd is the one `wrangler dev` runs (`node_modules/.bin/workerd`), serving the
//! worker as built in `edge/build` with its entry, as the benchmarks do; or as built for another
//! config in a folder of its own ([`Build`]), so that no suite's build replaces another's.

use std::fmt::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::process::watch_over;
use crate::worker::{free_port, repo_root};

/// A build of the worker: a config (relative to the repository root) built into a folder of
/// `edge/` with `scripts/build-worker`.
#[derive(Debug, Clone, Copy)]
pub struct Build {
    pub config: &'static str,
    /// The folder inside `edge/` (`EDGEPAGES_BUILD_DIR`).
    pub dir: &'static str,
}

impl Build {
    /// The bundled example config, in `edge/build`, as `wrangler dev` builds it.
    pub const EXAMPLE: Build = Build { config: "edgepages.toml", dir: "build" };
    /// `tests/status-page/edgepages.toml` (a site with `[status]`), in `edge/build-status`.
    pub const STATUS: Build = Build { config: "tests/status-page/edgepages.toml", dir: "build-status" };

    /// Builds it if it is out of date, with `features` (the e2e suites use "chaos").
    pub fn make(self, features: &str) -> Result<()> {
        let status = Command::new(repo_root().join("scripts/build-worker"))
            .env("EDGEPAGES_EDGE_FEATURES", features)
            .env("EDGEPAGES_CONFIG", self.config)
            .env("EDGEPAGES_BUILD_DIR", self.dir)
            .stdout(Stdio::null())
            .status()
            .context("running scripts/build-worker")?;
        if !status.success() {
            bail!("scripts/build-worker failed for {}", self.config);
        }
        Ok(())
    }
}

/// The modules of the edgepages worker as shipped, for a workerd config: its entry and transport,
/// and the worker-build output in `edge/build`.
pub fn worker_modules(root: &Path) -> String {
    worker_modules_of(root, Build::EXAMPLE)
}

/// [`worker_modules`], with the worker-build output of `build`.
pub fn worker_modules_of(root: &Path, build: Build) -> String {
    let build = root.join("edge").join(build.dir);
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
    /// The KV service's control socket (`/control`, `/control/reads`); empty without one.
    pub kv: String,
    log: PathBuf,
    child: Child,
}

impl Workerd {
    /// Builds the worker if it is out of date (with the `chaos` feature, as the e2e suites use
    /// it), then serves it with `vars` and the KV namespace bound as `EDGEPAGES`.
    pub fn start_with_kv(name: &str, vars: &[(&str, &str)]) -> Result<Workerd> {
        Workerd::start(name, Build::EXAMPLE, vars, true)
    }

    /// Builds `build` if it is out of date (with the `chaos` feature, as the e2e suites use it),
    /// then serves it with `vars`, and with the KV namespace bound as `EDGEPAGES` when `kv`.
    pub fn start(name: &str, build: Build, vars: &[(&str, &str)], kv: bool) -> Result<Workerd> {
        let root = repo_root();
        build.make("chaos")?;
        let dir = std::env::temp_dir().join(format!("edgepages-workerd-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let (port, kv_port) = (free_port()?, free_port()?);
        let mut bindings: Vec<String> =
            vars.iter().map(|(key, value)| format!("(name = \"{key}\", text = \"{value}\")")).collect();
        let mut services = String::from("(name = \"main\", worker = .main)");
        let mut sockets = format!("(name = \"main\", address = \"127.0.0.1:{port}\", http = (), service = \"main\")");
        let mut kv_worker = String::new();
        if kv {
            bindings.push("(name = \"EDGEPAGES\", kvNamespace = \"kv\")".to_owned());
            services.push_str(", (name = \"kv\", worker = .kv)");
            write!(sockets, ", (name = \"kv\", address = \"127.0.0.1:{kv_port}\", http = (), service = \"kv\")")?;
            kv_worker = format!(
                "const kv :Workerd.Worker = (\n  modules = [(name = \"kv-service.mjs\", esModule = embed \"{}\")],\n  compatibilityDate = \"2026-04-01\",\n);\n",
                root.join("tests/kv-switch/kv-service.mjs").display()
            );
        }
        let config = format!(
            r#"using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [{services}, (name = "loopback", network = (allow = ["public", "private", "local"]))],
  sockets = [{sockets}],
);
const main :Workerd.Worker = (
  modules = {modules},
  compatibilityDate = "2026-04-01", bindings = [{bindings}], globalOutbound = "loopback",
);
{kv_worker}"#,
            modules = worker_modules_of(&root, build),
            bindings = bindings.join(", "),
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
        let kv = if kv { format!("http://127.0.0.1:{kv_port}") } else { String::new() };
        let workerd = Workerd { url: format!("http://127.0.0.1:{port}"), kv, log, child };
        workerd.wait_until_ready(port)?;
        Ok(workerd)
    }

    /// Waits until workerd listens: the KV service answers, or the worker's port takes a
    /// connection (the worker itself is not asked: its first request is the tests' to make).
    fn wait_until_ready(&self, port: u16) -> Result<()> {
        let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(2)).build()?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            let up = if self.kv.is_empty() {
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            } else {
                client.get(format!("{}/control", self.kv)).send().is_ok_and(|r| r.status().is_success())
            };
            if up {
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

//! The edge benchmarks: figures for the guide (docs/src/benchmarks.md), measured side by side in one run on 127.0.0.1.
//!
//! 1. Pass-through req/s and latency (wrk): the Rust worker against a hand-written JS
//!    pass-through in the same workerd, plus two reference points: the JS pass-through with only
//!    a deadline timer, and a bare workers-rs proxy when `--bare DIR` names its build.
//! 2. Time to the branded page when the origin hangs, against the deadline (on the same worker
//!    with `BREAKER=off`: ten hangs in a row are an outage the breaker would rightly shed).
//! 3. 200 MiB streamed through the worker, with workerd's memory sampled throughout.
//! 4. The worker's wasm size, gzip -9.
//! 5. CPU time to decide and render one error response (native; the same code runs in wasm).
//! 6. Pass-through over 10,000 distinct URLs, the worker with stale-if-error on against the same
//!    worker with it off (`STALE_IF_ERROR=off`): what keeping last good copies costs when every
//!    URL is new, as under random query strings.
//! 7. A 50 MiB page of unknown length (chunked) read slowly, with workerd's memory sampled: the
//!    stale copy's tee stops at 2 MiB, so the slow reader's buffer does not grow with the page.
//!
//! 8. Pass-through with the KV maintenance switch bound (its key holding "off") against the same
//!    worker without the binding, the two alone in each run.
//! 9. Ten slow visitors at once, each reading a 2 MiB page (the largest copy kept) at 64 KiB/s,
//!    with workerd's memory sampled: what the copies made at the visitors' pace hold.
//!
//! 10. Pass-through on the worker built for a site with `[status]` (`tests/status-page/`, into
//!     `edge/build-status-bench`), reading a status page (the documented Statuspage summary on the
//!     origin) against the same worker with `STATUS_URL=off`, the two alone in each run.
//!
//! `--only pass-through` runs the first section alone (with 8 and 10); `--only slow-visitors` runs 9. Run it with `scripts/bench-edge`, which builds the release worker first. Every loop here is
//! bounded in count and time, and all traffic stays on loopback.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use edgepages_core::config::load;
use edgepages_core::{Clock, Decision, FailureKind, OriginOutcome, RenderContext, RequestFacts, Site, decide, render};
use edgepages_e2e::fault_origin::FaultOrigin;
use edgepages_e2e::worker::{free_port, repo_root};
use edgepages_e2e::workerd::{Build, worker_modules, worker_modules_of};

const DEADLINE_MS: u64 = 1000;
const HUGE_MIB: u64 = 200;
/// Distinct URLs in the stale-if-error pass-through benchmark.
const DISTINCT_URLS: u32 = 10_000;
/// The slow visitors: how many at once, each page's size (the largest copy kept), and the pace.
const SLOW_VISITORS: usize = 10;
const SLOW_VISITOR_KIB: u64 = 2048;
const SLOW_VISITOR_BYTES_PER_S: usize = 64 * 1024;
/// The chunked page read slowly, in MiB, and how the slow reader reads it.
const CHUNKED_MIB: u64 = 50;
const SLOW_READ_BYTES: usize = 64 * 1024;
const SLOW_READ_PAUSE: Duration = Duration::from_millis(10);
/// Renders per timing run in the CPU benchmark.
const ITERATIONS: u32 = 20_000;

struct Options {
    runs: usize,
    seconds: u64,
    connections: u32,
    bare: Option<PathBuf>,
    /// Give workerd a core of its own (see [`Pinning`]).
    pin: bool,
    /// Only the pass-through section.
    only_pass_through: bool,
    /// Only the slow visitors.
    only_slow_visitors: bool,
}

fn options() -> Result<Options> {
    let mut opts = Options {
        runs: 9,
        seconds: 3,
        connections: 16,
        bare: None,
        pin: true,
        only_pass_through: false,
        only_slow_visitors: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--runs" => opts.runs = value()?.parse()?,
            "--seconds" => opts.seconds = value()?.parse()?,
            "--connections" => opts.connections = value()?.parse()?,
            "--bare" => opts.bare = Some(PathBuf::from(value()?)),
            "--no-pin" => opts.pin = false,
            "--only" => match value()?.as_str() {
                "pass-through" => opts.only_pass_through = true,
                "slow-visitors" => opts.only_slow_visitors = true,
                section => bail!("--only {section}: the sections that run alone are pass-through and slow-visitors"),
            },
            other => {
                bail!(
                    "unknown argument {other}; expected --runs N, --seconds S, --connections C, --bare DIR, --no-pin, \
                     --only pass-through|slow-visitors"
                )
            }
        }
    }
    if opts.runs == 0 || opts.runs > 20 || opts.seconds == 0 || opts.seconds > 30 {
        bail!("--runs must be 1 to 20 and --seconds 1 to 30, so the benchmark stays bounded");
    }
    Ok(opts)
}

fn main() -> Result<()> {
    let opts = options()?;
    let root = repo_root();
    let cores = cores();
    // Before any thread starts, so that the origin's and wrk's threads inherit the core.
    let pinning = Pinning::choose(opts.pin, cores)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let origin = runtime.block_on(FaultOrigin::start("127.0.0.1:0"))?;
    origin.set_behaviour(&format!("{STATUS_PAGE}/api/v2/summary.json"), Some("fault=status_json&sample=statuspage"));

    let workers = Workers::start(&root, &origin.url(), opts.bare.as_deref(), &pinning)?;
    let mut report = String::new();
    writeln!(report, "edge benchmarks ({} runs, medians; 127.0.0.1; {cores} cores; {pinning})\n", opts.runs)?;

    if opts.only_slow_visitors {
        slow_visitors(&mut report, &workers)?;
        print!("{report}");
        return Ok(());
    }
    pass_through(&mut report, &workers, &opts)?;
    kv_switch(&mut report, &workers, &opts)?;
    status_page(&mut report, &workers, &opts)?;
    if opts.only_pass_through {
        print!("{report}");
        return Ok(());
    }
    distinct_urls(&mut report, &workers, &opts)?;
    slow_chunked(&mut report, &workers)?;
    streaming(&mut report, &workers)?;
    slow_visitors(&mut report, &workers)?;
    deadline(&mut report, &workers)?;
    wasm_size(&mut report, &root)?;
    render_cpu(&mut report, &root)?;
    print!("{report}");
    Ok(())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Where the processes run. On two or more cores workerd gets core 1 to itself, and this driver
/// (with the origin) and wrk share core 0: the workers' own CPU cost then sets the pace, and the
/// scheduler trading one core between workerd, wrk and the origin stays out of the figures.
enum Pinning {
    Pinned,
    Shared,
}

impl Pinning {
    fn choose(wanted: bool, cores: usize) -> Result<Pinning> {
        if !wanted || cores < 2 {
            return Ok(Pinning::Shared);
        }
        let pid = std::process::id().to_string();
        let status = Command::new("taskset")
            .args(["-a", "-p", "-c", "0", &pid])
            .stdout(Stdio::null())
            .status()
            .context("running taskset (util-linux); --no-pin runs without it")?;
        if !status.success() {
            bail!("taskset could not pin the benchmark to core 0; --no-pin runs without it");
        }
        Ok(Pinning::Pinned)
    }

    /// `program`, on workerd's core when pinned.
    fn workerd(&self, program: &Path) -> Command {
        match self {
            Pinning::Pinned => {
                let mut command = Command::new("taskset");
                command.args(["-c", "1"]).arg(program);
                command
            }
            Pinning::Shared => Command::new(program),
        }
    }
}

impl std::fmt::Display for Pinning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Pinning::Pinned => "workerd on core 1, wrk and the origin on core 0",
            Pinning::Shared => "not pinned",
        })
    }
}

/// One workerd process serving the workers side by side.
struct Workers {
    child: Child,
    rust: String,
    /// The same worker with `STALE_IF_ERROR=off`.
    rust_no_stale: String,
    /// The same worker with `BREAKER=off`, for the deadline.
    rust_no_breaker: String,
    /// The same worker with the KV maintenance switch bound.
    rust_kv: String,
    /// The worker built for a site with `[status]`, reading the origin's status page, and the
    /// same with `STATUS_URL=off`.
    rust_status: String,
    rust_status_off: String,
    js: String,
    js_deadline: String,
    bare: Option<String>,
}

impl Workers {
    fn start(root: &Path, origin: &str, bare: Option<&Path>, pinning: &Pinning) -> Result<Workers> {
        let dir = root.join("target/bench");
        std::fs::create_dir_all(&dir)?;
        let ports = (0..9).map(|_| free_port()).collect::<Result<Vec<u16>, _>>()?;
        let bench = root.join("tests/bench");
        let vars = format!(
            "bindings = [(name = \"ORIGIN_URL\", text = \"{origin}\"), (name = \"ORIGIN_TIMEOUT_MS\", text = \"{DEADLINE_MS}\"), (name = \"MAINTENANCE\", text = \"off\")]"
        );
        let no_stale_vars = vars.replace(']', ", (name = \"STALE_IF_ERROR\", text = \"off\")]");
        let no_breaker_vars = vars.replace(']', ", (name = \"BREAKER\", text = \"off\")]");
        let kv_vars = vars.replace(']', ", (name = \"EDGEPAGES\", kvNamespace = \"kvStore\")]");
        let status_vars = vars.replace(']', &format!(", (name = \"STATUS_URL\", text = \"{origin}{STATUS_PAGE}\")]"));
        let status_off_vars = vars.replace(']', ", (name = \"STATUS_URL\", text = \"off\")]");
        let mut services = String::from(
            "(name = \"rust\", worker = .rust), (name = \"rustNoStale\", worker = .rustNoStale), (name = \"rustNoBreaker\", worker = .rustNoBreaker), (name = \"rustKv\", worker = .rustKv), (name = \"rustStatus\", worker = .rustStatus), (name = \"rustStatusOff\", worker = .rustStatusOff), (name = \"kvStore\", worker = .kvStore), (name = \"js\", worker = .js), (name = \"jsDeadline\", worker = .jsDeadline)",
        );
        let mut sockets = format!(
            "(name = \"rust\", address = \"127.0.0.1:{}\", http = (), service = \"rust\"), (name = \"js\", address = \"127.0.0.1:{}\", http = (), service = \"js\"), (name = \"jsDeadline\", address = \"127.0.0.1:{}\", http = (), service = \"jsDeadline\"), (name = \"rustNoStale\", address = \"127.0.0.1:{}\", http = (), service = \"rustNoStale\"), (name = \"rustNoBreaker\", address = \"127.0.0.1:{}\", http = (), service = \"rustNoBreaker\"), (name = \"rustKv\", address = \"127.0.0.1:{}\", http = (), service = \"rustKv\"), (name = \"rustStatus\", address = \"127.0.0.1:{}\", http = (), service = \"rustStatus\"), (name = \"rustStatusOff\", address = \"127.0.0.1:{}\", http = (), service = \"rustStatusOff\")",
            ports[0], ports[1], ports[2], ports[4], ports[5], ports[6], ports[7], ports[8]
        );
        let mut bare_worker = String::new();
        if let Some(bare) = bare {
            services.push_str(", (name = \"bare\", worker = .bare)");
            write!(
                sockets,
                ", (name = \"bare\", address = \"127.0.0.1:{}\", http = (), service = \"bare\")",
                ports[3]
            )?;
            bare_worker = format!(
                "const bare :Workerd.Worker = (modules = [(name = \"build/index.js\", esModule = embed \"{}\"), (name = \"build/index_bg.wasm\", wasm = embed \"{}\")], compatibilityDate = \"2026-04-01\", {vars}, globalOutbound = \"loopback\");\n",
                bare.join("index.js").display(),
                bare.join("index_bg.wasm").display()
            );
        }
        let config = format!(
            r#"using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [{services}, (name = "loopback", network = (allow = ["public", "private", "local"]))],
  sockets = [{sockets}],
);
{rust}{rust_no_stale}{rust_no_breaker}{rust_kv}{rust_status}{rust_status_off}const kvStore :Workerd.Worker = (
  modules = [(name = "kv-store.mjs", esModule = embed "{kv_store}")],
  compatibilityDate = "2026-04-01",
);
const js :Workerd.Worker = (
  modules = [(name = "passthrough.mjs", esModule = embed "{js}")],
  compatibilityDate = "2026-04-01", {vars}, globalOutbound = "loopback",
);
const jsDeadline :Workerd.Worker = (
  modules = [(name = "passthrough-deadline.mjs", esModule = embed "{js_deadline}")],
  compatibilityDate = "2026-04-01", {vars}, globalOutbound = "loopback",
);
{bare_worker}"#,
            rust = rust_worker(root, "rust", &vars),
            rust_no_stale = rust_worker(root, "rustNoStale", &no_stale_vars),
            rust_no_breaker = rust_worker(root, "rustNoBreaker", &no_breaker_vars),
            rust_kv = rust_worker(root, "rustKv", &kv_vars),
            rust_status = worker_of(root, "rustStatus", STATUS_BUILD, &status_vars),
            rust_status_off = worker_of(root, "rustStatusOff", STATUS_BUILD, &status_off_vars),
            kv_store = bench.join("kv-store.mjs").display(),
            js = bench.join("passthrough.mjs").display(),
            js_deadline = bench.join("passthrough-deadline.mjs").display(),
        );
        let config_path = dir.join("workerd.capnp");
        std::fs::write(&config_path, config)?;
        let child = pinning
            .workerd(&root.join("node_modules/.bin/workerd"))
            .arg("serve")
            .arg("--import-path=/")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("workerd.log"))?)
            .spawn()
            .context("starting workerd (run scripts/setup first)")?;
        let url = |port: u16| format!("http://127.0.0.1:{port}");
        let workers = Workers {
            child,
            rust: url(ports[0]),
            rust_no_stale: url(ports[4]),
            rust_no_breaker: url(ports[5]),
            rust_kv: url(ports[6]),
            rust_status: url(ports[7]),
            rust_status_off: url(ports[8]),
            js: url(ports[1]),
            js_deadline: url(ports[2]),
            bare: bare.map(|_| url(ports[3])),
        };
        // Every socket, the bare proxy's (index 3) only when it runs.
        for (i, port) in ports.iter().enumerate() {
            if i != 3 || workers.bare.is_some() {
                wait_until_ready(&url(*port))?;
            }
        }
        Ok(workers)
    }
}

/// The edgepages worker as shipped (`edge/entry.mjs`, its transport and `edge/build`), named
/// `name`, with `vars`.
fn rust_worker(root: &Path, name: &str, vars: &str) -> String {
    worker_with(name, &worker_modules(root), vars)
}

/// The path of the status page on the origin (section 10).
const STATUS_PAGE: &str = "/bench-status";

/// The release build for a site with `[status]`, which `scripts/bench-edge` makes.
const STATUS_BUILD: Build = Build { config: "tests/status-page/edgepages.toml", dir: "build-status-bench" };

/// [`rust_worker`] as built for another config.
fn worker_of(root: &Path, name: &str, build: Build, vars: &str) -> String {
    worker_with(name, &worker_modules_of(root, build), vars)
}

fn worker_with(name: &str, modules: &str, vars: &str) -> String {
    format!(
        r#"const {name} :Workerd.Worker = (
  modules = {modules},
  compatibilityDate = "2026-04-01", {vars}, globalOutbound = "loopback",
);
"#
    )
}

impl Drop for Workers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_until_ready(base: &str) -> Result<()> {
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(2)).build()?;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if client.get(format!("{base}/ready")).send().is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("workerd did not answer at {base} within 20 s; see target/bench/workerd.log")
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { f64::midpoint(values[n / 2 - 1], values[n / 2]) }
}

/// The median of each run's own ratio of `mine` to `theirs`: a run's measurements sit side by
/// side in time, so drift on a shared machine between runs cancels out.
fn median_ratio(mine: &[f64], theirs: &[f64]) -> f64 {
    median(&mut mine.iter().zip(theirs).map(|(m, t)| m / t).collect::<Vec<_>>())
}

struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn wrk_with(url: &str, opts: &Options, extra: &[&str]) -> Result<Wrk> {
    let out = Command::new("wrk")
        .args(["-t1", &format!("-c{}", opts.connections), &format!("-d{}s", opts.seconds), "--latency"])
        .args(extra)
        .arg(url)
        .output()
        .context("running wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str| -> Option<&str> {
        text.lines().map(str::trim).find(|l| l.starts_with(prefix)).and_then(|l| l.split_whitespace().nth(1))
    };
    let ms = |v: &str| -> Option<f64> {
        let (number, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic())?);
        let n: f64 = number.parse().ok()?;
        Some(match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            _ => return None,
        })
    };
    let errors = text.lines().any(|l| l.contains("Non-2xx") || l.contains("Socket errors"));
    if errors {
        bail!("wrk saw errors against {url}:\n{text}");
    }
    Ok(Wrk {
        rps: field("Requests/sec:").and_then(|v| v.parse().ok()).context("wrk printed no Requests/sec")?,
        p50_ms: field("50%").and_then(ms).context("wrk printed no p50")?,
        p99_ms: field("99%").and_then(ms).context("wrk printed no p99")?,
    })
}

/// Each run's req/s, p50 and p99 (ms) for each of `urls`, over `opts.runs` runs of wrk (with
/// `extra` arguments). Interleaved, so that drift on the machine touches every worker alike, and
/// in turn forwards and backwards, so that no worker always goes first.
fn interleaved(what: &str, urls: &[String], opts: &Options, extra: &[&str]) -> Result<Vec<Series>> {
    let mut results: Vec<Series> = vec![(vec![], vec![], vec![]); urls.len()];
    for run in 0..opts.runs {
        eprintln!("{what} run {}/{}", run + 1, opts.runs);
        let mut order: Vec<usize> = (0..urls.len()).collect();
        if run % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let w = wrk_with(&urls[i], opts, extra)?;
            results[i].0.push(w.rps);
            results[i].1.push(w.p50_ms);
            results[i].2.push(w.p99_ms);
        }
    }
    Ok(results)
}

/// One worker's req/s, p50 ms and p99 ms, a value per run.
type Series = (Vec<f64>, Vec<f64>, Vec<f64>);

fn pass_through(report: &mut String, workers: &Workers, opts: &Options) -> Result<()> {
    let mut targets = vec![("Rust worker (edgepages)", &workers.rust), ("JS pass-through", &workers.js)];
    targets.push(("JS pass-through + deadline timer", &workers.js_deadline));
    if let Some(bare) = &workers.bare {
        targets.push(("bare workers-rs proxy", bare));
    }
    let urls: Vec<String> = targets.iter().map(|(_, base)| format!("{base}/bench")).collect();
    let results = interleaved("pass-through", &urls, opts, &[])?;
    writeln!(
        report,
        "1. pass-through, wrk -t1 -c{} -d{}s (goal: Rust >= 0.95x JS req/s, <= 1.05x JS p50)",
        opts.connections, opts.seconds
    )?;
    writeln!(
        report,
        "   {:<34} {:>9} {:>9} {:>9} {:>11} {:>9}",
        "", "req/s", "p50 ms", "p99 ms", "req/s vs JS", "p50 vs JS"
    )?;
    let js = results[1].clone();
    for ((name, _), (rps, p50, p99)) in targets.iter().zip(&results) {
        let (rps_ratio, p50_ratio) = (median_ratio(rps, &js.0), median_ratio(p50, &js.1));
        let (rps, p50, p99) = (median(&mut rps.clone()), median(&mut p50.clone()), median(&mut p99.clone()));
        writeln!(report, "   {name:<34} {rps:>9.0} {p50:>9.2} {p99:>9.2} {rps_ratio:>10.2}x {p50_ratio:>8.2}x")?;
    }
    writeln!(report)?;
    Ok(())
}

/// The KV switch's cost on the healthy path: the same worker with and without the binding, the
/// two alone and back to back in each run, so that the machine's drift touches both alike.
fn kv_switch(report: &mut String, workers: &Workers, opts: &Options) -> Result<()> {
    let urls = [format!("{}/bench", workers.rust), format!("{}/bench", workers.rust_kv)];
    let results = interleaved("KV switch", &urls, opts, &[])?;
    let (plain, kv) = (&results[0], &results[1]);
    let (rps_ratio, p50_ratio) = (median_ratio(&kv.0, &plain.0), median_ratio(&kv.1, &plain.1));
    let (with, without) = (median(&mut kv.0.clone()), median(&mut plain.0.clone()));
    writeln!(
        report,
        "8. pass-through with the KV maintenance switch bound, against the same worker without it (goal: >= 0.98x req/s)\n   \
         {with:.0} vs {without:.0} req/s: {rps_ratio:.2}x req/s, {p50_ratio:.2}x p50 (medians of per-run ratios)\n"
    )?;
    Ok(())
}

/// The status page's cost on the healthy path: the worker of a site with `[status]` reading its
/// status page against the same worker with `STATUS_URL=off`, alone and back to back in each run.
fn status_page(report: &mut String, workers: &Workers, opts: &Options) -> Result<()> {
    let urls = [format!("{}/bench", workers.rust_status_off), format!("{}/bench", workers.rust_status)];
    let results = interleaved("status page", &urls, opts, &[])?;
    let (off, on) = (&results[0], &results[1]);
    let (rps_ratio, p50_ratio) = (median_ratio(&on.0, &off.0), median_ratio(&on.1, &off.1));
    let (with, without) = (median(&mut on.0.clone()), median(&mut off.0.clone()));
    writeln!(
        report,
        "10. pass-through with [status] read (a status page on the origin), against the same worker with STATUS_URL=off (goal: >= 0.98x req/s)\n    \
         {with:.0} vs {without:.0} req/s: {rps_ratio:.2}x req/s, {p50_ratio:.2}x p50 (medians of per-run ratios)\n"
    )?;
    Ok(())
}

/// Pass-through over distinct URLs (a wrk script cycles through them), stale-if-error on and off.
fn distinct_urls(report: &mut String, workers: &Workers, opts: &Options) -> Result<()> {
    let script = repo_root().join("target/bench/distinct-urls.lua");
    std::fs::write(
        &script,
        format!(
            "local n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(nil, \"/page-\" .. (n % {DISTINCT_URLS}) .. \"?utm=\" .. n)\nend\n"
        ),
    )?;
    let script = script.display().to_string();
    let targets = [("stale-if-error on (as shipped)", &workers.rust), ("stale-if-error off", &workers.rust_no_stale)];
    let urls: Vec<String> = targets.iter().map(|(_, base)| (*base).clone()).collect();
    let results = interleaved("distinct URLs", &urls, opts, &["-s", &script])?;
    writeln!(
        report,
        "6. pass-through over {DISTINCT_URLS} distinct URLs (each with its own query), wrk -t1 -c{} -d{}s: stale-if-error on vs off",
        opts.connections, opts.seconds
    )?;
    writeln!(report, "   {:<34} {:>9} {:>9} {:>12}", "", "req/s", "p50 ms", "req/s vs off")?;
    let off = results[1].0.clone();
    for ((name, _), (rps, p50, _)) in targets.iter().zip(&results) {
        let ratio = median_ratio(rps, &off);
        let (rps, p50) = (median(&mut rps.clone()), median(&mut p50.clone()));
        writeln!(report, "   {name:<34} {rps:>9.0} {p50:>9.2} {ratio:>11.2}x")?;
    }
    writeln!(report)?;
    Ok(())
}

/// A page of unknown length read slowly: the Rust worker keeps a copy of it (the tee stops at
/// 2 MiB), the JS pass-through keeps none.
fn slow_chunked(report: &mut String, workers: &Workers) -> Result<()> {
    writeln!(
        report,
        "7. a {CHUNKED_MIB} MiB chunked page read slowly ({} KiB every {} ms) (goal: memory bounded by the 2 MiB copy cap)",
        SLOW_READ_BYTES / 1024,
        SLOW_READ_PAUSE.as_millis()
    )?;
    let kib = CHUNKED_MIB * 1024;
    for (name, base) in [("Rust worker", &workers.rust), ("JS pass-through", &workers.js)] {
        let pid = workers.child.id();
        let before = rss_kib(pid);
        let client = reqwest::blocking::Client::builder().timeout(Duration::from_mins(3)).build()?;
        let started = Instant::now();
        let mut resp = client.get(format!("{base}/chunked-{}?fault=chunked&kb={kib}", name.len())).send()?;
        let (mut total, mut peak) = (0u64, before);
        let mut buf = vec![0u8; SLOW_READ_BYTES];
        loop {
            // A whole step's worth, however the body happens to be chunked, then a pause.
            let filled = fill(&mut resp, &mut buf)?;
            if filled == 0 {
                break;
            }
            total += filled as u64;
            peak = peak.max(rss_kib(pid));
            std::thread::sleep(SLOW_READ_PAUSE);
        }
        if total != kib * 1024 {
            bail!("{name} gave {total} bytes of the chunked page, not {CHUNKED_MIB} MiB");
        }
        writeln!(report, "   {name:<16} {:>6.1} s; {}", started.elapsed().as_secs_f64(), rss_growth(before, peak))?;
    }
    writeln!(report)?;
    Ok(())
}

/// Ten visitors at once, each reading a page of its own (so each is one the worker keeps a copy
/// of) at 64 KiB/s, with workerd's memory sampled throughout; the JS pass-through, which keeps no
/// copies, for reference.
fn slow_visitors(report: &mut String, workers: &Workers) -> Result<()> {
    writeln!(
        report,
        "9. {SLOW_VISITORS} slow visitors at once, each reading a {SLOW_VISITOR_KIB} KiB page at {} KiB/s (goal: memory bounded by the copies made at once)",
        SLOW_VISITOR_BYTES_PER_S / 1024
    )?;
    // The JS pass-through first: workerd does not hand memory back, so the worker measured second
    // starts from the first one's peak.
    for (name, base) in [("JS pass-through", &workers.js), ("Rust worker", &workers.rust)] {
        let pid = workers.child.id();
        let before = rss_kib(pid);
        let started = Instant::now();
        let reading = std::sync::atomic::AtomicBool::new(true);
        let (peak, totals) = std::thread::scope(|s| -> Result<(u64, Vec<u64>)> {
            let visitors: Vec<_> = (0..SLOW_VISITORS)
                .map(|i| {
                    let url = format!("{base}/slow-visitor-{}-{i}?fault=chunked&kb={SLOW_VISITOR_KIB}", name.len());
                    s.spawn(move || -> Result<u64> {
                        let client = reqwest::blocking::Client::builder().timeout(Duration::from_mins(3)).build()?;
                        let mut resp = client.get(url).send()?;
                        let (mut total, mut buf) = (0u64, vec![0u8; SLOW_VISITOR_BYTES_PER_S / 4]);
                        loop {
                            // A quarter of a second's worth, however the body happens to be
                            // chunked, then the rest of that quarter second.
                            let step = Instant::now();
                            let filled = fill(&mut resp, &mut buf)?;
                            if filled == 0 {
                                return Ok(total);
                            }
                            total += filled as u64;
                            std::thread::sleep(Duration::from_millis(250).saturating_sub(step.elapsed()));
                        }
                    })
                })
                .collect();
            let sampler = s.spawn(|| {
                let mut peak = before;
                while reading.load(std::sync::atomic::Ordering::Relaxed) {
                    peak = peak.max(rss_kib(pid));
                    std::thread::sleep(Duration::from_millis(100));
                }
                peak
            });
            let totals = visitors.into_iter().map(|v| v.join().expect("a visitor thread")).collect::<Result<Vec<_>>>();
            reading.store(false, std::sync::atomic::Ordering::Relaxed);
            let peak = sampler.join().expect("the sampler thread");
            Ok((peak, totals?))
        })?;
        if totals.iter().any(|t| *t != SLOW_VISITOR_KIB * 1024) {
            bail!("{name}: a slow visitor did not get the whole page: {totals:?}");
        }
        writeln!(report, "   {name:<16} {:>6.1} s; {}", started.elapsed().as_secs_f64(), rss_growth(before, peak))?;
    }
    writeln!(report)?;
    Ok(())
}

/// Reads from `body` until `buf` is full or the body ends; how much was read.
fn fill(body: &mut impl std::io::Read, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match body.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn deadline(report: &mut String, workers: &Workers) -> Result<()> {
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let mut times = Vec::new();
    for i in 0..10 {
        let started = Instant::now();
        let resp = client
            .get(format!("{}/hang-{i}?fault=hang", workers.rust_no_breaker))
            .header("accept", "text/html")
            .send()?;
        let status = resp.status().as_u16();
        let branded = resp.text()?.contains("Example Shop");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if status != 504 || !branded {
            bail!("a hung origin gave {status} (branded: {branded}), not the branded 504");
        }
    }
    let worst = times.iter().copied().fold(0.0, f64::max);
    let med = median(&mut times);
    #[allow(clippy::cast_precision_loss)]
    let deadline = DEADLINE_MS as f64;
    writeln!(
        report,
        "2. hung origin -> branded 504, 10 requests, deadline {DEADLINE_MS} ms (goal: <= deadline + 50 ms)"
    )?;
    writeln!(
        report,
        "   median {med:.1} ms (deadline + {:.1} ms), worst {worst:.1} ms (deadline + {:.1} ms)\n",
        med - deadline,
        worst - deadline
    )?;
    Ok(())
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// workerd's memory before a transfer and at its peak, both in KiB, as the report shows it.
fn rss_growth(before_kib: u64, peak_kib: u64) -> String {
    format!(
        "workerd RSS {} MiB before, peak {} MiB (+{} MiB)",
        before_kib / 1024,
        peak_kib / 1024,
        peak_kib.saturating_sub(before_kib) / 1024
    )
}

fn streaming(report: &mut String, workers: &Workers) -> Result<()> {
    writeln!(report, "3. {HUGE_MIB} MiB streamed through (goal: memory bounded, not growing with the body)")?;
    for (name, base) in [("Rust worker", &workers.rust), ("JS pass-through", &workers.js)] {
        let pid = workers.child.id();
        let before = rss_kib(pid);
        let client = reqwest::blocking::Client::builder().timeout(Duration::from_mins(2)).build()?;
        let started = Instant::now();
        let mut resp = client.get(format!("{base}/huge?fault=huge&mb={HUGE_MIB}")).send()?;
        let (mut total, mut peak) = (0u64, before);
        let mut buf = vec![0u8; 1 << 16];
        let mut last_sample = Instant::now();
        loop {
            let n = resp.read(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if last_sample.elapsed() >= Duration::from_millis(20) {
                peak = peak.max(rss_kib(pid));
                last_sample = Instant::now();
            }
        }
        let secs = started.elapsed().as_secs_f64();
        if total != HUGE_MIB * 1024 * 1024 {
            bail!("{name} streamed {total} bytes, not {HUGE_MIB} MiB");
        }
        #[allow(clippy::cast_precision_loss)]
        let mib_s = total as f64 / 1_048_576.0 / secs;
        writeln!(report, "   {name:<16} {secs:>6.2} s ({mib_s:>6.0} MiB/s); {}", rss_growth(before, peak))?;
    }
    writeln!(report)?;
    Ok(())
}

fn wasm_size(report: &mut String, root: &Path) -> Result<()> {
    let wasm = std::fs::read(root.join("edge/build/index_bg.wasm")).context("reading edge/build/index_bg.wasm")?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&wasm)?;
    let gzipped = gz.finish()?.len();
    writeln!(report, "4. wasm size (goal: <= 150 KB gzip -9)")?;
    writeln!(
        report,
        "   {} bytes raw, {} bytes gzip -9 ({:.1} KB)\n",
        wasm.len(),
        gzipped,
        f64::from(u32::try_from(gzipped)?) / 1024.0
    )?;
    Ok(())
}

fn render_cpu(report: &mut String, root: &Path) -> Result<()> {
    let text = std::fs::read_to_string(root.join("edgepages.toml"))?;
    let config = load::parse(&text, "edgepages.toml")?;
    let logo = config.brand.logo.as_ref().map(|l| std::fs::read_to_string(root.join(l))).transpose()?;
    let site = Site::new(config, logo.as_deref())?;
    let req = RequestFacts {
        method: "GET",
        path: "/basket?step=2",
        accept: Some("text/html,application/xhtml+xml,*/*;q=0.8"),
        accept_language: Some("fr-CH,fr;q=0.9,en;q=0.8"),
        request_id: Some("8f1a2b3c4d5e6f70-LHR"),
        maintenance_bypass: false,
    };
    let mut per_render = Vec::new();
    let mut bytes = 0;
    for _ in 0..5 {
        let started = Instant::now();
        for seed in 0..ITERATIONS {
            let clock = Clock { now_unix_s: 1_795_543_200, seed: u64::from(seed) };
            // With stale_if_error_s set, the page is the fallback when no copy is kept.
            let (Decision::Page(page) | Decision::ServeStale { fallback: page, .. }) =
                decide(&req, &OriginOutcome::Failure(FailureKind::Timeout), &site.config, clock)
            else {
                bail!("a timeout must be answered with a page");
            };
            bytes = render(&page, &site, &RenderContext::for_request(&req, clock.now_unix_s))?.body.len();
        }
        per_render.push(started.elapsed().as_secs_f64() * 1e6 / f64::from(ITERATIONS));
    }
    writeln!(report, "5. CPU to decide and render one branded HTML error ({bytes} bytes), native release build")?;
    writeln!(report, "   median {:.1} us per response (5 runs of {ITERATIONS})", median(&mut per_render))?;
    Ok(())
}

//! The shared rig for the edge tests: one fault origin and one worker per configuration,
//! started once for the whole test binary.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::OnceLock;
use std::time::Duration;

use edgepages_e2e::fault_origin::{FaultOrigin, LEAK_MARKER};
use edgepages_e2e::worker::Worker;
use reqwest::blocking::{Client, RequestBuilder, Response};

/// The default deadline the main worker runs with.
pub const DEADLINE_MS: u64 = 1000;
/// Slack for the deadline on a busy 2-core test machine; the exact figure is in the benchmark.
pub const SLACK_MS: u64 = 3000;
pub const BYPASS_SECRET: &str = "team-secret-0123456789";

pub struct OriginRig {
    pub origin: FaultOrigin,
    _runtime: tokio::runtime::Runtime,
}

pub fn rig() -> &'static OriginRig {
    static RIG: OnceLock<OriginRig> = OnceLock::new();
    RIG.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let origin = runtime.block_on(FaultOrigin::start("127.0.0.1:0")).unwrap();
        OriginRig { origin, _runtime: runtime }
    })
}

/// The worker in front of the fault origin, with a 1 s deadline. Its breaker is off: the tests
/// share its isolate, and one test's run of failures must not shed another's requests.
pub fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let origin = rig().origin.url();
        Worker::start(
            "main",
            &[("ORIGIN_URL", &origin), ("ORIGIN_TIMEOUT_MS", &DEADLINE_MS.to_string()), ("BREAKER", "off")],
        )
        .unwrap()
    })
}

/// A worker with the bundled config's breaker (half of at least 10 answers in 10 s failing), for
/// the tests of the breaker itself, taken one at a time ([`breaker_lock`]).
pub fn breaker_worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let origin = rig().origin.url();
        // A longer deadline than the main worker's: its tests answer with statuses, never hang, and
        // the late-answer test needs a slow healthy answer with room to spare on a loaded machine.
        // The upload bound is shorter than the deadline, so that a trickled upload meets it.
        Worker::start(
            "breaker",
            &[
                ("ORIGIN_URL", &origin),
                ("ORIGIN_TIMEOUT_MS", "5000"),
                ("UPLOAD_TIMEOUT_MS", &UPLOAD_BOUND_MS.to_string()),
            ],
        )
        .unwrap()
    })
}

/// The breaker worker's upload bound (`UPLOAD_TIMEOUT_MS`).
pub const UPLOAD_BOUND_MS: u64 = 3000;

/// A worker in maintenance until a far-off time, with a bypass secret.
pub fn maintenance_worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let origin = rig().origin.url();
        Worker::start(
            "maintenance",
            &[("ORIGIN_URL", &origin), ("MAINTENANCE", "2099-01-01T00:00:00Z"), ("MAINTENANCE_BYPASS", BYPASS_SECRET)],
        )
        .unwrap()
    })
}

/// A worker of its own for the chaos tests: a panic strands every request in flight on its
/// isolate, so it must not share one with other tests, and its tests take turns
/// ([`chaos_turn`]).
pub fn chaos_worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| Worker::start("chaos", &[("ORIGIN_URL", &rig().origin.url())]).unwrap())
}

/// Held for the whole of a test on [`chaos_worker`]: one test's panic would otherwise strand
/// another's requests in flight, and what the panic leaves behind (callbacks of the discarded
/// wasm instance, logged as stray errors) would land in the middle of another test.
pub fn chaos_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A worker in production's mode: `ORIGIN_URL` empty, so each request goes to its own URL, as on
/// a Cloudflare route. `--local-upstream` gives each request the fault origin's host, as a
/// Cloudflare route gives it the site's. Its bypass secret is too short, and must be refused.
pub fn route_mode_worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let upstream = rig().origin.url().trim_start_matches("http://").to_owned();
        Worker::start_with(
            "route-mode",
            &[
                ("ORIGIN_TIMEOUT_MS", &DEADLINE_MS.to_string()),
                ("BREAKER", "off"),
                ("MAINTENANCE_BYPASS", SHORT_BYPASS_SECRET),
            ],
            &["--local-upstream", &upstream],
        )
        .unwrap()
    })
}

/// A bypass secret under the 16 characters the worker accepts.
pub const SHORT_BYPASS_SECRET: &str = "too-short-7";

/// A worker whose `ORIGIN_URL` has a path, which goes before each request's.
pub fn prefixed_worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let origin = format!("{}/base", rig().origin.url());
        Worker::start("prefixed", &[("ORIGIN_URL", &origin), ("BREAKER", "off")]).unwrap()
    })
}

/// The breaker worker's breaker is one per origin, and every test's requests go to the one fault
/// origin: the tests that use it take this lock, one at a time, each starting with the breaker
/// closed and its window clear of the last test's answers ([`until_breaker_closed`]).
pub fn breaker_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The bundled config's `[edge.breaker] window_s`.
pub const BREAKER_WINDOW: Duration = Duration::from_secs(10);

/// Waits (at most a cool-down and a probe) until the breaker worker lets a healthy request
/// through to the origin, then for the answers in its failure-rate window to age out, so that
/// one test's answers never count in the next's.
pub fn until_breaker_closed() {
    let started = std::time::Instant::now();
    loop {
        let resp = browser_on(breaker_worker(), &unique("closed-probe")).send().unwrap();
        if resp.status().as_u16() == 200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the breaker did not close");
        std::thread::sleep(Duration::from_millis(250));
    }
    std::thread::sleep(BREAKER_WINDOW + Duration::from_millis(500));
}

/// A worker whose origin's name does not resolve.
pub fn unresolvable_worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| Worker::start("unresolvable", &[("ORIGIN_URL", "http://no-such-origin.invalid")]).unwrap())
}

pub fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(30)).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The address of visitor `n` (1 to 254): a loopback address in a /24 of its own, `127.0.n.1`
/// (all of 127.0.0.0/8 is loopback). The worker knows its clients by the address the platform
/// names (`CF-Connecting-IP`, which `wrangler dev` sets from the connection, as Cloudflare does),
/// and counts an IPv4 client by its /24, so each visitor here connects from a block of its own.
pub fn visitor_ip(n: u8) -> String {
    format!("127.0.{n}.1")
}

/// A client connecting from visitor `n`'s address ([`visitor_ip`]).
pub fn client_from(n: u8) -> Client {
    client_at(&visitor_ip(n))
}

/// A client connecting from the loopback address `ip`.
pub fn client_at(ip: &str) -> Client {
    Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// A browser-like GET of `path` on `worker`, from visitor `n`.
pub fn browser_from(n: u8, worker: &Worker, path: &str) -> RequestBuilder {
    client_from(n)
        .get(format!("{}{path}", worker.url))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("accept-language", "en-GB,en;q=0.9")
}

/// A browser-like GET of `path` on the main worker.
pub fn browser(path: &str) -> RequestBuilder {
    browser_on(worker(), path)
}

/// A browser-like GET of `path` on `worker`.
pub fn browser_on(worker: &Worker, path: &str) -> RequestBuilder {
    client()
        .get(format!("{}{path}", worker.url))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("accept-language", "en-GB,en;q=0.9")
}

/// The branded page's own words, from the bundled example's config.
pub const BRAND: &str = "Example Shop";

/// Asserts a branded HTML error answer with `status`, and returns its body.
#[track_caller]
pub fn assert_branded_error(resp: Response, status: u16) -> String {
    assert_eq!(resp.status().as_u16(), status);
    assert_eq!(header(&resp, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&resp, "cache-control"), "no-store");
    assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
    assert!(header(&resp, "content-security-policy").starts_with("default-src 'none'"));
    let retry_after: u32 = header(&resp, "retry-after").parse().expect("a numeric Retry-After");
    assert!(retry_after >= 10, "Retry-After {retry_after}");
    let body = resp.text().unwrap();
    assert!(body.contains(BRAND), "not branded");
    assert!(!body.contains(LEAK_MARKER), "the origin's error body leaked");
    assert!(!body.contains("Traceback"), "the origin's error body leaked");
    body
}

pub fn header(resp: &Response, name: &str) -> String {
    resp.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// A path unique to one test, so hit counts never mix.
pub fn unique(name: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("/{name}-{n}")
}

/// What a server answered a request: its status and its whole text, head and body.
pub struct Answered {
    pub status: u16,
    pub text: String,
}

impl Answered {
    /// The value of response header `name` (lower case), if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        let head = self.text.split("\r\n\r\n").next().unwrap_or_default();
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// POSTs `body` to `url` (`http://host:port/path?query`) from visitor `from` ([`visitor_ip`]),
/// its length declared, one byte at a time over about `over`, as a slow (or malicious) client
/// sends it, and reads the answer. A server may answer, and close, before the body is all sent:
/// the rest of the body is then not sent, and the answer is still read.
pub fn trickle_post(url: &str, from: u8, body: &str, over: Duration) -> Answered {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (host, path) = url.trim_start_matches("http://").split_once('/').unwrap();
    let pause = over / u32::try_from(body.len()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{}:0", visitor_ip(from)).parse().unwrap()).unwrap();
        let mut stream = socket.connect(host.parse().unwrap()).await.unwrap();
        let head = format!(
            "POST /{path} HTTP/1.1\r\nhost: {host}\r\naccept: text/html\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        for byte in body.bytes() {
            tokio::time::sleep(pause).await;
            if stream.write_all(&[byte]).await.is_err() {
                break;
            }
        }
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "no answer within 30 s");
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        Answered { status, text }
    })
}

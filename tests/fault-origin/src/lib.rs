//! An origin that misbehaves on request, for the end-to-end tests and the demo.
//!
//! The query parameter `fault` picks the behaviour; every request is counted by method and path:
//!
//! | `fault=` | behaviour |
//! |---|---|
//! | (none), `ok` | 200 HTML, with an `x-origin` header |
//! | `status&code=N` | status N with a stack trace (holding a fake secret) as the body; `chunked=1` sends it chunked, `via=V` adds `Via: V` (as Heroku's router, Varnish or Google's load balancer do) |
//! | `json&code=N` | status N with a JSON error body |
//! | `retry_after&code=N&seconds=S` | status N with `Retry-After: S` |
//! | `hang` | accepts, reads the request, never answers |
//! | `hang_body` | sends 200 headers and part of the body, then hangs |
//! | `reset` | resets the connection (RST) after reading the request |
//! | `reset_body` | sends 200 headers and part of the body, then resets |
//! | `drip&ms=N` | sends the status line and headers one byte every N ms |
//! | `slow&ms=N` | answers 200 after N ms |
//! | `huge&mb=N` | 200 with an N MiB body, streamed |
//! | `chunked&kb=N&ms=M` | 200 HTML of N KiB, chunked (no length), a 64 KiB chunk every M ms |
//! | `echo` | 200 JSON of the request as it arrived: method, path, headers, body |
//! | `redirect&to=P` | 302 to `P` |
//! | `links` | 200 HTML whose links are built from the forwarded headers, as a framework behind a proxy builds them (below) |
//! | `status_json&sample=NAME` | a fake status page's JSON, recorded or hostile ([`status_page`]) |
//!
//! A healthy answer also takes `cache_control=V`, `vary=V` and `set_cookie=1`, to add those
//! headers. A test can give a path a standing behaviour ([`FaultOrigin::set_behaviour`]), so that
//! one URL is healthy, then broken, then healthy again, as in a bad deploy.
//!
//! `links` builds its absolute links as Spring's `ForwardedHeaderFilter` does, and as Rails, Django
//! (`USE_X_FORWARDED_HOST`) and Express (`trust proxy`) do for the headers they read: the host and
//! scheme from `Forwarded` (RFC 7239) if present, else `X-Forwarded-Host` and
//! `X-Forwarded-Proto`, else `Host` and `http`; and a path prefix from `X-Forwarded-Prefix`. So a
//! client that can set those headers chooses where the page's links point.
//!
//! A client can be put over a rate limit ([`FaultOrigin::limit_client`]): every request whose
//! `X-Forwarded-For` names it gets nginx `limit_req`'s answer (its default status, 503, and its
//! default error page), on every path, while everyone else is served as usual.
//!
//! `GET /__hits` answers the counts as JSON. `GET /__behaviour?path=P&then=Q` gives path `P` the
//! standing query `Q` (URL-encoded), and without `then` clears it, for the demo.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub mod status_page;

/// The control path that sets a standing behaviour over HTTP.
const BEHAVIOUR_PATH: &str = "/__behaviour";

/// What every error body holds: if a visitor ever sees it, the origin's body leaked.
pub const LEAK_MARKER: &str = "DATABASE_PASSWORD=hunter2";

type Hits = Arc<Mutex<BTreeMap<String, u64>>>;
/// A standing query string per path, used when a request names no `fault` itself.
type Behaviours = Arc<Mutex<BTreeMap<String, String>>>;
/// The header names of the last request for each path, any behaviour.
type Heard = Arc<Mutex<BTreeMap<String, Vec<String>>>>;
/// The client addresses over the rate limit.
type Limited = Arc<Mutex<Vec<String>>>;

/// nginx's own page for a request `limit_req` refuses: the status it answers by default
/// (`limit_req_status`, 503) with its built-in error page for that status.
const NGINX_503: &str = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// A running fault origin. It stops with its runtime.
#[derive(Debug, Clone)]
pub struct FaultOrigin {
    pub addr: SocketAddr,
    hits: Hits,
    behaviours: Behaviours,
    limited: Limited,
    heard: Heard,
}

impl FaultOrigin {
    /// Listens on `addr` (port 0 for any) and serves on the current tokio runtime.
    pub async fn start(addr: &str) -> std::io::Result<FaultOrigin> {
        let listener = TcpListener::bind(addr).await?;
        let origin = FaultOrigin {
            addr: listener.local_addr()?,
            hits: Hits::default(),
            behaviours: Behaviours::default(),
            limited: Limited::default(),
            heard: Heard::default(),
        };
        let state = State {
            hits: Arc::clone(&origin.hits),
            behaviours: Arc::clone(&origin.behaviours),
            limited: Arc::clone(&origin.limited),
            heard: Arc::clone(&origin.heard),
        };
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                // Small answers must not wait for a delayed ACK (Nagle): that adds 40 ms to each.
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, state.clone()));
            }
        });
        Ok(origin)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests seen with this method and path (no query).
    pub fn hits(&self, method: &str, path: &str) -> u64 {
        self.hits.lock().expect("hits lock").get(&format!("{method} {path}")).copied().unwrap_or(0)
    }

    /// From now on, requests for `path` that name no `fault` behave as if their query were
    /// `query` (for example `fault=status&code=502`); `None` makes the path healthy again.
    pub fn set_behaviour(&self, path: &str, query: Option<&str>) {
        let mut behaviours = self.behaviours.lock().expect("behaviours lock");
        match query {
            Some(query) => behaviours.insert(path.to_owned(), query.to_owned()),
            None => behaviours.remove(path),
        };
    }

    /// Puts the client at `address` over the rate limit (`true`) or back under it.
    pub fn limit_client(&self, address: &str, limited: bool) {
        let mut clients = self.limited.lock().expect("limited lock");
        clients.retain(|c| c != address);
        if limited {
            clients.push(address.to_owned());
        }
    }

    /// Every path seen, with its count (`METHOD /path`).
    pub fn all_hits(&self) -> BTreeMap<String, u64> {
        self.hits.lock().expect("hits lock").clone()
    }

    /// The header names (lowercased) of the last request for `path`, whatever its behaviour;
    /// `None` if none came.
    pub fn last_header_names(&self, path: &str) -> Option<Vec<String>> {
        self.heard.lock().expect("heard lock").get(path).cloned()
    }

    /// Requests seen for this path, any method.
    pub fn hits_any(&self, path: &str) -> u64 {
        let suffix = format!(" {path}");
        self.hits.lock().expect("hits lock").iter().filter(|(k, _)| k.ends_with(&suffix)).map(|(_, v)| v).sum()
    }
}

/// What every connection shares.
#[derive(Clone)]
struct State {
    hits: Hits,
    behaviours: Behaviours,
    limited: Limited,
    heard: Heard,
}

struct Parsed {
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    /// Header names lowercased, in the order they came.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The client asked to close the connection after this request.
    close: bool,
}

impl Parsed {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Serves requests on one connection: healthy answers keep it alive (as a real origin behind a
/// load balancer would), every fault closes it.
async fn serve(mut stream: TcpStream, state: State) {
    let State { hits, behaviours, limited, heard } = state;
    let mut buf = Vec::new();
    while let Some(mut req) = read_request(&mut stream, &mut buf).await {
        let names = req.headers.iter().map(|(name, _)| name.clone()).collect();
        heard.lock().expect("heard lock").insert(req.path.clone(), names);
        // nginx keys `limit_req` by the client's address, here the first hop the edge names.
        let client = req.header("x-forwarded-for").and_then(|v| v.split(',').next()).map(str::trim);
        if client.is_some_and(|c| limited.lock().expect("limited lock").iter().any(|l| l == c)) {
            count(&hits, &req);
            let _ = respond(&mut stream, 503, "text/html", &[("server", "nginx")], NGINX_503.as_bytes()).await;
            return;
        }
        if !req.query.contains_key("fault")
            && let Some(standing) = behaviours.lock().expect("behaviours lock").get(&req.path)
        {
            req.query.extend(parse_query(standing));
        }
        let healthy = matches!(req.query.get("fault").map(String::as_str), None | Some("ok"));
        if req.path == BEHAVIOUR_PATH {
            let set = req.query.get("path").map(|path| (path.clone(), req.query.get("then").cloned()));
            let body = match set {
                Some((path, then)) => {
                    let mut standing = behaviours.lock().expect("behaviours lock");
                    match then {
                        Some(query) => standing.insert(path, query),
                        None => standing.remove(&path),
                    };
                    format!("{standing:?}\n")
                }
                None => {
                    "usage: /__behaviour?path=/menu&then=fault%3Dstatus%26code%3D502 (no `then` clears it)\n".into()
                }
            };
            let _ = respond(&mut stream, 200, "text/plain", &[], body.as_bytes()).await;
            return;
        }
        if healthy && req.path != "/__hits" {
            count(&hits, &req);
            let body = format!("<p>origin ok: {}</p>", req.path);
            let connection = if req.close { "close" } else { "keep-alive" };
            let mut extra = vec![("x-origin", "fault-origin"), ("connection", connection)];
            for (param, header) in [("cache_control", "cache-control"), ("vary", "vary")] {
                if let Some(value) = req.query.get(param) {
                    extra.push((header, value));
                }
            }
            if req.query.contains_key("set_cookie") {
                extra.push(("set-cookie", "session=personal-0123; Path=/; HttpOnly"));
            }
            if respond_head_and_body(&mut stream, 200, "text/html; charset=utf-8", &extra, body.as_bytes())
                .await
                .is_err()
                || req.close
            {
                return;
            }
            continue;
        }
        serve_fault(stream, req, &hits).await;
        return;
    }
}

async fn serve_fault(mut stream: TcpStream, req: Parsed, hits: &Hits) {
    if req.path == "/__hits" {
        let body = serde_json::to_string(&*hits.lock().expect("hits lock")).unwrap_or_default();
        let _ = respond(&mut stream, 200, "application/json", &[], body.as_bytes()).await;
        return;
    }
    count(hits, &req);

    let number = |key: &str, default: u64| req.query.get(key).and_then(|v| v.parse().ok()).unwrap_or(default);
    let code = u16::try_from(number("code", 500)).unwrap_or(500);
    let result = match req.query.get("fault").map_or("ok", String::as_str) {
        "status" => {
            let trace = format!(
                "<html><body><h1>Server Error</h1><pre>Traceback (most recent call last):\n  File \"/app/db.py\", line 42, in connect\n    {LEAK_MARKER}\nOperationalError: could not connect to server</pre></body></html>"
            );
            let via: Vec<(&str, &str)> = req.query.get("via").map(|v| ("via", v.as_str())).into_iter().collect();
            if req.query.contains_key("chunked") {
                respond_chunked(&mut stream, code, "text/html", &via, trace.as_bytes()).await
            } else {
                respond(&mut stream, code, "text/html", &via, trace.as_bytes()).await
            }
        }
        "json" => {
            let body = format!("{{\"error\":\"database unavailable\",\"code\":{code}}}");
            respond(&mut stream, code, "application/json", &[], body.as_bytes()).await
        }
        "retry_after" => {
            let seconds = number("seconds", 120).to_string();
            respond(&mut stream, code, "text/html", &[("retry-after", &seconds)], LEAK_MARKER.as_bytes()).await
        }
        "hang" => {
            hold(&mut stream).await;
            Ok(())
        }
        "hang_body" => {
            send_partial_body(&mut stream, 1000, 100).await;
            hold(&mut stream).await;
            Ok(())
        }
        "reset" => {
            let _ = stream.set_zero_linger();
            drop(stream);
            Ok(())
        }
        "reset_body" => {
            send_partial_body(&mut stream, 100_000, 1000).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = stream.set_zero_linger();
            drop(stream);
            Ok(())
        }
        "drip" => {
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
            for byte in head.as_bytes() {
                if stream.write_all(&[*byte]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(number("ms", 100))).await;
            }
            Ok(())
        }
        "slow" => {
            tokio::time::sleep(Duration::from_millis(number("ms", 1000))).await;
            respond(&mut stream, 200, "text/html", &[("x-origin", "fault-origin")], b"<p>slow but fine</p>").await
        }
        "huge" => stream_huge(&mut stream, number("mb", 10)).await,
        "chunked" => stream_chunked(&mut stream, number("kb", 100), number("ms", 0)).await,
        "echo" => {
            let echo = serde_json::json!({
                "method": req.method,
                "path": req.path,
                "headers": req.headers,
                "body": String::from_utf8_lossy(&req.body),
            });
            respond(&mut stream, 200, "application/json", &[], echo.to_string().as_bytes()).await
        }
        "redirect" => {
            let to = req.query.get("to").map_or("/", String::as_str);
            respond(&mut stream, 302, "text/plain", &[("location", to)], b"moved").await
        }
        "links" => {
            let body =
                format!("<!doctype html><html><body><a href=\"{}/next\">next</a></body></html>", link_base(&req));
            respond(&mut stream, 200, "text/html; charset=utf-8", &[("x-origin", "fault-origin")], body.as_bytes())
                .await
        }
        "status_json" => match status_page::answer(&req.query, std::time::SystemTime::now()) {
            Some((content_type, body)) => respond(&mut stream, 200, content_type, &[], &body).await,
            None => respond(&mut stream, 404, "text/plain", &[], b"no such sample").await,
        },
        _ => {
            let body = format!("<p>origin ok: {}</p>", req.path);
            respond(&mut stream, 200, "text/html; charset=utf-8", &[("x-origin", "fault-origin")], body.as_bytes())
                .await
        }
    };
    let _ = result;
}

/// `scheme://host/prefix` as a framework behind a proxy works it out: `Forwarded` first (its
/// first element's `host` and `proto`), then `X-Forwarded-Host` and `X-Forwarded-Proto` (the
/// first value of each), then `Host`; and `X-Forwarded-Prefix` before the path.
fn link_base(req: &Parsed) -> String {
    let forwarded = |key: &str| {
        let first = req.header("forwarded")?.split(',').next()?;
        first.split(';').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            k.trim().eq_ignore_ascii_case(key).then(|| v.trim().trim_matches('"').to_owned())
        })
    };
    let first = |name: &str| req.header(name).and_then(|v| v.split(',').next()).map(|v| v.trim().to_owned());
    let host = forwarded("host").or_else(|| first("x-forwarded-host")).or_else(|| first("host")).unwrap_or_default();
    let proto = forwarded("proto").or_else(|| first("x-forwarded-proto")).unwrap_or_else(|| "http".to_owned());
    let prefix = first("x-forwarded-prefix").unwrap_or_default();
    format!("{proto}://{host}{}", prefix.trim_end_matches('/'))
}

fn count(hits: &Hits, req: &Parsed) {
    *hits.lock().expect("hits lock").entry(format!("{} {}", req.method, req.path)).or_default() += 1;
}

/// Reads one request's head and body, so that the client is never cut off mid-send. `buf`
/// carries bytes already read past the previous request on this connection.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Parsed> {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once(':')).collect();
    let header = |name: &str| headers.iter().find(|(k, _)| k.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim());
    let content_length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    while buf.len() < head_end + content_length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..(head_end + content_length).min(buf.len())].to_vec();
    let headers = headers.iter().map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())).collect();
    buf.drain(..(head_end + content_length).min(buf.len()));
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Parsed { method, path: path.to_owned(), query: parse_query(query), headers, body, close })
}

/// `a=1&b=x%2Cy` into pairs, decoded, so that header values can carry commas.
fn parse_query(query: &str) -> BTreeMap<String, String> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Answers and closes the connection.
async fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut headers = extra.to_vec();
    headers.push(("connection", "close"));
    respond_head_and_body(stream, status, content_type, &headers, body).await?;
    stream.shutdown().await
}

async fn respond_head_and_body(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    write_response(stream, status, content_type, Some(body.len()), extra, body).await
}

/// Writes a response: its head (with `content-length` when `length` is given) and `body`, as is.
async fn write_response(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    length: Option<usize>,
    extra: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} Fault\r\ncontent-type: {content_type}\r\n");
    if let Some(length) = length {
        let _ = write!(head, "content-length: {length}\r\n");
    }
    for (name, value) in extra {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    let mut message = head.into_bytes();
    message.extend_from_slice(body);
    stream.write_all(&message).await
}

async fn stream_huge(stream: &mut TcpStream, mib: u64) -> std::io::Result<()> {
    let total = mib * 1024 * 1024;
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {total}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await?;
    let chunk = vec![b'e'; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        let n = usize::try_from((total - sent).min(chunk.len() as u64)).unwrap_or(chunk.len());
        stream.write_all(&chunk[..n]).await?;
        sent += n as u64;
    }
    stream.shutdown().await
}

/// A 200 HTML page of `kib` KiB with no declared length (chunked, as a streamed server-rendered
/// page is), a chunk of at most 64 KiB every `ms` milliseconds. The same path always gives the
/// same bytes.
async fn stream_chunked(stream: &mut TcpStream, kib: u64, ms: u64) -> std::io::Result<()> {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ntransfer-encoding: chunked\r\nx-origin: fault-origin\r\nconnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await?;
    let page = format!("<!doctype html><html><body><p>chunked {kib} KiB</p>");
    let total = usize::try_from(kib * 1024).unwrap_or(usize::MAX).max(page.len());
    let mut body = page.into_bytes();
    body.resize(total, b'c');
    for chunk in body.chunks(64 * 1024) {
        stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await?;
        stream.write_all(chunk).await?;
        stream.write_all(b"\r\n").await?;
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }
    stream.write_all(b"0\r\n\r\n").await?;
    stream.shutdown().await
}

/// Answers with `body` as one chunk (`Transfer-Encoding: chunked`, no length), as gunicorn, Node
/// or Tomcat send an error page they stream, and closes the connection.
async fn respond_chunked(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut headers = extra.to_vec();
    headers.extend([("transfer-encoding", "chunked"), ("connection", "close")]);
    let chunked = [format!("{:x}\r\n", body.len()).as_bytes(), body, b"\r\n0\r\n\r\n"].concat();
    write_response(stream, status, content_type, None, &headers, &chunked).await?;
    stream.shutdown().await
}

/// Sends a 200 head that promises `declared` bytes, then only `sent` of them (`x`s).
async fn send_partial_body(stream: &mut TcpStream, declared: usize, sent: usize) {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {declared}\r\nconnection: close\r\n\r\n"
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&vec![b'x'; sent]).await;
    let _ = stream.flush().await;
}

/// Keeps the connection open, reading and discarding, until the peer goes or two minutes pass.
async fn hold(stream: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    let _ = tokio::time::timeout(Duration::from_mins(2), async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

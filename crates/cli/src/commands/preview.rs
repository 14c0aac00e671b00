//! `edgepages preview`: a local server, like `mdbook serve`, for the people who tune the brand.
//! Every page × locale × format, rendered from the config as it is on disk at each request, so
//! an edit shows at once; the index reloads itself when the config, the logo or a page template
//! changes. Only the pages are served, by name: no file is read but the config and the files it
//! names. Only requests for this machine's own names are answered ([`allowed_host`]): a page
//! elsewhere that rebinds its DNS name to 127.0.0.1 cannot read the config's path or its errors.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use askama::Template;
use bytes::Bytes;
use edgepages_core::config::Provider;
use edgepages_core::negotiate::Format;
use edgepages_core::render::RenderContext;
use edgepages_core::status::{StatusNote, parse};
use edgepages_core::{PageKind, locale, render, static_page};
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sha2::{Digest as _, Sha256};

use crate::cli::Global;
use crate::output::Output;
use crate::site_files::{load_site, load_site_and_logo};
use edgepages_core::config::site_file;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// The address to listen on. The default keeps the preview on this machine.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
}

/// The request the pages show as the one that failed.
const SAMPLE: RenderContext<'static> = RenderContext {
    method: Some("GET"),
    request_id: Some("0123456789abcdef-PREVIEW"),
    path: None,
    now_unix_s: None,
    status: None,
};

/// What a site with `[status]` is shown with: the incident of Statuspage's documented summary
/// (`crates/core/tests/status/statuspage/summary-documented.json`), read as the edge reads a
/// status page, as of its latest update.
fn sample_status() -> Option<StatusNote> {
    const DOCUMENTED: &[u8] = include_bytes!("../../../core/tests/status/statuspage/summary-documented.json");
    let summary = parse(Provider::Statuspage, DOCUMENTED, &[]).ok()?;
    let at = summary.incident.as_ref()?.latest.as_ref()?.at_unix_s;
    Some(StatusNote::at(&summary, at))
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    // A config that cannot be read now is said now; one broken later is shown in the page.
    load_site(&global.config)?;
    crate::aws_setup::runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.host, args.port))
            .await
            .with_context(|| format!("listening on {}:{}", args.host, args.port))?;
        let addr = listener.local_addr().context("reading the address listened on")?;
        out.good("serving", &format!("http://{addr}/ (Ctrl-C stops it)"));
        loop {
            let (stream, _) = listener.accept().await.context("accepting a connection")?;
            let config = global.config.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    let config = config.clone();
                    async move {
                        Ok::<_, Infallible>(match refused_host(&request, addr) {
                            Some(refusal) => refusal,
                            None => answer(&config, &request),
                        })
                    }
                });
                // A browser that goes away mid-answer is no error of the preview's.
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    })
}

/// A 403 for a request whose `Host` (or absolute-form target) is not one of this machine's own
/// names, with the port listened on ([`allowed_host`]); `None` for one that is.
fn refused_host<B>(request: &Request<B>, listening: SocketAddr) -> Option<Response<Full<Bytes>>> {
    let host = request.headers().get(hyper::header::HOST).and_then(|v| v.to_str().ok());
    let target = request.uri().authority().map(hyper::http::uri::Authority::as_str);
    let allowed = host.is_some_and(|h| allowed_host(h, listening)) && target.is_none_or(|t| allowed_host(t, listening));
    (!allowed).then(|| {
        let port = listening.port();
        reply(
            StatusCode::FORBIDDEN,
            "text/plain; charset=utf-8",
            format!(
                "the preview answers only http://localhost:{port}/, http://127.0.0.1:{port}/ and http://[::1]:{port}/\n"
            ),
        )
    })
}

/// Whether `host` (a `Host` header's value) names this machine as the preview listens on it:
/// `localhost`, `127.0.0.1` or `[::1]`, or the address given to `--host` when it is one address
/// rather than every one, each with the port listened on (no port only for port 80). Any other
/// name is refused: a DNS name the visitor's browser resolved is the attacker's to rebind to
/// 127.0.0.1 (DNS rebinding), after which the browser treats the preview as that name's origin.
fn allowed_host(host: &str, listening: SocketAddr) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !port.contains(']') => (name, Some(port)),
        _ => (host, None),
    };
    let port_matches = match port {
        Some(port) => port.parse::<u16>().ok() == Some(listening.port()),
        None => listening.port() == 80,
    };
    let listened = listening.ip();
    let given = (!listened.is_unspecified() && !listened.is_loopback()).then(|| match listened {
        std::net::IpAddr::V4(ip) => ip.to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
    });
    port_matches
        && (["localhost", "127.0.0.1", "[::1]"].iter().any(|own| name.eq_ignore_ascii_case(own))
            || given.is_some_and(|given| name.eq_ignore_ascii_case(&given)))
}

fn answer<B>(config: &Path, request: &Request<B>) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    let query = request.uri().query().unwrap_or_default();
    match path {
        "/" => index(config, query),
        "/_edgepages/version" => reply(StatusCode::OK, "text/plain; charset=utf-8", version(config)),
        // The logo as every page inlines it, cleaned; shown by the index as an image.
        "/_edgepages/logo.svg" => match load_site_and_logo(config) {
            Ok((_, Some(logo))) => reply(StatusCode::OK, "image/svg+xml", logo.cleaned.svg),
            _ => reply(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "no logo in the config\n".into()),
        },
        _ => match path.strip_prefix("/page/").and_then(|rest| page(config, rest)) {
            Some(response) => response,
            None => reply(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "no such page in the preview\n".into()),
        },
    }
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(value) = content_type.parse() {
        headers.insert(hyper::header::CONTENT_TYPE, value);
    }
    headers.insert(hyper::header::CACHE_CONTROL, hyper::header::HeaderValue::from_static("no-store"));
    response
}

/// A digest of the config and the files it names, its logo and its page templates: it changes
/// when any of them does, so the index reloads. The names come from the config as it parses now,
/// so a template can be edited back to health while the site does not load.
fn version(config: &Path) -> String {
    let text = std::fs::read(config).unwrap_or_default();
    let parsed = std::str::from_utf8(&text)
        .ok()
        .and_then(|t| edgepages_core::config::load::parse(t, &config.display().to_string()).ok());
    let named: Vec<&String> = parsed
        .iter()
        .flat_map(|c| {
            let pages = c.pages.as_ref();
            [
                c.brand.logo.as_ref(),
                pages.and_then(|p| p.template.as_ref()),
                pages.and_then(|p| p.text_template.as_ref()),
            ]
        })
        .flatten()
        .collect();
    let mut digest = Sha256::new().chain_update(&text);
    for name in named {
        digest.update(b"\n");
        // A name outside the config's folder is never read; loading the site refuses it.
        if let Ok(file) = site_file::resolve(config, name) {
            digest.update(std::fs::read(file).unwrap_or_default());
        }
    }
    let digest = digest.finalize();
    digest.iter().take(8).fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// `/page/<stem>/<locale>.<html|json|txt>`: one page, exactly as a visitor would get it.
fn page(config: &Path, rest: &str) -> Option<Response<Full<Bytes>>> {
    let (stem, file) = rest.split_once('/')?;
    let (tag, extension) = file.rsplit_once('.')?;
    let format = match extension {
        "html" => Format::Html,
        "json" => Format::Problem,
        "txt" => Format::Plain,
        _ => return None,
    };
    let kind = PageKind::ALL.into_iter().find(|k| k.file_stem() == stem)?;
    let site = match load_site(config) {
        Ok(site) => site,
        Err(e) => {
            return Some(reply(StatusCode::INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", format!("{e:#}\n")));
        }
    };
    if !site.config.locales.available.iter().any(|t| t == tag) {
        return None;
    }
    let locale = locale::find(tag)?;
    let mut decision = static_page(kind, locale, &site.config);
    decision.format = format;
    // A site with a status page sees its pages as they look during an incident.
    let status = site.config.status.is_some().then(sample_status).flatten();
    Some(match render(&decision, &site, &SAMPLE.with_status(status.as_ref())) {
        Ok(rendered) => {
            let content_type = rendered.header("content-type").unwrap_or("text/plain").to_owned();
            reply(StatusCode::OK, &content_type, rendered.body)
        }
        Err(e) => reply(StatusCode::INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", format!("{e}\n")),
    })
}

/// One row of the index: a page, by the stem its files are named with.
#[derive(Debug)]
struct Row {
    stem: &'static str,
}

impl Row {
    fn is_shown(&self, locale: &str, shown: Option<&Shown>) -> bool {
        shown.is_some_and(|s| s.stem == self.stem && s.locale == locale)
    }
}

/// The page the index shows beside the table.
#[derive(Debug)]
struct Shown {
    stem: String,
    locale: String,
}

/// The brand's logo beside what cleaning it dropped and rewrote.
#[derive(Debug)]
struct LogoView {
    path: String,
    dropped: Vec<String>,
    rewritten: Vec<String>,
    source_bytes: usize,
    cleaned_bytes: usize,
}

#[derive(Debug, Template)]
#[template(path = "preview.html")]
struct Index {
    brand: String,
    logo: Option<LogoView>,
    config: String,
    error: Option<String>,
    locales: Vec<String>,
    rows: Vec<Row>,
    shown: Option<Shown>,
    version: String,
}

/// `/`, and `/?page=503&locale=fr` to show that page beside the table.
fn index(config: &Path, query: &str) -> Response<Full<Bytes>> {
    let loaded = load_site_and_logo(config);
    let (brand, locales, error, logo) = match &loaded {
        Ok((site, logo)) => (
            site.config.brand.name.clone(),
            site.config.locales.available.clone(),
            None,
            logo.as_ref().map(|l| LogoView {
                path: l.path.display().to_string(),
                dropped: l.cleaned.report.dropped(),
                rewritten: l.cleaned.report.rewritten(),
                source_bytes: l.cleaned.report.source_bytes,
                cleaned_bytes: l.cleaned.report.cleaned_bytes,
            }),
        ),
        Err(e) => (String::new(), Vec::new(), Some(format!("{e:#}")), None),
    };
    let param = |name: &str| {
        query.split('&').find_map(|pair| pair.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v.to_owned()))
    };
    let rows: Vec<Row> = PageKind::ALL.into_iter().map(|k| Row { stem: k.file_stem() }).collect();
    let shown = match (param("page"), param("locale")) {
        (Some(stem), Some(locale)) if rows.iter().any(|r| r.stem == stem) && locales.contains(&locale) => {
            Some(Shown { stem, locale })
        }
        _ => rows.first().zip(locales.first()).map(|(r, l)| Shown { stem: r.stem.to_owned(), locale: l.clone() }),
    };
    let status = if error.is_some() { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
    let page = Index {
        brand,
        logo,
        config: config.display().to_string(),
        error,
        locales,
        rows,
        shown,
        version: version(config),
    };
    match page.render() {
        Ok(html) => reply(status, "text/html; charset=utf-8", html),
        Err(e) => reply(StatusCode::INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", format!("{e}\n")),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn example() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../edgepages.toml")
    }

    fn get(path: &str) -> Response<Full<Bytes>> {
        answer(&example(), &Request::get(path).body(()).unwrap())
    }

    #[test]
    fn only_this_machines_own_names_with_the_port_are_answered() {
        let on = |ip: &str, port: u16| SocketAddr::new(ip.parse().unwrap(), port);
        let local = on("127.0.0.1", 3000);
        for host in ["localhost:3000", "LOCALHOST:3000", "127.0.0.1:3000", "[::1]:3000"] {
            assert!(allowed_host(host, local), "{host}");
        }
        for host in [
            "evil.example:3000",
            "localhost",
            "localhost:3001",
            "localhost.evil.example:3000",
            "127.0.0.2:3000",
            "[::1]",
            "0.0.0.0:3000",
            "localhost:3000:3000",
            "",
        ] {
            assert!(!allowed_host(host, local), "{host}");
        }
        assert!(allowed_host("localhost", on("127.0.0.1", 80)), "port 80 goes unsaid");
        assert!(allowed_host("192.0.2.7:3000", on("192.0.2.7", 3000)), "the address --host named");
        assert!(allowed_host("[2001:db8::7]:3000", on("2001:db8::7", 3000)));
        assert!(!allowed_host("192.0.2.7:3000", on("0.0.0.0", 3000)), "every address is no address");

        let request = |host: Option<&str>, uri: &str| {
            let mut r = Request::get(uri);
            if let Some(host) = host {
                r = r.header("host", host);
            }
            r.body(()).unwrap()
        };
        assert!(refused_host(&request(Some("localhost:3000"), "/"), local).is_none());
        let refused = refused_host(&request(Some("evil.example:3000"), "/"), local).unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(refused_host(&request(None, "/"), local).is_some(), "no Host at all");
        assert!(
            refused_host(&request(Some("localhost:3000"), "http://evil.example:3000/"), local).is_some(),
            "an absolute-form target names the host too"
        );
    }

    #[test]
    fn only_known_pages_in_known_formats_and_locales_are_served() {
        assert_eq!(get("/page/503/fr.html").status(), StatusCode::OK);
        assert_eq!(get("/page/503/fr.json").headers()["content-type"], "application/problem+json");
        for path in ["/page/503/xx.html", "/page/999/en.html", "/page/503/en.exe", "/page/../edgepages.toml", "/other"]
        {
            assert_eq!(get(path).status(), StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[test]
    fn the_index_shows_the_cleaned_logo_beside_what_was_dropped() {
        let dir = tempfile::TempDir::new().unwrap();
        let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/logos/real/rust-corro.svg");
        std::fs::copy(real, dir.path().join("logo.svg")).unwrap();
        let config = dir.path().join("edgepages.toml");
        std::fs::write(&config, "[brand]\nname = \"Shop\"\nlogo = \"logo.svg\"\n").unwrap();
        let get = |path: &str| answer(&config, &Request::get(path).body(()).unwrap());
        let logo = get("/_edgepages/logo.svg");
        assert_eq!(logo.headers()["content-type"], "image/svg+xml");
        let index = body(get("/"));
        assert!(index.contains("<img src=\"/_edgepages/logo.svg?v="), "{index}");
        assert!(index.contains("1 &#60;metadata&#62;"), "{index}");
        assert!(index.contains("1 &#60;sodipodi:namedview&#62;"), "{index}");
    }

    #[test]
    fn a_site_with_a_status_page_sees_a_sample_incident_in_every_format() {
        let with = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/status-page/edgepages.toml");
        let get_with = |path: &str| body(answer(&with, &Request::get(path).body(()).unwrap()));
        let html = get_with("/page/502/en.html");
        assert!(html.contains("<h2 id=\"ep-incident\">Latest from our status page</h2>"), "{html}");
        assert!(html.contains("<strong>Unplanned Database Outage</strong>"), "{html}");
        assert!(get_with("/page/502/en.txt").contains("Latest from our status page: Unplanned Database Outage"));
        let problem: serde_json::Value = serde_json::from_str(&get_with("/page/502/ar.json")).unwrap();
        assert_eq!(problem["incident"]["title"], "Unplanned Database Outage");
        // Without [status], the page as it is.
        assert!(!body(get("/page/502/en.html")).contains("ep-incident"));
    }

    fn body(response: Response<Full<Bytes>>) -> String {
        use http_body_util::BodyExt as _;
        let bytes = crate::aws_setup::runtime().unwrap().block_on(response.into_body().collect()).unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}

//! `edgepages preview` over HTTP: the index of every page × locale × format, each page as a
//! visitor gets it, a config edit shown at the next request with the version the index polls
//! changed, a broken config shown in the index rather than ending the server, and a logo
//! change noticed too.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use edgepages_e2e::worker::edgepages_binary;

/// The preview server, stopped when dropped.
struct Preview {
    child: Child,
    url: String,
}

impl Drop for Preview {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(config: &Path) -> Preview {
    let mut child = Command::new(edgepages_binary())
        .args(["--color", "never", "--config"])
        .arg(config)
        .args(["preview", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("{line:?}"));
    Preview { child, url: url.trim_end_matches('/').to_owned() }
}

fn get(preview: &Preview, path: &str) -> (u16, String, String) {
    let r = reqwest::blocking::get(format!("{}{path}", preview.url)).unwrap();
    let status = r.status().as_u16();
    let content_type = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, r.text().unwrap())
}

#[test]
fn the_preview_shows_every_page_and_follows_the_config_and_logo() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pages/brand")).unwrap();
    std::fs::copy(root.join("pages/brand/logo.svg"), dir.path().join("pages/brand/logo.svg")).unwrap();
    let example = std::fs::read_to_string(root.join("edgepages.toml")).unwrap();
    let config = dir.path().join("edgepages.toml");
    std::fs::write(&config, &example).unwrap();
    let preview = start(&config);

    let (status, content_type, index) = get(&preview, "/");
    assert_eq!((status, content_type.as_str()), (200, "text/html; charset=utf-8"));
    for locale in ["en", "cy", "fr", "de", "ar"] {
        assert!(index.contains(&format!("<th>{locale}</th>")), "{locale} column in\n{index}");
        for stem in ["500", "502", "503", "504", "maintenance"] {
            assert!(index.contains(&format!("href=\"/page/{stem}/{locale}.json\"")), "{stem} {locale}");
        }
    }
    let (_, _, shown) = get(&preview, "/?page=503&locale=ar");
    assert!(shown.contains("src=\"/page/503/ar.html\""), "{shown}");

    let (status, content_type, page) = get(&preview, "/page/503/fr.html");
    assert_eq!((status, content_type.as_str()), (200, "text/html; charset=utf-8"));
    assert!(page.contains("<html lang=\"fr\"") && page.contains("Example Shop"), "{page}");
    let (_, content_type, problem) = get(&preview, "/page/502/de.json");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&problem).unwrap()["status"], 502);
    let (_, content_type, text) = get(&preview, "/page/504/en.txt");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(!text.contains('<'), "{text}");

    // An edit shows at the next request, and the version the index polls moves.
    let (_, _, first) = get(&preview, "/_edgepages/version");
    std::fs::write(&config, example.replace("name = \"Example Shop\"", "name = \"Preview <Shop>\"")).unwrap();
    let (_, _, second) = get(&preview, "/_edgepages/version");
    assert_ne!(first, second);
    let (_, _, page) = get(&preview, "/page/503/en.html");
    assert!(page.contains("Preview &#60;Shop&#62;") && !page.contains("Preview <Shop>"), "escaped: {page}");

    // A broken config is shown, escaped, and the server carries on.
    std::fs::write(&config, example.replace("name = \"Example Shop\"", "name = 5")).unwrap();
    let (status, _, index) = get(&preview, "/");
    assert_eq!(status, 500);
    assert!(index.contains("<pre class=\"error\">") && index.contains("brand.name"), "{index}");
    assert_eq!(get(&preview, "/page/503/en.html").0, 500);
    let (_, _, third) = get(&preview, "/_edgepages/version");
    assert_ne!(third, second);

    // Fixed again, then the logo alone changes: a new version.
    std::fs::write(&config, &example).unwrap();
    assert_eq!(get(&preview, "/page/503/en.html").0, 200);
    let (_, _, before_logo) = get(&preview, "/_edgepages/version");
    let logo = dir.path().join("pages/brand/logo.svg");
    let svg = std::fs::read_to_string(&logo).unwrap();
    std::fs::write(&logo, svg.replacen("<svg", "<svg data-edit=\"1\"", 1)).unwrap();
    let (_, _, after_logo) = get(&preview, "/_edgepages/version");
    assert_ne!(before_logo, after_logo);
}

#[test]
fn the_preview_follows_a_page_template_and_shows_its_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("page.html");
    let example = std::fs::read_to_string(root.join("pages/examples/custom-page.html")).unwrap();
    std::fs::write(&template, &example).unwrap();
    let config = dir.path().join("edgepages.toml");
    std::fs::write(&config, "[brand]\nname = \"Shop\"\n\n[pages]\ntemplate = \"page.html\"\n").unwrap();
    let preview = start(&config);

    let (_, _, page) = get(&preview, "/page/503/en.html");
    assert!(page.contains("<main class=\"card\">"), "{page}");
    let (_, _, version) = get(&preview, "/_edgepages/version");

    // An edit to the template alone: the version the index polls changes, and the page with it.
    std::fs::write(&template, example.replacen("<main class=\"card\">", "<main class=\"card edited\">", 1)).unwrap();
    let (_, _, edited) = get(&preview, "/_edgepages/version");
    assert_ne!(edited, version, "the version must follow the template");
    let (_, _, page) = get(&preview, "/page/503/en.html");
    assert!(page.contains("<main class=\"card edited\">"), "{page}");

    // A broken template is shown in the index with its place, and the server carries on.
    std::fs::write(&template, "<p>{{ title }</p>").unwrap();
    let (status, _, index) = get(&preview, "/");
    assert_eq!(status, 500);
    assert!(index.contains("page.html:1:"), "{index}");
    assert_ne!(get(&preview, "/_edgepages/version").2, edited);
}

/// The status line and body of a GET for `/` with `Host: host`, sent over a plain TCP connection
/// (an HTTP client would set `Host` from the URL).
fn get_with_host(preview: &Preview, host: &str) -> (String, String) {
    use std::io::{Read as _, Write as _};
    let addr = preview.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.lines().next().unwrap_or_default().to_owned(), body.to_owned())
}

#[test]
fn a_page_that_rebinds_its_dns_name_to_the_preview_is_refused() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("edgepages.toml");
    let example = std::fs::read_to_string(root.join("edgepages.toml")).unwrap();
    std::fs::write(&config, &example).unwrap();
    std::fs::create_dir_all(dir.path().join("pages/brand")).unwrap();
    std::fs::copy(root.join("pages/brand/logo.svg"), dir.path().join("pages/brand/logo.svg")).unwrap();
    let preview = start(&config);
    // Broken once it runs: the index shows the config's path and its error to whoever may read it.
    std::fs::write(&config, example.replace("[brand]", "[brand")).unwrap();
    let port = preview.url.rsplit(':').next().unwrap().to_owned();
    let shown = config.display().to_string();

    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("[::1]:{port}")] {
        let (status, body) = get_with_host(&preview, &host);
        assert_eq!(status, "HTTP/1.1 500 Internal Server Error", "{host}");
        assert!(body.contains(&shown), "{host}: the preview's own page: {body}");
    }
    // What a browser sends once the attacker's name resolves to 127.0.0.1.
    for host in
        [format!("rebind.attacker.example:{port}"), format!("localhost.attacker.example:{port}"), "localhost".into()]
    {
        let (status, body) = get_with_host(&preview, &host);
        assert_eq!(status, "HTTP/1.1 403 Forbidden", "{host}: {body}");
        assert!(!body.contains(&shown) && !body.contains("brand"), "{host}: {body}");
    }
}

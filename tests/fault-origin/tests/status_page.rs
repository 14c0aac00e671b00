//! The fake status page over HTTP: a path given a standing sample answers it, and the origin's
//! own faults (a 500, a hang) are there for the same path.

#![allow(clippy::unwrap_used)]

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use edgepages_fault_origin::FaultOrigin;

fn get(origin: &FaultOrigin, target: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(origin.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(stream, "GET {target} HTTP/1.1\r\nhost: status.test\r\nconnection: close\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (String::from_utf8_lossy(&answer[..split]).into_owned(), answer[split + 4..].to_vec())
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_samples_per_path_and_faults() {
    let origin = FaultOrigin::start("127.0.0.1:0").await.unwrap();
    origin.set_behaviour("/api/v2/summary.json", Some("fault=status_json&sample=statuspage"));
    let o = origin.clone();
    let (head, body) = tokio::task::spawn_blocking(move || get(&o, "/api/v2/summary.json")).await.unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let summary: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(summary["incidents"][0]["name"], "Unplanned Database Outage");

    let o = origin.clone();
    let (head, _) = tokio::task::spawn_blocking(move || get(&o, "/x.json?fault=status&code=500")).await.unwrap();
    assert!(head.starts_with("HTTP/1.1 500"), "{head}");

    let o = origin.clone();
    let (head, _) =
        tokio::task::spawn_blocking(move || get(&o, "/x.json?fault=status_json&sample=nope")).await.unwrap();
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");

    // A hang holds the connection: nothing comes back within the read timeout.
    let o = origin.clone();
    let hung = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(o.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        write!(stream, "GET /index.json?fault=hang HTTP/1.1\r\nhost: status.test\r\n\r\n").unwrap();
        let mut byte = [0u8; 1];
        stream.read(&mut byte).is_err()
    })
    .await
    .unwrap();
    assert!(hung, "a hang answers nothing");
    assert_eq!(origin.hits("GET", "/api/v2/summary.json"), 1);
}

//! The maintenance switch in KV, end to end: `edgepages maintenance --target cloudflare` writes
//! the local namespace of a running `wrangler dev`, and the worker acts on it within its stated
//! refresh interval, with no restart; the `MAINTENANCE` var still wins over it.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{client, rig, unique};
use edgepages_core::config::SWITCH_REFRESH_MS;
use edgepages_e2e::worker::{Worker, edgepages_binary, repo_root};

/// Runs `edgepages maintenance <args> --target cloudflare --local` against `worker`'s state;
/// its stdout.
fn switch(worker: &Worker, args: &[&str]) -> String {
    let output = Command::new(edgepages_binary())
        .arg("maintenance")
        .args(args)
        .args(["--target", "cloudflare", "--local", "--persist-to"])
        .arg(&worker.state)
        .current_dir(repo_root())
        .env("EDGEPAGES_WRANGLER", "npx --no-install wrangler")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{args:?}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

/// A worker of its own, since the switch puts all of it into maintenance.
fn switched_worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| Worker::start("kv-switch", &[("ORIGIN_URL", &rig().origin.url())]).unwrap())
}

/// How long until `path` on `worker` answers `status`, polling; panics past `limit`.
fn until_status(worker: &Worker, path: &str, status: u16, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let answered = client().get(format!("{}{path}", worker.url)).header("accept", "text/html").send().unwrap();
        if answered.status().as_u16() == status {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{path} still answered {} after {limit:?}", answered.status());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_kv_switch_takes_effect_within_its_refresh_interval_without_a_restart() {
    let worker = switched_worker();
    let path = unique("kv-switch");
    // Healthy, and the isolate has read the (empty) switch.
    assert_eq!(client().get(format!("{}{path}", worker.url)).send().unwrap().status().as_u16(), 200);
    assert!(switch(worker, &["status"]).contains("not set"));

    // Counted from when the write is done: the interval, and a second for a poll to land.
    let limit = Duration::from_millis(SWITCH_REFRESH_MS) + Duration::from_secs(1);
    let writing = Instant::now();
    switch(worker, &["on", "--yes"]);
    let write_took = writing.elapsed();
    let on_after = until_status(worker, &path, 503, limit);
    let page = client().get(format!("{}{path}", worker.url)).header("accept", "text/html").send().unwrap();
    assert!(page.text().unwrap().contains(r#"<meta name="generator" content="edgepages">"#), "the branded page");
    assert!(switch(worker, &["status"]).contains("maintenance is ON"));
    assert!(worker.log_line(r#""edgepages":"maintenance_switched","in_force":"on""#).is_some());

    switch(worker, &["off", "--yes"]);
    let off_after = until_status(worker, &path, 200, limit);
    eprintln!(
        "the write took {write_took:?}; then on after {on_after:?}, off after {off_after:?} (refresh interval \
         {SWITCH_REFRESH_MS} ms)"
    );
}

#[test]
fn the_maintenance_var_wins_over_the_kv_switch() {
    // The maintenance worker's var puts it in maintenance until 2099; the switch says off.
    let worker = common::maintenance_worker();
    let path = unique("kv-var-wins");
    assert_eq!(client().get(format!("{}{path}", worker.url)).send().unwrap().status().as_u16(), 503);
    switch(worker, &["off", "--yes"]);
    // Past the refresh interval, and a request to make the isolate read the switch again.
    std::thread::sleep(Duration::from_millis(SWITCH_REFRESH_MS + 1000));
    for _ in 0..3 {
        assert_eq!(client().get(format!("{}{path}", worker.url)).send().unwrap().status().as_u16(), 503);
        std::thread::sleep(Duration::from_millis(500));
    }
}

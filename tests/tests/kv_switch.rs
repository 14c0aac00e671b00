//! The maintenance switch in KV, end to end: `edgepages maintenance --target cloudflare` writes
//! the local namespace of a running `wrangler dev`, and the worker acts on it within its stated
//! refresh interval, with no restart; the `MAINTENANCE` var still wins over it, until its end time
//! has passed.
//!
//! The switch never goes deaf: the tests that need a read held back, or never answered, run the
//! worker in workerd directly beside a KV namespace they control (`edgepages_e2e::workerd`), each
//! with a fresh isolate of its own.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{client, rig, unique};
use edgepages_core::config::{SWITCH_FIRST_WAIT_MS, SWITCH_REFRESH_MS};
use edgepages_e2e::worker::{Worker, edgepages_binary, repo_root};
use edgepages_e2e::workerd::Workerd;

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

/// The worker in workerd directly, in front of the fault origin, its switch in a KV namespace the
/// test controls, holding `value` from the start.
fn direct(name: &str, value: &str, vars: &[(&str, &str)]) -> Workerd {
    let origin = rig().origin.url();
    let mut all = vec![("ORIGIN_URL", origin.as_str()), ("BREAKER", "off")];
    all.extend_from_slice(vars);
    let workerd = Workerd::start_with_kv(name, &all).unwrap();
    workerd.kv(&format!("value={value}")).unwrap();
    workerd
}

fn status_of(workerd: &Workerd, path: &str) -> u16 {
    client().get(format!("{}{path}", workerd.url)).header("accept", "text/html").send().unwrap().status().as_u16()
}

/// How long until `path` answers `status` on `workerd`, polling; panics past `limit`.
fn until_direct(workerd: &Workerd, path: &str, status: u16, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let now = status_of(workerd, path);
        if now == status {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{path} still answered {now} after {limit:?}:\n{}", workerd.log());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_switch_read_that_never_settles_does_not_deafen_the_isolate() {
    // The isolate's first read is never answered; the switch then turns on, and reads answer again.
    let workerd = direct("never-settles", "off", &[]);
    workerd.kv("hold=next&hold_ms=0").unwrap();
    let path = unique("kv-stuck");
    assert_eq!(status_of(&workerd, &path), 200, "the first request goes on once its wait is over");
    workerd.kv("value=on").unwrap();
    // The next read is due one refresh interval after the stuck one started, not never.
    let limit = Duration::from_millis(SWITCH_REFRESH_MS) + Duration::from_secs(3);
    let on_after = until_direct(&workerd, &path, 503, limit);
    assert!(workerd.kv_reads().unwrap() >= 2, "the switch was read again");
    eprintln!("maintenance on after {on_after:?}, the first read still unanswered");
}

#[test]
fn requests_during_the_isolates_first_read_all_wait_for_it() {
    // The first read takes 600 ms and says "on": every request that arrives meanwhile waits for it,
    // and none reaches the origin.
    let workerd = direct("first-read", "on", &[]);
    workerd.kv("hold=next&hold_ms=600").unwrap();
    let path = unique("kv-first");
    let answers: Vec<u16> = std::thread::scope(|s| {
        let requests: Vec<_> = (0..6)
            .map(|i| {
                let (workerd, path) = (&workerd, &path);
                s.spawn(move || {
                    std::thread::sleep(Duration::from_millis(50 * i));
                    status_of(workerd, path)
                })
            })
            .collect();
        requests.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert_eq!(answers, [503; 6], "a request routed without the switch while its first read was pending");
    assert_eq!(rig().origin.hits_any(&path), 0, "maintenance must not reach the origin");
    assert_eq!(workerd.kv_reads().unwrap(), 1, "one shared read, not one per request");
}

#[test]
fn past_the_first_reads_bound_requests_go_on_with_the_configs_setting() {
    // The first read takes far longer than the bound: requests wait the bound, no longer, then
    // route as the var and config say (here: no maintenance), and the read lands for later ones.
    let workerd = direct("first-bound", "on", &[]);
    workerd.kv("hold=next&hold_ms=6000").unwrap();
    let path = unique("kv-bound");
    let started = Instant::now();
    let answers: Vec<u16> = std::thread::scope(|s| {
        let requests: Vec<_> = (0..3).map(|_| s.spawn(|| status_of(&workerd, &path))).collect();
        requests.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let waited = started.elapsed();
    assert_eq!(answers, [200; 3], "past the bound, the config's setting (off) is in force");
    assert!(waited >= Duration::from_millis(SWITCH_FIRST_WAIT_MS - 100), "they did not wait for the read: {waited:?}");
    assert!(waited < Duration::from_millis(SWITCH_FIRST_WAIT_MS + 3000), "they waited for the read itself: {waited:?}");
    until_direct(&workerd, &path, 503, Duration::from_secs(10));
}

#[test]
fn a_trap_the_fetch_handler_catches_makes_the_next_request_read_the_switch_again() {
    // A panic in the synchronous route traps the wasm module; its new instance has not heard the
    // switch, so the next request must wait for a read rather than route without it.
    let workerd = direct("trap", "on", &[]);
    let path = unique("kv-trap");
    assert_eq!(status_of(&workerd, &path), 503, "the switch is on");
    let reads = workerd.kv_reads().unwrap();
    let panic = client().get(format!("{}{}?chaos=panic", workerd.url, unique("kv-panic"))).send().unwrap();
    assert_eq!(panic.status().as_u16(), 500, "the branded fallback for the trap");
    assert_eq!(status_of(&workerd, &path), 503, "the request after the trap routed without the switch");
    assert_eq!(rig().origin.hits_any(&path), 0, "maintenance must not reach the origin");
    assert!(workerd.kv_reads().unwrap() > reads, "the switch was not read again after the trap");
}

#[test]
fn a_maintenance_var_whose_end_has_passed_does_not_win_over_the_switch() {
    let workerd = direct("ended-var", "on", &[("MAINTENANCE", "2020-01-01T00:00:00Z")]);
    let path = unique("kv-ended-var");
    assert_eq!(status_of(&workerd, &path), 503, "a var that ended in 2020 held the switch off");
    let line = workerd.log();
    assert!(line.contains("MAINTENANCE") && line.contains("ended"), "the worker said nothing about the var:\n{line}");
}

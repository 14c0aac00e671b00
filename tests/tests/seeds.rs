//! The five outages in `../shared/seeds/`, replayed end to end, one scenario per seed file: what
//! the origin did, and what visitors and the origin see with edgepages in front.
//!
//! The worker runs in real workerd (`wrangler dev`) in front of the fault origin; the CloudFront
//! side runs the real `edgepages` binary against moto through a recording proxy.

#![allow(clippy::unwrap_used)]

mod aws;
mod common;

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use aws::Rig;
use common::{
    BRAND, DEADLINE_MS, SLACK_MS, UPLOAD_BOUND_MS, assert_branded_error, breaker_lock, breaker_worker, browser,
    browser_from, browser_on, client, client_from, header, rig, trickle_post, unique, until_breaker_closed, visitor_ip,
    worker,
};
use edgepages_e2e::aws_fixture::Start;
use edgepages_e2e::aws_proxy::{Faults, RIVAL_COMMENT};
use edgepages_e2e::fault_origin::LEAK_MARKER;

/// The bundled config's Retry-After for a missed deadline, and its jitter.
const TIMEOUT_FLOOR_S: u32 = 30;
const TIMEOUT_CEILING_S: u32 = 45;

/// Seed 000: the database became unreachable, the app hung, and visitors waited about 30 s for
/// an unbranded 504. With edgepages in front, the first visitor gets the branded 504 at the
/// deadline, and an API client gets problem+json.
#[test]
fn seed_000_an_app_hung_on_its_database_gets_the_branded_504_at_the_deadline() {
    let path = unique("db-hang");
    let request = browser(&format!("{path}?fault=hang"));
    let started = Instant::now();
    let resp = request.send().unwrap();
    let elapsed = started.elapsed();
    let body = assert_branded_error(resp, 504);
    assert!(body.contains("taking too long"));
    assert!(elapsed >= Duration::from_millis(DEADLINE_MS - 50), "answered before the deadline: {elapsed:?}");
    assert!(elapsed <= Duration::from_millis(DEADLINE_MS + SLACK_MS), "deadline not held: {elapsed:?}");

    let api = client().get(format!("{}{path}?fault=hang", worker().url)).header("accept", "application/json");
    let api = api.send().unwrap();
    assert_eq!(api.status().as_u16(), 504);
    let problem: serde_json::Value = serde_json::from_str(&api.text().unwrap()).unwrap();
    assert_eq!(problem["status"], 504);
    assert!(problem["retry_after"].as_u64().unwrap() >= u64::from(TIMEOUT_FLOOR_S));
    assert_eq!(rig().origin.hits("GET", &path), 2, "a timeout is never retried");
}

/// Seed 000 behind CloudFront: `publish` tells CloudFront to give up on the hung origin in
/// seconds, and wires the 504 to the branded page, cached for no longer than the config says. The
/// wait is the bound CloudFront's documented retry rules give for the origin as read back from
/// CloudFront, before publish and after (`edgepages_publish::hang`, cited in docs/src/outages.md).
#[test]
fn seed_000_behind_cloudfront_the_hang_ends_in_seconds_on_the_branded_page() {
    let rig = Rig::with(
        Start::Existing,
        None,
        "\n[cloudfront.origin]\nid = \"alb\"\nconnection_attempts = 1\nconnection_timeout = 3\nread_timeout = 10\n",
    );
    let alb_hang = |config: &aws_sdk_cloudfront::types::DistributionConfig| {
        let alb = config.origins.as_ref().unwrap().items.iter().find(|o| o.id == "alb").unwrap();
        edgepages_publish::hang::worst_case_hang_s(alb)
    };
    let (before, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    rig.run(&["publish", "--yes"]).ok();
    let (config, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let (hang_before, hang_after) = (alb_hang(&before), alb_hang(&config));
    eprintln!("seed 000: a hung origin holds a viewer up to {hang_before} s before publish, {hang_after} s after");
    assert_eq!(hang_before, 120, "CloudFront's defaults: 3 attempts × (10 s to connect + 30 s to respond)");
    assert_eq!(hang_after, 13, "1 attempt × (3 s to connect + 10 s to respond)");

    let responses = config.custom_error_responses.as_ref().unwrap().items.as_ref().unwrap();
    let gateway_timeout = responses.iter().find(|r| r.error_code == 504).expect("a 504 error response");
    assert_eq!(gateway_timeout.response_code.as_deref(), Some("504"), "the real status is kept");
    assert_eq!(gateway_timeout.response_page_path.as_deref(), Some("/edgepages/504.html"));
    assert_eq!(gateway_timeout.error_caching_min_ttl, Some(10));
    let page = rig.block_on(async {
        let object = rig.fixture.s3.get_object().bucket(&rig.bucket).key("edgepages/504.html").send().await.unwrap();
        String::from_utf8(object.body.collect().await.unwrap().to_vec()).unwrap()
    });
    assert!(page.contains(BRAND) && page.contains("taking too long"));
}

/// Seed 001: a bad deploy made nginx answer 502 everywhere, and only a manual smoke test noticed.
/// With edgepages, visitors get the branded 502 (or the page's last good copy), and
/// `edgepages verify --healthy` fails the deploy until the origin is fixed.
#[test]
fn seed_001_a_bad_deploy_gets_branded_502s_and_verify_gates_the_deploy() {
    let (never_seen, seen_before) = (unique("deploy-new"), unique("deploy-home"));
    let url = |path: &str| format!("{}{path}", worker().url);
    assert_eq!(browser(&seen_before).send().unwrap().status().as_u16(), 200);
    thread::sleep(Duration::from_millis(500));

    for path in [&never_seen, &seen_before] {
        rig().origin.set_behaviour(path, Some("fault=status&code=502"));
    }
    assert_branded_error(browser(&never_seen).send().unwrap(), 502);
    let stale = browser(&seen_before).send().unwrap();
    assert_eq!(stale.status().as_u16(), 200, "a page seen healthy before is served from its last good copy");
    assert!(header(&stale, "x-edgepages").starts_with("stale"));

    // The gate needs no config and no AWS: it runs from an empty folder.
    let empty = tempfile::tempdir().unwrap();
    let gate = |paths: &[&String]| {
        let mut command = Command::new(aws::binary());
        command.current_dir(empty.path()).args(["--color", "never", "verify"]);
        for path in paths {
            command.args(["--healthy", &url(path)]);
        }
        aws::Run::from(command.output().unwrap())
    };
    let broken = gate(&[&never_seen]).fails();
    assert!(broken.stdout.contains("answered 502 Bad Gateway with an error page"), "{}", broken.stdout);
    let hidden = gate(&[&seen_before]).fails();
    assert!(hidden.stdout.contains("with a stale copy"), "a stale copy must not pass the gate: {}", hidden.stdout);

    // The rollback: the origin is healthy again, and the gate opens.
    for path in [&never_seen, &seen_before] {
        rig().origin.set_behaviour(path, None);
    }
    let fixed = gate(&[&never_seen, &seen_before]).ok();
    assert!(fixed.stdout.contains("verified: 2 checks passed"), "{}", fixed.stdout);
}

/// Seed 002: a site on the front page of Reddit overloaded its origin, whose 502s then triggered
/// more work. With edgepages, a burst of visitors at an origin that always answers 502 opens the
/// breaker (each visitor thread here connects from an address of its own, as visitors do):
/// the origin sees a fraction of the requests, every visitor still gets the branded page with a
/// spread of Retry-After values, and nothing on the origin is started by an error. Once the
/// origin recovers, a probe closes the breaker.
#[test]
fn seed_002_an_overloaded_origin_is_left_alone_and_every_visitor_still_gets_the_page() {
    const VISITORS: usize = 100;
    const THREADS: usize = 10;
    let _one_at_a_time = breaker_lock();
    until_breaker_closed();
    let path = unique("hot");
    rig().origin.set_behaviour(&path, Some("fault=status&code=502"));

    let answers: Vec<(u16, u32, String, String)> = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let path = &path;
                s.spawn(move || {
                    (0..VISITORS / THREADS)
                        .map(|_| {
                            let visitor = 100 + u8::try_from(t).unwrap();
                            let resp = browser_from(visitor, breaker_worker(), path).send().unwrap();
                            let status = resp.status().as_u16();
                            let retry_after = header(&resp, "retry-after").parse().unwrap_or(0);
                            let marker = header(&resp, "x-edgepages");
                            (status, retry_after, marker, resp.text().unwrap())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });

    for (status, _, marker, body) in &answers {
        assert!(matches!(status, 502 | 503), "{status} {marker}");
        assert!(body.contains(BRAND) && !body.contains(LEAK_MARKER), "a visitor did not get the branded page");
    }
    let hits = rig().origin.hits("GET", &path);
    let spread = answers.iter().map(|(_, retry, _, _)| *retry).collect::<std::collections::BTreeSet<_>>();
    eprintln!("seed 002: the origin saw {hits} of {VISITORS} requests; {} distinct Retry-After values", spread.len());
    assert!(hits <= 25, "the origin saw {hits} of {VISITORS} requests");
    let shed: Vec<u32> =
        answers.iter().filter(|(_, _, m, _)| m.ends_with("cause=shed")).map(|(_, retry, _, _)| *retry).collect();
    assert!(shed.len() >= VISITORS - 25, "only {} answers were shed", shed.len());
    let mut distinct = shed.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() >= 5, "Retry-After values are not spread: {distinct:?}");
    assert!(shed.iter().all(|s| *s >= 30), "a shed answer asks for a retry before the overload floor: {shed:?}");
    // Nothing but the visitors' own requests reached the origin on account of the errors: no
    // other method, no other URL derived from theirs (seed 002's restart hook was one).
    let derived: Vec<_> = rig().origin.all_hits().into_keys().filter(|k| k.contains(&path)).collect();
    assert_eq!(derived, [format!("GET {path}")], "the errors set off other requests to the origin");

    // Recovery: after the cool-down one probe goes through, finds the origin healthy, and closes it.
    rig().origin.set_behaviour(&path, None);
    let deadline = Instant::now() + Duration::from_secs(25);
    let recovered = loop {
        let resp = browser_on(breaker_worker(), &path).send().unwrap();
        if resp.status().as_u16() == 200 || Instant::now() > deadline {
            break resp.status().as_u16();
        }
        thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(recovered, 200, "the breaker did not close once the origin recovered");
    for _ in 0..5 {
        assert_eq!(browser_on(breaker_worker(), &path).send().unwrap().status().as_u16(), 200);
    }
}

/// Answers from the breaker worker to `paths`, in order, as (status, shed), for one visitor.
fn breaker_answers<'a>(paths: impl IntoIterator<Item = &'a String>) -> Vec<(u16, bool)> {
    breaker_answers_from(2, paths)
}

/// [`breaker_answers`], for visitor `n` ([`common::visitor_ip`]).
fn breaker_answers_from<'a>(n: u8, paths: impl IntoIterator<Item = &'a String>) -> Vec<(u16, bool)> {
    let client = client_from(n);
    paths
        .into_iter()
        .map(|path| {
            // Authorization keeps healthy answers from being kept as copies for later failures.
            let resp = client
                .get(format!("{}{path}", breaker_worker().url))
                .header("accept", "text/html")
                .header("authorization", "Bearer e2e")
                .send()
                .unwrap();
            (resp.status().as_u16(), header(&resp, "x-edgepages").ends_with("cause=shed"))
        })
        .collect()
}

/// One page with a bug (a 500, asked for 30 times in a row by anyone) is that page's problem:
/// the rest of the site is not shed.
#[test]
fn seed_002_one_broken_page_cannot_shed_the_whole_site() {
    let _one_at_a_time = breaker_lock();
    until_breaker_closed();
    let broken = unique("broken-page");
    rig().origin.set_behaviour(&broken, Some("fault=status&code=500"));
    let answers = breaker_answers(&vec![broken.clone(); 30]);
    assert!(answers.iter().all(|a| *a == (500, false)), "the broken page opened the breaker: {answers:?}");
    assert_eq!(rig().origin.hits("GET", &broken), 30);
    let healthy = unique("other-page");
    assert_eq!(breaker_answers([&healthy]), [(200, false)], "a healthy page was shed");
    assert_eq!(rig().origin.hits("GET", &healthy), 1);
    rig().origin.set_behaviour(&broken, None);
}

/// An overloaded origin that still answers one request in five is shed: a success now and then
/// does not hide it.
#[test]
fn seed_002_an_origin_failing_four_in_five_across_paths_is_shed() {
    let _one_at_a_time = breaker_lock();
    until_breaker_closed();
    let paths: Vec<String> = (0..40).map(|_| unique("overloaded")).collect();
    for (i, path) in paths.iter().enumerate() {
        if i % 5 != 0 {
            rig().origin.set_behaviour(path, Some("fault=status&code=502"));
        }
    }
    // Eight visitors, each asking for five of the pages in turn.
    let answers: Vec<(u16, bool)> = paths
        .chunks(5)
        .enumerate()
        .flat_map(|(i, chunk)| breaker_answers_from(20 + u8::try_from(i).unwrap(), chunk))
        .collect();
    let shed = answers.iter().filter(|(_, shed)| *shed).count();
    let reached: u64 = paths.iter().map(|p| rig().origin.hits("GET", p)).sum();
    eprintln!("four in five failing: {shed} of 40 shed, the origin saw {reached}");
    assert!(shed >= 20, "only {shed} of 40 requests were shed: {answers:?}");
    assert!(reached <= 20, "the origin saw {reached} of 40 requests");
    for path in &paths {
        rig().origin.set_behaviour(path, None);
    }
}

/// A healthy origin under a burst is never shed, however many requests come at once.
#[test]
fn seed_002_a_healthy_origin_under_a_burst_is_never_shed() {
    let _one_at_a_time = breaker_lock();
    until_breaker_closed();
    let answers: Vec<(u16, bool)> = thread::scope(|s| {
        let threads: Vec<_> = (0..8u8)
            .map(|t| {
                s.spawn(move || {
                    let paths: Vec<String> = (0..25).map(|_| unique("burst")).collect();
                    breaker_answers_from(30 + t, &paths)
                })
            })
            .collect();
        threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(answers.len(), 200);
    assert!(answers.iter().all(|a| *a == (200, false)), "a healthy request was not passed through");
}

/// A request let through while the breaker was closed, and answered healthy after it opened,
/// must not close it: only the probe's own answer may.
#[test]
fn seed_002_a_late_healthy_answer_cannot_close_an_open_breaker() {
    let _one_at_a_time = breaker_lock();
    until_breaker_closed();
    // 3 s is ample for the twelve failures below to open the breaker first, even on a loaded machine.
    let late = thread::spawn(|| breaker_answers([&format!("{}?fault=slow&ms=3000", unique("late"))]));
    thread::sleep(Duration::from_millis(100));
    let failing: Vec<String> = (0..12).map(|_| format!("{}?fault=status&code=502", unique("opening"))).collect();
    // Four visitors, three failures each.
    let opened = thread::scope(|s| {
        let visitors: Vec<_> = failing
            .chunks(3)
            .enumerate()
            .map(|(i, chunk)| s.spawn(move || breaker_answers_from(40 + u8::try_from(i).unwrap(), chunk)))
            .collect();
        visitors.into_iter().flat_map(|h| h.join().unwrap()).collect::<Vec<_>>()
    });
    assert!(opened.iter().all(|(status, _)| matches!(status, 502 | 503)), "{opened:?}");
    assert_eq!(late.join().unwrap(), [(200, false)], "the slow request was let through and answered");
    // The breaker opened while the slow request was out; its healthy answer came after.
    let after = breaker_answers([&format!("{}?fault=status&code=502", unique("after-late"))]);
    assert_eq!(after, [(503, true)], "the late healthy answer closed the open breaker");
}

/// After an attack one client made alone: the breaker still opens when many clients see the
/// origin fail. Six visitors each get 502 on pages of their own, then a seventh is shed.
fn the_origin_failing_for_many_clients_still_opens_it() {
    let failing: Vec<String> = (0..18).map(|_| format!("{}?fault=status&code=502", unique("many-fail"))).collect();
    let answers: Vec<(u16, bool)> = thread::scope(|s| {
        let visitors: Vec<_> = failing
            .chunks(3)
            .enumerate()
            .map(|(i, chunk)| s.spawn(move || breaker_answers_from(60 + u8::try_from(i).unwrap(), chunk)))
            .collect();
        visitors.into_iter().flat_map(|v| v.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|(status, _)| matches!(status, 502 | 503)), "{answers:?}");
    let after = breaker_answers_from(70, [&unique("many-fail-after")]);
    assert_eq!(after, [(503, true)], "many clients saw the origin fail, and the breaker stayed closed");
}

/// While `attack` runs (one client's doing), other visitors ask for healthy pages once a second;
/// returns their answers, from during the attack and after it.
fn visitors_during<T: Send>(attack: impl FnOnce() -> T + Send) -> (T, Vec<(u16, bool)>) {
    let attacking = std::sync::atomic::AtomicBool::new(true);
    let (outcome, mut seen) = thread::scope(|s| {
        let visitors = s.spawn(|| {
            let mut seen = Vec::new();
            let mut n = 0u8;
            while attacking.load(std::sync::atomic::Ordering::Relaxed) {
                seen.extend(breaker_answers_from(80 + n % 3, [&unique("visitor")]));
                n = n.wrapping_add(1);
                thread::sleep(Duration::from_secs(1));
            }
            seen
        });
        let outcome = attack();
        attacking.store(false, std::sync::atomic::Ordering::Relaxed);
        (outcome, visitors.join().unwrap())
    });
    // And three more, on a fresh connection, once it is over.
    seen.extend(breaker_answers_from(90, &[unique("after"), unique("after"), unique("after")]));
    (outcome, seen)
}

/// One client's slow uploads: twelve POSTs at once, each trickling a 40-byte body over 6.5 s, past
/// the deadline (5 s) and the upload bound. Each is that client's own failure: the site stays up
/// for everyone else. (Before, each ended as a 504 and the twelve shed the site.)
#[test]
fn seed_002_one_clients_slow_uploads_cannot_shed_the_site() {
    let _one_at_a_time = breaker_lock();
    until_breaker_closed();
    let (statuses, visitors) = visitors_during(|| {
        thread::scope(|s| {
            let uploads: Vec<_> = (0..12)
                .map(|_| {
                    s.spawn(|| {
                        let url = format!("{}{}?fault=echo", breaker_worker().url, unique("trickle"));
                        let answer = trickle_post(
                            &url,
                            9,
                            "comment=this+body+arrives+one+byte+at+a+t",
                            Duration::from_millis(6500),
                        );
                        (answer.status, answer.header("x-edgepages").unwrap_or_default().to_owned())
                    })
                })
                .collect();
            uploads.into_iter().map(|u| u.join().unwrap()).collect::<Vec<_>>()
        })
    });
    assert!(visitors.iter().all(|v| *v == (200, false)), "the slow uploads shed other visitors: {visitors:?}");
    for (status, marker) in &statuses {
        assert_eq!(*status, 408, "a body the client never finished sending is its own: {marker}");
        assert!(marker.contains("cause=slow_upload"), "{marker}");
    }
    assert!(Duration::from_millis(UPLOAD_BOUND_MS) < Duration::from_millis(6500), "the uploads outlast the bound");
    the_origin_failing_for_many_clients_still_opens_it();
}

/// One client over the origin's rate limit gets nginx `limit_req`'s 503 on every path; everyone
/// else gets the site.
#[test]
fn seed_002_one_clients_rate_limit_cannot_shed_the_site() {
    let _one_at_a_time = breaker_lock();
    until_breaker_closed();
    let attacker = visitor_ip(9);
    rig().origin.limit_client(&attacker, true);
    let (answers, visitors) = visitors_during(|| {
        let paths: Vec<String> = (0..40).map(|_| unique("limited")).collect();
        let client = client_from(9);
        paths
            .iter()
            .map(|path| {
                // Before the fix the edge sent on the client's own X-Forwarded-For, so the
                // attacker sends its true address there too: the origin limits the same client.
                let resp = client
                    .get(format!("{}{path}", breaker_worker().url))
                    .header("accept", "text/html")
                    .header("x-forwarded-for", &attacker)
                    .send()
                    .unwrap();
                resp.status().as_u16()
            })
            .collect::<Vec<_>>()
    });
    rig().origin.limit_client(&attacker, false);
    assert!(answers.iter().all(|s| *s == 503), "the limited client was not limited: {answers:?}");
    assert!(visitors.iter().all(|v| *v == (200, false)), "one client's rate limit shed the site: {visitors:?}");
    the_origin_failing_for_many_clients_still_opens_it();
}

/// One broken handler reached under many spellings of its URL (`/p/x`, `/p/x/`, `/P/x`, `/p/%78`)
/// by several visitors is one broken page, not several: the site is not shed.
#[test]
fn seed_002_respellings_of_one_broken_page_cannot_shed_the_site() {
    let _one_at_a_time = breaker_lock();
    until_breaker_closed();
    let base = unique("respelled");
    let spellings =
        [format!("{base}/x"), format!("{base}/x/"), format!("{}/x", base.to_uppercase()), format!("{base}/%78")];
    for spelling in &spellings {
        rig().origin.set_behaviour(spelling, Some("fault=status&code=500"));
    }
    let (answers, visitors) = visitors_during(|| {
        (0..3)
            .flat_map(|_| (11..15u8).flat_map(|visitor| breaker_answers_from(visitor, &spellings)))
            .collect::<Vec<_>>()
    });
    for spelling in &spellings {
        assert!(rig().origin.hits("GET", spelling) > 0, "{spelling} never reached the origin as spelled");
        rig().origin.set_behaviour(spelling, None);
    }
    assert!(answers.iter().all(|a| *a == (500, false)), "the respelled page opened the breaker: {answers:?}");
    assert!(visitors.iter().all(|v| *v == (200, false)), "one page's spellings shed the site: {visitors:?}");
    the_origin_failing_for_many_clients_still_opens_it();
}

/// Seed 003: slow dashboard queries made healthy instances look dead and get killed. With
/// edgepages, a path whose deadline override is longer than its response time is not cut, while
/// the default deadline still cuts a hang elsewhere, and the 504's Retry-After never goes below
/// its floor.
#[test]
fn seed_003_slow_but_healthy_pages_are_not_cut_while_a_hang_elsewhere_is() {
    let slow_path = format!("/reports{}", unique("dashboard"));
    let slow = thread::spawn(move || {
        let started = Instant::now();
        let resp = browser(&format!("{slow_path}?fault=slow&ms=2500")).send().unwrap();
        (resp.status().as_u16(), resp.text().unwrap(), started.elapsed())
    });

    let hangs: Vec<_> = (0..6)
        .map(|_| {
            thread::spawn(|| {
                let started = Instant::now();
                let resp = browser(&format!("{}?fault=hang", unique("elsewhere"))).send().unwrap();
                let elapsed = started.elapsed();
                let retry_after: u32 = header(&resp, "retry-after").parse().unwrap();
                assert_branded_error(resp, 504);
                (retry_after, elapsed)
            })
        })
        .collect();
    for hang in hangs {
        let (retry_after, elapsed) = hang.join().unwrap();
        assert!(elapsed <= Duration::from_millis(DEADLINE_MS + SLACK_MS), "the default deadline was not held");
        assert!(
            (TIMEOUT_FLOOR_S..=TIMEOUT_CEILING_S).contains(&retry_after),
            "a 504 asked for a retry in {retry_after} s"
        );
    }

    let (status, body, elapsed) = slow.join().unwrap();
    assert_eq!((status, body.as_str()), (200, "<p>slow but fine</p>"), "the slow page was cut");
    assert!(elapsed >= Duration::from_millis(2500));
}

/// Seed 004: a console showed stale state, and acting on it released the live IP addresses. With
/// edgepages, a publish whose distribution was changed by someone else after it was read is
/// refused through If-Match: nothing of theirs is lost, and no rollback record claims a change
/// that never happened.
#[test]
fn seed_004_a_publish_acting_on_stale_state_is_refused_and_nothing_is_lost() {
    let rig = Rig::with_faults(Start::Existing, Faults { rival_update: true, ..Faults::default() }, "");
    let refused = rig.run(&["publish", "--yes"]).fails();
    assert!(refused.stderr.contains("was changed by someone else after it was read"), "{}", refused.stderr);
    assert!(refused.stderr.contains("nothing of theirs was overwritten"), "{}", refused.stderr);

    let (config, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    assert_eq!(config.comment, RIVAL_COMMENT, "the other change was kept");
    let behaviors = config.cache_behaviors.as_ref().and_then(|b| b.items.as_ref()).cloned().unwrap_or_default();
    assert!(behaviors.iter().all(|b| b.path_pattern != "/edgepages/*"), "the refused update was half applied");
    let keys = rig.block_on(rig.fixture.keys(&rig.bucket)).unwrap();
    assert!(!keys.iter().any(|k| k.contains("_edgepages/rollback")), "a record of an update that never happened");

    // Run again, the plan is made from the distribution as it now is, and the rival's change stays.
    rig.run(&["publish", "--yes"]).ok();
    let (config, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    assert_eq!(config.comment, RIVAL_COMMENT);
    assert!(config.cache_behaviors.unwrap().items.unwrap().iter().any(|b| b.path_pattern == "/edgepages/*"));
}

/// Seed 004, the other half: publish and rollback never delete an object, an origin or a
/// behavior they did not create, inside the prefix or out of it.
#[test]
fn seed_004_publish_and_rollback_never_delete_what_they_did_not_create() {
    let rig = Rig::new(Start::Existing);
    let theirs = ["index.html", "static/app.css", "edgepages/notes.html", "edgepages/old/503.html"];
    rig.block_on(async {
        for key in theirs {
            rig.fixture
                .s3
                .put_object()
                .bucket(&rig.bucket)
                .key(key)
                .body(b"theirs".to_vec().into())
                .send()
                .await
                .unwrap();
        }
    });
    let (before, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();

    rig.run(&["publish", "--yes"]).ok();
    rig.run(&["rollback", "--yes"]).ok();

    let deletes: Vec<_> = rig.proxy.seen().into_iter().filter(|s| s.method == "DELETE").collect();
    assert_eq!(deletes, [], "nothing is ever deleted");
    let keys = rig.block_on(rig.fixture.keys(&rig.bucket)).unwrap();
    for key in theirs {
        assert!(keys.iter().any(|k| k == key), "{key} is gone");
    }
    let (after, _) = rig.block_on(rig.fixture.config(&rig.distribution)).unwrap();
    let origin_ids = |c: &aws_sdk_cloudfront::types::DistributionConfig| {
        c.origins.as_ref().unwrap().items.iter().map(|o| o.id.clone()).collect::<Vec<_>>()
    };
    let patterns = |c: &aws_sdk_cloudfront::types::DistributionConfig| {
        c.cache_behaviors
            .as_ref()
            .and_then(|b| b.items.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|b| b.path_pattern)
            .collect::<Vec<_>>()
    };
    assert_eq!(origin_ids(&after), origin_ids(&before), "after rollback the origins are exactly theirs");
    assert_eq!(patterns(&after), patterns(&before), "after rollback the behaviors are exactly theirs");
}

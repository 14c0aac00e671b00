//! The `edgepages` binary end to end: real files in a temporary folder, real exit codes.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use edgepages_snapshot::Redactions;
use md5::{Digest as _, Md5};
use tempfile::TempDir;

fn edgepages(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("edgepages").unwrap();
    cmd.current_dir(dir).env_remove("EDGEPAGES_CONFIG").env("NO_COLOR", "1");
    cmd
}

/// The redactions for a test run in `dir`: the folder is `[ROOT]`.
fn redactions(dir: &Path) -> Redactions {
    let canonical = dir.canonicalize().unwrap();
    Redactions::new().value("ROOT", dir.to_string_lossy()).value("ROOT", canonical.to_string_lossy())
}

/// [`redactions`], with the pages' sizes as `[SIZE]`: they follow the templates, which a test of
/// a command's words does not pin.
fn sized(dir: &Path) -> Redactions {
    redactions(dir).pattern("SIZE", r"\b\d+ bytes")
}

/// Runs `cmd`; its whole output (exit code, stdout, stderr), redacted.
fn transcript(cmd: &mut Command, redactions: &Redactions) -> String {
    let out = cmd.output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    redactions.transcript(out.status.code().unwrap_or(-1), &text(&out.stdout), &text(&out.stderr))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn init_writes_a_starter_that_checks_and_renders() {
    let dir = TempDir::new().unwrap();
    insta::assert_snapshot!("init", transcript(edgepages(dir.path()).arg("init"), &redactions(dir.path())));
    assert!(dir.path().join("edgepages.toml").is_file());
    insta::assert_snapshot!("init_check", transcript(edgepages(dir.path()).arg("check"), &sized(dir.path())));
    edgepages(dir.path()).args(["render", "--out", "out"]).assert().success();
    // Four locales in the starter: 6 default pages plus 6 per locale.
    assert_eq!(tree(&dir.path().join("out/edgepages")).len(), 6 + 4 * 6);
}

#[test]
fn the_starters_commented_publish_sections_are_valid_once_uncommented() {
    let dir = TempDir::new().unwrap();
    edgepages(dir.path()).arg("init").assert().success();
    let starter = fs::read_to_string(dir.path().join("edgepages.toml")).unwrap();
    let (head, publish) = starter.split_once("# [s3]").expect("the starter shows [s3]");
    let mut text = format!("{head}[s3]\n");
    for line in publish.lines() {
        let uncommented = line.strip_prefix("# ").unwrap_or(line);
        // Prose stays a comment; tables and keys come back.
        if uncommented.starts_with('[') || uncommented.contains(" = ") {
            text.push_str(uncommented);
        } else {
            text.push('#');
        }
        text.push('\n');
    }
    assert!(text.contains("\n[cloudfront.lambda_edge]\nenabled = true\n"), "{text}");
    assert!(text.contains("\n[alb]\nlistener_arn = "), "{text}");
    assert!(text.contains("\n[status]\nprovider = \"statuspage\""), "{text}");
    fs::write(dir.path().join("edgepages.toml"), &text).unwrap();
    edgepages(dir.path()).arg("check").assert().success();
}

#[test]
fn per_viewer_is_checked_and_the_variant_function_is_printed_for_the_sites_locales() {
    let dir = TempDir::new().unwrap();
    let head = "[brand]\nname = \"Shop\"\n[locales]\ndefault = \"cy\"\navailable = [\"cy\", \"en\"]\n[s3]\nbucket = \"my-pages\"\n\
                [cloudfront]\ndistribution_id = \"E2EXAMPLE123\"\n[cloudfront.lambda_edge]\nenabled = true\n";
    fs::write(dir.path().join("edgepages.toml"), format!("{head}per_viewer = [\"/api/*\"]\n")).unwrap();
    edgepages(dir.path()).arg("check").assert().success();
    fs::write(dir.path().join("edgepages.toml"), format!("{head}per_viewer = [\"/api/*\", \"\", \"/api/*\"]\n"))
        .unwrap();
    let r = redactions(dir.path());
    insta::assert_snapshot!("per_viewer_refused", transcript(edgepages(dir.path()).arg("check"), &r));
    fs::write(dir.path().join("edgepages.toml"), head).unwrap();
    // The function for the site's locales: AVAILABLE, DEFAULT_TAG = "cy", SHARED = null.
    insta::assert_snapshot!(
        "variant_function",
        transcript(edgepages(dir.path()).args(["lambda-edge", "variant-function"]), &r)
    );
    // The shared one names one variant for all: SHARED = "html.cy".
    let shared = edgepages(dir.path()).args(["lambda-edge", "variant-function", "--shared"]).output().unwrap();
    let shared = String::from_utf8(shared.stdout).unwrap();
    let per_viewer =
        String::from_utf8(edgepages(dir.path()).args(["lambda-edge", "variant-function"]).output().unwrap().stdout)
            .unwrap();
    let differing: Vec<(&str, &str)> = per_viewer.lines().zip(shared.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(differing.len(), 1, "only SHARED differs: {differing:?}");
    assert!(differing[0].0.starts_with("var SHARED = null;"), "{differing:?}");
    assert!(differing[0].1.starts_with("var SHARED = \"html.cy\";"), "{differing:?}");
}

#[test]
fn export_says_what_it_needs_and_reads_nothing_from_aws() {
    let dir = TempDir::new().unwrap();
    let head = "[brand]\nname = \"Shop\"\n[s3]\nbucket = \"my-pages\"\n";
    fs::write(dir.path().join("edgepages.toml"), head).unwrap();
    let r = redactions(dir.path());
    insta::assert_snapshot!(
        "export_without_cloudfront",
        transcript(edgepages(dir.path()).args(["export", "terraform"]), &r)
    );
    let with_cloudfront = format!("{head}[cloudfront]\ndistribution_id = \"E2EXAMPLE123\"\n");
    fs::write(dir.path().join("edgepages.toml"), &with_cloudfront).unwrap();
    insta::assert_snapshot!(
        "export_without_region",
        transcript(edgepages(dir.path()).args(["export", "cloudformation"]).env_remove("AWS_REGION"), &r)
    );
    // With a region, and no credentials or endpoint at all: it writes, since it calls nothing.
    let out = edgepages(dir.path())
        .args(["export", "terraform"])
        .env("AWS_REGION", "eu-west-2")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .assert()
        .success();
    let document: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(document["locals"]["edgepages"]["origin"][0]["domain_name"], "my-pages.s3.eu-west-2.amazonaws.com");
}

#[test]
fn an_alb_section_holds_the_albs_own_maintenance_page_to_1024_characters_in_every_locale() {
    let dir = TempDir::new().unwrap();
    let alb = "[alb]\nlistener_arn = \"arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2\"\n";
    let head = "[brand]\nname = \"Shop\"\n[locales]\ndefault = \"en\"\navailable = [\"en\", \"fr\"]\n";
    let r = sized(dir.path());
    let check = |name: &str, config: &str| {
        fs::write(dir.path().join("edgepages.toml"), config).unwrap();
        insta::assert_snapshot!(name, transcript(edgepages(dir.path()).arg("check"), &r));
    };
    // No warning of canonical_host where it does something.
    check("check_alb", &format!("{head}{alb}"));
    // canonical_host alone is an ALB-only site's guard; with [s3] and no [cloudfront] it would do
    // nothing, which is said, not silently ignored.
    let guard = format!("{head}{alb}canonical_host = \"www.example.com\"\n");
    check("check_alb_guard_alone", &guard);
    check("check_alb_guard_without_cloudfront", &format!("{guard}[s3]\nbucket = \"my-pages\"\n"));

    // Each sentence within the copy limit, together too long for the ALB: fr is named, en is not.
    let long = "Nous améliorons le site. ".repeat(11);
    let copy = format!("[copy.fr.maintenance]\nmessage = \"{long}\"\nadvice = \"{long}\"\n");
    check("check_alb_page_too_long", &format!("{head}{alb}{copy}"));
    // The same copy without [alb] is fine: only the ALB has the limit.
    fs::write(dir.path().join("edgepages.toml"), format!("{head}{copy}")).unwrap();
    edgepages(dir.path()).arg("check").assert().success();

    check(
        "check_alb_bypass_cidr_with_host_bits",
        &format!(
            "{head}[alb]\nlistener_arn = \"arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2\"\nbypass_cidrs = [\"203.0.113.7/24\"]\n"
        ),
    );

    // Behind CloudFront the ALB never sees the team's own address, so the networks are said to
    // be of no use there (and the header bypass named), whether or not canonical_host is set.
    let bypass = format!("{head}{alb}bypass_cidrs = [\"203.0.113.0/24\"]\n");
    check("check_alb_bypass_cidrs", &bypass);
    check(
        "check_alb_bypass_cidrs_behind_cloudfront",
        &format!("{bypass}[cloudfront]\ndistribution_id = \"E2EXAMPLE123\"\n"),
    );
}

#[test]
fn init_never_overwrites_without_force() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("edgepages.toml"), "# mine\n").unwrap();
    insta::assert_snapshot!(transcript(edgepages(dir.path()).arg("init"), &redactions(dir.path())));
    assert_eq!(fs::read_to_string(dir.path().join("edgepages.toml")).unwrap(), "# mine\n");
    edgepages(dir.path()).args(["init", "--force"]).assert().success();
    assert_ne!(fs::read_to_string(dir.path().join("edgepages.toml")).unwrap(), "# mine\n");
}

#[test]
fn config_errors_name_file_line_and_key() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("site.toml"),
        "[brand]\nname = \"Shop\"\n\n[edge]\ndeadline_ms = 50\nintercept = [503, 200]\n",
    )
    .unwrap();
    insta::assert_snapshot!(transcript(
        edgepages(dir.path()).args(["--config", "site.toml", "check"]),
        &redactions(dir.path())
    ));
}

#[test]
fn a_missing_config_says_how_to_make_one() {
    let dir = TempDir::new().unwrap();
    insta::assert_snapshot!(transcript(edgepages(dir.path()).arg("check"), &redactions(dir.path())));
}

#[test]
fn unsafe_or_missing_logos_are_refused_with_their_path() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("edgepages.toml"), "[brand]\nname = \"Shop\"\nlogo = \"logo.svg\"\n").unwrap();
    let r = redactions(dir.path());
    insta::assert_snapshot!("logo_missing", transcript(edgepages(dir.path()).arg("check"), &r));
    fs::write(dir.path().join("logo.svg"), "<svg onload=\"alert(1)\"></svg>").unwrap();
    insta::assert_snapshot!("logo_with_an_event_handler", transcript(edgepages(dir.path()).arg("check"), &r));
}

/// A config from a pull request must not put a file from outside its folder into the pages:
/// by an absolute path, by `..`, or by a symbolic link inside the folder.
#[test]
fn files_outside_the_configs_folder_are_refused() {
    let outside = TempDir::new().unwrap();
    let secret = outside.path().join("credentials");
    fs::write(&secret, "aws_secret_access_key = not-a-real-key\n").unwrap();
    fs::write(outside.path().join("logo.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    let dir = TempDir::new().unwrap();
    let r = redactions(dir.path())
        .value("OUTSIDE", outside.path().to_string_lossy())
        .value("OUTSIDE", outside.path().canonicalize().unwrap().to_string_lossy());
    for (name, line) in [
        ("outside_absolute", format!("[pages]\ntext_template = '{}'\n", secret.display())),
        ("outside_dot_dot", "[pages]\ntext_template = '../credentials'\n".to_owned()),
    ] {
        fs::write(dir.path().join("edgepages.toml"), format!("[brand]\nname = \"Shop\"\n{line}")).unwrap();
        let said = transcript(edgepages(dir.path()).arg("check"), &r);
        assert!(!said.contains("not-a-real-key"), "{said}");
        insta::assert_snapshot!(name, said);
    }
    std::os::unix::fs::symlink(outside.path().join("logo.svg"), dir.path().join("logo.svg")).unwrap();
    fs::write(dir.path().join("edgepages.toml"), "[brand]\nname = \"Shop\"\nlogo = \"logo.svg\"\n").unwrap();
    insta::assert_snapshot!("outside_symbolic_link", transcript(edgepages(dir.path()).arg("check"), &r));
}

/// `edgepages` under an address-space limit of 2 GB, so that reading a file whole fails fast
/// (an allocation failure) rather than filling the machine's memory.
fn edgepages_in_2_gb(dir: &Path, args: &str) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("edgepages");
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v 2000000 && exec '{}' {args}", bin.display()))
        .current_dir(dir)
        .env_remove("EDGEPAGES_CONFIG")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn inputs_are_read_no_further_than_their_caps() {
    let dir = TempDir::new().unwrap();
    // A sparse file: 4 GiB long, no disk used.
    fs::File::create(dir.path().join("logo.svg")).unwrap().set_len(4 << 30).unwrap();
    fs::write(dir.path().join("edgepages.toml"), "[brand]\nname = \"Shop\"\nlogo = \"logo.svg\"\n").unwrap();
    let out = edgepages_in_2_gb(dir.path(), "check");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("logo.svg is over 1048576 bytes"), "{stderr}");
    fs::write(
        dir.path().join("edgepages.toml"),
        "[brand]\nname = \"Shop\"\n\n[status]\nprovider = \"statuspage\"\nurl = \"https://status.example.com\"\n",
    )
    .unwrap();
    let out = edgepages_in_2_gb(dir.path(), "status --from /dev/zero");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("1048576"), "{stderr}");
}

#[test]
fn pages_over_the_weight_budget_fail_check() {
    let dir = TempDir::new().unwrap();
    // 15 KB of poorly compressible path data: a real logo this heavy would blow the budget.
    let mut state: u32 = 1;
    // Path data starts with a moveto (SVG 2, "The grammar for path data").
    let mut d = String::from("M0 0 ");
    while d.len() < 15_000 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        write!(d, "L{} {} ", (state >> 8) % 1000, (state >> 18) % 1000).unwrap();
    }
    fs::write(dir.path().join("logo.svg"), format!("<svg viewBox=\"0 0 1000 1000\"><path d=\"{d}\"/></svg>")).unwrap();
    fs::write(dir.path().join("edgepages.toml"), "[brand]\nname = \"Shop\"\nlogo = \"logo.svg\"\n").unwrap();
    // Each page's weight and the logo's share follow the templates: [SIZE] and [N] (\"… of them\").
    let r = sized(dir.path()).pattern("N", r"\b(\d+) of them the logo");
    insta::assert_snapshot!(transcript(edgepages(dir.path()).arg("check"), &r));
}

/// `check` says once what cleaning a real editor's logo dropped and rewrote (KDE's Breeze
/// `systemsettings` icon, as Inkscape saved it), and holds every page to the budget with it.
#[test]
fn check_says_what_cleaning_the_logo_dropped() {
    let dir = TempDir::new().unwrap();
    let real = repo_root().join("crates/core/tests/logos/real/kde-systemsettings.svg");
    fs::copy(real, dir.path().join("logo.svg")).unwrap();
    fs::write(dir.path().join("edgepages.toml"), "[brand]\nname = \"Shop\"\nlogo = \"logo.svg\"\n").unwrap();
    let output = edgepages(dir.path()).arg("check").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap());
    let json = edgepages(dir.path()).args(["--json", "check"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["logo"]["report"]["css_rules_inlined"], 1, "{json}");
    assert_eq!(json["logo"]["report"]["elements"]["<sodipodi:namedview>"], 1, "{json}");
}

#[test]
fn render_is_deterministic_and_its_manifest_is_true() {
    let dir = TempDir::new().unwrap();
    let config = repo_root().join("edgepages.toml");
    for out in ["a", "b"] {
        edgepages(dir.path()).arg("--config").arg(&config).args(["render", "--out", out]).assert().success();
    }
    let a = tree(&dir.path().join("a"));
    assert_eq!(a, tree(&dir.path().join("b")), "two renders must be byte-identical");
    // 6 kinds in the default locale, plus 6 in each of the 5 available locales, plus the manifest.
    assert_eq!(a.len(), 6 + 5 * 6 + 1);

    let manifest: serde_json::Value = serde_json::from_slice(&a["manifest.json"]).unwrap();
    let files = manifest["files"].as_object().unwrap();
    assert_eq!(files.len(), a.len() - 1);
    for (key, entry) in files {
        let body = &a[key];
        assert_eq!(entry["size"], body.len(), "{key}");
        assert_eq!(entry["content_type"], "text/html; charset=utf-8", "{key}");
        let md5 = Md5::digest(body).iter().fold(String::new(), |mut s, b| {
            write!(s, "{b:02x}").unwrap();
            s
        });
        assert_eq!(entry["md5"], md5, "{key}");
    }
    for key in [
        "edgepages/500.html",
        "edgepages/502.html",
        "edgepages/503.html",
        "edgepages/504.html",
        "edgepages/maintenance.html",
        "edgepages/error.html",
        "edgepages/ar/503.html",
    ] {
        assert!(files.contains_key(key), "{key}");
    }
    let arabic = String::from_utf8(a["edgepages/ar/503.html"].clone()).unwrap();
    assert!(arabic.contains("<html lang=\"ar\" dir=\"rtl\">"));
}

#[test]
fn json_output_is_machine_readable() {
    let dir = TempDir::new().unwrap();
    let config = repo_root().join("edgepages.toml");
    let out = edgepages(dir.path()).arg("--config").arg(&config).args(["--json", "check"]).output().unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["html_pages"], 36);
    assert!(report["largest"]["gzip_bytes"].as_u64().unwrap() <= 6144);

    let out =
        edgepages(dir.path()).arg("--config").arg(&config).args(["render", "--json", "--out", "o"]).output().unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["files"].as_object().unwrap().len(), 36);
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new().unwrap();
    let r = redactions(dir.path());
    insta::assert_snapshot!("usage_render_without_out", transcript(edgepages(dir.path()).arg("render"), &r));
    insta::assert_snapshot!("usage_unknown_command", transcript(edgepages(dir.path()).arg("frobnicate"), &r));
}

#[test]
fn verify_urls_are_checked_when_the_arguments_are_read() {
    let dir = TempDir::new().unwrap();
    let r = redactions(dir.path());
    let verify = |name: &str, args: &[&str]| {
        insta::assert_snapshot!(name, transcript(edgepages(dir.path()).arg("verify").args(args), &r));
    };
    verify("verify_url_unicode_host", &["--healthy", "http://bücher.example/"]);
    // The config fuzzer's first crash, as a URL: a debug build panicked in url's IDNA step.
    verify("verify_url_fuzzer_host", &["--url", "https://UUUU\u{feff}UUUU/"]);
    verify("verify_url_ftp", &["--url", "ftp://files.example/"]);
    // A refused connection is a failed check (exit 1) that says why, not a usage error.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    verify("verify_url_refused", &["--healthy", &format!("http://127.0.0.1:{port}/")]);
}

/// A server on loopback that answers every request with `status` and a plain body, for `count`
/// requests; its URL.
fn answering(status: u16, count: usize) -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = "not here";
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Status\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn the_deploy_gate_accepts_2xx_and_3xx_unless_told_otherwise() {
    let dir = TempDir::new().unwrap();
    let r = redactions(dir.path());
    let verify = |name: &str, args: &[&str]| {
        insta::assert_snapshot!(name, transcript(edgepages(dir.path()).arg("verify").args(args), &r));
    };
    // A deploy that answers 404 everywhere is not healthy.
    let url = answering(404, 3);
    verify("healthy_404", &["--healthy", &url]);
    // Widened on purpose, it passes; a 5xx can never be made healthy.
    verify("healthy_404_expected", &["--healthy", &url, "--expect", "404"]);
    edgepages(dir.path()).args(["verify", "--healthy", &url, "--expect", "4xx"]).assert().success();
    verify("healthy_5xx_expected", &["--healthy", &url, "--expect", "503"]);
    let redirect = answering(301, 1);
    edgepages(dir.path()).args(["verify", "--healthy", &redirect]).assert().success();
}

#[test]
fn lambda_edge_package_refuses_a_bad_config_or_source_before_compiling() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("edgepages.toml"), "[edge]\ndeadline_ms = 50\n").unwrap();
    let r = redactions(dir.path());
    insta::assert_snapshot!(
        "package_bad_config",
        transcript(edgepages(dir.path()).args(["lambda-edge", "package", "--out", "f.zip"]), &r)
    );

    edgepages(dir.path()).args(["init", "--force"]).assert().success();
    insta::assert_snapshot!(
        "package_not_a_source_tree",
        transcript(
            edgepages(dir.path()).args(["lambda-edge", "package", "--out", "f.zip", "--source"]).arg(dir.path()),
            &r
        )
    );
    assert!(!dir.path().join("f.zip").exists());
}

#[test]
fn the_version_names_the_commit() {
    let dir = TempDir::new().unwrap();
    let out = edgepages(dir.path()).arg("--version").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(&format!("edgepages {} (commit ", env!("CARGO_PKG_VERSION"))), "{text}");
    assert!(!text.contains("(commit )"), "{text}");
}

/// The subcommands `--help` lists, but `help`.
fn subcommands(dir: &Path) -> Vec<String> {
    let help = String::from_utf8(edgepages(dir).arg("--help").assert().success().get_output().stdout.clone()).unwrap();
    let listed = help.split("Commands:\n").nth(1).unwrap().split("\n\n").next().unwrap();
    listed
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|n| n != "help")
        .collect()
}

#[test]
fn the_bash_completion_parses_and_the_man_page_names_every_subcommand() {
    let dir = TempDir::new().unwrap();
    let names = subcommands(dir.path());
    assert!(names.len() >= 11 && names.contains(&"maintenance".to_owned()), "{names:?}");

    let script = edgepages(dir.path()).args(["completions", "bash"]).assert().success().get_output().stdout.clone();
    let path = dir.path().join("edgepages.bash");
    fs::write(&path, &script).unwrap();
    let parsed = std::process::Command::new("bash").arg("-n").arg(&path).status().unwrap();
    assert!(parsed.success(), "bash -n refused the completion script");
    let script = String::from_utf8(script).unwrap();
    for name in &names {
        assert!(script.contains(name.as_str()), "the completion does not offer {name}");
    }

    let man =
        String::from_utf8(edgepages(dir.path()).arg("man").assert().success().get_output().stdout.clone()).unwrap();
    assert!(man.contains(".TH edgepages 1"), "not a roff man page: {}", &man[..80.min(man.len())]);
    for name in &names {
        let entry = format!("edgepages\\-{}(1)", name.replace('-', "\\-"));
        assert!(man.contains(&entry), "the man page does not name {name} ({entry})");
    }
}

/// A publishing config in `dir`, for commands that read AWS.
fn publishing_site(dir: &Path) {
    edgepages(dir).arg("init").assert().success();
    let starter = fs::read_to_string(dir.join("edgepages.toml")).unwrap();
    let (head, _) = starter.split_once("# [s3]").unwrap();
    let text = format!(
        "{head}[s3]\nbucket = \"pages-bucket\"\nregion = \"eu-west-1\"\n\n[cloudfront]\ndistribution_id = \"E2EXAMPLE123\"\n"
    );
    fs::write(dir.join("edgepages.toml"), text).unwrap();
}

/// `edgepages` with no AWS credentials anywhere the config chain looks.
fn without_credentials(dir: &Path) -> Command {
    let mut cmd = edgepages(dir);
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"] {
        cmd.env_remove(name);
    }
    cmd.env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-aws-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

#[test]
fn no_credentials_is_one_line_with_its_fix_and_the_sdks_words_only_with_verbose() {
    let dir = TempDir::new().unwrap();
    publishing_site(dir.path());
    let quiet = without_credentials(dir.path()).arg("plan").assert().code(1);
    let stderr = String::from_utf8(quiet.get_output().stderr.clone()).unwrap();
    assert_eq!(
        stderr,
        "error: listing s3://pages-bucket/edgepages/: no AWS credentials were found\n\
         help: set AWS_PROFILE to a profile in ~/.aws/config, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; \
         `aws sts get-caller-identity` shows whether they work\n"
    );
    // With -v: progress, and the SDK's words as a cause, one line, no dump.
    let verbose = transcript(without_credentials(dir.path()).args(["plan", "-v"]), &redactions(dir.path()));
    assert!(verbose.lines().all(|line| line.len() < 300), "no SDK dump: {verbose}");
    insta::assert_snapshot!(verbose);
}

#[test]
fn verify_exits_3_when_it_could_not_check_and_1_only_for_a_mismatch() {
    let dir = TempDir::new().unwrap();
    publishing_site(dir.path());
    let r = redactions(dir.path());
    // No credentials: nothing was judged.
    insta::assert_snapshot!("verify_no_credentials", transcript(without_credentials(dir.path()).arg("verify"), &r));
    // AWS unreachable (a port nothing listens on).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut unreachable = without_credentials(dir.path());
    unreachable
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_MAX_ATTEMPTS", "1")
        .arg("verify");
    insta::assert_snapshot!("verify_aws_unreachable", transcript(&mut unreachable, &r));
    // A config that cannot be read: nothing was judged either.
    fs::write(dir.path().join("edgepages.toml"), "[brand\n").unwrap();
    insta::assert_snapshot!("verify_unreadable_config", transcript(edgepages(dir.path()).arg("verify"), &r));
    // A host name this machine cannot resolve, as when a runner loses its DNS.
    let checked =
        edgepages(dir.path()).args(["verify", "--json", "--healthy", "http://no-such-host.invalid/"]).assert();
    let report: serde_json::Value = serde_json::from_slice(&checked.code(3).get_output().stdout).unwrap();
    assert_eq!(report["verdict"], "could_not_check");
    assert_eq!(report["checks"][0]["could_not_check"], true);
    // A site that answers wrongly is a mismatch, whatever else could not be checked.
    let wrong = answering(500, 1);
    let mixed = edgepages(dir.path())
        .args(["verify", "--healthy", &wrong, "--healthy", "http://no-such-host.invalid/"])
        .output()
        .unwrap();
    assert_eq!(mixed.status.code(), Some(1));
    let stdout = String::from_utf8(mixed.stdout).unwrap();
    assert_eq!(stdout.lines().last(), Some("not verified: 1 of 2 checks failed"), "{stdout}");
}

/// A stand-in for wrangler that records its arguments in `calls` and answers `get` with `value`
/// (or wrangler's "Value not found"), or fails the way wrangler does when `fail` is set.
fn fake_wrangler(dir: &Path, value: Option<&str>, fail: bool) -> PathBuf {
    let script = dir.join("fake-wrangler");
    let calls = dir.join("calls");
    let answer = value.unwrap_or("Value not found");
    let body = if fail {
        "echo '✘ [ERROR] Not logged in: run `wrangler login`' >&2; exit 1".to_owned()
    } else {
        format!("case \"$3\" in get) echo ' ⛅️ wrangler'; echo '{answer}';; *) echo 'Writing the value';; esac")
    };
    fs::write(&script, format!("#!/bin/sh\necho \"$@\" >> '{}'\n{body}\n", calls.display())).unwrap();
    let mut permissions = fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    fs::set_permissions(&script, permissions).unwrap();
    script
}

fn calls(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join("calls")).unwrap_or_default().lines().map(str::to_owned).collect()
}

#[test]
fn maintenance_at_cloudflare_writes_the_kv_switch_through_wrangler() {
    let dir = TempDir::new().unwrap();
    let wrangler = fake_wrangler(dir.path(), Some("on"), false);
    let run = |args: &[&str]| {
        let mut cmd = edgepages(dir.path());
        cmd.env("EDGEPAGES_WRANGLER", &wrangler).arg("maintenance").args(args).args(["--target", "cloudflare"]);
        cmd
    };
    let r = redactions(dir.path());
    // --dry-run says what it would write, and runs nothing.
    insta::assert_snapshot!("kv_dry_run", transcript(&mut run(&["on", "--dry-run", "--env", "production"]), &r));
    assert_eq!(calls(dir.path()), Vec::<String>::new());
    // No config is needed: the worker carries its own.
    run(&["on", "--yes", "--env", "production", "--until", "2099-01-01T00:00:00Z"]).assert().success();
    run(&["off", "--yes", "--local", "--persist-to", "state"]).assert().success();
    assert_eq!(
        calls(dir.path()),
        [
            "kv key put maintenance 2099-01-01T00:00:00Z --binding EDGEPAGES --env production --remote",
            "kv key put maintenance off --binding EDGEPAGES --local --persist-to state",
        ]
    );
    insta::assert_snapshot!("kv_status", transcript(&mut run(&["status"]), &r));
    // A script cannot answer the prompt, nor can a machine reading JSON; neither writes.
    insta::assert_snapshot!("kv_no_terminal", transcript(&mut run(&["on"]), &r));
    insta::assert_snapshot!("kv_json_without_yes", transcript(run(&["on"]).arg("--json"), &r));
    assert_eq!(calls(dir.path()).len(), 3, "only the two writes and the status read above");
    insta::assert_snapshot!(
        "kv_in_the_past",
        transcript(&mut run(&["on", "--yes", "--until", "2020-01-01T00:00:00Z"]), &r)
    );
}

#[test]
fn a_wrangler_failure_says_wranglers_own_words() {
    let dir = TempDir::new().unwrap();
    let wrangler = fake_wrangler(dir.path(), None, true);
    let r = redactions(dir.path());
    insta::assert_snapshot!(
        "kv_wrangler_failed",
        transcript(
            edgepages(dir.path()).env("EDGEPAGES_WRANGLER", &wrangler).args([
                "maintenance",
                "on",
                "--yes",
                "--target",
                "cloudflare"
            ]),
            &r
        )
    );
    let unset = fake_wrangler(dir.path(), None, false);
    insta::assert_snapshot!(
        "kv_unset",
        transcript(
            edgepages(dir.path()).env("EDGEPAGES_WRANGLER", &unset).args([
                "maintenance",
                "status",
                "--target",
                "cloudflare"
            ]),
            &r
        )
    );
}

/// A site in `dir` whose `[pages] template` is `brand/page.html`, holding `template`.
fn template_site(dir: &Path, template: &str) {
    fs::create_dir_all(dir.join("brand")).unwrap();
    fs::write(
        dir.join("edgepages.toml"),
        "[brand]\nname = \"Shop\"\n\n[locales]\ndefault = \"en\"\navailable = [\"en\", \"fr\"]\n\n[pages]\ntemplate = \"brand/page.html\"\n",
    )
    .unwrap();
    fs::write(dir.join("brand/page.html"), template).unwrap();
}

/// `check`'s errors for a template name the file, the line and the column. The lines of the
/// example's edits are named (`[AT_TITEL]`, `[AT_LINK]`: `brand/page.html:` and the line the
/// test found the edit on), so the snapshot shows that each problem is placed on its own line.
#[test]
fn template_errors_name_file_line_and_column() {
    let dir = TempDir::new().unwrap();
    let example = fs::read_to_string(repo_root().join("pages/examples/custom-page.html")).unwrap();
    let check = || transcript(edgepages(dir.path()).arg("check"), &redactions(dir.path()));

    template_site(dir.path(), "<!doctype html>\n<title>{{ title }}</title>\n<p>{% if request_id %}{{ request_id }}\n");
    insta::assert_snapshot!("template_syntax_error", check());

    let broken = example.replacen("<h1>{{ title }}</h1>", "<h1>{{ titel|safe }}</h1>", 1).replacen(
        "<p>{{ code_label }}</p>",
        "<p>{{ code_label }}</p><link rel=\"icon\" href=\"https://cdn.example/i.png\">",
        1,
    );
    let at =
        |needle: &str| format!("brand/page.html:{}:", broken.lines().position(|l| l.contains(needle)).unwrap() + 1);
    let r = redactions(dir.path()).value("AT_TITEL", at("titel")).value("AT_LINK", at("<link"));
    template_site(dir.path(), &broken);
    insta::assert_snapshot!("template_unknown_variable_and_filter", transcript(edgepages(dir.path()).arg("check"), &r));

    // Fixed but for the <link>: found in the rendered page, placed in the template.
    template_site(dir.path(), &broken.replacen("{{ titel|safe }}", "{{ title }}", 1));
    insta::assert_snapshot!("template_external_link", transcript(edgepages(dir.path()).arg("check"), &r));

    fs::remove_file(dir.path().join("brand/page.html")).unwrap();
    insta::assert_snapshot!("template_missing", check());
}

#[test]
fn a_user_template_is_checked_rendered_and_weighed() {
    let dir = TempDir::new().unwrap();
    let example = fs::read_to_string(repo_root().join("pages/examples/custom-page.html")).unwrap();
    template_site(dir.path(), &example);
    insta::assert_snapshot!("template_check", transcript(edgepages(dir.path()).arg("check"), &sized(dir.path())));
    edgepages(dir.path()).args(["render", "--out", "out"]).assert().success();
    let page = fs::read_to_string(dir.path().join("out/edgepages/fr/503.html")).unwrap();
    assert!(page.contains("<main class=\"card\">") && page.contains("<html lang=\"fr\" dir=\"ltr\">"), "{page}");

    // 7 KB of text that does not compress, on every page: over the 6 KB budget.
    let mut state: u32 = 7;
    let noise: String = (0..7000)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            char::from(b'a' + u8::try_from((state >> 16) % 26).unwrap())
        })
        .collect();
    template_site(
        dir.path(),
        &example.replacen("<h1>{{ title }}</h1>", &format!("<h1>{{{{ title }}}}</h1><p>{noise}</p>"), 1),
    );
    insta::assert_snapshot!("template_over_budget", transcript(edgepages(dir.path()).arg("check"), &sized(dir.path())));
}

//! The worker as `wrangler deploy` would upload it: each environment in `wrangler.toml` builds,
//! and binds every var the top level sets (wrangler does not carry `[vars]` into an
//! environment), and no secret is written there. `--dry-run` uploads nothing.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::process::Command;

use edgepages_e2e::worker::repo_root;

/// The var names a `[vars]` table of `wrangler.toml` sets.
fn var_names(table: Option<&toml::Value>) -> BTreeSet<String> {
    table.and_then(toml::Value::as_table).map(|vars| vars.keys().cloned().collect()).unwrap_or_default()
}

/// The vars `wrangler deploy --dry-run --env <env>` says the worker is bound to.
fn bound_vars(env: &str) -> BTreeSet<String> {
    let out_dir = tempfile::tempdir().unwrap();
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source scripts/toolchain-env && exec npx --no-install wrangler deploy --dry-run --env {env} --outdir '{}'",
            out_dir.path().display()
        ))
        .current_dir(repo_root())
        // The build the e2e suite made is reused, not redone without its features.
        .env("EDGEPAGES_EDGE_FEATURES", "chaos")
        .env("WRANGLER_SEND_METRICS", "false")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "--env {env}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let bundled: Vec<std::path::PathBuf> = out_dir.path().read_dir().unwrap().map(|e| e.unwrap().path()).collect();
    let is_wasm = |path: &std::path::PathBuf| path.extension().is_some_and(|ext| ext == "wasm");
    assert!(bundled.iter().any(is_wasm), "--env {env} bundled the wasm: {bundled:?}");
    stdout
        .lines()
        .filter(|line| line.contains("Environment Variable"))
        .filter_map(|line| line.trim().strip_prefix("env.")?.split([' ', '(']).next().map(str::to_owned))
        .collect()
}

#[test]
fn each_environment_builds_and_binds_every_var() {
    let text = std::fs::read_to_string(repo_root().join("wrangler.toml")).unwrap();
    let config: toml::Table = toml::from_str(&text).unwrap();
    let top = var_names(config.get("vars"));
    assert!(top.contains("ORIGIN_URL") && top.contains("MAINTENANCE"), "{top:?}");
    assert!(!top.contains("MAINTENANCE_BYPASS"), "a secret is never a var");
    for env in ["staging", "production"] {
        let written = var_names(config.get("env").and_then(|e| e.get(env)).and_then(|e| e.get("vars")));
        assert_eq!(written, top, "[env.{env}.vars] lists every var of [vars]");
        assert_eq!(bound_vars(env), top, "wrangler binds them for --env {env}");
    }
}

//! `edgepages maintenance --target cloudflare`: the worker's maintenance switch, one key in its
//! KV namespace, written and read through wrangler (`wrangler kv key put|get`), which holds the
//! Cloudflare login. Each isolate of the worker reads the key within its refresh interval.

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context as _, Result, bail};
use edgepages_core::config::{Maintenance, SWITCH_REFRESH_MS, rfc3339};
use serde_json::json;

use crate::output::Output;

/// The KV binding the worker reads the switch from, and the key (`edge/entry.mjs`).
pub const BINDING: &str = "EDGEPAGES";
pub const KEY: &str = "maintenance";
/// The command that runs wrangler, split on spaces; `npx wrangler` when unset.
const WRANGLER_VAR: &str = "EDGEPAGES_WRANGLER";

/// Where the switch lives: which wrangler environment, and the real namespace or a local one.
#[derive(Debug, Clone, clap::Args)]
pub struct KvArgs {
    /// With --target cloudflare: the wrangler environment whose namespace holds the switch
    /// (`wrangler.toml` [env.NAME]); the top level's when left out.
    #[arg(long, global = true, value_name = "NAME")]
    env: Option<String>,
    /// With --target cloudflare: the wrangler config file; wrangler's own search when left out.
    #[arg(long, global = true, value_name = "FILE")]
    wrangler_config: Option<PathBuf>,
    /// With --target cloudflare: switch the local namespace `wrangler dev` uses, not the real one.
    #[arg(long, global = true)]
    local: bool,
    /// With --local: the state directory `wrangler dev --persist-to` was given.
    #[arg(long, global = true, value_name = "DIR", requires = "local")]
    persist_to: Option<PathBuf>,
}

impl KvArgs {
    fn describe(&self) -> String {
        let env = self.env.as_deref().map_or_else(String::new, |env| format!(", environment {env}"));
        let place = if self.local { "local " } else { "" };
        format!("{place}KV namespace {BINDING}{env}")
    }

    /// `wrangler kv key <action> <key> [args] --binding … [--env …] [--config …] --remote|--local …`.
    fn wrangler(&self, action: &str, args: &[&str]) -> Result<Command> {
        let line = std::env::var(WRANGLER_VAR).unwrap_or_else(|_| "npx wrangler".to_owned());
        let mut words = line.split_whitespace();
        let program = words.next().with_context(|| format!("{WRANGLER_VAR} is empty; unset it, or name wrangler"))?;
        let mut command = Command::new(program);
        command.args(words).args(["kv", "key", action, KEY]).args(args).args(["--binding", BINDING]);
        if let Some(env) = &self.env {
            command.args(["--env", env]);
        }
        if let Some(config) = &self.wrangler_config {
            command.arg("--config").arg(config);
        }
        if self.local {
            command.arg("--local");
            if let Some(dir) = &self.persist_to {
                command.arg("--persist-to").arg(dir);
            }
        } else {
            command.arg("--remote");
        }
        command.env("NO_COLOR", "1").env("FORCE_COLOR", "0").env("WRANGLER_SEND_METRICS", "false");
        Ok(command)
    }

    /// Runs wrangler; its stdout when it succeeds, else its own words as the error.
    fn run(&self, action: &str, args: &[&str]) -> Result<String> {
        let mut command = self.wrangler(action, args)?;
        let output = command
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running wrangler ({WRANGLER_VAR} or `npx wrangler`); is Node.js installed?"))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let banner = |line: &str| {
                line.starts_with("⛅")
                    || line.starts_with('─')
                    || line.contains("Logs were written")
                    || line.contains("--remote")
            };
            let said: Vec<&str> =
                stderr.lines().chain(stdout.lines()).map(str::trim).filter(|l| !l.is_empty() && !banner(l)).collect();
            bail!(
                "wrangler kv key {action} {KEY} failed ({}): {}",
                output.status,
                if said.is_empty() { "it said nothing on stderr".to_owned() } else { said.join("; ") }
            );
        }
        Ok(stdout)
    }
}

/// Sets the switch to `value` (`on`, `off`, or an end time).
pub fn set(kv: &KvArgs, value: Maintenance, dry_run: bool, yes: bool, out: &Output) -> Result<ExitCode> {
    let text = value.to_string();
    let place = kv.describe();
    crate::confirm::refuse_json_prompt(out.json, yes, dry_run)?;
    if !out.json {
        out.result(&format!("{place}: set {KEY} = {text}"));
    }
    if dry_run {
        if out.json {
            out.json(&json!({ "target": "cloudflare", "key": KEY, "value": text, "applied": false }))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    crate::confirm::ask(yes, &format!("Set {KEY} = {text} in the {place}?"))?;
    out.progress(&format!("running wrangler kv key put {KEY} {text}"));
    kv.run("put", &[&text])?;
    let seconds = SWITCH_REFRESH_MS / 1000;
    if out.json {
        out.json(&json!({ "target": "cloudflare", "key": KEY, "value": text, "applied": true }))?;
    } else {
        out.good(
            &format!("maintenance {}:", if value == Maintenance::Off { "off" } else { "on" }),
            &format!(
                "{KEY} = {text} in the {place}; each worker isolate acts on it within {seconds} s of seeing it (KV \
                 is eventually consistent: other locations can take 60 s or more)"
            ),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What the switch holds, and what that means at `now` (Unix seconds).
pub fn status(kv: &KvArgs, now: u64, out: &Output) -> Result<ExitCode> {
    let place = kv.describe();
    let said = kv.run("get", &["--text"])?;
    let raw = said.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or_default().to_owned();
    let value = if raw.is_empty() || raw == "Value not found" {
        None
    } else {
        Some(Maintenance::parse(&raw).map_err(|why| anyhow::anyhow!("{KEY} in the {place} holds {raw:?}: {why}"))?)
    };
    let on = value.is_some_and(|m| m.is_active(now));
    if out.json {
        let value = value.map(|m| m.to_string());
        out.json(&json!({ "target": "cloudflare", "key": KEY, "value": value, "on": on, "now": rfc3339(now) }))?;
        return Ok(ExitCode::SUCCESS);
    }
    match value {
        None => out.result(&format!(
            "maintenance switch: not set in the {place}; the worker's MAINTENANCE var or the config decides"
        )),
        Some(m) => out.result(&format!(
            "maintenance is {} by the switch in the {place} ({KEY} = {m}); a MAINTENANCE var, when set, still wins",
            if on { "ON" } else { "off" }
        )),
    }
    Ok(ExitCode::SUCCESS)
}

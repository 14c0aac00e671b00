//! `edgepages init`: writes a commented starter config that renders as it is.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

use crate::cli::Global;
use crate::output::Output;

/// The starter config, kept valid by a test that renders it.
pub const STARTER: &str = include_str!("../starter.toml");

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    let path = &global.config;
    let mut options = OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} already exists; pass --force to replace it", path.display())
        }
        Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
    };
    file.write_all(STARTER.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    if out.json {
        out.json(&serde_json::json!({ "written": path }))?;
    } else {
        out.good("wrote", &format!("{} — edit [brand], then run `edgepages check`", path.display()));
    }
    Ok(ExitCode::SUCCESS)
}

//! `edgepages man`: the man page in roff, made by clap_mangen from the argument definitions, so
//! it cannot drift from what the binary accepts.

use std::process::ExitCode;

use anyhow::Context as _;

#[derive(Debug, clap::Args)]
pub struct Args {}

/// The man page of `command`, edgepages' own.
pub fn run(_args: &Args, command: clap::Command) -> anyhow::Result<ExitCode> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page).context("rendering the man page")?;
    super::completions::to_stdout(&page).context("writing the man page")?;
    Ok(ExitCode::SUCCESS)
}

//! `edgepages completions SHELL`: the shell's completion script, made by clap_complete from the
//! same argument definitions the binary parses.

use std::process::ExitCode;

use anyhow::Context as _;
use clap_complete::Shell;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for. Bash: `edgepages completions bash > ~/.local/share/bash-completion/completions/edgepages`.
    #[arg(value_enum)]
    shell: Shell,
}

/// The completion script for `command`, edgepages' own.
pub fn run(args: &Args, mut command: clap::Command) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "edgepages", &mut script);
    to_stdout(&script).context("writing the completion script")?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to stdout; a reader that stops early (`| head`) is not an error.
pub fn to_stdout(bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

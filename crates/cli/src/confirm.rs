//! Asks before writing: `--yes` answers for scripts, and without a terminal there is nobody to
//! ask, so the command refuses rather than guessing.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::{Result, bail};

/// Refuses `--json` without `--yes` or `--dry-run`: a machine reading the JSON cannot answer the
/// prompt, so the command says so before it reads or writes anything.
pub fn refuse_json_prompt(json: bool, yes: bool, dry_run: bool) -> Result<()> {
    if json && !yes && !dry_run {
        bail!("--json needs --yes or --dry-run: a machine reading the JSON cannot answer the prompt");
    }
    Ok(())
}

pub fn ask(yes: bool, question: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("not asking on a non-interactive stdin; pass --yes to apply, or --dry-run to only look");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        bail!("cancelled; nothing was written")
    }
}

//! Asks before writing: `--yes` answers for scripts, and without a terminal there is nobody to
//! ask, so the command refuses rather than guessing.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::{Result, bail};

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

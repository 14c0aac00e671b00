//! Child processes of the rig (wrangler, moto) run in their own process group, watched so that
//! none outlives the test process, even when a test panics or the process is killed.

use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result};

/// Ends process group `pgid` once this test process has exited.
pub fn watch_over(pgid: u32) -> Result<()> {
    let me = std::process::id();
    Command::new("bash")
        .arg("-c")
        .arg(format!("while kill -0 {me} 2>/dev/null; do sleep 1; done; kill -TERM -{pgid} 2>/dev/null; sleep 2; kill -KILL -{pgid} 2>/dev/null"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("starting the watchdog")?;
    Ok(())
}

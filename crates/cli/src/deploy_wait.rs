//! `--wait`: polls a distribution until CloudFront reports it `Deployed`, with a spinner on a
//! terminal, progress lines with `-v` otherwise, and a time limit.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use edgepages_publish::aws::Aws;
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::Output;

/// The status CloudFront reports once every edge location has the change.
const DEPLOYED: &str = "Deployed";
/// The first pause between two reads; each pause doubles, up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(20);

/// The `--wait` flags, shared by `publish` and `rollback`.
#[derive(Debug, Clone, clap::Args)]
pub struct WaitArgs {
    /// Wait until CloudFront reports the distribution Deployed before verifying, so that
    /// `verify --url` right after sees the change.
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this long (such as 90s, 10m); the change stays made.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = humantime::parse_duration, requires = "wait")]
    pub wait_timeout: Duration,
}

/// A wait as a person reads it, to the second: `3m 12s`.
pub fn seconds(d: Duration) -> humantime::FormattedDuration {
    humantime::format_duration(Duration::from_secs(d.as_secs()))
}

/// Waits until distribution `id` is Deployed, or `timeout` has passed (an error). Returns how
/// long it waited.
pub async fn until_deployed(aws: &Aws, id: &str, timeout: Duration, out: &Output) -> Result<Duration> {
    let started = Instant::now();
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let mut pause = FIRST_PAUSE;
    loop {
        let status = aws.distribution_status(id).await;
        let status = match status {
            Ok(status) => status,
            Err(e) => {
                spinner.finish_and_clear();
                return Err(e.into());
            }
        };
        if status == DEPLOYED {
            spinner.finish_and_clear();
            return Ok(started.elapsed());
        }
        let waited = started.elapsed();
        if waited >= timeout {
            spinner.finish_and_clear();
            bail!(
                "distribution {id} is still {status} after {}: the change is made and CloudFront is still \
                 deploying it. Run `edgepages verify` once the console shows it Deployed",
                seconds(timeout)
            );
        }
        let message = format!("distribution {id} is {status}; waiting for {DEPLOYED}");
        if spinner.is_hidden() {
            out.progress(&message);
        }
        spinner.set_message(message);
        tokio::time::sleep(pause.min(timeout.saturating_sub(waited))).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

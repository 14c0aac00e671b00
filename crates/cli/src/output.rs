//! Where things are printed: results to stdout, progress and diagnostics to stderr, in colour
//! only when asked or when the stream is a terminal; and the progress a session reports.

use std::io::Write as _;

use anstream::ColorChoice;
use anstyle::{AnsiColor, Style};
use edgepages_publish::aws::Detail;
use edgepages_publish::progress::Progress;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{ColorWhen, Global};

pub struct Output {
    pub json: bool,
    pub verbose: bool,
    color: ColorChoice,
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const GOOD: Style = AnsiColor::Green.on_default().bold();
const WARN: Style = AnsiColor::Yellow.on_default().bold();
const DIM: Style = Style::new().dimmed();

impl Output {
    pub fn new(global: &Global) -> Self {
        let color = match global.color {
            ColorWhen::Auto => ColorChoice::Auto,
            ColorWhen::Always => ColorChoice::Always,
            ColorWhen::Never => ColorChoice::Never,
        };
        Output { json: global.json, verbose: global.verbose, color }
    }

    fn stdout(&self) -> anstream::AutoStream<std::io::Stdout> {
        anstream::AutoStream::new(std::io::stdout(), self.color)
    }

    fn stderr(&self) -> anstream::AutoStream<std::io::Stderr> {
        anstream::AutoStream::new(std::io::stderr(), self.color)
    }

    /// A result line on stdout.
    pub fn result(&self, line: &str) {
        let _ = writeln!(self.stdout(), "{line}");
    }

    /// A result line on stdout that starts with a green word such as `ok`.
    pub fn good(&self, word: &str, rest: &str) {
        let _ = writeln!(self.stdout(), "{GOOD}{word}{GOOD:#} {rest}");
    }

    /// A result line on stdout that starts with a red word such as `FAIL`.
    pub fn bad(&self, word: &str, rest: &str) {
        let _ = writeln!(self.stdout(), "{ERROR}{word}{ERROR:#} {rest}");
    }

    /// A result line on stdout that starts with a yellow word such as `warn`.
    pub fn warned(&self, word: &str, rest: &str) {
        let _ = writeln!(self.stdout(), "{WARN}{word}{WARN:#} {rest}");
    }

    /// A warning on stderr, always shown.
    pub fn warn(&self, line: &str) {
        let _ = writeln!(self.stderr(), "{WARN}warning:{WARN:#} {line}");
    }

    /// A JSON document on stdout.
    pub fn json(&self, value: &serde_json::Value) -> anyhow::Result<()> {
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        self.stdout().write_all(text.as_bytes())?;
        Ok(())
    }

    /// Progress on stderr, shown with `-v`.
    pub fn progress(&self, line: &str) {
        if self.verbose {
            let _ = writeln!(self.stderr(), "{DIM}{line}{DIM:#}");
        }
    }

    /// The error, its causes and its fix (`help`), on stderr. The SDK's own words behind a
    /// fault are shown with `-v` only.
    pub fn error(&self, err: &anyhow::Error, help: Option<&str>) {
        let mut stderr = self.stderr();
        let mut lines = error_lines(err, self.verbose).into_iter();
        if let Some(first) = lines.next() {
            let _ = writeln!(stderr, "{ERROR}error:{ERROR:#} {first}");
        }
        for line in lines {
            let _ = writeln!(stderr, "{line}");
        }
        if let Some(help) = help {
            let _ = writeln!(stderr, "{GOOD}help:{GOOD:#} {help}");
        }
    }
}

/// Progress, as the session reads and writes: upload progress as a bar on a terminal, every
/// step as a line with `-v`.
pub struct BarProgress<'a> {
    out: &'a Output,
    bar: ProgressBar,
}

impl<'a> BarProgress<'a> {
    pub fn new(out: &'a Output) -> Self {
        BarProgress { out, bar: ProgressBar::hidden() }
    }
}

impl Progress for BarProgress<'_> {
    fn uploading(&self, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        self.bar.set_style(
            ProgressStyle::with_template("{spinner} uploading pages {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }
    fn uploaded(&self, key: &str) {
        self.bar.inc(1);
        self.bar.set_message(key.to_owned());
        if self.bar.is_hidden() {
            self.out.progress(&format!("uploaded {key}"));
        }
        if self.bar.position() == self.bar.length().unwrap_or(0) {
            self.bar.finish_and_clear();
        }
    }
    fn step(&self, what: &str) {
        self.out.progress(what);
    }
}

impl std::fmt::Debug for BarProgress<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BarProgress")
    }
}

/// The error's own words, then each cause on lines of its own; a cause that is only the SDK's
/// detail behind a fault is left out unless `verbose`.
fn error_lines(err: &anyhow::Error, verbose: bool) -> Vec<String> {
    let mut lines = vec![err.to_string()];
    for cause in err.chain().skip(1) {
        if !verbose && cause.is::<Detail>() {
            continue;
        }
        let text = cause.to_string();
        let mut cause_lines = text.lines();
        if let Some(first) = cause_lines.next() {
            lines.push(format!("  caused by: {first}"));
        }
        lines.extend(cause_lines.map(|line| format!("             {line}")));
    }
    lines
}

#[cfg(test)]
mod tests {
    use edgepages_publish::aws::AwsError;
    use edgepages_publish::fault::Fault;
    use edgepages_publish::session::{Part, Stopped, Written};

    use super::*;

    #[test]
    fn a_failed_apply_says_its_aws_cause_once() {
        let aws = AwsError::Call { action: "updating distribution E1".into(), message: "InvalidArgument: no".into() };
        let failed =
            Stopped { part: Part::Distribution, source: aws, written: Written::default(), unsaved_record: None };
        let lines = error_lines(&anyhow::Error::new(failed).context("publish stopped"), true);
        assert_eq!(lines, ["publish stopped", "  caused by: updating distribution E1: InvalidArgument: no"]);
    }

    #[test]
    fn the_sdks_words_behind_a_fault_are_shown_with_verbose_only() {
        let fault = || AwsError::Fault {
            action: "listing s3://b/p/".into(),
            fault: Fault::NoCredentials,
            detail: Detail("dispatch failure: other: an error occurred while loading credentials".into()),
        };
        let quiet = error_lines(&anyhow::Error::new(fault()), false);
        assert_eq!(quiet, ["listing s3://b/p/: no AWS credentials were found"]);
        let verbose = error_lines(&anyhow::Error::new(fault()), true);
        assert_eq!(
            verbose,
            [
                "listing s3://b/p/: no AWS credentials were found",
                "  caused by: dispatch failure: other: an error occurred while loading credentials"
            ]
        );
    }
}

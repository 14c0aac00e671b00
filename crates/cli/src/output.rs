//! Where things are printed: results to stdout, progress and diagnostics to stderr, in colour
//! only when asked or when the stream is a terminal.

use std::io::Write as _;

use anstream::ColorChoice;
use anstyle::{AnsiColor, Style};

use crate::cli::{ColorWhen, Global};

pub struct Output {
    pub json: bool,
    pub verbose: u8,
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
        if self.verbose > 0 {
            let _ = writeln!(self.stderr(), "{DIM}{line}{DIM:#}");
        }
    }

    /// The error and its chain of causes, on stderr.
    pub fn error(&self, err: &anyhow::Error) {
        let mut stderr = self.stderr();
        let _ = writeln!(stderr, "{ERROR}error:{ERROR:#} {err}");
        for cause in err.chain().skip(1) {
            let text = cause.to_string();
            let mut lines = text.lines();
            if let Some(first) = lines.next() {
                let _ = writeln!(stderr, "  caused by: {first}");
            }
            for line in lines {
                let _ = writeln!(stderr, "             {line}");
            }
        }
    }
}

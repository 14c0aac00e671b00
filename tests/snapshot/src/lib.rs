//! Whole-output snapshots of the `edgepages` binary, in the manner of mdBook's test suite: a
//! command's exit code, stdout and stderr as one [`transcript`], with every value that changes
//! from one run to the next replaced by its name in brackets ([`Redactions`]), so that a snapshot
//! holds what the command said and nothing of where or when it ran. The CLI's tests and the
//! end-to-end tests take their snapshots through this one helper.

use regex::Regex;

/// Values replaced by their names. Each test names the values it made ([`Redactions::value`]:
/// its temporary folder, its bucket, its distribution); the patterns every run varies in are
/// always on:
///
/// - `[PORT]`: a port on 127.0.0.1 (servers the tests start);
/// - `[TIME]`: a time edgepages read from the clock, in RFC 3339 to the millisecond
///   (`2026-12-07T23:00:00.123Z`; a time a test gives, to the second, is kept);
/// - `[RECORD]`: a rollback record's ID, its publish's time and ETag (`20261207T230000123Z-E2QW…`);
/// - `[ETAG]`: a CloudFront ETag, after `ETag ` or `If-Match: ` (moto makes them at random), and
///   the second of `ETag A then, B now`;
/// - `[REQUEST_ID]`: an AWS request ID, after `request ID ` (a fixed UUID, such as a managed
///   cache policy's ID, is kept);
/// - `[SECS]`: a wait in seconds (`waited 3s`).
#[derive(Debug, Clone)]
pub struct Redactions {
    values: Vec<(String, String)>,
    patterns: Vec<(Regex, String)>,
}

impl Default for Redactions {
    fn default() -> Self {
        Redactions::new()
    }
}

impl Redactions {
    /// The patterns every run varies in, and no value yet.
    pub fn new() -> Redactions {
        let patterns = [
            (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
            (r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", "[TIME]"),
            (r"\b\d{8}T\d{6}(?:\.\d+)?Z-[A-Za-z0-9]+", "[RECORD]"),
            (r"(ETag |If-Match: |ETag: )[A-Z0-9]{6,}", "${1}[ETAG]"),
            (r"(ETag \S+ then, )[A-Z0-9]{6,}( now)", "${1}[ETAG]${2}"),
            (r"(?i)(request[ -]?id:? )[0-9a-z-]{20,}", "${1}[REQUEST_ID]"),
            (r"\bwaited \d+(?:m \d+)?s\b", "waited [SECS]"),
        ]
        .into_iter()
        .map(|(pattern, name)| (Regex::new(pattern).expect("the built-in patterns are valid"), name.to_owned()))
        .collect();
        Redactions { values: Vec::new(), patterns }
    }

    /// Replaces `value` with `[NAME]`. A longer value is replaced before a shorter one it holds,
    /// so a path inside a folder keeps its own name.
    #[must_use]
    pub fn value(mut self, name: &str, value: impl AsRef<str>) -> Redactions {
        let value = value.as_ref();
        if !value.is_empty() {
            self.values.push((value.to_owned(), format!("[{name}]")));
            self.values.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        }
        self
    }

    /// Replaces what `pattern` matches with `[NAME]`; only its first group, when it has one (the
    /// regex crate has no look-around), so that `(\d+) of them` keeps its words.
    #[must_use]
    pub fn pattern(mut self, name: &str, pattern: &str) -> Redactions {
        self.patterns.push((Regex::new(pattern).expect("a test's pattern is valid"), format!("[{name}]")));
        self
    }

    /// `text` with every named value, then every pattern, replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (value, name) in &self.values {
            text = text.replace(value, name);
        }
        for (pattern, name) in &self.patterns {
            text = pattern
                .replace_all(&text, |caps: &regex::Captures<'_>| {
                    let whole = caps.get(0).expect("group 0 is the match");
                    if let Some(group) = caps.get(1).filter(|_| !name.contains('$')) {
                        format!("{}{name}{}", &text[whole.start()..group.start()], &text[group.end()..whole.end()])
                    } else {
                        let mut replaced = String::new();
                        caps.expand(name, &mut replaced);
                        replaced
                    }
                })
                .into_owned();
        }
        text
    }

    /// A command's whole output, redacted: see [`transcript`].
    pub fn transcript(&self, code: i32, stdout: &str, stderr: &str) -> String {
        self.redact(&transcript(code, stdout, stderr))
    }
}

/// A command's exit code, stdout and stderr, in one text a snapshot holds whole.
pub fn transcript(code: i32, stdout: &str, stderr: &str) -> String {
    format!("exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_values_go_before_patterns_and_the_longer_value_first() {
        let r = Redactions::new().value("ROOT", "/tmp/.tmpAbC").value("CONFIG", "/tmp/.tmpAbC/edgepages.toml");
        assert_eq!(
            r.redact("reading /tmp/.tmpAbC/edgepages.toml in /tmp/.tmpAbC at 127.0.0.1:40123"),
            "reading [CONFIG] in [ROOT] at 127.0.0.1:[PORT]"
        );
    }

    #[test]
    fn what_varies_from_run_to_run_is_named() {
        let r = Redactions::new();
        assert_eq!(
            r.redact("distribution updated (ETag E2QWRUHAPOMQZL), record 20261207T230000.123Z-E2QWRUHAPOMQZL"),
            "distribution updated (ETag [ETAG]), record [RECORD]"
        );
        assert_eq!(r.redact("published 2026-12-07T23:00:00.123Z"), "published [TIME]");
        assert_eq!(r.redact("(ETag E1ABCDEFGH then, E2ABCDEFGH now)"), "(ETag [ETAG] then, [ETAG] now)");
        let counted = Redactions::new().pattern("N", r"\b(\d+) of them");
        assert_eq!(counted.redact("2983 bytes, 1200 of them the logo"), "2983 bytes, [N] of them the logo");
        assert_eq!(
            r.redact("a time the user gave: 2099-12-02T18:00:00Z"),
            "a time the user gave: 2099-12-02T18:00:00Z"
        );
        assert_eq!(r.redact("(waited 3m 12s)"), "(waited [SECS])");
        assert_eq!(r.redact("request ID 7d1f3a2e-5b8c-4d0e-9f1a-2b3c4d5e6f70"), "request ID [REQUEST_ID]");
    }

    #[test]
    fn a_transcript_holds_the_code_and_both_streams() {
        assert_eq!(transcript(3, "out\n", "err\n"), "exit: 3\n--- stdout\nout\n--- stderr\nerr\n");
    }
}

//! Reads `edgepages.toml` text into a [`Config`], with errors that name the file, line, column
//! and key, and say what is allowed.

use std::fmt;
use std::ops::Range;

use serde_path_to_error::Segment;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Config, KeyPath, KeySegment};

/// Everything wrong with one config file. Its `Display` prints one line per problem, like a
/// compiler: `edgepages.toml:12:15: edge.deadline_ms: must be 100 to 120000 milliseconds, not 5`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub problems: Vec<LocatedProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedProblem {
    /// 1-based line and column, when the problem has a place in the file.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The key, such as `edge.paths[0].prefix`; empty for a syntax error.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.file)?;
            if let (Some(line), Some(column)) = (p.line, p.column) {
                write!(f, ":{line}:{column}")?;
            }
            if p.key.is_empty() {
                write!(f, ": {}", p.message)?;
            } else {
                write!(f, ": {}: {}", p.key, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Parses and checks config text. `file` is only used to name the file in errors.
pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
    let fail = |problems| ConfigError { file: file.to_owned(), problems };

    let document = DeTable::parse(text).map_err(|e| {
        let (line, column) = position(text, e.span());
        let message = e.message().trim().to_owned();
        // The parser's message for a repeated key does not say which key; its span does.
        let key = match e.span().and_then(|span| text.get(span)) {
            Some(name) if message.starts_with("duplicate key") => name.trim().trim_matches('"').to_owned(),
            _ => String::new(),
        };
        fail(vec![LocatedProblem { line, column, key, message }])
    })?;

    let deserializer = toml::Deserializer::from(document.clone());
    let config: Config = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = key_path_from_serde(e.path());
        let span = e.inner().span().or_else(|| span_of(&document, &key));
        let (line, column) = position(text, span);
        let message = friendlier(e.inner().message());
        fail(vec![LocatedProblem { line, column, key: key.to_string(), message }])
    })?;

    let problems: Vec<_> = config
        .problems()
        .into_iter()
        .map(|p| {
            let (line, column) = position(text, span_of(&document, &p.key));
            LocatedProblem { line, column, key: p.key.to_string(), message: p.message }
        })
        .collect();
    if problems.is_empty() { Ok(config) } else { Err(fail(problems)) }
}

fn key_path_from_serde(path: &serde_path_to_error::Path) -> KeyPath {
    KeyPath(
        path.iter()
            .filter_map(|seg| match seg {
                Segment::Seq { index } => Some(KeySegment::Index(*index)),
                Segment::Map { key } => Some(KeySegment::Key(key.clone())),
                Segment::Enum { variant } => Some(KeySegment::Key(variant.clone())),
                Segment::Unknown => None,
            })
            .collect(),
    )
}

/// serde's messages name Rust types; say what a person writing TOML would.
fn friendlier(message: &str) -> String {
    let message = message.trim();
    message
        .replace("expected u32", "expected a whole number")
        .replace("expected u16", "expected a whole number")
        .replace("expected u8", "expected a whole number from 0 to 255")
        .replace("expected a string", "expected a quoted string")
        .replace("expected a boolean", "expected true or false")
}

/// The span of the value at `key`, or of the deepest part of it that exists.
fn span_of(document: &Spanned<DeTable<'_>>, key: &KeyPath) -> Option<Range<usize>> {
    let mut span = None;
    let mut current: Option<&Spanned<DeValue<'_>>> = None;
    for (depth, seg) in key.0.iter().enumerate() {
        let next = match (depth, seg) {
            (0, KeySegment::Key(k)) => document.get_ref().iter().find(|(name, _)| name.get_ref() == k).map(|(_, v)| v),
            (_, KeySegment::Key(k)) => current.and_then(|v| v.get_ref().get(k.as_str())),
            (_, KeySegment::Index(i)) => current.and_then(|v| v.get_ref().get(*i)),
        };
        match next {
            Some(value) => {
                span = Some(value.span());
                current = Some(value);
            }
            None => break,
        }
    }
    span
}

/// 1-based line and column (in characters) of the start of `span`.
fn position(text: &str, span: Option<Range<usize>>) -> (Option<usize>, Option<usize>) {
    let Some(span) = span else { return (None, None) };
    let start = span.start.min(text.len());
    let before = &text[..floor_char_boundary(text, start)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (Some(line), Some(column))
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[brand]\nname = \"Example\"\n";

    fn err(text: &str) -> String {
        parse(text, "site.toml").expect_err("config should be rejected").to_string()
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let config = parse(MINIMAL, "site.toml").unwrap();
        assert_eq!(config.brand.name, "Example");
        assert_eq!(config.locales.default, "en");
        assert_eq!(config.edge.deadline_ms, 8000);
        assert_eq!(config.edge.upload_timeout_ms, 60_000);
        assert_eq!(config.edge.intercept, vec![500, 502, 503, 504]);
        assert!(config.s3.is_none());
    }

    #[test]
    fn syntax_errors_name_file_line_and_column() {
        let e = err("[brand]\nname = \"Example\n");
        assert!(e.starts_with("site.toml:2:"), "{e}");
    }

    #[test]
    fn a_repeated_key_is_named() {
        let e = err(&format!("{MINIMAL}[edge]\ndeadline_ms = 5000\ndeadline_ms = 6000\n"));
        assert_eq!(e, "site.toml:5:1: deadline_ms: duplicate key");
    }

    #[test]
    fn origin_timeouts_are_checked() {
        let e = err(&format!(
            "{MINIMAL}[cloudfront]\ndistribution_id = \"E1\"\n[cloudfront.origin]\nid = \"alb\"\nconnection_attempts = 4\nread_timeout = 0\n"
        ));
        assert!(
            e.contains("site.toml:7:23: cloudfront.origin.connection_attempts: must be 1 to 3 attempts, not 4"),
            "{e}"
        );
        assert!(e.contains("cloudfront.origin.read_timeout: must be 1 to 180 seconds, not 0"), "{e}");
        let e = err(&format!("{MINIMAL}[cloudfront]\ndistribution_id = \"E1\"\n[cloudfront.origin]\nid = \"alb\"\n"));
        assert!(e.contains("cloudfront.origin.id: names an origin but sets none of"), "{e}");
    }

    #[test]
    fn the_lambda_edge_section_is_checked() {
        let section =
            |body: &str| format!("{MINIMAL}[cloudfront]\ndistribution_id = \"E1\"\n[cloudfront.lambda_edge]\n{body}");
        let e = err(&section(
            "enabled = true\nfunction_name = \"my function\"\nrole_arn = \"arn:aws:iam::12345:role/x\"\n",
        ));
        assert!(
            e.contains("site.toml:7:17: cloudfront.lambda_edge.function_name: \"my function\" must be 1 to 64 letters"),
            "{e}"
        );
        assert!(
            e.contains(
                "site.toml:8:12: cloudfront.lambda_edge.role_arn: \"arn:aws:iam::12345:role/x\" is not an IAM role ARN"
            ),
            "{e}"
        );
        let e = err(&section("function_name = \"f\"\n"));
        assert!(e.contains("cloudfront.lambda_edge: missing field `enabled`"), "{e}");
        let e = err(&section("enabled = true\nrole = \"r\"\n"));
        assert!(e.contains("site.toml:7:1: cloudfront.lambda_edge.role: unknown field `role`"), "{e}");

        let config = parse(
            &section("enabled = true\nrole_arn = \"arn:aws:iam::123456789012:role/service-role/edge@fn\"\n"),
            "site.toml",
        )
        .unwrap();
        let cf = config.cloudfront.unwrap();
        assert_eq!(cf.function_name().as_deref(), Some("edgepages-E1"));
        assert!(cf.lambda_edge.unwrap().enabled);
        let off = parse(&section("enabled = false\nfunction_name = \"f\"\n"), "site.toml").unwrap();
        assert_eq!(off.cloudfront.unwrap().function_name(), None, "a disabled function is not deployed");
    }

    /// The config fuzzer's first crash, as `edgepages check` read it: a debug build panicked in
    /// url's IDNA step; every build now names the file, line and key.
    #[test]
    fn an_origin_host_outside_ascii_is_named_never_a_panic() {
        let e = err(&format!("{MINIMAL}[[edge.paths]]\nprefix = \"/a\"\norigin = \"https://UUUU\u{feff}UUUU\"\n"));
        assert!(
            e.contains(
                "site.toml:5:10: edge.paths[0].origin: \"https://UUUU\\u{feff}UUUU\" has characters outside ASCII"
            ),
            "{e}"
        );
    }

    #[test]
    fn stale_and_breaker_settings_are_checked() {
        let e = err(&format!(
            "{MINIMAL}[edge]\nstale_types = [\"text/html\", \"text/html; charset=utf-8\"]\n[edge.breaker]\nfailure_percent = 0\nwindow_s = 61\ncooldown_s = 0\n"
        ));
        assert!(e.contains("edge.stale_types[1]: \"text/html; charset=utf-8\" must be a media type"), "{e}");
        assert!(e.contains("edge.breaker.failure_percent: must be 1 to 100 percent, not 0"), "{e}");
        assert!(e.contains("edge.breaker.window_s: must be 1 to 60 seconds, not 61"), "{e}");
        assert!(e.contains("edge.breaker.cooldown_s: must be 1 to 3600 seconds, not 0"), "{e}");
        let config = parse(&format!("{MINIMAL}[edge.breaker]\nenabled = false\n"), "site.toml").unwrap();
        assert!(!config.edge.breaker.is_on());
        assert_eq!(config.edge.breaker.cooldown_s, 10, "the other key keeps its default");
    }

    #[test]
    fn an_upload_bound_out_of_range_names_its_line_and_key() {
        let e = err(&format!("{MINIMAL}[edge]\nupload_timeout_ms = 500\n"));
        assert_eq!(e, "site.toml:4:21: edge.upload_timeout_ms: must be 1000 to 3600000 milliseconds, not 500");
        let ok = parse(&format!("{MINIMAL}[edge]\nupload_timeout_ms = 300000\n"), "site.toml").unwrap();
        assert_eq!(ok.edge.upload_timeout_ms, 300_000);
    }

    #[test]
    fn type_errors_name_the_key_and_the_expected_type() {
        let e = err(&format!("{MINIMAL}[edge]\ndeadline_ms = \"soon\"\n"));
        assert_eq!(e, "site.toml:4:15: edge.deadline_ms: invalid type: string \"soon\", expected a whole number");
    }

    #[test]
    fn unknown_keys_are_rejected_with_the_allowed_ones() {
        let e = err(&format!("{MINIMAL}[edge]\ndeadline = 5000\n"));
        assert!(
            e.starts_with("site.toml:4:1: edge.deadline: unknown field `deadline`, expected one of `deadline_ms`"),
            "{e}"
        );
        let e = err(&format!("{MINIMAL}[edgy]\n"));
        assert!(e.contains("unknown field `edgy`"), "{e}");
    }

    #[test]
    fn missing_required_keys_are_named() {
        let e = err("[brand]\nlogo = \"x.svg\"\n");
        assert!(e.contains("missing field `name`"), "{e}");
        assert!(e.starts_with("site.toml:1:1: brand:"), "{e}");
    }

    #[test]
    fn bad_colours_say_how_to_write_one() {
        let e = err(&format!("{MINIMAL}[brand.light]\naccent = \"blue\"\nbackground = \"#fff\"\ntext = \"#000\"\n"));
        assert!(e.starts_with("site.toml:4:10: brand.light.accent: \"blue\" is not a colour"), "{e}");
    }

    #[test]
    fn semantic_problems_are_all_reported_with_their_lines() {
        let text = "\
[brand]
name = \"Example\"
support_url = \"javascript:alert(1)\"

[locales]
default = \"es\"
available = [\"en\", \"xx\"]

[edge]
deadline_ms = 5
intercept = [500, 404]

[[edge.paths]]
prefix = \"dashboard\"
deadline_ms = 30000
";
        let e = err(text);
        let lines: Vec<_> = e.lines().collect();
        assert_eq!(
            lines[0],
            "site.toml:3:15: brand.support_url: \"javascript:alert(1)\" must start with https://, http:// or mailto:"
        );
        assert!(
            lines[1].starts_with(
                "site.toml:7:20: locales.available[1]: \"xx\" is not a bundled locale; bundled: ar, cy, de, en, fr"
            ),
            "{}",
            lines[1]
        );
        assert_eq!(lines[2], "site.toml:6:11: locales.default: \"es\" must be one of locales.available");
        assert_eq!(lines[3], "site.toml:10:15: edge.deadline_ms: must be 100 to 120000 milliseconds, not 5");
        assert_eq!(lines[4], "site.toml:14:10: edge.paths[0].prefix: \"dashboard\" must be a path starting with /");
        assert_eq!(lines[5], "site.toml:11:19: edge.intercept[1]: 404 is not a 5xx status");
        assert_eq!(lines.len(), 6, "{e}");
    }

    #[test]
    fn low_contrast_brand_colours_are_refused() {
        let e = err(&format!(
            "{MINIMAL}[brand.light]\naccent = \"#999999\"\nbackground = \"#ffffff\"\ntext = \"#111111\"\n"
        ));
        assert!(
            e.starts_with("site.toml:4:10: brand.light.accent: #999999 on background #ffffff has contrast 2.85:1"),
            "{e}"
        );
    }

    #[test]
    fn maintenance_times_need_a_zone() {
        let e = err(&format!("{MINIMAL}[edge]\nmaintenance = \"2026-11-24T18:00:00\"\n"));
        assert!(e.contains("edge.maintenance: \"2026-11-24T18:00:00\" has no time zone"), "{e}");
    }

    #[test]
    fn copy_overrides_name_their_page_kinds() {
        let e = err(&format!("{MINIMAL}[copy.en.teapot]\ntitle = \"x\"\n"));
        assert!(e.contains("copy.en: unknown variant `teapot`, expected one of `internal_error`"), "{e}");
        let e = err(&format!("{MINIMAL}[copy.fr.unavailable]\ntitle = \"x\"\n"));
        assert!(e.contains("copy.fr: \"fr\" is not in locales.available"), "{e}");
    }

    #[test]
    fn targets_are_checked() {
        let e = err(&format!(
            "{MINIMAL}[s3]\nbucket = \"Bad_Bucket\"\nprefix = \"/errors/\"\n[cloudfront]\ndistribution_id = \"e123\"\nerror_codes = [502, 418]\n"
        ));
        assert!(e.contains("site.toml:4:10: s3.bucket:"), "{e}");
        assert!(e.contains("site.toml:5:10: s3.prefix:"), "{e}");
        assert!(e.contains("cloudfront.distribution_id: \"e123\" is not a CloudFront distribution ID"), "{e}");
        assert!(e.contains("cloudfront.error_codes[1]: CloudFront cannot customise 418"), "{e}");
    }

    #[test]
    fn non_ascii_columns_count_characters() {
        let e = err("[brand]\nname = \"Café\"\n[edge]\n\"é\" = 1\n");
        assert!(e.starts_with("site.toml:4:1: edge.é: unknown field"), "{e}");
        assert_eq!(position("é\nxé", Some(4..5)), (Some(2), Some(2)));
    }
}
